"""The DuckDB file: schema with a version number, migrations, and how it is read and changed.

Readers never wait for a change, and a change never shows half-done:
- A change (`connect`) never writes the published file. Holding the writer lock (a lock file
  beside the database, so one change at a time), it copies the published file to a working copy
  in the same folder, changes the copy, checkpoints it, flushes it to disk and renames it over
  the published name in one step. A change that fails or is killed leaves the published file
  as it was; its working copy is deleted (now, or by the next change once its process is gone).
- A reader (`read`) opens the published file read-only through an in-memory DuckDB that
  attaches it, one connection per query or page run. Any number of processes can read one file
  at once, and a reader that opened the previous version keeps reading it until it closes (the
  rename does not touch an open file); its next run opens the new version.
- Every file of this dashboard carries its schema version. A file from an older release is
  brought up to date as a change (so the old file is kept as a snapshot first); a file from a
  newer release is refused and left exactly as it is.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from analysis import clock, files

SCHEMA_VERSION = 5

# Migration n takes the schema from version n-1 to n. Append; never edit a released step.
# Every released database is kept in tests/fixtures/db (one per release) and opened by the
# newest code in tests/test_upgrades.py, so a step that breaks an old file fails there.
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
    # 3: funding streams and targets (second release). A programme-wide target's stream is ''.
    """
    CREATE TABLE funding (
        mentor_id VARCHAR NOT NULL, funding_stream VARCHAR NOT NULL, "from" DATE, "to" DATE,
        is_demo BOOLEAN NOT NULL DEFAULT false, import_id INTEGER);
    CREATE TABLE targets (
        figure VARCHAR NOT NULL, period_start DATE NOT NULL, period_end DATE NOT NULL,
        target DOUBLE NOT NULL, funding_stream VARCHAR NOT NULL DEFAULT '', wording VARCHAR,
        is_demo BOOLEAN NOT NULL DEFAULT false, import_id INTEGER);
    """,
    # 4: bring your own export: why a mentor left; every sheet of a workbook and the mapping
    # profile in the import log; saved profiles; rejected rows that close (resolved by a later
    # import of their key, or dismissed with a reason); sessions a source system cancelled.
    """
    ALTER TABLE mentors ADD COLUMN leaving_reason VARCHAR;
    ALTER TABLE import_files ADD COLUMN sheet VARCHAR;
    ALTER TABLE import_files ADD COLUMN profile VARCHAR;
    ALTER TABLE rejected_rows ADD COLUMN sheet VARCHAR;
    ALTER TABLE rejected_rows ADD COLUMN profile VARCHAR;
    ALTER TABLE rejected_rows ADD COLUMN row_key VARCHAR[];
    ALTER TABLE rejected_rows ADD COLUMN status VARCHAR DEFAULT 'open';
    ALTER TABLE rejected_rows ADD COLUMN closed_at TIMESTAMP;
    ALTER TABLE rejected_rows ADD COLUMN closed_by VARCHAR;
    ALTER TABLE rejected_rows ADD COLUMN closed_note VARCHAR;
    UPDATE rejected_rows SET status = 'open' WHERE status IS NULL;
    CREATE TABLE mapping_profiles (
        name VARCHAR PRIMARY KEY, definition JSON NOT NULL, saved_at TIMESTAMP NOT NULL,
        saved_by VARCHAR);
    CREATE TABLE cancelled_sessions (session_id VARCHAR NOT NULL, import_id INTEGER);
    """,
    # 5: conduct observations, the third learned skill (third release).
    """
    CREATE TABLE conduct (
        mentor_id VARCHAR NOT NULL, observed_on DATE NOT NULL, kind VARCHAR NOT NULL,
        category VARCHAR NOT NULL, severity VARCHAR, session_id VARCHAR, staff_id VARCHAR,
        resolved_on DATE, notes VARCHAR,
        is_demo BOOLEAN NOT NULL DEFAULT false, import_id INTEGER);
    """,
]

LOCK_RETRY_SECONDS = 10.0
# Seconds the last published change in this process spent checking and copying the published
# file, changing the copy, and publishing it (checkpoint, flush, rename): for the benchmarks.
LAST_CHANGE: dict[str, float] = {}
# What one read connection (one page run, one report) may hold in memory before DuckDB spills
# to disk: a page at 4 million attendance rows builds its scoped rows (about 1 GB unbounded)
# within it, so a dashboard server stays under 1 GB (BENCHMARKS.md). Spilled data goes to a
# folder of the connection's own in the system's temporary folder, which DuckDB creates only
# when it spills and removes when the connection closes.
READ_MEMORY_LIMIT = "512MB"
_spill_numbers = itertools.count()

WORKING = ".next-"  # in the name of a working copy: .<db name>.next-<pid>-<ns>


class DatabaseError(RuntimeError):
    """A database problem put in words a manager can act on."""


class DatabaseMissing(DatabaseError):
    pass


class DatabaseBusy(DatabaseError):
    pass


class DatabaseTooNew(DatabaseError):
    """Written by a newer release: refused, and left untouched."""


class DatabaseDamaged(DatabaseError):
    """The file cannot be read whole; nothing was written to it."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"the database at {path} cannot be opened: it is damaged or not a database "
            f"({reason}); it was left exactly as it is"
        )
        self.path = path
        self.reason = reason


