"""Each registered figure shows the same value wherever it appears: on every manager page's
cards (Journey included) as the command line's `report --format json` gives it, on the funders'
Impact summary, and in the PDF pack (AppTest and the PDF's own text)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest
from test_page_impact import open_page as open_impact_page
from test_page_impact import tiles

from analysis import database, figures, impact, impact_pack, metrics
from analysis.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
FROM, TO = dt.date(2025, 6, 1), dt.date(2026, 5, 31)
LABELS = {f.label: f.key for f in figures.FIGURES}


MANAGER_PAGES = ("overview", "timekeeping", "reliability", "transitions", "shadowing", "journey")
# The Journey page's cards name the journey's figures in its own words (the registry's labels
# for them say "(journey)" and "Of those, ..."), so they are listed here by hand.
JOURNEY_CARDS = {
    "Started": "funnel.started",
    "Reached a first mentoring session": "funnel.first_mentoring",
    "Withdrew": "funnel.withdrawn",
    "Not withdrawn after 26 weeks": "retention.w26",
}
FLAG_CARDS = {
    "Mentors flagged": None,
    "Attendance under 60%": "low_attendance",
    "2 or more no-shows": "no_shows",
    "3 or more late arrivals": "lateness",
    "Stepped back on the curve": "stage_regression",
}


@pytest.fixture(scope="module")
def cards_by_page(demo_db: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """Every metric card (value, delta) on every manager page, for one fixed window."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DASHBOARD_DB", str(demo_db))
    mp.setenv("DASHBOARD_SETTINGS", str(demo_db.parent / "no-settings.toml"))
    shown: dict[str, dict[str, tuple[str, str]]] = {}
    try:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
        at.run()
        for page in MANAGER_PAGES:
            at.switch_page(f"pages/{page}.py").run()
            at.sidebar.selectbox(key="filter_window").set_value("Custom dates").run()
            at.sidebar.date_input(key="filter_from").set_value(FROM).run()
            at.sidebar.date_input(key="filter_to").set_value(TO).run()
            assert not at.exception, page
            # A card's label is Markdown-escaped ("No\\-shows"): read it as the text it shows.
            shown[page] = {
                re.sub(r"\\(.)", r"\1", m.label): (m.value, m.delta or "") for m in at.metric
            }
    finally:
        mp.undo()
    return shown


@pytest.fixture(scope="module")
def report_json(demo_db: Path) -> dict[str, Any]:
    """The same window's figures as the command line prints them (`report --format json`)."""
    done = subprocess.run(
        [
            *(sys.executable, "-m", "analysis", "report", "--db", str(demo_db)),
            *("--from", FROM.isoformat(), "--to", TO.isoformat(), "--format", "json"),
        ],
        cwd=ROOT,
        env={**os.environ, "DASHBOARD_SETTINGS": str(demo_db.parent / "no-settings.toml")},
        check=True,
        capture_output=True,
        text=True,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _at(report: dict[str, Any], path: str) -> Any:
    node: Any = report
    for part in path.split("."):
        node = node[part]
    return node


def _shown(fmt: str, value: float | None) -> str:
    """How a card writes a value of this format (STYLE.md), written here on its own."""
    if value is None:
        return "no data"
    if fmt == "rate":
        return f"{value:.0%}"
    if fmt == "staff_minutes":
        hours = value / 60
        return "0 h" if value == 0 else f"{hours:,.1f} h" if value < 600 else f"{hours:,.0f} h"
    if fmt == "minutes":
        return f"{value:,.0f} min"
    if fmt == "days":
        return f"{value:,.0f} days"
    if fmt == "points":
        return f"{value:+.1f}"
    return f"{value:,.0f}"


def _expected(report: dict[str, Any], label: str) -> tuple[str, str | None]:
    """What the card labelled `label` should show, from the report (and its own delta for the
    Journey's shares of starters; None where the delta is a change between periods)."""
    if label in JOURNEY_CARDS:
        key = JOURNEY_CARDS[label]
        value = _at(report, key)
        if key == "retention.w26":
            return ("–" if value is None else f"{value:.0%}"), ""
        started = report["funnel"]["started"]
        share = "" if key == "funnel.started" else f"{value / started:.0%} of starters"
        return f"{value:,}", share
    if label in FLAG_CARDS:
        reason = FLAG_CARDS[label]
        flagged = [m for m in report["at_risk"] if reason is None or reason in m["reasons"]]
        return f"{len(flagged):,}", None
    key = LABELS[label]
    return _shown(figures.get(key).fmt, _at(report, key)), None


def test_every_card_on_every_page_shows_the_report_figure(
    report_json: dict[str, Any], cards_by_page: dict[str, dict[str, tuple[str, str]]]
) -> None:
    """Each card of each manager page, Journey included, against the command line's report of
    the same window: the page and the report reach the figure by different roads."""
    assert set(cards_by_page) == set(MANAGER_PAGES)
    checked: dict[str, list[str]] = defaultdict(list)
    for page, cards in cards_by_page.items():
        assert cards, f"{page} shows no cards"
        for label, (value, delta) in cards.items():
            assert label in LABELS or label in JOURNEY_CARDS or label in FLAG_CARDS, (page, label)
            want, want_delta = _expected(report_json, label)
            assert value == want, (page, label, value, want)
            if want_delta is not None:
                assert delta == want_delta, (page, label, delta, want_delta)
            checked[label].append(page)
    assert len(checked) >= 20, sorted(checked)
    on_several = {label for label, pages in checked.items() if len(pages) > 1}
    assert {"Attendance", "On time", "Shadowing complete", "Mentors flagged"} <= on_several
    assert set(JOURNEY_CARDS) <= set(checked)


def test_a_card_that_disagrees_with_the_report_is_caught(report_json: dict[str, Any]) -> None:
    """The comparison above can fail: a figure off by one, or read as the wrong figure, differs."""
    wrong = json.loads(json.dumps(report_json))
    wrong["mentors_active"] += 1
    wrong["funnel"]["withdrawn"] += 1
    assert _expected(wrong, "Active mentors") != _expected(report_json, "Active mentors")
    assert _expected(wrong, "Withdrew") != _expected(report_json, "Withdrew")
    assert _shown("rate", 0.855) == "86%" and _shown("staff_minutes", 2580) == "43 h"


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
