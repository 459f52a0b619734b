"""Chart builders: the house style on every chart, summaries that state the right numbers, and
a chart that says so when a window holds no records.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go
import pytest

from analysis import charts, database, mentor_views, metrics, views
from analysis.charts import Chart
from analysis.settings import Settings
from tests.conftest import run_import
from tests.test_views import WINDOW, tiny_db  # noqa: F401 - the tiny programme, as a fixture

SETTINGS = Settings()
EMPTY = metrics.Scope(dt.date(2030, 1, 1), dt.date(2030, 3, 31))
ALLOWED_COLOURS = {c.lower() for c in charts.OKABE_ITO} | {
    charts.GREY.lower(),
    charts.LIGHT_GREY.lower(),
    *(c.lower() for c in charts.ATTENDANCE_COLOURS.values()),
}

# (builder, view, view kwargs): every chart the manager pages draw from a view's frame.
Builder = Callable[[pd.DataFrame], Chart]
PAGE_CHARTS: list[tuple[str, Builder, Callable[..., pd.DataFrame], dict[str, Any]]] = [
    ("attendance_trends", charts.attendance_trends, views.attendance_by_month, {}),
    ("stage_distribution", charts.stage_distribution, views.stage_distribution, {}),
    ("flag_reasons", lambda f: charts.flag_reasons(f, 28), views.headline_figures, {}),
    ("punctuality_by_month", charts.punctuality_by_month, views.attendance_by_month, {}),
    (
        "punctuality_by_weeks",
        charts.punctuality_by_weeks,
        views.punctuality_by_weeks_in_programme,
        {},
    ),
    ("minutes_late", charts.minutes_late, views.minutes_late_distribution, {}),
    (
        "punctuality_by_session_type",
        charts.punctuality_by_session_type,
        views.punctuality_by_session_type,
        {},
    ),
    ("punctuality_heatmap", charts.punctuality_heatmap, views.punctuality_by_weekday_hour, {}),
    ("cohort_comparison", charts.cohort_comparison, views.cohort_comparison, {}),
    ("staff_time_lost", charts.staff_time_lost, views.staff_time_lost, {}),
    ("reliability_by_month", charts.reliability_by_month, views.attendance_by_month, {}),
    (
        "beneficiary_meetings_by_month",
        charts.beneficiary_meetings_by_month,
        views.attendance_by_month,
        {},
    ),
    ("transition_curve", charts.transition_curve, views.stage_distribution, {}),
    ("stage_flows", charts.stage_flows, views.stage_flows, {}),
    ("stage_durations", charts.stage_durations, views.stage_durations, {}),
    ("regressions_by_month", charts.regressions_by_month, views.regressions, {}),
    ("regressions_by_stage", charts.regressions_by_stage, views.regressions, {}),
    ("self_esteem_by_stage", charts.self_esteem_by_stage, views.self_esteem_by_stage, {}),
    ("cohort_progress", charts.cohort_progress, views.cohort_progress, {}),
    ("shadowing_progress", charts.shadowing_progress, views.shadowing_progress, {}),
    ("completion_times", charts.completion_times, views.shadowing_completion_times, {}),
    ("milestone_funnel", charts.milestone_funnel, views.milestone_funnel, {}),
    ("milestone_outcomes", charts.milestone_outcomes, views.milestone_funnel, {}),
    (
        "mentor_timeline",
        charts.mentor_timeline,
        mentor_views.mentor_sessions,
        {"mentor_id": "PM-1"},
    ),
    (
        "mentor_lateness",
        lambda f: charts.mentor_lateness(f, 5),
        mentor_views.mentor_sessions,
        {"mentor_id": "PM-1"},
    ),
    (
        "mentor_stage_path",
        lambda f: charts.mentor_stage_path(f, SETTINGS.stage_labels),
        mentor_views.mentor_stage_path,
        {"mentor_id": "PM-1"},
    ),
    (
        "mentor_shadowing",
        lambda f: charts.mentor_shadowing(f, 10),
        mentor_views.mentor_shadowing,
        {"mentor_id": "PM-1"},
    ),
]
IDS = [name for name, *_ in PAGE_CHARTS]


@pytest.fixture
def con(tiny_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:  # noqa: F811
    with database.connect(tiny_db) as connection:
        yield connection


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mentor who left in 2025 and no other records: nothing in a 2030 window."""
    folder = tmp_path_factory.mktemp("charts-empty")
    db = folder / "empty.duckdb"
    mentors = (
        "mentor_id,cohort,start_date,status,end_date\nPM-1,A,2025-01-01,withdrawn,2025-06-01\n"
    )
    assert run_import(db, {"mentors.csv": mentors}, folder / "in").landed
    return db