class DiskFull(DatabaseError):
    pass


_LOCK_WORDS = ("could not set lock", "conflicting lock", "lock on file", "already open")


def _is_lock_error(exc: Exception, path: Path | None = None) -> bool:
    """DuckDB's words for a file another process holds. The file's own path is taken out of
    the message first: a folder called "clock" or "block" is not a lock."""
    text = str(exc)
    if path is not None:
        text = text.replace(str(path), "").replace(str(Path(path).absolute()), "")
    text = text.lower()
    return any(words in text for words in _LOCK_WORDS)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


# --- reading: the published file, read-only, never waiting for a change --------------------


def attach_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB with the file attached read-only as its default database.

    Not `duckdb.connect(path, read_only=True)`: DuckDB shares one instance per path within a
    process, so a server would keep reading the replaced file as long as any of its sessions
    had it open. An in-memory instance is never shared, and opens whatever file the name now
    points to. TEMP tables live in the in-memory instance, so pages can still build them.
    """
    spill = Path(tempfile.gettempdir()) / f"pm-duckdb-{os.getpid()}-{next(_spill_numbers)}"
    con = duckdb.connect(
        ":memory:", config={"memory_limit": READ_MEMORY_LIMIT, "temp_directory": str(spill)}
    )
    try:
        con.execute("ATTACH $path AS published (READ_ONLY)", {"path": str(path)})
        con.execute("USE published")
    except BaseException:
        con.close()
        raise
    return con


class _Lease:
    """A read of the published file on a pooled in-memory DuckDB: `con` is a fresh cursor of
    the instance (its own TEMP tables and settings) with the file attached read-only as its
    default database. `close` detaches the file and gives the instance back to the pool. The
    instance's configuration is locked: a read cannot change a setting for the reads after it.

    An instance costs about 20 ms to make and an attach about 2 ms, so the pool saves a tenth
    of a page run. An instance is used by one reader at a time; one that spilled to disk, or
    that fails to detach, is closed instead (so its spill folder goes with it)."""

    def __init__(
        self, instance: duckdb.DuckDBPyConnection, spill: Path, limit: str, uses: int
    ) -> None:
        self.instance, self.spill, self.limit, self.uses = instance, spill, limit, uses
        self.con = instance.cursor()

    def close(self) -> None:
        con, self.con = self.con, None  # type: ignore[assignment]
        if con is None:
            return
        try:
            con.close()
            self.instance.execute("USE memory")
            for (name,) in self.instance.execute(
                "SELECT database_name FROM duckdb_databases() WHERE NOT internal "
                "AND database_name <> 'memory'"
            ).fetchall():
                self.instance.execute(f'DETACH DATABASE IF EXISTS "{_quoted(name)}"')
            left = _left_in_memory(self.instance)
        except duckdb.Error:
            self.instance.close()
            return
        if left:  # a read made something that would outlive it: the instance goes
            self.instance.close()
            return
        _give_back(self.instance, self.spill, self.limit, self.uses)


def _quoted(name: str) -> str:
    return name.replace('"', '""')


# What a read may have made in the instance's own in-memory database (or attached besides the
# published file): none of it may reach the next read.
_LEFT_IN_MEMORY = """
SELECT count(*) FROM (
    SELECT 1 FROM duckdb_tables() WHERE database_name = 'memory'
    UNION ALL SELECT 1 FROM duckdb_views() WHERE database_name = 'memory' AND NOT internal
    UNION ALL SELECT 1 FROM duckdb_sequences() WHERE database_name = 'memory'
    UNION ALL SELECT 1 FROM duckdb_functions() WHERE database_name = 'memory' AND NOT internal
    UNION ALL SELECT 1 FROM duckdb_types() WHERE database_name = 'memory' AND NOT internal
    UNION ALL SELECT 1 FROM duckdb_schemas() WHERE database_name = 'memory' AND NOT internal
        AND schema_name NOT IN ('main', 'pg_catalog', 'information_schema')
    UNION ALL SELECT 1 FROM duckdb_databases() WHERE NOT internal AND database_name <> 'memory'
)
"""


def _left_in_memory(instance: duckdb.DuckDBPyConnection) -> int:
    """How many objects a lease left in the instance (detaching comes first)."""
    row = instance.execute(_LEFT_IN_MEMORY).fetchone()
    return int(row[0]) if row else 0


POOLED_INSTANCES = 4
# An instance keeps a few kilobytes from each attach; it is closed after this many, so a server
# up for weeks holds no more than when it started (the soak measures it).
LEASES_PER_INSTANCE = 100
_pool: list[tuple[str, duckdb.DuckDBPyConnection, Path, int]] = []
_pool_lock = threading.Lock()
_pool_pid = os.getpid()


def _take_instance() -> tuple[duckdb.DuckDBPyConnection, Path, str, int]:
    global _pool_pid
    limit = READ_MEMORY_LIMIT
    with _pool_lock:
        if _pool_pid != os.getpid():  # a forked child never uses its parent's instances
            _pool.clear()
            _pool_pid = os.getpid()
        for i, (held_limit, instance, spill, uses) in enumerate(_pool):
            if held_limit == limit:
                del _pool[i]
                return instance, spill, limit, uses + 1
    spill = Path(tempfile.gettempdir()) / f"pm-duckdb-{os.getpid()}-{next(_spill_numbers)}"
    instance = duckdb.connect(
        ":memory:", config={"memory_limit": limit, "temp_directory": str(spill)}
    )
    # A setting changed by one read would outlive it in a pooled instance: none may be changed.
    instance.execute("SET lock_configuration = true")
    return instance, spill, limit, 1


def _give_back(instance: duckdb.DuckDBPyConnection, spill: Path, limit: str, uses: int) -> None:
    if not spill.exists() and uses < LEASES_PER_INSTANCE:
        with _pool_lock:
            if _pool_pid == os.getpid() and len(_pool) < POOLED_INSTANCES:
                _pool.append((limit, instance, spill, uses))
                return
    instance.close()


def _lease_read_only(path: Path) -> _Lease:
    """The file attached read-only on a pooled instance, as `attach_read_only` does on a new one."""
    lease = _Lease(*_take_instance())
    try:
        lease.con.execute("ATTACH $path AS published (READ_ONLY)", {"path": str(path)})
        lease.con.execute("USE published")
    except BaseException:
        lease.close()
        raise
    return lease


def _open_read_only(path: Path, retry_seconds: float) -> _Lease:
    deadline = time.monotonic() + retry_seconds
    delay = 0.05
    while True:
        try:
            con = _lease_read_only(path)
            break
        except duckdb.Error as exc:
            if not _is_lock_error(exc, path):
                raise DatabaseDamaged(path, _first_line(exc)) from exc
            if time.monotonic() >= deadline:
                raise DatabaseBusy(
                    f"the database at {path} is in use by another program (an import?); "
                    "try again in a minute"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    return con


_verified: set[tuple[str, int, int, int]] = set()
_verified_lock = threading.Lock()


def _identity(path: Path) -> tuple[str, int, int, int]:
    stat = path.stat()
    return (str(path.absolute()), stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _verify_once(
    con: duckdb.DuckDBPyConnection, path: Path, before: tuple[str, int, int, int]
) -> None:
    """Read every table to its end, once per version of the file in this process (the first
    read after start-up or after a change): a file cut short or overwritten in the middle
    fails here, in one sentence, instead of half-way through a page.

    A version this program published itself (`_record_written`: the same inode, size and
    modification time to the nanosecond) is not read again: a file cut short, overwritten or
    replaced since has another size or time. Without this, every server read every table of a
    new version on its first run after an import (1.5-2 s at a million rows)."""
    with _verified_lock:
        if before in _verified:
            return
    if _written_here(path, before):
        with _verified_lock:
            _verified.add(before)
        return
    check_tables(con, path)
    with contextlib.suppress(OSError):
        if _identity(path) == before:
            with _verified_lock:
                _verified.add(before)


def _written_record(path: Path) -> Path:
    return path.with_name(f".{path.name}.written")


def _record_written(path: Path) -> None:
    """Note the version just published, whole (it was written and checkpointed here), for this
    process and, in a file beside it, for every other process that reads it."""
    stat = path.stat()
    identity = (str(path.absolute()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _verified_lock:
        _verified.add(identity)
    record = _written_record(path)
    fresh = record.with_name(f"{record.name}.{os.getpid()}")
    fresh.write_text(
        json.dumps({"inode": stat.st_ino, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}),
        encoding="utf-8",
    )
    files.private_file(fresh)
    os.replace(fresh, record)


def _written_here(path: Path, identity: tuple[str, int, int, int]) -> bool:
    """Whether `identity` is the version this program last published at `path`."""
    try:
        written = json.loads(_written_record(path).read_text(encoding="utf-8"))
        return (written["inode"], written["size"], written["mtime_ns"]) == identity[1:]
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _checked_version(
    con: duckdb.DuckDBPyConnection, path: Path, identity: tuple[str, int, int, int]
) -> int:
    """The schema version of a file that reads whole (never build on a damaged file)."""
    try:
        _verify_once(con, path, identity)
        return schema_version(con)
    except duckdb.Error as exc:
        raise DatabaseDamaged(path, _first_line(exc)) from exc


def check_tables(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Every table of the connection's default database reads to its end."""
    try:
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_catalog = current_database() AND table_type = 'BASE TABLE'"
        ).fetchall()
        for (table,) in tables:
            con.execute(f'SELECT count(*), sum(hash(t)) FROM "{table}" t').fetchall()
    except duckdb.Error as exc:
        raise DatabaseDamaged(path, _first_line(exc)) from exc


