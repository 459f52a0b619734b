"""A funder's pack shows its targets: the Impact summary page, its CSV and the PDF, all from one
choice (`impact.target_rows`: the programme-wide targets and those of the pack's stream), each
in the funder's own wording, with target, actual, projection and status in words; a target the
funder report hides (`targets.for_report`) reads as words, never a number. Nowhere does a
suppressed figure read "<5" beside a unit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import as_shown, run_import, signed_in
from streamlit.testing.v1 import AppTest

from analysis import database, exports, figures, impact, impact_pack, metrics, privacy, targets
from analysis.report import build_report
from analysis.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
ROUND2 = Path(__file__).resolve().parent / "samples" / "round2" / "programme"
LOTTERY = "Lottery Reaching Communities"
OTHER_STREAMS = ("Probation CRS North", "Esmée core grant")
WORDS = "not shown: fewer than 5 people"
# The window of the pack: the targets are judged on its last day.
WINDOW = (dt.date(2025, 4, 1), dt.date(2025, 12, 31))
LOTTERY_SCOPE = metrics.Scope(*WINDOW, funding_streams=(LOTTERY,))
WHOLE_SCOPE = metrics.Scope(*WINDOW)
# Every target of the worked example by (figure, stream): the wording a funder reads.
PROGRAMME_WIDE = {
    "attendance_rate": "Attendance rate",  # no wording: the registry's funder label
    "beneficiaries_reached": "People supported",
    "no_show_rate": "Missed sessions kept low",
    "peer_support_hours": "Hours of peer support",
    "punctuality_rate": "Punctuality rate",
    "stages.mentors_progressed": "Mentors who moved forward on the transition curve",
}
LOTTERY_TARGETS = {
    "mentors_active": "Peer mentors taking part",  # no wording: the registry's funder label
    "milestones.paid_employment": "Mentors moving into paid work",
}
# A pack lists the targets whose period overlaps its own (METRICS.md, third release): not the
# 2024/25 ones, nor punctuality's calendar 2026.
NOT_IN_THIS_PERIOD = {"beneficiaries_reached", "punctuality_rate", "mentors_active"}


def in_window(targets_by_figure: dict[str, str]) -> dict[str, str]:
    return {f: h for f, h in targets_by_figure.items() if f not in NOT_IN_THIS_PERIOD}


@pytest.fixture(scope="module")
def programme_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("pack-targets") / "programme.duckdb"
    result = run_import(db, sorted(ROUND2.glob("*.csv")))
    assert result.landed, result.error
    return db


def summary_for(db: Path, scope: metrics.Scope) -> impact.ImpactSummary:
    with database.read(db) as con:
        return impact.summary(con, scope, Settings())


def test_a_streams_pack_has_the_programme_wide_targets_and_its_own(programme_db: Path) -> None:
    summary = summary_for(programme_db, LOTTERY_SCOPE)
    got = {(t.figure, t.who): t.heading for t in summary.targets}
    assert got == {(f, "whole programme"): h for f, h in in_window(PROGRAMME_WIDE).items()} | {
        (f, LOTTERY): h for f, h in in_window(LOTTERY_TARGETS).items()
    }
    for row in summary.targets:  # each overlaps the pack's period
        assert row.period[0] <= WINDOW[1].isoformat() and row.period[1] >= WINDOW[0].isoformat()
    # Each row is the funder report's entry at its index (the index of its suppressed paths).
    for row in summary.targets:
        entry = summary.report["targets"][row.index]
        assert (entry["figure"], entry["funding_stream"] or "whole programme") == (
            row.figure,
            row.who,
        )
        assert row.period == (entry["period"]["from"], entry["period"]["to"])


def test_the_whole_programmes_pack_names_no_funders_own_target(programme_db: Path) -> None:
    summary = summary_for(programme_db, WHOLE_SCOPE)
    # The report lists every stream's targets; the pack only the programme-wide ones.
    assert {e["funding_stream"] for e in summary.report["targets"]} > {None}
    assert {(t.figure, t.who) for t in summary.targets} == {
        (f, "whole programme") for f in in_window(PROGRAMME_WIDE)
    }


def test_hidden_targets_are_exactly_those_the_funder_report_hides(programme_db: Path) -> None:
    summary = summary_for(programme_db, LOTTERY_SCOPE)
    with database.read(programme_db) as con:
        entries, hidden_paths = targets.for_report(
            con, LOTTERY_SCOPE, Settings(), WINDOW[1], "funder"
        )
        manager = build_report(con, LOTTERY_SCOPE, Settings(), "manager")
    hidden = {int(p.split(".")[1]) for p in hidden_paths}
    assert hidden  # the Lottery's paid-work target rests on fewer than 5 people
    assert {t.index for t in summary.targets if t.hidden} == hidden
    for row in summary.targets:
        real = manager["targets"][row.index]
        # the status, decided on the exact values, is shown even when the actual is hidden
        assert row.status == real["status"]
        assert row.status_text == targets.STATUS_WORDS[real["status"]]
        if row.hidden:
            assert 0 < real["actual"] < 5  # something real, and small, is hidden
            assert (row.actual, row.projected) == (None, None)
            assert (row.actual_text, row.projected_text) == (WORDS, WORDS)
            assert "the number is not shown (fewer than 5 people)" in row.sentence
        else:
            figure = figures.get(row.figure)
            assert row.actual == figures.rounded(figure.funder_rounding, real["actual"])
        assert row.target == entries[row.index]["target"]  # the agreement itself is shown


def test_the_texts_of_a_target(programme_db: Path) -> None:
    rows = {t.figure: t for t in summary_for(programme_db, LOTTERY_SCOPE).targets}
    hours = rows["peer_support_hours"]
    assert (hours.target_text, hours.period_text) == (
        "at least 611",
        "1 April 2025 to 31 March 2026",
    )
    assert hours.actual_text == targets.value_text("peer_support_hours", hours.actual)
    assert float(hours.projected_text.replace(",", "")) > float(hours.actual_text.replace(",", ""))
    assert rows["no_show_rate"].target_text == "at most 10%"
    assert "punctuality_rate" not in rows  # its period (2026) does not overlap the pack's


@pytest.mark.parametrize(
    ("entry", "heading"),
    [
        ({"figure": "peer_support_hours", "wording": "Our hours"}, "Our hours"),
        ({"figure": "peer_support_hours", "wording": None}, "Hours of peer support"),
        ({"figure": "mentors_started", "wording": ""}, "Peer mentors who started"),
        (
            {"figure": "milestones.paid_employment", "wording": None},
            "Milestones reached: Started paid work",
        ),
    ],
)
def test_a_target_without_wording_has_the_registrys_funder_label(
    entry: dict[str, str | None], heading: str
) -> None:
    assert impact.target_heading(entry) == heading


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_csv_has_the_packs_targets_through_suppression(programme_db: Path) -> None:
    summary = summary_for(programme_db, LOTTERY_SCOPE)
    rows = read_csv(exports.aggregates_csv(summary, Settings()))
    target_rows = [r for r in rows if r["figure"].startswith("targets.")]
    assert len(target_rows) == 4 * len(summary.targets)
    by_path = {r["figure"]: r for r in target_rows}
    for t in summary.targets:
        name = f"{t.heading} ({t.who})"
        for part in ("target", "actual", "projected", "status"):
            row = by_path[f"targets.{t.index}.{part}"]
            assert row["label"].startswith(name + ": ")
            assert (row["window_from"], row["window_to"]) == t.period
            assert row["period"] == "target period"
        assert float(by_path[f"targets.{t.index}.target"]["value"]) == t.target
        assert by_path[f"targets.{t.index}.target"]["suppressed"] == "no"
        for part in ("actual", "projected"):
            row = by_path[f"targets.{t.index}.{part}"]
            if t.hidden:
                assert (row["value"], row["suppressed"]) == ("", "yes")
                assert row["shown_as"].lower() == WORDS
            else:
                assert row["suppressed"] == "no"
        status = by_path[f"targets.{t.index}.status"]
        assert (status["value"], status["shown_as"], status["suppressed"]) == (
            t.status,
            t.status_text,
            "no",
        )
        if not t.hidden and t.actual is not None:
            assert float(by_path[f"targets.{t.index}.actual"]["value"]) == pytest.approx(t.actual)
    # No other stream's target, and no suppressed figure as "<5" in the readable column.
    assert not [r for r in rows if any(s in r["label"] for s in OTHER_STREAMS)]
    assert not [r for r in rows if "<" in r["shown_as"]]
    for_others = set(summary.report["suppressed_for_others"])
    for row in rows:
        if row["suppressed"] == "yes":
            words = privacy.FOR_OTHERS_WORDS if row["figure"] in for_others else WORDS
            if row["period"] == "previous period":
                continue  # its own report's reasons: tests/test_impact.py
            assert (row["value"], row["shown_as"].lower()) == ("", words), row


def pdftotext(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "pack.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    )
    return " ".join(done.stdout.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_the_pdf_shows_the_same_targets_in_words(programme_db: Path, tmp_path: Path) -> None:
    summary = summary_for(programme_db, LOTTERY_SCOPE)
    # No charts (Kaleido is slow; the charts' pack is tested with them): the text is the same.
    text = pdftotext(
        impact_pack.pdf_bytes(summary, Settings(), images={}, produced=dt.date(2026, 1, 5)),
        tmp_path,
    )
    assert f"for {LOTTERY}" in text and "Our targets" in text
    for t in summary.targets:
        assert t.sentence in text
        assert f"{t.status_text}. {t.sentence}" in text
    assert (
        "Met. Mentors moving into paid work (Lottery Reaching Communities, 1 January 2025 to 31 "
        "December 2025): target 1; the number is not shown (fewer than 5 people): met."
    ) in text
    for stream in OTHER_STREAMS:
        assert stream not in text
    # "<5" only where a chart's caption or the notes say in words what the mark means.
    assert "<5" not in re.sub(r"marked '?<5'?", "", text)


def open_page(
    db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, funder: bool
) -> AppTest:
    """The Impact summary for the Lottery's stream, the programme to date (a funder chooses a
    preset window and one part of the programme: the differencing rule)."""
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(tmp_path / "no-settings.toml"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    if funder:
        at.secrets["auth"] = {
            "redirect_uri": "http://localhost:8501/oauth2callback",
            "cookie_secret": "a-test-secret-that-is-long-enough",
            "client_id": "dashboard",
            "client_secret": "not-a-secret",
            "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
        }
        at.secrets["access"] = {"managers": ["m@example.org"], "funders": ["f@example.org"]}
        at.user = signed_in("f@example.org")
    at.run()
    at.switch_page("pages/impact_summary.py").run()
    if not funder:
        at.sidebar.selectbox(key="filter_window").set_value("Programme to date").run()
    if funder:
        at.sidebar.selectbox(key="funder_part").set_value(f"Funding stream {LOTTERY}").run()
    else:
        at.sidebar.multiselect(key="filter_streams").set_value([LOTTERY]).run()
    assert not at.exception
    return at


def page_targets(at: AppTest) -> list[list[str]]:
    tables = [t for t in at.table if list(t.value.columns) == list(impact.TARGET_COLUMNS)]
    assert len(tables) == 1
    return [[as_shown(str(cell)) for cell in row] for row in tables[0].value.values.tolist()]


def expected_table(db: Path, funder: bool) -> list[list[str]]:
    # a funder's page: the financial year of the latest session, to date; a manager's: to date
    with database.read(db) as con:
        to_date = metrics.data_window(con)
    assert to_date is not None
    window = (dt.date(2025, 4, 1), dt.date(2025, 12, 31)) if funder else to_date
    summary = summary_for(db, metrics.Scope(*window, funding_streams=(LOTTERY,)))
    return [[str(c) for c in row] for row in impact.targets_table(summary.targets).values.tolist()]


@pytest.mark.parametrize("funder", [True, False], ids=["funder", "manager"])
def test_the_page_shows_the_packs_targets(
    programme_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, funder: bool
) -> None:
    at = open_page(programme_db, monkeypatch, tmp_path, funder=funder)
    assert [s.value for s in at.subheader if s.value == "Our targets"] == ["Our targets"]
    shown = page_targets(at)
    assert shown == expected_table(programme_db, funder)
    by_name = {row[0]: row for row in shown}
    wide, own = (
        (in_window(PROGRAMME_WIDE), in_window(LOTTERY_TARGETS))
        if funder
        else ({f: h for f, h in PROGRAMME_WIDE.items() if f != "punctuality_rate"}, LOTTERY_TARGETS)
    )  # to date: every target but punctuality's, whose period (2026) starts after the records
    assert set(by_name) == set(wide.values()) | set(own.values())
    paid = by_name["Mentors moving into paid work"]
    assert paid[1] == LOTTERY and paid[3] == "at least 1"
    assert paid[4:] == [WORDS, WORDS, "✓ Met"]  # the status is kept, the number hidden
    assert by_name["Hours of peer support"][6] in ("✓ On track", "! At risk", "✗ Off track")
    # Cards: a suppressed figure reads "Not shown" with "fewer than 5 people", never "<5".
    for metric in at.metric:
        assert "<" not in f"{metric.value} {metric.delta}"
        if metric.value == privacy.HIDDEN_SHORT:
            assert metric.delta == "fewer than 5 people"
    page = as_shown(" ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info]))
    assert "<5" not in re.sub(r"marked '?<5'?", "", page)
    assert ("This is the page funders see" in page) == (not funder)
    for stream in OTHER_STREAMS:
        assert not [row for row in shown if stream in row[1]]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_a_suppressed_tile_in_the_pdf_reads_as_words(programme_db: Path, tmp_path: Path) -> None:
    """A small cohort's quarter: its mentors, hours and attendance rest on fewer than 5."""
    scope = metrics.Scope(dt.date(2025, 10, 1), dt.date(2025, 12, 31), cohorts=("2024 Q1",))
    summary = summary_for(programme_db, scope)
    tiles = ("mentors_active", "beneficiaries_reached", "peer_support_hours", "attendance_rate")
    hidden = [key for key in tiles if summary.headline(key).suppressed]
    assert {"peer_support_hours", "attendance_rate"} <= set(hidden)
    text = pdftotext(
        impact_pack.pdf_bytes(summary, Settings(), images={}, produced=dt.date(2026, 1, 5)),
        tmp_path,
    )
    for key in hidden:
        label = " ".join(summary.headline(key).label.split())
        assert re.search(rf"Not shown .*{re.escape(label.split()[0])}", text)
    assert text.count("fewer than 5 people") >= len(hidden)
    assert "Hours of peer support <5" not in text and "Attendance rate <5" not in text
    assert "<5" not in re.sub(r"marked '?<5'?", "", text)