def colours(figure: go.Figure) -> set[str]:
    """Every fixed colour the traces use (markers and lines), lower case."""
    found: set[str] = set()
    for trace in figure.data:
        for path in (("marker", "color"), ("line", "color")):
            node: Any = trace
            for part in path:
                node = getattr(node, part, None)
                if node is None:
                    break
            values = node if isinstance(node, list | tuple) else [node]
            found |= {v.lower() for v in values if isinstance(v, str) and v.startswith("#")}
    return found


def annotations(figure: go.Figure) -> list[str]:
    return [a.text for a in figure.layout.annotations]


@pytest.mark.parametrize(("name", "builder", "view", "kwargs"), PAGE_CHARTS, ids=IDS)
def test_house_style(
    con: duckdb.DuckDBPyConnection,
    name: str,
    builder: Builder,
    view: Callable[..., pd.DataFrame],
    kwargs: dict[str, Any],
) -> None:
    chart = builder(view(con, WINDOW, SETTINGS, **kwargs))
    layout = chart.figure.layout
    assert layout.title.text and layout.xaxis.title.text and layout.yaxis.title.text
    assert layout.font.family == charts.FONT
    assert colours(chart.figure) <= ALLOWED_COLOURS
    assert chart.summary.endswith(".") and any(ch.isdigit() for ch in chart.summary)
    assert charts.NO_RECORDS not in annotations(chart.figure)
    json.loads(chart.figure.to_json())  # what st.plotly_chart sends


@pytest.mark.parametrize(("name", "builder", "view", "kwargs"), PAGE_CHARTS, ids=IDS)
def test_an_empty_window_says_so(
    empty_db: Path,
    name: str,
    builder: Builder,
    view: Callable[..., pd.DataFrame],
    kwargs: dict[str, Any],
) -> None:
    with database.connect(empty_db) as con:
        chart = builder(view(con, EMPTY, SETTINGS, **kwargs))
    assert chart.figure.layout.title.text
    if name == "flag_reasons":  # nobody to flag is a finding, not a gap
        assert chart.summary == "No mentor is flagged over the last 28 days of the window."
        return
    if name == "regressions_by_month":
        assert chart.summary == "No mentor stepped back on the curve in this window."
        return
    assert charts.NO_RECORDS in annotations(chart.figure)
    assert "no records" in chart.summary.lower() or NO_ASSESSMENT in chart.summary


NO_ASSESSMENT = "no active mentor has been assessed"


# --- Summaries state the numbers --------------------------------------------------------------


def months_frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
            "expected": [10, 20, 10],
            "present": [8, 16, 6],
            "on_time": [4, 12, 6],
            "late": [4, 4, 0],
            "no_show": [1, 2, 4],
            "notified": [1, 2, 0],
            "attendance_rate": [0.8, 0.8, 0.6],
            "punctuality_rate": [0.5, 0.75, 1.0],
            "no_show_rate": [0.1, 0.1, 0.4],
            "notice_rate": [0.5, 0.5, 0.0],
            "beneficiary_expected": [4, 6, 0],
            "beneficiary_missed": [1, 0, 0],
            "beneficiary_late": [1, 2, 0],
            "mentors": [3, 4, 2],
        }
    )
    # The window's figures as the view's query measures them (views.attendance_by_month).
    frame.attrs["window"] = {
        "attendance_rate": 0.75,
        "punctuality_rate": 22 / 30,
        "no_show_rate": 7 / 40,
        "notice_rate": 0.3,
        "expected_attendances": 40,
        "present": 30,
    }
    return frame


