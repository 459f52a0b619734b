"""The journey of METRICS.md: how far the mentors who started get, and how long they stay.

Over the mentors started in the window (`mentors_started`), as on `to`: the funnel (started →
training completed → shadowing completed → first mentoring), the outcome on `to` (completed /
withdrawn / in programme), withdrawals by the furthest step reached and by leaving reason, and
retention: the Kaplan–Meier estimate of the share still not withdrawn 4, 12, 26 and 52 weeks after
starting. One row per started mentor comes from SQL (bound parameters, the scope of
`analysis.metrics`); the counting and the estimate are plain Python over those rows, so the page,
the report and the pack read the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from analysis import metrics
from analysis.settings import Settings

STEPS = ("started", "training_completed", "shadowing_completed", "first_mentoring")
OUTCOMES = ("completed", "withdrawn", "in_programme")
COUNTS = STEPS + OUTCOMES
RETENTION_WEEKS = (4, 12, 26, 52)
NOT_RECORDED = "not_recorded"

STEP_LABELS = {
    "started": "Started",
    "training_completed": "Training completed",
    "shadowing_completed": "Shadowing completed",
    "first_mentoring": "First mentoring",
}
OUTCOME_LABELS = {
    "completed": "Completed",
    "withdrawn": "Withdrawn",
    "in_programme": "In programme",
}

_JOURNEY_SELECT = """
SELECT cohort, start_date, end_date, leaving_reason, training_completed, shadowing_completed,
       first_mentoring, outcome
FROM journey_steps WHERE start_date BETWEEN $from AND $to ORDER BY cohort, start_date
"""


@dataclass(frozen=True)
class MentorJourney:
    """One started mentor's journey as on `to` (no mentor code: nothing here identifies them)."""

    cohort: str
    start_date: dt.date
    end_date: dt.date | None
    leaving_reason: str | None
    training_completed: bool
    shadowing_completed: bool
    first_mentoring: bool
    outcome: str

    def reached(self, step: str) -> bool:
        return step == "started" or bool(getattr(self, step))

    @property
    def furthest_step(self) -> str:
        return next(step for step in reversed(STEPS) if self.reached(step))

    def time_days(self, to: dt.date) -> int:
        """Days in the programme: to the end date when they withdrew (the event) or completed
        (censored), to `to` otherwise (censored)."""
        end = self.end_date if self.outcome in ("completed", "withdrawn") else to
        assert end is not None
        return (end - self.start_date).days

    @property
    def withdrew(self) -> bool:
        return self.outcome == "withdrawn"


def mentor_journeys(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    window: tuple[dt.date, dt.date] | None = None,
) -> list[MentorJourney]:
    """The journey of every mentor of the scope who started in the window, as on `to`."""
    window = window or metrics.resolve_window(con, scope)
    p = metrics.params(scope, settings, window) | {
        "target_minutes": settings.shadowing_target_hours * 60
    }
    sql = metrics.scope_sql(metrics.rows_table(con, p)) + metrics.SHADOWING_CTES + _JOURNEY_SELECT
    rows = con.execute(sql, metrics.bind(sql, p)).fetchall()
    return [MentorJourney(*row) for row in rows]


# --- the funnel -------------------------------------------------------------------------------


def funnel_counts(journeys: Iterable[MentorJourney]) -> dict[str, int]:
    """The seven counts of the funnel: steps reached and the outcome on `to`."""
    counts = dict.fromkeys(COUNTS, 0)
    for j in journeys:
        for step in STEPS:
            counts[step] += j.reached(step)
        counts[j.outcome] += 1
    return counts


def funnel(journeys: Sequence[MentorJourney]) -> dict[str, Any]:
    """`funnel` of the report: the counts in total, `by_cohort`, and the two withdrawal
    breakdowns (by furthest step, every step listed; by reason, the reasons that occur)."""
    withdrawn = [j for j in journeys if j.withdrew]
    by_cohort: dict[str, list[MentorJourney]] = {}
    for j in journeys:
        by_cohort.setdefault(j.cohort, []).append(j)
    by_step = dict.fromkeys(STEPS, 0) | Counter(j.furthest_step for j in withdrawn)
    by_reason = Counter(j.leaving_reason or NOT_RECORDED for j in withdrawn)
    return {
        **funnel_counts(journeys),
        "by_cohort": {c: funnel_counts(js) for c, js in sorted(by_cohort.items())},
        "withdrawn_by_step": by_step,
        "withdrawn_by_reason": dict(sorted(by_reason.items())),
    }


# --- retention: Kaplan–Meier ------------------------------------------------------------------


@dataclass(frozen=True)
class SurvivalStep:
    """The estimate just after `time` days, with who was at risk then and what happened."""

    time: int
    at_risk: int
    events: int
    censored: int
    survival: float


