"""Every figure of METRICS.md, defined once, computed in DuckDB SQL with bound parameters.

A figure is computed for a `Scope` (window and mentor filters) and the settings in force.
Alongside each figure the queries return what it rests on (distinct people), which the funder
suppression in `analysis.privacy` needs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb

from analysis import clock, figures, privacy, query
from analysis.records import MILESTONE_CODES
from analysis.settings import Settings


@dataclass(frozen=True)
class Scope:
    """Which records a figure counts: the window (inclusive days) and the mentor filters."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    cohorts: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    outreach_workers: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    # Mentors a chosen stream paid for on some day of the window (METRICS.md, second release).
    funding_streams: tuple[str, ...] = ()

    def filters(self) -> dict[str, list[str] | None]:
        return {
            "cohort": list(self.cohorts) or None,
            "gender": list(self.genders) or None,
            "outreach_worker": list(self.outreach_workers) or None,
            "region": list(self.regions) or None,
            "funding_streams": list(self.funding_streams) or None,
        }


@dataclass
class Figures:
    """Figures for one scope: `values` nested as in the report, `support` by dotted path."""

    window: tuple[dt.date, dt.date]
    values: dict[str, Any]
    support: dict[str, int] = field(default_factory=dict)
    at_risk: list[dict[str, Any]] = field(default_factory=list)


