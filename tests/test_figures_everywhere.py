"""Each registered figure shows the same value wherever it appears: on every manager page's
cards, on the funders' Impact summary, and in the PDF pack (AppTest and the PDF's own text)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest
from test_page_impact import open_page as open_impact_page
from test_page_impact import tiles

from analysis import charts, database, figures, impact, impact_pack, metrics, views
from analysis.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
FROM, TO = dt.date(2025, 6, 1), dt.date(2026, 5, 31)
MANAGER_PAGES = ("overview", "timekeeping", "reliability", "transitions", "shadowing")
LABELS = {f.label: f.key for f in figures.FIGURES}


@pytest.fixture(scope="module")
def cards_by_page(demo_db: Path) -> dict[str, dict[str, str]]:
    """Every metric card on every manager page, for one fixed window."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DASHBOARD_DB", str(demo_db))
    mp.setenv("DASHBOARD_SETTINGS", str(demo_db.parent / "no-settings.toml"))
    shown: dict[str, dict[str, str]] = {}
    try:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
        at.run()
        for page in MANAGER_PAGES:
            at.switch_page(f"pages/{page}.py").run()
            at.sidebar.selectbox(key="filter_window").set_value("Custom dates").run()
            at.sidebar.date_input(key="filter_from").set_value(FROM).run()
            at.sidebar.date_input(key="filter_to").set_value(TO).run()
            assert not at.exception, page
            shown[page] = {m.label: m.value for m in at.metric}
    finally:
        mp.undo()
    return shown


def test_every_card_shows_the_registered_figure_computed_once(
    demo_db: Path, cards_by_page: dict[str, dict[str, str]]
) -> None:
    with database.connect(demo_db) as con:
        frame = views.headline_figures(con, metrics.Scope(FROM, TO), Settings(), compare=False)
    expected = {card.label: card.value for card in charts.headline_cards(frame)}
    seen: dict[str, dict[str, str]] = defaultdict(dict)
    for page, cards in cards_by_page.items():
        for label, value in cards.items():
            if label in LABELS:
                seen[label][page] = value
    assert len(seen) >= 15, sorted(seen)
    for label, where in seen.items():
        assert set(where.values()) == {expected[label]}, (label, where)
    on_several = [label for label, where in seen.items() if len(where) > 1]
    assert {"Attendance", "On time", "Shadowing complete"} <= set(on_several)


def test_the_impact_page_and_the_pdf_show_the_summary_figures(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from test_impact import build_impact_db

    db = build_impact_db(tmp_path / "impact.duckdb")
    scope = metrics.Scope(cohorts=("2025 Q3",))
    with database.connect(db) as con:
        summary = impact.summary(con, scope, Settings())
    at = open_impact_page(db, monkeypatch, tmp_path, funder=True)
    on_page = tiles(at)
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(impact_pack.pdf_bytes(summary, Settings(), images={}))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    for headline in summary.headlines:
        figure = figures.get(headline.key)
        assert headline.label == figure.funder_label
        assert on_page[headline.label][0] == headline.shown, headline.key
        assert headline.sentence in text, headline.key
    assert any(h.suppressed for h in summary.headlines)  # the <5 cases are covered too
