"""The impact summary: sentences, changes, monthly rates and the CSV, all through suppression.

The database is the worked example with one mentor's code replaced by a spreadsheet formula and
a note no funder may read, so every test also checks that neither leaks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from contract import ADDED_IN_THIRD_RELEASE, as_in_contract

from analysis import database, exports, impact, metrics
from analysis.importer import ImportSource, import_files
from analysis.report import build_report
from analysis.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).resolve().parent / "samples_impact"
EXPECTED_ALL = SAMPLES / "expected" / "clean_report_funder.json"
EXPECTED_Q3 = SAMPLES / "expected" / "clean_report_funder_2025Q3.json"
ODD_CODE = '=HYPERLINK("x")'
ODD_NOTE = "Disclosed a court date to her mentor"
MENTOR_CODE = re.compile(r"PM-\d{4}")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
K = Settings().suppression_k


def build_impact_db(path: Path) -> Path:
    """The worked example, with PM-0001 renamed to a formula and a note no funder may read."""
    sources = [ImportSource.of(p) for p in sorted((SAMPLES / "clean").glob("*.csv"))]
    result = import_files(path, sources, user="tests", settings=Settings())
    assert result.landed
    with database.connect(path) as con:
        for table in ("mentors", "attendance", "stage_assessments", "milestones"):
            con.execute(
                f"UPDATE {table} SET mentor_id = $odd WHERE mentor_id = 'PM-0001'",
                {"odd": ODD_CODE},
            )
        con.execute(
            "UPDATE attendance SET notes = $note WHERE notes IS NOT NULL", {"note": ODD_NOTE}
        )
        con.execute("UPDATE stage_assessments SET notes = $note", {"note": ODD_NOTE})
    return path


def private_texts() -> list[str]:
    """Every mentor and beneficiary code and note in the data: none may reach a funder."""
    texts = {ODD_CODE, ODD_NOTE, "HYPERLINK"}
    for name, columns in (
        ("mentors.csv", ("mentor_id",)),
        ("sessions.csv", ("beneficiary_id", "staff_id")),
        ("attendance.csv", ("notes",)),
        ("stage_assessments.csv", ("notes",)),
        ("milestones.csv", ("notes",)),
    ):
        with (SAMPLES / "clean" / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                texts.update(row[c] for c in columns if row[c])
    return sorted(texts)


def leaks(text: str) -> list[str]:
    found = [t for t in private_texts() if t in text]
    return found + MENTOR_CODE.findall(text)


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@pytest.fixture(scope="module")
def impact_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_impact_db(tmp_path_factory.mktemp("impact") / "impact.duckdb")


def summary_for(db: Path, scope: metrics.Scope) -> impact.ImpactSummary:
    with database.connect(db) as con:
        return impact.summary(con, scope, Settings())


Q3 = metrics.Scope(cohorts=("2025 Q3",))
YEAR_2025 = metrics.Scope(dt.date(2025, 1, 1), dt.date(2025, 12, 31))


# -- the funder report underneath ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "expected"), [(metrics.Scope(), EXPECTED_ALL), (Q3, EXPECTED_Q3)]
)
def test_the_summary_rests_on_the_funder_report(
    impact_db: Path, scope: metrics.Scope, expected: Path
) -> None:
    summary = summary_for(impact_db, scope)
    wanted = load_json(expected)  # the contract's keys; the report also says its filters
    assert as_in_contract(summary.report, wanted) == wanted
    assert summary.report["audience"] == summary.previous_report["audience"] == "funder"
    assert "at_risk" not in summary.report and "at_risk" not in summary.previous_report


# -- sentences --------------------------------------------------------------------------------


def test_the_sentences_for_the_worked_example(impact_db: Path) -> None:
    summary = summary_for(impact_db, metrics.Scope())
    # a funder's default period: the financial year holding the latest session, to its date;
    # every count rounded to the nearest 5, rates to a whole percent
    assert summary.window == (dt.date(2025, 4, 1), dt.date(2025, 12, 30))
    assert summary.lead == (
        "Between 1 April 2025 and 30 December 2025, 30 peer mentors supported 80 "
        "beneficiaries through 490 hours of peer support."
    )
    was = "in the previous financial year (2024/25)"
    assert [h.sentence for h in summary.headlines] == [
        f"30 peer mentors took part in the programme, unchanged from 30 {was}.",
        f"Peer mentors supported 80 beneficiaries in one-to-one meetings, unchanged from 80 {was}.",
        f"Mentors gave 490 hours of peer support to beneficiaries, up 95 from 395 {was}.",
        "Mentors attended 85% of the sessions they were expected at, down 2 percentage points "
        f"from 87% {was}.",
        "Mentors arrived on time (within 5 minutes) for 87% of the sessions they attended, up 4 "
        f"percentage points from 83% {was}.",
        "By 30 December 2025, 15 mentors had completed 10 hours of shadowing a member of staff, "
        f"unchanged from 15 {was}.",
        "25 mentors had moved forward on the transition curve since their first assessment, up "
        f"5 from 20 {was}.",
        f"25 mentors took part in group days and events, down 5 from 30 {was}.",
    ]
    assert summary.milestone_sentence == (
        "Milestones reached in the period: 10 mentors completed their training; fewer than 5 "
        "mentors completed their shadowing; 10 mentors held their first mentoring session; "
        "fewer than 5 mentors gained an accredited qualification; fewer than 5 mentors started "
        "volunteering; and fewer than 5 mentors started paid work."
    )
    # the previous period of the same kind: the whole previous financial year
    assert summary.comparable
    assert summary.previous_window == (dt.date(2024, 4, 1), dt.date(2025, 3, 31))


def test_a_year_with_changes_on_the_previous_year(impact_db: Path) -> None:
    summary = summary_for(impact_db, YEAR_2025)
    assert summary.period == "in 2025"
    assert summary.previous_window == (dt.date(2024, 1, 2), dt.date(2024, 12, 31))
    assert summary.comparable
    assert summary.lead == (
        "In 2025, 35 peer mentors supported 80 beneficiaries through 645 hours of peer support."
    )
    mentors = summary.headline("mentors_active")
    assert mentors.sentence == (
        "35 peer mentors took part in the programme, up 10 from 25 in the previous 12 months."
    )  # 33 and 26, rounded to the nearest 5 as shown
    assert mentors.delta == "+10"
    attendance = summary.headline("attendance_rate")
    assert attendance.change == "down 1 percentage point from 87% in the previous 12 months"
    assert attendance.delta == "-1 pts"
    # Each change is the previous funder report's figure, compared as shown.
    previous = summary.previous_report
    assert previous["mentors_active"] == 25 and previous["window"]["to"] == "2024-12-31"
    assert any("only partly covered" in c for c in summary.caveats)


def test_suppressed_figures_read_fewer_than_k_and_have_no_change(impact_db: Path) -> None:
    summary = summary_for(impact_db, Q3)
    for headline in summary.headlines:
        assert headline.suppressed == (headline.key in summary.report["suppressed"])
        if headline.suppressed:
            assert headline.value is None
            assert headline.shown == "Not shown"  # in words, never "<5" beside a unit
            assert f"fewer than {K}" in headline.sentence.lower()
            assert headline.change is None and headline.delta is None
    hidden = [h.key for h in summary.headlines if h.suppressed]
    assert hidden == ["shadowing.mentors_complete", "stages.mentors_progressed"]
    assert summary.headline("shadowing.mentors_complete").sentence == (
        "By 30 December 2025, fewer than 5 mentors had completed 10 hours of shadowing a member "
        "of staff."
    )


@pytest.mark.parametrize(
    ("kind", "current", "hidden", "previous", "previous_hidden", "words", "delta"),
    [
        ("count", 48, False, 36, False, "up 12 from 36 in the previous 12 months", "+12"),
        ("count", 30, False, 36, False, "down 6 from 36 in the previous 12 months", "-6"),
        ("count", 36, False, 36, False, "unchanged from 36 in the previous 12 months", "0"),
        ("count", 1240, False, 1000, False, "up 240 from 1,000 in the previous 12 months", "+240"),
        ("hours", 889.55, False, 770.4, False, "up 120 from 770 in the previous 12 months", "+120"),
        (
            "rate",
            0.862,
            False,
            0.78,
            False,
            "up 8 percentage points from 78% in the previous 12 months",
            "+8 pts",
        ),
        ("rate", 0.5, False, None, False, "no figure for the previous 12 months", None),
        # A hidden previous figure: its suppressed form only, never a difference.
        (
            "count",
            12,
            False,
            None,
            True,
            "compared with fewer than 5 in the previous 12 months",
            None,
        ),
        # A hidden current figure: no change at all, whatever came before.
        ("count", None, True, 36, False, None, None),
        ("rate", None, True, 0.8, False, None, None),
        ("count", None, False, 3, False, None, None),
    ],
)
def test_change_words(
    kind: str,
    current: Any,
    hidden: bool,
    previous: Any,
    previous_hidden: bool,
    words: str | None,
    delta: str | None,
) -> None:
    assert impact.change_words(
        kind, current, hidden, previous, previous_hidden, "the previous 12 months", 5
    ) == (words, delta)


@pytest.mark.parametrize(
    ("value", "hidden", "kind", "expected"),
    [
        (40, False, "count", ("40", "40")),
        (1240, False, "count", ("1,240", "1,240")),
        (889.55, False, "hours", ("890", "890")),
        (0.8623, False, "rate", ("86%", "86%")),
        (0, False, "count", ("0", "0")),
        (None, True, "count", ("Not shown", "fewer than 5")),
        (None, True, "rate", ("Not shown", "fewer than 5")),
        (None, False, "rate", ("–", "no figure")),
    ],
)
def test_figure_text(value: Any, hidden: bool, kind: str, expected: tuple[str, str]) -> None:
    assert impact.figure_text(value, hidden, kind, 5) == expected


@pytest.mark.parametrize(
    ("window", "period", "title", "previous"),
    [
        ((dt.date(2024, 4, 1), dt.date(2025, 3, 31)), "between April 2024 and March 2025",
         "April 2024 to March 2025", "the previous financial year (2023/24)"),
        ((dt.date(2025, 1, 1), dt.date(2025, 12, 31)), "in 2025", "2025", "the previous 12 months"),
        ((dt.date(2025, 3, 1), dt.date(2025, 3, 31)), "in March 2025", "March 2025",
         "the previous month"),
        ((dt.date(2025, 1, 1), dt.date(2025, 3, 31)), "between January 2025 and March 2025",
         "January 2025 to March 2025", "the previous quarter (Q3 2024/25)"),
        ((dt.date(2024, 1, 14), dt.date(2025, 12, 30)),
         "between 14 January 2024 and 30 December 2025",
         "14 January 2024 to 30 December 2025", "the previous period"),
    ],
)  # fmt: skip
def test_period_words(
    window: tuple[dt.date, dt.date], period: str, title: str, previous: str
) -> None:
    assert impact.period_words(window) == (period, title)
    assert impact.previous_words(window) == previous


def test_a_suppressed_rate_or_hours_is_not_read_as_fewer_than_k_hours() -> None:
    report = load_json(EXPECTED_Q3)
    report["peer_support_hours"] = None
    report["attendance_rate"] = None
    report["suppressed"] = sorted([*report["suppressed"], "attendance_rate", "peer_support_hours"])
    lines = {
        key: impact._headline(key, label, kind, template, report, None, "x", Settings())
        for key, label, kind, template in impact.HEADLINE_FIGURES
    }
    assert lines["peer_support_hours"].sentence == (
        "The number of hours of peer support is not shown, as it rests on fewer than 5 mentors."
    )
    assert lines["attendance_rate"].shown == "Not shown"
    lead = impact._lead("between x and y", lines)
    assert lead.endswith("supported 40 beneficiaries through peer support.")  # rounded


# -- chart data -------------------------------------------------------------------------------


def independent_monthly_people(
    scope: metrics.Scope, window: tuple[dt.date, dt.date]
) -> pd.DataFrame:
    """Distinct mentors behind each month's rates, counted in pandas from the sample files."""
    mentors = pd.read_csv(SAMPLES / "clean" / "mentors.csv", parse_dates=["start_date", "end_date"])
    sessions = pd.read_csv(SAMPLES / "clean" / "sessions.csv", parse_dates=["scheduled_start"])
    attendance = pd.read_csv(SAMPLES / "clean" / "attendance.csv")
    start, end = pd.Timestamp(window[0]), pd.Timestamp(window[1])
    if scope.cohorts:
        mentors = mentors[mentors["cohort"].isin(scope.cohorts)]
    active = mentors[
        (mentors["start_date"] <= end)
        & (mentors["end_date"].isna() | (mentors["end_date"] >= start))
    ]
    rows = attendance.merge(sessions, on="session_id").merge(active, on="mentor_id")
    rows["day"] = rows["scheduled_start"].dt.normalize()
    rows = rows[(rows["day"] >= start) & (rows["day"] <= end)]
    rows["month"] = rows["day"].dt.to_period("M").dt.start_time.dt.date
    expected = rows[rows["attendance"] != "cancelled_by_programme"]
    present = rows[rows["attendance"].isin(["attended", "late"])]
    return pd.DataFrame(
        {
            "expected_people": expected.groupby("month")["mentor_id"].nunique(),
            "present_people": present.groupby("month")["mentor_id"].nunique(),
        }
    ).fillna(0)