@dataclass(frozen=True)
class SurvivalCurve:
    steps: list[SurvivalStep] = field(default_factory=list)
    longest: int | None = None  # the longest time observed (event or censored)
    people: int = 0

    def at(self, days: int) -> float | None:
        """The estimate at `days`: the product over event times ≤ days; None when nobody's
        time reaches `days`."""
        if self.longest is None or self.longest < days:
            return None
        value = 1.0
        for step in self.steps:
            if step.time > days:
                break
            value = step.survival
        return value

    def at_risk_at(self, days: int) -> int:
        """How many people are still at risk at `days` (their time is `days` or more)."""
        at_risk = self.people
        for step in self.steps:
            if step.time >= days:
                return step.at_risk
            at_risk = step.at_risk - step.events - step.censored
        return at_risk


def kaplan_meier(observations: Iterable[tuple[int, bool]]) -> SurvivalCurve:
    """The Kaplan–Meier estimate from (time, event) pairs; event False means censored.

    At each distinct time, everyone whose time is that or later is at risk (a person censored at
    a time is still at risk at it); the estimate falls by (1 − events / at risk) at event times.
    """
    data = sorted(observations)
    if not data:
        return SurvivalCurve()
    by_time: dict[int, list[int]] = {}
    for time, event in data:
        if time < 0:
            raise ValueError(f"a time of {time} days: an end before the start")
        counts = by_time.setdefault(time, [0, 0])
        counts[0 if event else 1] += 1
    at_risk = len(data)
    survival = 1.0
    steps = []
    for time in sorted(by_time):
        events, censored = by_time[time]
        if events:
            survival *= 1 - events / at_risk
        steps.append(SurvivalStep(time, at_risk, events, censored, survival))
        at_risk -= events + censored
    return SurvivalCurve(steps, data[-1][0], len(data))


def survival_curve(journeys: Iterable[MentorJourney], to: dt.date) -> SurvivalCurve:
    return kaplan_meier((j.time_days(to), j.withdrew) for j in journeys)


def retention(journeys: Iterable[MentorJourney], to: dt.date) -> dict[str, float | None]:
    """`retention.w4` … `.w52`: the share still not withdrawn that many weeks after starting."""
    curve = survival_curve(journeys, to)
    return {f"w{weeks}": curve.at(7 * weeks) for weeks in RETENTION_WEEKS}


# --- the report's figures ---------------------------------------------------------------------


def partitions(values: dict[str, Any]) -> list[list[str]]:
    """The breakdowns with a shown total that take secondary suppression (METRICS.md): the
    outcome in total and per cohort, and both withdrawal breakdowns."""
    f = values["funnel"]
    groups = [[f"funnel.{o}" for o in OUTCOMES]]
    groups += [[f"funnel.by_cohort.{c}.{o}" for o in OUTCOMES] for c in f["by_cohort"]]
    groups += [
        [f"funnel.{b}.{k}" for k in f[b]] for b in ("withdrawn_by_step", "withdrawn_by_reason")
    ]
    return groups


@dataclass
class JourneyFigures:
    """`funnel` and `retention` for the report, what each rests on, and the breakdowns that
    take secondary suppression."""

    values: dict[str, Any]
    support: dict[str, int]
    partitions: list[list[str]]


def figures_from(journeys: Sequence[MentorJourney], to: dt.date) -> JourneyFigures:
    f = funnel(journeys)
    values = {"funnel": f, "retention": retention(journeys, to)}
    support: dict[str, int] = {}
    for key in COUNTS:
        support[f"funnel.{key}"] = f[key]
    for cohort, counts in f["by_cohort"].items():
        for key in COUNTS:
            support[f"funnel.by_cohort.{cohort}.{key}"] = counts[key]
    for breakdown in ("withdrawn_by_step", "withdrawn_by_reason"):
        for key, n in f[breakdown].items():
            support[f"funnel.{breakdown}.{key}"] = n
    for key in values["retention"]:
        support[f"retention.{key}"] = f["started"]
    return JourneyFigures(values, support, partitions(values))


def compute(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    window: tuple[dt.date, dt.date] | None = None,
) -> JourneyFigures:
    """The report's `funnel` and `retention` for the scope."""
    window = window or metrics.resolve_window(con, scope)
    return figures_from(mentor_journeys(con, scope, settings, window), window[1])


ALL_COHORTS = "All cohorts"


@dataclass
class JourneyPage:
    """What the Journey page draws: the funnel and retention of the report, and the retention
    curve in total and per cohort (managers only: it is never suppressed)."""

    to: dt.date
    values: dict[str, Any]
    curves: dict[str, SurvivalCurve]


def page(con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings) -> JourneyPage:
    """The Journey page's figures for the scope (the page's cached loader calls this)."""
    window = metrics.resolve_window(con, scope)
    journeys = mentor_journeys(con, scope, settings, window)
    to = window[1]
    by_cohort: dict[str, list[MentorJourney]] = {}
    for j in journeys:
        by_cohort.setdefault(j.cohort, []).append(j)
    curves = {ALL_COHORTS: survival_curve(journeys, to)} | {
        cohort: survival_curve(js, to) for cohort, js in sorted(by_cohort.items())
    }
    return JourneyPage(to, figures_from(journeys, to).values, curves)