def data_window(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date] | None:
    """The earliest and latest session dates, or None when there are no sessions."""
    row = con.execute(
        "SELECT CAST(min(scheduled_start) AS DATE), CAST(max(scheduled_start) AS DATE) "
        "FROM sessions"
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return row[0], row[1]


def resolve_window(con: duckdb.DuckDBPyConnection, scope: Scope) -> tuple[dt.date, dt.date]:
    default = data_window(con)
    today = clock.today()
    date_from = scope.date_from or (default[0] if default else today)
    date_to = scope.date_to or (default[1] if default else today)
    return date_from, date_to


def params(scope: Scope, settings: Settings, window: tuple[dt.date, dt.date]) -> dict[str, Any]:
    return {
        "from": window[0],
        "to": window[1],
        "cohorts": list(scope.cohorts),
        "genders": list(scope.genders),
        "workers": list(scope.outreach_workers),
        "regions": list(scope.regions),
        "streams": list(scope.funding_streams),
        "grace": settings.grace_minutes,
    }


# The shared scope (analysis.query): selected mentors, active mentors, and attendance rows up to
# `to` with the per-row definitions of METRICS.md. Every attendance figure reads these CTEs.
SCOPE_SQL = query.with_clause(query.scope_ctes())


def scope_sql(table: str | None = None) -> str:
    """SCOPE_SQL, or the same CTEs with the selected mentors' rows (`rows_all`) read from a
    table `rows_table` filled."""
    return SCOPE_SQL if table is None else query.with_clause(query.scope_ctes(table))


# --- the scoped rows, materialised ------------------------------------------------------------
#
# `rows_all` joins every attendance row of the selected mentors with its session, with the
# per-row definitions: the costly part of every figure. On a connection registered with
# `share_rows` (the dashboard's connection for one script run, during which the records cannot
# change) it is built once per set of mentor filters as a TEMP table (from the CTEs of SCOPE_SQL,
# so the definitions stay there), kept until the connection closes, and every window's
# `rows_to` (this period's and the previous one's) and every view of the page read it.

_ROWS_TABLE_SQL = query.rows_table_sql("pm_rows")
_SHARED: dict[int, set[str]] = {}  # id of a shared connection: the tables built on it


def bind(sql: str, p: dict[str, Any]) -> dict[str, Any]:
    """The parameters `sql` names (DuckDB refuses extra ones), as DuckDB's own parser reads
    them: a `$name` in a string literal or a comment is not a parameter."""
    names = _named_parameters(sql)
    return {k: v for k, v in p.items() if k in names}


_PARSER_LOCK = threading.Lock()
# One in-memory DuckDB per process for parsing only (it never opens a file), made on first use;
# a child process (os.fork) makes its own and leaves its parent's alone (closing an instance
# inherited through a fork can crash the child).
_PARSER: dict[int, duckdb.DuckDBPyConnection] = {}


def _new_lock_in_child() -> None:
    global _PARSER_LOCK
    _PARSER_LOCK = threading.Lock()  # a lock held by another thread at the fork stays held


os.register_at_fork(after_in_child=_new_lock_in_child)


@functools.lru_cache(maxsize=1024)
def _named_parameters(sql: str) -> frozenset[str]:
    """The `$name` parameters of `sql`, parsed once per text (the figures' SQL is a few
    hundred fixed texts)."""
    with _PARSER_LOCK:
        pid = os.getpid()
        if pid not in _PARSER:
            _PARSER[pid] = duckdb.connect(":memory:")
        statements = _PARSER[pid].extract_statements(sql)
    return frozenset(name for s in statements for name in s.named_parameters)


def share_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the scoped rows built on `con` until `unshare_rows` (call it before closing)."""
    _SHARED[id(con)] = set()


def unshare_rows(con: duckdb.DuckDBPyConnection) -> None:
    _SHARED.pop(id(con), None)


@contextlib.contextmanager
def shared_rows(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Share the scoped rows on `con` for the block (for a computation of many figure groups
    on one connection whose records cannot change meanwhile, such as a report), unless they
    are shared already."""
    if id(con) in _SHARED:
        yield
        return
    share_rows(con)
    try:
        yield
    finally:
        for table in sorted(_SHARED.get(id(con), ())):
            con.execute(f"DROP TABLE IF EXISTS {table}")  # a generated name, never a value
        unshare_rows(con)


def _rows_key(p: dict[str, Any]) -> str:
    key = repr(tuple((k, p[k]) for k in sorted(bind(_ROWS_TABLE_SQL, p))))
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def rows_table(con: duckdb.DuckDBPyConnection, p: dict[str, Any]) -> str | None:
    """On a shared connection, the name of a TEMP table holding `rows_all` for the mentor
    filters of `p` (built on first use); otherwise None, and SCOPE_SQL is evaluated in the query
    itself."""
    built = _SHARED.get(id(con))
    if built is None:
        return None
    table = f"pm_rows_{_rows_key(p)}"
    if table not in built:
        sql = query.rows_table_sql(table)
        con.execute(sql, bind(sql, p))
        built.add(table)
    return table


# The active mentors, and the flows of people in the window (METRICS.md "Flows of people").
PEOPLE = query.Cte(
    "people",
    """
    SELECT {
        'mentors_active': count(*),
        'mentors_started': count(*) FILTER (WHERE start_date >= $from),
        'mentors_completed': count(*) FILTER (WHERE status = 'completed'
                                              AND end_date BETWEEN $from AND $to),
        'mentors_withdrawn': count(*) FILTER (WHERE status = 'withdrawn'
                                              AND end_date BETWEEN $from AND $to)
    } AS people
    FROM active
    """,
)


def _row_figures(parts: tuple[str, ...]) -> list[figures.Figure]:
    """The registered figures over the attendance rows that `parts` ask for."""
    return [
        f
        for f in figures.row_figures()
        if ("events" if f.group == "events" else "attendance") in parts
    ]


def _attendance_figures(row_figures: list[figures.Figure]) -> query.Cte:
    """One row: the people figures and each figure over the rows, with what it rests on."""
    columns = ["(SELECT people FROM people) AS people", *query.figures_columns(row_figures)]
    return query.Cte("attendance_figures", "SELECT " + ", ".join(columns))


def _attendance_ctes(row_figures: list[figures.Figure]) -> list[query.Cte]:
    extra = [query.by_mentor(row_figures)] if row_figures else []
    return [PEOPLE, *extra, _attendance_figures(row_figures)]


_EVENTS_SELECT = """
SELECT coalesce(event_name, session_type) AS event, count(DISTINCT mentor_id) AS mentors
FROM rows_in WHERE session_type IN ('group_day', 'event') AND present
GROUP BY ALL ORDER BY event
"""
_EVENTS_BODY = _EVENTS_SELECT

# Each active mentor's shadowing completion date (METRICS.md): the earlier of the session at
# which their running total of credited shadowing up to `to` reached the target, and an imported
# `shadowing_completed` milestone up to `to`. Every shadowing figure reads `completed_on`:
# `shadowing_state` gives each active mentor's progress (complete, in_progress, not_started) and
# days from start to completion, once; `milestones_reached` is every milestone an active mentor
# reached up to `to` with its date, the `shadowing_completed` milestone being that completion
# date; `journey_steps` is each active mentor as on `to`: the journey's steps reached (METRICS.md
# "Journey funnel": training, shadowing, first mentoring = present at a beneficiary meeting) and
# the outcome. The headline figures, the Shadowing page's table, funnel and completion times,
# and the Journey read these: there is one funnel, over the starters (Journey) or over all
# active mentors (Shadowing page).
SHADOWING_CTES = """,
shadow AS (
    SELECT mentor_id, day, credited_minutes,
           sum(credited_minutes) OVER (PARTITION BY mentor_id ORDER BY scheduled_start, session_id
                                       ROWS UNBOUNDED PRECEDING) AS running
    FROM rows_to WHERE session_type = 'shadowing' AND present
),
shadow_milestone AS (
    SELECT mentor_id, min(achieved_on) AS milestone_on FROM milestones
    WHERE milestone = 'shadowing_completed' AND achieved_on <= $to
      AND mentor_id IN (SELECT mentor_id FROM active)
    GROUP BY mentor_id
),
per_mentor AS (
    SELECT a.mentor_id, a.start_date, coalesce(sum(s.credited_minutes), 0) AS credited,
           least(min(s.day) FILTER (WHERE s.running >= $target_minutes),
                 min(m.milestone_on)) AS completed_on
    FROM active a LEFT JOIN shadow s USING (mentor_id)
    LEFT JOIN shadow_milestone m USING (mentor_id)
    GROUP BY a.mentor_id, a.start_date
),
shadowing_state AS (
    SELECT *,
           CASE WHEN completed_on IS NOT NULL THEN 'complete'
                WHEN credited > 0 THEN 'in_progress' ELSE 'not_started' END AS progress,
           date_diff('day', start_date, completed_on) AS days_to_complete
    FROM per_mentor
),
milestones_reached AS (
    SELECT DISTINCT mentor_id, milestone, achieved_on
    FROM milestones JOIN active USING (mentor_id)
    WHERE achieved_on <= $to AND milestone <> 'shadowing_completed'
    UNION ALL
    SELECT mentor_id, 'shadowing_completed', completed_on FROM per_mentor
    WHERE completed_on IS NOT NULL
),
journey_steps AS (
    SELECT a.mentor_id, a.cohort, a.start_date, a.status, a.end_date, a.leaving_reason,
           a.mentor_id IN (SELECT mentor_id FROM milestones_reached
                           WHERE milestone = 'training_completed') AS training_completed,
           s.progress = 'complete' AS shadowing_completed,
           a.mentor_id IN (SELECT mentor_id FROM rows_to
                           WHERE session_type = 'beneficiary_meeting' AND present)
               AS first_mentoring,
           CASE WHEN a.status = 'completed' AND a.end_date <= $to THEN 'completed'
                WHEN a.status = 'withdrawn' AND a.end_date <= $to THEN 'withdrawn'
                ELSE 'in_programme' END AS outcome
    FROM active a JOIN shadowing_state s USING (mentor_id)
)
"""
SHADOWING_SQL = SCOPE_SQL + SHADOWING_CTES

_SHADOWING_SELECT = """
SELECT count(*) FILTER (WHERE progress = 'complete') AS complete,
       count(*) FILTER (WHERE completed_on >= $from) AS completed_in_window,
       count(*) FILTER (WHERE progress = 'in_progress') AS in_progress,
       median(days_to_complete) AS median_days
FROM shadowing_state
"""
# Milestones in the window; `shadowing_completed` is the shadowing completion date.
_MILESTONES_BODY = (
    SHADOWING_CTES
    + """
SELECT milestone, count(DISTINCT mentor_id) AS mentors
FROM milestones_reached WHERE achieved_on >= $from
GROUP BY ALL
"""
)

_SHADOWING_SUMMARY_BODY = SHADOWING_CTES + _SHADOWING_SELECT


# Assessments of active mentors up to `to`, each with the one before it; `steps_back` are the
# regressions (METRICS.md): assessments in the window at a lower stage than the one before.
STAGES_SQL = (
    SCOPE_SQL
    + """,
assessed AS (
    SELECT s.mentor_id, s.assessed_on, s.stage, s.self_esteem,
           lag(s.stage) OVER (PARTITION BY s.mentor_id ORDER BY s.assessed_on) AS previous_stage,
           row_number() OVER (PARTITION BY s.mentor_id ORDER BY s.assessed_on DESC) AS recency
    FROM stage_assessments s JOIN active USING (mentor_id)
    WHERE s.assessed_on <= $to
),
per_mentor AS (
    SELECT mentor_id, count(*) AS n,
           arg_min(stage, assessed_on) AS first_stage, arg_max(stage, assessed_on) AS latest_stage,
           count(self_esteem) AS n_scored,
           arg_min(self_esteem, assessed_on) FILTER (WHERE self_esteem IS NOT NULL) AS first_se,
           arg_max(self_esteem, assessed_on) FILTER (WHERE self_esteem IS NOT NULL) AS latest_se
    FROM assessed GROUP BY mentor_id
),
steps_back AS (
    SELECT * FROM assessed WHERE stage < previous_stage AND assessed_on >= $from
)
"""
)

_STAGES_SUMMARY_SQL = (
    STAGES_SQL
    + """
SELECT
    (SELECT list(latest_stage) FROM per_mentor) AS latest,
    (SELECT count(*) FROM per_mentor WHERE n >= 2 AND latest_stage > first_stage) AS progressed,
    (SELECT count(*) FROM steps_back) AS regressions,
    (SELECT count(DISTINCT mentor_id) FROM steps_back) AS regression_people,
    (SELECT avg(latest_se - first_se) FROM per_mentor WHERE n_scored >= 2) AS se_change,
    (SELECT count(*) FROM per_mentor WHERE n_scored >= 2) AS se_people
"""
)

_AT_RISK_CTES = (
    """,
recent_rows AS (SELECT * FROM rows_to WHERE day >= $lookback_from),
recent AS ("""
    + query.breakdown_sql(
        "mentor", tallies=("expected", "present", "no_show", "late"), rows="recent_rows"
    )
    + """),
latest_two AS (
    SELECT mentor_id,
           arg_max(stage, assessed_on) AS latest_stage, max(assessed_on) AS latest_on,
           (list(stage ORDER BY assessed_on DESC))[2] AS previous_stage
    FROM stage_assessments WHERE assessed_on <= $to GROUP BY mentor_id
),
recent_conduct AS (
    SELECT mentor_id, count(*) AS concerns, bool_or(severity = 'high') AS high
    FROM conduct WHERE kind = 'concern' AND observed_on BETWEEN $lookback_from AND $to
    GROUP BY mentor_id
)
"""
)
_AT_RISK_SELECT = """
SELECT a.mentor_id,
       coalesce(r.expected >= 3 AND r.present < 0.6 * r.expected, false) AS low_attendance,
       coalesce(r.no_show >= 2, false) AS no_shows,
       coalesce(r.late >= 3, false) AS lateness,
       coalesce(l.latest_on >= $lookback_from AND l.latest_stage < l.previous_stage, false)
           AS stage_regression,
       coalesce(c.high OR c.concerns >= 2, false) AS conduct
FROM active a
LEFT JOIN recent r USING (mentor_id)
LEFT JOIN latest_two l USING (mentor_id)
LEFT JOIN recent_conduct c USING (mentor_id)
WHERE a.status IN ('active', 'paused')
ORDER BY a.mentor_id
"""
_AT_RISK_BODY = _AT_RISK_CTES + _AT_RISK_SELECT


FLAG_ORDER = ("low_attendance", "no_shows", "lateness", "stage_regression", "conduct")

# The groups of figures `compute` can be asked for (all of them by default).
PARTS = ("attendance", "shadowing", "stages", "events", "milestones")


def _one(con: duckdb.DuckDBPyConnection, sql: str, p: dict[str, Any]) -> dict[str, Any]:
    cur = con.execute(sql, bind(sql, p))
    row = cur.fetchone()
    assert row is not None and cur.description is not None
    return {d[0]: v for d, v in zip(cur.description, row, strict=True)}


def compute(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    settings: Settings,
    *,
    with_at_risk: bool = True,
    parts: tuple[str, ...] = PARTS,
) -> Figures:
    """The headline figures for the scope (all, or the groups in `parts`), with what each
    rests on."""
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}: use {', '.join(PARTS)}")
    window = resolve_window(con, scope)
    p = params(scope, settings, window) | {
        "target_minutes": settings.shadowing_target_hours * 60,
        "lookback_from": window[1] - dt.timedelta(days=settings.lookback_days - 1),
    }
    row_figures = _row_figures(parts)
    wants_shadowing = "shadowing" in parts
    wants_events = "events" in parts
    needs_rows = with_at_risk or bool(row_figures) or wants_shadowing
    table = rows_table(con, p) if needs_rows else None
    if table is None and needs_rows:
        raw = _one_pass(con, p, row_figures, wants_shadowing, wants_events, with_at_risk)
    else:
        scoped = query.with_clause([*query.scope_ctes(table), *_attendance_ctes(row_figures)])
        raw = {
            "a": _one(con, scoped + "SELECT * FROM attendance_figures", p),
            "s": _one(con, scoped + _SHADOWING_SUMMARY_BODY, p) if wants_shadowing else None,
            "events": _all(con, scoped + _EVENTS_BODY, p) if wants_events else [],
            "flags": _all(con, scoped + _AT_RISK_BODY, p) if with_at_risk else [],
        }
    figures = _assemble(con, p, settings, parts, window, raw)
    if with_at_risk:
        figures.at_risk = _flagged(raw["flags"])
    return figures


