"""What the database holds, for the frame and the Data page: filter options, data freshness,
import history, rejected rows, data quality. Small results only.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import duckdb
import pandas as pd

from analysis import clock, metrics
from analysis.settings import Settings


def filter_options(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> dict[str, list[str]]:
    """The values each sidebar filter can take."""
    out: dict[str, list[str]] = {}
    for key, column in (
        ("cohorts", "cohort"),
        ("genders", "gender"),
        ("workers", "outreach_worker"),
        ("regions", "region"),
    ):
        rows = con.execute(
            f"SELECT DISTINCT {column} FROM mentors WHERE {column} IS NOT NULL ORDER BY 1"
        ).fetchall()
        out[key] = [str(r[0]) for r in rows]
    streams = con.execute("SELECT DISTINCT funding_stream FROM funding ORDER BY 1").fetchall()
    out["streams"] = [str(r[0]) for r in streams]
    return out


# The one rule for "last import", wherever it is shown (Overview, frame, impact summary and
# pack): the latest import that brought in files.
LAST_IMPORT_SQL = (
    "SELECT max(imported_at) FROM imports "
    "WHERE kind = 'import' AND import_id IN (SELECT import_id FROM import_files)"
)


def freshness(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope | None = None,
    settings: Settings | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Earliest and latest session dates (and the latest up to `today`, the clock's unless
    given), the last import, and whether demo data is present."""
    row = con.execute(
        "SELECT CAST(min(scheduled_start) AS DATE), CAST(max(scheduled_start) AS DATE), "
        "CAST(max(scheduled_start) FILTER (WHERE CAST(scheduled_start AS DATE) <= $today) "
        "AS DATE) FROM sessions",
        {"today": today or clock.today()},
    ).fetchone()
    last = con.execute(LAST_IMPORT_SQL).fetchone()
    demo = con.execute("SELECT count(*) FROM mentors WHERE is_demo").fetchone()
    mentors = con.execute("SELECT count(*) FROM mentors").fetchone()
    earliest, latest, latest_past = row if row else (None, None, None)
    return {
        "earliest_session": earliest,
        "latest_session": latest,
        "latest_past_session": latest_past or latest,
        "last_import": last[0] if last else None,
        "has_demo": bool(demo and demo[0]),
        "mentors": int(mentors[0]) if mentors else 0,
    }


PRESET_MONTHS = {"Last 3 months": 3, "Last 12 months": 12}


