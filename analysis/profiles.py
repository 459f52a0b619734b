"""Mapping profiles (DATA.md, "Other shapes of file"): how a file in another system's columns
reads as one of our record types, as data (JSON), never code.

A profile says which column of the file holds each contract column (or a date column joined
with a time column), fixed values for columns the file lacks, what the file's values of a code
column mean, and, for an attendance grid, what its sheets hold. Profiles are stored in the
database (`mapping_profiles`); three built-in ones read Salesforce Program Management Module
exports. The importer turns a profile into SQL over the staged cells (every value from a
profile is a bound parameter) or, for a grid, into register-form rows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb

from analysis import clock
from analysis.records import (
    CODE_LISTS,
    RECORD_TYPES,
    REGISTER,
    RecordType,
    code_key,
    normalise_header,
)


class ProfileError(ValueError):
    """A profile that cannot be used; the message says which key is wrong and why."""


TOP_KEYS = ("name", "record_type", "extends", "form", "columns", "fixed", "values", "grid")
GRID_KEYS = (
    "mentor_column",
    "session_type",
    "start_time",
    "duration_minutes",
    "staff_id",
    "event_name",
    "location",
    "sheets",
)
SHEET_KEYS = tuple(k for k in GRID_KEYS if k not in ("mentor_column", "sheets"))
MAX_NAME_LENGTH = 100
# A profile is a page of settings, not data: every import reads every saved profile, so one of
# 14 MB added 2.2 s and 85 MB to each (security re-probe, finding 9). The built-in ones are
# under 2 KB and 30 values; these caps leave room for a system with long code lists.
MAX_PROFILE_BYTES = 64 * 1024
MAX_PROFILE_VALUES = 1000

# The marks an attendance grid uses, before a profile adds its own (DATA.md, "Grid registers").
DEFAULT_MARKS: dict[str, str] = {
    "✓": "attended",
    "✔": "attended",
    "/": "attended",
    "p": "attended",
    "y": "attended",
    "l": "late",
    "a": "notified_absence",
    "ap": "notified_absence",
    "dna": "no_show",
    "x": "no_show",
    "n": "no_show",
    "0": "no_show",
    "c": "cancelled_by_programme",
}


@dataclass(frozen=True)
class Derived:
    """A built-in reading of several columns (Salesforce's exports need a few); not in JSON."""

    how: str  # minutes_between | quantity_minutes | cancelled_session
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    name: str
    record_type: str
    extends: str | None = None
    form: str = "table"
    columns: dict[str, str | dict[str, str]] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    grid: dict[str, Any] | None = None
    # Built-in profiles only:
    derived: dict[str, Derived] = field(default_factory=dict)
    rejects: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> value -> why
    cancelled_when: tuple[str, str] | None = None  # (the file's status column, its value)
    builtin: bool = False

    @property
    def rtype(self) -> RecordType:
        return REGISTER if self.record_type == "register" else RECORD_TYPES[self.record_type]

    def referenced_headers(self) -> list[str]:
        """The file's columns this profile reads (how a file is matched to it)."""
        out: list[str] = []
        for source in self.columns.values():
            out += list(source.values()) if isinstance(source, dict) else [source]
        for derived in self.derived.values():
            out += list(derived.columns)
        if self.cancelled_when:
            out.append(self.cancelled_when[0])
        if self.grid:
            out.append(str(self.grid["mentor_column"]))
        return out

    def as_json(self) -> dict[str, Any]:
        """The profile's JSON (DATA.md's shape; the built-ins' own readings are not in it)."""
        out: dict[str, Any] = {"name": self.name, "record_type": self.record_type}
        if self.extends:
            out["extends"] = self.extends
        if self.form != "table":
            out["form"] = self.form
        for key in ("columns", "fixed", "values"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.grid is not None:
            out["grid"] = self.grid
        return out


def record_type_names() -> tuple[str, ...]:
    return (*RECORD_TYPES, "register")


def _contract_columns(record_type: str) -> dict[str, Any]:
    rtype = REGISTER if record_type == "register" else RECORD_TYPES[record_type]
    return {c.name: c for c in rtype.columns}


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(f"{where} must be text")
    if len(value) > 2000 or any(not ch.isprintable() for ch in value):
        raise ProfileError(f"{where} must be printable text of at most 2,000 characters")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProfileError(f"{where} must be an object")
    return value


def _unknown(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise ProfileError(
            f"{where}: unknown key(s) {', '.join(repr(k) for k in unknown)} "
            f"(allowed: {', '.join(allowed)})"
        )


def code_for(column: str, value: str) -> str | None:
    """The stored code a value means in a code column (the contract's codes and synonyms)."""
    return CODE_LISTS.get(column, {}).get(code_key(value))


def parse(data: Any) -> Profile:
    """A profile from its JSON (already loaded); unknown keys and wrong values are refused."""
    data = _object(data, "a profile")
    _unknown(data, TOP_KEYS, "profile")
    _check_size(data)
    name = _text(data.get("name"), "name").strip()
    if len(name) > MAX_NAME_LENGTH:
        raise ProfileError(f"name must be at most {MAX_NAME_LENGTH} characters")
    record_type = data.get("record_type")
    if record_type not in record_type_names():
        raise ProfileError(f"{name}: record_type must be one of {', '.join(record_type_names())}")
    form = data.get("form", "table")
    if form not in ("table", "grid"):
        raise ProfileError(f'{name}: form must be "table" or "grid"')
    extends = data.get("extends")
    if extends is not None:
        extends = _text(extends, f"{name}: extends").strip()
    contract = _contract_columns(record_type)
    columns: dict[str, str | dict[str, str]] = {}
    for col, source in _object(data.get("columns", {}), f"{name}: columns").items():
        if col not in contract:
            raise ProfileError(f"{name}: columns: {col!r} is not a column of {record_type}")
        if isinstance(source, dict):
            _unknown(source, ("date", "time"), f"{name}: columns.{col}")
            if set(source) != {"date", "time"} or contract[col].kind != "datetime":
                raise ProfileError(
                    f'{name}: columns.{col}: {{"date": ..., "time": ...}} joins a date column '
                    "and a time column into a date-time column"
                )
            columns[col] = {k: _text(v, f"{name}: columns.{col}.{k}") for k, v in source.items()}
        else:
            columns[col] = _text(source, f"{name}: columns.{col}")
    fixed: dict[str, str] = {}
    for col, value in _object(data.get("fixed", {}), f"{name}: fixed").items():
        if col not in contract:
            raise ProfileError(f"{name}: fixed: {col!r} is not a column of {record_type}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        fixed[col] = _text(value, f"{name}: fixed.{col}")
    values: dict[str, dict[str, str]] = {}
    for col, table in _object(data.get("values", {}), f"{name}: values").items():
        if col not in contract or contract[col].kind not in ("enum", "stage"):
            raise ProfileError(f"{name}: values: {col!r} is not a code column of {record_type}")
        mapped: dict[str, str] = {}
        for theirs, ours in _object(table, f"{name}: values.{col}").items():
            _text(theirs, f"{name}: values.{col} key")
            ours = str(ours) if isinstance(ours, int) and not isinstance(ours, bool) else ours
            code = code_for(col, _text(ours, f"{name}: values.{col}.{theirs}"))
            if code is None:
                raise ProfileError(f"{name}: values.{col}: {ours!r} is not a code of {col}")
            mapped[theirs] = ours
        values[col] = mapped
    grid = data.get("grid")
    if form == "grid":
        if record_type not in ("register", "attendance"):
            raise ProfileError(f'{name}: a grid is read as record_type "register"')
        record_type = "register"
        grid = _parse_grid(_object(grid, f"{name}: grid"), name)
    elif grid is not None:
        raise ProfileError(f'{name}: "grid" belongs only to a profile with "form": "grid"')
    return Profile(name, record_type, extends, form, columns, fixed, values, grid)


def _count_values(data: dict[str, Any]) -> int:
    """How many settings a profile holds: its columns, fixed values, value mappings and grid
    sheets (counted before any is read, so a huge one costs nothing)."""
    count = 0
    for key in ("columns", "fixed"):
        if isinstance(data.get(key), dict):
            count += len(data[key])
    if isinstance(data.get("values"), dict):
        for table in data["values"].values():
            count += len(table) if isinstance(table, dict) else 1
    grid = data.get("grid")
    if isinstance(grid, dict):
        count += len(grid)
        if isinstance(grid.get("sheets"), dict):
            for sheet in grid["sheets"].values():
                count += 1 + (len(sheet) if isinstance(sheet, dict) else 0)
    return count


def _check_size(data: dict[str, Any]) -> None:
    count = _count_values(data)
    if count > MAX_PROFILE_VALUES:
        raise ProfileError(
            f"the profile holds {count:,} values (columns, fixed values, value mappings and "
            f"grid settings) and a profile may hold at most {MAX_PROFILE_VALUES:,}"
        )
    try:
        size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise ProfileError(f"the profile is not plain JSON ({exc})") from exc
    if size > MAX_PROFILE_BYTES:
        raise ProfileError(too_big(size))


def too_big(size: int) -> str:
    return (
        f"the profile is {size:,} bytes and a profile may be at most {MAX_PROFILE_BYTES:,} "
        "bytes (64 KB)"
    )


def _parse_grid(grid: dict[str, Any], name: str) -> dict[str, Any]:
    _unknown(grid, GRID_KEYS, f"{name}: grid")
    out: dict[str, Any] = {
        "mentor_column": _text(grid.get("mentor_column"), f"{name}: grid.mentor_column")
    }
    out.update(_grid_settings(grid, f"{name}: grid"))
    sheets = _object(grid.get("sheets", {}), f"{name}: grid.sheets")
    if sheets:
        out["sheets"] = {}
        for sheet, settings in sheets.items():
            where = f"{name}: grid.sheets.{sheet}"
            _unknown(_object(settings, where), SHEET_KEYS, where)
            out["sheets"][sheet] = _grid_settings(settings, where)
    return out


def _grid_settings(data: dict[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "session_type" in data:
        code = code_for("session_type", _text(data["session_type"], f"{where}.session_type"))
        if code is None:
            raise ProfileError(
                f"{where}.session_type: {data['session_type']!r} is not a session type"
            )
        out["session_type"] = code
    if "start_time" in data:
        start = _text(data["start_time"], f"{where}.start_time").strip()
        if _time_of(start) is None:
            raise ProfileError(f"{where}.start_time: {start!r} is not a time (HH:MM)")
        out["start_time"] = start
    if "duration_minutes" in data:
        minutes = data["duration_minutes"]
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 1440:
            raise ProfileError(f"{where}.duration_minutes must be a whole number, 1 to 1440")
        out["duration_minutes"] = minutes
    for key in ("staff_id", "event_name", "location"):
        if key in data:
            out[key] = _text(data[key], f"{where}.{key}")
    return out


def loads(text: str) -> Profile:
    """A profile from JSON text (refused unread above MAX_PROFILE_BYTES)."""
    size = len(text.encode("utf-8"))
    if size > MAX_PROFILE_BYTES:
        raise ProfileError(too_big(size))
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProfileError(f"the profile is not valid JSON ({exc})") from exc
    return parse(data)


# --------------------------------------------------------------------------- built-in profiles

_PMM_ENGAGEMENTS = Profile(
    "salesforce-pmm-engagements",
    "mentors",
    columns={
        "mentor_id": "pmdm__Contact__c",
        "cohort": "pmdm__ProgramCohort__c",
        "start_date": "pmdm__StartDate__c",
        "end_date": "pmdm__EndDate__c",
        "status": "pmdm__Stage__c",
    },
    values={
        "status": {
            "Enrolled": "active",
            "Active": "active",
            "Completed": "completed",
            "Withdrawn": "withdrawn",
        }
    },
    rejects={
        "status": {
            "Applied": "not yet a mentor",
            "Waitlisted": "not yet a mentor",
            "Application Denied": "not yet a mentor",
        }
    },
    builtin=True,
)
_PMM_SESSIONS = Profile(
    "salesforce-pmm-sessions",
    "sessions",
    columns={
        "session_id": "Id",
        "scheduled_start": "pmdm__SessionStart__c",
        "staff_id": "pmdm__PrimaryServiceProvider__c",
        "session_type": "pmdm__ServiceSchedule__c",
    },
    derived={
        "duration_minutes": Derived(
            "minutes_between", ("pmdm__SessionStart__c", "pmdm__SessionEnd__c")
        )
    },
    cancelled_when=("pmdm__Status__c", "Canceled"),
    builtin=True,
)
_PMM_DELIVERIES = Profile(
    "salesforce-pmm-deliveries",
    "attendance",
    columns={
        "session_id": "pmdm__ServiceSession__c",
        "mentor_id": "pmdm__Contact__c",
        "attendance": "pmdm__AttendanceStatus__c",
    },
    values={
        "attendance": {
            "Present": "attended",
            "Excused Absence": "notified_absence",
            "Unexcused Absence": "no_show",
        }
    },
    derived={
        "minutes_attended": Derived(
            "quantity_minutes", ("pmdm__Quantity__c", "pmdm__UnitOfMeasurement__c")
        ),
        "attendance": Derived(
            "cancelled_session", ("pmdm__AttendanceStatus__c", "pmdm__ServiceSession__c")
        ),
    },
    builtin=True,
)
BUILTINS: dict[str, Profile] = {
    p.name: p for p in (_PMM_ENGAGEMENTS, _PMM_SESSIONS, _PMM_DELIVERIES)
}


# ------------------------------------------------------------------------------------ storage


def saved(con: duckdb.DuckDBPyConnection) -> dict[str, Profile]:
    """The profiles saved in the database, by name."""
    rows = con.execute("SELECT name, definition FROM mapping_profiles ORDER BY name").fetchall()
    return {str(name): parse(json.loads(definition)) for name, definition in rows}


def available(con: duckdb.DuckDBPyConnection) -> dict[str, Profile]:
    """Built-in and saved profiles, by name."""
    return BUILTINS | saved(con)


def save(con: duckdb.DuckDBPyConnection, profile: Profile, user: str | None) -> bool:
    """Store a profile (replacing one of the same name); True if it replaced one."""
    if profile.name in BUILTINS:
        raise ProfileError(
            f"{profile.name!r} is a built-in profile; save yours under another name "
            f'(with "extends": "{profile.name}" to add to it)'
        )
    known = available(con) | {profile.name: profile}
    resolve(profile, known)  # refuses an unknown parent or a loop before anything is stored
    existed = con.execute(
        "SELECT count(*) FROM mapping_profiles WHERE name = $n", {"n": profile.name}
    ).fetchone()
    con.execute("DELETE FROM mapping_profiles WHERE name = $n", {"n": profile.name})
    con.execute(
        "INSERT INTO mapping_profiles VALUES ($n, $d, $now, $u)",
        {
            "n": profile.name,
            "d": json.dumps(profile.as_json(), ensure_ascii=False),
            "u": user,
            "now": clock.now(),
        },
    )
    return bool(existed and existed[0])


def delete(con: duckdb.DuckDBPyConnection, name: str) -> None:
    if name in BUILTINS:
        raise ProfileError(f"{name!r} is a built-in profile and cannot be deleted")
    children = [p.name for p in saved(con).values() if p.extends == name]
    if children:
        raise ProfileError(f"{name!r} is extended by {', '.join(children)}; delete those first")
    row = con.execute(
        "SELECT count(*) FROM mapping_profiles WHERE name = $n", {"n": name}
    ).fetchone()
    if not row or not row[0]:
        raise ProfileError(f"no profile named {name!r}")
    con.execute("DELETE FROM mapping_profiles WHERE name = $n", {"n": name})


def resolve(profile: Profile, known: Mapping[str, Profile]) -> Profile:
    """The profile with what it extends folded in (its own entries win)."""
    chain = [profile]
    while chain[-1].extends:
        parent = known.get(chain[-1].extends)
        if parent is None:
            raise ProfileError(
                f"{chain[-1].name}: extends {chain[-1].extends!r}, which is not a profile"
            )
        if parent in chain:
            raise ProfileError(f"{profile.name}: extends itself (through {parent.name})")
        chain.append(parent)
    merged = chain[-1]
    for child in reversed(chain[:-1]):
        if child.record_type != merged.record_type:
            raise ProfileError(
                f"{child.name}: a {child.record_type} profile cannot extend the "
                f"{merged.record_type} profile {merged.name}"
            )
        values = {k: dict(v) for k, v in merged.values.items()}
        for col, table in child.values.items():
            values[col] = values.get(col, {}) | table
        merged = replace(
            merged,
            name=child.name,
            extends=child.extends,
            form=child.form if child.form != "table" else merged.form,
            columns=merged.columns | child.columns,
            fixed=merged.fixed | child.fixed,
            values=values,
            grid=child.grid if child.grid is not None else merged.grid,
            builtin=child.builtin,
        )
    return merged


def matching(headers: list[str], known: Mapping[str, Profile]) -> list[Profile]:
    """The profiles that read a file with this header: every column they name is there. A
    profile that extends another beats its parent."""
    present = {normalise_header(h) for h in headers}
    fits = []
    for profile in known.values():
        try:
            whole = resolve(profile, known)
        except ProfileError:
            continue
        wanted = {normalise_header(h) for h in whole.referenced_headers()}
        if wanted and wanted <= present:
            fits.append(profile)
    parents = {p.extends for p in fits}
    return [p for p in fits if p.name not in parents]


# ---------------------------------------------------------------------------- grid registers

_DATE_PATTERNS = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})"), ("d", "m", "y")),
)
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?")


def _time_of(text: str) -> dt.time | None:
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59 or int(match[3] or 0) > 59:
        return None
    return dt.time(hour, minute)


def header_date(text: str) -> tuple[dt.date, dt.time | None] | None:
    """A grid column's date (and time, if the header has one), or None if it is not a date."""
    text = text.strip()
    parts = re.split(r"[ T]+", text, maxsplit=1)
    for pattern, order in _DATE_PATTERNS:
        match = pattern.fullmatch(parts[0])
        if not match:
            continue
        got = dict(zip(order, (int(g) for g in match.groups()), strict=True))
        year = got["y"] + 2000 if len(match.groups()[order.index("y")]) == 2 else got["y"]
        try:
            day = dt.date(year, got["m"], got["d"])
        except ValueError:
            return None
        if len(parts) == 1:
            return day, None
        span = _RANGE.fullmatch(parts[1].strip())  # "10:00-15:00": the session starts at 10:00
        time = _time_of(span[1] if span else parts[1])
        if time is None:
            return None
        # Excel's date cells carry midnight: that is a date, not a session at midnight.
        return day, (None if time == dt.time(0, 0) else time)
    return None


def header_minutes(header: str) -> int | None:
    """A grid column's own duration, when its header gives a time range ("10:00-15:00")."""
    parts = re.split(r"[ T]+", header.strip(), maxsplit=1)
    span = _RANGE.fullmatch(parts[1].strip()) if len(parts) > 1 else None
    if not span or header_date(header) is None:
        return None
    begin, end = _time_of(span[1]), _time_of(span[2])
    if begin is None or end is None or end <= begin:
        return None
    return (end.hour * 60 + end.minute) - (begin.hour * 60 + begin.minute)


# A late mark with its arrival time in one cell ("L 10:20"); the SQL reading a grid matches
# the same shape (stage_grid_sql).
_LATE_WITH_TIME = re.compile(r"(\S+)\s+(\d{1,2}[:.]\d{2})")


def unknown_marks(marks: list[str], profile_values: Mapping[str, str] | None = None) -> list[str]:
    """The marks (as a grid's cells hold them) that mean nothing yet: a late mark's arrival
    time ("L 10:20") is the mark "L"; the profile's own marks count as known."""
    known = marks_of(Profile("x", "register", values={"attendance": dict(profile_values or {})}))
    out: list[str] = []
    for mark in marks:
        bare = mark.strip()
        late = _LATE_WITH_TIME.fullmatch(bare)
        if late and _time_of(late[2]) is not None:
            bare = late[1]
        if code_key(bare) not in known and bare not in out:
            out.append(bare)
    return out


def marks_of(profile: Profile) -> dict[str, str]:
    """Mark (as a code key) -> attendance code: the contract's codes and synonyms, the default
    marks, and the profile's own (added, never replacing)."""
    marks = dict(CODE_LISTS["attendance"])
    for mark, code in DEFAULT_MARKS.items():
        marks.setdefault(code_key(mark), code)
    for mark, code in profile.values.get("attendance", {}).items():
        ours = code_for("attendance", code)
        if ours is not None:
            marks.setdefault(code_key(mark), ours)
    return marks


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# A grid's cells are read one by one into register rows; a grid above this many cells (its rows
# times its date columns) is refused before any is read. A year of weekly sessions for 1,000
# mentors is 52,000 cells; a 3.2 MB grid of 8,000 rows and 199 dates (1.6 million) once took
# 51 s and 1.5 GB to preview.
MAX_GRID_CELLS = 250_000


def grid_size_problem(con: duckdb.DuckDBPyConnection, table: str, headers: list[str]) -> str:
    """Why a staged grid is too big to read (one sentence), or ""."""
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return grid_size_words(headers, int(row[0]) if row else 0)


def grid_size_words(headers: list[str], rows: int) -> str:
    """Why a grid of `rows` rows under `headers` is too big to read (one sentence), or ""."""
    dates = sum(1 for h in headers if header_date(h) is not None)
    if rows * dates <= MAX_GRID_CELLS:
        return ""
    return (
        f"the grid has {rows:,} rows and {dates:,} date columns, {rows * dates:,} cells, and a "
        f"grid may have at most {MAX_GRID_CELLS:,}: split it into files of fewer rows or dates"
    )


@dataclass(frozen=True)
class GridPlan:
    """How one sheet of a grid is read, worked out from its header alone (no cell is read):
    which column holds the mentor codes, which columns are dates (and their times), the
    settings that apply to the sheet, and the marks."""

    where: str  # 'sheet "May", ' or ""
    mentor: int
    dates: dict[int, tuple[dt.date, dt.time | None]]
    not_dates: list[str]
    settings: dict[str, Any]
    start: dt.time | None
    marks: dict[str, str]


def grid_plan(profile: Profile, sheet: str | None, headers: list[str]) -> GridPlan:
    """The plan for reading a grid's sheet (DATA.md, "Grid registers"); a header the profile
    cannot read is refused in one sentence."""
    assert profile.grid is not None
    grid = profile.grid
    settings = {k: v for k, v in grid.items() if k not in ("mentor_column", "sheets")}
    if sheet is not None:
        for name, extra in grid.get("sheets", {}).items():
            if normalise_header(name) == normalise_header(sheet):
                settings |= extra
    where = f'sheet "{sheet}", ' if sheet is not None else ""
    wanted = normalise_header(str(grid["mentor_column"]))
    columns = [normalise_header(h) for h in headers]
    if wanted not in columns:
        raise ProfileError(
            f"{where}the grid has no column {grid['mentor_column']!r} of mentor codes"
        )
    mentor = columns.index(wanted)
    missing = [k for k in ("session_type", "duration_minutes") if k not in settings]
    if missing:
        raise ProfileError(f"{profile.name}: {where}the grid's mapping lacks {', '.join(missing)}")
    dates: dict[int, tuple[dt.date, dt.time | None]] = {}
    not_dates: list[str] = []
    for i, header in enumerate(headers):
        if i == mentor:
            continue
        when = header_date(header)
        if when is None:
            if header.strip():
                not_dates.append(header)
        else:
            dates[i] = when
    start = _time_of(str(settings.get("start_time", "")))
    return GridPlan(where, mentor, dates, not_dates, settings, start, marks_of(profile))


# Whitespace as Python's str.strip() and records.code_key see it (the analysis/import_sql.py
# macro pm_key trims the same), for reading a grid's marks in SQL.
_GRID_TRIM = " " + "".join(chr(c) for c in (9, 10, 11, 12, 13, 160))


def stage_grid_sql(
    con: duckdb.DuckDBPyConnection,
    source: str,
    number: str,
    headers: list[str],
    plan: GridPlan,
    target: str,
    names: list[str],
) -> None:
    """Each marked cell of the staged grid `source` as one register-form row of the temp table
    `target` (`_row`, a column c<n> for each of `names`, `_origin_row`, `_origin_values`,
    `_problem`), built in SQL: the grid is unpivoted by DuckDB, one row per marked cell, and no
    Python object is made per cell (re-probe, finding 3). `number` is the SQL for a sheet row's
    number. Every value from the profile is a bound parameter; only the project's own column
    names (c<n>) are written into the SQL."""
    cols = f"{target}_cols"
    marks = f"{target}_marks"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {cols} (name VARCHAR, pos INTEGER, day VARCHAR, "
        "at_time VARCHAR, letter VARCHAR, shown_day VARCHAR, header_json VARCHAR, duration VARCHAR)"
    )
    rows = [
        (
            f"c{i}",
            i,
            day.isoformat(),
            time.strftime("%H:%M") if time else None,
            column_letter(i),
            day.strftime("%d/%m/%Y"),
            json.dumps(headers[i], ensure_ascii=False),
            # a heading's own time range or stated duration, else the mapping's
            str(header_minutes(headers[i]) or plan.settings["duration_minutes"]),
        )
        for i, (day, time) in plan.dates.items()
    ]
    if rows:
        con.executemany(f"INSERT INTO {cols} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {marks} (key VARCHAR, attendance VARCHAR)")
    con.executemany(f"INSERT INTO {marks} VALUES (?, ?)", list(plan.marks.items()))
    out_cells = ", ".join(
        f"CAST({_GRID_VALUES.get(n, 'NULL')} AS VARCHAR) AS c{k}" for k, n in enumerate(names)
    )
    if not rows:  # no date columns: no cells
        con.execute(
            f"CREATE TEMP TABLE {target} AS SELECT CAST(NULL AS INTEGER) AS _row, "
            + ", ".join(f"CAST(NULL AS VARCHAR) AS c{k}" for k in range(len(names)))
            + ", CAST(NULL AS VARCHAR) AS _origin_row, CAST(NULL AS VARCHAR) AS _origin_values, "
            "CAST(NULL AS VARCHAR) AS _problem WHERE false"
        )
        return
    unpivoted = ", ".join(f"c{i}" for i in plan.dates)
    settings = plan.settings
    params = {
        "trim": _GRID_TRIM,
        "where": plan.where,
        "start": plan.start.strftime("%H:%M") if plan.start else None,
        "session_type": str(settings["session_type"]),
        "staff_id": settings.get("staff_id"),
        "event_name": settings.get("event_name"),
        "location": settings.get("location"),
        "mentor_json": json.dumps(headers[plan.mentor], ensure_ascii=False),
    }
    con.execute(
        rf"""
        CREATE TEMP TABLE {target} AS
        WITH cells AS (
            UNPIVOT (
                SELECT {number} AS _n, _row AS _s, c{plan.mentor} AS _mentor, {unpivoted}
                FROM {source}
            )
            ON {unpivoted} INTO NAME _col VALUE _raw
        ), marked AS (
            SELECT u._n, u._s, u._mentor, u._raw, c.*, trim(u._raw, $trim) AS _m0
            FROM cells u JOIN {cols} c ON c.name = u._col
            WHERE trim(u._raw, $trim) <> ''
        ), timed AS (
            SELECT *, regexp_full_match(_m0, '(\S+)\s+(\d{{1,2}})[:.](\d{{2}})')
                AND TRY_CAST(regexp_extract(_m0, '(\d{{1,2}})[:.](\d{{2}})$', 1) AS INTEGER) <= 23
                AND TRY_CAST(regexp_extract(_m0, '(\d{{1,2}})[:.](\d{{2}})$', 2) AS INTEGER) <= 59
                AS _late
            FROM marked
        ), read AS (
            SELECT *,
                CASE WHEN _late THEN regexp_extract(_m0, '^(\S+)', 1) ELSE _m0 END AS _mark,
                CASE WHEN _late THEN replace(regexp_extract(_m0, '(\d{{1,2}}[:.]\d{{2}})$', 1),
                    '.', ':') END AS _arrival,
                coalesce(at_time, $start) AS _start_at
            FROM timed
        ), coded AS (
            SELECT r.*, k.attendance AS _attendance
            FROM read r LEFT JOIN {marks} k
                ON k.key = regexp_replace(lower(trim(r._mark, $trim)), '[\s\v\x{{a0}}_\-]+', '_',
                    'g')
        )
        SELECT CAST(row_number() OVER (ORDER BY _s, pos) AS INTEGER) AS _row, {out_cells},
            CAST(_n AS VARCHAR) AS _origin_row,
            '{{' || $mentor_json || ': ' || coalesce(to_json(_mentor)::VARCHAR, 'null') || ', '
                || header_json || ': ' || to_json(_raw)::VARCHAR || '}}' AS _origin_values,
            CASE
                WHEN _attendance IS NULL THEN $where || 'row ' || _n || ', column ' || letter
                    || ' (' || shown_day || '): mark "'
                    || CASE WHEN length(_mark) <= 40 THEN _mark ELSE left(_mark, 37) || '...' END
                    || '" is not a known mark'
                WHEN _start_at IS NULL THEN $where || 'row ' || _n || ', column ' || letter
                    || ' (' || shown_day || '): the column has no time and the grid''s mapping '
                    || 'gives no start_time'
            END AS _problem
        FROM coded
        """,
        params,
    )
    con.execute(f"DROP TABLE {cols}")
    con.execute(f"DROP TABLE {marks}")


# Each register-form column of a grid's row, as SQL over the unpivoted cells above.
_GRID_VALUES: dict[str, str] = {
    "mentor_id": "_mentor",
    "session_type": "$session_type",
    "scheduled_start": "CASE WHEN _start_at IS NULL THEN day ELSE day || ' ' || _start_at END",
    "duration_minutes": "duration",
    "attendance": "_attendance",
    "staff_id": "$staff_id",
    "event_name": "$event_name",
    "location": "$location",
    "arrival_time": "CASE WHEN _attendance IN ('late', 'attended') THEN _arrival END",
}


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


# ------------------------------------------------------------------ guesses for the mapping step

# Words other systems use for our columns (compared as headers are: case, spaces and hyphens
# aside). The Data page offers these as first guesses; the user confirms or changes each.
COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "mentor_id": (
        "mentor",
        "mentor code",
        "member code",
        "member",
        "participant",
        "peer mentor",
        "contact",
        "person code",
        "code",
        "id",
    ),
    "cohort": ("intake", "group", "cohort name"),
    "start_date": ("start", "joined", "date joined", "enrolled", "enrolment date"),
    "end_date": ("end", "left", "date left", "finished", "leaving date"),
    "status": ("state", "stage", "mentor status"),
    "leaving_reason": ("reason for leaving", "reason left", "why left", "exit reason"),
    "session_id": ("session", "session code", "meeting id", "event id"),
    "session_type": ("type", "activity", "session kind", "activity type"),
    "scheduled_start": ("date", "start", "session date", "when", "date and time", "start time"),
    "duration_minutes": ("duration", "minutes", "length", "mins"),
    "staff_id": ("staff", "worker", "staff member", "facilitator"),
    "beneficiary_id": ("beneficiary", "client"),
    "event_name": ("event",),
    "location": ("venue", "place", "where"),
    "attendance": ("attended", "came", "present", "mark", "attendance status", "status"),
    "arrival_time": ("arrived", "arrival", "time in", "signed in"),
    "minutes_attended": ("minutes present", "time spent"),
    "notes": ("comments", "comment", "note", "remarks"),
    "assessed_on": ("date", "assessment date", "assessed"),
    "stage": ("curve stage", "transition stage"),
    "self_esteem": ("rosenberg", "self esteem score", "rses"),
    "assessor": ("assessed by", "worker"),
    "milestone": ("achievement", "outcome"),
    "achieved_on": ("date", "achieved", "date achieved"),
    "observed_on": ("date", "observed", "date observed", "observation date", "when"),
    "kind": ("type", "concern or strength", "observation type"),
    "category": ("area", "behaviour", "behavior", "observation"),
    "severity": ("level", "seriousness", "priority"),
    "resolved_on": ("resolved", "date resolved", "closed", "closed on"),
}


def guess_columns(record_type: str, headers: list[str]) -> dict[str, str]:
    """For each contract column, the file's column that most likely holds it (each used once):
    the same name first, then the words other systems use."""
    by_key = {normalise_header(h): h for h in headers if h.strip()}
    taken: set[str] = set()
    out: dict[str, str] = {}
    columns = list(_contract_columns(record_type))
    for col in columns:  # exact names first, so "Date" is not taken by a guess before its owner
        if col in by_key:
            out[col] = by_key[col]
            taken.add(col)
    for col in columns:
        if col in out:
            continue
        for word in COLUMN_WORDS.get(col, ()):
            key = normalise_header(word)
            if key in by_key and key not in taken:
                out[col] = by_key[key]
                taken.add(key)
                break
    return out


def guess_value(column: str, value: str) -> str | None:
    """What a file's value most likely means in a code column (the contract's synonyms and, for
    attendance, the marks a register uses)."""
    code = code_for(column, value)
    if code is None and column == "attendance":
        code = DEFAULT_MARKS.get(value.strip().lower())
    return code


def code_choices(column: str) -> list[str]:
    """The codes a code column takes (the stage: 1 to 7)."""
    from analysis.records import ALLOWED_TEXT

    if column == "stage":
        return [str(i) for i in range(1, 8)]
    return list(ALLOWED_TEXT[column])


def guess_date_and_time(headers: list[str]) -> tuple[str, str]:
    """The columns most likely to hold a session's date and its start time."""

    def first_with(words: tuple[str, ...], default: str) -> str:
        for word in words:
            for header in headers:
                if word in normalise_header(header):
                    return header
        return default

    day = first_with(("date", "day", "when"), headers[0])
    time = first_with(("start", "time", "from"), headers[min(1, len(headers) - 1)])
    return day, time


# ------------------------------------------------------- which form a file that fits no type is

_RANGE = re.compile(r"(\d{1,2}[:.]\d{2})\s*(?:-|–|to)\s*(\d{1,2}[:.]\d{2})")
_MINUTES_IN_TEXT = re.compile(
    r"(?:duration|length|minutes|mins)\D{0,12}(\d{1,4})\s*(?:min|minutes|mins)?|"
    r"(\d{1,4})\s*(?:min|minutes|mins)\b|(\d{1,2}(?:\.\d+)?)\s*(?:h|hr|hrs|hours?)\b",
    re.IGNORECASE,
)
MAX_MARK_LENGTH = 12  # a grid's marks are short ("/", "DNA", "L 10:20"); longer text is a table


def _date_part(header: str) -> tuple[dt.date, str] | None:
    """A header's date, and what follows it (a time, a time range, words), if it starts with
    a date."""
    text = header.strip()
    parts = re.split(r"[ T]+", text, maxsplit=1)
    whole = header_date(parts[0])
    if whole is None:
        return None
    return whole[0], (parts[1] if len(parts) > 1 else "")


def grid_mentor_column(headers: list[str], values: Mapping[str, list[str]]) -> str | None:
    """The name column of a sheet that looks like an attendance grid (a column of codes and
    date-like headers whose cells hold short marks), or None if it does not look like one."""
    dated = [h for h in headers if h.strip() and _date_part(h) is not None]
    others = [h for h in headers if h.strip() and h not in dated]
    if not dated or not others or len(others) > max(2, len(dated)):
        return None
    marks = [v for h in dated for v in values.get(h, [])]
    if marks and sum(len(m.strip()) <= MAX_MARK_LENGTH for m in marks) < 0.8 * len(marks):
        return None
    words = {normalise_header(w) for w in COLUMN_WORDS["mentor_id"]} | {"name", "mentor id"}
    for header in others:
        if normalise_header(header) in words or normalise_header(header) == "mentor_id":
            return header
    return others[0]


def likely_form(sheets: list[tuple[list[str], Mapping[str, list[str]]]]) -> str:
    """ "grid" when every sheet of a file looks like an attendance grid, else "table"."""
    if sheets and all(grid_mentor_column(h, v) is not None for h, v in sheets):
        return "grid"
    return "table"


_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "group_day": ("group day", "group-day", "group_day", "groupday", "group days", "group-days"),
    "training": ("training", "course"),
    "supervision": ("supervision",),
    "shadowing": ("shadowing", "shadow"),
    "beneficiary_meeting": ("beneficiary", "one to one", "1-1", "1:1"),
    "event": ("event",),
}


def grid_start(
    file_name: str,
    sheets: Sequence[tuple[str | None, list[str], Mapping[str, list[str]]]],
    typical_minutes: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Where a grid's mapping starts, read from the file itself: its name column, the session
    type its name or sheets name, the start time and duration its headers give (a time range
    such as "10:00-15:00", or a column or sheet saying "5 hours" / "Duration 300"), and the
    marks it uses. Nothing is made up: what the file does not say is left out (the duration
    then comes from `typical_minutes`, the programme's own sessions of that type, if given)."""
    out: dict[str, Any] = {}
    first_headers, first_values = sheets[0][1], sheets[0][2]
    mentor = grid_mentor_column(first_headers, first_values) or (first_headers or [""])[0]
    out["mentor_column"] = mentor
    names = " ".join([file_name, *(s for s, _, _ in sheets if s)]).lower()
    for code, words in _TYPE_WORDS.items():
        if any(w in names for w in words):
            out["session_type"] = code
            break
    starts: dict[str, int] = {}
    durations: dict[int, int] = {}
    texts: list[str] = []
    marks: set[str] = set()
    for sheet, headers, values in sheets:
        texts.append(sheet or "")
        for header in headers:
            part = _date_part(header)
            if part is None:
                if header != mentor:
                    texts.append(header)
                    texts += list(values.get(header, []))[:5]
                continue
            rest = part[1]
            whole = _RANGE.search(rest)
            if whole:
                begin, end = _time_of(whole[1]), _time_of(whole[2])
                if begin and end and end > begin:
                    start_key = begin.strftime("%H:%M")
                    starts[start_key] = starts.get(start_key, 0) + 1
                    minutes = (end.hour * 60 + end.minute) - (begin.hour * 60 + begin.minute)
                    durations[minutes] = durations.get(minutes, 0) + 1
            else:
                at = _time_of(rest) if rest else None
                if at is not None and at != dt.time(0, 0):
                    key = at.strftime("%H:%M")
                    starts[key] = starts.get(key, 0) + 1
            marks.update(v.strip() for v in values.get(header, []) if v.strip())
    if starts:
        out["start_time"] = max(starts, key=lambda k: starts[k])
    if durations:
        out["duration_minutes"] = max(durations, key=lambda k: durations[k])
    else:
        for text in texts:
            found = _MINUTES_IN_TEXT.search(text or "")
            if not found:
                continue
            stated = found[1] or found[2]
            minutes = int(stated) if stated else round(float(found[3]) * 60)
            if 1 <= minutes <= 1440:
                out["duration_minutes"] = minutes
                break
    if "duration_minutes" not in out and typical_minutes and out.get("session_type"):
        typical = typical_minutes.get(str(out["session_type"]))
        if typical and 1 <= typical <= 1440:
            out["duration_minutes"] = int(typical)
    out["marks"] = sorted(marks)
    return out
