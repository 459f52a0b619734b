"""A damaged database at start-up: one clear sentence, nothing overwritten, the newest good
snapshot offered for restore; and a write-ahead log left by a program that crashed mid-change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from analysis import database, snapshots
from tests.conftest import BASE_MENTORS, query, run_import

Cli = Callable[..., subprocess.CompletedProcess[str]]

MORE = """\
mentor_id,cohort,start_date,status
PM-3,2025 summer,2025-06-01,active
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database with two imports: the snapshot before the second holds PM-1 and PM-2."""
    db = tmp_path / "data" / "programme.duckdb"
    assert run_import(db, {"mentors.csv": BASE_MENTORS}, tmp_path / "in1").landed
    assert run_import(db, {"more.csv": MORE}, tmp_path / "in2").landed
    assert [s.label for s in snapshots.list_snapshots(db)] == ["import"]
    return db


def damage(db: Path, how: str) -> None:
    data = db.read_bytes()
    if how == "truncated":
        db.write_bytes(data[: len(data) // 2])
    elif how == "random bytes":
        db.write_bytes(os.urandom(len(data)))
    elif how == "overwritten in the middle":
        with db.open("r+b") as f:
            f.seek(len(data) // 3)
            f.write(os.urandom(len(data) // 3))
    elif how == "empty":
        db.write_bytes(b"")
    else:
        raise AssertionError(how)


@pytest.mark.parametrize("how", ["truncated", "random bytes", "overwritten in the middle", "empty"])
def test_a_damaged_database_is_one_sentence_left_as_it_is_and_a_snapshot_offered(
    db: Path, cli: Cli, how: str
) -> None:
    damage(db, how)
    before = sha256(db)
    (snap,) = snapshots.list_snapshots(db)
    for args in (
        ("report", "--db", db),
        ("import", "--db", db, _more(db.parent)),
        ("remove-demo", "--db", db),
        ("backup", "--db", db, "--out", db.parent / "b"),
    ):
        done = cli(*args)
        assert done.returncode == 1, (how, args)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        line = lines[0]
        assert "cannot be opened" in line and "left exactly as it is" in line, line
        assert f"the newest good snapshot is {snap.name}" in line, line
        assert f"restore --db {db} {snap.name}" in line, line
        assert "Traceback" not in done.stderr
    assert sha256(db) == before  # nothing overwritten
    assert database.working_copies(db) == []
    assert [s.name for s in snapshots.list_snapshots(db)] == [snap.name]
    assert not (db.parent / "b").exists()

    # The offered restore works; the damaged file is kept, not overwritten.
    done = cli("restore", "--db", db, snap.name)
    assert done.returncode == 0, done.stderr
    assert query(db, "SELECT mentor_id FROM mentors ORDER BY 1") == [("PM-1",), ("PM-2",)]
    kept = [s for s in snapshots.list_snapshots(db) if s.label == "restore"]
    assert len(kept) == 1 and sha256(kept[0].path) == before


def test_a_damaged_snapshot_is_never_the_one_offered(db: Path, cli: Cli, tmp_path: Path) -> None:
    assert run_import(db, {"third.csv": MORE.replace("PM-3", "PM-4")}, tmp_path / "in3").landed
    older, newer = snapshots.list_snapshots(db)
    damage(newer.path, "truncated")
    damage(db, "random bytes")
    done = cli("report", "--db", db)
    assert done.returncode == 1
    assert f"the newest good snapshot is {older.name}" in done.stderr
    damage(older.path, "random bytes")
    done = cli("report", "--db", db)
    assert "there is no good snapshot to restore: restore a backup" in done.stderr


def _more(folder: Path) -> Path:
    path = folder / "more.csv"
    path.write_text(MORE.replace("PM-3", "PM-5"), encoding="utf-8")
    return path


CRASH_IN_PLACE = """
import os, signal, duckdb
con = duckdb.connect({db!r})
con.execute("SET checkpoint_threshold = '1TB'")
con.execute("INSERT INTO mentors (mentor_id, cohort, start_date, status, gender) "
            "VALUES ('PM-LOG', 'x', DATE '2025-01-01', 'active', 'female')")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_log_left_by_a_crash_is_said_in_one_sentence_read_and_folded_in_by_the_next_change(
    db: Path, cli: Cli
) -> None:
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASH_IN_PLACE.format(db=str(db)))], timeout=60
    )
    assert killed.returncode == -signal.SIGKILL
    wal = database.wal_path(db)
    assert wal.exists()
    file_before, wal_before = sha256(db), sha256(wal)
    done = cli("report", "--db", db, "--format", "json")
    assert done.returncode == 0, done.stderr
    (note,) = done.stderr.strip().splitlines()
    assert note.startswith("note: ") and "write-ahead log" in note and "nothing was" in note
    assert "the newest good snapshot is" in note
    # read with the log, written to neither
    assert ("PM-LOG",) in query(db, "SELECT mentor_id FROM mentors")
    assert (sha256(db), sha256(wal)) == (file_before, wal_before)
    # the next change folds it in: the committed row stays, the log is gone
    done = cli("import", "--db", db, _more(db.parent))
    assert done.returncode == 0, done.stderr
    assert not wal.exists()
    assert {"PM-LOG", "PM-5"} <= {r[0] for r in query(db, "SELECT mentor_id FROM mentors")}
    before_import = snapshots.list_snapshots(db)[-1]
    assert ("PM-LOG",) in query(before_import.path, "SELECT mentor_id FROM mentors")


