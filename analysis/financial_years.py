"""UK financial years (1 April to 31 March) and their quarters, as window presets.

Funders report by financial year, so the sidebar offers "This financial year", "Last financial
year" and each quarter of both. A preset's code (kept in the URL) is relative to today
(`this-fy-q2`), so a shared link means the same thing next year as it did when it was made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

QUARTER_MONTHS = ("April to June", "July to September", "October to December", "January to March")


@dataclass(frozen=True)
class Preset:
    label: str  # "Q2 2025/26 (July to September)"
    code: str  # "this-fy-q2", for the URL
    start: dt.date
    end: dt.date


def financial_year_of(day: dt.date) -> int:
    """The calendar year in which the financial year holding `day` starts (2025 for 2025/26)."""
    return day.year if day.month >= 4 else day.year - 1


def year_name(first: int) -> str:
    return f"{first}/{(first + 1) % 100:02d}"


def year_bounds(first: int) -> tuple[dt.date, dt.date]:
    return dt.date(first, 4, 1), dt.date(first + 1, 3, 31)


def quarter_bounds(first: int, quarter: int) -> tuple[dt.date, dt.date]:
    """Quarter 1 is April to June, quarter 4 January to March of the next calendar year."""
    month = 4 + 3 * (quarter - 1)
    year = first + (month > 12)
    month = (month - 1) % 12 + 1
    start = dt.date(year, month, 1)
    following = dt.date(year + (month + 3 > 12), (month + 2) % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


def presets(today: dt.date) -> list[Preset]:
    """This and last financial year, then each quarter of this year that has begun, then each
    quarter of last year; ranges are whole (a window may run past the latest records)."""
    this = financial_year_of(today)
    out = [
        Preset(f"This financial year ({year_name(this)})", "this-fy", *year_bounds(this)),
        Preset(f"Last financial year ({year_name(this - 1)})", "last-fy", *year_bounds(this - 1)),
    ]
    for which, first in (("this", this), ("last", this - 1)):
        for quarter in range(1, 5):
            start, end = quarter_bounds(first, quarter)
            if start > today:
                continue
            out.append(
                Preset(
                    f"Q{quarter} {year_name(first)} ({QUARTER_MONTHS[quarter - 1]})",
                    f"{which}-fy-q{quarter}",
                    start,
                    end,
                )
            )
    return out


def window(preset: Preset, latest: dt.date | None) -> tuple[dt.date, dt.date]:
    """The preset's window, ending on the latest records when the period is still running."""
    end = preset.end if latest is None or latest >= preset.end else max(latest, preset.start)
    return preset.start, end
