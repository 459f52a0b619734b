"""A page run's connection and its cached calls, without Streamlit (the frame, pages/frame.py,
caches `call` with Streamlit's cache and closes the connection when the run ends).

A run opens at most one read-only connection (the published version) and keeps it until it
ends; while it is open, `metrics` keeps the scoped rows it builds on it, so the views of a page
share them. A cached call names its function as `module.function`: only a public function defined in a
module of the `analysis` package, so a name from a cache key never imports anything else.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable
from typing import Any

import duckdb

from analysis import database, metrics
from analysis.settings import Settings

_run = threading.local()


def connection(db_path: str) -> duckdb.DuckDBPyConnection:
    """This run's connection to `db_path`, opened on first use: read-only (the published
    version). A page that changes records uses `database.connect` (see docs/OPERATIONS.md)."""
    held = getattr(_run, "held", None)
    if held is not None and held[0] == db_path:
        return held[1]
    close_connection()
    stack = contextlib.ExitStack()
    con = stack.enter_context(database.read(db_path))
    metrics.share_rows(con)
    _run.held = (db_path, con, stack)
    return con


def close_connection() -> None:
    """Close this run's connection, if one was opened (safe to call more than once)."""
    held = getattr(_run, "held", None)
    _run.held = None
    if held is not None:
        metrics.unshare_rows(held[1])
        held[2].close()


def name_of(function: Callable[..., Any]) -> str:
    """The name a cached call keeps for `function` (`module.function`), checked."""
    name = f"{function.__module__}.{function.__qualname__}"
    resolve(name)
    return name


def resolve(name: str) -> Callable[..., Any]:
    """The function a cached call names: a public top-level function defined in a module of
    the `analysis` package."""
    module_name, _, function_name = name.rpartition(".")
    parts = module_name.split(".")
    if (
        parts[0] != "analysis"
        or len(parts) < 2
        or not all(p.isidentifier() and not p.startswith("_") for p in parts)
        or not function_name.isidentifier()
        or function_name.startswith("_")
    ):
        raise ValueError(f"not a function a page may call: {name!r}")
    function = getattr(importlib.import_module(module_name), function_name, None)
    if not callable(function) or getattr(function, "__module__", None) != module_name:
        raise ValueError(f"not a function a page may call: {name!r}")
    return function


def call(
    name: str,
    db_path: str,
    scope: metrics.Scope,
    settings: Settings,
    kwargs: tuple[tuple[str, Any], ...],
) -> Any:
    """Run the named function over this run's connection to `db_path`."""
    return resolve(name)(connection(db_path), scope, settings, **dict(kwargs))
