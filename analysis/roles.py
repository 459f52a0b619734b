"""Who may see what, decided without Streamlit: the role a sign-in's claims give, and whether a
dashboard without sign-in is served only on this computer. pages/frame.py reads the user, the
secrets and the request from Streamlit and asks here; every run decides again on the server."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from analysis import audit

MANAGER = "manager"
FUNDER = "funder"

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
LOCAL_ONLY = (
    "Sign-in is off, so this dashboard only answers on this computer: start it on localhost "
    "(make run), or turn sign-in on first (README: 'Sign-in for your team')."
)


@dataclass(frozen=True)
class Decision:
    role: str | None  # manager, funder, or None (no access)
    user: str  # the e-mail address, lower case ("" when the claims have none)
    session: str  # the sign-in's fingerprint (audit.session_of)
    ended: str = ""  # why the sign-in no longer holds: "expired" or "signed out"


def access_lists(access: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """The [access] section's managers and funders, trimmed and in lower case."""

    def addresses(values: Iterable[Any]) -> set[str]:
        return {str(e).strip().lower() for e in values}

    return addresses(access.get("managers", [])), addresses(access.get("funders", []))


def decide(
    claims: Mapping[str, Any],
    managers: Iterable[str],
    funders: Iterable[str],
    now: dt.datetime,
    session_hours: float,
    signed_out: Callable[[str], bool],
) -> Decision:
    """The role a signed-in user's claims give: a sign-in holds for a working day
    (`session_hours`) and until its holder signs out (`signed_out(session)`); a role needs an
    address the provider has verified, matched to the lists without regard to capitals."""
    email = str(claims.get("email") or "").strip().lower()
    session = audit.session_of(claims)
    ended = audit.session_problem(claims, now, session_hours)
    if not ended and signed_out(session):
        ended = "signed out"
    if ended:
        return Decision(None, email, session, ended)
    if not audit.email_verified(claims):
        return Decision(None, email, session)
    if any(audit.same_address(email, m) for m in managers):
        return Decision(MANAGER, email, session)
    if any(audit.same_address(email, f) for f in funders):
        return Decision(FUNDER, email, session)
    return Decision(None, email, session)


def is_loopback(host: str) -> bool:
    """True for a name or address that stays on this computer ("" means every interface)."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and "]" in host:  # [::1]:8501
        host = host[1 : host.index("]")]
    elif host.count(":") == 1:  # name:port
        host = host.split(":", 1)[0]
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_problem(signed_in_mode: bool, address: str, host: str) -> str | None:
    """With sign-in off, everyone who reaches the dashboard is a manager: refuse to serve it on
    an address other computers can reach (`address`, the server's), or to a page opened
    through another name (`host`, the request's Host header)."""
    if signed_in_mode:
        return None
    if not is_loopback(address) or not is_loopback(host):
        return LOCAL_ONLY
    return None
