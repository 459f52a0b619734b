"""The rejected-rows loop closes: a row is resolved when its key lands later (from any file),
corrected and re-checked, or dismissed with a reason; a closed row stays closed."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import query, run_import

from analysis import catalog, database, exports
from analysis.importer import dismiss_rejected, recheck_rejected
from analysis.metrics import Scope
from analysis.settings import Settings

BAD = "mentor_id,cohort,start_date,status\nPM-7,2025,31/02/2025,active\nPM-8,2025,2025-01-01,gone\n"
FIXED = "Mentor ID,Cohort,Start date,Status\nPM-7,2025,28/02/2025,active\n"


def _statuses(db: Path) -> dict[str, str]:
    rows = query(
        db, "SELECT json_extract_string(original_values, '$.mentor_id'), status FROM rejected_rows"
    )
    return {str(k): str(v) for k, v in rows}


def test_a_rejected_row_whose_key_lands_later_is_resolved_by_itself(
    seeded_db: Path, tmp_path: Path
) -> None:
    run_import(seeded_db, {"joiners.csv": BAD}, tmp_path / "a")
    assert _statuses(seeded_db) == {"PM-7": "open", "PM-8": "open"}
    # the row is fixed in a new file with other headings: the old rejection closes by itself
    assert run_import(seeded_db, {"fixed.csv": FIXED}, tmp_path / "b").landed
    assert _statuses(seeded_db) == {"PM-7": "resolved", "PM-8": "open"}
    note = query(seeded_db, "SELECT closed_note FROM rejected_rows WHERE status = 'resolved'")
    assert note[0][0].startswith("its key was imported (import ")
    assert query(
        seeded_db, "SELECT detail FROM audit_log WHERE action = 'rejected rows resolved'"
    ) == [(f"1 row(s) by import {query(seeded_db, 'SELECT max(import_id) FROM imports')[0][0]}",)]
    # the old file again: its bad row is rejected in the summary but stays closed in the list
    again = run_import(seeded_db, {"joiners.csv": BAD}, tmp_path / "c")
    assert again.files[0].rejected == 2
    assert _statuses(seeded_db) == {"PM-7": "resolved", "PM-8": "open"}
    assert query(seeded_db, "SELECT count(*) FROM rejected_rows") == [(2,)]


def test_a_key_already_stored_does_not_resolve_a_new_rejection(
    seeded_db: Path, tmp_path: Path
) -> None:
    # PM-1 is stored; a wrong row for PM-1 is a real rejection, not one its key resolves
    run_import(
        seeded_db,
        {"m.csv": "mentor_id,cohort,start_date,status\nPM-1,2025,2025-13-01,active\n"},
        tmp_path,
    )
    assert query(seeded_db, "SELECT status FROM rejected_rows") == [("open",)]


def test_corrections_are_rechecked_and_rows_from_two_imports_keep_their_own_numbers(
    seeded_db: Path, tmp_path: Path
) -> None:
    run_import(seeded_db, {"joiners.csv": BAD}, tmp_path / "a")
    other = "mentor_id,cohort,start_date,status\nPM-9,2025,2025-01-01,unknown\n"
    run_import(seeded_db, {"joiners.csv": other}, tmp_path / "b")  # same name, same row 2
    ids = dict(
        query(
            seeded_db,
            "SELECT json_extract_string(original_values, '$.mentor_id'), rejected_id "
            "FROM rejected_rows",
        )
    )
    result = recheck_rejected(
        seeded_db,
        user="ana",
        corrections={
            ids["PM-7"]: {
                "mentor_id": "PM-7",
                "cohort": "2025",
                "start_date": "28/02/2025",
                "status": "active",
            },
            ids["PM-9"]: {
                "mentor_id": "PM-9",
                "cohort": "2025",
                "start_date": "2025-01-01",
                "status": "still wrong",
            },
        },
    )
    (report,) = result.files
    assert (report.read, report.inserted, report.rejected) == (3, 1, 2)
    assert sorted(r["row"] for r in report.rejected_rows) == [2, 3]
    assert _statuses(seeded_db) == {"PM-7": "resolved", "PM-8": "open", "PM-9": "open"}
    stored = query(
        seeded_db,
        "SELECT row_number, reasons FROM rejected_rows "
        "WHERE json_extract_string(original_values, '$.mentor_id') = 'PM-9'",
    )
    assert stored == [
        (2, ['status: "still wrong" is not one of: active, paused, completed, withdrawn'])
    ]
    assert query(
        seeded_db, "SELECT kind, user_name FROM imports ORDER BY import_id DESC LIMIT 1"
    ) == [("correction", "ana")]
    assert query(seeded_db, "SELECT detail FROM audit_log WHERE action = 'correction'") == [
        (
            "import 4: joiners.csv: 3 read, 1 new, 0 updated, 2 rejected "
            "(3 rejected row(s) re-checked, 2 corrected)",
        )
    ]


def test_dismissed_rows_need_a_reason_and_stay_dismissed(seeded_db: Path, tmp_path: Path) -> None:
    run_import(seeded_db, {"joiners.csv": BAD}, tmp_path / "a")
    ids = [r[0] for r in query(seeded_db, "SELECT rejected_id FROM rejected_rows ORDER BY 1")]
    try:
        dismiss_rejected(seeded_db, ids[:1], "  ", "ana")
        raise AssertionError("a dismissal without a reason was accepted")
    except ValueError as exc:
        assert "say why" in str(exc)
    assert dismiss_rejected(seeded_db, ids[:1], "a test row", "ana") == 1
    run_import(seeded_db, {"joiners.csv": BAD}, tmp_path / "b")
    assert _statuses(seeded_db) == {"PM-7": "dismissed", "PM-8": "open"}
    with database.connect(seeded_db) as con:
        counts = catalog.rejected_status_counts(con, Scope(), Settings())
        files = catalog.rejected_files(con, Scope(), Settings())
        rows = catalog.rejected_of_file(con, Scope(), Settings(), file="joiners.csv", sheet=None)
    assert counts == {"open": 1, "resolved": 0, "dismissed": 1}
    assert files == [{"file": "joiners.csv", "sheet": None, "type": "mentors", "open": 1}]
    # the download: why each row was rejected first, then the file's own columns
    text = exports.rejected_file_csv(rows).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "rejected_because,mentor_id,cohort,start_date,status"
    assert lines[1].startswith('"status: ') or lines[1].startswith("status: "), lines[1]
    assert lines[1].endswith(",PM-8,2025,2025-01-01,gone")
    assert "None" not in text
    # corrected in a spreadsheet and imported as it is: the reasons column is ignored
    corrected = text.replace(",gone", ",active")
    result = run_import(seeded_db, {"joiners-rejected.csv": corrected}, tmp_path / "c")
    assert result.landed and [f.inserted for f in result.files] == [1], result.error
    assert any("rejected_because" in c for f in result.files for c in f.ignored_columns)
    assert _statuses(seeded_db)["PM-8"] == "resolved"
    assert query(
        seeded_db,
        "SELECT user_name, detail FROM audit_log WHERE action = 'rejected rows dismissed'",
    ) == [("ana", "1 row(s): a test row")]


def test_rechecking_only_reads_open_rows(seeded_db: Path, tmp_path: Path) -> None:
    run_import(seeded_db, {"joiners.csv": BAD}, tmp_path / "a")
    (first,) = query(seeded_db, "SELECT min(rejected_id) FROM rejected_rows")[0]
    dismiss_rejected(seeded_db, [first], "not ours", None)
    result = recheck_rejected(seeded_db, user="ana")
    assert [f.read for f in result.files] == [1]
    assert (
        json.loads(
            query(seeded_db, "SELECT original_values FROM rejected_rows WHERE status = 'open'")[0][
                0
            ]
        )["mentor_id"]
        == "PM-8"
    )
