"""Behaviour in real Chromium on demo data: the Behaviour page for a manager, and the
three-skills chart for a signed-in funder on the impact summary, with no error, every chart
drawn, nothing naming a mentor for the funder, and no serious axe violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_support import (
    ARTIFACTS,
    chromium,
    error_texts,
    shown_text,
    signed_in_page,
    streamlit_server,
    wait_for_app,
    wait_for_charts,
)
from tests.conftest import query
from tests.test_browser_accessibility import RUN_AXE

# The signed-in server (an OpenID Connect provider and the dashboard with its secrets) of the
# sign-in tests, reused for the funder.
from tests.test_browser_signin import (  # noqa: E402, F401
    app,
    provider,
)

pytestmark = pytest.mark.browser
SKILLS_TITLE = "Learning to work: the three skills by weeks in the programme"


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[str]:
    with streamlit_server(demo_db) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as opened:
        yield opened


def _axe(page: object) -> list[str]:
    import axe_playwright_python

    page.add_script_tag(path=str(Path(axe_playwright_python.__file__).parent / "axe.min.js"))  # type: ignore[attr-defined]
    found = page.evaluate(RUN_AXE)  # type: ignore[attr-defined]
    return [f for f in found if "(serious)" in f or "(critical)" in f]


def test_a_manager_opens_the_behaviour_page(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(f"{server}/behaviour")
    wait_for_app(page)
    page.wait_for_selector("h1")
    charts = wait_for_charts(page, 4)
    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pages" / "behaviour.png"), full_page=True)
    assert error_texts(page) == []
    assert charts == 4
    text = shown_text(page)
    assert "Behaviour" in text and "Open concerns" in text and "Each mentor" in text
    assert _axe(page) == []
    page.close()


def test_a_funder_sees_the_three_skills_chart(
    browser: object,
    app: str,  # noqa: F811 - the imported fixture
    demo_db: Path,
) -> None:
    page = signed_in_page(browser, app, "funder")
    page.goto(f"{app}/impact_summary")  # type: ignore[attr-defined]
    wait_for_app(page)
    page.wait_for_selector("h1")  # type: ignore[attr-defined]
    wait_for_charts(page, 6)
    assert error_texts(page) == []
    text = shown_text(page)
    assert "(funder)" in text
    titles = page.evaluate(  # type: ignore[attr-defined]
        """() => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"] .gtitle'))
            .map(e => e.textContent)"""
    )
    assert SKILLS_TITLE in titles
    codes = [str(r[0]) for r in query(demo_db, "SELECT mentor_id FROM mentors")]
    assert [c for c in codes if c in text] == []
    assert "high_severity" not in text and "Open concerns" not in text
    assert _axe(page) == []
