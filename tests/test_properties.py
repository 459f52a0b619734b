"""Property-based tests: the SQL readers of dates, times and codes against Python as the oracle,
and import idempotence (importing any valid set twice changes nothing the second time).

The macros are the importer's own (`analysis.import_sql._MACROS`), run in DuckDB. Each example
sends a batch of values in one query, so a few hundred examples run in seconds.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from analysis import database  # noqa: E402
from analysis.import_sql import _MACROS  # noqa: E402
from analysis.importer import ImportSource, import_files  # noqa: E402
from analysis.records import CODE_LISTS, code_key  # noqa: E402
from analysis.settings import Settings  # noqa: E402

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute(_MACROS)
    yield connection
    connection.close()


def sql(con: duckdb.DuckDBPyConnection, macro: str, values: list[str]) -> list[Any]:
    row = con.execute(f"SELECT list_transform($v, lambda x: {macro}(x))", {"v": values}).fetchone()
    assert row is not None
    return list(row[0])


# ---------------------------------------------------------------------------------------------
# The oracle: the contract (DATA.md) in plain Python


def oracle_date(text: str) -> dt.date | None:
    """`YYYY-MM-DD`, or day-first `D/M/YYYY` (two-digit years are 20YY); a midnight time, as
    Excel date cells carry, is allowed."""
    text = re.sub(r"[ T]00:00(:00)?$", "", text)
    if m := re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{2}|[0-9]{4})", text):
        day, month = int(m[1]), int(m[2])
        year = 2000 + int(m[3]) if len(m[3]) == 2 else int(m[3])
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def oracle_seconds(text: str) -> int | None:
    m = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?", text)
    if not m:
        return None
    h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
    return h * 3600 + mi * 60 + s if h < 24 and mi < 60 and s < 60 else None


def oracle_timestamp(text: str) -> dt.datetime | None:
    m = re.fullmatch(r"(\S+)[ T]([0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)", text)
    if not m:
        return None
    day, seconds = oracle_date(m[1]), oracle_seconds(m[2])
    if day is None or seconds is None:
        return None
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)


# ---------------------------------------------------------------------------------------------
# Dates


def formats(day: dt.date) -> list[str]:
    out = [
        day.isoformat(),
        f"{day.year:04d}-{day.month}-{day.day}",
        f"{day.day:02d}/{day.month:02d}/{day.year:04d}",
        f"{day.day}/{day.month}/{day.year:04d}",
        f"{day.isoformat()} 00:00",
        f"{day.isoformat()}T00:00:00",
    ]
    if 2000 <= day.year <= 2099:
        out.append(f"{day.day}/{day.month}/{day.year % 100:02d}")
    return out


@FAST
@given(st.lists(st.dates(min_value=dt.date(1, 1, 1)), min_size=1, max_size=40))
def test_every_valid_date_reads_as_itself(
    con: duckdb.DuckDBPyConnection, days: list[dt.date]
) -> None:
    texts = [text for day in days for text in formats(day)]
    expected = [day for day in days for _ in formats(day)]
    assert sql(con, "pm_date", texts) == expected


def _number(low: int, high: int, widths: tuple[int, ...]) -> st.SearchStrategy[str]:
    return st.builds(lambda n, w: str(n).zfill(w), st.integers(low, high), st.sampled_from(widths))


near_dates = st.one_of(
    st.builds(
        lambda y, m, d: f"{y}-{m}-{d}",
        _number(0, 9999, (4,)),
        _number(0, 13, (1, 2)),
        _number(0, 32, (1, 2)),
    ),
    st.builds(
        lambda d, m, y: f"{d}/{m}/{y}",
        _number(0, 32, (1, 2)),
        _number(0, 13, (1, 2)),
        st.one_of(_number(0, 99, (2,)), _number(0, 9999, (4,))),
    ),
)
junk = st.text(alphabet="0123456789/-: T.x", max_size=14)


@FAST
@given(st.lists(st.one_of(near_dates, junk), min_size=1, max_size=60))
@example(["0000-01-01", "31/12/0000", "29/02/2023", "29/02/2024", "31/04/2025", "1/13/2025"])
@example(["03/04/2025", "3/4/25", "2025-4-3", "2025-04-03 00:00", "2025-04-03T00:00:00"])
def test_dates_read_exactly_as_the_contract_says(
    con: duckdb.DuckDBPyConnection, texts: list[str]
) -> None:
    """Impossible days (31 April, 29 February 2023, month 13, year 0) give NULL, not a date."""
    assert sql(con, "pm_date", texts) == [oracle_date(t) for t in texts]


# ---------------------------------------------------------------------------------------------
# Times and date-times

near_times = st.builds(
    lambda h, m, s: f"{h}:{m}" + (f":{s}" if s is not None else ""),
    _number(0, 30, (1, 2)),
    _number(0, 70, (2,)),
    st.none() | _number(0, 70, (2,)),
)


@FAST
@given(st.lists(st.one_of(near_times, junk), min_size=1, max_size=60))
def test_times_read_exactly_as_the_contract_says(
    con: duckdb.DuckDBPyConnection, texts: list[str]
) -> None:
    assert sql(con, "pm_seconds", texts) == [oracle_seconds(t) for t in texts]


@FAST
@given(
    st.lists(
        st.one_of(
            st.builds(
                lambda d, sep, t: f"{d}{sep}{t}",
                st.one_of(near_dates, st.dates().map(lambda d: formats(d)[3])),
                st.sampled_from([" ", "T"]),
                near_times,
            ),
            st.builds(
                lambda moment, fmt: moment.strftime(fmt),
                st.datetimes(min_value=dt.datetime(1000, 1, 1)).map(
                    lambda m: m.replace(microsecond=0)
                ),
                st.sampled_from(["%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"]),
            ),
            junk,
        ),
        min_size=1,
        max_size=60,
    )
)
def test_date_times_read_exactly_as_the_contract_says(
    con: duckdb.DuckDBPyConnection, texts: list[str]
) -> None:
    assert sql(con, "pm_ts", texts) == [oracle_timestamp(t) for t in texts]


@FAST
@given(st.lists(st.datetimes(min_value=dt.datetime(1, 1, 1)), min_size=1, max_size=40))
def test_every_valid_date_time_reads_as_itself(
    con: duckdb.DuckDBPyConnection, moments: list[dt.datetime]
) -> None:
    moments = [m.replace(microsecond=0) for m in moments]
    texts = [
        text
        for m in moments
        for text in (
            f"{m.date().isoformat()} {m:%H:%M:%S}",
            f"{m.day}/{m.month}/{m.year:04d} {m.hour}:{m:%M:%S}",
            f"{m.date().isoformat()}T{m:%H:%M:%S}",
        )
    ]
    assert sql(con, "pm_ts", texts) == [m for m in moments for _ in range(3)]


# ---------------------------------------------------------------------------------------------
# Codes

# What a person types: ASCII, and the spaces a spreadsheet adds (tabs, non-breaking spaces).
typed = st.text(alphabet=st.sampled_from([*map(chr, range(32, 127)), "\t", "\xa0"]), max_size=30)
separators = st.text(alphabet=" -_\t\xa0", min_size=1, max_size=3)


@FAST
@given(st.lists(typed, min_size=1, max_size=60))
@example(["\tAttended", "attended\xa0", "Beneficiary\xa0meeting", " no - show ", "NOT_STATED"])
def test_codes_are_compared_in_sql_as_in_python(
    con: duckdb.DuckDBPyConnection, texts: list[str]
) -> None:
    """pm_key (SQL, on every imported value) and code_key (Python, which builds the code lists)
    must agree, or a listed code could be refused."""
    keys = sql(con, "pm_key", texts)
    assert keys == [code_key(t) for t in texts]
    assert sql(con, "pm_key", keys) == keys  # idempotent


@FAST
@given(st.data())
def test_every_listed_code_is_found_however_it_is_typed(
    con: duckdb.DuckDBPyConnection, data: st.DataObject
) -> None:
    field = data.draw(st.sampled_from(sorted(CODE_LISTS)))
    key = data.draw(st.sampled_from(sorted(CODE_LISTS[field])))
    words = key.split("_")
    typed_words = ["".join(c.upper() if data.draw(st.booleans()) else c for c in w) for w in words]
    text = typed_words[0]
    for word in typed_words[1:]:
        text += data.draw(separators) + word
    text = data.draw(st.sampled_from(["", " ", "\t", "\xa0"])) + text
    text += data.draw(st.sampled_from(["", " ", "\t", "\xa0"]))
    assert sql(con, "pm_key", [text]) == [key]


# ---------------------------------------------------------------------------------------------
# Import idempotence

MENTOR_CODES = [f"PM-{n}" for n in range(1, 7)]
SESSION_CODES = [f"S-{n}" for n in range(1, 7)]


def _cased(draw: st.DrawFn, text: str) -> str:
    style = draw(st.sampled_from(["lower", "upper", "title", "spaced"]))
    if style == "spaced":
        return " " + text.replace("_", " ") + " "
    return getattr(text, style)()


def _date_text(draw: st.DrawFn, day: dt.date) -> str:
    return draw(st.sampled_from(formats(day)[:4]))


@st.composite
def programme(draw: st.DrawFn) -> dict[str, str]:
    """A small programme in varied spellings, with some rows that will be rejected."""
    days = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2025, 6, 30))
    mentors = draw(st.lists(st.sampled_from(MENTOR_CODES), min_size=1, max_size=6, unique=True))
    lines = ["mentor_id,cohort,start_date,status,gender"]
    for code in mentors:
        status = draw(st.sampled_from(["active", "paused", "completed", "withdrawn", "gone"]))
        gender = draw(st.sampled_from(["", "female", "Male", "non-binary", "NOT STATED"]))
        cohort = draw(st.sampled_from(["2024 spring", "2025 autumn"]))
        lines.append(
            f"{code},{cohort},{_date_text(draw, draw(days))},{_cased(draw, status)},{gender}"
        )
    files = {"mentors.csv": "\n".join(lines) + "\n"}

    sessions = draw(st.lists(st.sampled_from(SESSION_CODES), min_size=1, max_size=6, unique=True))
    lines = ["session_id,session_type,scheduled_start,duration_minutes,staff_id"]
    starts: dict[str, dt.datetime] = {}
    for code in sessions:
        kind = draw(st.sampled_from(["shadowing", "beneficiary_meeting", "training", "event"]))
        start = dt.datetime.combine(draw(days), dt.time(draw(st.integers(8, 17)), 30))
        starts[code] = start
        minutes = draw(st.sampled_from(["60", "90", "0", "2000", "45"]))
        when = f"{_date_text(draw, start.date())} {start:%H:%M}"
        lines.append(f"{code},{_cased(draw, kind)},{when},{minutes},ST-{len(lines)}")
    files["sessions.csv"] = "\n".join(lines) + "\n"

    lines = ["session_id,mentor_id,attendance,arrival_time,notes"]
    for session in sessions:
        for mentor in draw(st.lists(st.sampled_from(MENTOR_CODES), max_size=4, unique=True)):
            mark = draw(st.sampled_from(["attended", "late", "DNA", "apologies", "present", "x"]))
            late = draw(st.integers(-10, 40))
            arrival = (starts[session] + dt.timedelta(minutes=late)).strftime("%H:%M")
            note = draw(st.sampled_from(["", "bus was late", '"said ""hello"""']))
            lines.append(f"{session},{mentor},{_cased(draw, mark)},{arrival},{note}")
    files["attendance.csv"] = "\n".join(lines) + "\n"

    lines = ["mentor_id,assessed_on,stage,self_esteem"]
    for mentor in draw(st.lists(st.sampled_from(MENTOR_CODES), max_size=6)):
        stage = draw(st.sampled_from(["1", "4", "7", "8", "letting go", "Self-doubt", "testing"]))
        esteem = draw(st.sampled_from(["", "12", "30", "31"]))
        lines.append(f"{mentor},{_date_text(draw, draw(days))},{_cased(draw, stage)},{esteem}")
    files["stages.csv"] = "\n".join(lines) + "\n"

    lines = ["mentor_id,milestone,achieved_on"]
    for mentor in draw(st.lists(st.sampled_from(MENTOR_CODES), max_size=4)):
        milestone = draw(st.sampled_from(["training_completed", "volunteering", "paid employment"]))
        lines.append(f"{mentor},{_cased(draw, milestone)},{_date_text(draw, draw(days))}")
    files["milestones.csv"] = "\n".join(lines) + "\n"
    return files


