"""The funders' impact summary: plain sentences, changes on the previous period, chart data.

Everything here starts from the funder report (`build_report(..., "funder")`), so every number
has been through `analysis.privacy` before it is put into words. The monthly rates for the
charts are suppressed by the same function, month by month. Nothing here reads a mentor or
beneficiary code, a note or any other free text into its output: only counts, rates and the
names of the programme's events (which the funder report already carries).

A suppressed figure reads "fewer than k" in a sentence and "Not shown" with "fewer than k people"
on a card, the PDF and the CSV (never "<k" beside a unit, which reads as a value); no change is
given for it, and none against a suppressed previous figure, so neither can be worked back from
the other.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from analysis import (
    catalog,
    charts,
    conduct,
    conduct_charts,
    figures,
    financial_years,
    journey_charts,
    learning_log,
    metrics,
    privacy,
    query,
    targets,
)
from analysis.records import LOWER_IS_BETTER, MILESTONE_CODES
from analysis.report import build_report, funder_window
from analysis.settings import Settings

MILESTONE_LABELS: dict[str, str] = {
    "training_completed": "Completed training",
    "shadowing_completed": "Completed shadowing",
    "first_mentoring_session": "First mentoring session",
    "accredited_qualification": "Accredited qualification",
    "volunteering": "Started volunteering",
    "further_education": "Went into further education",
    "paid_employment": "Started paid work",
}
# How a milestone reads after "N mentors ..." in a sentence.
MILESTONE_PHRASES: dict[str, str] = {
    "training_completed": "completed their training",
    "shadowing_completed": "completed their shadowing",
    "first_mentoring_session": "held their first mentoring session",
    "accredited_qualification": "gained an accredited qualification",
    "volunteering": "started volunteering",
    "further_education": "went into further education",
    "paid_employment": "started paid work",
}
EVENT_TYPE_LABELS = {"group_day": "Group days", "event": "Other events"}

# Plain labels for the figures of the report, for the CSV and the method notes: the registry's.
FIGURE_LABELS: dict[str, str] = {
    f.key: f.funder_label for f in figures.FIGURES if f.funder_label and f.in_report
} | {"stages.distribution.not_assessed": "Mentors not yet assessed on the transition curve"}

DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        "Peer mentors taking part",
        "Mentors who had started by the end of the period and had not left before it began.",
    ),
    (
        "Beneficiaries supported",
        "Different people a mentor met in at least one beneficiary meeting that a mentor attended.",
    ),
    (
        "Hours of peer support",
        "Time mentors spent in meetings with beneficiaries: the minutes recorded, or the "
        "meeting's length less any lateness.",
    ),
    (
        "Attendance rate",
        "Sessions a mentor attended (on time or late) out of the sessions they were expected "
        "at. Sessions the programme cancelled are not counted.",
    ),
    (
        "Punctuality rate",
        "Of the sessions a mentor attended, the share where they arrived within the grace "
        "period of {grace} minutes (when no arrival time was recorded: not marked late).",
    ),
    (
        "Shadowing",
        "Each mentor shadows a member of staff for {target} hours before meeting "
        "beneficiaries. Completed means their recorded shadowing time reached {target} hours, "
        "or the programme recorded their shadowing as completed, by the end of the period "
        "(whichever came first).",
    ),
    (
        "Transition curve",
        "Staff assess each mentor's stage on the seven-stage transition curve (Adams, Hayes "
        "and Hopson). 'Moved forward' means a mentor's latest stage is above their first. "
        "People move back as well as forward; that is part of the process, not a failure.",
    ),
    (
        "Milestones",
        "Mentors who reached each milestone during the period.",
    ),
    (
        "Group days and events",
        "Mentors who attended at least one group day or event during the period, such as "
        "Adult Learners' Week or International Women's Day.",
    ),
)


@dataclass(frozen=True)
class Headline:
    """One headline figure: its value as read aloud and shown, and its change."""

    key: str  # dotted path in the report
    label: str  # tile label
    value: Any  # None when suppressed (or undefined)
    suppressed: bool
    shown: str  # on screen: "40", "86%", "Not shown", "–"
    spoken: str  # in a sentence: "40", "86%", "fewer than 5"
    previous_shown: str | None  # None when there is no previous period to compare with
    change: str | None  # "up 12 from 28 in the previous 12 months", or None
    delta: str | None  # for a metric tile: "+12", "-3 pts"; None when not given
    sentence: str


@dataclass(frozen=True)
class Freshness:
    earliest_session: dt.date | None
    latest_session: dt.date | None
    last_import: dt.datetime | None
    has_demo: bool


@dataclass(frozen=True)
class TargetRow:
    """One target of a funder's pack as the page, its CSV and the PDF show it: in the funder's
    own wording, each figure in words, a suppressed one as words and never a number."""

    index: int  # N of `targets.N` in the funder report (its suppressed paths)
    figure: str
    heading: str  # the funder's own wording, else the registry's funder label
    who: str  # the stream's name, or "whole programme"
    period: tuple[str, str]  # ISO dates
    period_text: str  # "1 April 2025 to 31 March 2026"
    hidden: bool  # actual and projection not shown (fewer than k people); status shown
    target: float
    actual: float | None
    projected: float | None
    status: str | None
    target_text: str  # "at least 85%", "at most 10%", "120"
    actual_text: str
    projected_text: str
    status_text: str  # "On track", "Met"
    sentence: str


@dataclass
class ImpactSummary:
    """What the impact page, the PDF pack and the CSV show: suppressed aggregates only."""

    organisation: str
    k: int
    window: tuple[dt.date, dt.date]
    previous_window: tuple[dt.date, dt.date]
    period: str  # "between April 2024 and March 2025"
    period_title: str  # "April 2024 to March 2025"
    previous_label: str  # "the previous 12 months"
    comparable: bool  # the records cover (part of) the previous period
    filters: dict[str, list[str]]
    report: dict[str, Any]  # the funder report
    previous_report: dict[str, Any]  # the funder report for the previous period
    lead: str
    headlines: list[Headline]
    milestone_sentence: str | None
    monthly: pd.DataFrame  # month, attendance_rate, punctuality_rate, *_suppressed
    stages: pd.DataFrame  # label, value, suppressed
    milestones: pd.DataFrame  # label, value, suppressed
    events: pd.DataFrame  # label, value, suppressed
    freshness: Freshness
    notes: list[tuple[str, str]] = field(default_factory=list)  # (heading, text)
    caveats: list[str] = field(default_factory=list)
    learned: list[Any] = field(default_factory=list)  # learning-log notes shared with funders
    targets: list[TargetRow] = field(default_factory=list)  # the pack's targets, suppressed
    skills_sentence: str | None = None  # the three skills by weeks in (METRICS.md, third release)
    skills_unrecorded: frozenset[str] = frozenset()  # its rates that are not recorded

    @property
    def suppressed(self) -> list[str]:
        return list(self.report["suppressed"])

    def headline(self, key: str) -> Headline:
        return next(h for h in self.headlines if h.key == key)


# -- words -------------------------------------------------------------------------------------


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _whole_months(window: tuple[dt.date, dt.date]) -> int | None:
    """The number of calendar months the window spans exactly, or None."""
    start, end = window
    if start.day != 1 or end.day != calendar.monthrange(end.year, end.month)[1]:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def period_words(window: tuple[dt.date, dt.date]) -> tuple[str, str]:
    """("between April 2024 and March 2025", "April 2024 to March 2025") for a window."""
    start, end = window
    if _whole_months(window):
        if (start.month, end.month) == (1, 12) and start.year == end.year:
            return f"in {start.year}", str(start.year)
        if (start.year, start.month) == (end.year, end.month):
            return f"in {start:%B %Y}", f"{start:%B %Y}"
        return f"between {start:%B %Y} and {end:%B %Y}", f"{start:%B %Y} to {end:%B %Y}"
    if start == end:
        return f"on {long_date(start)}", long_date(start)
    return (
        f"between {long_date(start)} and {long_date(end)}",
        f"{long_date(start)} to {long_date(end)}",
    )


def file_stem(summary: ImpactSummary) -> str:
    """A download's name without its extension: the funder's stream (or part of the programme)
    and the period, e.g. `impact-summary-lottery-reaching-communities-q3-2025-26`."""
    parts = [v for values in summary.filters.values() for v in values] or ["whole programme"]
    period = financial_years.funder_period(*summary.window)
    when = (
        period.name
        if period is not None
        else f"{summary.window[0]:%Y-%m-%d} to {summary.window[1]:%Y-%m-%d}"
    )
    words = unicodedata.normalize("NFKD", " ".join([*parts, when])).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", words.decode("ascii").lower()).strip("-")
    return f"impact-summary-{slug}"


def previous_funder_scope(scope: metrics.Scope, window: tuple[dt.date, dt.date]) -> metrics.Scope:
    """The comparison: the previous period of the same kind (the previous financial year, or
    quarter, complete) when the window is one of a funder's periods; otherwise the period of the
    same length just before it."""
    period = financial_years.funder_period(*window)
    if period is None:
        return metrics.previous_scope(scope, window)
    previous = period.previous()
    return dataclasses.replace(scope, date_from=previous.start, date_to=previous.end)


def previous_words(window: tuple[dt.date, dt.date]) -> str:
    """How the previous period reads in a change: 'the previous 12 months' or 'period'."""
    period = financial_years.funder_period(*window)
    if period is not None:
        previous = period.previous()
        kind = "financial year" if previous.quarter is None else "quarter"
        return f"the previous {kind} ({previous.name})"
    months = _whole_months(window)
    if months == 1:
        return "the previous month"
    if months:
        return f"the previous {months} months"
    return "the previous period"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _plural(n: Any, one: str, many: str) -> str:
    return one if n == 1 else many


def _count_text(value: Any) -> str:
    return f"{round(value):,}"


def _percent_text(value: Any) -> str:
    return f"{round(value * 100)}%"


FORMATS = {"count": _count_text, "hours": _count_text, "rate": _percent_text}


def figure_text(
    value: Any,
    suppressed: bool,
    kind: str,
    k: int,
    for_others: bool = False,
    not_recorded: bool = False,
) -> tuple[str, str]:
    """(on screen, in a sentence) for a figure: 'Not shown' / 'fewer than 5' when suppressed
    for its own few people (a card says why beneath it: `privacy.hidden_reason`), the words of
    `privacy.FOR_OTHERS_WORDS` when hidden for another's sake, 'not recorded' when its inputs
    are not recorded."""
    if not_recorded:
        return _capitalised(figures.NOT_RECORDED), figures.NOT_RECORDED
    if suppressed and for_others:
        return privacy.HIDDEN_SHORT, privacy.FOR_OTHERS_WORDS
    if suppressed:
        return privacy.HIDDEN_SHORT, f"fewer than {k}"
    if value is None:
        return "–", "no figure"
    text = FORMATS[kind](value)
    return text, text


def _rounded(value: Any, kind: str) -> int:
    return round(value * 100) if kind == "rate" else round(value)


def change_words(
    kind: str,
    current: Any,
    current_hidden: bool,
    previous: Any,
    previous_hidden: bool,
    previous_label: str,
    k: int,
) -> tuple[str | None, str | None]:
    """(words, tile delta) for a change; none when the current figure is suppressed or absent.

    Against a suppressed previous figure only the suppressed form is given, never a difference.
    The difference is taken between the rounded figures as shown, so it adds up on the page.
    """
    if current_hidden or current is None:
        return None, None
    if previous_hidden:
        return f"compared with fewer than {k} in {previous_label}", None
    if previous is None:
        return f"no figure for {previous_label}", None
    now, before = _rounded(current, kind), _rounded(previous, kind)
    before_text = FORMATS[kind](previous)
    diff = now - before
    unit = " percentage points" if kind == "rate" else ""
    if abs(diff) == 1 and kind == "rate":
        unit = " percentage point"
    short_unit = " pts" if kind == "rate" else ""
    if diff == 0:
        return f"unchanged from {before_text} in {previous_label}", f"0{short_unit}"
    direction = "up" if diff > 0 else "down"
    return (
        f"{direction} {abs(diff):,}{unit} from {before_text} in {previous_label}",
        f"{diff:+,}{short_unit}",
    )


# (key, tile label, kind, sentence template with {v} and {s} for the plural 's')
# What each headline figure says (the label and number format are the registry's).
HEADLINE_SENTENCES: dict[str, str] = {
    "mentors_active": "{v} peer mentor{s} took part in the programme",
    "beneficiaries_reached": "peer mentors supported {v} beneficiar{ies} in one-to-one meetings",
    "peer_support_hours": "mentors gave {v} hour{s} of peer support to beneficiaries",
    "attendance_rate": "mentors attended {v} of the sessions they were expected at",
    "punctuality_rate": "mentors arrived on time (within {grace} minutes) for {v} of the "
    "sessions they attended",
    "shadowing.mentors_complete": "by {to}, {v} mentor{s} had completed {target} hours of "
    "shadowing a member of staff",
    "stages.mentors_progressed": "{v} mentor{s} had moved forward on the transition curve since "
    "their first assessment",
    "events.mentors_attending": "{v} mentor{s} took part in group days and events",
}
HEADLINE_FIGURES: tuple[tuple[str, str, str, str], ...] = tuple(
    (key, figures.get(key).funder_label, figures.get(key).fmt, template)
    for key, template in HEADLINE_SENTENCES.items()
)


# What a sentence says instead when a rate or a number of hours is suppressed.
HIDDEN_SUBJECTS = {
    "peer_support_hours": "the number of hours of peer support",
    "attendance_rate": "the attendance rate",
    "punctuality_rate": "the punctuality rate",
}


def _get(report: dict[str, Any], path: str) -> Any:
    node: Any = report
    for part in privacy.path_parts(path):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _headline(
    key: str,
    label: str,
    kind: str,
    template: str,
    report: dict[str, Any],
    previous: dict[str, Any] | None,
    previous_label: str,
    settings: Settings,
) -> Headline:
    k = settings.suppression_k
    value = _get(report, key)
    hidden = key in report["suppressed"]
    for_others = privacy.is_for_others(report, key)
    unrecorded = key in report.get("not_recorded", ()) and value is None
    shown, spoken = figure_text(value, hidden, kind, k, for_others, unrecorded)
    previous_shown: str | None = None
    change: str | None = None
    delta: str | None = None
    if previous is not None:
        previous_value = _get(previous, key)
        previous_hidden = key in previous["suppressed"]
        previous_shown = figure_text(previous_value, previous_hidden, kind, k)[0]
        change, delta = change_words(
            kind, value, hidden, previous_value, previous_hidden, previous_label, k
        )
    target = settings.shadowing_target_hours
    one = not hidden and value is not None and round(value) == 1
    text = template.format(
        v=spoken,
        s="" if one else "s",
        ies="y" if one else "ies",
        grace=settings.grace_minutes,
        to=long_date(dt.date.fromisoformat(report["window"]["to"])),
        target=int(target) if float(target).is_integer() else target,
    )
    if unrecorded:
        text = not_recorded_sentence(key)
        change = None
    elif hidden and for_others:
        text = f"{HIDDEN_SUBJECTS.get(key, label.lower())} is {privacy.FOR_OTHERS_WORDS}"
    elif hidden and kind != "count":
        text = f"{HIDDEN_SUBJECTS[key]} is not shown, as it rests on fewer than {k} mentors"
    elif value is None and not hidden:
        text = f"there is no figure for {HIDDEN_SUBJECTS.get(key, label)}, as nothing was recorded"
    sentence = _capitalised(text) + (f", {change}" if change else "") + "."
    return Headline(
        key, label, value, hidden, shown, spoken, previous_shown, change, delta, sentence
    )


def not_recorded_sentence(key: str) -> str:
    """What a sentence on a not-recorded figure says instead: its input's words."""
    needs = figures.get(key).needs
    assert needs is not None, key
    return figures.INPUTS[needs].words


