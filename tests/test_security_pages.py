"""The security probe's findings that AppTest can replay (issue 17): what an error shows, what
an upload's name can do, and who the dashboard believes a signed-in user to be.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis import audit, audit_store, clock, mentor_views
from pages import frame
from tests.conftest import as_shown, query, signed_in

ROOT = Path(__file__).resolve().parents[1]
UPLOAD = (
    b"Mentor ID,Cohort,Start date,Status\n"
    b"PM-NEW-1,2026 Q3,01/07/2026,active\n"
    b"PM-NEW-2,,01/07/2026,active\n"
)


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "programme.duckdb"
    shutil.copy(demo_db, copy)
    return copy


def local_app(db: Path, monkeypatch: pytest.MonkeyPatch, page: str | None = None) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def everything_shown(at: AppTest) -> str:
    parts = [str(e.value) for e in (*at.error, *at.warning, *at.success, *at.info)]
    parts += [str(e.value) for e in (*at.markdown, *at.caption)]
    for exc in at.exception:
        parts += [str(exc.value), *map(str, exc.stack_trace)]
    return "\n".join(parts)


# -- finding 9: tracebacks ---------------------------------------------------------------------


def test_the_server_shows_no_error_detail() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"


def test_a_failing_page_shows_one_sentence_and_no_traceback(
    db: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail at /srv/dashboard/analysis/views.py line 1")

    broken.__module__, broken.__qualname__ = "analysis.mentor_views", "mentor_codes"  # its key
    monkeypatch.setattr(mentor_views, "mentor_codes", broken)
    at = local_app(db, monkeypatch, "pages/mentor_journey.py")
    assert [e.value for e in at.error] == [frame.PAGE_FAILED]
    assert not at.exception
    shown = everything_shown(at)
    assert "secret detail" not in shown and "Traceback" not in shown and ".py" not in shown
    assert "secret detail" in caplog.text  # the detail is in the server's log


def test_a_very_long_file_name_is_previewed_not_a_traceback(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = local_app(db, monkeypatch, "pages/data.py")
    name = "a" * 300 + ".csv"
    at.file_uploader[0].upload(name, UPLOAD, "text/csv").run()
    assert not at.exception, everything_shown(at)
    assert at.dataframe[0].value.loc[0, "file"] == name


def test_a_nul_in_a_file_name_shows_no_detail(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = local_app(db, monkeypatch, "pages/data.py")
    at.file_uploader[0].upload("bad\x00name.csv", UPLOAD, "text/csv").run()
    shown = everything_shown(at)
    # Streamlit refuses the name before the page runs; all it may say is its redacted line.
    assert "null" not in shown and "File " not in shown and "site-packages" not in shown


# -- findings 3 and 6: who the dashboard believes, and for how long ----------------------------

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-secret-that-is-long-enough",
    "client_id": "dashboard",
    "client_secret": "not-a-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
ACCESS = {"managers": ["Manager@Example.org"], "funders": ["funder@example.org"]}


def signed_in_app(db: Path, monkeypatch: pytest.MonkeyPatch, user: dict[str, object]) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.secrets["access"] = ACCESS
    at.user = user
    at.run()
    assert not at.exception, everything_shown(at)
    return at


def role_shown(at: AppTest) -> str:
    """What the page gives: the manager view, the funder view, no access, or sign in again."""
    text = as_shown(everything_shown(at))
    if "Signed in as" in text:
        return text.split("Signed in as ", 1)[1].split("(", 1)[1].split(")", 1)[0]
    if "No access" in [t.value for t in at.title]:
        return "none"
    if "Your sign-in has ended" in text:
        return "ended"
    return "sign in"


def audit_rows(db: Path, action: str) -> list[tuple[str, str]]:
    """Entries of the audit log's light path (sign-ins are never a change to the database)."""
    return [
        (str(e["user"]), str(e["detail"])) for e in audit_store.entries(db) if e["action"] == action
    ]


@pytest.mark.parametrize(
    ("claims", "role"),
    [
        ({"email": "Manager@Example.org", "email_verified": False}, "none"),  # the probe's user
        ({"email": "manager@example.org", "email_verified": None}, "none"),
        ({"email": "manager@example.org", "email_verified": "false"}, "none"),
        ({"email": "manager@example.org", "email_verified": True}, "manager"),
        ({"email": "MANAGER@example.org", "email_verified": "true"}, "manager"),  # capitals
        ({"email": "manager@example.org", "email_verified": None, "xms_edov": True}, "manager"),
        ({"email": "manager@example.org.evil.test"}, "none"),
        ({"email": "evil.manager@example.org"}, "none"),
        ({"email": "manager+x@example.org"}, "none"),
        ({"email": "funder@example.org"}, "funder"),
    ],
)
def test_a_role_needs_a_verified_address_on_a_list(
    db: Path, monkeypatch: pytest.MonkeyPatch, claims: dict[str, object], role: str
) -> None:
    base = signed_in(str(claims["email"]))
    if "email_verified" in claims and claims["email_verified"] is None:
        del base["email_verified"]
        claims = {k: v for k, v in claims.items() if k != "email_verified"}
    at = signed_in_app(db, monkeypatch, base | claims)
    assert role_shown(at) == role
    if role == "none":
        assert not at.get("plotly_chart") and not at.metric


