"""The demo records: valid per the import contract (DATA.md), deterministic, and carrying the
patterns the dashboard exists to show.

The full-size run (24,000 mentors, about a million attendance rows) is measured by `make bench`,
not here: benchmarks are not timed tests.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import demo_data

END = date(2026, 11, 20)

CONTRACT = {
    "conduct": [
        "mentor_id",
        "observed_on",
        "kind",
        "category",
        "severity",
        "session_id",
        "staff_id",
        "resolved_on",
        "notes",
    ],
    "mentors": [
        "mentor_id",
        "cohort",
        "start_date",
        "status",
        "end_date",
        "gender",
        "age_band",
        "outreach_worker",
        "region",
        "leaving_reason",
    ],
    "sessions": [
        "session_id",
        "session_type",
        "scheduled_start",
        "duration_minutes",
        "staff_id",
        "beneficiary_id",
        "event_name",
        "location",
    ],
    "attendance": [
        "session_id",
        "mentor_id",
        "attendance",
        "arrival_time",
        "minutes_attended",
        "notes",
    ],
    "stage_assessments": ["mentor_id", "assessed_on", "stage", "self_esteem", "assessor", "notes"],
    "milestones": ["mentor_id", "milestone", "achieved_on", "notes"],
    "funding": ["mentor_id", "funding_stream", "from", "to"],
    "targets": ["figure", "period_start", "period_end", "target", "funding_stream", "wording"],
}
KEYS = {
    "mentors": ["mentor_id"],
    "sessions": ["session_id"],
    "attendance": ["session_id", "mentor_id"],
    "stage_assessments": ["mentor_id", "assessed_on"],
    "milestones": ["mentor_id", "milestone", "achieved_on"],
    "funding": ["mentor_id", "funding_stream"],
    "targets": ["figure", "period_start", "period_end", "funding_stream"],
    "conduct": ["mentor_id", "observed_on", "category", "kind"],
}
CODES = {
    ("mentors", "status"): {"active", "paused", "completed", "withdrawn"},
    ("mentors", "gender"): {"female", "male", "non-binary", "not stated"},
    ("mentors", "age_band"): {"18-24", "25-34", "35-44", "45-54", "55+"},
    ("mentors", "leaving_reason"): {
        "employment",
        "education",
        "moved_away",
        "health",
        "caring",
        "custody",
        "disengaged",
        "other",
    },
    ("sessions", "session_type"): {
        "shadowing",
        "beneficiary_meeting",
        "group_day",
        "training",
        "supervision",
        "event",
    },
    ("attendance", "attendance"): {
        "attended",
        "late",
        "notified_absence",
        "no_show",
        "cancelled_by_programme",
    },
    ("milestones", "milestone"): {
        "training_completed",
        "shadowing_completed",
        "first_mentoring_session",
        "accredited_qualification",
        "volunteering",
        "further_education",
        "paid_employment",
    },
}
DATE = r"\d{4}-\d{2}-\d{2}"
DATETIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
FORMATS = [
    ("mentors", "mentor_id", r"DM-\d{5}"),
    ("mentors", "cohort", r"20\d\d Q[1-4]"),
    ("mentors", "start_date", DATE),
    ("mentors", "end_date", DATE),
    ("mentors", "outreach_worker", r"OW-\d{2,}"),
    ("sessions", "session_id", r"DS-\d{7}"),
    ("sessions", "scheduled_start", DATETIME),
    ("sessions", "staff_id", r"(ST|OW)-\d{2,}"),
    ("sessions", "beneficiary_id", r"BN-\d{5}"),
    ("attendance", "arrival_time", DATETIME),
    ("stage_assessments", "assessed_on", DATE),
    ("stage_assessments", "assessor", r"OW-\d{2,}"),
    ("milestones", "achieved_on", DATE),
]


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return demo_data.generate(mentors=120, seed=2026, end=END, years=3.0)


@pytest.fixture(scope="module")
def rows(demo: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Attendance rows with their session, the mentor's start, weeks in and minutes late."""
    out = demo["attendance"].merge(demo["sessions"], on="session_id", validate="many_to_one")
    out = out.merge(demo["mentors"], on="mentor_id", validate="many_to_one")
    start = pd.to_datetime(out["scheduled_start"])
    out["weeks_in"] = (start - pd.to_datetime(out["start_date"])).dt.days // 7
    out["offset"] = (pd.to_datetime(out["arrival_time"]) - start).dt.total_seconds() / 60
    out["present"] = out["attendance"].isin(["attended", "late"])
    out["is_late"] = out["present"] & ((out["attendance"] == "late") | (out["offset"] > 5))
    return out


