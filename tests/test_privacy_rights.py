"""Keeping records no longer than needed, and everything we hold about one person (DATA.md,
third release): the retention rule (`python -m analysis retention`) and the subject-access
workbook (`python -m analysis subject-access`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from analysis import audit_store, clock, database, retention, snapshots, subject_access
from tests.conftest import A, M, S, build, query, table_contents

TODAY = dt.date(2030, 6, 15)  # a fixed today: the rule never depends on the real date
LEFT = {"PM-2Y": "2028-06-01", "PM-6Y": "2024-06-01", "PM-7Y": "2023-06-01", "PM-STAY": None}
ERASED = ("PM-6Y", "PM-7Y")  # more than five years before TODAY
Cli = Callable[..., subprocess.CompletedProcess[str]]


def note(code: str) -> str:
    return f"Spoke about the hearing, private to {code}"


def make_db(path: Path) -> Path:
    codes = list(LEFT)
    build(
        path,
        mentors=[
            M(c, start="2020-01-01", end=e, status="completed" if e else "active")
            for c, e in LEFT.items()
        ],
        sessions=[S(f"S-{n}", "shadowing", f"2022-0{n}-01 10:00") for n in range(1, 4)],
        attendance=[A(f"S-{n}", c, "attended") for n in range(1, 4) for c in codes],
        stages=[(c, "2022-02-01", 3, 12) for c in codes],
        milestones=[(c, "training_completed", "2022-03-01") for c in codes],
    )
    with database.connect(path) as con:
        for c in codes:
            con.execute(
                "UPDATE attendance SET notes = $n WHERE mentor_id = $c", {"n": note(c), "c": c}
            )
            con.execute(
                "INSERT INTO funding VALUES ($c, 'Lottery', '2021-01-01', NULL, false, NULL)",
                {"c": c},
            )
            con.execute(
                "INSERT INTO conduct (mentor_id, observed_on, kind, category, severity, notes) "
                "VALUES ($c, '2022-02-10', 'concern', 'boundaries', 'low', $n)",
                {"c": c, "n": note(c)},
            )
            con.execute(
                "INSERT INTO rejected_rows (import_id, file_name, record_type, row_number, "
                "original_values, reasons) VALUES (1, 'old.csv', 'milestones', 2, $v, ['bad'])",
                {"v": json.dumps({"mentor_id": f" {c} ", "milestone": "first_job"})},
            )
    return path


@pytest.fixture
def programme(tmp_path: Path) -> Path:
    db = make_db(tmp_path / "data" / "programme.duckdb")
    snapshots.take_snapshot(db, "import")  # erasure reaches the snapshots too
    with database.connect(db) as con:
        con.execute("UPDATE mentors SET region = 'South' WHERE mentor_id = 'PM-STAY'")
    snapshots.take_snapshot(db, "import")
    return db


def every_byte(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(db.parent.rglob("*")) if p.is_file())


def digest_of_records(db: Path) -> str:
    """The database and its snapshots, byte for byte (the light path aside)."""
    files = [p for p in sorted(db.parent.rglob("*")) if p.is_file() and "audit" not in p.name]
    files = [p for p in files if not p.name.endswith((".revoked.jsonl", ".writer"))]
    return hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in files)).hexdigest()


def test_retention_erases_exactly_those_beyond_the_rule_and_leaves_no_byte_of_them(
    programme: Path,
) -> None:
    data = every_byte(programme)
    for code in LEFT:
        assert code.encode() in data and note(code).encode() in data
    before = table_contents(programme)
    digest = digest_of_records(programme)
    with clock.frozen(TODAY):
        found = retention.dry_run(programme, 5, "manager@example.org")
    # The dry run: how many and the oldest end date; nothing changed.
    assert (found.count, found.oldest) == (2, dt.date(2023, 6, 1))
    assert found.sentence().startswith("2 mentors whose end date is more than 5 years before ")
    assert table_contents(programme) == before
    assert digest_of_records(programme) == digest
    with clock.frozen(TODAY):
        done = retention.apply(programme, 5, "manager@example.org")
    assert done.count == 2
    left = {r[0] for r in query(programme, "SELECT mentor_id FROM mentors")}
    assert left == {"PM-2Y", "PM-STAY"}
    for table in ("attendance", "stage_assessments", "milestones", "funding", "conduct"):
        kept = {r[0] for r in query(programme, f"SELECT DISTINCT mentor_id FROM {table}")}
        assert kept == {"PM-2Y", "PM-STAY"}, table
    assert len(query(programme, "SELECT * FROM rejected_rows")) == 2
    # No byte of them anywhere in the data folder: the database, the snapshots, the light path.
    data = every_byte(programme)
    for code in ERASED:
        assert code.encode() not in data and note(code).encode() not in data
    for code in ("PM-2Y", "PM-STAY"):
        assert code.encode() in data and note(code).encode() in data
    for snap in snapshots.list_snapshots(programme):
        codes = {r[0] for r in query(snap.path, "SELECT mentor_id FROM mentors")}
        assert not codes & set(ERASED)
    # Audited: how many and by whom, never which codes.
    logged = query(
        programme,
        "SELECT user_name, detail FROM audit_log WHERE action = 'retention'",
    )
    assert len(logged) == 1 and logged[0][0] == "manager@example.org"
    assert "erased 2 mentor(s)" in logged[0][1]
    light = [e for e in audit_store.entries(programme) if e["action"] == "retention (dry run)"]
    assert len(light) == 1 and "would erase 2 mentor(s)" in str(light[0]["detail"])
    for code in LEFT:
        assert code not in logged[0][1] and code not in str(light[0]["detail"])


def test_retention_from_the_command_line_dry_run_first(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "programme.duckdb"
    build(db, mentors=[M("PM-OLD", start="1990-01-01", end="1995-03-01"), M("PM-NOW")])
    before = table_contents(db)
    done = cli("retention", "--db", db, "--older-than-years", "20")
    assert done.returncode == 0, done.stderr
    assert "1 mentor whose end date is more than 20 years" in done.stdout
    assert "the oldest end date is 01/03/1995" in done.stdout and "add --apply" in done.stdout
    assert "PM-OLD" not in done.stdout
    assert table_contents(db) == before
    refused = cli("retention", "--db", db)  # no rule set, none given
    assert refused.returncode == 2 and "retention_years" in refused.stderr
    done = cli("retention", "--db", db, "--older-than-years", "20", "--apply", "--user", "ana")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Erased 1 mentor whose")
    assert [r[0] for r in query(db, "SELECT mentor_id FROM mentors")] == ["PM-NOW"]


def workbook_rows(data: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def test_subject_access_holds_every_stored_row_about_one_mentor_and_none_about_another(
    programme: Path, tmp_path: Path, cli: Cli
) -> None:
    out = tmp_path / "out" / "PM-STAY.xlsx"
    done = cli("subject-access", "--db", programme, "PM-STAY", "--out", out, "--user", "ana")
    assert done.returncode == 0, done.stderr
    sheets = workbook_rows(out.read_bytes())
    assert list(sheets)[0] == "About this workbook"
    tables = retention.person_tables()
    assert set(tables) <= set(sheets) and "rejected_rows" in sheets
    with database.read(programme) as con:
        for table in tables:
            columns = subject_access._columns(con, table)
            select = ", ".join(f'"{c}"' for c in columns)
            stored = con.execute(
                f"SELECT {select} FROM {table} WHERE mentor_id = 'PM-STAY'"
            ).fetchall()
            got = sheets[table][1:]
            assert len(got) == len(stored) > 0, table
            width = len(columns)
            assert sorted(map(repr, (r[:width] for r in got))) == sorted(
                repr(tuple(_as_excel(v) for v in row)) for row in stored
            ), table
    assert len(sheets["rejected_rows"]) == 2  # the header and the one row naming the code
    assert "PM-STAY" in str(sheets["rejected_rows"][1])
    cover = " ".join(str(c) for row in sheets["About this workbook"] for c in row if c)
    assert "Made " in cover and "attendance" in cover
    every = json.dumps({k: [list(map(str, r)) for r in v] for k, v in sheets.items()})
    for other in ("PM-2Y", "PM-6Y", "PM-7Y"):
        assert other not in every and note(other) not in every
    assert note("PM-STAY") in every
    # Audited (the light path: never the code).
    logged = [e for e in audit_store.entries(programme) if e["action"] == "subject access"]
    assert len(logged) == 1 and logged[0]["user"] == "ana" and "PM-STAY" not in str(logged[0])
    missing = cli("subject-access", "--db", programme, "PM-NOBODY", "--out", tmp_path / "x.xlsx")
    assert missing.returncode == 1 and "no mentor with the code" in missing.stderr


def _as_excel(value: object) -> object:
    """What a stored value reads back as from the workbook."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return value


