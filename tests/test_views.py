"""The manager views, on a tiny programme whose answers are worked out by hand, and on demo data
where every view must agree with `metrics.compute` wherever the two overlap.

The tiny programme (window 1 Jan – 31 Mar 2025, grace 5 minutes):

    PM-1  cohort A, started 1 Dec 2024, active            OW-1 North
    PM-2  cohort A, started 15 Jan 2025, active           OW-2 South
    PM-3  cohort B, 1 – 20 Mar 2025, withdrawn            OW-1 North
    PM-4  cohort B, starts 1 Jun 2025 (not active in the window)

    session  type (staff)              start              min  PM-1            PM-2          PM-3
    S0       shadowing (ST-1)          Mon 30 Dec 10:00    60  on time
    S1       shadowing (ST-1)          Mon  6 Jan 10:00   120  on time 09:58
    S2       beneficiary (OW-1, B-1)   Wed  8 Jan 14:00    60  late 14:20
    S3       group day (ST-2)          Mon  3 Feb 10:00   300  10:03 (grace)   late, no time
    S4       shadowing (ST-1)          Mon 10 Feb 10:00   240  10:10, 200 min  no-show
    S5       beneficiary (OW-2, B-2)   Wed  5 Mar 14:00    90  no-show         14:02
    S6       supervision (OW-1)        Mon 10 Mar 10:00    60  with notice     cancelled     10:00
    S7       shadowing (ST-1)          Wed 12 Mar 10:00   300  10:00           10:40         no-show

In the window: 13 expected, 9 present, 4 late (PM-1 S2 20 min, S4 10 min; PM-2 S3 no time,
S7 40 min), 5 on time, 3 no-shows, 1 absence with notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analysis import admin, database, journey, mentor_views, metrics, views
from analysis.settings import Settings
from tests.conftest import DEMO_END, run_import

D = dt.date.fromisoformat
APPROX = pytest.approx
SETTINGS = Settings()
WINDOW = metrics.Scope(D("2025-01-01"), D("2025-03-31"))

MENTORS = """\
mentor_id,cohort,start_date,status,end_date,gender,outreach_worker,region
PM-1,A,2024-12-01,active,,female,OW-1,North
PM-2,A,2025-01-15,active,,male,OW-2,South
PM-3,B,2025-03-01,withdrawn,2025-03-20,female,OW-1,North
PM-4,B,2025-06-01,active,,male,OW-2,South
"""
SESSIONS = """\
session_id,session_type,scheduled_start,duration_minutes,staff_id,beneficiary_id
S0,shadowing,2024-12-30 10:00,60,ST-1,
S1,shadowing,2025-01-06 10:00,120,ST-1,
S2,beneficiary_meeting,2025-01-08 14:00,60,OW-1,B-1
S3,group_day,2025-02-03 10:00,300,ST-2,
S4,shadowing,2025-02-10 10:00,240,ST-1,
S5,beneficiary_meeting,2025-03-05 14:00,90,OW-2,B-2
S6,supervision,2025-03-10 10:00,60,OW-1,
S7,shadowing,2025-03-12 10:00,300,ST-1,
"""
ATTENDANCE = """\
session_id,mentor_id,attendance,arrival_time,minutes_attended,notes
S0,PM-1,attended,10:00,,
S1,PM-1,attended,09:58,,
S2,PM-1,late,14:20,,Bus was late
S3,PM-1,attended,10:03,,
S4,PM-1,attended,10:10,200,
S5,PM-1,no_show,,,
S6,PM-1,notified_absence,,,
S7,PM-1,attended,10:00,,
S3,PM-2,late,,,
S4,PM-2,no_show,,,
S5,PM-2,attended,14:02,,
S6,PM-2,cancelled_by_programme,,,
S7,PM-2,attended,10:40,,
S6,PM-3,attended,10:00,,
S7,PM-3,no_show,,,
"""
STAGES = """\
mentor_id,assessed_on,stage,self_esteem,notes
PM-1,2024-12-05,1,10,First meeting
PM-1,2025-01-20,3,8,
PM-1,2025-02-20,2,9,Setback at home
PM-1,2025-03-25,4,14,
PM-2,2025-01-20,2,12,
PM-2,2025-03-01,2,13,
PM-2,2025-04-10,1,11,
PM-4,2025-06-05,1,10,
"""
MILESTONES = """\
mentor_id,milestone,achieved_on,notes
PM-1,training_completed,2024-12-10,
PM-1,shadowing_completed,2025-03-12,
PM-1,first_mentoring_session,2025-03-20,=HYPERLINK("http://x")
PM-1,paid_employment,2025-05-01,
PM-2,training_completed,2025-01-25,
PM-2,volunteering,2025-03-30,
PM-3,training_completed,2025-03-05,
PM-4,training_completed,2025-06-10,
"""


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("views")
    db = folder / "tiny.duckdb"
    files = {
        "mentors.csv": MENTORS,
        "sessions.csv": SESSIONS,
        "attendance.csv": ATTENDANCE,
        "stage_assessments.csv": STAGES,
        "milestones.csv": MILESTONES,
    }
    result = run_import(db, files, folder / "in")
    assert result.landed and all(f.rejected == 0 for f in result.files)
    return db


@pytest.fixture
def con(tiny_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with database.connect(tiny_db) as connection:
        yield connection


def records(frame: Any, *columns: str) -> list[tuple[Any, ...]]:
    """The frame's rows as plain tuples of the given columns (NaN/NA as None)."""
    out = []
    for row in frame[list(columns)].astype(object).itertuples(index=False):
        out.append(tuple(None if _missing(v) else v for v in row))
    return out


