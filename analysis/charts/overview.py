"""Overview charts."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.charts.base import (
    BLUE,
    LIGHT_GREY,
    ORANGE,
    VERMILLION,
    Chart,
    _empty,
    _figure,
    _in_window,
    _is_empty,
    _month_axis,
    _pick,
    _rate_axis,
    _rows,
    styled,
)
from analysis.charts.text import _month, _trend_words, percent


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
    styled(figure, title, x_title, y_title, yaxis=_rate_axis(), xaxis=_month_axis(len(frame)))
    attendance = _in_window(frame, "attendance_rate")
    punctuality = _in_window(frame, "punctuality_rate")
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
    styled(figure, title, y_title, x_title, margin={"l": 160}, yaxis={"type": "category"})
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
    styled(
        figure,
        title,
        x_title,
        y_title,
        margin={"l": 190},
        xaxis={"rangemode": "tozero", "dtick": max(1, int(frame["value"].max()) // 5 or 1)},
    )
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
