"""What every page shares: who is signed in and their role, the database, the filters, the
cache, and how a chart is shown. Streamlit lives here and in the pages, never in analysis/.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from analysis import database, metrics
from analysis.charts import Chart
from analysis.settings import Settings, load_settings

MANAGER = "manager"
FUNDER = "funder"
CACHE_TTL = 600


@dataclass(frozen=True)
class Access:
    role: str | None  # manager, funder, or None (no access)
    user: str  # e-mail address, or "local" when sign-in is off
    signed_in_mode: bool


@dataclass(frozen=True)
class PageContext:
    access: Access
    settings: Settings
    db_path: str
    version: int
    scope: metrics.Scope
    window: tuple[dt.date, dt.date]
    has_demo: bool

    @property
    def is_manager(self) -> bool:
        return self.access.role == MANAGER

    @property
    def is_funder(self) -> bool:
        return self.access.role == FUNDER


def auth_configured() -> bool:
    """Signed-in mode is on when `.streamlit/secrets.toml` has an [auth] section."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _access_lists() -> tuple[set[str], set[str]]:
    try:
        access = st.secrets.get("access", {})
    except Exception:
        access = {}
    managers = {str(e).strip().lower() for e in access.get("managers", [])}
    funders = {str(e).strip().lower() for e in access.get("funders", [])}
    return managers, funders


def current_access() -> Access:
    """The signed-in user's role, decided on the server from st.user and the [access] lists."""
    if not auth_configured():
        return Access(MANAGER, "local", False)
    if not st.user.is_logged_in:
        return Access(None, "", True)
    email = str(st.user.get("email") or "").strip().lower()
    managers, funders = _access_lists()
    if email and email in managers:
        return Access(MANAGER, email, True)
    if email and email in funders:
        return Access(FUNDER, email, True)
    return Access(None, email, True)


def require(*roles: str) -> PageContext:
    """Start a page: refuse (and stop) unless the user's role may see it."""
    ctx: PageContext | None = st.session_state.get("_page_context")
    access = current_access()  # checked again here, not trusted from the navigation
    if ctx is None or access.role not in roles or ctx.access != access:
        st.error("You do not have access to this page.")
        st.stop()
    assert ctx is not None
    return ctx


def set_context(ctx: PageContext) -> None:
    st.session_state["_page_context"] = ctx


@st.cache_data(ttl=CACHE_TTL, max_entries=512, show_spinner=False)
def _cached_call(
    name: str,
    db_path: str,
    version: int,
    scope: metrics.Scope,
    settings: Settings,
    kwargs: tuple[tuple[str, Any], ...],
) -> Any:
    module_name, _, function_name = name.rpartition(".")
    function = getattr(importlib.import_module(module_name), function_name)
    with database.connect(db_path) as con:
        return function(con, scope, settings, **dict(kwargs))


def load(ctx: PageContext, function: Callable[..., Any], **kwargs: Any) -> Any:
    """Call an analysis function `(con, scope, settings, **kwargs)`, cached on small keys."""
    name = f"{function.__module__}.{function.__qualname__}"
    return _cached_call(
        name, ctx.db_path, ctx.version, ctx.scope, ctx.settings, tuple(sorted(kwargs.items()))
    )


def chart(figure: Chart, key: str | None = None) -> None:
    """A chart with its one-sentence summary underneath (for screen readers and skimming)."""
    st.plotly_chart(figure.figure, key=key, config={"displaylogo": False})
    st.caption(figure.summary)


def settings() -> Settings:
    return load_settings()
