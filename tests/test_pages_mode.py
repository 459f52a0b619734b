"""The one use of a private Streamlit API, checked so that an upgrade fails here, loudly.

`pages_mode` flips `PagesManager.uses_pages_directory` (no public setting leaves the old
pages-directory mode while keeping the `pages/` folder). If this fails after a Streamlit
upgrade, do not just follow the rename: look for a public way first.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit
from streamlit.runtime.pages_manager import PagesManager

import pages_mode

ROOT = Path(__file__).resolve().parent.parent


def test_the_private_switch_is_still_there_in_the_pinned_streamlit() -> None:
    pinned = re.search(r"^streamlit\[auth\]==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert pinned is not None
    assert streamlit.__version__ == pinned.group(1), (
        f"Streamlit {streamlit.__version__} is not the pinned {pinned.group(1)}: check that "
        "PagesManager.uses_pages_directory still exists and still means the same (pages_mode.py)"
    )
    assert "uses_pages_directory" in vars(PagesManager), (
        "Streamlit no longer has PagesManager.uses_pages_directory: pages_mode.py must change"
    )


def test_leaving_the_mode_switches_it_off_and_says_whether_it_was_on() -> None:
    saved = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = True
        assert pages_mode.leave_directory_mode() is True
        assert PagesManager.uses_pages_directory is False
        assert pages_mode.leave_directory_mode() is False
    finally:
        PagesManager.uses_pages_directory = saved


def test_no_other_module_touches_the_private_api() -> None:
    users = [
        p.relative_to(ROOT).as_posix()
        for p in [*ROOT.glob("*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("analysis/*.py")]
        if "PagesManager" in p.read_text(encoding="utf-8")
    ]
    assert users == ["pages_mode.py"]
