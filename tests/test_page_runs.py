"""What the frame (pages/frame.py) used to do itself, now Streamlit-free in the package and
tested here: a run's connection and its calls by name (analysis.page_runs), and the filters
as a shareable URL (analysis.url_state)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from analysis import metrics, page_runs, url_state, views
from analysis.settings import Settings

TODAY = dt.date(2026, 5, 20)
OPTIONS = {
    "cohorts": ["2025 Q1", "Q.2 'x'", "**bold**"],
    "genders": ["female", "male"],
    "workers": ["OW-1"],
    "regions": ["North"],
    "streams": ["Lottery"],
}


# --- calls by name ------------------------------------------------------------------------


def test_a_call_is_named_by_its_module_and_function() -> None:
    assert page_runs.name_of(views.attendance_by_month) == "analysis.views.attendance_by_month"
    assert page_runs.resolve("analysis.views.attendance_by_month") is views.attendance_by_month


@pytest.mark.parametrize(
    "name",
    [
        "os.system",
        "subprocess.run",
        "analysis.views._run",  # private
        "analysis._private.thing",
        "analysis.views.duckdb",  # a module, not a function of views
        "analysis.views.Settings",  # imported into views, defined elsewhere
        "analysis.views.no_such_function",
        "analysis.views.attendance_by_month; import os",
        "analysis",
        "",
        "analysis.views.",
    ],
)
def test_a_name_that_is_not_a_page_function_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not a function a page may call"):
        page_runs.resolve(name)


def test_one_connection_a_run_shared_until_closed(clean_db: Path) -> None:
    db = str(clean_db)
    try:
        con = page_runs.connection(db)
        assert page_runs.connection(db) is con
        frame = page_runs.call(
            "analysis.views.attendance_by_month", db, metrics.Scope(), Settings(), ()
        )
        assert frame["expected"].sum() > 0
        assert page_runs.connection(db) is con  # the call used the run's connection
    finally:
        page_runs.close_connection()
    page_runs.close_connection()  # safe twice
    try:
        assert page_runs.connection(db) is not con  # a new run opens its own
    finally:
        page_runs.close_connection()


def test_each_thread_has_its_own_connection(clean_db: Path) -> None:
    seen: list[object] = []

    def run() -> None:
        try:
            seen.append(page_runs.connection(str(clean_db)))
        finally:
            page_runs.close_connection()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 2 and seen[0] is not seen[1]


# --- the URL ------------------------------------------------------------------------------


def test_a_shared_link_sets_the_filters_it_names() -> None:
    params = {
        "window": ["custom"],
        "from": ["2025-01-01"],
        "to": ["2025-06-30"],
        "cohort": ["Q.2 'x'", "**bold**"],
        "region": ["North"],
        "mentor": ["PM-0001"],
    }
    assert url_state.filters_from_url(params, OPTIONS, TODAY) == {
        "_url_mentor": "PM-0001",
        "filter_window": "Custom dates",
        "filter_from": dt.date(2025, 1, 1),
        "filter_to": dt.date(2025, 6, 30),
        "filter_cohorts": ["Q.2 'x'", "**bold**"],
        "filter_regions": ["North"],
    }


def test_a_mistyped_or_stale_link_falls_back_to_the_defaults() -> None:
    params = {
        "window": ["last-7-years"],
        "from": ["31/02/2025"],
        "to": ["2025-13-01"],
        "cohort": ["2019 Q1", "'; DROP TABLE mentors; --"],
        "gender": [],
        "unknown": ["x"],
    }
    got = url_state.filters_from_url(params, OPTIONS, TODAY)
    # no filter is set; what was not understood is listed for the page to say, part by part
    said = got.pop("_url_not_understood")
    assert got == {}
    assert [s.split(" ")[0:2] for s in said] == [
        ["the", "window"],
        ["from='31/02/2025'", "is"],
        ["to='2025-13-01'", "is"],
    ]
    assert "last-7-years" in said[0] and all("DROP" not in s for s in said)


def test_a_repeated_window_reads_as_streamlit_does_the_last() -> None:
    got = url_state.filters_from_url({"window": ["custom", "to-date"]}, OPTIONS, TODAY)
    assert got == {"filter_window": "Programme to date"}


def test_the_url_written_is_read_back_as_the_same_filters() -> None:
    window = (dt.date(2025, 4, 1), dt.date(2025, 9, 30))
    chosen = {"filter_cohorts": ["Q.2 'x'"], "filter_genders": [], "filter_streams": ["Lottery"]}
    url = url_state.url_of("custom", window, chosen)
    assert url == {
        "window": "custom",
        "from": "2025-04-01",
        "to": "2025-09-30",
        "cohort": ["Q.2 'x'"],
        "stream": ["Lottery"],
    }
    params = {k: v if isinstance(v, list) else [v] for k, v in url.items()}
    back = url_state.filters_from_url(params, OPTIONS, TODAY)
    assert (back["filter_from"], back["filter_to"]) == window
    assert back["filter_cohorts"] == ["Q.2 'x'"] and back["filter_streams"] == ["Lottery"]
    assert url_state.url_of("last-12-months", window, chosen)["window"] == "last-12-months"
    assert "from" not in url_state.url_of("last-12-months", window, chosen)
