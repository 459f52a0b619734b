"""The Data page's work that is not layout (analysis.data_tasks), tested without Streamlit."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from analysis import data_tasks

ROWS = [
    {"id": 7, "row": 2, "mentor_id": "PM-1", "attendance": "atended", "reasons": "x"},
    {"id": 9, "row": 5, "mentor_id": None, "attendance": "late", "reasons": "y"},
    {"id": 11, "row": 8, "mentor_id": "PM-3", "attendance": "=cmd|' /C calc'!A0", "reasons": "z"},
]
COLUMNS = ["mentor_id", "attendance"]


def test_only_the_rows_a_person_changed_are_corrections() -> None:
    after = [dict(r) for r in ROWS]
    after[0]["attendance"] = "attended"
    after[1]["mentor_id"] = "   "  # blank stays no value: row 9 is unchanged
    after[2]["mentor_id"] = "PM-3.1 'quoted' **bold**"
    assert data_tasks.corrections(ROWS, after, COLUMNS) == {
        7: {"mentor_id": "PM-1", "attendance": "attended"},
        11: {"mentor_id": "PM-3.1 'quoted' **bold**", "attendance": "=cmd|' /C calc'!A0"},
    }
    assert data_tasks.corrections(ROWS, [dict(r) for r in ROWS], COLUMNS) == {}


def test_a_cleared_cell_is_a_correction_to_no_value() -> None:
    after = [dict(r) for r in ROWS]
    after[0]["mentor_id"] = math.nan  # what the editor gives for a cleared cell
    assert data_tasks.corrections(ROWS, after, COLUMNS) == {
        7: {"mentor_id": None, "attendance": "atended"}
    }


def test_rows_that_do_not_line_up_are_refused() -> None:
    with pytest.raises(ValueError, match="3 rows before the edit but 2 after"):
        data_tasks.corrections(ROWS, ROWS[:2], COLUMNS)
    with pytest.raises(ValueError, match="row 9 came back as row 11"):
        data_tasks.corrections(ROWS, [ROWS[0], ROWS[2], ROWS[1]], COLUMNS)


def test_uploads_are_staged_by_number_and_keep_their_own_names(tmp_path: Path) -> None:
    long_name = "a" * 300 + ".csv"
    uploads = [
        ("sessions.csv", b"session_id\n"),
        ("../../etc/passwd", b"x"),
        ("Register.XLSX", b"PK"),
        (long_name, b"y"),
        ("", b"z"),
    ]
    sources = data_tasks.stage_uploads(tmp_path, uploads)
    assert [s.name for s in sources] == [
        "sessions.csv",
        "passwd",
        "Register.XLSX",
        long_name,
        "upload.csv",
    ]
    assert [s.path.name for s in sources] == ["0.csv", "1.csv", "2.xlsx", "3.csv", "4.csv"]
    assert all(s.path.parent == tmp_path for s in sources)
    assert sources[2].path.read_bytes() == b"PK"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "0.csv",
        "1.csv",
        "2.xlsx",
        "3.csv",
        "4.csv",
    ]
