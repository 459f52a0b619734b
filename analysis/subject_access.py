"""Everything we hold about one person (DATA.md, "Keeping records no longer than needed"): one
workbook, a sheet per record type holding every stored row about that mentor (their mentor
row, attendance with its sessions, assessments, milestones, funding, and every other record
type with a `mentor_id`, such as conduct), the open rejected rows that name the code, and a
cover sheet saying what each sheet is and when the workbook was made.

The record tables come from the one place that declares them (analysis/retention.py
`person_tables`, from `records.RECORD_TYPES`), so a new record type about a person joins the
workbook by being declared. Every value is a bound parameter; every text cell is made safe
to open in a spreadsheet (analysis/cells.py).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import duckdb

from analysis import clock, database
from analysis.cells import safe_cell
from analysis.retention import person_tables

WHAT: dict[str, str] = {
    "mentors": "Their mentor record: cohort, dates, status, gender, age band, outreach worker, "
    "region, leaving reason.",
    "attendance": "Every session they were registered for, with the session's own details "
    "(type, time, length, place) and the notes kept about their attendance.",
    "stage_assessments": "Every assessment of where they were on the transition curve, with "
    "its notes.",
    "milestones": "Every milestone they reached.",
    "funding": "The funding streams their place was paid from.",
    "conduct": "What staff observed of how they conducted themselves at work, with its notes.",
    "rejected_rows": "Rows of imported files that were not taken in (still open) and name "
    "their code, as the file had them, with the reasons.",
}
# Columns of the dashboard's own bookkeeping, not about the person.
_INTERNAL = ("is_demo", "import_id")


class NoSuchMentor(ValueError):
    """No mentor with that code is stored."""


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $t "
        "AND table_catalog = current_database() ORDER BY ordinal_position",
        {"t": table},
    ).fetchall()
    return [str(r[0]) for r in rows if str(r[0]) not in _INTERNAL]


def sheets(con: duckdb.DuckDBPyConnection, mentor_id: str) -> dict[str, tuple[list[str], list]]:
    """Every stored row about `mentor_id`, by sheet: (column names, rows)."""
    found = con.execute(
        "SELECT count(*) FROM mentors WHERE mentor_id = $id", {"id": mentor_id}
    ).fetchone()
    if not found or not found[0]:
        raise NoSuchMentor(f"no mentor with the code {mentor_id!r} is stored")
    out: dict[str, tuple[list[str], list[Any]]] = {}
    for table in person_tables(con):
        columns = _columns(con, table)
        select = ", ".join(f't."{c}"' for c in columns)
        if table == "attendance":
            session_columns = [c for c in _columns(con, "sessions") if c != "session_id"]
            select += "".join(f', s."{c}" AS "session {c}"' for c in session_columns)
            sql = (
                f"SELECT {select} FROM attendance t LEFT JOIN sessions s USING (session_id) "
                "WHERE t.mentor_id = $id ORDER BY s.scheduled_start, t.session_id"
            )
            columns += [f"session {c}" for c in session_columns]
        else:
            sql = f'SELECT {select} FROM "{table}" t WHERE t.mentor_id = $id ORDER BY ALL'
        out[table] = (columns, con.execute(sql, {"id": mentor_id}).fetchall())
    rejected = con.execute(
        "SELECT file_name, sheet, record_type, row_number, CAST(original_values AS VARCHAR), "
        "array_to_string(reasons, '; ') FROM rejected_rows WHERE coalesce(status, 'open') = "
        "'open' AND list_contains(list_transform(json_extract_string(original_values, '$.*'), "
        "lambda v: trim(v)), $id) ORDER BY file_name, sheet, row_number",
        {"id": mentor_id},
    ).fetchall()
    out["rejected_rows"] = (
        ["file", "sheet", "record type", "row", "the row as the file had it", "reasons"],
        rejected,
    )
    return out


def workbook(con: duckdb.DuckDBPyConnection, mentor_id: str, made_at: dt.datetime) -> bytes:
    """The workbook: a cover sheet, then a sheet per record type (even when empty)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    found = sheets(con, mentor_id)
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "About this workbook"
    cover.append([safe_cell(f"Everything the Peer Mentor Programme holds about {mentor_id}")])
    cover["A1"].font = Font(bold=True)
    cover.append([f"Made {made_at:%d/%m/%Y %H:%M} from the records as they were then."])
    cover.append([])
    cover.append(["Sheet", "What it holds", "Rows"])
    for cell in cover[4]:
        cell.font = Font(bold=True)
    for table, (columns, rows) in found.items():
        what = WHAT.get(table, f"Every stored {table.replace('_', ' ')} row about them.")
        cover.append([table, what, len(rows)])
        ws = book.create_sheet(table[:31])
        ws.append(columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([_value(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _value(value: Any) -> Any:
    if isinstance(value, list | tuple | dict):
        value = str(value)
    return safe_cell(value)


def file_name(mentor_id: str) -> str:
    """The workbook's name for a browser: the code, with anything but letters, digits, dots
    and hyphens made a hyphen."""
    stem = "".join(c if c.isalnum() or c in ".-" else "-" for c in mentor_id).strip(".-")
    return f"everything-held-{stem or 'mentor'}.xlsx"


def write(db_path: str | Path, mentor_id: str, out: str | Path, user: str | None) -> Path:
    """The command line's workbook, written to `out` (0600), the request audited."""
    from analysis import audit_store, files

    with database.read(db_path) as con:
        data = workbook(con, mentor_id, clock.now())
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    files.private_file(target)
    audit_store.append(db_path, user, "subject access", f"workbook of {len(data):,} bytes")
    return target
