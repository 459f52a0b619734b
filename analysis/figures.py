"""The figure registry: every figure of METRICS.md once, with everything any reader needs.

A figure has its key (the dotted path in the report), its labels for managers and funders, its
number format, which direction is better, its kind (what suppression and targets make of it), a
one-line and a full definition, what it rests on for funder suppression, and, for the figures
over the attendance rows, its measure: additive tallies over the scoped rows (a rate as a
numerator and a denominator), which `analysis.query` composes with any dimension.

Cards (`views.headline_figures`), the impact summary, the CSV and PDF, How we count,
docs/METRICS.md (`python -m analysis figures-doc` writes its tables), the report JSON and the
funder suppression read this module. Another module adds a figure with one `Figure(...)` entry
in `FIGURES` (or `register(...)` from its own module), and the tests check it is labelled,
documented and suppressed as its kind says.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# --- what the scoped attendance rows add up --------------------------------------------------

# Sessions where a member of staff or an outreach worker waits for the mentor.
STAFFED = "session_type IN ('shadowing', 'beneficiary_meeting')"
BENEFICIARY = "session_type = 'beneficiary_meeting'"
EVENTS = "session_type IN ('group_day', 'event')"


@dataclass(frozen=True)
class Tally:
    """An additive quantity over scoped attendance rows: the rows where `where` holds, counted,
    or `value` summed over them. The mentors of those rows are what a figure made of it rests
    on."""

    name: str
    where: str
    value: str | None = None

    def count_sql(self) -> str:
        return f"count(*) FILTER (WHERE {self.where})"

    def sum_sql(self) -> str:
        if self.value is None:
            return self.count_sql()
        return f"coalesce(sum({self.value}) FILTER (WHERE {self.where}), 0)"

    def mentors_sql(self) -> str:
        return f"count(DISTINCT mentor_id) FILTER (WHERE {self.where})"


TALLIES: dict[str, Tally] = {
    t.name: t
    for t in (
        Tally("expected", "expected"),
        Tally("present", "present"),
        Tally("on_time", "present AND NOT late"),
        Tally("late", "late"),
        Tally("late_known", "late AND minutes_late IS NOT NULL"),
        Tally("no_show", "attendance = 'no_show'"),
        Tally("notified", "attendance = 'notified_absence'"),
        Tally("absent", "attendance IN ('no_show', 'notified_absence')"),
        Tally("beneficiary_expected", f"{BENEFICIARY} AND expected"),
        Tally(
            "beneficiary_missed", f"{BENEFICIARY} AND attendance IN ('no_show', 'notified_absence')"
        ),
        Tally("beneficiary_late", f"{BENEFICIARY} AND late"),
        Tally("beneficiary_present", f"{BENEFICIARY} AND present"),
        Tally("beneficiary_credited", f"{BENEFICIARY} AND present", "credited_minutes"),
        Tally("lost_late", f"{STAFFED} AND late AND minutes_late IS NOT NULL", "minutes_late"),
        Tally("lost_no_show", f"{STAFFED} AND attendance = 'no_show'", "duration_minutes"),
        Tally("event_present", f"{EVENTS} AND present"),
        Tally("staffed", STAFFED),
        Tally("beneficiary", BENEFICIARY),
    )
}


@dataclass(frozen=True)
class Ratio:
    """Σ numerator tallies / Σ denominator tallies; null when the denominator is 0. Rests on
    the mentors of the denominator's rows."""

    numerator: tuple[str, ...]
    denominator: tuple[str, ...]

    @property
    def tallies(self) -> tuple[str, ...]:
        return (*self.numerator, *self.denominator)

    @property
    def support(self) -> tuple[str, ...]:
        return self.denominator


@dataclass(frozen=True)
class Total:
    """Σ tallies × scale. Rests on the mentors of the rows summed."""

    parts: tuple[str, ...]
    scale: float = 1.0
    floating: bool = False  # a float in the report (hours, minutes) rather than an integer

    @property
    def tallies(self) -> tuple[str, ...]:
        return self.parts

    @property
    def support(self) -> tuple[str, ...]:
        return self.parts


@dataclass(frozen=True)
class Statistic:
    """An aggregate (`median`, `avg`) of `value` over the rows of a tally. Rests on their
    mentors."""

    aggregate: str
    value: str
    over: str

    @property
    def tallies(self) -> tuple[str, ...]:
        return (self.over,)

    @property
    def support(self) -> tuple[str, ...]:
        return (self.over,)


@dataclass(frozen=True)
class Mentors:
    """The distinct mentors of a tally's rows: a count of people, resting on itself."""

    over: str

    @property
    def tallies(self) -> tuple[str, ...]:
        return (self.over,)

    @property
    def support(self) -> tuple[str, ...]:
        return (self.over,)


