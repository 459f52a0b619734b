"""DATA.md, rule by rule: each row of a table is an import row and what must become of it.

The base database holds mentors PM-1 (from 2025-01-01) and PM-2 (from 2025-03-01), session S-1
(shadowing, 2025-04-01 10:00, 60 minutes) and S-2 (a beneficiary meeting, 2025-04-02 14:30).
The rows of ACCEPTED and REJECTED are imported together, one file per record type, each row
with a key of its own (mentor PM-M<n> or PM-C<n>, session S-C<n>) so that no row affects
another; each test then looks at what became of its row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import query, run_import, write_file

from analysis import clock, database
from analysis.import_sql import MAX_LISTED
from analysis.importer import FileReport, ImportResult

D = dt.date
T = dt.datetime

# A valid row of each record type (n numbers the case); a case overrides some of its cells.
TEMPLATES: dict[str, dict[str, str]] = {
    "mentors": {
        "mentor_id": "PM-M{n}",
        "cohort": "2025 spring",
        "start_date": "2025-01-01",
        "status": "active",
    },
    "sessions": {
        "session_id": "S-C{n}",
        "session_type": "training",
        "scheduled_start": "2025-04-03 10:00",
        "duration_minutes": "60",
    },
    "attendance": {"session_id": "S-1", "mentor_id": "PM-C{n}", "attendance": "attended"},
    "register": {
        "mentor_id": "PM-C{n}",
        "session_type": "group_day",
        "scheduled_start": "2025-04-05 10:00",
        "duration_minutes": "300",
        "attendance": "attended",
    },
    "stage_assessments": {"mentor_id": "PM-C{n}", "assessed_on": "2025-04-10", "stage": "3"},
    "milestones": {
        "mentor_id": "PM-C{n}",
        "milestone": "volunteering",
        "achieved_on": "2025-05-01",
    },
}
TABLE = {"register": "attendance"}
# The column that tells the cases' stored rows apart.
IDENTITY = {"mentors": "mentor_id", "sessions": "session_id"}


def csv_text(rows: list[dict[str, str]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def only_file(result: ImportResult) -> FileReport:
    assert result.landed, result.error
    assert len(result.files) == 1
    return result.files[0]


def case_row(kind: str, n: int, cells: dict[str, str]) -> dict[str, str]:
    return {k: v.format(n=n) for k, v in TEMPLATES[kind].items()} | cells


@dataclass
class Outcome:
    """What became of one case's row."""

    file: FileReport
    row_number: int
    values: dict[str, str]  # the row as written
    stored: dict[str, Any] | None  # the stored row (with its session's columns), if accepted
    rejected: dict[str, Any] | None  # the rejected row as the file report lists it
    stored_reasons: list[str] | None  # the reasons kept in rejected_rows


def _case_key(kind: str, cells: dict[str, str]) -> str:
    return kind + repr(sorted(cells.items()))


