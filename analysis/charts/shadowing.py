"""Shadowing and milestones charts."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.charts.base import (
    BLACK,
    BLUE,
    GREEN,
    LIGHT_GREY,
    ORANGE,
    PURPLE,
    SKY,
    Chart,
    _empty,
    _figure,
    _group_starts,
    _is_empty,
    _rows,
    styled,
)
from analysis.charts.text import _plain

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
    styled(
        figure,
        title,
        x_title,
        y_title,
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [_plain(v) for v in shown["mentor_id"]],
        },
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
    styled(
        figure,
        title,
        f"{x_title} (start of each group)",
        y_title,
        xaxis={"type": "category", "tickangle": 0},
    )
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
    styled(figure, title, x_title, y_title, margin={"l": 230})
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
    styled(figure, title, x_title, y_title, margin={"l": 180})
    parts = [f"{int(r['mentors'])} {str(r['label']).lower()}" for r in _rows(outcomes)]
    return Chart(figure, "Mentors reaching each outcome: " + ", ".join(parts) + ".")
