"""The security probe's sign-in attacks with real OpenID Connect (oidc-provider-mock) and Chromium
(issue 17, findings 3, 6 and 11): an unverified address, a copied cookie after sign-out, a
cookie signed long ago, and what the audit log keeps of them.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis import audit_store
from tests.browser_support import (
    chromium,
    free_port,
    shown_text,
    signed_in_page,
    streamlit_server,
    wait_for_app,
    wait_for_charts,
)
from tests.test_browser_signin import start_provider

pytestmark = pytest.mark.browser

COOKIE_SECRET = "test-cookie-secret-0123456789abcdef"
USERS = {
    "manager": {"email": "manager@example.org", "email_verified": True},
    # The probe's user: the manager's address in other capitals, not verified by the provider.
    "unverified": {"email": "Manager@Example.org", "email_verified": False},
    "funder": {"email": "funder@example.org", "email_verified": True},
    "stranger": {"email": "someone@elsewhere.org", "email_verified": True},
}


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with start_provider({sub: {"sub": sub, **claims} for sub, claims in USERS.items()}) as url:
        yield url


@pytest.fixture(scope="module")
def signin_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("signin-security") / "programme.duckdb"
    shutil.copy(demo_db, db)
    return db


@pytest.fixture(scope="module")
def app(provider: str, signin_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    home = tmp_path_factory.mktemp("signin-security-cwd")
    (home / ".streamlit").mkdir()
    (home / ".streamlit" / "secrets.toml").write_text(
        f"""
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{COOKIE_SECRET}"
client_id = "peer-mentor-dashboard"
client_secret = "test-client-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[access]
managers = ["manager@example.org"]
funders = ["funder@example.org"]
""",
        encoding="utf-8",
    )
    with streamlit_server(signin_db, cwd=home, port=port) as url:
        yield url


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[object]:
    with chromium() as browser:
        yield browser


def gives_nothing(page: object) -> bool:
    """No figure, chart or table of any kind, and no manager or funder page."""
    for test_id in ("stPlotlyChart", "stMetric", "stDataFrame", "stFileUploader"):
        if page.locator(f'[data-testid="{test_id}"]').count():  # type: ignore[attr-defined]
            return False
    return "Signed in as" not in shown_text(page)


def open_with_cookies(browser: object, app: str, cookies: list[dict[str, object]]) -> object:
    context = browser.new_context()  # type: ignore[attr-defined]
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(app)
    wait_for_app(page)
    wait_for_charts(page)
    return page


def shows(page: object, text: str) -> None:
    """Wait until the page shows `text` as a reader sees it (word joiners taken out): a
    server's first request can rerun the page once, so the text is waited for, not read once."""
    page.wait_for_function(  # type: ignore[attr-defined]
        "(text) => document.body.innerText.replaceAll('\\u2060', '').includes(text)",
        arg=text,
        timeout=30_000,
    )


def ended(page: object) -> None:
    shows(page, "Your sign-in has ended")


def audit(db: Path, action: str) -> list[tuple[str, str]]:
    """Entries of the audit log's light path (sign-ins, refusals: never a database change)."""
    return [
        (str(e["user"]), str(e["detail"])) for e in audit_store.entries(db) if e["action"] == action
    ]


def test_an_unverified_address_gets_no_role_and_is_logged(
    chromium_browser: object, app: str, signin_db: Path, provider: str
) -> None:
    page = signed_in_page(chromium_browser, app, "unverified")
    assert "No access" in shown_text(page)
    assert gives_nothing(page)
    refused = [r for r in audit(signin_db, "sign in refused") if "subject unverified" in r[1]]
    assert len(refused) == 1
    assert refused[0][0] == "manager@example.org"
    assert f"issuer {provider}" in refused[0][1] and "e-mail verified no" in refused[0][1]


def test_a_stranger_is_logged_once(chromium_browser: object, app: str, signin_db: Path) -> None:
    page = signed_in_page(chromium_browser, app, "stranger")
    for path in ("", "overview", "data"):
        page.goto(f"{app}/{path}")  # type: ignore[attr-defined]
        wait_for_app(page)
        assert gives_nothing(page)
    rows = [r for r in audit(signin_db, "sign in refused") if "subject stranger" in r[1]]
    assert len(rows) == 1


