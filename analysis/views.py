"""The named queries the manager pages show: small, aggregated, sorted frames.

Every view is `name(con, scope, settings, **small_kwargs) -> DataFrame`. Each reads the shared
scope of `analysis.metrics` (SCOPE_SQL, SHADOWING_SQL, STAGES_SQL), so the per-row definitions
(expected, present, late, minutes_late, credited_minutes) exist once, and aggregates in DuckDB
with bound parameters. Views over every row of the scope read them through `_run_rows`, which
uses the connection's materialised rows when it shares them (the dashboard's run connection).
No view returns raw attendance rows, except the few sessions of the one mentor the Mentor
journey page shows; per-mentor tables take `limit` and `offset`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import duckdb
import pandas as pd

from analysis import catalog, clock, figures, metrics, query
from analysis.records import SESSION_TYPES
from analysis.settings import Settings

SESSION_TYPE_LABELS: dict[str, str] = {
    "shadowing": "Shadowing",
    "beneficiary_meeting": "Beneficiary meeting",
    "group_day": "Group day",
    "training": "Training",
    "supervision": "Supervision",
    "event": "Event",
}
ATTENDANCE_LABELS: dict[str, str] = {
    "attended": "Attended",
    "late": "Late",
    "notified_absence": "Absent with notice",
    "no_show": "No-show",
    "cancelled_by_programme": "Cancelled by the programme",
}
MILESTONE_LABELS: dict[str, str] = {
    "training_completed": "Training completed",
    "shadowing_completed": "Shadowing completed",
    "first_mentoring_session": "First mentoring session",
    "accredited_qualification": "Accredited qualification",
    "volunteering": "Volunteering",
    "further_education": "Further education",
    "paid_employment": "Paid employment",
}
OUTCOME_MILESTONES = (
    "accredited_qualification",
    "volunteering",
    "further_education",
    "paid_employment",
)
FLAG_LABELS: dict[str, str] = {
    "low_attendance": "Attendance under 60%",
    "no_shows": "2 or more no-shows",
    "lateness": "3 or more late arrivals",
    "stage_regression": "Stepped back on the curve",
    "conduct": "Concerns about conduct",
}
NOT_ASSESSED = "Not yet assessed"

# The headline cards: (figure path in metrics.compute, label, number format, which direction is
# better), from the figure registry, then the flag counts of the Overview.
CARD_FIGURES = (
    "mentors_active",
    "attendance_rate",
    "punctuality_rate",
    "no_show_rate",
    "notice_rate",
    "median_minutes_late",
    "beneficiary_meetings.missed",
    "beneficiary_meetings.late",
    "beneficiaries_reached",
    "peer_support_hours",
    "staff_minutes_lost",
    "shadowing.mentors_complete",
    "shadowing.mentors_in_progress",
    "shadowing.median_days_to_complete",
    "stages.mentors_progressed",
    "stages.regressions",
    "stages.mean_self_esteem_change",
    "events.mentors_attending",
    "mentors_started",
    "mentors_completed",
    "mentors_withdrawn",
    "shadowing.completed_in_window",
)
HEADLINES: tuple[tuple[str, str, str, str], ...] = (
    *((f.key, f.label, f.fmt, f.better) for f in map(figures.get, CARD_FIGURES)),
    ("mentors_flagged", figures.get("at_risk").label, "count", "lower"),
    *((f"flags.{reason}", label, "count", "lower") for reason, label in FLAG_LABELS.items()),
)

# The flag figures of HEADLINES (the Overview's chart of why mentors are flagged).
FLAG_FIGURES = ("mentors_flagged", *(f"flags.{reason}" for reason in FLAG_LABELS))


def _run(con: duckdb.DuckDBPyConnection, sql: str, p: dict[str, Any]) -> pd.DataFrame:
    """Run `sql`, binding only the parameters it names (DuckDB refuses extra ones)."""
    return con.execute(sql, metrics.bind(sql, p)).df()


def _run_rows(con: duckdb.DuckDBPyConnection, body: str, p: dict[str, Any]) -> pd.DataFrame:
    """Run `body` after the shared scope (SCOPE_SQL), over the connection's materialised rows
    when it shares them (`metrics.rows_table`): the pages' views then build the join once."""
    return _run(con, metrics.scope_sql(metrics.rows_table(con, p)) + body, p)


