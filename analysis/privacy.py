"""Funder suppression: no figure resting on fewer than k people, and nothing to work back.

METRICS.md: a figure resting on fewer than k people (but more than none) is suppressed: `null`
in data, `<k` on screen, its dotted path listed. In a breakdown with a shown total, if exactly
one cell is suppressed, the next-smallest non-zero cell is suppressed too.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from analysis import figures
from analysis.settings import Settings

# Breakdowns whose cells add up to a total the funder also sees.
BREAKDOWNS_WITH_TOTAL: dict[str, str] = {"stages.distribution": "mentors_active"}

# Under these paths the last key is a name from the records ("St. George's Day"), which may
# hold dots, brackets and quotes: it is one key, never a path of its own.
NAMED_KEYS = ("events.by_event.",)


def path_parts(path: str) -> list[str]:
    """The keys of a dotted figure path; a record's name after a NAMED_KEYS prefix is one key."""
    for prefix in NAMED_KEYS:
        if path.startswith(prefix):
            return [*prefix[:-1].split("."), path[len(prefix) :]]
    return path.split(".")


def _walk(tree: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """The node holding the figure at `path`, and its key there. Keys may hold dots (a cohort
    or event called "Wave 2.1"): at each level the longest key the path continues with wins."""
    node, rest = tree, path
    while not isinstance(node, list) and rest not in node:
        parent = max(
            (k for k in node if isinstance(node[k], dict | list) and rest.startswith(f"{k}.")),
            key=len,
            default=None,
        )
        if parent is None:
            raise KeyError(path)
        node, rest = node[parent], rest[len(parent) + 1 :]
        if isinstance(node, list):  # a curve's points, by bucket: skills_curve.8.late_rate
            bucket, _, rest = rest.partition(".")
            point = next((p for p in node if str(p.get("bucket")) == bucket), None)
            if point is None or rest not in point:
                raise KeyError(path)
            node = point
    return node, rest


def _get(tree: dict[str, Any], path: str) -> Any:
    node, key = _walk(tree, path)
    return node[key]


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    node, key = _walk(tree, path)
    node[key] = value


def set_value(tree: dict[str, Any], path: str, value: Any) -> None:
    """Set the figure at a dotted path (keys may hold dots)."""
    _set(tree, path, value)


def is_small(people: int, k: int) -> bool:
    """True when a figure rests on some people, but fewer than k."""
    return 0 < people < k


def suppressed_paths(
    values: dict[str, Any],
    support: dict[str, int],
    k: int,
    partitions: Sequence[Sequence[str]] = (),
) -> list[str]:
    """The dotted paths to hide: primary suppression, then secondary to a fixed point over the
    breakdowns of SECONDARY_ORDER present in `values`, then `partitions` (lists of the cells of
    other such breakdowns), then retention with the funnel."""
    hidden = {path for path, people in support.items() if is_small(people, k)}
    groups = [*breakdowns_in(values), *partitions]
    _secondary(values, support, hidden, groups)
    while (more := _audit(values, support, hidden, k)) is not None:
        hidden.add(more)
        _secondary(values, support, hidden, groups)
    if hidden & set(RETENTION_GOES_WITH):
        hidden |= {p for p in support if p.startswith("retention.") and _get(values, p) is not None}
    return sorted(hidden)


# Secondary suppression's breakdowns with a shown total (METRICS.md, third release), in the
# order each pass takes them. A breakdown absent from the report is skipped, so another
# module's breakdown slots in by its place here. Shapes: "cells", the object's values are the
# cells; "outcomes", the three outcomes in it; "each", the outcomes of each child (sorted);
# "across", each of the funnel's counts across the children (sorted); "concerns" or
# "strengths", that part of each child (a category's concerns, across the categories).
SECONDARY_ORDER: tuple[tuple[str, str], ...] = (
    ("stages.distribution", "cells"),
    ("funnel", "outcomes"),
    ("funnel.by_cohort", "each"),
    ("funnel.by_cohort", "across"),
    ("funnel.withdrawn_by_step", "cells"),
    ("funnel.withdrawn_by_reason", "cells"),
    ("conduct.by_category", "concerns"),
    ("conduct.by_category", "strengths"),
)
FUNNEL_OUTCOMES = ("completed", "withdrawn", "in_programme")
FUNNEL_COUNTS = (
    "started",
    "training_completed",
    "shadowing_completed",
    "first_mentoring",
    "completed",
    "withdrawn",
    "in_programme",
)
# Retention is a share of the starters kept: hidden whenever these are.
RETENTION_GOES_WITH = ("funnel.started", "funnel.withdrawn")


def _node(values: dict[str, Any], path: str) -> Any:
    try:
        return _get(values, path)
    except KeyError:
        return None


def breakdowns_in(values: dict[str, Any]) -> list[list[str]]:
    """The cells of each breakdown of SECONDARY_ORDER in `values`, in order."""
    out: list[list[str]] = []
    for path, shape in SECONDARY_ORDER:
        node = _node(values, path)
        if not isinstance(node, dict):
            continue
        if shape == "cells":
            out.append([f"{path}.{key}" for key in node])
        elif shape == "outcomes":
            out.append([f"{path}.{o}" for o in FUNNEL_OUTCOMES if o in node])
        elif shape == "each":
            out += [[f"{path}.{c}.{o}" for o in FUNNEL_OUTCOMES] for c in sorted(node)]
        elif shape == "across":
            out += [[f"{path}.{c}.{n}" for c in sorted(node)] for n in FUNNEL_COUNTS]
        elif shape in ("concerns", "strengths"):
            out.append([f"{path}.{c}.{shape}" for c in sorted(node)])
        else:
            raise ValueError(f"unknown breakdown shape {shape!r}")
    return out


# -- the audit after the fixed point (a project decision beyond the spec: docs/METRICS.md) -------
#
# Secondary suppression looks at one breakdown at a time; the report's equalities together, read
# with rounded values as intervals, can still pin a hidden cell to one integer (a withdrawal
# count bounded below by its one shown step and above by started − in programme − completed).
# So the report's own equalities are solved as a funder could, and while a hidden cell is pinned
# one more cell is hidden.


def equalities_in(values: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The report's definitional equalities among counts: (total, its cells)."""
    out: list[tuple[str, list[str]]] = []

    def add(total: str, cells: list[str]) -> None:
        if _node(values, total) is not None and cells:
            out.append((total, cells))

    stages = _node(values, "stages.distribution")
    if isinstance(stages, dict):
        add("mentors_active", [f"stages.distribution.{s}" for s in stages])
    funnel = _node(values, "funnel")
    if isinstance(funnel, dict):
        add("funnel.started", [f"funnel.{o}" for o in FUNNEL_OUTCOMES if o in funnel])
        for breakdown in ("withdrawn_by_step", "withdrawn_by_reason"):
            node = funnel.get(breakdown)
            if isinstance(node, dict):
                add("funnel.withdrawn", [f"funnel.{breakdown}.{c}" for c in node])
        cohorts = funnel.get("by_cohort")
        if isinstance(cohorts, dict):
            for n in FUNNEL_COUNTS:
                add(f"funnel.{n}", [f"funnel.by_cohort.{c}.{n}" for c in sorted(cohorts)])
            for c in sorted(cohorts):
                add(
                    f"funnel.by_cohort.{c}.started",
                    [f"funnel.by_cohort.{c}.{o}" for o in FUNNEL_OUTCOMES],
                )
    categories = _node(values, "conduct.by_category")
    if isinstance(categories, dict):
        for part in ("concerns", "strengths"):
            add(f"conduct.{part}", [f"conduct.by_category.{c}.{part}" for c in sorted(categories)])
    return out


AUDIT_BIG = 10**9


def _interval(
    values: dict[str, Any], support: dict[str, int], hidden: set[str], path: str, k: int
) -> tuple[int, int]:
    """What a funder knows of a count from its own view: a shown value r (rounded to 5) is
    r−2 … r+2; a count of people hidden for its own few people 1 … k−1; else anything."""
    figure = figures.find(path)
    if path in hidden:
        own = is_small(support.get(path, 0), k) and figure is not None and figure.kind != "count"
        return (1, k - 1) if own else (0, AUDIT_BIG)
    shown = int(figures.rounded("nearest_5", _node(values, path) or 0))
    return max(0, shown - 2), shown + 2


def _narrow(bounds: dict[str, tuple[int, int]], system: list[tuple[str, list[str]]]) -> None:
    """Interval propagation over total = Σ cells, to a fixed point (in place)."""
    for _ in range(200):
        changed = False
        for total, cells in system:
            terms = [(1, total), *[(-1, c) for c in cells]]
            for i, (ci, vi) in enumerate(terms):
                lo = hi = 0
                for j, (cj, vj) in enumerate(terms):
                    if j != i:
                        a, b = cj * bounds[vj][0], cj * bounds[vj][1]
                        lo, hi = lo + min(a, b), hi + max(a, b)
                new = (-hi, -lo) if ci > 0 else (lo, hi)
                old = bounds[vi]
                tight = (max(old[0], new[0]), min(old[1], new[1]))
                if tight != old:
                    bounds[vi], changed = tight, True
        if not changed:
            return


def _audit(values: dict[str, Any], support: dict[str, int], hidden: set[str], k: int) -> str | None:
    """The next cell to hide, or None when no hidden count is pinned to one integer by the
    report's equalities. The first pinned cell (smallest path); of the shown cells sharing an
    equality with it, the smallest non-zero (ties: the smallest path), else the first shown 0."""
    system = [
        (total, [c for c in cells if _node(values, c) is not None])
        for total, cells in equalities_in(values)
    ]
    if not system or not hidden:
        return None
    paths = {p for total, cells in system for p in (total, *cells)}
    bounds = {p: _interval(values, support, hidden, p, k) for p in paths}
    _narrow(bounds, system)
    pinned = sorted(
        p
        for p in paths & hidden
        if bounds[p][0] == bounds[p][1] and not is_small(support.get(p, 0), k)
    )
    for path in pinned:
        near = {
            q
            for total, cells in system
            if path in (total, *cells)
            for q in (total, *cells)
            if q not in hidden
        }
        nonzero = [q for q in near if (_node(values, q) or 0) > 0]
        if nonzero:
            return min(nonzero, key=lambda q: (_node(values, q), q))
        if near:
            return min(near)
    return None


def _secondary(
    values: dict[str, Any],
    support: dict[str, int],
    hidden: set[str],
    groups: Sequence[Sequence[str]],
) -> None:
    """Secondary suppression to a fixed point: in a breakdown with exactly one hidden cell,
    hide its smallest shown non-zero cell (ties: the smallest path), until a whole pass hides
    nothing more. Decided on the exact values."""
    changed = True
    while changed:
        changed = False
        for group in groups:
            cells = [p for p in group if p in support]
            if sum(p in hidden for p in cells) != 1:
                continue
            candidates = [p for p in cells if p not in hidden and (_get(values, p) or 0) > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda p: (_get(values, p), p)))
                changed = True


def suppress(
    values: dict[str, Any],
    support: dict[str, int],
    settings: Settings,
    partitions: Sequence[Sequence[str]] = (),
) -> tuple[dict[str, Any], list[str]]:
    """A copy of `values` with small figures set to None, and the sorted suppressed paths."""
    out = copy.deepcopy(values)
    hidden = suppressed_paths(values, support, settings.suppression_k, partitions)
    for path in hidden:
        _set(out, path, None)
    return out, hidden


def with_also(support: dict[str, int], also: dict[str, int], k: int) -> dict[str, int]:
    """`support`, where a value also rests on other people (a concern rate on the mentors of
    its concerns as well as of its attendances) and those are 1 to k−1, resting on them: so it
    is hidden for its own few people."""
    return support | {p: n for p, n in also.items() if p in support and is_small(n, k)}


def for_funder(
    values: dict[str, Any],
    support: dict[str, int],
    settings: Settings,
    not_recorded: Sequence[str] = (),
) -> tuple[dict[str, Any], list[str]]:
    """The one way out to a funder: suppression (primary, secondary to a fixed point, retention
    with the funnel) decided on the exact values, then every shown value rounded as its kind
    says (`figures.FUNDER_ROUNDING`). Not-recorded figures are never in the suppressed list.
    `support` is as `with_also` gives it where a value rests on two sets of people."""
    unrecorded = set(not_recorded)
    exact_support = {p: n for p, n in support.items() if p not in unrecorded}
    out, hidden = suppress(values, exact_support, settings)
    return rounded_for_funder(out), hidden


def hidden_for_others(support: dict[str, int], hidden: Sequence[str], k: int) -> list[str]:
    """Of the hidden paths, those that do not rest on fewer than k people: hidden so that a
    smaller number cannot be worked out (secondary suppression, retention with the funnel)."""
    return sorted(p for p in hidden if not is_small(support.get(p, 0), k))


def rounded_for_funder(
    values: dict[str, Any], prefix: str = "", figure: figures.Figure | None = None
) -> dict[str, Any]:
    """A copy of the report's figures with each shown value rounded as its figure's kind says
    (a breakdown's cells as their breakdown's); a key the registry does not know is kept."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        own = figure or (figures.find(path) if figures.is_registered(path) else None)
        if isinstance(value, dict):
            out[key] = rounded_for_funder(value, f"{path}.", own)
        elif isinstance(value, list) and own is not None and own.kind == "curve":
            out[key] = [
                {
                    name: figures.rounded(figures.CURVE_ROUNDING.get(name), v)
                    for name, v in point.items()
                }
                for point in value
            ]
        else:
            out[key] = value if own is None else figures.rounded(own.funder_rounding, value)
    return out


# How a suppressed figure reads for a funder: in words, never "<k" beside a unit ("Hours of
# peer support <5" reads as a value). Only a chart may mark a hidden bar "<k", where its caption
# or legend says in words what the mark means.
HIDDEN_SHORT = "Not shown"


def hidden_reason(k: int) -> str:
    """Why a figure is not shown: 'fewer than 5 people'."""
    return f"fewer than {k} people"


def hidden_words(k: int) -> str:
    """A suppressed figure in words, where its value would be: 'not shown: fewer than 5 people'."""
    return f"not shown: {hidden_reason(k)}"


# A figure hidden for another's sake (secondary suppression, retention with the funnel) did not
# rest on fewer than k people: it never reads "<5" or "fewer than 5" (METRICS.md).
FOR_OTHERS_WORDS = "not shown, so that a smaller number cannot be worked out"
ROUNDING_NOTE = "Counts are rounded to the nearest 5"


def is_for_others(report: dict[str, Any], path: str) -> bool:
    """Whether the report hides `path` for another's sake rather than for its own few people."""
    return path in report.get("suppressed_for_others", ())


def hidden_text(report: dict[str, Any], path: str, k: int) -> str:
    """A hidden figure of `report` in words: why it is not shown."""
    return FOR_OTHERS_WORDS if is_for_others(report, path) else hidden_words(k)


def hidden_because(report: dict[str, Any], path: str, k: int) -> str:
    """Why a hidden figure of `report` is not shown, for beneath a card: 'fewer than 5 people',
    or for one hidden for another's sake 'so that a smaller number cannot be worked out'."""
    if is_for_others(report, path):
        return FOR_OTHERS_WORDS.removeprefix("not shown, ")
    return hidden_reason(k)


def shown(value: Any, suppressed: bool, k: int, fmt: str = "{:,}") -> str:
    """How a figure reads on a funder's screen: in words when suppressed, `–` when undefined."""
    if suppressed:
        return hidden_words(k)
    if value is None:
        return "–"
    return fmt.format(value)


# -- differencing: which parts of the programme a funder's figures may cover -------------------
#
# Suppression protects one view; two views subtracted can single people out (the whole of a
# cohort minus the same cohort without one region is that region's few mentors). The rule
# (METRICS.md, "Differencing"): a funder's figures cover the whole programme, one cohort, one
# region or one funding stream, never a combination, several values, or a gender or outreach
# worker. Within each of those dimensions, the groups offered are withdrawn one at a time until
# every set of mentors the funder can tell apart by them (in this group and that one, in none of
# them) holds no one or at least k mentors active in the window: so a group, the rest of the
# programme without it, the mentors in no group offered, and for funding streams (a mentor can
# be paid by two) the mentors in one stream but not another are each none or at least k. Across
# dimensions, a group lying wholly inside another (a cohort all in one region) is withdrawn when
# the other holds fewer than k more. So any two views a funder can choose that lie one inside the
# other differ by no one or by at least k people of the same window.

FUNDER_DIMENSIONS = ("cohort", "region", "stream")
FUNDER_LABELS = {"cohort": "cohort", "region": "region", "stream": "funding stream"}


def _members(con: Any, window: tuple[Any, Any]) -> tuple[set[str], dict[str, dict[str, set[str]]]]:
    """The mentors active in the window, and for each dimension each group's active mentors (a
    stream's: those it paid for on some day of the window, as the funding-stream filter counts)."""
    params = {"from": window[0], "to": window[1]}
    active = (
        "SELECT mentor_id, cohort, region FROM mentors "
        "WHERE start_date <= $to AND (end_date IS NULL OR end_date >= $from)"
    )
    everyone: set[str] = set()
    groups: dict[str, dict[str, set[str]]] = {d: {} for d in FUNDER_DIMENSIONS}
    for mentor, cohort, region in con.execute(active, params).fetchall():
        everyone.add(str(mentor))
        for dimension, value in (("cohort", cohort), ("region", region)):
            if value is not None and str(value) != "":
                groups[dimension].setdefault(str(value), set()).add(str(mentor))
    streams = con.execute(
        f"SELECT DISTINCT f.funding_stream, f.mentor_id FROM funding f "
        f"JOIN ({active}) a USING (mentor_id) "
        'WHERE (f."from" IS NULL OR f."from" <= $to) AND (f."to" IS NULL OR f."to" >= $from)',
        params,
    ).fetchall()
    for stream, mentor in streams:
        if stream is not None and str(stream) != "":
            groups["stream"].setdefault(str(stream), set()).add(str(mentor))
    return everyone, groups


def _people_in_small_sets(offered: dict[str, set[str]], everyone: set[str], k: int) -> int:
    """How many mentors are in a set the groups tell apart that holds fewer than k."""
    atoms: dict[frozenset[str], int] = {}
    for mentor in everyone:
        atom = frozenset(g for g, m in offered.items() if mentor in m)
        atoms[atom] = atoms.get(atom, 0) + 1
    return sum(n for n in atoms.values() if is_small(n, k))


def offered_groups(members: dict[str, set[str]], everyone: set[str], k: int) -> list[str]:
    """The groups of one dimension a funder may choose, by the rule above: withdrawn one at a
    time (the one whose withdrawal leaves fewest mentors in small sets; the smallest of those)
    until every set of mentors told apart by the groups left holds none or at least k."""
    offered = {g: m for g, m in members.items() if m}
    while offered and _people_in_small_sets(offered, everyone, k):
        withdrawn = min(
            offered,
            key=lambda g: (
                _people_in_small_sets({h: m for h, m in offered.items() if h != g}, everyone, k),
                len(offered[g]),
                g,
            ),
        )
        del offered[withdrawn]
    return sorted(offered)


def funder_groups(con: Any, window: tuple[Any, Any], k: int) -> dict[str, list[str]]:
    """For each dimension a funder may filter by, the groups offered in this window."""
    everyone, groups = _members(con, window)
    offered = {d: offered_groups(groups[d], everyone, k) for d in FUNDER_DIMENSIONS}
    while True:  # across dimensions: a group inside another that holds fewer than k more
        chosen = sorted(
            ((d, g) for d in FUNDER_DIMENSIONS for g in offered[d]),
            key=lambda dg: (len(groups[dg[0]][dg[1]]), dg),
        )
        nested = next(
            (
                (d1, g1)
                for d1, g1 in chosen
                for d2, g2 in chosen
                if d1 != d2
                and groups[d1][g1] <= groups[d2][g2]
                and is_small(len(groups[d2][g2] - groups[d1][g1]), k)
            ),
            None,
        )
        if nested is None:
            return offered
        offered[nested[0]].remove(nested[1])


def funder_scope_problem(
    con: Any,
    scope: Any,
    window: tuple[Any, Any],
    k: int,
    groups: dict[str, list[str]] | None = None,
) -> str | None:
    """Why a funder may not have figures for this scope (None when they may). `groups`: what
    `funder_groups` gives for this window, if already known."""
    if scope.genders or scope.outreach_workers:
        return "Funders' figures cannot be filtered by gender or outreach worker."
    chosen = [
        (name, values)
        for name, values in (
            ("cohort", scope.cohorts),
            ("region", scope.regions),
            ("stream", scope.funding_streams),
        )
        if values
    ]
    if len(chosen) > 1 or any(len(values) > 1 for _, values in chosen):
        return (
            "Funders' figures cover the whole programme, one cohort, one region or one funding "
            "stream, never a combination: the difference between two combinations could single "
            "people out."
        )
    if chosen:
        name, (value,) = chosen[0]
        if groups is None:
            groups = funder_groups(con, window, k)
        if value not in groups[name]:
            return (
                f"That {FUNDER_LABELS[name]} cannot be shown on its own in this window: it, or "
                f"what it leaves out of the programme or of another group, has fewer than {k} "
                "mentors."
            )
    return None
