"""The report: one object with the window, filters, settings and every headline figure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from analysis import conduct, figures, financial_years, journey, metrics, privacy, targets
from analysis.settings import Settings


def funder_window(con: duckdb.DuckDBPyConnection, scope: metrics.Scope) -> tuple[dt.date, dt.date]:
    """A funder's window: the scope's dates, or without them the financial year holding the
    programme's latest session, up to that session's date (METRICS.md)."""
    if scope.date_from is not None or scope.date_to is not None:
        return metrics.resolve_window(con, scope)
    known = metrics.data_window(con)
    if known is None:
        return metrics.resolve_window(con, scope)
    return financial_years.default_funder_window(known[1])


def funder_scope(con: duckdb.DuckDBPyConnection, scope: metrics.Scope) -> metrics.Scope:
    """The scope with a funder's window made explicit."""
    return metrics.with_window(scope, funder_window(con, scope))


def not_recorded_paths(unrecorded: set[str]) -> list[str]:
    """The report's figures whose inputs are not recorded, sorted (the registry says which)."""
    return figures.not_recorded_paths(unrecorded)


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
    if audience == "funder":
        scope = funder_scope(con, scope)
    computed = metrics.compute(con, scope, settings, with_at_risk=audience == "manager")
    journey_figures = journey.compute(con, scope, settings, computed.window)
    conduct_figures = conduct.compute(con, scope, settings, computed.window)
    not_recorded = not_recorded_paths(
        metrics.unrecorded_inputs(con, scope, settings, computed.window)
    )
    report: dict[str, Any] = {
        "window": {"from": computed.window[0].isoformat(), "to": computed.window[1].isoformat()},
        "filters": scope.filters(),
        "audience": audience,
        "settings": {
            "grace_minutes": settings.grace_minutes,
            "shadowing_target_hours": settings.shadowing_target_hours,
            "suppression_k": settings.suppression_k,
        },
    }
    agreed, hidden_targets = (
        targets.for_report(con, scope, settings, computed.window[1], audience, not_recorded)
        if with_targets
        else ([], [])
    )
    values = computed.values | journey_figures.values
    for path in not_recorded:
        if not figures.get(path).kept_unrecorded:
            privacy.set_value(values, path, None)
    if audience == "manager":
        report.update(values | conduct_figures.values)
        if with_targets:
            report["targets"] = agreed
        report["at_risk"] = computed.at_risk
    else:
        conduct_values, conduct_support = conduct.for_funder(
            conduct_figures, settings.suppression_k
        )
        support = computed.support | journey_figures.support | conduct_support
        shown, suppressed = privacy.for_funder(
            values | conduct_values, support, settings, not_recorded
        )
        report.update(shown)
        if with_targets:
            report["targets"] = agreed
        report["suppressed"] = sorted(suppressed + hidden_targets)
        report["suppressed_for_others"] = privacy.hidden_for_others(
            support, suppressed, settings.suppression_k
        )
    report["not_recorded"] = not_recorded
    return report