@pytest.mark.parametrize("scope", [metrics.Scope(), Q3, YEAR_2025], ids=["all", "Q3", "2025"])
def test_a_month_resting_on_fewer_than_k_mentors_is_suppressed(
    impact_db: Path, scope: metrics.Scope
) -> None:
    summary = summary_for(impact_db, scope)
    people = independent_monthly_people(scope, summary.window)
    monthly = summary.monthly.set_index("month")
    assert list(monthly.index) == sorted(people.index)
    for month, row in monthly.iterrows():
        for rate, column, support in (
            ("attendance_rate", "attendance_suppressed", "expected_people"),
            ("punctuality_rate", "punctuality_suppressed", "present_people"),
        ):
            small = 0 < people.loc[month, support] < K
            assert row[column] == small, (month, rate)
            if small:
                assert pd.isna(row[rate])
            else:
                assert not pd.isna(row[rate])
    assert set(summary.monthly.columns) == {
        "month",
        "attendance_rate",
        "attendance_suppressed",
        "punctuality_rate",
        "punctuality_suppressed",
    }  # rates only: no counts that would let a hidden month be worked back


def test_the_q3_cohort_has_suppressed_months(impact_db: Path) -> None:
    monthly = summary_for(impact_db, Q3).monthly
    hidden = monthly[monthly["attendance_suppressed"]]["month"].tolist()
    assert hidden == [dt.date(2025, 7, 1), dt.date(2025, 8, 1)]


