"""The security probe's local-mode attacks, in real Chromium (issue 17).

A listener on another loopback port stands for an attacker's server: record values and file
names point at it. Nothing on any page may fetch from it, link to it, or draw record text as
Markdown; a page load makes no request outside the dashboard's own address.
"""

from __future__ import annotations

import base64
import http.server
import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from analysis import audit_store, database
from pages.frame import LOCAL_ONLY, MEDIA_SECONDS
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    streamlit_server,
    wait_for_app,
    wait_for_charts,
)
from tests.conftest import query, run_import

pytestmark = pytest.mark.browser


class Listener:
    """An HTTP server on loopback that records every path asked of it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.paths: list[str] = []
        seen = self.paths

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                seen.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    it = Listener()
    yield it
    it.server.shutdown()


REJECTED_UPLOAD = "Mentor ID,Cohort,Start date,Status\nPM-REJECTED-7,,01/07/2026,active\n"


def hostile_values(listener: Listener) -> dict[str, str]:
    return {
        "region": f"![r]({listener.url('region.png')})",
        # Sorts before every demo code, so the Mentor journey opens on it.
        "code": f"![m]({listener.url('code.png')}) HTTP://127.0.0.1:{listener.port}/code "
        "www.example.org a@example.org",
        "event": f"[click]({listener.url('event')}) **loud** <b>x</b> :red[red]",
    }


@pytest.fixture(scope="module")
def hostile_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory, listener: Listener) -> Path:
    db = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    shutil.copy(demo_db, db)
    values = hostile_values(listener)
    first = str(query(db, "SELECT min(mentor_id) FROM mentors")[0][0])
    with database.connect(db) as con:
        con.execute("UPDATE mentors SET region = 'London' WHERE mentor_id = $old", {"old": first})
        con.execute(
            "UPDATE mentors SET region = $v WHERE region = 'London'", {"v": values["region"]}
        )
        for table in ("mentors", "attendance", "stage_assessments", "milestones"):
            con.execute(f"UPDATE {table} SET mentor_id = $v WHERE mentor_id = $old",
                        {"v": values["code"], "old": first})  # fmt: skip
        con.execute(
            "UPDATE sessions SET event_name = $v WHERE event_name = 'Adult Learners'' Week'",
            {"v": values["event"]},
        )
    folder = tmp_path_factory.mktemp("rejected")
    run_import(db, {"mentors.csv": REJECTED_UPLOAD}, folder)  # one row rejected, kept
    return db


@pytest.fixture(scope="module")
def server(hostile_db: Path) -> Iterator[str]:
    with streamlit_server(hostile_db) as url:
        yield url


@pytest.fixture(scope="module")
def playwright() -> Iterator[object]:
    import playwright.sync_api as playwright_sync

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with playwright_sync.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def chromium_browser(playwright: object) -> Iterator[object]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)  # type: ignore[attr-defined]
    yield chromium
    chromium.close()


class Tab:
    """A browser page that remembers every URL it asked for."""

    def __init__(self, page: object) -> None:
        self.page = page
        self.requests: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))  # type: ignore[attr-defined]


@pytest.fixture
def tab(chromium_browser: object) -> Iterator[Tab]:
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    yield Tab(context.new_page())
    context.close()


def markup_from_records(page: object, server: str) -> list[str]:
    """Images, outside links, bold text and colours drawn in the page's content: none of the
    dashboard's own text has any, so each one came from a record or a file name."""
    return list(
        page.evaluate(  # type: ignore[attr-defined]
            """(server) => {
                const out = [];
                for (const root of document.querySelectorAll(
                        '[data-testid="stMain"], [data-testid="stSidebar"]')) {
                    for (const img of root.querySelectorAll('img')) out.push('img ' + img.src);
                    for (const a of root.querySelectorAll('a[href]')) {
                        const href = a.getAttribute('href');
                        if (!href.startsWith('#') && !a.href.startsWith(server))
                            out.push('link ' + href);
                    }
                    for (const b of root.querySelectorAll('strong, b')) {
                        if (/loud|bold|x/.test(b.innerText)) out.push('bold ' + b.innerText);
                    }
                    for (const s of root.querySelectorAll('[class*="red"], span[style*="color"]')) {
                        if (/red/.test(s.innerText)) out.push('colour ' + s.innerText);
                    }
                }
                return out;
            }""",
            server,
        )
    )


def shown_text(page: object) -> str:
    """The page's text as a reader sees it (the invisible word joiners taken out)."""
    text = str(page.locator('[data-testid="stMain"]').inner_text())  # type: ignore[attr-defined]
    return text.replace("\u2060", "")


def open_page(tab: Tab, url: str, charts: int = 0) -> None:
    tab.page.goto(url)  # type: ignore[attr-defined]
    wait_for_app(tab.page)
    wait_for_charts(tab.page, charts)


