"""Targets edited on the Targets page are stored exactly as an import of those rows would be:
the same checks and messages, rejected rows kept with their reasons, the import log, and an
audit line for every change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from conftest import query, run_import

from analysis import database, target_edits
from analysis.settings import Settings

D = dt.date
HEADER = "figure,period_start,period_end,target,funding_stream,wording\n"
STORED = (
    "peer_support_hours,2025-04-01,2026-03-31,611,,Hours of peer support\n"
    "attendance_rate,2025-04-01,2026-03-31,87%,,\n"
    "mentors_started,2025-01-01,2025-12-31,3,Probation,New peer mentors\n"
)


@pytest.fixture
def targets_db(seeded_db: Path, tmp_path: Path) -> Path:
    result = run_import(seeded_db, {"targets.csv": HEADER + STORED}, tmp_path / "in")
    assert result.files[0].inserted == 3
    return seeded_db


def table(db: Path) -> dict[int, dict[str, Any]]:
    with database.read(db) as con:
        return dict(enumerate(target_edits.catalog_rows(con)))


def stored(db: Path) -> list[tuple[Any, ...]]:
    return query(
        db,
        "SELECT figure, period_start, period_end, target, funding_stream, wording FROM targets "
        "ORDER BY funding_stream, figure",
    )


def save(db: Path, before: dict[int, dict[str, Any]], after: dict[int, dict[str, Any]]):  # type: ignore[no-untyped-def]
    return target_edits.save_edits(
        db, before, after, user="manager@example.org", settings=Settings()
    )


def audit(db: Path) -> list[str]:
    return [
        r[0]
        for r in query(
            db, "SELECT detail FROM audit_log WHERE action = 'edit targets' ORDER BY detail"
        )
    ]


def test_the_table_shows_targets_as_typed(targets_db: Path) -> None:
    rows = list(table(targets_db).values())
    assert rows[0] == {
        "figure": "attendance_rate",
        "period_start": D(2025, 4, 1),
        "period_end": D(2026, 3, 31),
        "target": "87%",
        "funding_stream": "",
        "wording": "",
    }
    assert [r["target"] for r in rows] == ["87%", "611", "3"]


def test_no_change_saves_nothing(targets_db: Path) -> None:
    before = table(targets_db)
    result = save(targets_db, before, {i: dict(r) for i, r in before.items()})
    assert not result.anything
    assert query(targets_db, "SELECT count(*) FROM imports WHERE kind = 'targets edit'") == [(0,)]


def test_a_changed_value_is_an_import_of_that_row(targets_db: Path) -> None:
    before = table(targets_db)
    after = {i: dict(r) for i, r in before.items()}
    after[1]["target"] = "650"
    after[0]["target"] = "0.9"
    result = save(targets_db, before, after)
    assert (result.added, result.changed, result.deleted, result.rejected) == (0, 2, 0, [])
    assert [r[3] for r in stored(targets_db)] == [0.9, 650.0, 3.0]
    logged = query(
        targets_db,
        "SELECT f.file_name, f.record_type, f.rows_read, f.inserted, f.updated, i.user_name "
        "FROM import_files f JOIN imports i USING (import_id) WHERE i.kind = 'targets edit'",
    )
    assert logged == [(target_edits.EDIT_FILE_NAME, "targets", 2, 0, 2, "manager@example.org")]
    assert audit(targets_db) == [
        "changed attendance_rate (whole programme, 2025-04-01 to 2026-03-31): 87% to "
        "attendance_rate (whole programme, 2025-04-01 to 2026-03-31): 0.9",
        "changed peer_support_hours (whole programme, 2025-04-01 to 2026-03-31): 611 to "
        "peer_support_hours (whole programme, 2025-04-01 to 2026-03-31): 650",
    ]


def test_a_bad_edit_is_rejected_with_the_import_s_reasons_and_kept(targets_db: Path) -> None:
    before = table(targets_db)
    after = {i: dict(r) for i, r in before.items()}
    after[0]["target"] = "87"  # a rate written as a bare number above 1
    after[2]["period_end"] = D(2024, 1, 1)  # before its start
    result = save(targets_db, before, after)
    assert (result.changed, len(result.rejected)) == (0, 2)
    assert result.rejected[0]["reasons"] == [
        'target: "87" is above 1 for a rate: write 87% or 0.87'
    ]
    assert result.rejected[1]["reasons"] == [
        "period_end: 01/01/2024 is before period_start: 01/01/2025"
    ]
    assert [r[3] for r in stored(targets_db)] == [0.87, 611.0, 3.0]  # nothing lost
    kept = query(
        targets_db, "SELECT file_name, record_type, reasons FROM rejected_rows ORDER BY row_number"
    )
    assert [(f, t) for f, t, _ in kept] == [(target_edits.EDIT_FILE_NAME, "targets")] * 2
    assert audit(targets_db) == []


def test_added_and_deleted_rows(targets_db: Path) -> None:
    before = table(targets_db)
    after = {i: dict(r) for i, r in before.items() if i != 2}
    after[7] = {
        "figure": "milestones.paid_employment",
        "period_start": D(2025, 4, 1),
        "period_end": D(2026, 3, 31),
        "target": "4",
        "funding_stream": "Lottery",
        "wording": '=HYPERLINK("x") **work**',
    }
    after[8] = {"figure": None, "period_start": None, "period_end": None, "target": None}  # blank
    result = save(targets_db, before, after)
    assert (result.added, result.changed, result.deleted, result.rejected) == (1, 0, 1, [])
    rows = stored(targets_db)
    assert [(r[0], r[4]) for r in rows] == [
        ("attendance_rate", ""),
        ("peer_support_hours", ""),
        ("milestones.paid_employment", "Lottery"),
    ]
    assert rows[2][5] == '=HYPERLINK("x") **work**'
    assert audit(targets_db) == [
        "added milestones.paid_employment (Lottery, 2025-04-01 to 2026-03-31): 4",
        "deleted mentors_started (Probation, 2025-01-01 to 2025-12-31): 3",
    ]


def test_changing_a_target_s_identity_replaces_it(targets_db: Path) -> None:
    """A new period or stream is another target: the old one goes once the new one landed."""
    before = table(targets_db)
    after = {i: dict(r) for i, r in before.items()}
    after[2]["funding_stream"] = "Probation CRS North"
    after[1]["period_end"] = D(2026, 6, 30)
    result = save(targets_db, before, after)
    assert (result.changed, result.deleted) == (2, 0)
    rows = stored(targets_db)
    assert len(rows) == 3
    assert ("mentors_started", "Probation CRS North") in [(r[0], r[4]) for r in rows]
    assert D(2026, 6, 30) in [r[2] for r in rows if r[0] == "peer_support_hours"]


def test_a_rejected_identity_change_keeps_the_old_target(targets_db: Path) -> None:
    before = table(targets_db)
    after = {i: dict(r) for i, r in before.items()}
    after[2]["funding_stream"] = "x" * 70
    result = save(targets_db, before, after)
    assert len(result.rejected) == 1 and result.changed == 0
    assert ("mentors_started", "Probation") in [(r[0], r[4]) for r in stored(targets_db)]
