"""Every figure of METRICS.md, defined once, computed in DuckDB SQL with bound parameters.

A figure is computed for a `Scope` (window and mentor filters) and the settings in force.
Alongside each figure the queries return what it rests on (distinct people), which the funder
suppression in `analysis.privacy` needs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import duckdb

from analysis import clock, privacy
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


# The shared scope: selected mentors, active mentors, and attendance rows up to `to` with the
# per-row definitions of METRICS.md. Every attendance figure reads these CTEs.
_MENTORS_CTES = """
selected AS (
    SELECT * FROM mentors
    WHERE (len(CAST($cohorts AS VARCHAR[])) = 0 OR list_contains(CAST($cohorts AS VARCHAR[]), cohort))
      AND (len(CAST($genders AS VARCHAR[])) = 0 OR list_contains(CAST($genders AS VARCHAR[]), gender))
      AND (len(CAST($workers AS VARCHAR[])) = 0
           OR list_contains(CAST($workers AS VARCHAR[]), outreach_worker))
      AND (len(CAST($regions AS VARCHAR[])) = 0 OR list_contains(CAST($regions AS VARCHAR[]), region))
),
active AS (
    SELECT * FROM selected
    WHERE start_date <= $to AND (end_date IS NULL OR end_date >= $from)
      AND (len(CAST($streams AS VARCHAR[])) = 0 OR mentor_id IN (
           SELECT f.mentor_id FROM funding f
           WHERE list_contains(CAST($streams AS VARCHAR[]), f.funding_stream)
             AND (f.from IS NULL OR f.from <= $to) AND (f.to IS NULL OR f.to >= $from)))
)
"""

_ROWS_CTES = """
timed AS (
    SELECT a.mentor_id, a.session_id, a.attendance, a.minutes_attended, s.session_type,
           s.scheduled_start, CAST(s.scheduled_start AS DATE) AS day, s.duration_minutes,
           s.staff_id, s.beneficiary_id, s.event_name,
           a.attendance <> 'cancelled_by_programme' AS expected,
           a.attendance IN ('attended', 'late') AS present,
           CASE WHEN a.arrival IS NOT NULL THEN CAST(greatest(0,
               floor((epoch(a.arrival) - epoch(s.scheduled_start)) / 60)) AS INTEGER) END
               AS minutes_late
    FROM attendance a
    JOIN sessions s USING (session_id)
    WHERE a.mentor_id IN (SELECT mentor_id FROM selected)
),
rows_all AS (
    SELECT *,
           present AND (attendance = 'late' OR coalesce(minutes_late > $grace, false)) AS late,
           CASE WHEN present THEN least(duration_minutes, coalesce(minutes_attended,
               greatest(0, duration_minutes - coalesce(minutes_late, 0)))) END AS credited_minutes
    FROM timed
)
"""

# The active mentors' rows up to `to`, from all the rows of the selected mentors.
_ROWS_TO_CTE = """
rows_to AS (
    SELECT r.* FROM {rows} r JOIN active USING (mentor_id) WHERE r.day <= $to
)
"""

_ROWS_IN_CTE = "rows_in AS (SELECT * FROM rows_to WHERE day >= $from)"

SCOPE_SQL = (
    "\nWITH "
    + _MENTORS_CTES.strip()
    + ",\n"
    + _ROWS_CTES.strip()
    + ",\n"
    + _ROWS_TO_CTE.strip().replace("{rows}", "rows_all")
    + ",\n"
    + _ROWS_IN_CTE
    + "\n"
)


def scope_sql(table: str | None = None) -> str:
    """SCOPE_SQL, or the same CTEs with the selected mentors' rows (`rows_all`) read from a
    table `rows_table` filled."""
    if table is None:
        return SCOPE_SQL
    rows_to = _ROWS_TO_CTE.strip().replace("{rows}", table)
    return f"\nWITH {_MENTORS_CTES.strip()},\n{rows_to},\n{_ROWS_IN_CTE}\n"


# --- the scoped rows, materialised ------------------------------------------------------------
#
# `rows_all` joins every attendance row of the selected mentors with its session, with the
# per-row definitions: the costly part of every figure. On a connection registered with
# `share_rows` (the dashboard's connection for one script run, during which the records cannot
# change) it is built once per set of mentor filters as a TEMP table (from the CTEs of SCOPE_SQL,
# so the definitions stay there), kept until the connection closes, and every window's
# `rows_to` (this period's and the previous one's) and every view of the page read it.

_ROWS_TABLE_SQL = (
    "CREATE TEMP TABLE {table} AS WITH "
    + _MENTORS_CTES.strip().split("\nactive AS (")[0].rstrip().rstrip(",")
    + ",\n"
    + _ROWS_CTES.strip()
    + "\nSELECT * FROM rows_all"
)
_PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")
_SHARED: dict[int, set[str]] = {}  # id of a shared connection: the tables built on it


def bind(sql: str, p: dict[str, Any]) -> dict[str, Any]:
    """The parameters `sql` names (DuckDB refuses extra ones)."""
    names = set(_PARAMETER.findall(sql))
    return {k: v for k, v in p.items() if k in names}


def share_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the scoped rows built on `con` until `unshare_rows` (call it before closing)."""
    _SHARED[id(con)] = set()


