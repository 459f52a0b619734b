"""Readers never wait: three `streamlit run` servers on one database file, browsed in Chromium
while a command-line import of about a million attendance rows lands.

The import builds the new version beside the published file and publishes it with one rename
(analysis/database.py), so every page keeps answering from the previous version. The browsing is
benchmarks/readers.py (the same measure `make bench` reports): one page on each server, the
window changed on each in turn before, during and after the import, every interaction timed in
the browser and checked for an error (a Streamlit exception or error box, a JavaScript error,
"An import is updating the records", no answer). This test asks for no error at all, answers
during the import, and each server offering the imported cohort on its next interaction. The
2-second bar is a speed target, reported by the benchmark and written to
test-artifacts/readers_during_import.json, not asserted: the suite runs on shared machines.

Slow (a minute or more): marked `slow` and `browser`; `make test` runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import demo_data
from benchmarks import readers
from benchmarks.run import _readers_row
from tests.browser_support import ARTIFACTS, CHROMIUM, ROOT
from tests.conftest import query

END = demo_data.DEFAULT_END
# About a million attendance rows (the national-scale benchmark's size); smaller with
# PM_IMPORT_MENTORS for a quick local run.
MENTORS = int(os.environ.get("PM_IMPORT_MENTORS", "24000"))

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_three_servers_keep_answering_while_a_million_rows_land(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    files = demo_data.write_csv(tmp_path / "big", mentors=MENTORS, seed=7, end=END)
    db = tmp_path / "data" / "programme.duckdb"
    out = tmp_path / "readers.json"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.readers", "--db", str(db)),
            *("--files", *map(str, files), "--out", str(out), "--work", str(tmp_path / "work")),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "readers_during_import.json").write_text(json.dumps(result, indent=1))
    print("\n" + readers.summary_line(result))

    assert result["import_landed"] is True
    assert result["errors"] == []  # no page error, no busy message, no lost answer
    phases = [i["phase"] for i in result["interactions"]]
    # Every server used before and after; the first interaction of the loop starts while the
    # importer is still starting up, so at least one falls during the import.
    assert phases.count("before") == 3 and phases.count("after") == 3
    assert result["during_count"] == phases.count("during") >= 1
    assert {i["server"] for i in result["interactions"]} == {1, 2, 3}
    assert all(i["seconds"] is not None and i["seconds"] > 0 for i in result["interactions"])
    assert all(i["errors"] == [] for i in result["interactions"])
    # Each server showed the new data on its next interaction after the import.
    assert result["new_data_shown"] == [True, True, True]

    # The import really was large, and landed in the servers' file with the new cohort.
    assert query(db, "SELECT count(*) FROM attendance")[0][0] >= MENTORS * 30
    cohorts = {c for (c,) in query(db, "SELECT DISTINCT cohort FROM mentors")}
    assert readers.NEW_COHORT in cohorts

    # run.py's row reads it: measured, with the interactions and no error.
    notes: list[str] = []
    row = _readers_row({"runs": [result]}, notes)
    assert row.measured != "not measured" and row.runs == "1"
    assert f"{result['during_count']} interactions during the import, 0 error(s)" in row.against
    assert any("every server showed the new data" in n for n in notes), notes