@pytest.mark.parametrize("scope", [metrics.Scope(), Q3], ids=["all", "Q3"])
def test_the_charts_show_no_suppressed_value(impact_db: Path, scope: metrics.Scope) -> None:
    summary = summary_for(impact_db, scope)
    charts = impact.key_charts(summary)
    assert set(charts) == {"monthly", "stages", "milestones", "events", "journey", "skills"}
    for name, frame in (
        ("stages", summary.stages),
        ("milestones", summary.milestones),
        ("events", summary.events),
    ):
        bar = charts[name].figure.data[0]
        values = list(bar.x)
        marks = [a.text for a in charts[name].figure.layout.annotations]
        for value, hidden in zip(values, frame["suppressed"], strict=True):
            if hidden:
                assert value is None
        assert marks == [f"&lt;{K}"] * int(frame["suppressed"].sum())
        assert charts[name].summary
    journey_bars = charts["journey"].figure.data[0]
    f, hidden = summary.report["funnel"], set(summary.suppressed)
    keys = ("started", "training_completed", "shadowing_completed", "first_mentoring")
    keys += ("completed", "withdrawn", "in_programme")
    assert list(journey_bars.x) == [None if f"funnel.{k}" in hidden else f[k] for k in keys]
    assert len(charts["journey"].figure.layout.annotations) == sum(
        f"funnel.{k}" in hidden for k in keys
    )
    # the three skills: a hidden point is a gap, and its attendances are not shown either
    curve = summary.report["skills_curve"]
    for trace, name in zip(
        charts["skills"].figure.data, ("late_rate", "no_show_rate"), strict=False
    ):
        for y, point in zip(trace.y, curve, strict=True):
            if f"skills_curve.{point['bucket']}.{name}" in hidden:
                assert y is None
    for x, point in zip(charts["skills"].figure.data[0].x, curve, strict=True):
        if f"skills_curve.{point['bucket']}.present" in hidden:
            assert "not shown" in x and str(point["present"]) not in x.split("<br>")[1]
    for chart in charts.values():
        assert not leaks(chart.figure.to_json())


