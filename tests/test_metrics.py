"""METRICS.md, figure by figure, on small databases whose answers are worked out by hand.

Each test inserts a handful of rows with SQL and checks the report against arithmetic written
out in the comments. Windows are given explicitly unless the default window is under test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from conftest import A, M, S, build

from analysis import database
from analysis.metrics import Scope
from analysis.report import build_report
from analysis.settings import Settings

D = dt.date.fromisoformat
APPROX = pytest.approx


def report(
    db: Path,
    date_from: str | None = "2025-03-01",
    date_to: str | None = "2025-03-31",
    settings: Settings | None = None,
    **filters: tuple[str, ...],
) -> dict[str, Any]:
    scope = Scope(
        date_from=D(date_from) if date_from else None,
        date_to=D(date_to) if date_to else None,
        **filters,
    )
    with database.connect(db) as con:
        return build_report(con, scope, settings or Settings(), "manager")


# ------------------------------------------------------------------------ per attendance row

# One mentor, one 60-minute shadowing session at 10:00; grace 5 minutes.
# attendance, arrival → punctuality_rate, mean_minutes_late, staff_minutes_lost, credited minutes
LATENESS = [
    # the only present row has no arrival time and no late mark: arrival times are not recorded
    # in scope, so punctuality is null, never 100% (METRICS.md, third release)
    ("attended", None, None, None, 0.0, 60),
    ("attended", "09:50", 1.0, None, 0.0, 60),  # early: minutes_late 0
    ("attended", "10:05", 1.0, None, 0.0, 55),  # 5 minutes = within grace: on time
    ("attended", "10:05:59", 1.0, None, 0.0, 55),  # whole minutes: still 5
    ("attended", "10:06", 0.0, 6.0, 6.0, 54),  # 6 > 5: late
    # METRICS.md, changed in the second release: the recorded time decides, not the mark
    ("late", "10:02", 1.0, None, 0.0, 58),  # marked late, arrived within grace: on time
    ("late", "10:05", 1.0, None, 0.0, 55),  # marked late, 5 minutes: still within grace
    ("late", "10:06", 0.0, 6.0, 6.0, 54),  # marked late, 6 minutes: late
    ("late", None, 0.0, None, 0.0, 60),  # late, minutes unknown: not in the mean, nothing lost
    ("attended", "10:45", 0.0, 45.0, 45.0, 15),
    ("no_show", None, None, None, 60.0, None),  # nobody present: punctuality has no denominator
    ("notified_absence", None, None, None, 0.0, None),
]


@pytest.mark.parametrize(
    ("attendance", "arrival", "punctuality", "mean_late", "lost", "credited"), LATENESS
)
def test_lateness_and_the_grace_period(
    db: Path,
    attendance: str,
    arrival: str | None,
    punctuality: float | None,
    mean_late: float | None,
    lost: float,
    credited: int | None,
) -> None:
    build(
        db,
        [M("PM-1")],
        [S("S1", "shadowing", "2025-03-10 10:00", 60)],
        [A("S1", "PM-1", attendance, arrival)],
    )
    r = report(db, settings=Settings(shadowing_target_hours=1))
    assert r["punctuality_rate"] == punctuality
    assert r["mean_minutes_late"] == mean_late
    assert r["median_minutes_late"] == mean_late
    assert r["staff_minutes_lost"] == lost
    # credited shadowing minutes against a 60-minute target: complete only at 60
    if credited is None:
        assert r["shadowing"]["mentors_complete"] == r["shadowing"]["mentors_in_progress"] == 0
    else:
        complete = credited >= 60
        assert r["shadowing"]["mentors_complete"] == int(complete)
        assert r["shadowing"]["mentors_in_progress"] == int(not complete)


@pytest.mark.parametrize(
    ("grace", "arrival", "late"),
    [(0, "10:00", False), (0, "10:01", True), (10, "10:10", False), (10, "10:11", True)],
)
def test_the_grace_period_is_a_setting(db: Path, grace: int, arrival: str, late: bool) -> None:
    build(
        db,
        [M("PM-1")],
        [S("S1", "training", "2025-03-10 10:00")],
        [A("S1", "PM-1", "attended", arrival)],
    )
    r = report(db, settings=Settings(grace_minutes=grace))
    assert r["settings"]["grace_minutes"] == grace
    assert r["punctuality_rate"] == (0.0 if late else 1.0)


def test_rates(db: Path) -> None:
    build(
        db,
        [M("PM-1"), M("PM-2")],
        [S(f"S{i}", "training", f"2025-03-{10 + i} 10:00") for i in range(1, 8)],
        [
            A("S1", "PM-1", "attended", "10:00"),
            A("S2", "PM-1", "late", "10:10"),
            A("S3", "PM-1", "no_show"),
            A("S4", "PM-1", "notified_absence"),
            A("S5", "PM-1", "cancelled_by_programme"),
            A("S6", "PM-1", "attended", "10:20"),
            A("S7", "PM-2", "no_show"),
            A("S1", "PM-2", "attended", "10:13"),
        ],
    )
    r = report(db)
    # expected: 8 rows − 1 cancelled = 7; present: S1, S2, S6 (PM-1) + S1 (PM-2) = 4
    assert r["expected_attendances"] == 7
    assert r["attendance_rate"] == APPROX(4 / 7)
    # no_show: S3, S7 = 2 of 7
    assert r["no_show_rate"] == APPROX(2 / 7)
    # notice: 1 notified / (1 notified + 2 no_show)
    assert r["notice_rate"] == APPROX(1 / 3)
    # late: S2 (marked, 10 min), S6 (20 min), PM-2 S1 (13 min); on time: PM-1 S1 → 1 of 4
    assert r["punctuality_rate"] == APPROX(1 / 4)
    # mean (10 + 20 + 13) / 3, median 13
    assert r["mean_minutes_late"] == APPROX(43 / 3)
    assert r["median_minutes_late"] == 13.0


def test_median_of_an_even_number_of_late_rows(db: Path) -> None:
    build(
        db,
        [M("PM-1")],
        [S(f"S{i}", "training", f"2025-03-1{i} 10:00") for i in range(4)],
        [A(f"S{i}", "PM-1", "attended", f"10:{m}") for i, m in enumerate(["06", "08", "12", "40"])],
    )
    r = report(db)
    assert r["median_minutes_late"] == 10.0  # (8 + 12) / 2
    assert r["mean_minutes_late"] == 16.5  # (6 + 8 + 12 + 40) / 4


@pytest.mark.parametrize(
    "rows",
    [
        [],  # no attendance at all
        [A("S1", "PM-1", "cancelled_by_programme")],  # nothing expected
    ],
)
def test_a_rate_with_a_zero_denominator_is_none(db: Path, rows: list[dict[str, Any]]) -> None:
    build(db, [M("PM-1")], [S("S1", "beneficiary_meeting", "2025-03-10 10:00", 60, "B1")], rows)
    r = report(db)
    assert r["expected_attendances"] == 0
    for key in ("attendance_rate", "no_show_rate", "notice_rate", "punctuality_rate"):
        assert r[key] is None, key
    assert r["mean_minutes_late"] is None and r["median_minutes_late"] is None
    assert r["peer_support_hours"] == 0.0
    assert r["beneficiaries_reached"] == 0


def test_notice_rate_without_absences_is_none_while_others_are_defined(db: Path) -> None:
    build(db, [M("PM-1")], [S("S1", "training", "2025-03-10 10:00")], [A("S1", "PM-1", "attended")])
    r = report(db)
    assert (r["attendance_rate"], r["no_show_rate"], r["notice_rate"]) == (1.0, 0.0, None)


# ---------------------------------------------------------------------------- active mentors

# window 2025-03-01 … 2025-03-31; each mentor attended one session on 2025-03-15
ACTIVE = [
    ("2025-03-31", None, "active", True),  # starts on `to`
    ("2025-04-01", None, "active", False),  # starts after `to`
    ("2024-01-01", "2025-03-01", "completed", True),  # ends on `from`
    ("2024-01-01", "2025-02-28", "withdrawn", False),  # ended before `from`
    ("2024-01-01", "2025-12-31", "withdrawn", True),  # status does not decide, dates do
    ("2025-02-01", None, "paused", True),
]


@pytest.mark.parametrize(("start", "end", "status", "active"), ACTIVE)
def test_active_mentor_rule(
    db: Path, start: str, end: str | None, status: str, active: bool
) -> None:
    build(
        db,
        [M("PM-1", start, end, status), M("PM-0", "2024-01-01")],
        [S("S1", "training", "2025-03-15 10:00")],
        [A("S1", "PM-1", "attended")],
    )
    r = report(db)
    assert r["mentors_active"] == 1 + active  # PM-0 is always active
    assert r["expected_attendances"] == int(active)
    assert r["stages"]["distribution"]["not_assessed"] == 1 + active


def test_window_is_whole_local_days(db: Path) -> None:
    build(
        db,
        [M("PM-1", "2024-01-01")],
        [
            S("S0", "training", "2025-02-28 23:59"),  # the day before `from`
            S("S1", "training", "2025-03-01 00:00"),
            S("S2", "training", "2025-03-31 23:59"),
            S("S3", "training", "2025-04-01 00:00"),  # the day after `to`
        ],
        [A(s, "PM-1", "attended") for s in ("S0", "S1", "S2", "S3")],
    )
    assert report(db)["expected_attendances"] == 2
    # the default window runs from the first session's day to the last's
    r = report(db, None, None)
    assert r["window"] == {"from": "2025-02-28", "to": "2025-04-01"}
    assert r["expected_attendances"] == 4


# ------------------------------------------------------- credited minutes, peer support, staff


def test_credited_minutes_peer_support_hours_and_beneficiaries(db: Path) -> None:
    build(
        db,
        [M("PM-1"), M("PM-2")],
        [
            S("B1", "beneficiary_meeting", "2025-03-03 10:00", 90, "X"),
            S("B2", "beneficiary_meeting", "2025-03-04 10:00", 60, "X"),
            S("B3", "beneficiary_meeting", "2025-03-05 10:00", 60, "Y"),
            S("B4", "beneficiary_meeting", "2025-03-06 10:00", 30, "Y"),
            S("B5", "beneficiary_meeting", "2025-03-07 10:00", 60, "V"),
            S("B6", "beneficiary_meeting", "2025-03-10 10:00", 60, "Z"),
            S("B7", "beneficiary_meeting", "2025-03-11 10:00", 60, "W"),
            S("B8", "beneficiary_meeting", "2025-04-02 10:00", 60, "OUT"),  # after the window
            S("SH", "shadowing", "2025-03-12 10:00", 120),  # present, but not peer support
        ],
        [
            A("B1", "PM-1", "attended", minutes=75),  # 75 recorded
            A("B2", "PM-1", "attended", minutes=80),  # 80 recorded, capped at duration: 60
            A("B3", "PM-1", "late", "10:20"),  # 60 − 20 = 40
            A("B4", "PM-1", "late", "10:45"),  # max(0, 30 − 45) = 0
            A("B5", "PM-1", "attended", "09:50"),  # early: 60 − 0 = 60
            A("B5", "PM-2", "no_show"),  # not present: nothing
            A("B6", "PM-1", "no_show"),  # Z is not reached
            A("B7", "PM-2", "attended", minutes=0),  # 0 recorded; W is still reached
            A("B8", "PM-1", "attended"),
            A("SH", "PM-1", "attended"),
        ],
    )
    r = report(db)
    # 75 + 60 + 40 + 0 + 60 + 0 = 235 minutes
    assert r["peer_support_hours"] == APPROX(235 / 60)
    # reached: X, Y, V, W (Z only had a no-show; OUT is outside the window)
    assert r["beneficiaries_reached"] == 4
    # meeting rows in the window: 8 (B1..B7, B5 twice), none cancelled; missed: B5 (PM-2),
    # B6; late: B3, B4
    assert r["beneficiary_meetings"] == {"expected": 8, "missed": 2, "late": 2}


def test_staff_minutes_lost(db: Path) -> None:
    build(
        db,
        [M("PM-1"), M("PM-2")],
        [
            S("SH1", "shadowing", "2025-03-03 10:00", 60),
            S("SH2", "shadowing", "2025-03-04 10:00", 90),
            S("SH3", "shadowing", "2025-03-05 10:00", 60),
            S("BM1", "beneficiary_meeting", "2025-03-06 10:00", 60, "X"),
            S("BM2", "beneficiary_meeting", "2025-03-07 10:00", 60, "X"),
            S("BM3", "beneficiary_meeting", "2025-03-08 10:00", 45, "X"),
            S("BM4", "beneficiary_meeting", "2025-03-09 10:00", 60, "X"),
            S("TR", "training", "2025-03-10 10:00", 120),
            S("GD", "group_day", "2025-03-11 10:00", 300),
        ],
        [
            A("SH1", "PM-1", "attended", "10:12"),  # late 12: +12
            A("SH2", "PM-1", "no_show"),  # +90
            A("SH3", "PM-1", "attended", "10:04"),  # within grace: +0
            A("BM1", "PM-1", "late"),  # late, minutes unknown: +0
            A("BM2", "PM-2", "late", "10:03"),  # marked late, within grace: on time, +0
            A("BM3", "PM-2", "notified_absence"),  # notice given: +0
            A("BM4", "PM-2", "cancelled_by_programme"),  # +0
            A("TR", "PM-1", "no_show"),  # not shadowing or a meeting: +0
            A("GD", "PM-2", "attended", "10:30"),  # likewise: +0
        ],
    )
    r = report(db)
    assert r["staff_minutes_lost"] == 12 + 90
    # meetings: BM1..BM4; expected 3 (BM4 cancelled); missed: BM3; late: BM1 (BM2 in grace)
    assert r["beneficiary_meetings"] == {"expected": 3, "missed": 1, "late": 1}


# -------------------------------------------------------------------------------- shadowing


def _shadowing_db(db: Path) -> Path:
    return build(
        db,
        [
            M("PM-A", "2025-01-01"),
            M("PM-B", "2025-01-05"),
            M("PM-C", "2025-01-01"),
            M("PM-D", "2025-01-01"),
            M("PM-E", "2025-01-01"),
            M("PM-F", "2025-01-01"),
        ],
        [
            S("A1", "shadowing", "2025-01-10 09:00", 300),
            S("A2", "shadowing", "2025-01-20 09:00", 240),
            S("A3", "shadowing", "2025-02-01 09:00", 120),
            S("B1", "shadowing", "2025-01-15 09:00", 600),
            S("C1", "shadowing", "2025-02-10 09:00", 200),
            S("E1", "shadowing", "2025-02-10 13:00", 600),
            S("F1", "shadowing", "2025-02-11 09:00", 600),
            S("T1", "training", "2025-02-12 09:00", 600),
            S("X1", "shadowing", "2025-04-15 09:00", 600),  # after `to`
        ],
        [
            A("A1", "PM-A", "attended"),  # 300
            A("A2", "PM-A", "attended"),  # 540
            A("A3", "PM-A", "attended"),  # 660: crosses 600 during the session of 1 Feb
            A("B1", "PM-B", "attended"),  # 600 in one session on 15 Jan
            A("C1", "PM-C", "attended"),  # 200: in progress
            A("E1", "PM-E", "no_show"),  # 0: neither
            A("F1", "PM-F", "attended", "09:30"),  # 570 (late 30): in progress
            A("T1", "PM-D", "attended"),  # training is not shadowing: neither
            A("X1", "PM-C", "attended"),  # after `to`: not counted
        ],
    )


def test_shadowing_is_cumulative_up_to_to(db: Path) -> None:
    _shadowing_db(db)
    r = report(db, "2025-03-01", "2025-03-31")  # no shadowing in the window itself
    assert r["shadowing"]["target_hours"] == 10
    # complete: A (660), B (600); in progress: C (200), F (570)
    assert r["shadowing"]["mentors_complete"] == 2
    assert r["shadowing"]["mentors_in_progress"] == 2
    # days to complete: A 1 Jan → 1 Feb = 31; B 5 Jan → 15 Jan = 10; median (31 + 10) / 2
    assert r["shadowing"]["median_days_to_complete"] == 20.5


def test_shadowing_on_an_earlier_to(db: Path) -> None:
    _shadowing_db(db)
    r = report(db, "2025-01-01", "2025-01-31")
    # A has 540 by 31 Jan: in progress; B complete in 10 days; C, F not yet started
    assert r["shadowing"] == {
        "target_hours": 10,
        "mentors_complete": 1,
        "mentors_in_progress": 1,
        "median_days_to_complete": 10.0,
        "completed_in_window": 1,
    }


def test_shadowing_target_is_a_setting(db: Path) -> None:
    _shadowing_db(db)
    r = report(db, settings=Settings(shadowing_target_hours=3))
    # target 180: A reaches it at A1 (300 on 10 Jan: 9 days), B at B1 (15 Jan: 10 days),
    # C at C1 (200 on 10 Feb: 40 days), F at F1 (570 on 11 Feb: 41 days)
    assert r["shadowing"]["mentors_complete"] == 4
    assert r["shadowing"]["mentors_in_progress"] == 0
    assert r["shadowing"]["median_days_to_complete"] == 25.0  # (10 + 40) / 2
    assert r["shadowing"]["target_hours"] == 3


def test_no_one_complete_gives_no_median(db: Path) -> None:
    build(
        db,
        [M("PM-1")],
        [S("S1", "shadowing", "2025-03-03 10:00", 60)],
        [A("S1", "PM-1", "attended")],
    )
    assert report(db)["shadowing"] == {
        "target_hours": 10,
        "mentors_complete": 0,
        "mentors_in_progress": 1,
        "median_days_to_complete": None,
        "completed_in_window": 0,
    }


# ---------------------------------------------------------------------------------- stages


def _stages_db(db: Path) -> Path:
    return build(
        db,
        [M("P1"), M("P2"), M("P3"), M("P4"), M("P5"), M("P6", "2025-04-01")],
        [S("S1", "training", "2025-03-05 10:00")],
        [],
        stages=[
            ("P1", "2025-01-10", 2, 10),
            ("P1", "2025-02-10", 4, 14),
            ("P1", "2025-04-10", 6, 20),  # after `to`
            ("P2", "2025-01-15", 3, 20),
            ("P2", "2025-03-20", 2, 15),  # a fall in the window
            ("P4", "2025-04-05", 5, 12),  # after `to`: P4 is not assessed yet
            ("P5", "2025-01-01", 1, 5),
            ("P5", "2025-02-01", 3, None),
            ("P5", "2025-02-15", 2, 9),  # a fall before the window
            ("P6", "2025-03-10", 1, 1),  # P6 is not active (starts after `to`)
            ("P6", "2025-03-11", 7, 30),
        ],
    )


def test_stage_distribution_progress_and_regressions(db: Path) -> None:
    _stages_db(db)
    stages = report(db)["stages"]
    # current stage on 31 Mar: P1 4, P2 2, P5 2; P3 and P4 not assessed; P6 not active
    assert stages["distribution"] == {
        "1": 0,
        "2": 2,
        "3": 0,
        "4": 1,
        "5": 0,
        "6": 0,
        "7": 0,
        "not_assessed": 2,
    }
    # progressed (≥ 2 assessments, latest above first): P1 2→4, P5 1→2; not P2 3→2
    assert stages["mentors_progressed"] == 2
    # regressions with the later assessment in the window: P2 (20 Mar); not P5 (15 Feb)
    assert stages["regressions"] == 1
    # self-esteem latest − first over scored assessments: P1 14−10 = 4, P2 15−20 = −5,
    # P5 9−5 = 4 (the unscored one is skipped) → (4 − 5 + 4) / 3
    assert stages["mean_self_esteem_change"] == APPROX(1.0)


def test_stages_seen_from_a_later_to(db: Path) -> None:
    _stages_db(db)
    stages = report(db, "2025-01-01", "2025-04-30")["stages"]
    # now P1 is at 6, P4 at 5, and P6 (from 1 Apr) is active, at 7
    assert stages["distribution"] == {
        "1": 0,
        "2": 2,
        "3": 0,
        "4": 0,
        "5": 1,
        "6": 1,
        "7": 1,
        "not_assessed": 1,
    }
    # progressed: P1 2→6, P5 1→2, P6 1→7
    assert stages["mentors_progressed"] == 3
    # falls in the window: P2 3→2, P5 3→2
    assert stages["regressions"] == 2
    # P1 20−10 = 10, P2 −5, P5 4, P6 30−1 = 29 → 38 / 4
    assert stages["mean_self_esteem_change"] == APPROX(9.5)


def test_stages_with_no_assessments(db: Path) -> None:
    build(db, [M("P1"), M("P2")], [S("S1", "training", "2025-03-05 10:00")])
    stages = report(db)["stages"]
    assert stages["distribution"]["not_assessed"] == 2
    assert sum(stages["distribution"].values()) == 2
    assert stages["mentors_progressed"] == stages["regressions"] == 0
    assert stages["mean_self_esteem_change"] is None


# ------------------------------------------------------------------------ events, milestones


def test_events(db: Path) -> None:
    build(
        db,
        [M("P1"), M("P2"), M("P3"), M("P4"), M("P5", "2025-05-01")],
        [
            S("IWD", "event", "2025-03-08 10:00", event="International Women's Day"),
            S("GD1", "group_day", "2025-03-12 10:00", 300),
            S("GD2", "group_day", "2025-03-19 10:00", 300),
            S("EV", "event", "2025-03-20 10:00"),  # an event without a name
            S("ALW", "event", "2025-04-10 10:00", event="Adult Learners' Week"),  # after `to`
            S("TR", "training", "2025-03-21 10:00"),
        ],
        [
            A("IWD", "P1", "attended"),
            A("IWD", "P2", "late"),  # late is present
            A("IWD", "P3", "notified_absence"),
            A("GD1", "P1", "attended"),
            A("GD1", "P3", "no_show"),
            A("GD1", "P4", "attended"),
            A("GD2", "P4", "attended"),  # P4 twice: counted once
            A("EV", "P2", "attended"),
            A("ALW", "P3", "attended"),
            A("TR", "P3", "attended"),  # training is not an event
        ],
    )
    events = report(db)["events"]
    # distinct present: P1, P2, P4 (P3 only absent at events in the window)
    assert events["mentors_attending"] == 3
    assert events["by_event"] == {"International Women's Day": 2, "group_day": 2, "event": 1}


def test_milestones_in_the_window(db: Path) -> None:
    build(
        db,
        [M("P1"), M("P2"), M("P3"), M("P9", "2025-04-02")],
        [S("S1", "training", "2025-03-05 10:00")],
        milestones=[
            ("P1", "training_completed", "2025-03-01"),  # on `from`
            ("P2", "training_completed", "2025-03-31"),  # on `to`
            ("P3", "training_completed", "2025-02-28"),  # before the window
            ("P1", "volunteering", "2025-03-05"),
            ("P1", "volunteering", "2025-03-25"),  # the same mentor again: counted once
            ("P2", "paid_employment", "2025-04-01"),  # after the window
            ("P9", "paid_employment", "2025-03-10"),  # P9 is not active in the window
        ],
    )
    assert report(db)["milestones"] == {"training_completed": 2, "volunteering": 1}


# One shadowing completion date (METRICS.md, changed in the second release): the earlier of the
# session whose running total reached the target and an imported `shadowing_completed`.
def test_one_shadowing_completion_date_for_every_shadowing_figure(db: Path) -> None:
    build(
        db,
        [M("H1"), M("H2"), M("H3"), M("H4"), M("H5")],
        [
            S("A1", "shadowing", "2025-02-10 10:00", 600),  # H1 reaches 10 hours in February
            S("A2", "shadowing", "2025-03-12 10:00", 600),  # H2 reaches them in March
            S("A3", "shadowing", "2025-03-20 10:00", 120),  # H3: 2 hours only
        ],
        [A("A1", "H1", "attended"), A("A2", "H2", "attended"), A("A3", "H3", "attended")],
        milestones=[
            ("H2", "shadowing_completed", "2025-02-20"),  # recorded before the hours: earlier
            ("H3", "shadowing_completed", "2025-03-25"),  # recorded, hours short: complete
            ("H4", "shadowing_completed", "2025-04-02"),  # after `to`: not yet
            ("H1", "shadowing_completed", "2025-03-05"),  # after the hours: the hours count
        ],
    )
    r = report(db)
    # complete by 31 March: H1 (10 Feb), H2 (20 Feb), H3 (25 Mar); none of H4 and H5 shadowed
    assert r["shadowing"]["mentors_complete"] == 3
    assert r["shadowing"]["mentors_in_progress"] == 0
    # days from 1 Jan: H1 40, H2 50, H3 83
    assert r["shadowing"]["median_days_to_complete"] == 50.0
    # completed in March: H3 only (H1 and H2 completed in February)
    assert r["shadowing"]["completed_in_window"] == 1
    assert r["milestones"]["shadowing_completed"] == 1
    february = report(db, "2025-02-01", "2025-02-28")
    assert february["shadowing"]["completed_in_window"] == 2
    assert february["milestones"]["shadowing_completed"] == 2
    assert february["shadowing"]["mentors_complete"] == 2
    assert february["shadowing"]["mentors_in_progress"] == 0  # H2's hours came later


def test_flows_of_people(db: Path) -> None:
    build(
        db,
        [
            M("F1", "2025-03-01"),  # started on `from`
            M("F2", "2025-03-31", status="paused"),  # started on `to`
            M("F3", "2024-06-01", "2025-03-15", status="completed"),
            M("F4", "2025-03-10", "2025-03-20", status="withdrawn"),  # started and withdrew
            M("F5", "2024-06-01", "2025-02-28", status="completed"),  # before: not active
            M("F6", "2024-06-01", "2025-04-01", status="withdrawn"),  # after the window
            M("F7", "2025-04-01"),  # starts after the window: not active
            M("F8", "2024-01-01", "2025-03-31", status="active"),  # an end date, still active
        ],
        [S("S1", "training", "2025-03-05 10:00")],
    )
    r = report(db)
    assert r["mentors_active"] == 6
    assert r["mentors_started"] == 3
    assert r["mentors_completed"] == 1
    assert r["mentors_withdrawn"] == 1


# ---------------------------------------------------------------------------------- at risk

# `to` = 2025-03-31; the look-back is 2025-03-04 … 2025-03-31.
IN = [
    "2025-03-04",
    "2025-03-10",
    "2025-03-15",
    "2025-03-20",
    "2025-03-25",
    "2025-03-28",
    "2025-03-30",
    "2025-03-31",
]


def test_at_risk_flags_and_their_order(db: Path) -> None:
    sessions = [S(f"D{i}", "training", f"{d} 10:00") for i, d in enumerate(IN)]
    sessions.append(S("OLD", "training", "2025-03-03 10:00"))  # the day before the look-back
    rows = [
        # R01: 3 expected, 1 present = 33% < 60%; and 2 no-shows
        A("D0", "R01", "attended"),
        A("D1", "R01", "no_show"),
        A("D2", "R01", "no_show"),
        # R02: 5 expected, 3 present = 60%: not below; notified absences are not no-shows
        *[A(f"D{i}", "R02", "attended") for i in range(3)],
        A("D3", "R02", "notified_absence"),
        A("D4", "R02", "notified_absence"),
        # R03: 2 no-shows, one on the look-back's first day; only 2 expected: not low attendance
        A("D0", "R03", "no_show"),
        A("D7", "R03", "no_show"),
        # R04: 3 late (marked, or past the grace) among 4 present
        A("D0", "R04", "late"),
        A("D1", "R04", "attended", "10:06"),
        A("D2", "R04", "late", "10:08"),
        A("D3", "R04", "attended", "10:05"),
        # R05: regression only (see stages)
        A("D0", "R05", "attended"),
        # R06: its fall is dated before the look-back
        # R07: completed: never checked
        *[A(f"D{i}", "R07", "no_show") for i in range(3)],
        # R08: all four: 8 expected, 3 present (all late) = 37.5%, 5 no-shows
        *[A(f"D{i}", "R08", "late") for i in range(3)],
        *[A(f"D{i}", "R08", "no_show") for i in range(3, 8)],
        # R09: one no-show in the look-back and one the day before it
        A("OLD", "R09", "no_show"),
        A("D7", "R09", "no_show"),
        # R10: paused is checked
        A("D1", "R10", "no_show"),
        A("D2", "R10", "no_show"),
        # R11: cancelled sessions are not expected: 1 expected, nothing flagged
        A("D0", "R11", "cancelled_by_programme"),
        A("D1", "R11", "cancelled_by_programme"),
        A("D2", "R11", "cancelled_by_programme"),
        A("D3", "R11", "no_show"),
        # R12 withdrew before the window: not active, not checked
        A("D0", "R12", "no_show"),
        A("D1", "R12", "no_show"),
    ]
    build(
        db,
        [
            *[M(f"R{i:02}") for i in range(1, 7)],
            M("R07", status="completed"),
            M("R08"),
            M("R09"),
            M("R10", status="paused"),
            M("R11"),
            M("R12", end="2025-02-01", status="withdrawn"),
        ],
        sessions,
        rows,
        stages=[
            ("R05", "2025-02-01", 4, None),
            ("R05", "2025-03-04", 3, None),  # the fall is on the look-back's first day
            ("R05", "2025-04-10", 7, None),  # after `to`: ignored
            ("R06", "2025-02-01", 4, None),
            ("R06", "2025-03-03", 3, None),  # the day before the look-back
            ("R08", "2025-01-10", 5, None),
            ("R08", "2025-03-30", 2, None),
            ("R02", "2025-01-10", 2, None),
            ("R02", "2025-03-30", 3, None),  # a rise is not a regression
        ],
    )
    assert report(db)["at_risk"] == [
        {"mentor_id": "R01", "reasons": ["low_attendance", "no_shows"]},
        {"mentor_id": "R03", "reasons": ["no_shows"]},
        {"mentor_id": "R04", "reasons": ["lateness"]},
        {"mentor_id": "R05", "reasons": ["stage_regression"]},
        {
            "mentor_id": "R08",
            "reasons": ["low_attendance", "no_shows", "lateness", "stage_regression"],
        },
        {"mentor_id": "R10", "reasons": ["no_shows"]},
    ]


def test_at_risk_look_back_is_a_setting(db: Path) -> None:
    build(
        db,
        [M("R01")],
        [S("OLD", "training", "2025-03-03 10:00"), S("NEW", "training", "2025-03-31 10:00")],
        [A("OLD", "R01", "no_show"), A("NEW", "R01", "no_show")],
    )
    assert report(db)["at_risk"] == []  # 28 days: 4 Mar … 31 Mar
    flagged = report(db, settings=Settings(lookback_days=29))["at_risk"]
    assert flagged == [{"mentor_id": "R01", "reasons": ["no_shows"]}]


# ---------------------------------------------------------------------------------- filters


def _filters_db(db: Path) -> Path:
    return build(
        db,
        [
            M("P1", cohort="2025 spring", gender="female", worker="OW-1", region="North"),
            M("P2", cohort="2025 spring", gender="male", worker="OW-2", region="South"),
            M("P3", cohort="2025 autumn", gender="female", worker="OW-2", region="North"),
            M("P4", cohort="2024 autumn", gender="not stated", worker="OW-3", region="East"),
        ],
        [
            S("B1", "beneficiary_meeting", "2025-03-03 10:00", 60, "X"),
            S("B2", "beneficiary_meeting", "2025-03-04 10:00", 60, "Y"),
            S("T1", "training", "2025-03-05 10:00"),
        ],
        [
            A("B1", "P1", "attended"),
            A("B1", "P2", "attended"),
            A("B2", "P2", "no_show"),
            A("B2", "P3", "attended"),
            A("T1", "P4", "no_show"),
        ],
    )


# filters → mentors_active, expected_attendances, beneficiaries_reached, attendance_rate
FILTERS = [
    ({}, 4, 5, 2, 3 / 5),
    ({"cohorts": ("2025 spring",)}, 2, 3, 1, 2 / 3),  # P1, P2: B1 X twice, B2 no-show
    ({"cohorts": ("2025 spring", "2025 autumn")}, 3, 4, 2, 3 / 4),
    ({"genders": ("female",)}, 2, 2, 2, 1.0),  # P1 (X), P3 (Y)
    ({"genders": ("not stated",)}, 1, 1, 0, 0.0),
    ({"outreach_workers": ("OW-2",)}, 2, 3, 2, 2 / 3),  # P2, P3
    ({"regions": ("North",)}, 2, 2, 2, 1.0),
    ({"regions": ("North",), "genders": ("male",)}, 0, 0, 0, None),  # no one: rates undefined
    ({"cohorts": ("no such cohort",)}, 0, 0, 0, None),
]


@pytest.mark.parametrize(("filters", "active", "expected", "reached", "rate"), FILTERS)
def test_filters_select_mentors(
    db: Path,
    filters: dict[str, tuple[str, ...]],
    active: int,
    expected: int,
    reached: int,
    rate: float | None,
) -> None:
    _filters_db(db)
    r = report(db, **filters)
    assert (r["mentors_active"], r["expected_attendances"], r["beneficiaries_reached"]) == (
        active,
        expected,
        reached,
    )
    assert r["attendance_rate"] == (None if rate is None else APPROX(rate))


def test_the_report_names_its_scope(db: Path) -> None:
    _filters_db(db)
    r = report(db, cohorts=("2025 spring",), regions=("North",))
    assert r["window"] == {"from": "2025-03-01", "to": "2025-03-31"}
    assert r["filters"] == {
        "cohort": ["2025 spring"],
        "gender": None,
        "outreach_worker": None,
        "region": ["North"],
        "funding_streams": None,
    }
    assert r["audience"] == "manager"
    assert r["settings"] == {"grace_minutes": 5, "shadowing_target_hours": 10, "suppression_k": 5}
