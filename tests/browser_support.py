"""Real-browser test support: a `streamlit run` server on a free port, and system Chromium.

Playwright cannot download browsers here; it drives Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_server(
    db_path: Path,
    *,
    cwd: Path | None = None,
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
    address: str = "127.0.0.1",
) -> Iterator[str]:
    """Serve dashboard.py on a free port (on loopback unless told); yield its base URL."""
    port = port or free_port()
    env = os.environ | {"DASHBOARD_DB": str(db_path)} | (extra_env or {})
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"streamlit-{port}.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard.py"),
            "--server.headless=true",
            f"--server.port={port}",
            f"--server.address={address}",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ],
        cwd=str(cwd or ROOT),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_for_app(page: object, timeout_ms: int = 60_000) -> None:
    """Wait until the app is connected and no script run is in progress."""
    page.wait_for_selector(  # type: ignore[attr-defined]
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout_ms
    )
    page.wait_for_function(  # type: ignore[attr-defined]
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') !== 'running'
                && !document.querySelector('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]');
        }""",
        timeout=timeout_ms,
    )
    # A page can rerun straight after a run ends (the frame does on a server's first request):
    # settled means idle now and still idle a moment later.
    page.wait_for_timeout(400)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') !== 'running';
        }""",
        timeout=timeout_ms,
    )


def wait_for_charts(page: object, minimum: int = 0, timeout_ms: int = 30_000) -> int:
    """Wait until at least `minimum` Plotly charts are on the page and every one has drawn;
    return how many there are."""
    page.wait_for_function(  # type: ignore[attr-defined]
        """(minimum) => {
            const boxes = Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'));
            return boxes.length >= minimum && boxes.every(b => b.querySelector('.main-svg'));
        }""",
        arg=minimum,
        timeout=timeout_ms,
    )
    return int(
        page.evaluate(  # type: ignore[attr-defined]
            "() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"]').length"
        )
    )


def error_texts(page: object) -> list[str]:
    """Texts of Streamlit exceptions and error boxes shown on the page."""
    return list(
        page.evaluate(  # type: ignore[attr-defined]
            """() => Array.from(document.querySelectorAll(
                '[data-testid="stException"], [data-testid="stAlertContentError"]'
            )).map(e => e.innerText)"""
        )
    )


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium under Playwright, for a module's tests (closed at the end)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise AssertionError(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def signed_in_page(browser: object, app: str, who: str) -> object:
    """A new tab signed in through the test OpenID provider as subject `who`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(app)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector('input[name="sub"]', timeout=30_000)
    page.fill('input[name="sub"]', who)
    page.get_by_role("button", name="Authorize").first.click()
    page.wait_for_url(f"{app}/**", timeout=30_000)
    wait_for_app(page)
    return page


def shown_text(page: object) -> str:
    """The page's text as a reader sees it (the invisible word joiners taken out)."""
    return str(page.locator("body").inner_text()).replace("\u2060", "")  # type: ignore[attr-defined]
