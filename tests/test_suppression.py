"""Funders see aggregates only, with small numbers suppressed (METRICS.md, analysis.privacy)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import A, M, S, build
from contract import ADDED_IN_THIRD_RELEASE

from analysis import database, privacy
from analysis.metrics import Scope
from analysis.report import build_report
from analysis.settings import Settings

K5 = Settings()

# people behind a figure → suppressed with k = 5? (0: no rows, nothing to protect)
PRIMARY = [(0, False), (1, True), (4, True), (5, False), (6, False), (1000, False)]


@pytest.mark.parametrize(("people", "hidden"), PRIMARY)
def test_primary_suppression(people: int, hidden: bool) -> None:
    values = {"attendance_rate": 0.5 if people else None, "mentors_active": people}
    support = {"attendance_rate": people, "mentors_active": people}
    out, suppressed = privacy.suppress(values, support, K5)
    assert suppressed == (["attendance_rate", "mentors_active"] if hidden else [])
    if hidden:
        assert out == {"attendance_rate": None, "mentors_active": None}
    else:
        assert out == values  # a count of 0 stays 0; a rate with no rows stays None
    assert values["mentors_active"] == people  # the input is not changed


def test_a_figure_rests_on_its_own_people_not_its_value() -> None:
    # 400 sessions by 3 mentors is a count of rows resting on 3 people
    values = {"expected_attendances": 400, "beneficiaries_reached": 3, "peer_support_hours": 0.0}
    support = {"expected_attendances": 3, "beneficiaries_reached": 3, "peer_support_hours": 0}
    out, suppressed = privacy.suppress(values, support, K5)
    assert suppressed == ["beneficiaries_reached", "expected_attendances"]
    assert out == {
        "expected_attendances": None,
        "beneficiaries_reached": None,
        "peer_support_hours": 0.0,
    }


def _distribution(cells: dict[str, int]) -> tuple[dict[str, Any], dict[str, int]]:
    full = {str(s): 0 for s in range(1, 8)} | {"not_assessed": 0} | cells
    values = {"mentors_active": sum(full.values()), "stages": {"distribution": full}}
    support = {"mentors_active": values["mentors_active"]} | {
        f"stages.distribution.{k}": v for k, v in full.items()
    }
    return values, support


# cells of stages.distribution (others 0) → the cells hidden
SECONDARY = [
    # one small cell: the next-smallest non-zero cell goes too
    ({"1": 3, "2": 6, "4": 8, "5": 7, "6": 10}, {"1", "2"}),
    ({"not_assessed": 2, "3": 9, "7": 5}, {"not_assessed", "7"}),
    # the zero cells are not candidates: they give nothing away
    ({"1": 1, "4": 20, "6": 12}, {"1", "6"}),
    # two small cells already protect each other
    ({"1": 3, "2": 4, "4": 8, "5": 7}, {"1", "2"}),
    ({"1": 3, "2": 4, "3": 2, "4": 8}, {"1", "2", "3"}),
    # nothing small: nothing hidden
    ({"2": 5, "4": 8, "not_assessed": 12}, set()),
    ({}, set()),
]


@pytest.mark.parametrize(("cells", "hidden"), SECONDARY)
def test_secondary_suppression_in_stage_distribution(
    cells: dict[str, int], hidden: set[str]
) -> None:
    values, support = _distribution(cells)
    out, suppressed = privacy.suppress(values, support, K5)
    assert suppressed == sorted(f"stages.distribution.{c}" for c in hidden)
    shown = {k: v for k, v in out["stages"]["distribution"].items() if v is not None}
    assert set(out["stages"]["distribution"]) - set(shown) == hidden
    # a single hidden cell could be worked back from the total
    assert len(suppressed) != 1


def test_secondary_suppression_picks_one_of_tied_cells() -> None:
    values, support = _distribution({"1": 2, "3": 6, "5": 6, "7": 9})
    _, suppressed = privacy.suppress(values, support, K5)
    assert len(suppressed) == 2 and "stages.distribution.1" in suppressed
    assert suppressed[1] in ("stages.distribution.3", "stages.distribution.5")


@pytest.mark.parametrize(
    ("k", "hidden"),
    [
        (1, []),  # nothing rests on fewer than 1 person
        (3, ["a"]),  # a: 2
        (5, ["a", "b"]),  # b: 4
        (10, ["a", "b", "c"]),  # c: 9
    ],
)
def test_a_custom_k(k: int, hidden: list[str]) -> None:
    values = {"a": 2, "b": 4, "c": 9, "d": 10, "z": 0}
    _, suppressed = privacy.suppress(values, dict(values), Settings(suppression_k=k))
    assert suppressed == hidden


@pytest.mark.parametrize(
    ("value", "suppressed", "text"),
    [
        (3, True, "not shown: fewer than 5 people"),
        (None, True, "not shown: fewer than 5 people"),
        (None, False, "–"),
        (1234, False, "1,234"),
        (0, False, "0"),
    ],
)
def test_how_a_figure_reads(value: Any, suppressed: bool, text: str) -> None:
    assert privacy.shown(value, suppressed, 5) == text


# --------------------------------------------------------------------------- funder reports


def _funder_db(db: Path) -> Path:
    """Six mentors; four present, two absent; one late; stages 2 (one mentor) and 4 (five)."""
    people = [f"P{i}" for i in range(1, 7)]
    return build(
        db,
        [M(p) for p in people],
        [S("T1", "training", "2025-03-10 10:00"), S("T2", "training", "2025-03-11 10:00")],
        [
            A("T1", "P1", "attended", "10:10"),
            A("T1", "P2", "attended"),
            A("T1", "P3", "attended"),
            A("T1", "P4", "attended"),
            A("T1", "P5", "no_show"),
            A("T1", "P6", "notified_absence"),
            *[A("T2", p, "attended") for p in people[:4]],
        ],
        stages=[("P1", "2025-03-01", 2, None), *[(p, "2025-03-01", 4, None) for p in people[1:]]],
    )


def _report(db: Path, audience: str, settings: Settings = K5) -> dict[str, Any]:
    scope = Scope(date_from=None, date_to=None)
    with database.connect(db) as con:
        return build_report(con, scope, settings, audience)


def test_funder_report_suppresses_what_rests_on_few(db: Path) -> None:
    _funder_db(db)
    manager = _report(db, "manager")
    funder = _report(db, "funder")
    assert "at_risk" in manager and "suppressed" not in manager
    assert "at_risk" not in funder
    # rests on: attendance_rate 6 expected people; punctuality 4 present people; notice 2
    # absent people (P5, P6); mean/median lateness 1 (P1); distribution 2 → 1 (P1), and
    # then 4 → 5 is the next-smallest non-zero cell of the breakdown; the third release's
    # conduct and skills_curve paths are tested in tests/test_conduct.py
    assert [p for p in funder["suppressed"] if not p.startswith(ADDED_IN_THIRD_RELEASE)] == [
        "mean_minutes_late",
        "median_minutes_late",
        "notice_rate",
        "punctuality_rate",
        "stages.distribution.2",
        "stages.distribution.4",
    ]
    for path in [p for p in funder["suppressed"] if not p.startswith("skills_curve.")]:
        node: Any = funder
        for part in path.split("."):
            node = node[part]
        assert node is None, path
    # the rest as the manager sees them, rounded: 6 active (to 5), 6 + 4 expected, 4 + 4
    # present; nothing behind beneficiaries or peer support (0, shown)
    assert (funder["mentors_active"], funder["expected_attendances"]) == (5, 10)
    assert manager["mentors_active"] == 6
    assert funder["attendance_rate"] == manager["attendance_rate"] == 8 / 10
    assert funder["beneficiaries_reached"] == 0
    assert funder["peer_support_hours"] == 0.0
    assert funder["stages"]["mean_self_esteem_change"] is None  # no rows: kept, not suppressed
    assert funder["stages"]["distribution"]["not_assessed"] == 0
    assert manager["punctuality_rate"] == 7 / 8 and manager["notice_rate"] == 0.5


def test_funder_report_with_a_custom_k(db: Path) -> None:
    _funder_db(db)
    funder = _report(db, "funder", Settings(suppression_k=2))
    # only what rests on a single person: the lateness figures and stage 2 (then stage 4)
    assert funder["settings"]["suppression_k"] == 2
    assert [p for p in funder["suppressed"] if not p.startswith(ADDED_IN_THIRD_RELEASE)] == [
        "mean_minutes_late",
        "median_minutes_late",
        "stages.distribution.2",
        "stages.distribution.4",
    ]
    assert funder["notice_rate"] == 0.5
    assert _report(db, "funder", Settings(suppression_k=1))["suppressed"] == []


def _codes(db: Path) -> set[str]:
    rows = database_rows(
        db,
        "SELECT mentor_id FROM mentors UNION SELECT beneficiary_id FROM sessions "
        "UNION SELECT outreach_worker FROM mentors UNION SELECT staff_id FROM sessions "
        "UNION SELECT notes FROM attendance UNION SELECT notes FROM stage_assessments",
    )
    return {r for (r,) in rows if r}


def database_rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with database.connect(db) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize(
    "scope",
    [
        Scope(),
        Scope(cohorts=("2025 Q3",)),
        Scope(date_from=dt.date(2025, 6, 1)),
    ],
)
def test_funder_report_has_no_codes_and_no_at_risk(
    clean_db: Path, tmp_path: Path, scope: Scope
) -> None:
    db = tmp_path / "clean.duckdb"
    shutil.copy(clean_db, db)
    codes = _codes(db)
    assert len([c for c in codes if c.startswith("PM-")]) == 40
    with database.connect(db) as con:
        funder = build_report(con, scope, K5, "funder")
    text = json.dumps(funder, ensure_ascii=False)
    assert "at_risk" not in text
    leaked = sorted(c for c in codes if c in text)
    assert leaked == []


def test_the_code_search_finds_codes_in_a_manager_report(clean_db: Path) -> None:
    with database.connect(clean_db) as con:
        manager = build_report(con, Scope(), K5, "manager")
    assert manager["at_risk"]
    assert any(c in json.dumps(manager, ensure_ascii=False) for c in _codes(clean_db))
