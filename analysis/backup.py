"""Backups to take off the machine, and restoring one on a new machine.

`python -m analysis backup --db PATH --out DIR` writes a folder holding
- `programme.duckdb` (the database's own name): a consistent copy of the published database
  (a published file is never changed in place, so the copy is of one version, whatever an
  import does meanwhile);
- `tables/<table>.parquet`: every table exported to Parquet, readable by any tool without this
  dashboard;
- `<database name>.audit.jsonl`: the audit log's light path (sign-ins, refused pages,
  downloads; see analysis/audit_store.py); the erasure key is never part of a backup;
- `manifest.json`: when, from where, the schema and data versions, the rows of each table, and
  the size and SHA-256 of every file.
The folder is built under a temporary name and renamed into place when complete, so a backup
cut short is never mistaken for a whole one.

`python -m analysis restore --db PATH --from-backup DIR` checks every file against the manifest
(a changed, missing or added file refuses the restore, in one sentence, before anything is
written), checks the copy reads whole and its tables hold the rows the manifest says, and then
publishes it at PATH like any change (an existing database there is kept as a snapshot first),
and adds the backup's audit entries that the light path beside PATH does not hold yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from analysis import audit_store, database, snapshots
from analysis import files as modes

MANIFEST = "manifest.json"
FORMAT = "peer-mentor-dashboard-backup/1"


class BackupError(database.DatabaseError):
    """A backup could not be written or restored; the message says why in one sentence."""


@dataclass(frozen=True)
class BackupResult:
    folder: Path
    tables: dict[str, int]
    bytes: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_catalog = current_database() AND table_type = 'BASE TABLE' "
        "ORDER BY table_name"
    ).fetchall()
    return [str(r[0]) for r in rows]


def backup(db_path: str | Path, out: str | Path) -> BackupResult:
    db, out = Path(db_path), Path(out)
    if not db.exists():
        raise database.DatabaseMissing(f"no database at {db} to back up")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"{out} already exists and is not an empty folder; choose a new one")
    with database.read(db):  # refuses a damaged or newer database before anything is written
        pass
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.with_name(f".{out.name}.partial-{os.getpid()}-{time.time_ns()}")
    work.mkdir(mode=modes.DIR_MODE)
    try:
        copy = work / db.name
        # The open descriptor keeps the version it opened, whatever is published meanwhile.
        with db.open("rb") as src, copy.open("xb") as dst:
            shutil.copyfileobj(src, dst, 8 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        wal = database.wal_path(db)
        if wal.exists():  # a crash left a log: fold it in so the copy is one whole file
            shutil.copyfile(wal, database.wal_path(copy))
            con = duckdb.connect(str(copy))
            try:
                con.execute("CHECKPOINT")
            finally:
                con.close()
        # The audit log's light path (sign-ins, downloads; analysis/audit_store.py), whole
        # lines only. The erasure key is never copied: a backup is meant to leave the machine.
        audit_file = audit_store.store_path(db).name
        audit_entries = audit_store.copy_to(db, work / audit_file)
        (work / "tables").mkdir(mode=modes.DIR_MODE)
        con = database.attach_read_only(copy)
        try:
            database.check_tables(con, copy)
            version = database.schema_version(con)
            data_version = database.data_version(con)
            counts: dict[str, int] = {}
            for table in _tables(con):
                rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchall()
                counts[table] = int(rows[0][0])
                target = work / "tables" / f"{table}.parquet"
                con.sql(f'SELECT * FROM "{table}"').write_parquet(str(target))
        finally:
            con.close()
        files = sorted(p for p in work.rglob("*") if p.is_file())
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "source": str(db.absolute()),
            "database": db.name,
            "schema_version": version,
            "data_version": data_version,
            "tables": counts,
            "audit_file": audit_file,
            "audit_entries": audit_entries,
            "files": [
                {
                    "path": p.relative_to(work).as_posix(),
                    "bytes": p.stat().st_size,
                    "sha256": sha256_of(p),
                }
                for p in files
            ],
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        modes.private_tree(work)  # the folder 0700, every file in it 0600, whatever the umask
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    except OSError as exc:
        if database.is_disk_full(exc):
            raise BackupError(
                f"there is not enough space at {out.parent} for the backup; nothing was kept"
            ) from exc
        raise BackupError(f"the backup could not be written to {out} ({exc.strerror})") from exc
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    total = sum(int(f["bytes"]) for f in manifest["files"])
    return BackupResult(out, counts, total)


def verify(folder: str | Path) -> dict[str, Any]:
    """The manifest, once every file has been checked against it; BackupError otherwise."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} is not a backup: it has no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"the manifest of the backup in {folder} cannot be read ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{folder}/{MANIFEST} is not a manifest of this dashboard's backups")
    listed = {str(f["path"]): f for f in manifest.get("files", [])}
    present = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }
    for name in sorted(listed):
        entry, path = listed[name], folder / name
        if name not in present:
            raise BackupError(
                f"the backup in {folder} is incomplete: {name} is missing; nothing was restored"
            )
        if path.stat().st_size != int(entry["bytes"]) or sha256_of(path) != entry["sha256"]:
            raise BackupError(
                f"the backup in {folder} has been changed since it was made: {name} does not "
                "match its SHA-256 in the manifest; nothing was restored"
            )
    extra = sorted(present - set(listed))
    if extra:
        raise BackupError(
            f"the backup in {folder} holds a file its manifest does not list ({extra[0]}); "
            "nothing was restored"
        )
    database_name = str(manifest.get("database", ""))
    if database_name not in listed:
        raise BackupError(f"the manifest of {folder} names no database file; nothing was restored")
    return manifest


