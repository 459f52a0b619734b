"""Recovery on the Data page (AppTest): undo the last import, restore any of the last five
snapshots, remove the demo only after asking (and undo it), and a damaged or newer database at
start-up: one sentence, the file untouched, the newest good snapshot offered to a manager.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from analysis import admin, database, snapshots
from tests.conftest import DEMO_END, query, run_import

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("recovery") / "demo.duckdb"
    assert admin.create_demo(db, mentors=15, end=DEMO_END).landed
    return db


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data" / "programme.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(template, copy)
    return copy


def open_data_page(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in (*at.success, *at.error, *at.warning, *at.info))


def mentors(db: Path) -> list[str]:
    return [r[0] for r in query(db, "SELECT mentor_id FROM mentors ORDER BY 1")]


def audit(db: Path, action: str) -> list[tuple[str, str]]:
    return query(db, "SELECT user_name, detail FROM audit_log WHERE action = $a", {"a": action})


def add_mentor(db: Path, code: str, folder: Path) -> None:
    text = f"mentor_id,cohort,start_date,status\n{code},Real,2026-01-05,active\n"
    assert run_import(db, {f"{code}.csv": text}, folder / code).landed


def test_the_last_import_is_undone_after_asking(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = mentors(db)
    add_mentor(db, "REAL-1", tmp_path)
    assert "REAL-1" in mentors(db)
    at = open_data_page(db, monkeypatch)
    at.button(key="undo_last_import").click().run()
    assert "Undo the last import?" in texts(at)
    assert "REAL-1" in mentors(db)  # asking changes nothing
    at.button(key="undo_cancel").click().run()
    assert "Undo the last import?" not in texts(at)
    assert "REAL-1" in mentors(db)
    at.button(key="undo_last_import").click().run()
    at.button(key="undo_yes").click().run()
    assert not at.exception
    assert mentors(db) == before
    assert "Restored the records as they were" in texts(at)
    (entry,) = audit(db, "restore snapshot")
    assert entry[0] == "local" and "-import.duckdb" in entry[1]
    # and the undo can itself be undone
    kept = snapshots.last_before(db, "restore")
    assert kept is not None and "REAL-1" in [
        r[0] for r in query(kept.path, "SELECT mentor_id FROM mentors")
    ]


def test_any_of_the_last_five_snapshots_can_be_restored(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(1, 7):
        add_mentor(db, f"REAL-{n}", tmp_path)
    listed = snapshots.list_snapshots(db)
    assert len(listed) == snapshots.KEEP
    oldest = listed[0]  # taken before REAL-2 was imported
    at = open_data_page(db, monkeypatch)
    box = at.selectbox(key="restore_choice")
    assert len(box.options) == snapshots.KEEP
    # Labelled by number, so snapshots taken within one second stay apart.
    choice = [o for o in box.options if o.startswith(f"No. {oldest.number}: ")]
    assert len(choice) == 1
    box.select(choice[0]).run()
    at.button(key="restore_snapshot").click().run()
    assert "Restore the records as they were" in texts(at)
    at.button(key="undo_yes").click().run()
    assert not at.exception
    got = mentors(db)
    assert "REAL-1" in got and "REAL-2" not in got and "REAL-6" not in got
    (entry,) = audit(db, "restore snapshot")
    assert oldest.name in entry[1]


def test_removing_the_demo_asks_first_and_can_be_undone(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = mentors(db)
    at = open_data_page(db, monkeypatch)
    [b for b in at.button if b.label == "Remove demo data"][0].click().run()
    assert mentors(db) == before  # one click deletes nothing
    assert "Remove every demo record" in texts(at)
    at.button(key="remove_demo_cancel").click().run()
    assert mentors(db) == before
    assert "Remove every demo record" not in texts(at)
    [b for b in at.button if b.label == "Remove demo data"][0].click().run()
    at.button(key="remove_demo_yes").click().run()
    assert not at.exception
    assert mentors(db) == []
    assert "Changed your mind?" in texts(at)
    assert len(audit(db, "remove demo")) == 1
    kept = snapshots.last_before(db, "remove-demo")
    assert kept is not None
    # undo it from the same page
    box = at.selectbox(key="restore_choice")
    (choice,) = [o for o in box.options if "removing the demo data" in o]
    box.select(choice).run()
    at.button(key="restore_snapshot").click().run()
    at.button(key="undo_yes").click().run()
    assert not at.exception
    assert mentors(db) == before
    assert any(kept.name in detail for _, detail in audit(db, "restore snapshot"))
    assert any("demo data" in str(i.value) for i in at.info)  # the demo banner is back


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_damaged_database_offers_the_newest_good_snapshot_and_overwrites_nothing(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_mentor(db, "REAL-1", tmp_path)
    good = snapshots.list_snapshots(db)[-1]
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    damaged = sha256(db)
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    assert not at.exception
    (error,) = at.error
    assert "cannot be opened" in str(error.value) and "left exactly as it is" in str(error.value)
    assert sha256(db) == damaged
    at.button(key="restore_good").click().run()
    assert sha256(db) == damaged  # still only asked
    at.button(key="damaged_yes").click().run()
    assert not at.exception
    assert "REAL-1" not in mentors(db) and mentors(db)
    kept = snapshots.last_before(db, "restore")
    assert kept is not None and sha256(kept.path) == damaged  # the damaged file is kept too
    assert any(good.name in d for _, d in audit(db, "restore snapshot"))
    at.run()  # the next interaction shows the programme again
    assert not at.exception and not at.error


def test_a_funder_sees_no_recovery_controls(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pages import recovery

    db.write_bytes(b"\0" * 10_000)
    calls: list[bool] = []
    real = recovery.damaged_view

    def spy(path: str, problem: database.DatabaseError, is_manager: bool, user: str) -> None:
        calls.append(is_manager)
        real(path, problem, False, user)

    monkeypatch.setattr(recovery, "damaged_view", spy)
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    assert calls == [True]  # sign-in is off here: the local user is a manager
    assert not at.button and "needs the programme manager" in str(at.error[0].value)


def test_a_database_from_a_newer_release_is_refused_on_the_page_untouched(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE meta SET value = $v WHERE key = 'schema_version'",
        {"v": str(database.SCHEMA_VERSION + 1)},
    )
    con.close()
    before = sha256(db)
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    assert not at.exception
    (error,) = at.error
    assert "newer release" in str(error.value)
    assert sha256(db) == before