@contextmanager
def read(
    path: str | Path, *, retry_seconds: float = LOCK_RETRY_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the published database read-only for one unit of work and close it afterwards.

    A file from an older release is upgraded first (a change, with a snapshot); one from a
    newer release is refused. Never waits for a change in progress.
    """
    path = Path(path)
    if not path.exists():
        raise DatabaseMissing(f"no database at {path}: import some files or create the demo first")
    before = _identity(path)
    lease = _open_read_only(path, retry_seconds)
    try:
        version = _checked_version(lease.con, path, before)
        if version != SCHEMA_VERSION:
            _refuse_newer(path, version)
            lease.close()
            with connect(path, retry_seconds=retry_seconds):
                pass  # the upgrade is a change like any other
            before = _identity(path)
            lease = _open_read_only(path, retry_seconds)
            _checked_version(lease.con, path, before)
        yield lease.con
    finally:
        lease.close()


def _refuse_newer(path: Path, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise DatabaseTooNew(
            f"the database at {path} was written by a newer release of the dashboard (schema "
            f"{version}, this release knows up to {SCHEMA_VERSION}); it was left as it is: "
            "install the newer release to open it"
        )


# --- changing: a working copy, published in one rename -------------------------------------

_held: dict[str, int] = {}  # the writer locks this process holds: path -> depth
_held_lock = threading.Lock()
_held_owner: dict[str, int] = {}  # path -> thread id


def _lock_file(path: Path) -> Path:
    return path.with_name(f".{path.name}.writer")


@contextmanager
def writer_lock(path: str | Path, retry_seconds: float = LOCK_RETRY_SECONDS) -> Iterator[None]:
    """One change at a time per database, across processes (re-entrant within a thread)."""
    path = Path(path).absolute()
    key = str(path)
    me = threading.get_ident()
    with _held_lock:
        if _held.get(key) and _held_owner.get(key) == me:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_lock:
                _held[key] -= 1
        return
    files.private_dir(path.parent)
    fd = os.open(_lock_file(path), os.O_RDWR | os.O_CREAT, files.FILE_MODE)
    with contextlib.suppress(OSError):
        os.fchmod(fd, files.FILE_MODE)
    try:
        deadline = time.monotonic() + retry_seconds
        delay = 0.05
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(
                        f"another change to the database at {path} (an import?) is still "
                        "running; try again in a minute"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        with _held_lock:
            _held[key] = 1
            _held_owner[key] = me
        try:
            yield
        finally:
            with _held_lock:
                _held.pop(key, None)
                _held_owner.pop(key, None)
    finally:
        os.close(fd)  # releases the lock


def working_copies(path: Path) -> list[Path]:
    prefix = f".{path.name}{WORKING}"
    if not path.parent.is_dir():
        return []
    return [p for p in path.parent.iterdir() if p.name.startswith(prefix)]


def _clear_dead_working_copies(path: Path) -> None:
    """Delete working copies whose process is gone (killed mid-change)."""
    for copy in working_copies(path):
        try:
            pid = int(copy.name[len(f".{path.name}{WORKING}") :].split("-")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not process_alive(pid):
            copy.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_disk_full(exc: BaseException | None) -> bool:
    """The disk (or the file-size limit) ran out, here or in what led to this exception."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            return True
        text = str(exc).lower()
        if any(s in text for s in ("no space left", "file too large", "disk quota exceeded")):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _disk_full(path: Path) -> DiskFull:
    return DiskFull(
        f"there is not enough disk space beside {path} for the change (it needs room for a "
        "copy of the database); nothing was changed: free some space and try again"
    )


def _copy_file(source: Path, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, files.FILE_MODE)
    os.fchmod(fd, files.FILE_MODE)
    with source.open("rb") as src, os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(src, out, 8 << 20)
        out.flush()
        os.fsync(out.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(folder)


# What keeps a database before an upgrade rewrites it (analysis.snapshots.keep_before_upgrade,
# installed by the entry points: the dashboard's frame and the command line). The store's lower
# layer calls it and never imports the snapshots.
_UPGRADE_HOOK: list[Callable[[Path], None] | None] = [None]


def set_upgrade_hook(hook: Callable[[Path], None] | None) -> None:
    """Keep a database this way before an upgrade (None: keep nothing)."""
    _UPGRADE_HOOK[0] = hook


@contextmanager
def connect(
    path: str | Path,
    *,
    create: bool = False,
    retry_seconds: float = LOCK_RETRY_SECONDS,
    publish: bool = True,
    source: Path | None = None,
    compact: bool = False,
    keep_before_upgrade: bool = True,
    before_upgrade: Callable[[Path], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Change the database: yield a connection to a working copy, published when the block
    ends without an exception (discarded otherwise).

    Without `create`, a missing file is an error rather than a new empty database. With
    `publish=False` the copy is only for trying something (a dry run): it is always discarded,
    and no lock is taken. `source`: start from this file instead of the published one (a
    restore). `compact`: publish a freshly written file holding only live rows (no deleted
    value stays in free blocks; for erasure). A database from an older release is migrated in
    the copy, after `before_upgrade(path)` keeps the old file (the process's hook,
    `set_upgrade_hook`, when none is passed: `analysis.snapshots` takes a snapshot); not when
    `keep_before_upgrade` is False.
    """
    path = Path(path)
    if not create and not path.exists():
        raise DatabaseMissing(f"no database at {path}: import some files or create the demo first")
    lock = writer_lock(path, retry_seconds) if publish else contextlib.nullcontext()
    with lock:
        if publish:
            _clear_dead_working_copies(path)
        work = path.with_name(f".{path.name}{WORKING}{os.getpid()}-{time.time_ns()}")
        origin = source if source is not None else path
        started = time.perf_counter()
        timings: dict[str, float] = {}
        try:
            old_version = 0
            if origin.exists():
                identity = _identity(origin)
                peek = _open_read_only(origin, retry_seconds)
                try:
                    old_version = _checked_version(peek.con, origin, identity)
                finally:
                    peek.close()
                _refuse_newer(origin, old_version)
                _copy_file(origin, work)
                if wal_path(origin).exists():
                    _copy_file(wal_path(origin), wal_path(work))
            else:
                files.private_dir(path.parent)
            timings["check_and_copy"] = time.perf_counter() - started
            # The order rows are stored in means nothing (every query that shows rows sorts
            # them), so DuckDB may write in parallel: a million-row import takes 4.1 s, not 5.4.
            con = duckdb.connect(str(work), config={"preserve_insertion_order": False})
            try:
                migrate(con)
                yield con
                committed = time.perf_counter()
                timings["change"] = committed - started - timings["check_and_copy"]
                con.execute("CHECKPOINT")
            finally:
                con.close()
            if not publish:
                return
            if compact:
                work = _rewrite(work)
            files.private_file(work)
            _fsync(work)
            if (
                keep_before_upgrade
                and source is None
                and 1 <= old_version < SCHEMA_VERSION
                and path.exists()
            ):
                keep = before_upgrade or _UPGRADE_HOOK[0]
                if keep is not None:
                    keep(path)
            # The old log (if a crash left one) is inside the copy: it must not be replayed
            # over the new file, so it goes first.
            wal_path(path).unlink(missing_ok=True)
            os.replace(work, path)
            files.private_dir(path.parent)
            _fsync_dir(path.parent)
            with contextlib.suppress(OSError):  # without the record, readers check it whole
                _record_written(path)
            timings["publish"] = time.perf_counter() - committed
            LAST_CHANGE.clear()
            LAST_CHANGE.update(timings)
        except BaseException as exc:
            if is_disk_full(exc):
                raise _disk_full(path) from exc
            raise
        finally:
            for leftover in (work, wal_path(work), work.with_name(work.name + ".fresh")):
                leftover.unlink(missing_ok=True)


def _rewrite(work: Path) -> Path:
    """A fresh copy of `work` holding only its live rows (replaces `work`)."""
    fresh = work.with_name(work.name + ".fresh")
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH $old AS old (READ_ONLY)", {"old": str(work)})
        con.execute("ATTACH $new AS new", {"new": str(fresh)})
        con.execute("COPY FROM DATABASE old TO new")
        con.execute("DETACH new")
        con.execute("DETACH old")
    finally:
        con.close()
    os.replace(fresh, work)
    return work


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' "
        "AND table_catalog = current_database()"
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
    """One audit row; its time is UTC (the log shows it with its zone)."""
    con.execute(
        "INSERT INTO audit_log VALUES ($at, $user, $action, $detail)",
        {
            "at": clock.utc_now().replace(tzinfo=None),
            "user": user,
            "action": action,
            "detail": detail,
        },
    )
