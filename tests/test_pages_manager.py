"""The manager pages in AppTest on demo data: each runs without an exception, draws every chart,
shows the same figures `analysis` computes for the same filters, and follows a filter change.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis import charts, conduct, conduct_charts, database, mentor_views, metrics, views
from analysis.charts import Chart
from analysis.settings import Settings
from tests.conftest import as_shown

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = Settings()
FROM, TO = dt.date(2025, 6, 1), dt.date(2026, 5, 31)

ChartSpec = tuple[Callable[[pd.DataFrame], Chart], Callable[..., pd.DataFrame], dict[str, Any]]

# What each page shows: its headline cards (figures, in order) and its charts.
HEADLINES: dict[str, tuple[str, ...]] = {
    "overview": (
        "mentors_active",
        "attendance_rate",
        "punctuality_rate",
        "no_show_rate",
        "beneficiaries_reached",
        "peer_support_hours",
        "shadowing.mentors_complete",
        "mentors_flagged",
    ),
    "timekeeping": ("punctuality_rate", "median_minutes_late", "staff_minutes_lost"),
    "reliability": (
        "attendance_rate",
        "no_show_rate",
        "notice_rate",
        "beneficiary_meetings.missed",
        "mentors_flagged",
    ),
    "transitions": (
        "stages.mentors_progressed",
        "stages.regressions",
        "stages.mean_self_esteem_change",
    ),
    "shadowing": (
        "shadowing.mentors_complete",
        "shadowing.mentors_in_progress",
        "shadowing.median_days_to_complete",
    ),
}
CHARTS: dict[str, list[ChartSpec]] = {
    "overview": [
        (charts.attendance_trends, views.attendance_by_month, {}),
        (charts.stage_distribution, views.stage_distribution, {}),
        (lambda f: charts.flag_reasons(f, SETTINGS.lookback_days), views.headline_figures, {}),
        (lambda f: conduct_charts.skills_curve(f.values["skills_curve"]), conduct.compute, {}),
    ],
    "timekeeping": [
        (charts.punctuality_by_month, views.attendance_by_month, {}),
        (charts.punctuality_by_weeks, views.punctuality_by_weeks_in_programme, {}),
        (charts.minutes_late, views.minutes_late_distribution, {}),
        (charts.punctuality_by_session_type, views.punctuality_by_session_type, {}),
        (charts.punctuality_heatmap, views.punctuality_by_weekday_hour, {}),
        (charts.cohort_comparison, views.cohort_comparison, {}),
        (charts.staff_time_lost, views.staff_time_lost, {"limit": 25}),
    ],
    "reliability": [
        (charts.reliability_by_month, views.attendance_by_month, {}),
        (charts.beneficiary_meetings_by_month, views.attendance_by_month, {}),
    ],
    "transitions": [
        (charts.transition_curve, views.stage_distribution, {}),
        (charts.stage_flows, views.stage_flows, {}),
        (charts.stage_durations, views.stage_durations, {}),
        (charts.self_esteem_by_stage, views.self_esteem_by_stage, {}),
        (charts.regressions_by_month, views.regressions, {}),
        (charts.regressions_by_stage, views.regressions, {}),
        (charts.cohort_progress, views.cohort_progress, {}),
    ],
    "shadowing": [
        (charts.shadowing_progress, views.shadowing_progress, {"limit": 40, "order": "closest"}),
        (charts.completion_times, views.shadowing_completion_times, {}),
        (charts.milestone_funnel, views.milestone_funnel, {}),
        (charts.milestone_outcomes, views.milestone_funnel, {}),
    ],
}


@pytest.fixture
def dashboard(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], AppTest]:
    """Open a page of the dashboard in local mode (a manager), the window set to fixed dates."""
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(demo_db.parent / "no-settings.toml"))

    def start(page: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        at.run()
        open_page(at, page)
        at.sidebar.selectbox(key="filter_window").set_value("Custom dates").run()
        at.sidebar.date_input(key="filter_from").set_value(FROM).run()
        at.sidebar.date_input(key="filter_to").set_value(TO).run()
        assert not at.exception
        return at

    return start


def choose(at: AppTest, key: str, index: int) -> AppTest:
    """Pick a selectbox option by position (what a click does)."""
    return at.selectbox(key=key).select_index(index)


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_charts(at: AppTest) -> dict[str, Any]:
    """Plotly charts on the page: title → the figure's data, as sent to the browser."""
    specs = [json.loads(element.proto.spec) for element in at.get("plotly_chart")]
    return {spec["layout"]["title"]["text"]: spec["data"] for spec in specs}


def expected_charts(db: Path, scope: metrics.Scope, specs: list[ChartSpec]) -> dict[str, Any]:
    with database.connect(db) as con:
        built = [build(view(con, scope, SETTINGS, **kwargs)) for build, view, kwargs in specs]
    return {c.figure.layout.title.text: json.loads(c.figure.to_json())["data"] for c in built}


