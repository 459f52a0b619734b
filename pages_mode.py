"""Streamlit's private pages-directory switch, touched here and nowhere else.

The dashboard keeps the `pages/` folder (the user's layout) but navigates with `st.navigation`.
Streamlit 1.67 still runs a new server's first request in its old pages-directory mode, in
which a page could run without the frame (so without the role check) and widget state does not
carry over. No public setting turns that mode off, so this module flips the private class
attribute `PagesManager.uses_pages_directory`. `tests/test_pages_mode.py` fails loudly when a
Streamlit upgrade removes or renames it: then look for a public way again.
"""

from __future__ import annotations

from streamlit.runtime.pages_manager import PagesManager


def leave_directory_mode() -> bool:
    """Switch the pages-directory mode off; True when it was on."""
    was_on = bool(PagesManager.uses_pages_directory)
    PagesManager.uses_pages_directory = False
    return was_on