def test_a_garbage_log_does_not_stop_the_database_opening(db: Path, cli: Cli) -> None:
    database.wal_path(db).write_bytes(os.urandom(20_000))
    done = cli("report", "--db", db, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "write-ahead log" in done.stderr
    assert query(db, "SELECT count(*) FROM mentors") == [(3,)]
    shutil.rmtree(db.parent / "snapshots")
    done = cli("report", "--db", db, "--format", "json")
    assert "there is no good snapshot" in done.stderr


def test_a_damaged_database_in_a_folder_called_clock_is_damaged_not_busy(
    db: Path, cli: Cli, tmp_path: Path
) -> None:
    """DuckDB's message names the file; "clock" and "block" in its path are not a lock."""
    moved = tmp_path / "moved-clock" / "block" / "programme.duckdb"
    moved.parent.mkdir(parents=True)
    shutil.copy(db, moved)
    damage(moved, "random bytes")
    done = cli("report", "--db", moved)
    assert done.returncode == 1
    assert "cannot be opened" in done.stderr and "in use by another program" not in done.stderr


def test_a_database_another_program_holds_is_busy_whatever_its_folder_is_called(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = tmp_path / "clock" / "programme.duckdb"
    held.parent.mkdir()
    shutil.copy(db, held)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(held)!r})
            print("held", flush=True)
            sys.stdin.read()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(database, "LOCK_RETRY_SECONDS", 0.2)
        with pytest.raises(database.DatabaseBusy, match="in use by another program"):
            database._open_read_only(held, 0.2)
    finally:
        holder.kill()
        holder.wait()


def _counting_checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every whole read of a file's tables (database.check_tables), as a list of paths."""
    calls: list[Path] = []
    real = database.check_tables

    def counted(con: object, path: Path) -> None:
        calls.append(path)
        real(con, path)  # type: ignore[arg-type]

    monkeypatch.setattr(database, "check_tables", counted)
    database._verified.clear()  # as a process that has not read this version yet
    return calls


def test_a_version_published_here_is_not_read_whole_again_but_a_changed_one_is(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting_checks(monkeypatch)
    with database.read(db) as con:
        assert con.execute("SELECT count(*) FROM mentors").fetchone() == (3,)
    assert calls == []  # the record beside it: this version was written whole by the program
    # The same size, other bytes, behind the program's back: read whole, and refused.
    damage(db, "overwritten in the middle")
    with pytest.raises(database.DatabaseDamaged), database.read(db):
        pass
    assert calls == [db]


@pytest.mark.parametrize("record", ["{not json", '{"inode": 1, "size": 2, "mtime_ns": 3}', "[]"])
def test_a_record_that_does_not_match_means_a_whole_read(
    db: Path, monkeypatch: pytest.MonkeyPatch, record: str
) -> None:
    (db.parent / f".{db.name}.written").write_text(record)
    calls = _counting_checks(monkeypatch)
    with database.read(db) as con:
        assert con.execute("SELECT count(*) FROM mentors").fetchone() == (3,)
    assert calls == [db]
