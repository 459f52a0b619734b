"""Keeping the data clean: remove the demo, erase one mentor on request."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

import duckdb

from analysis import audit_store, clock, database, files, profiles, records, snapshots
from analysis.importer import ImportResult, ImportSource, import_files

DATA_TABLES = (
    "conduct",
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


def save_profile(db_path: str | Path, profile: profiles.Profile, user: str | None) -> bool:
    """Store a mapping profile made on the Data page (replacing one of its name), logged."""
    with database.connect(db_path) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            replaced = profiles.save(con, profile, user)
            database.write_audit(
                con, user, "profile saved", f"{profile.name} ({profile.record_type})"
            )
            database.bump_data_version(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return replaced


def has_demo(db_path: str | Path) -> bool:
    with database.read(db_path) as con:
        row = con.execute("SELECT count(*) FROM mentors WHERE is_demo").fetchone()
    return bool(row and row[0])


KEY_ENV = "DASHBOARD_ERASURE_KEY"
KEY_FILE_ENV = "DASHBOARD_ERASURE_KEY_FILE"
KEY_FILE = "erasure.key"
KEY_APP_FOLDER = "peer-mentor-dashboard"


def default_key_path() -> Path:
    """Where the erasure key is kept unless DASHBOARD_ERASURE_KEY_FILE says otherwise: the
    user's configuration folder ($XDG_CONFIG_HOME, or ~/.config), never the data folder. Whoever
    holds a copy of the data folder (a stolen disk, a careless share) then does not hold the
    key too: with it, every code could be tried against the audit log's references."""
    env = os.environ.get(KEY_FILE_ENV, "").strip()
    if env:
        return Path(env).expanduser().resolve()
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return (Path(base).expanduser() / KEY_APP_FOLDER / KEY_FILE).resolve()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def key_path(db_path: str | Path) -> Path:
    """The erasure key's file for the database at `db_path`; refused inside its data folder."""
    path = default_key_path()
    data = Path(db_path).resolve().parent
    if _inside(path.parent, data):
        raise database.DatabaseError(
            f"the erasure key file {path} is in the database's folder {data}: keep it apart "
            f"(set {KEY_FILE_ENV} to a file outside it, or {KEY_ENV})"
        )
    return path


def erasure_key(db_path: str | Path) -> bytes:
    """The secret the audit log's erasure references are keyed with: the environment variable
    DASHBOARD_ERASURE_KEY, or the key file (`key_path`: outside the data folder; made on first
    use, readable by its owner only; never in a backup). A copy of the data folder without the
    key cannot be tested against guesses. A key an older release left beside the database is
    moved to the key file (the references made with it stay checkable)."""
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        if len(env) < 32:
            raise database.DatabaseError(f"{KEY_ENV} is too short: use at least 32 characters")
        return env.encode("utf-8")
    path = key_path(db_path)
    old = Path(db_path).resolve().parent / KEY_FILE
    if not path.exists():
        files.private_dir(path.parent)
        # Written whole under another name and linked into place: a reader never sees half
        # a key, and two programs making it at once agree on one.
        draft = path.with_name(f".{KEY_FILE}.{os.getpid()}-{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, files.FILE_MODE)
        try:
            os.fchmod(fd, files.FILE_MODE)
            with os.fdopen(fd, "w") as f:
                f.write(
                    (old.read_text(encoding="utf-8").strip() if old.exists() else "")
                    or secrets.token_hex(32)
                )
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 32:
        raise database.DatabaseError(f"the erasure key in {path} is too short: delete it")
    if old.exists() and old.read_text(encoding="utf-8").strip() == key:
        old.unlink()  # moved: the data folder no longer holds it
    return key.encode("utf-8")


def erasure_reference(mentor_id: str, key: bytes) -> str:
    """What the audit log keeps of an erased code: a keyed HMAC, enough to answer 'was X
    erased?' for whoever holds the key, and nothing to anyone who tries every code without it."""
    return "hmac-sha256:" + hmac.new(key, mentor_id.encode("utf-8"), hashlib.sha256).hexdigest()


def erase_mentor(db_path: str | Path, mentor_id: str, user: str | None) -> dict[str, int]:
    """Erase one mentor's records everywhere (rows, rejected rows, warnings), logged.

    Like every change, it is made on a working copy; the copy is then rewritten as a fresh file
    holding only live rows (`compact`) and published by rename, so the erased code and notes are
    in none of the published file's bytes (DuckDB leaves deleted values in free blocks). The
    mentor is then erased from every snapshot, each rewritten the same way (see
    analysis/snapshots.py), and the audit log's light path gets the keyed reference wherever the
    code appears (it should appear nowhere). The counts are the database's.
    """
    key = erasure_key(db_path)
    reference = erasure_reference(mentor_id, key)
    with database.connect(db_path, compact=True) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            counts = erase_rows(con, mentor_id)
            database.write_audit(
                con, user, "erase mentor", f"{reference}: {sum(counts.values())} rows erased"
            )
            database.bump_data_version(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    snapshots.scrub(db_path, lambda snap: sum(erase_rows(snap, mentor_id).values()))
    audit_store.replace_text(db_path, mentor_id, reference)
    return counts


def erase_rows(con: duckdb.DuckDBPyConnection, mentor_id: str) -> dict[str, int]:
    """Delete one mentor's rows (inside the caller's transaction); count them by table."""
    counts: dict[str, int] = {}
    for table in (
        "attendance",
        "stage_assessments",
        "milestones",
        "funding",
        "conduct",
        "mentors",
    ):
        row = con.execute(
            f"SELECT count(*) FROM {table} WHERE mentor_id = $id", {"id": mentor_id}
        ).fetchone()
        counts[table] = int(row[0]) if row else 0
        con.execute(f"DELETE FROM {table} WHERE mentor_id = $id", {"id": mentor_id})
    # Any other declared record type about a person (conduct, say) goes the same way.
    present = {
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_catalog = current_database()"
        ).fetchall()
    }
    for table in records.person_tables():
        if table in counts or table not in present:
            continue
        row = con.execute(
            f'SELECT count(*) FROM "{table}" WHERE mentor_id = $id', {"id": mentor_id}
        ).fetchone()
        counts[table] = int(row[0]) if row else 0
        con.execute(f'DELETE FROM "{table}" WHERE mentor_id = $id', {"id": mentor_id})
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