def expected_summaries(db: Path, scope: metrics.Scope, specs: list[ChartSpec]) -> list[str]:
    with database.connect(db) as con:
        return [build(view(con, scope, SETTINGS, **kw)).summary for build, view, kw in specs]


def shown_metrics(at: AppTest) -> list[tuple[str, str, str | None]]:
    return [(as_shown(m.label), m.value, m.delta or None) for m in at.metric]


def expected_metrics(
    db: Path, scope: metrics.Scope, figures: tuple[str, ...], compare: bool
) -> list[tuple[str, str, str | None]]:
    with database.connect(db) as con:
        frame = views.headline_figures(con, scope, SETTINGS, compare=compare)
    return [(c.label, c.value, c.delta) for c in charts.headline_cards(frame, figures)]


def shown_text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "title", "header", "subheader", "info", "metric", "text")
    parts = [str(e.value) for kind in kinds for e in getattr(at, kind)]
    parts += [e.value.to_csv() for e in at.dataframe]
    parts += [element.proto.spec for element in at.get("plotly_chart")]
    return "\n".join(parts)


def a_cohort(db: Path, scope: metrics.Scope) -> str:
    """A cohort with attendance in the window, to filter on."""
    with database.connect(db) as con:
        cohorts = views.cohort_comparison(con, scope, SETTINGS)
    return str(cohorts.loc[cohorts["expected"] > 0, "cohort"].iloc[-1])


@pytest.mark.parametrize("page", list(CHARTS))
def test_page_shows_what_analysis_computes(
    dashboard: Callable[[str], AppTest], demo_db: Path, page: str
) -> None:
    at = dashboard(page)
    scope = metrics.Scope(FROM, TO)
    expected = expected_charts(demo_db, scope, CHARTS[page])
    assert len(expected) == len(CHARTS[page])  # titles are distinct on a page
    assert shown_charts(at) == expected
    captions = [as_shown(c.value) for c in at.caption]
    for summary in expected_summaries(demo_db, scope, CHARTS[page]):
        assert summary in captions
    assert shown_metrics(at) == expected_metrics(
        demo_db, scope, HEADLINES[page], page == "overview"
    )


@pytest.mark.parametrize("page", list(CHARTS))
def test_page_follows_a_filter_change(
    dashboard: Callable[[str], AppTest], demo_db: Path, page: str
) -> None:
    at = dashboard(page)
    before = shown_charts(at)
    cohort = a_cohort(demo_db, metrics.Scope(FROM, TO))
    at.multiselect(key="filter_cohorts").set_value([cohort]).run()
    assert not at.exception
    scope = metrics.Scope(FROM, TO, cohorts=(cohort,))
    after = shown_charts(at)
    assert after == expected_charts(demo_db, scope, CHARTS[page])
    assert after != before
    assert shown_metrics(at) == expected_metrics(
        demo_db, scope, HEADLINES[page], page == "overview"
    )


def test_the_filter_survives_a_page_switch(
    dashboard: Callable[[str], AppTest], demo_db: Path
) -> None:
    cohort = a_cohort(demo_db, metrics.Scope(FROM, TO))
    at = dashboard("timekeeping")
    at.multiselect(key="filter_cohorts").set_value([cohort]).run()
    at = open_page(at, "transitions")
    scope = metrics.Scope(FROM, TO, cohorts=(cohort,))
    assert shown_charts(at) == expected_charts(demo_db, scope, CHARTS["transitions"])


def test_overview_data_freshness(dashboard: Callable[[str], AppTest], demo_db: Path) -> None:
    at = dashboard("overview")
    with database.connect(demo_db) as con:
        text = charts.freshness_text(views.data_freshness(con, metrics.Scope(), SETTINGS))
    assert text in [m.value for m in at.markdown]
    assert "Sessions recorded up to 20 Nov 2026" in text


def test_reliability_table(dashboard: Callable[[str], AppTest], demo_db: Path) -> None:
    at = dashboard("reliability")
    scope = metrics.Scope(FROM, TO)
    with database.connect(demo_db) as con:
        expected = views.mentor_reliability(con, scope, SETTINGS, limit=200)
        flagged = metrics.at_risk(con, scope, SETTINGS)
    (table,) = mentor_tables(at)  # the other tables are the charts' numbers
    assert list(table.value["mentor_id"]) == list(expected["mentor_id"])
    assert list(table.value["reasons"]) == list(expected["reasons"])
    shown_flagged = set(table.value.loc[table.value["flag_count"] > 0, "mentor_id"])
    assert shown_flagged == {f["mentor_id"] for f in flagged}

    at.selectbox(key="reliability_order").set_value("mentor").run()
    assert list(mentor_tables(at)[0].value["mentor_id"]) == sorted(expected["mentor_id"])
    at.toggle(key="reliability_flagged").set_value(True).run()
    assert set(mentor_tables(at)[0].value["mentor_id"]) == {f["mentor_id"] for f in flagged}


