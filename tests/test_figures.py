"""The figure registry: every figure labelled, documented, measured and suppressed as its kind
says, and every reader (report, docs, How we count, CSV, cards) agreeing with it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from analysis import database, definitions, exports, figures, metrics, query, views
from analysis.report import build_report
from analysis.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
METRICS_DOC = ROOT / "docs" / "METRICS.md"


def paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in tree.items():
        if isinstance(value, dict):
            out += paths(value, f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key}")
    return out


REPORT_META = (
    "window",
    "filters",
    "audience",
    "settings",
    "suppressed",
    "suppressed_for_others",
    "not_recorded",
)


@pytest.fixture(scope="module")
def reports(clean_db: Path) -> dict[str, dict[str, Any]]:
    with database.connect(clean_db) as con:
        return {
            audience: build_report(con, metrics.Scope(), Settings(), audience)
            for audience in ("manager", "funder")
        }


@pytest.mark.parametrize("figure", figures.FIGURES, ids=lambda f: f.key)
def test_every_figure_is_labelled_and_defined(figure: figures.Figure) -> None:
    assert figure.label.strip()
    assert figure.kind in figures.KINDS
    assert figure.fmt in figures.FORMATS
    assert figure.better in figures.BETTER
    assert figure.target in (None, *figures.TARGET_KINDS)
    assert figure.section in figures.SECTIONS
    assert figure.summary.strip().endswith(".") and figure.definition.strip()
    assert figure.rests_on.strip()
    if "funder" in figure.audiences:
        assert figure.funder_label.strip()
    if figure.kind == "rate":
        assert isinstance(figure.measure, figures.Ratio) or figure.measure is None
    if figure.measure is not None:
        for tally in figure.measure.tallies:
            assert tally in figures.TALLIES


def test_keys_and_labels_are_unique() -> None:
    keys = [f.key for f in figures.FIGURES]
    assert len(keys) == len(set(keys))
    for audience, label in (("manager", "label"), ("funder", "funder_label")):
        names = [getattr(f, label) for f in figures.FIGURES if audience in f.audiences]
        assert len(names) == len(set(names)), f"two {audience} figures share a name"


def test_a_figure_registers_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figures, "FIGURES", figures.FIGURES)
    monkeypatch.setattr(figures, "_BY_KEY", dict(figures._BY_KEY))
    extra = dataclasses.replace(figures.get("mentors_started"), key="test.added")
    figures.register(extra)
    assert figures.get("test.added") is extra and figures.FIGURES[-1] is extra
    with pytest.raises(ValueError, match="twice"):
        figures.register(extra)


@pytest.mark.parametrize("audience", ["manager", "funder"])
def test_every_report_figure_is_registered_and_every_registered_figure_reported(
    reports: dict[str, dict[str, Any]], audience: str
) -> None:
    report = reports[audience]
    given = paths({k: v for k, v in report.items() if k not in REPORT_META and k != "at_risk"})
    unregistered = [p for p in given if figures.find(p) is None]
    assert not unregistered
    registered = [f.key for f in figures.FIGURES if f.in_report and audience in f.audiences]
    missing = [k for k in registered if k not in report and figures.get(k).group not in report]
    missing += [
        k
        for k in registered
        if "." in k
        and not any(p == k or p.startswith(k + ".") for p in given)
        and k != "milestones"
    ]
    assert not missing
    assert ("at_risk" in report) == (audience == "manager")


def test_docs_metrics_tables_are_the_registry() -> None:
    text = METRICS_DOC.read_text(encoding="utf-8")
    assert figures.with_doc_tables(text) == text, (
        "docs/METRICS.md differs from the registry: run python -m analysis.figures docs/METRICS.md"
    )
    for figure in figures.FIGURES:
        assert f"| `{figure.key}` |" in text


def test_how_we_count_lists_every_figure_with_its_audience_name() -> None:
    for audience, label in (("manager", "label"), ("funder", "funder_label")):
        rows = definitions.figure_rows(audience)
        shown = [r["figure"] for r in rows]
        assert shown == [
            getattr(f, label) for f in figures.FIGURES if audience in f.audiences and f.in_report
        ]
    assert "Mentors flagged" not in [r["figure"] for r in definitions.figure_rows("funder")]


def test_cards_csv_and_definitions_read_the_registry() -> None:
    for key, label, fmt, better in views.HEADLINES:
        figure = figures.find(key)
        if figure is not None and key != "mentors_flagged":
            assert (label, fmt, better) == (figure.label, figure.fmt, figure.better)
    assert set(definitions.FIGURES) == {f.key for f in figures.FIGURES if f.in_report}
    assert set(exports.FIGURE_KEYS) == {
        f.group for f in figures.FIGURES if f.in_report and f.kind not in ("list", "targets")
    }
    assert "targets" not in exports.FIGURE_KEYS and "at_risk" not in exports.FIGURE_KEYS


# --- suppression as the kind says ---------------------------------------------------------------


def test_what_each_figure_rests_on_follows_its_kind(clean_db: Path) -> None:
    with database.connect(clean_db) as con:
        computed = metrics.compute(con, metrics.Scope(), Settings())
    checked = 0
    for path, people in computed.support.items():
        figure = figures.get(path)
        value = views._dotted(computed.values, path)
        if figure.kind in ("people", "distribution"):
            assert people == value, path  # a count of people rests on that many people
        elif figure.kind == "setting":
            assert people == 0, path  # never suppressed
        else:
            assert 0 < people <= computed.values["mentors_active"], path
        checked += 1
    assert checked == len(computed.support) > 30


@pytest.mark.parametrize("k", [1, 10_000])
def test_funders_see_a_figure_only_when_it_rests_on_k_people(clean_db: Path, k: int) -> None:
    settings = Settings(suppression_k=k)
    with database.connect(clean_db) as con:
        report = build_report(con, metrics.Scope(), settings, "funder")
    suppressed = set(report["suppressed"])
    for path in paths({x: v for x, v in report.items() if x not in REPORT_META}):
        kind = figures.get(path).kind
        if kind == "targets":
            continue  # each entry is hidden as its figure is: tests/test_targets.py
        if k == 1 or kind == "setting":
            assert path not in suppressed, path
        elif path not in suppressed:
            # shown with k = 10,000: only a figure that rests on nobody (0 or no value)
            assert views._dotted(report, path) in (0, None), path
    assert "at_risk" not in report


# --- one measure, any dimension -------------------------------------------------------------


def _run(con: Any, sql: str, p: dict[str, Any]) -> list[tuple[Any, ...]]:
    return con.execute(sql, metrics.bind(sql, p)).fetchall()


@pytest.mark.parametrize("dimension", sorted(query.DIMENSIONS))
def test_a_breakdown_adds_up_to_the_headline(clean_db: Path, dimension: str) -> None:
    """Each additive figure grouped by any dimension sums to the headline figure, and each rate
    grouped by nothing is the headline rate: the same measure, whatever reads it."""
    settings = Settings()
    scope = metrics.Scope()
    with database.connect(clean_db) as con:
        computed = metrics.compute(con, scope, settings, with_at_risk=False)
        window = metrics.resolve_window(con, scope)
        p = metrics.params(scope, settings, window) | {"bucket": 4, "cap": 52}
        counts = [f.key for f in figures.row_figures() if isinstance(f.measure, figures.Total)]
        rates = [f.key for f in figures.row_figures() if isinstance(f.measure, figures.Ratio)]
        body = query.breakdown_sql(dimension, figures=counts + rates, supports=rates)
        cur = con.execute(metrics.SCOPE_SQL + body, metrics.bind(metrics.SCOPE_SQL + body, p))
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    assert rows
    for key in counts:
        total = sum(r[query.column(key)] or 0 for r in rows)
        assert total == pytest.approx(views._dotted(computed.values, key)), key
    if dimension == "total":
        (row,) = rows
        for key in rates:
            assert row[query.column(key)] == pytest.approx(views._dotted(computed.values, key))
            assert row[query.column(key) + "_mentors"] == computed.support[key]


def test_the_scope_is_composed_from_named_pieces() -> None:
    sql = query.with_clause(query.scope_ctes())
    names = [c.name for c in query.scope_ctes()]
    assert names == ["selected", "active", "timed", "rows_all", "rows_to", "rows_in"]
    assert sql == metrics.SCOPE_SQL
    assert "rows_to AS MATERIALIZED (" in query.with_clause(query.scope_ctes(materialized=True))
    assert "FROM pm_rows_x r" in query.with_clause(query.scope_ctes("pm_rows_x"))
    with pytest.raises(ValueError):
        query.rows_to("rows; DROP TABLE mentors")
