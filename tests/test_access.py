"""Who sees what, checked in AppTest for every page and every role.

Managers open every page; funders only Impact summary and How we count; a stranger (signed
in, on no list) and a signed-out visitor see no figure on any page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis import audit_store
from tests.conftest import as_shown, signed_in

ROOT = Path(__file__).resolve().parents[1]
ALL_PAGES = [
    "pages/overview.py",
    "pages/timekeeping.py",
    "pages/reliability.py",
    "pages/transitions.py",
    "pages/shadowing.py",
    "pages/journey.py",
    "pages/behaviour.py",
    "pages/mentor_journey.py",
    "pages/targets.py",
    "pages/impact_summary.py",
    "pages/data.py",
    "pages/learning_log.py",
    "pages/how_we_count.py",
]
FUNDER_PAGES = {"pages/impact_summary.py", "pages/how_we_count.py"}
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-secret-that-is-long-enough",
    "client_id": "dashboard",
    "client_secret": "not-a-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
ACCESS = {"managers": ["Manager@Example.org"], "funders": ["funder@example.org"]}
USERS = {
    "manager": signed_in("manager@example.org"),
    "funder": signed_in("FUNDER@example.org"),
    "stranger": signed_in("someone@elsewhere.org"),
    "signed_out": {"is_logged_in": False},
}


def _app(demo_db: Path, monkeypatch: pytest.MonkeyPatch, role: str | None) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    if role is not None:
        at.secrets["auth"] = AUTH
        at.secrets["access"] = ACCESS
        at.user = USERS[role]
    return at


def _shown_text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "title", "header", "subheader", "info", "error", "warning")
    parts = [
        str(e.value)
        for root in (at, at.sidebar)
        for kind in (*kinds, "success", "metric")
        for e in getattr(root, kind)
    ]
    parts += [e.value.to_csv() for e in at.dataframe]
    return as_shown("\n".join(parts))


def _figures_shown(at: AppTest) -> int:
    charts = len(at.get("plotly_chart"))
    return charts + len(at.metric) + len(at.dataframe)


@pytest.mark.parametrize("page", ALL_PAGES)
def test_local_mode_is_a_manager_on_every_page(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    at = _app(demo_db, monkeypatch, None)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert "You do not have access" not in _shown_text(at)
    assert "Sign-in is off" in _shown_text(at)


@pytest.mark.parametrize("page", ALL_PAGES)
def test_a_signed_in_manager_opens_every_page(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    at = _app(demo_db, monkeypatch, "manager")
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert "You do not have access" not in _shown_text(at)
    assert "Signed in as manager@example.org (manager)" in _shown_text(at)


@pytest.mark.parametrize("page", ALL_PAGES)
def test_a_funder_opens_only_the_funder_pages(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, page: str, mentor_codes: list[str]
) -> None:
    at = _app(demo_db, monkeypatch, "funder")
    at.run()
    if page not in FUNDER_PAGES:
        # The funder's navigation has no such page at all...
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
        # ...and the page's own script, run with the funder signed in, refuses on the server.
        direct = _run_page_directly(page, "funder")
        assert not direct.exception
        assert "You do not have access" in _shown_text(direct)
        assert _figures_shown(direct) == 0
        return
    at.switch_page(page).run()
    assert not at.exception
    text = _shown_text(at)
    assert "You do not have access" not in text
    assert [code for code in mentor_codes if code in text] == []


def _run_page_directly(page: str, role: str) -> AppTest:
    """A typed URL: the page's own script, run with this user signed in."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.secrets["access"] = ACCESS
    at.user = USERS[role]
    at.run()
    return at


@pytest.mark.parametrize("role", ["stranger", "signed_out"])
def test_strangers_and_signed_out_visitors_get_only_the_door(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, role: str, mentor_codes: list[str]
) -> None:
    at = _app(demo_db, monkeypatch, role)
    at.run()
    assert not at.exception
    assert _figures_shown(at) == 0
    text = _shown_text(at)
    assert [code for code in mentor_codes if code in text] == []
    labels = [b.label for b in at.button] + [b.label for b in at.sidebar.button]
    if role == "signed_out":
        assert labels == ["Sign in"]
        assert [t.value for t in at.title] == ["Peer Mentor Programme"]
    else:
        assert labels == ["Sign out"]
        assert [t.value for t in at.title] == ["No access"]
    assert len(at.sidebar.multiselect) == 0  # not even the filters, which list cohorts


@pytest.mark.parametrize("role", ["stranger", "signed_out"])
@pytest.mark.parametrize("page", ALL_PAGES)
def test_every_page_refuses_strangers_and_signed_out_visitors(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, page: str, role: str, mentor_codes: list[str]
) -> None:
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    at = _run_page_directly(page, role)
    assert not at.exception
    assert _figures_shown(at) == 0
    text = _shown_text(at)
    assert [code for code in mentor_codes if code in text] == []
    assert "You do not have access" in text or "Sign in" in [b.label for b in at.button]


def test_sign_ins_are_written_to_the_audit_log_once_per_sign_in(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def sign_ins() -> list[tuple[str, str]]:
        entries = audit_store.entries(demo_db)
        return [(str(e["user"]), str(e["detail"])) for e in entries if e["action"] == "sign in"]

    before = sign_ins()
    published = (demo_db.stat().st_ino, demo_db.stat().st_mtime_ns)
    user = signed_in("manager@example.org", sub="m-1", nonce="a fresh sign-in")
    for _ in range(3):  # three page loads (three Streamlit sessions) of one sign-in
        at = _app(demo_db, monkeypatch, "manager")
        at.user = user
        at.run()
        assert not at.exception
    after = sign_ins()
    assert len(after) == len(before) + 1
    # An append to the log's light path: the database itself was not copied or published.
    assert (demo_db.stat().st_ino, demo_db.stat().st_mtime_ns) == published
    who, detail = after[-1]
    assert who == "manager@example.org"
    assert detail.startswith("role manager; subject m-1; issuer http://127.0.0.1:9; ")
