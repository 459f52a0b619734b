"""The journey funnel and retention of METRICS.md: Kaplan–Meier by hand, the funnel on a small
hand-built programme, funder suppression, and the second-release worked example."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, A, M, S, build, load_json, run_import

from analysis import database, journey, privacy
from analysis.metrics import Scope
from analysis.report import build_report
from analysis.settings import Settings

ROUND2 = SAMPLES / "round2"

# --- Kaplan–Meier, computed by hand ------------------------------------------------------------

# (time in days, withdrew?) → estimate at given days (None: nobody's time reaches it)
KM_CASES: list[tuple[list[tuple[int, bool]], dict[int, float | None]]] = [
    # A censoring tied with an event at 5: the censored mentor is still at risk at 5, so the
    # step there is 3/4, not 2/3.
    (
        [(3, True), (5, False), (5, True), (8, True), (10, False)],
        {0: 1.0, 2: 1.0, 3: 0.8, 4: 0.8, 5: 0.6, 7: 0.6, 8: 0.3, 10: 0.3, 11: None},
    ),
    # Two withdrawals at one time; the last person withdraws.
    ([(2, True), (2, True), (4, False), (6, True)], {1: 1.0, 2: 0.5, 5: 0.5, 6: 0.0, 7: None}),
    # Nobody withdraws: 1 up to the longest time, unknown after it.
    ([(7, False), (14, False)], {7: 1.0, 14: 1.0, 15: None}),
    # Censored early, withdrawals later: the at-risk set shrinks by the censored.
    ([(1, False), (1, False), (4, True), (9, True), (9, False)], {3: 1.0, 4: 2 / 3, 9: 1 / 3}),
    # Nobody at all.
    ([], {0: None, 28: None}),
]


@pytest.mark.parametrize(("observations", "expected"), KM_CASES)
def test_kaplan_meier_by_hand(
    observations: list[tuple[int, bool]], expected: dict[int, float | None]
) -> None:
    curve = journey.kaplan_meier(observations)
    for days, want in expected.items():
        got = curve.at(days)
        if want is None:
            assert got is None, days
        else:
            assert got == pytest.approx(want), days


def test_kaplan_meier_steps_keep_who_was_at_risk() -> None:
    curve = journey.kaplan_meier([(3, True), (5, False), (5, True), (8, True), (10, False)])
    assert [(s.time, s.at_risk, s.events, s.censored) for s in curve.steps] == [
        (3, 5, 1, 0),
        (5, 4, 1, 1),
        (8, 2, 1, 0),
        (10, 1, 0, 1),
    ]
    assert [curve.at_risk_at(d) for d in (0, 3, 4, 5, 6, 10, 11)] == [5, 5, 4, 4, 2, 1, 0]


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(ValueError, match="end before the start"):
        journey.kaplan_meier([(-1, True)])


# --- the funnel on a hand-built programme ------------------------------------------------------

WINDOW = Scope(dt.date(2025, 1, 1), dt.date(2025, 6, 30))


def _with_reasons(db: Path, reasons: dict[str, str]) -> None:
    with database.connect(db) as con:
        for mentor_id, reason in reasons.items():
            con.execute(
                "UPDATE mentors SET leaving_reason = $r WHERE mentor_id = $m",
                {"r": reason, "m": mentor_id},
            )


@pytest.fixture
def small_programme(tmp_path: Path) -> Path:
    db = build(
        tmp_path / "journey.duckdb",
        mentors=[
            M("P1", "2024-12-01"),  # started before the window: not in the funnel
            M("P2", "2025-02-01", "2025-03-01", "withdrawn"),
            M("P3", "2025-02-01", "2025-06-01", "completed"),
            M("P4", "2025-03-01"),
            M("P5", "2025-06-15", "2025-07-10", "withdrawn"),  # leaves after `to`: still in
            M("P6", "2025-07-05"),  # starts after the window
            M("P7", "2025-01-10", "2025-01-20", "withdrawn", cohort="B.1 'wave'"),
            M("P8", "2025-03-01", status="withdrawn"),  # withdrawn with no end date: still in
        ],
        sessions=[
            S("SH1", "shadowing", "2025-02-10 10:00", 300),
            S("SH2", "shadowing", "2025-02-17 10:00", 300),
            S("SH3", "shadowing", "2025-07-01 10:00", 600),  # after `to`
            S("BM1", "beneficiary_meeting", "2025-03-01 10:00", 60, beneficiary="B-1"),
            S("BM2", "beneficiary_meeting", "2025-04-01 10:00", 60, beneficiary="B-2"),
        ],
        attendance=[
            A("SH1", "P3", "attended"),
            A("SH2", "P3", "attended"),
            A("SH3", "P5", "attended"),
            A("BM1", "P3", "attended"),
            A("BM2", "P4", "no_show"),  # not present: no first mentoring
            A("BM2", "P1", "attended"),
        ],
        milestones=[
            ("P2", "training_completed", "2025-02-10"),
            ("P3", "training_completed", "2025-02-05"),
            ("P4", "shadowing_completed", "2025-04-01"),  # imported: counts as the date
            ("P5", "training_completed", "2025-07-02"),  # after `to`
        ],
    )
    _with_reasons(db, {"P2": "health"})
    return db


def test_funnel_by_hand(small_programme: Path) -> None:
    with database.connect(small_programme) as con:
        got = journey.compute(con, WINDOW, Settings()).values
    f = got["funnel"]
    counts = {k: f[k] for k in journey.COUNTS}
    assert counts == {
        "started": 6,  # P2, P3, P4, P5, P7, P8
        "training_completed": 2,  # P2, P3
        "shadowing_completed": 2,  # P3 by sessions, P4 by the milestone
        "first_mentoring": 1,  # P3
        "completed": 1,
        "withdrawn": 2,  # P2, P7
        "in_programme": 3,  # P4, P5, P8
    }
    assert f["by_cohort"]["B.1 'wave'"] == {
        "started": 1,
        "training_completed": 0,
        "shadowing_completed": 0,
        "first_mentoring": 0,
        "completed": 0,
        "withdrawn": 1,
        "in_programme": 0,
    }
    assert f["by_cohort"]["A"]["started"] == 5
    assert f["withdrawn_by_step"] == {
        "started": 1,
        "training_completed": 1,
        "shadowing_completed": 0,
        "first_mentoring": 0,
    }
    assert f["withdrawn_by_reason"] == {"health": 1, "not_recorded": 1}
    # Times: P7 10 (event), P5 15 and P4, P8 121 (censored at `to`), P2 28 (event),
    # P3 120 (completed: censored). At 10: 5/6; at 28: 5/6 × 3/4.
    assert got["retention"]["w4"] == pytest.approx(5 / 6 * 3 / 4)
    assert got["retention"]["w12"] == pytest.approx(5 / 6 * 3 / 4)
    assert got["retention"]["w26"] is None and got["retention"]["w52"] is None


def test_the_funnel_follows_the_filters(small_programme: Path) -> None:
    scope = Scope(WINDOW.date_from, WINDOW.date_to, cohorts=("B.1 'wave'",))
    with database.connect(small_programme) as con:
        f = journey.compute(con, scope, Settings()).values["funnel"]
    assert (f["started"], f["withdrawn"], list(f["by_cohort"])) == (1, 1, ["B.1 'wave'"])


def test_nobody_started() -> None:
    figures = journey.figures_from([], dt.date(2025, 6, 30))
    assert figures.values["funnel"]["started"] == 0
    assert figures.values["funnel"]["by_cohort"] == {}
    assert figures.values["funnel"]["withdrawn_by_reason"] == {}
    assert figures.values["retention"] == {"w4": None, "w12": None, "w26": None, "w52": None}


def test_withdrawn_by_reason_reads_the_imported_leaving_reason(tmp_path: Path) -> None:
    """leaving_reason as imported (codes, synonyms, blank): only withdrawn mentors count, each
    under its code, a blank as not_recorded; the counts partition the withdrawn."""
    db = tmp_path / "reasons.duckdb"
    mentors = (
        "mentor_id,cohort,start_date,status,end_date,leaving_reason\n"
        "R1,A,2025-02-01,withdrawn,2025-03-01,paid work\n"  # synonym of employment
        "R2,A,2025-02-01,withdrawn,2025-04-01,Employment\n"
        "R3,A,2025-02-01,withdrawn,2025-04-02,lost contact\n"  # synonym of disengaged
        "R4,A,2025-02-01,withdrawn,2025-04-03,\n"  # not recorded
        "R5,A,2025-02-01,completed,2025-05-01,employment\n"  # completed: not a withdrawal
        "R6,A,2025-02-01,withdrawn,2025-08-01,custody\n"  # leaves after `to`: still in
        "R7,A,2025-02-01,withdrawn,2025-03-05,prison\n"  # synonym of custody
    )
    result = run_import(db, {"mentors.csv": mentors}, tmp_path / "in")
    assert result.landed and result.files[0].rejected == 0
    with database.connect(db) as con:
        f = journey.compute(con, WINDOW, Settings()).values["funnel"]
    assert f["withdrawn"] == 5
    assert f["withdrawn_by_reason"] == {
        "custody": 1,
        "disengaged": 1,
        "employment": 2,
        "not_recorded": 1,
    }
    assert sum(f["withdrawn_by_reason"].values()) == f["withdrawn"]
    # a later import that records the missing reason changes the breakdown
    run_import(
        db,
        {
            "mentors.csv": "mentor_id,cohort,start_date,status,end_date,leaving_reason\n"
            "R4,A,2025-02-01,withdrawn,2025-04-03,moved away\n"
        },
        tmp_path / "in2",
    )
    with database.connect(db) as con:
        f = journey.compute(con, WINDOW, Settings()).values["funnel"]
    assert f["withdrawn_by_reason"] == {
        "custody": 1,
        "disengaged": 1,
        "employment": 2,
        "moved_away": 1,
    }


# --- funder suppression --------------------------------------------------------------------


def test_funders_see_the_journey_suppressed(small_programme: Path) -> None:
    with database.connect(small_programme) as con:
        report = build_report(con, WINDOW, Settings(), "funder")
    f, hidden = report["funnel"], set(report["suppressed"])
    # counts of people resting on 1 to 4 people are hidden, 0 is shown; a dotted cohort is one key
    assert f["started"] == 5 and f["completed"] is None and f["withdrawn"] is None  # 6, to 5
    assert f["by_cohort"]["B.1 'wave'"]["started"] is None
    assert f["by_cohort"]["B.1 'wave'"]["completed"] == 0
    assert "funnel.by_cohort.B.1 'wave'.started" in hidden
    assert f["withdrawn_by_step"]["shadowing_completed"] == 0
    # retention goes with the funnel: withdrawn is hidden, so a share kept would give it back
    assert report["retention"]["w4"] is None and "retention.w4" in hidden
    assert "health" not in str(report["funnel"]["withdrawn_by_reason"].values())


def test_retention_is_shown_rounded_when_the_funnel_is(small_programme: Path) -> None:
    with database.connect(small_programme) as con:
        report = build_report(con, WINDOW, Settings(suppression_k=1), "funder")
    assert report["funnel"]["withdrawn"] == 0  # 2 withdrew: rounded to the nearest 5
    assert report["retention"]["w4"] == 0.63  # 5/6 × 3/4 = 0.625, halves up
    assert not any(p.startswith("retention") for p in report["suppressed"])


def test_retention_is_hidden_when_few_started(small_programme: Path) -> None:
    with database.connect(small_programme) as con:
        report = build_report(con, WINDOW, Settings(suppression_k=7), "funder")
    assert report["retention"] == {"w4": None, "w12": None, "w26": None, "w52": None}
    assert {"retention.w4", "retention.w12"} <= set(report["suppressed"])
    # w26 and w52 are null with the same support: listed too (the funder cannot tell them apart)
    assert "retention.w52" in report["suppressed"]


@pytest.mark.parametrize(
    ("cells", "hidden"),
    [
        ({"a": 1, "b": 7, "c": 9}, {"a", "b"}),  # one hidden: the next smallest goes too
        ({"a": 1, "b": 2, "c": 9}, {"a", "b"}),  # two hidden: nothing more
        ({"a": 1, "b": 0, "c": 9}, {"a", "c"}),  # a zero is no cover
        ({"a": 6, "b": 7, "c": 9}, set()),
        ({"a": 3, "b": 0, "c": 0}, {"a"}),  # nothing left to hide with
    ],
)
def test_secondary_suppression_in_a_partition(cells: dict[str, int], hidden: set[str]) -> None:
    values: dict[str, Any] = {"funnel": {"by_cohort": {"Q.1": dict(cells)}}}
    support = {f"funnel.by_cohort.Q.1.{k}": v for k, v in cells.items()}
    partition = [list(support)]
    out, paths = privacy.suppress(values, support, Settings(), partition)
    assert set(paths) == {f"funnel.by_cohort.Q.1.{k}" for k in hidden}
    assert {k for k, v in out["funnel"]["by_cohort"]["Q.1"].items() if v is None} == hidden


# --- the second-release worked example ---------------------------------------------------------

# Files the importer reads today; funding.csv and targets.csv come with their record types.
PROGRAMME_FILES = ("mentors", "sessions", "attendance", "milestones", "stage_assessments")
CASES = {
    "programme_report_all.json": (Scope(), "manager"),
    "programme_report_2025.json": (Scope(dt.date(2025, 1, 1), dt.date(2025, 12, 31)), "manager"),
    "programme_report_funder.json": (Scope(), "funder"),
}


@pytest.fixture(scope="module")
def programme_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("round2") / "programme.duckdb"
    files = [ROUND2 / "programme" / f"{name}.csv" for name in PROGRAMME_FILES]
    result = run_import(db, files)
    assert result.landed and all(f.rejected == 0 for f in result.files), result.summary()
    return db


def _journey_paths(paths: list[str]) -> list[str]:
    return [p for p in paths if p.startswith(("funnel.", "retention."))]


@pytest.mark.parametrize("expected_file", list(CASES))
def test_worked_example_funnel_and_retention(programme_db: Path, expected_file: str) -> None:
    scope, audience = CASES[expected_file]
    expected = load_json(ROUND2 / "expected" / expected_file)
    with database.connect(programme_db) as con:
        got = build_report(con, scope, Settings(), audience)
    want_funnel = dict(expected["funnel"])
    got_funnel = dict(got["funnel"])
    # leaving_reason arrives with the mentors' new column (issue #13); until the importer
    # reads it, every withdrawal is "not_recorded" and only the total can agree.
    want_reasons = want_funnel.pop("withdrawn_by_reason")
    got_reasons = got_funnel.pop("withdrawn_by_reason")
    assert got_funnel == want_funnel
    if audience == "manager":
        assert sum(got_reasons.values()) == sum(want_reasons.values())
    assert got["retention"] == pytest.approx(expected["retention"])
    if audience == "funder":
        want = [p for p in _journey_paths(expected["suppressed"]) if "by_reason" not in p]
        have = [p for p in _journey_paths(got["suppressed"]) if "by_reason" not in p]
        assert have == want
