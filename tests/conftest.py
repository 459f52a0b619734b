"""Shared fixtures: tiny import files written to tmp_path, and databases built from them."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # the project is not installed; `pytest` alone must work
    sys.path.insert(0, str(PROJECT_ROOT))

from analysis import database, snapshots  # noqa: E402

# The erasure key's default home is the user's configuration folder (analysis/admin.py): the
# tests keep theirs in a folder of their own, never the machine's.
os.environ.setdefault(
    "XDG_CONFIG_HOME", str(Path(tempfile.mkdtemp(prefix="pm-test-config-")).resolve())
)
from analysis.importer import ImportResult, ImportSource, import_files  # noqa: E402
from analysis.settings import Settings  # noqa: E402

# As the dashboard and the command line do: an upgrade keeps a snapshot of the old file first.
snapshots.install()

SAMPLES = Path(__file__).resolve().parent / "samples"
DATA_TABLES = (
    "mentors",
    "sessions",
    "attendance",
    "stage_assessments",
    "milestones",
    "funding",
    "targets",
    "conduct",
)

# Two mentors and a session of each kind the tests refer to; every import-rule test starts here.
BASE_MENTORS = """\
mentor_id,cohort,start_date,status,end_date,gender,age_band,outreach_worker,region
PM-1,2025 spring,2025-01-01,active,,female,25-34,OW-1,North
PM-2,2025 spring,2025-03-01,active,,male,35-44,OW-2,South
"""
BASE_SESSIONS = """\
session_id,session_type,scheduled_start,duration_minutes,staff_id,beneficiary_id,event_name,location
S-1,shadowing,2025-04-01 10:00,60,ST-1,,,Office
S-2,beneficiary_meeting,2025-04-02 14:30,90,ST-2,B-1,,Cafe
"""


def signed_in(email: str, **claims: Any) -> dict[str, Any]:
    """st.user for AppTest: a sign-in just made, with a verified address (override any claim)."""
    return {
        "is_logged_in": True,
        "email": email,
        "email_verified": True,
        "iss": "http://127.0.0.1:9",
        "sub": email.split("@")[0],
        "iat": int(time.time()),  # the session check needs a sign-in time near the clock's
        "nonce": email,
    } | claims


def as_shown(text: str) -> str:
    """Markdown source as a reader sees it: backslash escapes and word joiners taken out."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace("\u2060", "")


