"""The funding-stream filter (METRICS.md, second release): a mentor is in stream S for a window
when a funding row for S overlaps the window (a missing end is open); several streams choose
the mentors in any of them; the stream filter and the others combine by AND.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT_ROOT, A, M, S, build, cli_env

from analysis import catalog, database
from analysis.metrics import Scope
from analysis.report import build_report
from analysis.settings import Settings

D = dt.date

# Four mentors in March 2025, each at one training session. Funding:
#   F1 Lottery, open at both ends          F2 Lottery until 2025-02-28 (ended before March)
#   F2 Probation from 2025-03-31 (one day) F3 Probation from 2025-04-01 (after March)
#   F4 no funding row; "Lottery " with a space is another stream, never matched by "Lottery".
FUNDING = [
    ("F1", "Lottery", None, None),
    ("F2", "Lottery", None, "2025-02-28"),
    ("F2", "Probation", "2025-03-31", None),
    ("F3", "Probation", "2025-04-01", None),
    ("F4", "Lottery ", None, None),
]


@pytest.fixture
def streams_db(tmp_path: Path) -> Path:
    db = build(
        tmp_path / "streams.duckdb",
        [
            M("F1", region="North"),
            M("F2", region="South"),
            M("F3", region="North"),
            M("F4", region="North"),
        ],
        [S("T1", "training", "2025-03-10 10:00")],
        [A("T1", m, "attended") for m in ("F1", "F2", "F3", "F4")],
    )
    with database.connect(db) as con:
        con.executemany(
            'INSERT INTO funding (mentor_id, funding_stream, "from", "to") VALUES (?, ?, ?, ?)',
            FUNDING,
        )
    return db


def report(db: Path, window: tuple[str, str], **filters: Any) -> dict[str, Any]:
    scope = Scope(D.fromisoformat(window[0]), D.fromisoformat(window[1]), **filters)
    with database.read(db) as con:
        return build_report(con, scope, Settings(), "manager")


# (window, filters) → mentors_active (and expected_attendances: one each)
CASES = [
    (("2025-03-01", "2025-03-31"), {}, 4),
    (("2025-03-01", "2025-03-31"), {"funding_streams": ("Lottery",)}, 1),  # F1; F2's ended
    (("2025-02-01", "2025-03-31"), {"funding_streams": ("Lottery",)}, 2),  # F2 overlaps February
    (("2025-03-01", "2025-03-31"), {"funding_streams": ("Probation",)}, 1),  # F2 on the 31st
    (("2025-03-01", "2025-03-30"), {"funding_streams": ("Probation",)}, 0),
    (("2025-03-01", "2025-04-30"), {"funding_streams": ("Probation",)}, 2),  # F2, F3
    (("2025-03-01", "2025-03-31"), {"funding_streams": ("Lottery", "Probation")}, 2),  # any
    (("2025-03-01", "2025-03-31"), {"funding_streams": ("Lottery ",)}, 1),  # F4's stream
    (("2025-03-01", "2025-03-31"), {"funding_streams": ("lottery",)}, 0),  # codes are exact
    (("2025-03-01", "2025-04-30"), {"funding_streams": ("Probation",), "regions": ("North",)}, 1),
    (("2025-03-01", "2025-03-31"), {"funding_streams": ("Nobody's",)}, 0),
]


@pytest.mark.parametrize(("window", "filters", "active"), CASES)
def test_the_stream_filter_selects_mentors(
    streams_db: Path, window: tuple[str, str], filters: dict[str, Any], active: int
) -> None:
    r = report(streams_db, window, **filters)
    assert r["mentors_active"] == active
    assert r["expected_attendances"] == active
    assert r["filters"]["funding_streams"] == (
        list(filters["funding_streams"]) if "funding_streams" in filters else None
    )


def test_the_previous_period_keeps_the_stream(streams_db: Path) -> None:
    from analysis import metrics

    scope = Scope(D(2025, 3, 1), D(2025, 3, 31), funding_streams=("Probation",))
    previous = metrics.previous_scope(scope, (D(2025, 3, 1), D(2025, 3, 31)))
    assert previous.funding_streams == ("Probation",)
    assert metrics.with_window(scope, (D(2025, 1, 1), D(2025, 1, 2))).funding_streams == (
        "Probation",
    )


def test_filter_options_list_the_streams(streams_db: Path) -> None:
    with database.read(streams_db) as con:
        options = catalog.filter_options(con, Scope(), Settings())
    assert options["streams"] == ["Lottery", "Lottery ", "Probation"]


def test_report_funding_stream_is_repeatable_on_the_command_line(
    streams_db: Path, tmp_path: Path
) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "report",
            "--db",
            str(streams_db),
            "--format",
            "json",
            "--from",
            "2025-03-01",
            "--to",
            "2025-04-30",
            "--funding-stream",
            "Lottery",
            "--funding-stream",
            "Probation",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=cli_env(tmp_path),
        check=False,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["filters"]["funding_streams"] == ["Lottery", "Probation"]
    assert out["mentors_active"] == 3  # F1 (Lottery), F2 and F3 (Probation)
