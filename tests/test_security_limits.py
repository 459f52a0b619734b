"""Size limits on what an import reads besides its records (security re-probe, findings 3, 9).

Finding 9: a mapping profile had no size limit; a 14 MB one added 2.2 s and 85 MB to every
import. Now a profile above 64 KB or 1,000 values is refused in one sentence, from a file, from
the command line, and from a definition the Data page builds.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analysis import profiles
from tests.conftest import query

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
