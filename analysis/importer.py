"""Import the programme's exports into DuckDB, per the contract of DATA.md.

One call is one transaction: every file lands, or nothing does. Each row is accepted
(inserted, updated or unchanged), counted as an exact duplicate, or rejected and kept with its
file, row number, original values and every reason. Validation runs as set-based SQL over a
staging table, so a million rows import in seconds; every record value stays a bound parameter
or a column, never text pasted into a statement.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from analysis import clock, database, profiles, readers, snapshots
from analysis.import_report import FileReport
from analysis.import_sql import (
    _STORED_NAME,
    ImportRefused,
    _finish_row_checks,
    _install_macros,
    _parse_expressions,
    _q,
    _reason_list,
    _store_rejected,
    _store_warnings,
    _stored_columns,
    _upsert_register_sessions,
)
from analysis.records import (
    CODE_LISTS,
    CODE_REJECTS,
    IMPORT_ORDER,
    MAX_TEXT_LENGTH,
    RECORD_TYPES,
    REGISTER,
    RecordType,
    code_key,
    normalise_header,
)
from analysis.settings import Settings, load_settings

# DuckDB's memory for one import; beyond it, staged rows spill to `<db>.tmp` on disk, so a big
# file costs disk, not memory (the whole import stays well under 1 GB).
IMPORT_MEMORY_LIMIT = "256MB"


@dataclass
class ImportSource:
    path: Path
    name: str  # the name the user knows the file by (an upload's name, a path's base name)
    # A mapping for this file alone (the Data page's mapping step, for one file of several).
    profile: str | profiles.Profile | None = None

    @classmethod
    def of(cls, path: str | Path) -> ImportSource:
        return cls(Path(path), Path(path).name)


@dataclass
class ImportResult:
    landed: bool
    files: list[FileReport]
    error: str | None = None
    import_id: int | None = None
    dry_run: bool = False
    # The files whose header fits no record type and no profile: the mapping step reads them.
    unmapped: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {
            "landed": self.landed,
            "files": [f.summary() for f in self.files],
            "error": self.error,
        }

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


Progress = Callable[[int, int, str], None]


def import_files(
    db_path: str | Path,
    sources: Sequence[ImportSource],
    *,
    record_type: str | None = None,
    user: str | None = None,
    settings: Settings | None = None,
    dry_run: bool = False,
    demo: bool = False,
    progress: Progress | None = None,
    kind: str = "import",
    profile: str | profiles.Profile | None = None,
    peek: dict[str, list[dict[str, object]]] | None = None,
) -> ImportResult:
    """Import files in one transaction (or, with dry_run, say what would happen).

    `peek`, if given, receives each file's first rows as they are read (the contract's columns,
    parsed, with the outcome and reasons), keyed by file and sheet: the mapping step's preview.

    `profile` (a saved or built-in profile's name, or a profile not yet saved, as the Data
    page's mapping step previews one) reads every file; without it each file is read as the
    record type its header fits, or by the one profile matching its header.
    """
    settings = settings or load_settings()
    if record_type is not None and record_type not in (*RECORD_TYPES, "register"):
        raise ImportRefused(
            f"unknown record type {record_type!r}: use one of {', '.join(RECORD_TYPES)}"
        )
    user = user or _current_user()
    # The snapshot is a copy of the file, so it is taken before the import opens it.
    with (
        snapshots.before_change(db_path, kind, enabled=not dry_run) as change,
        database.connect(db_path, create=True, publish=not dry_run) as con,
    ):
        _install_macros(con, settings)
        con.execute(f"SET memory_limit = '{IMPORT_MEMORY_LIMIT}'")
        try:
            staged = _stage_all(con, sources, record_type, profile)
        except NoRecordType as exc:
            return ImportResult(False, [], str(exc), dry_run=dry_run, unmapped=exc.files)
        except (readers.FileRefused, ImportRefused, profiles.ProfileError) as exc:
            return ImportResult(False, [], str(exc), dry_run=dry_run)
        con.execute("BEGIN TRANSACTION")
        try:
            result = _run_import(con, staged, user, settings, demo, progress, kind, peek)
            if dry_run:
                con.execute("ROLLBACK")
            else:
                database.write_audit(con, user, kind, audit_detail(result))
                database.bump_data_version(con)
                con.execute("COMMIT")
                change.landed = True
        except BaseException:
            con.execute("ROLLBACK")
            raise
    result.dry_run = dry_run
    if dry_run:
        result.import_id = None
    return result


def audit_detail(result: ImportResult) -> str:
    """An import in the audit log: its number, and per file what happened to its rows."""
    files = "; ".join(
        f"{f.file}: {f.read:,} read, {f.inserted:,} new, {f.updated:,} updated, "
        f"{f.rejected:,} rejected"
        for f in result.files
    )
    return f"import {result.import_id}: {files}"


@dataclass
class SheetColumns:
    """A file's (or sheet's) header and a sample of each column's distinct values."""

    sheet: str | None
    headers: list[str]
    values: dict[str, list[str]]