def _missing(value: Any) -> bool:
    try:
        return bool(value != value) or value is None  # NaN, NaT
    except (TypeError, ValueError):
        return value is None or str(value) == "<NA>"


# --- Hand-worked figures --------------------------------------------------------------------


def test_attendance_by_month(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.attendance_by_month(con, WINDOW, SETTINGS)
    assert records(
        frame,
        "month",
        "expected",
        "present",
        "on_time",
        "late",
        "no_show",
        "notified",
        "beneficiary_expected",
        "beneficiary_missed",
        "beneficiary_late",
    ) == [
        # Jan: S1, S2 (PM-1, late 20 min at a beneficiary meeting)
        (dt.datetime(2025, 1, 1), 2, 2, 1, 1, 0, 0, 1, 0, 1),
        # Feb: S3 (PM-1 within grace, PM-2 late), S4 (PM-1 late, PM-2 no-show)
        (dt.datetime(2025, 2, 1), 4, 3, 1, 2, 1, 0, 0, 0, 0),
        # Mar: S5, S6 (PM-2 cancelled: not expected), S7
        (dt.datetime(2025, 3, 1), 7, 4, 3, 1, 2, 1, 2, 1, 0),
    ]
    march = frame.iloc[2]
    assert march.attendance_rate == APPROX(4 / 7)
    assert march.punctuality_rate == APPROX(3 / 4)
    assert march.no_show_rate == APPROX(2 / 7)
    assert march.notice_rate == APPROX(1 / 3)
    assert _missing(frame.iloc[0].notice_rate)  # no absence in January: a rate of nothing
    # The window's figures, which the captions read, by hand: 13 expected, 9 present, 5 on time,
    # 3 no-shows, 1 notified absence.
    whole = frame.attrs["window"]
    assert (whole["expected_attendances"], whole["present"]) == (13, 9)
    assert whole["attendance_rate"] == APPROX(9 / 13)
    assert whole["punctuality_rate"] == APPROX(5 / 9)
    assert whole["no_show_rate"] == APPROX(3 / 13)
    assert whole["notice_rate"] == APPROX(1 / 4)
    assert not [c for c in frame.columns if c.startswith("window")]


def test_months_without_records_are_shown_as_zero(con: duckdb.DuckDBPyConnection) -> None:
    scope = metrics.Scope(D("2025-03-15"), D("2025-05-10"))
    frame = views.attendance_by_month(con, scope, SETTINGS)
    assert records(frame, "month", "expected") == [
        (dt.datetime(2025, 3, 1), 0),
        (dt.datetime(2025, 4, 1), 0),
        (dt.datetime(2025, 5, 1), 0),
    ]
    assert frame["attendance_rate"].isna().all()


def test_punctuality_by_weeks_in_programme(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.punctuality_by_weeks_in_programme(con, WINDOW, SETTINGS)
    # Weeks since start: PM-2 S3 (wk 2, late), PM-3 S6 (wk 1) | PM-1 S1, S2 (wk 5, one late),
    # PM-2 S5 (wk 7) | PM-1 S3, S4 (wk 9-10, one late), PM-2 S7 (wk 8, late) | PM-1 S7 (wk 14)
    assert records(frame, "label", "present", "on_time", "mentors") == [
        ("0–3", 2, 1, 2),
        ("4–7", 3, 2, 2),
        ("8–11", 3, 1, 2),
        ("12–15", 1, 1, 1),
    ]


def test_weeks_in_programme_cap(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.punctuality_by_weeks_in_programme(
        con, WINDOW, SETTINGS, bucket_weeks=4, cap_weeks=8
    )
    assert records(frame, "label", "present") == [("0–3", 2), ("4–7", 3), ("8+", 4)]
    with pytest.raises(ValueError):
        views.punctuality_by_weeks_in_programme(con, WINDOW, SETTINGS, bucket_weeks=4, cap_weeks=6)


def test_minutes_late_distribution(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.minutes_late_distribution(con, WINDOW, SETTINGS)
    # Late with a recorded time: 10, 20 and 40 minutes (PM-2's late at S3 has no time).
    assert records(frame, "label", "arrivals") == [
        ("0–5", 0),
        ("6–10", 1),
        ("11–15", 0),
        ("16–20", 1),
        ("21–30", 0),
        ("31–45", 1),
        ("46–60", 0),
        ("Over 60", 0),
    ]


def test_punctuality_by_session_type(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.punctuality_by_session_type(con, WINDOW, SETTINGS)
    assert records(frame, "session_type", "expected", "present", "on_time", "late") == [
        ("shadowing", 6, 4, 2, 2),
        ("beneficiary_meeting", 3, 2, 1, 1),
        ("group_day", 2, 2, 1, 1),
        ("supervision", 2, 1, 1, 0),
    ]
    assert list(frame["label"]) == ["Shadowing", "Beneficiary meeting", "Group day", "Supervision"]


def test_punctuality_by_weekday_and_hour(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.punctuality_by_weekday_hour(con, WINDOW, SETTINGS)
    assert records(frame, "weekday", "hour", "present", "on_time") == [
        (1, 10, 5, 3),  # Mondays 10:00: S1, S3 (x2), S4, S6
        (3, 10, 2, 1),  # Wednesday 10:00: S7
        (3, 14, 2, 1),  # Wednesdays 14:00: S2, S5
    ]


def test_cohort_comparison(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.cohort_comparison(con, WINDOW, SETTINGS)
    assert records(frame, "cohort", "mentors", "expected", "present", "on_time") == [
        ("A", 2, 11, 8, 4),
        ("B", 1, 2, 1, 1),  # PM-4 starts after the window
    ]
    assert frame.iloc[0].punctuality_rate == APPROX(4 / 8)


def test_staff_time_lost(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.staff_time_lost(con, WINDOW, SETTINGS)
    # ST-1: late 10 + 40, no-shows 240 (S4) + 300 (S7); OW-2: no-show at S5 (90);
    # OW-1: 20 minutes waiting at S2. The group day and supervision do not count.
    assert records(frame, "staff_id", "late_minutes", "no_show_minutes", "minutes_lost") == [
        ("ST-1", 50, 540, 590),
        ("OW-2", 0, 90, 90),
        ("OW-1", 20, 0, 20),
    ]
    assert set(frame["minutes_lost_total"]) == {700}
    top = views.staff_time_lost(con, WINDOW, SETTINGS, limit=1)
    assert records(top, "staff_id", "staff_total", "minutes_lost_total") == [("ST-1", 3, 700)]


def test_mentor_reliability_with_flags(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.mentor_reliability(con, WINDOW, SETTINGS)
    # PM-1 is flagged (look-back 4-31 Mar: 1 of 3 expected attended); the others follow by
    # attendance, lowest first. PM-3 is withdrawn, so never flagged.
    assert records(
        frame, "mentor_id", "expected", "late", "no_shows", "notified", "flag_count", "reasons"
    ) == [
        ("PM-1", 7, 2, 1, 1, 1, "Attendance under 60%"),
        ("PM-3", 2, 0, 1, 0, 0, ""),
        ("PM-2", 4, 2, 1, 0, 0, ""),
    ]
    assert list(frame["attendance_rate"]) == APPROX([5 / 7, 1 / 2, 3 / 4])
    assert list(frame["punctuality_rate"]) == APPROX([3 / 5, 1.0, 1 / 3])
    assert frame.iloc[0].last_attended == dt.datetime(2025, 3, 12)
    assert set(frame["mentors_total"]) == {3}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"order": "mentor"}, ["PM-1", "PM-2", "PM-3"]),
        ({"order": "punctuality"}, ["PM-2", "PM-1", "PM-3"]),
        ({"order": "no_shows"}, ["PM-1", "PM-2", "PM-3"]),
        ({"order": "mentor", "limit": 1, "offset": 1}, ["PM-2"]),
        ({"only_flagged": True}, ["PM-1"]),
    ],
)
def test_mentor_reliability_order_and_paging(
    con: duckdb.DuckDBPyConnection, kwargs: dict[str, Any], expected: list[str]
) -> None:
    frame = views.mentor_reliability(con, WINDOW, SETTINGS, **kwargs)
    assert list(frame["mentor_id"]) == expected


def test_an_unknown_order_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="order must be one of"):
        views.mentor_reliability(con, WINDOW, SETTINGS, order="mentor_id; DROP TABLE mentors")
    with pytest.raises(ValueError, match="order must be one of"):
        views.shadowing_progress(con, WINDOW, SETTINGS, order="random()")


def test_flags_by_reason_are_headline_figures(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.headline_figures(con, WINDOW, SETTINGS).set_index("figure")
    assert [frame.loc[f"flags.{r}", "value"] for r in metrics.FLAG_ORDER] == [1, 0, 0, 0, 0]
    assert frame.loc["flags.low_attendance", "label"] == "Attendance under 60%"


def test_headline_figures_without_comparison(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.headline_figures(con, WINDOW, SETTINGS, compare=False)
    assert frame["previous"].isna().all() and not frame["compared"].any()
    assert frame.set_index("figure").loc["attendance_rate", "value"] == APPROX(9 / 13)


def test_stage_distribution(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.stage_distribution(con, WINDOW, SETTINGS)
    # PM-1 at 4 (25 Mar), PM-2 at 2 (the 10 Apr assessment is after `to`), PM-3 never assessed.
    assert records(frame, "stage", "mentors") == [
        (0, 1),
        (1, 0),
        (2, 1),
        (3, 0),
        (4, 1),
        (5, 0),
        (6, 0),
        (7, 0),
    ]
    assert list(frame["label"])[:3] == ["Not yet assessed", "1 Immobilisation", "2 Minimisation"]


def test_stage_labels_come_from_the_settings(con: duckdb.DuckDBPyConnection) -> None:
    labels = ("Shock", "Denial", "Doubt", "Acceptance", "Trying", "Meaning", "Integration")
    settings = Settings(stage_labels=labels)
    frame = views.stage_distribution(con, WINDOW, settings)
    assert list(frame["name"])[1:] == list(labels)


def test_stage_flows(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.stage_flows(con, WINDOW, SETTINGS)
    # PM-1: stage 1 before 1 Jan, stage 4 at the end. PM-2: first assessed in the window.
    assert records(frame, "from_stage", "to_stage", "mentors", "from_label") == [
        (0, 2, 1, "Not yet assessed"),
        (1, 4, 1, "1 Immobilisation"),
    ]


def test_stage_durations(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.stage_durations(con, WINDOW, SETTINGS)
    # PM-1: stage 1 from 5 Dec to 20 Jan (46 days), 3 to 20 Feb (31), 2 to 25 Mar (33), 4 ongoing.
    # PM-2: stage 2 since 20 Jan, ongoing on 31 Mar.
    assert records(frame, "stage", "spells_completed", "spells_ongoing", "median_days") == [
        (1, 1, 0, 46.0),
        (2, 1, 1, 33.0),
        (3, 1, 0, 31.0),
        (4, 0, 1, None),
        (5, 0, 0, None),
        (6, 0, 0, None),
        (7, 0, 0, None),
    ]


def test_regressions(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.regressions(con, WINDOW, SETTINGS)
    assert records(frame, "month", "from_stage", "to_stage", "regressions") == [
        (dt.datetime(2025, 1, 1), None, None, 0),
        (dt.datetime(2025, 2, 1), 3, 2, 1),  # PM-1 on 20 Feb
        (dt.datetime(2025, 3, 1), None, None, 0),
    ]


def test_self_esteem_by_stage(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.self_esteem_by_stage(con, WINDOW, SETTINGS)
    assert records(frame, "stage", "assessments", "mentors", "minimum", "median", "maximum") == [
        (1, 1, 1, 10, 10.0, 10),
        (2, 3, 2, 9, 12.0, 13),  # PM-1 9; PM-2 12, 13
        (3, 1, 1, 8, 8.0, 8),
        (4, 1, 1, 14, 14.0, 14),
        (5, 0, 0, None, None, None),
        (6, 0, 0, None, None, None),
        (7, 0, 0, None, None, None),
    ]
    assert frame.iloc[1]["mean"] == APPROX(34 / 3)


def test_cohort_progress(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.cohort_progress(con, WINDOW, SETTINGS)
    # Cohort A, weeks 0-7: PM-1's latest is stage 3 (20 Jan, week 7), PM-2's stage 2.
    assert records(frame, "cohort", "label", "mean_stage", "mentors") == [
        ("A", "0–7", 2.5, 2),
        ("A", "8–15", 2.0, 1),
        ("A", "16–23", 4.0, 1),
    ]


def test_shadowing_progress(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.shadowing_progress(con, WINDOW, SETTINGS, order="most")
    # PM-1: 60 (S0, before the window) + 120 + 200 (minutes attended) + 300 = 680 minutes,
    # the target reached at S7 on 12 Mar, 101 days after starting. PM-2: 300 - 40 late = 260.
    assert records(frame, "mentor_id", "progress", "days_to_complete") == [
        ("PM-1", "complete", 101),
        ("PM-2", "in_progress", None),
        ("PM-3", "not_started", None),
    ]
    assert list(frame["credited_hours"]) == APPROX([680 / 60, 260 / 60, 0])
    assert records(frame, "mentors_complete", "mentors_in_progress", "mentors_not_started")[0] == (
        1,
        1,
        1,
    )
    closest = views.shadowing_progress(con, WINDOW, SETTINGS, limit=2)
    assert list(closest["mentor_id"]) == ["PM-2", "PM-3"]  # those still working towards it
    assert set(closest["mentors_total"]) == {3}


def test_shadowing_completion_times(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.shadowing_completion_times(con, WINDOW, SETTINGS)
    assert records(frame, "label", "mentors", "median_days") == [("14–16 weeks", 1, 101.0)]


def test_milestone_funnel(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.milestone_funnel(con, WINDOW, SETTINGS)
    # Up to 31 Mar, active mentors only: PM-1's paid work (May) and PM-4 do not count. First
    # mentoring is the journey's step: present at a beneficiary meeting (PM-1 at S2, PM-2 at S5),
    # whether or not a milestone was imported (PM-1's is dated 20 Mar).
    assert records(frame, "step", "kind", "mentors") == [
        ("joined", "path", 3),
        ("training_completed", "path", 3),
        ("shadowing_completed", "path", 1),
        ("first_mentoring_session", "path", 2),
        ("any_outcome", "path", 1),
        ("accredited_qualification", "outcome", 0),
        ("volunteering", "outcome", 1),
        ("further_education", "outcome", 0),
        ("paid_employment", "outcome", 0),
    ]


@pytest.mark.parametrize("to", ["2025-01-31", "2025-03-31", "2025-06-30"])
def test_one_funnel_over_starters_and_over_active_mentors(
    con: duckdb.DuckDBPyConnection, to: str
) -> None:
    """When every active mentor started in the window, the Shadowing page's path and the
    Journey's funnel count the same people at each step: one model, two populations."""
    scope = metrics.Scope(D("2000-01-01"), D(to))
    path = views.milestone_funnel(con, scope, SETTINGS).set_index("step")["mentors"]
    funnel = journey.compute(con, scope, SETTINGS).values["funnel"]
    steps = {
        "joined": "started",
        "training_completed": "training_completed",
        "shadowing_completed": "shadowing_completed",
        "first_mentoring_session": "first_mentoring",
    }
    assert {s: path[s] for s in steps} == {s: funnel[f] for s, f in steps.items()}
    assert funnel["started"] > 0


def test_headline_figures_and_the_previous_period(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.headline_figures(con, WINDOW, SETTINGS).set_index("figure")
    assert frame.loc["attendance_rate", "value"] == APPROX(9 / 13)
    assert frame.loc["punctuality_rate", "value"] == APPROX(5 / 9)
    assert frame.loc["staff_minutes_lost", "value"] == 700
    assert frame.loc["mentors_flagged", "value"] == 1
    # The previous 90 days (3 Oct – 31 Dec 2024) hold PM-1 and S0 only.
    assert frame.loc["mentors_active", "previous"] == 1
    assert frame.loc["attendance_rate", "previous"] == 1.0
    assert frame.loc["staff_minutes_lost", "previous"] == 0
    assert frame.loc["attendance_rate", "previous_from"] == D("2024-10-03")
    assert frame.loc["attendance_rate", "previous_to"] == D("2024-12-31")


def test_headline_figures_have_no_previous_before_the_programme(
    con: duckdb.DuckDBPyConnection,
) -> None:
    scope = metrics.Scope(D("2024-12-01"), D("2025-03-31"))
    frame = views.headline_figures(con, scope, SETTINGS)
    assert frame["previous"].isna().all()


def test_filters_select_mentors(con: duckdb.DuckDBPyConnection) -> None:
    scope = metrics.Scope(WINDOW.date_from, WINDOW.date_to, cohorts=("B",))
    months = views.attendance_by_month(con, scope, SETTINGS)
    assert records(months, "expected", "present") == [(0, 0), (0, 0), (2, 1)]  # PM-3 only
    assert list(mentor_views.mentor_codes(con, scope, SETTINGS)["mentor_id"]) == ["PM-3"]
    worker = metrics.Scope(WINDOW.date_from, WINDOW.date_to, outreach_workers=("OW-2",))
    assert list(views.mentor_reliability(con, worker, SETTINGS)["mentor_id"]) == ["PM-2"]


# --- One mentor -------------------------------------------------------------------------------


def test_mentor_codes_are_the_active_selected_mentors(con: duckdb.DuckDBPyConnection) -> None:
    frame = mentor_views.mentor_codes(con, WINDOW, SETTINGS)
    assert list(frame["mentor_id"]) == ["PM-1", "PM-2", "PM-3"]
    assert len(mentor_views.mentor_codes(con, WINDOW, SETTINGS, limit=2)) == 2


def test_mentor_profile(con: duckdb.DuckDBPyConnection) -> None:
    frame = mentor_views.mentor_profile(con, WINDOW, SETTINGS, mentor_id="PM-1")
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row.expected, row.present, row.late, row.no_shows) == (7, 5, 2, 1)
    assert row.shadowing_hours == APPROX(680 / 60)
    assert (row.current_stage, row.current_self_esteem) == (4, 14)
    assert row.reasons == "Attendance under 60%"
    assert row.stage_label == "4 Letting go"


def test_a_mentor_outside_the_scope_has_no_profile(con: duckdb.DuckDBPyConnection) -> None:
    assert mentor_views.mentor_profile(con, WINDOW, SETTINGS, mentor_id="PM-4").empty
    in_b = metrics.Scope(WINDOW.date_from, WINDOW.date_to, cohorts=("B",))
    assert mentor_views.mentor_profile(con, in_b, SETTINGS, mentor_id="PM-1").empty
    assert mentor_views.mentor_sessions(con, in_b, SETTINGS, mentor_id="PM-1").empty
    assert mentor_views.mentor_notes(con, in_b, SETTINGS, mentor_id="PM-1").empty


def test_mentor_sessions(con: duckdb.DuckDBPyConnection) -> None:
    frame = mentor_views.mentor_sessions(con, WINDOW, SETTINGS, mentor_id="PM-2")
    assert records(frame, "session_type", "attendance", "minutes_late", "late") == [
        ("group_day", "late", None, True),
        ("shadowing", "no_show", None, False),
        ("beneficiary_meeting", "attended", 2, False),
        ("supervision", "cancelled_by_programme", None, False),
        ("shadowing", "attended", 40, True),
    ]
    assert records(frame, "credited_minutes")[-1] == (260,)


def test_mentor_stage_path_shadowing_and_milestones(con: duckdb.DuckDBPyConnection) -> None:
    stages = mentor_views.mentor_stage_path(con, WINDOW, SETTINGS, mentor_id="PM-1")
    assert records(stages, "stage", "self_esteem") == [(1, 10), (3, 8), (2, 9), (4, 14)]
    shadowing = mentor_views.mentor_shadowing(con, WINDOW, SETTINGS, mentor_id="PM-1")
    assert list(shadowing["running_hours"]) == APPROX([1, 3, 380 / 60, 680 / 60])
    milestones = mentor_views.mentor_milestones(con, WINDOW, SETTINGS, mentor_id="PM-1")
    assert list(milestones["milestone"]) == [
        "training_completed",
        "shadowing_completed",
        "first_mentoring_session",
    ]


def test_mentor_notes_are_those_dated_in_the_window_as_text(
    con: duckdb.DuckDBPyConnection,
) -> None:
    frame = mentor_views.mentor_notes(con, WINDOW, SETTINGS, mentor_id="PM-1")
    assert records(frame, "date", "record", "note") == [
        (dt.datetime(2025, 3, 20), "Milestone: First mentoring session", '=HYPERLINK("http://x")'),
        (dt.datetime(2025, 2, 20), "Stage assessment", "Setback at home"),
        (dt.datetime(2025, 1, 8), "Session: Beneficiary meeting", "Bus was late"),
    ]


# --- Agreement with metrics.compute, on demo data ---------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("views-demo") / "demo.duckdb"
    result = admin.create_demo(db, mentors=60, end=DEMO_END)
    assert result.landed
    return db


DEMO_SCOPES = [
    metrics.Scope(),
    metrics.Scope(D("2025-06-01"), D("2026-05-31")),
    metrics.Scope(D("2026-08-21"), D("2026-11-20"), genders=("female",)),
    metrics.Scope(D("2024-01-01"), D("2024-12-31"), regions=("London", "North West")),
]


@pytest.mark.parametrize("scope", DEMO_SCOPES)
def test_views_agree_with_metrics(demo_db: Path, scope: metrics.Scope) -> None:
    with database.connect(demo_db) as con:
        figures = metrics.compute(con, scope, SETTINGS)
        v = figures.values
        months = views.attendance_by_month(con, scope, SETTINGS)
        assert months["expected"].sum() == v["expected_attendances"]
        if v["attendance_rate"] is not None:
            assert months["present"].sum() / months["expected"].sum() == APPROX(
                v["attendance_rate"]
            )
            assert months["no_show"].sum() / months["expected"].sum() == APPROX(v["no_show_rate"])
        if v["punctuality_rate"] is not None:
            assert months["on_time"].sum() / months["present"].sum() == APPROX(
                v["punctuality_rate"]
            )
        assert months["beneficiary_expected"].sum() == v["beneficiary_meetings"]["expected"]
        assert months["beneficiary_missed"].sum() == v["beneficiary_meetings"]["missed"]
        assert months["beneficiary_late"].sum() == v["beneficiary_meetings"]["late"]

        weeks = views.punctuality_by_weeks_in_programme(con, scope, SETTINGS)
        assert weeks["present"].sum() == months["present"].sum()
        types = views.punctuality_by_session_type(con, scope, SETTINGS)
        assert types["expected"].sum() == v["expected_attendances"]
        hours = views.punctuality_by_weekday_hour(con, scope, SETTINGS)
        assert hours["on_time"].sum() == months["on_time"].sum()
        cohorts = views.cohort_comparison(con, scope, SETTINGS)
        assert cohorts["mentors"].sum() == v["mentors_active"]
        assert cohorts["present"].sum() == months["present"].sum()

        staff = views.staff_time_lost(con, scope, SETTINGS, limit=10_000)
        assert staff["minutes_lost"].sum() == APPROX(v["staff_minutes_lost"])

        table = views.mentor_reliability(con, scope, SETTINGS, limit=10_000)
        assert len(table) == v["mentors_active"]
        assert table["expected"].sum() == v["expected_attendances"]
        flagged = {r["mentor_id"]: r for r in figures.at_risk}
        assert set(table.loc[table["flag_count"] > 0, "mentor_id"]) == set(flagged)
        headline = views.headline_figures(con, scope, SETTINGS, compare=False)
        by_figure = dict(zip(headline["figure"], headline["value"], strict=True))
        for reason in metrics.FLAG_ORDER:
            count = sum(1 for f in figures.at_risk if reason in f["reasons"])
            assert by_figure[f"flags.{reason}"] == count
        for mentor in list(table["mentor_id"])[:4]:  # flagged first, then others
            profile = mentor_views.mentor_profile(con, scope, SETTINGS, mentor_id=mentor)
            words = [views.FLAG_LABELS[r] for r in flagged.get(mentor, {"reasons": []})["reasons"]]
            assert profile["reasons"].iloc[0] == "; ".join(words)

        stages = views.stage_distribution(con, scope, SETTINGS)
        shown = dict(zip(stages["stage"], stages["mentors"], strict=True))
        assert shown[0] == v["stages"]["distribution"]["not_assessed"]
        assert [shown[s] for s in range(1, 8)] == [
            v["stages"]["distribution"][str(s)] for s in range(1, 8)
        ]
        flows = views.stage_flows(con, scope, SETTINGS)
        assert flows["mentors"].sum() == v["mentors_active"] - shown[0]
        steps_back = views.regressions(con, scope, SETTINGS)
        assert steps_back["regressions"].sum() == v["stages"]["regressions"]

        progress = views.shadowing_progress(con, scope, SETTINGS, limit=5)
        if len(progress):
            row = progress.iloc[0]
            assert row.mentors_complete == v["shadowing"]["mentors_complete"]
            assert row.mentors_in_progress == v["shadowing"]["mentors_in_progress"]
            assert row.mentors_total == v["mentors_active"]
        times = views.shadowing_completion_times(con, scope, SETTINGS)
        assert times["mentors"].sum() == v["shadowing"]["mentors_complete"]
        if len(times):
            assert times["median_days"].iloc[0] == v["shadowing"]["median_days_to_complete"]

        headlines = views.headline_figures(con, scope, SETTINGS).set_index("figure")
        for figure, value in (
            ("mentors_active", v["mentors_active"]),
            ("attendance_rate", v["attendance_rate"]),
            ("peer_support_hours", v["peer_support_hours"]),
            ("stages.regressions", v["stages"]["regressions"]),
            ("mentors_flagged", len(figures.at_risk)),
        ):
            shown_value = headlines.loc[figure, "value"]
            assert (value is None and _missing(shown_value)) or shown_value == APPROX(value)


def test_views_return_small_sorted_frames(demo_db: Path) -> None:
    """No view returns raw attendance rows: each is bounded by months, bins or a limit."""
    with database.connect(demo_db) as con:
        rows = con.execute("SELECT count(*) FROM attendance").fetchone()
        assert rows is not None
        scope = metrics.Scope()
        for name, kwargs, most in (
            ("mentor_reliability", {"limit": 7}, 7),
            ("shadowing_progress", {"limit": 9}, 9),
            ("staff_time_lost", {"limit": 3}, 3),
            ("minutes_late_distribution", {}, 8),
            ("punctuality_by_weekday_hour", {}, 7 * 24),
            ("mentor_codes", {"limit": 5}, 5),
        ):
            view = getattr(views, name, None) or getattr(mentor_views, name)
            frame = view(con, scope, SETTINGS, **kwargs)
            assert 0 < len(frame) <= most < rows[0]
        progress = views.shadowing_progress(con, scope, SETTINGS, order="most", limit=50)
        assert list(progress["credited_hours"]) == sorted(progress["credited_hours"], reverse=True)
