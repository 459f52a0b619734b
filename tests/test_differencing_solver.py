"""No hidden number a funder can work out (issue 22): the attack of `tests/differencing_solver.py`
over every view a funder can reach recovers no hidden value exactly, on a 40-mentor programme
(here, at a size `make test` runs) and on the demo programme (marked slow); and the same attack,
reading the shown cells as their exact values (as the second release showed them), does recover
some, so the check can fail."""

from __future__ import annotations

import datetime as dt

import pytest
from differencing_solver import Views, attack, collect, narrow

from analysis.admin import create_demo
from analysis.settings import Settings

END = dt.date(2026, 11, 30)  # fixed: the records never depend on today's date


@pytest.fixture(scope="module")
def small_views(tmp_path_factory: pytest.TempPathFactory) -> Views:
    db = tmp_path_factory.mktemp("solver") / "forty.duckdb"
    assert create_demo(db, mentors=40, end=END).landed
    # this financial year and the one before (the previous-period comparison), every quarter
    return collect(db, Settings(), only_latest_years=2)


def test_a_forty_mentor_programme_gives_no_hidden_value_away(small_views: Views) -> None:
    result = attack(small_views)
    assert result.views >= 20 and result.hidden > 100 and result.equations > 100
    assert result.recovered == {}, sorted(result.recovered.items(), key=str)[:10]


def test_without_rounding_the_same_attack_recovers_hidden_values(small_views: Views) -> None:
    """The check is not empty: with the shown cells exact, subtraction across periods and
    breakdowns gives hidden cells back, each equal to the managers' figure."""
    result = attack(small_views, rounded=False)
    assert len(result.recovered) > 0
    assert result.wrong == {}


def test_narrowing_finds_a_quarter_from_a_year_and_the_other_quarters() -> None:
    year, q1, q2, q3 = ("a",), ("b",), ("c",), ("d",)
    known = {year: (25, 25), q1: (12, 12), q2: (9, 9), q3: (0, 10**9)}
    system = [[(1, year), (-1, q1), (-1, q2), (-1, q3)]]
    assert narrow(known, system)[q3] == (4, 4)  # type: ignore[index]
    rounded = {year: (23, 27), q1: (10, 14), q2: (7, 11), q3: (1, 4)}
    assert narrow(rounded, system)[q3] == (1, 4)  # type: ignore[index]


@pytest.fixture(scope="module")
def demo_views(tmp_path_factory: pytest.TempPathFactory) -> Views:
    db = tmp_path_factory.mktemp("solver") / "demo.duckdb"
    assert create_demo(db, mentors=120, end=END).landed
    return collect(db, Settings())


@pytest.mark.slow
def test_the_demo_programme_gives_no_cell_hidden_for_anothers_sake_away(
    demo_views: Views,
) -> None:
    """The audit after the fixed point (docs/METRICS.md): no cell hidden so that a smaller
    number cannot be worked out is worked out (before it, 2024/25's funnel.withdrawn, 8, was),
    and every value the attack does pin is a count of 1 to k−1 people, and right."""
    result = attack(demo_views)
    assert result.views >= 50
    assert not [v for v in result.recovered if v not in demo_views.for_own_sake]
    for var, value in result.recovered.items():
        assert 1 <= value < demo_views.k, var
    assert result.wrong == {}
    assert attack(demo_views, rounded=False).wrong == {}


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="issue 22, not yet met: over every period of the 120-mentor demo the attack pins 34 "
    "hidden values (39 before the audit), each a count resting on 1 to k-1 people hidden for "
    "its own sake, pinned because a hidden count is known to be at least 1 while a 0 is shown "
    "as 0 (METRICS.md): a year's milestone hidden as <= 4 against its four quarters each >= 1; a "
    "conduct category's whole-programme count <= 4 against four regions each >= 1; a small "
    "region's started <= 4 against its hidden outcomes' cells. The worked examples' funder files "
    "pin such cells too (clean_report_funder.json: cohort 2025 Q2's started is 4), so closing "
    "these needs a spec change (e.g. hiding zeros beside hidden cells); see the report",
)
def test_the_demo_programme_gives_no_hidden_value_away(demo_views: Views) -> None:
    result = attack(demo_views)
    assert result.recovered == {}, sorted(result.recovered.items(), key=str)[:10]