def file_columns(source: ImportSource, sample: int = 30) -> list[SheetColumns]:
    """What the mapping step shows of a file: each sheet's header and each column's first
    distinct values (read into a private in-memory database; nothing is stored)."""
    out: list[SheetColumns] = []
    with duckdb.connect() as con:
        for sf in readers.stage_file(con, source.path, source.name, "peek"):
            values: dict[str, list[str]] = {}
            for i, header in enumerate(sf.headers):
                found = con.execute(
                    f"SELECT v FROM (SELECT trim(c{i}) AS v, min(_row) AS first FROM {sf.table} "
                    f"WHERE nullif(trim(c{i}), '') IS NOT NULL GROUP BY 1) ORDER BY first "
                    f"LIMIT {int(sample) + 1}"
                ).fetchall()
                values[header] = [str(v[0]) for v in found]
            out.append(SheetColumns(sf.sheet, list(sf.headers), values))
    return out


def _current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


@dataclass
class Staged:
    """A staged file (or sheet), the record type it is read as, and how (a profile's mapping)."""

    sf: readers.StagedFile
    rtype: RecordType
    mapping: ColumnMapping | None = None


@dataclass
class ColumnMapping:
    """A table profile as SQL: each contract column's expression over the staged cells `r.cN`
    (profile values are bound parameters), and the file's code values it adds."""

    profile: profiles.Profile
    exprs: dict[str, str]
    params: dict[str, object]
    used: set[int]
    cancelled_column: int | None = None


def _stage_all(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[ImportSource],
    record_type: str | None,
    profile: str | profiles.Profile | None = None,
) -> list[Staged]:
    """Read every file (every sheet of a workbook) into a temp table first: a file refused as a
    whole refuses the import."""
    known = profiles.available(con)
    chosen: profiles.Profile | None = None
    if isinstance(profile, profiles.Profile):
        chosen = profiles.resolve(profile, known | {profile.name: profile})
    elif profile is not None:
        if profile not in known:
            raise ImportRefused(
                f"no mapping profile named {profile!r} (`python -m analysis profiles list` "
                "lists them)"
            )
        chosen = profiles.resolve(known[profile], known)
    staged: list[Staged] = []
    unmapped: list[NoRecordType] = []
    for n, source in enumerate(sources):
        own = chosen
        if isinstance(source.profile, profiles.Profile):
            own = profiles.resolve(source.profile, known | {source.profile.name: source.profile})
        elif source.profile is not None:
            if source.profile not in known:
                raise ImportRefused(f"{source.name}: no mapping profile named {source.profile!r}")
            own = profiles.resolve(known[source.profile], known)
        if own is not None and own.form == "grid":
            # A grid's size is known from its header and its lines: one too big is refused
            # before it is staged (re-probe, finding 3: a 50 MB grid in seconds, not gigabytes).
            shape = readers.csv_shape(source.path)
            if shape is not None:
                refused = profiles.grid_size_words(shape[1], shape[0])
                if refused:
                    raise ImportRefused(f"{source.name}: {refused}")
        for sf in readers.stage_file(con, source.path, source.name, f"raw_{n}"):
            try:
                staged.append(_plan(con, sf, record_type, own, known))
            except NoRecordType as exc:  # every such file is named, not only the first
                unmapped.append(NoRecordType(str(exc), [source.name]))
                break
    if unmapped:
        files = [e.files[0] for e in unmapped]
        more = f" (and {len(files) - 1} more file(s): {', '.join(files[1:])})" if files[1:] else ""
        raise NoRecordType(f"{unmapped[0]}{more}", files)
    return staged


class NoRecordType(ImportRefused):
    """A file whose header fits no record type and no profile (the mapping step can read it)."""

    def __init__(self, message: str, files: list[str] | None = None) -> None:
        super().__init__(message)
        self.files = files or []


def _plan(
    con: duckdb.DuckDBPyConnection,
    sf: readers.StagedFile,
    record_type: str | None,
    chosen: profiles.Profile | None,
    known: dict[str, profiles.Profile],
) -> Staged:
    """How one staged file is read: as a record type, or through a profile."""
    if chosen is None:
        given = _sheet_type(sf) or record_type
        try:
            return Staged(sf, _record_type_of(sf, given))
        except ImportRefused:
            if given is not None:
                raise
            fits = profiles.matching(sf.headers, known)
            if not fits:
                raise
            if len(fits) > 1:
                names = ", ".join(p.name for p in fits)
                raise ImportRefused(
                    f"{sf.where}: the header fits the mapping profiles {names}; choose one"
                ) from None
            chosen = profiles.resolve(fits[0], known)
    if chosen.form == "grid":
        return Staged(_stage_grid(con, sf, chosen), REGISTER, _grid_mapping(chosen))
    return Staged(sf, chosen.rtype, _table_mapping(sf, chosen))


def _grid_mapping(profile: profiles.Profile) -> ColumnMapping:
    return ColumnMapping(profile, {}, {}, set())


