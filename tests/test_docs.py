"""The user docs describe the code as it is: settings, figures, record types, columns, codes,
messages and the command line. A change to any of these that the docs do not follow fails here.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from analysis import cli, database, definitions, records
from analysis.importer import ImportSource, import_files
from analysis.metrics import Scope
from analysis.report import build_report
from analysis.settings import SETTING_DESCRIPTIONS, Settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DATA_DOC = ROOT / "docs" / "DATA.md"
METRICS_DOC = ROOT / "docs" / "METRICS.md"
CLEAN = ROOT / "tests" / "samples" / "clean"

# Report keys that are not figures.
REPORT_META = (
    "window",
    "filters",
    "audience",
    "settings",
    "suppressed",
    "suppressed_for_others",
    "not_recorded",
)
ALL_TYPES = (*records.RECORD_TYPES, "register")

# Used only when tests/samples/clean is absent: a little of every kind of record.
TINY_FILES = {
    "mentors.csv": """\
mentor_id,cohort,start_date,status,end_date,gender,age_band,outreach_worker,region
PM-1,2025 spring,2025-01-06,active,,female,25-34,OW-1,North
PM-2,2025 spring,2025-01-06,active,,male,35-44,OW-1,North
PM-3,2025 spring,2025-01-06,paused,,female,18-24,OW-2,South
PM-4,2025 spring,2025-01-06,active,,non-binary,45-54,OW-2,South
PM-5,2025 spring,2025-01-06,active,,,55+,OW-2,South
PM-6,2025 spring,2025-01-06,withdrawn,2025-03-01,male,25-34,OW-1,North
""",
    "sessions.csv": """\
session_id,session_type,scheduled_start,duration_minutes,staff_id,beneficiary_id,event_name,location
S-1,shadowing,2025-02-03 10:00,600,ST-1,,,Office
S-2,beneficiary_meeting,2025-02-10 10:00,60,OW-1,BN-1,,Cafe
S-3,group_day,2025-02-17 10:00,300,ST-1,,,Hub
S-4,event,2025-03-08 10:00,240,ST-2,,International Women's Day,Town hall
S-5,shadowing,2025-03-10 10:00,60,ST-1,,,Office
""",
    "attendance.csv": """\
session_id,mentor_id,attendance,arrival_time,minutes_attended,notes
S-1,PM-1,attended,09:58,,
S-1,PM-2,late,10:20,,
S-1,PM-3,no_show,,,
S-2,PM-1,late,10:12,,
S-2,PM-4,notified_absence,,,
S-3,PM-1,attended,,,
S-3,PM-2,attended,,,
S-3,PM-5,cancelled_by_programme,,,
S-4,PM-4,attended,10:00,,
S-5,PM-3,no_show,,,
S-5,PM-5,no_show,,,
""",
    "stage_assessments.csv": """\
mentor_id,assessed_on,stage,self_esteem,assessor,notes
PM-1,2025-01-10,2,12,OW-1,
PM-1,2025-03-01,4,16,OW-1,
PM-2,2025-01-10,3,10,OW-1,
PM-2,2025-03-05,2,9,OW-1,
PM-4,2025-01-12,1,,OW-2,
""",
    "milestones.csv": """\
mentor_id,milestone,achieved_on,notes
PM-1,training_completed,2025-01-31,
PM-1,shadowing_completed,2025-02-03,
PM-2,training_completed,2025-01-31,
""",
}

# The worked example of docs/DATA.md ("Examples: what the messages look like").
EXAMPLE_FILES = {
    "mentors.csv": """\
Mentor ID,Cohort,Start date,Status,Gender,Age band,Outreach worker,Keyworker
PM-014,2025 spring,03/03/2025,active,female,25-34,OW-02,Sam
PM-015,2025 spring,2025-03-10,Active,Male,35-44,OW-02,Sam
PM-016,2025 spring,31/02/2025,on leave,woman,60+,OW-03,Jo
PM-017,,10/03/2025,paused,,18-24,OW-03,Jo
PM-018,2025 spring,10/03/2025,active,,,OW-03,Jo
PM-018,2025 spring,10/03/2025,active,,,OW-03,Jo
PM-019,2025 spring,10/03/2025,active,,,OW-03,Jo
PM-019,2025 spring,17/03/2025,active,,,OW-03,Jo
""",
    "sessions.csv": """\
