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


# -- a funder's periods (METRICS.md, "Funders: one family of periods") -------------------------
#
# A funder sees a financial year or one of its quarters, complete or to date; nothing else, so
# that no two periods a funder can choose differ by a stretch they could not choose themselves.

PERIODS_ACCEPTED = (
    "a funder's period is a financial year or one of its quarters, complete or to date: "
    "--from on 1 April (the year or its first quarter), 1 July, 1 October or 1 January, "
    "and --to on or before that period's last day"
)


@dataclass(frozen=True)
class FunderPeriod:
    kind: str  # "year" or "quarter"
    first: int  # the financial year it belongs to (2025 for 2025/26)
    quarter: int | None  # 1..4 for a quarter
    start: dt.date
    end: dt.date  # the period's last day (the window may stop earlier: "to date")

    @property
    def name(self) -> str:
        if self.quarter is None:
            return f"{year_name(self.first)}"
        return f"Q{self.quarter} {year_name(self.first)}"

    def previous(self) -> FunderPeriod:
        """The previous period of the same kind, complete."""
        if self.quarter is None:
            return year_period(self.first - 1)
        if self.quarter == 1:
            return quarter_period(self.first - 1, 4)
        return quarter_period(self.first, self.quarter - 1)


def year_period(first: int) -> FunderPeriod:
    return FunderPeriod("year", first, None, *year_bounds(first))


def quarter_period(first: int, quarter: int) -> FunderPeriod:
    return FunderPeriod("quarter", first, quarter, *quarter_bounds(first, quarter))


def funder_period(date_from: dt.date, date_to: dt.date) -> FunderPeriod | None:
    """The financial year or quarter the window is (complete or to date), or None when it is
    neither. A window from 1 April that ends by 30 June is the first quarter."""
    if date_to < date_from:
        return None
    first = financial_year_of(date_from)
    for quarter in range(1, 5):
        period = quarter_period(first, quarter)
        if period.start == date_from and date_to <= period.end:
            return period
    year = year_period(first)
    if year.start == date_from and date_to <= year.end:
        return year
    return None


def default_funder_window(latest: dt.date) -> tuple[dt.date, dt.date]:
    """Without dates, a funder's window: the financial year holding the latest session, up to
    that session's date."""
    return year_bounds(financial_year_of(latest))[0], latest


def funder_periods(latest: dt.date, earliest: dt.date) -> list[FunderPeriod]:
    """Every period a funder can choose over the records: each financial year from the one
    holding `earliest` to the one holding `latest`, and each of their quarters that has begun
    by `latest`."""
    out: list[FunderPeriod] = []
    for first in range(financial_year_of(earliest), financial_year_of(latest) + 1):
        out.append(year_period(first))
        out += [quarter_period(first, q) for q in range(1, 5)]
    return [p for p in out if p.start <= latest]


def to_date(period: FunderPeriod, latest: dt.date | None) -> tuple[dt.date, dt.date]:
    """The period's window: whole, or up to the latest records while it is running."""
    if latest is None or latest >= period.end:
        return period.start, period.end
    return period.start, max(latest, period.start)
