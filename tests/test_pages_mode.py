"""The one use of a private Streamlit API, checked so that an upgrade fails here, loudly.

`pages_mode` flips `PagesManager.uses_pages_directory` (no public setting leaves the old
pages-directory mode while keeping the `pages/` folder). If this fails after a Streamlit
upgrade, do not just follow the rename: look for a public way first.
"""

from __future__ import annotations

import ast
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


# Streamlit modules an app module may import: the public API. Anything else under
# `streamlit.` (runtime, web, elements, ...) is private.
PUBLIC_MODULES = {
    "streamlit",
    "streamlit.errors",
    "streamlit.column_config",
    "streamlit.components.v1",
    "streamlit.testing.v1",
}
# Private names this app reads, by attribute or by getattr; and any `st._name`.
PRIVATE_ATTRIBUTES = {
    "PagesManager",
    "pages_manager",
    "uses_pages_directory",
    "intended_page_name",
    "intended_page_script_hash",
    "current_page_script_hash",
    "get_script_run_ctx",
    "get_pages",
}


def private_uses(tree: ast.AST) -> list[str]:
    """Every use of Streamlit's private API in a module: an import of a module outside the
    public ones (or of a private name from one), an attribute (or getattr with a constant name)
    from PRIVATE_ATTRIBUTES, and `st._anything` / `streamlit._anything`."""
    streamlit_names = {"streamlit"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "streamlit":
                    streamlit_names.add(alias.asname or "streamlit")
                elif alias.name.startswith("streamlit.") and alias.name not in PUBLIC_MODULES:
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("streamlit"):
            module = node.module or ""
            for alias in node.names:
                public = module in PUBLIC_MODULES or f"{module}.{alias.name}" in PUBLIC_MODULES
                private_name = alias.name.startswith("_") or alias.name in PRIVATE_ATTRIBUTES
                if not public or private_name:
                    found.append(f"{node.lineno}: from {module} import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr in PRIVATE_ATTRIBUTES:
                found.append(f"{node.lineno}: .{node.attr}")
            elif (
                node.attr.startswith("_")
                and isinstance(node.value, ast.Name)
                and node.value.id in streamlit_names
            ):
                found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in PRIVATE_ATTRIBUTES
        ):
            found.append(f"{node.lineno}: {node.func.id}(..., {node.args[1].value!r})")
    return found


def app_modules() -> list[Path]:
    """Every module of the app (the dashboard, its pages, the package, the benchmarks); the
    tests may reach into Streamlit to test it."""
    return sorted(
        p
        for p in [*ROOT.glob("*.py"), *ROOT.glob("pages/**/*.py"), *ROOT.glob("analysis/**/*.py")]
        + [*ROOT.glob("benchmarks/**/*.py")]
        if ".venv" not in p.parts
    )


def test_no_other_module_touches_the_private_api() -> None:
    users = {
        p.relative_to(ROOT).as_posix(): uses
        for p in app_modules()
        if (uses := private_uses(ast.parse(p.read_text(encoding="utf-8"))))
    }
    # The felt-speed benchmark's server (benchmarks/felt_server.py) times each script run by
    # wrapping Streamlit's script runner: a measuring tool the dashboard never imports.
    assert set(users) - {BENCHMARK_HOOK} == {"pages_mode.py"}, users
    assert len(app_modules()) > 60
    for p in app_modules():
        if p.relative_to(ROOT).as_posix() != BENCHMARK_HOOK:
            assert "felt_server" not in p.read_text(encoding="utf-8") or "benchmarks" in p.parts


BENCHMARK_HOOK = "benchmarks/felt_server.py"


def test_the_guard_sees_every_way_in() -> None:
    """The check above finds each way a module could reach the private API, not a string."""
    ways = {
        "from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx": 1,
        "import streamlit.runtime.pages_manager as pm": 1,
        "import streamlit as st\nst._main": 1,
        "import streamlit as s\nx = s._get_option('a')": 1,
        "x = getattr(ctx, 'pages_manager', None)": 1,
        "ctx.pages_manager.get_pages()": 2,
        "from streamlit import _private": 1,
        "import streamlit as st\nst.title('x'); st.session_state['a'] = 1": 0,
        "from streamlit.errors import StreamlitAPIException": 0,
        "name = 'PagesManager'": 0,  # a string is not a use (the old test would have failed)
    }
    for code, n in ways.items():
        assert len(private_uses(ast.parse(code))) == n, code