# -- the pages: the Data page's confirmed button, the Mentor journey's download ---------------


def _app(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: str = "") -> Any:
    from streamlit.testing.v1 import AppTest

    from tests.test_access import ROOT

    monkeypatch.setenv("DASHBOARD_DB", str(db))
    path = tmp_path / "settings.toml"
    path.write_text(settings, encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(path))
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)


def test_the_data_page_shows_the_count_and_erases_only_when_confirmed(
    programme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(programme, tmp_path, monkeypatch, "retention_years = 5\n")
    with clock.frozen(TODAY):
        at.run()
        at.switch_page("pages/data.py").run()
        assert not at.exception
        said = " ".join(str(m.value) for m in at.markdown)
        assert "2 mentors whose end date is more than 5 years before 15/06/2030" in said
        assert "PM-6Y" not in said and "PM-7Y" not in said
        button = [b for b in at.button if b.label == "Erase records older than the rule"][0]
        assert button.disabled  # not until confirmed
        at.checkbox(key="retention_confirm").check().run()
        [b for b in at.button if b.label == "Erase records older than the rule"][0].click().run()
        assert not at.exception
    assert any("Erased 2 mentors" in str(s.value) for s in at.success)
    left = {r[0] for r in query(programme, "SELECT mentor_id FROM mentors")}
    assert left == {"PM-2Y", "PM-STAY"}
    assert query(programme, "SELECT user_name FROM audit_log WHERE action = 'retention'") == [
        ("local",)
    ]


def test_the_mentor_journey_offers_everything_we_hold_to_a_manager(
    programme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.runtime.media_file_manager import MediaFileManager

    made: dict[str, Callable[[], Any]] = {}
    real = MediaFileManager.add_deferred

    def add_deferred(self: MediaFileManager, data_callable: Any, *args: Any, **kw: Any) -> str:
        made[str(kw.get("file_name") or args[2])] = data_callable
        return real(self, data_callable, *args, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    at = _app(programme, tmp_path, monkeypatch)
    at.run()
    at.switch_page("pages/mentor_journey.py").run()
    at.sidebar.selectbox(key="filter_window").set_value("Programme to date").run()
    at.selectbox(key="journey_mentor").set_value("PM-STAY").run()
    assert not at.exception
    labels = [d.label for d in at.get("download_button")]
    assert "Everything we hold about this person" in labels
    data = made["everything-held-PM-STAY.xlsx"]()
    sheets = workbook_rows(data)
    every = json.dumps({k: [list(map(str, r)) for r in v] for k, v in sheets.items()})
    assert note("PM-STAY") in every and "PM-2Y" not in every
    assert len(sheets["attendance"]) == 4  # the header and three sessions
    logged = [e for e in audit_store.entries(programme) if e["action"] == "download"]
    assert logged and str(logged[-1]["detail"]).startswith(
        "subject-access.xlsx; page mentor_journey"
    )
    assert "PM-STAY" not in str(logged[-1])


def test_a_newly_declared_record_type_about_a_person_joins_both(
    programme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record type about a person added by a later release (here a made-up `supervision`)
    is erased by the rule and put in the workbook because it is declared, with nothing else to
    change (conduct joined this way)."""
    from analysis import records

    supervision = records.RecordType(
        "supervision",
        "supervision",
        (records.Column("mentor_id", "id", True), records.Column("notes", "text")),
        ("mentor_id",),
    )
    monkeypatch.setitem(records.RECORD_TYPES, "supervision", supervision)
    with database.connect(programme) as con:
        con.execute("CREATE TABLE supervision (mentor_id VARCHAR, notes VARCHAR)")
        for code in LEFT:
            con.execute("INSERT INTO supervision VALUES ($c, $n)", {"c": code, "n": f"seen {code}"})
    with database.read(programme) as con:
        sheets = workbook_rows(subject_access.workbook(con, "PM-STAY", dt.datetime(2030, 1, 1)))
    assert sheets["supervision"] == [("mentor_id", "notes"), ("PM-STAY", "seen PM-STAY")]
    with clock.frozen(TODAY):
        retention.apply(programme, 5, "manager@example.org")
    kept = {r[0] for r in query(programme, "SELECT mentor_id FROM supervision")}
    assert kept == {"PM-2Y", "PM-STAY"}