def test_the_same_seed_gives_the_same_records(demo: dict[str, pd.DataFrame]) -> None:
    again = demo_data.generate(mentors=120, seed=2026, end=END, years=3.0)
    for name in CONTRACT:
        pd.testing.assert_frame_equal(demo[name], again[name])
    other = demo_data.generate(mentors=120, seed=7, end=END, years=3.0)
    assert not other["attendance"].equals(demo["attendance"])


@pytest.mark.parametrize("name", list(CONTRACT))
def test_columns_are_the_contract(demo: dict[str, pd.DataFrame], name: str) -> None:
    assert list(demo[name].columns) == CONTRACT[name]


@pytest.mark.parametrize("name", list(KEYS))
def test_keys_are_unique(demo: dict[str, pd.DataFrame], name: str) -> None:
    assert not demo[name].duplicated(KEYS[name]).any()


@pytest.mark.parametrize(
    ("name", "column", "target", "target_column"),
    [
        ("attendance", "session_id", "sessions", "session_id"),
        ("attendance", "mentor_id", "mentors", "mentor_id"),
        ("stage_assessments", "mentor_id", "mentors", "mentor_id"),
        ("milestones", "mentor_id", "mentors", "mentor_id"),
        ("sessions", "session_id", "attendance", "session_id"),  # every session has a register
    ],
)
def test_references_exist(
    demo: dict[str, pd.DataFrame], name: str, column: str, target: str, target_column: str
) -> None:
    assert demo[name][column].isin(demo[target][target_column]).all()


@pytest.mark.parametrize(("name", "column"), list(CODES))
def test_codes_are_canonical(demo: dict[str, pd.DataFrame], name: str, column: str) -> None:
    assert set(demo[name][column].dropna()) <= CODES[(name, column)]


@pytest.mark.parametrize(("name", "column", "pattern"), FORMATS)
def test_values_have_canonical_formats(
    demo: dict[str, pd.DataFrame], name: str, column: str, pattern: str
) -> None:
    values = demo[name][column].dropna()
    assert len(values) > 0
    assert values.str.fullmatch(pattern).all()
    assert (values.str.len() <= 64).all()


def test_numbers_are_in_range(demo: dict[str, pd.DataFrame], rows: pd.DataFrame) -> None:
    assert demo["sessions"]["duration_minutes"].between(1, 1440).all()
    minutes = demo["attendance"]["minutes_attended"].dropna()
    assert 0 < len(minutes) < len(demo["attendance"]) / 2
    assert minutes.between(0, 1440).all()
    assessments = demo["stage_assessments"]
    assert assessments["stage"].between(1, 7).all()
    assert assessments["self_esteem"].dropna().between(0, 30).all()
    assert rows["offset"].dropna().abs().max() <= 12 * 60
    # A `late` with an arrival inside the grace period would be a warning on import.
    assert (rows.loc[rows["attendance"] == "late", "offset"].dropna() > 5).all()
    assert rows.loc[~rows["present"], "arrival_time"].isna().all()
    assert rows.loc[rows["present"], "arrival_time"].isna().sum() > 0


