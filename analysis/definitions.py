"""Every figure's definition in plain words, for the How we count page and the impact pack.

The computation lives in analysis/metrics.py; this is what it means, for people. A test checks
that every figure the report gives has a definition here.
"""

from __future__ import annotations

from analysis.settings import Settings

SCOPE_RULES = (
    "**The window** is a range of whole days, first and last day included. A session counts in "
    "the window when its scheduled start falls on one of those days.",
    "**Filters** (cohort, gender, outreach worker, region, funding stream) choose mentors; every "
    "figure then counts only those mentors' records. A mentor is in a funding stream for the "
    "window when the stream paid for them on at least one day of it.",
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
    "A present mentor was **late** when marked late, or when they arrived more than "
    "{grace} minutes after the start (the grace period); otherwise **on time**.",
    "**Credited minutes** for a present mentor are the minutes attended when recorded; "
    "otherwise the session's length less any minutes late; never more than the session's length.",
)

FIGURES: dict[str, str] = {
    "mentors_active": "Mentors active at some point in the window.",
    "expected_attendances": "Places at sessions where a mentor was expected.",
    "attendance_rate": "Of the places where a mentor was expected, the share where they came.",
    "no_show_rate": "Of the places where a mentor was expected, the share where they did not "
    "come and gave no notice.",
    "notice_rate": "Of the absences, the share that came with notice (apologies) rather than "
    "without (a no-show).",
    "punctuality_rate": "Of the times a mentor came, the share they were on time.",
    "mean_minutes_late": "The average minutes late, over late arrivals with a known time.",
    "median_minutes_late": "The middle value of minutes late, over late arrivals with a known "
    "time.",
    "beneficiary_meetings.expected": "Beneficiary meetings at which a mentor was expected.",
    "beneficiary_meetings.missed": "Beneficiary meetings a mentor missed, with or without notice.",
    "beneficiary_meetings.late": "Beneficiary meetings a mentor arrived late to.",
    "beneficiaries_reached": "Different beneficiaries met by at least one mentor who came.",
    "peer_support_hours": "Hours mentors spent at beneficiary meetings (credited minutes ÷ 60).",
    "staff_minutes_lost": "Time staff and outreach workers spent waiting for a late mentor, or "
    "on a session a mentor did not come to, at shadowing and beneficiary meetings: the known "
    "minutes late plus the full length of no-shows.",
    "shadowing.target_hours": "The hours of shadowing a member of staff each mentor completes.",
    "shadowing.mentors_complete": "Active mentors whose credited shadowing reached the target "
    "by the last day of the window.",
    "shadowing.mentors_in_progress": "Active mentors with some shadowing, not yet the target.",
    "shadowing.median_days_to_complete": "For mentors who completed: the middle number of days "
    "from starting the programme to the session at which they reached the target.",
    "stages.distribution": "Active mentors by the stage of their latest assessment up to the "
    "last day of the window; 'not assessed' if they have none.",
    "stages.mentors_progressed": "Active mentors with at least two assessments whose latest "
    "stage is above their first.",
    "stages.regressions": "Times a mentor's stage fell from one assessment to the next, where "
    "the later assessment is in the window. Moving back is part of the curve, not a failure.",
    "stages.mean_self_esteem_change": "The average change in self-esteem score (Rosenberg, "
    "0–30) from a mentor's first to latest scored assessment, over mentors with two or more.",
    "events.mentors_attending": "Active mentors who came to a group day or an event in the window.",
    "events.by_event": "The same, for each event (group days are counted together).",
    "milestones": "For each milestone, the active mentors who reached it in the window.",
    "at_risk": "Managers only: mentors flagged for support (see the flags below).",
    "funnel.started": "The journey: mentors whose start date is in the window.",
    "funnel.training_completed": "Of those, the mentors with a training_completed milestone by "
    "the last day of the window.",
    "funnel.shadowing_completed": "Of those, the mentors who had completed shadowing by the last "
    "day of the window.",
    "funnel.first_mentoring": "Of those, the mentors who came to a beneficiary meeting by the "
    "last day of the window.",
    "funnel.completed": "Of those, the mentors who had completed the programme by the last day.",
    "funnel.withdrawn": "Of those, the mentors who had withdrawn by the last day.",
    "funnel.in_programme": "Of those, the rest: still in the programme on the last day.",
    "funnel.by_cohort": "The same seven counts for each cohort.",
    "funnel.withdrawn_by_step": "The mentors who withdrew, by the furthest step they had reached.",
    "funnel.withdrawn_by_reason": "The mentors who withdrew, by their leaving reason "
    "('not recorded' when none was given).",
    "retention": "The share of the mentors who started still not withdrawn 4, 12, 26 and 52 "
    "weeks after starting (Kaplan–Meier: someone who completed or is still in the programme "
    "counts until then).",
    "targets": "What the programme agreed to achieve, with the whole programme or one funder: "
    "the figure from the period's start to the window's end, its run rate to the period's end, "
    "and whether it is met, on track, at risk or off track.",
}

FLAGS: dict[str, str] = {
    "low_attendance": "at least 3 expected sessions and came to fewer than 60%",
    "no_shows": "2 or more no-shows",
    "lateness": "3 or more late arrivals",
    "stage_regression": "their latest assessment is in the look-back and lower than the one before",
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
    "hidden and shown as '<{k}'. Where one part of a breakdown is hidden and the total is shown, "
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
