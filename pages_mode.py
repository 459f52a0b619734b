"""Streamlit's private API, touched here and nowhere else (tests/test_pages_mode.py holds every
other module of the app to that, reading their imports and attribute uses): the pages-directory
switch, and which page a run was asked for and draws.

The dashboard keeps the `pages/` folder (the user's layout) but navigates with `st.navigation`.
Streamlit 1.67 still runs a new server's first request in its old pages-directory mode, in
which a page could run without the frame (so without the role check) and widget state does not
carry over. No public setting turns that mode off, so this module flips the private class
attribute `PagesManager.uses_pages_directory`. `tests/test_pages_mode.py` fails loudly when a
Streamlit upgrade removes or renames it: then look for a public way again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx


def leave_directory_mode() -> bool:
    """Switch the pages-directory mode off; True when it was on."""
    was_on = bool(PagesManager.uses_pages_directory)
    PagesManager.uses_pages_directory = False
    return was_on


def requested_page() -> tuple[str, str]:
    """The page the browser asked for on this run, before navigation resolves it: its URL
    path and its script hash (either may be "")."""
    manager = getattr(get_script_run_ctx(), "pages_manager", None)
    name = str(getattr(manager, "intended_page_name", "") or "")
    return name, str(getattr(manager, "intended_page_script_hash", "") or "")


def current_page_name() -> str:
    """The URL path of the page this run draws ("" if Streamlit does not say)."""
    run = get_script_run_ctx()
    if run is None:
        return ""
    manager = run.pages_manager
    info: dict[str, Any] = dict(manager.get_pages().get(manager.current_page_script_hash) or {})
    # A role's default page is at "" (the funders' is the impact summary): its script names it.
    script = str(info.get("script_path") or "")
    return str(info.get("url_pathname") or (Path(script).stem if script else ""))
