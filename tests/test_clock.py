"""The calendar: every "today" the dashboard uses comes from analysis.clock, so these tests move
the clock instead of depending on the day they run.

The records: mentor PM-1 (from 2025-01-01), sessions on 15 January 2025 and 1 March 2026 (with
registers) and 20 March 2026 (none yet), a stage assessment on 1 December 2025.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import A, M, S, build, query, run_import
from streamlit.testing.v1 import AppTest

from analysis import admin, catalog, charts, clock, database, metrics, views
from analysis.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = Settings()
D = dt.date
T = dt.datetime


NEW_MENTOR = "mentor_id,cohort,start_date,status\nPM-2,2026 spring,2026-01-05,active\n"


@pytest.fixture
def calendar_db(tmp_path: Path) -> Path:
    return build(
        tmp_path / "calendar.duckdb",
        mentors=[M("PM-1")],
        sessions=[
            S("S-0", "training", "2025-01-15 10:00"),
            S("S-1", "training", "2026-03-01 10:00"),
            S("S-2", "training", "2026-03-20 10:00"),
        ],
        attendance=[A("S-0", "PM-1", "attended", minutes=60), A("S-1", "PM-1", "attended")],
        stages=[("PM-1", "2025-12-01", 2, 5)],
    )


# ---------------------------------------------------------------------------------- the clock


def test_a_frozen_clock_is_what_every_caller_sees() -> None:
    with clock.frozen(T(2029, 2, 28, 23, 30)):
        assert clock.now() == T(2029, 2, 28, 23, 30)
        assert clock.today() == D(2029, 2, 28)
        assert clock.utc_now().tzinfo is not None
        assert clock.utc_now().astimezone().replace(tzinfo=None) == T(2029, 2, 28, 23, 30)
        with clock.frozen(D(2027, 6, 15)):  # a date is that day's noon
            assert clock.now() == T(2027, 6, 15, 12, 0)
        assert clock.today() == D(2029, 2, 28)  # the outer freeze is back
    with clock.frozen(T(2030, 1, 1, 9, 0, tzinfo=dt.UTC)):
        assert clock.utc_now() == T(2030, 1, 1, 9, 0, tzinfo=dt.UTC)


def test_without_a_freeze_the_clock_runs() -> None:
    """The one test that reads the machine's clock: it checks the clock module itself."""
    assert abs(clock.utc_now() - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert clock.now().tzinfo is None  # local time, as the records hold it
    assert abs(clock.now() - dt.datetime.now()) < dt.timedelta(minutes=1)
    first, now, last = dt.date.today(), clock.today(), dt.date.today()
    assert first <= now <= last  # (a test that runs across midnight sees either day)


# ------------------------------------------------------------------------- freshness and windows


def test_freshness_counts_the_sessions_up_to_the_day_asked(calendar_db: Path) -> None:
    with database.connect(calendar_db) as con:
        before = views.data_freshness(con, metrics.Scope(), SETTINGS, today=D(2026, 3, 10))
        after = views.data_freshness(con, metrics.Scope(), SETTINGS, today=D(2026, 3, 20))
        with clock.frozen(T(2026, 3, 10, 8, 0)):
            frozen = views.data_freshness(con, metrics.Scope(), SETTINGS)
    assert before.iloc[0]["latest_session"] == pd.Timestamp(2026, 3, 1)
    assert before.iloc[0]["upcoming_sessions"] == 1
    assert before.iloc[0]["today"] == pd.Timestamp(2026, 3, 10)
    assert after.iloc[0]["latest_session"] == pd.Timestamp(2026, 3, 20)
    assert after.iloc[0]["upcoming_sessions"] == 0
    assert frozen.equals(before)
    assert charts.freshness_text(before) == (
        "Sessions recorded up to 1 Mar 2026; latest stage assessment 1 Dec 2025."
    )


@pytest.mark.parametrize(
    ("asked", "when"),
    [
        (T(2026, 3, 10, 9, 16), "today"),
        (T(2026, 3, 10, 23, 59), "today"),
        (T(2026, 3, 11, 0, 1), "yesterday"),
        (T(2026, 3, 15, 12, 0), "5 days ago"),
    ],
)
def test_last_import_is_dated_by_the_clock(
    calendar_db: Path, tmp_path: Path, asked: dt.datetime, when: str
) -> None:
    with clock.frozen(T(2026, 3, 10, 9, 15, 30)):
        result = run_import(calendar_db, {"mentors.csv": NEW_MENTOR}, tmp_path)
    assert result.landed, result.error
    assert query(calendar_db, "SELECT imported_at FROM imports") == [(T(2026, 3, 10, 9, 15, 30),)]
    with database.connect(calendar_db) as con, clock.frozen(asked):
        text = charts.freshness_text(views.data_freshness(con, metrics.Scope(), SETTINGS))
    assert text.endswith(f"Last import 10 Mar 2026 at 09:15 ({when}).")


def test_window_presets_end_on_the_latest_session_up_to_today(calendar_db: Path) -> None:
    with database.connect(calendar_db) as con:
        early = catalog.freshness(con, metrics.Scope(), SETTINGS, today=D(2026, 3, 10))
        late = catalog.freshness(con, metrics.Scope(), SETTINGS, today=D(2026, 3, 25))
        with clock.frozen(D(2026, 3, 10)):
            assert catalog.freshness(con, metrics.Scope(), SETTINGS) == early
    assert early["latest_past_session"] == D(2026, 3, 1)
    assert late["latest_past_session"] == D(2026, 3, 20)
    assert catalog.preset_window("Last 3 months", early) == (D(2025, 12, 2), D(2026, 3, 1))
    assert catalog.preset_window("Last 12 months", late) == (D(2025, 3, 21), D(2026, 3, 20))
    assert catalog.preset_window("Programme to date", late) == (D(2025, 1, 15), D(2026, 3, 20))
    # with no sessions at all, a window ends today: the clock's, unless given
    empty = {"earliest_session": None, "latest_session": None, "latest_past_session": None}
    assert catalog.preset_window("Last 3 months", empty, D(2027, 6, 15)) == (
        D(2027, 6, 15),
        D(2027, 6, 15),
    )
    with clock.frozen(D(2029, 2, 28)):
        assert catalog.preset_window("Programme to date", empty) == (D(2029, 2, 28),) * 2


def test_data_quality_counts_as_of_today(calendar_db: Path) -> None:
    def counts(today: dt.date) -> dict[str, int]:
        with database.connect(calendar_db) as con:
            frame = catalog.data_quality(con, metrics.Scope(), SETTINGS, today=today)
        return dict(zip(frame["check"], frame["count"], strict=True))

    no_register = "Sessions with no register (no attendance recorded)"
    stale = "Active mentors with no stage assessment in the last 90 days"
    # S-2 (20 March) has no register yet: it counts once its day has come
    assert counts(D(2026, 3, 10))[no_register] == 0
    assert counts(D(2026, 3, 20))[no_register] == 1
    # the assessment on 1 December is within 90 days on 1 March, not on 2 March
    assert counts(D(2026, 3, 1))[stale] == 0
    assert counts(D(2026, 3, 2))[stale] == 1
    with clock.frozen(D(2026, 3, 20)), database.connect(calendar_db) as con:
        frozen = catalog.data_quality(con, metrics.Scope(), SETTINGS)
    assert dict(zip(frozen["check"], frozen["count"], strict=True)) == counts(D(2026, 3, 20))


def test_default_window_without_sessions_ends_today(tmp_path: Path) -> None:
    db = build(tmp_path / "empty.duckdb", mentors=[M("PM-1")])
    with database.connect(db) as con, clock.frozen(D(2027, 6, 15)):
        assert metrics.resolve_window(con, metrics.Scope()) == (D(2027, 6, 15), D(2027, 6, 15))
        assert metrics.resolve_window(con, metrics.Scope(D(2027, 1, 1))) == (
            D(2027, 1, 1),
            D(2027, 6, 15),
        )


# ---------------------------------------------------------------------------- imports and log

REGISTER = "mentor_id,session_type,scheduled_start,duration_minutes,attendance\n"


@pytest.mark.parametrize(
    ("session", "attendance", "warned"),
    [
        ("2026-03-10 23:00", "attended", False),  # later on the import day: not after it
        ("2026-03-11 09:00", "attended", True),
        ("2026-03-11 09:00", "no_show", True),
        ("2026-03-11 09:00", "cancelled_by_programme", False),
        ("2026-03-09 09:00", "attended", False),
    ],
)
def test_sessions_dated_after_the_import_are_warned_about(
    seeded_db: Path, tmp_path: Path, session: str, attendance: str, warned: bool
) -> None:
    text = REGISTER + f"PM-1,event,{session},60,{attendance}\n"
    with clock.frozen(T(2026, 3, 10, 9, 0)):
        result = run_import(seeded_db, {"register.csv": text}, tmp_path)
    assert result.landed, result.error
    messages = [m for f in result.files for m in f.warning_messages]
    assert [m for m in messages if "after the import date" in m] == (
        [
            f"row 2: attendance recorded for a session on {session[8:10]}/03/2026, after the import date"
        ]
        if warned
        else []
    )


def test_the_import_day_is_the_clock_s_not_the_session_s_year(
    seeded_db: Path, tmp_path: Path
) -> None:
    """The same future session is warned about before its day and not after it."""
    text = REGISTER + "PM-1,event,2099-01-01 10:00,60,attended\n"
    with clock.frozen(D(2098, 12, 31)):
        before = run_import(seeded_db, {"register.csv": text}, tmp_path / "a")
    with clock.frozen(D(2099, 1, 2)):
        again = run_import(seeded_db, {"register.csv": text}, tmp_path / "b")
    assert [f.warnings for f in before.files] == [1]
    assert [f.warnings for f in again.files] == [0]


def test_the_audit_log_is_dated_by_the_clock(seeded_db: Path) -> None:
    with clock.frozen(T(2029, 2, 28, 23, 30)):
        admin.remove_demo(seeded_db, user="manager")
    # Stored in UTC (the audit log says so), whatever the machine's zone.
    in_utc = T(2029, 2, 28, 23, 30).astimezone(dt.UTC).replace(tzinfo=None)
    rows = query(seeded_db, "SELECT logged_at, action FROM audit_log WHERE action <> 'import'")
    assert rows == [(in_utc, "remove demo")]


# ---------------------------------------------------------------------------------- the pages


@pytest.fixture
def overview(
    calendar_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[AppTest]:
    with clock.frozen(T(2026, 3, 10, 9, 15)):
        run_import(calendar_db, {"mentors.csv": NEW_MENTOR}, tmp_path)
    monkeypatch.setenv("DASHBOARD_DB", str(calendar_db))
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(tmp_path / "no-settings.toml"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    yield at


def _freshness_line(at: AppTest) -> str:
    (line,) = [m.value for m in at.markdown if m.value.startswith("Sessions recorded up to")]
    return line


def _window_caption(at: AppTest) -> str:
    return " | ".join(c.value for c in at.sidebar.caption)


def test_an_open_dashboard_moves_on_with_the_day(overview: AppTest) -> None:
    """Nothing is imported overnight, yet the next morning the last import is a day older and
    the window takes in the session whose day has come: nothing is cached on the data version
    alone."""
    with clock.frozen(T(2026, 3, 19, 17, 0)):
        overview.run()
        overview.switch_page("pages/overview.py").run()
        assert not overview.exception
        assert "(9 days ago)" in _freshness_line(overview)
        assert "Sessions recorded up to 1 Mar 2026" in _freshness_line(overview)
        assert "02 Mar 2025 to 01 Mar 2026" in _window_caption(overview)
    with clock.frozen(T(2026, 3, 20, 8, 0)):
        overview.run()
        assert not overview.exception
        assert "(10 days ago)" in _freshness_line(overview)
        assert "Sessions recorded up to 20 Mar 2026" in _freshness_line(overview)
        assert "21 Mar 2025 to 20 Mar 2026" in _window_caption(overview)