def _lead(period: str, headlines: dict[str, Headline]) -> str:
    mentors = headlines["mentors_active"]
    beneficiaries = headlines["beneficiaries_reached"]
    hours = headlines["peer_support_hours"]
    mentor_word = _plural(mentors.value, "peer mentor", "peer mentors")
    beneficiary_word = _plural(beneficiaries.value, "beneficiary", "beneficiaries")
    if hours.suppressed or hours.value is None:
        how = "through peer support"
    else:
        how = (
            f"through {hours.spoken} {_plural(round(hours.value), 'hour', 'hours')} of peer support"
        )
    if beneficiaries.spoken == figures.NOT_RECORDED:
        gave = (
            "gave peer support"
            if hours.suppressed or hours.value is None
            else f"gave {hours.spoken} {_plural(round(hours.value), 'hour', 'hours')} of peer "
            "support"
        )
        return (
            f"{_capitalised(period)}, {mentors.spoken} {mentor_word} {gave} "
            "(beneficiary codes are not recorded, so the number of beneficiaries cannot be "
            "shown)."
        )
    return (
        f"{_capitalised(period)}, {mentors.spoken} {mentor_word} supported "
        f"{beneficiaries.spoken} {beneficiary_word} {how}."
    )


def _milestone_sentence(report: dict[str, Any], k: int) -> str | None:
    parts = []
    for code in MILESTONE_CODES:
        path = f"milestones.{code}"
        hidden = path in report["suppressed"]
        value = report["milestones"].get(code)
        if not hidden and not value:
            continue
        spoken = (
            f"fewer than {k} mentors"
            if hidden
            else f"{value:,} {_plural(value, 'mentor', 'mentors')}"
        )
        parts.append(f"{spoken} {MILESTONE_PHRASES[code]}")
    if not parts:
        return None
    if len(parts) <= 2:
        listed = " and ".join(parts)
    else:
        listed = "; ".join(parts[:-1]) + "; and " + parts[-1]
    return f"Milestones reached in the period: {listed}."