def write_file(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write `text` (dedented) as a file; the encoding decides the bytes."""
    path = folder / name
    path.write_bytes(textwrap.dedent(text).encode(encoding))
    return path


def run_import(
    db: Path,
    files: dict[str, str] | list[Path],
    folder: Path | None = None,
    *,
    record_type: str | None = None,
    settings: Settings | None = None,
    **kwargs: Any,
) -> ImportResult:
    """Import CSV texts (name → text, written to `folder`) or paths, in one import."""
    if isinstance(files, dict):
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
        paths = [write_file(folder, name, text) for name, text in files.items()]
    else:
        paths = files
    return import_files(
        db,
        [ImportSource.of(p) for p in paths],
        record_type=record_type,
        user="tester",
        settings=settings or Settings(),
        **kwargs,
    )


# Rows for hand-built databases (test_metrics and others): M(entor), S(ession), A(ttendance).


def M(  # noqa: N802 - a row constructor, read like a table
    mentor_id: str,
    start: str = "2025-01-01",
    end: str | None = None,
    status: str = "active",
    cohort: str = "A",
    gender: str = "female",
    worker: str = "OW-1",
    region: str = "North",
) -> dict[str, Any]:
    return {
        "mentor_id": mentor_id,
        "cohort": cohort,
        "start_date": start,
        "status": status,
        "end_date": end,
        "gender": gender,
        "outreach_worker": worker,
        "region": region,
    }


def S(  # noqa: N802
    session_id: str,
    session_type: str,
    start: str,
    minutes: int = 60,
    beneficiary: str | None = None,
    event: str | None = None,
) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "session_type": session_type,
        "scheduled_start": start,
        "duration_minutes": minutes,
        "beneficiary_id": beneficiary,
        "event_name": event,
    }


def A(  # noqa: N802
    session_id: str,
    mentor_id: str,
    attendance: str,
    arrival: str | None = None,  # HH:MM[:SS] on the session's day
    minutes: int | None = None,
) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "mentor_id": mentor_id,
        "attendance": attendance,
        "arrival": arrival,
        "minutes_attended": minutes,
    }


def build(
    path: Path,
    mentors: Iterable[dict[str, Any]] = (),
    sessions: Iterable[dict[str, Any]] = (),
    attendance: Iterable[dict[str, Any]] = (),
    stages: Iterable[tuple[str, str, int, int | None]] = (),
    milestones: Iterable[tuple[str, str, str]] = (),
) -> Path:
    sessions = list(sessions)
    day = {s["session_id"]: s["scheduled_start"][:10] for s in sessions}
    with database.connect(path, create=True) as con:
        for m in mentors:
            con.execute(
                "INSERT INTO mentors (mentor_id, cohort, start_date, status, end_date, gender, "
                "outreach_worker, region) VALUES ($mentor_id, $cohort, $start_date, $status, "
                "$end_date, $gender, $outreach_worker, $region)",
                m,
            )
        for s in sessions:
            con.execute(
                "INSERT INTO sessions (session_id, session_type, scheduled_start, "
                "duration_minutes, beneficiary_id, event_name) VALUES ($session_id, "
                "$session_type, $scheduled_start, $duration_minutes, $beneficiary_id, $event_name)",
                s,
            )
        for a in attendance:
            arrival = a["arrival"] and f"{day[a['session_id']]} {a['arrival']}"
            con.execute(
                "INSERT INTO attendance (session_id, mentor_id, attendance, arrival, "
                "minutes_attended) VALUES ($s, $m, $a, $arrival, $minutes)",
                {
                    "s": a["session_id"],
                    "m": a["mentor_id"],
                    "a": a["attendance"],
                    "arrival": arrival,
                    "minutes": a["minutes_attended"],
                },
            )
        for row in stages:
            con.execute(
                "INSERT INTO stage_assessments (mentor_id, assessed_on, stage, self_esteem) "
                "VALUES (?, ?, ?, ?)",
                list(row),
            )
        for row in milestones:
            con.execute(
                "INSERT INTO milestones (mentor_id, milestone, achieved_on) VALUES (?, ?, ?)",
                list(row),
            )
    return path


def query(db: Path, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with database.read(db) as con:
        return con.execute(sql, params or {}).fetchall()


def table_contents(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, to compare a database before and after."""
    tables = (*DATA_TABLES, "imports", "import_files", "rejected_rows", "import_warnings", "meta")
    out: dict[str, list[tuple[Any, ...]]] = {}
    with database.read(db) as con:
        for table in tables:
            rows = con.execute(f"SELECT * FROM {table}").fetchall()
            out[table] = sorted(rows, key=repr)
    return out


@pytest.fixture(scope="session")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding BASE_MENTORS and BASE_SESSIONS (copy it; never change it)."""
    folder = tmp_path_factory.mktemp("base")
    db = folder / "base.duckdb"
    result = run_import(
        db, {"mentors.csv": BASE_MENTORS, "sessions.csv": BASE_SESSIONS}, folder / "in"
    )
    assert result.landed and all(f.rejected == 0 for f in result.files)
    return db


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The path of a database that does not exist yet."""
    return tmp_path / "test.duckdb"


@pytest.fixture
def seeded_db(base_db: Path, tmp_path: Path) -> Path:
    """A private copy of the base database."""
    target = tmp_path / "seeded.duckdb"
    shutil.copy(base_db, target)
    return target


def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment for the command line: default settings, whatever the machine has."""
    env = dict(os.environ)
    env["DASHBOARD_SETTINGS"] = str(tmp_path / "no-settings.toml")
    env.pop("DASHBOARD_DB", None)
    return env


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `python -m analysis ARGS` from the project root."""

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "analysis", *map(str, args)],
            cwd=PROJECT_ROOT,
            env=cli_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def clean_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worked example's clean records, imported once (copy it before changing it)."""
    db = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    result = run_import(db, sorted((SAMPLES / "clean").glob("*.csv")))
    assert result.landed and all(f.rejected == 0 for f in result.files), result.summary()
    return db


# --- a demo programme, for the page, access and browser tests -------------------------------

DEMO_MENTORS = 60
DEMO_END = dt.date(2026, 11, 20)  # fixed, so the demo's records never move with the calendar


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh demo database for each test module, made by `python -m analysis demo`."""
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    subprocess.run(
        [
            *(sys.executable, "-m", "analysis", "demo", "--db", str(db)),
            *("--mentors", str(DEMO_MENTORS), "--end", DEMO_END.isoformat()),
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    return db


@pytest.fixture(scope="module")
def mentor_codes(demo_db: Path) -> list[str]:
    """Every mentor code in the module's demo database (to prove none is shown)."""
    return [str(r[0]) for r in query(demo_db, "SELECT mentor_id FROM mentors")]
