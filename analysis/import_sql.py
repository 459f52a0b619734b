"""The import's SQL: the parsing macros, the checks every contract column gets (one SELECT
item and its reasons per column, over the staged text), the record types' row checks, and the
writing of warnings and rejected rows, all set-based. `analysis.importer` runs them in one
transaction. Only the project's own constants are written into the SQL text; record values stay
columns."""

from __future__ import annotations

import json
from collections.abc import Mapping

import duckdb

from analysis import clock, readers
from analysis.import_report import FileReport
from analysis.records import (
    ALLOWED_TEXT,
    MAX_ARRIVAL_HOURS,
    MAX_CODE_LENGTH,
    MAX_TEXT_LENGTH,
    REGISTER,
    RecordType,
)
from analysis.settings import Settings, is_time_zone

# A file's report lists at most this many rejected rows and warnings (all are stored and
# counted; the Data page lists the stored ones).
MAX_LISTED = 1000

# Stored column names that differ from the contract's.
_STORED_NAME = {"arrival_time": "arrival"}


class ImportRefused(RuntimeError):
    """Nothing landed; the message says what was wrong and where."""


def _stored_columns(rtype: RecordType) -> list[str]:
    names = [_STORED_NAME.get(c.name, c.name) for c in rtype.columns]
    if rtype is REGISTER:
        return ["session_id", "mentor_id", "attendance", "arrival", "minutes_attended", "notes"]
    return names


_MACROS = r"""
CREATE OR REPLACE TEMP MACRO pm_tz() AS getvariable('pm_tz');
-- As records.code_key: trimmed of spaces, tabs, line breaks and Excel's non-breaking spaces.
CREATE OR REPLACE TEMP MACRO pm_key(v) AS regexp_replace(lower(trim(v,
    ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160))),
    '[\s\v\x{a0}_\-]+', '_', 'g');
CREATE OR REPLACE TEMP MACRO pm_show(v) AS
    CASE WHEN length(v) > 60 THEN left(v, 57) || '...' ELSE v END;
CREATE OR REPLACE TEMP MACRO pm_day(v) AS CASE
    WHEN regexp_full_match(v, '(0000-|\d+/\d+/0000).*') THEN NULL  -- no year 0 (1 BC)
    WHEN regexp_full_match(v, '\d{4}-\d{1,2}-\d{1,2}') THEN try(make_date(
        TRY_CAST(split_part(v, '-', 1) AS INTEGER), TRY_CAST(split_part(v, '-', 2) AS INTEGER),
        TRY_CAST(split_part(v, '-', 3) AS INTEGER)))
    WHEN regexp_full_match(v, '\d{1,2}/\d{1,2}/(\d{2}|\d{4})') THEN try(make_date(
        CASE WHEN length(split_part(v, '/', 3)) = 2
             THEN 2000 + TRY_CAST(split_part(v, '/', 3) AS INTEGER)
             ELSE TRY_CAST(split_part(v, '/', 3) AS INTEGER) END,
        TRY_CAST(split_part(v, '/', 2) AS INTEGER), TRY_CAST(split_part(v, '/', 1) AS INTEGER)))
    END;
-- A date may carry a midnight time, as Excel date cells do ("2025-03-01 00:00:00").
CREATE OR REPLACE TEMP MACRO pm_date_full(v) AS
    pm_day(regexp_replace(v, '[ T]00:00(:00)?$', ''));
-- The usual shapes first, read by DuckDB's own parsers (a regular expression or two per value
-- instead of some twenty); anything else goes to the full reader above. Each fast shape gives
-- what the full reader gives: the year's first digit is 1-9 (year 0 stays on the full path,
-- which refuses it) and the hours and minutes are bounded (TRY_CAST takes "24:00").
CREATE OR REPLACE TEMP MACRO pm_date(v) AS CASE
    WHEN regexp_full_match(v, '[1-9]\d{3}-\d{2}-\d{2}') THEN TRY_CAST(v AS DATE)
    WHEN regexp_full_match(v, '\d{2}/\d{2}/[1-9]\d{3}')
    THEN CAST(try_strptime(v, '%d/%m/%Y') AS DATE)
    ELSE pm_date_full(v) END;
CREATE OR REPLACE TEMP MACRO pm_seconds(t) AS CASE
    WHEN regexp_full_match(t, '\d{1,2}:\d{2}(:\d{2})?')
     AND TRY_CAST(split_part(t, ':', 1) AS INTEGER) < 24
     AND TRY_CAST(split_part(t, ':', 2) AS INTEGER) < 60
     AND coalesce(TRY_CAST(nullif(split_part(t, ':', 3), '') AS INTEGER), 0) < 60
    THEN TRY_CAST(split_part(t, ':', 1) AS INTEGER) * 3600
       + TRY_CAST(split_part(t, ':', 2) AS INTEGER) * 60
       + coalesce(TRY_CAST(nullif(split_part(t, ':', 3), '') AS INTEGER), 0)
    END;
CREATE OR REPLACE TEMP MACRO pm_ts_full(v) AS CASE
    WHEN regexp_full_match(v, '\S+[ T]\d{1,2}:\d{2}(:\d{2})?')
    THEN CAST(pm_date_full(regexp_extract(v, '^(\S+)[ T]', 1)) AS TIMESTAMP)
         + to_seconds(pm_seconds(regexp_extract(v, '[ T](\S+)$', 1)))
    END;
-- A date-time with a zone (Salesforce's "2025-03-04T10:00:00.000Z", "...+01:00") is converted
-- to the programme's local time, summer time included; pm_tz() is the setting `timezone`.
CREATE OR REPLACE TEMP MACRO pm_ts(v) AS CASE
    WHEN regexp_full_match(v, '[1-9]\d{3}-\d{2}-\d{2}[ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?'
        || ' ?(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)')
    THEN timezone(pm_tz(), TRY_CAST(v AS TIMESTAMPTZ))
    WHEN regexp_full_match(v, '[1-9]\d{3}-\d{2}-\d{2}[ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?')
    THEN TRY_CAST(v AS TIMESTAMP)
    WHEN regexp_full_match(v, '\d{2}/\d{2}/[1-9]\d{3} ([01]\d|2[0-3]):[0-5]\d')
    THEN try_strptime(v, '%d/%m/%Y %H:%M')
    ELSE pm_ts_full(v) END;
CREATE OR REPLACE TEMP MACRO pm_is_time(v) AS regexp_full_match(v, '\d{1,2}:\d{2}(:\d{2})?');
"""


