"""Old and new code agree on every figure, except where METRICS.md's two changed definitions
apply (and where the second release adds a figure, or the third release's funder rules change
what funders see: never a manager's figure).

`golden/demo_figures.json` (the demo programme) and `golden/clean_figures.json` (the worked
example, whose registers have "late" marks inside the grace period and no recorded shadowing
completions) were captured from the first release's code, before the registry. `changed.json`
lists every value that differs, each with why. Any other difference fails here.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from golden_snapshot import snapshot

from analysis.metrics import Scope

GOLDEN = Path(__file__).resolve().parent / "golden"

# Why a value may differ from the first release, and what its path must then be about.
REASONS = {
    "late": re.compile(r"late|punctual|on_time|lost"),  # the recorded time decides (changed)
    "shadowing": re.compile(r"shadow|milestone"),  # one shadowing completion date (changed)
    "added": re.compile(r"started|completed|withdrawn"),  # the flows of people (added)
    "label": re.compile(r"impact\.headlines/.*/label$"),  # the registry's one funder label
    "journey": re.compile(r"funnel|retention"),  # the journey's figures (added, #14)
    "targets": re.compile(r"/targets/|[/ ]targets\.|/funding_streams$"),  # targets, streams (#12)
    "words": re.compile(r"/shown(_as)?$"),  # a suppressed figure in words, not "<5" (#12)
    "conduct": re.compile(r"conduct|skills_curve"),  # behaviour, the third skill (added, #24)
    # the conduct flag (#24) adds a flagged mentor: the lists of flagged mentors move
    "conduct_flag": re.compile(r"at_risk|mentors_flagged|mentor_reliability"),
    # One funnel (#23): the Shadowing page's "first mentoring" step is the journey's (present
    # at a beneficiary meeting by `to`), not the imported milestone.
    "first_mentoring": re.compile(r"views\.milestone_funnel/3/mentors$"),
    # funders' surfaces only (#22): a financial year by default, counts rounded to 5, rates to
    # a whole percent, secondary suppression to a fixed point, retention with the funnel
    # every figure says whether its inputs are recorded (#22: "not recorded is not zero")
    "not_recorded": re.compile(r"not_recorded"),
    "funder": re.compile(r"/(impact\.[a-z_]+|report\.funder)(/|$)"),
}


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out.update(flatten(value, f"{prefix}{key}/"))
        return out
    if isinstance(tree, list):
        out = {}
        for i, value in enumerate(tree):
            out.update(flatten(value, f"{prefix}{i}/"))
        return out
    return {prefix.rstrip("/"): tree}


def differences(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    a, b = flatten(old), flatten(new)
    return {
        path: {"old": a.get(path, "(absent)"), "new": b.get(path, "(absent)")}
        for path in sorted(set(a) | set(b))
        if a.get(path, "(absent)") != b.get(path, "(absent)")
    }


def keyed(data: dict[str, Any]) -> dict[str, Any]:
    """The funder reports' `suppressed` lists as sets (path → true), so that a path added to
    the list is one difference, not a shift of every path after it."""
    for scopes in data.values():
        for part in scopes.values():
            report = part["report.funder"]
            report["suppressed"] = dict.fromkeys(report["suppressed"], True)
    return data


def current_snapshot(demo: Path, clean: Path) -> dict[str, Any]:
    return keyed({"demo": snapshot(demo), "clean": snapshot(clean, {"all": Scope()})})


def captured() -> dict[str, Any]:
    return keyed(
        {
            "demo": json.loads((GOLDEN / "demo_figures.json").read_text()),
            "clean": json.loads((GOLDEN / "clean_figures.json").read_text()),
        }
    )


@pytest.fixture(scope="module")
def current(demo_db: Path, clean_db: Path) -> dict[str, Any]:
    return current_snapshot(demo_db, clean_db)


def test_the_data_is_the_one_captured(current: dict[str, Any]) -> None:
    old = captured()
    for data in old:
        for scope in old[data]:
            assert (
                old[data][scope]["report.manager"]["window"]
                == (current[data][scope]["report.manager"]["window"])
            )


def test_old_and_new_agree_except_where_a_definition_changed(current: dict[str, Any]) -> None:
    allowed = json.loads((GOLDEN / "changed.json").read_text())
    found = differences(captured(), current)
    unexplained = {p: d for p, d in found.items() if p not in allowed}
    assert not unexplained, f"{len(unexplained)} figures changed: {list(unexplained.items())[:8]}"
    stale = {p: a for p, a in allowed.items() if found.get(p) != {k: a[k] for k in ("old", "new")}}
    assert not stale, f"changed.json is out of date: {list(stale.items())[:8]}"
    misplaced = [p for p, a in allowed.items() if not REASONS[a["why"]].search(p)]
    assert not misplaced, f"changes that no changed definition explains: {misplaced[:8]}"


def test_the_changed_definitions_change_the_worked_example() -> None:
    allowed = json.loads((GOLDEN / "changed.json").read_text())
    reasons = {a["why"] for p, a in allowed.items() if p.startswith("clean/")}
    assert {"late", "shadowing"} <= reasons


def classify(path: str, difference: dict[str, Any]) -> str:
    """A first guess at why a value changed, for a person to check (see __main__)."""
    added = ("mentors_started", "mentors_completed", "mentors_withdrawn", "completed_in_window")
    if "not_recorded" in path:
        return "not_recorded"
    if "conduct" in path or "skills_curve" in path:
        return "conduct"
    if REASONS["conduct_flag"].search(path):
        return "conduct_flag"
    if REASONS["first_mentoring"].search(path):
        return "first_mentoring"
    if REASONS["funder"].search(path):
        return "funder"
    if difference["old"] == "(absent)" and ("funnel" in path or "retention" in path):
        return "journey"
    if difference["old"] == "(absent)" and re.search(REASONS["targets"], path):
        return "targets"
    if difference["old"] == "(absent)" and any(a in path for a in added):
        return "added"
    if re.search(REASONS["words"], path) and "ot shown" in str(difference["new"]):
        return "words"
    if "impact.headlines" in path and path.endswith("/label"):
        return "label"
    if "shadow" in path or "milestone" in path:
        return "shadowing"
    return "late"


if __name__ == "__main__":  # write changed.json from the current code: read it before committing
    found = differences(captured(), current_snapshot(Path(sys.argv[1]), Path(sys.argv[2])))
    known = json.loads((GOLDEN / "changed.json").read_text())
    out = {
        p: d
        | {"why": known[p]["why"] if known.get(p, {}) == known.get(p, {}) | d else classify(p, d)}
        for p, d in found.items()
    }
    (GOLDEN / "changed.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"{len(out)} differences written")
