"""Concurrent use: threads querying at once, and browser sessions while a command-line import
runs. The import lands, no page shows an error, and the next interaction shows the new data.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from analysis import admin, database, demo_data, metrics
from analysis.settings import Settings
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    error_texts,
    streamlit_server,
    wait_for_app,
)
from tests.conftest import DEMO_END


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("concurrency") / "demo.duckdb"
    result = admin.create_demo(db, mentors=60, end=DEMO_END)
    assert result.landed
    return db


def test_many_threads_query_at_once_without_error(demo_db: Path) -> None:
    settings = Settings()
    expected = None
    with database.read(demo_db) as con:
        expected = metrics.compute(con, metrics.Scope(), settings).values
    results: list[object] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                with database.read(demo_db) as con:
                    results.append(metrics.compute(con, metrics.Scope(), settings).values)
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(results) == 40
    assert all(r == expected for r in results)


@pytest.fixture
def night_import(tmp_path: Path) -> list[Path]:
    """A scheduled import big enough to take a few seconds, with one new cohort in it."""
    paths = demo_data.write_csv(tmp_path / "big", mentors=4000, seed=7, end=DEMO_END)
    extra = tmp_path / "night_mentors.csv"
    extra.write_text(
        "mentor_id,cohort,start_date,status\nNIGHT-0001,Night import,2026-01-05,active\n",
        encoding="utf-8",
    )
    return [*paths, extra]


@pytest.mark.browser
def test_pages_keep_working_while_a_command_line_import_lands(
    demo_db: Path, night_import: list[Path]
) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with streamlit_server(demo_db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = []
        for path in ("", "timekeeping", "reliability"):
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(f"{url}/{path}")
            wait_for_app(page)
            pages.append(page)

        importer = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "analysis",
                "import",
                "--db",
                str(demo_db),
                "--format",
                "json",
                *map(str, night_import),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Browse while it runs: change the window on every open page, again and again.
        choices = ["Last 3 months", "Programme to date", "Last 12 months"]
        rounds = 0
        while importer.poll() is None and rounds < 30:
            for page in pages:
                _choose_window(page, choices[rounds % len(choices)])
                assert error_texts(page) == [], page.url
            rounds += 1
        out, err = importer.communicate(timeout=300)
        assert importer.returncode == 0, err
        assert '"landed": true' in out

        # The next interaction shows the new data: the new cohort is offered as a filter.
        for page in pages:
            _choose_window(page, "Last 12 months")
            assert error_texts(page) == []
            page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.click()
            page.keyboard.type("Night")  # the list is long and drawn lazily: search it
            page.get_by_role("option", name="Night import").wait_for(timeout=30_000)
            page.keyboard.press("Escape")
        browser.close()
    with duckdb.connect(str(demo_db), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM mentors WHERE cohort = 'Night import'").fetchone()
    assert row == (1,)


def _choose_window(page: object, label: str) -> None:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first  # type: ignore[attr-defined]
    box.click()
    page.get_by_role("option", name=label).click()  # type: ignore[attr-defined]
    wait_for_app(page)
