"""Who signed in, and for how long that sign-in holds: the rules of the access check that do not
need Streamlit, and the audit log's entries for sign-ins, sign-outs, refusals and downloads.

A sign-in is known by its session: a fingerprint of the identity token's issuer, subject,
issue time and nonce. It holds for `session_hours` from the time the provider issued the token
(a working day), and ends at once when its holder signs out: the sign-out is written to the
audit log (its light path, analysis/audit_store.py), and a copy of the cookie that carries that
session is refused from then on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis import audit_store

# Entra ID sends no `email_verified`; its optional claim `xms_edov` says the same thing.
VERIFIED_CLAIMS = ("email_verified", "xms_edov")
# A token issued this far in the future (clocks differ a little) is refused.
CLOCK_SKEW_SECONDS = 300


def email_verified(claims: Mapping[str, Any]) -> bool:
    """True only when the provider says the address was verified (true, or the text "true")."""
    return any(claims.get(name) in (True, "true", "True") for name in VERIFIED_CLAIMS)


def same_address(a: str, b: str) -> bool:
    """E-mail addresses compared as the README says: the whole address, spaces around it
    ignored, capitals ignored (no other folding: dots and plus signs count)."""
    return a.strip().casefold() == b.strip().casefold() and "@" in a


def session_of(claims: Mapping[str, Any]) -> str:
    """The sign-in's fingerprint: issuer, subject, issue time and nonce, hashed."""
    parts = [str(claims.get(name, "")) for name in ("iss", "sub", "iat", "nonce")]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def session_problem(claims: Mapping[str, Any], now: dt.datetime, session_hours: float) -> str:
    """Why this sign-in no longer holds ("" when it does): too old, or issued in the future."""
    issued = claims.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, int | float | str):
        return "expired"
    try:
        issued_at = float(issued)
    except ValueError:
        return "expired"
    age = now.timestamp() - issued_at
    if age < -CLOCK_SKEW_SECONDS or age > session_hours * 3600:
        return "expired"
    return ""


def signed_out(db_path: str | Path, session: str) -> bool:
    """True when the holder of this session has signed out."""
    return audit_store.is_revoked(db_path, f"sign out:{session}")


def record_sign_in(
    db_path: str | Path,
    user: str,
    role: str | None,
    claims: Mapping[str, Any],
    session: str,
) -> bool:
    """One entry per sign-in (not per page or tab): who, as what, by which subject and issuer.
    A sign-in refused (on no list, or an unverified address) is written too. True if written."""
    action = "sign in" if role else "sign in refused"
    detail = (
        f"role {role or 'none'}; subject {claims.get('sub', '')}; issuer {claims.get('iss', '')}"
        f"; e-mail verified {'yes' if email_verified(claims) else 'no'}; session {session}"
    )
    return audit_store.append(db_path, user, action, detail, once=f"sign in:{session}")


def record_sign_out(db_path: str | Path, user: str, session: str) -> None:
    """The session is revoked first (its own file, never archived), then the sign-out logged."""
    audit_store.revoke(db_path, f"sign out:{session}")
    audit_store.append(db_path, user, "sign out", f"session {session}", once=f"sign out:{session}")
