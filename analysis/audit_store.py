"""The audit log's light path: entries that change no record (sign-ins, sign-outs, refused pages,
downloads) appended to a small file beside the database, without a change to the database.

Why a file of its own: a change to the database copies the whole published file and publishes
the copy (analysis/database.py), which at a million rows takes seconds. A sign-in or a download
must not cost that, nor wait behind an import. So these entries go to
`<database>.audit.jsonl` (for `data/programme.duckdb`, `data/programme.duckdb.audit.jsonl`):

- one JSON object per line: `id` (random, to recognise an entry copied by a backup), `at` (UTC,
  ISO 8601 with its zone), `user`, `action`, `detail`, and for entries that happen once per
  sign-in a `key` (`sign in:<session>`, `sign out:<session>`; a session is a hash, not a name);
- appended under an exclusive `flock` on the file, written in one `write`, then `fsync`ed: two
  writers (two tabs, two dashboard processes, a command) never interleave, and an entry that
  was written survives a power cut. A rewrite (erasure, restore from a backup) builds a new file
  and renames it over the old one under the same lock; a writer that waited on the old file sees
  it was replaced and appends to the new one;
- a reader takes no lock: it reads whole lines only (a line still being written has no newline
  yet), so a page never waits for a writer;
- nothing about a person goes in that the database's audit log did not already hold: who
  signed in (the address, the provider's subject and issuer), which page was refused, which file
  was downloaded for which window and filters (cohort, region, stream and the like, never a
  mentor code or a note). An erasure still checks the file and puts the keyed reference in place
  of the erased code wherever it appears (analysis/admin.py).

The audit log on the Data page is this file's entries and the database's `audit_log` table
together, newest first. Backups copy the file (analysis/backup.py); restoring a backup adds its
entries that are not there yet, so the log runs on, as it does across a snapshot restore.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import clock, files

SUFFIX = ".audit.jsonl"


def store_path(db_path: str | Path) -> Path:
    db = Path(db_path)
    return db.with_name(db.name + SUFFIX)


@dataclass
class _Index:
    """What this process has read of one store: up to `offset` of file `inode`, its keys."""

    inode: int = -1
    offset: int = 0
    keys: set[str] = field(default_factory=set)


_indexes: dict[str, _Index] = {}
_index_lock = threading.Lock()


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None  # a damaged line is skipped, never a reason to lose the others
    return entry if isinstance(entry, dict) else None


def _refresh(path: Path) -> _Index:
    """The index of `path`, brought up to date by reading only what was appended since."""
    key = str(path.absolute())
    with _index_lock:
        index = _indexes.setdefault(key, _Index())
        try:
            with path.open("rb") as f:
                inode = os.fstat(f.fileno()).st_ino
                if inode != index.inode:
                    index.inode, index.offset, index.keys = inode, 0, set()
                f.seek(index.offset)
                data = f.read()
        except FileNotFoundError:
            index.inode, index.offset, index.keys = -1, 0, set()
            return index
        whole = data[: data.rfind(b"\n") + 1]  # whole lines only
        index.offset += len(whole)
        for line in whole.splitlines():
            entry = _parse(line)
            if entry and entry.get("key"):
                index.keys.add(str(entry["key"]))
        return index


def has(db_path: str | Path, key: str) -> bool:
    """True when an entry with this key has been written (a sign-out of a session, say)."""
    return key in _refresh(store_path(db_path)).keys


# Sign-outs (revoked sessions) are kept in a file of their own as well as in the log, so that
# archiving the log (OPERATIONS.md) never makes a copied cookie good again (re-probe, finding 4).
REVOKED_SUFFIX = ".revoked.jsonl"


def revoked_path(db_path: str | Path) -> Path:
    db = Path(db_path)
    return db.with_name(db.name + REVOKED_SUFFIX)


def revoke(db_path: str | Path, key: str) -> None:
    """Keep `key` (`sign out:<session>`) in the revocations file, once, flushed to disk."""
    path = revoked_path(db_path)
    with _locked(path) as fd:
        if key in _refresh(path).keys:
            return
        data = _line({"at": clock.utc_now().isoformat(timespec="seconds"), "key": key})
        if os.write(fd, data) != len(data):
            raise OSError(f"the sign-out could not be written whole to {path}")
        os.fsync(fd)


def is_revoked(db_path: str | Path, key: str) -> bool:
    """True when `key` is in the revocations file or (an older release's sign-out) the log."""
    return key in _refresh(revoked_path(db_path)).keys or has(db_path, key)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[int]:
    """The store open for appending, under its exclusive lock; the file's current version
    (reopened if a rewrite replaced it while this writer waited)."""
    files.private_dir(path.parent)
    while True:
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if created:
                os.fchmod(fd, files.FILE_MODE)
            try:
                current = os.stat(path).st_ino
            except FileNotFoundError:
                current = -1
            if current == os.fstat(fd).st_ino:
                if created:
                    _fsync_dir(path.parent)
                yield fd
                return
        finally:
            os.close(fd)  # releases the lock


def new_entry(user: str | None, action: str, detail: str = "", key: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "at": clock.utc_now().isoformat(timespec="microseconds"),
        "user": user,
        "action": action,
        "detail": detail,
    }
    if key:
        entry["key"] = key
    return entry


def _line(entry: dict[str, Any]) -> bytes:
    return (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def append(
    db_path: str | Path, user: str | None, action: str, detail: str = "", *, once: str = ""
) -> bool:
    """Write one entry, flushed to disk. With `once`, only if no entry with that key exists
    (checked under the lock, so two tabs signing in at the same moment write one entry).
    True if written."""
    path = store_path(db_path)
    with _locked(path) as fd:
        if once and once in _refresh(path).keys:
            return False
        data = _line(new_entry(user, action, detail, once))
        written = os.write(fd, data)
        if written != len(data):  # a full disk: the short line is not an entry
            raise OSError(f"the audit entry could not be written whole to {path}")
        os.fsync(fd)
    return True


def entries(db_path: str | Path) -> list[dict[str, Any]]:
    """Every whole entry, in the order written."""
    path = store_path(db_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    data = data[: data.rfind(b"\n") + 1]
    return [e for e in (_parse(line) for line in data.splitlines()) if e is not None]


def last_entries(db_path: str | Path, limit: int) -> list[dict[str, Any]]:
    """The last `limit` whole entries, read from the end of the file (the Data page shows the
    newest few hundred; the file may hold years of them)."""
    path = store_path(db_path)
    try:
        f = path.open("rb")
    except FileNotFoundError:
        return []
    with f:
        end = f.seek(0, os.SEEK_END)
        block, data = 1 << 16, b""
        start = end
        while start > 0 and data.count(b"\n") <= limit:
            start = max(0, start - block)
            f.seek(start)
            data = f.read(end - start)
            block *= 2
    data = data[: data.rfind(b"\n") + 1]
    lines = data.splitlines()
    if start > 0:
        lines = lines[1:]  # the first line read may be cut at its start
    found = [e for e in (_parse(line) for line in lines) if e is not None]
    return found[-limit:] if limit else []


def frame(db_path: str | Path, limit: int | None = None) -> pd.DataFrame:
    """The entries (the last `limit`, or all) as a table: logged_at (UTC, naive), user_name,
    action, detail."""
    rows = entries(db_path) if limit is None else last_entries(db_path, limit)
    table = pd.DataFrame(
        {
            "logged_at": pd.to_datetime(
                [str(e.get("at", "")) for e in rows], utc=True, format="ISO8601"
            ),
            "user_name": [e.get("user") for e in rows],
            "action": [str(e.get("action", "")) for e in rows],
            "detail": [str(e.get("detail", "")) for e in rows],
        }
    )
    table["logged_at"] = table["logged_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    return table


def _rewrite(db_path: str | Path, keep: list[dict[str, Any]]) -> None:
    """Replace the store by `keep` (caller holds the lock): a new file, renamed over."""
    path = store_path(db_path)
    fresh = path.with_name(f".{path.name}.rewrite-{os.getpid()}")
    try:
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, files.FILE_MODE)
            os.write(fd, b"".join(_line(e) for e in keep))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(fresh, path)
        _fsync_dir(path.parent)
    finally:
        fresh.unlink(missing_ok=True)


def replace_text(db_path: str | Path, needle: str, replacement: str) -> int:
    """Put `replacement` wherever `needle` appears in an entry (an erasure: the code becomes
    its keyed reference), rewriting the file so the old text is in none of its bytes. Returns
    how many entries changed (0: the file is left as it is)."""
    path = store_path(db_path)
    if not needle or not path.exists():
        return 0
    with _locked(path):
        current = entries(db_path)
        changed = 0
        for entry in current:
            for name in ("user", "detail", "action", "key"):
                value = entry.get(name)
                if isinstance(value, str) and needle in value:
                    entry[name] = value.replace(needle, replacement)
                    changed += 1
        raw = path.read_bytes()
        if changed or needle.encode("utf-8") in raw:
            _rewrite(db_path, current)
    return changed


def copy_to(db_path: str | Path, target: Path) -> int:
    """Write the store's whole entries to `target` (a backup); return how many."""
    rows = entries(db_path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, files.FILE_MODE)
    os.fchmod(fd, files.FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(b"".join(_line(e) for e in rows))
        out.flush()
        os.fsync(out.fileno())
    return len(rows)


def merge_from(db_path: str | Path, source: Path) -> int:
    """Add the entries of `source` (a backup's copy) that the store does not hold yet; return
    how many were added. The log runs on: nothing already here is dropped."""
    data = source.read_bytes()
    incoming = [e for e in (_parse(line) for line in data.splitlines()) if e is not None]
    path = store_path(db_path)
    with _locked(path):
        current = entries(db_path)
        known = {str(e.get("id")) for e in current}
        new = [e for e in incoming if str(e.get("id")) not in known]
        if new:
            merged = sorted([*current, *new], key=lambda e: str(e.get("at", "")))
            _rewrite(db_path, merged)
    return len(new)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
