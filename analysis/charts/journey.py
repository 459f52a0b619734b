"""Mentor journey charts."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.charts.base import (
    ATTENDANCE_COLOURS,
    BLACK,
    BLUE,
    GREEN,
    ORANGE,
    Chart,
    _empty,
    _figure,
    _missing,
    styled,
)
from analysis.charts.text import _day

ATTENDANCE_SYMBOLS = {
    "attended": "circle",
    "late": "diamond",
    "notified_absence": "square-open",
    "no_show": "x",
    "cancelled_by_programme": "circle-open",
}


def mentor_timeline(frame: pd.DataFrame) -> Chart:
    """One mentor's sessions in the window, by type, coloured by attendance."""
    title = "Sessions in the window"
    x_title, y_title = "Date", "Session type"
    if frame.empty:
        return _empty(title, x_title, y_title, height=320)
    figure = _figure(320)
    # Late by the one rule of METRICS.md (the recorded time against the grace period; the mark
    # only when there is no time), as the cards count it: never the mark alone.
    if "late" in frame.columns:
        frame = frame.copy()
        present = frame["attendance"].isin(["attended", "late"])
        late = frame["late"].astype("boolean").fillna(False).astype(bool)
        frame.loc[present & late, "attendance"] = "late"
        frame.loc[present & ~late, "attendance"] = "attended"
        frame.loc[present & late, "attendance_label"] = "Late"
        frame.loc[present & ~late, "attendance_label"] = "Attended"
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
    styled(figure, title, x_title, y_title, yaxis={"type": "category", "showgrid": True})
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
    top = max(grace_minutes * 2, float(timed["minutes_late"].max()) * 1.15, 10)
    styled(figure, title, x_title, y_title, yaxis={"range": [-1, top]})
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
    styled(
        figure,
        title,
        x_title,
        y_title,
        yaxis={
            "tickvals": list(range(1, 8)),
            "ticktext": [f"{i} {name}" for i, name in enumerate(stage_labels, start=1)],
            "range": [0.5, 7.5],
        },
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "title": {"text": "Self-esteem (0–30)"},
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
    styled(
        figure,
        title,
        x_title,
        y_title,
        yaxis={
            "rangemode": "tozero",
            "range": [0, max(target_hours, frame["running_hours"].max()) * 1.15],
        },
    )
    total = float(frame["running_hours"].iloc[-1])
    reached = frame[frame["running_hours"] >= target_hours]
    summary = f"{total:.1f} of {target_hours:g} hours credited over {len(frame)} sessions"
    if len(reached):
        summary += f"; the target was reached on {_day(reached['day'].iloc[0])}"
    return Chart(figure, summary + ".")
