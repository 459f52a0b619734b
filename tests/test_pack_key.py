"""The impact pack is made again whenever anything it shows changes (issue 22): the page caches
it on `impact_pack.pack_key`, which must change with the data version, a note shared with
funders, a target, any setting, the period and the stream; and its file name says whose pack it
is and for which period."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from analysis import database, impact, impact_pack, learning_log, metrics
from analysis.settings import Settings

FY = metrics.Scope(dt.date(2025, 4, 1), dt.date(2025, 12, 30))


def key(db: Path, scope: metrics.Scope = FY, settings: Settings | None = None) -> str:
    with database.read(db) as con:
        return impact_pack.pack_key(con, scope, settings or Settings())


@pytest.fixture
def db(clean_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "pack.duckdb"
    shutil.copy(clean_db, copy)
    return copy


def share_a_note(db: Path) -> None:
    with database.connect(db) as con:
        learning_log.add_note(con, "m@example.org", dt.date(2025, 6, 1), "We learned.", True)


def share_a_second_note(db: Path) -> None:
    share_a_note(db)
    with database.connect(db) as con:
        learning_log.add_note(con, "m@example.org", dt.date(2025, 7, 1), "And this.", True)


def add_a_target(db: Path) -> None:
    with database.connect(db) as con:
        con.execute(
            "INSERT INTO targets (figure, period_start, period_end, target) "
            "VALUES ('mentors_active', DATE '2025-04-01', DATE '2026-03-31', 30)"
        )


def bump_the_data(db: Path) -> None:
    with database.connect(db) as con:
        database.bump_data_version(con)


@pytest.mark.parametrize(
    "change",
    [share_a_note, add_a_target, bump_the_data],
    ids=["shared note", "target", "data version"],
)
def test_a_change_to_the_records_the_pack_shows_changes_its_key(
    db: Path, change: Callable[[Path], None]
) -> None:
    before = key(db)
    assert key(db) == before  # the same records: the same pack
    change(db)
    assert key(db) != before


def test_a_second_shared_note_changes_the_key_again(db: Path) -> None:
    share_a_note(db)
    first = key(db)
    with database.connect(db) as con:
        learning_log.add_note(con, "m@example.org", dt.date(2025, 7, 1), "A second note.", True)
    assert key(db) != first


def test_a_target_changed_in_place_changes_the_key(db: Path) -> None:
    """Even with the data version left alone (an edit made outside the program)."""
    add_a_target(db)
    before = key(db)
    with database.connect(db) as con:
        con.execute(
            "UPDATE targets SET wording = 'Mentors taking part' WHERE figure = $f",
            {"f": "mentors_active"},
        )
    assert key(db) != before


@pytest.mark.parametrize(
    "setting",
    [
        {"organisation_name": "Another charity"},
        {"suppression_k": 6},
        {"grace_minutes": 10},
        {"shadowing_target_hours": 12},
    ],
)
def test_every_setting_is_in_the_key(db: Path, setting: dict[str, object]) -> None:
    assert key(db, settings=dataclasses.replace(Settings(), **setting)) != key(db)


@pytest.mark.parametrize(
    "scope",
    [
        metrics.Scope(dt.date(2025, 7, 1), dt.date(2025, 9, 30)),  # another period
        dataclasses.replace(FY, regions=("North",)),
        dataclasses.replace(FY, funding_streams=("Lottery",)),
        dataclasses.replace(FY, cohorts=("2025 Q3",)),
    ],
)
def test_the_period_and_the_part_of_the_programme_are_in_the_key(
    db: Path, scope: metrics.Scope
) -> None:
    assert key(db, scope) != key(db)


def test_the_key_of_the_default_period_is_the_financial_years(db: Path) -> None:
    assert key(db, metrics.Scope()) == key(db, FY)


def test_the_file_name_carries_the_stream_and_the_period(db: Path) -> None:
    with database.read(db) as con:
        whole = impact.summary(con, FY, Settings())
        q3 = impact.summary(
            con,
            metrics.Scope(dt.date(2025, 10, 1), dt.date(2025, 12, 30), regions=("North",)),
            Settings(),
        )
    assert impact.file_stem(whole) == "impact-summary-whole-programme-2025-26"
    assert impact.file_stem(q3) == "impact-summary-north-q3-2025-26"
    summary = dataclasses.replace(whole, filters={"Funding stream": ["Esmée core grant"]})
    assert impact.file_stem(summary) == "impact-summary-esmee-core-grant-2025-26"