def unshare_rows(con: duckdb.DuckDBPyConnection) -> None:
    _SHARED.pop(id(con), None)


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
        sql = _ROWS_TABLE_SQL.replace("{table}", table)
        con.execute(sql, bind(sql, p))
        built.add(table)
    return table


# Attendance figures: counted per mentor first, then over mentors (the people a figure rests on
# are the mentors with a count above 0), which is much cheaper than many DISTINCT counts.
_ATTENDANCE_CTES = """,
by_mentor AS (
    SELECT mentor_id,
           count(*) FILTER (WHERE expected) AS expected,
           count(*) FILTER (WHERE present) AS present,
           count(*) FILTER (WHERE attendance = 'no_show') AS no_show,
           count(*) FILTER (WHERE attendance = 'notified_absence') AS notified,
           count(*) FILTER (WHERE present AND NOT late) AS on_time,
           count(*) FILTER (WHERE late AND minutes_late IS NOT NULL) AS late_known,
           count(*) FILTER (WHERE session_type = 'beneficiary_meeting' AND expected)
               AS bm_expected,
           count(*) FILTER (WHERE session_type = 'beneficiary_meeting'
                            AND attendance IN ('no_show', 'notified_absence')) AS bm_missed,
           count(*) FILTER (WHERE session_type = 'beneficiary_meeting' AND late) AS bm_late,
           count(*) FILTER (WHERE session_type = 'beneficiary_meeting' AND present) AS bm_present,
           sum(credited_minutes) FILTER (WHERE session_type = 'beneficiary_meeting' AND present)
               AS bm_credited,
           sum(minutes_late) FILTER (WHERE session_type IN ('shadowing', 'beneficiary_meeting')
                                     AND late) AS lost_late,
           sum(duration_minutes) FILTER (WHERE session_type IN ('shadowing', 'beneficiary_meeting')
                                         AND attendance = 'no_show') AS lost_no_show,
           count(*) FILTER (WHERE session_type IN ('shadowing', 'beneficiary_meeting')
               AND ((late AND minutes_late IS NOT NULL) OR attendance = 'no_show')) AS lost_rows,
           count(*) FILTER (WHERE session_type IN ('group_day', 'event') AND present) AS events
    FROM rows_in GROUP BY mentor_id
),
lateness AS (
    SELECT avg(minutes_late) AS mean_late, median(minutes_late) AS median_late
    FROM rows_in WHERE late
),
reached AS (
    SELECT count(DISTINCT beneficiary_id) AS beneficiaries
    FROM rows_in WHERE session_type = 'beneficiary_meeting' AND present
)
"""
_ATTENDANCE_SELECT = """
SELECT
    (SELECT count(*) FROM active) AS mentors_active,
    coalesce(sum(expected), 0) AS expected,
    count(*) FILTER (WHERE expected > 0) AS expected_people,
    coalesce(sum(present), 0) AS present,
    count(*) FILTER (WHERE present > 0) AS present_people,
    coalesce(sum(no_show), 0) AS no_show,
    coalesce(sum(notified), 0) AS notified,
    count(*) FILTER (WHERE no_show + notified > 0) AS absent_people,
    coalesce(sum(on_time), 0) AS on_time,
    (SELECT mean_late FROM lateness) AS mean_late,
    (SELECT median_late FROM lateness) AS median_late,
    count(*) FILTER (WHERE late_known > 0) AS late_known_people,
    coalesce(sum(bm_expected), 0) AS bm_expected,
    count(*) FILTER (WHERE bm_expected > 0) AS bm_expected_people,
    coalesce(sum(bm_missed), 0) AS bm_missed,
    count(*) FILTER (WHERE bm_missed > 0) AS bm_missed_people,
    coalesce(sum(bm_late), 0) AS bm_late,
    count(*) FILTER (WHERE bm_late > 0) AS bm_late_people,
    (SELECT beneficiaries FROM reached) AS beneficiaries,
    coalesce(sum(bm_credited), 0) / 60.0 AS peer_hours,
    count(*) FILTER (WHERE bm_present > 0) AS peer_people,
    CAST(coalesce(sum(lost_late), 0) + coalesce(sum(lost_no_show), 0) AS DOUBLE) AS staff_lost,
    count(*) FILTER (WHERE lost_rows > 0) AS staff_lost_people,
    count(*) FILTER (WHERE events > 0) AS events_people
FROM by_mentor
"""
_ATTENDANCE_BODY = _ATTENDANCE_CTES + _ATTENDANCE_SELECT

