"""Backups: `backup --out DIR` and `restore --from-backup DIR` give back the same programme on a
fresh location; a backup changed after it was made is refused before anything is written."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from analysis import admin, audit_store, backup, database
from tests.conftest import query

Cli = Callable[..., subprocess.CompletedProcess[str]]

REPORTS = (
    ("--format", "json"),
    ("--format", "json", "--audience", "funder"),
    ("--format", "json", "--from", "2025-01-01", "--to", "2025-06-30", "--gender", "female"),
)


@pytest.fixture(scope="module")
def made(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("backups") / "nightly"
    done = backup.backup(demo_db, folder)
    assert done.folder == folder
    return folder


def one_line_error(done: subprocess.CompletedProcess[str], *says: str) -> None:
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for text in says:
        assert text in lines[0], lines[0]


def test_a_backup_holds_a_copy_every_table_and_a_manifest_that_checks_them(
    made: Path, demo_db: Path
) -> None:
    manifest = json.loads((made / "manifest.json").read_text(encoding="utf-8"))
    tables = [
        r[0]
        for r in query(
            demo_db,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() ORDER BY 1",
        )
    ]
    assert sorted(manifest["tables"]) == tables
    listed = {f["path"]: f for f in manifest["files"]}
    audit_file = f"{demo_db.name}.audit.jsonl"  # the audit log's light path, even when empty
    assert manifest["audit_file"] == audit_file
    assert set(listed) == {demo_db.name, audit_file, *(f"tables/{t}.parquet" for t in tables)}
    for name, entry in listed.items():
        assert backup.sha256_of(made / name) == entry["sha256"]
        assert (made / name).stat().st_size == entry["bytes"]
    con = duckdb.connect()
    try:
        for table, rows in manifest["tables"].items():
            parquet = str(made / "tables" / f"{table}.parquet")
            got = con.execute("SELECT count(*) FROM read_parquet($p)", {"p": parquet}).fetchone()
            assert got == (rows,), table
            (stored,) = query(demo_db, f'SELECT count(*) FROM "{table}"')
            assert stored == (rows,)
        mentors = con.execute(
            "SELECT mentor_id FROM read_parquet($p) ORDER BY 1",
            {"p": str(made / "tables" / "mentors.parquet")},
        ).fetchall()
    finally:
        con.close()
    assert mentors == query(demo_db, "SELECT mentor_id FROM mentors ORDER BY 1")
    assert manifest["schema_version"] == database.SCHEMA_VERSION


def test_restoring_on_a_fresh_location_gives_an_identical_report(
    made: Path, demo_db: Path, tmp_path: Path, cli: Cli
) -> None:
    fresh = tmp_path / "new machine" / "data" / "programme.duckdb"
    done = cli("restore", "--db", fresh, "--from-backup", made, "--user", "it@example.org")
    assert done.returncode == 0, done.stderr
    for args in REPORTS:
        before = cli("report", "--db", demo_db, *args)
        after = cli("report", "--db", fresh, *args)
        assert before.returncode == after.returncode == 0
        assert json.loads(after.stdout) == json.loads(before.stdout), args
    audit = query(fresh, "SELECT user_name, action FROM audit_log WHERE action = 'restore backup'")
    assert audit == [("it@example.org", "restore backup")]
    assert database.working_copies(fresh) == []


@pytest.mark.parametrize(
    "damage",
    [
        "a table changed",
        "the database changed",
        "a file missing",
        "a file added",
        "manifest unreadable",
        "no manifest",
    ],
)
def test_a_tampered_backup_is_refused_in_one_sentence_and_nothing_is_written(
    made: Path, tmp_path: Path, cli: Cli, damage: str
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(made, copy)
    manifest = copy / "manifest.json"
    if damage == "a table changed":
        target = copy / "tables" / "attendance.parquet"
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
        says = ["has been changed", "tables/attendance.parquet", "SHA-256"]
    elif damage == "the database changed":
        db_file = next(copy.glob("*.duckdb"))
        with db_file.open("r+b") as f:
            f.seek(300_000)
            f.write(b"\x00tampered\x00")
        says = ["has been changed", db_file.name]
    elif damage == "a file missing":
        (copy / "tables" / "mentors.parquet").unlink()
        says = ["incomplete", "tables/mentors.parquet"]
    elif damage == "a file added":
        (copy / "tables" / "extra.parquet").write_bytes(b"PAR1")
        says = ["does not list", "extra.parquet"]
    elif damage == "manifest unreadable":
        manifest.write_text("{ not json", encoding="utf-8")
        says = ["manifest", "cannot be read"]
    else:
        manifest.unlink()
        says = ["not a backup"]
    target_db = tmp_path / "target" / "programme.duckdb"
    done = cli("restore", "--db", target_db, "--from-backup", copy)
    one_line_error(done, *says)
    assert not target_db.exists()
    assert not target_db.parent.exists() or list(target_db.parent.iterdir()) == []


def test_restoring_over_a_database_keeps_it_as_a_snapshot(
    made: Path, seeded_db: Path, cli: Cli
) -> None:
    before = query(seeded_db, "SELECT mentor_id FROM mentors ORDER BY 1")
    done = cli("restore", "--db", seeded_db, "--from-backup", made)
    assert done.returncode == 0, done.stderr
    listed = cli("restore", "--db", seeded_db, "--list")
    assert "before restore" in listed.stdout
    name = listed.stdout.strip().splitlines()[1].split()[-1]
    assert cli("restore", "--db", seeded_db, name).returncode == 0
    assert query(seeded_db, "SELECT mentor_id FROM mentors ORDER BY 1") == before


def test_a_backup_never_overwrites_a_folder_with_files_in_it(
    demo_db: Path, tmp_path: Path, cli: Cli
) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    done = cli("backup", "--db", demo_db, "--out", out)
    one_line_error(done, "not an empty folder")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    missing = cli("backup", "--db", tmp_path / "none.duckdb", "--out", tmp_path / "b")
    one_line_error(missing, "no database")
    assert not (tmp_path / "b").exists()


def test_the_audit_log_s_light_path_is_backed_up_and_runs_on_after_a_restore(
    demo_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "programme.duckdb"
    db.parent.mkdir()
    shutil.copy(demo_db, db)
    audit_store.append(db, "m@example.org", "sign in", "role manager", once="sign in:s1")
    audit_store.append(db, "f@example.org", "page refused", "page data")
    key = admin.erasure_key(db)  # the erasure key lives apart from the database ...
    folder = tmp_path / "backup"
    backup.backup(db, folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["audit_entries"] == 2
    every = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert key not in every and admin.KEY_FILE not in {p.name for p in folder.rglob("*")}
    # ... and is never in a backup. On a fresh machine the entries come back whole.
    fresh = tmp_path / "new" / "programme.duckdb"
    backup.restore_backup(fresh, folder, user="it@example.org")
    assert audit_store.entries(fresh) == audit_store.entries(db)
    assert audit_store.has(fresh, "sign in:s1")
    # Over a database with later entries: the log runs on, nothing doubled or lost.
    audit_store.append(db, "later@example.org", "download", "x.csv; page data")
    backup.restore_backup(db, folder, user="it@example.org")
    users = [e["user"] for e in audit_store.entries(db)]
    assert users == ["m@example.org", "f@example.org", "later@example.org"]


def test_a_manifest_naming_an_audit_file_it_does_not_hold_is_refused(
    made: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(made, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["audit_file"] = "../../elsewhere.jsonl"
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    target = tmp_path / "data" / "programme.duckdb"
    with pytest.raises(backup.BackupError, match="audit file"):
        backup.restore_backup(target, copy)
    assert not target.exists()
