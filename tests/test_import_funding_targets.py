"""DATA.md's `funding` and `targets` record types, rule by rule.

The base database holds mentors PM-1 and PM-2 (conftest). Each case is one row of a funding or
targets file: what is stored from it, or every reason it is rejected.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import query, run_import

from analysis import records

D = dt.date

FUNDING_HEADER = "Mentor ID,Funding stream,From,To\n"
TARGETS_HEADER = "Figure,Period start,Period end,Target,Funding stream,Wording\n"


@pytest.mark.parametrize(
    ("row", "stored"),
    [
        (
            "PM-1,Lottery Reaching Communities,,",
            ("PM-1", "Lottery Reaching Communities", None, None),
        ),
        (
            "PM-1, Probation CRS North ,01/01/2025,",
            ("PM-1", "Probation CRS North", D(2025, 1, 1), None),
        ),
        (
            "PM-2,Esmée core grant,2025-04-13,30/06/2025",
            ("PM-2", "Esmée core grant", D(2025, 4, 13), D(2025, 6, 30)),
        ),
        ("PM-2,One day,2025-04-13,2025-04-13", ("PM-2", "One day", D(2025, 4, 13), D(2025, 4, 13))),
        ('PM-2,"=HYPERLINK(""x"")",,', ("PM-2", '=HYPERLINK("x")', None, None)),
    ],
)
def test_funding_rows_accepted(seeded_db: Path, tmp_path: Path, row: str, stored: tuple) -> None:
    result = run_import(seeded_db, {"funding.csv": FUNDING_HEADER + row + "\n"}, tmp_path)
    assert result.landed, result.error
    assert result.files[0].type == "funding"
    assert result.files[0].rejected == 0, result.files[0].rejected_rows
    got = query(seeded_db, 'SELECT mentor_id, funding_stream, "from", "to" FROM funding')
    assert got == [stored]


@pytest.mark.parametrize(
    ("row", "reasons"),
    [
        ("PM-1,Lottery,04/07/2025,30/06/2025", ["to: 30/06/2025 is before from: 04/07/2025"]),
        (
            "PM-9,Lottery,,",
            [
                'mentor_id: "PM-9" is not a known mentor (import the mentors file first, then re-check)'
            ],
        ),
        (",,,", ["mentor_id is missing", "funding_stream is missing"]),
        (
            "PM-1," + "L" * 65 + ",,",
            ['funding_stream: "' + "L" * 57 + '..." is longer than 64 characters'],
        ),
        (
            "PM-1,Lottery,31/02/2025,",
            ['from: "31/02/2025" is not a date (use YYYY-MM-DD or DD/MM/YYYY)'],
        ),
        ("PM-1,Lottery,,soon", ['to: "soon" is not a date (use YYYY-MM-DD or DD/MM/YYYY)']),
        ('PM-1,"Lot\ttery",,', ["funding_stream holds a control character"]),
    ],
)
def test_funding_rows_rejected(
    seeded_db: Path, tmp_path: Path, row: str, reasons: list[str]
) -> None:
    result = run_import(seeded_db, {"funding.csv": FUNDING_HEADER + row + "\n"}, tmp_path)
    assert result.landed, result.error
    report = result.files[0]
    assert (report.rejected, report.inserted) == (1, 0)
    assert report.rejected_rows[0]["reasons"] == reasons
    stored = query(seeded_db, "SELECT record_type, row_number, reasons FROM rejected_rows")
    assert stored == [("funding", 2, reasons)]


@pytest.mark.parametrize(
    ("row", "stored"),
    [
        (
            "peer_support_hours,01/04/2025,31/03/2026,611,,Hours of peer support",
            (
                "peer_support_hours",
                D(2025, 4, 1),
                D(2026, 3, 31),
                611.0,
                "",
                "Hours of peer support",
            ),
        ),
        (
            "attendance_rate,2025-04-01,2026-03-31,87%,,",
            ("attendance_rate", D(2025, 4, 1), D(2026, 3, 31), 0.87, "", None),
        ),
        (
            "Attendance rate,2025-04-01,2026-03-31,0.87,,",
            ("attendance_rate", D(2025, 4, 1), D(2026, 3, 31), 0.87, "", None),
        ),
        (
            "no_show_rate,2025-04-01,2026-03-31, 10 % ,,",
            ("no_show_rate", D(2025, 4, 1), D(2026, 3, 31), 0.1, "", None),
        ),
        (
            "punctuality_rate,2025-04-01,2026-03-31,1,,",
            ("punctuality_rate", D(2025, 4, 1), D(2026, 3, 31), 1.0, "", None),
        ),
        (
            "Milestones.Paid employment,2025-01-01,2025-12-31,1,Lottery,Into work",
            (
                "milestones.paid_employment",
                D(2025, 1, 1),
                D(2025, 12, 31),
                1.0,
                "Lottery",
                "Into work",
            ),
        ),
        (
            'beneficiaries_reached,2025-01-01,2025-12-31,"1,200",,',
            ("beneficiaries_reached", D(2025, 1, 1), D(2025, 12, 31), 1200.0, "", None),
        ),
        (
            "mentors_active,2025-01-01,2025-01-01,0,Esmée,",
            ("mentors_active", D(2025, 1, 1), D(2025, 1, 1), 0.0, "Esmée", None),
        ),
        (
            'stages.mentors_progressed,2025-01-01,2025-12-31,12.5,,"**bold** <b>x</b>"',
            (
                "stages.mentors_progressed",
                D(2025, 1, 1),
                D(2025, 12, 31),
                12.5,
                "",
                "**bold** <b>x</b>",
            ),
        ),
    ],
)
def test_target_rows_accepted(seeded_db: Path, tmp_path: Path, row: str, stored: tuple) -> None:
    result = run_import(seeded_db, {"targets.csv": TARGETS_HEADER + row + "\n"}, tmp_path)
    assert result.landed, result.error
    assert result.files[0].type == "targets"
    assert result.files[0].rejected == 0, result.files[0].rejected_rows
    got = query(
        seeded_db,
        "SELECT figure, period_start, period_end, target, funding_stream, wording FROM targets",
    )
    assert got == [stored]


@pytest.mark.parametrize(
    ("row", "reasons"),
    [
        (
            "attendance_rate,2025-04-01,2026-03-31,85,,",
            ['target: "85" is above 1 for a rate: write 85% or 0.85'],
        ),
        ("attendance_rate,2025-04-01,2026-03-31,120%,,", ['target: "120%" is above 100%']),
        (
            "peer_support_hours,2025-04-01,2026-03-31,85%,,",
            [
                'target: "85%" is a percentage, but peer_support_hours is a count or hours, not a rate'
            ],
        ),
        (
            "peer_support_hours,2025-04-01,2026-03-31,-3,,",
            ['target: "-3" is below 0'],
        ),
        (
            "peer_support_hours,2025-04-01,2026-03-31,lots,,",
            ['target: "lots" is not a number (write a count, hours, 0.85 or 85%)'],
        ),
        (
            "peer_support_hours,2026-04-01,2025-03-31,10,,",
            ["period_end: 31/03/2025 is before period_start: 01/04/2026"],
        ),
        (
            "staff_minutes_lost,2025-04-01,2026-03-31,10,,",
            [
                'figure: "staff_minutes_lost" is not one of: '
                + ", ".join(records.TARGET_FIGURE_KINDS)
            ],
        ),
        (
            "milestones.lottery_win,2025-04-01,2026-03-31,1,,",
            [
                'figure: "milestones.lottery_win" is not one of: '
                + ", ".join(records.TARGET_FIGURE_KINDS)
            ],
        ),
        (
            ",,,,,",
            [
                "figure is missing",
                "period_start is missing",
                "period_end is missing",
                "target is missing",
            ],
        ),
    ],
)
def test_target_rows_rejected(
    seeded_db: Path, tmp_path: Path, row: str, reasons: list[str]
) -> None:
    result = run_import(seeded_db, {"targets.csv": TARGETS_HEADER + row + "\n"}, tmp_path)
    assert result.landed, result.error
    report = result.files[0]
    assert (report.rejected, report.inserted) == (1, 0)
    assert report.rejected_rows[0]["reasons"] == reasons
    assert query(seeded_db, "SELECT count(*) FROM targets") == [(0,)]


def test_a_programme_wide_target_is_replaced_not_repeated(seeded_db: Path, tmp_path: Path) -> None:
    """The key holds a blank stream: importing it again updates it, and a file that gives it
    twice with different values contradicts itself."""
    first = "peer_support_hours,2025-04-01,2026-03-31,600,,Hours\n"
    run_import(seeded_db, {"targets.csv": TARGETS_HEADER + first}, tmp_path / "a")
    again = run_import(seeded_db, {"targets.csv": TARGETS_HEADER + first}, tmp_path / "b")
    assert again.files[0].unchanged == 1
    changed = run_import(
        seeded_db,
        {"targets.csv": TARGETS_HEADER + first.replace("600", "650")},
        tmp_path / "c",
    )
    assert changed.files[0].updated == 1
    assert query(seeded_db, "SELECT target FROM targets") == [(650.0,)]
    both = TARGETS_HEADER + first + first.replace("600", "700")
    clash = run_import(seeded_db, {"targets.csv": both}, tmp_path / "d")
    assert clash.files[0].rejected == 2
    assert (
        "appears 2 times in this file with different values"
        in clash.files[0].rejected_rows[0]["reasons"][0]
    )
    # The same figure and period for a stream is another target.
    other = run_import(
        seeded_db,
        {"targets.csv": TARGETS_HEADER + first.replace(",,Hours", ",Lottery,Hours")},
        tmp_path / "e",
    )
    assert other.files[0].inserted == 1
    assert query(seeded_db, "SELECT count(*) FROM targets") == [(2,)]


def test_funding_and_targets_are_told_apart_by_their_headings(
    seeded_db: Path, tmp_path: Path
) -> None:
    result = run_import(
        seeded_db,
        {
            "a.csv": FUNDING_HEADER + "PM-1,Lottery,,\n",
            "b.csv": TARGETS_HEADER + "mentors_active,2025-01-01,2025-12-31,20,Lottery,\n",
        },
        tmp_path,
    )
    assert [(f.file, f.type) for f in result.files] == [("a.csv", "funding"), ("b.csv", "targets")]


def test_funding_for_a_mentor_in_the_same_import_is_accepted(
    seeded_db: Path, tmp_path: Path
) -> None:
    """Funding lands after mentors, whatever order the files are given in."""
    result = run_import(
        seeded_db,
        {
            "funding.csv": FUNDING_HEADER + "PM-NEW,Lottery,,\n",
            "mentors.csv": "mentor_id,cohort,start_date,status\nPM-NEW,2025,2025-01-01,active\n",
        },
        tmp_path,
    )
    assert [f.rejected for f in result.files] == [0, 0]
    assert query(seeded_db, "SELECT mentor_id FROM funding") == [("PM-NEW",)]


@pytest.mark.parametrize("name", ["funding", "targets"])
def test_the_template_imports_cleanly(seeded_db: Path, tmp_path: Path, name: str) -> None:
    run_import(
        seeded_db,
        {"mentors.csv": "mentor_id,cohort,start_date,status\nPM-014,2025,2025-01-01,active\n"},
        tmp_path / "m",
    )
    path = tmp_path / f"{name}_template.csv"
    path.write_bytes(records.template_csv(name))
    result = run_import(seeded_db, [path])
    assert result.landed and result.files[0].type == name
    assert (result.files[0].inserted, result.files[0].rejected) == (1, 0)
