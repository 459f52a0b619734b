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

import threading
import time
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


# --- a download's file at its /media/ address: seconds, not as long as the page is open -----
#
# Streamlit serves a download made on click (`data=` a callable) from a /media/<id> address
# that any request can fetch, without the session that asked for it, until that session's
# later runs end (security re-probe, finding 1: rejected rows, with codes and notes, fetched by
# curl with no cookie at 0, 30 and 120 s). Streamlit 1.67 has no way to tie the address to a
# session, so every such file is deleted MEDIA_SECONDS after it is made: the browser fetches
# it at once; a copied address is then worth nothing. docs/OPERATIONS.md gives the reverse
# proxy rule that closes the seconds that remain.
MEDIA_SECONDS = 5.0
_media_deadlines: dict[str, float] = {}
_media_lock = threading.Lock()


def _forget_media(manager: Any, file_id: str) -> None:
    """Delete a made download from Streamlit's media store, unless it was made again since."""
    with _media_lock:
        deadline = _media_deadlines.get(file_id)
        if deadline is None or time.monotonic() < deadline:
            return
        del _media_deadlines[file_id]
    with manager._lock:
        manager._storage.delete_file(file_id)
        manager._file_metadata.pop(file_id, None)


def expire_made_downloads() -> None:
    """Make every download built on click expire MEDIA_SECONDS after it is made."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    if getattr(MediaFileManager.execute_deferred, "_expires", False):
        return
    made = MediaFileManager.execute_deferred

    def execute_deferred(self: MediaFileManager, file_id: str) -> str:
        url = made(self, file_id)
        stored = url.rsplit("/", 1)[-1].split(".", 1)[0]
        with _media_lock:
            _media_deadlines[stored] = time.monotonic() + MEDIA_SECONDS
        timer = threading.Timer(MEDIA_SECONDS + 0.05, _forget_media, (self, stored))
        timer.daemon = True
        timer.start()
        return url

    execute_deferred._expires = True  # type: ignore[attr-defined]
    MediaFileManager.execute_deferred = execute_deferred  # type: ignore[method-assign]
