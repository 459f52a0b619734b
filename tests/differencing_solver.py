"""A differencing attack a funder could make, kept as a check (issue 22, METRICS.md "Funders:
one family of periods, counts rounded to 5").

As a signed-in funder: collect every view the funder surfaces offer (each financial year and
quarter of the records, to date, × the whole programme and each cohort, region and funding
stream offered in it; the previous-period comparison is one of those periods; the targets'
actuals; the funnel by cohort), then solve for every hidden cell. The unknowns are the exact
counts; what a view shows bounds them (a count shown as r, rounded to the nearest 5 halves up,
is one of r−2 … r+2; a count hidden for resting on fewer than k people is 1 … k−1); what the
definitions say ties them (a breakdown adds up to its total, a financial year's flows are its
quarters', the groups of a dimension that cover everyone add up to the whole programme).
Bounds are narrowed over the equalities to a fixed point (interval propagation: each term of
an equality lies within what the others leave it); a hidden cell whose bounds narrow to one
integer is recovered.

Every equality is a definition a funder may read in METRICS.md; each is checked against the
managers' exact figures before it is used (a wrong one would "recover" a wrong value), and
every recovered value is checked against them too.

    python -m tests.differencing_solver DB          (prints what it recovers)
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import database, figures, financial_years, metrics, privacy
from analysis.report import build_report
from analysis.settings import Settings

# A view: (dimension, group) and window. ("whole", "") is the whole programme.
Part = tuple[str, str]
Window = tuple[dt.date, dt.date]
Var = tuple[Part, Window, str]

COUNT_KINDS = ("people", "count", "distribution")
# Figures over events in the window, so a financial year's is the sum of its quarters'.
FLOWS = (
    "mentors_started",
    "mentors_completed",
    "mentors_withdrawn",
    "expected_attendances",
    "beneficiary_meetings.expected",
    "beneficiary_meetings.missed",
    "beneficiary_meetings.late",
    "shadowing.completed_in_window",
    "funnel.started",
)
FLOW_PREFIXES = ("milestones.",)
FUNNEL_COUNTS = privacy.FUNNEL_COUNTS
OUTCOMES = privacy.FUNNEL_OUTCOMES


def leaves(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from leaves(value, path + ".")
        else:
            yield path, value


def is_count(path: str) -> bool:
    figure = figures.find(path)
    return figure is not None and figure.kind in COUNT_KINDS and figure.kind != "setting"


@dataclass
class Views:
    """What a funder sees (rounded, some hidden) and, for checking only, the exact figures."""

    k: int
    shown: dict[Var, int | None] = field(default_factory=dict)  # None: hidden
    for_own_sake: set[Var] = field(default_factory=set)  # hidden as resting on < k people
    exact: dict[Var, float] = field(default_factory=dict)
    parts: dict[Window, list[Part]] = field(default_factory=dict)
    reports: int = 0


def _scope(part: Part, window: Window) -> metrics.Scope:
    dimension, group = part
    return metrics.Scope(
        window[0],
        window[1],
        cohorts=(group,) if dimension == "cohort" else (),
        regions=(group,) if dimension == "region" else (),
        funding_streams=(group,) if dimension == "stream" else (),
    )


def periods(con: Any, only_latest_years: int | None = None) -> list[Window]:
    """Every funder period of the records, to date: the financial years holding a session and
    their quarters begun (or only the latest `only_latest_years` years)."""
    known = metrics.data_window(con)
    assert known is not None
    earliest, latest = known
    chosen = financial_years.funder_periods(latest, earliest)
    if only_latest_years is not None:
        last = financial_years.financial_year_of(latest)
        chosen = [p for p in chosen if p.first > last - only_latest_years]
    return [financial_years.to_date(p, latest) for p in chosen if p.end >= earliest]


def collect(db: Path, settings: Settings, only_latest_years: int | None = None) -> Views:
    """Every funder view of the records (and the managers' exact figures beside each)."""
    views = Views(settings.suppression_k)
    with database.read(db) as con:
        for window in periods(con, only_latest_years):
            groups = privacy.funder_groups(con, window, settings.suppression_k)
            parts: list[Part] = [("whole", "")]
            parts += [(d, g) for d in privacy.FUNDER_DIMENSIONS for g in groups[d]]
            views.parts[window] = parts
            for part in parts:
                scope = _scope(part, window)
                funder = build_report(con, scope, settings, "funder")
                manager = build_report(con, scope, settings, "manager")
                views.reports += 1
                _read(views, part, window, funder, manager)
    return views


def _read(
    views: Views, part: Part, window: Window, funder: dict[str, Any], manager: dict[str, Any]
) -> None:
    hidden = set(funder["suppressed"])
    for_others = set(funder.get("suppressed_for_others", ()))
    exact = dict(leaves({k: v for k, v in manager.items() if k not in ("targets", "at_risk")}))
    for path, value in leaves({k: v for k, v in funder.items() if k not in figures_meta(funder)}):
        if not is_count(path) or path not in exact or exact[path] is None:
            continue
        var = (part, window, path)
        views.exact[var] = exact[path]
        views.shown[var] = None if path in hidden else value
        if path in hidden and path not in for_others:
            views.for_own_sake.add(var)
    # a target's actual over its own period is one more view of its figure
    for n, (entry, real) in enumerate(zip(funder["targets"], manager["targets"], strict=True)):
        if not is_count(entry["figure"]) or real["actual"] is None:
            continue
        stream = entry["funding_stream"]
        target_part: Part = ("stream", stream) if stream else ("whole", "")
        end = min(dt.date.fromisoformat(entry["period"]["to"]), window[1])
        start = dt.date.fromisoformat(entry["period"]["from"])
        if start > end:
            continue
        var = (target_part, (start, end), entry["figure"])
        if var in views.shown and views.shown[var] is not None:
            continue
        views.exact[var] = real["actual"]
        views.shown[var] = (
            None if f"targets.{n}.actual" in funder["suppressed"] else entry["actual"]
        )


def figures_meta(report: dict[str, Any]) -> set[str]:
    return {
        "window",
        "filters",
        "audience",
        "settings",
        "suppressed",
        "suppressed_for_others",
        "not_recorded",
        "targets",
    }


# --- the equalities: Σ coefficient × variable = 0 -------------------------------------------

Equation = list[tuple[int, Var]]


def equations(views: Views) -> Iterator[Equation]:
    """Every definitional equality among the variables collected."""
    known = set(views.shown)
    by_view: dict[tuple[Part, Window], set[str]] = {}
    for part, window, path in known:
        by_view.setdefault((part, window), set()).add(path)
    for (part, window), paths in by_view.items():

        def v(path: str, part: Part = part, window: Window = window) -> Var:
            return (part, window, path)

        def total_is(
            total: str, cells: Iterable[str], paths: set[str] = paths
        ) -> Iterator[Equation]:
            cells = [c for c in cells if c in paths]
            if total in paths and cells:
                yield [(1, v(total)), *[(-1, v(c)) for c in cells]]

        yield from total_is(
            "mentors_active", [p for p in paths if p.startswith("stages.distribution.")]
        )
        yield from total_is("funnel.started", [f"funnel.{o}" for o in OUTCOMES])
        for breakdown in ("withdrawn_by_step", "withdrawn_by_reason"):
            yield from total_is(
                "funnel.withdrawn", [p for p in paths if p.startswith(f"funnel.{breakdown}.")]
            )
        cohorts = {
            p.removeprefix("funnel.by_cohort.").rsplit(".", 1)[0]
            for p in paths
            if p.startswith("funnel.by_cohort.")
        }
        for count in FUNNEL_COUNTS:
            yield from total_is(
                f"funnel.{count}", [f"funnel.by_cohort.{c}.{count}" for c in cohorts]
            )
        for c in cohorts:
            yield from total_is(
                f"funnel.by_cohort.{c}.started", [f"funnel.by_cohort.{c}.{o}" for o in OUTCOMES]
            )
    # a financial year's flows are its quarters' (every quarter begun is a view)
    windows = {w for _, w, _ in known}
    parts = {p for p, _, _ in known}
    for year in windows:
        period = financial_years.funder_period(*year)
        if period is None or period.quarter is not None:
            continue
        quarters = sorted(
            w
            for w in windows
            if year[0] <= w[0]
            and w[1] <= year[1]
            and w != year
            and (p := financial_years.funder_period(*w)) is not None
            and p.quarter is not None
        )
        if not quarters or quarters[-1][1] != year[1]:
            continue
        for part in parts:
            for path in {p for q, w, p in known if q == part and w == year}:
                if not (path in FLOWS or path.startswith(FLOW_PREFIXES)):
                    continue
                terms = [(part, q, path) for q in quarters]
                if all(t in known for t in terms):
                    yield [(1, (part, year, path)), *[(-1, t) for t in terms]]
    # the groups of a dimension that cover every mentor once add up to the whole programme
    for window, offered in views.parts.items():
        for dimension in ("cohort", "region"):
            groups = [p for p in offered if p[0] == dimension]
            if not groups:
                continue
            whole = ("whole", "")
            for path in {p for q, w, p in known if q == whole and w == window}:
                terms = [(g, window, path) for g in groups]
                if all(t in known for t in terms):
                    yield [(1, (whole, window, path)), *[(-1, t) for t in terms]]


def holds(equation: Equation, exact: dict[Var, float]) -> bool:
    return abs(sum(c * exact[var] for c, var in equation)) < 1e-6


# --- bounds and their narrowing -------------------------------------------------------------

BIG = 10**9


def bounds(views: Views) -> dict[Var, tuple[int, int]]:
    """What each view alone says of each exact count."""
    out: dict[Var, tuple[int, int]] = {}
    for var, value in views.shown.items():
        if value is None:
            own = var in views.for_own_sake and figures.get(var[2]).kind != "count"
            out[var] = (1, views.k - 1) if own else (0, BIG)
        elif value == 0:
            out[var] = (0, 2)
        else:
            out[var] = (max(0, int(value) - 2), int(value) + 2)
    return out


def narrow(
    known: dict[Var, tuple[int, int]], system: list[Equation], rounds: int = 200
) -> dict[Var, tuple[int, int]]:
    """Interval propagation over the equalities, to a fixed point."""
    lo = {v: b[0] for v, b in known.items()}
    hi = {v: b[1] for v, b in known.items()}
    for _ in range(rounds):
        changed = False
        for equation in system:
            for i, (ci, vi) in enumerate(equation):
                rest_lo = rest_hi = 0
                for j, (cj, vj) in enumerate(equation):
                    if j == i:
                        continue
                    a, b = cj * lo[vj], cj * hi[vj]
                    rest_lo += min(a, b)
                    rest_hi += max(a, b)
                # ci·vi = −rest
                new_lo, new_hi = (-rest_hi, -rest_lo) if ci > 0 else (rest_lo, rest_hi)
                new_lo, new_hi = math.ceil(new_lo), math.floor(new_hi)
                if new_lo > lo[vi]:
                    lo[vi], changed = new_lo, True
                if new_hi < hi[vi]:
                    hi[vi], changed = new_hi, True
        if not changed:
            break
    return {v: (lo[v], hi[v]) for v in known}


@dataclass
class Result:
    views: int
    hidden: int
    equations: int
    refused_equations: int
    recovered: dict[Var, int]
    wrong: dict[Var, tuple[int, float]]  # recovered, but not the exact value: a bad equation


def attack(views: Views, *, rounded: bool = True) -> Result:
    """Solve for the hidden cells. `rounded=False` reads every shown cell as its exact value
    (as the second release showed them): the same attack, without the rounding."""
    system, refused = [], 0
    for equation in equations(views):
        if holds(equation, views.exact):
            system.append(equation)
        else:
            refused += 1
    known = bounds(views)
    if not rounded:
        for var, value in views.shown.items():
            if value is not None:
                exact = int(round(views.exact[var]))
                known[var] = (exact, exact)
    narrowed = narrow(known, system)
    hidden = [v for v, value in views.shown.items() if value is None]
    recovered = {v: narrowed[v][0] for v in hidden if narrowed[v][0] == narrowed[v][1]}
    wrong = {v: (r, views.exact[v]) for v, r in recovered.items() if r != views.exact[v]}
    return Result(views.reports, len(hidden), len(system), refused, recovered, wrong)


def main(argv: list[str]) -> int:
    db = Path(argv[0])
    views = collect(db, Settings())
    for rounded in (True, False):
        result = attack(views, rounded=rounded)
        print(
            f"{'rounded' if rounded else 'exact shown values'}: {result.views} views, "
            f"{result.hidden} hidden cells, {result.equations} equalities "
            f"({result.refused_equations} refused), {len(result.recovered)} recovered, "
            f"{len(result.wrong)} wrong"
        )
        for var, value in sorted(result.recovered.items(), key=str)[:20]:
            print(f"  {var}: {value} (exact {views.exact[var]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
