"""Downloads and printed forms of the figures: safe CSV cells, the tidy aggregate table."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

import duckdb
import pandas as pd

from analysis import cells, conduct, figures, impact, journey_charts, metrics, privacy
from analysis.settings import Settings

# Safe cells are defined in analysis.cells (which imports nothing of the analysis).
FORMULA_STARTS = cells.FORMULA_STARTS
safe_cell = cells.safe_cell
safe_frame = cells.safe_frame


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes (UTF-8 with BOM, so Excel reads the £ and accents) with safe cells."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def flatten(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from flatten(value, path + ".")
        elif _is_curve(value):
            yield from _curve_items(value, path)
        else:
            yield path, value


def _is_curve(value: Any) -> bool:
    """A list of points by bucket (`skills_curve`)."""
    return isinstance(value, list) and all(isinstance(p, dict) and "bucket" in p for p in value)


def _curve_items(points: list[dict[str, Any]], path: str) -> Iterator[tuple[str, Any]]:
    """`skills_curve.B.late_rate` and so on: one value each, as the suppressed list names them."""
    for point in points:
        for field, value in point.items():
            if field != "bucket":
                yield f"{path}.{point['bucket']}.{field}", value


# The report's figures, top-level keys in registry order (a group such as `shadowing` once).
FIGURE_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys(
        f.group for f in figures.FIGURES if f.in_report and f.kind not in figures.OWN_TABLE
    )
)


def figure_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: its dotted name, value and whether it is suppressed."""
    suppressed = set(report.get("suppressed", []))
    not_recorded = set(report.get("not_recorded", []))
    k = report["settings"]["suppression_k"]
    rows = []
    for key in FIGURE_KEYS:
        if key not in report:
            continue
        items: Iterable[tuple[str, Any]] = (
            flatten(report[key], key + ".")
            if isinstance(report[key], dict)
            else _curve_items(report[key], key)
            if _is_curve(report[key])
            else [(key, report[key])]
        )
        for path, value in items:
            hidden = path in suppressed
            unrecorded = path in not_recorded and value is None
            rows.append(
                {
                    "figure": path,
                    "value": None if hidden else value,
                    "suppressed": "yes" if hidden else "no",
                    "shown_as": privacy.hidden_text(report, path, k)
                    if hidden
                    else (figures.NOT_RECORDED if unrecorded else ("" if value is None else value)),
                    "window_from": report["window"]["from"],
                    "window_to": report["window"]["to"],
                    "audience": report["audience"],
                }
            )
    if report["audience"] == "manager" and "at_risk" in report:
        rows.append(
            {
                "figure": "at_risk.mentors_flagged",
                "value": len(report["at_risk"]),
                "suppressed": "no",
                "shown_as": len(report["at_risk"]),
                "window_from": report["window"]["from"],
                "window_to": report["window"]["to"],
                "audience": report["audience"],
            }
        )
    return rows


def report_csv(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    rows = figure_rows(report)
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["figure"])
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def report_table(report: dict[str, Any]) -> str:
    """A readable two-column table for the terminal."""
    lines = [
        f"Peer Mentor Programme report ({report['audience']}) "
        f"{report['window']['from']} to {report['window']['to']}",
    ]
    active_filters = {k: v for k, v in report["filters"].items() if v}
    if active_filters:
        lines.append(
            "Filters: " + "; ".join(f"{k} = {', '.join(v)}" for k, v in active_filters.items())
        )
    if report["audience"] == "funder":
        k = report["settings"]["suppression_k"]
        lines.append(
            f"Figures resting on fewer than {k} people are not shown. {privacy.ROUNDING_NOTE}; "
            "rates to a whole percent."
        )
    rows = figure_rows(report)
    width = max((len(r["figure"]) for r in rows), default=10)
    for r in rows:
        value = r["shown_as"]
        if value == "" and r["value"] is None:
            value = "–"  # no value (a rate over nothing), as the pages show it
        if isinstance(value, float):
            value = f"{value:.3f}" if abs(value) < 1 else f"{value:,.1f}"
        lines.append(f"  {r['figure']:<{width}}  {value}")
    for target in report.get("targets", []):
        lines.append("  " + target_line(target, report["settings"]["suppression_k"]))
    if report["audience"] == "manager":
        for item in report.get("at_risk", []):
            lines.append(f"  flagged: {item['mentor_id']} ({', '.join(item['reasons'])})")
    return "\n".join(lines)


def _target_value(value: Any, figure: str) -> str:
    if value is None:
        return "–"
    if figure.endswith("_rate"):
        return f"{value:.1%}"
    return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"


def target_line(target: dict[str, Any], k: int) -> str:
    """One target as a line of the terminal table."""
    period = target["period"]
    who = target["funding_stream"] or "whole programme"
    figure = target["figure"]
    head = f"target: {figure} ({who}, {period['from']} to {period['to']})"
    if target["status"] is None and target["actual"] is None:
        state = f"not shown: fewer than {k} people"
    else:
        state = str(target["status"]).replace("_", " ")
    return (
        f"{head}: target {_target_value(target['target'], figure)}, "
        f"actual {_target_value(target['actual'], figure)}, "
        f"projected {_target_value(target['projected'], figure)}: {state}"
    )


# -- the CSV of the aggregates -----------------------------------------------------------------

CSV_COLUMNS = (
    "figure",
    "label",
    "period",
    "window_from",
    "window_to",
    "value",
    "suppressed",
    "shown_as",
)


