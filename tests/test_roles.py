"""Who may see what (analysis.roles), decided without Streamlit and tested here: the frame only
reads the user, the secrets and the request and asks."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis import roles

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MANAGERS = {"manager@charity.org.uk"}
FUNDERS = {"grants@lottery.org.uk"}


def claims(email: str, *, verified: object = True, hours_ago: float = 1, **extra: object) -> dict:
    return {
        "email": email,
        "email_verified": verified,
        "iss": "https://id.example",
        "sub": email,
        "iat": int(NOW.timestamp() - hours_ago * 3600),
        "nonce": "n",
        **extra,
    }


def decide(c: dict, signed_out: bool = False) -> roles.Decision:
    return roles.decide(c, MANAGERS, FUNDERS, NOW, 10, lambda _session: signed_out)


@pytest.mark.parametrize(
    ("email", "role"),
    [
        ("manager@charity.org.uk", roles.MANAGER),
        ("  Manager@Charity.ORG.uk ", roles.MANAGER),  # spaces and capitals do not matter
        ("grants@lottery.org.uk", roles.FUNDER),
        ("manager@charity.org.uk.evil.com", None),
        ("manager+x@charity.org.uk", None),  # no folding of plus signs
        ("manager@charity", None),
        ("", None),
        ("'; DROP TABLE audit; --", None),
    ],
)
def test_a_verified_address_on_a_list_gets_its_role(email: str, role: str | None) -> None:
    decided = decide(claims(email))
    assert decided.role == role
    assert decided.user == email.strip().lower()
    assert decided.ended == ""


@pytest.mark.parametrize("verified", [False, "false", None, 0, "yes"])
def test_an_unverified_address_gets_no_role(verified: object) -> None:
    assert decide(claims("manager@charity.org.uk", verified=verified)).role is None


def test_a_sign_in_ends_after_its_hours_or_when_its_holder_signs_out() -> None:
    old = decide(claims("manager@charity.org.uk", hours_ago=11))
    assert (old.role, old.ended) == (None, "expired")
    future = decide(claims("manager@charity.org.uk", hours_ago=-2))
    assert (future.role, future.ended) == (None, "expired")
    gone = decide(claims("manager@charity.org.uk"), signed_out=True)
    assert (gone.role, gone.ended) == (None, "signed out")
    asked: list[str] = []
    roles.decide(claims("manager@charity.org.uk"), MANAGERS, FUNDERS, NOW, 10, asked.append)
    assert asked == [decide(claims("manager@charity.org.uk")).session]  # by its fingerprint


def test_the_access_lists_are_read_trimmed_and_in_lower_case() -> None:
    section = {"managers": [" A@X.org ", "b@x.org"], "funders": ["F@Y.org"], "other": ["z"]}
    assert roles.access_lists(section) == ({"a@x.org", "b@x.org"}, {"f@y.org"})
    assert roles.access_lists({}) == (set(), set())


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost:8501", True),
        ("[::1]:8501", True),
        ("::1", True),
        ("", False),  # every interface
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("dashboard.charity.org.uk", False),
        ("localhost.evil.com", False),
        ("127.0.0.1.nip.io:8501", False),
    ],
)
def test_which_hosts_stay_on_this_computer(host: str, loopback: bool) -> None:
    assert roles.is_loopback(host) is loopback


def test_without_sign_in_the_dashboard_answers_only_on_this_computer() -> None:
    assert roles.exposure_problem(False, "localhost", "localhost:8501") is None
    assert roles.exposure_problem(False, "0.0.0.0", "localhost:8501") == roles.LOCAL_ONLY
    assert roles.exposure_problem(False, "localhost", "dashboard.example") == roles.LOCAL_ONLY
    assert roles.exposure_problem(True, "0.0.0.0", "dashboard.example") is None
