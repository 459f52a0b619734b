"""Funder suppression: no figure resting on fewer than k people, and nothing to work back.

METRICS.md: a figure resting on fewer than k people (but more than none) is suppressed: `null`
in data, `<k` on screen, its dotted path listed. In a breakdown with a shown total, if exactly
one cell is suppressed, the next-smallest non-zero cell is suppressed too.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

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
    while rest not in node:
        parent = max(
            (k for k in node if isinstance(node[k], dict) and rest.startswith(f"{k}.")),
            key=len,
            default=None,
        )
        if parent is None:
            raise KeyError(path)
        node, rest = node[parent], rest[len(parent) + 1 :]
    return node, rest


def _get(tree: dict[str, Any], path: str) -> Any:
    node, key = _walk(tree, path)
    return node[key]


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    node, key = _walk(tree, path)
    node[key] = value


def is_small(people: int, k: int) -> bool:
    """True when a figure rests on some people, but fewer than k."""
    return 0 < people < k


def suppressed_paths(
    values: dict[str, Any],
    support: dict[str, int],
    k: int,
    partitions: Sequence[Sequence[str]] = (),
) -> list[str]:
    """The dotted paths to hide: primary suppression, then secondary in each breakdown (those
    of BREAKDOWNS_WITH_TOTAL, and `partitions`: lists of the cells of other such breakdowns)."""
    hidden = {path for path, people in support.items() if is_small(people, k)}
    groups = [
        [p for p in support if p.startswith(breakdown + ".")] for breakdown in BREAKDOWNS_WITH_TOTAL
    ]
    for cells in [*groups, *partitions]:
        hidden_cells = [p for p in cells if p in hidden]
        if len(hidden_cells) == 1:
            candidates = [p for p in cells if p not in hidden and (_get(values, p) or 0) > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda p: (_get(values, p), p)))
    return sorted(hidden)


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


def shown(value: Any, suppressed: bool, k: int, fmt: str = "{:,}") -> str:
    """How a figure reads on a funder's screen: `<k` when suppressed, `–` when undefined."""
    if suppressed:
        return f"<{k}"
    if value is None:
        return "–"
    return fmt.format(value)
