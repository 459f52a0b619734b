"""The audit after secondary suppression's fixed point (a project decision, docs/METRICS.md):
while the report's own equalities, with each shown count read as the interval its rounding
leaves (r−2 … r+2), pin a cell hidden for another's sake to one integer, one more cell is
hidden."""

from __future__ import annotations

from typing import Any

from analysis import privacy
from analysis.settings import Settings


def _funnel(by_step: dict[str, int], completed: int = 1) -> tuple[dict[str, Any], dict[str, int]]:
    # 2024/25 on the demo, in small: started 42 (shown 40), in programme 33 (shown 35), one
    # completion (hidden, 1 person), so withdrawn 8 is hidden for another's sake
    withdrawn = sum(by_step.values())
    funnel = {
        "started": 42,
        "completed": completed,
        "withdrawn": withdrawn,
        "in_programme": 42 - completed - withdrawn,
        "withdrawn_by_step": dict(by_step),
    }
    support = {f"funnel.{n}": v for n, v in funnel.items() if not isinstance(v, dict)}
    support |= {f"funnel.withdrawn_by_step.{s}": v for s, v in by_step.items()}
    return {"funnel": funnel}, support


def test_a_withdrawal_count_pinned_by_its_one_shown_step_is_unpinned() -> None:
    values, support = _funnel({"started": 0, "training_completed": 8, "shadowing_completed": 0})
    shown, hidden = privacy.for_funder(values, support, Settings())
    # before the audit: completed (1 person) and withdrawn (for its sake) hidden, and then
    # withdrawn ≥ 8 (its one step shows 10) and ≤ 42 − 33 − 1 = 8: pinned. The audit hides
    # the smallest non-zero shown cell sharing an equality with it: the step's 8.
    assert hidden == [
        "funnel.completed",
        "funnel.withdrawn",
        "funnel.withdrawn_by_step.training_completed",
    ]
    assert shown["funnel"]["withdrawn_by_step"] == {
        "started": 0,
        "training_completed": None,
        "shadowing_completed": 0,
    }
    assert privacy._audit(values, support, set(hidden), 5) is None


def test_the_audit_hides_nothing_when_nothing_is_pinned() -> None:
    # withdrawn 12 across two steps: 12 is within 9 … 14 from the steps and ≤ 42 − 28 − 1
    values, support = _funnel({"started": 0, "training_completed": 6, "shadowing_completed": 6})
    _, hidden = privacy.for_funder(values, support, Settings())
    assert hidden == ["funnel.completed", "funnel.withdrawn"]


def test_a_value_pinned_inside_its_own_few_is_left_to_primary_suppression() -> None:
    """Only cells hidden for another's sake are audited: a cell resting on 1 to k−1 people is
    already known to be 1 … k−1 (the worked examples' funder files pin such cells, and METRICS.md
    keeps those outputs)."""
    values = {"funnel": {"started": 4, "completed": 0, "withdrawn": 0, "in_programme": 4}}
    support = {"funnel.started": 4, "funnel.completed": 0, "funnel.withdrawn": 0}
    support["funnel.in_programme"] = 4
    _, hidden = privacy.for_funder(values, support, Settings())
    assert hidden == ["funnel.in_programme", "funnel.started"]
