"""Chart building blocks: the figure type, palette, layout and small helpers every page's charts use."""

from __future__ import annotations

from dataclasses import dataclass
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


NO_RECORDS = "No records in this window"


GREY = "#9aa5b1"


LIGHT_GREY = "#cbd2d9"


BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION, YELLOW, BLACK = OKABE_ITO


SEQUENTIAL = [[0.0, "#f2f7fb"], [0.5, "#7fb8da"], [1.0, "#0072B2"]]


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# The Adams–Hayes–Hopson curve: competence and self-esteem dip after the change, bottom out at
# self-doubt and letting go, then rise above where they began. Heights are illustrative.
CURVE_HEIGHTS = (0.56, 0.63, 0.34, 0.22, 0.42, 0.66, 0.88)


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


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


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
