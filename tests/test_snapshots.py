"""Snapshots: a copy before each import, the last five kept, listed, restored, undoable, and
scrubbed of a mentor who is erased."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from analysis import admin, clock, database, snapshots  # noqa: E402
from analysis.importer import ImportResult, ImportSource, import_files, recheck_rejected  # noqa: E402
from analysis.settings import Settings  # noqa: E402

HEADER = "mentor_id,cohort,start_date,status\n"
NAME = re.compile(r"^programme-\d{6}-\d{8}T\d{6}\.\d{6}Z-(import|recheck|restore)\.duckdb$")


def _mentors(db: Path, *codes: str, name: str = "mentors.csv", **kwargs: Any) -> ImportResult:
    path = db.parent / "in" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        HEADER + "".join(f"{c},2025 spring,2025-01-01,active\n" for c in codes), encoding="utf-8"
    )
    return import_files(db, [ImportSource.of(path)], user="tester", settings=Settings(), **kwargs)


def _codes(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(r[0] for r in con.execute("SELECT mentor_id FROM mentors").fetchall())
    finally:
        con.close()


def _sequences(path: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT sequence_name, last_value FROM duckdb_sequences() ORDER BY 1"
        ).fetchall()
    finally:
        con.close()


def _cli(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DASHBOARD_SETTINGS=str(tmp_path / "no-settings.toml"))
    env.pop("DASHBOARD_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "analysis", *map(str, args)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(done: subprocess.CompletedProcess[str], says: str) -> None:
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert says in done.stderr, done.stderr


@pytest.fixture
def db(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder / "programme.duckdb"


def test_the_first_import_keeps_no_snapshot(db: Path) -> None:
    assert _mentors(db, "PM-1").landed
    assert snapshots.list_snapshots(db) == []


def test_each_import_keeps_the_state_before_it(db: Path) -> None:
    assert _mentors(db, "PM-1").landed
    with clock.frozen(dt.datetime(2027, 6, 15, 7, 6, 12, 123456, tzinfo=dt.UTC)):
        assert _mentors(db, "PM-2").landed
    (snap,) = snapshots.list_snapshots(db)
    assert snap.path.parent == db.parent / "snapshots"
    assert snap.name == "programme-000001-20270615T070612.123456Z-import.duckdb"
    assert NAME.match(snap.name) and snap.label == "import" and snap.number == 1
    assert snap.size == snap.path.stat().st_size > 0
    assert snap.taken_at == dt.datetime(2027, 6, 15, 7, 6, 12, 123456, tzinfo=dt.UTC)
    assert _codes(snap.path) == ["PM-1"]
    assert _codes(db) == ["PM-1", "PM-2"]
    assert not list(snap.path.parent.glob("*.partial*"))


def test_a_dry_run_or_an_import_that_lands_nothing_keeps_no_snapshot(db: Path) -> None:
    assert _mentors(db, "PM-1").landed
    assert _mentors(db, "PM-2", dry_run=True).landed
    bad = db.parent / "in" / "empty.csv"
    bad.write_bytes(b"")
    refused = import_files(db, [ImportSource.of(bad)], user="tester", settings=Settings())
    assert not refused.landed
    assert snapshots.list_snapshots(db) == []


def test_only_the_last_five_are_kept(db: Path) -> None:
    for n in range(1, 9):
        assert _mentors(db, f"PM-{n}").landed
    kept = snapshots.list_snapshots(db)
    assert len(kept) == snapshots.KEEP == 5
    # before imports 4..8: the database then held 3..7 mentors
    assert [len(_codes(s.path)) for s in kept] == [3, 4, 5, 6, 7]
    assert [s.number for s in kept] == [3, 4, 5, 6, 7]
    assert [s.taken_at for s in kept] == sorted(s.taken_at for s in kept)


# The clock of a machine can be wrong and then be put right (by hand, or when it next reaches a
# time server), forwards or back. Snapshots are kept, pruned and cleaned up the same either way.
CLOCKS = {
    "put back": [dt.datetime(2028, 9, 15, 12, tzinfo=dt.UTC)] * 6
    + [dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)] * 3,
    "put forward": [dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)] * 6
    + [dt.datetime(2029, 2, 28, 23, 30, tzinfo=dt.UTC)] * 3,
    "stopped": [dt.datetime(2027, 6, 15, 12, tzinfo=dt.UTC)] * 9,
}


@pytest.mark.parametrize("clock_times", CLOCKS.values(), ids=CLOCKS.keys())
def test_the_newest_snapshots_are_kept_whatever_the_clock_did(
    db: Path, clock_times: list[dt.datetime]
) -> None:
    for n, at in enumerate(clock_times, start=1):
        with clock.frozen(at):
            assert _mentors(db, f"PM-{n}").landed
    kept = snapshots.list_snapshots(db)
    # before imports 5..9: the database then held 4..8 mentors, whatever the names' times say
    assert [len(_codes(s.path)) for s in kept] == [4, 5, 6, 7, 8]
    assert [s.number for s in kept] == [4, 5, 6, 7, 8]
    assert [s.taken_at for s in kept] == clock_times[4:9]
    with clock.frozen(clock_times[-1]):  # a restore is kept too, and can be undone
        done = snapshots.restore(db, kept[0].name)
    assert _codes(db) == [f"PM-{n}" for n in range(1, 5)]
    assert done.saved is not None and snapshots.list_snapshots(db)[-1] == done.saved
    snapshots.restore(db, done.saved.name)
    assert len(_codes(db)) == 9


def test_snapshots_named_before_numbering_are_listed_and_pruned_first(db: Path) -> None:
    for n in range(1, 4):
        assert _mentors(db, f"PM-{n}").landed
    folder = snapshots.snapshot_dir(db)
    first, second = snapshots.list_snapshots(db)
    # as the first release named them; one of them "taken" in the future by a wrong clock
    old = [
        folder / "programme-20991231T000000.000000Z-import.duckdb",
        folder / "programme-20240101T000000.000000Z-import.duckdb",
    ]
    first.path.rename(old[0])
    second.path.rename(old[1])
    assert [s.path for s in snapshots.list_snapshots(db)] == [old[1], old[0]]
    assert [s.number for s in snapshots.list_snapshots(db)] == [0, 0]
    assert snapshots.restore(db, old[0].name).saved is not None
    assert _codes(db) == ["PM-1"]
    for n in range(4, 8):
        assert _mentors(db, f"PM-{n}").landed
    kept = snapshots.list_snapshots(db)
    assert len(kept) == 5 and all(s.number > 0 for s in kept)  # the old names went first
    assert [s.number for s in kept] == [1, 2, 3, 4, 5]
    assert [s.label for s in kept] == ["restore", "import", "import", "import", "import"]


def test_a_recheck_keeps_a_snapshot(db: Path) -> None:
    assert _mentors(db, "PM-1").landed
    path = db.parent / "in" / "milestones.csv"
    path.write_text(
        "mentor_id,milestone,achieved_on\nPM-2,volunteering,2025-05-01\n", encoding="utf-8"
    )
    import_files(db, [ImportSource.of(path)], user="tester", settings=Settings())
    assert _mentors(db, "PM-2").landed
    before = len(snapshots.list_snapshots(db))
    assert recheck_rejected(db, user="tester", settings=Settings()).landed
    after = snapshots.list_snapshots(db)
    assert len(after) == before + 1 and after[-1].label == "recheck"


def test_list_and_restore_from_the_command_line_and_undo(db: Path, tmp_path: Path) -> None:
    for n in range(1, 4):
        assert _mentors(db, f"PM-{n}").landed
    listed = _cli(tmp_path, "restore", "--db", db, "--list")
    assert listed.returncode == 0 and listed.stderr == ""
    lines = listed.stdout.splitlines()
    assert lines[0].startswith(f"Snapshots of {db}, newest first")
    entries = [line.split() for line in lines[1:]]
    assert len(entries) == 2
    oldest = snapshots.list_snapshots(db)[0]
    # newest first: date, time, UTC, size, MB, before, what, name
    assert entries[-1][-1] == oldest.name
    assert entries[-1][0] == oldest.taken_at.strftime("%Y-%m-%d")
    assert entries[-1][3] == f"{oldest.size / (1024 * 1024):.1f}" and entries[-1][4] == "MB"

    done = _cli(tmp_path, "restore", "--db", db, oldest.name)
    assert done.returncode == 0, done.stderr
    assert f"Restored {oldest.name}" in done.stdout
    assert _codes(db) == ["PM-1"]
    saved = [s for s in snapshots.list_snapshots(db) if s.label == "restore"]
    assert len(saved) == 1 and _codes(saved[0].path) == ["PM-1", "PM-2", "PM-3"]
    assert saved[0].name in done.stdout

    undo = _cli(tmp_path, "restore", "--db", db, saved[0].path)  # by path works too
    assert undo.returncode == 0, undo.stderr
    assert _codes(db) == ["PM-1", "PM-2", "PM-3"]
    with database.connect(db) as con:  # the restored database opens and takes an import
        assert con.execute("SELECT count(*) FROM mentors").fetchone() == (3,)
    assert _mentors(db, "PM-4").landed


def test_a_restore_keeps_the_audit_log_and_moves_the_data_version_on(db: Path) -> None:
    assert _mentors(db, "PM-1").landed
    assert _mentors(db, "PM-2").landed
    with database.connect(db) as con:
        database.write_audit(con, "manager", "sign in", "after the snapshot")
        version_before = database.data_version(con)
    (snap,) = snapshots.list_snapshots(db)
    restored = snapshots.restore(db, snap.name, user="manager")
    assert restored.snapshot.name == snap.name and restored.saved is not None
    with database.connect(db) as con:
        audit = con.execute("SELECT user_name, action, detail FROM audit_log").fetchall()
        version_after = database.data_version(con)
    assert ("manager", "sign in", "after the snapshot") in audit
    assert (
        "manager",
        "restore snapshot",
        f"restored {snap.name}; the state before is {restored.saved.name}",
    ) in audit
    assert version_after > version_before  # nothing cached before the restore is reused


def test_a_restore_brings_back_a_database_that_is_gone(db: Path) -> None:
    assert _mentors(db, "PM-1").landed
    assert _mentors(db, "PM-2").landed
    (snap,) = snapshots.list_snapshots(db)
    db.unlink()
    restored = snapshots.restore(db, snap.name)
    assert restored.saved is None and _codes(db) == ["PM-1"]


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--list", "x.duckdb"], 2, "give --list, or the name of a snapshot"),
        ([], 2, "give --list, or the name of a snapshot"),
        (["programme-nope.duckdb"], 1, "no snapshot called 'programme-nope.duckdb'"),
    ],
)
def test_restore_mistakes_are_one_line(
    db: Path, tmp_path: Path, args: list[str], code: int, says: str
) -> None:
    assert _mentors(db, "PM-1").landed
    done = _cli(tmp_path, "restore", "--db", db, *args)
    assert done.returncode == code
    _one_line(done, says)
    assert _codes(db) == ["PM-1"]


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_snapshot_is_not_restored(db: Path, tmp_path: Path, damage: str) -> None:
    for n in range(1, 4):
        assert _mentors(db, f"PM-{n}").landed
    snap = snapshots.list_snapshots(db)[0]
    data = snap.path.read_bytes()
    if damage == "garbage":
        snap.path.write_bytes(b"not a database at all" * 1000)
    else:
        snap.path.write_bytes(data[: len(data) // 2])
    before = snapshots.list_snapshots(db)
    done = _cli(tmp_path, "restore", "--db", db, snap.name)
    assert done.returncode == 1
    _one_line(done, snap.name)
    assert _codes(db) == ["PM-1", "PM-2", "PM-3"]
    assert snapshots.list_snapshots(db) == before
    assert not list(snap.path.parent.glob("*.partial*"))


LEFT_IN_THE_LOG = """
import os, signal, duckdb
con = duckdb.connect({db!r})
con.execute("SET checkpoint_threshold = '1TB'")
con.execute("INSERT INTO audit_log VALUES (current_localtimestamp(), 'x', 'in the log', '')")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_snapshot_folds_in_a_log_left_by_a_crash(db: Path) -> None:
    assert _mentors(db, "PM-1").landed
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(LEFT_IN_THE_LOG.format(db=str(db)))], timeout=60
    )
    assert killed.returncode == -9
    assert db.with_name(db.name + ".wal").exists()  # committed, but only in the log
    snap = snapshots.take_snapshot(db)
    assert snap is not None
    assert not snap.path.with_name(snap.name + ".wal").exists()  # one self-contained file
    con = duckdb.connect(str(snap.path), read_only=True)
    try:
        assert con.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'in the log'"
        ).fetchone() == (1,)
    finally:
        con.close()