HOSTILE = '=HYPERLINK("http://evil.example") **Bold** [link](http://e.org) <b>x</b> a@b.org'


@pytest.fixture(scope="module")
def hostile_db(programme_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worked example with one more Lottery target, worded like an attack."""
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "hostile.duckdb"
    shutil.copy(programme_db, db)
    text = (
        "figure,period_start,period_end,target,funding_stream,wording\n"
        f'mentors_started,2025-04-01,2026-03-31,4,{LOTTERY},"{HOSTILE.replace(chr(34), chr(34) * 2)}"\n'
    )
    result = run_import(db, {"targets.csv": text}, folder / "in")
    assert result.landed and result.files[0].rejected == 0, result.summary()
    return db


def test_a_wording_like_an_attack_is_shown_as_the_text_it_is(
    hostile_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary = summary_for(hostile_db, LOTTERY_SCOPE)
    assert [t.heading for t in summary.targets if t.figure == "mentors_started"] == [HOSTILE]
    # In the CSV the cell cannot start a formula.
    rows = read_csv(exports.aggregates_csv(summary, Settings()))
    labels = [r["label"] for r in rows if r["label"].startswith(("=", "'="))]
    assert labels and all(label.startswith("'=") for label in labels)
    # On the page: the table shows the text itself (no link, no bold, no HTML).
    at = open_page(hostile_db, monkeypatch, tmp_path, funder=True)
    table = [t for t in at.table if list(t.value.columns) == list(impact.TARGET_COLUMNS)][0]
    cells = [str(c) for c in table.value["Target"]]
    hostile = [c for c in cells if "HYPERLINK" in c]
    assert [as_shown(c) for c in hostile] == [HOSTILE]
    assert all("**" not in c.replace("\\*", "") for c in hostile)