def _stored(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    tables = ("mentors", "sessions", "attendance", "stage_assessments", "milestones")
    with database.connect(db) as con:
        out = {
            t: sorted(con.execute(f"SELECT * EXCLUDE (import_id) FROM {t}").fetchall(), key=repr)
            for t in tables
        }
        out["rejected_rows"] = sorted(
            con.execute(
                "SELECT file_name, row_number, CAST(original_values AS VARCHAR), reasons "
                "FROM rejected_rows"
            ).fetchall(),
            key=repr,
        )
    return out


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(files=programme())
def test_importing_any_set_twice_changes_nothing_the_second_time(
    tmp_path_factory: pytest.TempPathFactory, files: dict[str, str]
) -> None:
    folder = tmp_path_factory.mktemp("twice")
    paths = []
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(ImportSource.of(folder / name))
    db = folder / "programme.duckdb"
    first = import_files(db, paths, user="tester", settings=Settings())
    assert first.landed, first.error
    stored = _stored(db)
    again = import_files(db, paths, user="tester", settings=Settings())
    assert again.landed, again.error
    for before, after in zip(first.files, again.files, strict=True):
        assert after.inserted == after.updated == 0, after.summary()
        assert after.read == before.read and after.rejected == before.rejected
        assert after.unchanged == before.inserted + before.updated + before.unchanged
    assert _stored(db) == stored