def _stage_grid(
    con: duckdb.DuckDBPyConnection, sf: readers.StagedFile, profile: profiles.Profile
) -> readers.StagedFile:
    """A grid's marked cells as register-form rows in a new temp table (each keeps its sheet
    row and its two original cells, for rejections and corrections)."""
    refused = profiles.grid_size_problem(con, sf.table, sf.headers)
    if refused:  # counted in SQL before a cell is read (re-probe, finding 3)
        raise ImportRefused(f"{sf.where}: {refused}")
    raw_cols = {c[0] for c in con.execute(f"DESCRIBE {sf.table}").fetchall()}
    number = "CAST(_origin_row AS INTEGER)" if "_origin_row" in raw_cols else "_row"
    try:
        plan = profiles.grid_plan(profile, sf.sheet, sf.headers)
    except profiles.ProfileError as exc:
        raise ImportRefused(f"{sf.name}: {exc}") from exc
    not_dates = plan.not_dates
    names = [c.name for c in REGISTER.columns if c.name != "session_id"]
    table = f"{sf.table}_g"
    # One register row per marked cell, unpivoted in SQL (no Python object per cell).
    profiles.stage_grid_sql(con, sf.table, number, sf.headers, plan, table, names)
    readers.drop_staged(con, sf.table)
    notes = list(sf.notes)
    if not_dates:
        notes.append(f"{sf.where}: ignored column(s) {', '.join(not_dates)} (not dates)")
    staged = readers.StagedFile(
        sf.name, table, names, names, sf.encoding, sf.sha256, notes, sheet=sf.sheet
    )
    staged.original_headers = list(sf.headers)
    return staged


def _table_mapping(sf: readers.StagedFile, profile: profiles.Profile) -> ColumnMapping:
    """A table profile's columns, fixed values and built-in readings as SQL over `r.cN`."""
    index = sf.column_index()
    used: set[int] = set()
    params: dict[str, object] = {}

    def cell(header: str) -> str:
        i = index.get(normalise_header(header))
        if i is None:
            raise ImportRefused(
                f"{sf.where}: the mapping profile {profile.name!r} reads the column "
                f"{header!r}, which the file lacks"
            )
        used.add(i)
        return f"nullif(trim(r.c{i}), '')"

    exprs: dict[str, str] = {}
    for col, source in profile.columns.items():
        if isinstance(source, dict):
            day, time = cell(source["date"]), cell(source["time"])
            exprs[col] = (
                f"CASE WHEN {day} IS NULL THEN NULL WHEN {time} IS NULL THEN {day} "
                f"ELSE regexp_replace({day}, '[ T]00:00(:00)?$', '') || ' ' || {time} END"
            )
        else:
            exprs[col] = cell(source)
    for col, derived in profile.derived.items():
        if derived.how == "minutes_between":
            start, end = (cell(h) for h in derived.columns)
            exprs[col] = (
                f"CASE WHEN {start} IS NULL OR {end} IS NULL THEN NULL ELSE coalesce(CAST("
                f"CAST(round((epoch(pm_ts({end})) - epoch(pm_ts({start}))) / 60) AS BIGINT) "
                f"AS VARCHAR), {end}) END"
            )
        elif derived.how == "quantity_minutes":
            quantity, unit = (cell(h) for h in derived.columns)
            exprs[col] = (
                f"CASE pm_key({unit}) WHEN 'minutes' THEN {quantity} WHEN 'hours' THEN "
                f"coalesce(CAST(CAST(round(TRY_CAST({quantity} AS DOUBLE) * 60) AS BIGINT) "
                f"AS VARCHAR), {quantity}) END"
            )
        elif derived.how == "cancelled_session":
            status, session = (cell(h) for h in derived.columns)
            exprs[col] = (
                f"coalesce({status}, CASE WHEN EXISTS (SELECT 1 FROM cancelled_sessions x "
                f"WHERE x.session_id = {session}) THEN 'cancelled_by_programme' END)"
            )
    for n, (col, value) in enumerate(profile.fixed.items()):
        if col not in exprs:
            params[f"fx{n}"] = value
            exprs[col] = f"CAST($fx{n} AS VARCHAR)"
    missing = [c for c in profile.rtype.required if c not in exprs]
    if missing:
        raise ImportRefused(
            f"{sf.where}: the mapping profile {profile.name!r} gives no column for "
            f"{', '.join(missing)}"
        )
    cancelled = None
    if profile.cancelled_when is not None:
        cell(profile.cancelled_when[0])
        cancelled = index[normalise_header(profile.cancelled_when[0])]
    return ColumnMapping(profile, exprs, params, used, cancelled)


def _sheet_type(sf: readers.StagedFile) -> str | None:
    """A sheet named after a record type (`Mentors`, `Register`) holds that type."""
    if sf.sheet is None:
        return None
    name = normalise_header(sf.sheet)
    return name if name in (*RECORD_TYPES, "register") else None


