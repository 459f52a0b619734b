"""Which form a file that fits no record type is, and where a grid's mapping starts: read from
the file itself (its dates, marks, name column and any duration), nothing made up."""

from __future__ import annotations

from pathlib import Path

from analysis import importer, profiles
from tests.conftest import M, build, query

GRID = Path(__file__).parent / "samples_round2" / "grid" / "group-days.xlsx"


def _shapes(path: Path) -> list[tuple[str | None, list[str], dict[str, list[str]]]]:
    return [
        (s.sheet, s.headers, s.values)
        for s in importer.file_columns(importer.ImportSource.of(path))
    ]


def test_the_public_grid_example_looks_like_a_grid() -> None:
    shapes = _shapes(GRID)
    assert profiles.likely_form([(h, v) for _, h, v in shapes]) == "grid"
    start = profiles.grid_start("group-days.xlsx", shapes)
    assert start["mentor_column"] == "Mentor"
    assert start["session_type"] == "group_day"
    assert "duration_minutes" not in start  # the workbook never says how long a day is
    assert "start_time" not in start
    # every mark of every sheet, and all are ones the dashboard knows
    assert {"/", "DNA", "N", "Y", "✓"} <= set(start["marks"])
    assert profiles.unknown_marks(start["marks"]) == []


def test_a_programmes_typical_duration_is_used_only_when_the_file_gives_none() -> None:
    shapes = _shapes(GRID)
    assert (
        profiles.grid_start("group-days.xlsx", shapes, {"group_day": 240})["duration_minutes"]
        == 240
    )
    ranged = [(None, ["Code", "01/02/2025 10:00-15:00", "08/02/2025 10:00-15:00"], {})]
    assert profiles.grid_start("x.csv", ranged, {"group_day": 240}) | {"marks": []} == {
        "mentor_column": "Code",
        "start_time": "10:00",
        "duration_minutes": 300,
        "marks": [],
    }
    said = [
        (
            None,
            ["Mentor", "Session length (hours)", "03/03/2025"],
            {"Session length (hours)": ["2.5 hours"]},
        )
    ]
    assert profiles.grid_start("training-register.csv", said)["duration_minutes"] == 150
    assert profiles.grid_start("training-register.csv", said)["session_type"] == "training"


def test_a_time_range_heading_is_a_date_with_its_own_start_and_duration(tmp_path: Path) -> None:
    assert profiles.header_minutes("01/02/2025 10:00-15:00") == 300
    assert profiles.header_minutes("01/02/2025 10:00") is None
    assert profiles.header_minutes("01/02/2025 15:00-10:00") is None
    grid = profiles.parse(
        {
            "name": "g",
            "record_type": "register",
            "form": "grid",
            "grid": {
                "mentor_column": "M",
                "session_type": "training",
                "duration_minutes": 60,
                "start_time": "10:00",
            },
        }
    )
    # Read as the importer reads a grid (in SQL): the ranged column keeps its own start and
    # length, the other takes the mapping's.
    csv = tmp_path / "register.csv"
    csv.write_text("M,01/02/2025 10:00-15:00,02/02/2025\nPM-1,/,L 10:20\n", encoding="utf-8")
    db = build(tmp_path / "grid.duckdb", mentors=[M("PM-1", start="2025-01-01")])
    result = importer.import_files(db, [importer.ImportSource(csv, csv.name, grid)], user="tester")
    assert result.landed, result.summary()
    got = query(
        db,
        "SELECT strftime(s.scheduled_start, '%Y-%m-%d %H:%M'), s.duration_minutes, a.attendance "
        "FROM attendance a JOIN sessions s USING (session_id) ORDER BY s.scheduled_start",
    )
    assert got == [("2025-02-01 10:00", 300, "attended"), ("2025-02-02 10:00", 60, "late")]


def test_tables_and_odd_files_are_not_taken_for_grids() -> None:
    foreign = (["Member code", "Date", "Start", "Came?"], {"Date": ["03/04/2026"]})
    assert profiles.likely_form([foreign]) == "table"
    # dated columns holding long text are a table of notes, not marks
    notes = (
        ["Mentor", "01/02/2025", "02/02/2025"],
        {"01/02/2025": ["Talked about housing and the course"] * 5, "02/02/2025": ["ok"]},
    )
    assert profiles.grid_mentor_column(*notes) is None
    assert profiles.likely_form([]) == "table"
    # a heading with a dot or quotes in it is just a name column
    odd = (['Mentor "code".', "2025-02-01", "2025-02-08"], {"2025-02-01": ["P"]})
    assert profiles.grid_mentor_column(*odd) == 'Mentor "code".'


def test_an_unknown_mark_is_asked_about_once_and_a_late_time_is_not_a_mark() -> None:
    assert profiles.unknown_marks(["L 10:20", "L 10:41", "?", "?", "Sick"]) == ["?", "Sick"]
    assert profiles.unknown_marks(["Sick"], {"Sick": "notified_absence"}) == []


def test_every_file_that_fits_no_record_type_is_named(tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    a.write_text("Member,03/04/2026\nPM-1,/\n", encoding="utf-8")
    b = tmp_path / "b.csv"
    b.write_text("name,email\nA,a@example.org\n", encoding="utf-8")
    result = importer.import_files(
        tmp_path / "db.duckdb",
        [importer.ImportSource.of(a), importer.ImportSource.of(b)],
        dry_run=True,
    )
    assert not result.landed
    assert result.unmapped == ["a.csv", "b.csv"]
    assert "fits no record type" in (result.error or "") and "b.csv" in (result.error or "")