def _params(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, **extra: Any
) -> dict[str, Any]:
    window = metrics.resolve_window(con, scope)
    return metrics.params(scope, settings, window) | extra


def _stage_label(settings: Settings, stage: Any) -> str:
    if stage is None or pd.isna(stage) or int(stage) == 0:
        return NOT_ASSESSED
    return settings.stage_label(int(stage))


def _dotted(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def headline_figures(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    compare: bool = True,
    figures: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The headline figures (`metrics.compute`), with the previous window's when `compare`.

    `figures` (paths of HEADLINES) limits the rows, and what is computed, to those a page shows.
    """
    wanted = [h for h in HEADLINES if not figures or h[0] in figures]
    parts, flags = _parts_for(f for f, *_ in wanted)
    current = metrics.compute(con, scope, settings, with_at_risk=flags, parts=parts)
    previous_scope = metrics.previous_scope(scope, current.window)
    previous_window = (previous_scope.date_from, previous_scope.date_to)
    # Before the programme began there is nothing to compare with: no change is shown (and
    # the second pass over the records is skipped).
    had_previous = compare and _count_active(con, previous_scope, settings) > 0
    previous_values: dict[str, Any] = {}
    if had_previous:
        previous = metrics.compute(con, previous_scope, settings, with_at_risk=flags, parts=parts)
        previous_values = _with_flags(previous)
    current_values = _with_flags(current)
    # Not recorded is not zero (METRICS.md): a figure whose inputs the programme does not
    # record has no value, and its card says so.
    unrecorded = metrics.unrecorded_inputs(con, scope, settings, current.window)
    rows = []
    for figure, label, kind, better in wanted:
        registered = metrics.figures.find(figure)  # `figures` is the argument here
        not_recorded = (
            registered is not None
            and registered.needs in unrecorded
            and not registered.kept_unrecorded
        )
        value = None if not_recorded else _dotted(current_values, figure)
        before = _dotted(previous_values, figure) if had_previous and not not_recorded else None
        rows.append(
            {
                "figure": figure,
                "label": label,
                "kind": kind,
                "better": better,
                "value": None if value is None else float(value),
                "previous": None if before is None else float(before),
                "window_from": current.window[0],
                "window_to": current.window[1],
                "compared": compare,
                "previous_from": previous_window[0],
                "previous_to": previous_window[1],
                "not_recorded": not_recorded,
            }
        )
    return pd.DataFrame(rows)


def _parts_for(wanted: Iterable[str]) -> tuple[tuple[str, ...], bool]:
    """The groups of `metrics.compute` the headline `figures` need, and whether the flags are."""
    parts: set[str] = set()
    flags = False
    for key in wanted:
        group = key.partition(".")[0]
        if group in ("mentors_flagged", "flags"):
            flags = True
        elif group in ("shadowing", "stages", "events"):
            parts.add(group)
        elif figures.get(key).measure is not None:
            parts.add("attendance")
    return tuple(p for p in metrics.PARTS if p in parts), flags


def _with_flags(figures: metrics.Figures) -> dict[str, Any]:
    """The figures plus how many mentors are flagged, in all and for each reason."""
    flagged = figures.at_risk
    by_reason = {r: sum(1 for f in flagged if r in f["reasons"]) for r in metrics.FLAG_ORDER}
    return figures.values | {"mentors_flagged": len(flagged), "flags": by_reason}


_ACTIVE_COUNT_SQL = metrics.SCOPE_SQL + "SELECT count(*) AS mentors FROM active"


def _count_active(con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings) -> int:
    return int(_run(con, _ACTIVE_COUNT_SQL, _params(con, scope, settings))["mentors"].iloc[0])


_FRESHNESS_SQL = f"""
SELECT
    (SELECT CAST(max(scheduled_start) AS DATE) FROM sessions
        WHERE CAST(scheduled_start AS DATE) <= $today) AS latest_session,
    (SELECT count(*) FROM sessions WHERE CAST(scheduled_start AS DATE) > $today)
        AS upcoming_sessions,
    (SELECT max(assessed_on) FROM stage_assessments) AS latest_assessment,
    ({catalog.LAST_IMPORT_SQL}) AS last_import,
    (SELECT count(*) FROM imports WHERE kind = 'import') AS imports,
    CAST($today AS DATE) AS today
"""


def data_freshness(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """How up to date the records are on `today` (the clock's unless given): latest session
    and assessment, and the last import."""
    return _run(con, _FRESHNESS_SQL, {"today": today or clock.today()})


_MONTHS_SQL = """,
months AS (
    SELECT CAST(m AS DATE) AS month
    FROM generate_series(CAST(date_trunc('month', CAST($from AS DATE)) AS TIMESTAMP),
                         CAST(date_trunc('month', CAST($to AS DATE)) AS TIMESTAMP),
                         INTERVAL 1 MONTH) AS g(m)
)"""

_MONTHLY_TALLIES = (
    "expected",
    "present",
    "on_time",
    "late",
    "no_show",
    "notified",
    "beneficiary_expected",
    "beneficiary_missed",
    "beneficiary_late",
)
_MONTHLY_RATES = ("attendance_rate", "punctuality_rate", "no_show_rate", "notice_rate")
# The same figures over the whole window, by the same measures (`window_<key>`, with the
# arrivals as `window_present`): `attendance_by_month` keeps them in the frame's
# `attrs["window"]`, which a caption reads; it never sums the months itself.
_WINDOW_FIGURES = (*_MONTHLY_RATES, "expected_attendances")
_ATTENDANCE_BY_MONTH_SQL = (
    _MONTHS_SQL
    + ",\nby_month AS ("
    + query.breakdown_sql("month", _MONTHLY_RATES, _MONTHLY_TALLIES, supports=("attendance_rate",))
    + "),\nin_window AS (SELECT "
    + ", ".join(f"{query.column(k)} AS window_{query.column(k)}" for k in _WINDOW_FIGURES)
    + ", present AS window_present FROM ("
    + query.breakdown_sql("total", _WINDOW_FIGURES, ("present",))
    + "))\nSELECT month, "
    + ", ".join(f"coalesce({t}, 0) AS {t}" for t in _MONTHLY_TALLIES)
    + ", "
    + ", ".join(_MONTHLY_RATES)
    + ", coalesce(attendance_rate_mentors, 0) AS mentors, in_window.*"
    + "\nFROM months LEFT JOIN by_month USING (month) CROSS JOIN in_window\nORDER BY month\n"
)


def attendance_by_month(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> pd.DataFrame:
    """Per calendar month of the window: attendance, punctuality, no-show and notice figures;
    `attrs["window"]`: the rates, `expected_attendances` and `present` over the whole window."""
    frame = _run_rows(con, _ATTENDANCE_BY_MONTH_SQL, _params(con, scope, settings))
    prefix = "window_"
    columns = [c for c in frame.columns if c.startswith(prefix)]
    frame.attrs["window"] = {
        c.removeprefix(prefix): None
        if frame.empty or pd.isna(frame[c].iloc[0])
        else frame[c].iloc[0]
        for c in columns
    }
    return frame.drop(columns=columns)


_STAGE_DISTRIBUTION_SQL = (
    metrics.STAGES_SQL
    + """
SELECT s.stage, count(c.mentor_id) AS mentors
FROM range(0, 8) AS s(stage)
LEFT JOIN (SELECT a.mentor_id, coalesce(p.latest_stage, 0) AS stage
           FROM active a LEFT JOIN per_mentor p USING (mentor_id)) c USING (stage)
GROUP BY s.stage ORDER BY s.stage
"""
)


def stage_distribution(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> pd.DataFrame:
    """Active mentors by current stage (stage 0: not yet assessed), with the stage labels."""
    frame = _run(con, _STAGE_DISTRIBUTION_SQL, _params(con, scope, settings))
    frame["label"] = [_stage_label(settings, s) for s in frame["stage"]]
    frame["name"] = [
        NOT_ASSESSED if s == 0 else settings.stage_labels[int(s) - 1] for s in frame["stage"]
    ]
    return frame


# --- Timekeeping ---------------------------------------------------------------------------

_WEEKS_SQL = (
    ",\nweeks AS ("
    + query.breakdown_sql(
        "weeks_in_programme",
        ("punctuality_rate",),
        ("present", "on_time"),
        supports=("punctuality_rate",),
        where="present",
    )
    + """)
SELECT weeks_from,
       CASE WHEN weeks_from >= $cap THEN NULL ELSE weeks_from + $bucket - 1 END AS weeks_to,
       present, on_time, punctuality_rate, punctuality_rate_mentors AS mentors
FROM weeks ORDER BY weeks_from
"""
)


def punctuality_by_weeks_in_programme(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    bucket_weeks: int = 4,
    cap_weeks: int = 52,
) -> pd.DataFrame:
    """Punctuality by weeks since each mentor's start date, in buckets; the last is `cap`+."""
    if bucket_weeks < 1 or cap_weeks < bucket_weeks or cap_weeks % bucket_weeks:
        raise ValueError("cap_weeks must be a positive multiple of bucket_weeks")
    frame = _run_rows(
        con, _WEEKS_SQL, _params(con, scope, settings, bucket=bucket_weeks, cap=cap_weeks)
    )
    frame["label"] = [
        f"{int(a)}+" if pd.isna(b) else f"{int(a)}–{int(b)}"
        for a, b in zip(frame["weeks_from"], frame["weeks_to"], strict=True)
    ]
    return frame


_MINUTES_LATE_BINS = ((0, 5), (6, 10), (11, 15), (16, 20), (21, 30), (31, 45), (46, 60), (61, None))

_MINUTES_LATE_SQL = """,
bins AS (
    SELECT unnest(CAST($lows AS INTEGER[])) AS low, unnest(CAST($highs AS INTEGER[])) AS high
),
per_minute AS (
    SELECT minutes_late, count(*) AS n FROM rows_in
    WHERE late AND minutes_late IS NOT NULL GROUP BY minutes_late
)
SELECT b.low, b.high, coalesce(sum(p.n), 0) AS arrivals
FROM bins b LEFT JOIN per_minute p
  ON p.minutes_late >= b.low AND (b.high IS NULL OR p.minutes_late <= b.high)
GROUP BY b.low, b.high ORDER BY b.low
"""


def minutes_late_distribution(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> pd.DataFrame:
    """Late arrivals with a recorded time, counted in bins of minutes late."""
    lows = [low for low, _ in _MINUTES_LATE_BINS]
    highs = [high for _, high in _MINUTES_LATE_BINS]
    frame = _run_rows(con, _MINUTES_LATE_SQL, _params(con, scope, settings, lows=lows, highs=highs))
    frame["label"] = [
        f"Over {int(a) - 1}" if pd.isna(b) else f"{int(a)}–{int(b)}"
        for a, b in zip(frame["low"], frame["high"], strict=True)
    ]
    return frame


_BY_SESSION_TYPE_SQL = query.breakdown_sql(
    "session_type",
    ("punctuality_rate", "attendance_rate", "mean_minutes_late"),
    ("expected", "present", "on_time", "late"),
)


def punctuality_by_session_type(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> pd.DataFrame:
    """Attendance and punctuality per session type, in the programme's order of types."""
    frame = _run_rows(con, _BY_SESSION_TYPE_SQL, _params(con, scope, settings))
    order = {t: i for i, t in enumerate(SESSION_TYPES)}
    frame = frame.sort_values(
        "session_type", key=lambda s: s.map(lambda t: order.get(t, len(order)))
    ).reset_index(drop=True)
    frame["label"] = [SESSION_TYPE_LABELS.get(t, t) for t in frame["session_type"]]
    return frame


_WEEKDAY_HOUR_SQL = (
    query.breakdown_sql(
        "weekday_hour", ("punctuality_rate",), ("present", "on_time"), where="present"
    )
    + "ORDER BY weekday, hour"
)


def punctuality_by_weekday_hour(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> pd.DataFrame:
    """Punctuality by weekday (1 = Monday) and hour of the scheduled start."""
    return _run_rows(con, _WEEKDAY_HOUR_SQL, _params(con, scope, settings))


_BY_COHORT_SQL = (
    """,
per_cohort AS (
    SELECT cohort, min(start_date) AS cohort_start, count(*) AS mentors FROM active GROUP BY cohort
),
rows_by_cohort AS ("""
    + query.breakdown_sql(
        "cohort", ("attendance_rate", "punctuality_rate"), ("expected", "present", "on_time")
    )
    + """)
SELECT c.cohort, c.cohort_start, c.mentors,
       coalesce(r.expected, 0) AS expected, coalesce(r.present, 0) AS present,
       coalesce(r.on_time, 0) AS on_time, r.attendance_rate, r.punctuality_rate
FROM per_cohort c LEFT JOIN rows_by_cohort r USING (cohort)
ORDER BY c.cohort_start, c.cohort
"""
)


def cohort_comparison(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> pd.DataFrame:
    """Attendance and punctuality per cohort in the window, cohorts in order of intake."""
    return _run_rows(con, _BY_COHORT_SQL, _params(con, scope, settings))


# Staff minutes lost (the registry's staff_minutes_lost) per member of staff.
_STAFF_TIME_SQL = (
    ",\nper_staff AS ("
    + query.breakdown_sql(
        "staff",
        ("staff_minutes_lost",),
        ("lost_late", "lost_no_show"),
        counts=("lost_late", "lost_no_show", "beneficiary", "staffed"),
        where="staffed",
    )
    + """)
SELECT staff_id, CAST(lost_late AS DOUBLE) AS late_minutes,
       CAST(lost_no_show AS DOUBLE) AS no_show_minutes, staff_minutes_lost AS minutes_lost,
       lost_late_rows AS late_arrivals, lost_no_show_rows AS no_shows,
       beneficiary_rows >= staffed_rows - beneficiary_rows AS mostly_beneficiary_meetings,
       count(*) OVER () AS staff_total,
       sum(staff_minutes_lost) OVER () AS minutes_lost_total
FROM per_staff
ORDER BY minutes_lost DESC, staff_id
LIMIT $limit
"""
)


def staff_time_lost(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, limit: int = 25
) -> pd.DataFrame:
    """Staff minutes lost per member of staff (session staff_id), most first, `limit` rows."""
    return _run_rows(con, _STAFF_TIME_SQL, _params(con, scope, settings, limit=limit))


# --- Reliability ---------------------------------------------------------------------------

_MENTOR_ORDERS = {
    "flags": "flag_count DESC, attendance_rate ASC NULLS LAST, mentor_id",
    "attendance": "attendance_rate ASC NULLS LAST, mentor_id",
    "punctuality": "punctuality_rate ASC NULLS LAST, mentor_id",
    "no_shows": "no_shows DESC, mentor_id",
    "mentor": "mentor_id",
}

_MENTOR_RELIABILITY_SQL = (
    """,
flags AS (
    SELECT unnest(CAST($flag_ids AS VARCHAR[])) AS mentor_id,
           unnest(CAST($flag_reasons AS VARCHAR[])) AS reasons,
           unnest(CAST($flag_counts AS INTEGER[])) AS flag_count
),
per_mentor AS ("""
    + query.breakdown_sql(
        "mentor",
        ("attendance_rate", "punctuality_rate"),
        ("expected", "late", "no_show", "notified"),
    )
    + """),
last_present AS (
    SELECT mentor_id, max(day) AS last_attended FROM rows_to WHERE present GROUP BY mentor_id
),
table_rows AS (
    SELECT a.mentor_id, a.cohort, a.outreach_worker, a.status,
           coalesce(p.expected, 0) AS expected, p.attendance_rate, p.punctuality_rate,
           coalesce(p.late, 0) AS late, coalesce(p.no_show, 0) AS no_shows,
           coalesce(p.notified, 0) AS notified,
           l.last_attended,
           coalesce(f.flag_count, 0) AS flag_count, coalesce(f.reasons, '') AS reasons
    FROM active a
    LEFT JOIN per_mentor p USING (mentor_id)
    LEFT JOIN last_present l USING (mentor_id)
    LEFT JOIN flags f USING (mentor_id)
)
SELECT *, round(100 * attendance_rate) AS attendance_percent,
       round(100 * punctuality_rate) AS punctuality_percent,
       count(*) OVER () AS mentors_total
FROM table_rows
WHERE NOT $only_flagged OR flag_count > 0
"""
)


def mentor_reliability(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    limit: int = 200,
    offset: int = 0,
    order: str = "flags",
    only_flagged: bool = False,
) -> pd.DataFrame:
    """Per active mentor: rates in the window (also as whole percentages, for display) and
    early-warning flags with their reasons; sorted, `limit` rows from `offset`."""
    tail = query.order_by(order, _MENTOR_ORDERS) + query.page(limit, offset)
    window = metrics.resolve_window(con, scope)
    flagged = metrics.at_risk(con, scope, settings, window)
    p = metrics.params(scope, settings, window) | {
        "flag_ids": [f["mentor_id"] for f in flagged],
        "flag_reasons": ["; ".join(FLAG_LABELS[r] for r in f["reasons"]) for f in flagged],
        "flag_counts": [len(f["reasons"]) for f in flagged],
        "only_flagged": bool(only_flagged),
    }
    return _run_rows(con, _MENTOR_RELIABILITY_SQL + tail.text, p | dict(tail.params))


# --- Transitions ---------------------------------------------------------------------------

_STAGE_FLOWS_SQL = (
    metrics.STAGES_SQL
    + """
SELECT coalesce(start_stage, 0) AS from_stage, end_stage AS to_stage, count(*) AS mentors
FROM (
    SELECT mentor_id,
           arg_max(stage, assessed_on) FILTER (WHERE assessed_on < $from) AS start_stage,
           arg_max(stage, assessed_on) AS end_stage
    FROM assessed GROUP BY mentor_id
)
GROUP BY ALL ORDER BY from_stage, to_stage
"""
)


def stage_flows(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> pd.DataFrame:
    """Mentors by stage when the window opened (0: not yet assessed) and stage at its end."""
    frame = _run(con, _STAGE_FLOWS_SQL, _params(con, scope, settings))
    frame["from_label"] = [_stage_label(settings, s) for s in frame["from_stage"]]
    frame["to_label"] = [_stage_label(settings, s) for s in frame["to_stage"]]
    return frame


_STAGE_DURATIONS_SQL = (
    metrics.STAGES_SQL
    + """,
marked AS (
    SELECT mentor_id, assessed_on, stage,
           sum(CASE WHEN previous_stage IS NULL OR stage <> previous_stage THEN 1 ELSE 0 END)
               OVER (PARTITION BY mentor_id ORDER BY assessed_on ROWS UNBOUNDED PRECEDING)
               AS spell
    FROM assessed
),
spells AS (
    SELECT mentor_id, spell, any_value(stage) AS stage, min(assessed_on) AS entered
    FROM marked GROUP BY mentor_id, spell
),
spans AS (
    SELECT stage,
           date_diff('day', entered,
                     lead(entered) OVER (PARTITION BY mentor_id ORDER BY spell)) AS days
    FROM spells
)
SELECT s.stage,
       count(p.days) AS spells_completed,
       count(p.stage) - count(p.days) AS spells_ongoing,
       median(p.days) AS median_days,
       quantile_cont(p.days, 0.25) AS q1_days,
       quantile_cont(p.days, 0.75) AS q3_days
FROM range(1, 8) AS s(stage) LEFT JOIN spans p USING (stage)
GROUP BY s.stage ORDER BY s.stage
"""
)


def stage_durations(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> pd.DataFrame:
    """Median days in each stage, over spells that ended (the next assessment changed stage)."""
    frame = _run(con, _STAGE_DURATIONS_SQL, _params(con, scope, settings))
    frame["label"] = [_stage_label(settings, s) for s in frame["stage"]]
    return frame


_REGRESSIONS_SQL = (
    metrics.STAGES_SQL
    + _MONTHS_SQL
    + """,
steps_back_by_month AS (
    SELECT CAST(date_trunc('month', assessed_on) AS DATE) AS month,
           previous_stage AS from_stage, stage AS to_stage, count(*) AS regressions,
           count(DISTINCT mentor_id) AS mentors
    FROM steps_back
    GROUP BY ALL
)
SELECT m.month, s.from_stage, s.to_stage, coalesce(s.regressions, 0) AS regressions,
       coalesce(s.mentors, 0) AS mentors
FROM months m LEFT JOIN steps_back_by_month s USING (month)
ORDER BY m.month, s.from_stage, s.to_stage
"""
)


def regressions(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> pd.DataFrame:
    """Steps back on the curve in the window, by month and by the stages moved from and to."""
    frame = _run(con, _REGRESSIONS_SQL, _params(con, scope, settings))
    frame["from_label"] = [
        None if pd.isna(s) else _stage_label(settings, s) for s in frame["from_stage"]
    ]
    return frame


_SELF_ESTEEM_SQL = (
    metrics.STAGES_SQL
    + """
SELECT s.stage,
       count(a.self_esteem) AS assessments,
       count(DISTINCT a.mentor_id) AS mentors,
       avg(a.self_esteem) AS mean,
       min(a.self_esteem) AS minimum,
       quantile_cont(a.self_esteem, 0.25) AS q1,
       median(a.self_esteem) AS median,
       quantile_cont(a.self_esteem, 0.75) AS q3,
       max(a.self_esteem) AS maximum
FROM range(1, 8) AS s(stage)
LEFT JOIN (SELECT * FROM assessed WHERE self_esteem IS NOT NULL) a USING (stage)
GROUP BY s.stage ORDER BY s.stage
"""
)


def self_esteem_by_stage(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> pd.DataFrame:
    """Self-esteem (Rosenberg, 0–30) of assessments up to `to`, by stage: mean and quartiles."""
    frame = _run(con, _SELF_ESTEEM_SQL, _params(con, scope, settings))
    frame["label"] = [_stage_label(settings, s) for s in frame["stage"]]
    return frame


_COHORT_PROGRESS_SQL = (
    metrics.STAGES_SQL
    + """,
bucketed AS (
    SELECT s.mentor_id, m.cohort, s.stage, s.assessed_on,
           least(greatest(date_diff('day', m.start_date, s.assessed_on), 0) // 7, $cap)
               // $bucket * $bucket AS weeks_from
    FROM assessed s JOIN active m USING (mentor_id)
),
latest_in_bucket AS (
    SELECT cohort, weeks_from, mentor_id, arg_max(stage, assessed_on) AS stage
    FROM bucketed GROUP BY ALL
),
cohorts AS (SELECT cohort, min(start_date) AS cohort_start FROM active GROUP BY cohort)
SELECT l.cohort, c.cohort_start, l.weeks_from,
       CASE WHEN l.weeks_from >= $cap THEN NULL ELSE l.weeks_from + $bucket - 1 END AS weeks_to,
       avg(l.stage) AS mean_stage, count(*) AS mentors
FROM latest_in_bucket l JOIN cohorts c USING (cohort)
GROUP BY ALL ORDER BY c.cohort_start, l.cohort, l.weeks_from
"""
)


def cohort_progress(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    bucket_weeks: int = 8,
    cap_weeks: int = 96,
) -> pd.DataFrame:
    """Mean stage per cohort by weeks in the programme (each mentor's latest in the bucket)."""
    if bucket_weeks < 1 or cap_weeks < bucket_weeks or cap_weeks % bucket_weeks:
        raise ValueError("cap_weeks must be a positive multiple of bucket_weeks")
    frame = _run(
        con,
        _COHORT_PROGRESS_SQL,
        _params(con, scope, settings, bucket=bucket_weeks, cap=cap_weeks),
    )
    frame["label"] = [
        f"{int(a)}+" if pd.isna(b) else f"{int(a)}–{int(b)}"
        for a, b in zip(frame["weeks_from"], frame["weeks_to"], strict=True)
    ]
    return frame


# --- Shadowing and milestones --------------------------------------------------------------

_SHADOWING_ORDERS = {
    "least": "credited ASC, mentor_id",
    "most": "credited DESC, mentor_id",
    "closest": "(completed_on IS NOT NULL) ASC, credited DESC, mentor_id",
    "mentor": "mentor_id",
}

_SHADOWING_PROGRESS_SQL = (
    metrics.SHADOWING_CTES
    + """,
table_rows AS (
    SELECT p.mentor_id, a.cohort, a.status, p.credited, p.completed_on, p.days_to_complete,
           p.progress
    FROM shadowing_state p JOIN active a USING (mentor_id)
)
SELECT mentor_id, cohort, status, credited / 60.0 AS credited_hours,
       $target_minutes / 60.0 AS target_hours, completed_on, days_to_complete, progress,
       count(*) OVER () AS mentors_total,
       count(*) FILTER (WHERE progress = 'complete') OVER () AS mentors_complete,
       count(*) FILTER (WHERE progress = 'in_progress') OVER () AS mentors_in_progress,
       count(*) FILTER (WHERE progress = 'not_started') OVER () AS mentors_not_started
FROM table_rows
"""
)


def shadowing_progress(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    limit: int = 40,
    offset: int = 0,
    order: str = "closest",
) -> pd.DataFrame:
    """Credited shadowing hours per active mentor up to `to`, sorted, `limit` rows."""
    tail = query.order_by(order, _SHADOWING_ORDERS) + query.page(limit, offset)
    p = _params(con, scope, settings, target_minutes=settings.shadowing_target_hours * 60)
    return _run_rows(con, _SHADOWING_PROGRESS_SQL + tail.text, p | dict(tail.params))


_COMPLETION_TIMES_SQL = (
    metrics.SHADOWING_CTES
    + """,
complete AS (
    SELECT days_to_complete AS days FROM shadowing_state WHERE progress = 'complete'
),
binned AS (
    SELECT least(greatest(days, 0) // 7, $cap) // $bucket * $bucket AS weeks_from
    FROM complete
)
SELECT b.weeks_from,
       CASE WHEN b.weeks_from >= $cap THEN NULL ELSE b.weeks_from + $bucket END AS weeks_to,
       count(*) AS mentors,
       (SELECT median(days) FROM complete) AS median_days
FROM binned b GROUP BY b.weeks_from ORDER BY b.weeks_from
"""
)


def shadowing_completion_times(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    bucket_weeks: int = 2,
    cap_weeks: int = 26,
) -> pd.DataFrame:
    """Mentors who completed shadowing, by weeks from start date to completion (binned)."""
    if bucket_weeks < 1 or cap_weeks < bucket_weeks or cap_weeks % bucket_weeks:
        raise ValueError("cap_weeks must be a positive multiple of bucket_weeks")
    p = _params(
        con,
        scope,
        settings,
        target_minutes=settings.shadowing_target_hours * 60,
        bucket=bucket_weeks,
        cap=cap_weeks,
    )
    frame = _run_rows(con, _COMPLETION_TIMES_SQL, p)
    frame["label"] = [
        f"{int(a)}+ weeks" if pd.isna(b) else f"{int(a)}–{int(b)} weeks"
        for a, b in zip(frame["weeks_from"], frame["weeks_to"], strict=True)
    ]
    return frame


_MILESTONE_FUNNEL_SQL = (
    metrics.SHADOWING_CTES
    + """,
reached AS (
    SELECT DISTINCT mentor_id, milestone FROM milestones_reached
    WHERE list_contains(CAST($outcomes AS VARCHAR[]), milestone)
)
SELECT 'joined' AS step, count(*) AS mentors FROM journey_steps
UNION ALL
SELECT 'training_completed', count(*) FILTER (WHERE training_completed) FROM journey_steps
UNION ALL
SELECT 'shadowing_completed', count(*) FILTER (WHERE shadowing_completed) FROM journey_steps
UNION ALL
SELECT 'first_mentoring_session', count(*) FILTER (WHERE first_mentoring) FROM journey_steps
UNION ALL
SELECT milestone, count(*) FROM reached GROUP BY milestone
UNION ALL
SELECT 'any_outcome', count(DISTINCT mentor_id) FROM reached
WHERE list_contains(CAST($outcomes AS VARCHAR[]), milestone)
"""
)


def milestone_funnel(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> pd.DataFrame:
    """Distinct active mentors reaching each milestone up to `to`, along the programme's path."""
    p = _params(
        con,
        scope,
        settings,
        outcomes=OUTCOME_MILESTONES,
        target_minutes=settings.shadowing_target_hours * 60,
    )
    found = _run_rows(con, _MILESTONE_FUNNEL_SQL, p)
    counts = dict(zip(found["step"], found["mentors"], strict=True))
    steps = [
        ("joined", "Joined the programme", "path"),
        ("training_completed", MILESTONE_LABELS["training_completed"], "path"),
        ("shadowing_completed", MILESTONE_LABELS["shadowing_completed"], "path"),
        ("first_mentoring_session", MILESTONE_LABELS["first_mentoring_session"], "path"),
        ("any_outcome", "Qualification, volunteering, education or work", "path"),
    ] + [(m, MILESTONE_LABELS[m], "outcome") for m in OUTCOME_MILESTONES]
    return pd.DataFrame(
        [
            {"step": step, "label": label, "kind": kind, "mentors": int(counts.get(step, 0))}
            for step, label, kind in steps
        ]
    )
