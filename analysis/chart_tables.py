"""Every chart's numbers: the table a Plotly figure draws, read from the figure itself.

The table is taken from the traces the chart draws, so it cannot disagree with it: one row per
point (bar, marker, cell, box or flow), with the series, the category axis and the value axis
named as the chart names them. Traces that are not data (the learning log's marks, an
illustrative line) say so in their `meta` and are left out.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis import privacy
from analysis.cells import safe_frame
from analysis.chart_meta import LEARNING_LOG, NOT_DATA, VALUES_IN_META


def _title(axis: Any) -> str:
    text = getattr(getattr(axis, "title", None), "text", None)
    return str(text) if text else ""


_MIDNIGHT = re.compile(r"\d{4}-\d{2}-\d{2}([ T]00:00(:00(\.0+)?)?)?")
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2})?(\.0+)?")


def _plain(value: Any) -> Any:
    """A value as the table shows it: text for categories (line breaks undone), numbers as
    numbers, dates as dates."""
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        value = pd.Timestamp(value)
        if value == value.normalize():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.replace("<br>", " ")
        if _MIDNIGHT.fullmatch(text):  # a date as Plotly's JSON writes it
            return text[:10]
        moment = _DATETIME.fullmatch(text)
        if moment:
            return f"{moment[1]}T{moment[2]}{moment[3] or ':00'}"
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _values(seq: Any) -> list[Any]:
    if seq is None:
        return []
    return [_plain(v) for v in list(seq)]


def _series(trace: Any) -> str:
    return str(_plain(trace.name)) if trace.name else ""


def figure_table(figure: go.Figure) -> pd.DataFrame:
    """The numbers `figure` draws, one row per point, in the order it draws them."""
    layout = figure.layout
    x_title = _title(layout.xaxis)
    y_title = _title(layout.yaxis)
    rows: list[dict[str, Any]] = []
    columns: list[str] = []

    def add(row: dict[str, Any]) -> None:
        for key in row:
            if key not in columns:
                columns.append(key)
        rows.append(row)

    for trace in figure.data:
        if isinstance(trace.meta, dict) and trace.meta.get("table") == VALUES_IN_META:
            # Points placed for the drawing (on an illustrative curve, y a drawing height):
            # the numbers written on them, against their categories, ride in the trace's meta.
            meta = trace.meta
            for c, v in zip(meta["categories"], meta["values"], strict=True):
                add({str(meta["category"]): _plain(c), str(meta["value"]): _plain(v)})
            continue
        if trace.meta in (NOT_DATA, LEARNING_LOG):
            continue
        kind = trace.type
        if kind in ("bar", "scatter", "funnel"):
            horizontal = getattr(trace, "orientation", None) == "h" or kind == "funnel"
            xs, ys = _values(trace.x), _values(trace.y)
            category, value = (ys, xs) if horizontal else (xs, ys)
            c_title, v_title = (y_title, x_title) if horizontal else (x_title, y_title)
            c_title, v_title = c_title or "Category", v_title or "Value"
            axis = layout.xaxis if horizontal else layout.yaxis
            if _is_percent(axis):
                v_title, value = _as_percent(v_title, value)
            for c, v in zip(category, value, strict=False):
                add({"Series": _series(trace), c_title: c, v_title: v})
        elif kind == "heatmap":
            z = trace.z
            xs, ys = _values(trace.x), _values(trace.y)
            colour = str(trace.colorbar.title.text or "Value")
            percent = _is_percent(trace.colorbar)
            for i, y in enumerate(ys):
                row_values = [_plain(z[i][j]) for j in range(len(xs))]
                title = colour
                if percent:
                    title, row_values = _as_percent(colour, row_values)
                for j, x in enumerate(xs):
                    add({y_title or "Row": y, x_title or "Column": x, title: row_values[j]})
        elif kind == "box":
            names = _values(trace.x)
            stats = {
                "Lowest": trace.lowerfence,
                "Lower quartile": trace.q1,
                "Median": trace.median,
                "Upper quartile": trace.q3,
                "Highest": trace.upperfence,
                "Mean": trace.mean,
            }
            for i, name in enumerate(names):
                row: dict[str, Any] = {"Series": _series(trace), x_title or "Category": name}
                for label, values in stats.items():
                    if values is not None:
                        row[label] = _plain(list(values)[i])
                add(row)
        elif kind == "sankey":
            labels = _values(trace.node.label)
            link = trace.link
            moves = list(link.customdata) if link.customdata is not None else None
            for i, (s, t, v) in enumerate(zip(link.source, link.target, link.value, strict=True)):
                row = {"From": labels[s], "To": labels[t], "Mentors": _plain(v)}
                if moves is not None:  # the flow's colour, in words
                    row["Move"] = _plain(moves[i])
                add(row)
        elif kind == "pie":
            for label, value in zip(_values(trace.labels), _values(trace.values), strict=True):
                add({"Category": label, "Value": value})
    frame = pd.DataFrame(rows, columns=columns)
    if "Series" in frame.columns and frame["Series"].nunique() <= 1:
        frame = frame.drop(columns="Series")
    return typed(frame)


# A trace's meta["table"]: its numbers are meta["values"] (drawn as its text), not its y.
_PERCENT_FORMAT = re.compile(r"[,.\d~+$-]*%")
_WHOLE = re.compile(r"-?\d{1,15}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")

# A column's kind, for the table on screen, its CSV and its Excel number formats.
TEXT, INTEGER, NUMBER, PERCENT, DATE, DATETIME = (
    "text",
    "integer",
    "number",
    "percent",
    "date",
    "datetime",
)
EXCEL_FORMATS = {
    INTEGER: "#,##0",
    NUMBER: "#,##0.0#",
    PERCENT: "0.0%",
    DATE: "yyyy-mm-dd",
    DATETIME: "yyyy-mm-dd hh:mm",
}


def _is_percent(axis: Any) -> bool:
    """Whether an axis (or colour bar) shows its values as percentages (".0%")."""
    fmt = getattr(axis, "tickformat", None)
    return bool(fmt) and bool(_PERCENT_FORMAT.fullmatch(str(fmt)))


def _as_percent(title: str, values: list[Any]) -> tuple[str, list[Any]]:
    """A rate drawn on a percentage axis, in the chart's units: 0.784 -> 78.4, "(%)" named."""
    shown = [None if v is None else round(float(v) * 100, 1) for v in values]
    return (title if "%" in title else f"{title} (%)"), shown


