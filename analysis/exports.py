"""Downloads and printed forms of the figures: safe CSV cells, the tidy aggregate table."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text cell that Excel would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells (and headers) are safe to open in Excel."""
    out = frame.copy()
    out.columns = [safe_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    return out


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes (UTF-8 with BOM, so Excel reads the £ and accents) with safe cells."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def flatten(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from flatten(value, path + ".")
        else:
            yield path, value


FIGURE_KEYS = (
    "mentors_active",
    "expected_attendances",
    "attendance_rate",
    "no_show_rate",
    "notice_rate",
    "punctuality_rate",
    "mean_minutes_late",
    "median_minutes_late",
    "beneficiary_meetings",
    "beneficiaries_reached",
    "peer_support_hours",
    "staff_minutes_lost",
    "shadowing",
    "stages",
    "events",
    "milestones",
    "funnel",
    "retention",
)


def figure_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: its dotted name, value and whether it is suppressed."""
    suppressed = set(report.get("suppressed", []))
    k = report["settings"]["suppression_k"]
    rows = []
    for key in FIGURE_KEYS:
        if key not in report:
            continue
        items: Iterable[tuple[str, Any]] = (
            flatten(report[key], key + ".")
            if isinstance(report[key], dict)
            else [(key, report[key])]
        )
        for path, value in items:
            hidden = path in suppressed
            rows.append(
                {
                    "figure": path,
                    "value": None if hidden else value,
                    "suppressed": "yes" if hidden else "no",
                    "shown_as": f"<{k}" if hidden else ("" if value is None else value),
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
    rows = figure_rows(report)
    width = max((len(r["figure"]) for r in rows), default=10)
    for r in rows:
        value = r["shown_as"]
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


def rejected_for_download(rejected: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows with their original columns spread out again, and the reasons last."""
    import json

    records = []
    for row in rejected.itertuples(index=False):
        values = json.loads(str(row.original_values))
        records.append({"file": row.file, "row": row.row, **values, "reasons": row.reasons})
    return pd.DataFrame(records)