def test_nothing_is_dated_after_the_end_or_outside_a_mentor_s_time(
    demo: dict[str, pd.DataFrame], rows: pd.DataFrame
) -> None:
    end = END.isoformat()
    assert demo["sessions"]["scheduled_start"].str[:10].max() <= end
    mentors = demo["mentors"].set_index("mentor_id")
    last = mentors["end_date"].fillna(end)
    session_day = rows["scheduled_start"].str[:10]
    assert (session_day >= rows["start_date"]).all()
    assert (session_day <= last.loc[rows["mentor_id"]].to_numpy()).all()
    for name, column in [("stage_assessments", "assessed_on"), ("milestones", "achieved_on")]:
        frame = demo[name]
        assert (frame[column] >= mentors.loc[frame["mentor_id"], "start_date"].to_numpy()).all()
        assert (frame[column] <= last.loc[frame["mentor_id"]].to_numpy()).all()


def test_sessions_are_on_weekdays_at_usual_times(demo: dict[str, pd.DataFrame]) -> None:
    sessions = demo["sessions"]
    start = pd.to_datetime(sessions["scheduled_start"])
    weekday = start.dt.day_of_week < 5
    assert weekday.mean() > 0.98
    assert weekday[sessions["session_type"] != "event"].all()
    assert start.dt.hour.between(9, 16).all()


def test_the_programme_has_the_expected_shape(demo: dict[str, pd.DataFrame]) -> None:
    mentors = demo["mentors"]
    assert len(mentors) == 120
    assert 4000 <= len(demo["attendance"]) <= 8000
    status = mentors["status"].value_counts(normalize=True)
    assert 0.18 <= status["withdrawn"] <= 0.32
    assert {"active", "paused", "completed"} <= set(status.index)
    ended = mentors["status"].isin(["completed", "withdrawn"])
    assert mentors.loc[ended, "end_date"].notna().all()
    assert mentors.loc[~ended, "end_date"].isna().all()
    withdrawn = mentors[mentors["status"] == "withdrawn"]
    days = pd.to_datetime(withdrawn["end_date"]) - pd.to_datetime(withdrawn["start_date"])
    assert days.dt.days.median() < 150  # dropouts go in the first months
    assert 0.35 <= (mentors["gender"] == "female").mean() <= 0.55
    assert mentors["outreach_worker"].nunique() >= 3
    beneficiaries = demo["sessions"]["beneficiary_id"].nunique()
    assert 1.2 <= len(mentors) / beneficiaries <= 2.0


def test_punctuality_improves_with_weeks_in_the_programme(rows: pd.DataFrame) -> None:
    present = rows[rows["present"]]
    early = present.loc[present["weeks_in"] <= 8, "is_late"].mean()
    settled = present.loc[present["weeks_in"] >= 26, "is_late"].mean()
    assert early > 2 * settled
    late = present[present["is_late"]].dropna(subset=["offset"])
    assert (
        late.loc[late["weeks_in"] <= 8, "offset"].mean()
        > late.loc[late["weeks_in"] >= 26, "offset"].mean()
    )


def test_absences_come_with_notice_more_often_over_time(rows: pd.DataFrame) -> None:
    absent = rows[rows["attendance"].isin(["no_show", "notified_absence"])]
    no_show = absent["attendance"] == "no_show"
    assert no_show[absent["weeks_in"] <= 8].mean() > no_show[absent["weeks_in"] >= 26].mean() + 0.2
    assert (rows["attendance"] == "cancelled_by_programme").sum() > 0


def test_stages_move_forward_mostly_with_regressions_for_some(
    demo: dict[str, pd.DataFrame],
) -> None:
    assessments = demo["stage_assessments"].sort_values(["mentor_id", "assessed_on"])
    steps = assessments.groupby("mentor_id")["stage"].diff().dropna()
    assert (steps < 0).sum() >= 1
    assert (steps > 0).sum() > (steps < 0).sum()
    regressed = assessments.loc[steps[steps < 0].index, "mentor_id"].nunique()
    assert 0.15 <= regressed / len(demo["mentors"]) <= 0.45
    first = assessments.groupby("mentor_id")["stage"].first()
    assert first.between(1, 3).all()
    gaps = pd.to_datetime(assessments["assessed_on"]).groupby(assessments["mentor_id"]).diff()
    assert gaps.dropna().dt.days.between(38, 60).all()


