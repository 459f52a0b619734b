"""Filters and tables by keyboard alone (WCAG 2.1.1): from the top of a page, Tab reaches the
sidebar's filters, a cohort is chosen by typing and Enter, the window by the arrow keys, and a
table is reached by Tab and moved through with the arrow keys. No mouse event is sent."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_for_app

pytestmark = pytest.mark.browser

FOCUSED_WIDGET = """(testid) => {
    const el = document.activeElement;
    const widget = el && el.closest(`[data-testid="${testid}"]`);
    return widget ? widget.innerText.split('\\n')[0] : null;
}"""


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[str]:
    with streamlit_server(demo_db) as url:
        yield url


@pytest.fixture
def page(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser.new_page(viewport={"width": 1400, "height": 1000})
        browser.close()


def tab_to(page: object, testid: str, label: str, most: int = 150) -> None:
    """Press Tab until the focus is in the widget `testid` whose label starts with `label`."""
    for _ in range(most):
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        shown = page.evaluate(FOCUSED_WIDGET, testid)  # type: ignore[attr-defined]
        if shown and shown.strip().startswith(label):
            return
    raise AssertionError(f"{most} presses of Tab never reached {testid} {label!r}")


def query(page: object) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)  # type: ignore[attr-defined]


def test_the_filters_work_by_keyboard_alone(server: str, page: object, demo_db: Path) -> None:
    import duckdb

    with duckdb.connect(str(demo_db), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT cohort FROM mentors ORDER BY 1").fetchall()
    cohorts = [r[0] for r in rows]
    page.goto(f"{server}/timekeeping")  # type: ignore[attr-defined]
    wait_for_app(page)

    tab_to(page, "stMultiSelect", "Cohorts")
    page.keyboard.type(cohorts[1])  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    wait_for_app(page)
    assert query(page).get("cohort") == [cohorts[1]]

    page.goto(f"{server}/timekeeping")  # type: ignore[attr-defined]
    wait_for_app(page)
    tab_to(page, "stSelectbox", "Window")
    page.keyboard.type("Custom dates")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    wait_for_app(page)
    assert query(page).get("window") == ["custom"]
    # The dates the custom window opens with are reachable next, by Tab.
    tab_to(page, "stDateInput", "From", most=10)


def test_a_table_is_reached_and_read_by_keyboard_alone(server: str, page: object) -> None:
    page.goto(f"{server}/reliability")  # type: ignore[attr-defined]
    wait_for_app(page)
    page.locator('[data-testid="stDataFrame"]:visible').first.wait_for()  # type: ignore[attr-defined]
    focused = "() => document.activeElement && document.activeElement.getAttribute('data-testid')"
    for _ in range(150):
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        if page.evaluate(focused) == "data-grid-canvas":  # type: ignore[attr-defined]
            break
    else:
        raise AssertionError("Tab never reached the Reliability table's cells")
    cell = """() => {
        const el = document.activeElement;
        return el.getAttribute('role') === 'gridcell' ? [el.id, el.innerText] : null;
    }"""
    seen = []
    for key, expected in (
        ("ArrowDown", "glide-cell-1-1"),
        ("ArrowRight", "glide-cell-2-1"),
        ("ArrowDown", "glide-cell-2-2"),
    ):
        page.keyboard.press(key)  # type: ignore[attr-defined]
        with contextlib.suppress(Exception):  # the assertion below says what was reached
            page.wait_for_function(  # type: ignore[attr-defined]
                f"() => document.activeElement.id === '{expected}'", timeout=5_000
            )
        seen.append(page.evaluate(cell))  # type: ignore[attr-defined]
    # glide-cell-<column>-<row>: down to the first row, right a column, down a row.
    assert [s and s[0] for s in seen] == ["glide-cell-1-1", "glide-cell-2-1", "glide-cell-2-2"]
    assert seen[0][1].startswith("DM-")  # the first column is the mentor's code
