"""The DuckDB file: schema with a version number, migrations, and short-lived connections.

The dashboard and the command line never hold the file open between uses: a connection is
opened for one query or one import and closed straight after, so a nightly command-line import
can land while managers browse. A file locked by another process is retried briefly, then
reported in one clear sentence.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

SCHEMA_VERSION = 2

# Migration n takes the schema from version n-1 to n. Append; never edit a released step.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
    CREATE SEQUENCE import_seq START 1;
    CREATE SEQUENCE rejected_seq START 1;
    CREATE TABLE mentors (
        mentor_id VARCHAR NOT NULL, cohort VARCHAR NOT NULL, start_date DATE NOT NULL,
        status VARCHAR NOT NULL, end_date DATE, gender VARCHAR NOT NULL, age_band VARCHAR,
        outreach_worker VARCHAR, region VARCHAR,
        is_demo BOOLEAN NOT NULL DEFAULT false, import_id INTEGER);
    CREATE TABLE sessions (
        session_id VARCHAR NOT NULL, session_type VARCHAR NOT NULL,
        scheduled_start TIMESTAMP NOT NULL, duration_minutes INTEGER NOT NULL,
        staff_id VARCHAR, beneficiary_id VARCHAR, event_name VARCHAR, location VARCHAR,
        is_demo BOOLEAN NOT NULL DEFAULT false, import_id INTEGER);
    CREATE TABLE attendance (
        session_id VARCHAR NOT NULL, mentor_id VARCHAR NOT NULL, attendance VARCHAR NOT NULL,
        arrival TIMESTAMP, minutes_attended INTEGER, notes VARCHAR,
        is_demo BOOLEAN NOT NULL DEFAULT false, import_id INTEGER);
    CREATE TABLE stage_assessments (
        mentor_id VARCHAR NOT NULL, assessed_on DATE NOT NULL, stage INTEGER NOT NULL,
        self_esteem INTEGER, assessor VARCHAR, notes VARCHAR,
        is_demo BOOLEAN NOT NULL DEFAULT false, import_id INTEGER);
    CREATE TABLE milestones (
        mentor_id VARCHAR NOT NULL, milestone VARCHAR NOT NULL, achieved_on DATE NOT NULL,
        notes VARCHAR, is_demo BOOLEAN NOT NULL DEFAULT false, import_id INTEGER);
    CREATE TABLE imports (
        import_id INTEGER PRIMARY KEY, imported_at TIMESTAMP NOT NULL, user_name VARCHAR,
        is_demo BOOLEAN NOT NULL DEFAULT false, kind VARCHAR NOT NULL DEFAULT 'import');
    CREATE TABLE import_files (
        import_id INTEGER NOT NULL, file_name VARCHAR NOT NULL, sha256 VARCHAR,
        record_type VARCHAR, encoding VARCHAR, rows_read INTEGER, inserted INTEGER,
        updated INTEGER, unchanged INTEGER, duplicates INTEGER, rejected INTEGER,
        warnings INTEGER, ignored_columns VARCHAR[]);
    CREATE TABLE rejected_rows (
        rejected_id INTEGER PRIMARY KEY DEFAULT nextval('rejected_seq'),
        import_id INTEGER NOT NULL, file_name VARCHAR NOT NULL, record_type VARCHAR NOT NULL,
        row_number INTEGER NOT NULL, original_values JSON NOT NULL, reasons VARCHAR[] NOT NULL);
    CREATE TABLE import_warnings (
        import_id INTEGER NOT NULL, file_name VARCHAR NOT NULL, row_number INTEGER,
        message VARCHAR NOT NULL);
    CREATE TABLE audit_log (
        logged_at TIMESTAMP NOT NULL, user_name VARCHAR, action VARCHAR NOT NULL,
        detail VARCHAR);
    """,
    # 2: the learning log (PRODUCT.md, second release): dated notes about the programme.
    """
    CREATE SEQUENCE learning_note_seq START 1;
    CREATE TABLE learning_notes (
        note_id INTEGER PRIMARY KEY DEFAULT nextval('learning_note_seq'),
        noted_on DATE NOT NULL, note VARCHAR NOT NULL, author VARCHAR NOT NULL,
        share_with_funders BOOLEAN NOT NULL DEFAULT false, created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP, updated_by VARCHAR);
    """,
]

LOCK_RETRY_SECONDS = 10.0


class DatabaseError(RuntimeError):
    """A database problem put in words a manager can act on."""


class DatabaseMissing(DatabaseError):
    pass


class DatabaseBusy(DatabaseError):
    pass


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "already open" in text


@contextmanager
def connect(
    path: str | Path, *, create: bool = False, retry_seconds: float = LOCK_RETRY_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the database for one unit of work and close it afterwards.

    A file held by another process is retried for `retry_seconds`, then reported.
    Without `create`, a missing file is an error rather than a new empty database.
    """
    path = Path(path)
    if not create and not path.exists():
        raise DatabaseMissing(f"no database at {path}: import some files or create the demo first")
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + retry_seconds
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise DatabaseError(f"the database at {path} cannot be opened: {exc}") from exc
            if time.monotonic() >= deadline:
                raise DatabaseBusy(
                    f"the database at {path} is in use by another program (an import?); "
                    "try again in a minute"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    try:
        migrate(con)
        yield con
    finally:
        con.close()


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the schema up to SCHEMA_VERSION, one migration per transaction."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise DatabaseError(
            f"the database was written by a newer version of the dashboard (schema {current})"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(MIGRATIONS[version - 1])
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', $v)", {"v": str(version)}
            )
            if version == 1:
                con.execute("INSERT INTO meta VALUES ('data_version', '0')")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that changes whenever stored records change (for cache keys)."""
    row = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    return int(row[0]) if row else 0


def bump_data_version(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) "
        "WHERE key = 'data_version'"
    )


def write_audit(
    con: duckdb.DuckDBPyConnection, user: str | None, action: str, detail: str = ""
) -> None:
    con.execute(
        "INSERT INTO audit_log VALUES (current_localtimestamp(), $user, $action, $detail)",
        {"user": user, "action": action, "detail": detail},
    )