def test_monthly_summaries() -> None:
    frame = months_frame()
    assert charts.attendance_trends(frame).summary == (
        "Across the window, 75% of expected attendances were attended and 73% of arrivals were "
        "on time; punctuality rose from 50% in Jan 2025 to 100% in Mar 2025."
    )
    assert charts.punctuality_by_month(frame).summary == (
        "73% of 30 arrivals were on time; the best month was Mar 2025 (100%) and the weakest "
        "Jan 2025 (50%)."
    )
    assert charts.reliability_by_month(frame).summary == (
        "Of 40 expected attendances, 75% were attended and 18% were no-shows; 30% of absences "
        "came with notice."
    )
    assert charts.beneficiary_meetings_by_month(frame).summary == (
        "Of 10 beneficiary meetings expected, 1 (10%) were missed and 3 (30%) started with the "
        "mentor late."
    )


def test_beneficiary_meetings_stack_to_the_expected() -> None:
    figure = charts.beneficiary_meetings_by_month(months_frame()).figure
    assert [t.name for t in figure.data] == ["On time", "Late", "Missed"]
    stacked = [sum(t.y[i] for t in figure.data) for i in range(3)]
    assert stacked == [4, 6, 0]
    assert figure.layout.barmode == "stack"


@pytest.mark.parametrize(
    ("rates", "words"),
    [
        ([0.62, 0.70, 0.85], "rose from 62% in weeks 0–3 to 85% at 52+ weeks"),
        ([0.90, 0.80, 0.70], "fell from 90% in weeks 0–3 to 70% at 52+ weeks"),
        ([0.80, 0.50, 0.80], "held at 80% in weeks 0–3 to 80% at 52+ weeks"),
    ],
)
def test_punctuality_by_weeks_summary(rates: list[float], words: str) -> None:
    frame = pd.DataFrame(
        {
            "weeks_from": [0, 4, 52],
            "weeks_to": [3, 7, None],
            "present": [100, 80, 40],
            "on_time": [round(r * n) for r, n in zip(rates, [100, 80, 40], strict=True)],
            "punctuality_rate": rates,
            "mentors": [20, 18, 6],
            "label": ["0–3", "4–7", "52+"],
        }
    )
    assert words in charts.punctuality_by_weeks(frame).summary


def test_minutes_late_summary() -> None:
    frame = pd.DataFrame(
        {
            "low": [0, 6, 11, 16, 21, 31, 46, 61],
            "high": [5, 10, 15, 20, 30, 45, 60, None],
            "arrivals": [0, 10, 10, 5, 5, 10, 5, 5],
            "label": ["0–5", "6–10", "11–15", "16–20", "21–30", "31–45", "46–60", "Over 60"],
        }
    )
    assert charts.minutes_late(frame).summary == (
        "Of 50 late arrivals with a recorded time, 40% were up to 15 minutes late and 40% more "
        "than 30 minutes late."
    )


def test_staff_time_lost_in_hours_with_a_note_when_limited() -> None:
    frame = pd.DataFrame(
        {
            "staff_id": ["ST-1", "OW-2"],
            "late_minutes": [50.0, 0.0],
            "no_show_minutes": [540.0, 90.0],
            "minutes_lost": [590.0, 90.0],
            "late_arrivals": [2, 0],
            "no_shows": [2, 1],
            "mostly_beneficiary_meetings": [False, True],
            "staff_total": [5, 5],
            "minutes_lost_total": [720.0, 720.0],
        }
    )
    chart = charts.staff_time_lost(frame)
    assert chart.summary == (
        "Staff lost 12 hours to late arrivals and no-shows at shadowing and beneficiary "
        "meetings; the most was ST-1 (9.8 hours). Shown: the 2 most affected of 5 staff."
    )
    lateness, no_shows = chart.figure.data
    assert list(no_shows.x) == [1.5, 9.0]  # hours, listed bottom-up so the most is on top


def stage_frame(counts: list[int]) -> pd.DataFrame:
    labels = SETTINGS.stage_labels
    return pd.DataFrame(
        {
            "stage": list(range(8)),
            "mentors": counts,
            "label": ["Not yet assessed", *(f"{i} {n}" for i, n in enumerate(labels, 1))],
            "name": ["Not yet assessed", *labels],
        }
    )


