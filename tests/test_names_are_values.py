"""Names from the records are values, never key paths (security probe, finding 8).

An event named "St. George's Day" was split on its dot into nested keys, which broke the Impact
summary for everyone and the PDF pack. Event names with dots, brackets and quotes must come
through the report, the summary, the CSV, the page and the pack as the names they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from analysis import database, exports, impact, metrics
from analysis.report import build_report
from analysis.settings import Settings
from tests.conftest import A, M, S, build, cli_env

ROOT = Path(__file__).resolve().parents[1]
WINDOW = metrics.Scope(dt.date(2025, 4, 1), dt.date(2025, 6, 30))
# name → how many mentors attended it (fewer than 5 is suppressed for funders)
EVENTS = {
    "St. George's Day": 6,
    'Day 1.5 [pilot] "new"': 5,
    "a.b.c": 6,
    "..": 5,
    "events.by_event.x": 6,
    "It's. Small.": 2,
}


@pytest.fixture(scope="module")
def names_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("names") / "names.duckdb"
    sessions = [
        S(f"E{i}", "event", f"2025-04-{10 + i:02d} 10:00", event=name)
        for i, name in enumerate(EVENTS)
    ]
    attendance = [
        A(f"E{i}", f"PM-{m}", "attended", "10:00")
        for i, n in enumerate(EVENTS.values())
        for m in range(n)
    ]
    return build(db, [M(f"PM-{m}") for m in range(6)], sessions, attendance)


def test_the_reports_key_every_event_by_its_whole_name(names_db: Path) -> None:
    with database.connect(names_db) as con:
        manager = build_report(con, WINDOW, Settings(), "manager")
        funder = build_report(con, WINDOW, Settings(), "funder")
    assert manager["events"]["by_event"] == EVENTS
    # a funder's counts are rounded to the nearest 5 (6 → 5)
    expected = {name: (None if n < 5 else 5 * round(n / 5)) for name, n in EVENTS.items()}
    assert funder["events"]["by_event"] == expected
    assert "events.by_event.It's. Small." in funder["suppressed"]
    json.dumps(funder)  # still plain JSON


def test_the_summary_and_its_csv_name_every_event(names_db: Path) -> None:
    with database.connect(names_db) as con:
        summary = impact.summary(con, WINDOW, Settings())
    shown = {row.label: (row.suppressed, None if row.suppressed else row.value)
             for row in summary.events.itertuples()}  # fmt: skip
    assert shown == {
        name: (n < 5, None if n < 5 else 5 * round(n / 5)) for name, n in EVENTS.items()
    }
    text = exports.aggregates_csv(summary, Settings()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    labels = {r["label"]: r["shown_as"] for r in rows if r["figure"].startswith("events.by_event.")}
    assert labels["Mentors at St. George's Day"] == "5"  # 6, rounded
    assert labels['Mentors at Day 1.5 [pilot] "new"'] == "5"
    assert labels["Mentors at It's. Small."] == "not shown: fewer than 5 people"
    assert impact.key_charts(summary)["events"].figure.data


def test_the_impact_summary_page_draws_for_a_funder(
    names_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DASHBOARD_DB", str(names_db))
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(tmp_path / "no-settings.toml"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/impact_summary.py").run()
    at.sidebar.selectbox(key="filter_window").set_value("Programme to date").run()
    assert not at.exception, at.exception
    assert not at.error


def test_the_pdf_pack_is_made_and_names_the_event(names_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "report", "--db", str(names_db), "--audience",
         "funder", "--format", "pdf", "--out", str(out), "--from", "2025-04-01",
         "--to", "2025-06-30"],
        cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert "5 mentors took part in group days and events" in text  # 6, rounded
    assert "1 event was attended by fewer than 5 mentors" in text
