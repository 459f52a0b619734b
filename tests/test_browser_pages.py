"""Every page in real Chromium on demo data: no error shown, every chart drawn, filters in the
URL restored, and a file uploaded on the Data page. Screenshots go to test-artifacts/pages/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser_support import (
    ARTIFACTS,
    chromium,
    error_texts,
    streamlit_server,
    wait_for_app,
    wait_for_charts,
)

pytestmark = pytest.mark.browser

# (navigation label, URL path, at least this many charts)
PAGES = [
    ("Overview", "", 2),
    ("Timekeeping", "timekeeping", 3),
    ("Reliability", "reliability", 2),
    ("Transitions", "transitions", 3),
    ("Shadowing and milestones", "shadowing", 2),
    ("Behaviour", "behaviour", 4),
    ("Mentor journey", "mentor_journey", 2),
    ("Impact summary", "impact_summary", 2),
    ("Data", "data", 0),
    ("How we count", "how_we_count", 0),
]


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[str]:
    with streamlit_server(demo_db) as url:
        yield url


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[object]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def tab(chromium_browser: object) -> Iterator[object]:
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    yield context.new_page()
    context.close()


def test_every_page_opens_from_the_navigation_without_error(server: str, tab: object) -> None:
    page = tab
    shots = ARTIFACTS / "pages"
    shots.mkdir(parents=True, exist_ok=True)
    page.goto(server)  # type: ignore[attr-defined]
    wait_for_app(page)
    for label, path, min_charts in PAGES:
        nav = page.locator(
            '[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]', has_text=label
        ).first  # type: ignore[attr-defined]
        nav.click()
        page.wait_for_url(f"{server}/{path}*")  # type: ignore[attr-defined]
        wait_for_app(page)
        charts = wait_for_charts(page, min_charts)
        name = path or "overview"
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
        assert error_texts(page) == [], f"{label} shows an error"
        assert charts >= min_charts, f"{label}: {charts} chart(s), expected at least {min_charts}"
        heading = page.locator("h1").first.inner_text()  # type: ignore[attr-defined]
        assert heading.strip(), f"{label} has no title"


def test_a_filtered_url_restores_the_filters_and_keeps_them_across_pages(
    server: str, tab: object, demo_db: Path
) -> None:
    page = tab
    import duckdb

    with duckdb.connect(str(demo_db), read_only=True) as con:
        row = con.execute("SELECT min(cohort) FROM mentors").fetchone()
    assert row is not None
    cohort = row[0]
    page.goto(  # type: ignore[attr-defined]
        f"{server}/timekeeping?window=custom&from=2025-01-01&to=2025-06-30&cohort={cohort}"
    )
    wait_for_app(page)
    sidebar = page.locator('[data-testid="stSidebar"]')  # type: ignore[attr-defined]
    # Waited for, not counted at once: the first request to a server can rerun the page.
    sidebar.get_by_text(cohort).first.wait_for(timeout=30_000)
    from_box = sidebar.locator('[data-testid="stDateInput"] input').first
    assert from_box.input_value() in ("01/01/2025", "2025-01-01", "2025/01/01")
    page.locator(
        '[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]', has_text="Reliability"
    ).first.click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{server}/reliability*")  # type: ignore[attr-defined]
    wait_for_app(page)
    query = parse_qs(urlparse(page.url).query)  # type: ignore[attr-defined]
    assert query.get("cohort") == [cohort]
    assert query.get("from") == ["2025-01-01"] and query.get("to") == ["2025-06-30"]
    assert error_texts(page) == []


def test_a_file_uploaded_on_the_data_page_is_previewed_and_imported(
    server: str, tab: object, tmp_path: Path
) -> None:
    page = tab
    upload = tmp_path / "new_mentors.csv"
    upload.write_text(
        "Mentor ID,Cohort,Start date,Status\n"
        "PM-BROWSER-1,2026 Q3,01/07/2026,active\n"
        "PM-BROWSER-2,,01/07/2026,active\n",
        encoding="utf-8",
    )
    page.goto(f"{server}/data")  # type: ignore[attr-defined]
    wait_for_app(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))  # type: ignore[attr-defined]
    wait_for_app(page)
    main = page.locator('[data-testid="stMain"]')  # type: ignore[attr-defined]
    main.get_by_text("would be rejected").first.wait_for()
    page.get_by_role("button", name="Import these files").click()  # type: ignore[attr-defined]
    wait_for_app(page)
    main.get_by_text("1 new").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "pages" / "data-after-upload.png"), full_page=True)  # type: ignore[attr-defined]
    assert error_texts(page) == []