def test_stage_breakdown_matches_the_report(impact_db: Path) -> None:
    summary = summary_for(impact_db, metrics.Scope())
    stages = summary.stages
    assert stages["label"].tolist()[:2] == ["1 Immobilisation", "2 Minimisation"]
    shown = dict(zip(stages["label"], stages["value"], strict=True))
    assert shown["4 Letting go"] == 10  # 13, rounded to the nearest 5
    assert stages["suppressed"].tolist() == [True, True, True, False, True, True, True, False]


# -- the CSV ----------------------------------------------------------------------------------


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("scope", "expected"), [(metrics.Scope(), EXPECTED_ALL), (Q3, EXPECTED_Q3)]
)
def test_the_csv_holds_the_funder_figures_with_their_marks(
    impact_db: Path, scope: metrics.Scope, expected: Path
) -> None:
    summary = summary_for(impact_db, scope)
    rows = read_csv(exports.aggregates_csv(summary, Settings()))
    report = load_json(expected)
    figures = flat({k: v for k, v in report.items() if k in exports_keys()})
    period = {r["figure"]: r for r in rows if r["period"] == "period"}
    assert {p for p in period if not p.startswith(ADDED_IN_THIRD_RELEASE)} == set(figures)
    for path, value in figures.items():
        row = period[path]
        if path in report["suppressed"]:
            words = (
                "not shown, so that a smaller number cannot be worked out"
                if path in summary.report["suppressed_for_others"]
                else f"not shown: fewer than {K} people"
            )
            assert (row["value"], row["suppressed"], row["shown_as"]) == ("", "yes", words)
        elif value is None:
            assert (row["value"], row["suppressed"]) == ("", "no")
        else:
            assert float(row["value"]) == pytest.approx(value)
            assert row["suppressed"] == "no"
        assert (row["window_from"], row["window_to"]) == (
            report["window"]["from"],
            report["window"]["to"],
        )
    months = [r for r in rows if r["period"] == "month"]
    assert len(months) == 2 * len(summary.monthly)
    for row in months:
        assert row["suppressed"] in ("yes", "no")
        if row["suppressed"] == "yes":
            assert (row["value"], row["shown_as"]) == ("", f"not shown: fewer than {K} people")
    # the previous period of the same kind: the previous financial year, whole
    assert {
        (r["window_from"], r["window_to"]) for r in rows if r["period"] == "previous period"
    } == {("2024-04-01", "2025-03-31")}