_ACTIVE_SELECT = "SELECT count(*) AS mentors_active FROM active"

_EVENTS_SELECT = """
SELECT coalesce(event_name, session_type) AS event, count(DISTINCT mentor_id) AS mentors
FROM rows_in WHERE session_type IN ('group_day', 'event') AND present
GROUP BY ALL ORDER BY event
"""
_EVENTS_BODY = _EVENTS_SELECT

_MILESTONES_SQL = (
    SCOPE_SQL
    + """
SELECT milestone, count(DISTINCT mentor_id) AS mentors
FROM milestones JOIN active USING (mentor_id)
WHERE achieved_on BETWEEN $from AND $to
GROUP BY ALL
"""
)

# Running total of credited shadowing per mentor, up to `to`; the session that reached the target.
SHADOWING_CTES = """,
shadow AS (
    SELECT mentor_id, day, credited_minutes,
           sum(credited_minutes) OVER (PARTITION BY mentor_id ORDER BY scheduled_start, session_id
                                       ROWS UNBOUNDED PRECEDING) AS running
    FROM rows_to WHERE session_type = 'shadowing' AND present
),
per_mentor AS (
    SELECT a.mentor_id, a.start_date, coalesce(sum(s.credited_minutes), 0) AS credited,
           min(s.day) FILTER (WHERE s.running >= $target_minutes) AS completed_on
    FROM active a LEFT JOIN shadow s USING (mentor_id)
    GROUP BY ALL
)
"""
SHADOWING_SQL = SCOPE_SQL + SHADOWING_CTES

_SHADOWING_SELECT = """
SELECT count(*) FILTER (WHERE credited >= $target_minutes) AS complete,
       count(*) FILTER (WHERE credited > 0 AND credited < $target_minutes) AS in_progress,
       median(date_diff('day', start_date, completed_on))
           FILTER (WHERE credited >= $target_minutes) AS median_days
FROM per_mentor
"""
_SHADOWING_SUMMARY_BODY = SHADOWING_CTES + _SHADOWING_SELECT


# Assessments of active mentors up to `to`, each with the one before it.
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
)
"""
)

_STAGES_SUMMARY_SQL = (
    STAGES_SQL
    + """
SELECT
    (SELECT list(latest_stage) FROM per_mentor) AS latest,
    (SELECT count(*) FROM per_mentor WHERE n >= 2 AND latest_stage > first_stage) AS progressed,
    (SELECT count(*) FROM assessed WHERE stage < previous_stage AND assessed_on >= $from)
        AS regressions,
    (SELECT count(DISTINCT mentor_id) FROM assessed
        WHERE stage < previous_stage AND assessed_on >= $from) AS regression_people,
    (SELECT avg(latest_se - first_se) FROM per_mentor WHERE n_scored >= 2) AS se_change,
    (SELECT count(*) FROM per_mentor WHERE n_scored >= 2) AS se_people
"""
)

_AT_RISK_CTES = """,
recent AS (
    SELECT mentor_id,
           count(*) FILTER (WHERE expected) AS expected,
           count(*) FILTER (WHERE present) AS present,
           count(*) FILTER (WHERE attendance = 'no_show') AS no_shows,
           count(*) FILTER (WHERE late) AS lates
    FROM rows_to WHERE day >= $lookback_from GROUP BY mentor_id
),
latest_two AS (
    SELECT mentor_id,
           arg_max(stage, assessed_on) AS latest_stage, max(assessed_on) AS latest_on,
           (list(stage ORDER BY assessed_on DESC))[2] AS previous_stage
    FROM stage_assessments WHERE assessed_on <= $to GROUP BY mentor_id
)
"""
_AT_RISK_SELECT = """
SELECT a.mentor_id,
       coalesce(r.expected >= 3 AND r.present < 0.6 * r.expected, false) AS low_attendance,
       coalesce(r.no_shows >= 2, false) AS no_shows,
       coalesce(r.lates >= 3, false) AS lateness,
       coalesce(l.latest_on >= $lookback_from AND l.latest_stage < l.previous_stage, false)
           AS stage_regression