def _all(con: duckdb.DuckDBPyConnection, sql: str, p: dict[str, Any]) -> list[tuple[Any, ...]]:
    return con.execute(sql, bind(sql, p)).fetchall()


def _one_pass(
    con: duckdb.DuckDBPyConnection,
    p: dict[str, Any],
    row_figures: list[figures.Figure],
    shadowing: bool,
    events: bool,
    flags: bool,
) -> dict[str, Any]:
    """The figure queries as one statement: the scoped rows are joined once and kept for the
    statement (a MATERIALIZED CTE), and every group of figures reads them."""
    ctes = [*query.scope_ctes(materialized=True), *_attendance_ctes(row_figures)]
    bodies = []
    columns = ["(SELECT attendance_figures FROM attendance_figures) AS a"]
    if shadowing:
        bodies.append(SHADOWING_CTES + ",\nshadowing_figures AS (" + _SHADOWING_SELECT + ")")
        columns.append("(SELECT shadowing_figures FROM shadowing_figures) AS s")
    if events:
        bodies.append(",\nevent_figures AS (" + _EVENTS_SELECT + ")")
        columns.append(
            "(SELECT list((event, mentors) ORDER BY event) FROM event_figures) AS events"
        )
    if flags:
        bodies.append(_AT_RISK_CTES + ",\nflag_figures AS (" + _AT_RISK_SELECT + ")")
        columns.append(
            "(SELECT list((mentor_id, low_attendance, no_shows, lateness, stage_regression, "
            "conduct) "
            "ORDER BY mentor_id) FROM flag_figures) AS flags"
        )
    sql = query.with_clause(ctes) + "".join(bodies) + "\nSELECT " + ", ".join(columns)
    row = _one(con, sql, p)
    return {
        "a": row["a"],
        "s": row.get("s"),
        "events": [tuple(e) for e in row.get("events") or []],
        "flags": [tuple(f) for f in row.get("flags") or []],
    }


