"""Sign-in end to end: a real OpenID Connect provider (oidc-provider-mock), the dashboard with
a secrets file pointing at it, and Chromium signing in as a manager, a funder and a stranger.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser_support import (
    ARTIFACTS,
    chromium,
    error_texts,
    free_port,
    shown_text,
    signed_in_page,
    streamlit_server,
    wait_for_app,
    wait_for_charts,
)

pytestmark = pytest.mark.browser

USERS = {
    "manager": "manager@example.org",
    "funder": "funder@example.org",
    "stranger": "someone@elsewhere.org",
}
MANAGER_PAGES = [
    "Overview",
    "Timekeeping",
    "Reliability",
    "Transitions",
    "Shadowing and milestones",
    "Mentor journey",
    "Impact summary",
    "Data",
    "How we count",
]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    users = {
        sub: {"sub": sub, "email": email, "email_verified": True} for sub, email in USERS.items()
    }
    with start_provider(users) as url:
        yield url


@contextmanager
def start_provider(users: dict[str, dict[str, object]]) -> Iterator[str]:
    """oidc-provider-mock on a free port with these users (by subject); yield its URL."""
    port = free_port()
    args = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)]
    for claims in users.values():
        args += ["--user-claims", json.dumps(claims)]
    log = (ARTIFACTS / "oidc-provider.log") if ARTIFACTS.exists() else Path("/dev/null")
    process = subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the OpenID Connect provider did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def app(provider: str, demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    home = tmp_path_factory.mktemp("signin-cwd")
    (home / ".streamlit").mkdir()
    (home / ".streamlit" / "secrets.toml").write_text(
        f"""
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "test-cookie-secret-0123456789abcdef"
client_id = "peer-mentor-dashboard"
client_secret = "test-client-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[access]
managers = ["Manager@Example.org"]
funders = ["funder@example.org"]
""",
        encoding="utf-8",
    )
    with streamlit_server(demo_db, cwd=home, port=port) as url:
        yield url


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[object]:
    with chromium() as browser:
        yield browser


def test_a_manager_signs_in_and_reaches_every_page(chromium_browser: object, app: str) -> None:
    page = signed_in_page(chromium_browser, app, "manager")
    assert "Signed in as manager@example.org (manager)" in shown_text(page)
    for label in MANAGER_PAGES:
        page.locator(
            '[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]', has_text=label
        ).first.click()  # type: ignore[attr-defined]
        wait_for_app(page)
        wait_for_charts(page)
        assert error_texts(page) == [], label
        assert "You do not have access" not in shown_text(page), label
    page.screenshot(path=str(ARTIFACTS / "signin-manager.png"), full_page=True)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    # Streamlit forgets the user, then sends the browser to the provider to end its session.
    page.wait_for_url("**/end_session**", timeout=30_000)  # type: ignore[attr-defined]
    page.goto(app)  # type: ignore[attr-defined]
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)  # type: ignore[attr-defined]
    assert "Signed in as" not in shown_text(page)


def test_a_funder_reaches_only_its_pages_and_a_typed_manager_url_shows_no_code(
    chromium_browser: object, app: str, mentor_codes: list[str]
) -> None:
    page = signed_in_page(chromium_browser, app, "funder")
    nav = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]')  # type: ignore[attr-defined]
    nav.first.wait_for()
    links = nav.all_inner_texts()
    # Each link's text starts with its icon's name (e.g. "menu_book"); the label ends it.
    labels = sorted(t.strip().splitlines()[-1].strip() for t in links)
    assert labels == ["How we count", "Impact summary"]
    for path in ("data", "mentor_journey", "reliability", "timekeeping"):
        page.goto(f"{app}/{path}")  # type: ignore[attr-defined]
        wait_for_app(page)
        wait_for_charts(page)
        text = shown_text(page)
        assert [c for c in mentor_codes if c in text] == [], path
        assert page.locator('[data-testid="stFileUploader"]').count() == 0  # type: ignore[attr-defined]
        assert "Erase this mentor" not in text
    page.screenshot(path=str(ARTIFACTS / "signin-funder-typed-url.png"), full_page=True)  # type: ignore[attr-defined]


def test_a_stranger_sees_no_chart_and_no_code(
    chromium_browser: object, app: str, mentor_codes: list[str]
) -> None:
    page = signed_in_page(chromium_browser, app, "stranger")
    for path in ("", "overview", "impact_summary", "data"):
        page.goto(f"{app}/{path}")  # type: ignore[attr-defined]
        wait_for_app(page)
        text = shown_text(page)
        assert "No access" in text
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 0  # type: ignore[attr-defined]
        assert [c for c in mentor_codes if c in text] == []
    page.screenshot(path=str(ARTIFACTS / "signin-stranger.png"), full_page=True)  # type: ignore[attr-defined]
