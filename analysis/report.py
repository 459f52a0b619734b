"""The report: one object with the window, filters, settings and every headline figure."""

from __future__ import annotations

from typing import Any

import duckdb

from analysis import conduct, journey, metrics, privacy, targets
from analysis.settings import Settings


def build_report(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    audience: str = "manager",
    *,
    with_targets: bool = True,
) -> dict[str, Any]:
    """The report of METRICS.md for managers, or its suppressed form for funders.

    `with_targets=False` leaves out the `targets` list (a previous period's report, whose
    figures are compared but whose targets are not shown): it is the costliest part."""
    if audience not in ("manager", "funder"):
        raise ValueError(f"unknown audience {audience!r}: use manager or funder")
    with metrics.shared_rows(con):
        return _build(con, scope, settings, audience, with_targets)


def _build(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    audience: str,
    with_targets: bool,
) -> dict[str, Any]:
    figures = metrics.compute(con, scope, settings, with_at_risk=audience == "manager")
    journey_figures = journey.compute(con, scope, settings, figures.window)
    conduct_figures = conduct.compute(con, scope, settings, figures.window)
    report: dict[str, Any] = {
        "window": {"from": figures.window[0].isoformat(), "to": figures.window[1].isoformat()},
        "filters": scope.filters(),
        "audience": audience,
        "settings": {
            "grace_minutes": settings.grace_minutes,
            "shadowing_target_hours": settings.shadowing_target_hours,
            "suppression_k": settings.suppression_k,
        },
    }
    agreed, hidden_targets = (
        targets.for_report(con, scope, settings, figures.window[1], audience)
        if with_targets
        else ([], [])
    )
    if audience == "manager":
        report.update(figures.values | journey_figures.values | conduct_figures.values)
        if with_targets:
            report["targets"] = agreed
        report["at_risk"] = figures.at_risk
    else:
        values, suppressed = privacy.suppress(
            figures.values | journey_figures.values,
            figures.support | journey_figures.support,
            settings,
            journey_figures.partitions,
        )
        conduct_values, conduct_hidden = conduct.funder_view(
            conduct_figures, settings.suppression_k
        )
        report.update(values | conduct_values)
        if with_targets:
            report["targets"] = agreed
        report["suppressed"] = sorted(suppressed + hidden_targets + conduct_hidden)
    return report