session_id,session_type,scheduled_start,duration_minutes,staff_id,beneficiary_id,event_name,location
S-0412,Beneficiary meeting,12/04/2025 10:00,90,OW-02,BN-0031,,Community hub
S-0413,shadowing,2025-04-13 09:30,120,ST-01,,,Office
S-0414,coffee morning,14/04/2025 10:00,60,ST-01,,,
S-0415,training,14/04/2025,0,ST-01,,,
S-0416,event,15/04/2025 10:00,ninety,,,Adult Learners' Week,
""",
    "attendance.csv": """\
Session ID,Mentor ID,Attendance,Arrival time,Minutes attended,Notes
S-0412,PM-014,arrived late,10:12,,
S-0412,PM-015,late,10:03,,
S-0413,PM-014,DNA,,,
S-0413,PM-015,present,25:70,,
S-0413,PM-099,apologies,,,
S-9999,PM-014,yes,09:25,,
S-0412,PM-018,maybe,,2000,
S-0413,PM-018,yes,22:00,,
""",
}

# Files refused as a whole, as docs/DATA.md shows them: name -> (text, --type).
REFUSED_FILES: dict[str, tuple[str, str | None]] = {
    "bad.csv": ("mentor_id,cohort,start_date\nPM-1,a,01/01/2025\n", None),
    "hdr.csv": ("session_id,mentor_id\n", "attendance"),
    "dup.csv": ("mentor_id,Mentor ID,cohort\n", None),
    "reg2.csv": (
        "session_id,Mentor ID,Session type,Scheduled start,Duration minutes,Attendance\n"
        "S-1,PM-014,group_day,15/05/2025 10:00,300,present\n",
        None,
    ),
}


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def ticked(word: str) -> str:
    return f"`{word}`"


def write_files(folder: Path, files: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def section(text: str, heading: str) -> str:
    """The text under the first heading matching the regex `heading`, up to the next heading
    of the same or a higher level."""
    match = re.search(rf"^(#+) {heading}\s*$", text, re.MULTILINE)
    assert match, f"no heading matching {heading!r}"
    level = len(match.group(1))
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the markdown tables in `text`, as lists of trimmed cells."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|") or set(line) <= {"|", "-", " ", ":"}:
            continue
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def figure_paths(tree: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths of a report's leaves; an empty group is a path of its own."""
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from figure_paths(value, path + ".")
        else:
            yield path


