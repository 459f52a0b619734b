"""A new user's path in real Chromium: the public grid example uploaded with the programme's
CSV files in one go reaches a landed import through the mapping step, the grid form chosen
for it by the file's shape. Screenshots go to test-artifacts/new-user/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from analysis import database
from tests.browser_support import (
    ARTIFACTS,
    chromium,
    error_texts,
    streamlit_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser

GRID = Path(__file__).parent / "samples_round2" / "grid"
SHOTS = ARTIFACTS / "new-user"
FILES = [
    "mentors.csv",
    "sessions.csv",
    "attendance.csv",
    "group-days.xlsx",
    "stage_assessments.csv",
    "milestones.csv",
]


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("new-user") / "programme.duckdb"
    with database.connect(db, create=True):
        pass
    return db


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[object]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(chromium_browser: object) -> Iterator[object]:
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    yield context.new_page()
    context.close()


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_public_grid_example_with_the_csvs_lands_through_the_mapping_step(
    empty_db: Path, page: object
) -> None:
    with streamlit_server(empty_db) as url:
        page.goto(f"{url}/data")  # type: ignore[attr-defined]
        wait_for_app(page, timeout_ms=240_000)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(  # type: ignore[attr-defined]
            [str(GRID / name) for name in FILES]
        )
        wait_for_app(page, timeout_ms=240_000)
        main = page.locator('[data-testid="stMain"]')  # type: ignore[attr-defined]
        main.get_by_text("Map the file's columns").first.wait_for(timeout=120_000)
        assert error_texts(page) == []  # not "Nothing can be imported"
        assert main.get_by_text(re.compile("group-days.xlsx fits none")).count() == 1
        grid = page.get_by_role("radio", name="an attendance grid: mentors down, dates across")  # type: ignore[attr-defined]
        assert grid.is_checked()
        minutes = page.get_by_label("Duration (minutes)", exact=True).first  # type: ignore[attr-defined]
        assert minutes.input_value() == ""  # the workbook does not say how long a day is
        minutes.fill("300")
        minutes.press("Enter")
        wait_for_app(page, timeout_ms=240_000)
        main.get_by_text("The first rows as they will be read").first.wait_for(timeout=120_000)
        main.get_by_text("18 more in the list").first.wait_for()
        assert error_texts(page) == []
        name = page.get_by_label("Save this mapping as a profile named", exact=True).first  # type: ignore[attr-defined]
        name.fill("Group days grid")
        name.press("Enter")
        wait_for_app(page, timeout_ms=240_000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "grid-with-csvs.png"), full_page=True)  # type: ignore[attr-defined]
        page.get_by_role("button", name="Import these files").click()  # type: ignore[attr-defined]
        wait_for_app(page, timeout_ms=240_000)
        main.get_by_text(re.compile("Imported:")).first.wait_for(timeout=120_000)
        assert error_texts(page) == []
    landed = _rows(
        empty_db,
        "SELECT file_name, count(*), any_value(profile) FROM import_files "
        "GROUP BY file_name ORDER BY file_name",
    )
    assert {row[0] for row in landed} == set(FILES)
    assert ("group-days.xlsx", 19, "Group days grid") in landed
    assert _rows(empty_db, "SELECT count(*) FROM mapping_profiles")[0][0] == 1
    assert (
        _rows(
            empty_db,
            "SELECT count(*) FROM sessions WHERE session_type = 'group_day' AND duration_minutes = 300",
        )[0][0]
        > 0
    )


@pytest.fixture(scope="module")
def demo_server(demo_db: Path) -> Iterator[str]:
    with streamlit_server(demo_db) as url:
        yield url


def _main_text(page: object) -> str:
    return str(page.locator('[data-testid="stMain"]').inner_text()).replace("\u2060", "")  # type: ignore[attr-defined]


def test_an_unknown_mentor_in_the_address_is_said_not_silently_replaced(
    demo_server: str, demo_db: Path, page: object
) -> None:
    page.goto(f"{demo_server}/mentor_journey?mentor=PM-9999")  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    page.get_by_text("Mentor journey").first.wait_for(timeout=120_000)  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    text = _main_text(page)
    assert "PM-9999" in text and "not" in text, text[:600]
    assert re.search(r"The link names mentor PM-9999", text), text[:600]


def test_a_lower_case_mentor_code_in_the_address_is_read_and_said(
    demo_server: str, page: object
) -> None:
    page.goto(f"{demo_server}/mentor_journey")  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    heading = page.locator('[data-testid="stMain"] h3').first  # type: ignore[attr-defined]
    wanted = heading.inner_text().replace("\u2060", "").strip()  # a mentor in the window
    assert wanted.startswith("DM-")
    page.goto(f"{demo_server}/mentor_journey?mentor={wanted.lower()}")  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    page.get_by_text("read as").first.wait_for(timeout=120_000)  # type: ignore[attr-defined]
    text = _main_text(page)
    assert f"read as {wanted}" in text, text[:600]
    heading = page.locator('[data-testid="stMain"] h3').first  # type: ignore[attr-defined]
    assert heading.inner_text().replace("\u2060", "").strip() == wanted


def test_an_unknown_window_in_the_address_is_said(demo_server: str, page: object) -> None:
    page.goto(f"{demo_server}/overview?window=fortnight")  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    page.get_by_text("Overview").first.wait_for(timeout=120_000)  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    text = _main_text(page)
    assert "fortnight" in text, text[:600]
    assert "is not a window the dashboard knows" in text, text[:600]


def test_rejected_rows_show_and_download_why_first_with_blanks_blank(
    demo_server: str, page: object, tmp_path: Path
) -> None:
    upload = tmp_path / "joiners.csv"
    upload.write_text(
        "mentor_id,cohort,start_date,status,gender\nPM-NEW1,2026 Q3,31/02/2026,active,\n",
        encoding="utf-8",
    )
    page.goto(f"{demo_server}/data")  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    page.get_by_role("button", name="Import these files").click()  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    page.get_by_role("tab", name="Rejected rows").click()  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    main = page.locator('[data-testid="stMain"]')  # type: ignore[attr-defined]
    grid = main.locator('[data-testid="stDataFrame"]:visible').first
    grid.wait_for(timeout=120_000)
    headers = grid.locator('[role="columnheader"]').all_inner_texts()
    assert headers and headers[0].strip() == "Why it was rejected", headers
    with page.expect_download(timeout=120_000) as info:  # type: ignore[attr-defined]
        page.get_by_role("button", name=re.compile("^Download these rows")).click()  # type: ignore[attr-defined]
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "rejected_because,mentor_id,cohort,start_date,status,gender", lines
    assert "start_date" in lines[1].split(",PM-NEW1")[0]  # the reason names what to correct
    assert lines[1].endswith(",PM-NEW1,2026 Q3,31/02/2026,active,")  # a blank is blank
    assert "None" not in text


TRUNCATED = """() => Array.from(document.querySelectorAll(
    '[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *, '
    + '[data-testid="stDownloadButton"] button, [data-testid="stDownloadButton"] button *'
)).filter(e => (e.textContent || '').trim() && e.scrollWidth > e.clientWidth + 1
    && getComputedStyle(e).overflowX !== 'visible')
 .map(e => e.textContent)"""


@pytest.mark.parametrize("path", ["overview", "reliability", "journey", "data"])
def test_no_card_label_or_button_is_cut(demo_server: str, page: object, path: str) -> None:
    page.set_viewport_size({"width": 1024, "height": 768})  # type: ignore[attr-defined]
    page.goto(f"{demo_server}/{path}")  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    page.wait_for_selector(  # type: ignore[attr-defined]
        '[data-testid="stMetricLabel"], [data-testid="stDownloadButton"]', timeout=120_000
    )
    labels = page.evaluate(  # type: ignore[attr-defined]
        '() => document.querySelectorAll(\'[data-testid="stMetricLabel"], '
        '[data-testid="stDownloadButton"]\').length'
    )
    assert labels > 0
    # (the page's styles arrive with its run: a label is judged once they are in)
    page.wait_for_function(  # type: ignore[attr-defined]
        """() => Array.from(document.querySelectorAll('[data-testid="stMetricLabel"] *, '
            + '[data-testid="stDownloadButton"] button'))
            .every(e => getComputedStyle(e).whiteSpace === 'normal')""",
        timeout=60_000,
    )
    assert page.evaluate(TRUNCATED) == []  # type: ignore[attr-defined]


def _pdf_pages(pdf: Path) -> list[str]:
    """Each page's text, as pdftotext reads it (whitespace made single, word joiners out)."""
    import subprocess

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    count = int(next(ln for ln in info.stdout.splitlines() if ln.startswith("Pages:")).split()[1])
    pages = []
    for n in range(1, count + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        pages.append(" ".join(text.replace("\u2060", "").split()))
    return pages


def _print_copy_rows(page: object, key: str) -> list[list[str]]:
    """The rows of a table's print copy, cell by cell, as the page holds them."""
    return list(
        page.evaluate(  # type: ignore[attr-defined]
            """(key) => Array.from(document.querySelectorAll(
                `[class*="st-key-print_copy_${key}"] tbody tr`
            )).map(tr => Array.from(tr.querySelectorAll('td, th')).map(
                c => c.textContent.replace(/\\u2060/g, '').replace(/\\s+/g, ' ').trim()))""",
            key,
        )
    )


@pytest.mark.parametrize(
    ("path", "tables"),
    [("reliability", ["reliability"]), ("mentor_journey", ["journey_milestones", "journey_notes"])],
)
def test_a_page_prints_whole_on_a4(
    demo_server: str, page: object, path: str, tables: list[str], tmp_path: Path
) -> None:
    """Printed to PDF (A4), every row of every table is in the text, values as the screen
    shows them, and no page is blank."""
    from tests.browser_support import wait_for_charts

    page.goto(f"{demo_server}/{path}")  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    wait_for_charts(page, 1, timeout_ms=120_000)
    for key in tables:  # the run may still be sending the page's last elements
        page.wait_for_selector(  # type: ignore[attr-defined]
            f'[class*="st-key-print_copy_{key}"] tbody tr', state="attached", timeout=60_000
        )
    rows = {key: _print_copy_rows(page, key) for key in tables}
    assert all(rows.values()), rows  # each table has rows to find
    pdf = tmp_path / f"{path}.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)  # type: ignore[attr-defined]
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{path}.pdf").write_bytes(pdf.read_bytes())
    pages = _pdf_pages(pdf)
    assert all(len(text) > 40 for text in pages), [len(t) for t in pages]  # no blank page
    whole = " ".join(pages)
    packed = whole.replace(" ", "")  # pdftotext may drop a space beside a word joiner
    for key, table_rows in rows.items():
        for row in table_rows:
            for cell in row:
                assert cell.replace(" ", "") in packed, (key, row, cell)
    # values as on screen: no raw floats or midnight times
    assert not re.search(r"\d\.0000|00:00:00", whole)
    if path == "reliability":
        assert re.search(r"\b\d{1,3}% \d{1,3}%", whole)  # attendance and on time as percent
        assert re.search(r"\b\d{1,2} [A-Z][a-z]{2} 20\d\d\b", whole)  # last attended as a date
    else:
        assert "Milestones" in whole and "Notes" in whole


@pytest.mark.parametrize(
    "path",
    [
        "overview",
        "timekeeping",
        "transitions",
        "shadowing",
        "journey",
        "behaviour",
        "targets",
        "impact_summary",
        "learning_log",
        "how_we_count",
    ],
)
def test_every_other_manager_page_prints_with_no_blank_page(
    demo_server: str, page: object, path: str, tmp_path: Path
) -> None:
    """Every manager page printed to PDF (A4): no blank page, no raw floats or midnight times,
    every chart's title in the text (a chart is never cut off the print), and every row of
    the page's own tables (How we count's three)."""
    from tests.browser_support import wait_for_charts

    page.goto(f"{demo_server}/{path}")  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    drawn = 0 if path in ("how_we_count", "learning_log") else 1  # pages without a chart
    charts = wait_for_charts(page, drawn, timeout_ms=120_000)
    while True:  # the run may still be sending charts: wait until their number holds, drawn
        page.wait_for_timeout(1_500)  # type: ignore[attr-defined]
        wait_for_app(page, timeout_ms=120_000)
        now = wait_for_charts(page, charts, timeout_ms=120_000)
        if now == charts:
            break
        charts = now
    tables = {"how_we_count": ["how_figures", "how_stages", "how_settings"]}.get(path, [])
    for key in tables:  # a page with no chart is idle before its last elements arrive
        page.wait_for_selector(  # type: ignore[attr-defined]
            f'[class*="st-key-print_copy_{key}"] tbody tr', state="attached", timeout=60_000
        )
    rows = {key: _print_copy_rows(page, key) for key in tables}
    assert all(rows.values()), rows  # each table has rows to find
    titles = page.evaluate(  # type: ignore[attr-defined]
        """() => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"] .gtitle'))
            .map(t => t.textContent.replace(/\\s+/g, ' ').trim()).filter(t => t)"""
    )
    pdf = tmp_path / f"{path}.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)  # type: ignore[attr-defined]
    pages = _pdf_pages(pdf)
    assert pages and all(len(text) > 40 for text in pages), [len(t) for t in pages]
    whole = " ".join(pages)
    assert not re.search(r"\d\.0000|00:00:00|\bNone\b|\bnan\b", whole)
    assert len(titles) <= charts
    packed = whole.replace(" ", "")
    for title in titles:  # a chart's title prints (its SVG text is in the PDF)
        assert title.replace(" ", "")[:30] in packed, (path, title)
    for key, table_rows in rows.items():  # every row of a page's tables is on paper
        for row in table_rows:
            for cell in row:
                assert cell.replace(" ", "")[:60] in packed, (key, row, cell)
