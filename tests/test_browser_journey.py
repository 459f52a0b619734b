"""In a real browser: a learning-log note added on its page shows on a monthly chart's hover and
in the funders' PDF pack (a note not shared stays out); "Show the numbers" opens under a chart;
a page printed to PDF by Chromium has no sidebar, its whole table, and no chart wider than the
paper; a Mentor journey link (?mentor=CODE) opens that mentor.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import query
from pypdf import PdfReader

from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    error_texts,
    streamlit_server,
    wait_for_app,
    wait_for_charts,
)

pytestmark = pytest.mark.browser

SHARED_NOTE = "New outreach worker started in the North"
PRIVATE_NOTE = "Prison lockdown: no visits for two weeks"
# A4 landscape less 10 mm margins each side, in CSS pixels (96 per inch).
PRINTABLE_WIDTH_PX = (297 - 20) / 25.4 * 96


@pytest.fixture(scope="module")
def db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("journey-browser") / "demo.duckdb"
    shutil.copy(demo_db, copy)
    return copy


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[str]:
    with streamlit_server(db) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1400, "height": 1000}, accept_downloads=True
    )
    tab = context.new_page()
    yield tab
    context.close()


def open_path(page: object, url: str) -> None:
    page.goto(url)  # type: ignore[attr-defined]
    wait_for_app(page)
    page.wait_for_selector("h1", timeout=120_000)  # type: ignore[attr-defined]


def add_note(page: object, server: str, text: str, shared: bool, on: dt.date) -> None:
    open_path(page, f"{server}/learning_log")
    # The date field is a group of day, month and year parts typed one after another.
    page.get_by_label("Date").first.locator('[role="spinbutton"]').first.click()  # type: ignore[attr-defined]
    page.keyboard.type(f"{on:%d%m%Y}")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    page.get_by_label("What changed, or what we learned").fill(text)  # type: ignore[attr-defined]
    if shared:
        page.get_by_text("Share with funders (in their impact pack)").first.click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Add the note").click()  # type: ignore[attr-defined]
    page.get_by_text("The note was added.").wait_for()  # type: ignore[attr-defined]
    wait_for_app(page)


def test_a_note_shows_on_a_monthly_chart_hover_and_in_the_pack(
    page: object, server: str, db: Path
) -> None:
    last = query(db, "SELECT CAST(max(scheduled_start) AS DATE) FROM sessions")[0][0]
    add_note(page, server, SHARED_NOTE, shared=True, on=last - dt.timedelta(days=45))
    add_note(page, server, PRIVATE_NOTE, shared=False, on=last - dt.timedelta(days=120))
    assert sorted(query(db, "SELECT noted_on FROM learning_notes")) == [
        (last - dt.timedelta(days=120),),
        (last - dt.timedelta(days=45),),
    ]

    open_path(page, f"{server}/timekeeping")
    wait_for_charts(page, 1, timeout_ms=120_000)
    assert error_texts(page) == []
    chart = page.locator(  # type: ignore[attr-defined]
        '[data-testid="stPlotlyChart"]', has_text="Punctuality by month"
    ).first
    marks = chart.locator(".scatterlayer .trace").last.locator("path.point")
    assert marks.count() == 2
    hovered = []
    for i in range(2):
        box = marks.nth(i).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # type: ignore[attr-defined]
        label = chart.locator(".hoverlayer .hovertext")
        label.first.wait_for(timeout=5000)
        hovered.append(label.first.text_content() or "")
        page.mouse.move(5, 5)  # type: ignore[attr-defined]
    assert any(SHARED_NOTE in h for h in hovered), hovered
    assert any(PRIVATE_NOTE in h for h in hovered), hovered

    # The funders' pack holds the shared note only.
    open_path(page, f"{server}/impact_summary")
    page.get_by_role("button", name="Prepare the PDF impact pack").click()  # type: ignore[attr-defined]
    button = page.get_by_role("button", name="Download the PDF impact pack")  # type: ignore[attr-defined]
    button.wait_for(timeout=120_000)
    with page.expect_download(timeout=60_000) as download:  # type: ignore[attr-defined]
        button.click()
    text = "\n".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages
    )
    assert "What changed and what we learned" in text
    assert SHARED_NOTE in " ".join(text.split())
    assert "lockdown" not in text


def test_show_the_numbers_opens_the_table_under_a_chart(page: object, server: str) -> None:
    open_path(page, f"{server}/journey")
    wait_for_charts(page, 6, timeout_ms=120_000)
    expanders = page.locator('[data-testid="stExpander"]', has_text="Show the numbers")  # type: ignore[attr-defined]
    assert expanders.count() == 6
    expanders.first.locator("summary").click()
    grid = expanders.first.locator('[data-testid="stDataFrame"]')
    grid.wait_for()
    assert expanders.first.get_by_role("button", name="Download the numbers (CSV)").is_visible()
    assert expanders.first.get_by_role("button", name="Download the numbers (Excel)").is_visible()


def test_a_printed_page_has_no_sidebar_its_whole_table_and_charts_within_the_paper(
    page: object, server: str, db: Path
) -> None:
    open_path(page, f"{server}/reliability?window=to-date")
    wait_for_charts(page, 2, timeout_ms=120_000)
    # The paper copy of the table is drawn after the charts: wait for it before printing.
    page.locator('[class*="st-key-print_copy_"] table').first.wait_for(  # type: ignore[attr-defined]
        state="attached", timeout=60_000
    )
    page.emulate_media(media="print")  # type: ignore[attr-defined]
    hidden = page.evaluate(  # type: ignore[attr-defined]
        """() => getComputedStyle(document.querySelector('[data-testid="stSidebar"]')).display"""
    )
    assert hidden == "none"
    rights = page.evaluate(  # type: ignore[attr-defined]
        """() => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg'))
            .map(svg => svg.getBoundingClientRect().right)"""
    )
    assert rights and max(rights) <= PRINTABLE_WIDTH_PX
    pdf = page.pdf(print_background=True, prefer_css_page_size=True)  # type: ignore[attr-defined]
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Filters" not in text and "Sign-in is off" not in text  # the sidebar's
    codes = [str(r[0]) for r in query(db, "SELECT mentor_id FROM mentors ORDER BY mentor_id")]
    printed = [c for c in codes if c in text]
    assert len(printed) >= 0.9 * len(codes)  # the whole table, not the grid's visible rows


def test_a_mentor_journey_link_opens_that_mentor(page: object, server: str, db: Path) -> None:
    code = str(query(db, "SELECT max(mentor_id) FROM mentors")[0][0])
    open_path(page, f"{server}/mentor_journey?window=to-date&mentor={code}")
    assert page.locator("h3", has_text=code).count() >= 1  # type: ignore[attr-defined]
    assert f"mentor={code}" in page.url  # type: ignore[attr-defined]