def covering_figure(path: str) -> str | None:
    """The definition that covers a dotted path: its own, or its nearest parent's."""
    parts = path.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in definitions.FIGURES:
            return candidate
    return None


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The manager and funder reports over the sample records (or a tiny set of our own)."""
    folder = tmp_path_factory.mktemp("docs-report")
    paths = sorted(CLEAN.glob("*.csv")) if CLEAN.is_dir() else []
    if not paths:
        paths = write_files(folder / "in", TINY_FILES)
    db = folder / "report.duckdb"
    result = import_files(db, [ImportSource.of(p) for p in paths], user="docs", settings=Settings())
    assert result.landed, result.error
    assert all(f.rejected == 0 for f in result.files), result.summary()
    with database.connect(db) as con:
        return {
            audience: build_report(con, Scope(), Settings(), audience)
            for audience in ("manager", "funder")
        }


# --- README ---------------------------------------------------------------------------------


def test_readme_opens_with_make_run_and_make_test() -> None:
    lines = [line for line in read(README).splitlines() if line.strip()]
    assert lines[0].startswith("# ")
    assert lines[1].startswith("```"), "the README's first lines after the title are a code block"
    assert lines[2].startswith("make run")
    assert lines[3].startswith("make test")


@pytest.mark.parametrize("name", [f.name for f in fields(Settings)])
def test_every_setting_is_documented(name: str) -> None:
    assert ticked(name) in read(README), f"README.md does not mention the setting {name}"
    assert SETTING_DESCRIPTIONS.get(name, "").strip(), f"{name} has no SETTING_DESCRIPTIONS entry"
    assert ticked(name) in read(METRICS_DOC), f"docs/METRICS.md does not mention {name}"


def test_setting_descriptions_are_all_settings() -> None:
    assert set(SETTING_DESCRIPTIONS) == {f.name for f in fields(Settings)}


def test_settings_file_and_environment_are_documented() -> None:
    for word in ("settings.toml", "DASHBOARD_SETTINGS", "DASHBOARD_DB"):
        assert word in read(README)
        assert word in read(METRICS_DOC)


# --- figures: definitions.FIGURES and docs/METRICS.md -------------------------------------------


@pytest.mark.parametrize("audience", ["manager", "funder"])
def test_every_report_figure_is_defined_and_documented(
    reports: dict[str, dict[str, Any]], audience: str
) -> None:
    report = reports[audience]
    figures = {k: v for k, v in report.items() if k not in REPORT_META}
    paths = list(figure_paths(figures)) + list(report.get("suppressed", []))
    assert paths
    metrics_doc = read(METRICS_DOC)
    undefined = [p for p in paths if covering_figure(p) is None]
    assert not undefined, f"no definition in analysis.definitions.FIGURES for {undefined}"
    undocumented = sorted(
        {str(covering_figure(p)) for p in paths}
        - {k for k in definitions.FIGURES if ticked(k) in metrics_doc}
    )
    assert not undocumented, f"docs/METRICS.md does not mention {undocumented}"


def test_every_definition_is_a_report_figure(reports: dict[str, dict[str, Any]]) -> None:
    paths = list(
        figure_paths({k: v for k, v in reports["manager"].items() if k not in REPORT_META})
    )
    stale = [
        k for k in definitions.FIGURES if not any(p == k or p.startswith(k + ".") for p in paths)
    ]
    assert not stale, f"FIGURES defines figures the report does not give: {stale}"


def test_every_definition_is_in_the_metrics_doc() -> None:
    doc = read(METRICS_DOC)
    missing = [k for k in definitions.FIGURES if ticked(k) not in doc]
    assert not missing, f"docs/METRICS.md lacks {missing}"


def test_funders_never_get_the_at_risk_list(reports: dict[str, dict[str, Any]]) -> None:
    assert "at_risk" in reports["manager"]
    assert "at_risk" not in reports["funder"]
    assert "suppressed" in reports["funder"]


def test_flags_are_documented(reports: dict[str, dict[str, Any]]) -> None:
    doc = section(read(METRICS_DOC), r"Early-warning flags.*")
    for flag in definitions.FLAGS:
        assert ticked(flag) in doc, f"docs/METRICS.md does not describe the flag {flag}"
    for entry in reports["manager"]["at_risk"]:
        assert set(entry["reasons"]) <= set(definitions.FLAGS)


def test_stage_buckets_and_milestones_are_documented() -> None:
    doc = read(METRICS_DOC)
    for bucket in ('"1"', '"7"', '"not_assessed"'):
        assert ticked(bucket) in doc
    for code in records.MILESTONE_CODES:
        assert ticked(code) in doc, f"docs/METRICS.md does not list the milestone {code}"


def test_settings_table_in_metrics_doc_gives_the_defaults() -> None:
    rows = {r[0].strip("`"): r for r in table_rows(section(read(METRICS_DOC), "Settings"))}
    defaults = Settings()
    for f in fields(Settings):
        assert f.name in rows, f"the settings table in docs/METRICS.md lacks {f.name}"
    for name in ("grace_minutes", "suppression_k", "lookback_days"):
        assert rows[name][1] == str(getattr(defaults, name))
    assert rows["shadowing_target_hours"][1] == f"{defaults.shadowing_target_hours:g}"
    assert rows["organisation_name"][1] == ticked(defaults.organisation_name)


# --- the command line -----------------------------------------------------------------------


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("python -m analysis has no subcommands")


def test_command_line_is_documented() -> None:
    doc = read(METRICS_DOC)
    commands = subcommands()
    assert {"import", "report", "demo", "remove-demo"} <= set(commands)
    for name, parser in commands.items():
        text = section(doc, re.escape(ticked(name)))
        assert f"python -m analysis {name} " in text, f"no usage line for {name}"
        for action in parser._actions:
            options = [o for o in action.option_strings if o not in ("-h", "--help")]
            for option in options:
                assert option in text, f"docs/METRICS.md does not describe {name} {option}"
            for choice in (action.choices or ()) if options else ():
                assert choice in text, f"docs/METRICS.md does not give {name} {choice}"


# --- records: docs/DATA.md ------------------------------------------------------------------


def record_type(name: str) -> records.RecordType:
    return records.REGISTER if name == "register" else records.RECORD_TYPES[name]


def documented_columns(name: str) -> dict[str, bool]:
    """Column -> required, from the table under the record type's heading in docs/DATA.md."""
    text = section(read(DATA_DOC), rf"[^\n]*\({re.escape(ticked(name))}\)")
    columns = {}
    for cells in table_rows(text):
        if cells[0].startswith("`") and len(cells) >= 3:
            assert cells[1] in ("yes", "no"), f"{name}.{cells[0]}: Required must be yes or no"
            columns[cells[0].strip("`")] = cells[1] == "yes"
    return columns


