"""Charts of behaviour, the third learned skill, and of the three skills together.

Pure functions from `analysis.conduct`'s figures and frames to Plotly figures in the house style
of `analysis.charts`, each with one plain sentence in numbers. The three-skills chart is drawn
for managers and (suppressed) for funders from the same function.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from analysis import charts, conduct, figures, privacy
from analysis.charts import BLUE, GREEN, ORANGE, VERMILLION, Chart, styled

CATEGORY_LABELS = {
    "boundaries": "Boundaries",
    "confidentiality": "Confidentiality",
    "communication": "Communication",
    "conduct": "Conduct (language, attitude)",
    "presentation": "Presentation",
    "teamwork": "Teamwork",
    "safeguarding": "Safeguarding",
    "other": "Other",
}
SKILLS = (
    ("late_rate", "Late (per 100 attendances)", ORANGE, 100.0),
    ("no_show_rate", "No-show (per 100 expected)", VERMILLION, 100.0),
    ("concern_rate", "Concerns (per 100 attendances)", BLUE, 1.0),
)


CARD_KEYS = (
    "conduct.concerns",
    "conduct.strengths",
    "conduct.mentors_with_concern",
    "conduct.concern_rate",
    "conduct.high_severity",
    "conduct.open",
    "conduct.median_days_to_resolve",
)


def cards(values: dict[str, Any]) -> list[charts.Card]:
    """The Behaviour page's cards (managers): each figure's registry label and summary."""
    out = []
    for key in CARD_KEYS:
        figure = figures.get(key)
        value = values["conduct"][key.split(".", 1)[1]]
        if value is None:
            text = "–"
        elif figure.fmt == "per100":
            text = f"{value:.1f}"
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = f"{value:,}"
        out.append(charts.Card(figure.label, text, None, "off", figure.summary))
    return out


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def by_month(frame: pd.DataFrame) -> Chart:
    """Concerns and strengths observed each month."""
    title = "Concerns and strengths observed, by month"
    x_title, y_title = "Month", "Observations"
    if frame.empty:
        return charts._empty(title, x_title, y_title)
    months = [m.isoformat() for m in pd.to_datetime(frame["month"]).dt.date]
    figure = go.Figure()
    for column, name, colour in (
        ("concerns", "Concerns", VERMILLION),
        ("strengths", "Strengths", GREEN),
    ):
        figure.add_trace(
            go.Bar(
                x=months,
                y=[int(v) for v in frame[column]],
                name=name,
                marker_color=colour,
                hovertemplate=f"%{{x|%b %Y}}: %{{y:,}} {name.lower()}<extra></extra>",
            )
        )
    styled(figure, title, x_title, y_title, barmode="group")
    busiest = frame.iloc[int(frame["concerns"].to_numpy().argmax())]
    summary = (
        f"{int(frame['concerns'].sum()):,} concerns and {int(frame['strengths'].sum()):,} "
        f"strengths were observed over {_plural(len(frame), 'month', 'months')}; the most "
        f"concerns in one month was {int(busiest['concerns']):,} "
        f"({pd.Timestamp(busiest['month']):%B %Y})."
    )
    return Chart(figure, summary)


def by_category(frame: pd.DataFrame) -> Chart:
    """Concerns and strengths in each category."""
    title = "Concerns and strengths, by category"
    x_title, y_title = "Observations", ""
    labels = [CATEGORY_LABELS[c] for c in frame["category"]]
    figure = go.Figure()
    for column, name, colour in (
        ("concerns", "Concerns", VERMILLION),
        ("strengths", "Strengths", GREEN),
    ):
        figure.add_trace(
            go.Bar(
                x=[int(v) for v in frame[column]],
                y=labels,
                name=name,
                orientation="h",
                marker_color=colour,
                hovertemplate=f"%{{y}}: %{{x:,}} {name.lower()}<extra></extra>",
            )
        )
    styled(
        figure,
        title,
        x_title,
        y_title,
        barmode="group",
        height=440,
        margin={"l": 190},
        yaxis={"autorange": "reversed"},
    )
    if int(frame["concerns"].sum()) == 0:
        summary = "No concerns were observed in the window."
    else:
        top = frame.iloc[int(frame["concerns"].to_numpy().argmax())]
        summary = (
            f"Most concerns were about {CATEGORY_LABELS[str(top['category'])].lower()} "
            f"({int(top['concerns']):,} of {int(frame['concerns'].sum()):,}); "
            f"{int(frame['strengths'].sum()):,} strengths were recorded."
        )
    return Chart(figure, summary)


def _point_label(point: dict[str, Any], hidden: list[str]) -> str:
    """A bucket as the axis names it, with the attendances behind its points."""
    weeks = conduct.weeks_label(point["bucket"])
    if f"skills_curve.{point['bucket']}.present" in hidden or point["present"] is None:
        return f"{weeks}<br>(attendances not shown)"
    return f"{weeks}<br>({_plural(point['present'], 'attendance', 'attendances')})"


def concern_rate_by_weeks(curve: list[dict[str, Any]]) -> Chart:
    """Concerns per 100 attendances by 4-week bucket of weeks in the programme."""
    title = "Concerns per 100 attendances, by weeks in the programme"
    x_title, y_title = "Weeks in the programme", "Concerns per 100 attendances"
    points = [p for p in curve if p["concern_rate"] is not None]
    if not points:
        return charts._empty(title, x_title, y_title)
    figure = go.Figure(
        go.Bar(
            x=[_point_label(p, []) for p in points],
            y=[round(p["concern_rate"], 2) for p in points],
            marker_color=BLUE,
            hovertemplate="%{x}: %{y} per 100<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title, showlegend=False)
    first, last = points[0], points[-1]
    summary = (
        f"{first['concern_rate']:.1f} concerns per 100 attendances in "
        f"{conduct.weeks_label(first['bucket'])}, {last['concern_rate']:.1f} in "
        f"{conduct.weeks_label(last['bucket'])}."
    )
    return Chart(figure, summary)


def resolve_times(frame: pd.DataFrame, median: float | None) -> Chart:
    """How many days concerns took to be resolved."""
    title = "Days to resolve a concern"
    x_title, y_title = "Days from observed to resolved", "Concerns"
    if frame.empty:
        return charts._empty(title, x_title, y_title)
    figure = go.Figure(
        go.Bar(
            x=[int(d) for d in frame["days"]],
            y=[int(n) for n in frame["concerns"]],
            marker_color=GREEN,
            hovertemplate="%{x} days: %{y:,} concerns<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title, showlegend=False)
    total = int(frame["concerns"].sum())
    summary = f"{_plural(total, 'concern was', 'concerns were')} resolved by the window's end"
    summary += "." if median is None else f"; the median took {median:g} days."
    return Chart(figure, summary)


def skills_curve(
    curve: list[dict[str, Any]],
    hidden: list[str] | None = None,
    k: int | None = None,
    unrecorded: frozenset[str] = frozenset(),
) -> Chart:
    """Late rate, no-show rate and concern rate by weeks in the programme, per 100, with the
    attendances behind each point (a funder's hidden values are gaps, said in words)."""
    title = "Learning to work: the three skills by weeks in the programme"
    x_title, y_title = "Weeks in the programme", "Per 100"
    hidden = hidden or []
    shown = [p for p in curve if any(p[name] is not None for name, *_ in SKILLS)]
    if not shown:
        return charts._empty(title, x_title, y_title)
    weeks = [_point_label(p, hidden) for p in curve]
    figure = go.Figure()
    for name, label, colour, scale in SKILLS:
        if name in unrecorded:  # not recorded is not zero: no line at 0
            continue
        figure.add_trace(
            go.Scatter(
                x=weeks,
                y=[None if p[name] is None else round(p[name] * scale, 2) for p in curve],
                name=label,
                mode="lines+markers",
                line={"color": colour},
                hovertemplate=f"{label}: %{{y}} in %{{x}}<extra></extra>",
            )
        )
    styled(figure, title, x_title, y_title, height=420)
    sentence = conduct.curve_sentence(curve, unrecorded)
    summary = sentence or "Too few weeks have a figure to show a change."
    if hidden and k is not None:
        summary += f" Points resting on {privacy.hidden_reason(k)} are not shown."
    return Chart(figure, summary)


def skills_table(
    curve: list[dict[str, Any]],
    hidden: list[str] | None = None,
    k: int | None = None,
    unrecorded: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """The numbers of the three-skills chart, with the attendances behind each point; a hidden
    value reads in words (a funder's table), never its number."""
    frame = conduct.curve_frame(curve, hidden)

    def cell(value: Any, is_hidden: bool, digits: int) -> Any:
        # numbers stay numbers (the table is in the chart's units, typed for CSV and Excel);
        # a hidden value reads in words, a missing one is blank
        if is_hidden:
            return privacy.hidden_words(k or 0)
        if value is None or pd.isna(value):
            return None
        return int(round(float(value))) if digits == 0 else round(float(value), digits)

    table = pd.DataFrame(
        {
            "Weeks in the programme": frame["weeks"],
            "Attendances": [
                cell(v, h, 0)
                for v, h in zip(frame["present"], frame["present_hidden"], strict=True)
            ],
            "Late (per 100 attendances)": [
                cell(None if v is None or pd.isna(v) else v * 100, h, 1)
                for v, h in zip(frame["late_rate"], frame["late_rate_hidden"], strict=True)
            ],
            "No-show (per 100 expected)": [
                cell(None if v is None or pd.isna(v) else v * 100, h, 1)
                for v, h in zip(frame["no_show_rate"], frame["no_show_rate_hidden"], strict=True)
            ],
            "Concerns (per 100 attendances)": [
                cell(v, h, 1)
                for v, h in zip(frame["concern_rate"], frame["concern_rate_hidden"], strict=True)
            ],
        }
    )
    # A column with a hidden value in words is text throughout (a column has one type: Arrow
    # and the typed CSV and Excel need it), its numbers written as the chart's hover shows them.
    for column in table.columns[1:]:
        if any(isinstance(v, str) for v in table[column]):
            table[column] = [
                v if isinstance(v, str) or v is None else f"{v:,}" for v in table[column]
            ]
    # a rate the programme does not record is not drawn, so it is not in the table either
    drop = [label for name, label, *_ in SKILLS if name in unrecorded]
    return table.drop(columns=drop)


OBSERVATION_ROW = "Conduct observed"


def with_observations(chart: Chart, observations: pd.DataFrame) -> Chart:
    """One mentor's session timeline with each conduct observation in the window on it (a row
    of its own): concerns and strengths, with category and severity on hover, never notes."""
    if observations.empty:
        return chart
    figure = go.Figure(chart.figure)
    for kind, name, colour, symbol in (
        ("concern", "Concern", VERMILLION, "x"),
        ("strength", "Strength", GREEN, "star"),
    ):
        part = observations[observations["kind"] == kind]
        if part.empty:
            continue
        details = [
            CATEGORY_LABELS.get(str(c), str(c)) + ("" if s is None or pd.isna(s) else f", {s}")
            for c, s in zip(part["category"], part["severity"], strict=True)
        ]
        figure.add_trace(
            go.Scatter(
                x=[pd.Timestamp(d).isoformat() for d in part["observed_on"]],
                y=[OBSERVATION_ROW] * len(part),
                name=name,
                mode="markers",
                marker={"color": colour, "size": 12, "symbol": symbol},
                hovertext=details,
                hovertemplate=f"%{{x|%-d %b %Y}}: {name.lower()} (%{{hovertext}})<extra></extra>",
            )
        )
    concerns = int((observations["kind"] == "concern").sum())
    strengths = int((observations["kind"] == "strength").sum())
    summary = (
        f"{chart.summary} Staff recorded {_plural(concerns, 'concern', 'concerns')} and "
        f"{_plural(strengths, 'strength', 'strengths')} about their conduct."
    )
    return Chart(figure, summary)
