"""The Journey page in AppTest on demo data: it draws exactly the charts and cards that
`analysis.journey` computes for the same filters, and follows a filter change."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import as_shown
from streamlit.testing.v1 import AppTest
from test_pages_manager import FROM, TO, a_cohort, shown_charts, shown_metrics

from analysis import database, journey, journey_charts, metrics
from analysis.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BUILDERS = (
    journey_charts.funnel,
    journey_charts.cohort_outcomes,
    journey_charts.cohort_funnel,
    journey_charts.withdrawals_by_step,
    journey_charts.withdrawals_by_reason,
)


def expected(db: Path, scope: metrics.Scope) -> tuple[dict[str, Any], list[Any], list[str]]:
    with database.connect(db) as con:
        data = journey.page(con, scope, Settings())
    built = [b(data.values) for b in BUILDERS] + [journey_charts.retention(data.curves)]
    figures = {c.figure.layout.title.text: json.loads(c.figure.to_json())["data"] for c in built}
    cards = [(c.label, c.value, c.delta) for c in journey_charts.cards(data.values)]
    return figures, cards, [c.summary for c in built]


@pytest.fixture
def journey_page(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], AppTest]:
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(demo_db.parent / "no-settings.toml"))

    def start() -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        at.run()
        at.switch_page("pages/journey.py").run()
        at.sidebar.selectbox(key="filter_window").set_value("Custom dates").run()
        at.sidebar.date_input(key="filter_from").set_value(FROM).run()
        at.sidebar.date_input(key="filter_to").set_value(TO).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return start


def test_journey_page_shows_what_analysis_computes(
    journey_page: Callable[[], AppTest], demo_db: Path
) -> None:
    at = journey_page()
    figures, cards, summaries = expected(demo_db, metrics.Scope(FROM, TO))
    assert shown_charts(at) == figures
    assert len(figures) == 6
    assert shown_metrics(at) == cards
    captions = [as_shown(c.value) for c in at.caption]  # captions are escaped Markdown
    for summary in summaries:
        assert summary in captions


def test_journey_page_follows_a_filter_change(
    journey_page: Callable[[], AppTest], demo_db: Path
) -> None:
    at = journey_page()
    before = shown_charts(at)
    cohort = a_cohort(demo_db, metrics.Scope(FROM, TO))
    at.multiselect(key="filter_cohorts").set_value([cohort]).run()
    assert not at.exception
    after = shown_charts(at)
    assert after == expected(demo_db, metrics.Scope(FROM, TO, cohorts=(cohort,)))[0]
    assert after != before


def test_journey_page_with_nobody_started(
    journey_page: Callable[[], AppTest],
) -> None:
    at = journey_page()
    at.sidebar.date_input(key="filter_from").set_value(dt.date(2019, 1, 1)).run()
    at.sidebar.date_input(key="filter_to").set_value(dt.date(2019, 1, 31)).run()
    assert not at.exception
    assert ("Started", "0", None) in shown_metrics(at)
