"""A read connection (a page run, a report) holds at most READ_MEMORY_LIMIT in DuckDB and spills
the rest to a folder of its own, which is gone once the connection closes (analysis/database.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import admin, database, demo_data


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("memory") / "programme.duckdb"
    assert admin.create_demo(path, mentors=8, end=demo_data.DEFAULT_END).landed
    return path


def _setting(con: object, name: str) -> str:
    row = con.execute("SELECT current_setting($n)", {"n": name}).fetchone()  # type: ignore[attr-defined]
    return str(row[0])


def test_each_read_connection_is_bounded_and_spills_to_its_own_folder(db: Path) -> None:
    with database.read(db) as one, database.read(db) as two:
        assert _setting(one, "memory_limit") == "488.2 MiB"  # 512 MB, as DuckDB shows it
        first, second = _setting(one, "temp_directory"), _setting(two, "temp_directory")
    assert first != second
    assert not Path(first).exists() and not Path(second).exists()  # made only to spill


def test_what_does_not_fit_is_spilled_and_the_folder_removed(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "READ_MEMORY_LIMIT", "16MB")
    with database.read(db) as con:
        spill = Path(_setting(con, "temp_directory"))
        # About 150 MB of rows, ten times the limit: DuckDB can only hold them by spilling.
        con.execute(
            "CREATE TEMP TABLE big AS SELECT range AS n, repeat('x', 120) || range AS text "
            "FROM range(1000000)"
        )
        assert spill.is_dir() and any(spill.iterdir())
        assert con.execute("SELECT count(*), max(text) FROM big").fetchone() == (
            1_000_000,
            "x" * 120 + "999999",
        )
    assert not spill.exists()
