"""The worked example: tests/samples imported through the command line give exactly the
expected figures (the comparison of ../shared/tools/check_samples.py: every expected key
present, numbers within 1e-6 relative, everything else equal).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT_ROOT, SAMPLES, cli_env, load_json, run_import
from contract import as_in_contract

from analysis import database
from analysis.metrics import Scope
from analysis.report import build_report
from analysis.settings import Settings

EXPECTED = SAMPLES / "expected"
Cli = Callable[..., subprocess.CompletedProcess[str]]

# expected file → database ("clean" or "messy") and report arguments
CASES: dict[str, tuple[str, list[str]]] = {
    "clean_report_all.json": ("clean", []),
    "clean_report_2025H1_cohorts.json": (
        "clean",
        [
            "--from",
            "2025-01-01",
            "--to",
            "2025-06-30",
            "--cohort",
            "2024 Q4",
            "--cohort",
            "2025 Q1",
        ],
    ),
    "clean_report_funder.json": ("clean", ["--audience", "funder"]),
    "clean_report_funder_2025Q3.json": ("clean", ["--audience", "funder", "--cohort", "2025 Q3"]),
    "messy_report_all.json": ("messy", []),
}


def differences(expected: Any, got: Any, path: str = "") -> list[str]:
    out: list[str] = []
    for key, want in expected.items():
        where = f"{path}{key}"
        if not isinstance(got, dict) or key not in got:
            out.append(f"{where}: missing")
            continue
        have = got[key]
        if isinstance(want, dict):
            out += differences(want, have, where + ".")
        elif _number(want) and _number(have):
            if abs(want - have) > 1e-6 * max(1.0, abs(want)):
                out.append(f"{where}: expected {want!r}, got {have!r}")
        elif want != have:
            out.append(f"{where}: expected {want!r}, got {have!r}")
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@pytest.mark.parametrize(
    ("expected", "got", "n"),
    [
        ({"a": 1.0}, {"a": 1.0000001}, 0),
        ({"a": 1.0}, {"a": 1.00001}, 1),
        ({"a": 1}, {"a": "1"}, 1),
        ({"a": None}, {"a": 0}, 1),
        ({"a": {"b": 2}}, {"a": {}}, 1),
        ({"a": [1, 2]}, {"a": [1, 2], "extra": 3}, 0),
    ],
)
def test_the_comparison_itself(expected: Any, got: Any, n: int) -> None:
    assert len(differences(expected, got)) == n


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both folders imported through the CLI, each in one import; the JSON summaries."""
    folder = tmp_path_factory.mktemp("worked")
    out: dict[str, Any] = {"folder": folder}
    for name in ("clean", "messy"):
        db = folder / f"{name}.duckdb"
        files = sorted(str(p) for p in (SAMPLES / name).iterdir())
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "analysis",
                "import",
                "--db",
                str(db),
                "--format",
                "json",
                *files,
            ],
            cwd=PROJECT_ROOT,
            env=cli_env(folder),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        out[name] = json.loads(result.stdout)
        out[name + "_db"] = db
    return out


@pytest.mark.parametrize("expected_file", list(CASES))
def test_report_matches_the_expected_results(
    imported: dict[str, Any], cli: Cli, expected_file: str
) -> None:
    which, args = CASES[expected_file]
    result = cli("report", "--db", imported[which + "_db"], "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    wanted = load_json(EXPECTED / expected_file)
    assert differences(wanted, as_in_contract(got, wanted)) == []


def test_every_expected_file_is_checked() -> None:
    listed = set(load_json(EXPECTED / "README.json"))
    assert listed == set(CASES) | {"messy_import.json"}
    assert {p.name for p in EXPECTED.glob("*.json")} == listed | {"README.json"}


def test_clean_import_rejects_nothing(imported: dict[str, Any]) -> None:
    summary = imported["clean"]
    assert summary["landed"] is True and summary["error"] is None
    assert {f["file"] for f in summary["files"]} == {p.name for p in (SAMPLES / "clean").iterdir()}
    for f in summary["files"]:
        assert f["rejected"] == f["duplicates"] == 0
        assert f["read"] == f["inserted"] > 0


def test_messy_import_rejects_and_skips_as_expected(imported: dict[str, Any]) -> None:
    summary = imported["messy"]
    expected = load_json(EXPECTED / "messy_import.json")
    files = {f["file"]: f for f in summary["files"]}
    assert summary["landed"] is True
    assert files["register.csv"]["type"] == "attendance"
    assert files["mentors.xlsx"]["type"] == "mentors"
    assert {name: f["rejected"] for name, f in files.items()} == expected["rejected_rows_per_file"]
    for name, f in files.items():
        assert f["duplicates"] == expected["exact_duplicate_rows"].get(name, 0), name
        assert f["read"] == (
            f["inserted"] + f["updated"] + f["unchanged"] + f["duplicates"] + f["rejected"]
        ), name


def test_messy_conflicting_key_rejects_all_its_rows(imported: dict[str, Any]) -> None:
    expected = load_json(EXPECTED / "messy_import.json")["conflicting_key_rejected_whole"]
    with database.connect(imported["messy_db"]) as con:
        for file_name, (session_id, mentor_id) in expected.items():
            rows = con.execute(
                "SELECT row_number, reasons FROM rejected_rows WHERE file_name = $f "
                "AND json_extract_string(original_values, '$.\"Session ID\"') = $s "
                "AND json_extract_string(original_values, '$.\"Mentor ID\"') = $m",
                {"f": file_name, "s": session_id, "m": mentor_id},
            ).fetchall()
            # every row in the file with that key, and none of them stored
            text = (SAMPLES / "messy" / file_name).read_text(encoding="utf-8-sig")
            in_file = [
                n
                for n, line in enumerate(text.splitlines(), start=1)
                if line.startswith(f"{session_id},{mentor_id},")
            ]
            assert len(in_file) >= 2
            assert sorted(r for r, _ in rows) == in_file
            for _, reasons in rows:
                assert any("appears" in r and "different values" in r for r in reasons)
            stored = con.execute(
                "SELECT count(*) FROM attendance WHERE session_id = $s AND mentor_id = $m",
                {"s": session_id, "m": mentor_id},
            ).fetchone()
            assert stored == (0,)


def test_reimporting_the_messy_files_changes_no_figure(
    imported: dict[str, Any], tmp_path: Path
) -> None:
    db = tmp_path / "messy.duckdb"
    shutil.copy(imported["messy_db"], db)
    again = run_import(db, sorted((SAMPLES / "messy").iterdir()))
    assert again.landed
    for f in again.files:
        assert (f.inserted, f.updated) == (0, 0), f.summary()
    with database.connect(db) as con:
        got = build_report(con, Scope(), Settings(), "manager")
    assert differences(load_json(EXPECTED / "messy_report_all.json"), got) == []
