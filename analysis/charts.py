"""Chart builders: pure functions from figures (small aggregated frames) to Plotly figures.

Every chart has a title, labelled axes with units, the Okabe–Ito colour-blind-safe palette,
and one plain sentence saying what it shows in numbers.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import plotly.graph_objects as go

# Okabe & Ito (2008), colour-blind safe; black is left out as a series colour.
OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
ATTENDANCE_COLOURS = {
    "attended": "#009E73",
    "late": "#E69F00",
    "notified_absence": "#56B4E9",
    "no_show": "#D55E00",
    "cancelled_by_programme": "#999999",
}
FONT = "Source Sans Pro, Arial, sans-serif"


@dataclass(frozen=True)
class Chart:
    figure: go.Figure
    summary: str  # one plain sentence, in numbers, of what the chart shows


def styled(figure: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    """The house style: title, axis titles with units, palette, quiet grid."""
    figure.update_layout(
        title={
            "text": title,
            "x": 0,
            "xanchor": "left",
            "y": 0.98,
            "yanchor": "top",
            "font": {"size": 16},
        },
        xaxis_title=x_title,
        yaxis_title=y_title,
        colorway=list(OKABE_ITO),
        font={"family": FONT, "size": 13, "color": "#1f2933"},
        plot_bgcolor="white",
        paper_bgcolor="white",
        # The legend sits on its own line under the title, so a long title never runs into it.
        margin={"l": 60, "r": 20, "t": 80, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0, "xanchor": "left"},
        hoverlabel={"font": {"family": FONT}},
    )
    figure.update_xaxes(showgrid=False, linecolor="#9aa5b1", ticks="outside")
    figure.update_yaxes(gridcolor="#e4e7eb", linecolor="#9aa5b1", zeroline=False)
    return figure


def percent(value: float | None) -> str:
    return "no data" if value is None else f"{value:.0%}"


# -- The funders' impact summary: aggregated, suppressed figures only ---------------------------


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


def impact_monthly_rates(
    months: list[str],
    attendance: list[float | None],
    punctuality: list[float | None],
    hidden: list[bool],
    k: int,
) -> Chart:
    """Attendance and punctuality by month; a month resting on fewer than k mentors is a gap
    marked `<k` (months are ISO dates, rates None where hidden or undefined)."""
    figure = go.Figure()
    for name, values, colour in (
        ("Attendance", attendance, OKABE_ITO[0]),
        ("Punctuality", punctuality, OKABE_ITO[1]),
    ):
        figure.add_trace(
            go.Scatter(
                x=months,
                y=values,
                name=name,
                mode="lines+markers",
                line={"color": colour, "width": 2.5},
                marker={"size": 6},
                connectgaps=False,
                hovertemplate=f"{name}, %{{x|%B %Y}}: %{{y:.0%}}<extra></extra>",
            )
        )
    # One mark per run of hidden months (at its middle), so neighbouring marks never overlap.
    runs: list[list[str]] = []
    for i, (month, is_hidden) in enumerate(zip(months, hidden, strict=True)):
        if is_hidden:
            if i and hidden[i - 1]:
                runs[-1].append(month)
            else:
                runs.append([month])
    for run in runs:
        figure.add_annotation(
            x=run[len(run) // 2],
            y=0.04,
            text=f"&lt;{k}",
            showarrow=False,
            font={"color": "#52606d", "size": 13},
        )
    styled(figure, "Attendance and punctuality by month", "Month", "Share of sessions")
    figure.update_yaxes(range=[0, 1.05], tickformat=".0%")
    figure.update_xaxes(tickformat="%b %Y")

    def spread(values: list[float | None]) -> str | None:
        known = [v for v in values if v is not None]
        if not known:
            return None
        low, high = min(known), max(known)
        return percent(low) if round(low, 2) == round(high, 2) else f"{low:.0%} to {high:.0%}"

    parts = []
    if (a := spread(attendance)) is not None:
        parts.append(f"attendance ranged from {a} a month")
    if (p := spread(punctuality)) is not None:
        parts.append(f"punctuality from {p}")
    if parts:
        summary = "Across the months shown, " + " and ".join(parts) + "."
    elif months:
        summary = "No month has enough mentors behind it to show a rate."
    else:
        summary = "No sessions were recorded in this period."
    n_hidden = sum(hidden)
    if n_hidden == 1:
        summary += f" 1 month rests on fewer than {k} mentors and is left out (marked <{k})."
    elif n_hidden:
        summary += (
            f" {n_hidden} months rest on fewer than {k} mentors and are left out (marked <{k})."
        )
    return Chart(figure, summary)


def impact_bars(
    title: str,
    axis_title: str,
    labels: list[str],
    values: list[float | None],
    hidden: list[bool],
    k: int,
    *,
    horizontal: bool,
    colour: str = OKABE_ITO[0],
) -> go.Figure:
    """Counts of people by category; a suppressed category has no bar, only a `<k` mark."""
    shown = [None if h else v for v, h in zip(values, hidden, strict=True)]
    text = ["" if v is None else f"{v:,.0f}" for v in shown]
    names = [impact_label(label, 0 if horizontal else 12) for label in labels]
    if horizontal:
        bar = go.Bar(
            x=shown,
            y=names,
            orientation="h",
            marker_color=colour,
            text=text,
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:,}<extra></extra>",
        )
    else:
        bar = go.Bar(
            x=names,
            y=shown,
            marker_color=colour,
            text=text,
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y:,}<extra></extra>",
        )
    figure = go.Figure(bar)
    for name, is_hidden in zip(names, hidden, strict=True):
        if not is_hidden:
            continue
        if horizontal:
            figure.add_annotation(
                x=0,
                y=name,
                text=f"&lt;{k}",
                showarrow=False,
                xanchor="left",
                xshift=4,
                font={"color": "#52606d"},
            )
        else:
            figure.add_annotation(
                x=name,
                y=0,
                text=f"&lt;{k}",
                showarrow=False,
                yanchor="bottom",
                yshift=2,
                font={"color": "#52606d"},
            )
    top = max([v for v in shown if v is not None] + [k])
    if horizontal:
        styled(figure, title, axis_title, "")
        figure.update_yaxes(autorange="reversed", gridcolor="rgba(0,0,0,0)")
        figure.update_xaxes(range=[0, top * 1.15], showgrid=True, gridcolor="#e4e7eb")
    else:
        styled(figure, title, "", axis_title)
        figure.update_yaxes(range=[0, top * 1.15])
    figure.update_layout(showlegend=False)
    return figure


def impact_hidden_note(n_hidden: int, k: int, things: str) -> str:
    """The sentence a chart summary ends with when some of its categories are suppressed."""
    if not n_hidden:
        return ""
    return f" {n_hidden} {things} fewer than {k} mentors and {'is' if n_hidden == 1 else 'are'} marked <{k}."


def impact_breakdown(
    title: str,
    labels: list[str],
    values: list[float | None],
    hidden: list[bool],
    k: int,
    *,
    colour: str,
    largest: str,
    nothing: str,
    hidden_one: str,
    hidden_many: str,
) -> Chart:
    """Mentors per category (stage, milestone, event), suppressed categories marked <k.

    `largest` is a sentence with {label} and {value}; `nothing` is said when no category can
    be shown; `hidden_one`/`hidden_many` name the suppressed categories in the summary.
    """
    figure = impact_bars(
        title, "Mentors", labels, values, hidden, k, horizontal=True, colour=colour
    )
    shown = [(v, label) for v, label, h in zip(values, labels, hidden, strict=True) if not h and v]
    if shown:
        value, label = max(shown)
        summary = largest.format(label=label, value=f"{value:,.0f}")
    else:
        summary = nothing
    n_hidden = sum(hidden)
    summary += impact_hidden_note(n_hidden, k, hidden_one if n_hidden == 1 else hidden_many)
    return Chart(figure, summary)


def impact_stage_distribution(
    labels: list[str], values: list[float | None], hidden: list[bool], k: int
) -> Chart:
    """Mentors by their current stage on the transition curve."""
    return impact_breakdown(
        "Where mentors stand on the transition curve",
        labels,
        values,
        hidden,
        k,
        colour=OKABE_ITO[0],
        largest="The most common stage shown is {label} ({value} mentors).",
        nothing="No stage has enough mentors in it to show.",
        hidden_one="stage has",
        hidden_many="stages have",
    )


def impact_milestones(
    labels: list[str], values: list[float | None], hidden: list[bool], k: int
) -> Chart:
    """Mentors reaching each milestone in the period."""
    return impact_breakdown(
        "Milestones reached",
        labels,
        values,
        hidden,
        k,
        colour=OKABE_ITO[2],
        largest="The milestone most mentors reached was '{label}' ({value} mentors).",
        nothing="No milestone was reached by enough mentors to show.",
        hidden_one="milestone was reached by",
        hidden_many="milestones were reached by",
    )


def impact_events(
    labels: list[str], values: list[float | None], hidden: list[bool], k: int
) -> Chart:
    """Mentors at each group day or event in the period."""
    return impact_breakdown(
        "Taking part in group days and events",
        labels,
        values,
        hidden,
        k,
        colour=OKABE_ITO[4],
        largest="The best attended was '{label}' ({value} mentors).",
        nothing="No group day or event in the period had enough mentors to show.",
        hidden_one="event was attended by",
        hidden_many="events were attended by",
    )


# --- Builders for the manager pages -------------------------------------------------------
# Each takes a small frame from `analysis.views` and returns a Chart; an empty frame gives a
# chart that says so. The frames are aggregated already: nothing here reads raw records.

NO_RECORDS = "No records in this window"
GREY = "#9aa5b1"
LIGHT_GREY = "#cbd2d9"
BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION, YELLOW, BLACK = OKABE_ITO
SEQUENTIAL = [[0.0, "#f2f7fb"], [0.5, "#7fb8da"], [1.0, "#0072B2"]]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The Adams–Hayes–Hopson curve: competence and self-esteem dip after the change, bottom out at
# self-doubt and letting go, then rise above where they began. Heights are illustrative.
CURVE_HEIGHTS = (0.56, 0.63, 0.34, 0.22, 0.42, 0.66, 0.88)


@dataclass(frozen=True)
class Card:
    """A headline figure as `st.metric` shows it: value, change, and a line of help."""

    label: str
    value: str
    delta: str | None
    delta_color: str  # normal (up is good), inverse (down is good) or off
    help: str
    delta_arrow: str = "auto"  # "off" when the delta is a note, not a change


def _figure(height: int = 380) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(height=height)
    return figure


def _empty(title: str, x_title: str, y_title: str, height: int = 380) -> Chart:
    figure = _figure(height)
    figure.add_annotation(
        text=NO_RECORDS,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 15, "color": "#52606d"},
    )
    styled(figure, title, x_title, y_title)
    figure.update_xaxes(showticklabels=False)
    figure.update_yaxes(showticklabels=False, showgrid=False)
    return Chart(figure, f"{title}: no records in this window.")


def _is_empty(frame: pd.DataFrame, count_column: str | None = None) -> bool:
    if frame.empty:
        return True
    return count_column is not None and float(frame[count_column].fillna(0).sum()) == 0


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _pick(frame: pd.DataFrame, column: str, largest: bool) -> Any:
    """The row (a Series) with the largest or smallest known value of `column`."""
    known = frame.dropna(subset=[column])
    values = known[column].to_numpy(dtype=float)
    return known.iloc[int(values.argmax() if largest else values.argmin())]


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


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _trend_words(first: float, last: float) -> str:
    if round(first * 100) == round(last * 100):
        return "held at"
    return "rose from" if last > first else "fell from"


def _wrap(label: str, width: int = 12) -> str:
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


def _month_axis(figure: go.Figure, months: int) -> None:
    """Month ticks that never need turning: every 1, 2, 3 or 6 months, month over year."""
    step = 1 if months <= 6 else 2 if months <= 14 else 3 if months <= 30 else 6
    figure.update_xaxes(dtick=f"M{step}", tickformat="%b<br>%Y", tickangle=0)


def _group_starts(frame: pd.DataFrame) -> list[str]:
    """Tick labels for groups of weeks: the first week of each, "52+" for the open last one."""
    return [
        f"{int(a)}+" if _missing(b) else f"{int(a)}"
        for a, b in zip(frame["weeks_from"], frame["weeks_to"], strict=True)
    ]


def _rate_axis(figure: go.Figure, low: float = 0.0) -> None:
    figure.update_yaxes(tickformat=".0%", range=[low, 1.02])


def _hours(minutes: float) -> str:
    if minutes == 0:
        return "0"
    return f"{minutes / 60:,.1f}" if minutes < 600 else f"{minutes / 60:,.0f}"


# --- Overview --------------------------------------------------------------------------------


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
        delta = None
        colour = "off"
        if value is not None and previous is not None:
            change = value - previous
            delta = _format_change(str(row["kind"]), change)
            rounded = round(change * (1000 if row["kind"] == "rate" else 10))
            if rounded != 0:
                colour = {"higher": "normal", "lower": "inverse"}.get(str(row["better"]), "off")
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


def attendance_trends(frame: pd.DataFrame) -> Chart:
    """Attendance and punctuality rate by month (Overview)."""
    title = "Attendance and punctuality by month"
    x_title, y_title = "Month", "Rate (%)"
    if _is_empty(frame, "expected"):
        return _empty(title, x_title, y_title)
    figure = _figure()
    for column, name, colour in (
        ("attendance_rate", "Attendance", BLUE),
        ("punctuality_rate", "On time", ORANGE),
    ):
        figure.add_trace(
            go.Scatter(
                x=frame["month"],
                y=frame[column],
                name=name,
                mode="lines+markers",
                line={"color": colour, "width": 2.5},
                customdata=frame[["expected", "present"]],
                hovertemplate="%{x|%b %Y}: %{y:.0%}<br>%{customdata[1]:,} of "
                "%{customdata[0]:,} expected attended<extra>" + name + "</extra>",
            )
        )
    styled(figure, title, x_title, y_title)
    _rate_axis(figure)
    _month_axis(figure, len(frame))
    attendance = _ratio(frame["present"].sum(), frame["expected"].sum())
    punctuality = _ratio(frame["on_time"].sum(), frame["present"].sum())
    summary = (
        f"Across the window, {percent(attendance)} of expected attendances were attended and "
        f"{percent(punctuality)} of arrivals were on time"
    )
    known = frame.dropna(subset=["punctuality_rate"])
    if len(known) >= 2:
        first, last = known.iloc[0], known.iloc[-1]
        summary += (
            f"; punctuality {_trend_words(first.punctuality_rate, last.punctuality_rate)} "
            f"{first.punctuality_rate:.0%} in {_month(first.month)} to "
            f"{last.punctuality_rate:.0%} in {_month(last.month)}"
        )
    return Chart(figure, summary + ".")


def stage_distribution(frame: pd.DataFrame) -> Chart:
    """Active mentors by current stage of the transition curve (Overview)."""
    title = "Where mentors are on the transition curve"
    x_title, y_title = "Current stage", "Mentors"
    if _is_empty(frame, "mentors"):
        return _empty(title, x_title, y_title)
    shown = frame[(frame["stage"] > 0) | (frame["mentors"] > 0)].iloc[::-1]
    figure = _figure()
    figure.add_trace(
        go.Bar(
            x=shown["mentors"],
            y=shown["label"],
            orientation="h",
            marker_color=[LIGHT_GREY if s == 0 else BLUE for s in shown["stage"]],
            text=shown["mentors"],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x} mentors<extra></extra>",
        )
    )
    styled(figure, title, y_title, x_title)
    figure.update_layout(margin={"l": 160})
    figure.update_yaxes(type="category")
    total = int(frame["mentors"].sum())
    assessed = frame[frame["stage"] > 0]
    people = f"{total} active mentor{'s' if total != 1 else ''}"
    if int(assessed["mentors"].sum()) == 0:
        return Chart(figure, f"Of {people}, none has been assessed yet.")
    top = _pick(assessed, "mentors", largest=True)
    later = int(assessed.loc[assessed["stage"] >= 5, "mentors"].sum())
    not_assessed = int(frame.loc[frame["stage"] == 0, "mentors"].sum())
    summary = (
        f"Of {people}, the most ({int(top.mentors)}) are at {top.label}; "
        f"{later} are at stages 5–7 and {not_assessed} not yet assessed."
    )
    return Chart(figure, summary)


def flag_reasons(headlines: pd.DataFrame, lookback_days: int) -> Chart:
    """How many mentors each early-warning flag applies to, from the headline figures."""
    title = "Why mentors are flagged"
    x_title, y_title = "Mentors", "Flag"
    if headlines.empty:
        return _empty(title, x_title, y_title, height=260)
    frame = headlines[headlines["figure"].str.startswith("flags.")]
    total = headlines.loc[headlines["figure"] == "mentors_flagged", "value"]
    flagged = int(total.iloc[0]) if len(total) else 0
    ordered = frame.iloc[::-1]
    figure = _figure(260)
    figure.add_trace(
        go.Bar(
            x=ordered["value"],
            y=ordered["label"],
            orientation="h",
            marker_color=VERMILLION,
            text=[f"{v:.0f}" for v in ordered["value"]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x} mentors<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title)
    figure.update_layout(margin={"l": 190})
    figure.update_xaxes(rangemode="tozero", dtick=max(1, int(frame["value"].max()) // 5 or 1))
    if not flagged:
        return Chart(
            figure, f"No mentor is flagged over the last {lookback_days} days of the window."
        )
    parts = [f"{str(r['label']).lower()}: {int(r['value'])}" for r in _rows(frame) if r["value"]]
    summary = (
        f"{flagged} mentor{'s are' if flagged != 1 else ' is'} flagged over the last "
        f"{lookback_days} days of the window ({'; '.join(parts)})."
    )
    return Chart(figure, summary)


# --- Timekeeping -----------------------------------------------------------------------------


def punctuality_by_month(frame: pd.DataFrame) -> Chart:
    """Share of arrivals on time, by month."""
    title = "Punctuality by month"
    x_title, y_title = "Month", "Arrivals on time (%)"
    if _is_empty(frame, "present"):
        return _empty(title, x_title, y_title)
    figure = _figure()
    figure.add_trace(
        go.Scatter(
            x=frame["month"],
            y=frame["punctuality_rate"],
            name="On time",
            mode="lines+markers",
            line={"color": ORANGE, "width": 3},
            fill="tozeroy",
            fillcolor="rgba(230,159,0,0.12)",
            customdata=frame[["on_time", "present", "late"]],
            hovertemplate="%{x|%b %Y}: %{y:.0%} on time<br>%{customdata[0]:,} of "
            "%{customdata[1]:,} arrivals; %{customdata[2]:,} late<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title)
    _rate_axis(figure)
    _month_axis(figure, len(frame))
    figure.update_layout(showlegend=False)
    known = frame.dropna(subset=["punctuality_rate"])
    overall = _ratio(frame["on_time"].sum(), frame["present"].sum())
    summary = f"{percent(overall)} of {_number(frame['present'].sum())} arrivals were on time"
    if len(known) >= 2:
        best = _pick(known, "punctuality_rate", largest=True)
        worst = _pick(known, "punctuality_rate", largest=False)
        summary += (
            f"; the best month was {_month(best.month)} ({best.punctuality_rate:.0%}) and the "
            f"weakest {_month(worst.month)} ({worst.punctuality_rate:.0%})"
        )
    return Chart(figure, summary + ".")


def punctuality_by_weeks(frame: pd.DataFrame) -> Chart:
    """Punctuality by weeks since the mentor started: is the skill being learned?"""
    title = "Punctuality by weeks in the programme"
    x_title, y_title = "Weeks since the mentor started", "Arrivals on time (%)"
    if _is_empty(frame, "present"):
        return _empty(title, x_title, y_title)
    figure = _figure()
    figure.add_trace(
        go.Bar(
            x=_group_starts(frame),
            y=frame["punctuality_rate"],
            marker_color=BLUE,
            customdata=frame[["on_time", "present", "mentors", "label"]],
            text=[f"{v:.0%}" for v in frame["punctuality_rate"]],
            textposition="outside",
            textfont={"size": 11},
            cliponaxis=False,
            hovertemplate="Weeks %{customdata[3]}: %{y:.0%} on time<br>%{customdata[0]:,} of "
            "%{customdata[1]:,} arrivals, %{customdata[2]:,} mentors<extra></extra>",
        )
    )
    styled(figure, title, f"{x_title} (start of each group)", y_title)
    _rate_axis(figure)
    figure.update_xaxes(type="category", tickangle=0)
    first, last = frame.iloc[0], frame.iloc[-1]
    summary = (
        f"Punctuality {_trend_words(first.punctuality_rate, last.punctuality_rate)} "
        f"{first.punctuality_rate:.0%} in weeks {first.label} to {last.punctuality_rate:.0%} "
        f"at {last.label} weeks in the programme."
    )
    return Chart(figure, summary)


def minutes_late(frame: pd.DataFrame) -> Chart:
    """How late the late arrivals were: counts in bins of minutes."""
    title = "How late: minutes late on late arrivals"
    x_title, y_title = "Minutes late", "Late arrivals"
    if _is_empty(frame, "arrivals"):
        return _empty(title, x_title, y_title)
    figure = _figure()
    figure.add_trace(
        go.Bar(
            x=frame["label"],
            y=frame["arrivals"],
            marker_color=ORANGE,
            text=frame["arrivals"],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x} minutes late: %{y:,} arrivals<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title)
    figure.update_xaxes(type="category")
    total = float(frame["arrivals"].sum())
    within = float(frame.loc[frame["high"].fillna(10**6) <= 15, "arrivals"].sum())
    over = float(frame.loc[frame["low"] > 30, "arrivals"].sum())
    summary = (
        f"Of {_number(total)} late arrivals with a recorded time, {within / total:.0%} were up to "
        f"15 minutes late and {over / total:.0%} more than 30 minutes late."
    )
    return Chart(figure, summary)


def punctuality_by_session_type(frame: pd.DataFrame) -> Chart:
    """Share of arrivals on time per session type."""
    title = "Punctuality by session type"
    x_title, y_title = "Arrivals on time (%)", "Session type"
    if _is_empty(frame, "present"):
        return _empty(title, x_title, y_title)
    shown = frame[frame["present"] > 0].iloc[::-1]
    figure = _figure()
    figure.add_trace(
        go.Bar(
            x=shown["punctuality_rate"],
            y=shown["label"],
            orientation="h",
            marker_color=BLUE,
            text=[f"{v:.0%}" for v in shown["punctuality_rate"]],
            textposition="outside",
            cliponaxis=False,
            customdata=shown[["on_time", "present"]],
            hovertemplate="%{y}: %{x:.0%} on time<br>%{customdata[0]:,} of %{customdata[1]:,} "
            "arrivals<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title)
    figure.update_xaxes(tickformat=".0%", range=[0, 1.12])
    figure.update_layout(margin={"l": 150})
    worst = _pick(shown, "punctuality_rate", largest=False)
    best = _pick(shown, "punctuality_rate", largest=True)
    summary = (
        f"Punctuality was lowest at {worst.label.lower()} sessions "
        f"({worst.punctuality_rate:.0%} on time) and highest at {best.label.lower()} sessions "
        f"({best.punctuality_rate:.0%})."
    )
    return Chart(figure, summary)


def punctuality_heatmap(frame: pd.DataFrame, min_arrivals: int = 10) -> Chart:
    """Punctuality by weekday and hour of the scheduled start."""
    title = "Punctuality by day and time"
    x_title, y_title = "Scheduled start (hour)", "Day of the week"
    if _is_empty(frame, "present"):
        return _empty(title, x_title, y_title)
    hours = list(range(int(frame["hour"].min()), int(frame["hour"].max()) + 1))
    days = sorted(int(d) for d in frame["weekday"].unique())
    rate = frame.pivot(index="weekday", columns="hour", values="punctuality_rate")
    count = frame.pivot(index="weekday", columns="hour", values="present")
    rate = rate.reindex(index=days, columns=hours)
    count = count.reindex(index=days, columns=hours).fillna(0)
    text = [
        [f"{r:.0%}" if n and not pd.isna(r) else "" for r, n in zip(rr, nn, strict=True)]
        for rr, nn in zip(rate.to_numpy(), count.to_numpy(), strict=True)
    ]
    figure = _figure(340)
    figure.add_trace(
        go.Heatmap(
            x=[f"{h:02d}:00" for h in hours],
            y=[WEEKDAYS[d - 1] for d in days],
            z=rate.to_numpy(),
            customdata=count.to_numpy(),
            text=text,
            texttemplate="%{text}",
            colorscale=SEQUENTIAL,
            zmin=0.5,
            zmax=1,
            colorbar={"title": "On time", "tickformat": ".0%"},
            hoverongaps=False,
            hovertemplate="%{y} %{x}: %{z:.0%} on time<br>%{customdata:,} arrivals<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title)
    figure.update_yaxes(autorange="reversed", showgrid=False)
    busy = frame[frame["present"] >= min_arrivals]
    if busy.empty:
        busy = frame
    worst = _pick(busy, "punctuality_rate", largest=False)
    best = _pick(busy, "punctuality_rate", largest=True)
    summary = (
        f"Arrivals were least punctual on {WEEKDAYS[int(worst.weekday) - 1]}s at "
        f"{int(worst.hour):02d}:00 ({worst.punctuality_rate:.0%} on time, "
        f"{int(worst.present)} arrivals) and most punctual on "
        f"{WEEKDAYS[int(best.weekday) - 1]}s at {int(best.hour):02d}:00 "
        f"({best.punctuality_rate:.0%})."
    )
    return Chart(figure, summary)


def cohort_comparison(frame: pd.DataFrame) -> Chart:
    """Attendance and punctuality by cohort, in order of intake."""
    title = "Cohorts compared"
    x_title, y_title = "Cohort (in order of intake)", "Rate (%)"
    if _is_empty(frame, "expected"):
        return _empty(title, x_title, y_title)
    shown = frame[frame["expected"] > 0]
    figure = _figure()
    for column, name, colour in (
        ("attendance_rate", "Attendance", BLUE),
        ("punctuality_rate", "On time", ORANGE),
    ):
        figure.add_trace(
            go.Bar(
                x=[_wrap(_plain(c), 7) for c in shown["cohort"]],
                y=shown[column],
                name=name,
                marker_color=colour,
                customdata=shown[["mentors"]],
                hovertemplate="%{x}: %{y:.0%} " + name.lower() + "<br>%{customdata[0]} "
                "mentors<extra></extra>",
            )
        )
    styled(figure, title, x_title, y_title)
    _rate_axis(figure)
    figure.update_layout(barmode="group", bargap=0.25)
    figure.update_xaxes(type="category", tickangle=0)
    known = shown.dropna(subset=["punctuality_rate"])
    worst = _pick(known, "punctuality_rate", largest=False)
    best = _pick(known, "punctuality_rate", largest=True)
    summary = (
        f"Across {len(shown)} cohorts, punctuality ranged from {worst.punctuality_rate:.0%} "
        f"({worst.cohort}) to {best.punctuality_rate:.0%} ({best.cohort}); attendance from "
        f"{shown['attendance_rate'].min():.0%} to {shown['attendance_rate'].max():.0%}."
    )
    return Chart(figure, summary)


def staff_time_lost(frame: pd.DataFrame) -> Chart:
    """Staff hours lost to late arrivals and no-shows, per member of staff."""
    title = "Staff time lost, by member of staff"
    x_title, y_title = "Hours lost", "Member of staff"
    if _is_empty(frame, "minutes_lost"):
        return _empty(title, x_title, y_title)
    shown = frame.iloc[::-1]
    figure = _figure(max(300, 26 * len(frame) + 120))
    for column, name, colour in (
        ("late_minutes", "Waiting for late arrivals", ORANGE),
        ("no_show_minutes", "No-shows", VERMILLION),
    ):
        figure.add_trace(
            go.Bar(
                x=shown[column] / 60,
                y=[_plain(v) for v in shown["staff_id"]],
                name=name,
                orientation="h",
                marker_color=colour,
                hovertemplate="%{y}: %{x:.1f} hours<extra>" + name + "</extra>",
            )
        )
    styled(figure, title, x_title, y_title)
    figure.update_layout(barmode="stack")
    figure.update_yaxes(type="category")
    total = float(frame["minutes_lost_total"].iloc[0])
    top = frame.iloc[0]
    summary = (
        f"Staff lost {_hours(total)} hours to late arrivals and no-shows at shadowing and "
        f"beneficiary meetings; the most was {top.staff_id} ({_hours(top.minutes_lost)} hours)."
    )
    staff_total = int(frame["staff_total"].iloc[0])
    if staff_total > len(frame):
        summary += f" Shown: the {len(frame)} most affected of {staff_total} staff."
    return Chart(figure, summary)


# --- Reliability -----------------------------------------------------------------------------


def reliability_by_month(frame: pd.DataFrame) -> Chart:
    """Attendance, no-show and notice rates by month."""
    title = "Attendance, no-shows and notice by month"
    x_title, y_title = "Month", "Rate (%)"
    if _is_empty(frame, "expected"):
        return _empty(title, x_title, y_title)
    figure = _figure()
    for column, name, colour, dash in (
        ("attendance_rate", "Attendance", BLUE, "solid"),
        ("notice_rate", "Absences with notice", GREEN, "dash"),
        ("no_show_rate", "No-shows", VERMILLION, "dot"),
    ):
        figure.add_trace(
            go.Scatter(
                x=frame["month"],
                y=frame[column],
                name=name,
                mode="lines+markers",
                line={"color": colour, "width": 2.5, "dash": dash},
                hovertemplate="%{x|%b %Y}: %{y:.0%}<extra>" + name + "</extra>",
            )
        )
    styled(figure, title, x_title, y_title)
    _rate_axis(figure)
    _month_axis(figure, len(frame))
    expected = frame["expected"].sum()
    no_show = frame["no_show"].sum()
    notified = frame["notified"].sum()
    summary = (
        f"Of {_number(expected)} expected attendances, {percent(_ratio(frame['present'].sum(), expected))} "
        f"were attended and {percent(_ratio(no_show, expected))} were no-shows; "
        f"{percent(_ratio(notified, notified + no_show))} of absences came with notice."
    )
    return Chart(figure, summary)


def beneficiary_meetings_by_month(frame: pd.DataFrame) -> Chart:
    """Beneficiary meetings kept on time, started late, or missed, by month."""
    title = "Beneficiary meetings: missed or late, by month"
    x_title, y_title = "Month", "Beneficiary meetings"
    if _is_empty(frame, "beneficiary_expected"):
        return _empty(title, x_title, y_title)
    on_time = (
        frame["beneficiary_expected"] - frame["beneficiary_missed"] - frame["beneficiary_late"]
    )
    figure = _figure()
    for values, name, colour in (
        (on_time, "On time", GREEN),
        (frame["beneficiary_late"], "Late", ORANGE),
        (frame["beneficiary_missed"], "Missed", VERMILLION),
    ):
        figure.add_trace(
            go.Bar(
                x=frame["month"],
                y=values,
                name=name,
                marker_color=colour,
                hovertemplate="%{x|%b %Y}: %{y:,}<extra>" + name + "</extra>",
            )
        )
    styled(figure, title, x_title, y_title)
    figure.update_layout(barmode="stack")
    _month_axis(figure, len(frame))
    expected = int(frame["beneficiary_expected"].sum())
    missed = int(frame["beneficiary_missed"].sum())
    late = int(frame["beneficiary_late"].sum())
    summary = (
        f"Of {expected:,} beneficiary meetings expected, {missed:,} "
        f"({percent(_ratio(missed, expected))}) were missed and {late:,} "
        f"({percent(_ratio(late, expected))}) started with the mentor late."
    )
    return Chart(figure, summary)


def more_rows_note(frame: pd.DataFrame, total_column: str, what: str) -> str | None:
    """'Showing 200 of 1,234 mentors…' when a limited table holds fewer rows than there are."""
    if frame.empty:
        return None
    total = int(frame[total_column].iloc[0])
    if total <= len(frame):
        return None
    return f"Showing {len(frame):,} of {total:,} {what}."


# --- Transitions -----------------------------------------------------------------------------


def transition_curve(frame: pd.DataFrame) -> Chart:
    """The Adams–Hayes–Hopson curve with current mentors placed on it as counts per stage."""
    title = "The transition curve: where mentors are now"
    x_title, y_title = "Stage of transition", "Self-esteem and competence (illustrative)"
    stages = frame[frame["stage"] > 0].sort_values("stage") if not frame.empty else frame
    figure = _figure(430)
    xs = list(range(1, 8))
    figure.add_trace(
        go.Scatter(
            x=[0.55, *xs, 7.45],
            y=[0.62, *CURVE_HEIGHTS, 0.93],
            mode="lines",
            line={"color": GREY, "width": 3, "shape": "spline", "smoothing": 1.1},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    counts = [int(n) for n in stages["mentors"]] if len(stages) == 7 else [0] * 7
    labels = list(stages["label"]) if len(stages) == 7 else [str(s) for s in xs]
    names = list(stages["name"]) if len(stages) == 7 else labels
    largest = max(counts) if any(counts) else 1
    figure.add_trace(
        go.Scatter(
            x=xs,
            y=list(CURVE_HEIGHTS),
            mode="markers+text",
            marker={
                "size": [0 if n == 0 else 16 + 44 * (n / largest) ** 0.5 for n in counts],
                "color": BLUE,
                "opacity": 0.85,
                "line": {"color": "white", "width": 2},
            },
            text=[str(n) if n else "" for n in counts],
            textposition="middle center",
            textfont={"color": "white", "size": 14},
            customdata=labels,
            hovertemplate="%{customdata}: %{text} mentors<extra></extra>",
            showlegend=False,
        )
    )
    for x, y, n in zip(xs, CURVE_HEIGHTS, counts, strict=True):
        if n == 0:
            figure.add_annotation(
                x=x, y=y, text="0", showarrow=False, font={"color": "#52606d"}, yshift=14
            )
    styled(figure, title, x_title, y_title)
    figure.update_xaxes(
        tickvals=xs,
        ticktext=[f"{x}<br>{_wrap(str(n), 12)}" for x, n in zip(xs, names, strict=True)],
        range=[0.5, 7.5],
        showline=False,
        ticks="",
    )
    figure.update_yaxes(showticklabels=False, showgrid=False, range=[0.05, 1.05])
    figure.update_layout(margin={"b": 90})
    total = sum(counts)
    not_assessed = int(frame.loc[frame["stage"] == 0, "mentors"].sum()) if not frame.empty else 0
    if total == 0:
        figure.add_annotation(
            text=NO_RECORDS, x=0.5, y=0.95, xref="paper", yref="paper", showarrow=False
        )
        return Chart(figure, f"{NO_RECORDS}: no active mentor has been assessed.")
    low = sum(counts[1:4])
    rising = sum(counts[4:])
    summary = (
        f"Of {total} assessed mentors, {counts[0]} are at stage 1, {low} in the dip "
        f"(stages 2–4) and {rising} rising through stages 5–7"
        + (f"; {not_assessed} are not yet assessed." if not_assessed else ".")
    )
    return Chart(figure, summary)


def stage_flows(frame: pd.DataFrame) -> Chart:
    """Mentors' movement between stages over the window, as a Sankey diagram."""
    title = "Moves between stages over the window"
    x_title, y_title = "Stage when the window opened → stage at its end", "Mentors"
    if _is_empty(frame, "mentors"):
        return _empty(title, x_title, y_title, height=460)
    starts = sorted({int(s) for s in frame["from_stage"]})
    ends = sorted({int(s) for s in frame["to_stage"]})
    label_of = dict(zip(frame["from_stage"], frame["from_label"], strict=False)) | dict(
        zip(frame["to_stage"], frame["to_label"], strict=False)
    )
    node_labels = [f"{label_of[s]}" for s in starts] + [f"{label_of[s]}" for s in ends]
    node_colours = [LIGHT_GREY if s == 0 else BLUE for s in starts] + [BLUE for _ in ends]
    index_start = {s: i for i, s in enumerate(starts)}
    index_end = {s: len(starts) + i for i, s in enumerate(ends)}

    def colour(a: int, b: int) -> str:
        if a == 0:
            return "rgba(86,180,233,0.45)"  # first assessment: sky blue
        if b > a:
            return "rgba(0,158,115,0.45)"  # moved up: bluish green
        if b < a:
            return "rgba(213,94,0,0.55)"  # stepped back: vermillion
        return "rgba(154,165,177,0.4)"  # same stage: grey

    pairs = list(zip(frame["from_stage"], frame["to_stage"], frame["mentors"], strict=True))
    outflow = {s: sum(int(n) for a, _, n in pairs if a == s) for s in starts}
    inflow = {s: sum(int(n) for _, b, n in pairs if b == s) for s in ends}
    figure = _figure(460)
    figure.add_trace(
        go.Sankey(
            arrangement="fixed",  # stages stay in order, top to bottom, on both sides
            node={
                "label": node_labels,
                "color": node_colours,
                "x": [0.001] * len(starts) + [0.999] * len(ends),
                "y": _stacked_centres([outflow[s] for s in starts])
                + _stacked_centres([inflow[s] for s in ends]),
                "pad": 14,
                "thickness": 16,
                "line": {"color": "white", "width": 0.5},
                "hovertemplate": "%{label}: %{value} mentors<extra></extra>",
            },
            link={
                "source": [index_start[int(a)] for a, _, _ in pairs],
                "target": [index_end[int(b)] for _, b, _ in pairs],
                "value": [int(n) for _, _, n in pairs],
                "color": [colour(int(a), int(b)) for a, b, _ in pairs],
                "hovertemplate": "%{source.label} → %{target.label}: %{value} mentors"
                "<extra></extra>",
            },
        )
    )
    styled(figure, title, x_title, y_title)
    figure.add_annotation(
        text="Start of window", x=0, y=1.06, xref="paper", yref="paper", showarrow=False
    )
    figure.add_annotation(
        text="End of window",
        x=1,
        y=1.06,
        xref="paper",
        yref="paper",
        showarrow=False,
        xanchor="right",
    )
    figure.update_layout(legend={"visible": False})
    up = sum(int(n) for a, b, n in pairs if a != 0 and b > a)
    same = sum(int(n) for a, b, n in pairs if a != 0 and b == a)
    back = sum(int(n) for a, b, n in pairs if a != 0 and b < a)
    first = sum(int(n) for a, _, n in pairs if a == 0)
    total = up + same + back + first
    summary = (
        f"Of {total} mentors assessed by the end of the window, {up} moved up the curve, "
        f"{same} stayed at the same stage, {back} ended lower and {first} had their first "
        "assessment during the window."
    )
    return Chart(figure, summary)


