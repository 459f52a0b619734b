"""Chart builders: pure functions from figures (small aggregated frames) to Plotly figures.

Every chart has a title, labelled axes with units, the Okabe–Ito colour-blind-safe palette,
and one plain sentence saying what it shows in numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        xaxis_title=x_title,
        yaxis_title=y_title,
        colorway=list(OKABE_ITO),
        font={"family": FONT, "size": 13, "color": "#1f2933"},
        plot_bgcolor="white",
        paper_bgcolor="white",
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1, "xanchor": "right"},
        hoverlabel={"font": {"family": FONT}},
    )
    figure.update_xaxes(showgrid=False, linecolor="#9aa5b1", ticks="outside")
    figure.update_yaxes(gridcolor="#e4e7eb", linecolor="#9aa5b1", zeroline=False)
    return figure


def percent(value: float | None) -> str:
    return "no data" if value is None else f"{value:.0%}"