HOLD = """
import sys, time, duckdb
con = duckdb.connect({db!r})
print("open", flush=True)
time.sleep({seconds})
con.close()
"""


def test_a_snapshot_waits_for_a_program_holding_the_database(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _mentors(db, "PM-1").landed
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD.format(db=str(db), seconds=1.5)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    started = time.monotonic()
    monkeypatch.setattr(database, "LOCK_RETRY_SECONDS", 0.3)
    with pytest.raises(database.DatabaseBusy, match="in use by another program"):
        snapshots.take_snapshot(db)
    monkeypatch.setattr(database, "LOCK_RETRY_SECONDS", 30.0)
    snap = snapshots.take_snapshot(db)
    assert snap is not None and time.monotonic() - started > 1.0
    holder.wait(timeout=30)
    assert _codes(snap.path) == ["PM-1"]


def _ended_process() -> int:
    """The id of a process that has run and ended."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    return int(done.stdout)


@pytest.mark.parametrize(
    "now",
    [None, dt.datetime(2029, 2, 28, 23, 30, tzinfo=dt.UTC), dt.datetime(2001, 1, 1, tzinfo=dt.UTC)],
    ids=["clock as it is", "clock years ahead", "clock years behind"],
)
def test_an_unfinished_copy_is_never_listed_and_cleaned_up_once_its_writer_is_gone(
    db: Path, now: dt.datetime | None
) -> None:
    assert _mentors(db, "PM-1").landed
    folder = snapshots.snapshot_dir(db)
    folder.mkdir()
    host = snapshots._host()
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        name = "programme-000007-20250101T000000.000000Z-import.duckdb"
        in_progress = [
            folder / f"{name}.{host}-{os.getpid()}.partial",  # this process, another thread
            folder / f"{name}.{host}-{running.pid}.partial",  # another process
            folder / f"{name}.{host}-{running.pid}.partial.wal",
            folder / f"{name}.elsewhere-{_ended_process()}.partial",  # another machine
            folder / f"{name}.partial",  # a writer that does not say who it is
        ]
        abandoned = [
            folder / f"{name}.{host}-{_ended_process()}.partial",
            folder / f".restoring-ab12.duckdb.{host}-{_ended_process()}.partial",
            folder / f"{name}.{host}-{_ended_process()}.partial.wal",
        ]
        for path in in_progress + abandoned:
            path.write_bytes(b"half a copy")
        ancient = dt.datetime(1990, 1, 1).timestamp()  # file times say nothing either way
        os.utime(in_progress[1], (ancient, ancient))
        assert snapshots.list_snapshots(db) == []
        with contextlib.nullcontext() if now is None else clock.frozen(now):
            assert _mentors(db, "PM-2").landed
        assert len(snapshots.list_snapshots(db)) == 1
        assert all(p.exists() for p in in_progress)
        assert not any(p.exists() for p in abandoned)
    finally:
        running.kill()
        running.wait()


def test_erasing_a_mentor_erases_them_from_every_snapshot(db: Path) -> None:
    code = "PM-ZQXJ-ERASE-7731"
    assert _mentors(db, code, "PM-2").landed
    folder = db.parent / "in"
    (folder / "attendance.csv").write_text(
        f"session_id,mentor_id,attendance\nS-404,{code},attended\n", encoding="utf-8"
    )
    (folder / "stages.csv").write_text(
        f"mentor_id,assessed_on,stage,notes\n{code},2025-04-10,3,talked about moving\n",
        encoding="utf-8",
    )
    for name in ("attendance.csv", "stages.csv"):
        result = import_files(
            db, [ImportSource.of(folder / name)], user="tester", settings=Settings()
        )
        assert result.landed
    assert _mentors(db, "PM-3", name="more.csv").landed
    kept = snapshots.list_snapshots(db)
    assert len(kept) == 3
    assert all(code.encode() in s.path.read_bytes() for s in kept)  # the check below can see it

    sequences = {s.name: _sequences(s.path) for s in kept}
    counts = admin.erase_mentor(db, code, user="manager")
    assert counts == {
        "attendance": 0,
        "stage_assessments": 1,
        "milestones": 0,
        "funding": 0,
        "conduct": 0,
        "mentors": 1,
        "rejected_rows": 1,
    }
    after = snapshots.list_snapshots(db)
    assert [s.name for s in after] == [s.name for s in kept]
    for snap in after:
        con = duckdb.connect(str(snap.path), read_only=True)
        try:
            for table in ("mentors", "stage_assessments", "attendance", "milestones"):
                assert con.execute(
                    f"SELECT count(*) FROM {table} WHERE mentor_id = $c", {"c": code}
                ).fetchone() == (0,)
            rejected = con.execute("SELECT CAST(original_values AS VARCHAR) FROM rejected_rows")
            assert code not in repr(rejected.fetchall())
            assert con.execute(
                "SELECT count(*) FROM mentors WHERE mentor_id = 'PM-2'"
            ).fetchone() == (1,)
            assert _sequences(snap.path) == sequences[snap.name]  # the next import id is kept
        finally:
            con.close()
        assert code.encode() not in snap.path.read_bytes()  # not even in freed blocks
        assert b"talked about moving" not in snap.path.read_bytes()
    # a snapshot scrubbed this way still restores, and the mentor stays erased
    restored = snapshots.restore(db, after[0].name)
    assert code not in _codes(db) and "PM-2" in _codes(db)
    assert restored.saved is not None