FROM active a
LEFT JOIN recent r USING (mentor_id)
LEFT JOIN latest_two l USING (mentor_id)
WHERE a.status IN ('active', 'paused')
ORDER BY a.mentor_id
"""
_AT_RISK_BODY = _AT_RISK_CTES + _AT_RISK_SELECT


FLAG_ORDER = ("low_attendance", "no_shows", "lateness", "stage_regression")

# The groups of figures `compute` can be asked for (all of them by default).
PARTS = ("attendance", "shadowing", "stages", "events", "milestones")


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


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
    wants_attendance = "attendance" in parts or "events" in parts
    wants_shadowing = "shadowing" in parts
    wants_events = "events" in parts
    needs_rows = with_at_risk or wants_attendance or wants_shadowing
    table = rows_table(con, p) if needs_rows else None
    if table is None and needs_rows:
        raw = _one_pass(con, p, wants_attendance, wants_shadowing, wants_events, with_at_risk)
    else:
        scoped = scope_sql(table)
        raw = {
            "a": _one(con, scoped + (_ATTENDANCE_BODY if wants_attendance else _ACTIVE_SELECT), p),
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
    attendance: bool,
    shadowing: bool,
    events: bool,
    flags: bool,
) -> dict[str, Any]:
    """The figure queries as one statement: the scoped rows are joined once and kept for the
    statement (a MATERIALIZED CTE), and every group of figures reads them."""
    ctes = [_ATTENDANCE_CTES + ",\nattendance_figures AS (" + _ATTENDANCE_SELECT + ")"]
    columns = ["(SELECT attendance_figures FROM attendance_figures) AS a"]
    if not attendance:
        ctes = [",\nattendance_figures AS (" + _ACTIVE_SELECT + ")"]
    if shadowing:
        ctes.append(SHADOWING_CTES + ",\nshadowing_figures AS (" + _SHADOWING_SELECT + ")")
        columns.append("(SELECT shadowing_figures FROM shadowing_figures) AS s")
    if events:
        ctes.append(",\nevent_figures AS (" + _EVENTS_SELECT + ")")
        columns.append(
            "(SELECT list((event, mentors) ORDER BY event) FROM event_figures) AS events"
        )
    if flags:
        ctes.append(_AT_RISK_CTES + ",\nflag_figures AS (" + _AT_RISK_SELECT + ")")
        columns.append(
            "(SELECT list((mentor_id, low_attendance, no_shows, lateness, stage_regression) "
            "ORDER BY mentor_id) FROM flag_figures) AS flags"
        )
    sql = (
        SCOPE_SQL.replace("\nrows_to AS (", "\nrows_to AS MATERIALIZED (", 1)
        + "".join(ctes)
        + "\nSELECT "
        + ", ".join(columns)
    )
    row = _one(con, sql, p)
    return {
        "a": row["a"],
        "s": row.get("s"),
        "events": [tuple(e) for e in row.get("events") or []],
        "flags": [tuple(f) for f in row.get("flags") or []],
    }


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
    put("mentors_active", a["mentors_active"], a["mentors_active"])
    if "attendance" in parts:
        put("expected_attendances", a["expected"], a["expected_people"])
        put("attendance_rate", _rate(a["present"], a["expected"]), a["expected_people"])
        put("no_show_rate", _rate(a["no_show"], a["expected"]), a["expected_people"])
        put("notice_rate", _rate(a["notified"], a["notified"] + a["no_show"]), a["absent_people"])
        put("punctuality_rate", _rate(a["on_time"], a["present"]), a["present_people"])
        put("mean_minutes_late", a["mean_late"], a["late_known_people"])
        put(
            "median_minutes_late",
            None if a["median_late"] is None else float(a["median_late"]),
            a["late_known_people"],
        )
        put("beneficiary_meetings.expected", a["bm_expected"], a["bm_expected_people"])
        put("beneficiary_meetings.missed", a["bm_missed"], a["bm_missed_people"])
        put("beneficiary_meetings.late", a["bm_late"], a["bm_late_people"])
        put("beneficiaries_reached", a["beneficiaries"], a["beneficiaries"])
        put("peer_support_hours", float(a["peer_hours"]), a["peer_people"])
        put("staff_minutes_lost", float(a["staff_lost"]), a["staff_lost_people"])

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
        put("events.mentors_attending", a["events_people"], a["events_people"])
        values["events"]["by_event"] = {}
        for event, n in raw["events"]:
            put(f"events.by_event.{event}", n, n)

    if "milestones" in parts:
        values["milestones"] = {}
        found = dict(_all(con, _MILESTONES_SQL, p))
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
