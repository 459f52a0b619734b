"""DATA.md, third release: the `conduct` record type, imported from a file as staff keep it.

The base database holds mentors PM-1 (from 2025-01-01) and PM-2 (from 2025-03-01) and
sessions S-1 (2025-04-01) and S-2 (2025-04-02).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import query, run_import

from analysis import admin, clock
from analysis.importer import FileReport
from analysis.records import template_csv

D = dt.date
IMPORT_DAY = dt.datetime(2025, 7, 1, 12, 0)

HEADER = "Mentor ID,Observed on,Kind,Category,Severity,Session ID,Staff ID,Resolved on,Notes\n"
# Accepted rows: every kind and category synonym (and the codes in odd case), each a key of its own.
ACCEPTED = [
    # row 2..
    "PM-1,02/04/2025,Issue,Language,High,S-1,ST-1,05/04/2025,Raised at supervision",
    "PM-1,03/04/2025,incident,attitude,,,ST-1,,",
    "PM-1,04/04/2025,WARNING,Dress,medium,S-2,,2025-04-04,",
    "PM-1,05/04/2025,Positive,boundaries,,,,,",
    "PM-1,06/04/2025,praise,Confidentiality,,,,,",
    "PM-1,07/04/2025,Commendation,communication,,,,,",
    "PM-1,08/04/2025 14:30,concern,TeamWork,LOW,,,,",
    "PM-1,09/04/2025,Strength,safeguarding,,,,,",
    'PM-1,10/04/2025,Concern,other,,,,,"Said ""=1+1"", **bold**"',
    "PM-2,2025-04-11T09:15:00,CONCERN,Presentation,,,,,",
]
# One row per rejection reason (each a key of its own), and what the reason says.
REJECTED = [
    ("PM-9,12/04/2025,concern,teamwork,,,,,", 'mentor_id: "PM-9" is not a known mentor'),
    (",12/04/2025,concern,teamwork,,,,,", "mentor_id is missing"),
    ("PM-1,,concern,teamwork,,,,,", "observed_on is missing"),
    ("PM-1,31/02/2025,concern,teamwork,,,,,", 'observed_on: "31/02/2025" is not a date'),
    ("PM-1,13/04/2025,,teamwork,,,,,", "kind is missing"),
    ("PM-1,13/04/2025,complaint,teamwork,,,,,", 'kind: "complaint" is not one of: concern'),
    ("PM-1,14/04/2025,concern,,,,,,", "category is missing"),
    ("PM-1,14/04/2025,concern,Punctuality,,,,,", 'category: "Punctuality" is not one of'),
    (
        "PM-1,15/04/2025,concern,Lateness,,,,,",
        'category: "Lateness": timekeeping and attendance are measured from the registers',
    ),
    (
        "PM-1,16/04/2025,concern,timekeeping,,,,,",
        'category: "timekeeping": timekeeping and attendance are measured from the registers',
    ),
    (
        "PM-1,17/04/2025,concern,Attendance,,,,,",
        'category: "Attendance": timekeeping and attendance are measured from the registers',
    ),
    ("PM-1,18/04/2025,concern,teamwork,severe,,,,", 'severity: "severe" is not one of: low'),
    ("PM-1,19/04/2025,strength,teamwork,urgent,,,,", 'severity: "urgent" is not one of: low'),
    ("PM-1,20/04/2025,concern,teamwork,,S-404,,,", 'session_id: "S-404" is not a known session'),
    (
        "PM-1,21/04/2025,concern,teamwork,,,,20/04/2025,",
        "resolved_on: 20/04/2025 is before observed_on: 21/04/2025",
    ),
    ("PM-1,22/04/2025,concern,teamwork,,,,soon,", 'resolved_on: "soon" is not a date'),
]
# Imported with a warning: the row, and what the warning says.
WARNED = [
    ("PM-1,23/04/2025,strength,teamwork,High,,,,", 'a strength has no severity: "high"'),
    ("PM-1,24/04/2025,praise,teamwork,,,,30/04/2025,", "resolved_on 30/04/2025 was not kept"),
    ("PM-2,20/02/2025,concern,teamwork,,,,,", "before the mentor started on 01/03/2025"),
    ("PM-2,02/07/2025,concern,teamwork,,,,,", "observed on 02/07/2025, after the import date"),
]
# Keys compared after synonyms: the second row is the first one's key with other words.
SAME_KEY = [
    "PM-2,25/04/2025,Issue,Dress,low,,,,first",
    "PM-2,25/04/2025,concern,presentation,medium,,,,second",
]


def _import(db: Path, folder: Path, rows: list[str]) -> FileReport:
    text = HEADER + "".join(r + "\n" for r in rows)
    with clock.frozen(IMPORT_DAY):
        result = run_import(db, {"Conduct log.csv": text}, folder)
    assert result.landed
    (report,) = result.files
    return report


def test_a_conduct_file_with_every_synonym_rejection_and_warning(
    seeded_db: Path, tmp_path: Path
) -> None:
    rows = ACCEPTED + [r for r, _ in REJECTED] + [r for r, _ in WARNED] + SAME_KEY
    report = _import(seeded_db, tmp_path / "in", rows)
    n_ok = len(ACCEPTED) + len(WARNED)
    assert report.type == "conduct"
    summary = (
        report.read,
        report.inserted,
        report.rejected,
        report.duplicates,
        report.warnings,
    )
    assert summary == (len(rows), n_ok, len(REJECTED) + 2, 0, len(WARNED))

    # each rejected row is kept with its reason, in row order
    listed = {r["row"]: r["reasons"] for r in report.rejected_rows}
    first = len(ACCEPTED) + 2
    for i, (_row, reason) in enumerate(REJECTED):
        reasons = listed[first + i]
        assert len(reasons) == 1, reasons
        assert reason in reasons[0], (reason, reasons)
    # the same key after synonyms with different values: both rows rejected, naming the key
    same = [listed[len(rows)], listed[len(rows) + 1]]
    for reasons in same:
        assert (
            "mentor_id, observed_on, category, kind (PM-2, 2025-04-25, presentation, concern)"
            in (reasons[-1])
        )
    stored = query(
        seeded_db,
        "SELECT row_number, reasons FROM rejected_rows WHERE record_type = 'conduct' "
        "ORDER BY row_number",
    )
    assert [r for r, _ in stored] == sorted(listed)

    # warnings, in row order, each naming its row
    first_warned = first + len(REJECTED)
    messages = report.warning_messages
    assert len(messages) == len(WARNED)
    for i, (_row, warning) in enumerate(WARNED):
        assert messages[i].startswith(f"row {first_warned + i}: "), messages[i]
        assert warning in messages[i]

    # the stored rows: codes read, a concern's missing severity is low, a strength keeps none
    got = query(
        seeded_db,
        "SELECT mentor_id, observed_on, kind, category, severity, session_id, staff_id, "
        "resolved_on, notes FROM conduct ORDER BY mentor_id, observed_on",
    )
    assert got == [
        ("PM-1", D(2025, 4, 2), "concern", "conduct", "high", "S-1", "ST-1", D(2025, 4, 5), "Raised at supervision"),
        ("PM-1", D(2025, 4, 3), "concern", "conduct", "low", None, "ST-1", None, None),
        ("PM-1", D(2025, 4, 4), "concern", "presentation", "medium", "S-2", None, D(2025, 4, 4), None),
        ("PM-1", D(2025, 4, 5), "strength", "boundaries", None, None, None, None, None),
        ("PM-1", D(2025, 4, 6), "strength", "confidentiality", None, None, None, None, None),
        ("PM-1", D(2025, 4, 7), "strength", "communication", None, None, None, None, None),
        ("PM-1", D(2025, 4, 8), "concern", "teamwork", "low", None, None, None, None),
        ("PM-1", D(2025, 4, 9), "strength", "safeguarding", None, None, None, None, None),
        ("PM-1", D(2025, 4, 10), "concern", "other", "low", None, None, None, 'Said "=1+1", **bold**'),
        ("PM-1", D(2025, 4, 23), "strength", "teamwork", None, None, None, None, None),
        ("PM-1", D(2025, 4, 24), "strength", "teamwork", None, None, None, None, None),
        ("PM-2", D(2025, 2, 20), "concern", "teamwork", "low", None, None, None, None),
        ("PM-2", D(2025, 4, 11), "concern", "presentation", "low", None, None, None, None),
        ("PM-2", D(2025, 7, 2), "concern", "teamwork", "low", None, None, None, None),
    ]  # fmt: skip


def test_the_same_key_in_other_words_updates_the_stored_row(
    seeded_db: Path, tmp_path: Path
) -> None:
    first = _import(seeded_db, tmp_path / "a", ["PM-1,25/04/2025,Issue,Dress,low,,,,"])
    again = _import(seeded_db, tmp_path / "b", ["PM-1,25/04/2025,concern,presentation,high,,,,"])
    assert (first.inserted, again.inserted, again.updated) == (1, 0, 1)
    assert query(seeded_db, "SELECT kind, category, severity FROM conduct") == [
        ("concern", "presentation", "high")
    ]
    same = _import(seeded_db, tmp_path / "c", ["PM-1,25/04/2025,WARNING,presentation,High,,,,"])
    assert same.unchanged == 1


def test_exact_repeats_in_a_file_are_duplicates(seeded_db: Path, tmp_path: Path) -> None:
    report = _import(
        seeded_db,
        tmp_path / "in",
        ["PM-1,25/04/2025,Issue,Dress,low,,,,", "PM-1,25/04/2025,concern,presentation,,,,,"],
    )
    assert (report.inserted, report.duplicates, report.rejected) == (1, 1, 0)


def test_erasing_a_mentor_erases_their_conduct_rows(seeded_db: Path, tmp_path: Path) -> None:
    _import(
        seeded_db,
        tmp_path / "in",
        ["PM-1,02/04/2025,concern,teamwork,,,,,", "PM-2,02/04/2025,strength,teamwork,,,,,"],
    )
    counts = admin.erase_mentor(seeded_db, "PM-1", "tester")
    assert counts["conduct"] == 1
    assert query(seeded_db, "SELECT mentor_id FROM conduct") == [("PM-2",)]


def test_the_conduct_template_imports_as_conduct(seeded_db: Path, tmp_path: Path) -> None:
    text = template_csv("conduct").decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header == [
        "mentor_id",
        "observed_on",
        "kind",
        "category",
        "severity",
        "session_id",
        "staff_id",
        "resolved_on",
        "notes",
    ]
    # the template's example names its own mentor and session: give them, then it imports
    text = text.replace("PM-014", "PM-1").replace("S-2025-0412", "S-1")
    with clock.frozen(IMPORT_DAY):
        result = run_import(seeded_db, {"conduct_template.csv": text}, tmp_path)
    (report,) = result.files
    assert (report.type, report.inserted, report.rejected) == ("conduct", 1, 0)


def test_removing_the_demo_removes_its_conduct_rows(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    admin.create_demo(db, mentors=40, seed=5, end=D(2026, 11, 20))
    (before,) = query(db, "SELECT count(*) FROM conduct WHERE is_demo")[0]
    assert before > 0
    counts = admin.remove_demo(db, "tester")
    assert counts["conduct"] == before
    assert query(db, "SELECT count(*) FROM conduct") == [(0,)]