@pytest.mark.parametrize("name", ALL_TYPES)
def test_every_record_type_and_column_is_documented(name: str) -> None:
    rtype = record_type(name)
    documented = documented_columns(name)
    assert list(documented) == list(rtype.column_names), f"{name}: columns differ from the code"
    assert {c for c, required in documented.items() if required} == set(rtype.required), (
        f"{name}: the required columns differ from the code"
    )
    assert ticked(name) in read(DATA_DOC)


@pytest.mark.parametrize("name", records.IMPORT_ORDER)
def test_templates_have_the_documented_columns(name: str) -> None:
    header = records.template_csv(name).decode("utf-8-sig").splitlines()[0].split(",")
    expected = [
        c for c in documented_columns(name) if not (name == "register" and c == "session_id")
    ]
    assert header == expected
    assert ticked(name) in section(read(DATA_DOC), "Templates")


def test_every_code_is_documented() -> None:
    doc = read(DATA_DOC)
    lists = (
        records.STATUSES,
        records.GENDERS,
        records.AGE_BANDS,
        records.SESSION_TYPES,
        records.ATTENDANCE_CODES,
        records.MILESTONE_CODES,
        records.STAGE_NAMES,
    )
    missing = [code for codes in lists for code in codes if ticked(code) not in doc]
    assert not missing, f"docs/DATA.md does not list {missing}"


def test_every_attendance_synonym_is_documented_with_its_meaning() -> None:
    doc = read(DATA_DOC)
    for word in records.ATTENDANCE_SYNONYMS:
        assert ticked(word) in doc, f"docs/DATA.md does not give the attendance word {word!r}"
    documented: dict[str, str] = {}
    for cells in table_rows(section(doc, "Attendance words")):
        code = cells[1].strip("`")
        for word in re.findall(r"`([^`]+)`", cells[0]):
            documented[word] = code
    assert documented == records.ATTENDANCE_SYNONYMS


def test_limits_are_documented() -> None:
    doc = read(DATA_DOC)
    assert f"{records.MAX_CODE_LENGTH} characters" in doc
    assert f"{records.MAX_TEXT_LENGTH:,} characters" in doc
    assert f"{records.MAX_ARRIVAL_HOURS} hours" in doc
    for rtype in (*records.RECORD_TYPES.values(), records.REGISTER):
        for col in rtype.columns:
            if col.kind == "int":
                assert f"{col.low} to {col.high}" in doc, f"{col.name}: range not documented"


@pytest.mark.parametrize(
    ("heading", "column"), [("Mentor ID", "mentor_id"), ("MENTOR-ID", "mentor_id")]
)
def test_heading_examples_hold(heading: str, column: str) -> None:
    assert records.normalise_header(heading) == column
    assert ticked(heading) in read(DATA_DOC)


def test_example_messages_are_what_the_importer_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/DATA.md shows the example files and, verbatim, what importing them prints."""
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(tmp_path / "no-settings.toml"))
    doc = read(DATA_DOC)
    for text in EXAMPLE_FILES.values():
        assert text in doc, "the example file in docs/DATA.md differs from the test's"
    paths = write_files(tmp_path / "in", EXAMPLE_FILES)
    code = cli.main(["import", "--db", str(tmp_path / "x.duckdb"), *map(str, paths)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "rejected row" in printed and "warning:" in printed
    assert printed in doc, f"docs/DATA.md does not show what the importer prints:\n{printed}"


def test_refused_file_messages_are_what_the_importer_says(tmp_path: Path) -> None:
    doc = read(DATA_DOC)
    for name, (text, given) in REFUSED_FILES.items():
        path = write_files(tmp_path / name.split(".")[0], {name: text})[0]
        result = import_files(
            tmp_path / "refused.duckdb",
            [ImportSource.of(path)],
            record_type=given,
            user="docs",
            settings=Settings(),
        )
        assert not result.landed
        assert str(result.error) in doc, f"docs/DATA.md does not quote: {result.error}"