@dataclass(frozen=True)
class Distinct:
    """The distinct values of a column over a tally's rows (people other than mentors)."""

    column: str
    over: str

    @property
    def tallies(self) -> tuple[str, ...]:
        return (self.over,)

    @property
    def support(self) -> tuple[str, ...]:
        return (self.over,)


RowMeasure = Ratio | Total | Statistic | Mentors | Distinct


# --- the figures ----------------------------------------------------------------------------

# What a figure is, for suppression and targets.
KINDS = {
    "people": "a count of people: rests on that many people",
    "count": "a count of records (sessions, meetings, steps): rests on their mentors",
    "rate": "a share between 0 and 1: rests on the mentors of its denominator's rows",
    "hours": "a sum of hours: rests on the mentors of the rows summed",
    "minutes": "a sum of minutes: rests on the mentors of the rows summed",
    "median": "a median: rests on the mentors of the rows it is taken over",
    "mean": "a mean: rests on the mentors of the rows it is taken over",
    "distribution": "people in each category: each category rests on its own count",
    "setting": "a setting, not a figure of the records: never suppressed",
    "list": "managers only: a list of mentors, never shown to funders",
    "targets": "what was agreed for other figures: each entry is hidden as its figure would be",
    "per100": "a rate per 100 attendances: rests on the mentors of its attendances and of the "
    "rows counted",
    "curve": "a list of points, one per bucket of weeks in the programme: each value is hidden "
    "as its own rows say",
}
# How each kind is shown to a funder (METRICS.md, "Funders: one family of periods, counts
# rounded to 5"): counts and sums to the nearest 5, rates to a whole percent, means and medians
# to one decimal; settings, lists and targets' own numbers as they are.
FUNDER_ROUNDING: dict[str, str | None] = {
    "people": "nearest_5",
    "count": "nearest_5",
    "hours": "nearest_5",
    "minutes": "nearest_5",
    "distribution": "nearest_5",
    "rate": "whole_percent",
    # a rate per 100 attendances is a percent: to a whole number, as a rate to a whole percent
    "per100": "whole_number",
    "median": "one_decimal",
    "mean": "one_decimal",
    "setting": None,
    "list": None,
    "targets": None,
    # a list of points: each point's values as CURVE_ROUNDING says
    "curve": None,
}
# How each value of a point of `skills_curve` is shown to a funder (its `bucket` as it is).
CURVE_ROUNDING: dict[str, str] = {
    "present": "nearest_5",
    "late_rate": "whole_percent",
    "no_show_rate": "whole_percent",
    "concern_rate": "whole_number",
}
# A value within this of a half counts as a half (23/40 = 0.575 shows as 0.58).
HALF_TOLERANCE = 1e-9


def _half_up(x: float) -> int:
    return math.floor(x + 0.5 + HALF_TOLERANCE)


def rounded(rounding: str | None, value: Any) -> Any:
    """`value` as a funder sees it under `rounding` (one of FUNDER_ROUNDING's), halves up."""
    if value is None or rounding is None or isinstance(value, bool):
        return value
    if rounding == "nearest_5":
        return 5 * _half_up(value / 5)
    if rounding == "whole_percent":
        return _half_up(value * 100) / 100
    if rounding == "one_decimal":
        return _half_up(value * 10) / 10
    if rounding == "whole_number":
        return float(_half_up(value))
    raise ValueError(f"unknown rounding {rounding!r}")


@dataclass(frozen=True)
class Input:
    """Something a programme may not record at all (a Salesforce PMM export has no arrival
    times). It is not recorded when rows in scope that would carry it exist (`rows`) and none
    of them does (`recorded`); a figure that `needs` it is then "not recorded", never 0."""

    name: str
    rows: str  # SQL over the scoped rows
    recorded: str  # SQL over the scoped rows
    words: str  # a sentence: what is not recorded and what cannot be shown


INPUTS: dict[str, Input] = {
    i.name: i
    for i in (
        Input(
            "arrival_times",
            "present",
            "present AND (minutes_late IS NOT NULL OR attendance = 'late')",
            "Arrival times are not recorded, so punctuality cannot be shown",
        ),
        Input(
            "beneficiary_ids",
            f"{BENEFICIARY} AND present",
            f"{BENEFICIARY} AND present AND beneficiary_id IS NOT NULL",
            "Beneficiary codes are not recorded, so the number of beneficiaries cannot be shown",
        ),
    )
}
NOT_RECORDED = "not recorded"