@pytest.fixture(scope="module")
def outcomes(base_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    folder = tmp_path_factory.mktemp("rules")
    db = folder / "rules.duckdb"
    shutil.copy(base_db, db)
    cases = [(c[0], c[1]) for c in ACCEPTED + REJECTED]
    assert len({_case_key(*c) for c in cases}) == len(cases), "a case is listed twice"
    helpers = "mentor_id,cohort,start_date,status\n" + "".join(
        f"PM-C{n},helpers,2025-01-01,active\n" for n in range(len(cases))
    )
    assert run_import(db, {"helpers.csv": helpers}, folder).landed
    by_kind: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for n, (kind, cells) in enumerate(cases):
        by_kind.setdefault(kind, []).append((n, case_row(kind, n, cells)))
    out: dict[str, Outcome] = {}
    for kind, rows in by_kind.items():
        text = csv_text([row for _, row in rows])
        result = run_import(db, {f"{kind}.csv": text}, folder, record_type=kind)
        report = only_file(result)
        table = TABLE.get(kind, kind)
        identity = IDENTITY.get(kind, "mentor_id")
        sql = f"SELECT * FROM {table} WHERE import_id = $id"
        if table == "attendance":
            sql = (
                "SELECT s.* EXCLUDE (import_id, is_demo), t.* FROM attendance t "
                "JOIN sessions s USING (session_id) WHERE t.import_id = $id"
            )
        with database.connect(db) as con:
            cur = con.execute(sql, {"id": result.import_id})
            names = [d[0] for d in cur.description]
            stored = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            kept = dict(
                con.execute(
                    "SELECT row_number, reasons FROM rejected_rows WHERE import_id = $id",
                    {"id": result.import_id},
                ).fetchall()
            )
        by_identity = {r[identity]: r for r in stored}
        assert len(by_identity) == len(stored)
        rejected = {r["row"]: r for r in report.rejected_rows}
        for i, (n, row) in enumerate(rows):
            number = i + 2
            key = row[identity].strip()
            out[_case_key(kind, cases[n][1])] = Outcome(
                report, number, row, by_identity.get(key), rejected.get(number), kept.get(number)
            )
    return out


LONG_64 = "C" * 64
LONG_65 = "C" * 65
TEXT_2000 = "t" * 2000
TEXT_2001 = "t" * 2001

# kind, cells of the row, stored column, stored value
ACCEPTED = [
    # dates: ISO, UK day-first with one or two digits, two-digit years are 20YY
    ("mentors", {"start_date": "2025-04-03"}, "start_date", D(2025, 4, 3)),
    ("mentors", {"start_date": "03/04/2025"}, "start_date", D(2025, 4, 3)),
    ("mentors", {"start_date": "3/4/2025"}, "start_date", D(2025, 4, 3)),
    ("mentors", {"start_date": "03/04/25"}, "start_date", D(2025, 4, 3)),
    ("mentors", {"start_date": "3/4/25"}, "start_date", D(2025, 4, 3)),
    ("mentors", {"start_date": "31/12/99"}, "start_date", D(2099, 12, 31)),
    ("mentors", {"start_date": "29/02/2024"}, "start_date", D(2024, 2, 29)),
    ("mentors", {"start_date": " 2025-04-03 "}, "start_date", D(2025, 4, 3)),
    ("mentors", {"end_date": "30/06/2025"}, "end_date", D(2025, 6, 30)),
    ("mentors", {"end_date": ""}, "end_date", None),
    ("stage_assessments", {"assessed_on": "10/4/25"}, "assessed_on", D(2025, 4, 10)),
    ("milestones", {"achieved_on": "01/05/2025"}, "achieved_on", D(2025, 5, 1)),
    # date-times: a date, a space or T, HH:MM or HH:MM:SS
    ("sessions", {"scheduled_start": "2025-04-03 09:30"}, "scheduled_start", T(2025, 4, 3, 9, 30)),
    ("sessions", {"scheduled_start": "2025-04-03T09:30"}, "scheduled_start", T(2025, 4, 3, 9, 30)),
    (
        "sessions",
        {"scheduled_start": "2025-04-03 09:30:15"},
        "scheduled_start",
        T(2025, 4, 3, 9, 30, 15),
    ),
    (
        "sessions",
        {"scheduled_start": "03/04/2025T09:30:15"},
        "scheduled_start",
        T(2025, 4, 3, 9, 30, 15),
    ),
    ("sessions", {"scheduled_start": "03/04/2025 09:30"}, "scheduled_start", T(2025, 4, 3, 9, 30)),
    ("sessions", {"scheduled_start": "3/4/25 09:30"}, "scheduled_start", T(2025, 4, 3, 9, 30)),
    # a zone (Salesforce's UTC, an offset) is converted to local time, Europe/London: British
    # Summer Time from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last of October
    *[
        ("sessions", {"scheduled_start": text}, "scheduled_start", local)
        for text, local in [
            ("2025-04-03T10:00+01:00", T(2025, 4, 3, 10, 0)),
            ("2025-04-03T09:00:00.000Z", T(2025, 4, 3, 10, 0)),
            ("2025-01-15T09:00:00.000Z", T(2025, 1, 15, 9, 0)),
            ("2025-03-30T00:59:00Z", T(2025, 3, 30, 0, 59)),
            ("2025-03-30T01:00:00Z", T(2025, 3, 30, 2, 0)),
            ("2025-10-26T00:30:00Z", T(2025, 10, 26, 1, 30)),
            ("2025-10-26T01:30:00Z", T(2025, 10, 26, 1, 30)),
            ("2025-07-01 18:00-04:00", T(2025, 7, 1, 23, 0)),
            ("2025-07-01T08:00:00+0530", T(2025, 7, 1, 3, 30)),
        ]
    ],
    # arrival_time, S-1 starts 2025-04-01 10:00: HH:MM is that day; or a full date-time
    ("attendance", {"arrival_time": "10:07"}, "arrival", T(2025, 4, 1, 10, 7)),
    ("attendance", {"arrival_time": "09:55"}, "arrival", T(2025, 4, 1, 9, 55)),
    ("attendance", {"arrival_time": "10:07:30"}, "arrival", T(2025, 4, 1, 10, 7, 30)),
    ("attendance", {"arrival_time": "2025-04-01 10:07"}, "arrival", T(2025, 4, 1, 10, 7)),
    ("attendance", {"arrival_time": "01/04/2025T10:07:30"}, "arrival", T(2025, 4, 1, 10, 7, 30)),
    ("attendance", {"arrival_time": "22:00"}, "arrival", T(2025, 4, 1, 22, 0)),  # 12 h exactly
    ("attendance", {"arrival_time": "2025-03-31 22:00"}, "arrival", T(2025, 3, 31, 22, 0)),
    ("attendance", {"arrival_time": ""}, "arrival", None),
    ("register", {"arrival_time": "10:12"}, "arrival", T(2025, 4, 5, 10, 12)),
    # attendance codes and every synonym, matched case-insensitively, spaces = hyphens = _
    *[
        ("attendance", {"attendance": word}, "attendance", code)
        for word, code in [
            ("attended", "attended"),
            ("late", "late"),
            ("notified_absence", "notified_absence"),
            ("no_show", "no_show"),
            ("cancelled_by_programme", "cancelled_by_programme"),
            ("present", "attended"),
            ("yes", "attended"),
            ("y", "attended"),
            ("attended on time", "attended"),
            ("arrived late", "late"),
            ("apologies", "notified_absence"),
            ("absent with notice", "notified_absence"),
            ("called in", "notified_absence"),
            ("notified", "notified_absence"),
            ("dna", "no_show"),
            ("absent", "no_show"),
            ("no-show", "no_show"),
            ("no show", "no_show"),
            ("cancelled", "cancelled_by_programme"),
            ("session cancelled", "cancelled_by_programme"),
            ("cancelled by staff", "cancelled_by_programme"),
            ("Present", "attended"),
            (" YES ", "attended"),
            ("Arrived-Late", "late"),
            ("Notified Absence", "notified_absence"),
            ("DNA", "no_show"),
            ("No_Show", "no_show"),
            ("Cancelled  by   staff", "cancelled_by_programme"),
            ("cancelled-by-programme", "cancelled_by_programme"),
        ]
    ],
    ("register", {"attendance": "Arrived late"}, "attendance", "late"),
    # stages: numbers, or names with any case, spaces, hyphens or underscores
    *[
        ("stage_assessments", {"stage": word}, "stage", stage)
        for word, stage in [
            ("1", 1),
            ("7", 7),
            (" 4 ", 4),
            ("immobilisation", 1),
            ("Minimisation", 2),
            ("self-doubt", 3),
            ("Self doubt", 3),
            ("SELF_DOUBT", 3),
            ("letting go", 4),
            ("Letting-Go", 4),
            ("testing", 5),
            ("Search for meaning", 6),
            ("search-for-meaning", 6),
            ("INTERNALISATION", 7),
        ]
    ],
    # the other code lists
    ("mentors", {"status": "Paused"}, "status", "paused"),
    ("mentors", {"status": " WITHDRAWN "}, "status", "withdrawn"),
    ("mentors", {"gender": ""}, "gender", "not stated"),
    ("mentors", {"gender": "Not stated"}, "gender", "not stated"),
    ("mentors", {"gender": "not_stated"}, "gender", "not stated"),
    ("mentors", {"gender": "Non-Binary"}, "gender", "non-binary"),
    ("mentors", {"gender": "non binary"}, "gender", "non-binary"),
    ("mentors", {"gender": "FEMALE"}, "gender", "female"),
    ("mentors", {"age_band": "55+"}, "age_band", "55+"),
    ("mentors", {"age_band": "18 24"}, "age_band", "18-24"),
    ("mentors", {"age_band": ""}, "age_band", None),
    ("sessions", {"session_type": "Beneficiary meeting"}, "session_type", "beneficiary_meeting"),
    ("sessions", {"session_type": "GROUP-DAY"}, "session_type", "group_day"),
    ("sessions", {"session_type": "Event"}, "session_type", "event"),
    ("register", {"session_type": "Shadowing"}, "session_type", "shadowing"),
    ("milestones", {"milestone": "Paid employment"}, "milestone", "paid_employment"),
    (
        "milestones",
        {"milestone": "accredited-qualification"},
        "milestone",
        "accredited_qualification",
    ),
    # whole numbers in range
    ("sessions", {"duration_minutes": "1"}, "duration_minutes", 1),
    ("sessions", {"duration_minutes": "1440"}, "duration_minutes", 1440),
    ("sessions", {"duration_minutes": " 90 "}, "duration_minutes", 90),
    ("attendance", {"minutes_attended": "0"}, "minutes_attended", 0),
    ("attendance", {"minutes_attended": "1440"}, "minutes_attended", 1440),
    ("attendance", {"minutes_attended": ""}, "minutes_attended", None),
    ("stage_assessments", {"self_esteem": "0"}, "self_esteem", 0),
    ("stage_assessments", {"self_esteem": "30"}, "self_esteem", 30),
    ("stage_assessments", {"self_esteem": ""}, "self_esteem", None),
    # codes: up to 64 characters, trimmed; free text up to 2,000 characters
    ("mentors", {"mentor_id": LONG_64}, "mentor_id", LONG_64),
    ("mentors", {"mentor_id": "  PM-77  "}, "mentor_id", "PM-77"),
    ("mentors", {"cohort": LONG_64}, "cohort", LONG_64),
    ("mentors", {"outreach_worker": LONG_64}, "outreach_worker", LONG_64),
    ("mentors", {"region": TEXT_2000}, "region", TEXT_2000),
    ("mentors", {"region": '£5 – Leeds, "north"'}, "region", '£5 – Leeds, "north"'),
    ("sessions", {"session_id": LONG_64}, "session_id", LONG_64),
    ("sessions", {"staff_id": LONG_64}, "staff_id", LONG_64),
    ("sessions", {"beneficiary_id": LONG_64}, "beneficiary_id", LONG_64),
    ("sessions", {"location": TEXT_2000}, "location", TEXT_2000),
    ("sessions", {"event_name": TEXT_2000}, "event_name", TEXT_2000),
    ("attendance", {"notes": TEXT_2000}, "notes", TEXT_2000),
    ("attendance", {"notes": "line one\nline two"}, "notes", "line one\nline two"),
    ("stage_assessments", {"assessor": LONG_64}, "assessor", LONG_64),
    ("stage_assessments", {"notes": TEXT_2000}, "notes", TEXT_2000),
    ("milestones", {"notes": TEXT_2000}, "notes", TEXT_2000),
    # values are data, never code
    ("mentors", {"mentor_id": '=HYPERLINK("x")'}, "mentor_id", '=HYPERLINK("x")'),
    (
        "mentors",
        {"mentor_id": "'; DROP TABLE mentors; --"},
        "mentor_id",
        "'; DROP TABLE mentors; --",
    ),
    ("mentors", {"mentor_id": "+44 7700"}, "mentor_id", "+44 7700"),
    ("mentors", {"mentor_id": "@SUM(A1)"}, "mentor_id", "@SUM(A1)"),
    ("mentors", {"mentor_id": "-1"}, "mentor_id", "-1"),
    ("mentors", {"cohort": "=1+1"}, "cohort", "=1+1"),
    ("sessions", {"session_id": "0012"}, "session_id", "0012"),
    ("attendance", {"notes": "=cmd|' /C calc'!A0"}, "notes", "=cmd|' /C calc'!A0"),
]


def _ids(cases: list[tuple[Any, ...]]) -> list[str]:
    return [f"{c[0]}-{c[2]}-{str(next(iter(c[1].values())))[:24]!r}" for c in cases]


@pytest.mark.parametrize(("kind", "cells", "column", "expected"), ACCEPTED, ids=_ids(ACCEPTED))
def test_accepted_value_is_stored(
    outcomes: dict[str, Outcome], kind: str, cells: dict[str, str], column: str, expected: Any
) -> None:
    outcome = outcomes[_case_key(kind, cells)]
    assert outcome.rejected is None
    assert outcome.stored is not None
    assert outcome.stored[column] == expected


# kind, cells of the row, the column the reason names, what else the reason must say
REJECTED = [
    # required values missing
    ("mentors", {"mentor_id": ""}, "mentor_id", "is missing"),
    ("mentors", {"cohort": ""}, "cohort", "is missing"),
    ("mentors", {"start_date": ""}, "start_date", "is missing"),
    ("mentors", {"status": ""}, "status", "is missing"),
    ("sessions", {"session_type": ""}, "session_type", "is missing"),
    ("sessions", {"scheduled_start": ""}, "scheduled_start", "is missing"),
    ("sessions", {"duration_minutes": ""}, "duration_minutes", "is missing"),
    ("attendance", {"attendance": ""}, "attendance", "is missing"),
    ("attendance", {"mentor_id": " "}, "mentor_id", "is missing"),
    ("register", {"scheduled_start": ""}, "scheduled_start", "is missing"),
    ("register", {"duration_minutes": ""}, "duration_minutes", "is missing"),
    ("stage_assessments", {"stage": ""}, "stage", "is missing"),
    ("milestones", {"achieved_on": ""}, "achieved_on", "is missing"),
    # dates that are not dates
    ("mentors", {"start_date": "31/02/2025"}, "start_date", '"31/02/2025"'),
    ("mentors", {"start_date": "29/02/2025"}, "start_date", '"29/02/2025"'),
    ("mentors", {"start_date": "2025-02-30"}, "start_date", '"2025-02-30"'),
    ("mentors", {"start_date": "13/13/2025"}, "start_date", '"13/13/2025"'),
    ("mentors", {"start_date": "2025-13-01"}, "start_date", '"2025-13-01"'),
    ("mentors", {"start_date": "03-04-2025"}, "start_date", '"03-04-2025"'),
    ("mentors", {"start_date": "3 April 2025"}, "start_date", '"3 April 2025"'),
    ("mentors", {"start_date": "03/04/025"}, "start_date", '"03/04/025"'),
    ("mentors", {"end_date": "soon"}, "end_date", '"soon"'),
    ("stage_assessments", {"assessed_on": "2025-04-10 10:00"}, "assessed_on", '"2025-04-10 10:00"'),
    ("milestones", {"achieved_on": "31/04/2025"}, "achieved_on", '"31/04/2025"'),
    # date-times that are not date-times (a date alone, impossible times or zones)
    ("sessions", {"scheduled_start": "2025-04-03"}, "scheduled_start", '"2025-04-03"'),
    ("sessions", {"scheduled_start": "2025-04-03 24:00"}, "scheduled_start", '"2025-04-03 24:00"'),
    ("sessions", {"scheduled_start": "2025-04-03 10:60"}, "scheduled_start", '"2025-04-03 10:60"'),
    ("sessions", {"scheduled_start": "31/02/2025 10:00"}, "scheduled_start", '"31/02/2025 10:00"'),
    ("sessions", {"scheduled_start": "2025-04-03T10:00+25:00"}, "scheduled_start", "+25:00"),
    ("register", {"scheduled_start": "tomorrow 10:00"}, "scheduled_start", '"tomorrow 10:00"'),
    # arrivals that are not times, or more than 12 hours from the start (2025-04-01 10:00)
    ("attendance", {"arrival_time": "25:70"}, "arrival_time", '"25:70" is not a time'),
    ("attendance", {"arrival_time": "noon"}, "arrival_time", '"noon" is not a time'),
    ("attendance", {"arrival_time": "22:01"}, "arrival_time", '"22:01" is more than 12 hours'),
    (
        "attendance",
        {"arrival_time": "2025-03-31 21:59"},
        "arrival_time",
        '"2025-03-31 21:59" is more than 12 hours',
    ),
    (
        "attendance",
        {"arrival_time": "02/04/2025 10:00"},
        "arrival_time",
        '"02/04/2025 10:00" is more than 12 hours',
    ),
    ("register", {"arrival_time": "23:30"}, "arrival_time", '"23:30" is more than 12 hours'),
    # codes outside their lists
    ("attendance", {"attendance": "maybe"}, "attendance", '"maybe" is not one of'),
    ("attendance", {"attendance": "latish"}, "attendance", '"latish"'),
    ("register", {"attendance": "n"}, "attendance", '"n"'),
    ("mentors", {"status": "retired"}, "status", '"retired"'),
    ("mentors", {"gender": "f"}, "gender", '"f"'),
    ("mentors", {"age_band": "16-17"}, "age_band", '"16-17"'),
    ("sessions", {"session_type": "workshop"}, "session_type", '"workshop"'),
    ("register", {"session_type": "party"}, "session_type", '"party"'),
    ("milestones", {"milestone": "job"}, "milestone", '"job"'),
    ("stage_assessments", {"stage": "0"}, "stage", '"0"'),
    ("stage_assessments", {"stage": "8"}, "stage", '"8"'),
    ("stage_assessments", {"stage": "2.5"}, "stage", '"2.5"'),
    ("stage_assessments", {"stage": "stage 3"}, "stage", '"stage 3"'),
    ("stage_assessments", {"stage": "acceptance testing"}, "stage", '"acceptance testing"'),
    # whole numbers out of range or not whole numbers
    ("sessions", {"duration_minutes": "0"}, "duration_minutes", '"0" is out of range'),
    ("sessions", {"duration_minutes": "1441"}, "duration_minutes", '"1441" is out of range'),
    ("sessions", {"duration_minutes": "-5"}, "duration_minutes", '"-5" is out of range'),
    ("sessions", {"duration_minutes": "90.5"}, "duration_minutes", '"90.5" is not a whole number'),
    ("sessions", {"duration_minutes": "1,000"}, "duration_minutes", '"1,000"'),
    ("sessions", {"duration_minutes": "an hour"}, "duration_minutes", '"an hour"'),
    ("register", {"duration_minutes": "1441"}, "duration_minutes", '"1441" is out of range'),
    ("attendance", {"minutes_attended": "1441"}, "minutes_attended", '"1441" is out of range'),
    ("attendance", {"minutes_attended": "-1"}, "minutes_attended", '"-1" is out of range'),
    ("attendance", {"minutes_attended": "all"}, "minutes_attended", '"all"'),
    ("stage_assessments", {"self_esteem": "31"}, "self_esteem", '"31" is out of range'),
    ("stage_assessments", {"self_esteem": "-1"}, "self_esteem", '"-1" is out of range'),
    ("stage_assessments", {"self_esteem": "high"}, "self_esteem", '"high"'),
    # codes longer than 64 characters (shown shortened) or holding a control character
    ("mentors", {"mentor_id": LONG_65}, "mentor_id", "longer than 64 characters"),
    ("mentors", {"cohort": LONG_65}, "cohort", "longer than 64 characters"),
    ("mentors", {"outreach_worker": LONG_65}, "outreach_worker", "longer than 64 characters"),
    ("sessions", {"session_id": LONG_65}, "session_id", "longer than 64 characters"),
    ("sessions", {"staff_id": LONG_65}, "staff_id", "longer than 64 characters"),
    ("sessions", {"beneficiary_id": LONG_65}, "beneficiary_id", "longer than 64 characters"),
    ("register", {"staff_id": LONG_65}, "staff_id", "longer than 64 characters"),
    ("stage_assessments", {"assessor": LONG_65}, "assessor", "longer than 64 characters"),
    ("mentors", {"mentor_id": "PM\x07-9"}, "mentor_id", "control character"),
    ("mentors", {"cohort": "2025\tspring"}, "cohort", "control character"),
    ("sessions", {"session_id": "S-\x1b9"}, "session_id", "control character"),
    ("stage_assessments", {"assessor": "OW\x7f1"}, "assessor", "control character"),
    # free text longer than 2,000 characters
    ("mentors", {"region": TEXT_2001}, "region", "longer than 2,000 characters"),
    ("sessions", {"location": TEXT_2001}, "location", "longer than 2,000 characters"),
    ("sessions", {"event_name": TEXT_2001}, "event_name", "longer than 2,000 characters"),
    ("attendance", {"notes": TEXT_2001}, "notes", "longer than 2,000 characters"),
    ("register", {"notes": TEXT_2001}, "notes", "longer than 2,000 characters"),
    ("stage_assessments", {"notes": TEXT_2001}, "notes", "longer than 2,000 characters"),
    ("milestones", {"notes": TEXT_2001}, "notes", "longer than 2,000 characters"),
    # references to unknown mentors or sessions
    ("attendance", {"mentor_id": "PM-404"}, "mentor_id", '"PM-404" is not a known mentor'),
    ("attendance", {"session_id": "S-404"}, "session_id", '"S-404" is not a known session'),
    ("register", {"mentor_id": "PM-404"}, "mentor_id", '"PM-404" is not a known mentor'),
    ("stage_assessments", {"mentor_id": "PM-404"}, "mentor_id", '"PM-404" is not a known mentor'),
    ("milestones", {"mentor_id": "PM-404"}, "mentor_id", '"PM-404" is not a known mentor'),
]


@pytest.mark.parametrize(("kind", "cells", "column", "says"), REJECTED, ids=_ids(REJECTED))
def test_rejected_row_is_kept_with_its_reason(
    outcomes: dict[str, Outcome], kind: str, cells: dict[str, str], column: str, says: str
) -> None:
    outcome = outcomes[_case_key(kind, cells)]
    assert outcome.stored is None
    assert outcome.rejected is not None
    assert outcome.rejected["row"] == outcome.row_number
    # the original text is kept, untrimmed; a blank cell is a missing value
    for name, text in outcome.values.items():
        assert outcome.rejected["values"][name] == (text or None)
    reasons = outcome.rejected["reasons"]
    assert any(r.startswith(column) and says in r for r in reasons), reasons
    assert outcome.stored_reasons == reasons


def test_every_case_row_is_counted(outcomes: dict[str, Outcome]) -> None:
    files = {id(o.file): o.file for o in outcomes.values()}.values()
    assert {f.type for f in files} == {
        "mentors",
        "sessions",
        "attendance",
        "stage_assessments",
        "milestones",
    }
    for f in files:
        assert f.read == f.inserted + f.rejected
        assert f.updated == f.unchanged == f.duplicates == 0


def import_one_row(db: Path, folder: Path, kind: str, cells: dict[str, str]) -> ImportResult:
    text = csv_text([case_row(kind, 1, cells)])
    return run_import(db, {f"{kind}.csv": text}, folder, record_type=kind)


def test_a_row_lists_every_reason_it_fails(seeded_db: Path, tmp_path: Path) -> None:
    cells = {
        "session_id": "S-404",
        "mentor_id": "PM-404",
        "attendance": "maybe",
        "minutes_attended": "2000",
    }
    report = only_file(import_one_row(seeded_db, tmp_path, "attendance", cells))
    [row] = report.rejected_rows
    named = sorted(r.split(":")[0] for r in row["reasons"])
    assert named == ["attendance", "mentor_id", "minutes_attended", "session_id"]


def test_a_long_value_is_shown_shortened_in_the_reason(seeded_db: Path, tmp_path: Path) -> None:
    report = only_file(import_one_row(seeded_db, tmp_path, "mentors", {"mentor_id": LONG_65}))
    [reason] = report.rejected_rows[0]["reasons"]
    assert reason.startswith(f'mentor_id: "{LONG_65[:57]}...')
    assert LONG_65 not in reason


# ---------------------------------------------------------------------------- headers, files


@pytest.mark.parametrize(
    "header",
    [
        "mentor_id,cohort,start_date,status",
        "Mentor ID,Cohort,Start Date,Status",
        "mentor-id,COHORT,start-date,status",
        " MENTOR_ID , cohort ,Start_Date,  Status",
        "Mentor  ID,cohort,start - date,status",
    ],
)
def test_header_names_are_normalised(seeded_db: Path, tmp_path: Path, header: str) -> None:
    text = f"{header}\nPM-9,2025 spring,2025-01-01,active\n"
    result = run_import(seeded_db, {"m.csv": text}, tmp_path)
    report = only_file(result)
    assert (report.type, report.inserted, report.ignored_columns) == ("mentors", 1, [])
    assert query(seeded_db, "SELECT mentor_id, status FROM mentors WHERE mentor_id = 'PM-9'") == [
        ("PM-9", "active")
    ]


@pytest.mark.parametrize(
    ("encoding", "expected_encoding", "note"),
    [
        ("utf-8", "UTF-8", None),
        ("utf-8-sig", "UTF-8", None),  # a byte-order mark is not part of the first column's name
        ("cp1252", "Windows-1252", "Windows-1252"),
    ],
)
def test_file_encodings(
    seeded_db: Path, tmp_path: Path, encoding: str, expected_encoding: str, note: str | None
) -> None:
    text = (
        "mentor_id,cohort,start_date,status,region\nPM-9,2025 spring,2025-01-01,active,£5 – Leeds\n"
    )
    path = write_file(tmp_path, "mentors.csv", text, encoding)
    report = only_file(run_import(seeded_db, [path]))
    assert (report.type, report.inserted, report.encoding) == ("mentors", 1, expected_encoding)
    assert query(seeded_db, "SELECT region FROM mentors WHERE mentor_id = 'PM-9'") == [
        ("£5 – Leeds",)
    ]
    if note:
        assert any(note in n for n in report.notes), report.notes
    else:
        assert not any("1252" in n for n in report.notes)


def test_cp1252_is_said_in_the_import_log(seeded_db: Path, tmp_path: Path) -> None:
    text = "mentor_id,cohort,start_date,status\nPM-9,Café – 2025,2025-01-01,active\n"
    result = run_import(seeded_db, [write_file(tmp_path, "m.csv", text, "cp1252")])
    assert query(
        seeded_db,
        "SELECT encoding FROM import_files WHERE import_id = $id",
        {"id": result.import_id},
    ) == [("Windows-1252",)]
    assert query(seeded_db, "SELECT cohort FROM mentors WHERE mentor_id = 'PM-9'") == [
        ("Café – 2025",)
    ]


def test_unknown_columns_are_ignored_and_listed(seeded_db: Path, tmp_path: Path) -> None:
    text = (
        "Mentor ID,First name,cohort,start_date,status,Favourite colour\n"
        "PM-9,Alice,2025 spring,2025-01-01,active,blue\n"
    )
    result = run_import(seeded_db, {"m.csv": text}, tmp_path)
    report = only_file(result)
    assert report.inserted == 1
    assert report.ignored_columns == ["First name", "Favourite colour"]
    assert any("First name" in n and "Favourite colour" in n for n in report.notes)
    assert query(
        seeded_db,
        "SELECT ignored_columns FROM import_files WHERE import_id = $id",
        {"id": result.import_id},
    ) == [(["First name", "Favourite colour"],)]


# header → the record type inferred (register files are reported as attendance)
INFERRED = [
    ("mentor_id,cohort,start_date,status", "mentors"),
    (
        "mentor_id,cohort,start_date,status,end_date,gender,age_band,outreach_worker,region",
        "mentors",
    ),
    ("session_id,session_type,scheduled_start,duration_minutes", "sessions"),
    ("session_id,mentor_id,attendance", "attendance"),
    ("Session ID,Mentor ID,Attendance,Arrival time,Minutes attended,Notes", "attendance"),
    ("mentor_id,session_type,scheduled_start,duration_minutes,attendance", "attendance"),
    ("mentor_id,assessed_on,stage", "stage_assessments"),
    ("mentor_id,milestone,achieved_on,notes", "milestones"),
]


@pytest.mark.parametrize(("header", "record_type"), INFERRED)
def test_record_type_is_inferred_from_the_header(
    seeded_db: Path, tmp_path: Path, header: str, record_type: str
) -> None:
    report = only_file(run_import(seeded_db, {"f.csv": header + "\n"}, tmp_path))
    assert (report.type, report.read) == (record_type, 0)


# header → words the refusal must contain (the columns it lacks)
REFUSED_HEADERS = [
    ("mentor_id,cohort,start_date", ["mentors", "status"]),
    ("session_id,session_type,scheduled_start", ["sessions", "duration_minutes"]),
    ("mentor_id,stage", ["stage_assessments", "assessed_on"]),
    ("name,email,phone", ["mentor_id", "session_id"]),
    ("mentor_id,milestone", ["milestones", "achieved_on"]),
]


@pytest.mark.parametrize(("header", "words"), REFUSED_HEADERS)
def test_a_header_fitting_no_type_refuses_the_file(
    seeded_db: Path, tmp_path: Path, header: str, words: list[str]
) -> None:
    before = query(seeded_db, "SELECT count(*) FROM imports")
    result = run_import(seeded_db, {"f.csv": header + "\nA,B,C\n"}, tmp_path)
    assert not result.landed
    assert result.error is not None and result.error.startswith("f.csv")
    assert "fits no record type" in result.error
    for word in words:
        assert word in result.error
    assert query(seeded_db, "SELECT count(*) FROM imports") == before


def test_a_header_fitting_two_types_is_refused(seeded_db: Path, tmp_path: Path) -> None:
    header = "mentor_id,assessed_on,stage,milestone,achieved_on\n"
    result = run_import(seeded_db, {"both.csv": header}, tmp_path)
    assert not result.landed
    assert result.error is not None
    assert "stage_assessments" in result.error and "milestones" in result.error
    # Naming the type settles it.
    text = header + "PM-1,2025-04-10,3,volunteering,2025-05-01\n"
    typed = only_file(run_import(seeded_db, {"both.csv": text}, tmp_path, record_type="milestones"))
    assert (typed.type, typed.inserted) == ("milestones", 1)
    assert typed.ignored_columns == ["assessed_on", "stage"]


# the type given, the header → the columns the refusal names
GIVEN_TYPE_MISSING = [
    ("mentors", "session_id,session_type", ["mentor_id", "cohort", "start_date", "status"]),
    ("sessions", "session_id,session_type,duration_minutes", ["scheduled_start"]),
    ("attendance", "session_id,mentor_id", ["attendance"]),
    ("register", "session_id,mentor_id,attendance", ["session_type", "scheduled_start"]),
    ("register", "mentor_id,attendance", ["session_type", "scheduled_start", "duration_minutes"]),
    ("stage_assessments", "mentor_id,assessed_on", ["stage"]),
    ("milestones", "mentor_id,achieved_on", ["milestone"]),
]


@pytest.mark.parametrize(("given", "header", "missing"), GIVEN_TYPE_MISSING)
def test_a_given_type_the_header_does_not_fit_is_refused(
    seeded_db: Path, tmp_path: Path, given: str, header: str, missing: list[str]
) -> None:
    text = header + "\n" + ",".join("x" for _ in header.split(",")) + "\n"
    result = run_import(seeded_db, {"f.csv": text}, tmp_path, record_type=given)
    assert not result.landed, result.summary()
    assert result.error is not None and result.error.startswith("f.csv")
    for column in missing:
        assert column in result.error
    assert query(seeded_db, "SELECT count(*) FROM rejected_rows") == [(0,)]


# a file's lines → the row numbers of its rejected rows (the rows of the sheet Excel shows)
ROW_NUMBERS = [
    ("PM-8,c,2025-01-01,active\nPM-9,c,bad,active\n", [3]),
    ("PM-8,c,2025-01-01,active\n\nPM-9,c,bad,active\n", [4]),  # a blank line is a row
    ("\n\nPM-9,c,bad,active\n\n\n", [4]),
    ("PM-8,c,2025-01-01,active\r\n\r\nPM-9,c,bad,active\r\n", [4]),
    ("PM-8,c,2025-01-01,active,,extra\n\nPM-9,c,bad,active\n", [2, 4]),  # ragged: slow path
    ('PM-8,c,2025-01-01,active,"two\nlines"\nPM-9,c,bad,active\n', [3]),  # one row, 2 lines
    ('PM-8,c,2025-01-01,active,"North\n\nEast"\nPM-9,c,bad,active\n', [3]),
    ("PM-8,c,2025-01-01,active\n,,,\nPM-9,c,bad,active\n", [3, 4]),  # empty cells: a row
]


@pytest.mark.parametrize(("lines", "rows"), ROW_NUMBERS)
def test_rejected_rows_carry_the_sheet_row_number(
    seeded_db: Path, tmp_path: Path, lines: str, rows: list[int]
) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(("mentor_id,cohort,start_date,status,region\n" + lines).encode())
    report = only_file(run_import(seeded_db, [path]))
    assert [r["row"] for r in report.rejected_rows] == rows
    assert report.read == report.inserted + report.rejected


def test_windows_line_endings_leave_no_carriage_returns(seeded_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(
        b"mentor_id,cohort,start_date,status,region\r\nPM-9,c,2025-01-01,active,North\r\n"
        b"PM-8,c,2025-01-01,active,\r\n"
    )
    assert only_file(run_import(seeded_db, [path])).inserted == 2
    assert query(
        seeded_db, "SELECT mentor_id, status, region FROM mentors WHERE cohort = 'c' ORDER BY 1"
    ) == [("PM-8", "active", None), ("PM-9", "active", "North")]


# bytes of a file → words its refusal names
UNREADABLE = [
    (b"", "empty"),
    ("mentor_id,cohort,start_date,status\n".encode("utf-16"), "UTF-16"),
    (b"mentor_id,Mentor ID,cohort,start_date,status\n", "appears twice"),
    (b"\n\nmentor_id,cohort\n", "first row is empty"),
    (b"PK\x03\x04 not really a workbook", "xlsx"),
]


@pytest.mark.parametrize(("content", "says"), UNREADABLE)
def test_an_unreadable_file_is_refused_whole(
    seeded_db: Path, tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    result = run_import(seeded_db, [path])
    assert not result.landed
    assert result.error is not None and "broken.csv" in result.error and says in result.error


# ------------------------------------------------------------------- keys, duplicates, warnings


def test_a_key_repeated_with_different_values_rejects_all_its_rows(
    seeded_db: Path, tmp_path: Path
) -> None:
    text = (
        "session_id,mentor_id,attendance\n"
        "S-1,PM-1,attended\n"  # row 2
        "S-2,PM-1,attended\n"  # row 3: a different key, accepted
        "S-1,PM-1,no_show\n"  # row 4: contradicts row 2
        "S-1,PM-1,nonsense\n"  # row 5: invalid too, and with the same key
    )
    report = only_file(run_import(seeded_db, {"a.csv": text}, tmp_path))
    assert (report.read, report.inserted, report.rejected, report.duplicates) == (4, 1, 3, 0)
    assert [r["row"] for r in report.rejected_rows] == [2, 4, 5]
    for row in report.rejected_rows:
        assert any("S-1, PM-1" in r and "3 times" in r and "2, 4, 5" in r for r in row["reasons"])
    assert query(seeded_db, "SELECT session_id FROM attendance") == [("S-2",)]


def test_a_mentor_key_repeated_with_different_values(seeded_db: Path, tmp_path: Path) -> None:
    text = (
        "mentor_id,cohort,start_date,status\n"
        "PM-9,2025 spring,2025-01-01,active\n"
        "PM-9,2025 spring,2025-01-02,active\n"
    )
    report = only_file(run_import(seeded_db, {"m.csv": text}, tmp_path))
    assert (report.rejected, report.inserted) == (2, 0)
    assert all(any("mentor_id (PM-9)" in r for r in row["reasons"]) for row in report.rejected_rows)


def test_exact_duplicate_rows_are_imported_once(seeded_db: Path, tmp_path: Path) -> None:
    text = (
        "session_id,mentor_id,attendance,arrival_time\n"
        "S-1,PM-1,attended,10:01\n"
        "S-1,PM-1,attended,10:01\n"
        "S-2,PM-1,late,14:45\n"
        "S-1,PM-1,attended,10:01\n"
    )
    report = only_file(run_import(seeded_db, {"a.csv": text}, tmp_path))
    assert (report.read, report.inserted, report.duplicates, report.rejected) == (4, 2, 2, 0)
    assert query(seeded_db, "SELECT count(*) FROM attendance WHERE session_id = 'S-1'") == [(1,)]


IMPORT_DAY = T(2026, 6, 1, 12, 0)  # the clock while the warnings' rows are imported

# the attendance row (S-1 starts 2025-04-01 10:00; PM-2 starts 2025-03-01) → warning text or None
WARNINGS = [
    (
        "attendance",
        "session_id,mentor_id,attendance,arrival_time\nS-1,PM-1,late,10:05\n",
        "within the 5-minute grace period",
    ),
    (
        "attendance",
        "session_id,mentor_id,attendance,arrival_time\nS-1,PM-1,late,09:58\n",
        "arrived 0 minute(s) after the start",
    ),
    ("attendance", "session_id,mentor_id,attendance,arrival_time\nS-1,PM-1,late,10:06\n", None),
    ("attendance", "session_id,mentor_id,attendance,arrival_time\nS-1,PM-1,late,\n", None),
    ("attendance", "session_id,mentor_id,attendance,arrival_time\nS-1,PM-1,attended,10:03\n", None),
    (
        "stage_assessments",
        "mentor_id,assessed_on,stage\nPM-2,2025-02-28,1\n",
        "before the mentor started on 01/03/2025",
    ),
    ("stage_assessments", "mentor_id,assessed_on,stage\nPM-2,2025-03-01,1\n", None),
    (
        "register",
        "mentor_id,session_type,scheduled_start,duration_minutes,attendance\n"
        "PM-1,event,2099-01-01 10:00,60,attended\n",
        "after the import date",
    ),
    (
        "register",
        "mentor_id,session_type,scheduled_start,duration_minutes,attendance\n"
        "PM-1,event,2099-01-01 10:00,60,no_show\n",
        "after the import date",
    ),
    (
        "register",
        "mentor_id,session_type,scheduled_start,duration_minutes,attendance\n"
        "PM-1,event,2025-01-01 10:00,60,attended\n",
        None,
    ),
]


@pytest.mark.parametrize(("kind", "text", "warning"), WARNINGS)
def test_suspicious_values_are_imported_with_a_warning(
    seeded_db: Path, tmp_path: Path, kind: str, text: str, warning: str | None
) -> None:
    with clock.frozen(IMPORT_DAY):
        result = run_import(seeded_db, {f"{kind}.csv": text}, tmp_path)
    report = only_file(result)
    assert (report.inserted, report.rejected) == (1, 0)
    if warning is None:
        assert (report.warnings, report.warning_messages) == (0, [])
    else:
        assert report.warnings == 1
        assert report.warning_messages[0].startswith("row 2: ")
        assert warning in report.warning_messages[0]
        assert query(
            seeded_db,
            "SELECT file_name, row_number FROM import_warnings WHERE import_id = $id",
            {"id": result.import_id},
        ) == [(f"{kind}.csv", 2)]


def test_future_session_warning_comes_from_the_same_import(seeded_db: Path, tmp_path: Path) -> None:
    files = {
        "sessions.csv": "session_id,session_type,scheduled_start,duration_minutes\n"
        "S-F,training,2099-06-01 10:00,60\n",
        "attendance.csv": "session_id,mentor_id,attendance\nS-F,PM-1,attended\n",
    }
    with clock.frozen(IMPORT_DAY):
        result = run_import(seeded_db, files, tmp_path)
    sessions, attendance = result.files
    assert (sessions.warnings, attendance.warnings, attendance.inserted) == (0, 1, 1)
    assert "01/06/2099" in attendance.warning_messages[0]


def test_thousands_of_warnings_are_all_stored_counted_and_in_row_order(
    seeded_db: Path, tmp_path: Path
) -> None:
    """A file with thousands of warnings (an export where many late marks fall inside the grace
    period): every warning is stored and counted, a row can have two, and the report lists the
    first ones in row order."""
    n = 3_000
    sessions = ["session_id,session_type,scheduled_start,duration_minutes"]
    attendance = ["session_id,mentor_id,attendance,arrival_time"]
    expected: list[tuple[int, str]] = []
    for i in range(n):
        future = i % 10 == 9  # every tenth session is after the import date
        day = f"2099-06-{i % 28 + 1:02d}" if future else f"2025-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
        sessions.append(f"S-W{i},training,{day} 10:00,60")
        minutes = i % 8  # 0 to 5 are within the 5-minute grace period, 6 and 7 are not
        attendance.append(f"S-W{i},PM-1,late,{day} 10:{minutes:02d}")
        row = i + 2
        if minutes <= 5:
            expected.append((row, f"arrived {minutes} minute(s) after the start"))
        if future:
            expected.append((row, "after the import date"))
    files = {
        "sessions.csv": "\n".join(sessions) + "\n",
        "attendance.csv": "\n".join(attendance) + "\n",
    }
    result = run_import(seeded_db, files, tmp_path)
    assert result.landed, result.error
    report = result.files[1]
    assert (report.inserted, report.rejected) == (n, 0)
    assert report.warnings == len(expected) > 2_000
    stored = query(
        seeded_db,
        "SELECT row_number, message FROM import_warnings WHERE import_id = $id "
        "AND file_name = 'attendance.csv' ORDER BY row_number, message",
        {"id": result.import_id},
    )
    assert len(stored) == len(expected)
    for (row, message), (want_row, fragment) in zip(
        stored, sorted(expected, key=lambda e: (e[0], "import date" not in e[1])), strict=True
    ):
        assert row == want_row and message.startswith(f"row {row}: ") and fragment in message
    assert query(
        seeded_db,
        "SELECT warnings FROM import_files WHERE import_id = $id AND file_name = 'attendance.csv'",
        {"id": result.import_id},
    ) == [(len(expected),)]
    assert report.warning_messages == [m for _, m in stored][: len(report.warning_messages)]
    assert len(report.warning_messages) == min(len(expected), MAX_LISTED)


# --------------------------------------------------------------------------------- Excel files


def _workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(r, c, value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # typed text that looks like a formula, not a formula
    book.save(path)
    return path


def test_xlsx_cells_are_read_as_their_values(seeded_db: Path, tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "people.xlsx",
        {
            "mentors": [
                ["Mentor ID", "Cohort", "Start date", "Status", "End date", "Gender"],
                ["PM-10", "2025 spring", D(2025, 4, 3), "active", T(2025, 6, 1), None],
                [1234, 2025, T(2025, 4, 3), "Paused", None, "Female"],
                ['=HYPERLINK("x")', "=1+1", "03/04/2025", "active", None, None],
                [None, None, None, None, None, None],  # an empty formatted row is not a record
                ["PM-11", "2025 spring", "31/02/2025", "active", None, None],
            ]
        },
    )
    report = only_file(run_import(seeded_db, [path]))
    assert (report.type, report.encoding) == ("mentors", "xlsx")
    assert (report.read, report.inserted, report.rejected) == (4, 3, 1)
    assert report.rejected_rows[0]["row"] == 6  # the spreadsheet's own row number
    rows = query(
        seeded_db,
        "SELECT mentor_id, cohort, start_date, status, end_date, gender FROM mentors "
        "WHERE import_id > 1 ORDER BY start_date, mentor_id",
    )
    assert sorted(rows) == sorted(
        [
            ("PM-10", "2025 spring", D(2025, 4, 3), "active", D(2025, 6, 1), "not stated"),
            ("1234", "2025", D(2025, 4, 3), "paused", None, "female"),
            ('=HYPERLINK("x")', "=1+1", D(2025, 4, 3), "active", None, "not stated"),
        ]
    )


def test_xlsx_date_time_and_time_cells(seeded_db: Path, tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "register.xlsx",
        {
            "Notes": [["nothing here"]],
            "Register": [
                [
                    "mentor_id",
                    "session_type",
                    "scheduled_start",
                    "duration_minutes",
                    "attendance",
                    "arrival_time",
                    "minutes_attended",
                ],
                ["PM-1", "group_day", T(2025, 5, 1, 9, 30), 300, "yes", dt.time(9, 41), 280.0],
            ],
        },
    )
    report = only_file(run_import(seeded_db, [path]))
    assert (report.type, report.inserted, report.rejected) == ("attendance", 1, 0)
    assert report.sheet == "Register"
    assert any('"Notes" hold no records' in n for n in report.notes)
    assert query(
        seeded_db,
        "SELECT s.scheduled_start, s.duration_minutes, a.arrival, a.minutes_attended "
        "FROM attendance a JOIN sessions s USING (session_id) WHERE a.import_id > 1",
    ) == [(T(2025, 5, 1, 9, 30), 300, T(2025, 5, 1, 9, 41), 280)]


def test_xlsx_sheet_named_after_the_given_type(seeded_db: Path, tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "book.xlsx",
        {
            "Cover": [["Programme records"]],
            "Milestones": [
                ["mentor_id", "milestone", "achieved_on"],
                ["PM-1", "volunteering", D(2025, 5, 1)],
            ],
        },
    )
    report = only_file(run_import(seeded_db, [path], record_type="milestones"))
    assert (report.type, report.inserted) == ("milestones", 1)
    assert query(seeded_db, "SELECT achieved_on FROM milestones") == [(D(2025, 5, 1),)]


# ------------------------------------------------------------------- every sheet of a workbook

MENTOR_HEADER = ["mentor_id", "cohort", "start_date", "status"]
REGISTER_HEADER = ["Mentor ID", "Session type", "Scheduled start", "Duration minutes", "Attendance"]


def _month_sheet(month: int, mentors: list[str]) -> list[list[Any]]:
    rows: list[list[Any]] = [REGISTER_HEADER]
    rows += [[m, "group_day", T(2025, month, 15, 10, 0), 300, "present"] for m in mentors]
    return rows


def test_every_sheet_of_a_three_sheet_workbook_is_read(seeded_db: Path, tmp_path: Path) -> None:
    """One sheet a month: every sheet's rows land, and the summary lists every sheet."""
    path = _workbook(
        tmp_path / "register.xlsx",
        {
            "September": _month_sheet(9, ["PM-1", "PM-2"]),
            "October": _month_sheet(10, ["PM-1", "PM-2", "PM-9"]),
            "November": _month_sheet(11, ["PM-2"]),
        },
    )
    result = run_import(seeded_db, [path])
    assert result.landed, result.error
    got = [(f.file, f.sheet, f.type, f.read, f.inserted, f.rejected) for f in result.files]
    assert got == [
        ("register.xlsx", "September", "attendance", 2, 2, 0),
        ("register.xlsx", "October", "attendance", 3, 2, 1),
        ("register.xlsx", "November", "attendance", 1, 1, 0),
    ]
    assert query(seeded_db, "SELECT file_name, sheet, row_number FROM rejected_rows") == [
        ("register.xlsx", "October", 4)
    ]
    assert [f.summary()["sheet"] for f in result.files] == ["September", "October", "November"]
    assert query(
        seeded_db,
        "SELECT month(s.scheduled_start), count(*) FROM attendance a JOIN sessions s "
        "USING (session_id) WHERE a.import_id > 1 GROUP BY 1 ORDER BY 1",
    ) == [(9, 2), (10, 2), (11, 1)]
    logged = query(
        seeded_db,
        "SELECT sheet, rows_read FROM import_files WHERE file_name = 'register.xlsx' ORDER BY 1",
    )
    assert sorted(logged) == [("November", 1), ("October", 3), ("September", 2)]


def test_a_workbook_of_many_sheets_loses_no_row(seeded_db: Path, tmp_path: Path) -> None:
    """Twenty-four monthly sheets of different lengths, a mentors sheet among them, a notes sheet:
    every row of every sheet is accounted for."""
    sheets: dict[str, list[list[Any]]] = {
        "Read me": [["This workbook holds the registers, one sheet a month."]],
        "Mentors": [
            MENTOR_HEADER,
            *[[f"PM-{n}", "2025 spring", "2025-01-01", "active"] for n in range(10, 20)],
        ],
    }
    expected = 0
    for k in range(24):
        year, month = 2024 + k // 12, k % 12 + 1
        people = [f"PM-{10 + (k + j) % 10}" for j in range(1 + k % 7)]
        rows: list[list[Any]] = [REGISTER_HEADER]
        rows += [[m, "group_day", T(year, month, 15, 10, 0), 300, "present"] for m in people]
        sheets[f'{month:02d}.{year} "Registers"'] = rows
        expected += len(people)
    path = _workbook(tmp_path / "two years.xlsx", sheets)
    result = run_import(seeded_db, [path])
    assert result.landed, result.error
    assert len(result.files) == 25
    assert result.files[0].type == "mentors" and result.files[0].inserted == 10
    assert sum(f.inserted for f in result.files[1:]) == expected
    assert all(f.rejected == 0 for f in result.files)
    assert query(seeded_db, "SELECT count(*) FROM attendance WHERE import_id > 1") == [(expected,)]
    assert any('"Read me" hold no records' in n for n in result.files[0].notes)


def test_a_sheet_that_fits_no_record_type_refuses_the_workbook_naming_it(
    seeded_db: Path, tmp_path: Path
) -> None:
    path = _workbook(
        tmp_path / "book.xlsx",
        {
            "Mentors": [MENTOR_HEADER, ["PM-20", "2025 spring", "2025-01-01", "active"]],
            "Budget": [["Item", "Cost"], ["Bus fares", 120]],
        },
    )
    result = run_import(seeded_db, [path])
    assert not result.landed
    assert result.error is not None
    assert 'book.xlsx, sheet "Budget": the header fits no record type' in result.error
    assert query(seeded_db, "SELECT count(*) FROM mentors WHERE mentor_id = 'PM-20'") == [(0,)]


def test_a_sheet_named_after_a_type_must_fit_it(seeded_db: Path, tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "book.xlsx",
        {"Sessions": [MENTOR_HEADER, ["PM-20", "2025 spring", "2025-01-01", "active"]]},
    )
    result = run_import(seeded_db, [path])
    assert not result.landed
    assert result.error is not None and 'sheet "Sessions"' in result.error
    assert "session_id" in result.error


# ------------------------------------------------------------------------------ register form

REGISTER_TEXT = """\
Scheduled start,Mentor ID,Session type,Duration minutes,Staff ID,Event name,Attendance,Arrival time
15/04/2025 10:00,PM-1,group_day,300,ST-8,,yes,10:01
15/04/2025 10:00,PM-2,group_day,300,ST-8,,arrived late,10:12
15/04/2025 10:00,PM-1,group_day,300,ST-9,,absent,
08/03/2025 10:00,PM-1,event,120,,International Women's Day,present,
08/03/2025 10:00,PM-2,event,120,,International Women's Day,apologies,
"""


def _register_sessions(db: Path) -> list[tuple[Any, ...]]:
    return query(
        db,
        "SELECT session_id, session_type, scheduled_start, staff_id, event_name, "
        "(SELECT list(mentor_id ORDER BY mentor_id) FROM attendance a "
        " WHERE a.session_id = s.session_id) FROM sessions s "
        "WHERE session_id NOT IN ('S-1', 'S-2') ORDER BY scheduled_start, staff_id",
    )


def test_register_rows_of_one_session_share_a_derived_key(seeded_db: Path, tmp_path: Path) -> None:
    report = only_file(run_import(seeded_db, {"register.csv": REGISTER_TEXT}, tmp_path))
    assert (report.type, report.read, report.inserted, report.rejected) == ("attendance", 5, 5, 0)
    sessions = _register_sessions(seeded_db)
    # one session per (start, type, staff, beneficiary, event): ST-8 and ST-9 are two sessions
    assert [(s[1], s[2], s[3], s[4], s[5]) for s in sessions] == [
        ("event", T(2025, 3, 8, 10), None, "International Women's Day", ["PM-1", "PM-2"]),
        ("group_day", T(2025, 4, 15, 10), "ST-8", None, ["PM-1", "PM-2"]),
        ("group_day", T(2025, 4, 15, 10), "ST-9", None, ["PM-1"]),
    ]
    assert len({s[0] for s in sessions}) == 3


def test_register_key_is_deterministic_and_reimport_is_idempotent(
    base_db: Path, tmp_path: Path
) -> None:

    first, second = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    shutil.copy(base_db, first)
    shutil.copy(base_db, second)
    run_import(first, {"register.csv": REGISTER_TEXT}, tmp_path / "a")
    # the same sessions, with the rows in another order and the dates written another way
    lines = REGISTER_TEXT.splitlines()
    reordered = "\n".join([lines[0], *reversed(lines[1:])]).replace("15/04/2025", "2025-04-15")
    run_import(second, {"register.csv": reordered + "\n"}, tmp_path / "b")
    assert _register_sessions(first) == _register_sessions(second)

    again = only_file(run_import(first, {"register.csv": REGISTER_TEXT}, tmp_path / "c"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    assert query(first, "SELECT count(*) FROM sessions") == [(2 + 3,)]
    assert query(first, "SELECT count(*) FROM attendance") == [(5,)]


def test_register_with_session_id_uses_it(seeded_db: Path, tmp_path: Path) -> None:
    text = (
        "session_id,mentor_id,session_type,scheduled_start,duration_minutes,attendance\n"
        "GD-1,PM-1,group_day,2025-04-15 10:00,300,yes\n"
        "GD-1,PM-2,group_day,2025-04-15 10:00,300,dna\n"
    )
    # this header also fits sessions, so the type is given
    report = only_file(run_import(seeded_db, {"r.csv": text}, tmp_path, record_type="attendance"))
    assert (report.type, report.inserted) == ("attendance", 2)
    assert query(
        seeded_db, "SELECT session_id, mentor_id, attendance FROM attendance ORDER BY mentor_id"
    ) == [("GD-1", "PM-1", "attended"), ("GD-1", "PM-2", "no_show")]
    assert query(seeded_db, "SELECT session_type FROM sessions WHERE session_id = 'GD-1'") == [
        ("group_day",)
    ]


# ------------------------------------------------------------------------- updates, unchanged


def test_newest_import_wins_and_identical_rows_change_nothing(
    seeded_db: Path, tmp_path: Path
) -> None:
    first = (
        "mentor_id,cohort,start_date,status\n"
        "PM-8,2025 spring,2025-01-01,active\n"
        "PM-9,2025 spring,2025-01-01,active\n"
    )
    second = (
        "Mentor ID,Cohort,Start date,Status,End date\n"
        "PM-8,2025 spring,01/01/25,Active,\n"  # written differently, but the same: unchanged
        "PM-9,2025 spring,01/01/2025,Completed,30/06/2025\n"  # updated
        "PM-7,2025 spring,01/01/2025,active,\n"  # inserted
    )
    run_import(seeded_db, {"m1.csv": first}, tmp_path)
    report = only_file(run_import(seeded_db, {"m2.csv": second}, tmp_path))
    assert (report.read, report.inserted, report.updated, report.unchanged) == (3, 1, 1, 1)
    assert query(seeded_db, "SELECT status, end_date FROM mentors WHERE mentor_id = 'PM-9'") == [
        ("completed", D(2025, 6, 30))
    ]
    assert query(seeded_db, "SELECT count(*) FROM mentors") == [(2 + 3,)]
