"""The figure registry: every figure labelled, documented, measured and suppressed as its kind
says, and every reader (report, docs, How we count, CSV, cards) agreeing with it."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections import Counter
from contextlib import nullcontext
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


def _documented() -> dict[str, tuple[str, str, str]]:
    """docs/METRICS.md's figure tables, read as a reader reads them: key → (label on the
    dashboard, label for funders, the words of "In plain words")."""
    out = {}
    for line in METRICS_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        found = re.fullmatch(r"`([a-z0-9_.]+)`", cells[0]) if len(cells) == 5 else None
        if found:
            manager, _, funder = cells[1].partition(" / ")
            out[found.group(1)] = (manager, funder or manager, cells[2])
    return out


def _documented_lines() -> dict[str, str]:
    """docs/METRICS.md's figure table rows, whole, by key."""
    return {
        found.group(1): line.strip()
        for line in METRICS_DOC.read_text(encoding="utf-8").splitlines()
        if (found := re.match(r"\| `([a-z0-9_.]+)` \|", line.strip()))
    }


def test_how_we_count_cards_and_csv_say_what_the_docs_say(
    clean_db: Path, reports: dict[str, dict[str, Any]]
) -> None:
    """How we count, the cards and the report CSV against docs/METRICS.md and the report JSON:
    the documented tables and the JSON tree, not lists built from the registry itself."""
    documented = _documented()
    assert {"mentors_active", "attendance_rate", "funnel.started", "at_risk"} <= set(documented)
    managers_only = {
        k for k, line in _documented_lines().items() if line.endswith("| never shown to funders |")
    }
    assert {"at_risk", "conduct.high_severity", "conduct.open"} <= managers_only
    # How we count: each audience's names and plain words, exactly as documented.
    for audience, column in (("manager", 0), ("funder", 1)):
        rows = {r["figure"]: r["how it is counted"] for r in definitions.figure_rows(audience)}
        # a figure documented as never shown to funders has no funder row
        keys = [k for k in documented if audience == "manager" or k not in managers_only]
        assert rows == {documented[k][column]: documented[k][2] for k in keys}, audience
    assert "Mentors flagged" not in {r["figure"] for r in definitions.figure_rows("funder")}
    # Cards: every card of a documented figure carries its documented label.
    with database.connect(clean_db) as con:
        frame = views.headline_figures(con, metrics.Scope(), Settings(), compare=False)
    labels = dict(zip(frame["figure"], frame["label"], strict=True))
    carded = [k for k in labels if k in documented]
    assert len(carded) >= 20
    for key in carded:
        assert labels[key] == documented[key][0], key
    # The CSV: one row per leaf of the JSON (lists aside), with the JSON's value.
    report = dict(reports["manager"])
    # the curve's points, as the CSV lists them: one row per bucket and field
    report["skills_curve"] = {
        str(point["bucket"]): {k: v for k, v in point.items() if k != "bucket"}
        for point in report["skills_curve"]
    }
    leaves = {
        path: value
        for path, value in _leaves({k: v for k, v in report.items() if k not in REPORT_META})
        if not path.startswith(("targets", "at_risk"))
    }
    leaves["at_risk.mentors_flagged"] = len(report["at_risk"])  # the list, as a count
    rows = list(csv.DictReader(io.StringIO(exports.report_csv(report))))
    assert {r["figure"]: r["value"] for r in rows} == {
        path: "" if value is None else str(value) for path, value in leaves.items()
    }


def _leaves(tree: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(tree, dict):
        return [leaf for k, v in tree.items() for leaf in _leaves(v, f"{prefix}{k}.")]
    return [(prefix[:-1], tree)]


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
        if kind in ("targets", "curve"):
            continue  # each entry (bucket) is hidden as its rows say: test_targets, test_conduct
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


def _rows_by_hand(date_from: dt.date, date_to: dt.date, cohort: str, grace: int) -> Counter[str]:
    """The worked example's attendance rows in scope, read from its CSV files with Python:
    mentors of `cohort` active in the window, rows in the window; and of them, the late ones
    (METRICS.md: the arrival time decides; the mark only when there is none)."""
    samples = ROOT / "tests" / "samples" / "clean"

    def read(name: str) -> list[dict[str, str]]:
        with (samples / name).open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    def day(text: str) -> dt.date:
        return dt.date.fromisoformat(text[:10])

    mentors = {
        m["mentor_id"]
        for m in read("mentors.csv")
        if m["cohort"] == cohort
        and day(m["start_date"]) <= date_to
        and (not m["end_date"] or day(m["end_date"]) >= date_from)
    }
    starts = {
        s["session_id"]: dt.datetime.fromisoformat(s["scheduled_start"])
        for s in read("sessions.csv")
    }
    out: Counter[str] = Counter()
    for a in read("attendance.csv"):
        start = starts[a["session_id"]]
        if a["mentor_id"] not in mentors or not date_from <= start.date() <= date_to:
            continue
        out["rows"] += 1
        if a["attendance"] in ("attended", "late"):
            if a["arrival_time"]:
                late = (dt.datetime.fromisoformat(a["arrival_time"]) - start).total_seconds() // 60
                out["late"] += late > grace
            else:
                out["late"] += a["attendance"] == "late"
    return out


@pytest.mark.parametrize("shared", [False, True], ids=["ctes", "materialised"])
def test_the_scope_selects_the_rows_the_definitions_name(clean_db: Path, shared: bool) -> None:
    """The composed scope, read through its CTEs or through the materialised rows table, keeps
    exactly the rows a person counting the CSV files by hand keeps."""
    date_from, date_to, cohort = dt.date(2025, 1, 1), dt.date(2025, 6, 30), "2024 Q4"
    scope = metrics.Scope(date_from, date_to, cohorts=(cohort,))
    settings = Settings()
    by_hand = _rows_by_hand(date_from, date_to, cohort, settings.grace_minutes)
    assert by_hand["rows"] > 20 and by_hand["late"] > 0
    with database.connect(clean_db) as con, metrics.shared_rows(con) if shared else nullcontext():
        p = metrics.params(scope, settings, metrics.resolve_window(con, scope))
        table = metrics.rows_table(con, p)
        assert (table is not None) == shared
        sql = (
            metrics.scope_sql(table) + "SELECT count(*), count(*) FILTER (WHERE late) FROM rows_in"
        )
        rows, late = con.execute(sql, metrics.bind(sql, p)).fetchone()
    assert (rows, late) == (by_hand["rows"], by_hand["late"])


def test_a_table_name_is_checked_before_it_is_written_into_sql() -> None:
    assert "rows_to AS MATERIALIZED (" in query.with_clause(query.scope_ctes(materialized=True))
    with pytest.raises(ValueError):
        query.rows_to("rows; DROP TABLE mentors")
