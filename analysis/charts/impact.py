"""The impact summary's charts (funder figures only, suppressed cells marked)."""

from __future__ import annotations

import plotly.graph_objects as go

from analysis.charts.base import OKABE_ITO, Chart, styled
from analysis.charts.text import impact_hidden_note, impact_label, percent


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
    styled(
        figure,
        "Attendance and punctuality by month",
        "Month",
        "Share of sessions",
        yaxis={"range": [0, 1.05], "tickformat": ".0%"},
        xaxis={"tickformat": "%b %Y"},
    )

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
    for_others: list[bool] | None = None,
) -> go.Figure:
    """Counts of people by category; a suppressed category has no bar, only a `<k` mark (one
    hidden for another's sake, `for_others`, did not rest on fewer than k: marked 'not shown')."""
    others = for_others or [False] * len(labels)
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
    for name, is_hidden, other in zip(names, hidden, others, strict=True):
        if not is_hidden:
            continue
        mark = "not shown" if other else f"&lt;{k}"
        if horizontal:
            figure.add_annotation(
                x=0,
                y=name,
                text=mark,
                showarrow=False,
                xanchor="left",
                xshift=4,
                font={"color": "#52606d"},
            )
        else:
            figure.add_annotation(
                x=name,
                y=0,
                text=mark,
                showarrow=False,
                yanchor="bottom",
                yshift=2,
                font={"color": "#52606d"},
            )
    top = max([v for v in shown if v is not None] + [k])
    if horizontal:
        styled(
            figure,
            title,
            axis_title,
            "",
            yaxis={"autorange": "reversed", "gridcolor": "rgba(0,0,0,0)"},
            xaxis={"range": [0, top * 1.15], "showgrid": True, "gridcolor": "#e4e7eb"},
            showlegend=False,
        )
    else:
        styled(figure, title, "", axis_title, yaxis={"range": [0, top * 1.15]}, showlegend=False)
    return figure


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
    for_others: list[bool] | None = None,
) -> Chart:
    """Mentors per category (stage, milestone, event), suppressed categories marked <k.

    `largest` is a sentence with {label} and {value}; `nothing` is said when no category can
    be shown; `hidden_one`/`hidden_many` name the suppressed categories in the summary.
    """
    others = for_others or [False] * len(labels)
    figure = impact_bars(
        title,
        "Mentors",
        labels,
        values,
        hidden,
        k,
        horizontal=True,
        colour=colour,
        for_others=others,
    )
    shown = [(v, label) for v, label, h in zip(values, labels, hidden, strict=True) if not h and v]
    if shown:
        value, label = max(shown)
        summary = largest.format(label=label, value=f"{value:,.0f}")
    else:
        summary = nothing
    n_hidden = sum(h and not o for h, o in zip(hidden, others, strict=True))
    summary += impact_hidden_note(n_hidden, k, hidden_one if n_hidden == 1 else hidden_many)
    n_others = sum(h and o for h, o in zip(hidden, others, strict=True))
    if n_others:
        summary += (
            f" {n_others} more {'is' if n_others == 1 else 'are'} not shown, so that a smaller "
            "number cannot be worked out."
        )
    return Chart(figure, summary)


def impact_stage_distribution(
    labels: list[str],
    values: list[float | None],
    hidden: list[bool],
    k: int,
    for_others: list[bool] | None = None,
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
        for_others=for_others,
    )


def impact_milestones(
    labels: list[str],
    values: list[float | None],
    hidden: list[bool],
    k: int,
    for_others: list[bool] | None = None,
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
        for_others=for_others,
    )


def impact_events(
    labels: list[str],
    values: list[float | None],
    hidden: list[bool],
    k: int,
    for_others: list[bool] | None = None,
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
        for_others=for_others,
    )
