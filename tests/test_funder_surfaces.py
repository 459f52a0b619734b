"""Every funder surface says only what is true (issue 22, METRICS.md "Saying only what is
true"), read on the demo data and on the public worked examples (programme, PMM, grid): the
impact summary (its cards and sentences), its CSV, its chart tables, and `report --audience
funder`.

- no "<5" or "fewer than 5" on a cell whose exact value is k or more (the managers' figure);
- no 0 or 100% for a figure whose inputs are not recorded (the PMM example says "not recorded");
- no two figures with one label;
- every caption's number is its chart's table's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import run_import
from test_profiles import _worked_example

from analysis import (
    chart_tables,
    database,
    exports,
    figures,
    impact,
    metrics,
    privacy,
)
from analysis.admin import create_demo
from analysis.report import build_report
from analysis.settings import Settings

SAMPLES = Path(__file__).resolve().parent / "samples"
K = Settings().suppression_k
FEWER = re.compile(r"<\s*5|fewer than 5", re.IGNORECASE)


@pytest.fixture(scope="module")
def programmes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("surfaces")
    out = {
        "demo": folder / "demo.duckdb",
        "clean": folder / "clean.duckdb",
        "programme": folder / "programme.duckdb",
        "pmm": folder / "pmm.duckdb",
        "grid": folder / "grid.duckdb",
    }
    assert create_demo(out["demo"], mentors=60, end=dt.date(2026, 11, 20)).landed
    assert run_import(out["clean"], sorted((SAMPLES / "clean").glob("*.csv"))).landed
    assert run_import(
        out["programme"], sorted((SAMPLES / "round2" / "programme").glob("*.csv"))
    ).landed
    _worked_example(out["pmm"], "pmm")
    _worked_example(out["grid"], "grid")
    return out


def scopes(db: Path) -> list[metrics.Scope]:
    """The funder's default period, and every quarter of it begun, for the whole programme."""
    with database.read(db) as con:
        known = metrics.data_window(con)
    assert known is not None
    from analysis import financial_years

    year = financial_years.financial_year_of(known[1])
    out = [metrics.Scope()]
    for quarter in range(1, 5):
        period = financial_years.quarter_period(year, quarter)
        if period.start <= known[1]:
            out.append(metrics.Scope(*financial_years.to_date(period, known[1])))
    return out


def exact_value(manager: dict[str, Any], path: str) -> Any:
    node: Any = manager
    for part in privacy.path_parts(path):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


CASES = ["demo", "clean", "programme", "pmm", "grid"]


@pytest.mark.parametrize("case", CASES)
def test_no_fewer_than_k_on_a_cell_of_k_or_more(programmes: dict[str, Path], case: str) -> None:
    db = programmes[case]
    checked = 0
    for scope in scopes(db):
        with database.read(db) as con:
            summary = impact.summary(con, scope, Settings())
            manager = build_report(
                con, metrics.with_window(scope, summary.window), Settings(), "manager"
            )
        report = summary.report
        rows = exports.aggregate_rows(summary, Settings())
        tables = chart_tables.impact_tables(summary)
        said: list[tuple[str, str]] = [
            (r["figure"], str(r["shown_as"])) for r in rows if r["period"] == "period"
        ]
        said += [(h.key, h.sentence) for h in summary.headlines]
        for path, text in said:
            if not FEWER.search(text) or path.startswith("targets."):
                continue
            figure = figures.find(path)
            value = exact_value(manager, path)
            if figure is not None and figure.kind in ("people", "distribution"):
                assert value is not None and value < K, (case, scope, path, value, text)
            assert path not in report["suppressed_for_others"], (case, path, text)
            checked += 1
        # a cell hidden for another's sake reads so on every surface, and did rest on k or more
        for path in report["suppressed_for_others"]:
            figure = figures.find(path)
            if figure is not None and figure.kind in ("people", "distribution"):
                assert exact_value(manager, path) >= K, (case, path)
            row = next(r for r in rows if r["figure"] == path and r["period"] == "period")
            assert row["shown_as"] == privacy.FOR_OTHERS_WORDS
        for name, table in tables.items():
            for cell in table.to_numpy().ravel():
                if privacy.FOR_OTHERS_WORDS in str(cell):
                    assert not FEWER.search(str(cell)), (name, cell)
    assert checked >= 0