def column_kind(name: str, values: pd.Series) -> str:
    """What a column holds: a percentage ("(%)" in its name), whole numbers, numbers, dates,
    date-times or text."""
    present = values.dropna()
    present = present[present.map(lambda v: v != "")]
    if present.empty:
        return PERCENT if "(%)" in name else TEXT
    if all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        for v in present
    ):
        if "(%)" in name:
            return PERCENT
        if all(float(v).is_integer() for v in present):
            return INTEGER
        return NUMBER
    if all(isinstance(v, str) and _ISO_DATE.fullmatch(v) for v in present):
        return DATE
    if all(isinstance(v, str) and _ISO_MOMENT.fullmatch(v) for v in present):
        return DATETIME
    return TEXT


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with each column in its kind: whole numbers as integers (3, never 3.0),
    percentages to one decimal place; the kinds kept in `attrs["kinds"]`."""
    out = frame.copy()
    kinds: dict[str, str] = {}
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, str) and bool(_WHOLE.fullmatch(v))).all() and len(
            out[col]
        ):
            out[col] = out[col].astype(int)  # whole numbers drawn as category labels ("8")
        kind = column_kind(str(col), out[col])
        kinds[str(col)] = kind
        if kind == INTEGER:
            out[col] = pd.array([None if pd.isna(v) else int(v) for v in out[col]], dtype="Int64")
        elif kind == PERCENT:
            out[col] = pd.array(
                [None if pd.isna(v) else round(float(v), 1) for v in out[col]], dtype="Float64"
            )
    out.attrs["kinds"] = kinds
    return out


def kinds_of(frame: pd.DataFrame) -> dict[str, str]:
    """Each column's kind (as `typed` declared it, else read from its values)."""
    declared = frame.attrs.get("kinds") or {}
    return {str(c): declared.get(str(c)) or column_kind(str(c), frame[c]) for c in frame.columns}


def with_count(frame: pd.DataFrame) -> str:
    """How many rows a table has, in words."""
    n = len(frame)
    return f"{n:,} row{'' if n == 1 else 's'}"


