"""A bullet chart per target: the actual so far as a bar, the run rate to the period's end as a
dashed line ending in a diamond, and the target as a black rule. The status is in the title in
words and a symbol as well as in the bar's colour (colour is never the only signal).
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go

from analysis import charts, targets
from analysis.targets import Evaluation

STATUS_COLOURS: dict[str, str] = {
    "met": charts.GREEN,
    "on_track": charts.GREEN,
    "at_risk": charts.ORANGE,
    "off_track": charts.VERMILLION,
    "missed": charts.VERMILLION,
    "not_started": charts.GREY,
    "no_data": charts.GREY,
}


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _axis_value(figure: str, value: float) -> float:
    """Rates are drawn in percent, everything else as it is."""
    return value * 100 if targets.TARGET_FIGURE_KINDS.get(figure) == "rate" else value


def summary(evaluation: Evaluation, k: int, hidden: bool = False) -> str:
    """One plain sentence: where the target stands, in numbers."""
    t = evaluation.target
    name = f"{targets.label(t)} ({targets.who(t)})"
    goal = (
        f"a target of {targets.value_text(t.figure, t.target)} "
        f"{'at most ' if t.figure in targets.LOWER_IS_BETTER else ''}"
        f"for {long_date(t.period_start)} to {long_date(t.period_end)}"
    ).replace(" at most for", " (at most) for")
    if evaluation.status == "not_started":
        return f"{name}: {goal}; the period has not started yet."
    if hidden:
        return f"{name}: {goal}; progress not shown: fewer than {k} people."
    if evaluation.actual is None:
        return f"{name}: {goal}; no records to measure it yet."
    so_far = targets.value_text(t.figure, evaluation.actual)
    status = targets.STATUS_WORDS[evaluation.status].lower()
    if evaluation.on >= t.period_end:
        return f"{name}: {so_far} against {goal}: {status}."
    sentence = f"{name}: {so_far} so far against {goal}"
    if t.kind == "flow":
        projected = targets.value_text(t.figure, evaluation.projected)
        sentence += f"; at this rate {projected} by the end"
    return f"{sentence}: {status}."


def progress(evaluation: Evaluation, k: int = 5, hidden: bool = False) -> charts.Chart:
    """The bullet chart of one target (`hidden`: the funder may not see its progress)."""
    t = evaluation.target
    status = evaluation.status if not hidden else "no_data"
    unit = "%" if t.kind == "rate" else ""
    target_x = _axis_value(t.figure, t.target)
    figure = go.Figure()
    highest = target_x
    row = [0.0]
    if evaluation.actual is not None and not hidden:
        actual_x = _axis_value(t.figure, evaluation.actual)
        highest = max(highest, actual_x)
        figure.add_trace(
            go.Bar(
                x=[actual_x],
                y=row,
                orientation="h",
                name="So far",
                marker={"color": STATUS_COLOURS[status]},
                width=0.5,
                hovertemplate=f"So far: {targets.value_text(t.figure, evaluation.actual)}"
                "<extra></extra>",
            )
        )
        if t.kind == "flow" and evaluation.projected is not None and evaluation.on < t.period_end:
            projected_x = _axis_value(t.figure, evaluation.projected)
            highest = max(highest, projected_x)
            figure.add_trace(
                go.Scatter(
                    x=[actual_x, projected_x],
                    y=row * 2,
                    mode="lines+markers",
                    name=f"At this rate, by {long_date(t.period_end)}",
                    line={"color": charts.BLACK, "dash": "dash", "width": 2},
                    marker={"symbol": ["line-ns", "diamond"], "size": [1, 12]},
                    hovertemplate="At this rate by the period's end: "
                    f"{targets.value_text(t.figure, evaluation.projected)}<extra></extra>",
                )
            )
    figure.add_trace(
        go.Scatter(
            x=[target_x, target_x],
            y=[-0.45, 0.45],
            mode="lines",
            name=f"Target: {targets.value_text(t.figure, t.target)}",
            line={"color": charts.BLACK, "width": 4},
            hovertemplate=f"Target: {targets.value_text(t.figure, t.target)}<extra></extra>",
        )
    )
    symbol = targets.STATUS_SYMBOLS[evaluation.status] if not hidden else "–"
    words = targets.STATUS_WORDS[evaluation.status] if not hidden else "Not shown"
    title = charts.impact_label(f"{symbol} {words}: {targets.label(t)} ({targets.who(t)})")
    top = 100.0 if t.kind == "rate" else max(highest * 1.1, 1.0)
    charts.styled(
        figure,
        title,
        f"{targets.FIGURE_LABELS.get(t.figure, t.figure)}{' (%)' if unit else ''}",
        "",
        height=190,
        margin={"l": 20, "r": 20, "t": 70, "b": 45},
        showlegend=True,
        bargap=0.5,
        xaxis={"range": [0, top], "rangemode": "tozero", "showgrid": True, "gridcolor": "#e4e7eb"},
        yaxis={"showticklabels": False, "range": [-0.6, 0.6]},
    )
    return charts.Chart(figure, summary(evaluation, k, hidden))