def _typed(figure: figures.Figure, value: Any) -> Any:
    """Counts as integers; rates, hours, minutes, means and medians as floats."""
    if value is None:
        return None
    if figure.kind in ("people", "count"):
        return int(value)
    return float(value)


def _assemble(
    con: duckdb.DuckDBPyConnection,
    p: dict[str, Any],
    settings: Settings,
    parts: tuple[str, ...],
    window: tuple[dt.date, dt.date],
    raw: dict[str, Any],
) -> Figures:
    support: dict[str, int] = {}
    values: dict[str, Any] = {}

    def put(path: str, value: Any, people: int) -> None:
        node = values
        *parents, leaf = privacy.path_parts(path)
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
        support[path] = people

    a = raw["a"]
    people = a["people"]
    a["mentors_active"] = people["mentors_active"]
    for key in ("mentors_active", "mentors_started", "mentors_completed", "mentors_withdrawn"):
        put(key, people[key], people[key])
    measured = (a.get("per_mentor") or {}) | (a.get("by_rows") or {})
    for figure in _row_figures(parts):
        name = query.column(figure.key)
        value = _typed(figure, measured[name])
        put(figure.key, value, value if figure.kind == "people" else measured[name + "_mentors"])

    if "shadowing" in parts:
        s = raw["s"]
        target = settings.shadowing_target_hours
        put("shadowing.target_hours", int(target) if float(target).is_integer() else target, 0)
        put("shadowing.mentors_complete", s["complete"], s["complete"])
        put("shadowing.mentors_in_progress", s["in_progress"], s["in_progress"])
        put(
            "shadowing.median_days_to_complete",
            None if s["median_days"] is None else float(s["median_days"]),
            s["complete"],
        )
        put("shadowing.completed_in_window", s["completed_in_window"], s["completed_in_window"])

    if "stages" in parts:
        st = _one(con, _STAGES_SUMMARY_SQL, p)
        latest = st["latest"] or []
        for stage in range(1, 8):
            n = sum(1 for x in latest if x == stage)
            put(f"stages.distribution.{stage}", n, n)
        not_assessed = a["mentors_active"] - len(latest)
        put("stages.distribution.not_assessed", not_assessed, not_assessed)
        put("stages.mentors_progressed", st["progressed"], st["progressed"])
        put("stages.regressions", st["regressions"], st["regression_people"])
        put("stages.mean_self_esteem_change", st["se_change"], st["se_people"])

    if "events" in parts:
        values["events"]["by_event"] = {}
        for event, n in raw["events"]:
            put(f"events.by_event.{event}", n, n)

    if "milestones" in parts:
        values["milestones"] = {}
        found = dict(_all(con, scope_sql(rows_table(con, p)) + _MILESTONES_BODY, p))
        for milestone in MILESTONE_CODES:
            if found.get(milestone):
                put(f"milestones.{milestone}", found[milestone], found[milestone])

    return Figures(window, values, support)