def mentor_tables(at: AppTest) -> list[Any]:
    return [d for d in at.dataframe if "mentor_id" in d.value.columns]


def test_shadowing_order(dashboard: Callable[[str], AppTest], demo_db: Path) -> None:
    at = dashboard("shadowing")
    at.selectbox(key="shadowing_order").set_value("most").run()
    assert not at.exception
    spec: list[ChartSpec] = [
        (charts.shadowing_progress, views.shadowing_progress, {"limit": 40, "order": "most"})
    ]
    expected = expected_charts(demo_db, metrics.Scope(FROM, TO), spec)
    (title,) = expected
    assert shown_charts(at)[title] == expected[title]


def a_mentor_with_notes(db: Path, scope: metrics.Scope) -> tuple[str, pd.DataFrame]:
    with database.connect(db) as con:
        codes = mentor_views.mentor_codes(con, scope, SETTINGS)
        for code in codes["mentor_id"]:
            notes = mentor_views.mentor_notes(con, scope, SETTINGS, mentor_id=str(code))
            if len(notes):
                return str(code), notes
    raise AssertionError("the demo has no mentor with notes in the window")


def test_mentor_journey(dashboard: Callable[[str], AppTest], demo_db: Path) -> None:
    scope = metrics.Scope(FROM, TO)
    mentor, notes = a_mentor_with_notes(demo_db, scope)
    at = dashboard("mentor_journey")
    with database.connect(demo_db) as con:
        codes = mentor_views.mentor_codes(con, scope, SETTINGS)
    assert list(at.selectbox(key="journey_mentor").options) == list(codes["mentor_id"])
    choose(at, "journey_mentor", list(codes["mentor_id"]).index(mentor)).run()
    assert not at.exception
    assert at.selectbox(key="journey_mentor").value == mentor
    with database.connect(demo_db) as con:
        profile = mentor_views.mentor_profile(con, scope, SETTINGS, mentor_id=mentor)
        sessions = mentor_views.mentor_sessions(con, scope, SETTINGS, mentor_id=mentor)
        path = mentor_views.mentor_stage_path(con, scope, SETTINGS, mentor_id=mentor)
        shadowing = mentor_views.mentor_shadowing(con, scope, SETTINGS, mentor_id=mentor)
        observed = conduct.mentor_observations(con, scope, SETTINGS, mentor_id=mentor)
    assert shown_metrics(at) == [(c.label, c.value, c.delta) for c in charts.mentor_cards(profile)]
    built = [
        conduct_charts.with_observations(charts.mentor_timeline(sessions), observed),
        charts.mentor_lateness(sessions, SETTINGS.grace_minutes),
        charts.mentor_shadowing(shadowing, SETTINGS.shadowing_target_hours),
        charts.mentor_stage_path(path, SETTINGS.stage_labels),
    ]
    assert shown_charts(at) == {
        c.figure.layout.title.text: json.loads(c.figure.to_json())["data"] for c in built
    }
    shown_notes = at.dataframe[-1].value
    assert list(shown_notes["note"]) == list(notes["note"])
    assert charts.mentor_details(profile) in [c.value for c in at.caption]


def test_notes_appear_on_the_mentor_journey_only(
    dashboard: Callable[[str], AppTest], demo_db: Path
) -> None:
    scope = metrics.Scope(FROM, TO)
    with database.connect(demo_db) as con:
        texts = {
            str(n)
            for (n,) in con.execute(
                "SELECT notes FROM attendance WHERE notes IS NOT NULL UNION "
                "SELECT notes FROM stage_assessments WHERE notes IS NOT NULL UNION "
                "SELECT notes FROM milestones WHERE notes IS NOT NULL"
            ).fetchall()
        }
    assert texts
    at = dashboard("overview")
    for page in CHARTS:
        at = open_page(at, page)
        shown = shown_text(at)
        assert [t for t in texts if t in shown] == [], page
    mentor, _ = a_mentor_with_notes(demo_db, scope)
    at = open_page(at, "mentor_journey")
    choose(at, "journey_mentor", list(at.selectbox(key="journey_mentor").options).index(mentor))
    at.run()
    assert [t for t in texts if t in shown_text(at)]


def test_mentor_journey_with_no_mentors_in_the_filters(dashboard: Callable[[str], AppTest]) -> None:
    at = dashboard("mentor_journey")
    at.date_input(key="filter_from").set_value(dt.date(2020, 1, 1)).run()
    at.date_input(key="filter_to").set_value(dt.date(2020, 3, 31)).run()
    assert not at.exception
    assert any("No mentors match" in i.value for i in at.info)
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("page", [*CHARTS, "mentor_journey"])
def test_an_empty_window_shows_no_error(dashboard: Callable[[str], AppTest], page: str) -> None:
    at = dashboard(page)
    at.date_input(key="filter_from").set_value(dt.date(2020, 1, 1)).run()
    at.date_input(key="filter_to").set_value(dt.date(2020, 3, 31)).run()
    assert not at.exception
    assert not at.error
