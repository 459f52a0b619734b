"""An import lands whole or not at all; re-importing is safe; the keeping-clean tools."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT_ROOT, SAMPLES, cli_env, query, run_import, table_contents

from analysis import admin, database, importer
from analysis.importer import import_files, recheck_rejected
from analysis.metrics import Scope
from analysis.report import build_report
from analysis.settings import Settings

NEW_FILES = {
    "mentors.csv": "mentor_id,cohort,start_date,status\nPM-3,2025 spring,2025-02-01,active\n",
    "sessions.csv": "session_id,session_type,scheduled_start,duration_minutes\n"
    "S-3,training,2025-04-03 10:00,60\n",
    "attendance.csv": "session_id,mentor_id,attendance\nS-3,PM-3,attended\nS-1,PM-1,late\n",
}


def _figures(db: Path) -> dict[str, Any]:
    with database.connect(db) as con:
        return build_report(con, Scope(), Settings(), "manager")


def test_an_import_failing_midway_leaves_the_database_as_it_was(
    seeded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = table_contents(seeded_db)
    real = importer._import_one
    written: list[str] = []

    def fail_after_the_first_file(*args: Any, **kwargs: Any) -> Any:
        if written:
            raise RuntimeError("the disk is full")
        report = real(*args, **kwargs)
        written.append(report.file)
        return report

    monkeypatch.setattr(importer, "_import_one", fail_after_the_first_file)
    with pytest.raises(RuntimeError, match="the disk is full"):
        run_import(seeded_db, NEW_FILES, tmp_path)
    assert written == ["mentors.csv"]  # the first file had been written in the transaction
    assert table_contents(seeded_db) == before
    monkeypatch.undo()
    # and the database still takes the same import afterwards
    result = run_import(seeded_db, NEW_FILES, tmp_path)
    assert result.landed
    assert [f.inserted for f in result.files] == [1, 1, 2]


KILLED_IMPORT = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from analysis import importer
from analysis.importer import ImportSource, import_files
from analysis.settings import Settings

real = importer._import_one
def die_after_the_first_file(*args, **kwargs):
    report = real(*args, **kwargs)
    print("wrote", report.file, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

importer._import_one = die_after_the_first_file
import_files({db!r}, [ImportSource.of(p) for p in {files!r}], settings=Settings())
"""


def test_an_import_killed_midway_leaves_the_database_as_it_was(
    seeded_db: Path, tmp_path: Path
) -> None:
    before = table_contents(seeded_db)
    paths = []
    for name, text in NEW_FILES.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    script = KILLED_IMPORT.format(root=str(PROJECT_ROOT), db=str(seeded_db), files=paths)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env(tmp_path),
    )
    assert result.returncode == -9, result.stderr
    assert result.stdout.strip() == "wrote mentors.csv"
    assert table_contents(seeded_db) == before


# second file of an import → the words its refusal names
REFUSING = [
    ("notes.csv", "name,email\nAlice,a@example.org\n", "fits no record type"),
    ("empty.csv", "", "empty"),
    ("half.csv", "mentor_id,cohort,start_date\nPM-8,2025,2025-01-01\n", "status"),
]


@pytest.mark.parametrize(("name", "text", "says"), REFUSING)
def test_a_file_refused_whole_refuses_the_whole_import(
    seeded_db: Path, tmp_path: Path, name: str, text: str, says: str
) -> None:
    before = table_contents(seeded_db)
    files = {"mentors.csv": NEW_FILES["mentors.csv"], name: text}
    result = run_import(seeded_db, files, tmp_path)
    assert not result.landed
    assert result.files == []
    assert result.error is not None and name in result.error and says in result.error
    assert table_contents(seeded_db) == before  # nothing stored, nothing logged


def test_importing_the_same_files_twice_changes_nothing(db: Path) -> None:
    files = sorted((SAMPLES / "messy").iterdir())
    first = run_import(db, files)
    assert first.landed
    data = {
        t: rows
        for t, rows in table_contents(db).items()
        if t not in ("imports", "import_files", "meta")
    }
    figures = _figures(db)
    second = run_import(db, files)
    assert second.landed
    for a, b in zip(first.files, second.files, strict=True):
        assert (b.file, b.inserted, b.updated) == (a.file, 0, 0)
        assert b.unchanged == a.read - a.duplicates - a.rejected
        assert (b.read, b.duplicates, b.rejected) == (a.read, a.duplicates, a.rejected)
    after = table_contents(db)
    for table, rows in data.items():
        if table == "rejected_rows":  # the same rows, listed once, under the newer import
            assert rows
            assert sorted(r[2:] for r in after[table]) == sorted(r[2:] for r in rows)
        elif table == "import_warnings":  # each import logs its own warnings
            assert sorted(r[1:] for r in after[table]) == sorted(r[1:] for r in rows + rows)
        else:
            assert after[table] == rows, table
    assert _figures(db) == figures
    assert query(db, "SELECT count(*) FROM imports") == [(2,)]