def test_not_recorded_is_never_zero_or_a_hundred_percent(programmes: dict[str, Path]) -> None:
    db = programmes["pmm"]
    with database.read(db) as con:
        summary = impact.summary(con, metrics.Scope(), Settings())
    report = summary.report
    assert report["not_recorded"] == [
        "beneficiaries_reached",
        "beneficiary_meetings.late",
        "mean_minutes_late",
        "median_minutes_late",
        "punctuality_rate",
        "staff_minutes_lost",
    ]
    for key in ("punctuality_rate", "beneficiaries_reached"):
        headline = summary.headline(key)
        assert headline.value is None and headline.shown == "Not recorded"
        assert "not recorded" in headline.sentence and not re.search(
            r"\b(0|100%)", headline.sentence
        )
    assert "0 beneficiaries" not in summary.lead and "not recorded" in summary.lead
    rows = exports.aggregate_rows(summary, Settings())
    for row in rows:
        if row["figure"] in report["not_recorded"] and row["figure"] != "staff_minutes_lost":
            assert row["value"] is None and row["shown_as"] == "not recorded", row
    assert summary.monthly["punctuality_rate"].isna().all()  # no month at 100%
    # the report says so for every audience
    with database.read(db) as con:
        manager = build_report(con, metrics.Scope(), Settings(), "manager")
    assert manager["not_recorded"] == report["not_recorded"]
    assert manager["punctuality_rate"] is None and manager["staff_minutes_lost"] > 0


@pytest.mark.parametrize("case", CASES)
def test_no_two_figures_share_a_label(programmes: dict[str, Path], case: str) -> None:
    with database.read(programmes[case]) as con:
        summary = impact.summary(con, metrics.Scope(), Settings())
    labels = [h.label for h in summary.headlines]
    assert len(labels) == len(set(labels))
    rows = [r for r in exports.aggregate_rows(summary, Settings()) if r["period"] == "period"]
    by_label: dict[str, set[str]] = {}
    for row in rows:
        by_label.setdefault(row["label"], set()).add(row["figure"])
    shared = {label: paths for label, paths in by_label.items() if len(paths) > 1}
    assert not shared


@pytest.mark.parametrize("case", CASES)
def test_the_csv_and_the_report_agree_and_are_rounded(
    programmes: dict[str, Path], case: str, tmp_path: Path
) -> None:
    with database.read(programmes[case]) as con:
        summary = impact.summary(con, metrics.Scope(), Settings())
    rows = {
        r["figure"]: r
        for r in csv.DictReader(
            io.StringIO(exports.aggregates_csv(summary, Settings()).decode("utf-8-sig"))
        )
        if r["period"] == "period"
    }
    for path, row in rows.items():
        figure = figures.find(path)
        if figure is None or not row["value"] or figure.funder_rounding != "nearest_5":
            continue
        assert float(row["value"]) % 5 == 0, (path, row["value"])


# --- captions are read from the figure --------------------------------------------------------


def test_the_heatmap_caption_names_the_cell_the_chart_draws_lowest() -> None:
    import pandas as pd

    from analysis import charts

    frame = pd.DataFrame(
        {
            "weekday": [3, 5, 1],
            "hour": [9, 15, 10],
            "present": [3, 50, 40],
            "on_time": [1, 42, 38],
            "punctuality_rate": [1 / 3, 42 / 50, 38 / 40],
        }
    )
    chart = charts.punctuality_heatmap(frame)
    z = [v for row in chart.figure.data[0].z for v in row if v == v]
    assert min(z) == pytest.approx(1 / 3)  # the chart draws Wednesday 09:00 lowest
    assert "least punctual on Wednesdays at 09:00 (33% on time, 3 arrivals)" in chart.summary
    assert "most punctual on Mondays at 10:00 (95%, 40 arrivals)" in chart.summary


def test_one_session_type_is_not_both_lowest_and_highest() -> None:
    import pandas as pd

    from analysis import charts

    frame = pd.DataFrame(
        {
            "label": ["Event", "Group day"],
            "present": [10, 20],
            "on_time": [10, 20],
            "punctuality_rate": [1.0, 1.0],
        }
    )
    summary = charts.punctuality_by_session_type(frame).summary
    assert "lowest" not in summary and "every session type shown" in summary


def test_a_mentors_chart_counts_late_by_the_one_rule() -> None:
    """A 'late' mark inside the grace period is on time, as the cards count it."""
    import pandas as pd

    from analysis import charts

    frame = pd.DataFrame(
        {
            "scheduled_start": pd.to_datetime(["2025-05-01 10:00", "2025-05-02 10:00"]),
            "session_type": ["training", "training"],
            "type_label": ["Training", "Training"],
            "attendance": ["late", "attended"],
            "attendance_label": ["Late", "Attended"],
            "minutes_late": [3, 20],
            "late": [False, True],  # 3 minutes is inside the grace period; 20 is not
        }
    )
    summary = charts.mentor_timeline(frame).summary
    assert summary == "2 sessions in the window: 1 attended on time or early, 1 late."