def test_record_text_on_the_impact_summary_is_text(
    tab: Tab, server: str, listener: Listener
) -> None:
    values = hostile_values(listener)
    open_page(tab, f"{server}/impact_summary?window=to-date&region={quote(values['region'])}", 2)
    assert f"Region: {values['region']}" in shown_text(tab.page)  # shown, as typed
    assert markup_from_records(tab.page, server) == []
    open_page(tab, f"{server}/impact_summary?window=to-date", 2)
    assert markup_from_records(tab.page, server) == []
    assert listener.paths == []


def test_record_text_on_the_mentor_journey_is_text(
    tab: Tab, server: str, listener: Listener
) -> None:
    values = hostile_values(listener)
    open_page(tab, f"{server}/mentor_journey?window=to-date", 2)
    text = shown_text(tab.page)
    assert values["code"] in text
    assert values["region"] in text
    assert markup_from_records(tab.page, server) == []
    assert listener.paths == []


def test_a_file_name_in_the_upload_preview_is_text(tab: Tab, server: str) -> None:
    page = tab.page
    open_page(tab, f"{server}/data")
    name = "![j](x.png) **bold** www.example.org.csv"
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(  # type: ignore[attr-defined]
        files=[
            {
                "name": name,
                "mimeType": "text/csv",
                "buffer": b"Mentor ID,Cohort,Start date,Status\nPM-X-1,,01/07/2026,active\n",
            }
        ]
    )
    wait_for_app(page)
    main = page.locator('[data-testid="stMain"]')  # type: ignore[attr-defined]
    main.get_by_text("would be rejected").first.wait_for()
    assert f"{name}: 1 row(s) would be rejected" in shown_text(page)
    assert markup_from_records(page, server) == []
    assert [u for u in tab.requests if "x.png" in u] == []


# -- the icon font: nothing is fetched from outside the charity's machine ----------------------


def test_a_page_load_asks_nothing_of_any_other_host(tab: Tab, server: str) -> None:
    for path in ("", "impact_summary", "mentor_journey", "data", "how_we_count"):
        open_page(tab, f"{server}/{path}")
        tab.page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    outside = [u for u in tab.requests if not u.startswith((server, "data:", "blob:", "about:"))]
    assert outside == []
    assert len(tab.requests) > 10  # the pages were really loaded and watched


# -- finding 4: DNS rebinding ------------------------------------------------------------------