def test_self_esteem_dips_at_stages_2_and_3_then_rises(demo: dict[str, pd.DataFrame]) -> None:
    by_stage = demo["stage_assessments"].groupby("stage")["self_esteem"].mean()
    dip = by_stage[[2, 3]].mean()
    assert dip < by_stage[1]
    assert by_stage[[6, 7]].mean() > by_stage[1] + 3


@pytest.mark.parametrize(
    ("event_name", "month", "days"),
    [("International Women's Day", 3, range(8, 9)), ("Adult Learners' Week", 6, range(10, 31))],
)
def test_events_every_year_with_many_mentors(
    rows: pd.DataFrame, event_name: str, month: int, days: range
) -> None:
    events = rows[rows["event_name"] == event_name]
    assert (events["session_type"] == "event").all()
    on = pd.to_datetime(events["scheduled_start"])
    assert on.dt.month.eq(month).all()
    assert on.dt.day.isin(days).all()
    assert set(on.dt.year) == {2024, 2025, 2026}
    invited = events.groupby(on.dt.year)["mentor_id"].nunique()
    assert invited.min() >= 5 and invited.max() >= 25


def test_group_days_are_monthly_and_shared(rows: pd.DataFrame) -> None:
    group = rows[rows["session_type"] == "group_day"]
    months = pd.to_datetime(group["scheduled_start"]).dt.to_period("M")
    assert months.nunique() >= 34
    assert group.groupby("session_id")["mentor_id"].nunique().median() >= 10


def test_each_mentor_trains_then_shadows_then_meets_beneficiaries(
    demo: dict[str, pd.DataFrame], rows: pd.DataFrame
) -> None:
    first = rows.groupby(["mentor_id", "session_type"])["scheduled_start"].min().unstack()
    for before, after in [("training", "shadowing"), ("shadowing", "beneficiary_meeting")]:
        both = first[[before, after]].dropna()
        assert len(both) > 60
        assert (both[before] < both[after]).all()
    meetings = rows[rows["session_type"] == "beneficiary_meeting"]
    assert meetings["staff_id"].eq(meetings["outreach_worker"]).all()
    assert meetings["beneficiary_id"].notna().all()
    shadowing = rows[rows["session_type"] == "shadowing"]
    assert shadowing["duration_minutes"].between(60, 180).all()


def test_shadowing_milestone_is_the_day_ten_hours_were_credited(
    demo: dict[str, pd.DataFrame], rows: pd.DataFrame
) -> None:
    shadowing = rows[rows["session_type"] == "shadowing"].sort_values("scheduled_start")
    late_by = shadowing["offset"].clip(lower=0).fillna(0)
    credited = (
        shadowing["minutes_attended"]
        .astype("float")
        .fillna(shadowing["duration_minutes"] - late_by)
    )
    credited = credited.clip(lower=0, upper=shadowing["duration_minutes"]).where(
        shadowing["present"], 0
    )
    total = credited.groupby(shadowing["mentor_id"]).cumsum()
    reached = shadowing[total >= 600].groupby("mentor_id")["scheduled_start"].min().str[:10]
    milestones = demo["milestones"]
    done = milestones[milestones["milestone"] == "shadowing_completed"]
    assert done.set_index("mentor_id")["achieved_on"].sort_index().equals(reached.sort_index())
    days = (
        pd.to_datetime(done["achieved_on"]).to_numpy()
        - pd.to_datetime(
            demo["mentors"].set_index("mentor_id").loc[done["mentor_id"], "start_date"]
        ).to_numpy()
    ) / np.timedelta64(1, "D")
    assert days.min() <= 50 and days.max() >= 120  # four weeks for some, four months for others
    counts = milestones["milestone"].value_counts()
    assert counts["training_completed"] >= counts["shadowing_completed"]
    assert counts["shadowing_completed"] >= counts["first_mentoring_session"]
    assert {"accredited_qualification", "volunteering", "paid_employment"} <= set(counts.index)


