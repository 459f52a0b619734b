"""The first release's expected reports, read against a second-release report.

The worked example's expected files (`samples/expected`, `samples_impact/expected`) were made
before the second release added figures (METRICS.md "Flows of people"): they hold none of them,
and do not list them as suppressed. Everything else must match as it stands. The funder files,
regenerated under the third release's rules, hold them: kept where the wanted file has them.
"""

from __future__ import annotations

from typing import Any

ADDED_IN_SECOND_RELEASE = (
    "mentors_started",
    "mentors_completed",
    "mentors_withdrawn",
    "shadowing.completed_in_window",
)

# The third release adds behaviour (conduct) and the three skills by weeks in the programme:
# the earlier expected files neither hold them nor list them as suppressed.
ADDED_IN_THIRD_RELEASE = ("conduct.", "skills_curve.")


def as_in_contract(report: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """`report` without the figures added since `wanted` was made (keys of `wanted` only)."""
    out: dict[str, Any] = {}
    for key, value in wanted.items():
        if key not in report:
            continue
        got = report[key]
        if key == "suppressed":
            got = [
                p
                for p in got
                if (p not in ADDED_IN_SECOND_RELEASE or p in value)
                and not p.startswith(ADDED_IN_THIRD_RELEASE)
            ]
        elif isinstance(value, dict) and isinstance(got, dict) and key in ("shadowing",):
            got = {
                k: v
                for k, v in got.items()
                if f"{key}.{k}" not in ADDED_IN_SECOND_RELEASE or k in value
            }
        out[key] = got
    return out