def _run_import(
    con: duckdb.DuckDBPyConnection,
    staged: list[Staged],
    user: str,
    settings: Settings,
    demo: bool,
    progress: Progress | None,
    kind: str,
    peek: dict[str, list[dict[str, object]]] | None = None,
) -> ImportResult:
    row = con.execute("SELECT nextval('import_seq')").fetchone()
    assert row is not None
    import_id = int(row[0])
    reports: dict[str, FileReport] = {}
    _create_code_map(con)
    con.execute(
        "INSERT INTO imports VALUES ($id, $now, $user, $demo, $kind)",
        {"id": import_id, "now": clock.now(), "user": user, "demo": demo, "kind": kind},
    )
    order = sorted(range(len(staged)), key=lambda i: IMPORT_ORDER.index(staged[i].rtype.name))
    for done, i in enumerate(order):
        sf = staged[i].sf
        report = _import_one(
            con, sf, staged[i].rtype, import_id, settings, demo, staged[i].mapping, peek
        )
        reports[sf.table] = report
        if progress:
            progress(done + 1, len(order), sf.where)
    files = [reports[s.sf.table] for s in staged]
    resolve_landed(con, import_id, user)
    return ImportResult(True, files, None, import_id)


def _create_code_map(con: duckdb.DuckDBPyConnection) -> None:
    """The contract's codes and synonyms: field, key (as pm_key reads it), stored value, and
    why a value rejects the row (a profile's values only)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE code_map "
        "(field VARCHAR, key VARCHAR, value VARCHAR, reject VARCHAR)"
    )
    # In one statement, not one insert per code.
    rows = [(f, k, v) for f, table in CODE_LISTS.items() for k, v in table.items()]
    con.execute(
        "INSERT INTO code_map SELECT unnest($f), unnest($k), unnest($v), NULL",
        {"f": [r[0] for r in rows], "k": [r[1] for r in rows], "v": [r[2] for r in rows]},
    )
    refused = [(f, k, why) for f, table in CODE_REJECTS.items() for k, why in table.items()]
    con.executemany("INSERT INTO code_map VALUES (?, ?, NULL, ?)", refused)


def _profile_codes(con: duckdb.DuckDBPyConnection, t: str, profile: profiles.Profile) -> str:
    """The code table for a file read by a profile: the contract's, plus the profile's values
    (added, never replacing a code or synonym the contract already has)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {t}_codes AS SELECT * FROM code_map")
    extra: list[tuple[str, str, str | None, str | None]] = []
    for col, table in profile.values.items():
        for theirs, ours in table.items():
            extra.append((col, code_key(theirs), profiles.code_for(col, ours), None))
    for col, table in profile.rejects.items():
        for theirs, why in table.items():
            extra.append((col, code_key(theirs), None, why))
    if extra:
        con.execute(
            f"CREATE TEMP TABLE {t}_extra (field VARCHAR, key VARCHAR, value VARCHAR, reject VARCHAR)"
        )
        con.executemany(f"INSERT INTO {t}_extra VALUES (?, ?, ?, ?)", extra)
        con.execute(
            f"INSERT INTO {t}_codes SELECT DISTINCT ON (field, key) * FROM {t}_extra e "
            f"WHERE NOT EXISTS (SELECT 1 FROM code_map c WHERE c.field = e.field "
            "AND c.key = e.key)"
        )
        con.execute(f"DROP TABLE {t}_extra")
    return f"{t}_codes"


def _record_type_of(sf: readers.StagedFile, given: str | None) -> RecordType:
    present = set(sf.columns)
    if given == "register":
        missing = [c for c in REGISTER.required if c not in present]
        if missing:
            raise ImportRefused(
                f"{sf.where}: a register file needs the column(s) {', '.join(missing)}"
            )
        return REGISTER
    if given is not None:
        rtype = RECORD_TYPES[given]
        if rtype.name == "attendance" and _fits(REGISTER, present) and not _fits(rtype, present):
            return REGISTER
        missing = [c for c in rtype.required if c not in present]
        if missing:
            if rtype.name == "attendance" and _fits(REGISTER, present):
                return REGISTER
            raise ImportRefused(
                f"{sf.where}: {'an' if given[0] in 'aeiou' else 'a'} {given} file needs the "
                f"column(s) {', '.join(missing)}"
            )
        if rtype.name == "attendance" and _is_register(present):
            return REGISTER
        return rtype
    fitting = [t for t in RECORD_TYPES.values() if _fits(t, present)]
    if _fits(REGISTER, present) and RECORD_TYPES["attendance"] not in fitting:
        fitting.append(REGISTER)
    if len(fitting) == 1:
        rtype = fitting[0]
        if rtype.name == "attendance" and _is_register(present):
            return REGISTER
        return rtype
    if len(fitting) > 1:
        names = " and ".join(t.name for t in fitting)
        raise ImportRefused(
            f"{sf.where}: the header fits both {names}; say which with the record type"
        )
    candidates = [*RECORD_TYPES.values(), REGISTER]
    gaps = {t.name: [c for c in t.required if c not in present] for t in candidates}
    shared = {t.name: len(set(t.column_names) & present) for t in candidates}
    if not any(shared.values()):
        raise NoRecordType(
            f"{sf.where}: the header fits no record type (none of its columns is one the "
            "dashboard reads: most files need mentor_id, sessions need session_id, targets "
            "need figure; the Data page has a template for each)"
        )
    # The nearest types: the fewest columns missing, then the most columns in common.
    nearest = min((len(gaps[n]), -shared[n]) for n in gaps if shared[n])
    near = "; ".join(
        f"as {name} it lacks {', '.join(g)}"
        for name, g in gaps.items()
        if shared[name] and (len(g), -shared[name]) == nearest
    )
    raise NoRecordType(f"{sf.where}: the header fits no record type ({near})")


