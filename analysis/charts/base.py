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


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` laid over it: dicts merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in changes.items():
        old = out.get(key)
        out[key] = (
            merged(old, value) if isinstance(value, dict) and isinstance(old, dict) else value
        )
    return out


def relayout(figure: go.Figure, changes: dict[str, Any]) -> go.Figure:
    """`figure.update_layout(changes)`, in one validation of the whole layout instead of one
    walk of the figure per property (a quarter of the time; styling was a fifth of a page run).

    `changes` is nested dicts, as Plotly's JSON has them: `{"xaxis": {"title": {"text": ..}}}`,
    not `xaxis_title=` or a bare string for a title. The template is left out of the copy and
    put back by Plotly as the layout is assigned (no chart sets a template of its own)."""
    layout = figure.layout.to_plotly_json()
    layout.pop("template", None)
    figure.layout = merged(layout, changes)
    return figure


def house_style(title: str, x_title: str, y_title: str) -> dict[str, Any]:
    """The house style as layout properties: title, axis titles with units, palette, quiet grid."""
    return {
        "title": {
            "text": title,
            "x": 0,
            "xanchor": "left",
            "y": 0.98,
            "yanchor": "top",
            "font": {"size": 16},
        },
        "xaxis": {
            "title": {"text": x_title},
            "showgrid": False,
            "linecolor": "#9aa5b1",
            "ticks": "outside",
        },
        "yaxis": {
            "title": {"text": y_title},
            "gridcolor": "#e4e7eb",
            "linecolor": "#9aa5b1",
            "zeroline": False,
        },
        "colorway": list(OKABE_ITO),
        "font": {"family": FONT, "size": 13, "color": "#1f2933"},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        # The legend sits on its own line under the title, so a long title never runs into it.
        "margin": {"l": 60, "r": 20, "t": 80, "b": 50},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0, "xanchor": "left"},
        "hoverlabel": {"font": {"family": FONT}},
    }


def styled(figure: go.Figure, title: str, x_title: str, y_title: str, **changes: Any) -> go.Figure:
    """The house style, then the chart's own layout `changes` (nested dicts, as `relayout`)
    over it, in one step. Charts have one x and one y axis when they are styled."""
    return relayout(figure, merged(house_style(title, x_title, y_title), changes))


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
    return go.Figure(layout={"height": height})


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
    styled(
        figure,
        title,
        x_title,
        y_title,
        xaxis={"showticklabels": False},
        yaxis={"showticklabels": False, "showgrid": False},
    )
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


def _in_window(frame: pd.DataFrame, key: str) -> float | None:
    """A figure over the whole window, as the view's query measured it (a by-month frame's
    `attrs["window"]`, `views.attendance_by_month`); None when it has no value."""
    value = frame.attrs["window"][key]
    return None if value is None or pd.isna(value) else float(value)


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


def _month_axis(months: int) -> dict[str, Any]:
    """Month ticks that never need turning: every 1, 2, 3 or 6 months, month over year."""
    step = 1 if months <= 6 else 2 if months <= 14 else 3 if months <= 30 else 6
    return {"dtick": f"M{step}", "tickformat": "%b<br>%Y", "tickangle": 0}


def _group_starts(frame: pd.DataFrame) -> list[str]:
    """Tick labels for groups of weeks: the first week of each, "52+" for the open last one."""
    return [
        f"{int(a)}+" if _missing(b) else f"{int(a)}"
        for a, b in zip(frame["weeks_from"], frame["weeks_to"], strict=True)
    ]


def _rate_axis(low: float = 0.0) -> dict[str, Any]:
    return {"tickformat": ".0%", "range": [low, 1.02]}
