"""Keeping the data clean: remove the demo, erase one mentor on request."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path

import duckdb

from analysis import clock, database, snapshots
from analysis.importer import ImportResult, ImportSource, import_files

DATA_TABLES = (
    "attendance",
    "stage_assessments",
    "milestones",
    "funding",
    "targets",
    "sessions",
    "mentors",
)


def remove_demo(db_path: str | Path, user: str | None) -> dict[str, int]:
    """Delete every record that came from the demo generator, in one transaction (a snapshot
    is kept first, so it can be undone)."""
    counts: dict[str, int] = {}
    # Kept as a snapshot first, so removing the demo can be undone (Data page, or restore).
    with (
        snapshots.before_change(db_path, "remove-demo") as change,
        database.connect(db_path) as con,
    ):
        con.execute("BEGIN TRANSACTION")
        try:
            for table in DATA_TABLES:
                row = con.execute(f"SELECT count(*) FROM {table} WHERE is_demo").fetchone()
                counts[table] = int(row[0]) if row else 0
                con.execute(f"DELETE FROM {table} WHERE is_demo")
            con.execute(
                "DELETE FROM rejected_rows WHERE import_id IN "
                "(SELECT import_id FROM imports WHERE is_demo)"
            )
            database.write_audit(con, user, "remove demo", f"{sum(counts.values())} rows")
            database.bump_data_version(con)
            con.execute("COMMIT")
            change.landed = sum(counts.values()) > 0
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return counts


def create_demo(
    db_path: str | Path, mentors: int = 120, seed: int = 2026, end: dt.date | None = None
) -> ImportResult:
    """Generate the demo programme and import it through the ordinary import, marked as demo.

    The records are a pure function of `mentors`, `seed` and `end`. Without an end the demo ends a
    week before today, so the window presets show recent months.
    """
    from analysis import demo_data

    end = end or clock.today() - dt.timedelta(days=7)
    with tempfile.TemporaryDirectory(prefix="pm-demo-") as tmp:
        paths = demo_data.write_csv(Path(tmp), mentors=mentors, seed=seed, end=end)
        return import_files(db_path, [ImportSource.of(p) for p in paths], user="demo", demo=True)


def has_demo(db_path: str | Path) -> bool:
    with database.read(db_path) as con:
        row = con.execute("SELECT count(*) FROM mentors WHERE is_demo").fetchone()
    return bool(row and row[0])


def erasure_reference(mentor_id: str) -> str:
    """What the audit log keeps of an erased code: enough to answer 'was X erased?', no more."""
    return "sha256:" + hashlib.sha256(mentor_id.encode("utf-8")).hexdigest()[:16]


def erase_mentor(db_path: str | Path, mentor_id: str, user: str | None) -> dict[str, int]:
    """Erase one mentor's records everywhere (rows, rejected rows, warnings), logged.

    The mentor is erased from every snapshot too (see analysis/snapshots.py); the counts are
    the database's.
    """
    with database.connect(db_path) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            counts = erase_rows(con, mentor_id)
            database.write_audit(
                con,
                user,
                "erase mentor",
                f"{erasure_reference(mentor_id)}: {sum(counts.values())} rows erased",
            )
            database.bump_data_version(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    snapshots.scrub(db_path, lambda snap: sum(erase_rows(snap, mentor_id).values()))
    return counts


def erase_rows(con: duckdb.DuckDBPyConnection, mentor_id: str) -> dict[str, int]:
    """Delete one mentor's rows (inside the caller's transaction); count them by table."""
    counts: dict[str, int] = {}
    for table in ("attendance", "stage_assessments", "milestones", "funding", "mentors"):
        row = con.execute(
            f"SELECT count(*) FROM {table} WHERE mentor_id = $id", {"id": mentor_id}
        ).fetchone()
        counts[table] = int(row[0]) if row else 0
        con.execute(f"DELETE FROM {table} WHERE mentor_id = $id", {"id": mentor_id})
    row = con.execute(
        "SELECT count(*) FROM rejected_rows WHERE list_contains("
        "list_transform(json_extract_string(original_values, '$.*'), lambda v: trim(v)), $id)",
        {"id": mentor_id},
    ).fetchone()
    counts["rejected_rows"] = int(row[0]) if row else 0
    con.execute(
        "DELETE FROM rejected_rows WHERE list_contains("
        "list_transform(json_extract_string(original_values, '$.*'), lambda v: trim(v)), $id)",
        {"id": mentor_id},
    )
    return counts
