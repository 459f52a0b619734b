"""Reliability charts."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.charts.base import (
    BLUE,
    GREEN,
    ORANGE,
    VERMILLION,
    Chart,
    _empty,
    _figure,
    _in_window,
    _is_empty,
    _month_axis,
    _rate_axis,
    _ratio,
    styled,
)
from analysis.charts.text import _number, percent


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
    styled(figure, title, x_title, y_title, yaxis=_rate_axis(), xaxis=_month_axis(len(frame)))
    expected = _in_window(frame, "expected_attendances") or 0
    summary = (
        f"Of {_number(expected)} expected attendances, "
        f"{percent(_in_window(frame, 'attendance_rate'))} were attended and "
        f"{percent(_in_window(frame, 'no_show_rate'))} were no-shows; "
        f"{percent(_in_window(frame, 'notice_rate'))} of absences came with notice."
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
    styled(figure, title, x_title, y_title, barmode="stack", xaxis=_month_axis(len(frame)))
    expected = int(frame["beneficiary_expected"].sum())
    missed = int(frame["beneficiary_missed"].sum())
    late = int(frame["beneficiary_late"].sum())
    summary = (
        f"Of {expected:,} beneficiary meetings expected, {missed:,} "
        f"({percent(_ratio(missed, expected))}) were missed and {late:,} "
        f"({percent(_ratio(late, expected))}) started with the mentor late."
    )
    return Chart(figure, summary)
