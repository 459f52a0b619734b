"""`python -m analysis`: import, report, demo, remove-demo; errors are one line, never a trace."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE_MENTORS, BASE_SESSIONS, DEMO_END, query, write_file

from analysis import cli as cli_module
from analysis import clock, privacy

Cli = Callable[..., subprocess.CompletedProcess[str]]
SUMMARY_KEYS = [
    "file",
    "type",
    "read",
    "inserted",
    "updated",
    "unchanged",
    "duplicates",
    "rejected",
    "warnings",
]


@pytest.fixture
def clean_copy(clean_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "clean.duckdb"
    shutil.copy(clean_db, target)
    return target


@pytest.fixture(autouse=True)
def default_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """In-process runs use the default settings, whatever settings.toml the machine has."""
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(tmp_path / "no-settings.toml"))
    monkeypatch.delenv("DASHBOARD_DB", raising=False)


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = cli_module.main(args)
    except SystemExit as exc:  # argparse's own --help exits; nothing else may
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str) -> None:
    assert code != 0
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


# ------------------------------------------------------------------------------------ errors

# arguments ({db} an existing database, {missing} no file, {file} a good CSV, {refused} a CSV
# fitting no type, {text} a file that is not a database) → words the one-line error says
ERRORS = [
    ([], "command"),
    (["frobnicate"], "invalid choice"),
    (["report"], "--db"),
    (["report", "--db", "{missing}"], "no database"),
    (["report", "--db", "{text}"], "cannot be opened"),
    (["report", "--db", "{db}", "--from", "2025-13-01"], "not a date"),
    (["report", "--db", "{db}", "--from", "01/02/2025"], "not a date"),
    (["report", "--db", "{db}", "--to", "yesterday"], "not a date"),
    (["report", "--db", "{db}", "--from", "2025-06-01", "--to", "2025-01-01"], "after"),
    (["report", "--db", "{db}", "--audience", "public"], "invalid choice"),
    (["report", "--db", "{db}", "--format", "xml"], "invalid choice"),
    (["report", "--db", "{db}", "--format", "pdf"], "--out"),
    (["report", "--db", "{db}", "--colour", "red"], "unrecognized arguments"),
    (["import", "--db", "{db}"], "required"),
    (["import", "--db", "{db}", "{missing}"], "is not a file"),
    (["import", "--db", "{db}", "--type", "people", "{file}"], "invalid choice"),
    (["import", "--db", "{db}", "{refused}"], "fits no record type"),
    (["import", "--db", "{db}", "--type", "sessions", "{file}"], "session_id"),
    (["demo", "--db", "{missing}", "--mentors", "0"], "at least 1"),
    (["demo", "--db", "{missing}", "--mentors", "ten"], "not a whole number"),
    (["demo", "--db", "{missing}", "--end", "2026-02-30"], "not a date"),
    (["demo", "--db", "{missing}", "--end", "next week"], "not a date"),
    (["remove-demo", "--db", "{missing}"], "no database"),
]


def _fill(args: list[str], seeded_db: Path, tmp_path: Path) -> list[str]:
    places = {
        "{db}": str(seeded_db),
        "{missing}": str(tmp_path / "missing.duckdb"),
        "{file}": str(write_file(tmp_path, "mentors.csv", BASE_MENTORS)),
        "{refused}": str(write_file(tmp_path, "people.csv", "name,email\nA,a@example.org\n")),
        "{text}": str(write_file(tmp_path, "notes.duckdb", "this is not a database\n" * 500)),
    }
    return [places.get(a, a) for a in args]


@pytest.mark.parametrize(("args", "says"), ERRORS, ids=[" ".join(a) or "-" for a, _ in ERRORS])
def test_errors_are_one_line_and_a_non_zero_exit(
    seeded_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    before = query(seeded_db, "SELECT count(*) FROM imports")
    code, _, err = run_main(_fill(args, seeded_db, tmp_path), capsys)
    assert_one_line_error(code, err)
    assert says in err
    assert not (tmp_path / "missing.duckdb").exists()  # an error creates no database
    assert query(seeded_db, "SELECT count(*) FROM imports") == before


# the errors the brief names, through the real entry point
REAL_ERRORS = [
    (["report", "--db", "{missing}", "--format", "json"], "no database"),
    (["report", "--db", "{db}", "--to", "31/12/2025"], "not a date"),
    (["import", "--db", "{db}", "{missing}"], "is not a file"),
    (["report", "--db", "{db}", "--audience"], "expected one argument"),
]


@pytest.mark.parametrize(("args", "says"), REAL_ERRORS)
def test_errors_through_python_dash_m(
    cli: Cli, seeded_db: Path, tmp_path: Path, args: list[str], says: str
) -> None:
    result = cli(*_fill(args, seeded_db, tmp_path))
    assert_one_line_error(result.returncode, result.stderr)
    assert says in result.stderr
    assert result.stdout == ""


# -------------------------------------------------------------------------------------- import


def test_import_json_summary(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "new" / "programme.duckdb"  # created, with its folder, by the import
    mentors = write_file(tmp_path, "mentors.csv", BASE_MENTORS)
    sessions = write_file(tmp_path, "sessions.csv", BASE_SESSIONS)
    register = write_file(
        tmp_path,
        "register.csv",
        "mentor_id,session_type,scheduled_start,duration_minutes,attendance\n"
        "PM-1,group_day,2025-04-05 10:00,300,yes\n"
        "PM-1,group_day,2025-04-05 10:00,300,yes\n"
        "PM-9,group_day,2025-04-05 10:00,300,yes\n",
    )
    result = cli("import", "--db", db, "--format", "json", mentors, sessions, register)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert list(summary) == ["landed", "files", "error"]
    assert (summary["landed"], summary["error"]) == (True, None)
    assert [list(f) for f in summary["files"]] == [SUMMARY_KEYS] * 3
    by_file = {f["file"]: f for f in summary["files"]}
    assert by_file["register.csv"] == {
        "file": "register.csv",
        "type": "attendance",
        "read": 3,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 1,
        "rejected": 1,
        "warnings": 0,
    }
    assert by_file["mentors.csv"]["inserted"] == 2
    assert db.exists()


def test_import_refused_json(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "programme.duckdb"
    good = write_file(tmp_path, "mentors.csv", BASE_MENTORS)
    bad = write_file(tmp_path, "people.csv", "name,email\nA,a@example.org\n")
    result = cli("import", "--db", db, "--format", "json", good, bad)
    assert result.returncode != 0
    summary = json.loads(result.stdout)
    assert summary["landed"] is False and summary["files"] == []
    assert "people.csv" in summary["error"]
    assert_one_line_error(result.returncode, result.stderr)
    if db.exists():
        assert query(db, "SELECT count(*) FROM mentors") == [(0,)]


def test_import_text_summary_lists_rejected_rows(
    capsys: pytest.CaptureFixture[str], seeded_db: Path, tmp_path: Path
) -> None:
    attendance = write_file(
        tmp_path,
        "attendance.csv",
        "session_id,mentor_id,attendance,arrival_time\nS-1,PM-1,yes,25:70\nS-1,PM-2,late,10:03\n",
    )
    code, out, err = run_main(["import", "--db", str(seeded_db), str(attendance)], capsys)
    assert code == 0, err  # landed, though a row was rejected
    assert "attendance.csv (attendance): 2 rows read, 1 inserted" in out
    assert 'rejected row 2: arrival_time: "25:70" is not a time' in out
    assert "grace period" in out


def test_import_dry_run(
    capsys: pytest.CaptureFixture[str], seeded_db: Path, tmp_path: Path
) -> None:
    mentors = write_file(
        tmp_path, "mentors.csv", "mentor_id,cohort,start_date,status\nPM-9,c,2025-01-01,active\n"
    )
    code, out, _ = run_main(["import", "--db", str(seeded_db), "--dry-run", str(mentors)], capsys)
    assert code == 0
    assert out.startswith("Would import mentors.csv")
    assert query(seeded_db, "SELECT count(*) FROM mentors") == [(2,)]


# -------------------------------------------------------------------------------------- report


def _report_json(cli: Cli, db: Path, *args: str) -> dict[str, Any]:
    result = cli("report", "--db", db, "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_report_json_shape(cli: Cli, clean_copy: Path) -> None:
    report = _report_json(cli, clean_copy, "--from", "2025-01-01", "--to", "2025-03-31")
    assert report["window"] == {"from": "2025-01-01", "to": "2025-03-31"}
    assert report["audience"] == "manager"
    assert report["settings"] == {
        "grace_minutes": 5,
        "shadowing_target_hours": 10,
        "suppression_k": 5,
    }
    for key in ("shadowing", "stages", "beneficiary_meetings", "events", "milestones"):
        assert isinstance(report[key], dict), key
    assert report["at_risk"] == sorted(report["at_risk"], key=lambda r: r["mentor_id"])
    assert "suppressed" not in report
    assert isinstance(report["mentors_active"], int)
    assert isinstance(report["attendance_rate"], float)


def _report_in_process(
    capsys: pytest.CaptureFixture[str], db: Path, *args: str
) -> tuple[str, dict[str, Any]]:
    """The report in a format, and the same report as JSON (the reference)."""
    code, out, err = run_main(["report", "--db", str(db), *args], capsys)
    assert code == 0, err
    args_json = [a for a in args if a not in ("table", "csv")]
    args_json = [a for a in args_json if a != "--format"] + ["--format", "json"]
    code, reference, err = run_main(["report", "--db", str(db), *args_json], capsys)
    assert code == 0, err
    return out, json.loads(reference)


def test_report_table(capsys: pytest.CaptureFixture[str], clean_copy: Path) -> None:
    text, figures = _report_in_process(capsys, clean_copy, "--format", "table")
    lines = text.splitlines()
    assert figures["window"]["from"] in lines[0] and figures["window"]["to"] in lines[0]
    # a figure's path may hold spaces (a cohort's name): the value is the last word
    rows = dict(line.strip().rsplit(maxsplit=1) for line in lines[1:] if line.startswith("  "))
    assert rows["mentors_active"] == str(figures["mentors_active"])
    assert rows["stages.distribution.4"] == str(figures["stages"]["distribution"]["4"])
    assert rows["attendance_rate"] == f"{figures['attendance_rate']:.3f}"
    flagged = [line for line in lines if "flagged:" in line]
    assert len(flagged) == len(figures["at_risk"]) > 0


def test_report_table_for_funders_shows_suppressed_in_words(
    capsys: pytest.CaptureFixture[str], clean_copy: Path
) -> None:
    text, funder = _report_in_process(
        capsys, clean_copy, "--format", "table", "--audience", "funder"
    )
    words = ("not shown: fewer than 5 people", privacy.FOR_OTHERS_WORDS)
    hidden = {
        line.strip().removesuffix(said).strip(): said
        for line in text.splitlines()
        for said in words
        if line.startswith("  ") and line.endswith(said)
    }
    assert "Counts are rounded to the nearest 5" in text
    assert funder["suppressed"] and funder["suppressed_for_others"]
    for path in funder["suppressed_for_others"]:  # hidden for another's sake: never "fewer than"
        assert hidden[path] == privacy.FOR_OTHERS_WORDS
    for path in funder["suppressed"]:
        if not path.startswith("targets."):  # the targets' lines say it in their own words
            assert path in hidden
    assert "flagged" not in text and "PM-" not in text


def test_report_csv(capsys: pytest.CaptureFixture[str], clean_copy: Path) -> None:
    text, figures = _report_in_process(capsys, clean_copy, "--format", "csv", "--cohort", "2025 Q1")
    assert figures["filters"]["cohort"] == ["2025 Q1"]
    rows = {r["figure"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["mentors_active"]["value"] == str(figures["mentors_active"])
    assert float(rows["attendance_rate"]["value"]) == pytest.approx(figures["attendance_rate"])
    assert rows["shadowing.mentors_complete"]["value"] == str(
        figures["shadowing"]["mentors_complete"]
    )


def test_report_funder_csv_has_no_codes(
    capsys: pytest.CaptureFixture[str], clean_copy: Path
) -> None:
    text, _ = _report_in_process(capsys, clean_copy, "--format", "csv", "--audience", "funder")
    assert len(list(csv.reader(io.StringIO(text)))) > 10  # it is CSV, with figures
    codes = {r for (r,) in query(clean_copy, "SELECT mentor_id FROM mentors")}
    assert not [c for c in codes if c in text]


def test_report_out_writes_a_file(
    capsys: pytest.CaptureFixture[str], clean_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    code, stdout, _ = run_main(
        ["report", "--db", str(clean_copy), "--format", "json", "--out", str(out)], capsys
    )
    assert code == 0 and stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["mentors_active"] == 40


# ---------------------------------------------------------------------------------------- demo


def test_demo_and_remove_demo(cli: Cli, seeded_db: Path) -> None:
    result = cli("demo", "--db", seeded_db, "--mentors", "10", "--end", DEMO_END.isoformat())
    assert result.returncode == 0, result.stderr
    assert "10 mentors" in result.stdout
    assert query(seeded_db, "SELECT count(*) FROM mentors WHERE is_demo") == [(10,)]
    counts = query(
        seeded_db,
        "SELECT (SELECT count(*) FROM sessions WHERE is_demo), "
        "(SELECT count(*) FROM attendance WHERE is_demo)",
    )[0]
    assert all(n > 0 for n in counts)

    removed = cli("remove-demo", "--db", seeded_db)
    assert removed.returncode == 0, removed.stderr
    assert "Removed demo records" in removed.stdout
    for table in ("mentors", "sessions", "attendance", "stage_assessments", "milestones"):
        assert query(seeded_db, f"SELECT count(*) FROM {table} WHERE is_demo") == [(0,)]
    assert query(seeded_db, "SELECT count(*) FROM mentors") == [(2,)]  # the real ones stay


DEMO_RECORDS = (
    "SELECT (SELECT list(m ORDER BY m.mentor_id) FROM mentors m), "
    "(SELECT list(s ORDER BY s.session_id) FROM sessions s), "
    "(SELECT list(a ORDER BY a.session_id, a.mentor_id) FROM attendance a), "
    "(SELECT max(scheduled_start) FROM sessions)"
)


def test_demo_is_a_function_of_seed_size_and_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def demo(name: str, *args: str) -> tuple[Any, ...]:
        db = tmp_path / f"{name}.duckdb"
        code, _, err = run_main(["demo", "--db", str(db), "--mentors", "20", *args], capsys)
        assert code == 0, err
        return query(db, DEMO_RECORDS)[0]

    first = demo("a", "--end", "2024-03-31")
    assert first[3].date() <= dt.date(2024, 3, 31)
    assert first[3].date() >= dt.date(2024, 3, 24)  # it runs up to its end
    with clock.frozen(dt.date(2031, 1, 1)):  # what day it is makes no difference
        assert demo("b", "--end", "2024-03-31") == first
    assert demo("c", "--end", "2024-03-31", "--seed", "2026") == first
    assert demo("d", "--end", "2024-03-31", "--seed", "7") != first
    assert demo("e", "--end", "2025-03-31")[3].date() > dt.date(2024, 3, 31)


def test_demo_ends_a_week_before_today_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "default.duckdb"
    with clock.frozen(dt.datetime(2030, 5, 17, 9, 0)):
        code, _, err = run_main(["demo", "--db", str(db), "--mentors", "8"], capsys)
    assert code == 0, err
    ends = tmp_path / "ends.duckdb"
    code, _, err = run_main(
        ["demo", "--db", str(ends), "--mentors", "8", "--end", "2030-05-10"], capsys
    )
    assert code == 0, err
    assert query(db, DEMO_RECORDS) == query(ends, DEMO_RECORDS)
