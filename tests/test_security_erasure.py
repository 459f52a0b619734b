"""Erasure leaves no trace (security probe, finding 10): the audit reference is a keyed HMAC that
trying every code cannot reverse, and the database file is rewritten so the erased code and
notes are in none of its bytes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from analysis import admin, audit_store, database, snapshots
from tests.conftest import query

CODE = "PM-4242"
NOTE = "Told her mentor about the hearing on Tuesday"


@pytest.fixture
def erasable(demo_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "data" / "programme.duckdb"
    db.parent.mkdir()
    shutil.copy(demo_db, db)
    first = str(query(db, "SELECT min(mentor_id) FROM mentors")[0][0])
    with database.connect(db) as con:
        for table in ("mentors", "attendance", "stage_assessments", "milestones"):
            con.execute(
                f"UPDATE {table} SET mentor_id = $c WHERE mentor_id = $o", {"c": CODE, "o": first}
            )
        con.execute("UPDATE attendance SET notes = $n WHERE mentor_id = $c", {"n": NOTE, "c": CODE})
        con.execute(
            "UPDATE stage_assessments SET notes = $n WHERE mentor_id = $c", {"n": NOTE, "c": CODE}
        )
        con.execute("CHECKPOINT")
    return db


def every_byte(db: Path) -> bytes:
    """Every file in the database's folder and below: the database, anything DuckDB might have
    left beside it (its log, a working copy), the audit log's light path, the snapshots."""
    return b"".join(p.read_bytes() for p in sorted(db.parent.rglob("*")) if p.is_file())


def test_the_erased_code_and_notes_are_in_none_of_the_files_bytes(erasable: Path) -> None:
    # Snapshots taken before the erasure: one a second name for the published file (a hard
    # link), one a copy of an older version; and a write-ahead log a crash might have left.
    linked = snapshots.take_snapshot(erasable, "import")
    with database.connect(erasable) as con:
        con.execute("UPDATE mentors SET status = status")
    copied = snapshots.take_snapshot(erasable, "recheck")
    assert linked is not None and copied is not None
    # Were a code ever to reach the audit log's light path (it should not), erasure covers it.
    audit_store.append(erasable, "manager", "download", f"journey-{CODE}.csv; page journey")
    assert CODE.encode() in every_byte(erasable) and NOTE.encode() in every_byte(erasable)
    counts = admin.erase_mentor(erasable, CODE, user="manager")
    assert counts["mentors"] == 1 and counts["attendance"] > 0
    data = every_byte(erasable)
    assert CODE.encode() not in data
    assert NOTE.encode() not in data
    assert CODE.encode("utf-16-le") not in data
    # Nothing else was lost, and the file is a working database.
    assert query(erasable, "SELECT count(*) FROM mentors WHERE mentor_id = $c", {"c": CODE}) == [
        (0,)
    ]
    assert query(erasable, "SELECT count(*) FROM mentors")[0][0] > 10
    assert len(snapshots.list_snapshots(erasable)) == 2  # kept, rewritten, still restorable
    assert all(snapshots.is_good(s) for s in snapshots.list_snapshots(erasable))
    # No working copy left: only the writer's lock file (empty) and the record of the version
    # written (its inode, size and time); the key's draft is gone.
    left = sorted(p.name for p in erasable.parent.iterdir() if p.name.startswith("."))
    assert left == [f".{erasable.name}.writer", f".{erasable.name}.written"]
    assert set(json.loads((erasable.parent / left[1]).read_text())) == {"inode", "size", "mtime_ns"}
    reference = admin.erasure_reference(CODE, admin.erasure_key(erasable))
    assert any(reference in str(e["detail"]) for e in audit_store.entries(erasable))


def test_without_the_key_trying_every_code_finds_nothing(erasable: Path) -> None:
    admin.erase_mentor(erasable, CODE, user="manager")
    (detail,) = query(erasable, "SELECT detail FROM audit_log WHERE action = 'erase mentor'")[0]
    assert CODE not in detail
    reference = str(detail).split(":")[0] + ":" + str(detail).split(":")[1]
    # The probe's attack: every code from PM-0000 to PM-9999, hashed as the first release did.
    guesses = {f"PM-{n:04d}" for n in range(10000)}
    for guess in guesses:
        digest = hashlib.sha256(guess.encode()).hexdigest()
        assert digest[:16] not in reference and digest not in reference
    # Whoever holds the key can still answer "was PM-4242 erased?".
    key = admin.erasure_key(erasable)
    assert reference == admin.erasure_reference(CODE, key)
    assert admin.erasure_reference(CODE, b"another key of enough length......") != reference
    assert admin.key_path(erasable).stat().st_mode & 0o077 == 0  # owner only
    assert not (erasable.parent / admin.KEY_FILE).exists()  # not beside the database


def test_the_key_can_come_from_the_environment(
    erasable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(admin.KEY_ENV, "k" * 40)
    assert admin.erasure_key(erasable) == b"k" * 40
    assert not (erasable.parent / admin.KEY_FILE).exists()
