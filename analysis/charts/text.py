"""Cards and text: headline cards, captions, dates, numbers and Markdown-safe labels (no Plotly)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd

from analysis.charts.base import _missing, _rows


def percent(value: float | None) -> str:
    return "no data" if value is None else f"{value:.0%}"


def impact_label(text: str, width: int = 0) -> str:
    """A category label for a chart: Plotly's markup characters escaped, long labels wrapped."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if width <= 0 or len(text) <= width:
        return text
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def impact_hidden_note(n_hidden: int, k: int, things: str) -> str:
    """The sentence a chart summary ends with when some of its categories are suppressed."""
    if not n_hidden:
        return ""
    return f" {n_hidden} {things} fewer than {k} mentors and {'is' if n_hidden == 1 else 'are'} marked <{k}."


DeltaColour = Literal["normal", "inverse", "off"]


DeltaArrow = Literal["auto", "up", "down", "off"]


@dataclass(frozen=True)
class Card:
    """A headline figure as `st.metric` shows it: value, change, and a line of help."""

    label: str
    value: str
    delta: str | None
    delta_color: DeltaColour  # normal (up is good), inverse (down is good) or off
    help: str
    delta_arrow: DeltaArrow = "auto"  # "off" when the delta is a note, not a change


def _plain(value: object) -> str:
    """Record text (codes, cohorts) as Plotly shows it: as text, never as markup."""
    return html.escape(str(value), quote=False)


# Markdown's special characters (and Streamlit's: $ for maths, : for icons and colours).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'^])")
# Invisible, and breaks the web and e-mail addresses GFM would make links of.
WORD_JOINER = "\u2060"


def markdown_safe(text: str) -> str:
    """Record text for any Streamlit element that draws Markdown, shown as the text it is.

    Escaping is not enough: GFM makes links of `http://…`, `www.…` and `a@b.org` even when
    escaped, so an invisible word joiner follows every `:` and `@` and each `www`. Line breaks
    become spaces (a value is one line).
    """
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(text))
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = text.replace(":", ":" + WORD_JOINER).replace("@", "@" + WORD_JOINER)
    return re.sub(r"(?i)www", lambda m: m.group(0) + WORD_JOINER, text)


def _number(value: float) -> str:
    return f"{value:,.0f}"


def _month(value: object) -> str:
    return f"{pd.Timestamp(value):%b %Y}"  # type: ignore[arg-type]


def _day(value: object) -> str:
    return f"{pd.Timestamp(value):%-d %b %Y}"  # type: ignore[arg-type]


def _trend_words(first: float, last: float) -> str:
    if round(first * 100) == round(last * 100):
        return "held at"
    return "rose from" if last > first else "fell from"


def _hours(minutes: float) -> str:
    if minutes == 0:
        return "0"
    return f"{minutes / 60:,.1f}" if minutes < 600 else f"{minutes / 60:,.0f}"


def _format_figure(kind: str, value: float) -> str:
    if kind == "rate":
        return f"{value:.0%}"
    if kind == "staff_minutes":
        return f"{_hours(value)} h"
    if kind == "minutes":
        return f"{value:,.0f} min"
    if kind == "days":
        return f"{value:,.0f} days"
    if kind == "points":
        return f"{value:+.1f}"
    return _number(value)


def _format_change(kind: str, change: float) -> str:
    sign = "+" if change > 0 else "-" if change < 0 else "±"  # "-": Streamlit reads the sign
    size = abs(change)
    if kind == "rate":
        return f"{sign}{size * 100:.1f} pts"
    if kind == "staff_minutes":
        return f"{sign}{_hours(size)} h"
    if kind == "points":
        return f"{sign}{size:.1f}"
    return f"{sign}{size:,.0f}"


# How st.metric colours a change, by which direction of the figure is better.
BETTER_COLOURS: dict[str, DeltaColour] = {"higher": "normal", "lower": "inverse"}


def headline_cards(frame: pd.DataFrame, figures: tuple[str, ...] | None = None) -> list[Card]:
    """Headline figures (all, or `figures` in that order) as metric cards with their change."""
    rows = {str(row["figure"]): row for row in _rows(frame)}
    cards = []
    for row in [rows[f] for f in figures if f in rows] if figures else rows.values():
        value = None if _missing(row["value"]) else float(row["value"])
        previous = None if _missing(row["previous"]) else float(row["previous"])
        period = f"{_day(row['previous_from'])} to {_day(row['previous_to'])}"
        if not row.get("compared", True):
            before = f"{_day(row['window_from'])} to {_day(row['window_to'])}."
        elif previous is None:
            before = f"No comparison: the previous period ({period}) has no records."
        else:
            before = f"Previous period ({period}): {_format_figure(str(row['kind']), previous)}."
        shown = "no data" if value is None else _format_figure(str(row["kind"]), value)
        if row.get("not_recorded", False):
            shown, before = "not recorded", "The programme's records do not hold this."
        delta = None
        colour: DeltaColour = "off"
        if value is not None and previous is not None:
            change = value - previous
            delta = _format_change(str(row["kind"]), change)
            rounded = round(change * (1000 if row["kind"] == "rate" else 10))
            if rounded != 0:
                colour = BETTER_COLOURS.get(str(row["better"]), "off")
        cards.append(Card(str(row["label"]), shown, delta, colour, before))
    return cards