def test_transition_curve() -> None:
    chart = charts.transition_curve(stage_frame([2, 4, 6, 9, 3, 0, 5, 1]))
    curve, mentors = chart.figure.data
    assert curve.line.shape == "spline"
    assert list(mentors.x) == list(range(1, 8))
    assert list(mentors.y) == list(charts.CURVE_HEIGHTS)
    # The dip: lowest at self-doubt and letting go, highest at internalisation.
    assert min(charts.CURVE_HEIGHTS) in charts.CURVE_HEIGHTS[2:4]
    assert max(charts.CURVE_HEIGHTS) == charts.CURVE_HEIGHTS[6]
    assert list(mentors.text) == ["4", "6", "9", "3", "", "5", "1"]
    assert mentors.marker.size[4] == 0 and mentors.marker.size[2] == max(mentors.marker.size)
    ticks = chart.figure.layout.xaxis.ticktext
    assert [t.split("<br>")[0] for t in ticks] == [str(i) for i in range(1, 8)]
    assert "Search for<br>meaning" in ticks[5]
    assert chart.summary == (
        "Of 28 assessed mentors, 4 are at stage 1, 18 in the dip (stages 2–4) and 6 rising "
        "through stages 5–7; 2 are not yet assessed."
    )
    assert "DM-" not in chart.figure.to_json()  # counts only, never names


def test_stage_distribution_summary() -> None:
    chart = charts.stage_distribution(stage_frame([2, 4, 6, 9, 3, 0, 5, 1]))
    assert chart.summary == (
        "Of 30 active mentors, the most (9) are at 3 Self-doubt; 6 are at stages 5–7 and 2 not "
        "yet assessed."
    )


def test_stage_distribution_when_nobody_is_assessed_yet() -> None:
    chart = charts.stage_distribution(stage_frame([1, 0, 0, 0, 0, 0, 0, 0]))
    assert chart.summary == "Of 1 active mentor, none has been assessed yet."


def test_stage_flows_sankey() -> None:
    frame = pd.DataFrame(
        {
            "from_stage": [0, 2, 3, 4],
            "to_stage": [1, 4, 3, 2],
            "mentors": [5, 3, 2, 1],
            "from_label": ["Not yet assessed", "2 Minimisation", "3 Self-doubt", "4 Letting go"],
            "to_label": ["1 Immobilisation", "4 Letting go", "3 Self-doubt", "2 Minimisation"],
        }
    )
    chart = charts.stage_flows(frame)
    sankey = chart.figure.data[0]
    assert list(sankey.node.label) == [
        "Not yet assessed",
        "2 Minimisation",
        "3 Self-doubt",
        "4 Letting go",
        "1 Immobilisation",
        "2 Minimisation",
        "3 Self-doubt",
        "4 Letting go",
    ]
    assert list(sankey.link.value) == [5, 3, 2, 1]
    assert [c.split("(")[1].split(",")[:3] for c in sankey.link.color] == [
        ["86", "180", "233"],  # first assessment
        ["0", "158", "115"],  # moved up
        ["154", "165", "177"],  # same stage
        ["213", "94", "0"],  # stepped back
    ]
    # the colours are said under the diagram, and each flow's table row names its colour
    key = " ".join(a.text for a in chart.figure.layout.annotations)
    for words in ("Moved up", "Same stage", "Stepped back", "Assessed for the first time"):
        assert words in key
    from analysis.chart_tables import figure_table

    assert figure_table(chart.figure)["Move"].tolist() == [
        "Assessed for the first time",
        "Moved up",
        "Same stage",
        "Stepped back",
    ]
    assert chart.summary == (
        # Not "moved up the curve": that name is stages.mentors_progressed's alone
        "Of 11 mentors assessed by the end of the window, 3 ended the window at a higher stage "
        "than they began it, 2 at the same stage, 1 lower, and 5 had their first assessment "
        "during the window. The card 'Moved up the curve' counts mentors whose latest stage is "
        "above their first ever."
    )


def test_self_esteem_boxes_are_drawn_from_quartiles() -> None:
    frame = pd.DataFrame(
        {
            "stage": [1, 2, 3],
            "assessments": [4, 6, 0],
            "mentors": [2, 3, 0],
            "mean": [12.0, 9.5, None],
            "minimum": [8, 4, None],
            "q1": [10.0, 7.0, None],
            "median": [12.0, 9.0, None],
            "q3": [14.0, 11.0, None],
            "maximum": [16, 17, None],
            "label": ["1 Immobilisation", "2 Minimisation", "3 Self-doubt"],
        }
    )
    chart = charts.self_esteem_by_stage(frame)
    box = chart.figure.data[0]
    assert list(box.q1) == [10.0, 7.0] and list(box.median) == [12.0, 9.0]
    assert list(box.lowerfence) == [8, 4] and list(box.upperfence) == [16, 17]
    assert chart.summary.startswith(
        "Mean self-esteem was lowest at 2 Minimisation (9.5 of 30) and highest at "
        "1 Immobilisation (12.0), over 10 scored assessments"
    )


