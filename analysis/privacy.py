"""Funder suppression: no figure resting on fewer than k people, and nothing to work back.

METRICS.md: a figure resting on fewer than k people (but more than none) is suppressed: `null`
in data, `<k` on screen, its dotted path listed. In a breakdown with a shown total, if exactly
one cell is suppressed, the next-smallest non-zero cell is suppressed too.
"""

from __future__ import annotations

import copy
from typing import Any

from analysis.settings import Settings

# Breakdowns whose cells add up to a total the funder also sees.
BREAKDOWNS_WITH_TOTAL: dict[str, str] = {"stages.distribution": "mentors_active"}


def _get(tree: dict[str, Any], path: str) -> Any:
    node: Any = tree
    for part in path.split("."):
        node = node[part]
    return node


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = tree
    for part in parents:
        node = node[part]
    node[leaf] = value


def is_small(people: int, k: int) -> bool:
    """True when a figure rests on some people, but fewer than k."""
    return 0 < people < k


def suppressed_paths(values: dict[str, Any], support: dict[str, int], k: int) -> list[str]:
    """The dotted paths to hide: primary suppression, then secondary in each breakdown."""
    hidden = {path for path, people in support.items() if is_small(people, k)}
    for breakdown in BREAKDOWNS_WITH_TOTAL:
        cells = [p for p in support if p.startswith(breakdown + ".")]
        hidden_cells = [p for p in cells if p in hidden]
        if len(hidden_cells) == 1:
            candidates = [p for p in cells if p not in hidden and (_get(values, p) or 0) > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda p: (_get(values, p), p)))
    return sorted(hidden)


def suppress(
    values: dict[str, Any], support: dict[str, int], settings: Settings
) -> tuple[dict[str, Any], list[str]]:
    """A copy of `values` with small figures set to None, and the sorted suppressed paths."""
    out = copy.deepcopy(values)
    hidden = suppressed_paths(values, support, settings.suppression_k)
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
