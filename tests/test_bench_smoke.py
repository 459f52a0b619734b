"""The benchmark itself works: `benchmarks/run.py --quick` at a tiny size, into a tmp folder.

No timing assertions: benchmarks are not timed tests. These check that every measure runs,
the table has a row for each, and the results land where they were asked to (never in the
project's BENCHMARKS.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.pages import page_files
from tests.browser_support import CHROMIUM
from tests.conftest import DEMO_END

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_completes_and_prints_every_row(tmp_path: Path) -> None:
    project_results = ROOT / "BENCHMARKS.md"
    before = project_results.read_bytes() if project_results.exists() else None
    output = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--skip-browser",
            "--scratch",
            str(tmp_path / "scratch"),
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("| Measure")
    for start in (
        "| Import: `python -m analysis import`, whole process",
        "| Import: peak memory",
        "| Report: `python -m analysis report --format json`, whole process",
        "| Dashboard server: peak memory",
    ):
        assert any(line.startswith(start) for line in lines), start
    pages = page_files()
    assert "pages/overview.py" in pages and "pages/frame.py" not in pages
    for page in pages:
        for measure in ("server run, cold", "server run after a filter change"):
            row = next(line for line in lines if line.startswith(f"| Page `{page}`: {measure}"))
            assert row.count("|") == 7
            assert "not run" not in row, row
    assert "agree with the report's" in done.stdout
    written = output.read_text(encoding="utf-8")
    assert "## Results" in written and "| Page `pages/overview.py`: server run, cold" in written
    assert "- duckdb: " in written and "- cpu: " in written
    assert (tmp_path / "scratch" / "results.json").exists()
    after = project_results.read_bytes() if project_results.exists() else None
    assert after == before


@pytest.mark.browser
def test_the_browser_measures_run_on_a_tiny_programme(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    from benchmarks.browser import visit_every_page
    from benchmarks.measure import bench_env

    db = tmp_path / "demo.duckdb"
    subprocess.run(
        [
            *(sys.executable, "-m", "analysis", "demo", "--db", str(db)),
            *("--mentors", "40", "--end", DEMO_END.isoformat()),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    result = visit_every_page(bench_env(db, tmp_path), tmp_path / "streamlit.log", page_files())
    assert set(result["pages"]) == set(page_files())
    for page, visit in result["pages"].items():
        assert visit["bytes"] > 0, page
        assert visit["errors"] == [], page
    assert result["peak_rss"] > 0