def test_a_managers_cards_say_not_recorded_too(programmes: dict[str, Path]) -> None:
    from analysis import charts, views

    with database.read(programmes["pmm"]) as con:
        frame = views.headline_figures(con, metrics.Scope(), Settings(), compare=False)
    cards = {card.label: card.value for card in charts.headline_cards(frame)}
    punctuality = figures.get("punctuality_rate").label
    assert cards[punctuality] == "not recorded"  # never 100%
    with database.read(programmes["clean"]) as con:
        frame = views.headline_figures(con, metrics.Scope(), Settings(), compare=False)
    assert not frame["not_recorded"].any()


def _pack_text(summary: impact.ImpactSummary) -> str:
    """The PDF pack's text (charts left out: their words are the captions, read above), with
    runs of white space made single spaces."""
    from pypdf import PdfReader

    from analysis import impact_pack

    data = impact_pack.pdf_bytes(summary, Settings(), images={}, produced=dt.date(2026, 12, 1))
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.mark.parametrize("case", CASES)
def test_the_pdf_pack_says_only_what_is_true(programmes: dict[str, Path], case: str) -> None:
    """The pack's text: a headline hidden for another's sake never reads 'fewer than 5' (its
    card's words say why it is hidden); one hidden for its own few does; a not-recorded figure
    is never 0 or 100%; counts and rates as the report rounds them."""
    db = programmes[case]
    for scope in scopes(db)[:2]:
        with database.read(db) as con:
            summary = impact.summary(con, scope, Settings())
        text = _pack_text(summary)
        assert privacy.ROUNDING_NOTE in text
        for headline in summary.headlines:
            if not headline.suppressed:
                continue
            because = privacy.hidden_because(summary.report, headline.key, K)
            if privacy.is_for_others(summary.report, headline.key):
                assert not FEWER.search(headline.sentence), (case, headline.key)
                assert not FEWER.search(because)
            else:
                assert because == privacy.hidden_reason(K)
        for key in summary.report["not_recorded"]:
            if key == "staff_minutes_lost" or not figures.find(key):
                continue
            sentence = next((h.sentence for h in summary.headlines if h.key == key), None)
            if sentence is not None:
                assert sentence.split(".")[0] in text or "not recorded" in text
                assert not re.search(r"\b(0|100%)", sentence), (case, key, sentence)
        if case == "pmm" and not scope.date_from:
            assert "not recorded" in text
            assert "0 beneficiaries" not in text
            assert not re.search(r"on time (for|at) 100%", text), text[:400]


@pytest.mark.parametrize("for_others", [True, False])
def test_a_pack_card_hidden_for_anothers_sake_says_why_truly(
    programmes: dict[str, Path], for_others: bool
) -> None:
    """The audit can hide a total (mentors_active) for another's sake: its card in the pack
    says so beneath 'Not shown', never 'fewer than 5 people'; one hidden for its own few does."""
    import dataclasses

    with database.read(programmes["clean"]) as con:
        summary = impact.summary(con, metrics.Scope(), Settings())
    key = "mentors_active"
    report = dict(summary.report)
    report["suppressed"] = sorted({*report["suppressed"], key})
    report["suppressed_for_others"] = [key] if for_others else []
    headlines = tuple(
        dataclasses.replace(h, value=None, suppressed=True, shown=privacy.HIDDEN_SHORT)
        if h.key == key
        else h
        for h in summary.headlines
    )
    text = _pack_text(dataclasses.replace(summary, report=report, headlines=headlines))
    card = text[text.index(privacy.HIDDEN_SHORT) :][:160]
    if for_others:
        assert "so that a smaller number cannot be worked out" in card, card
        assert not FEWER.search(card), card
    else:
        assert privacy.hidden_reason(K) in card, card


@pytest.mark.parametrize("case", ["pmm", "demo"])
def test_the_funder_page_says_only_what_is_true(
    programmes: dict[str, Path], case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Impact summary page as a signed-in funder (AppTest): its cards read as the
    summary's, a card hidden for another's sake never says 'fewer than 5' beneath it, and on
    the PMM example the not-recorded figures read 'Not recorded', never 0 or 100%."""
    from test_differencing import funder_page

    at = funder_page(programmes[case], monkeypatch, {})
    with database.read(programmes[case]) as con:
        summary = impact.summary(con, metrics.Scope(), Settings())
    cards = {m.label: m for m in at.metric}
    assert cards, "the funder's page shows its cards"
    for headline in summary.headlines:
        card = cards[headline.label]
        assert card.value == headline.shown, (case, headline.key)
        if headline.suppressed and privacy.is_for_others(summary.report, headline.key):
            assert not FEWER.search(str(card.delta)), (case, headline.key, card.delta)
        if headline.key in summary.report["not_recorded"] and headline.key != "staff_minutes_lost":
            assert card.value == "Not recorded", (case, headline.key, card.value)
    text = " ".join(str(m.value) for m in [*at.markdown, *at.caption])
    if case == "pmm":
        assert "not recorded" in text.lower()
        assert "0 beneficiaries" not in text
        assert not re.search(r"on time (for|at) 100%", text)
