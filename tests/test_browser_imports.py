"""Bring your own export, in real Chromium: a CSV with foreign headers through the mapping step
to an import.
Screenshots go to test-artifacts/imports/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from analysis.importer import ImportSource, import_files
from tests.browser_support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
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
    import playwright.sync_api as playwright_sync

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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


def _choose(page: object, label: str, option: str) -> None:
    """Pick `option` in the select box labelled `label`."""
    box = page.get_by_role("combobox", name=label, exact=True).first  # type: ignore[attr-defined]
    box.scroll_into_view_if_needed()
    box.click()
    box.fill(option)  # the list is filtered to the option, however long it is
    page.get_by_role("option", name=option, exact=True).first.click()  # type: ignore[attr-defined]
    wait_for_app(page)


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
    _choose(page, "attendance: the file's 'Came' means", "attended")
    _choose(page, "attendance: the file's 'Sick' means", "notified_absence")
    main.get_by_text("The first rows as they will be read").first.wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "mapping-step.png"), full_page=True)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Import these files").click()  # type: ignore[attr-defined]
    wait_for_app(page)
    main.get_by_text("riverside.csv: 2 new").first.wait_for(timeout=120_000)
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
