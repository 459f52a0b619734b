"""Bring your own export, in real Chromium: a CSV with foreign headers and an attendance grid
through the mapping step to an import, and a rejected row from correction to resolved.
Screenshots go to test-artifacts/imports/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pytest

from analysis.importer import ImportSource, import_files
from tests.browser_support import (
    ARTIFACTS,
    chromium,
    error_texts,
    streamlit_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser

SAMPLES = Path(__file__).parent / "samples_round2"
SHOTS = ARTIFACTS / "imports"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("imports") / "programme.duckdb"
    assert import_files(db, [ImportSource.of(SAMPLES / "grid" / "mentors.csv")]).landed
    return db


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[str]:
    with streamlit_server(db) as url:
        yield url


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[object]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(chromium_browser: object) -> Iterator[object]:
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    yield context.new_page()
    context.close()


def _count(db: Path, sql: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def _choose(page: object, label: str | re.Pattern[str], option: str) -> None:
    """Pick `option` in the select box labelled `label`."""
    box = page.get_by_role("combobox", name=label, exact=True).first  # type: ignore[attr-defined]
    box.scroll_into_view_if_needed()
    box.click()
    box.fill(option)  # the list is filtered to the option, however long it is
    page.get_by_role("option", name=option, exact=True).first.click()  # type: ignore[attr-defined]
    wait_for_app(page)


def _value_label(column: str, value: str) -> re.Pattern[str]:
    quote = r"\\?'"
    return re.compile(f"^{column}: the file{quote}s {quote}{re.escape(value)}{quote} means$")


def _shown(text: str) -> re.Pattern[str]:
    """Text as the page draws it: escaped Markdown may carry word joiners (U+2060) anywhere."""
    return re.compile("\u2060?".join(re.escape(ch) for ch in text))


def _type_into(page: object, label: str, text: str) -> None:
    field = page.get_by_label(label, exact=True).first  # type: ignore[attr-defined]
    field.fill(text)
    field.press("Enter")
    wait_for_app(page, timeout_ms=240_000)


def _upload(page: object, path: Path) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))  # type: ignore[attr-defined]
    wait_for_app(page)


FOREIGN = """\
Member code,Date,Start,Came?,Branch
PM-0001,03/04/2026,10:00,Came,Leeds
PM-0002,03/04/2026,10:00,Sick,Leeds
"""


def test_a_csv_with_foreign_headers_is_mapped_and_imported(
    server: str, page: object, db: Path, tmp_path: Path
) -> None:
    upload = tmp_path / "riverside.csv"
    upload.write_text(FOREIGN, encoding="utf-8")
    page.goto(f"{server}/data")  # type: ignore[attr-defined]
    wait_for_app(page)
    _upload(page, upload)
    main = page.locator('[data-testid="stMain"]')  # type: ignore[attr-defined]
    main.get_by_text("Map the file's columns").first.wait_for()
    _choose(page, "The file holds", "register")
    _choose(page, "scheduled_start (required)", "(a date column and a time column)")
    _choose(page, "the time column", "Start")
    _choose(page, "session_type (required)", "(the same value on every row)")
    _choose(page, "session_type for every row", "group_day")
    _choose(page, "duration_minutes (required)", "(the same value on every row)")
    _type_into(page, "duration_minutes for every row", "300")
    _choose(page, "attendance (required)", "Came?")
    # A file's value in a label is escaped for Markdown; the box's accessible name (Streamlit's
    # aria-label) carries the escapes, so the names are matched with or without them.
    _choose(page, _value_label("attendance", "Came"), "attended")
    _choose(page, _value_label("attendance", "Sick"), "notified_absence")
    main.get_by_text("The first rows as they will be read").first.wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "mapping-step.png"), full_page=True)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Import these files").click()  # type: ignore[attr-defined]
    wait_for_app(page)
    main.get_by_text(_shown("riverside.csv: 2 new")).first.wait_for(timeout=120_000)
    assert error_texts(page) == []
    assert (
        _count(
            db,
            "SELECT count(*) FROM attendance a JOIN sessions s USING (session_id) "
            "WHERE s.scheduled_start = '2026-04-03 10:00' AND s.session_type = 'group_day' "
            "AND s.duration_minutes = 300",
        )
        == 2
    )


def test_an_attendance_grid_is_mapped_and_imported(
    server: str, page: object, db: Path, tmp_path: Path
) -> None:
    book = openpyxl.load_workbook(SAMPLES / "grid" / "group-days.xlsx", read_only=True)
    marked = sum(
        1
        for sheet in book.worksheets
        for row in sheet.iter_rows(min_row=2, values_only=True)
        for cell in row[1:]
        if cell
    )
    book.close()
    before = _count(db, "SELECT count(*) FROM attendance")
    page.goto(f"{server}/data")  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    _choose(page, "Mapping profile", "Map the columns myself")
    _upload(page, SAMPLES / "grid" / "group-days.xlsx")
    main = page.locator('[data-testid="stMain"]')  # type: ignore[attr-defined]
    main.get_by_text("Map the file's columns").first.wait_for(timeout=120_000)
    page.get_by_text("an attendance grid: mentors down, dates across").click()  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    _type_into(page, "Duration (minutes)", "300")
    main.get_by_text("The first rows as they will be read").first.wait_for(timeout=120_000)
    assert error_texts(page) == []
    page.screenshot(path=str(SHOTS / "grid-mapping.png"), full_page=True)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Import these files").click()  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    main.get_by_text(_shown("Imported:")).first.wait_for(timeout=120_000)
    assert error_texts(page) == []
    assert _count(db, "SELECT count(*) FROM attendance") == before + marked
    assert (
        _count(
            db,
            "SELECT count(DISTINCT sheet) FROM import_files WHERE file_name = 'group-days.xlsx'",
        )
        == 19
    )


def test_a_rejected_row_is_corrected_in_the_table_and_resolved(
    server: str, page: object, db: Path, tmp_path: Path
) -> None:
    upload = tmp_path / "joiners.csv"
    upload.write_text(
        "Mentor ID,Cohort,Start date,Status\nPM-FIXED,2026 Q3,31/02/2026,active\n",
        encoding="utf-8",
    )
    page.goto(f"{server}/data")  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    _upload(page, upload)
    page.get_by_role("button", name="Import these files").click()  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    page.get_by_role("tab", name="Rejected rows").click()  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    # the grid walk may have left rejected cells of its own: this file's rows are picked
    _choose(page, "File", "joiners.csv: 1 open")
    main = page.locator('[data-testid="stMain"]')  # type: ignore[attr-defined]
    editor = main.locator('[data-testid="stDataFrame"]:visible').first
    editor.wait_for(timeout=120_000)
    # the first data row's "Start date" cell (id, row, Mentor ID, Cohort, Start date): the
    # grid is drawn on a canvas, so the cell is found by where it is; opened, typed over
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # (the first click may only close the File list's popup: tried until the editor opens)
    for _attempt in range(3):
        editor.click(position={"x": 30, "y": 35 + 17})
        for _ in range(4):
            page.keyboard.press("ArrowRight")  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
        try:  # the cell's editor opens holding the rejected value
            page.wait_for_function(  # type: ignore[attr-defined]
                "() => document.activeElement && document.activeElement.value === '31/02/2026'",
                timeout=10_000,
            )
            break
        except PlaywrightTimeout:  # try once more
            page.keyboard.press("Escape")  # type: ignore[attr-defined]
    else:
        pytest.fail("the Start date cell's editor did not open")
    page.keyboard.press("Control+A")  # type: ignore[attr-defined]
    page.keyboard.type("28/02/2026")  # type: ignore[attr-defined]
    # Enter commits what the cell editor holds: pressed before it has taken the typing, the
    # edit is dropped (as a fast typist's would not be)
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => document.activeElement && document.activeElement.value === '28/02/2026'"
    )
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    page.get_by_role("button", name="Save 1 correction(s) and re-check").wait_for(  # type: ignore[attr-defined]
        timeout=120_000
    )
    page.get_by_role("button", name="Save 1 correction(s) and re-check").click()  # type: ignore[attr-defined]
    wait_for_app(page, timeout_ms=240_000)
    main.get_by_text("Saved: 1 corrected row(s) imported, 0 still rejected.").first.wait_for(
        timeout=120_000
    )
    page.screenshot(path=str(SHOTS / "rejected-resolved.png"), full_page=True)  # type: ignore[attr-defined]
    assert error_texts(page) == []
    assert _count(db, "SELECT count(*) FROM mentors WHERE mentor_id = 'PM-FIXED'") == 1
    assert (
        _count(
            db,
            "SELECT count(*) FROM rejected_rows WHERE file_name = 'joiners.csv' "
            "AND status = 'resolved'",
        )
        == 1
    )