def exports_keys() -> set[str]:
    from analysis.exports import FIGURE_KEYS

    return set(FIGURE_KEYS)


def test_the_csv_has_the_previous_period_when_there_is_one(impact_db: Path) -> None:
    summary = summary_for(impact_db, YEAR_2025)
    rows = read_csv(exports.aggregates_csv(summary, Settings()))
    previous = {r["figure"]: r for r in rows if r["period"] == "previous period"}
    assert previous["mentors_active"]["value"] == "25"  # 26, rounded
    assert (previous["mentors_active"]["window_from"], previous["mentors_active"]["window_to"]) == (
        "2024-01-02",
        "2024-12-31",
    )
    for_others = summary.previous_report["suppressed_for_others"]
    assert for_others  # the worked example has cells hidden for another's sake
    for path in summary.previous_report["suppressed"]:
        words = (
            "not shown, so that a smaller number cannot be worked out"
            if path in for_others
            else f"not shown: fewer than {K} people"
        )
        assert (previous[path]["value"], previous[path]["shown_as"]) == ("", words)


@pytest.mark.parametrize("scope", [metrics.Scope(), Q3, YEAR_2025], ids=["all", "Q3", "2025"])
def test_the_csv_is_safe_in_excel_and_names_nobody(impact_db: Path, scope: metrics.Scope) -> None:
    data = exports.aggregates_csv(summary_for(impact_db, scope), Settings())
    text = data.decode("utf-8-sig")
    assert leaks(text) == []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                float(cell)  # only a negative number may start like a formula