def _label(path: str, settings_labels: dict[str, str]) -> str:
    # The journey's cells (cohorts, steps, reasons) are named by analysis.journey_charts.
    journey_label = journey_charts.figure_label(path)
    if journey_label:
        return journey_label
    if path in impact.FIGURE_LABELS:
        return impact.FIGURE_LABELS[path]
    if path in settings_labels:
        return settings_labels[path]
    if path.startswith("milestones."):
        return impact.MILESTONE_LABELS.get(path.split(".", 1)[1], path)
    conduct_label = conduct.figure_label(path)
    if conduct_label:
        return conduct_label
    if path.startswith("events.by_event."):
        name = path.split(".", 2)[2]
        return f"Mentors at {impact.EVENT_TYPE_LABELS.get(name, name)}"
    return path


def aggregate_rows(summary: impact.ImpactSummary, settings: Settings) -> list[dict[str, Any]]:
    """One tidy table: the funder report's figures for the period and the previous period,
    then the monthly rates of the chart, each with its suppression mark."""
    stage_labels = {
        f"stages.distribution.{n}": f"Mentors at stage {settings.stage_label(n)}"
        for n in range(1, 8)
    }
    rows: list[dict[str, Any]] = []
    reports = [("period", summary.report)]
    if summary.comparable:
        reports.append(("previous period", summary.previous_report))
    for period, report in reports:
        for row in figure_rows(report):
            rows.append(
                {
                    "figure": row["figure"],
                    "label": _label(row["figure"], stage_labels),
                    "period": period,
                    "window_from": row["window_from"],
                    "window_to": row["window_to"],
                    "value": row["value"],
                    "suppressed": row["suppressed"],
                    "shown_as": row["shown_as"],
                }
            )
    k = summary.k
    record: dict[Any, Any]
    for record in summary.monthly.to_dict("records"):
        month: dt.date = record["month"]
        month_from = max(month, summary.window[0])
        month_to = min(
            month.replace(day=calendar.monthrange(month.year, month.month)[1]), summary.window[1]
        )
        for figure, value, hidden in (
            ("attendance_rate", record["attendance_rate"], record["attendance_suppressed"]),
            ("punctuality_rate", record["punctuality_rate"], record["punctuality_suppressed"]),
        ):
            value = None if hidden or pd.isna(value) else float(value)
            value = figures.rounded(figures.get(figure).funder_rounding, value)
            rows.append(
                {
                    "figure": figure,
                    "label": f"{impact.FIGURE_LABELS[figure]}, {month:%B %Y}",
                    "period": "month",
                    "window_from": month_from.isoformat(),
                    "window_to": month_to.isoformat(),
                    "value": value,
                    "suppressed": "yes" if hidden else "no",
                    "shown_as": privacy.hidden_words(k)
                    if hidden
                    else (
                        figures.NOT_RECORDED
                        if value is None and figure in summary.report.get("not_recorded", ())
                        else ("" if value is None else value)
                    ),
                }
            )
    rows += target_rows(summary)
    return rows


def target_rows(summary: impact.ImpactSummary) -> list[dict[str, Any]]:
    """The pack's targets (`ImpactSummary.targets`, as the page and the PDF show them): four
    rows each, `targets.N.target/actual/projected/status` as in the funder report, over the
    target's own period; a hidden actual, projection and status have no value, only words."""
    rows: list[dict[str, Any]] = []
    for t in summary.targets:
        name = f"{t.heading} ({t.who})"
        for part, value, shown in (
            ("target", t.target, t.target_text),
            ("actual", t.actual, t.actual_text),
            ("projected", t.projected, t.projected_text),
            ("status", t.status, t.status_text),
        ):
            hidden = t.hidden and part in ("actual", "projected")  # the status is kept
            rows.append(
                {
                    "figure": f"targets.{t.index}.{part}",
                    "label": f"{name}: {TARGET_PARTS[part]}",
                    "period": "target period",
                    "window_from": t.period[0],
                    "window_to": t.period[1],
                    "value": None if hidden else value,
                    "suppressed": "yes" if hidden else "no",
                    "shown_as": shown,
                }
            )
    return rows


TARGET_PARTS = {
    "target": "target",
    "actual": "so far",
    "projected": "at this rate by the end of the period",
    "status": "status",
}


def aggregates_csv(summary: impact.ImpactSummary, settings: Settings) -> bytes:
    """The aggregates as CSV bytes (UTF-8 with BOM for Excel), every cell safe to open."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in aggregate_rows(summary, settings):
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return buffer.getvalue().encode("utf-8-sig")


def aggregates(con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings) -> bytes:
    """The CSV download, computed from the database (the page's cached loader calls this)."""
    return aggregates_csv(impact.summary(con, scope, settings), settings)


REJECTED_BECAUSE = "rejected_because"  # the download's first column; an import ignores it


def rejected_file_csv(rows: pd.DataFrame) -> bytes:
    """One file's rejected rows: first why each was rejected (what to correct), then the file's
    own columns, so the corrected file imports as it is (through the same mapping profile, if
    one read it; the reasons column is ignored, with a note). Blanks stay blank. Cells are
    made safe."""
    columns = list(
        rows.attrs.get("columns", [c for c in rows.columns if c not in ("id", "row", "reasons")])
    )
    out = rows[columns].copy()
    out.insert(0, REJECTED_BECAUSE, rows.get("reasons"))
    return frame_to_csv(out)