def _fits(rtype: RecordType, present: set[str]) -> bool:
    return all(c in present for c in rtype.required)


def _is_register(present: set[str]) -> bool:
    return all(c in present for c in ("session_type", "scheduled_start", "duration_minutes"))


def _import_one(
    con: duckdb.DuckDBPyConnection,
    sf: readers.StagedFile,
    rtype: RecordType,
    import_id: int,
    settings: Settings,
    demo: bool,
    mapping: ColumnMapping | None = None,
    peek: dict[str, list[dict[str, object]]] | None = None,
) -> FileReport:
    t = sf.table
    index = sf.column_index()
    report = FileReport(
        sf.name,
        "attendance" if rtype is REGISTER else rtype.name,
        encoding=sf.encoding,
        sha256=sf.sha256,
        notes=list(sf.notes),
        sheet=sf.sheet,
    )
    known = set(rtype.column_names) | ({"session_id"} if rtype is REGISTER else set())
    if mapping is not None:
        report.profile = mapping.profile.name
        report.notes.append(f"{sf.where}: read with the mapping profile {mapping.profile.name!r}")
    if mapping is not None and mapping.exprs:
        report.ignored_columns = [h for i, h in enumerate(sf.headers) if i not in mapping.used]
    else:
        report.ignored_columns = [
            h for h, c in zip(sf.headers, sf.columns, strict=True) if c not in known
        ]
    if report.ignored_columns:
        report.notes.append(f"{sf.where}: ignored column(s) {', '.join(report.ignored_columns)}")

    # 1. the contract's columns as trimmed text (a missing optional column is all blank),
    # 2. every column parsed once, with every reason a row fails, and the checks against other
    # rows, in one statement: one copy of the file instead of one per step.
    raw_cols = [c[0] for c in con.execute(f"DESCRIBE {t}").fetchall()]
    overflow = "_overflow" in raw_cols
    origin = "_origin_row" in raw_cols  # a grid's rows: each keeps its sheet row
    params: dict[str, object] = dict(mapping.params) if mapping is not None else {}
    clean_items = ["r._row"]
    distinct: dict[str, str] = {}  # each column's distinct trimmed values, as a subquery
    clean_items.append(
        "CAST(r._origin_row AS INTEGER) AS _origin_row" if origin else "r._row AS _origin_row"
    )
    for col in rtype.columns:
        i = index.get(col.name)
        expr = f"nullif(trim(r.c{i}), '')" if i is not None else "CAST(NULL AS VARCHAR)"
        if mapping is not None and mapping.exprs:
            expr = mapping.exprs.get(col.name, "CAST(NULL AS VARCHAR)")
        clean_items.append(f"{expr} AS {col.name}")
        if mapping is not None and mapping.exprs:  # a profile's expression over the raw row
            distinct[col.name] = f"(SELECT DISTINCT {expr} AS v FROM {t} r)"
        else:
            distinct[col.name] = (
                f"(SELECT DISTINCT nullif(trim(v), '') AS v FROM (SELECT DISTINCT c{i} AS v "
                f"FROM {t}))"
                if i is not None
                else "(SELECT CAST(NULL AS VARCHAR) AS v)"
            )
    clean_items.append("r._overflow" if overflow else "CAST(NULL AS VARCHAR) AS _overflow")
    problem = "_problem" in raw_cols
    if problem:
        clean_items.append("r._problem")
    codes = _profile_codes(con, t, mapping.profile) if mapping is not None else "code_map"
    items, reasons, joins, pre = _parse_expressions(rtype, distinct, codes)
    reasons.append(
        "CASE WHEN c._overflow IS NOT NULL THEN 'the row has more values than the header has columns' END"
    )
    reason_list = _reason_list(reasons)
    if problem:
        # A grid cell whose mark means nothing: its own reason (sheet, row, column and date)
        # says it all, instead of "attendance is missing". (Only a grid's rows have one; other
        # files keep the plain reason list.)
        reason_list = (
            f"CASE WHEN c._problem IS NULL THEN {reason_list} ELSE list_prepend(c._problem, "
            f"list_filter({reason_list}, lambda x: NOT starts_with(x, 'attendance'))) END"
        )
    checked = (
        f"SELECT c._row, c._origin_row, {', '.join(items)}, "
        f"{reason_list} AS reasons, "
        f"hash({', '.join(f'c.{c.name}' for c in rtype.columns)}) AS _raw_hash "
        f"FROM (SELECT c.*{''.join(', ' + e for e in pre)} FROM "
        f"(SELECT {', '.join(clean_items)} FROM {t} r) c {' '.join(joins)}) c"
    )
    _finish_row_checks(con, t, checked, rtype, settings, params)

    # 3. keys repeated within the file: exact duplicates, or a file contradicting itself. The
    # repeated keys are found first; only their rows are counted and listed (none, usually).
    key = rtype.key
    key_list = ", ".join(key)
    key_show = " || ', ' || ".join(f"CAST({k} AS VARCHAR)" for k in key)
    con.execute(
        f"CREATE TEMP TABLE {t}_k AS SELECT {key_list}, count(*) AS n, "
        f"count(DISTINCT _hash) AS nh, min(_row) AS first_row, "
        f"list(_origin_row ORDER BY _row) AS rows_with_key FROM {t}_p "
        f"SEMI JOIN (SELECT {key_list} FROM {t}_p "
        f"WHERE {' AND '.join(f'{k} IS NOT NULL' for k in key)} "
        f"GROUP BY ALL HAVING count(*) > 1) USING ({key_list}) GROUP BY ALL"
    )
    conflict_reason = (
        f"{_q(', '.join(key) + ' (')} || {key_show} || ') appears ' || k.n || "
        "' times in this file with different values (rows ' || "
        "array_to_string(k.rows_with_key, ', ') || ')'"
    )
    con.execute(
        # A view, not a copy: the repeated keys are few (none in a clean file), so joining
        # them again for each use costs less than copying every row.
        f"CREATE TEMP VIEW {t}_f AS SELECT p.* EXCLUDE (reasons), "
        f"CASE WHEN k.nh > 1 THEN list_append(p.reasons, {conflict_reason}) "
        "ELSE p.reasons END AS reasons, "
        "CASE WHEN k.nh > 1 THEN 'rejected' "
        "WHEN k.n > 1 AND p._row <> k.first_row THEN 'duplicate' "
        "WHEN len(p.reasons) > 0 THEN 'rejected' ELSE 'accepted' END AS outcome "
        f"FROM {t}_p p LEFT JOIN {t}_k k USING ({key_list})"
    )

    # 4. register rows bring their sessions with them
    if rtype is REGISTER:
        _upsert_register_sessions(con, t, import_id, demo)

    # 5. accepted rows against what is stored: insert, update or unchanged
    target = rtype.table
    stored_cols = _stored_columns(rtype)
    value_cols = [c for c in stored_cols if c not in key]
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM f.{c}" for c in value_cols) or "true"
    on = " AND ".join(f"s.{k} = f.{k}" for k in key)
    stored_any = con.execute(f"SELECT EXISTS (SELECT 1 FROM {target})").fetchone()
    if stored_any is not None and stored_any[0]:
        con.execute(
            f"CREATE TEMP TABLE {t}_a AS SELECT f.*, CASE WHEN s.{key[0]} IS NULL THEN 'insert' "
            f"WHEN {same} THEN 'unchanged' ELSE 'update' END AS action "
            f"FROM {t}_f f LEFT JOIN {target} s ON {on} WHERE f.outcome = 'accepted'"
        )
        con.execute(f"DELETE FROM {target} s USING {t}_a f WHERE {on} AND f.action = 'update'")
    else:  # nothing stored yet: every accepted row is new, and no join is needed
        con.execute(
            f"CREATE TEMP VIEW {t}_a AS SELECT f.*, 'insert' AS action "
            f"FROM {t}_f f WHERE f.outcome = 'accepted'"
        )
    cols = ", ".join(f'"{c}"' for c in stored_cols)  # quoted: funding has `from` and `to`
    # No ORDER BY: the order rows are stored in means nothing (queries sort what they show).
    con.execute(
        f"INSERT INTO {target} ({cols}, is_demo, import_id) "
        f"SELECT {cols}, $demo, $import_id FROM {t}_a WHERE action IN ('insert', 'update')",
        {"demo": demo, "import_id": import_id},
    )

    # 6. counts, warnings and the rejected rows with their original values
    counts = con.execute(
        f"SELECT count(*), "
        f"(SELECT count(*) FROM {t}_a WHERE action = 'insert'), "
        f"(SELECT count(*) FROM {t}_a WHERE action = 'update'), "
        f"(SELECT count(*) FROM {t}_a WHERE action = 'unchanged'), "
        "count(*) FILTER (WHERE outcome = 'duplicate'), "
        f"count(*) FILTER (WHERE outcome = 'rejected') FROM {t}_f"
    ).fetchone()
    assert counts is not None
    (
        report.read,
        report.inserted,
        report.updated,
        report.unchanged,
        report.duplicates,
        report.rejected,
    ) = (int(x) for x in counts)
    if mapping is not None and mapping.cancelled_column is not None:
        _note_cancelled_sessions(con, t, mapping, import_id)
    _store_warnings(con, sf, rtype, import_id, settings, report)
    _store_rejected(con, sf, rtype, import_id, report)
    con.execute(
        "INSERT INTO import_files (import_id, file_name, sha256, record_type, encoding, "
        "rows_read, inserted, updated, unchanged, duplicates, rejected, warnings, "
        "ignored_columns, sheet, profile) VALUES ($id, $file, $sha, $type, $enc, $read, $ins, "
        "$upd, $unch, $dup, $rej, $warn, $ignored, $sheet, $profile)",
        {
            "sheet": sf.sheet,
            "profile": report.profile,
            "id": import_id,
            "file": sf.name,
            "sha": sf.sha256,
            "type": rtype.name,
            "enc": sf.encoding,
            "read": report.read,
            "ins": report.inserted,
            "upd": report.updated,
            "unch": report.unchanged,
            "dup": report.duplicates,
            "rej": report.rejected,
            "warn": report.warnings,
            "ignored": report.ignored_columns,
        },
    )
    if peek is not None:
        peek[sf.where] = _first_rows(con, t, rtype)
    con.execute(f"DROP {'TABLE' if stored_any and stored_any[0] else 'VIEW'} {t}_a")
    con.execute(f"DROP VIEW {t}_f")
    for suffix in ("_p", "_k", "_codes"):
        con.execute(f"DROP TABLE IF EXISTS {t}{suffix}")
    readers.drop_staged(con, t)
    return report


