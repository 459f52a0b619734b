"""Snapshots of the database: a copy before every import, the last five kept, restore undoable.

Before an import (not a dry run) changes the database, the DuckDB file is copied to
`<db folder>/snapshots/<db stem>-<number>-<UTC time>-<what>.duckdb`, for example
`data/snapshots/programme-000042-20251127T070612.123456Z-import.duckdb`. After the import lands
the oldest copies beyond the last five are deleted; an import that lands nothing discards its copy.

Which copy is oldest is decided by the number (one more than the newest listed), never by the
clock: a machine whose clock was wrong and is then corrected keeps its newest copies, however the
times in their names compare. Copies named before numbering (`<stem>-<UTC time>-<what>.duckdb`)
count as older than every numbered one.

How a copy stays whole:
- It is taken while no program has the database open: the copy holds a shared lock on the file
  (the same `fcntl` lock DuckDB takes), so an import or the dashboard waits a moment for it, and
  it never copies a file in the middle of a write.
- It is written under a `.partial` name, flushed to disk, and only then renamed into place, so a
  copy interrupted by a crash or a kill is never listed. The partial name says which machine and
  process is writing it (`….<host>-<pid>.partial`); a later snapshot deletes the partial copies
  of this machine's processes that are no longer running, and leaves every other one alone. No
  file time is compared with the clock, so a clock that jumps cannot make a copy in progress look
  abandoned.
- If the database was left with a write-ahead log (`.wal`, after a crash), the log is copied
  too and folded into the snapshot, so every snapshot is one self-contained file.

Restoring (`python -m analysis restore --db PATH SNAPSHOT`) first takes a snapshot of the
current state (so a restore can itself be undone), then puts the chosen copy in place while
holding an exclusive lock. The audit log is a record of what happened, not data to roll back: its
entries made after the snapshot are carried into the restored database, followed by an entry for
the restore itself. The data version moves forward, so no page shows figures cached from before.

Erasure and snapshots (a deliberate choice): erasing a mentor also erases them from every
snapshot. Each snapshot is opened, the same rows are deleted as in the database, and the snapshot
is then rewritten as a fresh file holding only its live rows (DuckDB leaves deleted values in the
file's free blocks; a rewritten copy has none). The alternative, deleting the snapshots, would
throw away everyone else's safety net; keeping them untouched would let a restore bring back a
person who asked to be erased. The database file itself is rewritten the same way after an
erasure (analysis/admin.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analysis import clock, database, files

KEEP = 5
FOLDER = "snapshots"
PARTIAL = ".partial"
_STAMP = "%Y%m%dT%H%M%S.%fZ"
# after "<db stem>-": an optional number (absent in names from before numbering), the UTC time
_NAME = re.compile(
    r"^(?:(?P<number>\d{6,})-)?(?P<stamp>\d{8}T\d{6}\.\d{6}Z)-(?P<label>[a-z0-9-]+)\.duckdb$"
)
_OWNER = re.compile(r"\.(?P<host>[A-Za-z0-9_-]+)-(?P<pid>\d+)" + re.escape(PARTIAL))
_COPY_CHUNK = 8 << 20


class SnapshotError(database.DatabaseError):
    """A snapshot could not be taken or restored; the message says why in one line."""


@dataclass(frozen=True)
class Snapshot:
    path: Path
    taken_at: dt.datetime  # UTC
    label: str  # what was about to happen: import, recheck, restore
    size: int  # bytes
    number: int = 0  # the order snapshots were taken in (0: named before numbering)

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Restored:
    snapshot: Snapshot
    saved: Snapshot | None  # the state before the restore, itself restorable


def snapshot_dir(db_path: str | Path) -> Path:
    return Path(db_path).parent / FOLDER


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def list_snapshots(db_path: str | Path) -> list[Snapshot]:
    """The snapshots of this database, oldest first, by number (copies in progress are not
    listed)."""
    db = Path(db_path)
    folder = snapshot_dir(db)
    found: list[Snapshot] = []
    if not folder.is_dir():
        return found
    prefix = f"{db.stem}-"
    for path in folder.iterdir():
        match = _NAME.match(path.name[len(prefix) :]) if path.name.startswith(prefix) else None
        if not match or not path.is_file():
            continue
        taken = dt.datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=dt.UTC)
        number = int(match["number"] or 0)
        with contextlib.suppress(OSError):
            found.append(Snapshot(path, taken, match["label"], path.stat().st_size, number))
    return sorted(found, key=lambda s: (s.number, s.taken_at, s.name))


def keep_before_upgrade(path: Path) -> None:
    """The upgrade hook (`database.set_upgrade_hook`): a snapshot of the old file, pruned."""
    take_snapshot(path, "upgrade")
    prune(path)


def install() -> None:
    """Make every change that upgrades a database keep a snapshot of it first (the entry
    points call this once)."""
    database.set_upgrade_hook(keep_before_upgrade)


def take_snapshot(db_path: str | Path, label: str = "import") -> Snapshot | None:
    """Keep the database as it is now in the snapshots folder; None when there is no database.

    A published file is never written again (a change publishes a new file, see
    analysis/database.py), so the snapshot is a second name for the same file (a hard link:
    instant, no space); a copy where links are not possible, or when a crash left a
    write-ahead log to fold in. Does not delete old snapshots: call `prune` once the change
    has landed.
    """
    db = Path(db_path)
    if not db.exists():
        return None
    try:
        # The shared lock waits out a program that has the file open for writing in place
        # (another tool, an older release): the snapshot is never taken mid-write.
        with _locked(db, exclusive=False) as fd:
            if not _wal(db).exists():
                linked = _link_snapshot(db, label)
                if linked is not None:
                    return linked
            return _copy_locked(db, fd, label)
    except OSError as exc:
        if database.is_disk_full(exc):
            raise database.DiskFull(
                f"there is no disk space for a snapshot of {db} before changing it; "
                "nothing was changed: free some space and try again"
            ) from exc
        raise SnapshotError(
            f"no snapshot of {db} could be kept before changing it ({_reason(exc)}); "
            "nothing was changed"
        ) from exc


def _link_snapshot(db: Path, label: str) -> Snapshot | None:
    """The published file under a snapshot's name (None if this file system cannot link)."""
    target, now, number = _new_snapshot_name(db, label)
    try:
        os.link(db, target)
    except OSError as exc:
        if exc.errno in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            return None
        raise
    files.private_file(target)  # the published file's own mode: it is the same file
    _fsync_dir(target.parent)
    return Snapshot(target, now, _clean_label(label), target.stat().st_size, number)