def test_shadowing_progress_has_the_target_line() -> None:
    frame = pd.DataFrame(
        {
            "mentor_id": ["PM-2", "PM-3"],
            "cohort": ["A", "B"],
            "status": ["active", "withdrawn"],
            "credited_hours": [4.5, 0.0],
            "target_hours": [10.0, 10.0],
            "progress": ["in_progress", "not_started"],
            "mentors_total": [50, 50],
            "mentors_complete": [40, 40],
            "mentors_in_progress": [8, 8],
            "mentors_not_started": [2, 2],
        }
    )
    chart = charts.shadowing_progress(frame)
    (line,) = chart.figure.layout.shapes
    assert (line.x0, line.x1) == (10.0, 10.0)
    assert "Target 10 hours" in annotations(chart.figure)
    assert chart.summary == (
        "Of 50 mentors, 40 have completed 10 hours of shadowing, 8 are in progress and 2 have "
        "not started; the chart shows 2 of them."
    )


def test_milestone_funnel_and_outcomes(con: duckdb.DuckDBPyConnection) -> None:
    frame = views.milestone_funnel(con, WINDOW, SETTINGS)
    funnel = charts.milestone_funnel(frame)
    assert list(funnel.figure.data[0].x) == [3, 3, 1, 2, 1]
    assert funnel.summary == (
        "Of 3 mentors, 3 completed training, 1 completed shadowing, 2 had a first mentoring "
        "session and 1 went on to a qualification, volunteering, education or paid work."
    )
    outcomes = charts.milestone_outcomes(frame)
    assert outcomes.summary == (
        "Mentors reaching each outcome: 0 accredited qualification, 1 volunteering, "
        "0 further education, 0 paid employment."
    )


def test_mentor_charts(con: duckdb.DuckDBPyConnection) -> None:
    sessions = mentor_views.mentor_sessions(con, WINDOW, SETTINGS, mentor_id="PM-2")
    # late by the one rule (the time against the grace period; the mark only without a time),
    # as the cards count it: one "attended" mark arrived 40 minutes late
    assert charts.mentor_timeline(sessions).summary == (
        "5 sessions in the window: 1 attended on time or early, 2 late, 1 no-show, "
        "1 cancelled by the programme."
    )
    assert int(sessions["late"].sum()) == 2
    assert charts.mentor_lateness(sessions, 5).summary == (
        "Late to 1 of 2 sessions with an arrival time recorded, by 40 minutes on average; the "
        "latest was 12 Mar 2025."
    )
    path = mentor_views.mentor_stage_path(con, WINDOW, SETTINGS, mentor_id="PM-1")
    assert charts.mentor_stage_path(path, SETTINGS.stage_labels).summary == (
        "Assessed 4 times: from 1 Immobilisation on 5 Dec 2024 to 4 Letting go on 25 Mar 2025, "
        "with 1 step back; self-esteem went from 10 to 14 of 30."
    )
    shadowing = mentor_views.mentor_shadowing(con, WINDOW, SETTINGS, mentor_id="PM-1")
    assert charts.mentor_shadowing(shadowing, 10).summary == (
        "11.3 of 10 hours credited over 4 sessions; the target was reached on 12 Mar 2025."
    )


def test_mentor_cards_and_details(con: duckdb.DuckDBPyConnection) -> None:
    profile = mentor_views.mentor_profile(con, WINDOW, SETTINGS, mentor_id="PM-1")
    cards = {c.label: c for c in charts.mentor_cards(profile)}
    assert (cards["Attendance"].value, cards["Attendance"].delta) == ("71%", "5 of 7 sessions")
    assert cards["Shadowing"].value == "11.3 h"
    assert (cards["Current stage"].value, cards["Current stage"].delta) == (
        "Stage 4",
        "Letting go, self-esteem 14",
    )
    assert cards["Flags"].value == "1"
    assert {c.delta_arrow for c in cards.values()} == {"off"}  # notes, not changes
    assert charts.mentor_flags_text(profile) == (
        "Flagged over the last 28 days of the window: attendance under 60%."
    )
    assert charts.mentor_details(profile) == (
        "Cohort A · started 1 Dec 2024 · active · outreach worker OW\\-1 · North"
    )
    assert charts.mentor_cards(profile.iloc[0:0]) == []


