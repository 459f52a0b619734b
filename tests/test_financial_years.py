"""UK financial-year window presets: April to March, quarters from April, codes relative to
today."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis import financial_years as fy

D = dt.date


@pytest.mark.parametrize(
    ("day", "first"),
    [(D(2025, 4, 1), 2025), (D(2026, 3, 31), 2025), (D(2026, 1, 15), 2025), (D(2025, 3, 31), 2024)],
)
def test_financial_year_of(day: dt.date, first: int) -> None:
    assert fy.financial_year_of(day) == first


@pytest.mark.parametrize(
    ("quarter", "bounds"),
    [
        (1, (D(2025, 4, 1), D(2025, 6, 30))),
        (2, (D(2025, 7, 1), D(2025, 9, 30))),
        (3, (D(2025, 10, 1), D(2025, 12, 31))),
        (4, (D(2026, 1, 1), D(2026, 3, 31))),
    ],
)
def test_quarters_run_from_april(quarter: int, bounds: tuple[dt.date, dt.date]) -> None:
    assert fy.quarter_bounds(2025, quarter) == bounds


def test_presets_on_a_day_in_the_second_quarter() -> None:
    got = [(p.code, p.label, p.start, p.end) for p in fy.presets(D(2025, 8, 20))]
    assert got == [
        ("this-fy", "This financial year (2025/26)", D(2025, 4, 1), D(2026, 3, 31)),
        ("last-fy", "Last financial year (2024/25)", D(2024, 4, 1), D(2025, 3, 31)),
        ("this-fy-q1", "Q1 2025/26 (April to June)", D(2025, 4, 1), D(2025, 6, 30)),
        ("this-fy-q2", "Q2 2025/26 (July to September)", D(2025, 7, 1), D(2025, 9, 30)),
        ("last-fy-q1", "Q1 2024/25 (April to June)", D(2024, 4, 1), D(2024, 6, 30)),
        ("last-fy-q2", "Q2 2024/25 (July to September)", D(2024, 7, 1), D(2024, 9, 30)),
        ("last-fy-q3", "Q3 2024/25 (October to December)", D(2024, 10, 1), D(2024, 12, 31)),
        ("last-fy-q4", "Q4 2024/25 (January to March)", D(2025, 1, 1), D(2025, 3, 31)),
    ]


def test_on_the_first_of_april_the_year_turns() -> None:
    presets = {p.code: p for p in fy.presets(D(2026, 4, 1))}
    assert (presets["this-fy"].start, presets["last-fy"].start) == (D(2026, 4, 1), D(2025, 4, 1))
    assert "this-fy-q2" not in presets and presets["last-fy-q4"].end == D(2026, 3, 31)


@pytest.mark.parametrize(
    ("latest", "window"),
    [
        (None, (D(2025, 4, 1), D(2026, 3, 31))),
        (D(2025, 8, 19), (D(2025, 4, 1), D(2025, 8, 19))),  # still running: up to the records
        (D(2026, 5, 1), (D(2025, 4, 1), D(2026, 3, 31))),
        (D(2025, 1, 1), (D(2025, 4, 1), D(2025, 4, 1))),  # no records in it yet
    ],
)
def test_a_preset_window_ends_with_the_records(
    latest: dt.date | None, window: tuple[dt.date, dt.date]
) -> None:
    this_year = fy.presets(D(2025, 8, 20))[0]
    assert fy.window(this_year, latest) == window


def test_the_sidebar_offers_the_financial_years_and_their_quarters() -> None:
    from pages import frame

    codes = frame.window_codes(D(2025, 8, 20))
    assert list(codes)[:3] == ["Last 3 months", "Last 12 months", "Programme to date"]
    assert codes["This financial year (2025/26)"] == "this-fy"
    assert codes["Q4 2024/25 (January to March)"] == "last-fy-q4"
    assert list(codes)[-1] == "Custom dates" and codes["Custom dates"] == "custom"
    assert len(set(codes.values())) == len(codes)
