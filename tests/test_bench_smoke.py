"""The benchmark itself works: `benchmarks/run.py --quick` at a tiny size, into a tmp folder.

No timing assertions: benchmarks are not timed tests. These check that every measure runs on
both data shapes, the table has a row for each, the growth mode writes its table and plot, the
export shape's generator writes what it promises (and it imports), and the results land where
they were asked to (never in the project's BENCHMARKS.md).
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from analysis import database
from analysis.importer import ImportSource, import_files
from analysis.settings import Settings
from benchmarks import growth, shapes
from benchmarks.pages import page_files
from benchmarks.run import _readers_row, rows_count
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
            "--shape",
            "export",
            "--scratch",
            str(tmp_path / "scratch"),
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    heading = re.fullmatch(r"export shape, ([\d,]+) attendance rows", lines[0])
    assert heading is not None, lines[0]
    count = heading.group(1)
    assert int(count.replace(",", "")) > 5_000  # 200 demo mentors
    assert lines[1].startswith("| Measure")
    for start in (
        "| Import: `python -m analysis import`, whole process",
        "| Import: peak memory",
        "| Report: `python -m analysis report --format json`, whole process",
        "| Dashboard server: peak memory",
        "| Readers: slowest interaction with three servers while the import lands",
    ):
        assert any(line.startswith(start) for line in lines), start
    pages = page_files()
    assert "pages/overview.py" in pages and "pages/frame.py" not in pages
    for page in pages:
        for measure in ("server run, cold", "server run after a filter change"):
            rows = [line for line in lines if line.startswith(f"| Page `{page}`: {measure}")]
            assert len(rows) == 1, (page, measure)
            for row in rows:
                assert row.count("|") == 7
                assert "not measured" not in row, row
    assert "agree with the report's" in done.stdout
    written = output.read_text(encoding="utf-8")
    assert "## Results" in written and "| Page `pages/overview.py`: server run, cold" in written
    assert f"### The export shape: {count} attendance rows" in written
    assert "- duckdb: " in written and "- cpu: " in written
    # One shape measured alone writes its own results file (results-SHAPE.json).
    assert (tmp_path / "scratch" / "results-export.json").exists()
    assert not (tmp_path / "scratch" / "results.json").exists()
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


def _readers_result(during: list[float], errors: list[str]) -> dict[str, object]:
    return {
        "errors": errors,
        "during_max": max(during) if during else None,
        "during_median": sorted(during)[len(during) // 2] if during else None,
        "during_count": len(during),
        "figures": {"after": {"max": 3.0}},
        "new_data_shown": [True, True, False],
    }


def test_the_readers_row_fails_on_any_error_and_says_so() -> None:
    notes: list[str] = []
    clean = _readers_row({"runs": [_readers_result([0.5, 0.7], [])]}, notes)
    assert clean.met is True and clean.measured == "700 ms"
    assert "not every server showed it" in notes[-1]
    notes = []
    row = _readers_row({"runs": [_readers_result([0.5, 0.7], ["server 2: boom"])]}, notes)
    assert row.met is False and "1 error(s)" in row.against
    assert "Readers during the import: server 2: boom" in notes
    slow = _readers_row({"runs": [_readers_result([0.5, 2.5], [])]}, [])
    assert slow.met is False and slow.measured == "2.50 s"
    none = _readers_row({"runs": [_readers_result([], [])]}, [])
    assert none.met is None and none.measured == "no interaction during the import"
    assert _readers_row(None, []).measured == "not measured"


def test_sizes_are_given_as_attendance_rows() -> None:
    assert [rows_count(t) for t in ("250k", "1M", "4M", "12,500", "1.5m")] == [
        250_000,
        1_000_000,
        4_000_000,
        12_500,
        1_500_000,
    ]
    assert shapes.mentors_for_rows(1_000_000) == 23_452
    assert abs(shapes.mentors_for_rows(4_000_000) - 4 * 23_452) <= 2


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_export_shape_has_what_the_issue_describes_and_imports(tmp_path: Path) -> None:
    paths = shapes.write("export", tmp_path / "files", mentors=150, seed=2026)
    assert [p.name for p in paths] == shapes.file_names("export")
    mentors_path, sessions_path, attendance_path, register_path = paths[:4]

    book = openpyxl.load_workbook(mentors_path, read_only=True)
    sheet_rows = list(book.active.iter_rows(values_only=True))
    book.close()
    assert sheet_rows[0][:3] == ("mentor_id", "cohort", "start_date")
    assert len(sheet_rows) == 151
    assert all(r[2] is not None and not isinstance(r[2], str) for r in sheet_rows[1:])  # dates

    sessions_rows = _csv(sessions_path)
    attendance_rows = _csv(attendance_path)
    register_rows = _csv(register_path)
    assert {r["session_type"] for r in sessions_rows}.isdisjoint(shapes.REGISTER_TYPES)
    assert {r["session_type"] for r in register_rows} <= set(shapes.REGISTER_TYPES)
    assert "session_id" not in register_rows[0]
    starts = [r["scheduled_start"] for r in sessions_rows + register_rows]
    uk = [s for s in starts if s[2] == "/"]
    assert all(len(s) == 16 for s in starts)  # no seconds, in either form
    assert 0.25 < len(uk) / len(starts) < 0.42
    rows = attendance_rows + register_rows
    with_notes = sum(1 for r in rows if r["notes"])
    assert 0.4 < with_notes / len(rows) < 0.6

    db = tmp_path / "export.duckdb"
    result = import_files(
        db, [ImportSource.of(p) for p in paths], user="bench", settings=Settings()
    )
    assert result.landed, result.error
    assert all(f.rejected == 0 and f.duplicates == 0 for f in result.files), [
        f.summary() for f in result.files
    ]
    by_name = {f.file: f for f in result.files}
    assert by_name["register.csv"].type == "attendance"
    attendance_total = len(rows)
    warnings = by_name["attendance.csv"].warnings + by_name["register.csv"].warnings
    # About 5.5 % of the rows are late marks inside the grace period: one warning each.
    assert 0.035 < warnings / attendance_total < 0.075
    with database.connect(db) as con:
        stored = con.execute("SELECT count(*) FROM attendance").fetchone()
        late_in_grace = con.execute(
            "SELECT count(*) FROM attendance a JOIN sessions s USING (session_id) "
            "WHERE a.attendance = 'late' AND a.arrival <= s.scheduled_start + INTERVAL 5 MINUTE"
        ).fetchone()
    assert stored == (attendance_total,)
    assert late_in_grace == (warnings,)


def _fake_results(rows: int, per_row: float) -> dict[str, object]:
    """What measure_shape records, for a programme of `rows` rows costing `per_row` s a row."""
    seconds = rows * per_row
    return {
        "import": {
            "import_seconds": [seconds, seconds * 1.1],
            "bare_seconds": [seconds / 2],
            "import_peak_rss": [400e6],
        },
        "report": {"report_seconds": [seconds / 10], "pandas_seconds": [seconds / 2]},
        "pages": {
            "pages/overview.py": [{"cold": seconds / 20, "filter_change": seconds / 40}],
            "pages/data.py": [{"cold": 0.05, "filter_change": None}],
        },
        "browser": {"runs": [{"peak_rss": 600e6 + rows * 200}]},
    }


def test_the_growth_table_checks_and_plot(tmp_path: Path) -> None:
    points = [
        growth.point("demo", 250_000, _fake_results(250_000, 2e-6)),
        growth.point("demo", 1_000_000, _fake_results(1_000_000, 2e-6)),
        growth.point("demo", 4_000_000, _fake_results(4_000_000, 3e-6)),  # 1.5x the cost a row
    ]
    assert points[1]["import"] == 2.1  # the median of the runs
    assert points[1]["worst_filter"] == ("pages/overview.py", 0.05)
    checks = {what: (measured, met) for what, measured, _, met in growth.checks(points)}
    assert checks["demo: import cost per row, 4,000,000 vs 1,000,000 rows"] == ("1.50×", False)
    assert checks["demo: slowest page after a filter change at 4,000,000 rows"] == (
        "300 ms (`pages/overview.py`)",
        True,
    )
    assert checks["demo: dashboard server peak memory at 4,000,000 rows"] == ("1400 MB", False)
    assert checks["demo: import peak memory at 4,000,000 rows"] == ("400 MB", True)
    plot = tmp_path / "growth.png"
    problem = growth.draw(points, plot)
    assert problem is None, problem
    assert plot.read_bytes().startswith(b"\x89PNG")
    facts = {
        "command": "python benchmarks/run.py --growth",
        "load average (1, 5, 15 min)": "1.0 1.0 1.0 at the start, 1.0 1.0 1.0 at the end",
        "commit": "abc1234",
        "date": "2026-12-01 23:00 UTC",
    }
    text = growth.section(points, Path("benchmarks/growth.png"), facts, problem)
    assert "| demo | 4,000,000 | 12.60 s | 3.15 |" in text
    assert (
        "| demo: import cost per row, 4,000,000 vs 1,000,000 rows | 1.50× | ≤ 1.25× | ✗ |" in text
    )
    assert text.endswith("(benchmarks/growth.png)")