def _stacked_centres(values: list[int], gap: float = 0.03) -> list[float]:
    """Centres (0–1, top down) of boxes stacked in order, each as tall as its share."""
    total = sum(values) or 1
    room = 1 - gap * (len(values) - 1) - 0.02
    centres, top = [], 0.01
    for value in values:
        height = room * value / total
        centres.append(min(0.99, max(0.01, top + height / 2)))
        top += height + gap
    return centres


def stage_durations(frame: pd.DataFrame) -> Chart:
    """Median days spent at each stage (spells that ended)."""
    title = "Median time at each stage"
    x_title, y_title = "Median days at the stage", "Stage"
    if _is_empty(frame, "spells_completed"):
        return _empty(title, x_title, y_title)
    shown = frame.iloc[::-1]
    figure = _figure()
    figure.add_trace(
        go.Bar(
            x=shown["median_days"],
            y=shown["label"],
            orientation="h",
            marker_color=PURPLE,
            text=["" if pd.isna(d) else f"{d:.0f} days" for d in shown["median_days"]],
            textposition="outside",
            cliponaxis=False,
            customdata=shown[["spells_completed", "q1_days", "q3_days"]],
            hovertemplate="%{y}: median %{x:.0f} days<br>middle half %{customdata[1]:.0f}–"
            "%{customdata[2]:.0f} days<br>%{customdata[0]} spells<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title)
    figure.update_layout(margin={"l": 160, "r": 90})
    known = frame.dropna(subset=["median_days"])
    longest = _pick(known, "median_days", largest=True)
    shortest = _pick(known, "median_days", largest=False)
    summary = (
        f"Mentors stayed longest at {longest.label} (median {longest.median_days:.0f} days) and "
        f"moved on soonest from {shortest.label} ({shortest.median_days:.0f} days), over "
        f"{int(frame['spells_completed'].sum())} completed spells."
    )
    return Chart(figure, summary)


def regressions_by_month(frame: pd.DataFrame) -> Chart:
    """Steps back on the curve, by month."""
    title = "Steps back on the curve, by month"
    x_title, y_title = "Month", "Steps back (assessments)"
    if frame.empty:
        return _empty(title, x_title, y_title)
    monthly = frame.groupby("month", as_index=False).agg(regressions=("regressions", "sum"))
    figure = _figure()
    figure.add_trace(
        go.Bar(
            x=monthly["month"],
            y=monthly["regressions"],
            marker_color=VERMILLION,
            hovertemplate="%{x|%b %Y}: %{y} steps back<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title)
    _month_axis(figure, len(frame))
    figure.update_yaxes(rangemode="tozero", dtick=max(1, int(monthly["regressions"].max()) // 5))
    total = int(monthly["regressions"].sum())
    if total == 0:
        figure.add_annotation(
            text="No steps back in this window",
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            showarrow=False,
            font={"size": 15, "color": "#52606d"},
        )
        return Chart(figure, "No mentor stepped back on the curve in this window.")
    top = _pick(monthly, "regressions", largest=True)
    summary = (
        f"{total} step{'s' if total != 1 else ''} back on the curve in the window (an "
        f"assessment at a lower stage than the one before), most in {_month(top.month)} "
        f"({int(top.regressions)})."
    )
    return Chart(figure, summary)


def regressions_by_stage(frame: pd.DataFrame) -> Chart:
    """Steps back on the curve, by the stage moved back from."""
    title = "Steps back, by the stage left"
    x_title, y_title = "Steps back (assessments)", "Stage moved back from"
    found = frame.dropna(subset=["from_stage"]) if not frame.empty else frame
    if _is_empty(found, "regressions"):
        return _empty(title, x_title, y_title)
    by_stage = (
        found.groupby(["from_stage", "from_label"], as_index=False)
        .agg(regressions=("regressions", "sum"))
        .sort_values("from_stage", ascending=False)
    )
    figure = _figure()
    figure.add_trace(
        go.Bar(
            x=by_stage["regressions"],
            y=by_stage["from_label"],
            orientation="h",
            marker_color=VERMILLION,
            text=by_stage["regressions"],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="From %{y}: %{x} steps back<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title)
    figure.update_layout(margin={"l": 160})
    figure.update_xaxes(dtick=max(1, int(by_stage["regressions"].max()) // 5))
    top = _pick(by_stage, "regressions", largest=True)
    summary = (
        f"Steps back came most often from {top.from_label} ({int(top.regressions)} of "
        f"{int(by_stage['regressions'].sum())})."
    )
    return Chart(figure, summary)


def self_esteem_by_stage(frame: pd.DataFrame) -> Chart:
    """Self-esteem (Rosenberg, 0–30) by stage: quartile boxes from aggregated figures."""
    title = "Self-esteem by stage"
    x_title, y_title = "Stage", "Self-esteem (Rosenberg scale, 0–30)"
    if _is_empty(frame, "assessments"):
        return _empty(title, x_title, y_title)
    shown = frame[frame["assessments"] > 0]
    figure = _figure(400)
    figure.add_trace(
        go.Box(
            x=[_wrap(str(label), 12) for label in shown["label"]],
            q1=shown["q1"],
            median=shown["median"],
            q3=shown["q3"],
            lowerfence=shown["minimum"],
            upperfence=shown["maximum"],
            mean=shown["mean"],
            marker_color=BLUE,
            fillcolor="rgba(0,114,178,0.25)",
            line={"color": BLUE},
            name="Self-esteem",
            hoverinfo="y",
        )
    )
    styled(figure, title, x_title, y_title)
    figure.update_yaxes(range=[0, 30.5])
    figure.update_layout(showlegend=False)
    lowest = _pick(shown, "mean", largest=False)
    highest = _pick(shown, "mean", largest=True)
    summary = (
        f"Mean self-esteem was lowest at {lowest.label} ({lowest['mean']:.1f} of 30) and highest "
        f"at {highest.label} ({highest['mean']:.1f}), over "
        f"{int(shown['assessments'].sum()):,} scored assessments (boxes: quartiles; whiskers: "
        "lowest and highest)."
    )
    return Chart(figure, summary)


def cohort_progress(frame: pd.DataFrame) -> Chart:
    """Mean stage per cohort by weeks in the programme, as a heatmap."""
    title = "Cohort progress: mean stage by weeks in the programme"
    x_title, y_title = "Weeks since the mentor started", "Cohort"
    if _is_empty(frame, "mentors"):
        return _empty(title, x_title, y_title)
    cohorts = list(dict.fromkeys(frame["cohort"]))
    shown_cohorts = [_plain(c) for c in cohorts]
    buckets = frame[["weeks_from", "weeks_to", "label"]].drop_duplicates().sort_values("weeks_from")
    stage = frame.pivot(index="cohort", columns="weeks_from", values="mean_stage")
    people = frame.pivot(index="cohort", columns="weeks_from", values="mentors")
    stage = stage.reindex(index=cohorts, columns=list(buckets["weeks_from"]))
    people = people.reindex(index=cohorts, columns=list(buckets["weeks_from"]))
    figure = _figure(max(320, 30 * len(cohorts) + 140))
    figure.add_trace(
        go.Heatmap(
            x=_group_starts(buckets),
            y=shown_cohorts,
            z=stage.to_numpy(),
            customdata=people.to_numpy(),
            texttemplate="%{z:.1f}",
            colorscale=SEQUENTIAL,
            zmin=1,
            zmax=7,
            colorbar={"title": "Mean stage", "tickvals": list(range(1, 8))},
            hoverongaps=False,
            hovertemplate="%{y}, from week %{x}: mean stage %{z:.1f}<br>%{customdata} mentors"
            "<extra></extra>",
        )
    )
    styled(figure, title, f"{x_title} (start of each group)", y_title)
    figure.update_yaxes(autorange="reversed", type="category", showgrid=False)
    figure.update_xaxes(type="category", tickangle=0)
    weighted = (
        frame.assign(weight=frame["mean_stage"] * frame["mentors"])
        .groupby("weeks_from")[["weight", "mentors"]]
        .sum()
    )
    weighted["mean"] = weighted["weight"] / weighted["mentors"]
    # Compare the first bucket with the last one that still holds a few mentors.
    labels = dict(zip(buckets["weeks_from"], buckets["label"], strict=True))
    enough = weighted[weighted["mentors"] >= 5]
    ends = enough if len(enough) >= 2 else weighted
    first_label, last_label = labels[ends.index[0]], labels[ends.index[-1]]
    first, last = float(ends["mean"].iloc[0]), float(ends["mean"].iloc[-1])
    summary = (
        f"Across {len(cohorts)} cohorts, the mean stage {_trend_words(first / 10, last / 10)} "
        f"{first:.1f} in weeks {first_label} to {last:.1f} at {last_label} weeks."
    )
    return Chart(figure, summary)


# --- Shadowing and milestones ----------------------------------------------------------------

PROGRESS_COLOURS = {"complete": GREEN, "in_progress": BLUE, "not_started": LIGHT_GREY}
PROGRESS_NAMES = {
    "complete": "Complete",
    "in_progress": "In progress",
    "not_started": "Not started",
}


def shadowing_progress(frame: pd.DataFrame) -> Chart:
    """Each mentor's credited shadowing hours against the target (limited, sorted)."""
    title = "Shadowing: hours towards the target"
    x_title, y_title = "Credited shadowing hours", "Mentor"
    if frame.empty:
        return _empty(title, x_title, y_title)
    target = float(frame["target_hours"].iloc[0])
    shown = frame.iloc[::-1]
    figure = _figure(max(320, 22 * len(frame) + 130))
    for progress, colour in PROGRESS_COLOURS.items():
        part = shown[shown["progress"] == progress]
        if part.empty:
            continue
        figure.add_trace(
            go.Bar(
                x=part["credited_hours"].clip(lower=0.05),
                y=[_plain(v) for v in part["mentor_id"]],
                name=PROGRESS_NAMES[progress],
                orientation="h",
                marker_color=colour,
                customdata=[
                    [_plain(c), _plain(st)]
                    for c, st in zip(part["cohort"], part["status"], strict=True)
                ],
                hovertemplate="%{y} (%{customdata[0]}, %{customdata[1]}): %{x:.1f} hours"
                "<extra></extra>",
            )
        )
    figure.add_vline(
        x=target,
        line={"color": BLACK, "dash": "dash", "width": 1.5},
        annotation_text=f"Target {target:g} hours",
        annotation_position="top right",
    )
    styled(figure, title, x_title, y_title)
    figure.update_yaxes(
        type="category",
        categoryorder="array",
        categoryarray=[_plain(v) for v in shown["mentor_id"]],
    )
    figure.update_layout(
        barmode="overlay",
        legend={"y": -0.06, "yanchor": "top", "x": 0, "xanchor": "left"},
        margin={"b": 110},
    )
    row = frame.iloc[0]
    total = int(row.mentors_total)
    summary = (
        f"Of {total} mentors, {int(row.mentors_complete)} have completed {target:g} hours of "
        f"shadowing, {int(row.mentors_in_progress)} are in progress and "
        f"{int(row.mentors_not_started)} have not started"
    )
    if total > len(frame):
        summary += f"; the chart shows {len(frame)} of them"
    return Chart(figure, summary + ".")


def completion_times(frame: pd.DataFrame) -> Chart:
    """Weeks from start date to completing the shadowing target (histogram)."""
    title = "Time to complete shadowing"
    x_title, y_title = "Weeks from start to completion", "Mentors"
    if _is_empty(frame, "mentors"):
        return _empty(title, x_title, y_title)
    figure = _figure()
    figure.add_trace(
        go.Bar(
            x=_group_starts(frame),
            y=frame["mentors"],
            marker_color=GREEN,
            text=frame["mentors"],
            textposition="outside",
            cliponaxis=False,
            customdata=frame[["label"]],
            hovertemplate="%{customdata[0]}: %{y} mentors<extra></extra>",
        )
    )
    styled(figure, title, f"{x_title} (start of each group)", y_title)
    figure.update_xaxes(type="category", tickangle=0)
    total = int(frame["mentors"].sum())
    median = float(frame["median_days"].iloc[0])
    summary = (
        f"{total} mentor{'s' if total != 1 else ''} completed shadowing, taking a median of "
        f"{median:.0f} days (about {median / 7:.0f} weeks) from their start date."
    )
    return Chart(figure, summary)


def milestone_funnel(frame: pd.DataFrame) -> Chart:
    """Distinct mentors reaching each step from joining to an outcome (funnel)."""
    title = "From training to work: mentors reaching each milestone"
    x_title, y_title = "Mentors", "Milestone"
    path = frame[frame["kind"] == "path"] if not frame.empty else frame
    if _is_empty(path, "mentors"):
        return _empty(title, x_title, y_title)
    figure = _figure(360)
    figure.add_trace(
        go.Funnel(
            y=list(path["label"]),
            x=list(path["mentors"]),
            textinfo="value+percent initial",
            marker={"color": [BLUE, SKY, GREEN, ORANGE, PURPLE][: len(path)]},
            connector={"fillcolor": "#eef2f6"},
            hovertemplate="%{y}: %{x} mentors (%{percentInitial:.0%})<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title)
    figure.update_layout(margin={"l": 230})
    counts = dict(zip(path["step"], path["mentors"], strict=True))
    joined = int(counts.get("joined", 0))
    summary = (
        f"Of {joined} mentors, {int(counts.get('training_completed', 0))} completed training, "
        f"{int(counts.get('shadowing_completed', 0))} completed shadowing, "
        f"{int(counts.get('first_mentoring_session', 0))} had a first mentoring session and "
        f"{int(counts.get('any_outcome', 0))} went on to a qualification, volunteering, "
        "education or paid work."
    )
    return Chart(figure, summary)


def milestone_outcomes(frame: pd.DataFrame) -> Chart:
    """Mentors reaching each outcome: qualification, volunteering, education, paid work."""
    title = "Outcomes reached"
    x_title, y_title = "Mentors", "Outcome"
    outcomes = frame[frame["kind"] == "outcome"] if not frame.empty else frame
    if _is_empty(outcomes, "mentors"):
        return _empty(title, x_title, y_title, height=300)
    shown = outcomes.iloc[::-1]
    figure = _figure(300)
    figure.add_trace(
        go.Bar(
            x=shown["mentors"],
            y=shown["label"],
            orientation="h",
            marker_color=PURPLE,
            text=shown["mentors"],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x} mentors<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title)
    figure.update_layout(margin={"l": 180})
    parts = [f"{int(r['mentors'])} {str(r['label']).lower()}" for r in _rows(outcomes)]
    return Chart(figure, "Mentors reaching each outcome: " + ", ".join(parts) + ".")


# --- Mentor journey --------------------------------------------------------------------------

ATTENDANCE_SYMBOLS = {
    "attended": "circle",
    "late": "diamond",
    "notified_absence": "square-open",
    "no_show": "x",
    "cancelled_by_programme": "circle-open",
}


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


def mentor_timeline(frame: pd.DataFrame) -> Chart:
    """One mentor's sessions in the window, by type, coloured by attendance."""
    title = "Sessions in the window"
    x_title, y_title = "Date", "Session type"
    if frame.empty:
        return _empty(title, x_title, y_title, height=320)
    figure = _figure(320)
    for code, colour in ATTENDANCE_COLOURS.items():
        part = frame[frame["attendance"] == code]
        if part.empty:
            continue
        figure.add_trace(
            go.Scatter(
                x=part["scheduled_start"],
                y=part["type_label"],
                name=str(part["attendance_label"].iloc[0]),
                mode="markers",
                marker={
                    "color": colour,
                    "size": 11,
                    "symbol": ATTENDANCE_SYMBOLS[code],
                    "line": {"width": 1.5, "color": colour},
                },
                hovertemplate="%{x|%-d %b %Y %H:%M}: %{y}<extra>"
                + str(part["attendance_label"].iloc[0])
                + "</extra>",
            )
        )
    styled(figure, title, x_title, y_title)
    figure.update_yaxes(type="category", showgrid=True)
    counts = frame["attendance"].value_counts()
    words = [
        f"{int(counts[c])} {label.lower()}"
        for c, label in (
            ("attended", "attended on time or early"),
            ("late", "late"),
            ("notified_absence", "absent with notice"),
            ("no_show", "no-show"),
            ("cancelled_by_programme", "cancelled by the programme"),
        )
        if c in counts
    ]
    summary = f"{len(frame)} sessions in the window: " + ", ".join(words) + "."
    return Chart(figure, summary)


def mentor_lateness(frame: pd.DataFrame, grace_minutes: int) -> Chart:
    """One mentor's minutes late at each session attended, with the grace period marked."""
    title = "Lateness over time"
    x_title, y_title = "Date", "Minutes late"
    timed = frame[frame["minutes_late"].notna()] if not frame.empty else frame
    if timed.empty:
        return _empty(title, x_title, y_title, height=300)
    figure = _figure(300)
    for is_late, name, colour, symbol in (
        (False, "On time", BLUE, "circle"),
        (True, "Late", ORANGE, "diamond"),
    ):
        part = timed[timed["late"] == is_late]
        if part.empty:
            continue
        figure.add_trace(
            go.Scatter(
                x=part["scheduled_start"],
                y=part["minutes_late"],
                name=name,
                mode="markers",
                marker={"color": colour, "size": 10, "symbol": symbol},
                customdata=part[["type_label"]],
                hovertemplate="%{x|%-d %b %Y}: %{y} minutes late<br>%{customdata[0]}"
                "<extra></extra>",
            )
        )
    figure.add_hline(
        y=grace_minutes,
        line={"color": BLACK, "dash": "dash", "width": 1},
        annotation_text=f"Grace {grace_minutes} min",
        annotation_position="top left",
    )
    styled(figure, title, x_title, y_title)
    top = max(grace_minutes * 2, float(timed["minutes_late"].max()) * 1.15, 10)
    figure.update_yaxes(range=[-1, top])
    late = timed[timed["late"]]
    summary = f"Late to {len(late)} of {len(timed)} sessions with an arrival time recorded"
    if len(late):
        summary += (
            f", by {late['minutes_late'].mean():.0f} minutes on average; the latest was "
            f"{_day(late['scheduled_start'].iloc[-1])}"
        )
    return Chart(figure, summary + ".")


def mentor_stage_path(frame: pd.DataFrame, stage_labels: tuple[str, ...]) -> Chart:
    """One mentor's stage over time (steps) with self-esteem on a second axis."""
    title = "Stage path and self-esteem"
    x_title, y_title = "Date of assessment", "Stage"
    if frame.empty:
        return _empty(title, x_title, y_title, height=340)
    figure = _figure(340)
    figure.add_trace(
        go.Scatter(
            x=frame["assessed_on"],
            y=frame["stage"],
            name="Stage",
            mode="lines+markers",
            line={"color": BLUE, "width": 3, "shape": "hv"},
            marker={"size": 9},
            customdata=frame[["label"]],
            hovertemplate="%{x|%-d %b %Y}: %{customdata[0]}<extra></extra>",
        )
    )
    scored = frame.dropna(subset=["self_esteem"])
    figure.add_trace(
        go.Scatter(
            x=scored["assessed_on"],
            y=scored["self_esteem"],
            name="Self-esteem (0–30)",
            mode="lines+markers",
            line={"color": ORANGE, "width": 2, "dash": "dot"},
            marker={"symbol": "diamond", "size": 8},
            yaxis="y2",
            hovertemplate="%{x|%-d %b %Y}: self-esteem %{y}<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title)
    figure.update_yaxes(
        tickvals=list(range(1, 8)),
        ticktext=[f"{i} {name}" for i, name in enumerate(stage_labels, start=1)],
        range=[0.5, 7.5],
    )
    figure.update_layout(
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "title": "Self-esteem (0–30)",
            "range": [0, 30.5],
            "tickmode": "linear",
            "tick0": 0,
            "dtick": 5,
            "showgrid": False,
        },
        margin={"l": 170, "r": 70},
    )
    first, last = frame.iloc[0], frame.iloc[-1]
    back = int((frame["stage"] < frame["previous_stage"]).fillna(False).sum())
    if len(frame) == 1:
        esteem = "" if _missing(first.self_esteem) else f" (self-esteem {int(first.self_esteem)})"
        return Chart(figure, f"Assessed once, on {_day(first.assessed_on)}: {first.label}{esteem}.")
    summary = (
        f"Assessed {len(frame)} times: from {first.label} on {_day(first.assessed_on)} to "
        f"{last.label} on {_day(last.assessed_on)}, with {back} step{'s' if back != 1 else ''} "
        "back"
    )
    if len(scored) >= 2:
        summary += (
            f"; self-esteem went from {int(scored['self_esteem'].iloc[0])} to "
            f"{int(scored['self_esteem'].iloc[-1])} of 30"
        )
    return Chart(figure, summary + ".")


def mentor_shadowing(frame: pd.DataFrame, target_hours: float) -> Chart:
    """One mentor's running total of credited shadowing hours, with the target line."""
    title = "Shadowing hours, running total"
    x_title, y_title = "Date", "Credited hours"
    if frame.empty:
        return _empty(title, x_title, y_title, height=300)
    figure = _figure(300)
    figure.add_trace(
        go.Scatter(
            x=frame["day"],
            y=frame["running_hours"],
            mode="lines+markers",
            line={"color": GREEN, "width": 3, "shape": "hv"},
            name="Credited hours",
            hovertemplate="%{x|%-d %b %Y}: %{y:.1f} hours<extra></extra>",
        )
    )
    figure.add_hline(
        y=target_hours,
        line={"color": BLACK, "dash": "dash", "width": 1.5},
        annotation_text=f"Target {target_hours:g} hours",
        annotation_position="top left",
    )
    styled(figure, title, x_title, y_title)
    figure.update_yaxes(
        rangemode="tozero", range=[0, max(target_hours, frame["running_hours"].max()) * 1.15]
    )
    total = float(frame["running_hours"].iloc[-1])
    reached = frame[frame["running_hours"] >= target_hours]
    summary = f"{total:.1f} of {target_hours:g} hours credited over {len(frame)} sessions"
    if len(reached):
        summary += f"; the target was reached on {_day(reached['day'].iloc[0])}"
    return Chart(figure, summary + ".")
