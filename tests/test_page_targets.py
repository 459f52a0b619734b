"""The Targets page and the Overview's targets sentence, in AppTest on demo data with targets
of our own (fixed dates, so nothing depends on today)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from conftest import run_import
from streamlit.testing.v1 import AppTest

from analysis import charts, database, target_charts, targets
from analysis.metrics import Scope
from analysis.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
FROM, TO = dt.date(2025, 6, 1), dt.date(2026, 5, 31)
TARGETS = """\
figure,period_start,period_end,target,funding_stream,wording
peer_support_hours,2025-04-01,2026-03-31,1,,Hours of **peer** support
attendance_rate,2026-01-01,2026-12-31,99%,,
no_show_rate,2025-04-01,2026-03-31,1%,,Missed sessions kept low
mentors_active,2026-04-01,2027-03-31,1000,Lottery Reaching Communities,[a link](http://example.org)
punctuality_rate,2027-01-01,2027-12-31,80%,,
"""


@pytest.fixture(scope="module")
def targets_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("targets-page") / "demo.duckdb"
    shutil.copy(demo_db, db)
    with database.connect(db) as con:
        con.execute("DELETE FROM targets")
    result = run_import(db, {"targets.csv": TARGETS}, db.parent / "in")
    assert result.files[0].inserted == 5
    return db


def start(db: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(db.parent / "no-settings.toml"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    at.sidebar.selectbox(key="filter_window").set_value("Custom dates").run()
    at.sidebar.date_input(key="filter_from").set_value(FROM).run()
    at.sidebar.date_input(key="filter_to").set_value(TO).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_targets_page_shows_each_target_with_its_status(
    targets_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = start(targets_db, monkeypatch, "targets")
    with database.read(targets_db) as con:
        evaluations = targets.page_evaluations(con, Scope(FROM, TO), Settings())
    assert [e.status for e in evaluations].count("not_started") == 1  # 2027's
    sentence = targets.on_track_sentence(evaluations)
    running = [e for e in evaluations if e.target.period_start <= e.on <= e.target.period_end]
    assert sentence is not None and sentence.startswith(f"Of the {len(running)} target")
    # a page counts only the targets whose period holds the window's end; met ones as met
    met = sum(e.status == "met" for e in running)
    assert (f"{met} met" in sentence) == bool(met)
    assert [h.value for h in at.subheader] == [charts.markdown_safe(sentence)]
    specs = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    assert len(specs) == len(evaluations) == 5
    titles = [s["layout"]["title"]["text"] for s in specs]
    for evaluation, title in zip(evaluations, titles, strict=True):
        words = targets.STATUS_WORDS[evaluation.status]
        assert title.startswith(f"{targets.STATUS_SYMBOLS[evaluation.status]} {words}: ")
    # the funder's wording is text, never markup, in a chart title
    assert any("Hours of **peer** support" in t for t in titles)
    assert any("[a link](http://example.org)" in t for t in titles)
    badges = " ".join(m.value for m in at.markdown)
    for evaluation in evaluations:
        assert targets.STATUS_WORDS[evaluation.status] in badges
    captions = [c.value for c in at.caption]
    for evaluation in evaluations:
        assert charts.markdown_safe(target_charts.progress(evaluation).summary) in captions
    assert not any("[a link](http" in c for c in captions)  # a link in a wording stays text
    assert any(b.label == "Save changes" for b in at.button)


def test_the_overview_names_the_targets_at_risk(
    targets_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = start(targets_db, monkeypatch, "overview")
    with database.read(targets_db) as con:
        evaluations = targets.page_evaluations(con, Scope(FROM, TO), Settings())
    sentence = targets.on_track_sentence(evaluations)
    assert sentence is not None
    shown = [m.value for m in at.markdown if m.value.startswith("**Targets:**")]
    assert shown == [f"**Targets:** {charts.markdown_safe(sentence)}"]