def _flagged(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    out = []
    for mentor_id, *flags in rows:
        reasons = [name for name, on in zip(FLAG_ORDER, flags, strict=True) if on]
        if reasons:
            out.append({"mentor_id": mentor_id, "reasons": reasons})
    return out


def at_risk(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    settings: Settings,
    window: tuple[dt.date, dt.date] | None = None,
) -> list[dict[str, Any]]:
    """Active mentors flagged on `to`, with their reasons in the order METRICS.md lists them."""
    window = window or resolve_window(con, scope)
    p = params(scope, settings, window) | {
        "lookback_from": window[1] - dt.timedelta(days=settings.lookback_days - 1)
    }
    sql = scope_sql(rows_table(con, p)) + _AT_RISK_BODY
    return _flagged(_all(con, sql, p))


def previous_scope(scope: Scope, window: tuple[dt.date, dt.date]) -> Scope:
    """The same filters over the period of the same length that ends the day before `window`."""
    length = (window[1] - window[0]).days + 1
    end = window[0] - dt.timedelta(days=1)
    start = end - dt.timedelta(days=length - 1)
    return dataclasses.replace(scope, date_from=start, date_to=end)


def with_window(scope: Scope, window: tuple[dt.date, dt.date]) -> Scope:
    """The scope with its window made explicit (so cache keys and reports agree)."""
    return dataclasses.replace(scope, date_from=window[0], date_to=window[1])


def unrecorded_inputs(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    settings: Settings,
    window: tuple[dt.date, dt.date],
) -> set[str]:
    """The inputs of `figures.INPUTS` the programme does not record in the scope: rows that
    would carry one exist in the window, and none of them does."""
    p = params(scope, settings, window)
    table = rows_table(con, p)
    columns = ", ".join(
        f"count(*) FILTER (WHERE {i.rows}) AS {name}_rows, "
        f"count(*) FILTER (WHERE {i.recorded}) AS {name}_recorded"
        for name, i in figures.INPUTS.items()
    )
    sql = scope_sql(table) + f"SELECT {columns} FROM rows_in"
    got = _one(con, sql, p)
    return {
        name for name in figures.INPUTS if got[f"{name}_rows"] > 0 and got[f"{name}_recorded"] == 0
    }
