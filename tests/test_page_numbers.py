"""Every chart's numbers, in AppTest on demo data: under every chart of every page a "Show the
numbers" holds a table equal to the points the chart draws; the funders' tables hold only the
suppressed figures (`<k`, never the value); a learning-log note marks the monthly charts without
changing their numbers."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest
from test_access import AUTH, USERS

from analysis import chart_tables, database, impact, learning_log, metrics
from analysis.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MANAGER_PAGES = [
    "overview",
    "timekeeping",
    "reliability",
    "transitions",
    "shadowing",
    "journey",
    "behaviour",
    "mentor_journey",
    "impact_summary",
]


@pytest.fixture(scope="module")
def noted_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo programme with one shared and one private note inside its last year."""
    db = tmp_path_factory.mktemp("numbers") / "demo.duckdb"
    shutil.copy(demo_db, db)
    with database.connect(db) as con:
        last = metrics.data_window(con)
        assert last is not None
        learning_log.add_note(con, "amy", last[1] - dt.timedelta(days=40), "Shared note", True)
        learning_log.add_note(con, "amy", last[1] - dt.timedelta(days=80), "Private note", False)
    return db


@pytest.fixture
def app(noted_db: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str | None], AppTest]:
    monkeypatch.setenv("DASHBOARD_DB", str(noted_db))
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(noted_db.parent / "no-settings.toml"))

    def start(page: str, role: str | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
        if role is not None:
            at.secrets["auth"] = AUTH
            at.secrets["access"] = {"managers": [], "funders": ["funder@example.org"]}
            at.user = USERS[role]
        at.run()
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return start


def charts_and_tables(at: AppTest) -> list[tuple[go.Figure, object]]:
    specs = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    numbers = [e for e in at.expander if e.label == "Show the numbers"]
    assert len(numbers) == len(specs)
    return [
        (chart_tables.figure_from_spec(spec), e.dataframe[0].value)
        for spec, e in zip(specs, numbers, strict=True)
    ]


def _drawn_rows(figure: go.Figure) -> list[tuple[object, ...]]:
    """What a chart draws, point by point, read straight from its traces (not through the
    table code): (category, value) for bars, lines, markers and funnels, rates on a percent
    axis in percent; for points placed on a drawing, the numbers they carry."""
    rows: list[tuple[object, ...]] = []
    for t in figure.data:
        if isinstance(t.meta, dict) and t.meta.get("table") == chart_tables.VALUES_IN_META:
            rows += [
                (str(c), int(v))
                for c, v in zip(t.meta["categories"], t.meta["values"], strict=True)
            ]
            # the numbers written on the points are these (a zero is written beside it)
            assert [str(x) for x in t.text if x] == [str(v) for v in t.meta["values"] if v]
            continue
        if t.meta in (chart_tables.NOT_DATA, chart_tables.LEARNING_LOG):
            continue
        if t.type not in ("bar", "scatter", "funnel"):
            continue
        horizontal = t.orientation == "h" or t.type == "funnel"
        xs = list(t.x) if t.x is not None else []
        ys = list(t.y) if t.y is not None else []
        category, value = (ys, xs) if horizontal else (xs, ys)
        axis = figure.layout.xaxis if horizontal else figure.layout.yaxis
        percent = str(axis.tickformat or "").endswith("%") and "%b" not in str(axis.tickformat)
        for c, v in zip(category, value, strict=False):
            if v is not None and not (isinstance(v, float) and v != v) and percent:
                v = round(float(v) * 100, 1)
            rows.append((str(c).replace("<br>", " "), v))
    return rows


def _table_rows(table: object, figure: go.Figure) -> list[tuple[object, ...]]:
    """The table's (category, value) pairs, for the traces `_drawn_rows` reads."""
    frame = table  # a DataFrame
    columns = [c for c in frame.columns if c != "Series"]  # type: ignore[attr-defined]
    out = []
    for record in frame[columns].itertuples(index=False):  # type: ignore[index]
        category, value = record[0], record[-1]
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            value = None
        elif hasattr(value, "item"):
            value = value.item()
        out.append((str(category)[:10] if _is_date(category) else str(category), value))
    return out


def _is_date(value: object) -> bool:
    return isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-"


def _same(a: list[tuple[object, ...]], b: list[tuple[object, ...]]) -> bool:
    def norm(rows: list[tuple[object, ...]]) -> list[tuple[str, object]]:
        out = []
        for c, v in rows:
            c = str(c)[:10] if _is_date(c) else str(c)
            if v is None or (isinstance(v, float) and v != v):
                v = None
            elif isinstance(v, int | float):
                v = round(float(v), 6)
            out.append((c, v))
        return sorted(out, key=repr)

    return norm(a) == norm(b)


def _check_downloads(table: object, title: str) -> None:
    """The table's CSV and Excel hold its columns in their declared kinds: counts whole,
    percentages in percent (Excel: 0.0% of the fraction), dates as dates."""
    import io

    from openpyxl import load_workbook

    frame = chart_tables.typed(table)  # type: ignore[arg-type]
    kinds = chart_tables.kinds_of(frame)
    assert set(kinds) == {str(c) for c in frame.columns}, title
    text = chart_tables.to_csv(frame).decode("utf-8-sig")
    csv = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    sheet = load_workbook(io.BytesIO(chart_tables.to_xlsx(frame))).active
    assert sheet is not None
    assert sheet.max_row == len(frame) + 1, title
    for j, (column, kind) in enumerate(kinds.items(), start=1):
        cells = [c for (c,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j)]
        written = [v for v in csv[column].tolist() if v != ""]
        if kind == chart_tables.INTEGER:
            assert all(v.lstrip("-").isdigit() for v in written), (title, column, written[:3])
        if kind == chart_tables.PERCENT:
            assert "%" in column, (title, column)
            assert all(-0.05 <= float(v) <= 100.05 for v in written), (title, column)
            assert all(len(v.split(".")[-1]) <= 1 or "." not in v for v in written), title
            for cell, v in zip((c for c in cells if c.value is not None), written, strict=True):
                assert abs(float(cell.value) * 100 - float(v)) < 1e-6, (title, column)
        if kind in (chart_tables.DATE, chart_tables.DATETIME):
            assert all(_is_date(v) for v in written), (title, column)
            assert all(isinstance(c.value, dt.date) for c in cells if c.value is not None), (
                title,
                column,
            )
        if kind in chart_tables.EXCEL_FORMATS:
            assert {c.number_format for c in cells if c.value is not None} <= {
                chart_tables.EXCEL_FORMATS[kind]
            }, (title, column)
        if kind == chart_tables.TEXT:  # no number hides in a text column
            assert not written or not all(_is_number(v) for v in written), (title, column)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("page", MANAGER_PAGES)
def test_every_chart_has_its_numbers(
    app: Callable[..., AppTest], page: str, noted_db: Path
) -> None:
    """Under every chart of every page, "Show the numbers" holds what the chart draws (every
    bar or point, in the chart's units), with its row count, and every column has a declared
    kind that its CSV and Excel files keep."""
    at = app(page)
    pairs = charts_and_tables(at)
    assert pairs
    counts = [c.value for e in at.expander if e.label == "Show the numbers" for c in e.caption]
    assert len(counts) == len(pairs)
    for (figure, table), count in zip(pairs, counts, strict=True):
        title = str(figure.layout.title.text)
        assert count.startswith(f"{len(table):,} row"), (title, count)
        _check_downloads(table, title)
        if page == "impact_summary":
            continue  # the funders' tables: suppressed figures in words (their own test)
        drawn = _drawn_rows(figure)
        if title.startswith("Shadowing: hours towards"):
            # the chart draws the first 40; the table holds every mentor, completers too
            got = _table_rows(table, figure)
            assert set(_norm_set(drawn)) <= set(_norm_set(got)), title
            total = figure_total(at)
            assert len(table) == total, (title, len(table), total)
            assert "Complete" in set(table["Series"]), title
            continue
        assert chart_tables.tables_equal(table, chart_tables.figure_table(figure)), title
        if title.startswith("The transition curve"):
            # mentors per stage, never the illustrative curve's drawing coordinates
            assert list(table.columns) == ["Stage", "Mentors"], title
            assert len(table) == 7
            said = [c.value for c in at.caption if c.value.startswith("Of ")]
            assert any(
                c.startswith(f"Of {int(table['Mentors'].sum())} assessed mentors") for c in said
            ), said
        if drawn and all(
            t.type in ("bar", "scatter", "funnel")
            for t in figure.data
            if t.meta not in (chart_tables.NOT_DATA, chart_tables.LEARNING_LOG)
        ):
            assert len(table) == len(drawn), title
            assert _same(_table_rows(table, figure), drawn), title


def _norm_set(rows: list[tuple[object, ...]]) -> list[tuple[str, object]]:
    return [(str(c), round(float(v), 6) if isinstance(v, int | float) else v) for c, v in rows]


def figure_total(at: AppTest) -> int:
    """How many mentors the shadowing chart's summary says there are ("Of N mentors, ...")."""
    for caption in at.caption:
        if caption.value.startswith("Of ") and "hours of shadowing" in caption.value:
            return int(caption.value.split()[1].replace(",", ""))
    raise AssertionError("no shadowing summary")


def test_monthly_charts_carry_the_notes_managers_see(app: Callable[..., AppTest]) -> None:
    at = app("timekeeping")
    specs = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    monthly = [s for s in specs if s["layout"]["title"]["text"] == "Punctuality by month"][0]
    marks = [t for t in monthly["data"] if t.get("meta") == chart_tables.LEARNING_LOG]
    assert len(marks) == 1
    assert sorted(h.split(": ", 1)[1] for h in marks[0]["hovertext"]) == [
        "Private note",
        "Shared note",
    ]
    others = [s for s in specs if s["layout"]["title"]["text"] != "Punctuality by month"]
    assert not any(t.get("meta") == chart_tables.LEARNING_LOG for s in others for t in s["data"])


@pytest.mark.parametrize("role", [None, "funder"])
def test_the_impact_summary_tables_are_the_suppressed_figures(
    app: Callable[..., AppTest], noted_db: Path, role: str | None
) -> None:
    at = app("impact_summary", role)
    with database.connect(noted_db) as con:
        summary = impact.summary(con, _default_scope(con, role), Settings())
    expected = chart_tables.impact_tables(summary)
    pairs = charts_and_tables(at)
    assert len(pairs) == len(expected)
    for (figure, table), name in zip(pairs, expected, strict=True):
        assert chart_tables.tables_equal(table, expected[name]), name
        # a value hidden in the table is not drawn either
        hidden_rows = [i for i, row in enumerate(table.itertuples(index=False)) if "<" in str(row)]
        if name != "monthly" and hidden_rows:
            bars = figure.data[0]
            values = list(bars.x if bars.orientation == "h" else bars.y)
            assert all(values[i] is None for i in hidden_rows), name
    # only the shared note marks the funders' monthly chart, for managers too
    monthly = pairs[0][0]
    marks = [t for t in monthly.data if t.meta == chart_tables.LEARNING_LOG]
    assert [h.split(": ", 1)[1] for h in marks[0].hovertext] == ["Shared note"]


def _default_scope(con: object, role: str | None = None) -> metrics.Scope:
    """The scope the sidebar chooses by default: the last 12 months of the records; for a
    funder, the financial year holding the latest session, to its date."""
    from analysis import catalog

    if role == "funder":
        return metrics.Scope()
    extent = catalog.freshness(con, metrics.Scope(), Settings())  # type: ignore[arg-type]
    window = catalog.preset_window("Last 12 months", extent)
    return metrics.Scope(window[0], window[1])


@pytest.mark.parametrize("role", [None, "funder"])
def test_the_impact_summary_says_what_changed_and_what_we_learned(
    app: Callable[..., AppTest], role: str | None
) -> None:
    at = app("impact_summary", role)
    headings = [s.value for s in at.subheader]
    assert "What changed and what we learned" in headings
    said = " ".join(m.value for m in at.markdown)
    assert "Shared note" in said
    assert "Private note" not in said  # as in the pack: shared notes only


def test_a_hung_drawing_stops_at_its_limit_with_a_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from analysis import charts, impact_pack, rendering

    def hung(*args: object, **kwargs: object) -> list[bytes]:
        raise rendering.RenderFailed("Kaleido did not finish within 120 seconds")

    monkeypatch.setattr(rendering, "images", hung)
    figure = go.Figure(go.Bar(x=["a"], y=[1]))
    with pytest.raises(impact_pack.ChartsUnavailable) as caught:
        impact_pack.render_charts({"monthly": charts.Chart(figure, "One bar.")})
    message = str(caught.value)
    assert f"stopped at its limit of {impact_pack.drawing_limit_words()}" in message
    assert "Chromium" not in message  # not the missing-browser message
    assert impact_pack.drawing_limit_words() == "4 minutes"