# Kinds that are not one value or one breakdown, and so have their own table in exports.
OWN_TABLE = ("list", "targets")
# Number formats of the cards (`charts.format_figure`).
FORMATS = ("count", "rate", "hours", "minutes", "staff_minutes", "days", "points", "per100")
BETTER = ("higher", "lower", "neither")
TARGET_KINDS = ("flow", "stock", "rate", "per100")


@dataclass(frozen=True)
class Figure:
    key: str  # the dotted path in the report
    label: str  # managers' cards and tables
    funder_label: str  # the impact summary, its CSV and PDF
    kind: str  # one of KINDS
    fmt: str  # one of FORMATS
    better: str  # one of BETTER
    section: str  # the heading it is listed under in How we count and docs/METRICS.md
    summary: str  # in plain words, one line
    definition: str  # exactly
    rests_on: str  # what funder suppression counts, in words
    measure: RowMeasure | None = None  # over the scoped attendance rows
    target: str | None = None  # flow, stock or rate when a target can be set on it
    audiences: tuple[str, ...] = ("manager", "funder")
    in_report: bool = True  # a figure of `python -m analysis report`
    needs: str | None = None  # an input of INPUTS the programme may not record
    kept_unrecorded: bool = False  # keeps its value (in part) when `needs` is not recorded

    @property
    def funder_rounding(self) -> str | None:
        """How a funder sees it: FUNDER_ROUNDING of its kind."""
        return FUNDER_ROUNDING[self.kind]

    @property
    def group(self) -> str:
        """The report object it sits in (`shadowing`), or the key of a top-level figure."""
        return self.key.partition(".")[0]


SECTIONS = (
    "People and attendance",
    "Beneficiary meetings and staff time",
    "Shadowing",
    "Stages of the transition curve and self-esteem",
    "Group days, events and milestones",
    "People who may need support",
    "The journey: how far people get, and how long they stay",
    "Behaviour: the third learned skill",
    "Targets: what was agreed, and whether it is on track",
)

ON_ITSELF = "itself: the number of people it counts"


def _rows_of(what: str) -> str:
    return f"the mentors of {what}"