def test_a_refused_sign_in_is_audited_with_subject_and_issuer(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = signed_in("Manager@Example.org", email_verified=False, sub="probe-1")
    signed_in_app(db, monkeypatch, user)
    signed_in_app(db, monkeypatch, user)  # a second page load of the same sign-in
    rows = audit_rows(db, "sign in refused")
    assert len(rows) == 1
    who, detail = rows[0]
    assert who == "manager@example.org"
    assert "subject probe-1; issuer http://127.0.0.1:9; e-mail verified no" in detail


@pytest.mark.parametrize(
    ("age_hours", "shown"), [(0, "manager"), (9.9, "manager"), (10.1, "ended"), (-1, "ended")]
)
def test_a_sign_in_lasts_a_working_day(
    db: Path, monkeypatch: pytest.MonkeyPatch, age_hours: float, shown: str
) -> None:
    user = signed_in("manager@example.org")
    user["iat"] = int(time.time() - age_hours * 3600)
    user["exp"] = int(time.time() - 2 * 3600)  # the token's own expiry plays no part
    assert role_shown(signed_in_app(db, monkeypatch, user)) == shown


def test_a_sign_in_without_an_issue_time_is_refused(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = signed_in("manager@example.org")
    del user["iat"]
    assert role_shown(signed_in_app(db, monkeypatch, user)) == "ended"


def test_a_copy_of_the_cookie_is_refused_after_sign_out(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = signed_in("manager@example.org", nonce="copied")
    at = signed_in_app(db, monkeypatch, user)
    assert role_shown(at) == "manager"
    # What the Sign out button writes (the browser test clicks it: AppTest's click of a
    # sidebar button under st.navigation does not reach the script).
    audit.record_sign_out(db, "manager@example.org", audit.session_of(user))
    # The copy: the same identity token's claims, on another browser.
    assert role_shown(signed_in_app(db, monkeypatch, user)) == "ended"
    # A new sign-in of the same person works.
    assert role_shown(signed_in_app(db, monkeypatch, user | {"nonce": "new"})) == "manager"


def test_session_rules() -> None:
    now = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
    at = now.timestamp()
    assert audit.session_problem({"iat": at - 3600}, now, 10) == ""
    assert audit.session_problem({"iat": str(int(at))}, now, 10) == ""
    assert audit.session_problem({"iat": at - 11 * 3600}, now, 10) == "expired"
    assert audit.session_problem({"iat": at + 3600}, now, 10) == "expired"
    assert audit.session_problem({"iat": "soon"}, now, 10) == "expired"
    assert audit.session_problem({"iat": True}, now, 10) == "expired"
    assert audit.session_problem({}, now, 10) == "expired"
    a = audit.session_of({"iss": "i", "sub": "s", "iat": 1, "nonce": "n"})
    assert a != audit.session_of({"iss": "i", "sub": "s", "iat": 2, "nonce": "n"})


# -- finding 11: what an auditor asks for ------------------------------------------------------


def test_an_import_is_in_the_audit_log_in_utc(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = local_app(db, monkeypatch, "pages/data.py")
    at.file_uploader[0].upload("new_mentors.csv", UPLOAD, "text/csv").run()
    [b for b in at.button if b.label == "Import these files"][0].click().run()
    assert not at.exception
    rows = query(
        db, "SELECT user_name, detail FROM audit_log WHERE action = 'import' ORDER BY logged_at"
    )
    assert rows[-1][0] == "local"
    assert rows[-1][1].endswith("new_mentors.csv: 2 read, 1 new, 0 updated, 1 rejected")
    (logged_at,) = query(db, "SELECT max(logged_at) FROM audit_log WHERE action = 'import'")[0]
    now = clock.utc_now().replace(tzinfo=None)
    assert abs((now - logged_at).total_seconds()) < 600  # UTC, whatever the machine's zone
    shown = [d for d in at.dataframe if "when (UTC)" in d.value.columns]
    assert shown and str(shown[0].value.iloc[0, 0]).endswith(" UTC")


def test_the_audit_log_shows_the_light_path_beside_the_database(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with clock.frozen(dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)):
        audit_store.append(db, "funder@example.org", "page refused", "page data")
    at = local_app(db, monkeypatch, "pages/data.py")
    (shown,) = [d.value for d in at.dataframe if "when (UTC)" in d.value.columns]
    first = shown.iloc[0].tolist()  # the newest: 2030 is after every row of the database
    assert first == ["2030-01-02 03:04:05 UTC", "funder@example.org", "page refused", "page data"]
    assert len(shown) > 1  # the database's rows are there too
