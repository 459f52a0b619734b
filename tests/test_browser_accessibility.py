"""Accessibility to WCAG 2.2 AA: no axe-core violation of the WCAG 2.0, 2.1 and 2.2 A and AA
rules (target sizes of 24 pixels included) anywhere in the document (the page with its charts,
the sidebar's page links and filters, Streamlit's own header), for managers on every page and for
a signed-in funder on theirs. The page links are the dashboard's own (st.page_link under section
captions): Streamlit's grouped navigation put its section headers inside its list.

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
    signed_in_page,
    streamlit_server,
    wait_for_app,
    wait_for_charts,
)

# The signed-in server (an OpenID Connect provider and the dashboard with its secrets) of the
# sign-in tests, reused for the funder's pages.
from tests.test_browser_signin import (  # noqa: E402, F401
    app,
    provider,
)

pytestmark = pytest.mark.browser

PAGES = [
    "",
    "timekeeping",
    "reliability",
    "transitions",
    "shadowing",
    "journey",
    "behaviour",
    "targets",
    "mentor_journey",
    "impact_summary",
    "data",
    "learning_log",
    "how_we_count",
]
RUN_AXE = """async () => {
    const options = {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
        resultTypes: ['violations'],
    };
    const found = [];
    const result = await axe.run(document, options);
    for (const v of result.violations) {
        found.push(`${v.id} (${v.impact}): ${v.help} at ${v.nodes[0].target.join(' ')}`);
    }
    return found;
}"""


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[str]:
    with streamlit_server(demo_db) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def tab(chromium: object) -> object:
    return chromium.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]


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


FUNDER_PAGES = ["impact_summary", "how_we_count"]


@pytest.mark.parametrize("path", FUNDER_PAGES)
def test_no_wcag_violations_for_a_signed_in_funder(
    chromium: object,
    app: str,  # noqa: F811 - the imported fixture
    path: str,
) -> None:
    import axe_playwright_python

    axe_script = Path(axe_playwright_python.__file__).parent / "axe.min.js"
    page = signed_in_page(chromium, app, "funder")
    page.goto(f"{app}/{path}")  # type: ignore[attr-defined]
    wait_for_app(page)
    page.wait_for_selector("h1")  # type: ignore[attr-defined]
    wait_for_charts(page)
    assert "(funder)" in page.locator("body").inner_text()  # type: ignore[attr-defined]
    page.add_script_tag(path=str(axe_script))  # type: ignore[attr-defined]
    assert page.evaluate(RUN_AXE) == []  # type: ignore[attr-defined]
