"""Accessibility: no serious or critical axe-core violations in the project's own content (the
main area of every page, charts included), for managers and for the funders' page.

axe-core's own script comes with the axe-playwright-python package; it is injected into the
page and run there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    streamlit_server,
    wait_for_app,
    wait_for_charts,
)

pytestmark = pytest.mark.browser

PAGES = [
    "",
    "timekeeping",
    "reliability",
    "transitions",
    "shadowing",
    "journey",
    "mentor_journey",
    "impact_summary",
    "data",
    "learning_log",
    "how_we_count",
]
RUN_AXE = """async () => {
    const result = await axe.run(document.querySelector('[data-testid="stMain"]'),
                                 {resultTypes: ['violations']});
    return result.violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes[0].target.join(' ')}`);
}"""


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[str]:
    with streamlit_server(demo_db) as url:
        yield url


@pytest.fixture(scope="module")
def tab() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser.new_page(viewport={"width": 1400, "height": 1000})
        browser.close()


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_or_critical_axe_violations(server: str, tab: object, path: str) -> None:
    import axe_playwright_python

    axe_script = Path(axe_playwright_python.__file__).parent / "axe.min.js"
    page = tab
    page.goto(f"{server}/{path}")  # type: ignore[attr-defined]
    wait_for_app(page)
    page.wait_for_selector("h1")  # type: ignore[attr-defined]
    wait_for_charts(page)
    page.add_script_tag(path=str(axe_script))  # type: ignore[attr-defined]
    assert page.evaluate(RUN_AXE) == []  # type: ignore[attr-defined]