def _install_macros(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """The parsing macros, with the programme's time zone (a validated zone name)."""
    if not is_time_zone(settings.timezone):
        raise ImportRefused(f"the setting timezone {settings.timezone!r} is not a time zone")
    con.execute("SET VARIABLE pm_tz = $tz", {"tz": settings.timezone})
    con.execute(_MACROS)


def _q(text: str) -> str:
    """An SQL string literal for the project's own constants (column names, messages)."""
    return "'" + text.replace("'", "''") + "'"


def _parse_expressions(
    rtype: RecordType, distinct: Mapping[str, str], codes: str = "code_map"
) -> tuple[list[str], list[str], list[str], list[str]]:
    """SELECT items, reason expressions, joins and parsed values that read each contract column.

    The parsed values (`pre`) are computed once, one level below the items and reasons, which
    read them as `c._v_<name>` (DuckDB pastes a macro's text into every use, so a reason that
    called the parser again would parse every value again). `distinct` gives, for each coded
    column, the subquery of its distinct values (`(SELECT DISTINCT ... AS v FROM ...)`), which
    the code lookup joins.
    """
    items: list[str] = []
    reasons: list[str] = []
    joins: list[str] = []
    pre: list[str] = []
    for col in rtype.columns:
        v = f"c.{col.name}"
        parsed = f"c._v_{col.name}"
        shown = f"'{col.name}: \"' || pm_show({v}) || '\"'"
        if col.required:
            reasons.append(f"CASE WHEN {v} IS NULL THEN {_q(col.name + ' is missing')} END")
        if col.kind in ("id", "code"):
            stored = v if col.missing is None else f"coalesce({v}, {_q(col.missing)})"
            items.append(f"{stored} AS {col.name}")
            reasons.append(
                f"CASE WHEN length({v}) > {MAX_CODE_LENGTH} THEN {shown} || "
                f"{_q(f' is longer than {MAX_CODE_LENGTH} characters')} END"
            )
            reasons.append(
                f"CASE WHEN regexp_matches({v}, '[[:cntrl:]]') THEN "
                f"{_q(col.name + ' holds a control character')} END"
            )
        elif col.kind == "text":
            items.append(f"{v} AS {col.name}")
            reasons.append(
                f"CASE WHEN length({v}) > {MAX_TEXT_LENGTH} THEN "
                f"{_q(f'{col.name} is longer than {MAX_TEXT_LENGTH:,} characters')} END"
            )
        elif col.kind == "date":
            pre.append(f"pm_date({v}) AS _v_{col.name}")
            items.append(f"{parsed} AS {col.name}")
            reasons.append(
                f"CASE WHEN {v} IS NOT NULL AND {parsed} IS NULL THEN {shown} || "
                "' is not a date (use YYYY-MM-DD or DD/MM/YYYY)' END"
            )
        elif col.kind == "day":  # a date, or a date and time whose date is used
            pre.append(f"coalesce(pm_date({v}), CAST(pm_ts({v}) AS DATE)) AS _v_{col.name}")
            items.append(f"{parsed} AS {col.name}")
            reasons.append(
                f"CASE WHEN {v} IS NOT NULL AND {parsed} IS NULL THEN {shown} || "
                "' is not a date (use YYYY-MM-DD or DD/MM/YYYY)' END"
            )
        elif col.kind == "datetime":
            pre.append(f"pm_ts({v}) AS _v_{col.name}")
            items.append(f"{parsed} AS {col.name}")
            reasons.append(
                f"CASE WHEN {v} IS NOT NULL AND {parsed} IS NULL THEN {shown} || "
                "' is not a date and time (use YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM)' END"
            )
        elif col.kind == "int":
            pre.append(
                f"CASE WHEN regexp_full_match({v}, '[+-]?\\d{{1,9}}') THEN CAST({v} AS INTEGER) "
                f"END AS _v_{col.name}"
            )
            items.append(f"{parsed} AS {col.name}")
            reasons.append(
                f"CASE WHEN {v} IS NOT NULL AND {parsed} IS NULL THEN {shown} || "
                "' is not a whole number' END"
            )
            reasons.append(
                f"CASE WHEN {parsed} NOT BETWEEN {col.low} AND {col.high} THEN {shown} || "
                f"{_q(f' is out of range ({col.low} to {col.high})')} END"
            )
        elif col.kind in ("enum", "stage"):
            alias = f"m_{col.name}"
            # pm_key (regular expressions) runs once per distinct value, not once per row: the
            # rows join the few distinct values of the column, each mapped to its code.
            joins.append(
                f"LEFT JOIN (SELECT d.v, k.value, k.reject FROM {distinct[col.name]} d "
                f"JOIN {codes} k ON k.field = {_q(col.name)} AND k.key = pm_key(d.v)) {alias} "
                f"ON {alias}.v = {v}"
            )
            pre.append(f"{alias}.value AS _v_{col.name}")
            pre.append(f"{alias}.reject AS _j_{col.name}")
            value = parsed
            if col.kind == "stage":
                value = f"CAST({value} AS INTEGER)"
            if col.name == "gender":
                value = f"CASE WHEN {v} IS NULL THEN 'not stated' ELSE {value} END"
            items.append(f"{value} AS {col.name}")
            allowed = ", ".join(ALLOWED_TEXT[col.name])
            reasons.append(
                f"CASE WHEN c._j_{col.name} IS NOT NULL THEN {shown} || ': ' || "
                f"c._j_{col.name} WHEN {v} IS NOT NULL AND {parsed} IS NULL THEN {shown} || "
                f"{_q(f' is not one of: {allowed}')} END"
            )
        elif col.kind == "arrival":
            items.append(f"{v} AS arrival_raw")
        elif col.kind == "target":
            # 120, 1,200, 0.85 or 85% (a percentage is stored as a fraction); the record type's
            # checks decide what fits the figure.
            number = r"(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+"
            pre.append(
                f"CASE WHEN regexp_full_match({v}, '-?({number})\\s*%?') THEN "
                f"TRY_CAST(replace(regexp_replace({v}, '\\s*%$', ''), ',', '') AS DOUBLE) "
                f"/ CASE WHEN ends_with({v}, '%') THEN 100 ELSE 1 END END AS _v_{col.name}"
            )
            items += [
                f"{parsed} AS {col.name}",
                f"coalesce(ends_with({v}, '%'), false) AS _{col.name}_percent",
                f"{v} AS _{col.name}_text",
            ]
            reasons.append(
                f"CASE WHEN {v} IS NOT NULL AND {parsed} IS NULL THEN {shown} || "
                "' is not a number (write a count, hours, 0.85 or 85%)' END"
            )
            reasons.append(f"CASE WHEN {parsed} < 0 THEN {shown} || ' is below 0' END")
    if rtype.name == "conduct":
        items = _conduct_items(items)
    return items, reasons, joins, pre


def _conduct_items(items: list[str]) -> list[str]:
    """A conduct row as stored (DATA.md): a concern's missing severity is `low`; a strength
    keeps no severity and no resolved_on (what it gave is kept aside for the warnings)."""
    strength = "c._v_kind = 'strength'"
    replace = {
        "severity": f"CASE WHEN {strength} THEN NULL ELSE coalesce(c._v_severity, 'low') END",
        "resolved_on": f"CASE WHEN {strength} THEN NULL ELSE c._v_resolved_on END",
    }
    out = [
        next((f"{e} AS {name}" for name, e in replace.items() if i == f"c._v_{name} AS {name}"), i)
        for i in items
    ]
    return [
        *out,
        f"CASE WHEN {strength} THEN c._v_severity END AS _dropped_severity",
        f"CASE WHEN {strength} THEN c._v_resolved_on END AS _dropped_resolved_on",
    ]


def _reason_list(reasons: list[str]) -> str:
    """The reasons that apply (each `CASE WHEN ... THEN message END`) as a list. The list is
    built only for rows that fail a check: building one for each of a million good rows costs
    more than the checks themselves."""
    if not reasons:
        return "CAST([] AS VARCHAR[])"
    items = ", ".join(reasons)
    return (
        f"CASE WHEN coalesce({items}) IS NULL THEN CAST([] AS VARCHAR[]) "
        f"ELSE list_filter([{items}], lambda x: x IS NOT NULL) END"
    )


def _finish_row_checks(
    con: duckdb.DuckDBPyConnection,
    t: str,
    checked: str,
    rtype: RecordType,
    settings: Settings,
    params: dict[str, object] | None = None,
) -> None:
    """Checks that need other rows (references, arrival times, the register's session key) over
    the rows of the query `checked`, and the row's hash: the temp table `{t}_p`."""
    extra: list[str] = []
    reasons: list[str] = []
    joins: list[str] = []
    drop: list[str] = []
    has = set(rtype.column_names)
    if "mentor_id" in has and rtype.name != "mentors":
        joins.append("LEFT JOIN mentors m ON m.mentor_id = p.mentor_id")
        extra.append("m.mentor_id AS _known_mentor")
        drop.append("_known_mentor")
        reasons.append(
            "CASE WHEN p.mentor_id IS NOT NULL AND p._known_mentor IS NULL THEN "
            "'mentor_id: \"' || pm_show(p.mentor_id) || '\" is not a known mentor "
            "(import the mentors file first, then re-check)' END"
        )
    session_start = None
    if rtype.name == "conduct":  # the session, when given, must be known (any date)
        joins.append("LEFT JOIN sessions s ON s.session_id = p.session_id")
        extra.append("s.session_id AS _known_session")
        drop.append("_known_session")
        reasons.append(
            "CASE WHEN p.session_id IS NOT NULL AND p._known_session IS NULL THEN "
            "'session_id: \"' || pm_show(p.session_id) || '\" is not a known session "
            "(import the sessions file first, then re-check)' END"
        )
    if rtype.name == "attendance":
        joins.append("LEFT JOIN sessions s ON s.session_id = p.session_id")
        extra += ["s.session_id AS _known_session", "s.scheduled_start AS _session_start"]
        drop += ["_known_session", "_session_start"]
        reasons.append(
            "CASE WHEN p.session_id IS NOT NULL AND p._known_session IS NULL THEN "
            "'session_id: \"' || pm_show(p.session_id) || '\" is not a known session "
            "(import the sessions file first, then re-check)' END"
        )
        session_start = "s.scheduled_start"
    elif rtype is REGISTER:
        session_start = "p.scheduled_start"
        key_parts = (
            "strftime(p.scheduled_start, '%Y-%m-%dT%H:%M:%S')",
            "p.session_type",
            "coalesce(p.staff_id, '')",
            "coalesce(p.beneficiary_id, '')",
            "coalesce(p.event_name, '')",
        )
        extra.append(
            "CASE WHEN p.session_id IS NOT NULL THEN p.session_id "
            "WHEN p.scheduled_start IS NOT NULL AND p.session_type IS NOT NULL THEN "
            f"'R-' || left(sha256(concat_ws('|', {', '.join(key_parts)})), 16) END "
            "AS derived_session_id"
        )
    if session_start is not None:
        # Read once here; the reasons below read the column.
        arrival = (
            f"CASE WHEN pm_is_time(p.arrival_raw) THEN CAST(CAST({session_start} AS DATE) "
            "AS TIMESTAMP) + to_seconds(pm_seconds(p.arrival_raw)) ELSE pm_ts(p.arrival_raw) END"
        )
        extra.append(f"{arrival} AS arrival")
        start = "p._session_start" if rtype.name == "attendance" else "p.scheduled_start"
        reasons.append(
            f"CASE WHEN p.arrival_raw IS NOT NULL AND p.arrival IS NULL AND "
            f"({start} IS NOT NULL OR NOT pm_is_time(p.arrival_raw)) THEN "
            "'arrival_time: \"' || pm_show(p.arrival_raw) || '\" is not a time "
            "(use HH:MM or a date and time)' END"
        )
        reasons.append(
            f"CASE WHEN abs(epoch(p.arrival) - epoch({start})) > "
            f"{MAX_ARRIVAL_HOURS * 3600} THEN "
            "'arrival_time: \"' || pm_show(p.arrival_raw) || '\" is more than "
            f"{MAX_ARRIVAL_HOURS} hours from the scheduled start' END"
        )
    reasons += rtype.checks
    exclude = ["reasons", "_raw_hash", *drop]
    rename = ""
    if rtype is REGISTER:
        exclude += ["session_id", "derived_session_id"]
        rename = "p.derived_session_id AS session_id, "
    reason_list = (
        f"CASE WHEN coalesce({', '.join(reasons)}) IS NULL THEN p.reasons "
        f"ELSE list_concat(p.reasons, {_reason_list(reasons)}) END"
        if reasons
        else "p.reasons"
    )
    select_extra = "".join(", " + e for e in extra)
    with_checks = (
        f"SELECT p.* EXCLUDE ({', '.join(exclude)}), {rename}{reason_list} AS reasons, "
        f"p._raw_hash FROM (SELECT p.*{select_extra} FROM ({checked}) p {' '.join(joins)}) p"
    )
    # The row's identity for duplicate detection: read values where they read, else the text.
    stored = (
        _stored_columns(rtype)
        if rtype is not REGISTER
        else [c.name if c.name != "arrival_time" else "arrival" for c in rtype.columns]
    )
    quoted = ", ".join(f'"{c}"' for c in stored)  # quoted: funding has `from` and `to`
    con.execute(
        f"CREATE TEMP TABLE {t}_p AS SELECT *, CASE WHEN len(reasons) = 0 THEN "
        f"hash({quoted}) "
        f"ELSE _raw_hash END AS _hash FROM ({with_checks})",
        params or {},
    )


def _upsert_register_sessions(
    con: duckdb.DuckDBPyConnection, t: str, import_id: int, demo: bool
) -> None:
    cols = [
        "session_type",
        "scheduled_start",
        "duration_minutes",
        "staff_id",
        "beneficiary_id",
        "event_name",
        "location",
    ]
    picks = ", ".join(f"arg_min({c}, _row) AS {c}" for c in cols)
    con.execute(
        f"CREATE TEMP TABLE {t}_s AS SELECT session_id, {picks} FROM {t}_f "
        "WHERE outcome = 'accepted' GROUP BY session_id"
    )
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM n.{c}" for c in cols)
    con.execute(
        f"DELETE FROM sessions s USING {t}_s n WHERE s.session_id = n.session_id AND NOT ({same})"
    )
    all_cols = ", ".join(["session_id", *cols])
    con.execute(
        f"INSERT INTO sessions ({all_cols}, is_demo, import_id) "
        f"SELECT {all_cols}, $demo, $id FROM {t}_s n "
        "WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = n.session_id)",
        {"demo": demo, "id": import_id},
    )
    con.execute(f"DROP TABLE {t}_s")


def _store_warnings(
    con: duckdb.DuckDBPyConnection,
    sf: readers.StagedFile,
    rtype: RecordType,
    import_id: int,
    settings: Settings,
    report: FileReport,
) -> None:
    t = sf.table
    queries: list[str] = []
    if rtype.table == "attendance":
        queries.append(
            f"SELECT a._origin_row, 'row ' || a._origin_row || ': marked late but arrived ' || "
            "CAST(greatest(0, floor((epoch(a.arrival) - epoch(s.scheduled_start)) / 60)) "
            "AS BIGINT) || ' minute(s) after the start, within the ' || $grace || "
            "'-minute grace period, so it counts as on time' "
            f"FROM {t}_a a JOIN sessions s USING (session_id) WHERE a.attendance = 'late' "
            "AND a.arrival IS NOT NULL "
            "AND floor((epoch(a.arrival) - epoch(s.scheduled_start)) / 60) <= $grace"
        )
        queries.append(
            f"SELECT a._origin_row, 'row ' || a._origin_row || ': attendance recorded for a session on ' || "
            "strftime(s.scheduled_start, '%d/%m/%Y') || ', after the import date' "
            f"FROM {t}_a a JOIN sessions s USING (session_id) "
            "WHERE a.attendance <> 'cancelled_by_programme' "
            "AND CAST(s.scheduled_start AS DATE) > $today"
        )
    if rtype.name == "stage_assessments":
        queries.append(
            f"SELECT a._origin_row, 'row ' || a._origin_row || ': assessed on ' || "
            "strftime(a.assessed_on, '%d/%m/%Y') || ', before the mentor started on ' || "
            f"strftime(m.start_date, '%d/%m/%Y') FROM {t}_a a JOIN mentors m USING (mentor_id) "
            "WHERE a.assessed_on < m.start_date"
        )
    if rtype.name == "conduct":
        queries += _conduct_warnings(t)
    report.warnings = 0
    report.warning_messages = []
    if not queries:
        return
    # One set-based insert: the warnings never pass through Python (a file can have tens of
    # thousands). Stored in row order, as they are listed.
    union = " UNION ALL ".join(f"({q})" for q in queries)
    con.execute(
        f"CREATE TEMP TABLE {t}_w AS SELECT * FROM ({union}) w (_row, message)",
        {
            name: value
            for name, value in (("grace", settings.grace_minutes), ("today", clock.today()))
            if f"${name}" in union
        },
    )
    con.execute(
        "INSERT INTO import_warnings SELECT $id, $file, _row, message FROM "
        f"{t}_w ORDER BY _row, message",
        {"id": import_id, "file": sf.where},
    )
    found = con.execute(f"SELECT count(*) FROM {t}_w").fetchone()
    report.warnings = int(found[0]) if found else 0
    report.warning_messages = [
        str(m)
        for (m,) in con.execute(
            f"SELECT message FROM {t}_w ORDER BY _row, message LIMIT {MAX_LISTED}"
        ).fetchall()
    ]
    con.execute(f"DROP TABLE {t}_w")


def _conduct_warnings(t: str) -> list[str]:
    """DATA.md's conduct warnings: a strength's severity or resolved_on dropped; an observation
    before the mentor's start date or after the day of the import."""
    row = "'row ' || a._origin_row || "
    return [
        f"SELECT a._origin_row, {row}': a strength has no severity: \"' || a._dropped_severity "
        f"|| '\" was not kept' FROM {t}_a a WHERE a._dropped_severity IS NOT NULL",
        f"SELECT a._origin_row, {row}': a strength is not resolved: resolved_on ' || "
        "strftime(a._dropped_resolved_on, '%d/%m/%Y') || ' was not kept' "
        f"FROM {t}_a a WHERE a._dropped_resolved_on IS NOT NULL",
        f"SELECT a._origin_row, {row}': observed on ' || strftime(a.observed_on, '%d/%m/%Y') || "
        "', before the mentor started on ' || strftime(m.start_date, '%d/%m/%Y') "
        f"FROM {t}_a a JOIN mentors m USING (mentor_id) WHERE a.observed_on < m.start_date",
        f"SELECT a._origin_row, {row}': observed on ' || strftime(a.observed_on, '%d/%m/%Y') || "
        f"', after the import date' FROM {t}_a a WHERE a.observed_on > $today",
    ]


def _store_rejected(
    con: duckdb.DuckDBPyConnection,
    sf: readers.StagedFile,
    rtype: RecordType,
    import_id: int,
    report: FileReport,
) -> None:
    t = sf.table
    raw_cols = {c[0] for c in con.execute(f"DESCRIBE {t}").fetchall()}
    params: dict[str, object] = {}
    if "_origin_values" in raw_cols:  # a grid's cell: the mentor cell and the marked cell
        original = "CAST(r._origin_values AS JSON)"
    else:
        original = (
            "json_object(" + ", ".join(f"$h{i}, r.c{i}" for i in range(len(sf.headers))) + ")"
        )
        params.update({f"h{i}": h for i, h in enumerate(sf.headers)})
    key_parts = ", ".join(f"CAST(f.{k} AS VARCHAR)" for k in rtype.key)
    any_null = " OR ".join(f"f.{k} IS NULL" for k in rtype.key)
    params.update(
        id=import_id, file=sf.name, type=rtype.name, sheet=sf.sheet, profile=report.profile
    )
    con.execute(
        f"CREATE TEMP TABLE {t}_rej AS SELECT $id AS import_id, $file AS file_name, "
        f"$type AS record_type, f._origin_row AS row_number, {original} AS original_values, "
        f"f.reasons, CAST($sheet AS VARCHAR) AS sheet, CAST($profile AS VARCHAR) AS profile, "
        f"CASE WHEN {any_null} THEN NULL ELSE [{key_parts}] END AS row_key "
        f"FROM {t}_f f JOIN {t} r USING (_row) WHERE f.outcome = 'rejected'",
        params,
    )
    same = (
        "o.file_name = n.file_name AND o.sheet IS NOT DISTINCT FROM n.sheet "
        "AND CAST(o.original_values AS VARCHAR) = CAST(n.original_values AS VARCHAR)"
    )
    # Re-importing the same file must not list its rejected rows twice; a row already resolved
    # or dismissed stays closed rather than opening again.
    con.execute(f"DELETE FROM rejected_rows o USING {t}_rej n WHERE {same} AND o.status = 'open'")
    con.execute(
        "INSERT INTO rejected_rows (import_id, file_name, record_type, row_number, "
        "original_values, reasons, sheet, profile, row_key, status) "
        f"SELECT n.*, 'open' FROM {t}_rej n WHERE NOT EXISTS (SELECT 1 FROM rejected_rows o "
        f"WHERE {same}) ORDER BY row_number"
    )
    rows = con.execute(
        f"SELECT row_number, original_values, reasons FROM {t}_rej ORDER BY row_number LIMIT {MAX_LISTED}"
    ).fetchall()
    report.rejected_rows = [
        {"row": int(r), "values": json.loads(v), "reasons": list(reasons)} for r, v, reasons in rows
    ]
    con.execute(f"DROP TABLE {t}_rej")
