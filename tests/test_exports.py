"""Downloads: cells Excel would run as formulas are made text; funder CSVs hold aggregates only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import A, M, S, build

from analysis import database, exports, privacy
from analysis.metrics import Scope
from analysis.report import build_report
from analysis.settings import Settings

# value → the cell written
SAFE_CELLS = [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
    ("+44 7700 900123", "'+44 7700 900123"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("PM-014", "PM-014"),
    ("a=b", "a=b"),
    ("", ""),
    ("'already quoted", "'already quoted"),
    (5, 5),
    (-5, -5),
    (-0.25, -0.25),
    (None, None),
]


@pytest.mark.parametrize(("value", "written"), SAFE_CELLS)
def test_safe_cell(value: Any, written: Any) -> None:
    assert exports.safe_cell(value) == written


def test_frame_to_csv_makes_every_text_cell_and_header_safe() -> None:
    frame = pd.DataFrame(
        {"mentor_id": ["=cmd|' /C calc'!A0", "PM-1"], "=total": [-3, 4], "note": ["@x", "£5 – ok"]}
    )
    text = exports.frame_to_csv(frame)
    assert text.startswith(b"\xef\xbb\xbf")  # a byte-order mark, so Excel reads £ and –
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows == [
        ["mentor_id", "'=total", "note"],
        ["'=cmd|' /C calc'!A0", "-3", "'@x"],
        ["PM-1", "4", "£5 – ok"],
    ]
    assert list(frame.columns) == ["mentor_id", "=total", "note"]  # the input is not changed


CODES = ['=HYPERLINK("x")', "PM-2", "PM-3", "+PM-4", "PM-5", "PM-6"]


def _db_with_formula_codes(db: Path) -> Path:
    """Six mentors, one with a code Excel would run; small figures to suppress; a flag."""
    return build(
        db,
        [M(c) for c in CODES],
        [
            S("T1", "training", "2025-03-10 10:00"),
            S("T2", "training", "2025-03-20 10:00"),
            S("B1", "beneficiary_meeting", "2025-03-21 10:00", 60, "=BEN()"),
        ],
        [
            *[A("T1", c, "attended") for c in CODES],
            A("T2", CODES[0], "no_show"),
            A("T2", CODES[1], "no_show"),
            A("T2", CODES[2], "attended", "10:30"),
            A("T2", CODES[3], "no_show"),
            A("B1", CODES[0], "attended"),
        ],
        stages=[(CODES[0], "2025-03-01", 3, 10), (CODES[0], "2025-03-15", 2, 12)],
    )


def _reports(db: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    scope = Scope(dt.date(2024, 4, 1), dt.date(2025, 3, 31))  # a funder's period: 2024/25
    with database.connect(db) as con:
        return (
            build_report(con, scope, Settings(), "manager"),
            build_report(con, scope, Settings(), "funder"),
        )


def _value(report: dict[str, Any], path: str) -> Any:
    node: Any = report
    for part in path.split("."):
        node = node[part]
    return node


def test_funder_csv_carries_no_suppressed_value_and_no_code(db: Path) -> None:
    manager, funder = _reports(_db_with_formula_codes(db))
    assert any(r["mentor_id"] == CODES[0] for r in manager["at_risk"])  # the code is flagged
    text = exports.report_csv(funder)
    rows = {r["figure"]: r for r in csv.DictReader(io.StringIO(text))}
    assert funder["suppressed"]
    for path in funder["suppressed"]:
        hidden = _value(manager, path)
        assert hidden is not None, path  # something real is being hidden
        words = (
            privacy.FOR_OTHERS_WORDS
            if path in funder["suppressed_for_others"]
            else "not shown: fewer than 5 people"
        )
        assert (rows[path]["value"], rows[path]["suppressed"], rows[path]["shown_as"]) == (
            "",
            "yes",
            words,
        )
    for code in CODES + ["HYPERLINK", "=BEN()"]:
        assert code not in text
    assert "at_risk" not in text
    # what is not suppressed is the manager's figure
    assert rows["mentors_active"]["value"] == "5"  # 6, rounded to the nearest 5
    assert rows["attendance_rate"]["value"] == str(round(manager["attendance_rate"], 2))


def test_manager_csv_counts_flags_but_names_no_one(db: Path) -> None:
    manager, _ = _reports(_db_with_formula_codes(db))
    text = exports.report_csv(manager)
    rows = {r["figure"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["at_risk.mentors_flagged"]["value"] == str(len(manager["at_risk"]))
    for code in CODES:
        assert code not in text


def test_report_csv_cells_are_safe_even_for_event_names(db: Path) -> None:
    build(
        db,
        [M(f"P{i}") for i in range(6)],
        [S("E1", "event", "2025-03-10 10:00", event="=1+1")],
        [A("E1", f"P{i}", "attended") for i in range(6)],
    )
    manager, _ = _reports(db)
    assert manager["events"]["by_event"] == {"=1+1": 6}
    for row in csv.reader(io.StringIO(exports.report_csv(manager))):
        for cell in row:
            assert not cell.startswith(exports.FORMULA_STARTS), row