PEEK_ROWS = 10


def _first_rows(
    con: duckdb.DuckDBPyConnection, t: str, rtype: RecordType
) -> list[dict[str, object]]:
    """A file's first rows as the import read them: row number, the contract's columns, the
    outcome and the reasons."""
    names = [c.name for c in rtype.columns if not (rtype is REGISTER and c.name == "session_id")]
    stored = [_STORED_NAME.get(n, n) for n in names]
    cells = ", ".join(f"f.{c}" for c in stored)
    rows = con.execute(
        f"SELECT f._origin_row, {cells}, f.outcome, array_to_string(f.reasons, '; ') "
        f"FROM {t}_f f ORDER BY f._row LIMIT {PEEK_ROWS}"
    ).fetchall()
    return [
        {"row": r[0], **dict(zip(names, r[1:-2], strict=True)), "outcome": r[-2], "reasons": r[-1]}
        for r in rows
    ]


def _note_cancelled_sessions(
    con: duckdb.DuckDBPyConnection, t: str, mapping: ColumnMapping, import_id: int
) -> None:
    """Remember which of the file's sessions its system cancelled (Salesforce's status
    `Canceled`): their deliveries with no attendance status read as cancelled_by_programme."""
    assert mapping.profile.cancelled_when is not None
    con.execute(
        f"DELETE FROM cancelled_sessions WHERE session_id IN (SELECT session_id FROM {t}_f "
        "WHERE outcome <> 'rejected')"
    )
    con.execute(
        f"INSERT INTO cancelled_sessions SELECT DISTINCT f.session_id, $id FROM {t}_f f "
        f"JOIN {t} r USING (_row) WHERE f.outcome <> 'rejected' "
        f"AND pm_key(r.c{mapping.cancelled_column}) = pm_key($status)",
        {"id": import_id, "status": mapping.profile.cancelled_when[1]},
    )


