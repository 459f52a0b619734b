"""Targets: what the programme promised, and whether it is on track (METRICS.md, "Targets").

A target is evaluated on a date d (the report's `to`, the dashboard's window end): its figure
is computed by `analysis.metrics` over [period_start, min(d, period_end)] for the target's
funding stream (or every mentor), whatever other filters are chosen: a target is an agreement
about the whole programme or one stream. From that actual come the projection to the period's
end and the status.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import duckdb

from analysis import conduct, database, figures, metrics, privacy
from analysis.records import LOWER_IS_BETTER, TARGET_FIGURE_KINDS, WHOLE_PROGRAMME
from analysis.settings import Settings

STATUSES = ("not_started", "no_data", "on_track", "at_risk", "off_track", "met", "missed")
# Where a projection may fall short of the target and still be "at risk" rather than off track.
STOCK_AND_FLOW_TOLERANCE = 0.9  # at least 90% of the target
RATE_TOLERANCE = 0.05  # within 5 percentage points, on the wrong side
PER100_TOLERANCE = 0.5  # a rate per 100 attendances: within 0.5 per 100, on the wrong side

# The groups of figures metrics.compute needs for each figure (the cheapest that give it).
_PARTS: dict[str, tuple[str, ...]] = {
    "beneficiaries_reached": ("attendance",),
    "peer_support_hours": ("attendance",),
    "attendance_rate": ("attendance",),
    "punctuality_rate": ("attendance",),
    "notice_rate": ("attendance",),
    "no_show_rate": ("attendance",),
    "events.mentors_attending": ("events",),
    "mentors_active": ("events",),  # every group gives it; events is the cheapest with rows
    "mentors_started": ("milestones",),  # likewise (the flows of people come with every group)
    "mentors_completed": ("milestones",),
    "shadowing.completed_in_window": ("shadowing",),
    "stages.mentors_progressed": ("stages",),
}


@dataclass(frozen=True)
class Target:
    """One agreed target, as stored."""

    figure: str
    period_start: dt.date
    period_end: dt.date
    target: float
    funding_stream: str | None  # None: the whole programme
    wording: str | None

    @property
    def kind(self) -> str:
        return TARGET_FIGURE_KINDS[self.figure]

    @property
    def sort_key(self) -> tuple[bool, str, str, dt.date]:
        stream = self.funding_stream
        return (stream is not None, stream or "", self.figure, self.period_start)


@dataclass(frozen=True)
class Evaluation:
    """A target on a date: its actual, projection and status, and what the actual rests on."""

    target: Target
    on: dt.date
    actual: float | None
    projected: float | None
    status: str
    elapsed: float | None  # the share of the period gone by on `on` (None before it starts)
    people: int  # distinct people the actual rests on (for funder suppression)

    def as_report(self) -> dict[str, Any]:
        t = self.target
        return {
            "figure": t.figure,
            "funding_stream": t.funding_stream,
            "period": {"from": t.period_start.isoformat(), "to": t.period_end.isoformat()},
            "target": float(t.target),
            "wording": t.wording,
            "actual": self.actual,
            "projected": self.projected,
            "status": self.status,
        }


def load(con: duckdb.DuckDBPyConnection, streams: tuple[str, ...] | None = None) -> list[Target]:
    """The stored targets, sorted as the report lists them (programme-wide first, then by
    stream, figure and period start). With `streams`, only theirs and the programme-wide ones."""
    rows = con.execute(
        "SELECT figure, period_start, period_end, target, funding_stream, wording FROM targets"
    ).fetchall()
    out = [
        Target(
            figure,
            start,
            end,
            float(value),
            None if stream == WHOLE_PROGRAMME else stream,
            wording,
        )
        for figure, start, end, value, stream, wording in rows
        if figure in TARGET_FIGURE_KINDS
    ]
    if streams:
        out = [t for t in out if t.funding_stream is None or t.funding_stream in streams]
    return sorted(out, key=lambda t: t.sort_key)


def meets(figure: str, value: float, target: float) -> bool:
    return value <= target if figure in LOWER_IS_BETTER else value >= target


def within_tolerance(figure: str, value: float, target: float) -> bool:
    """Short of the target, but near enough to be "at risk" rather than "off track"."""
    if TARGET_FIGURE_KINDS[figure] == "per100":
        if figure in LOWER_IS_BETTER:
            return value <= target + PER100_TOLERANCE
        return value >= target - PER100_TOLERANCE
    if TARGET_FIGURE_KINDS[figure] == "rate":
        if figure in LOWER_IS_BETTER:
            return value <= target + RATE_TOLERANCE
        return value >= target - RATE_TOLERANCE
    return value >= STOCK_AND_FLOW_TOLERANCE * target


def status_of(target: Target, on: dt.date, actual: float | None, projected: float | None) -> str:
    if on < target.period_start:
        return "not_started"
    if actual is None or projected is None:
        return "no_data"
    if on >= target.period_end:
        return "met" if meets(target.figure, actual, target.target) else "missed"
    if meets(target.figure, projected, target.target):
        return "on_track"
    if within_tolerance(target.figure, projected, target.target):
        return "at_risk"
    return "off_track"


def elapsed_share(target: Target, on: dt.date) -> float:
    """(d' − period_start + 1) / (period_end − period_start + 1), in days; d' = min(d, end)."""
    until = min(on, target.period_end)
    gone = (until - target.period_start).days + 1
    return gone / ((target.period_end - target.period_start).days + 1)


def _figure(figures: metrics.Figures, path: str) -> tuple[Any, int, bool]:
    """The figure's value, the people it rests on, and whether metrics gave it at all."""
    node: Any = figures.values
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None, 0, False
        node = node[part]
    return node, figures.support.get(path, 0), True


def _conduct_figure(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, path: str
) -> tuple[Any, int, bool]:
    """A conduct figure (third release) over the target's scope, and the people it rests on (a
    concern rate: the fewer of the mentors of its attendances and of its concerns, when any)."""
    window = metrics.resolve_window(con, scope)
    computed = conduct.compute(con, scope, settings, window)
    value, people, given = _figure(metrics.Figures(window, computed.values, computed.support), path)
    also = computed.also.get(path, 0)
    return value, min(people, also) if also else people, given


# Evaluations already made in this process, by the published file they were made on (its path,
# inode, modification time and data version: a change publishes a new file under a new
# version), the targets, the settings and the date. A target does not depend on a page's mentor
# filters, so a filter change on a page that shows targets (the impact summary) finds them here
# instead of computing every target again over the whole programme.
_MEMO: OrderedDict[tuple[Any, ...], tuple[Evaluation, ...]] = OrderedDict()
_MEMO_LOCK = threading.Lock()
_MEMO_SIZE = 64


def _published(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """Which published file a read-only connection reads, or None (a connection that can
    change what it reads is never memoised)."""
    row = con.execute(
        "SELECT path, readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if row is None or not row[0] or not row[1]:
        return None
    try:
        stat = os.stat(row[0])
    except OSError:
        return None
    return (row[0], stat.st_ino, stat.st_mtime_ns, database.data_version(con))


def evaluate(
    con: duckdb.DuckDBPyConnection, targets: list[Target], settings: Settings, on: dt.date
) -> list[Evaluation]:
    """Each target on the date `on`; figures are computed once per stream and period."""
    published = _published(con)
    key = None if published is None else (published, tuple(targets), settings, on)
    if key is not None:
        with _MEMO_LOCK:
            if key in _MEMO:
                _MEMO.move_to_end(key)
                return list(_MEMO[key])
    out = _evaluate(con, targets, settings, on)
    if key is not None:
        with _MEMO_LOCK:
            _MEMO[key] = tuple(out)
            while len(_MEMO) > _MEMO_SIZE:
                _MEMO.popitem(last=False)
    return out


def _evaluate(
    con: duckdb.DuckDBPyConnection, targets: list[Target], settings: Settings, on: dt.date
) -> list[Evaluation]:
    computed: dict[tuple[metrics.Scope, tuple[str, ...]], metrics.Figures] = {}
    out = []
    for target in targets:
        if on < target.period_start:
            out.append(Evaluation(target, on, None, None, "not_started", None, 0))
            continue
        until = min(on, target.period_end)
        scope = metrics.Scope(
            target.period_start,
            until,
            funding_streams=(target.funding_stream,) if target.funding_stream else (),
        )
        parts = _PARTS.get(target.figure, metrics.PARTS)
        if target.figure.startswith("milestones."):
            parts = ("milestones",)
        key = (scope, parts)
        if target.figure.startswith("conduct."):
            value, people, given = _conduct_figure(con, scope, settings, target.figure)
        else:
            if key not in computed:
                computed[key] = metrics.compute(
                    con, scope, settings, with_at_risk=False, parts=parts
                )
            value, people, given = _figure(computed[key], target.figure)
        if not given and target.figure.startswith("milestones."):
            value, given = 0, True  # a milestone nobody reached is 0
        actual = None if value is None or not given else float(value)
        elapsed = elapsed_share(target, on)
        projected = actual
        if actual is not None and target.kind == "flow":
            projected = actual / elapsed
        status = status_of(target, on, actual, projected)
        out.append(Evaluation(target, on, actual, projected, status, elapsed, people))
    return out


def for_report(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    on: dt.date,
    audience: str,
    not_recorded: tuple[str, ...] | list[str] = (),
) -> tuple[list[dict[str, Any]], list[str]]:
    """The report's `targets` list and, for funders, the suppressed paths in it: where the
    actual rests on fewer than k people, its actual and projection are hidden (its status,
    decided on the exact values, is kept); every shown actual and projection is rounded as its
    figure's kind says. A target on a figure in `not_recorded` has no actual and no data."""
    evaluations = evaluate(con, load(con, scope.funding_streams or None), settings, on)
    entries = [e.as_report() for e in evaluations]
    hidden: list[str] = []
    for entry in entries:
        figure = figures.find(entry["figure"])
        if entry["figure"] in not_recorded and not (figure and figure.kept_unrecorded):
            entry.update(actual=None, projected=None, status="no_data")
    if audience == "funder":
        for n, (entry, evaluation) in enumerate(zip(entries, evaluations, strict=True)):
            if privacy.is_small(evaluation.people, settings.suppression_k):
                for key in ("actual", "projected"):
                    entry[key] = None
                    hidden.append(f"targets.{n}.{key}")
            figure = figures.find(entry["figure"])
            rounding = figure.funder_rounding if figure else None
            for key in ("actual", "projected"):
                entry[key] = figures.rounded(rounding, entry[key])
    return entries, hidden


def evaluation_scope(scope: metrics.Scope) -> metrics.Scope:
    """What the targets depend on: the window and the funding streams. A target counts its
    whole stream or the whole programme, whatever mentors the page is filtered to."""
    return metrics.Scope(scope.date_from, scope.date_to, funding_streams=scope.funding_streams)


def page_evaluations(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> list[Evaluation]:
    """The dashboard's targets: judged on the window's last day; with a stream filter, that
    stream's targets and the programme-wide ones."""
    on = metrics.resolve_window(con, scope)[1]
    return evaluate(con, load(con, scope.funding_streams or None), settings, on)


def in_pack(entry: dict[str, Any], streams: list[str] | tuple[str, ...] | None) -> bool:
    """Whether a funder's pack shows a target: the programme-wide ones always, a stream's only
    in the pack made for that stream (a pack for no stream shows no funder's own targets)."""
    return entry["funding_stream"] is None or entry["funding_stream"] in (streams or ())


# --- words: how a target and its status read -----------------------------------------------

FIGURE_LABELS: dict[str, str] = {
    "beneficiaries_reached": "Beneficiaries supported",
    "peer_support_hours": "Hours of peer support",
    "events.mentors_attending": "Mentors at group days and events",
    "mentors_started": "Mentors who started",
    "mentors_completed": "Mentors who completed the programme",
    "shadowing.completed_in_window": "Mentors who completed shadowing",
    "milestones.training_completed": "Mentors who completed training",
    "milestones.shadowing_completed": "Mentors who completed shadowing (milestone)",
    "milestones.first_mentoring_session": "Mentors who held a first mentoring session",
    "milestones.accredited_qualification": "Mentors who gained an accredited qualification",
    "milestones.volunteering": "Mentors who started volunteering",
    "milestones.further_education": "Mentors who went into further education",
    "milestones.paid_employment": "Mentors who started paid work",
    "attendance_rate": "Attendance rate",
    "punctuality_rate": "Punctuality rate",
    "notice_rate": "Share of absences with notice",
    "no_show_rate": "Rate of absence without notice",
    "mentors_active": "Peer mentors taking part",
    "stages.mentors_progressed": "Mentors who moved forward on the transition curve",
    "conduct.concern_rate": "Concerns about conduct per 100 attendances",
}
# Status in words and with an icon, so that colour is never the only signal.
STATUS_WORDS: dict[str, str] = {
    "met": "Met",
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "missed": "Missed",
    "not_started": "Not started",
    "no_data": "No data yet",
}
STATUS_ICONS: dict[str, str] = {  # Material Symbols names
    "met": "check_circle",
    "on_track": "check_circle",
    "at_risk": "warning",
    "off_track": "cancel",
    "missed": "cancel",
    "not_started": "schedule",
    "no_data": "help",
}
STATUS_SYMBOLS: dict[str, str] = {  # for the PDF and plain text
    "met": "✓",
    "on_track": "✓",
    "at_risk": "!",
    "off_track": "✗",
    "missed": "✗",
    "not_started": "○",
    "no_data": "–",
}


def label(target: Target, *, own_words: bool = True) -> str:
    """The funder's own words when given, else the figure's plain name."""
    if own_words and target.wording:
        return target.wording
    return FIGURE_LABELS.get(target.figure, target.figure)


def who(target: Target) -> str:
    return target.funding_stream or "whole programme"


def value_text(figure: str, value: float | None) -> str:
    """A target, actual or projection as read: 85%, 1,234, 12.5."""
    if value is None:
        return "–"
    if TARGET_FIGURE_KINDS.get(figure) == "rate":
        return f"{value * 100:.1f}%".replace(".0%", "%")
    if TARGET_FIGURE_KINDS.get(figure) == "per100":
        return f"{value:.1f} per 100 attendances"
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) < 10:  # 1.98 is short of 2: say so
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:,.1f}"


def target_text(target: Target) -> str:
    """The target as a manager would type it again: 85% for a rate, 611 for hours."""
    if target.kind == "rate":
        return f"{target.target * 100:g}%"
    return f"{target.target:g}"


def on_track_sentence(evaluations: list[Evaluation]) -> str | None:
    """ "2 met, 4 on track, 1 at risk (…)" over the targets whose period holds the day they
    are judged on (METRICS.md: a page counts only those, never a met one under "on track");
    None when no target is agreed."""
    if not evaluations:
        return None
    running = [e for e in evaluations if e.target.period_start <= e.on <= e.target.period_end]
    judged = [e for e in running if e.status not in ("not_started", "no_data")]
    if not judged:
        return f"No target's period holds {_long(evaluations[0].on.isoformat())} ({len(evaluations)} agreed)."
    counts = []
    for status in ("met", "on_track", "at_risk", "off_track", "missed"):
        these = [e for e in judged if e.status == status]
        if not these:
            continue
        words = f"{len(these)} {STATUS_WORDS[status].lower()}"
        if status in ("at_risk", "off_track", "missed"):
            words += f" ({', '.join(f'{label(e.target)} ({who(e.target)})' for e in these)})"
        counts.append(words)
    sentence = (
        f"Of the {len(running)} {'target' if len(running) == 1 else 'targets'} running on "
        f"{_long(judged[0].on.isoformat())}: " + ", ".join(counts)
    )
    waiting = len(running) - len(judged)
    if waiting:
        sentence += f"; {waiting} with no data yet"
    return sentence + "."


def _long(day: str) -> str:
    d = dt.date.fromisoformat(day)
    return f"{d.day} {d:%B %Y}"


def entry_heading(entry: dict[str, Any]) -> str:
    """A report entry's name: the funder's own words, else the figure's plain name."""
    return entry["wording"] or FIGURE_LABELS.get(entry["figure"], entry["figure"])


def entry_sentence(entry: dict[str, Any], k: int, heading: str | None = None) -> str:
    """One target of the (funder) report in a plain sentence, suppression in words (a pack's
    targets: `impact.target_rows`, which names each with `impact.target_heading`)."""
    figure = entry["figure"]
    period = f"{_long(entry['period']['from'])} to {_long(entry['period']['to'])}"
    goal = value_text(figure, entry["target"])
    if figure in LOWER_IS_BETTER:
        goal = f"at most {goal}"
    name = heading or entry_heading(entry)
    head = f"{name} ({entry['funding_stream'] or 'whole programme'}, {period})"
    if entry["status"] is None:
        return f"{head}: target {goal}; progress not shown: fewer than {k} people."
    if entry["status"] == "not_started":
        return f"{head}: target {goal}; the period has not started yet."
    if entry["actual"] is None and entry["status"] != "no_data":
        # hidden: the status, decided on the exact values, is still said
        words = STATUS_WORDS[entry["status"]].lower()
        return f"{head}: target {goal}; the number is not shown (fewer than {k} people): {words}."
    if entry["actual"] is None:
        return f"{head}: target {goal}; no records to measure it yet."
    so_far = value_text(figure, entry["actual"])
    words = STATUS_WORDS[entry["status"]].lower()
    if entry["status"] in ("met", "missed"):
        return f"{head}: {so_far} against a target of {goal}: {words}."
    text = f"{head}: {so_far} so far against a target of {goal}"
    if TARGET_FIGURE_KINDS[figure] == "flow":
        text += f"; at this rate {value_text(figure, entry['projected'])} by the end"
    return f"{text}: {words}."
