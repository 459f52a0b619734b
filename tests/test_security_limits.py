"""Size limits on what an import reads besides its records (security re-probe, findings 3, 9).

Finding 9: a mapping profile had no size limit; a 14 MB one added 2.2 s and 85 MB to every
import. Now a profile above 64 KB or 1,000 values is refused in one sentence, from a file, from
the command line, and from a definition the Data page builds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analysis import profiles
from tests.conftest import PROJECT_ROOT, query

Cli = Callable[..., subprocess.CompletedProcess[str]]


def huge_profile() -> dict[str, Any]:
    """About 14 MB: a session-type table of 300,000 made-up names, each mapped to a real code."""
    table = {
        f"Their session kind number {n:06d} (a long label)": "shadowing" for n in range(300_000)
    }
    return {
        "name": "Everything",
        "record_type": "sessions",
        "columns": {"session_id": "Id"},
        "values": {"session_type": table},
    }


def test_a_14_mb_profile_is_refused_in_one_sentence(tmp_path: Path, cli: Cli) -> None:
    data = huge_profile()
    text = json.dumps(data)
    assert len(text.encode()) > 14_000_000
    started = time.perf_counter()
    with pytest.raises(profiles.ProfileError, match="at most 65,536 bytes") as refused:
        profiles.loads(text)
    assert "\n" not in str(refused.value)
    # The Data page hands parse() a definition it built: refused by its count of values.
    with pytest.raises(profiles.ProfileError, match="at most 1,000") as refused:
        profiles.parse(data)
    assert "300,00" in str(refused.value)
    assert time.perf_counter() - started < 5
    # From the command line: refused before anything is read, and nothing saved.
    path = tmp_path / "everything.json"
    path.write_text(text, encoding="utf-8")
    db = tmp_path / "programme.duckdb"
    done = cli("profiles", "import", path, "--db", db, "--user", "ana")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "at most 65,536 bytes" in lines[0], done.stderr
    if db.exists():
        assert query(db, "SELECT count(*) FROM mapping_profiles") == [(0,)]


def test_a_profile_just_within_the_caps_is_still_read() -> None:
    table = {f"Kind {n}": "shadowing" for n in range(profiles.MAX_PROFILE_VALUES - 1)}
    data = {
        "name": "Long list",
        "record_type": "sessions",
        "columns": {"session_id": "Id"},
        "values": {"session_type": table},
    }
    assert len(json.dumps(data)) < profiles.MAX_PROFILE_BYTES
    assert profiles.parse(data).values["session_type"]["Kind 5"] == "shadowing"
    too_many = dict(data, values={"session_type": {**table, "One more": "shadowing"}})
    with pytest.raises(profiles.ProfileError, match="1,001 values"):
        profiles.parse(too_many)


# -- finding 3: a grid register's cost grew with its cells ------------------------------------

ROWS = 180_000
GRID_PROFILE = {
    "name": "Big grid",
    "record_type": "register",
    "form": "grid",
    "grid": {
        "mentor_column": "Mentor",
        "session_type": "group_day",
        "start_time": "10:00",
        "duration_minutes": 300,
    },
}

PREVIEW = """
import json, sys, time
from pathlib import Path
from analysis import database, profiles
from analysis.importer import ImportSource, import_files
db, grid, profile = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
with database.connect(db, create=True):
    pass
started = time.perf_counter()
peek = {}
result = import_files(
    db, [ImportSource.of(grid)], dry_run=True, profile=profiles.loads(profile), peek=peek
)
print(json.dumps({
    "seconds": time.perf_counter() - started,
    # VmHWM: this process's own peak (ru_maxrss would keep the parent's, from before exec)
    "max_rss_mb": int(next(
        l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")
    )) / 1024,
    "error": result.error,
    "landed": result.landed,
}))
"""


def write_grid(path: Path, rows: int, dates: int) -> None:
    import datetime as dt

    days = [dt.date(2024, 1, 1) + dt.timedelta(days=7 * n) for n in range(dates)]
    header = "Mentor," + ",".join(d.strftime("%d/%m/%Y") for d in days) + "\n"
    marks = ("/", "A", "", "L", "x", "", "/", "/")
    line_cells = [marks[n % len(marks)] for n in range(dates)]
    with path.open("w", encoding="utf-8") as f:
        f.write(header)
        for r in range(rows):
            f.write(f"PM-{r:06d}," + ",".join(line_cells) + "\n")


def test_a_50_mb_grid_is_refused_in_one_sentence_quickly_and_in_little_memory(
    tmp_path: Path,
) -> None:
    grid = tmp_path / "register.csv"
    write_grid(grid, rows=ROWS, dates=199)
    assert grid.stat().st_size > 50_000_000
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PREVIEW,
            str(tmp_path / "programme.duckdb"),
            str(grid),
            json.dumps(GRID_PROFILE),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["landed"] is False
    error = str(measured["error"])
    assert f"{ROWS * 199:,} cells" in error and f"at most {profiles.MAX_GRID_CELLS:,}" in error
    assert "\n" not in error
    assert measured["seconds"] < 5, measured
    assert measured["max_rss_mb"] < 300, measured


def test_a_grid_within_the_cap_is_still_read(tmp_path: Path) -> None:
    grid = tmp_path / "register.csv"
    write_grid(grid, rows=40, dates=30)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PREVIEW,
            str(tmp_path / "programme.duckdb"),
            str(grid),
            json.dumps(GRID_PROFILE),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert "at most" not in str(measured["error"])