def test_a_dry_run_changes_nothing(seeded_db: Path, tmp_path: Path) -> None:
    before = table_contents(seeded_db)
    dry = run_import(seeded_db, NEW_FILES, tmp_path, dry_run=True)
    assert dry.landed and dry.dry_run and dry.import_id is None
    assert table_contents(seeded_db) == before
    real = run_import(seeded_db, NEW_FILES, tmp_path)
    assert [f.summary() for f in dry.files] == [f.summary() for f in real.files]
    assert table_contents(seeded_db) != before


def test_recheck_imports_rows_whose_mentor_has_arrived(seeded_db: Path, tmp_path: Path) -> None:
    first = run_import(
        seeded_db,
        {
            "attendance.csv": "Session ID,Mentor ID,Attendance\n"
            "S-1,PM-7,present\n"  # PM-7 is not known yet
            "S-1,PM-8,present\n"  # nor PM-8, who never arrives
            "S-1,PM-1,present\n",
            "register.csv": "mentor_id,session_type,scheduled_start,duration_minutes,attendance\n"
            "PM-7,group_day,2025-04-20 10:00,300,yes\n",
            "stages.csv": "mentor_id,assessed_on,stage\nPM-7,2025-04-10,Testing\n",
        },
        tmp_path / "one",
    )
    assert [f.rejected for f in first.files] == [2, 1, 1]
    run_import(
        seeded_db,
        {"mentors.csv": "mentor_id,cohort,start_date,status\nPM-7,2025 spring,2025-04-01,active\n"},
        tmp_path / "two",
    )
    result = recheck_rejected(seeded_db, user="tester", settings=Settings())
    assert result.landed
    counts = {f.file: (f.read, f.inserted, f.rejected) for f in result.files}
    assert counts == {
        "attendance.csv": (2, 1, 1),
        "register.csv": (1, 1, 0),
        "stages.csv": (1, 1, 0),
    }
    assert query(
        seeded_db,
        "SELECT mentor_id, attendance FROM attendance WHERE mentor_id = 'PM-7' ORDER BY session_id",
    ) == [("PM-7", "attended"), ("PM-7", "attended")]
    assert query(seeded_db, "SELECT stage FROM stage_assessments WHERE mentor_id = 'PM-7'") == [
        (5,)
    ]
    # the rows that landed stay on the list as resolved; one is still open
    left = query(
        seeded_db, "SELECT file_name, row_number, reasons FROM rejected_rows WHERE status = 'open'"
    )
    assert query(seeded_db, "SELECT count(*) FROM rejected_rows WHERE status = 'resolved'") == [
        (3,)
    ]
    assert len(left) == 1
    assert left[0][:2] == ("attendance.csv", 3)
    assert any('"PM-8" is not a known mentor' in r for r in left[0][2])
    assert query(seeded_db, "SELECT kind FROM imports ORDER BY import_id DESC LIMIT 1") == [
        ("re-check",)
    ]


