"""The dashboard process bounds glibc's malloc arenas (analysis/process.py); the soak measures
what that does to a server's memory over 2,000 page runs."""

from __future__ import annotations

import ctypes
import platform
import subprocess
import sys

import pytest

from analysis import process


def test_the_arena_bound_is_applied_on_glibc() -> None:
    assert platform.libc_ver()[0] == "glibc"  # the machines this runs on (Debian)
    assert process.bound_malloc_arenas() is True
    assert process.bound_malloc_arenas() is True  # idempotent: every server start may call it


def test_without_a_c_library_nothing_happens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process.ctypes.util, "find_library", lambda name: None)
    assert process.bound_malloc_arenas() is False

    def no_library(name: str) -> ctypes.CDLL:
        raise OSError(name)

    monkeypatch.setattr(process.ctypes.util, "find_library", lambda name: "libc.so.6")
    monkeypatch.setattr(process.ctypes, "CDLL", no_library)
    assert process.bound_malloc_arenas() is False


def test_the_dashboard_frame_applies_it_when_imported() -> None:
    """Importing the page frame (what every server does once) calls the bound."""
    code = (
        "import analysis.process as p\n"
        "calls = []\n"
        "p.bound_malloc_arenas = lambda arenas=2: calls.append(arenas) or True\n"
        "import pages.frame\n"
        "print(calls)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[2]"