def test_some_rows_carry_short_neutral_notes(demo: dict[str, pd.DataFrame]) -> None:
    for name in ("attendance", "stage_assessments"):
        notes = demo[name]["notes"]
        assert 0.02 < notes.notna().mean() < 0.5
        assert notes.dropna().str.len().max() <= 60
        assert not notes.dropna().str.contains("DM-").any()


@pytest.mark.parametrize(("mentors", "years"), [(1, 3.0), (7, 0.5), (40, 1.0)])
def test_small_and_short_programmes_are_valid(mentors: int, years: float) -> None:
    frames = demo_data.generate(mentors=mentors, seed=1, end=END, years=years)
    assert len(frames["mentors"]) == mentors
    assert frames["attendance"]["session_id"].isin(frames["sessions"]["session_id"]).all()
    for name, key in KEYS.items():
        assert not frames[name].duplicated(key).any()
        assert list(frames[name].columns) == CONTRACT[name]


def test_scale_is_about_42_attendance_rows_per_mentor() -> None:
    frames = demo_data.generate(mentors=1200, seed=11, end=END)
    assert 36 <= len(frames["attendance"]) / 1200 <= 48


def test_write_csv_writes_one_readable_file_per_record_type(tmp_path: Path) -> None:
    paths = demo_data.write_csv(tmp_path / "demo", mentors=30, seed=3, end=END)
    assert [p.name for p in paths] == [
        "mentors.csv",
        "sessions.csv",
        "attendance.csv",
        "stage_assessments.csv",
        "milestones.csv",
        "funding.csv",
        "targets.csv",
        "conduct.csv",
    ]
    frames = demo_data.generate(mentors=30, seed=3, end=END)
    for path in paths:
        name = path.stem
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == ",".join(CONTRACT[name])
        read = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert len(read) == len(frames[name]) > 0
        assert read[KEYS[name][0]].ne("").all()


def test_withdrawn_mentors_mostly_say_why_they_left(demo: dict[str, pd.DataFrame]) -> None:
    mentors = demo["mentors"]
    withdrawn = mentors[mentors["status"] == "withdrawn"]
    assert mentors.loc[mentors["status"] != "withdrawn", "leaving_reason"].isna().all()
    recorded = withdrawn["leaving_reason"].notna().mean()
    assert 0.8 < recorded < 1.0  # some reasons are not recorded, as in life


def test_conduct_observations_are_as_a_programme_has_them(
    demo: dict[str, pd.DataFrame], rows: pd.DataFrame
) -> None:
    """Concerns early and falling with weeks in; a few high-severity ones, resolved within
    days; strengths too; one mentor whose concerns come back in the last weeks."""
    c = demo["conduct"].merge(demo["mentors"][["mentor_id", "start_date"]], on="mentor_id")
    weeks = (pd.to_datetime(c["observed_on"]) - pd.to_datetime(c["start_date"])).dt.days // 7
    concern = c["kind"] == "concern"
    present = rows[rows["attendance"].isin(["attended", "late"])]
    present_weeks = (
        pd.to_datetime(present["scheduled_start"]) - pd.to_datetime(present["start_date"])
    ).dt.days // 7
    early = concern[weeks < 8].sum() / (present_weeks < 8).sum()
    late = concern[weeks >= 26].sum() / (present_weeks >= 26).sum()
    assert early > 3 * late > 0
    assert (c["kind"] == "strength").sum() > concern.sum() / 2
    high = c[concern & (c["severity"] == "high")]
    assert 0 < len(high) < 0.15 * concern.sum()
    took = pd.to_datetime(high["resolved_on"]) - pd.to_datetime(high["observed_on"])
    assert high["resolved_on"].notna().all() and (took.dt.days <= 5).all()
    assert c.loc[~concern, ["severity", "resolved_on"]].isna().all().all()
    setback = c[c["notes"].fillna("").str.contains("setback")]
    assert setback["mentor_id"].nunique() == 1 and len(setback) == 3
    assert (
        pd.to_datetime(setback["observed_on"]) >= pd.Timestamp(END) - pd.Timedelta(days=27)
    ).all()
    assert setback["resolved_on"].isna().all()