# --- Headline cards -----------------------------------------------------------------------------


def headline(figure: str, kind: str, better: str, value: Any, previous: Any) -> dict[str, Any]:
    return {
        "figure": figure,
        "label": figure.title(),
        "kind": kind,
        "better": better,
        "value": value,
        "previous": previous,
        "window_from": dt.date(2025, 1, 1),
        "window_to": dt.date(2025, 3, 31),
        "previous_from": dt.date(2024, 10, 3),
        "previous_to": dt.date(2024, 12, 31),
    }


@pytest.mark.parametrize(
    ("row", "value", "delta", "colour"),
    [
        (headline("a", "rate", "higher", 0.85, 0.80), "85%", "+5.0 pts", "normal"),
        (headline("a", "rate", "lower", 0.05, 0.08), "5%", "-3.0 pts", "inverse"),
        (headline("a", "rate", "higher", 0.8, 0.8), "80%", "±0.0 pts", "off"),
        (headline("a", "count", "neither", 75, 69), "75", "+6", "off"),
        (headline("a", "count", "lower", 4, 5), "4", "-1", "inverse"),
        (headline("a", "staff_minutes", "lower", 6588, 5638), "110 h", "+16 h", "inverse"),
        (headline("a", "minutes", "lower", 16, 18), "16 min", "-2", "inverse"),
        (headline("a", "days", "lower", 77.5, 80), "78 days", "-2", "inverse"),
        (headline("a", "points", "higher", 1.6, 1.2), "+1.6", "+0.4", "normal"),
        (headline("a", "rate", "higher", None, 0.8), "no data", None, "off"),
        (headline("a", "count", "higher", 3, None), "3", None, "off"),
    ],
)
def test_headline_cards(row: dict[str, Any], value: str, delta: str | None, colour: str) -> None:
    (card,) = charts.headline_cards(pd.DataFrame([row]))
    assert (card.value, card.delta, card.delta_color) == (value, delta, colour)


def test_headline_cards_say_which_period_they_compare_with() -> None:
    rows = [
        headline("attendance_rate", "rate", "higher", 0.85, 0.80),
        headline("mentors_active", "count", "neither", 3, None),
    ]
    frame = pd.DataFrame(rows)
    first, second = charts.headline_cards(frame)
    assert first.help == "Previous period (3 Oct 2024 to 31 Dec 2024): 80%."
    assert (
        second.help
        == "No comparison: the previous period (3 Oct 2024 to 31 Dec 2024) has no records."
    )
    chosen = charts.headline_cards(frame, ("mentors_active", "attendance_rate", "unknown"))
    assert [c.label for c in chosen] == ["Mentors_Active", "Attendance_Rate"]


def test_freshness_text() -> None:
    frame = pd.DataFrame(
        [
            {
                "latest_session": pd.Timestamp("2026-11-20"),
                "upcoming_sessions": 0,
                "latest_assessment": pd.Timestamp("2026-11-18"),
                "last_import": pd.Timestamp("2026-11-25 07:09:30"),
                "imports": 3,
                "today": pd.Timestamp("2026-11-27"),
            }
        ]
    )
    assert charts.freshness_text(frame) == (
        "Sessions recorded up to 20 Nov 2026; latest stage assessment 18 Nov 2026. Last import "
        "25 Nov 2026 at 07:09 (2 days ago)."
    )


