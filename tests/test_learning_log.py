"""The learning log: notes stored and audited, refused with a reason, marked on monthly charts
with the note on hover (as text, never markup), and only shared notes for funders."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from analysis import chart_tables, charts, database, learning_log
from analysis.learning_log import NoteError


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "log.duckdb"
    with database.connect(path, create=True):
        pass
    return path


def audit(db: Path) -> list[tuple[str, str, str]]:
    with database.connect(db) as con:
        return [
            (str(u), str(a), str(d))
            for u, a, d in con.execute(
                "SELECT user_name, action, detail FROM audit_log ORDER BY logged_at, action"
            ).fetchall()
        ]


def test_add_edit_delete_are_stored_and_audited(db: Path) -> None:
    with database.connect(db) as con:
        first = learning_log.add_note(
            con, "amy@example.org", dt.date(2025, 3, 4), "  New outreach worker in the North ", True
        )
        second = learning_log.add_note(
            con, "amy@example.org", dt.date(2025, 1, 10), "Prison lockdown: no visits", False
        )
        assert first.text == "New outreach worker in the North"
        assert [n.note_id for n in learning_log.notes(con)] == [second.note_id, first.note_id]
        assert [n.note_id for n in learning_log.notes(con, shared_only=True)] == [first.note_id]
        assert learning_log.notes(con, dt.date(2025, 2, 1), dt.date(2025, 3, 31)) == [first]
        edited = learning_log.edit_note(
            con, "bo@example.org", second.note_id, dt.date(2025, 1, 11), "Lockdown lifted", True
        )
        assert edited.author == "amy@example.org" and edited.shared
        # an edit that changes nothing is not logged
        learning_log.edit_note(
            con, "bo@example.org", second.note_id, dt.date(2025, 1, 11), "Lockdown lifted", True
        )
        learning_log.delete_note(con, "bo@example.org", first.note_id)
        assert learning_log.notes(con) == [edited]
    log = audit(db)
    assert [a for _, a, _ in log] == [
        "learning log: add",
        "learning log: add",
        "learning log: edit",
        "learning log: delete",
    ]
    edit = log[2]
    assert edit[0] == "bo@example.org"
    assert "date 2025-01-10 → 2025-01-11" in edit[2] and "text" in edit[2]
    assert "shared with funders no → yes" in edit[2]
    assert f"note {first.note_id}" in log[3][2]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("   ", "empty"),
        ("x" * 2001, "2,001 characters"),
        ("bell\x07", "control character"),
    ],
)
def test_a_bad_note_is_refused_with_a_reason(db: Path, text: str, reason: str) -> None:
    with database.connect(db) as con:
        with pytest.raises(NoteError, match=reason):
            learning_log.add_note(con, "amy", dt.date(2025, 1, 1), text, False)
        assert learning_log.notes(con) == []
    assert audit(db) == []


def test_editing_a_deleted_note_says_so(db: Path) -> None:
    with database.connect(db) as con:
        with pytest.raises(NoteError, match="no note 99"):
            learning_log.edit_note(con, "amy", 99, dt.date(2025, 1, 1), "x", False)
        with pytest.raises(NoteError, match="no note 99"):
            learning_log.delete_note(con, "amy", 99)


def test_notes_are_values_not_code(db: Path) -> None:
    hostile = '=HYPERLINK("http://x") \'; DROP TABLE learning_notes; -- <b>bold</b> *md*'
    with database.connect(db) as con:
        learning_log.add_note(con, "amy", dt.date(2025, 2, 1), hostile, True)
        assert learning_log.notes(con)[0].text == hostile


def monthly_chart() -> charts.Chart:
    frame = pd.DataFrame(
        {
            "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
            "expected": [10, 12, 9],
            "present": [8, 10, 9],
            "on_time": [7, 9, 8],
            "late": [1, 1, 1],
            "no_show": [1, 1, 0],
            "notified": [1, 1, 0],
            "attendance_rate": [0.8, 10 / 12, 1.0],
            "punctuality_rate": [7 / 8, 0.9, 8 / 9],
            "no_show_rate": [0.1, 1 / 12, 0.0],
            "mentors": [5, 6, 5],
        }
    )
    frame.attrs["window"] = {"punctuality_rate": 24 / 27, "present": 27}
    for column in ("bm_expected", "bm_missed", "bm_late", "bm_present"):
        frame[column] = 1
    return charts.punctuality_by_month(frame)


def test_a_monthly_chart_marks_the_notes_with_the_note_on_hover() -> None:
    chart = monthly_chart()
    assert learning_log.is_monthly(chart.figure)
    notes = [
        learning_log.Note(1, dt.date(2025, 2, 14), "Prison <b>lockdown</b>\nno visits", "amy", True)
    ]
    marked = learning_log.mark_notes(chart.figure, notes)
    spec = json.loads(marked.to_json())
    mark = [t for t in spec["data"] if t.get("meta") == chart_tables.LEARNING_LOG]
    assert len(mark) == 1 and mark[0]["x"] == ["2025-02-14"]
    assert mark[0]["hovertext"] == ["14 Feb 2025: Prison &lt;b&gt;lockdown&lt;/b&gt;<br>no visits"]
    assert any(s["x0"] == "2025-02-14" for s in spec["layout"]["shapes"])
    # the numbers of the chart are the same with or without the marks
    assert chart_tables.tables_equal(
        chart_tables.figure_table(marked), chart_tables.figure_table(chart.figure)
    )
    # the original figure is left as it was
    assert len(chart.figure.data) == len(marked.data) - 1


def test_a_chart_over_categories_is_not_monthly() -> None:
    frame = pd.DataFrame({"label": ["Training"], "mentors": [3], "kind": ["outcome"]})
    assert not learning_log.is_monthly(charts.milestone_outcomes(frame).figure)


def test_the_schema_upgrade_adds_the_log_to_an_old_database(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(database.MIGRATIONS[0])
    con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('data_version', '7')")
    con.close()
    with database.connect(path) as con:
        assert database.schema_version(con) == database.SCHEMA_VERSION
        assert learning_log.notes(con) == []
        assert database.data_version(con) == 7


def test_the_pack_holds_only_the_shared_notes(tmp_path: Path) -> None:
    import io

    from conftest import SAMPLES, run_import
    from pypdf import PdfReader

    from analysis import impact, impact_pack, metrics
    from analysis.settings import Settings

    db = tmp_path / "clean.duckdb"
    assert run_import(db, sorted((SAMPLES / "clean").glob("*.csv"))).landed
    with database.connect(db) as con:
        learning_log.add_note(con, "amy", dt.date(2025, 3, 4), "New outreach worker, North", True)
        learning_log.add_note(con, "amy", dt.date(2025, 3, 5), "Private: staff sickness", False)
        learning_log.add_note(con, "amy", dt.date(2019, 1, 1), "Shared, outside the window", True)
        # the financial year 2024/25, which holds March 2025 (a funder's period)
        year = metrics.Scope(dt.date(2024, 4, 1), dt.date(2025, 3, 31))
        summary = impact.summary(con, year, Settings())
    assert [n.text for n in summary.learned] == ["New outreach worker, North"]
    pdf = impact_pack.pdf_bytes(summary, Settings(), images={}, produced=dt.date(2026, 1, 1))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "What changed and what we learned" in text
    assert "New outreach worker, North" in text and "4 March 2025" in text
    assert "staff sickness" not in text and "outside the window" not in text
    # the pack's monthly chart marks the shared note only
    monthly = impact_pack.pack_charts(summary)["monthly"].figure
    marks = [t for t in monthly.data if t.meta == chart_tables.LEARNING_LOG]
    assert [h.split(": ", 1)[1] for h in marks[0].hovertext] == ["New outreach worker, North"]