def test_erase_mentor_removes_every_trace(seeded_db: Path, tmp_path: Path) -> None:
    code = "PM-ERASE"
    run_import(
        seeded_db,
        {
            "mentors.csv": f"mentor_id,cohort,start_date,status\n{code},2025 spring,2025-01-01,active\n",
            "attendance.csv": f"session_id,mentor_id,attendance\nS-1,{code},attended\n"
            f"S-404,{code},attended\nS-1,PM-2,yes\n",
            # rejected rows keep the text as written: " PM-ERASE " is the same mentor
            "stages.csv": f"mentor_id,assessed_on,stage\n{code},2025-04-10,3\n {code} ,2025-04-11,9\n",
            "milestones.csv": f"mentor_id,milestone,achieved_on\n{code},volunteering,2025-05-01\n",
            "funding.csv": f"mentor_id,funding_stream,from,to\n{code},Lottery,2025-01-01,\n",
            "conduct.csv": "mentor_id,observed_on,kind,category,notes\n"
            f"{code},2025-04-10,concern,teamwork,Talked it through\n"
            "PM-2,2025-04-10,strength,teamwork,\n",
        },
        tmp_path,
    )
    others_before = {
        t: [r for r in rows if code not in repr(r)] for t, rows in table_contents(seeded_db).items()
    }
    counts = admin.erase_mentor(seeded_db, code, user="manager")
    assert counts == {
        "attendance": 1,
        "stage_assessments": 1,
        "milestones": 1,
        "funding": 1,
        "conduct": 1,
        "mentors": 1,
        "rejected_rows": 2,
    }
    after = table_contents(seeded_db)
    assert code not in repr(after)
    audit = query(
        seeded_db, "SELECT user_name, action, detail FROM audit_log WHERE action <> 'import'"
    )
    reference = admin.erasure_reference(code, admin.erasure_key(seeded_db))
    assert audit == [("manager", "erase mentor", f"{reference}: 8 rows erased")]
    assert code not in repr(audit)
    for table in (
        "mentors",
        "sessions",
        "attendance",
        "stage_assessments",
        "milestones",
        "funding",
        "conduct",
    ):
        assert after[table] == others_before[table], table


def test_remove_demo_removes_only_demo_records(seeded_db: Path, tmp_path: Path) -> None:
    before = table_contents(seeded_db)
    demo_files = [tmp_path / name for name in ("mentors.csv", "sessions.csv", "attendance.csv")]
    (tmp_path / "mentors.csv").write_text(
        "mentor_id,cohort,start_date,status\nDM-1,demo,2025-01-01,active\n"
        "DM-2,demo,2025-01-01,active\n"
    )
    (tmp_path / "sessions.csv").write_text(
        "session_id,session_type,scheduled_start,duration_minutes\nDS-1,training,2025-04-04 10:00,60\n"
    )
    (tmp_path / "attendance.csv").write_text(
        "session_id,mentor_id,attendance\nDS-1,DM-1,yes\nDS-1,DM-2,no\nDS-1,DM-9,yes\n"
    )
    result = import_files(
        seeded_db, [importer.ImportSource.of(p) for p in demo_files], settings=Settings(), demo=True
    )
    assert result.landed and admin.has_demo(seeded_db)
    assert query(seeded_db, "SELECT count(*) FROM rejected_rows") == [(2,)]
    counts = admin.remove_demo(seeded_db, user="manager")
    assert counts == {
        "conduct": 0,
        "attendance": 1,
        "stage_assessments": 0,
        "milestones": 0,
        "funding": 0,
        "targets": 0,
        "sessions": 1,
        "mentors": 2,
    }
    assert not admin.has_demo(seeded_db)
    after = table_contents(seeded_db)
    for table in (
        "mentors",
        "sessions",
        "attendance",
        "stage_assessments",
        "milestones",
        "rejected_rows",
    ):
        assert after[table] == before[table], table
    assert (
        json.dumps(query(seeded_db, "SELECT action FROM audit_log WHERE action <> 'import'"))
        == '[["remove demo"]]'
    )


def test_remove_demo_on_a_database_without_demo(seeded_db: Path) -> None:
    before = table_contents(seeded_db)
    assert sum(admin.remove_demo(seeded_db, user=None).values()) == 0
    after = table_contents(seeded_db)
    for table in ("mentors", "sessions", "attendance"):
        assert after[table] == before[table]


def test_the_import_log(seeded_db: Path, tmp_path: Path) -> None:
    result = run_import(seeded_db, NEW_FILES, tmp_path)
    logged = query(
        seeded_db,
        "SELECT i.user_name, f.file_name, f.sha256, f.record_type, f.rows_read, f.inserted, "
        "f.updated, f.unchanged, f.duplicates, f.rejected FROM imports i "
        "JOIN import_files f USING (import_id) WHERE import_id = $id ORDER BY f.file_name",
        {"id": result.import_id},
    )
    expected = []
    for name in sorted(NEW_FILES):
        digest = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        report = next(f for f in result.files if f.file == name)
        expected.append(
            (
                "tester",
                name,
                digest,
                report.type,
                report.read,
                report.inserted,
                report.updated,
                report.unchanged,
                report.duplicates,
                report.rejected,
            )
        )
    assert logged == expected
    assert [row[5] for row in logged] == [2, 1, 1]  # attendance, mentors, sessions