def resolve_landed(con: duckdb.DuckDBPyConnection, import_id: int, user: str | None) -> int:
    """Mark resolved every open rejected row whose key has landed since it was rejected (a
    corrected file, a correction on the Data page, a re-check); return how many."""
    total = 0
    for rtype in (*RECORD_TYPES.values(), REGISTER):
        key = ", ".join(f"CAST(s.{k} AS VARCHAR)" for k in rtype.key)
        row = con.execute(
            "SELECT count(*) FROM rejected_rows r WHERE r.status = 'open' AND r.record_type = $t "
            f"AND EXISTS (SELECT 1 FROM {rtype.table} s WHERE [{key}] = r.row_key "
            "AND s.import_id > r.import_id)",
            {"t": rtype.name},
        ).fetchone()
        if not row or not row[0]:
            continue
        total += int(row[0])
        con.execute(
            "UPDATE rejected_rows r SET status = 'resolved', closed_at = $now, "
            "closed_by = $user, closed_note = 'its key was imported (import ' || $id || ')' "
            "WHERE r.status = 'open' AND r.record_type = $t "
            f"AND EXISTS (SELECT 1 FROM {rtype.table} s WHERE [{key}] = r.row_key "
            "AND s.import_id > r.import_id)",
            {"t": rtype.name, "user": user, "id": import_id, "now": clock.now()},
        )
    if total:
        database.write_audit(
            con, user, "rejected rows resolved", f"{total} row(s) by import {import_id}"
        )
    return total


