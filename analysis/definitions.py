"""Every figure's definition in plain words, for the How we count page and the impact pack.

The figures' own words are in the registry (analysis/figures.py); this module adds the rules
of scope, rows, flags and suppression. A test checks that every figure the report gives has a
definition here.
"""

from __future__ import annotations

from analysis import figures
from analysis.settings import Settings

SCOPE_RULES = (
    "**The window** is a range of whole days, first and last day included. A session counts in "
    "the window when its scheduled start falls on one of those days.",
    "**Filters** (cohort, gender, outreach worker, region) choose mentors; every figure then "
    "counts only those mentors' records.",
    "**Active mentors** are the chosen mentors who had started by the last day of the window and "
    "had not left before its first day. Every figure about mentors is about active mentors.",
    "**Where people stand** (shadowing, stages, self-esteem) uses every record up to the last "
    "day of the window, not only those inside it.",
)

ROW_RULES = (
    "A mentor was **expected** at a session unless the programme cancelled it.",
    "A mentor was **present** when marked attended or late.",
    "**Minutes late** are the whole minutes from the scheduled start to the arrival time "
    "(0 if early); unknown when no arrival time was recorded.",
    "A present mentor was **late** when they arrived more than {grace} minutes after the "
    "start (the grace period); when no arrival time was recorded, when marked late. Otherwise "
    "**on time**: the recorded time decides, whatever the mark.",
    "**Credited minutes** for a present mentor are the minutes attended when recorded; "
    "otherwise the session's length less any minutes late; never more than the session's length.",
)

# Every figure of the report in plain words, from the figure registry.
FIGURES: dict[str, str] = {f.key: f.summary for f in figures.FIGURES if f.in_report}


def figure_rows(audience: str) -> list[dict[str, str]]:
    """How we count's table of figures for `audience` (manager or funder), in registry order:
    the name it has on their pages, the section, and what it counts."""
    label = "label" if audience == "manager" else "funder_label"
    return [
        {"figure": getattr(f, label), "about": f.section, "how it is counted": f.summary}
        for f in figures.FIGURES
        if audience in f.audiences and f.in_report
    ]


FLAGS: dict[str, str] = {
    "low_attendance": "at least 3 expected sessions and came to fewer than 60%",
    "no_shows": "2 or more no-shows",
    "lateness": "3 or more late arrivals",
    "stage_regression": "their latest assessment is in the look-back and lower than the one before",
    "conduct": "a high-severity concern about their conduct, or 2 or more concerns",
}

STAGE_DESCRIPTIONS = (
    "Shock: life has changed and the person feels unable to act or plan.",
    "Denial: the change is played down, as though nothing much has happened.",
    "Depression: the reality sinks in and confidence falls to its lowest.",
    "Acceptance: the old situation is let go of; the lowest point is passed.",
    "Trying out new ways of behaving and working, with successes and setbacks.",
    "Making sense of what has happened and what has been learned.",
    "The new ways become part of who the person is.",
)

SUPPRESSION = (
    "Funders and trustees see totals only. A figure that rests on fewer than {k} people is "
    "hidden: it reads 'not shown: fewer than {k} people' (a chart marks its bar '<{k}' and "
    "says so beneath). Where one part of a breakdown is hidden and the total is shown, "
    "the next-smallest part is hidden too, so the hidden number cannot be worked out. A count "
    "of 0 is shown as 0."
)


def row_rules(settings: Settings) -> tuple[str, ...]:
    return tuple(rule.format(grace=settings.grace_minutes) for rule in ROW_RULES)


def flag_rules(settings: Settings) -> str:
    return (
        f"Over the {settings.lookback_days} days ending on the last day of the window, each "
        "active or paused mentor is flagged for: "
        + "; ".join(f"**{name.replace('_', ' ')}** ({text})" for name, text in FLAGS.items())
        + "."
    )


def suppression(settings: Settings) -> str:
    return SUPPRESSION.format(k=settings.suppression_k)