def preset_window(
    preset: str, extent: dict[str, Any], today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The window a preset means: it ends on the latest session up to today (the clock's
    unless given)."""
    today = today or clock.today()
    end = extent.get("latest_past_session") or today
    start_all = extent.get("earliest_session") or end
    months = PRESET_MONTHS.get(preset)
    if months is None:
        return start_all, end
    return max(_months_before(end, months), start_all), end


def _months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last_day)) + dt.timedelta(days=1)


def import_history(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, limit: int = 200
) -> pd.DataFrame:
    """One row per imported file, newest first."""
    return con.execute(
        'SELECT i.imported_at AS "when", i.user_name AS "by", i.kind, f.file_name AS file, '
        "f.sheet, f.profile, "
        'f.record_type AS type, f.rows_read AS "read", f.inserted, f.updated, f.unchanged, '
        "f.duplicates, f.rejected, f.warnings, f.encoding, left(f.sha256, 12) AS sha256 "
        "FROM import_files f JOIN imports i USING (import_id) "
        "ORDER BY i.imported_at DESC, f.file_name LIMIT $limit",
        {"limit": limit},
    ).df()


def rejected_rows(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, limit: int = 1000
) -> pd.DataFrame:
    """Open rejected rows with their reasons (the original values as JSON text)."""
    return con.execute(
        "SELECT rejected_id AS id, file_name AS file, sheet, record_type AS type, "
        "row_number AS \"row\", array_to_string(reasons, '; ') AS reasons, "
        "CAST(original_values AS VARCHAR) AS original_values "
        "FROM rejected_rows WHERE status = 'open' "
        "ORDER BY file_name, sheet NULLS FIRST, row_number LIMIT $limit",
        {"limit": limit},
    ).df()


def profile_names(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> list[str]:
    """The mapping profiles an import can use: built-in, then saved."""
    from analysis import profiles

    return list(profiles.available(con))


def typical_minutes(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> dict[str, int]:
    """Each session type's most common duration in the records (where a grid's mapping starts
    when the grid itself gives none)."""
    rows = con.execute(
        "SELECT session_type, mode(duration_minutes) FROM sessions "
        "WHERE duration_minutes IS NOT NULL GROUP BY 1"
    ).fetchall()
    return {str(t): int(m) for t, m in rows if m is not None}


def getting_started(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> dict[str, int]:
    """What an empty dashboard's checklist ticks: records imported (not the demo), mentors,
    saved mapping profiles, targets set (when the database has targets)."""
    imported = con.execute(
        "SELECT count(*) FROM import_files f JOIN imports i USING (import_id) WHERE NOT i.is_demo"
    ).fetchone()
    mentors = con.execute("SELECT count(*) FROM mentors").fetchone()
    saved = con.execute("SELECT count(*) FROM mapping_profiles").fetchone()
    has_targets = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'targets'"
    ).fetchone()
    targets = (0,)
    if has_targets and has_targets[0]:
        targets = con.execute("SELECT count(*) FROM targets").fetchone() or (0,)
    return {
        "imported_files": int(imported[0]) if imported else 0,
        "mentors": int(mentors[0]) if mentors else 0,
        "profiles": int(saved[0]) if saved else 0,
        "targets": int(targets[0]),
    }


REJECTED_STATUSES = ("open", "resolved", "dismissed")


def rejected_status_counts(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> dict[str, int]:
    """How many rejected rows are open, resolved (their key landed later) and dismissed."""
    rows = dict(con.execute("SELECT status, count(*) FROM rejected_rows GROUP BY 1").fetchall())
    return {status: int(rows.get(status, 0)) for status in REJECTED_STATUSES}


def rejected_files(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings
) -> list[dict[str, Any]]:
    """The files (and sheets) with open rejected rows: one correction table each."""
    rows = con.execute(
        "SELECT file_name, sheet, any_value(record_type), count(*) FROM rejected_rows "
        "WHERE status = 'open' GROUP BY file_name, sheet ORDER BY file_name, sheet NULLS FIRST"
    ).fetchall()
    return [{"file": f, "sheet": sh, "type": t, "open": int(n)} for f, sh, t, n in rows]


def rejected_of_file(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    file: str = "",
    sheet: str | None = None,
) -> pd.DataFrame:
    """One file's open rejected rows in the file's own columns (its header's order), with the
    id, the row number and the reasons: what the correction table shows and the download holds."""
    import json

    found = con.execute(
        "SELECT rejected_id, row_number, original_values, array_to_string(reasons, '; ') "
        "FROM rejected_rows WHERE status = 'open' AND file_name = $f "
        "AND sheet IS NOT DISTINCT FROM $s ORDER BY row_number, rejected_id",
        {"f": file, "s": sheet},
    ).fetchall()
    records: list[dict[str, Any]] = []
    columns: list[str] = []
    for rid, number, values, reasons in found:
        original = json.loads(values)
        for key in original:
            if key not in columns:
                columns.append(key)
        records.append({"id": int(rid), "row": int(number), "values": original, "reasons": reasons})
    frame = pd.DataFrame(
        [
            [r["id"], r["row"], *[r["values"].get(c) for c in columns], r["reasons"]]
            for r in records
        ],
        columns=pd.Index(["id", "row", *columns, "reasons"]),
        dtype=object,
    )
    frame.attrs["columns"] = columns
    return frame


def rejected_history(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, limit: int = 500
) -> pd.DataFrame:
    """Closed rejected rows: resolved or dismissed, when, by whom and why."""
    return con.execute(
        'SELECT rejected_id AS id, file_name AS file, sheet, row_number AS "row", status, '
        'closed_at AS "when", closed_by AS "by", closed_note AS note '
        "FROM rejected_rows WHERE status <> 'open' ORDER BY closed_at DESC NULLS LAST "
        "LIMIT $limit",
        {"limit": limit},
    ).df()


def audit_log(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, limit: int = 200
) -> pd.DataFrame:
    """The database's part of the audit log, newest first: imports and re-checks, erasures,
    restores, sends and other changes (`audit_view` adds the light path's sign-ins, sign-outs,
    refused pages and downloads). An import made before imports wrote their own audit row is
    shown from the import log."""
    return con.execute(
        "SELECT logged_at, user_name, action, detail FROM ("
        "SELECT logged_at, user_name, action, detail FROM audit_log "
        "UNION ALL SELECT i.imported_at, i.user_name, i.kind, "
        "string_agg(f.file_name || ' (' || f.rows_read || ' rows)', ', ') "
        "FROM imports i JOIN import_files f USING (import_id) "
        "WHERE NOT EXISTS (SELECT 1 FROM audit_log a "
        "WHERE starts_with(a.detail, 'import ' || i.import_id || ':')) GROUP BY ALL) "
        "ORDER BY logged_at DESC LIMIT $limit",
        {"limit": limit},
    ).df()


def audit_view(stored: pd.DataFrame, light: pd.DataFrame, limit: int = 200) -> pd.DataFrame:
    """The audit log as the Data page shows it: the database's rows and the light path's
    entries (analysis/audit_store.py) together, newest first, times in UTC said so."""
    parts = [t for t in (stored, light) if not t.empty]
    both = pd.concat(parts, ignore_index=True) if parts else stored
    both = both.sort_values("logged_at", ascending=False, kind="stable").head(limit)
    return pd.DataFrame(
        {
            "when (UTC)": [f"{t:%Y-%m-%d %H:%M:%S} UTC" for t in both["logged_at"]],
            "who": both["user_name"].tolist(),
            "action": both["action"].tolist(),
            "detail": both["detail"].tolist(),
        }
    )


def data_quality(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Checks a manager can act on: each with a count and what to do (as of `today`, the
    clock's unless given)."""
    checks = [
        (
            "Sessions with no register (no attendance recorded)",
            "SELECT count(*) FROM sessions s WHERE CAST(s.scheduled_start AS DATE) <= $today "
            "AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.session_id)",
            "Import the attendance for these sessions, or remove sessions that never ran.",
        ),
        (
            "Active mentors with no stage assessment in the last 90 days",
            "SELECT count(*) FROM mentors m WHERE m.status = 'active' AND NOT EXISTS ("
            "SELECT 1 FROM stage_assessments s WHERE s.mentor_id = m.mentor_id "
            "AND s.assessed_on >= $today - INTERVAL 90 DAY)",
            "Book a transition-curve assessment with each of them.",
        ),
        (
            "Contradictory: attendance after the mentor's end date",
            "SELECT count(*) FROM attendance a JOIN sessions s USING (session_id) "
            "JOIN mentors m USING (mentor_id) WHERE m.end_date IS NOT NULL "
            "AND CAST(s.scheduled_start AS DATE) > m.end_date AND a.attendance IN ('attended', 'late')",
            "Check the end date or the register.",
        ),
        (
            "Contradictory: present but minutes attended is 0",
            "SELECT count(*) FROM attendance WHERE attendance IN ('attended', 'late') "
            "AND minutes_attended = 0",
            "Check whether the mentor was there.",
        ),
        (
            "Contradictory: completed or withdrawn with no end date",
            "SELECT count(*) FROM mentors WHERE status IN ('completed', 'withdrawn') "
            "AND end_date IS NULL",
            "Add the end date to the mentors file and re-import it.",
        ),
        (
            "Contradictory: end date before start date",
            "SELECT count(*) FROM mentors WHERE end_date < start_date",
            "Correct the dates in the mentors file.",
        ),
        (
            "Warnings from imports (late within grace, assessed before start, future sessions)",
            "SELECT count(*) FROM import_warnings",
            "See the warnings list below; they were imported as they were.",
        ),
    ]
    day = today or clock.today()
    rows = []
    for label, sql, action in checks:
        found = con.execute(sql, {"today": day} if "$today" in sql else {}).fetchone()
        rows.append({"check": label, "count": int(found[0]) if found else 0, "what to do": action})
    return pd.DataFrame(rows)


def import_warnings(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, limit: int = 500
) -> pd.DataFrame:
    return con.execute(
        'SELECT file_name AS file, row_number AS "row", message FROM import_warnings '
        "ORDER BY import_id DESC, file_name, row_number LIMIT $limit",
        {"limit": limit},
    ).df()