def recheck_rejected(
    db_path: str | Path,
    *,
    user: str | None = None,
    settings: Settings | None = None,
    rejected_ids: Sequence[int] | None = None,
    corrections: dict[int, dict[str, str | None]] | None = None,
) -> ImportResult:
    """Run open rejected rows through the import again (say, after the missing mentors arrived),
    with any corrections made on the Data page (rejected id -> the row's corrected values, in
    its file's own columns). A row that now lands is resolved; one that still fails stays open
    with fresh reasons (and its corrected values). One transaction, logged as an import.
    """
    settings = settings or load_settings()
    user = user or _current_user()
    corrections = corrections or {}
    with (
        snapshots.before_change(db_path, "recheck") as change,
        database.connect(db_path) as con,
    ):
        _install_macros(con, settings)
        con.execute("BEGIN TRANSACTION")
        try:
            query = (
                "SELECT rejected_id, file_name, sheet, record_type, profile, row_number, "
                "original_values FROM rejected_rows WHERE status = 'open'"
            )
            params: dict[str, object] = {}
            if rejected_ids is not None:
                query += " AND list_contains($ids, rejected_id)"
                params["ids"] = [int(i) for i in rejected_ids]
            stored = con.execute(query + " ORDER BY rejected_id", params).fetchall()
            Group = tuple[str, str | None, str, str | None]
            groups: dict[Group, list[tuple[int, dict[str, str | None]]]] = {}
            submitted: dict[int, tuple[Group, dict[str, str | None]]] = {}
            for rid, file_name, sheet, rtype_name, profile_name, row_number, values in stored:
                group: Group = (file_name, sheet, rtype_name, profile_name)
                row_values = corrections.get(int(rid), json.loads(values))
                groups.setdefault(group, []).append((int(row_number), row_values))
                submitted[int(rid)] = (group, row_values)
            row = con.execute("SELECT nextval('import_seq')").fetchone()
            assert row is not None
            import_id = int(row[0])
            kind = "correction" if corrections else "re-check"
            con.execute(
                "INSERT INTO imports VALUES ($id, $now, $user, false, $kind)",
                {"id": import_id, "now": clock.now(), "user": user, "kind": kind},
            )
            _create_code_map(con)
            known = profiles.available(con)
            reports: list[FileReport] = []
            ordered = sorted(groups.items(), key=lambda kv: IMPORT_ORDER.index(kv[0][2]))
            for n, ((file_name, sheet, rtype_name, profile_name), rows) in enumerate(ordered):
                sf = readers.stage_rows(con, rows, file_name, f"re_{n}")
                sf.sheet = sheet
                rtype = REGISTER if rtype_name == "register" else RECORD_TYPES[rtype_name]
                mapping: ColumnMapping | None = None
                if profile_name is not None and profile_name in known:
                    profile = profiles.resolve(known[profile_name], known)
                    if profile.form == "grid":
                        sf = _stage_grid(con, sf, profile)
                        mapping = _grid_mapping(profile)
                    else:
                        mapping = _table_mapping(sf, profile)
                reports.append(_import_one(con, sf, rtype, import_id, settings, False, mapping))
            result = ImportResult(True, reports, None, import_id)
            _close_rechecked(con, submitted, import_id, user)
            resolve_landed(con, import_id, user)
            database.write_audit(
                con,
                user,
                kind,
                audit_detail(result)
                + f" ({len(submitted)} rejected row(s) re-checked"
                + (f", {len(corrections)} corrected)" if corrections else ")"),
            )
            database.bump_data_version(con)
            con.execute("COMMIT")
            change.landed = True
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return result


def _close_rechecked(
    con: duckdb.DuckDBPyConnection,
    submitted: dict[int, tuple[tuple[str, str | None, str, str | None], dict[str, str | None]]],
    import_id: int,
    user: str | None,
) -> None:
    """After a re-check: a row rejected again is now the new rejected row (the old one goes);
    a row that landed is resolved."""
    again = con.execute(
        "SELECT file_name, sheet, original_values FROM rejected_rows WHERE import_id = $id",
        {"id": import_id},
    ).fetchall()
    rejected_again = {(f, sh, json.dumps(json.loads(v), sort_keys=True)) for f, sh, v in again}
    for rid, ((file_name, sheet, _, _), values) in submitted.items():
        still = con.execute(
            "SELECT count(*) FROM rejected_rows WHERE rejected_id = $r AND status = 'open' "
            "AND import_id <> $id",
            {"r": rid, "id": import_id},
        ).fetchone()
        if not still or not still[0]:
            continue  # replaced by its fresh rejection already
        if (file_name, sheet, json.dumps(values, sort_keys=True)) in rejected_again:
            con.execute("DELETE FROM rejected_rows WHERE rejected_id = $r", {"r": rid})
        else:
            con.execute(
                "UPDATE rejected_rows SET status = 'resolved', closed_at = $now, "
                "closed_by = $user, closed_note = "
                "'imported on re-check (import ' || $id || ')' WHERE rejected_id = $r",
                {"r": rid, "user": user, "id": import_id, "now": clock.now()},
            )


def dismiss_rejected(
    db_path: str | Path, rejected_ids: Sequence[int], reason: str, user: str | None
) -> int:
    """Close open rejected rows without importing them, with the reason why; logged."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("say why the row(s) are dismissed")
    if len(reason) > MAX_TEXT_LENGTH:
        raise ValueError(f"the reason is longer than {MAX_TEXT_LENGTH:,} characters")
    ids = [int(i) for i in rejected_ids]
    with database.connect(db_path) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            row = con.execute(
                "SELECT count(*) FROM rejected_rows WHERE status = 'open' "
                "AND list_contains($ids, rejected_id)",
                {"ids": ids},
            ).fetchone()
            count = int(row[0]) if row else 0
            con.execute(
                "UPDATE rejected_rows SET status = 'dismissed', closed_at = $now, "
                "closed_by = $user, closed_note = $reason "
                "WHERE status = 'open' AND list_contains($ids, rejected_id)",
                {"ids": ids, "user": user, "reason": reason, "now": clock.now()},
            )
            database.write_audit(con, user, "rejected rows dismissed", f"{count} row(s): {reason}")
            database.bump_data_version(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return count