FIGURES: tuple[Figure, ...] = (
    # --- people
    Figure(
        "mentors_active",
        "Active mentors",
        "Peer mentors taking part",
        "people",
        "count",
        "neither",
        "People and attendance",
        "Mentors active at some point in the window.",
        "the number of active mentors",
        ON_ITSELF,
        target="stock",
    ),
    Figure(
        "mentors_started",
        "Mentors who started",
        "Peer mentors who started",
        "people",
        "count",
        "higher",
        "People and attendance",
        "Active mentors who started the programme in the window.",
        "active mentors whose `start_date` is in the window",
        ON_ITSELF,
        target="flow",
    ),
    Figure(
        "mentors_completed",
        "Mentors who completed",
        "Peer mentors who completed the programme",
        "people",
        "count",
        "higher",
        "People and attendance",
        "Active mentors who completed the programme in the window.",
        "active mentors with status `completed` and an `end_date` in the window",
        ON_ITSELF,
        target="flow",
    ),
    Figure(
        "mentors_withdrawn",
        "Mentors who withdrew",
        "Peer mentors who withdrew",
        "people",
        "count",
        "lower",
        "People and attendance",
        "Active mentors who withdrew from the programme in the window.",
        "active mentors with status `withdrawn` and an `end_date` in the window",
        ON_ITSELF,
    ),
    # --- attendance
    Figure(
        "expected_attendances",
        "Expected attendances",
        "Sessions mentors were expected at",
        "count",
        "count",
        "neither",
        "People and attendance",
        "Places at sessions where a mentor was expected.",
        "the number of expected records",
        _rows_of("the expected records"),
        Total(("expected",)),
    ),
    Figure(
        "attendance_rate",
        "Attendance",
        "Attendance rate",
        "rate",
        "rate",
        "higher",
        "People and attendance",
        "Of the places where a mentor was expected, the share where they came.",
        "present ÷ expected",
        _rows_of("the expected records (the denominator)"),
        Ratio(("present",), ("expected",)),
        target="rate",
    ),
    Figure(
        "no_show_rate",
        "No-shows",
        "Rate of absence without notice",
        "rate",
        "rate",
        "lower",
        "People and attendance",
        "Of the places where a mentor was expected, the share where they did not come and gave "
        "no notice.",
        "`no_show` records ÷ expected",
        _rows_of("the expected records (the denominator)"),
        Ratio(("no_show",), ("expected",)),
        target="rate",
    ),
    Figure(
        "notice_rate",
        "Absences with notice",
        "Share of absences with notice",
        "rate",
        "rate",
        "higher",
        "People and attendance",
        "Of the absences, the share that came with notice (apologies) rather than without (a "
        "no-show).",
        "`notified_absence` ÷ (`notified_absence` + `no_show`)",
        _rows_of("the absences (the denominator)"),
        Ratio(("notified",), ("notified", "no_show")),
        target="rate",
    ),
    Figure(
        "punctuality_rate",
        "On time",
        "Punctuality rate",
        "rate",
        "rate",
        "higher",
        "People and attendance",
        "Of the times a mentor came, the share they were on time.",
        "on time ÷ present",
        _rows_of("the present records (the denominator)"),
        Ratio(("on_time",), ("present",)),
        target="rate",
        needs="arrival_times",
    ),
    Figure(
        "mean_minutes_late",
        "Mean minutes late",
        "Mean minutes late, when late",
        "mean",
        "minutes",
        "lower",
        "People and attendance",
        "The average minutes late, over late arrivals with a known time.",
        "the mean of the minutes late of late records whose minutes late are known",
        _rows_of("the late records with a known time"),
        Statistic("avg", "minutes_late", "late_known"),
        needs="arrival_times",
    ),
    Figure(
        "median_minutes_late",
        "Median minutes late",
        "Median minutes late, when late",
        "median",
        "minutes",
        "lower",
        "People and attendance",
        "The middle value of minutes late, over late arrivals with a known time.",
        "the median over the same records",
        _rows_of("the late records with a known time"),
        Statistic("median", "minutes_late", "late_known"),
        needs="arrival_times",
    ),
    # --- beneficiary meetings and staff time
    Figure(
        "beneficiary_meetings.expected",
        "Beneficiary meetings expected",
        "Meetings with beneficiaries planned",
        "count",
        "count",
        "neither",
        "Beneficiary meetings and staff time",
        "Beneficiary meetings at which a mentor was expected.",
        "expected records at `beneficiary_meeting` sessions",
        _rows_of("those records"),
        Total(("beneficiary_expected",)),
    ),
    Figure(
        "beneficiary_meetings.missed",
        "Beneficiary meetings missed",
        "Meetings with beneficiaries missed",
        "count",
        "count",
        "lower",
        "Beneficiary meetings and staff time",
        "Beneficiary meetings a mentor missed, with or without notice.",
        "`notified_absence` + `no_show` records at `beneficiary_meeting` sessions",
        _rows_of("those records"),
        Total(("beneficiary_missed",)),
    ),
    Figure(
        "beneficiary_meetings.late",
        "Beneficiary meetings late",
        "Meetings with beneficiaries the mentor was late for",
        "count",
        "count",
        "lower",
        "Beneficiary meetings and staff time",
        "Beneficiary meetings a mentor arrived late to.",
        "late records at `beneficiary_meeting` sessions",
        _rows_of("those records"),
        Total(("beneficiary_late",)),
        needs="arrival_times",
    ),
    Figure(
        "beneficiaries_reached",
        "Beneficiaries reached",
        "Beneficiaries supported",
        "people",
        "count",
        "higher",
        "Beneficiary meetings and staff time",
        "Different beneficiaries met by at least one mentor who came.",
        "the number of different `beneficiary_id` codes of beneficiary meetings in the window at "
        "which at least one mentor was present",
        ON_ITSELF,
        Distinct("beneficiary_id", "beneficiary_present"),
        target="flow",
        needs="beneficiary_ids",
    ),
    Figure(
        "peer_support_hours",
        "Peer support hours",
        "Hours of peer support",
        "hours",
        "hours",
        "higher",
        "Beneficiary meetings and staff time",
        "Hours mentors spent at beneficiary meetings (credited minutes ÷ 60).",
        "the credited minutes of present records at beneficiary meetings, added up, ÷ 60",
        _rows_of("the present records at beneficiary meetings"),
        Total(("beneficiary_credited",), scale=1 / 60, floating=True),
        target="flow",
    ),
    Figure(
        "staff_minutes_lost",
        "Staff time lost",
        "Staff minutes lost to lateness and no-shows",
        "minutes",
        "staff_minutes",
        "lower",
        "Beneficiary meetings and staff time",
        "Time staff and outreach workers spent waiting for a late mentor, or on a session a "
        "mentor did not come to, at shadowing and beneficiary meetings: the known minutes late "
        "plus the full length of no-shows.",
        "over `shadowing` and `beneficiary_meeting` sessions: the minutes late of late records "
        "(where known), plus the full length of the session for each `no_show` record",
        _rows_of("the late records with a known time and the no-shows summed"),
        Total(("lost_late", "lost_no_show"), floating=True),
        needs="arrival_times",
        kept_unrecorded=True,
    ),
    # --- shadowing
    Figure(
        "shadowing.target_hours",
        "Shadowing target",
        "Shadowing target (hours)",
        "setting",
        "hours",
        "neither",
        "Shadowing",
        "The hours of shadowing a member of staff each mentor completes.",
        "the `shadowing_target_hours` setting",
        "nothing: a setting",
    ),
    Figure(
        "shadowing.mentors_complete",
        "Shadowing complete",
        "Mentors who completed shadowing",
        "people",
        "count",
        "higher",
        "Shadowing",
        "Active mentors who had completed shadowing by the last day of the window: their "
        "credited shadowing reached the target, or a completion was recorded.",
        "active mentors whose shadowing completion date is on or before the last day",
        ON_ITSELF,
    ),
    Figure(
        "shadowing.mentors_in_progress",
        "Shadowing in progress",
        "Mentors part-way through shadowing",
        "people",
        "count",
        "neither",
        "Shadowing",
        "Active mentors with some shadowing, not yet complete.",
        "active mentors not complete with more than 0 credited shadowing minutes up to the last "
        "day",
        ON_ITSELF,
    ),
    Figure(
        "shadowing.median_days_to_complete",
        "Median days to complete",
        "Median days to complete shadowing",
        "median",
        "days",
        "lower",
        "Shadowing",
        "For mentors who completed: the middle number of days from starting the programme to "
        "their shadowing completion date.",
        "over mentors complete, the median of the days from their `start_date` to their "
        "shadowing completion date",
        "the mentors complete",
    ),
    Figure(
        "shadowing.completed_in_window",
        "Completed shadowing in the window",
        "Mentors who completed shadowing in the period",
        "people",
        "count",
        "higher",
        "Shadowing",
        "Active mentors who completed shadowing in the window.",
        "active mentors whose shadowing completion date is in the window; the same number as "
        "`milestones.shadowing_completed`",
        ON_ITSELF,
        target="flow",
    ),
    # --- stages
    Figure(
        "stages.distribution",
        "Mentors by stage",
        "Mentors at each stage of the transition curve",
        "distribution",
        "count",
        "neither",
        "Stages of the transition curve and self-esteem",
        "Active mentors by the stage of their latest assessment up to the last day of the "
        "window; 'not assessed' if they have none.",
        'for each stage `"1"` to `"7"`, the active mentors whose latest assessment on or before '
        'the last day is at that stage; and `"not_assessed"`, the active mentors with no '
        "assessment by then",
        "each stage: its own count (with secondary suppression, as the total is shown)",
    ),
    Figure(
        "stages.mentors_progressed",
        "Moved up the curve",
        "Mentors who moved forward on the transition curve",
        "people",
        "count",
        "higher",
        "Stages of the transition curve and self-esteem",
        "Active mentors with at least two assessments whose latest stage is above their first.",
        "active mentors with at least 2 assessments up to the last day whose latest stage is "
        "higher than their first",
        ON_ITSELF,
        target="stock",
    ),
    Figure(
        "stages.regressions",
        "Steps back on the curve",
        "Moves back on the transition curve",
        "count",
        "count",
        "lower",
        "Stages of the transition curve and self-esteem",
        "Times a mentor's stage fell from one assessment to the next, where the later "
        "assessment is in the window. Moving back is part of the curve, not a failure.",
        "pairs of one active mentor's assessments, next to each other in date order (up to the "
        "last day), where the stage falls and the later one is dated in the window",
        "the mentors who stepped back",
    ),
    Figure(
        "stages.mean_self_esteem_change",
        "Self-esteem change",
        "Mean change in self-esteem score",
        "mean",
        "points",
        "higher",
        "Stages of the transition curve and self-esteem",
        "The average change in self-esteem score (Rosenberg, 0–30) from a mentor's first to "
        "latest scored assessment, over mentors with two or more.",
        "the mean of (latest − first `self_esteem`) over active mentors with at least 2 "
        "assessments that have a score, up to the last day",
        "the mentors with two or more scored assessments",
    ),
    # --- events and milestones
    Figure(
        "events.mentors_attending",
        "At group days and events",
        "Mentors at group days and events",
        "people",
        "count",
        "higher",
        "Group days, events and milestones",
        "Active mentors who came to a group day or an event in the window.",
        "the number of different active mentors present at a `group_day` or `event` session in "
        "the window",
        ON_ITSELF,
        Mentors("event_present"),
        target="flow",
    ),
    Figure(
        "events.by_event",
        "Mentors at each event",
        "Mentors at each event",
        "distribution",
        "count",
        "higher",
        "Group days, events and milestones",
        "The same, for each event (group days are counted together).",
        "for each `event_name` (the session type where it is missing), the different active "
        "mentors present",
        "each event: its own count",
    ),
    Figure(
        "milestones",
        "Milestones reached",
        "Milestones reached",
        "distribution",
        "count",
        "higher",
        "Group days, events and milestones",
        "For each milestone, the active mentors who reached it in the window (completed "
        "shadowing: whose shadowing completion date is in the window).",
        "for each milestone code, the number of different active mentors with that milestone "
        "dated in the window; for `shadowing_completed`, the active mentors whose shadowing "
        "completion date is in the window",
        "each milestone: its own count",
        target="flow",
    ),
    # --- the journey (analysis.journey)
    Figure(
        "funnel.started",
        "Started (journey)",
        "Mentors who started (journey)",
        "people",
        "count",
        "higher",
        "The journey: how far people get, and how long they stay",
        "The journey: mentors whose start date is in the window.",
        "active mentors whose `start_date` is in the window (the same as `mentors_started`)",
        "itself: the number of people it counts",
    ),
    Figure(
        "funnel.training_completed",
        "Of those, training completed",
        "Of those, mentors who completed training",
        "people",
        "count",
        "higher",
        "The journey: how far people get, and how long they stay",
        "Of those, the mentors with a training_completed milestone by the last day of the window.",
        "a `training_completed` milestone on or before the last day",
        "itself: the number of people it counts",
    ),
    Figure(
        "funnel.shadowing_completed",
        "Of those, shadowing completed",
        "Of those, mentors who completed shadowing",
        "people",
        "count",
        "higher",
        "The journey: how far people get, and how long they stay",
        "Of those, the mentors who had completed shadowing by the last day of the window.",
        "their shadowing completion date is on or before the last day",
        "itself: the number of people it counts",
    ),
    Figure(
        "funnel.first_mentoring",
        "Of those, first mentoring",
        "Of those, mentors who met a beneficiary",
        "people",
        "count",
        "higher",
        "The journey: how far people get, and how long they stay",
        "Of those, the mentors who came to a beneficiary meeting by the last day of the window.",
        "present at a `beneficiary_meeting` on or before the last day",
        "itself: the number of people it counts",
    ),
    Figure(
        "funnel.completed",
        "Of those, completed",
        "Of those, mentors who completed the programme",
        "people",
        "count",
        "higher",
        "The journey: how far people get, and how long they stay",
        "Of those, the mentors who had completed the programme by the last day.",
        "status `completed` with an `end_date` on or before the last day",
        "itself, with secondary suppression (the three outcomes add up to a shown total)",
    ),
    Figure(
        "funnel.withdrawn",
        "Of those, withdrawn",
        "Of those, mentors who withdrew",
        "people",
        "count",
        "lower",
        "The journey: how far people get, and how long they stay",
        "Of those, the mentors who had withdrawn by the last day.",
        "status `withdrawn` with an `end_date` on or before the last day",
        "itself, with secondary suppression (the three outcomes add up to a shown total)",
    ),
    Figure(
        "funnel.in_programme",
        "Of those, in the programme",
        "Of those, mentors still in the programme",
        "people",
        "count",
        "neither",
        "The journey: how far people get, and how long they stay",
        "Of those, the rest: still in the programme on the last day.",
        "the rest (so the three outcomes add up to `funnel.started`)",
        "itself, with secondary suppression (the three outcomes add up to a shown total)",
    ),
    Figure(
        "funnel.by_cohort",
        "Journey by cohort",
        "Journey by cohort",
        "distribution",
        "count",
        "neither",
        "The journey: how far people get, and how long they stay",
        "The same seven counts for each cohort.",
        "keyed by cohort; only cohorts with someone who started",
        "each count: itself (outcomes with secondary suppression, as in total)",
    ),
    Figure(
        "funnel.withdrawn_by_step",
        "Withdrawn by step",
        "Mentors who withdrew, by step reached",
        "distribution",
        "count",
        "neither",
        "The journey: how far people get, and how long they stay",
        "The mentors who withdrew, by the furthest step they had reached.",
        "by the furthest of `started`, `training_completed`, `shadowing_completed`, `first_mentoring` they had reached; every step listed, adding up to `funnel.withdrawn`",
        "each step: itself, with secondary suppression (the total is shown)",
    ),
    Figure(
        "funnel.withdrawn_by_reason",
        "Withdrawn by reason",
        "Mentors who withdrew, by reason",
        "distribution",
        "count",
        "neither",
        "The journey: how far people get, and how long they stay",
        "The mentors who withdrew, by their leaving reason ('not recorded' when none was given).",
        "by `leaving_reason` (`not_recorded` when missing); only the reasons that occur",
        "each reason: itself, with secondary suppression (the total is shown)",
    ),
    Figure(
        "retention",
        "Retention",
        "Mentors still with the programme",
        "rate",
        "rate",
        "higher",
        "The journey: how far people get, and how long they stay",
        "The share of the mentors who started still not withdrawn 4, 12, 26 and 52 weeks after starting (Kaplan–Meier: someone who completed or is still in the programme counts until then).",
        "`w4`, `w12`, `w26`, `w52`: the Kaplan–Meier estimate of the share not withdrawn that many weeks after starting",
        "`funnel.started`",
    ),
    # --- behaviour, the third learned skill (analysis.conduct; over conduct rows)
    Figure(
        "conduct.concerns",
        "Concerns raised",
        "Concerns about conduct raised",
        "count",
        "count",
        "lower",
        "Behaviour: the third learned skill",
        "Concerns about how a mentor conducted themselves, observed by staff in the window.",
        "the number of `concern` rows of active mentors with `observed_on` in the window",
        "the mentors of the concerns",
    ),
    Figure(
        "conduct.strengths",
        "Strengths recorded",
        "Strengths in conduct recorded",
        "count",
        "count",
        "higher",
        "Behaviour: the third learned skill",
        "Strengths in how a mentor conducted themselves, observed by staff in the window.",
        "the number of `strength` rows of active mentors with `observed_on` in the window",
        "the mentors of the strengths",
    ),
    Figure(
        "conduct.high_severity",
        "High-severity concerns",
        "",
        "count",
        "count",
        "lower",
        "Behaviour: the third learned skill",
        "Managers only: concerns of high severity observed in the window.",
        "the number of `concern` rows with severity `high` observed in the window",
        "never shown to funders",
        audiences=("manager",),
    ),
    Figure(
        "conduct.mentors_with_concern",
        "Mentors with a concern",
        "Peer mentors with a concern about conduct",
        "people",
        "count",
        "lower",
        "Behaviour: the third learned skill",
        "Active mentors with at least one concern observed in the window.",
        "the number of different active mentors with a `concern` row observed in the window",
        ON_ITSELF,
    ),
    Figure(
        "conduct.concern_rate",
        "Concerns per 100 attendances",
        "Concerns about conduct per 100 attendances",
        "per100",
        "per100",
        "lower",
        "Behaviour: the third learned skill",
        "Concerns raised for every 100 times a mentor was present, in the window. Lower is better.",
        "100 × `conduct.concerns` / Σ present over the window's attendance rows (all session "
        "types); null when Σ present is 0",
        "the mentors of the present attendances, and of the concerns",
        target="per100",
    ),
    Figure(
        "conduct.by_category",
        "Concerns and strengths by category",
        "Concerns and strengths about conduct, by category",
        "distribution",
        "count",
        "neither",
        "Behaviour: the third learned skill",
        "For each category of conduct, the concerns and strengths observed in the window.",
        "per category (`boundaries`, `confidentiality`, `communication`, `conduct`, "
        "`presentation`, `teamwork`, `safeguarding`, `other`): `concerns` and `strengths` counts, "
        "every category listed, 0 when none",
        "each cell: the mentors of its rows, with secondary suppression (concerns and strengths "
        "each add up to a shown total)",
    ),
    Figure(
        "conduct.median_days_to_resolve",
        "Median days to resolve a concern",
        "Median days to resolve a concern about conduct",
        "median",
        "days",
        "lower",
        "Behaviour: the third learned skill",
        "How long a concern observed in the window took to be talked through and closed "
        "(the middle value).",
        "over concerns observed in the window with `resolved_on` ≤ `to`: the median of days from "
        "`observed_on` to `resolved_on` (an even count takes the mean of the middle two); null "
        "when there are none",
        "the mentors of the resolved concerns",
    ),
    Figure(
        "conduct.open",
        "Open concerns",
        "",
        "count",
        "count",
        "lower",
        "Behaviour: the third learned skill",
        "Managers only: concerns observed on or before the window's end and not resolved by then.",
        "concerns of active mentors observed on or before `to` (any date) with `resolved_on` "
        "missing or after `to`",
        "never shown to funders",
        audiences=("manager",),
    ),
    Figure(
        "skills_curve",
        "The three skills by weeks in the programme",
        "Learning to work: the three skills by weeks in the programme",
        "curve",
        "rate",
        "neither",
        "Behaviour: the third learned skill",
        "Late rate, no-show rate and concerns per 100 attendances by 4-week bucket of weeks in "
        "the programme (0 to 52+), with the attendances behind each point.",
        "a row's weeks in = floor((its date − `start_date`) / 7 days), 0 when negative; its "
        "bucket = min(4 × floor(weeks in / 4), 52); per bucket over the window's rows of active "
        "mentors: `present` (Σ present), `late_rate` (Σ late / Σ present), `no_show_rate` "
        "(Σ no_show / Σ expected), `concern_rate` (100 × concerns / Σ present); null when the "
        "denominator is 0",
        "each bucket's rates: the mentors of its attendance rows (and, for `concern_rate`, of "
        "its concerns); a hidden one is listed as `skills_curve.B.late_rate`",
    ),
    # --- what was agreed
    Figure(
        "targets",
        "Targets",
        "What we agreed to achieve",
        "targets",
        "count",
        "neither",
        "Targets: what was agreed, and whether it is on track",
        "What the programme agreed to achieve, with the whole programme or one funder: the "
        "figure from the period's start to the window's end, its run rate to the period's end, "
        "and whether it is met, on track, at risk or off track.",
        "a list, one entry per stored target: `figure`, "
        "`funding_stream`, `period`, `target`, `actual`, `projected`, `status` (METRICS.md)",
        "each entry: the people its figure rests on over the period; hidden entries keep "
        "`figure`, `period` and `target` only",
    ),
    # --- managers only
    Figure(
        "at_risk",
        "Mentors flagged",
        "",
        "list",
        "count",
        "lower",
        "People who may need support",
        "Managers only: mentors flagged for support (see the flags below).",
        "active mentors flagged on the last day (the flags below), with their reasons",
        "never shown to funders",
        audiences=("manager",),
    ),
)

_BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}


def register(figure: Figure) -> Figure:
    """Add a figure defined in another module (one entry each), before anything reads it."""
    global FIGURES
    if figure.key in _BY_KEY:
        raise ValueError(f"figure {figure.key!r} is registered twice")
    FIGURES = (*FIGURES, figure)
    _BY_KEY[figure.key] = figure
    return figure


def get(key: str) -> Figure:
    """The figure with this key, or the figure whose breakdown holds it (`milestones.x`)."""
    if key in _BY_KEY:
        return _BY_KEY[key]
    parent = key
    while "." in parent:
        parent = parent.rpartition(".")[0]
        if parent in _BY_KEY:
            return _BY_KEY[parent]
    raise KeyError(f"no figure {key!r} in the registry")


def is_registered(key: str) -> bool:
    """Whether `key` is a figure's own key (not a cell of a breakdown)."""
    return key in _BY_KEY


def find(key: str) -> Figure | None:
    try:
        return get(key)
    except KeyError:
        return None


def row_figures() -> tuple[Figure, ...]:
    """Figures with a measure over the scoped attendance rows."""
    return tuple(f for f in FIGURES if f.measure is not None)


def tallies_of(figures: Iterable[Figure]) -> tuple[Tally, ...]:
    """The tallies the measures of `figures` need, once each, in registry order."""
    names: list[str] = []
    for figure in figures:
        if figure.measure is not None:
            for name in figure.measure.tallies:
                if name not in names:
                    names.append(name)
    return tuple(TALLIES[n] for n in names)


