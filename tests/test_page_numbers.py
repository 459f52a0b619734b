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


@pytest.mark.parametrize("page", [p for p in MANAGER_PAGES if p != "impact_summary"])
def test_every_chart_has_its_numbers(app: Callable[..., AppTest], page: str) -> None:
    at = app(page)
    pairs = charts_and_tables(at)
    assert pairs
    for figure, table in pairs:
        assert chart_tables.tables_equal(table, chart_tables.figure_table(figure)), (
            figure.layout.title.text
        )
        drawn = [t for t in figure.data if t.meta not in (chart_tables.LEARNING_LOG,)]
        points = sum(
            len(t.x) if t.x is not None else 0 for t in drawn if t.type in ("bar", "scatter")
        )
        if points and all(t.type in ("bar", "scatter") for t in drawn):
            assert len(table) == points


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