def _decoded(node: Any) -> Any:
    """Plotly's JSON with its typed arrays ({"dtype", "bdata", "shape"}) read back as lists."""
    if isinstance(node, dict):
        if "bdata" in node and "dtype" in node:
            array = np.frombuffer(base64.b64decode(node["bdata"]), dtype=np.dtype(node["dtype"]))
            shape = node.get("shape")
            if shape:
                dims = [int(n) for n in str(shape).split(",")]
                array = array.reshape(dims)
            return array.tolist()
        return {k: _decoded(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_decoded(v) for v in node]
    return node


def figure_from_spec(spec: dict[str, Any]) -> go.Figure:
    """A figure from the JSON a chart was sent to the browser as (what the page drew)."""
    return go.Figure(_decoded(spec))


def tables_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Two tables hold the same numbers (as a download would write them)."""
    return a.to_csv(index=False) == b.to_csv(index=False)


def to_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes (UTF-8 with BOM), every text cell safe to open in a spreadsheet."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, sheet: str = "Numbers") -> bytes:
    """An Excel workbook of one sheet, every text cell safe (never read as a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet[:31]
    kinds = list(kinds_of(frame).values())
    safe = safe_frame(frame)
    ws.append([str(c) for c in safe.columns])
    for record in safe.itertuples(index=False):
        ws.append([_cell(v, kind) for v, kind in zip(record, kinds, strict=True)])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for j, kind in enumerate(kinds, start=1):  # each column in its number format
        if kind in EXCEL_FORMATS:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = EXCEL_FORMATS[kind]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any, kind: str = TEXT) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if kind == PERCENT and isinstance(value, int | float):
        return value / 100  # Excel's percent format shows 0.784 as 78.4%
    if kind == DATE and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if kind == DATETIME and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def impact_tables(summary: Any) -> dict[str, pd.DataFrame]:
    """The funders' tables behind the impact summary's key charts (an `ImpactSummary`): the
    suppressed figures only, a hidden one in words ('not shown: fewer than 5 people'), never
    its value."""
    from analysis.journey import OUTCOMES, STEPS
    from analysis.journey_charts import LABELS

    k = summary.k

    def shown(value: Any, hidden: bool, rate: bool = False, for_others: bool = False) -> str:
        """As the funder reads it: words when hidden (why: its own few people, or another's
        sake), `–` when undefined, else the number (a rate to a whole percent)."""
        if hidden:
            return privacy.FOR_OTHERS_WORDS if for_others else privacy.hidden_words(k)
        if value is None or pd.isna(value):
            return "–"
        return f"{value:.0%}" if rate else f"{value:,.0f}"

    monthly = summary.monthly
    tables = {
        "monthly": pd.DataFrame(
            {
                "Month": [f"{m:%b %Y}" for m in monthly["month"]],
                "Attendance rate": [
                    shown(v, bool(h), rate=True)
                    for v, h in zip(
                        monthly["attendance_rate"], monthly["attendance_suppressed"], strict=True
                    )
                ],
                "Punctuality rate": [
                    shown(v, bool(h), rate=True)
                    for v, h in zip(
                        monthly["punctuality_rate"], monthly["punctuality_suppressed"], strict=True
                    )
                ],
            }
        )
    }
    for name, frame in (
        ("stages", summary.stages),
        ("milestones", summary.milestones),
        ("events", summary.events),
    ):
        tables[name] = pd.DataFrame(
            {
                "Category": list(frame["label"]),
                "Mentors": [
                    shown(v, bool(h), for_others=bool(o))
                    for v, h, o in zip(
                        frame["value"], frame["suppressed"], frame["for_others"], strict=True
                    )
                ],
            }
        )
    funnel = summary.report.get("funnel")
    if funnel is not None:
        hidden = set(summary.suppressed)
        keys = [*STEPS, *OUTCOMES]
        tables["journey"] = pd.DataFrame(
            {
                "Step": [LABELS[key] for key in keys],
                "Mentors": [
                    shown(
                        funnel[key],
                        f"funnel.{key}" in hidden,
                        for_others=privacy.is_for_others(summary.report, f"funnel.{key}"),
                    )
                    for key in keys
                ],
            }
        )
    curve = summary.report.get("skills_curve")
    if curve is not None:
        from analysis.conduct_charts import skills_table

        tables["skills"] = skills_table(curve, summary.suppressed, k, summary.skills_unrecorded)
    return tables
