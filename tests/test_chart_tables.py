"""Every chart's numbers: the table read from a figure holds exactly the points it draws, and
its CSV and Excel downloads are safe to open."""

from __future__ import annotations

import io

import pandas as pd
import plotly.graph_objects as go
import pytest
from openpyxl import load_workbook

from analysis.chart_tables import NOT_DATA, figure_table, to_csv, to_xlsx


def _figure(*traces: go.BaseTraceType, x: str = "Month", y: str = "Mentors") -> go.Figure:
    figure = go.Figure(list(traces))
    figure.update_layout(xaxis_title=x, yaxis_title=y)
    return figure


@pytest.mark.parametrize(
    ("figure", "expected"),
    [
        (
            _figure(go.Bar(x=["2024 Q1", "2024<br>Q2"], y=[3, 4], name="Started")),
            [{"Month": "2024 Q1", "Mentors": 3}, {"Month": "2024 Q2", "Mentors": 4}],
        ),
        (
            _figure(
                go.Bar(x=[5, None], y=["Health", "Caring"], orientation="h"), x="Mentors", y=""
            ),
            [{"Category": "Health", "Mentors": 5}, {"Category": "Caring", "Mentors": None}],
        ),
        (
            _figure(
                go.Scatter(x=pd.to_datetime(["2025-01-01", "2025-02-01"]), y=[0.5, 0.75], name="A"),
                go.Scatter(x=pd.to_datetime(["2025-01-01"]), y=[1.0], name="B &amp; C"),
                go.Scatter(x=[0, 1], y=[0, 1], meta=NOT_DATA),
                y="Rate",
            ),
            [
                {"Series": "A", "Month": "2025-01-01", "Rate": 0.5},
                {"Series": "A", "Month": "2025-02-01", "Rate": 0.75},
                {"Series": "B & C", "Month": "2025-01-01", "Rate": 1.0},
            ],
        ),
        (
            _figure(
                go.Heatmap(x=["09:00", "10:00"], y=["Monday"], z=[[0.5, None]]), x="Hour", y="Day"
            ),
            [
                {"Day": "Monday", "Hour": "09:00", "Value": 0.5},
                {"Day": "Monday", "Hour": "10:00", "Value": None},
            ],
        ),
        (
            _figure(
                go.Sankey(
                    node={"label": ["1 Shock", "2 Denial"]},
                    link={"source": [0], "target": [1], "value": [4]},
                )
            ),
            [{"From": "1 Shock", "To": "2 Denial", "Mentors": 4}],
        ),
        (
            _figure(go.Funnel(y=["Joined", "Trained"], x=[10, 8]), x="Mentors", y="Step"),
            [{"Step": "Joined", "Mentors": 10}, {"Step": "Trained", "Mentors": 8}],
        ),
    ],
)
def test_the_table_holds_what_the_figure_draws(
    figure: go.Figure, expected: list[dict[str, object]]
) -> None:
    table = figure_table(figure)
    got = [
        {k: (None if pd.isna(v) else v) for k, v in row.items()} for row in table.to_dict("records")
    ]
    assert got == expected


def test_a_box_chart_gives_its_statistics() -> None:
    figure = _figure(
        go.Box(
            x=["Stage 1"],
            q1=[10],
            median=[12],
            q3=[15],
            lowerfence=[5],
            upperfence=[20],
            mean=[12.5],
        ),
        x="Stage",
        y="Score",
    )
    assert figure_table(figure).to_dict("records") == [
        {
            "Stage": "Stage 1",
            "Lowest": 5,
            "Lower quartile": 10,
            "Median": 12,
            "Upper quartile": 15,
            "Highest": 20,
            "Mean": 12.5,
        }
    ]


HOSTILE = pd.DataFrame(
    {
        "Cohort": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "plain"],
        "Mentors": [1, 2, 3, 4, 5, 6],
    }
)


def test_csv_cells_are_safe() -> None:
    text = to_csv(HOSTILE).decode("utf-8-sig")
    lines = text.splitlines()[1:]
    assert all(line.startswith(("'", "\"'")) or line.startswith("plain") for line in lines)


def test_excel_cells_are_text_never_formulas() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(HOSTILE)))
    sheet = book.active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Cohort", "Mentors")
    cells = [sheet.cell(row=r, column=1) for r in range(2, 8)]
    assert all(c.data_type == "s" for c in cells)  # stored as text, never "f" (formula)
    assert [r[1] for r in rows[1:]] == [1, 2, 3, 4, 5, 6]
    assert rows[1][0] == '\'=HYPERLINK("http://x")'


def test_a_rate_on_a_percent_axis_is_a_percent_column_and_counts_are_whole() -> None:
    figure = _figure(
        go.Scatter(x=["2025-01-01", "2025-02-01"], y=[0.7843, None], name="Attendance"),
        go.Scatter(x=["2025-01-01", "2025-02-01"], y=[1.0, 0.5], name="Punctuality"),
        y="Rate",
    )
    figure.update_layout(yaxis_tickformat=".0%")
    table = figure_table(figure)
    assert list(table.columns) == ["Series", "Month", "Rate (%)"]
    assert table["Rate (%)"].tolist()[:1] == [78.4]
    assert pd.isna(table["Rate (%)"].tolist()[1])
    counts = figure_table(_figure(go.Bar(x=["A", "B"], y=[3.0, 12.0])))
    assert to_csv(counts).decode("utf-8-sig").splitlines() == ["Month,Mentors", "A,3", "B,12"]
    text = to_csv(table).decode("utf-8-sig").splitlines()
    assert text[1] == "Attendance,2025-01-01,78.4"


def test_excel_keeps_each_columns_kind_in_its_number_format() -> None:
    import datetime as dt

    from analysis.chart_tables import EXCEL_FORMATS, kinds_of

    figure = _figure(go.Bar(x=["2025-01-01", "2025-02-01"], y=[0.5, 0.25]), y="Attendance rate")
    figure.update_layout(yaxis_tickformat=".1%")
    table = figure_table(figure)
    assert kinds_of(table) == {"Month": "date", "Attendance rate (%)": "percent"}
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    assert sheet is not None
    assert sheet["A2"].value == dt.datetime(2025, 1, 1)
    assert sheet["A2"].number_format == EXCEL_FORMATS["date"]
    assert sheet["B2"].value == 0.5 and sheet["B2"].number_format == "0.0%"
    counts = figure_table(_figure(go.Bar(x=["A"], y=[3.0])))
    sheet = load_workbook(io.BytesIO(to_xlsx(counts))).active
    assert sheet is not None
    assert sheet["B2"].value == 3 and sheet["B2"].number_format == "#,##0"
