"""The audit log's light path (analysis/audit_store.py): sign-ins, sign-outs, refused pages and
downloads appended to a small file beside the database, never a change to the database."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis import audit, audit_store, clock
from tests.conftest import PROJECT_ROOT

CLAIMS = {"iss": "http://idp.test", "sub": "s-1", "iat": 1, "nonce": "n", "email_verified": True}


def _write_many(db: str, who: str, n: int) -> None:
    for i in range(n):
        audit_store.append(db, who, "download", f"file-{i}.csv; window 2025-01-01 to 2025-03-31")


def _sign_in_once(db: str, start: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    start.wait()
    audit.record_sign_in(db, "manager@example.org", "manager", CLAIMS, "the-same-session")


def test_an_entry_is_a_line_with_its_utc_time_and_nothing_else(tmp_path: Path) -> None:
    db = tmp_path / "programme.duckdb"
    with clock.frozen(dt.datetime(2027, 6, 15, 13, 5, tzinfo=dt.UTC)):
        assert audit_store.append(db, "funder@example.org", "page refused", "page data")
    path = tmp_path / "programme.duckdb.audit.jsonl"
    assert audit_store.store_path(db) == path
    assert not db.exists()  # no database was made or touched
    (line,) = path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert set(entry) == {"id", "at", "user", "action", "detail"}
    assert entry["at"] == "2027-06-15T13:05:00.000000+00:00"
    assert (entry["user"], entry["action"], entry["detail"]) == (
        "funder@example.org",
        "page refused",
        "page data",
    )
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only
    table = audit_store.frame(db)
    assert list(table.columns) == ["logged_at", "user_name", "action", "detail"]
    assert table["logged_at"].tolist() == [dt.datetime(2027, 6, 15, 13, 5)]


def test_two_writers_at_once_lose_nothing_and_never_interleave(tmp_path: Path) -> None:
    db = str(tmp_path / "programme.duckdb")
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_write_many, args=(db, who, 300)) for who in ("a@x.org", "b@x.org")
    ]
    for w in workers:
        w.start()
    _write_many(db, "c@x.org", 300)  # and this process as a third
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    lines = Path(db + audit_store.SUFFIX).read_bytes().split(b"\n")
    assert lines[-1] == b""
    entries = [json.loads(line) for line in lines[:-1]]  # every line is one whole entry
    assert len(entries) == 900
    assert len({e["id"] for e in entries}) == 900
    for who in ("a@x.org", "b@x.org", "c@x.org"):
        mine = [e["detail"].split(";")[0] for e in entries if e["user"] == who]
        assert mine == [f"file-{i}.csv" for i in range(300)]  # each writer's order kept


def test_one_sign_in_written_once_when_two_processes_race(tmp_path: Path) -> None:
    db = str(tmp_path / "programme.duckdb")
    context = multiprocessing.get_context("fork")
    start = context.Event()
    racers = [context.Process(target=_sign_in_once, args=(db, start)) for _ in range(4)]
    for r in racers:
        r.start()
    start.set()
    for r in racers:
        r.join(60)
        assert r.exitcode == 0
    rows = [e for e in audit_store.entries(db) if e["action"] == "sign in"]
    assert len(rows) == 1
    # ... and this process, which read the file before, sees it too
    assert not audit.record_sign_in(
        db, "manager@example.org", "manager", CLAIMS, "the-same-session"
    )


def test_a_sign_out_ends_the_session_for_every_process(tmp_path: Path) -> None:
    db = tmp_path / "programme.duckdb"
    assert not audit.signed_out(db, "s1")
    context = multiprocessing.get_context("fork")
    other = context.Process(target=audit.record_sign_out, args=(db, "m@x.org", "s1"))
    other.start()
    other.join(60)
    assert audit.signed_out(db, "s1")
    assert not audit.signed_out(db, "s2")


def test_a_line_still_being_written_is_not_read(tmp_path: Path) -> None:
    db = tmp_path / "programme.duckdb"
    audit_store.append(db, "a@x.org", "sign out", "session s1", once="sign out:s1")
    with audit_store.store_path(db).open("ab") as f:
        f.write(b'{"id":"half","at":"2027-01-01T00:00:00+00:00","key":"sign out:s2"')
    assert [e["user"] for e in audit_store.entries(db)] == ["a@x.org"]
    assert audit.signed_out(db, "s1") and not audit.signed_out(db, "s2")


def test_a_writer_that_waited_on_a_replaced_file_appends_to_the_new_one(tmp_path: Path) -> None:
    db = tmp_path / "programme.duckdb"
    audit_store.append(db, "a@x.org", "download", "PM-0042.csv")
    with audit_store._locked(audit_store.store_path(db)) as held:
        pid = os.fork()
        if pid == 0:  # the child waits for the lock, then finds the file replaced
            try:
                os.close(held)  # the parent's lock is the parent's
                audit_store.append(db, "b@x.org", "download", "other.csv")
            finally:
                os._exit(0)
        time.sleep(0.3)
        audit_store._rewrite(db, audit_store.entries(db))
    os.waitpid(pid, 0)
    assert [e["user"] for e in audit_store.entries(db)] == ["a@x.org", "b@x.org"]


def test_an_erased_code_is_replaced_by_its_reference_in_none_of_the_bytes(tmp_path: Path) -> None:
    db = tmp_path / "programme.duckdb"
    audit_store.append(db, "m@x.org", "download", "sessions-PM-0042.csv")
    audit_store.append(db, "m@x.org", "sign in", "role manager")
    assert audit_store.replace_text(db, "PM-0042", "hmac-sha256:abc") == 1
    data = audit_store.store_path(db).read_bytes()
    assert b"PM-0042" not in data and b"hmac-sha256:abc" in data
    assert len(audit_store.entries(db)) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["programme.duckdb.audit.jsonl"]
    before = audit_store.store_path(db).stat().st_ino
    assert audit_store.replace_text(db, "PM-9999", "x") == 0  # nothing to erase: untouched
    assert audit_store.store_path(db).stat().st_ino == before


def test_a_backup_copy_merges_back_without_duplicates(tmp_path: Path) -> None:
    db = tmp_path / "programme.duckdb"
    for i in range(3):
        audit_store.append(db, "m@x.org", "download", f"f{i}.csv")
    copy = tmp_path / "copy.jsonl"
    assert audit_store.copy_to(db, copy) == 3
    fresh = tmp_path / "new" / "programme.duckdb"
    assert audit_store.merge_from(fresh, copy) == 3
    audit_store.append(fresh, "m@x.org", "download", "after.csv")
    assert audit_store.merge_from(fresh, copy) == 0
    assert [e["detail"] for e in audit_store.entries(fresh)] == [
        "f0.csv",
        "f1.csv",
        "f2.csv",
        "after.csv",
    ]


@pytest.mark.parametrize("verified", [True, False])
def test_a_sign_in_entry_holds_what_the_old_audit_held_and_no_more(
    tmp_path: Path, verified: bool
) -> None:
    db = tmp_path / "programme.duckdb"
    claims = CLAIMS | {
        "email_verified": verified,
        "name": "Jo Bloggs",
        "given_name": "Jo",
        "phone_number": "07700 900123",
        "address": {"street_address": "1 High St"},
        "picture": "http://idp.test/jo.png",
    }
    audit.record_sign_in(db, "jo@example.org", "manager" if verified else None, claims, "sess")
    raw = audit_store.store_path(db).read_text(encoding="utf-8")
    for private in ("Jo Bloggs", "07700", "High St", "jo.png", '"Jo"'):
        assert private not in raw
    (entry,) = audit_store.entries(db)
    assert entry["user"] == "jo@example.org"
    assert entry["detail"] == (
        f"role {'manager' if verified else 'none'}; subject s-1; issuer http://idp.test; "
        f"e-mail verified {'yes' if verified else 'no'}; session sess"
    )


# -- downloads: made on click, each one audited through the light path -----------------------


def test_a_download_is_made_on_click_and_audited_without_a_database_change(
    seeded_db: Path,
) -> None:
    from analysis import metrics
    from analysis.settings import Settings
    from pages import frame

    scope = metrics.Scope(
        dt.date(2025, 4, 1),
        dt.date(2025, 6, 30),
        cohorts=("2025 Q3",),
        outreach_workers=("Jo Staff",),
        regions=("North. [East]",),
    )
    ctx = frame.PageContext(
        access=frame.Access(frame.MANAGER, "manager@example.org", True),
        settings=Settings(),
        db_path=str(seeded_db),
        version=1,
        scope=scope,
        window=(dt.date(2025, 4, 1), dt.date(2025, 6, 30)),
        has_demo=False,
    )
    made: list[str] = []

    def make(con: object) -> bytes:
        made.append("made")
        row = con.execute("SELECT min(mentor_id) FROM mentors").fetchone()  # type: ignore[attr-defined]
        return f"code\n{row[0]}\n".encode()

    published = (seeded_db.stat().st_ino, seeded_db.stat().st_mtime_ns)
    build = frame.on_click(ctx, "mentors.csv", make)
    assert made == [] and audit_store.entries(seeded_db) == []  # nothing until the click
    data = build()
    code = data.decode().split("\n")[1]
    assert made == ["made"]
    (entry,) = audit_store.entries(seeded_db)
    assert (entry["user"], entry["action"]) == ("manager@example.org", "download")
    assert entry["detail"] == (
        "mentors.csv; page overview; window 2025-04-01 to 2025-06-30; cohort 2025 Q3; "
        f"outreach_worker 1 chosen; region North. [East]; {len(data)} bytes"
    )
    raw = audit_store.store_path(seeded_db).read_text(encoding="utf-8")
    assert code not in raw and "Jo Staff" not in raw  # the file's contents and staff: never
    assert (seeded_db.stat().st_ino, seeded_db.stat().st_mtime_ns) == published


@pytest.mark.parametrize("count", [0, 1, 5, 3000])
def test_the_last_entries_are_read_from_the_end(tmp_path: Path, count: int) -> None:
    db = tmp_path / "programme.duckdb"
    for i in range(count):
        audit_store.append(db, "m@x.org", "download", f"file-{i}.csv; " + "x" * (i % 97))
    with audit_store.store_path(db).open("ab") as f:
        f.write(b'{"id":"half-written"')  # a line still being written is not read
    for limit in (1, 200, 5000):
        got = [e["detail"].split(";")[0] for e in audit_store.last_entries(db, limit)]
        assert got == [f"file-{i}.csv" for i in range(max(0, count - limit), count)]
    assert audit_store.frame(db, limit=2)["detail"].tolist() == [
        e["detail"] for e in audit_store.entries(db)[-2:]
    ]


def test_a_sign_out_survives_archiving_the_log(tmp_path: Path) -> None:
    """Security re-probe, finding 4: after `<db>.audit.jsonl` was moved away as OPERATIONS.md
    says to archive it, and the dashboard restarted, a cookie copied before its sign-out was
    accepted again. The check runs in a new process (a restarted dashboard)."""
    db = tmp_path / "data" / "programme.duckdb"
    audit.record_sign_in(db, "manager@example.org", "manager", CLAIMS, "copied-session")
    audit.record_sign_out(db, "manager@example.org", "copied-session")
    archive = tmp_path / "archive"
    archive.mkdir()
    audit_store.store_path(db).rename(archive / audit_store.store_path(db).name)
    assert not audit_store.store_path(db).exists()
    check = (
        "import sys; from analysis import audit; "
        "print(audit.signed_out(sys.argv[1], 'copied-session'), "
        "audit.signed_out(sys.argv[1], 'another-session'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", check, str(db)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.split() == ["True", "False"]
    # A sign-out logged by an older release (in the log only) still counts.
    audit_store.append(db, "m@x.org", "sign out", "session old", once="sign out:old")
    assert audit.signed_out(db, "old")