def test_an_event_named_like_a_formula_is_made_safe(impact_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "events.duckdb"
    db.write_bytes(impact_db.read_bytes())
    with database.connect(db) as con:
        con.execute(
            "UPDATE sessions SET event_name = '=cmd|'' /C calc''!A0' WHERE event_name IS NOT NULL"
        )
    summary = summary_for(db, metrics.Scope())
    rows = list(
        csv.reader(io.StringIO(exports.aggregates_csv(summary, Settings()).decode("utf-8-sig")))
    )
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith("=")]
    assert any("=cmd|" in c for c in cells)  # named, but never at the start of a cell
    chart = impact.key_charts(summary)["events"].figure
    assert "=cmd|' /C calc'!A0" in list(chart.data[0].y)


def test_the_command_line_csv_for_funders_is_the_page_csv(impact_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "funder.csv"
    done = subprocess.run(
        [
            sys.executable, "-m", "analysis", "report", "--db", str(impact_db),
            "--audience", "funder", "--format", "csv", "--cohort", "2025 Q3", "--out", str(out),
        ],
        cwd=ROOT,
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page_csv = exports.aggregates_csv(summary_for(impact_db, Q3), Settings()).decode("utf-8-sig")
    assert out.read_text(encoding="utf-8") == page_csv
    assert leaks(page_csv) == []


def cli_env(tmp_path: Path) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["DASHBOARD_SETTINGS"] = str(tmp_path / "no-settings.toml")
    env.pop("DASHBOARD_DB", None)
    return env


# -- nothing about a person -------------------------------------------------------------------


@pytest.mark.parametrize("scope", [metrics.Scope(), Q3, YEAR_2025], ids=["all", "Q3", "2025"])
def test_nothing_in_the_summary_names_or_describes_a_person(
    impact_db: Path, scope: metrics.Scope
) -> None:
    summary = summary_for(impact_db, scope)
    words = [
        summary.lead,
        summary.milestone_sentence or "",
        *(h.sentence for h in summary.headlines),
        *(f"{term} {text}" for term, text in summary.notes),
        *summary.caveats,
        summary.stages.to_csv(),
        summary.milestones.to_csv(),
        summary.events.to_csv(),
        summary.monthly.to_csv(),
        json.dumps(summary.report),
        json.dumps(summary.previous_report),
    ]
    assert leaks("\n".join(words)) == []


def test_the_manager_report_would_have_leaked_so_the_check_bites(impact_db: Path) -> None:
    with database.connect(impact_db) as con:
        manager = build_report(con, metrics.Scope(), Settings(), "manager")
    assert leaks(json.dumps(manager["at_risk"]))


def test_an_empty_database_gives_a_summary_that_says_so(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    with database.connect(db, create=True) as con:
        summary = impact.summary(con, metrics.Scope(), Settings())
    assert summary.caveats == ["No sessions have been recorded yet."]
    assert summary.headline("attendance_rate").sentence == (
        "There is no figure for the attendance rate, as nothing was recorded."
    )
    assert summary.headline("attendance_rate").shown == "–"
    assert summary.monthly.empty
    charts = impact.key_charts(summary)
    assert charts["monthly"].summary == "No sessions were recorded in this period."
    assert "events" not in charts
    rows = read_csv(exports.aggregates_csv(summary, Settings()))
    assert {r["period"] for r in rows} == {"period"}
