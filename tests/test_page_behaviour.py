"""The Behaviour page in AppTest on demo data: it draws exactly the charts and cards that
`analysis.conduct` computes for the same filters, lists each mentor with a link to their
journey, and is refused to funders (tests/test_access.py); the three-skills chart on the
Overview and the funder's impact summary."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import as_shown
from streamlit.testing.v1 import AppTest
from test_pages_manager import FROM, TO, shown_charts, shown_metrics

from analysis import conduct, conduct_charts, database, metrics
from analysis.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def expected(db: Path, scope: metrics.Scope) -> tuple[dict[str, Any], list[Any], list[str], Any]:
    with database.connect(db) as con:
        data = conduct.page(con, scope, Settings())
    curve = data.figures.values["skills_curve"]
    built = [
        conduct_charts.by_month(data.by_month),
        conduct_charts.by_category(conduct.by_category_frame(data.figures)),
        conduct_charts.concern_rate_by_weeks(curve),
        conduct_charts.resolve_times(
            data.resolve_days, data.figures.values["conduct"]["median_days_to_resolve"]
        ),
    ]
    figures = {c.figure.layout.title.text: json.loads(c.figure.to_json())["data"] for c in built}
    cards = [(c.label, c.value, c.delta) for c in conduct_charts.cards(data.figures.values)]
    return figures, cards, [c.summary for c in built], data


@pytest.fixture
def app(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], AppTest]:
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(demo_db.parent / "no-settings.toml"))

    def start(page: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        at.run()
        at.switch_page(page).run()
        at.sidebar.selectbox(key="filter_window").set_value("Custom dates").run()
        at.sidebar.date_input(key="filter_from").set_value(FROM).run()
        at.sidebar.date_input(key="filter_to").set_value(TO).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return start


def test_behaviour_page_shows_what_analysis_computes(
    app: Callable[[str], AppTest], demo_db: Path
) -> None:
    at = app("pages/behaviour.py")
    figures, cards, summaries, data = expected(demo_db, metrics.Scope(FROM, TO))
    assert shown_charts(at) == figures
    assert len(figures) == 4
    assert shown_metrics(at) == cards
    assert [c[0] for c in cards][:2] == ["Concerns raised", "Strengths recorded"]
    captions = [as_shown(c.value) for c in at.caption]
    for summary in summaries:
        assert summary in captions
    assert data.figures.values["conduct"]["concerns"] > 0


def test_behaviour_page_lists_open_concerns_and_links_each_mentor(
    app: Callable[[str], AppTest], demo_db: Path
) -> None:
    at = app("pages/behaviour.py")
    _, _, _, data = expected(demo_db, metrics.Scope(FROM, TO))
    tables = [e.value for e in at.dataframe]
    per_mentor = next(t for t in tables if "journey" in t.columns)
    assert list(per_mentor["mentor_id"]) == list(data.per_mentor["mentor_id"])
    assert list(per_mentor["journey"]) == [
        f"mentor_journey?mentor={quote(code, safe='')}" for code in data.per_mentor["mentor_id"]
    ]
    open_table = next(t for t in tables if "days_open" in t.columns)
    assert len(open_table) == data.figures.values["conduct"]["open"] > 0


def test_the_overview_shows_the_three_skills_with_its_sentence(
    app: Callable[[str], AppTest], demo_db: Path
) -> None:
    at = app("pages/overview.py")
    with database.connect(demo_db) as con:
        figures = conduct.compute(con, metrics.Scope(FROM, TO), Settings())
    chart = conduct_charts.skills_curve(figures.values["skills_curve"])
    shown = shown_charts(at)
    assert shown[chart.figure.layout.title.text] == json.loads(chart.figure.to_json())["data"]
    sentence = conduct.curve_sentence(figures.values["skills_curve"])
    assert sentence and sentence in [as_shown(c.value) for c in at.caption]


def test_the_mentor_journey_shows_each_observation_with_its_notes(
    app: Callable[[str], AppTest], demo_db: Path
) -> None:
    scope = metrics.Scope(FROM, TO)
    with database.connect(demo_db) as con:
        noted = con.execute(
            "SELECT mentor_id FROM conduct WHERE observed_on BETWEEN $f AND $t "
            "AND notes IS NOT NULL ORDER BY mentor_id LIMIT 1",
            {"f": FROM, "t": TO},
        ).fetchone()
        assert noted is not None
        mentor = str(noted[0])
        observed = conduct.mentor_observations(con, scope, Settings(), mentor, with_notes=True)
    at = app("pages/mentor_journey.py")
    at.selectbox(key="journey_mentor").set_value(mentor).run()
    assert not at.exception
    timeline = next(
        spec for title, spec in shown_charts(at).items() if title == "Sessions in the window"
    )
    marked = [t for t in timeline if t["name"] in ("Concern", "Strength")]
    assert sum(len(t["x"]) for t in marked) == len(observed) > 0
    drawn = json.dumps(marked)
    assert not [n for n in observed["notes"].dropna() if n in drawn]  # notes only in the table
    table = next(e.value for e in at.dataframe if "notes" in e.value.columns)
    assert list(table["notes"].dropna()) == list(observed["notes"].dropna())
    assert len(table["notes"].dropna()) > 0
