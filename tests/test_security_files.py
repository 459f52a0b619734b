"""Who can read the files (security re-probe, findings 2 and 10).

Finding 2: the database and snapshots were 0644 in a 0755 folder, and a backup's folder, Parquet
files and audit copy 0644. The attack is another account on the machine reading them; the test
`stat`s every file and folder under the data and backup folders after a write, a snapshot, a
restore, a backup and an erasure, with the process's umask set permissive (022) as if the server
had been started without the dashboard's own, so every place that writes must set the mode itself.

Finding 10: the erasure key sat in the data folder beside the database, so a copy of that folder
held both the audit log's references and the key to test guesses against them.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis import admin, audit_store, backup, database, snapshots
from tests.conftest import query


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def modes(root: Path) -> dict[str, str]:
    """Every folder and file under `root` that is not 0700 / 0600, with its mode."""
    wrong: dict[str, str] = {}
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if mode != want:
            wrong[str(path.relative_to(root.parent))] = oct(mode)
    return wrong


def test_every_file_is_its_owner_s_only_after_each_operation(
    demo_db: Path, tmp_path: Path, permissive_umask: None
) -> None:
    data = tmp_path / "data"
    db = data / "programme.duckdb"
    # An existing data folder and database from an older release, open to everyone.
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    shutil.copy(demo_db, db)
    os.chmod(db, 0o644)
    with database.connect(db) as con:  # a write
        con.execute("UPDATE mentors SET region = region")
    assert modes(data) == {}
    audit_store.append(db, "m@example.org", "sign in", "role manager")
    assert modes(data) == {}
    snap = snapshots.take_snapshot(db, "import")  # a snapshot (a hard link)
    assert snap is not None
    with database.connect(db) as con:
        con.execute("UPDATE mentors SET region = region")
    snapshots.take_snapshot(db, "second")
    assert modes(data) == {}
    snapshots.restore(db, snap.name, user="m@example.org")  # a restore
    assert modes(data) == {}
    folder = tmp_path / "backups" / "nightly"
    backup.backup(db, folder)  # a backup
    assert modes(folder) == {}
    listed = {p.name for p in folder.rglob("*")}
    assert db.name in listed and f"{db.name}.audit.jsonl" in listed
    assert any(name.endswith(".parquet") for name in listed)
    fresh = tmp_path / "restored" / "programme.duckdb"
    backup.restore_backup(fresh, folder, user="it@example.org")  # a restore from a backup
    assert modes(fresh.parent) == {}
    code = str(query(db, "SELECT min(mentor_id) FROM mentors")[0][0])
    admin.erase_mentor(db, code, user="m@example.org")  # rewrites the file and every snapshot
    assert modes(data) == {}
    assert modes(admin.key_path(db).parent) == {}


def test_a_new_data_folder_is_made_private(db: Path, permissive_umask: None) -> None:
    nested = db.parent / "new" / "programme.duckdb"
    with database.connect(nested, create=True):
        pass
    assert modes(nested.parent) == {}


def test_the_erasure_key_is_not_kept_in_the_data_folder(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.delenv(admin.KEY_ENV, raising=False)
    monkeypatch.delenv(admin.KEY_FILE_ENV, raising=False)
    db = tmp_path / "data" / "programme.duckdb"
    db.parent.mkdir()
    shutil.copy(demo_db, db)
    key = admin.erasure_key(db)
    expected = (config / "peer-mentor-dashboard" / "erasure.key").resolve()
    assert admin.key_path(db) == expected and expected.read_bytes().strip() == key
    # The attack: a copy of the data folder holds no key to test guesses against.
    admin.erase_mentor(db, str(query(db, "SELECT min(mentor_id) FROM mentors")[0][0]), "m")
    every = b"".join(p.read_bytes() for p in db.parent.rglob("*") if p.is_file())
    assert key not in every
    assert not any(p.name == admin.KEY_FILE for p in db.parent.rglob("*"))
    # A key file set inside the data folder is refused in one sentence.
    monkeypatch.setenv(admin.KEY_FILE_ENV, str(db.parent / "keys" / "erasure.key"))
    with pytest.raises(database.DatabaseError, match="in the database's folder"):
        admin.erasure_key(db)


def test_an_older_release_s_key_beside_the_database_is_moved_out(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(admin.KEY_ENV, raising=False)
    monkeypatch.delenv(admin.KEY_FILE_ENV, raising=False)
    db = tmp_path / "data" / "programme.duckdb"
    db.parent.mkdir()
    shutil.copy(demo_db, db)
    old = "a" * 64
    (db.parent / admin.KEY_FILE).write_text(old + "\n", encoding="utf-8")
    assert admin.erasure_key(db) == old.encode()  # references made with it stay checkable
    assert not (db.parent / admin.KEY_FILE).exists()
    assert admin.key_path(db).read_text(encoding="utf-8").strip() == old
