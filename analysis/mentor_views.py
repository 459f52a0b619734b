"""The Mentor journey page's views: one active mentor's details, sessions, stages, shadowing,
milestones and notes (managers only). Same scope and definitions as `analysis.views`.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from analysis import metrics, query
from analysis.records import MILESTONE_CODES
from analysis.settings import Settings
from analysis.views import (
    ATTENDANCE_LABELS,
    FLAG_LABELS,
    MILESTONE_LABELS,
    SESSION_TYPE_LABELS,
    _params,
    _run,
    _run_rows,
    _stage_label,
)

# --- Mentor journey ------------------------------------------------------------------------

_MENTOR_CODES_SQL = (
    metrics.SCOPE_SQL
    + """
SELECT mentor_id, cohort, status FROM active ORDER BY mentor_id LIMIT $limit
"""
)


def mentor_codes(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, limit: int = 30000
) -> pd.DataFrame:
    """Codes of the active mentors the filters select, sorted (for choosing one)."""
    return _run(con, _MENTOR_CODES_SQL, _params(con, scope, settings, limit=limit))


_MENTOR_PROFILE_SQL = (
    metrics.SHADOWING_SQL
    + """,
mine AS (SELECT * FROM rows_in WHERE mentor_id = $mentor),
shadowed AS (SELECT credited FROM shadowing_state WHERE mentor_id = $mentor),
mine_figures AS ("""
    + query.breakdown_sql(
        "total",
        ("attendance_rate", "punctuality_rate"),
        ("expected", "present", "late", "no_show"),
        rows="mine",
    )
    + """),
staged AS (
    SELECT arg_max(stage, assessed_on) AS current_stage,
           arg_max(self_esteem, assessed_on) FILTER (WHERE self_esteem IS NOT NULL)
               AS current_self_esteem,
           max(assessed_on) AS last_assessed
    FROM stage_assessments WHERE mentor_id = $mentor AND assessed_on <= $to
)
SELECT a.mentor_id, a.cohort, a.start_date, a.status, a.end_date, a.gender, a.age_band,
       a.outreach_worker, a.region,
       f.expected, f.present, f.attendance_rate, f.punctuality_rate, f.late,
       f.no_show AS no_shows,
       (SELECT credited / 60.0 FROM shadowed) AS shadowing_hours,
       $target_minutes / 60.0 AS target_hours,
       (SELECT current_stage FROM staged) AS current_stage,
       (SELECT current_self_esteem FROM staged) AS current_self_esteem,
       (SELECT last_assessed FROM staged) AS last_assessed
FROM active a, mine_figures f WHERE a.mentor_id = $mentor
"""
)


def mentor_profile(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, mentor_id: str
) -> pd.DataFrame:
    """One active mentor's details and figures for the window (empty if not in the scope)."""
    window = metrics.resolve_window(con, scope)
    p = metrics.params(scope, settings, window) | {
        "mentor": mentor_id,
        "target_minutes": settings.shadowing_target_hours * 60,
    }
    frame = _run(con, _MENTOR_PROFILE_SQL, p)
    reasons: list[str] = []
    if len(frame):
        # A mentor's flags rest on their own records only, so the check can run over the
        # mentors who share their cohort, gender, worker and region: the same answer, sooner.
        row = frame.iloc[0]
        own = metrics.Scope(
            window[0],
            window[1],
            _one_or(row["cohort"], scope.cohorts),
            _one_or(row["gender"], scope.genders),
            _one_or(row["outreach_worker"], scope.outreach_workers),
            _one_or(row["region"], scope.regions),
        )
        flags = {f["mentor_id"]: f["reasons"] for f in metrics.at_risk(con, own, settings, window)}
        reasons = flags.get(mentor_id, [])
    frame["reasons"] = "; ".join(FLAG_LABELS[r] for r in reasons) if len(frame) else []
    frame["stage_label"] = [
        None if pd.isna(s) else _stage_label(settings, s) for s in frame["current_stage"]
    ]
    frame["lookback_days"] = settings.lookback_days
    return frame


def _one_or(value: Any, chosen: tuple[str, ...]) -> tuple[str, ...]:
    """The one value a mentor has, as a filter; the scope's own filter when it is missing."""
    return chosen if value is None or pd.isna(value) else (str(value),)


_MENTOR_SESSIONS_SQL = (
    metrics.SCOPE_SQL
    + """
SELECT scheduled_start, day, session_type, attendance, minutes_late, late, duration_minutes,
       credited_minutes
FROM rows_in WHERE mentor_id = $mentor
ORDER BY scheduled_start, session_id
LIMIT $limit
"""
)


