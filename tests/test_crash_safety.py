"""An import killed with SIGKILL at any moment leaves all of it or none of it, and the database
opens cleanly afterwards and takes the import again.

A database holding a small programme is copied for each trial; `python -m analysis import` of a
bigger programme (about 2,000 mentors, 170,000 rows in five files) is started on the copy and
killed after a delay: fixed delays, and fractions of how long an import takes on this machine, so
the kills land in every phase (start-up, the snapshot copy, reading, validating, writing,
committing, closing). The database must then hold exactly the state before the import or
exactly the state after it, compared table by table with a hash of every row.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from analysis import database, demo_data, snapshots  # noqa: E402
from analysis.importer import ImportSource, import_files  # noqa: E402
from analysis.settings import Settings  # noqa: E402

END = dt.date(2025, 6, 30)

# Every table, with the columns that are the same whenever the same import lands (not the clock).
FINGERPRINT = {
    "mentors": "t",
    "sessions": "t",
    "attendance": "t",
    "stage_assessments": "t",
    "milestones": "t",
    "rejected_rows": "t",
    "import_warnings": "t",
    "import_files": "t",
    "imports": "(import_id, user_name, is_demo, kind)",
    "meta": "t",
    "audit_log": "(user_name, action, detail)",
}


DATA_TABLES = ("mentors", "sessions", "attendance", "stage_assessments", "milestones")


def fingerprint(db: Path) -> dict[str, tuple[Any, ...]]:
    """Row count and an order-free hash of the rows of every table; the database must open."""
    with database.read(db, retry_seconds=5) as con:
        out = {}
        for table, value in FINGERPRINT.items():
            row = con.execute(f"SELECT count(*), bit_xor(hash({value})) FROM {table} t").fetchone()
            assert row is not None
            out[table] = tuple(row)
    return out


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ, DASHBOARD_SETTINGS=str(tmp / "no-settings.toml"))
    env.pop("DASHBOARD_DB", None)
    return env


def _import_command(db: Path, files: list[Path]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "analysis",
        "import",
        "--db",
        str(db),
        "--user",
        "nightly",
        *map(str, files),
    ]


def _import_in_process(db: Path, files: list[Path]) -> None:
    result = import_files(
        db, [ImportSource.of(p) for p in files], user="nightly", settings=Settings()
    )
    assert result.landed, result.error


@pytest.fixture(scope="module")
def programme(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("crash")
    small = demo_data.write_csv(root / "small", mentors=200, seed=1, end=END)
    big = demo_data.write_csv(root / "big", mentors=2000, seed=2, end=END)
    base = root / "base" / "programme.duckdb"
    base.parent.mkdir()
    _import_in_process(base, small)
    # The state the import must land whole: run it once, uninterrupted, and time it.
    reference = root / "reference" / "programme.duckdb"
    reference.parent.mkdir()
    shutil.copy(base, reference)
    started = time.monotonic()
    done = subprocess.run(
        _import_command(reference, big), cwd=PROJECT_ROOT, env=_env(root), capture_output=True
    )
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    before, after = fingerprint(base), fingerprint(reference)
    assert before != after
    assert after["attendance"][0] > 50_000
    return {
        "root": root,
        "big": big,
        "base": base,
        "before": before,
        "after": after,
        "seconds": seconds,
    }


class Watch:
    """What an import has done so far, seen from outside: its working copy beside the database
    (the copy, its log, its checkpoint) and the rename that publishes it."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.folder = snapshots.snapshot_dir(db)
        self.size = db.stat().st_size
        self.inode = db.stat().st_ino
        self.copy_size = 0
        self.wal_seen = 0
        self.started = time.monotonic()

    def _copy(self) -> Path | None:
        found = [p for p in database.working_copies(self.db) if not p.name.endswith(".wal")]
        return found[0] if found else None

    def _size(self, path: Path | None) -> int:
        try:
            return path.stat().st_size if path is not None else 0
        except FileNotFoundError:
            return 0

    def wal_size(self) -> int:
        copy = self._copy()
        size = self._size(database.wal_path(copy) if copy is not None else None)
        self.wal_seen = max(self.wal_seen, size)
        return size

    def copying(self) -> bool:
        size = self._size(self._copy())
        return 0 < size < self.size

    def writing_log(self) -> bool:
        return self.wal_size() > 0

    def log_written(self) -> bool:
        """The log has stopped growing: the commit is on disk, the checkpoint is to come."""
        before = self.wal_size()
        if not before:
            return False
        time.sleep(0.003)
        return self.wal_size() == before

    def checkpointing(self) -> bool:
        copy = self._copy()
        size = self._size(copy)
        if size and not self.copy_size and size >= self.size:
            self.copy_size = size
        return self.wal_size() > 0 and bool(self.copy_size) and size != self.copy_size

    def checkpointed(self) -> bool:
        return self.wal_seen > 0 and self.wal_size() == 0

    def published(self) -> bool:
        try:
            return self.db.stat().st_ino != self.inode
        except FileNotFoundError:
            return False