def _clean_label(label: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", label.lower()).strip("-") or "change"


def _new_snapshot_name(db: Path, label: str) -> tuple[Path, dt.datetime, int]:
    """The next snapshot's path, time and number (one more than the newest listed)."""
    folder = files.private_dir(snapshot_dir(db))
    _clear_abandoned_partials(folder)
    label = _clean_label(label)
    number = max((s.number for s in list_snapshots(db)), default=0) + 1
    while True:
        now = clock.utc_now()
        target = folder / f"{db.stem}-{number:06d}-{now.strftime(_STAMP)}-{label}.duckdb"
        if not target.exists():
            return target, now, number
        time.sleep(0.000_01)


def prune(db_path: str | Path, keep: int = KEEP) -> list[Path]:
    """Delete all but the newest `keep` snapshots; return the deleted paths."""
    snapshots = list_snapshots(db_path)
    doomed = snapshots[: max(len(snapshots) - keep, 0)]
    for snap in doomed:
        snap.path.unlink(missing_ok=True)
    return [s.path for s in doomed]


def discard(snapshot: Snapshot | None) -> None:
    """Delete a snapshot that is not needed (its change landed nothing)."""
    if snapshot is not None:
        snapshot.path.unlink(missing_ok=True)


class Change:
    """What `before_change` yields: set `landed` once the change has committed."""

    def __init__(self, snapshot: Snapshot | None) -> None:
        self.snapshot = snapshot
        self.landed = False


@contextlib.contextmanager
def before_change(db_path: str | Path, label: str, *, enabled: bool = True) -> Iterator[Change]:
    """Take a snapshot before a change opens the database; keep it (and prune to the last
    KEEP) if the change lands, discard it if the change lands nothing or fails."""
    change = Change(take_snapshot(db_path, label) if enabled else None)
    try:
        yield change
    except BaseException:
        discard(change.snapshot)
        raise
    if change.snapshot is not None:
        if change.landed:
            prune(db_path)
        else:
            discard(change.snapshot)


def find_snapshot(db_path: str | Path, which: str | Path) -> Snapshot:
    """A snapshot by its file name (as listed) or by its path."""
    db = Path(db_path)
    for snap in list_snapshots(db):
        if str(which) in (snap.name, str(snap.path)) or Path(which) == snap.path:
            return snap
    path = Path(which)
    if path.is_file() and path.suffix == ".duckdb":
        return Snapshot(path, _mtime(path), "file", path.stat().st_size)
    raise SnapshotError(
        f"no snapshot called {str(which)!r} for {db}; "
        f"list them with: python -m analysis restore --db {db} --list"
    )


def restore(db_path: str | Path, which: str | Path, user: str | None = None) -> Restored:
    """Put a snapshot back in place of the database, keeping the current state as a snapshot.

    Like every change, the restored version is built beside the published one and published
    in one rename: pages keep answering from the current version until then.
    """
    db = Path(db_path)
    chosen = find_snapshot(db, which)
    folder = files.private_dir(snapshot_dir(db))
    incoming = _partial(folder / f".restoring-{uuid.uuid4().hex[:12]}.duckdb")
    saved: Snapshot | None = None
    try:
        # 1. a private, checked copy of the snapshot (pruning may delete the original below)
        with chosen.path.open("rb") as src:
            _copy_fd(src.fileno(), incoming)
        _check_restorable(incoming, chosen.name)
        with database.writer_lock(db):
            # 2. keep the current state (even a damaged one: nothing is overwritten)
            if db.exists():
                saved = take_snapshot(db, "restore")
            # 3. the chosen copy, with the audit log carried on, published in one rename
            with database.connect(db, create=True, source=incoming) as con:
                _carry_on(con, saved, chosen, user)
    except OSError as exc:
        raise SnapshotError(f"the snapshot could not be restored ({_reason(exc)})") from exc
    finally:
        incoming.unlink(missing_ok=True)
    prune(db)
    return Restored(chosen, saved)


def _carry_on(
    con: duckdb.DuckDBPyConnection, saved: Snapshot | None, chosen: Snapshot, user: str | None
) -> None:
    """The audit log runs on; the restore is logged; cached figures are out of date."""
    con.execute("BEGIN TRANSACTION")
    try:
        version = database.data_version(con)
        if saved is not None and is_good(saved):
            con.execute("ATTACH $path AS previous (READ_ONLY)", {"path": str(saved.path)})
            con.execute(
                "INSERT INTO audit_log SELECT * FROM previous.audit_log "
                "EXCEPT ALL SELECT * FROM audit_log"
            )
            row = con.execute(
                "SELECT value FROM previous.meta WHERE key = 'data_version'"
            ).fetchone()
            version = max(version, int(row[0]) if row else 0)
            con.execute("DETACH previous")
        elif saved is not None:
            # A damaged database's audit log and version cannot be read (the file itself is
            # kept as `saved`): jump the version past any number it can have reached.
            version = max(version, int(time.time()))
        con.execute(
            "UPDATE meta SET value = $v WHERE key = 'data_version'", {"v": str(version + 1)}
        )
        detail = f"restored {chosen.name}"
        if saved is not None:
            detail += f"; the state before is {saved.name}"
        database.write_audit(con, user, "restore snapshot", detail)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def scrub(db_path: str | Path, edit: Callable[[duckdb.DuckDBPyConnection], int]) -> int:
    """Run `edit` (which deletes rows and returns how many) in every snapshot, then rewrite each
    snapshot as a fresh file so no deleted value stays in its free blocks. Returns the total.

    Copies left half-written by a crash are deleted: they may hold what is being erased.
    """
    db = Path(db_path)
    folder = snapshot_dir(db)
    if folder.is_dir():
        for path in folder.iterdir():
            if PARTIAL in path.name:
                path.unlink(missing_ok=True)
    total = 0
    for snap in list_snapshots(db):
        total += _scrub_one(snap.path, edit)
    return total


def _scrub_one(path: Path, edit: Callable[[duckdb.DuckDBPyConnection], int]) -> int:
    with database.connect(path, keep_before_upgrade=False) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            count = edit(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    path.with_name(f".{path.name}.writer").unlink(missing_ok=True)  # the change's lock file
    fresh = _partial(path.with_name(path.name + ".rewrite"))
    fresh.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute("ATTACH $old AS old (READ_ONLY)", {"old": str(path)})
        con.execute("ATTACH $new AS new", {"new": str(fresh)})
        con.execute("COPY FROM DATABASE old TO new")
        con.execute("DETACH new")
        con.execute("DETACH old")
    finally:
        con.close()
    files.private_file(fresh)
    _fsync_file(fresh)
    os.replace(fresh, path)
    _fsync_dir(path.parent)
    return count


# ---------------------------------------------------------------------------------------------
# Files, locks and copies


@contextlib.contextmanager
def _locked(path: Path, *, exclusive: bool, retry_seconds: float | None = None) -> Iterator[int]:
    """Hold the lock DuckDB itself uses (fcntl, whole file) on `path`; yield the descriptor.

    POSIX drops a process's lock when it closes any descriptor of the file, so the copy reads
    through this descriptor and nothing else opens the database while the lock is held.
    """
    fd = os.open(path, os.O_RDWR if exclusive else os.O_RDONLY)
    try:
        if retry_seconds is None:
            retry_seconds = database.LOCK_RETRY_SECONDS
        deadline = time.monotonic() + retry_seconds
        delay = 0.05
        while True:
            try:
                fcntl.lockf(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
                if time.monotonic() >= deadline:
                    raise database.DatabaseBusy(
                        f"the database at {path} is in use by another program (an import?); "
                        "try again in a minute"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        yield fd
    finally:
        os.close(fd)


def _copy_locked(db: Path, fd: int, label: str) -> Snapshot:
    """Copy the locked database (descriptor `fd`) and its log into a new snapshot."""
    folder = snapshot_dir(db)
    target, now, number = _new_snapshot_name(db, label)
    label = _clean_label(label)
    partial = _partial(target)
    try:
        _copy_fd(fd, partial)
        wal = _wal(db)
        if wal.exists():
            with wal.open("rb") as src:
                _copy_fd(src.fileno(), _wal(partial))
            # Fold the log into the copy, so the snapshot is one self-contained file.
            con = duckdb.connect(str(partial))
            try:
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _fsync_file(partial)
        files.private_file(partial)
        os.replace(partial, target)
        _fsync_dir(folder)
    finally:
        partial.unlink(missing_ok=True)
        _wal(partial).unlink(missing_ok=True)
    return Snapshot(target, now, label, target.stat().st_size, number)


def _copy_fd(src_fd: int, target: Path) -> None:
    """Copy a whole file from a descriptor (without closing it) to `target`, flushed to disk."""
    size = os.fstat(src_fd).st_size
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, files.FILE_MODE)
    os.fchmod(fd, files.FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        offset = 0
        while offset < size:
            chunk = os.pread(src_fd, min(_COPY_CHUNK, size - offset), offset)
            if not chunk:
                break
            out.write(chunk)
            offset += len(chunk)
        out.flush()
        os.fsync(out.fileno())


def _partial(target: Path) -> Path:
    """The name `target` is written under until it is whole: it says which machine and process
    is writing it."""
    return target.with_name(f"{target.name}.{_host()}-{os.getpid()}{PARTIAL}")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def _clear_abandoned_partials(folder: Path) -> None:
    """Remove partial copies (and their logs) left by this machine's processes that are no
    longer running. A copy whose writer runs, runs elsewhere, or is unknown is left alone."""
    host = _host()
    for path in folder.iterdir():
        owner = _OWNER.search(path.name)
        if owner and owner["host"] == host and not database.process_alive(int(owner["pid"])):
            with contextlib.suppress(OSError):
                path.unlink()


def _check_restorable(path: Path, name: str) -> None:
    """The copy opens as a database of this dashboard, and every table reads to the end."""
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise SnapshotError(f"{name} is not a readable database ({_first_line(exc)})") from exc
    try:
        version = database.schema_version(con)
        if version < 1:
            raise SnapshotError(f"{name} is not a database of this dashboard")
        if version > database.SCHEMA_VERSION:
            raise SnapshotError(f"{name} was written by a newer version of the dashboard")
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE'"
        ).fetchall()
        for (table,) in tables:
            con.execute(f'SELECT count(*), sum(hash(t)) FROM "{table}" t').fetchall()
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:
        raise SnapshotError(f"{name} is damaged ({_first_line(exc)})") from exc
    finally:
        con.close()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def describe(snapshot: Snapshot) -> str:
    """One line for a listing: when (UTC), size, what it preceded, the name to restore it by."""
    size = snapshot.size / (1024 * 1024)
    when = snapshot.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{when}  {size:8.1f} MB  before {snapshot.label:<8}  {snapshot.name}"


# ---------------------------------------------------------------------------------------------
# Recovery: what a manager is offered on the Data page and by the command line

WHAT_CAME_AFTER = {
    "import": "an import",
    "recheck": "re-checking rejected rows",
    "restore": "a restore",
    "upgrade": "upgrading to a new release",
    "remove-demo": "removing the demo data",
    "file": "(a file given by path)",
}


def after_what(snapshot: Snapshot) -> str:
    """What the snapshot was taken before, in words."""
    return WHAT_CAME_AFTER.get(snapshot.label, snapshot.label.replace("-", " "))


def is_good(snapshot: Snapshot) -> bool:
    """The snapshot opens as a database of this release (or an older one) and reads whole."""
    try:
        con = database.attach_read_only(snapshot.path)
    except duckdb.Error:
        return False
    try:
        version = database.schema_version(con)
        if not 1 <= version <= database.SCHEMA_VERSION:
            return False
        database.check_tables(con, snapshot.path)
        return True
    except (duckdb.Error, database.DatabaseError):
        return False
    finally:
        con.close()


def newest_good(db_path: str | Path) -> Snapshot | None:
    for snap in reversed(list_snapshots(db_path)):
        if is_good(snap):
            return snap
    return None


def last_before(db_path: str | Path, label: str) -> Snapshot | None:
    """The newest snapshot taken before a change of this kind (say, the last import)."""
    found = [s for s in list_snapshots(db_path) if s.label == label]
    return found[-1] if found else None


def offer(db_path: str | Path) -> str:
    """The end of the sentence that reports a damaged database: what to restore, and how."""
    snap = newest_good(db_path)
    if snap is None:
        return "there is no good snapshot to restore: restore a backup (docs/OPERATIONS.md)"
    when = snap.taken_at.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"the newest good snapshot is {snap.name} (taken {when}, before {after_what(snap)}): "
        f"restore it on the Data page or with python -m analysis restore --db {db_path} "
        f"{snap.name}"
    )


def leftover_log_note(db_path: str | Path) -> str | None:
    """One sentence when a program that wrote the file in place stopped mid-change and left
    its write-ahead log (this dashboard never writes the published file in place)."""
    db = Path(db_path)
    if not _wal(db).exists():
        return None
    return (
        f"the database at {db} was left with a write-ahead log ({_wal(db).name}) by a program "
        "that stopped in the middle of a change: it is read together with that log, nothing was "
        "overwritten, and the next change folds the log into the file; if the figures look "
        f"wrong, {offer(db)}"
    )