# -- targets ------------------------------------------------------------------------------------


def target_heading(entry: dict[str, Any]) -> str:
    """A target's name for a funder: their own wording, else the registry's funder label (a
    milestone's with the milestone's name)."""
    if entry.get("wording"):
        return str(entry["wording"])
    figure = str(entry["figure"])
    if figure.startswith("milestones."):
        code = figure.split(".", 1)[1]
        return f"{figures.get(figure).funder_label}: {MILESTONE_LABELS.get(code, code)}"
    return figures.get(figure).funder_label


def target_rows(report: dict[str, Any], k: int) -> list[TargetRow]:
    """The targets a funder's pack shows (`targets.in_pack`: the programme-wide ones and those
    of the pack's stream), from the funder report, so each is already through suppression
    (`targets.for_report`): a hidden actual, projection and status read as words."""
    streams = (report.get("filters") or {}).get("funding_streams") or []
    hidden_paths = set(report.get("suppressed", []))
    rows = []
    window = (report["window"]["from"], report["window"]["to"])
    for n, entry in enumerate(report.get("targets", [])):
        if not targets.in_pack(entry, streams):
            continue
        if entry["period"]["from"] > window[1] or entry["period"]["to"] < window[0]:
            continue  # the pack lists the targets whose period overlaps its own
        figure = entry["figure"]
        hidden = f"targets.{n}.actual" in hidden_paths
        goal = targets.value_text(figure, entry["target"])
        goal = f"at most {goal}" if figure in LOWER_IS_BETTER else f"at least {goal}"
        heading = target_heading(entry)
        period = (entry["period"]["from"], entry["period"]["to"])
        words = privacy.hidden_words(k)
        if hidden:
            actual_text = projected_text = words
        elif entry["status"] == "not_started":
            actual_text = projected_text = "not started yet"
        elif entry["actual"] is None:
            actual_text = projected_text = "no records yet"
        else:
            actual_text = targets.value_text(figure, entry["actual"])
            projected_text = targets.value_text(figure, entry["projected"])
        rows.append(
            TargetRow(
                index=n,
                figure=figure,
                heading=heading,
                who=entry["funding_stream"] or "whole programme",
                period=period,
                period_text=" to ".join(long_date(dt.date.fromisoformat(day)) for day in period),
                hidden=hidden,
                target=float(entry["target"]),
                actual=None if hidden else entry["actual"],
                projected=None if hidden else entry["projected"],
                status=entry["status"],  # decided on the exact values: always shown
                target_text=goal,
                actual_text=actual_text,
                projected_text=projected_text,
                status_text=targets.STATUS_WORDS[entry["status"]],
                sentence=targets.entry_sentence(entry, k, heading),
            )
        )
    return rows