def restore_backup(db_path: str | Path, folder: str | Path, user: str | None = None) -> str:
    """Check the backup, then publish its database at `db_path`; return the audit detail."""
    db, folder = Path(db_path), Path(folder)
    manifest = verify(folder)
    source = folder / str(manifest["database"])
    audit_file = str(manifest.get("audit_file") or "")
    listed = {str(f["path"]) for f in manifest.get("files", [])}
    if audit_file and (audit_file not in listed or "/" in audit_file or "\\" in audit_file):
        raise BackupError(
            f"the manifest of {folder} names an audit file it does not hold; nothing was restored"
        )
    if manifest.get("schema_version", 0) > database.SCHEMA_VERSION:
        raise database.DatabaseTooNew(
            f"the backup in {folder} was made by a newer release of the dashboard; "
            "nothing was restored: install that release to restore it"
        )
    modes.private_dir(db.parent)
    incoming = db.with_name(f".{db.name}.from-backup-{os.getpid()}-{time.time_ns()}")
    try:
        shutil.copyfile(source, incoming)
        modes.private_file(incoming)
        con = database.attach_read_only(incoming)
        try:
            database.check_tables(con, incoming)
            for table, rows in dict(manifest.get("tables", {})).items():
                row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
                if row is None or int(row[0]) != int(rows):
                    raise BackupError(
                        f"the backup's {table} table holds {row and row[0]} rows, not the "
                        f"{rows} of its manifest; nothing was restored"
                    )
        except duckdb.Error as exc:
            raise BackupError(
                f"the database in the backup {folder} cannot be read ({exc}); nothing was restored"
            ) from exc
        finally:
            con.close()
        detail = (
            f"restored the backup made {manifest.get('created_at')} of {manifest.get('source')}"
        )
        with database.writer_lock(db):
            saved = snapshots.take_snapshot(db, "restore") if db.exists() else None
            if saved is not None:
                detail += f"; the state before is {saved.name}"
            with database.connect(db, create=True, source=incoming) as con:
                con.execute("BEGIN TRANSACTION")
                con.execute(
                    "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) "
                    "WHERE key = 'data_version'"
                )
                database.write_audit(con, user, "restore backup", detail)
                con.execute("COMMIT")
        if saved is not None:
            snapshots.prune(db)
        if audit_file:  # the log runs on: the backup's entries not here yet are added
            audit_store.merge_from(db, folder / audit_file)
    finally:
        incoming.unlink(missing_ok=True)
    return detail
