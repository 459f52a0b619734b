"""The one place the dashboard asks what day and time it is.

Everything that depends on the calendar (the window presets, "(today)" in the freshness line,
the warning about sessions dated after an import, the demo's default end, snapshot names) calls
`today()`, `now()` or `utc_now()` here, never the system clock or SQL's `current_date` itself.
Tests fix the clock with `frozen(...)`; nothing else needs to know.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

_frozen: dt.datetime | None = None  # an aware datetime while `frozen` is in effect


def utc_now() -> dt.datetime:
    """The time now, in UTC (timezone-aware)."""
    return _frozen if _frozen is not None else dt.datetime.now(dt.UTC)


def now() -> dt.datetime:
    """The local time now, naive, as the records and the import log store times."""
    return utc_now().astimezone().replace(tzinfo=None)


def today() -> dt.date:
    """The local date today."""
    return now().date()


@contextlib.contextmanager
def frozen(at: dt.datetime | dt.date) -> Iterator[None]:
    """Stop the clock at `at` (a date means its local noon; a naive time is local) meanwhile."""
    global _frozen
    if not isinstance(at, dt.datetime):
        at = dt.datetime.combine(at, dt.time(12, 0))
    if at.tzinfo is None:
        at = at.astimezone()  # a naive datetime is local time
    before, _frozen = _frozen, at.astimezone(dt.UTC)
    try:
        yield
    finally:
        _frozen = before
