"""Behaviour, the third learned skill (METRICS.md, third release): every `conduct.*` figure and
every `skills_curve` bucket computed by hand on a small programme, the boundaries of the issue
(week 3 vs 4, day 363 vs 364, a resolution on `to`, an observation before the start date), the
funder rules, the `conduct` flag, the target, and the worked example of tests/samples_round3.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import A, M, S, build, run_import

from analysis import conduct, database, figures, metrics, privacy, targets
from analysis.report import build_report
from analysis.settings import Settings

D = dt.date
FROM, TO = D(2025, 1, 1), D(2025, 12, 31)
A_START = D(2024, 3, 4)  # PM-A: day 363 is 2025-03-02, day 364 is 2025-03-03
B_START = D(2025, 6, 2)  # PM-B: day 27 (week 3) is 2025-06-29, day 28 (week 4) 2025-06-30
SAMPLES3 = Path(__file__).resolve().parent / "samples_round3"


def day(start: dt.date, n: int) -> str:
    return (start + dt.timedelta(days=n)).isoformat()


def _insert_conduct(db: Path, rows: list[tuple[Any, ...]]) -> None:
    with database.connect(db) as con:
        con.executemany(
            "INSERT INTO conduct (mentor_id, observed_on, kind, category, severity, "
            "resolved_on, notes) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("conduct") / "small.duckdb"
    build(
        db,
        mentors=[
            M("PM-A", A_START.isoformat()),
            M("PM-B", B_START.isoformat()),
            M("PM-X", "2024-01-01", "2024-06-30", "withdrawn"),  # not active in 2025
        ],
        sessions=[
            S("SA0", "shadowing", "2024-12-30 10:00"),  # before the window
            S("SA1", "shadowing", day(A_START, 363) + " 10:00"),  # week 51: bucket 48
            S("SA2", "shadowing", day(A_START, 364) + " 10:00"),  # week 52: bucket 52
            S("SA3", "group_day", day(A_START, 400) + " 10:00"),
            S("SB1", "training", day(B_START, 27) + " 10:00"),  # week 3: bucket 0
            S("SB2", "training", day(B_START, 28) + " 10:00"),  # week 4: bucket 4
            S("SB3", "training", day(B_START, 29) + " 10:00"),
            S("SB4", "training", day(B_START, 30) + " 10:00"),
        ],
        attendance=[
            A("SA0", "PM-A", "attended"),
            A("SA1", "PM-A", "attended"),
            A("SA2", "PM-A", "late"),
            A("SA3", "PM-A", "no_show"),
            A("SB1", "PM-B", "attended"),
            A("SB2", "PM-B", "late"),
            A("SB3", "PM-B", "cancelled_by_programme"),
            A("SB4", "PM-B", "notified_absence"),
        ],
    )
    _insert_conduct(
        db,
        [
            # PM-A: day 363 (bucket 48), resolved in 3 days
            ("PM-A", day(A_START, 363), "concern", "boundaries", "high", "2025-03-05", "x"),
            # day 364 (bucket 52), resolved on `to` itself: counted, not open
            ("PM-A", day(A_START, 364), "concern", "teamwork", "low", TO.isoformat(), None),
            ("PM-A", day(A_START, 364), "strength", "teamwork", None, None, None),
            # before the window, never resolved: open, not counted in the window
            ("PM-A", "2024-12-20", "concern", "other", "low", None, None),
            # PM-B: before their start date (weeks in 0), resolved after `to`: open
            ("PM-B", "2025-05-30", "concern", "conduct", "medium", "2026-01-01", None),
            ("PM-B", day(B_START, 27), "strength", "communication", None, None, None),
            # PM-X is not active in the window: none of theirs counts
            ("PM-X", "2025-03-01", "concern", "boundaries", "high", None, "gone"),
        ],
    )
    return db


def report_of(db: Path, audience: str = "manager", k: int = 5, **scope: Any) -> dict[str, Any]:
    window = {"date_from": FROM, "date_to": TO} | scope
    with database.connect(db) as con:
        return build_report(con, metrics.Scope(**window), Settings(suppression_k=k), audience)


# By hand, over 2025 (see the rows above): 3 concerns (A 2, B 1), 2 strengths, 4 present.
BY_HAND: dict[str, Any] = {
    "conduct.concerns": 3,
    "conduct.strengths": 2,
    "conduct.high_severity": 1,
    "conduct.mentors_with_concern": 2,
    "conduct.concern_rate": 100 * 3 / 4,
    "conduct.by_category": {
        "boundaries": {"concerns": 1, "strengths": 0},
        "confidentiality": {"concerns": 0, "strengths": 0},
        "communication": {"concerns": 0, "strengths": 1},
        "conduct": {"concerns": 1, "strengths": 0},
        "presentation": {"concerns": 0, "strengths": 0},
        "teamwork": {"concerns": 1, "strengths": 1},
        "safeguarding": {"concerns": 0, "strengths": 0},
        "other": {"concerns": 0, "strengths": 0},
    },
    # resolved by `to`: 3 days and (2025-03-03 → 2025-12-31) 303 days: the mean of the two
    "conduct.median_days_to_resolve": (3 + 303) / 2,
    # A's 2024-12-20 (never resolved) and B's 2025-05-30 (resolved after `to`)
    "conduct.open": 2,
}


def _point(bucket: int, present: int, late: float | None, no_show: float | None, c: float | None):  # type: ignore[no-untyped-def]
    return {
        "bucket": bucket,
        "present": present,
        "late_rate": late,
        "no_show_rate": no_show,
        "concern_rate": c,
    }


CURVE_BY_HAND = {
    # B: SB1 on day 27 (present), the concern before the start date (weeks in 0)
    0: _point(0, 1, 0.0, 0.0, 100.0),
    # B: SB2 on day 28 late; SB3 cancelled (not expected); SB4 notified (expected)
    4: _point(4, 1, 1.0, 0.0, 0.0),
    # A: SA1 on day 363 present, the high concern that day
    48: _point(48, 1, 0.0, 0.0, 100.0),
    # A: SA2 on day 364 late, SA3 no-show; the concern of day 364
    52: _point(52, 1, 1.0, 0.5, 100.0),
}


def test_the_registry_has_one_entry_for_each_conduct_figure() -> None:
    keys = [f.key for f in figures.FIGURES if f.key.startswith(("conduct.", "skills_curve"))]
    assert keys == [*BY_HAND, "skills_curve"]
    managers_only = [
        f.key for f in figures.FIGURES if f.key in BY_HAND and "funder" not in f.audiences
    ]
    assert managers_only == ["conduct.high_severity", "conduct.open"]
    assert figures.get("conduct.concern_rate").target == "per100"


@pytest.mark.parametrize("key", list(BY_HAND))
def test_each_conduct_figure_by_hand(small_db: Path, key: str) -> None:
    report = report_of(small_db)
    node: Any = report
    for part in key.split("."):
        node = node[part]
    assert node == pytest.approx(BY_HAND[key]) if isinstance(node, float) else node == BY_HAND[key]


def test_skills_curve_by_hand(small_db: Path) -> None:
    curve = report_of(small_db)["skills_curve"]
    assert [p["bucket"] for p in curve] == list(range(0, 53, 4))
    for point in curve:
        expected = CURVE_BY_HAND.get(point["bucket"], _point(point["bucket"], 0, None, None, None))
        assert point == pytest.approx(expected), point["bucket"]


def test_a_window_without_attendance_has_no_rate(small_db: Path) -> None:
    # A's concern of 2024-12-20, a day with no session
    report = report_of(small_db, date_from=D(2024, 12, 20), date_to=D(2024, 12, 20))
    assert report["conduct"]["concerns"] == 1 and report["conduct"]["concern_rate"] is None


def test_the_report_command_gives_conduct_and_skills_curve(small_db: Path, cli: Any) -> None:
    done = cli("report", "--db", str(small_db), "--format", "json", "--from", "2025-01-01",
               "--to", "2025-12-31")  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["conduct"]["open"] == 2 and got["conduct"]["concerns"] == 3
    assert got["skills_curve"][13] == CURVE_BY_HAND[52]


# --- funders -------------------------------------------------------------------------------


def test_funders_never_see_high_severity_open_or_notes(small_db: Path) -> None:
    report = report_of(small_db, "funder", k=1)
    assert set(report["conduct"]) == set(BY_HAND_KEYS := [k.split(".")[1] for k in BY_HAND]) - {
        "high_severity",
        "open",
    }, BY_HAND_KEYS
    text = json.dumps(report)
    assert "high_severity" not in text and '"open"' not in text and "gone" not in text


def test_a_bucket_resting_on_fewer_than_k_mentors_is_hidden_and_listed(small_db: Path) -> None:
    report = report_of(small_db, "funder", k=2)
    for point in report["skills_curve"]:
        b = point["bucket"]
        if b in CURVE_BY_HAND:  # one mentor behind each of these buckets
            for name in ("present", "late_rate", "no_show_rate", "concern_rate"):
                assert point[name] is None
                assert f"skills_curve.{b}.{name}" in report["suppressed"]
        else:
            assert point["present"] == 0 and point["late_rate"] is None
            assert not any(p.startswith(f"skills_curve.{b}.") for p in report["suppressed"])
    # the concerns rest on 2 mentors: shown (3, rounded to 5); a category's concerns on one: hidden
    assert report["conduct"]["concerns"] == 5
    assert report["conduct"]["by_category"]["teamwork"]["concerns"] is None
    assert "conduct.by_category.teamwork.concerns" in report["suppressed"]


def test_a_funder_sees_conduct_rounded_by_the_one_rule(small_db: Path) -> None:
    """Counts and sums to 5, rates to a whole percent, a concern rate per 100 attendances (a
    percent) to a whole number, the median to one decimal: privacy.for_funder's rounding, as
    for every other figure. k=1 so nothing is hidden and every value can be compared."""
    manager, funder = report_of(small_db, "manager", k=1), report_of(small_db, "funder", k=1)
    assert funder["conduct"]["concerns"] == 5  # 3
    assert funder["conduct"]["strengths"] == 0  # 2: rounded, never hidden with k=1
    assert funder["conduct"]["concern_rate"] == 75.0  # 75 per 100
    assert funder["conduct"]["median_days_to_resolve"] == 153.0
    assert funder["conduct"]["by_category"]["teamwork"] == {"concerns": 0, "strengths": 0}
    for key in ("concerns", "strengths", "mentors_with_concern", "concern_rate"):
        rule = figures.get(f"conduct.{key}").funder_rounding
        assert funder["conduct"][key] == figures.rounded(rule, manager["conduct"][key]), key
    for mine, theirs in zip(manager["skills_curve"], funder["skills_curve"], strict=True):
        assert theirs["bucket"] == mine["bucket"]
        assert theirs["present"] % 5 == 0
        for name, rule in figures.CURVE_ROUNDING.items():
            assert theirs[name] == figures.rounded(rule, mine[name]), (mine["bucket"], name)
    # a point's rates: to a whole percent (0.5 → 0.5; 1/3 → 0.33); per 100: 1.44 → 1, 2.5 → 3
    assert figures.rounded("whole_percent", 1 / 3) == 0.33
    assert figures.rounded("whole_number", 1.4428) == 1.0
    assert figures.rounded("whole_number", 2.5) == 3.0


def test_conduct_categories_join_the_one_fixed_point() -> None:
    """conduct.by_category's concerns, then its strengths, are breakdowns of the fixed point
    of privacy (METRICS.md's order), each category's cell under its dotted path."""
    figs = _figures({"boundaries": (2, 2), "teamwork": (7, 6)})
    groups = privacy.breakdowns_in(figs.values)
    assert groups[-2] == [
        f"conduct.by_category.{c}.concerns" for c in sorted(conduct.CONDUCT_CATEGORIES)
    ]
    assert groups[-1] == [
        f"conduct.by_category.{c}.strengths" for c in sorted(conduct.CONDUCT_CATEGORIES)
    ]
    # a hidden cell in strengths takes a shown strength with it, never a concern
    values, support = conduct.for_funder(figs, 5)
    values["conduct"]["by_category"]["other"]["strengths"] = 9
    values["conduct"]["by_category"]["conduct"]["strengths"] = 6
    support |= {
        "conduct.by_category.other.strengths": 2,
        "conduct.by_category.conduct.strengths": 6,
    }
    hidden = privacy.suppressed_paths(values, support, 5)
    assert "conduct.by_category.conduct.strengths" in hidden
    assert "conduct.by_category.other.strengths" in hidden


def _figures(concerns: dict[str, tuple[int, int]]) -> conduct.ConductFigures:
    """Conduct figures with these category concerns: category → (count, mentors)."""
    by_category = {c: {"concerns": 0, "strengths": 0} for c in conduct.CONDUCT_CATEGORIES}
    support = {}
    for c in conduct.CONDUCT_CATEGORIES:
        n, people = concerns.get(c, (0, 0))
        by_category[c]["concerns"] = n
        support[f"conduct.by_category.{c}.concerns"] = people
        support[f"conduct.by_category.{c}.strengths"] = 0
    total = sum(n for n, _ in concerns.values())
    values = {
        "conduct": {
            "concerns": total,
            "strengths": 0,
            "high_severity": 0,
            "open": 0,
            "by_category": by_category,
        },
        "skills_curve": [],
    }
    support |= {"conduct.concerns": 30, "conduct.strengths": 0}
    return conduct.ConductFigures(values, support, {})


def test_by_category_gets_secondary_suppression() -> None:
    # one category small: the smallest shown non-zero one goes too (ties: the smaller path)
    figs = _figures({"boundaries": (2, 2), "teamwork": (7, 6), "safeguarding": (6, 6),
                     "other": (6, 5), "communication": (20, 12)})  # fmt: skip
    values, hidden = conduct.funder_view(figs, 5)
    assert hidden == [
        "conduct.by_category.boundaries.concerns",
        "conduct.by_category.other.concerns",
    ]
    assert values["conduct"]["by_category"]["other"]["concerns"] is None
    assert values["conduct"]["by_category"]["safeguarding"]["concerns"] == 6
    assert values["conduct"]["concerns"] == 41
    # two small categories already: nothing more
    figs = _figures({"boundaries": (2, 2), "teamwork": (3, 3), "other": (20, 12)})
    assert conduct.funder_view(figs, 5)[1] == [
        "conduct.by_category.boundaries.concerns",
        "conduct.by_category.teamwork.concerns",
    ]


def test_funder_csv_carries_no_manager_only_figure(small_db: Path) -> None:
    from analysis import exports

    text = exports.report_csv(report_of(small_db, "funder", k=1))
    assert "conduct.concerns" in text and "skills_curve.52.late_rate" in text
    assert "high_severity" not in text and "conduct.open" not in text


# --- the flag --------------------------------------------------------------------------------


def test_the_conduct_flag(tmp_path: Path) -> None:
    db = build(
        tmp_path / "flags.duckdb",
        mentors=[M(code, "2024-01-01") for code in ("PM-H", "PM-T", "PM-O", "PM-L")],
    )
    _insert_conduct(
        db,
        [
            ("PM-H", "2025-09-10", "concern", "boundaries", "high", "2025-09-11", None),
            ("PM-T", "2025-09-01", "concern", "teamwork", "low", None, None),
            ("PM-T", "2025-09-14", "concern", "other", "low", None, None),
            ("PM-O", "2025-09-05", "concern", "teamwork", "medium", None, None),
            ("PM-O", "2025-09-06", "strength", "teamwork", None, None, None),
            ("PM-L", "2025-08-18", "concern", "teamwork", "high", None, None),  # before look-back
        ],
    )
    with database.connect(db) as con:
        flagged = metrics.at_risk(con, metrics.Scope(D(2025, 9, 1), D(2025, 9, 15)), Settings())
    assert flagged == [
        {"mentor_id": "PM-H", "reasons": ["conduct"]},
        {"mentor_id": "PM-T", "reasons": ["conduct"]},
    ]
    assert metrics.FLAG_ORDER[-2:] == ("stage_regression", "conduct")


# --- the target --------------------------------------------------------------------------------


def test_concern_rate_takes_a_plain_number_target_lower_is_better(
    small_db: Path, tmp_path: Path
) -> None:
    assert targets.meets("conduct.concern_rate", 1.9, 2) and not targets.meets(
        "conduct.concern_rate", 2.1, 2
    )
    assert targets.within_tolerance("conduct.concern_rate", 2.5, 2)
    assert not targets.within_tolerance("conduct.concern_rate", 2.51, 2)
    assert targets.value_text("conduct.concern_rate", 1.75) == "1.8 per 100 attendances"
    files = {
        "targets.csv": "figure,period_start,period_end,target\n"
        "conduct.concern_rate,2025-01-01,2025-12-31,80\n"
        "Conduct.Concern rate,2025-01-01,2025-06-30,2%\n"
    }
    db = Path(shutil.copy(small_db, tmp_path / "copy.duckdb"))
    result = run_import(db, files, tmp_path)
    (report,) = result.files
    assert (report.inserted, report.rejected) == (1, 1)
    assert (
        "counted per 100 attendances: write a plain number" in report.rejected_rows[0]["reasons"][0]
    )
    entry = next(t for t in report_of(db)["targets"] if t["figure"] == "conduct.concern_rate")
    # 75 concerns per 100 attendances over the year, against a ceiling of 80: met
    assert (entry["actual"], entry["target"], entry["status"]) == (75.0, 80.0, "met")


# --- the worked example (tests/samples_round3) ------------------------------------------------


@pytest.fixture(scope="module")
def round3_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("round3") / "programme.duckdb"
    files = sorted((SAMPLES3 / "programme").iterdir())
    result = run_import(db, files)
    assert result.landed
    conduct_file = next(f for f in result.files if f.file == "conduct.csv")
    assert conduct_file.rejected == 3
    return db


@pytest.mark.parametrize(
    ("name", "window"),
    [
        ("programme_conduct_all.json", {}),
        ("programme_conduct_2025.json", {"date_from": D(2025, 1, 1), "date_to": D(2025, 12, 31)}),
    ],
)
def test_the_worked_example(round3_db: Path, name: str, window: dict[str, Any]) -> None:
    expected = json.loads((SAMPLES3 / "expected" / name).read_text(encoding="utf-8"))
    with database.connect(round3_db) as con:
        report = build_report(con, metrics.Scope(**window), Settings())
    got = report["conduct"]
    assert got.pop("concern_rate") == pytest.approx(expected["conduct"].pop("concern_rate"))
    assert got == expected["conduct"]
    assert report["skills_curve"] == [pytest.approx(p) for p in expected["skills_curve"]]


def test_the_sentence_names_the_first_and_last_buckets_shown() -> None:
    curve = [_point(b, 0, None, None, None) for b in range(0, 53, 4)]
    assert conduct.curve_sentence(curve) is None
    curve[0] = _point(0, 100, 0.18, 0.1, 3.1)
    curve[5] = _point(20, 50, 0.1, 0.1, 1.0)
    curve[13] = _point(52, 80, 0.06, 0.05, 0.8)
    assert conduct.curve_sentence(curve) == (
        "In their first 4 weeks mentors were late to 18% of sessions and 3.1 concerns were "
        "raised per 100 attendances; after a year, 6% and 0.8."
    )
    curve[13] = _point(52, 80, None, 0.05, None)  # hidden for a funder: the last one shown
    assert conduct.curve_sentence(curve).endswith("; in weeks 20–23, 10% and 1.0.")  # type: ignore[union-attr]