TARGET_COLUMNS = (
    "Target",
    "For",
    "Period",
    "Agreed",
    "So far",
    "At this rate by the end",
    "Status",
)


def targets_table(rows: list[TargetRow]) -> pd.DataFrame:
    """The pack's targets as the page's table: every cell words or a formatted figure."""
    return pd.DataFrame(
        [
            (
                t.heading,
                t.who,
                t.period_text,
                t.target_text,
                t.actual_text,
                t.projected_text,
                t.status_text
                if t.status is None
                else f"{targets.STATUS_SYMBOLS[t.status]} {t.status_text}",
            )
            for t in rows
        ],
        columns=list(TARGET_COLUMNS),
    )


# -- chart data --------------------------------------------------------------------------------

# Attendance and punctuality by month: the registry's two rates and what each rests on.
_MONTHLY_BODY = (
    query.breakdown_sql(
        "month",
        figures=("attendance_rate", "punctuality_rate"),
        tallies=("expected",),
        supports=("attendance_rate", "punctuality_rate"),
    )
    + "ORDER BY 1"
)


def _months(window: tuple[dt.date, dt.date]) -> list[dt.date]:
    month = window[0].replace(day=1)
    out = []
    while month <= window[1]:
        out.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def monthly_rates(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> pd.DataFrame:
    """Attendance and punctuality by month, each rate suppressed when it rests on < k mentors.

    Only the rates leave this function, never their numerators or denominators, so a hidden
    month cannot be worked back from the period's totals.
    """
    window = metrics.resolve_window(con, scope)
    p = metrics.params(scope, settings, window)
    # The scoped rows a dashboard run has already built, where there are some.
    sql = metrics.scope_sql(metrics.rows_table(con, p)) + _MONTHLY_BODY
    rows = con.execute(sql, metrics.bind(sql, p)).fetchall()
    found = {r[0]: r[1:] for r in rows}
    values: dict[str, Any] = {}
    support: dict[str, int] = {}
    months = _months(window)
    # Months before the first and after the last with anything expected are left out.
    recorded = [m for m in months if found.get(m, (0,))[0]]
    months = [m for m in months if recorded and recorded[0] <= m <= recorded[-1]]
    for month in months:
        _, attendance, punctuality, expected_people, present_people = found.get(
            month, (0, None, None, 0, 0)
        )
        key = month.isoformat()
        values[key] = {"attendance_rate": attendance, "punctuality_rate": punctuality}
        support[f"{key}.attendance_rate"] = expected_people
        support[f"{key}.punctuality_rate"] = present_people
    shown, hidden = privacy.suppress(values, support, settings)
    hidden_set = set(hidden)
    # Not recorded is not zero: no punctuality where no arrival time is recorded.
    unrecorded = metrics.unrecorded_inputs(con, scope, settings, window)
    if figures.get("punctuality_rate").needs in unrecorded:
        for rates in shown.values():
            rates["punctuality_rate"] = None
    rounding = figures.get("attendance_rate").funder_rounding  # rates: to a whole percent
    return pd.DataFrame(
        [
            {
                "month": dt.date.fromisoformat(key),
                "attendance_rate": figures.rounded(rounding, rates["attendance_rate"]),
                "attendance_suppressed": f"{key}.attendance_rate" in hidden_set,
                "punctuality_rate": figures.rounded(rounding, rates["punctuality_rate"]),
                "punctuality_suppressed": f"{key}.punctuality_rate" in hidden_set,
            }
            for key, rates in shown.items()
        ],
        columns=[
            "month",
            "attendance_rate",
            "attendance_suppressed",
            "punctuality_rate",
            "punctuality_suppressed",
        ],
    )


def _breakdown(report: dict[str, Any], rows: list[tuple[str, Any, str]]) -> pd.DataFrame:
    """(label, value, path) rows as a frame, with whether each is hidden and, if so, whether
    for another's sake (`privacy.is_for_others`), so tables word it truly."""
    hidden = set(report["suppressed"])
    return pd.DataFrame(
        [
            {
                "label": label,
                "value": None if path in hidden else value,
                "suppressed": path in hidden,
                "for_others": privacy.is_for_others(report, path),
            }
            for label, value, path in rows
        ],
        columns=["label", "value", "suppressed", "for_others"],
    )


def stage_rows(report: dict[str, Any], settings: Settings) -> pd.DataFrame:
    """Mentors by current stage on the transition curve, as suppressed in the report."""
    distribution = report["stages"]["distribution"]
    rows = [
        (settings.stage_label(stage), distribution[str(stage)], f"stages.distribution.{stage}")
        for stage in range(1, 8)
    ]
    rows.append(
        ("Not yet assessed", distribution["not_assessed"], "stages.distribution.not_assessed")
    )
    return _breakdown(report, rows)


def milestone_rows(report: dict[str, Any]) -> pd.DataFrame:
    """Mentors reaching each milestone in the period (0 where none did)."""
    return _breakdown(
        report,
        [
            (MILESTONE_LABELS[code], report["milestones"].get(code, 0), f"milestones.{code}")
            for code in MILESTONE_CODES
        ],
    )


def event_rows(report: dict[str, Any]) -> pd.DataFrame:
    """Mentors at each group day or event (by name), as suppressed in the report."""
    return _breakdown(
        report,
        [
            (EVENT_TYPE_LABELS.get(name, name), value, f"events.by_event.{name}")
            for name, value in report["events"]["by_event"].items()
        ],
    )


def _columns(frame: pd.DataFrame) -> tuple[list[str], list[float | None], list[bool]]:
    values = [None if pd.isna(v) else float(v) for v in frame["value"]]
    return list(frame["label"]), values, [bool(h) for h in frame["suppressed"]]


def _for_others(frame: pd.DataFrame) -> list[bool]:
    return [bool(o) for o in frame["for_others"]]


def key_charts(summary: ImpactSummary) -> dict[str, charts.Chart]:
    """The funder charts, by name, from the summary's suppressed aggregates."""
    monthly = summary.monthly
    rates = {
        column: [None if pd.isna(v) else float(v) for v in monthly[column]]
        for column in ("attendance_rate", "punctuality_rate")
    }
    out = {
        "monthly": charts.impact_monthly_rates(
            [m.isoformat() for m in monthly["month"]],
            rates["attendance_rate"],
            rates["punctuality_rate"],
            [
                bool(a or p)
                for a, p in zip(
                    monthly["attendance_suppressed"], monthly["punctuality_suppressed"], strict=True
                )
            ],
            summary.k,
        ),
        "stages": charts.impact_stage_distribution(
            *_columns(summary.stages), summary.k, _for_others(summary.stages)
        ),
        "milestones": charts.impact_milestones(
            *_columns(summary.milestones), summary.k, _for_others(summary.milestones)
        ),
    }
    if len(summary.events):
        out["events"] = charts.impact_events(
            *_columns(summary.events), summary.k, _for_others(summary.events)
        )
    if summary.report.get("funnel", {}).get("started") != 0:
        out["journey"] = journey_charts.funder_funnel(summary.report, summary.k)
    if "skills_curve" in summary.report:
        out["skills"] = conduct_charts.skills_curve(
            summary.report["skills_curve"], summary.suppressed, summary.k, summary.skills_unrecorded
        )
    return out


# -- freshness and notes -----------------------------------------------------------------------


def freshness(con: duckdb.DuckDBPyConnection) -> Freshness:
    """The span of the session records, the last import, and whether demo records are present
    (`catalog.freshness`: the one rule the Overview and the frame read too)."""
    found = catalog.freshness(con)
    return Freshness(
        found["earliest_session"], found["latest_session"], found["last_import"], found["has_demo"]
    )


# A period ending more than this long after the latest session gets a caveat.
STALE_DAYS = 31


def _filter_words(filters: dict[str, list[str] | None]) -> dict[str, list[str]]:
    names = {
        "cohort": "Cohort",
        "gender": "Gender",
        "outreach_worker": "Outreach worker",
        "region": "Region",
        "funding_streams": "Funding stream",
    }
    return {names[key]: list(values) for key, values in filters.items() if values}


def _notes(summary_parts: dict[str, Any], settings: Settings) -> list[tuple[str, str]]:
    k = settings.suppression_k
    target = settings.shadowing_target_hours
    target_text = str(int(target)) if float(target).is_integer() else str(target)
    notes = [
        (name, text.format(grace=settings.grace_minutes, target=target_text))
        for name, text in DEFINITIONS
    ]
    previous: tuple[dt.date, dt.date] = summary_parts["previous_window"]
    if summary_parts["comparable"]:
        changes = (
            f"Each change compares the period with {summary_parts['previous_label']}: "
            f"{long_date(previous[0])} to {long_date(previous[1])}. Percentages are "
            "rounded to whole numbers and changes in them are given in percentage points."
        )
    else:
        changes = (
            f"No changes are given: the records do not reach back into "
            f"{summary_parts['previous_label']} ({long_date(previous[0])} to "
            f"{long_date(previous[1])})."
        )
    notes.append(("Changes", changes))
    notes.append(
        (
            "Small numbers",
            f"To protect the people in the programme, any figure that rests on fewer than {k} "
            f"people is not shown: it reads '{privacy.hidden_words(k)}', and on a chart its bar "
            f"is marked '<{k}' (the chart's caption says so). Where hiding one "
            "part of a breakdown would let it be worked out from the total, the next smallest "
            f"part is hidden too: it reads '{privacy.FOR_OTHERS_WORDS}'. "
            f"{privacy.ROUNDING_NOTE}, and hours too; rates to a whole percent, averages to one "
            "decimal. A month of the attendance chart resting on fewer than "
            f"{k} mentors is left out. For a rate or a number of hours it is the number of "
            "mentors behind it that counts. No change is given where either figure is hidden. This "
            "summary contains no names, codes or notes about any person.",
        )
    )
    fresh: Freshness = summary_parts["freshness"]
    data_parts = []
    if fresh.latest_session:
        data_parts.append(f"The latest session on record is on {long_date(fresh.latest_session)}.")
    if fresh.last_import:
        data_parts.append(
            f"Records were last imported on {long_date(fresh.last_import.date())} at "
            f"{fresh.last_import:%H:%M}."
        )
    data_parts.append(
        "Figures count the records staff entered; a session with no attendance register is not "
        "counted."
    )
    notes.append(("About the data", " ".join(data_parts)))
    return notes


def _caveats(
    window: tuple[dt.date, dt.date],
    previous_window: tuple[dt.date, dt.date],
    fresh: Freshness,
    filters: dict[str, list[str]],
) -> list[str]:
    out = []
    if fresh.has_demo:
        out.append("These figures come from demo data: a made-up programme, not real people.")
    if fresh.earliest_session is None:
        out.append("No sessions have been recorded yet.")
    elif previous_window[1] < fresh.earliest_session:
        out.append(
            f"Records begin on {long_date(fresh.earliest_session)}, so there is no earlier "
            "period to compare with."
        )
    elif previous_window[0] < fresh.earliest_session:
        out.append(
            f"Records begin on {long_date(fresh.earliest_session)}, so the previous period "
            "used for the changes is only partly covered by them."
        )
    if fresh.latest_session and (window[1] - fresh.latest_session).days > STALE_DAYS:
        out.append(
            f"The latest session on record is on {long_date(fresh.latest_session)}, before the "
            "end of the period."
        )
    if filters:
        chosen = "; ".join(f"{name}: {', '.join(values)}" for name, values in filters.items())
        out.append(f"These figures cover only part of the programme ({chosen}).")
    return out


# -- the summary -------------------------------------------------------------------------------


def summary(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> ImpactSummary:
    """The impact summary for the scope: funder figures only, every one through suppression."""
    window = funder_window(con, scope)
    scope = metrics.with_window(scope, window)
    previous_scope = previous_funder_scope(scope, window)
    assert previous_scope.date_from is not None and previous_scope.date_to is not None
    previous_window = (previous_scope.date_from, previous_scope.date_to)
    report = build_report(con, scope, settings, "funder")
    previous_report = build_report(con, previous_scope, settings, "funder", with_targets=False)
    fresh = freshness(con)
    comparable = fresh.earliest_session is not None and previous_window[1] >= (
        fresh.earliest_session
    )
    period, period_title = period_words(window)
    previous_label = previous_words(window)
    headlines = [
        _headline(
            key,
            label,
            kind,
            template,
            report,
            previous_report if comparable else None,
            previous_label,
            settings,
        )
        for key, label, kind, template in HEADLINE_FIGURES
    ]
    filters = _filter_words(scope.filters())
    parts = {
        "previous_window": previous_window,
        "previous_label": previous_label,
        "freshness": fresh,
        "comparable": comparable,
    }
    unrecorded = conduct.unrecorded_skills(con, report.get("not_recorded", []))
    return ImpactSummary(
        organisation=settings.organisation_name,
        k=settings.suppression_k,
        window=window,
        previous_window=previous_window,
        period=period,
        period_title=period_title,
        previous_label=previous_label,
        comparable=comparable,
        filters=filters,
        report=report,
        previous_report=previous_report,
        lead=_lead(period, {h.key: h for h in headlines}),
        headlines=headlines,
        milestone_sentence=_milestone_sentence(report, settings.suppression_k),
        monthly=monthly_rates(con, scope, settings),
        stages=stage_rows(report, settings),
        milestones=milestone_rows(report),
        events=event_rows(report),
        freshness=fresh,
        notes=_notes(parts, settings),
        caveats=_caveats(window, previous_window, fresh, filters),
        learned=learning_log.notes(con, window[0], window[1], shared_only=True),
        targets=target_rows(report, settings.suppression_k),
        skills_sentence=conduct.curve_sentence(report["skills_curve"], unrecorded),
        skills_unrecorded=frozenset(unrecorded),
    )