def test_a_copied_cookie_is_refused_after_sign_out(
    chromium_browser: object, app: str, signin_db: Path
) -> None:
    page = signed_in_page(chromium_browser, app, "manager")
    for path in ("", "reliability", "impact_summary"):  # three page loads: one sign-in row
        page.goto(f"{app}/{path}")  # type: ignore[attr-defined]
        wait_for_app(page)
    assert "Signed in as manager@example.org (manager)" in shown_text(page)
    sessions = [r for r in audit(signin_db, "sign in") if "subject manager" in r[1]]
    assert len(sessions) == 1
    copied = page.context.cookies()  # type: ignore[attr-defined]
    assert any(c["name"] == "_streamlit_user" for c in copied)
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/end_session**", timeout=30_000)  # type: ignore[attr-defined]
    assert [d for _, d in audit(signin_db, "sign out")] != []
    stolen = open_with_cookies(chromium_browser, app, copied)
    ended(stolen)
    assert gives_nothing(stolen)


def test_a_cookie_from_yesterday_is_refused(
    chromium_browser: object, app: str, signin_db: Path
) -> None:
    from streamlit.web.server.starlette.starlette_app_utils import (
        create_signed_value,
        decode_signed_value,
    )

    page = signed_in_page(chromium_browser, app, "funder")
    assert "Signed in as funder@example.org (funder)" in shown_text(page)
    cookies = page.context.cookies()  # type: ignore[attr-defined]
    user = next(c for c in cookies if c["name"] == "_streamlit_user")
    claims = json.loads(decode_signed_value(COOKIE_SECRET, "_streamlit_user", user["value"]) or b"")
    assert claims["email"] == "funder@example.org" and "iat" in claims
    # The probe's cookie: signed with the real secret, its token issued a day ago (exp two
    # hours past), as a copy kept from yesterday would be.
    claims["iat"] = int(time.time()) - 24 * 3600
    claims["exp"] = int(time.time()) - 2 * 3600
    old = create_signed_value(COOKIE_SECRET, "_streamlit_user", json.dumps(claims)).decode()
    forged = [c | {"value": old} if c["name"] == "_streamlit_user" else c for c in cookies]
    stale = open_with_cookies(chromium_browser, app, forged)
    ended(stale)
    assert gives_nothing(stale)
    # The same cookie re-signed with today's issue time still works: the check is the time.
    claims["iat"] = int(time.time()) - 60
    fresh = create_signed_value(COOKIE_SECRET, "_streamlit_user", json.dumps(claims)).decode()
    ok = [c | {"value": fresh} if c["name"] == "_streamlit_user" else c for c in cookies]
    welcomed = open_with_cookies(chromium_browser, app, ok)
    shows(welcomed, "Signed in as funder@example.org (funder)")


def test_a_funder_typing_a_manager_address_is_refused_and_logged(
    chromium_browser: object, app: str, signin_db: Path, mentor_codes: list[str]
) -> None:
    page = signed_in_page(chromium_browser, app, "funder")
    for path in ("data", "mentor_journey"):
        page.goto(f"{app}/{path}")  # type: ignore[attr-defined]
        wait_for_app(page)
        text = shown_text(page)
        assert [c for c in mentor_codes if c in text] == []
    refused = [r for r in audit(signin_db, "page refused") if r[0] == "funder@example.org"]
    assert {d for _, d in refused} >= {"page data", "page mentor_journey"}


def test_a_funder_s_crafted_address_cannot_subtract_two_views(
    chromium_browser: object, app: str
) -> None:
    """Finding 1 with a real sign-in: the probe's address (one cohort and three regions) gives
    the funder the whole programme, with no way to choose a combination."""
    page = signed_in_page(chromium_browser, app, "funder")
    regions = "&".join(f"region={r}" for r in ("London", "Midlands", "North+West"))
    page.goto(f"{app}/impact_summary?window=to-date&cohort=2025+Q3&{regions}")  # type: ignore[attr-defined]
    wait_for_app(page)
    wait_for_charts(page)
    sidebar = page.locator('[data-testid="stSidebar"]')  # type: ignore[attr-defined]
    sidebar.get_by_text("Part of the programme").wait_for()
    chosen = sidebar.locator('[data-testid="stSelectbox"]').evaluate_all(
        "els => els.map(e => e.innerText + ' ' + Array.from(e.querySelectorAll('input'))"
        ".map(i => i.value + ' ' + (i.getAttribute('aria-label') || '')).join(' '))"
    )
    assert any("The whole programme" in str(c) for c in chosen), chosen
    assert sidebar.locator('[data-testid="stMultiSelect"]').count() == 0  # no combinations
    assert sidebar.locator('[data-testid="stDateInput"]').count() == 0  # no own dates
    page.wait_for_function("() => !window.location.search.includes('region=')")  # type: ignore[attr-defined]
    assert "cohort=" not in page.url  # type: ignore[attr-defined]