# When to kill: after fixed delays, after fractions of an uninterrupted import, and the moment
# the import reaches a phase that matters (polled every millisecond).
def _triggers(seconds: float) -> list[tuple[str, Any]]:
    timed = sorted({0.2, 1.0, round(0.5 * seconds, 2), round(0.75 * seconds, 2)})
    return [
        *((f"after {d}s", d) for d in timed),
        ("copying the database", Watch.copying),
        ("writing the log (commit)", Watch.writing_log),
        ("log written, before the checkpoint", Watch.log_written),
        ("checkpointing into the file", Watch.checkpointing),
        ("checkpoint done, closing", Watch.checkpointed),
        ("published, before exiting", Watch.published),
    ]


def _kill_when(process: subprocess.Popen[bytes], watch: Watch, trigger: Any) -> bool:
    """Kill the import when the trigger fires; False if it finished first."""
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        fired = (
            time.monotonic() - watch.started >= trigger
            if isinstance(trigger, float)
            else trigger(watch)
        )
        if fired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
            return True
        time.sleep(0.001 if not isinstance(trigger, float) else 0.005)
    process.wait(timeout=60)
    return False


def test_an_import_killed_at_any_moment_lands_whole_or_not_at_all(
    programme: dict[str, Any],
) -> None:
    root: Path = programme["root"]
    little = root / "little.csv"
    little.write_text(
        "mentor_id,cohort,start_date,status\nPM-LITTLE,2025 spring,2025-01-01,active\n",
        encoding="utf-8",
    )
    outcomes = []
    full_again = False
    for n, (phase, trigger) in enumerate(_triggers(programme["seconds"])):
        trial = root / f"trial-{n}"
        trial.mkdir()
        db = trial / "programme.duckdb"
        shutil.copy(programme["base"], db)
        watch = Watch(db)
        process = subprocess.Popen(
            _import_command(db, programme["big"]),
            cwd=PROJECT_ROOT,
            env=_env(root),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        killed = _kill_when(process, watch, trigger)
        at = time.monotonic() - watch.started
        assert process.returncode == (-signal.SIGKILL if killed else 0), phase

        state = fingerprint(db)  # it opens cleanly (a leftover log is replayed or dropped)
        if state == programme["before"]:
            landed = "none"
        else:
            assert state == programme["after"], f"killed {phase} ({at:.2f}s): a partial import"
            landed = "all"
        outcomes.append((phase, f"{at:.2f}s", "killed" if killed else "finished", landed))

        # Every listed snapshot is whole (a copy cut short is never listed).
        for snap in snapshots.list_snapshots(db):
            assert fingerprint(snap.path) == programme["before"], phase

        # The import then succeeds: in full once after a kill that landed nothing, else a
        # small one (the database takes writes again).
        if landed == "none" and not full_again:
            full_again = True
            _import_in_process(db, programme["big"])
            assert fingerprint(db) == programme["after"]
        else:
            _import_in_process(db, [little])
        assert database.working_copies(db) == [], phase  # the killed one's copy is gone
        shutil.rmtree(trial)

    print(f"\nuninterrupted import: {programme['seconds']:.2f}s")
    for outcome in outcomes:
        print("  killed " + "; ".join(outcome))
    assert {o[3] for o in outcomes if o[2] == "killed"} == {"none", "all"}
    assert full_again


def test_the_first_import_killed_leaves_a_database_that_opens(
    programme: dict[str, Any], tmp_path: Path
) -> None:
    """No database yet: a kill leaves none, an empty one, or the whole import."""
    fresh = tmp_path / "fresh.duckdb"
    _import_in_process(fresh, programme["big"])
    whole = fingerprint(fresh)
    db = tmp_path / "killed" / "programme.duckdb"
    db.parent.mkdir()
    process = subprocess.Popen(
        _import_command(db, programme["big"]),
        cwd=PROJECT_ROOT,
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(programme["seconds"] * 0.6)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    if db.exists():
        state = fingerprint(db)
        empty = all(state[t][0] == 0 for t in DATA_TABLES) and state["imports"][0] == 0
        assert empty or state == whole
    _import_in_process(db, programme["big"])
    again = fingerprint(db)
    assert {t: again[t] for t in DATA_TABLES} == {t: whole[t] for t in DATA_TABLES}
