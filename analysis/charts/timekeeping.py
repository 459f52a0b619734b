"""Timekeeping charts."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.charts.base import (
    BLUE,
    ORANGE,
    SEQUENTIAL,
    VERMILLION,
    WEEKDAYS,
    Chart,
    _empty,
    _figure,
    _group_starts,
    _in_window,
    _is_empty,
    _month_axis,
    _pick,
    _rate_axis,
    styled,
)
from analysis.charts.text import _hours, _month, _number, _plain, _trend_words, percent


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
    styled(
        figure,
        title,
        x_title,
        y_title,
        yaxis=_rate_axis(),
        xaxis=_month_axis(len(frame)),
        showlegend=False,
    )
    known = frame.dropna(subset=["punctuality_rate"])
    overall = _in_window(frame, "punctuality_rate")
    arrivals = _in_window(frame, "present") or 0
    summary = f"{percent(overall)} of {_number(arrivals)} arrivals were on time"
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
    styled(
        figure,
        title,
        f"{x_title} (start of each group)",
        y_title,
        yaxis=_rate_axis(),
        xaxis={"type": "category", "tickangle": 0},
    )
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
    styled(figure, title, x_title, y_title, xaxis={"type": "category"})
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
    styled(
        figure,
        title,
        x_title,
        y_title,
        xaxis={"tickformat": ".0%", "range": [0, 1.12]},
        margin={"l": 150},
    )
    worst = _pick(shown, "punctuality_rate", largest=False)
    best = _pick(shown, "punctuality_rate", largest=True)
    if f"{worst.punctuality_rate:.0%}" == f"{best.punctuality_rate:.0%}":
        summary = (
            f"Punctuality was {worst.punctuality_rate:.0%} on time at every session type shown."
            if len(shown) > 1
            else f"Punctuality at {worst.label.lower()} sessions was "
            f"{worst.punctuality_rate:.0%} on time."
        )
    else:
        summary = (
            f"Punctuality was lowest at {worst.label.lower()} sessions "
            f"({worst.punctuality_rate:.0%} on time) and highest at {best.label.lower()} "
            f"sessions ({best.punctuality_rate:.0%})."
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
    styled(figure, title, x_title, y_title, yaxis={"autorange": "reversed", "showgrid": False})
    # The caption names the cells the chart draws lowest and highest (every cell with an
    # arrival), never a cell chosen by another rule; each with its number of arrivals.
    del min_arrivals
    drawn = frame[(frame["present"] > 0) & frame["punctuality_rate"].notna()]
    worst = _pick(drawn, "punctuality_rate", largest=False)
    best = _pick(drawn, "punctuality_rate", largest=True)
    summary = (
        f"Arrivals were least punctual on {WEEKDAYS[int(worst.weekday) - 1]}s at "
        f"{int(worst.hour):02d}:00 ({worst.punctuality_rate:.0%} on time, "
        f"{int(worst.present)} arrivals) and most punctual on "
        f"{WEEKDAYS[int(best.weekday) - 1]}s at {int(best.hour):02d}:00 "
        f"({best.punctuality_rate:.0%}, {int(best.present)} arrivals)."
    )
    return Chart(figure, summary)


def cohort_comparison(frame: pd.DataFrame) -> Chart:
    """Attendance and punctuality by cohort, in order of intake."""
    title = "Cohorts compared"
    # Cohorts down the side, in order of intake: however many there are, each label is read
    # whole on its own line (side by side along the bottom, a dozen overlapped).
    x_title, y_title = "Rate (%)", "Cohort (in order of intake)"
    if _is_empty(frame, "expected"):
        return _empty(title, x_title, y_title)
    shown = frame[frame["expected"] > 0]
    figure = _figure(max(320, 46 * len(shown) + 150))
    cohorts = [_plain(c) for c in shown["cohort"]]
    for column, name, colour in (
        ("attendance_rate", "Attendance", BLUE),
        ("punctuality_rate", "On time", ORANGE),
    ):
        figure.add_trace(
            go.Bar(
                y=cohorts,
                x=shown[column],
                name=name,
                orientation="h",
                marker_color=colour,
                customdata=shown[["mentors"]],
                hovertemplate="%{y}: %{x:.0%} " + name.lower() + "<br>%{customdata[0]} "
                "mentors<extra></extra>",
            )
        )
    styled(
        figure,
        title,
        x_title,
        y_title,
        xaxis=_rate_axis(),
        barmode="group",
        bargap=0.25,
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": cohorts,
            "autorange": "reversed",
            "automargin": True,
        },
        legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0, "xanchor": "left"},
    )
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
    styled(figure, title, x_title, y_title, barmode="stack", yaxis={"type": "category"})
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
