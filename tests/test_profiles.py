"""Mapping profiles, grid registers and the Salesforce PMM exports (DATA.md, "Added in the second
release"), against the worked examples copied into tests/samples_round2."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import load_json, query, write_file

from analysis import database, profiles
from analysis.importer import ImportResult, ImportSource, import_files, recheck_rejected
from analysis.metrics import Scope
from analysis.report import build_report
from analysis.settings import Settings

SAMPLES = Path(__file__).parent / "samples_round2"
D = dt.date
T = dt.datetime

# Figures the import decides (what rows land, with what values). The figures whose definitions
# change in the second release (punctuality, the shadowing completion date) belong to the
# metrics; the whole report is compared by ../shared/tools/check_samples.py.
IMPORT_FIGURES = (
    "mentors_active",
    "expected_attendances",
    "attendance_rate",
    "no_show_rate",
    "notice_rate",
    "beneficiaries_reached",
    "events",
    "stages",
    "window",
)


def _import(db: Path, paths: list[Path], profile: str | None = None) -> ImportResult:
    result = import_files(db, [ImportSource.of(p) for p in paths], user="tester", profile=profile)
    assert result.landed, result.error
    return result


def _save(db: Path, profile: dict[str, Any] | Path) -> None:
    text = profile.read_text() if isinstance(profile, Path) else json.dumps(profile)
    with database.connect(db, create=True) as con:
        profiles.save(con, profiles.loads(text), "tester")


def _report(db: Path) -> dict[str, Any]:
    with database.connect(db) as con:
        return build_report(con, Scope(), Settings(), "manager")


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out |= _leaves(v, f"{path}.{k}" if path else str(k))
        return out
    return {path: value}


def _assert_import_figures(got: dict[str, Any], expected: dict[str, Any]) -> None:
    want = _leaves({k: expected[k] for k in IMPORT_FIGURES})
    have = _leaves({k: got[k] for k in IMPORT_FIGURES})
    assert set(have) == set(want)
    for path, value in want.items():
        assert have[path] == (pytest.approx(value) if isinstance(value, float) else value), path


def _worked_example(db: Path, case: str) -> list[ImportResult]:
    spec = load_json(SAMPLES / "expected" / "README.json")["cases"][f"{case}_report_all.json"]
    _save(db, SAMPLES / spec["profile_file"])
    return [_import(db, [SAMPLES / case / f], profile) for profile, f in spec["imports"]]


# ------------------------------------------------------------------------- the profile's JSON


def test_the_worked_examples_profiles_read_and_export_as_they_are() -> None:
    for path in (
        SAMPLES / "pmm" / "example-pmm-sessions.json",
        SAMPLES / "grid" / "example-grid.json",
    ):
        data = json.loads(path.read_text())
        assert profiles.parse(data).as_json() == data


SPEC_EXAMPLE: dict[str, Any] = {
    "name": "Riverside sign-in sheet",
    "record_type": "register",
    "columns": {"mentor_id": "Member code", "scheduled_start": {"date": "Date", "time": "Start"}},
    "fixed": {"session_type": "group_day", "duration_minutes": 300},
    "values": {"attendance": {"Came": "attended", "Sick": "notified_absence"}},
}


def _with(**changes: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(SPEC_EXAMPLE))
    for dotted, value in changes.items():
        target = out
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        target[last] = value
    return out


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (_with(colour="blue"), "unknown key(s) 'colour'"),
        (_with(columns__mentor_code="Member code"), "'mentor_code' is not a column of register"),
        (
            _with(columns__scheduled_start={"date": "Date", "hour": "Start"}),
            "unknown key(s) 'hour'",
        ),
        (_with(columns__mentor_id={"date": "Date", "time": "Start"}), "joins a date column"),
        (_with(values__attendance={"Came": "arrived"}), "'arrived' is not a code of attendance"),
        (_with(values__notes={"x": "y"}), "'notes' is not a code column"),
        (_with(record_type="people"), "record_type must be one of"),
        (_with(form="pivot"), 'form must be "table" or "grid"'),
        (_with(name=""), "name must be text"),
        (_with(grid={"mentor_column": "Mentor"}), '"grid" belongs only to'),
        (
            {
                "name": "g",
                "record_type": "register",
                "form": "grid",
                "grid": {"mentor_column": "M", "session_type": "group_day", "duration": 60},
            },
            "unknown key(s) 'duration'",
        ),
        (
            {
                "name": "g",
                "record_type": "register",
                "form": "grid",
                "grid": {"mentor_column": "M", "sheets": {"May": {"session": "event"}}},
            },
            "unknown key(s) 'session'",
        ),
        (
            {
                "name": "g",
                "record_type": "register",
                "form": "grid",
                "grid": {"mentor_column": "M", "start_time": "25:00"},
            },
            "is not a time",
        ),
        (
            {
                "name": "g",
                "record_type": "register",
                "form": "grid",
                "grid": {"mentor_column": "M", "duration_minutes": 0},
            },
            "1 to 1440",
        ),
    ],
)
def test_a_profile_with_a_typo_is_refused_naming_it(data: dict[str, Any], says: str) -> None:
    with pytest.raises(profiles.ProfileError, match=None) as caught:
        profiles.parse(data)
    assert says in str(caught.value)


def test_the_spec_example_parses() -> None:
    profile = profiles.parse(SPEC_EXAMPLE)
    assert profile.fixed == {"session_type": "group_day", "duration_minutes": "300"}
    assert profile.columns["scheduled_start"] == {"date": "Date", "time": "Start"}


def test_extends_folds_the_parent_in_and_refuses_loops(db: Path) -> None:
    child = profiles.parse(json.loads((SAMPLES / "pmm" / "example-pmm-sessions.json").read_text()))
    whole = profiles.resolve(child, profiles.BUILTINS)
    assert whole.columns["session_id"] == "Id"
    assert whole.values["session_type"]["a0S000000000000002"] == "beneficiary_meeting"
    assert "duration_minutes" in whole.derived
    a = profiles.parse({"name": "a", "record_type": "sessions", "extends": "b"})
    b = profiles.parse({"name": "b", "record_type": "sessions", "extends": "a"})
    with pytest.raises(profiles.ProfileError, match="extends itself"):
        profiles.resolve(a, {"a": a, "b": b})
    with pytest.raises(profiles.ProfileError, match="not a profile"):
        profiles.resolve(
            profiles.parse({"name": "c", "record_type": "sessions", "extends": "zz"}), {}
        )
    with pytest.raises(profiles.ProfileError, match="built-in"):
        _save(db, {"name": "salesforce-pmm-sessions", "record_type": "sessions"})


# ----------------------------------------------------------------------- the command line


def test_profiles_command_line(cli: Callable[..., Any], tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    listed = cli("profiles", "list", "--db", db)
    assert listed.returncode == 0
    assert "salesforce-pmm-engagements" in listed.stdout and not db.exists()
    mine = write_file(tmp_path, "mine.json", json.dumps(SPEC_EXAMPLE))
    done = cli("profiles", "import", mine, "--db", db, "--user", "ana")
    assert done.returncode == 0, done.stderr
    assert "Riverside sign-in sheet" in cli("profiles", "list", "--db", db).stdout
    exported = cli("profiles", "export", "Riverside sign-in sheet", "--db", db)
    assert json.loads(exported.stdout) == profiles.parse(SPEC_EXAMPLE).as_json()
    shown = json.loads(cli("profiles", "show", "salesforce-pmm-deliveries", "--db", db).stdout)
    assert shown["values"]["attendance"]["Present"] == "attended"
    assert "minutes_attended" in shown["built_in_readings"]
    refused = cli("profiles", "delete", "salesforce-pmm-sessions", "--db", db)
    assert refused.returncode == 1 and "built-in" in refused.stderr
    bad = write_file(tmp_path, "bad.json", json.dumps(_with(colour="blue")))
    refused = cli("profiles", "import", bad, "--db", db)
    assert refused.returncode == 1 and "colour" in refused.stderr
    assert cli("profiles", "delete", "Riverside sign-in sheet", "--db", db).returncode == 0
    assert "Riverside" not in cli("profiles", "list", "--db", db).stdout
    audit = query(db, "SELECT action, user_name FROM audit_log ORDER BY logged_at")
    assert audit == [("profile saved", "ana"), ("profile deleted", None)]
    unknown = cli("import", "--db", db, "--profile", "nope", mine)
    assert unknown.returncode == 1 and "no mapping profile named 'nope'" in unknown.stderr


# ------------------------------------------------------------------ Salesforce PMM exports


@pytest.fixture(scope="module")
def pmm_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("pmm") / "pmm.duckdb"
    _worked_example(db, "pmm")
    return db


def test_pmm_worked_example_figures(pmm_db: Path) -> None:
    expected = load_json(SAMPLES / "expected" / "pmm_report_all.json")
    got = _report(pmm_db)
    _assert_import_figures(got, expected)
    milestones = {k: v for k, v in expected["milestones"].items() if k != "shadowing_completed"}
    assert {k: got["milestones"].get(k) for k in milestones} == milestones


def test_pmm_engagements_read_stage_and_refuse_applicants(pmm_db: Path) -> None:
    rejected = query(
        pmm_db,
        "SELECT row_number, reasons, profile FROM rejected_rows "
        "WHERE file_name = 'pmdm__ProgramEngagement__c.csv' ORDER BY row_number",
    )
    # applicants have no start date yet either: both reasons are given
    assert [r[1] for r in rejected] == [
        ["start_date is missing", 'status: "Applied": not yet a mentor'],
        ["start_date is missing", 'status: "Waitlisted": not yet a mentor'],
    ]
    assert {r[2] for r in rejected} == {"salesforce-pmm-engagements"}
    assert query(pmm_db, "SELECT status, count(*) FROM mentors GROUP BY 1 ORDER BY 1") == [
        ("active", 6),
        ("completed", 16),
        ("withdrawn", 8),
    ]
    # the Contact Id is the code; the engagement's Name (a person's record name) is not kept
    assert query(pmm_db, "SELECT count(*) FROM mentors WHERE mentor_id LIKE 'PE-%'") == [(0,)]


def test_pmm_sessions_are_in_local_time_with_their_duration(pmm_db: Path) -> None:
    # 09:00 UTC in July is 10:00 British Summer Time; in January it is 09:00
    rows = query(
        pmm_db,
        "SELECT session_id, scheduled_start, duration_minutes, staff_id, session_type "
        "FROM sessions WHERE session_id IN ('a0X000000000000001', 'a0X000000000000002', "
        "'a0X000000000000022')",
    )
    assert sorted(rows) == [
        ("a0X000000000000001", T(2024, 7, 27, 10, 0), 150, "ST-07", "shadowing"),
        ("a0X000000000000002", T(2024, 8, 4, 10, 0), 90, "ST-01", "shadowing"),
        ("a0X000000000000022", T(2025, 1, 6, 11, 0), 90, "OW-02", "beneficiary_meeting"),
    ]


def test_pmm_deliveries_cancelled_sessions_and_minutes(pmm_db: Path) -> None:
    cancelled = query(
        pmm_db,
        "SELECT count(*) FROM attendance WHERE attendance = 'cancelled_by_programme'",
    )
    assert cancelled == [(17,)]
    minutes = dict(
        query(
            pmm_db,
            "SELECT session_id, minutes_attended FROM attendance WHERE session_id IN "
            "('a0X000000000000005', 'a0X000000000000006', 'a0X000000000000007')",
        )
    )
    assert minutes == {
        "a0X000000000000005": None,  # 1 "Sessions": not minutes
        "a0X000000000000006": 150,  # 150 Minutes
        "a0X000000000000007": 120,  # 2 Hours
    }
    assert query(pmm_db, "SELECT count(*) FROM attendance WHERE arrival IS NOT NULL") == [(0,)]
    logged = query(pmm_db, "SELECT file_name, profile FROM import_files ORDER BY import_id")
    assert logged[:3] == [
        ("pmdm__ProgramEngagement__c.csv", "salesforce-pmm-engagements"),
        ("pmdm__ServiceSession__c.csv", "example-pmm-sessions"),
        ("pmdm__ServiceDelivery__c.csv", "salesforce-pmm-deliveries"),
    ]


def test_pmm_files_are_matched_by_header_without_naming_the_profile(tmp_path: Path) -> None:
    db = tmp_path / "auto.duckdb"
    _save(db, SAMPLES / "pmm" / "example-pmm-sessions.json")
    # the sessions file fits the built-in and the saved profile that extends it: the saved one
    result = _import(
        db,
        [
            SAMPLES / "pmm" / f
            for f in ("pmdm__ProgramEngagement__c.csv", "pmdm__ServiceSession__c.csv")
        ],
    )
    assert [f.profile for f in result.files] == [
        "salesforce-pmm-engagements",
        "example-pmm-sessions",
    ]
    assert query(db, "SELECT count(*) FROM sessions") == [(923,)]


# ---------------------------------------------------------------------------- grid registers


@pytest.fixture(scope="module")
def grid_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("grid") / "grid.duckdb"
    _worked_example(db, "grid")
    return db


def test_grid_worked_example_figures(grid_db: Path) -> None:
    expected = load_json(SAMPLES / "expected" / "grid_report_all.json")
    _assert_import_figures(_report(grid_db), expected)


def test_grid_cells_become_register_rows(grid_db: Path) -> None:
    sessions = query(
        grid_db,
        "SELECT scheduled_start, session_type, duration_minutes, count(a.mentor_id) "
        "FROM sessions s JOIN attendance a USING (session_id) WHERE s.session_id LIKE 'R-%' "
        "GROUP BY ALL ORDER BY 1",
    )
    assert len(sessions) == 19  # one sheet a month, one date a sheet
    assert sessions[0] == (T(2024, 6, 15, 10, 0), "group_day", 300, 1)
    assert sessions[4] == (T(2024, 10, 15, 10, 0), "group_day", 300, 6)
    rows = dict(
        query(
            grid_db,
            "SELECT a.mentor_id, (a.attendance, a.arrival) FROM attendance a JOIN sessions s "
            "USING (session_id) WHERE s.scheduled_start = '2024-10-15 10:00' "
            "AND s.session_id LIKE 'R-%'",
        )
    )
    assert rows == {
        "PM-0002": ("late", T(2024, 10, 15, 10, 11)),  # "L 10:11"
        "PM-0005": ("late", None),  # "L"
        "PM-0008": ("notified_absence", None),  # "A"
        "PM-0011": ("attended", None),  # "P"
        "PM-0013": ("attended", None),  # "/"
        "PM-0027": ("no_show", None),  # "X"
    }


def test_reimporting_a_grid_changes_nothing(grid_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "again.duckdb"
    shutil.copy(grid_db, db)
    before = query(db, "SELECT count(*) FROM sessions UNION ALL SELECT count(*) FROM attendance")
    result = _import(db, [SAMPLES / "grid" / "group-days.xlsx"], "example-grid")
    assert len(result.files) == 19
    assert sum(f.inserted + f.updated for f in result.files) == 0
    assert sum(f.unchanged for f in result.files) == sum(f.read for f in result.files) > 150
    after = query(db, "SELECT count(*) FROM sessions UNION ALL SELECT count(*) FROM attendance")
    assert after == before


def _grid_book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


GRID = {
    "name": "Hub register",
    "record_type": "register",
    "form": "grid",
    "values": {"attendance": {"S": "notified_absence"}},
    "grid": {
        "mentor_column": "Mentor",
        "session_type": "group_day",
        "start_time": "10:00",
        "duration_minutes": 240,
        "staff_id": "ST-1",
        "sheets": {"March": {"session_type": "event", "event_name": "International Women's Day"}},
    },
}


def test_a_grid_with_a_bad_mark_rejects_that_cell_naming_sheet_row_column_and_date(
    seeded_db: Path, tmp_path: Path
) -> None:
    _save(seeded_db, GRID)
    path = _grid_book(
        tmp_path / "registers.xlsx",
        {
            "February": [
                ["Mentor", "Notes", D(2025, 2, 14), "21/02/2025 13:30"],
                ["PM-1", "new", "✓", "S"],
                ["PM-2", None, "L 10:20", None],
            ],
            "March": [
                [
                    "Mentor",
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "08/03/2025",
                ],
                *[[f"PM-{n}"] + [None] * 10 + ["Y"] for n in (1, 1, 1, 1, 1)],
                ["PM-2", None, None, None, None, None, None, None, None, None, None, "?"],
            ],
        },
    )
    # matched by its header: the saved grid profile names the "Mentor" column
    result = _import(seeded_db, [path])
    feb, march = result.files
    assert (feb.profile, feb.sheet, feb.read, feb.inserted, feb.rejected) == (
        "Hub register",
        "February",
        3,
        3,
        0,
    )
    assert any("ignored column(s) Notes" in n for n in feb.notes)
    assert march.rejected == 1
    assert march.rejected_rows[0]["reasons"] == [
        'sheet "March", row 7, column L (08/03/2025): mark "?" is not a known mark'
    ]
    assert march.rejected_rows[0]["row"] == 7
    assert march.rejected_rows[0]["values"] == {"Mentor": "PM-2", "08/03/2025": "?"}
    assert (march.read, march.inserted, march.duplicates) == (6, 1, 4)
    got = query(
        seeded_db,
        "SELECT s.scheduled_start, s.session_type, s.event_name, s.staff_id, a.mentor_id, "
        "a.attendance, a.arrival FROM attendance a JOIN sessions s USING (session_id) "
        "WHERE s.session_id LIKE 'R-%' ORDER BY 1, 5",
    )
    assert got == [
        (T(2025, 2, 14, 10), "group_day", None, "ST-1", "PM-1", "attended", None),
        (T(2025, 2, 14, 10), "group_day", None, "ST-1", "PM-2", "late", T(2025, 2, 14, 10, 20)),
        (T(2025, 2, 21, 13, 30), "group_day", None, "ST-1", "PM-1", "notified_absence", None),
        (T(2025, 3, 8, 10), "event", "International Women's Day", "ST-1", "PM-1", "attended", None),
    ]
    # corrected on the Data page: the mark becomes "A"; the cell lands and the row is resolved
    (rid,) = query(seeded_db, "SELECT rejected_id FROM rejected_rows")[0]
    fixed = recheck_rejected(
        seeded_db, user="tester", corrections={rid: {"Mentor": "PM-2", "08/03/2025": "A"}}
    )
    assert [f.inserted for f in fixed.files] == [1]
    assert query(seeded_db, "SELECT status FROM rejected_rows") == [("resolved",)]
    assert query(
        seeded_db,
        "SELECT a.attendance, s.session_type FROM attendance a JOIN sessions s USING (session_id) "
        "WHERE a.mentor_id = 'PM-2' AND s.scheduled_start = '2025-03-08 10:00'",
    ) == [("notified_absence", "event")]


def test_a_grids_warnings_name_the_sheet_row_of_their_cell(seeded_db: Path, tmp_path: Path) -> None:
    """A late mark inside the grace period warns with the grid's own row (the sheet row of the
    mentor), not the number of the cell among those read (3 here), and names the sheet."""
    _save(seeded_db, GRID)
    path = _grid_book(
        tmp_path / "registers.xlsx",
        {
            "Cover": [["Hub registers, spring"]],
            "April": [
                ["Mentor", D(2025, 4, 4), D(2025, 4, 11)],
                ["PM-1", "✓", "✓"],
                [None, None, None],  # a blank row: not a record, but it keeps its number
                ["PM-2", "L 10:03", "✓"],  # late by 3 minutes, inside the 5-minute grace
            ],
        },
    )
    result = _import(seeded_db, [path])
    assert result.landed, result.error
    (april,) = [f for f in result.files if f.sheet == "April"]
    assert (april.read, april.inserted, april.warnings) == (4, 4, 1)
    assert april.warning_messages == [
        "row 4: marked late but arrived 3 minute(s) after the start, within the 5-minute grace "
        "period, so it counts as on time"
    ]
    assert query(
        seeded_db, "SELECT file_name, row_number FROM import_warnings ORDER BY row_number"
    ) == [('registers.xlsx, sheet "April"', 4)]


def test_a_csv_grid_with_dates_and_times_in_its_header(seeded_db: Path, tmp_path: Path) -> None:
    _save(seeded_db, GRID)
    path = write_file(
        tmp_path,
        "grid.csv",
        "Mentor,2025-05-01,2025-05-08 18:00,Total\nPM-1,DNA,p,2\nPM-2,,AP,1\n",
    )
    report = _import(seeded_db, [path], "Hub register").files[0]
    assert (report.read, report.inserted, report.rejected, report.sheet) == (3, 3, 0, None)
    assert query(
        seeded_db,
        "SELECT s.scheduled_start, a.mentor_id, a.attendance FROM attendance a "
        "JOIN sessions s USING (session_id) WHERE s.session_id LIKE 'R-%' ORDER BY 1, 2",
    ) == [
        (T(2025, 5, 1, 10), "PM-1", "no_show"),
        (T(2025, 5, 8, 18), "PM-1", "attended"),
        (T(2025, 5, 8, 18), "PM-2", "notified_absence"),
    ]


# -------------------------------------------------------------------------- a table profile

FOREIGN = """\
Member code,Date,Start,Came?,Comments,Branch
PM-1,03/04/2025,10:00,Came,"first, good",Leeds
PM-2,03/04/2025,10:00,Sick,,Leeds
PM-1,10/04/2025,,Came,,Leeds
PM-2,10/04/2025,10:00,Asleep,,Leeds
"""


def test_a_foreign_csv_read_by_a_saved_profile(seeded_db: Path, tmp_path: Path) -> None:
    profile = _with(columns__notes="Comments", columns__attendance="Came?")
    _save(seeded_db, profile)
    path = write_file(tmp_path, "riverside.csv", FOREIGN)
    result = _import(seeded_db, [path])  # matched by its header
    report = result.files[0]
    assert (report.profile, report.read, report.inserted, report.rejected) == (
        "Riverside sign-in sheet",
        4,
        2,
        2,
    )
    assert report.ignored_columns == ["Branch"]
    reasons = {r["row"]: r["reasons"] for r in report.rejected_rows}
    assert reasons[4] == [
        'scheduled_start: "10/04/2025" is not a date and time '
        "(use YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM)"
    ]
    assert reasons[5][0].startswith('attendance: "Asleep" is not one of')
    # the rejected rows keep the file's own columns and values, for correcting and re-importing
    stored = query(
        seeded_db, "SELECT original_values, profile FROM rejected_rows ORDER BY row_number"
    )
    assert json.loads(stored[0][0]) == {
        "Member code": "PM-1",
        "Date": "10/04/2025",
        "Start": None,
        "Came?": "Came",
        "Comments": None,
        "Branch": "Leeds",
    }
    assert stored[0][1] == "Riverside sign-in sheet"
    assert query(
        seeded_db,
        "SELECT a.mentor_id, a.attendance, a.notes, s.session_type, s.duration_minutes, "
        "s.scheduled_start FROM attendance a JOIN sessions s USING (session_id) "
        "WHERE s.session_id LIKE 'R-%' ORDER BY 1",
    ) == [
        ("PM-1", "attended", "first, good", "group_day", 300, T(2025, 4, 3, 10)),
        ("PM-2", "notified_absence", None, "group_day", 300, T(2025, 4, 3, 10)),
    ]
    assert query(seeded_db, "SELECT profile FROM import_files WHERE import_id > 1") == [
        ("Riverside sign-in sheet",)
    ]


def test_a_profile_naming_a_column_the_file_lacks_refuses_the_file(
    seeded_db: Path, tmp_path: Path
) -> None:
    _save(seeded_db, SPEC_EXAMPLE)
    path = write_file(tmp_path, "other.csv", "Member code,Date\nPM-1,03/04/2025\n")
    result = import_files(
        seeded_db, [ImportSource.of(path)], profile="Riverside sign-in sheet", user="t"
    )
    assert not result.landed
    assert result.error == (
        "other.csv: the mapping profile 'Riverside sign-in sheet' reads the column 'Start', "
        "which the file lacks"
    )


def test_leaving_reason_and_its_synonyms(seeded_db: Path, tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "mentors.csv",
        "mentor_id,cohort,start_date,status,Leaving reason\n"
        "PM-30,2025,2025-01-01,withdrawn,Paid work\nPM-31,2025,2025-01-01,withdrawn,custody/recall\n"
        "PM-32,2025,2025-01-01,withdrawn,lost contact\nPM-33,2025,2025-01-01,active,\n"
        "PM-34,2025,2025-01-01,withdrawn,bored\n",
    )
    report = _import(seeded_db, [path]).files[0]
    assert (report.inserted, report.rejected) == (4, 1)
    assert report.rejected_rows[0]["reasons"][0].startswith('leaving_reason: "bored" is not one of')
    assert query(
        seeded_db,
        "SELECT mentor_id, leaving_reason FROM mentors WHERE mentor_id > 'PM-3' ORDER BY 1",
    ) == [("PM-30", "employment"), ("PM-31", "custody"), ("PM-32", "disengaged"), ("PM-33", None)]