def mentor_sessions(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    mentor_id: str,
    limit: int = 2000,
) -> pd.DataFrame:
    """One mentor's sessions in the window, in date order, with the per-row definitions."""
    frame = _run(
        con, _MENTOR_SESSIONS_SQL, _params(con, scope, settings, mentor=mentor_id, limit=limit)
    )
    frame["type_label"] = [SESSION_TYPE_LABELS.get(t, t) for t in frame["session_type"]]
    frame["attendance_label"] = [ATTENDANCE_LABELS.get(a, a) for a in frame["attendance"]]
    return frame


_MENTOR_STAGES_SQL = (
    metrics.STAGES_SQL
    + """
SELECT assessed_on, stage, self_esteem, previous_stage FROM assessed
WHERE mentor_id = $mentor ORDER BY assessed_on
"""
)


def mentor_stage_path(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, mentor_id: str
) -> pd.DataFrame:
    """One mentor's assessments up to `to`: stage and self-esteem, in date order."""
    frame = _run(con, _MENTOR_STAGES_SQL, _params(con, scope, settings, mentor=mentor_id))
    frame["label"] = [_stage_label(settings, s) for s in frame["stage"]]
    return frame


_MENTOR_SHADOWING_SQL = (
    metrics.SHADOWING_SQL
    + """
SELECT day, credited_minutes, running / 60.0 AS running_hours, $target_minutes / 60.0 AS target_hours
FROM shadow WHERE mentor_id = $mentor ORDER BY running
"""
)


def mentor_shadowing(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, mentor_id: str
) -> pd.DataFrame:
    """One mentor's shadowing sessions up to `to` with the running total of credited hours."""
    p = _params(
        con,
        scope,
        settings,
        mentor=mentor_id,
        target_minutes=settings.shadowing_target_hours * 60,
    )
    return _run(con, _MENTOR_SHADOWING_SQL, p)


# A mentor's `shadowing_completed` is their shadowing completion date (METRICS.md).
_MENTOR_MILESTONES_SQL = (
    metrics.SHADOWING_CTES
    + """
SELECT * FROM (
    SELECT m.achieved_on, m.milestone FROM milestones m JOIN active a USING (mentor_id)
    WHERE m.mentor_id = $mentor AND m.achieved_on <= $to AND m.milestone <> 'shadowing_completed'
    UNION ALL
    SELECT completed_on, 'shadowing_completed' FROM per_mentor
    WHERE mentor_id = $mentor AND completed_on IS NOT NULL
)
ORDER BY achieved_on, milestone
"""
)


def mentor_milestones(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, mentor_id: str
) -> pd.DataFrame:
    """One mentor's milestones achieved up to `to`, in date order."""
    p = _params(
        con, scope, settings, mentor=mentor_id, target_minutes=settings.shadowing_target_hours * 60
    )
    frame = _run_rows(con, _MENTOR_MILESTONES_SQL, p)
    order = {m: i for i, m in enumerate(MILESTONE_CODES)}
    frame["label"] = [MILESTONE_LABELS.get(m, m) for m in frame["milestone"]]
    frame["path_order"] = [order.get(m, len(order)) for m in frame["milestone"]]
    return frame


_MENTOR_NOTES_SQL = (
    metrics.SCOPE_SQL
    + """
SELECT * FROM (
    SELECT r.day AS date, 'Session: ' || r.session_type AS record, a.notes AS note
    FROM rows_in r JOIN attendance a USING (session_id, mentor_id)
    WHERE r.mentor_id = $mentor AND a.notes IS NOT NULL AND trim(a.notes) <> ''
    UNION ALL
    SELECT s.assessed_on, 'Stage assessment', s.notes
    FROM stage_assessments s JOIN active USING (mentor_id)
    WHERE s.mentor_id = $mentor AND s.assessed_on BETWEEN $from AND $to
      AND s.notes IS NOT NULL AND trim(s.notes) <> ''
    UNION ALL
    SELECT m.achieved_on, 'Milestone: ' || m.milestone, m.notes
    FROM milestones m JOIN active USING (mentor_id)
    WHERE m.mentor_id = $mentor AND m.achieved_on BETWEEN $from AND $to
      AND m.notes IS NOT NULL AND trim(m.notes) <> ''
)
ORDER BY date DESC, record
LIMIT $limit
"""
)


def mentor_notes(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    mentor_id: str,
    limit: int = 500,
) -> pd.DataFrame:
    """One mentor's notes (sessions, assessments, milestones) dated in the window, newest first."""
    frame = _run(
        con, _MENTOR_NOTES_SQL, _params(con, scope, settings, mentor=mentor_id, limit=limit)
    )
    frame["record"] = [_record_label(r) for r in frame["record"]]
    return frame


def _record_label(record: str) -> str:
    kind, _, code = record.partition(": ")
    if kind == "Session":
        return f"Session: {SESSION_TYPE_LABELS.get(code, code)}"
    if kind == "Milestone":
        return f"Milestone: {MILESTONE_LABELS.get(code, code)}"
    return record