def test_more_rows_note() -> None:
    frame = pd.DataFrame({"mentor_id": ["A", "B"], "mentors_total": [2500, 2500]})
    assert charts.more_rows_note(frame, "mentors_total", "mentors") == "Showing 2 of 2,500 mentors."
    assert charts.more_rows_note(frame.iloc[:0], "mentors_total", "mentors") is None
    whole = pd.DataFrame({"mentor_id": ["A"], "mentors_total": [1]})
    assert charts.more_rows_note(whole, "mentors_total", "mentors") is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[click](javascript:alert(1))", "\\[click\\]\\(javascript\\:\u2060alert\\(1\\)\\)"),
        ("**bold** _it_", r"\*\*bold\*\* \_it\_"),
        ("PM-014", r"PM\-014"),
        # GFM links web and e-mail addresses even when escaped: a word joiner breaks them.
        ("http://x.org", "http\\:\u2060//x\\.org"),
        ("WWW.x.org a@b.org", "WWW\u2060\\.x\\.org a@\u2060b\\.org"),
        ("line\n===", "line \\=\\=\\="),
    ],
)
def test_record_text_is_never_markdown(text: str, shown: str) -> None:
    assert charts.markdown_safe(text) == shown


def test_record_text_is_never_plotly_markup() -> None:
    frame = pd.DataFrame(
        {
            "cohort": ["<a href='http://x'>2025</a>"],
            "cohort_start": [dt.date(2025, 1, 1)],
            "mentors": [3],
            "expected": [10],
            "present": [8],
            "on_time": [6],
            "attendance_rate": [0.8],
            "punctuality_rate": [0.75],
        }
    )
    (label,) = charts.cohort_comparison(frame).figure.data[0].y
    assert label == "&lt;a href='http://x'&gt;2025&lt;/a&gt;"  # shown as typed, not a link


def test_cohorts_compared_run_down_the_side_so_no_label_overlaps() -> None:
    cohorts = [f"{y} Q{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4)]
    n = len(cohorts)
    frame = pd.DataFrame(
        {
            "cohort": cohorts,
            "cohort_start": [dt.date(2023, 1, 1)] * n,
            "mentors": [5] * n,
            "expected": [10] * n,
            "present": [8] * n,
            "on_time": [6] * n,
            "attendance_rate": [0.8] * n,
            "punctuality_rate": [0.6] * n,
        }
    )
    figure = charts.cohort_comparison(frame).figure
    bars = figure.data[0]
    assert bars.orientation == "h" and list(bars.y) == cohorts  # whole, one per line
    assert figure.layout.yaxis.autorange == "reversed"  # in order of intake, top down
    assert figure.layout.height >= 22 * n  # room for every label on its own line


def _a_chart() -> go.Figure:
    """A figure as a chart builder leaves it before styling: traces, some layout of its own."""
    figure = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], yaxis="y2"))
    figure.update_layout(
        height=300,
        margin={"l": 99, "t": 5},
        annotations=[{"text": "note", "x": 0, "y": 0, "showarrow": False}],
        legend={"title": {"text": "Kept"}},
    )
    figure.update_yaxes(range=[0, 5], title_standoff=3)
    return figure


@pytest.mark.parametrize("template", ["plotly", "streamlit", None])
def test_styled_gives_what_plotly_s_own_update_gives(template: str | None) -> None:
    """`styled` (and `relayout`) build the layout in one step for speed; the result must be
    exactly Plotly's `update_layout` of the house style and then of the chart's changes: the
    chart's own layout kept, dicts merged, lists and values replaced, the template kept."""
    import plotly.io as pio
    import streamlit.elements.plotly_chart  # noqa: F401 - registers the "streamlit" template

    before = pio.templates.default
    pio.templates.default = template
    try:
        changes: dict[str, Any] = {
            "margin": {"b": 7},
            "yaxis": {"tickformat": ".0%", "range": [0, 1]},
            "yaxis2": {"overlaying": "y", "side": "right", "title": {"text": "Right"}},
            "annotations": [{"text": "replaced", "x": 1, "y": 1, "showarrow": False}],
            "showlegend": False,
        }
        fast = charts.styled(_a_chart(), "A title", "X (units)", "Y (units)", **changes)
        slow = _a_chart()
        slow.update_layout(charts.house_style("A title", "X (units)", "Y (units)"))
        slow.update_layout(changes)
    finally:
        pio.templates.default = before
    assert fast.to_plotly_json() == slow.to_plotly_json()
    assert fast.layout.margin.l == 60 and fast.layout.margin.b == 7  # house, then the chart's
    assert fast.layout.legend.title.text == "Kept" and fast.layout.yaxis.title.standoff == 3
    assert [a.text for a in fast.layout.annotations] == ["replaced"]
    if template is not None:
        assert fast.layout.template == pio.templates[template]