# --- docs/METRICS.md -------------------------------------------------------------------------

DOC_START = "<!-- registry: {section} -->"
DOC_END = "<!-- /registry -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def doc_table(section: str) -> str:
    """The Markdown table of a section's figures, as docs/METRICS.md shows it."""
    lines = [
        "| Key | On the dashboard / for funders | In plain words | Exactly | Hidden for funders when it rests on fewer than k |",
        "|---|---|---|---|---|",
    ]
    for f in FIGURES:
        if f.section != section:
            continue
        names = f.label if not f.funder_label else f"{f.label} / {f.funder_label}"
        lines.append(
            f"| `{f.key}` | {_cell(names)} | {_cell(f.summary)} | {_cell(f.definition)} "
            f"| {_cell(f.rests_on)} |"
        )
    return "\n".join(lines)


def with_doc_tables(text: str) -> str:
    """`text` (docs/METRICS.md) with every registry table written afresh from the registry."""
    for section in SECTIONS:
        start = DOC_START.format(section=section)
        if start not in text:
            raise ValueError(f"docs/METRICS.md has no {start!r}")
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(DOC_END)
        text = f"{head}{start}\n{doc_table(section)}\n{DOC_END}{tail}"
    return text


if __name__ == "__main__":  # python -m analysis.figures docs/METRICS.md: rewrite its tables
    import sys
    from pathlib import Path

    doc = Path(sys.argv[1])
    doc.write_text(with_doc_tables(doc.read_text(encoding="utf-8")), encoding="utf-8")


def not_recorded_paths(unrecorded: set[str] | frozenset[str]) -> list[str]:
    """The report's figures whose inputs (`Figure.needs`) are among those not recorded,
    sorted: the report's `not_recorded`."""
    return sorted(f.key for f in FIGURES if f.needs in unrecorded and f.in_report)
