"""The felt-speed benchmark (benchmarks/felt.py, issue 27) works: on a tiny programme, every
page in the navigation is measured in Chromium, each step has positive figures, and the table
has a row for each page. No timing assertions: benchmarks are not timed tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.pages import page_files
from tests.browser_support import CHROMIUM
from tests.conftest import DEMO_END

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.browser
def test_every_page_is_measured_with_positive_figures(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    from benchmarks import felt

    db = tmp_path / "demo.duckdb"
    subprocess.run(
        [
            *(sys.executable, "-m", "analysis", "demo", "--db", str(db)),
            *("--mentors", "30", "--end", DEMO_END.isoformat()),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    result = felt.measure(db, tmp_path / "work", changes=1, quiet_ms=200)
    assert set(result["pages"]) == set(page_files())
    for page, data in result["pages"].items():
        kinds = [s["kind"] for s in data["steps"]]
        assert kinds == ["first load", "window", "filter"], (page, kinds)
        for step in data["steps"]:
            assert step["seconds"] is not None and step["seconds"] > 0, (page, step)
            assert step["server_runs"] >= 1 and step["server_seconds"] > 0, (page, step)
            assert step["bytes"] > 0 and step["frames"] > 0, (page, step)
            assert step["browser_busy_seconds"] >= 0, (page, step)
            assert step["errors"] == [], (page, step)
            # The sampled parts share out the measured run time.
            parts = sum(step["server_parts"].values())
            assert parts == pytest.approx(step["server_seconds"], rel=1e-6), (page, step)
        assert data["steps"][2]["label"].startswith("Region: ")
    lines = felt.table(result).splitlines()
    assert lines[0].startswith("| Page | Charts | First load (s)")
    assert len(lines) == 2 + len(page_files())
    columns = lines[0].count("|")
    for page in page_files():
        rows = [line for line in lines if line.startswith(f"| `{page}` |")]
        assert len(rows) == 1 and rows[0].count("|") == columns, page
    text = felt.section(result, "At a tiny size")
    assert text.startswith("## Felt speed in Chromium (issue 27)")
    assert "Every change: median " in text and "Load average" in text