def freshness_text(frame: pd.DataFrame) -> str:
    """One sentence on how current the records are."""
    if frame.empty or _missing(frame["latest_session"].iloc[0]):
        return "No sessions have been imported yet."
    row = _rows(frame)[0]
    text = f"Sessions recorded up to {_day(row['latest_session'])}"
    if not _missing(row["latest_assessment"]):
        text += f"; latest stage assessment {_day(row['latest_assessment'])}"
    if _missing(row["last_import"]):
        return text + "."
    age = (pd.Timestamp(row["today"]) - pd.Timestamp(row["last_import"]).normalize()).days
    when = "today" if age <= 0 else "yesterday" if age == 1 else f"{age} days ago"
    return (
        text + f". Last import {_day(row['last_import'])} at "
        f"{pd.Timestamp(row['last_import']):%H:%M} ({when})."
    )


def more_rows_note(frame: pd.DataFrame, total_column: str, what: str) -> str | None:
    """'Showing 200 of 1,234 mentors…' when a limited table holds fewer rows than there are."""
    if frame.empty:
        return None
    total = int(frame[total_column].iloc[0])
    if total <= len(frame):
        return None
    return f"Showing {len(frame):,} of {total:,} {what}."


def mentor_cards(profile: pd.DataFrame) -> list[Card]:
    """One mentor's figures for the window as metric cards (the notes under them are plain)."""
    if profile.empty:
        return []
    row = profile.iloc[0]

    def rate(value: object) -> str:
        return "no data" if _missing(value) else f"{float(value):.0%}"  # type: ignore[arg-type]

    stage = "–" if _missing(row["current_stage"]) else f"Stage {int(row['current_stage'])}"
    stage_note = (
        "not yet assessed"
        if _missing(row["current_stage"])
        else str(row["stage_label"]).split(" ", 1)[1]
        + (
            ""
            if _missing(row["current_self_esteem"])
            else f", self-esteem {int(row['current_self_esteem'])}"
        )
    )
    reasons = [r for r in str(row["reasons"]).split("; ") if r]
    late = int(row["late"])
    cards = [
        Card(
            "Attendance",
            rate(row["attendance_rate"]),
            f"{int(row['present'])} of {int(row['expected'])} sessions",
            "off",
            "Sessions attended (on time or late) of those expected in the window.",
        ),
        Card(
            "On time",
            rate(row["punctuality_rate"]),
            f"{late} late" if late else "never late",
            "off",
            "Arrivals on time of the sessions attended in the window.",
        ),
        Card(
            "No-shows",
            f"{int(row['no_shows'])}",
            None,
            "off",
            "Sessions missed without notice in the window.",
        ),
        Card(
            "Shadowing",
            f"{float(row['shadowing_hours']):.1f} h",
            f"of {float(row['target_hours']):g} h target",
            "off",
            "Credited shadowing hours up to the end of the window.",
        ),
        Card(
            "Current stage",
            stage,
            stage_note,
            "off",
            "The stage of the latest assessment up to the end of the window.",
        ),
        Card(
            "Flags",
            str(len(reasons)) if reasons else "None",
            None,
            "off",
            f"Early-warning flags over the last {int(row['lookback_days'])} days of the window.",
        ),
    ]
    return [replace(card, delta_arrow="off") for card in cards]


def mentor_flags_text(profile: pd.DataFrame) -> str | None:
    """The mentor's early-warning flags in a sentence, or None when there are none."""
    if profile.empty or not profile["reasons"].iloc[0]:
        return None
    row = profile.iloc[0]
    return (
        f"Flagged over the last {int(row['lookback_days'])} days of the window: "
        f"{str(row['reasons']).lower()}."
    )


def mentor_details(profile: pd.DataFrame) -> str:
    """One line about the mentor: cohort, start, status, outreach worker, region."""
    if profile.empty:
        return ""
    row = profile.iloc[0]
    parts = [f"Cohort {row.cohort}", f"started {_day(row.start_date)}", str(row.status)]
    if not pd.isna(row.end_date):
        parts.append(f"ended {_day(row.end_date)}")
    if row.outreach_worker and not pd.isna(row.outreach_worker):
        parts.append(f"outreach worker {row.outreach_worker}")
    if row.region and not pd.isna(row.region):
        parts.append(str(row.region))
    return markdown_safe(" · ".join(parts))
