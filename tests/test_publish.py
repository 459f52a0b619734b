"""How a change reaches readers: built beside the published file, published in one rename.

In one process (as in a dashboard server, where DuckDB would otherwise share one instance per
path): a reader that opened the previous version keeps it, the next reader gets the new one. A
change that fails publishes nothing; a dry run neither publishes nor waits for a change.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from analysis import database
from tests.conftest import BASE_MENTORS, run_import

NEW = "mentor_id,cohort,start_date,status\nPM-3,2025 summer,2025-06-01,active\n"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    db = tmp_path / "data" / "programme.duckdb"
    assert run_import(db, {"mentors.csv": BASE_MENTORS}, tmp_path / "in").landed
    return db


def count(con: object) -> int:
    row = con.execute("SELECT count(*) FROM mentors").fetchone()  # type: ignore[attr-defined]
    return int(row[0])


def test_a_reader_keeps_its_version_and_the_next_reader_sees_the_new_one(
    db: Path, tmp_path: Path
) -> None:
    with database.read(db) as old:
        assert count(old) == 2
        assert run_import(db, {"new.csv": NEW}, tmp_path / "new").landed
        assert count(old) == 2  # the open reader is not disturbed
        with database.read(db) as new:
            assert count(new) == 3  # a reader opened now, in the same process, sees it
    assert database.working_copies(db) == []


def test_a_change_that_fails_publishes_nothing(db: Path) -> None:
    inode, data = db.stat().st_ino, db.read_bytes()
    with pytest.raises(RuntimeError, match="half-way"), database.connect(db) as con:
        con.execute("DELETE FROM mentors")
        raise RuntimeError("half-way")
    assert db.stat().st_ino == inode and db.read_bytes() == data
    assert database.working_copies(db) == []


def test_a_dry_run_publishes_nothing_and_does_not_wait_for_a_change(
    db: Path, tmp_path: Path
) -> None:
    inode = db.stat().st_ino
    held = threading.Event()
    release = threading.Event()

    def long_change() -> None:
        with database.writer_lock(db):
            held.set()
            release.wait(60)

    other = threading.Thread(target=long_change)
    other.start()
    try:
        assert held.wait(30)
        dry = run_import(db, {"new.csv": NEW}, tmp_path / "dry", dry_run=True)
        assert dry.landed and dry.files[0].inserted == 1
        with (
            pytest.raises(database.DatabaseBusy, match="another change"),
            database.connect(db, retry_seconds=0.2),
        ):
            pass
    finally:
        release.set()
        other.join(60)
    assert db.stat().st_ino == inode  # nothing published
    assert database.working_copies(db) == []