def handshake(port: int, host: str, origin: str) -> str:
    """The status line the server answers a WebSocket opening with, for these headers."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(
            (
                "GET /_stcore/stream HTTP/1.1\r\n"
                f"Host: {host}\r\nOrigin: {origin}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n\r\n"
            ).encode()
        )
        return s.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_a_websocket_with_a_foreign_host_or_origin_is_refused(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    own = f"127.0.0.1:{port}"
    assert " 101 " in handshake(port, own, f"http://{own}")  # the dashboard's own page
    assert " 101 " in handshake(port, f"localhost:{port}", f"http://localhost:{port}")
    for host, origin in (
        (f"rebind.test:{port}", f"http://rebind.test:{port}"),  # a name that points here
        (own, f"http://rebind.test:{port}"),
        (f"rebind.test:{port}", f"http://{own}"),
    ):
        assert " 101 " not in handshake(port, host, origin), (host, origin)


def test_a_page_opened_through_another_name_gets_nothing(
    server: str, mentor_codes: list[str], playwright: object
) -> None:
    port = int(server.rsplit(":", 1)[1])
    browser = playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP rebind.test 127.0.0.1"],
    )
    try:
        page = browser.new_page()
        page.goto(f"http://rebind.test:{port}/")
        page.wait_for_timeout(8000)
        text = page.locator("body").inner_text()
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
        assert page.locator('[data-testid="stMetric"]').count() == 0
        assert "Overview" not in text and "Signed in" not in text
        assert [c for c in mentor_codes if c in text] == []
    finally:
        browser.close()


# -- finding 5: sign-in off on an address others can reach -------------------------------------


def test_with_sign_in_off_it_refuses_to_serve_on_every_interface(
    hostile_db: Path, tab: Tab
) -> None:
    with streamlit_server(hostile_db, address="0.0.0.0") as url:
        open_page(tab, url)
        tab.page.get_by_text(LOCAL_ONLY).wait_for()  # type: ignore[attr-defined]
        text = str(tab.page.locator("body").inner_text())  # type: ignore[attr-defined]
        assert LOCAL_ONLY in text
        assert tab.page.locator('[data-testid="stPlotlyChart"]').count() == 0  # type: ignore[attr-defined]
        assert tab.page.locator('[data-testid="stMetric"]').count() == 0  # type: ignore[attr-defined]
        assert "Overview" not in text


# -- finding 2: the rejected rows (codes and notes) at a /media/ address ------------------------


def rejected_download_of(db: Path) -> tuple[str, bytes]:
    """The name and bytes of the rejected-rows file the Data page offers first (its file's own
    columns): what Streamlit would have put at a /media/ address had the page built it on
    opening."""
    from pathlib import PurePath

    from analysis import catalog, database, exports, metrics
    from analysis.settings import Settings

    with database.read(db) as con:
        first = catalog.rejected_files(con, metrics.Scope(), Settings())[0]
        rows = catalog.rejected_of_file(
            con, metrics.Scope(), Settings(), file=first["file"], sheet=first["sheet"]
        )
    sheet = f"-{first['sheet']}" if first["sheet"] is not None else ""
    return f"{PurePath(first['file']).stem}{sheet}-rejected.csv", exports.rejected_file_csv(rows)


def media_url_of(name: str, data: bytes) -> str:
    """The address is a hash of the content: anyone who can work out the content can ask."""
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id

    return f"/media/{_calculate_file_id(data, 'text/csv', name)}.csv"


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_the_rejected_rows_are_made_only_when_downloaded_and_each_download_is_audited(
    tab: Tab, server: str, hostile_db: Path
) -> None:
    page = tab.page
    open_page(tab, f"{server}/data")
    page.get_by_role("tab", name="Rejected rows").click()  # type: ignore[attr-defined]
    button = page.get_by_role(
        "button", name="Download these rows (CSV: why, then the file's own columns)"
    )  # type: ignore[attr-defined]
    button.wait_for()
    # Opened, not clicked: nothing at the address, and the page neither links to it nor asks
    # for it (the templates' blank CSVs are at /media/ addresses: they name nobody).
    name, data = rejected_download_of(hostile_db)
    assert len(data.splitlines()) >= 2  # a header and at least one rejected row
    address = media_url_of(name, data)
    assert status_of(server + address) == 404
    assert page.locator(f'a[href*="{address}"]').count() == 0  # type: ignore[attr-defined]
    assert [u for u in tab.requests if address in u] == []
    before = downloads(hostile_db)
    published = hostile_db.stat().st_ino
    with page.expect_download() as download:  # type: ignore[attr-defined]
        button.click()
    assert Path(download.value.path()).read_bytes() == data
    rows = downloads(hostile_db)
    assert len(rows) == len(before) + 1
    assert rows[-1]["user"] == "local"
    assert str(rows[-1]["detail"]).startswith(f"{name}; page data; window ")
    assert hostile_db.stat().st_ino == published  # the log's light path: no database change


def test_a_made_download_is_gone_from_its_media_address_seconds_after_the_click(
    tab: Tab, server: str, hostile_db: Path
) -> None:
    """Security re-probe, finding 1: after a manager's click, the rejected rows (codes and
    notes) were at their /media/ address for anyone (no cookie, a funder's, a stranger's) at
    0, 30 and 120 s, until the manager left the page. Now the file goes MEDIA_SECONDS after it
    is made, while the manager stays on the page."""

    page = tab.page
    open_page(tab, f"{server}/data")
    page.get_by_role("tab", name="Rejected rows").click()  # type: ignore[attr-defined]
    button = page.get_by_role(
        "button", name="Download these rows (CSV: why, then the file's own columns)"
    )  # type: ignore[attr-defined]
    button.wait_for()
    name, data = rejected_download_of(hostile_db)
    address = media_url_of(name, data)
    with page.expect_download() as download:  # type: ignore[attr-defined]
        button.click()
    assert Path(download.value.path()).read_bytes() == data  # the manager got the file
    assert download.value.url.endswith(address)  # the address the attack asks for
    time.sleep(MEDIA_SECONDS + 1)
    # The attack: a request without the manager's session (urllib sends no cookie).
    assert status_of(server + address) == 404
    time.sleep(2)
    assert status_of(server + address) == 404
    assert page.get_by_role("tab", name="Rejected rows").count() == 1  # type: ignore[attr-defined]


def downloads(db: Path) -> list[dict[str, object]]:
    return [e for e in audit_store.entries(db) if e["action"] == "download"]


def test_a_chart_s_numbers_are_made_on_click_and_audited(
    tab: Tab, server: str, hostile_db: Path
) -> None:
    page = tab.page
    open_page(tab, f"{server}/")
    wait_for_charts(page, minimum=1)
    page.get_by_text("Show the numbers").first.click()  # type: ignore[attr-defined]
    button = page.get_by_role("button", name="Download the numbers (CSV)").first  # type: ignore[attr-defined]
    button.wait_for()
    before = downloads(hostile_db)
    with page.expect_download() as download:  # type: ignore[attr-defined]
        button.click()
    name = download.value.suggested_filename
    assert name.endswith(".csv") and Path(download.value.path()).stat().st_size > 0
    rows = downloads(hostile_db)
    assert len(rows) == len(before) + 1
    assert str(rows[-1]["detail"]).startswith(f"{name}; page ")
