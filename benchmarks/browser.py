"""The dashboard in real Chromium: peak memory of the server and bytes sent to each page.

One run starts `streamlit run dashboard.py` on a free port (so its caches start empty), opens
the dashboard in Debian's /usr/bin/chromium through playwright, and visits every page in the
sidebar navigation once, the way a manager clicks through. For each visit it sums the payloads
of the websocket frames the browser receives (what the server sends to the page, over the
DevTools protocol). At the end it reads the server's peak resident set size (VmHWM in
/proc/<pid>/status), and keeps the highest VmRSS it sampled meanwhile as a check.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

from benchmarks.measure import ROOT, vm_hwm, vm_rss
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    error_texts,
    free_port,
    wait_for_app,
    wait_for_charts,
)

PAGE_TIMEOUT_MS = 300_000


class BrowserUnavailable(RuntimeError):
    pass


@dataclass
class Server:
    url: str
    pid: int
    log: Path
    peak_sampled: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self.peak_sampled = max(self.peak_sampled, vm_rss(self.pid))
            except (OSError, RuntimeError):
                return


@contextmanager
def streamlit_server(env: dict[str, str], log: Path, module: str = "streamlit") -> Iterator[Server]:
    """Serve dashboard.py on a free loopback port, and sample its memory while it runs.
    `module` runs instead of `streamlit` (benchmarks/felt_server.py: with a timing hook)."""
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                "run",
                str(ROOT / "dashboard.py"),
                "--server.headless=true",
                f"--server.port={port}",
                "--server.address=127.0.0.1",
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        server = Server(f"http://127.0.0.1:{port}", process.pid, log)
        sampler = threading.Thread(target=server.sample, daemon=True)
        try:
            _wait_healthy(server.url, process, log)
            sampler.start()
            yield server
        finally:
            server._stop.set()
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


class FrameCounter:
    """Bytes of every websocket frame the page receives, since the last reset."""

    def __init__(self) -> None:
        self.bytes = 0
        self.frames = 0

    def attach(self, ws: Any) -> None:
        ws.on("framereceived", self._received)

    def _received(self, payload: str | bytes) -> None:
        self.bytes += len(payload.encode("utf-8") if isinstance(payload, str) else payload)
        self.frames += 1

    def reset(self) -> None:
        self.bytes = 0
        self.frames = 0

    def settle(self, page: Any, quiet_ms: int = 700, limit_ms: int = 10_000) -> None:
        """Wait until no frame has arrived for `quiet_ms` (trailing messages of a run)."""
        waited = 0
        last = (self.frames, -1)
        while waited < limit_ms:
            page.wait_for_timeout(quiet_ms)
            waited += quiet_ms
            if last[0] == self.frames:
                return
            last = (self.frames, waited)


def _stem(href: str) -> str:
    return urlparse(href).path.strip("/").split("/")[-1]


def _navigation(page: Any, known: set[str], attempts: int = 20) -> list[str]:
    """The sidebar's page links, once the frame's navigation has replaced the one Streamlit
    draws from the pages/ folder on a server's first request (which lists frame.py too)."""
    hrefs: list[str] = []
    for _ in range(attempts):
        links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]')
        hrefs = [
            urljoin(page.url, str(links.nth(i).get_attribute("href"))) for i in range(links.count())
        ]
        if hrefs and all(_stem(h) in known or not _stem(h) for h in hrefs):
            return hrefs
        page.wait_for_timeout(500)
        wait_for_app(page, timeout_ms=PAGE_TIMEOUT_MS)
    raise RuntimeError(f"the sidebar navigation lists unknown pages: {hrefs}")


def visit_every_page(env: dict[str, str], log: Path, page_files: list[str]) -> dict[str, Any]:
    """One run: every page visited once in Chromium; bytes per page and the server's peak."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BrowserUnavailable("playwright is not installed") from exc
    if not Path(CHROMIUM).exists():
        raise BrowserUnavailable(f"{CHROMIUM} is missing (Debian's chromium package)")
    stems = {Path(p).stem: p for p in page_files}
    pages: dict[str, dict[str, Any]] = {}
    with streamlit_server(env, log) as server, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            counter = FrameCounter()
            page.on("websocket", counter.attach)

            start = time.perf_counter()
            page.goto(server.url)
            wait_for_app(page, timeout_ms=PAGE_TIMEOUT_MS)
            wait_for_charts(page, timeout_ms=PAGE_TIMEOUT_MS)
            counter.settle(page)
            seconds = time.perf_counter() - start
            hrefs = _navigation(page, set(stems))
            linked = {_stem(h) for h in hrefs}
            unlinked = [p for s, p in stems.items() if s not in linked]
            default = unlinked[0] if len(unlinked) == 1 else "default page"
            pages[default] = {
                "bytes": counter.bytes,
                "frames": counter.frames,
                "seconds": seconds,
                "errors": error_texts(page),
                "note": "first load of the dashboard",
            }
            for href in hrefs:
                stem = _stem(href)
                if not stem:
                    continue
                counter.reset()
                start = time.perf_counter()
                relative = href.rstrip("/").rsplit("/", 1)[-1]
                page.locator(
                    f'[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"][href="{relative}"]'
                ).first.click()
                page.wait_for_url(f"{href}*", timeout=PAGE_TIMEOUT_MS)
                wait_for_app(page, timeout_ms=PAGE_TIMEOUT_MS)
                wait_for_charts(page, timeout_ms=PAGE_TIMEOUT_MS)
                counter.settle(page)
                pages[stems.get(stem, stem)] = {
                    "bytes": counter.bytes,
                    "frames": counter.frames,
                    "seconds": time.perf_counter() - start,
                    "errors": error_texts(page),
                }
            peak = vm_hwm(server.pid)
            context.close()
        finally:
            chromium.close()
        return {"pages": pages, "peak_rss": peak, "peak_rss_sampled": server.peak_sampled}


if __name__ == "__main__":  # a quick look: python -m benchmarks.browser (DASHBOARD_DB set)
    import json

    from benchmarks.pages import page_files

    result = visit_every_page(dict(os.environ), Path("/tmp/bench-streamlit.log"), page_files())
    print(json.dumps(result, indent=1))
