"""Reads borrow a pooled in-memory DuckDB (analysis/database.py `_Lease`): making an instance
costs about 20 ms, attaching the file about 2. What one read leaves must never reach the next:
its TEMP tables go with its cursor, no setting can be changed, the file is detached, and a replaced file is
read afresh. The pool stays small and an instance is retired after a number of reads.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import duckdb
import pytest

from analysis import admin, database, demo_data


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pool") / "programme.duckdb"
    assert admin.create_demo(path, mentors=8, end=demo_data.DEFAULT_END).landed
    return path


def _instances() -> list[duckdb.DuckDBPyConnection]:
    return [entry[1] for entry in database._pool]


def test_a_read_leaves_nothing_for_the_next(db: Path) -> None:
    with database.read(db) as con:
        con.execute("CREATE TEMP TABLE mine AS SELECT 1 AS x")
        with pytest.raises(duckdb.Error, match="configuration"):
            con.execute("SET threads = 1")  # no read may change what the next read runs with
    with database.read(db) as con:
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone() == (
            0,
        )
        assert con.execute("SELECT current_setting('threads')").fetchone() != (1,)
        assert con.execute("SELECT current_database()").fetchone() == ("published",)
    # Between reads the file is attached nowhere: the pooled instance holds only its memory.
    for instance in _instances():
        rows = instance.execute("SELECT database_name FROM duckdb_databases()").fetchall()
        names = {n for (n,) in rows}
        assert "published" not in names


def test_a_replaced_file_is_read_afresh(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "programme.duckdb"
    shutil.copyfile(db, path)
    with database.read(path) as con:
        before = database.data_version(con)
    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(db, changed)
    with duckdb.connect(str(changed)) as con:
        database.bump_data_version(con)
    changed.replace(path)  # published the way an import publishes: one rename
    with database.read(path) as con:
        assert database.data_version(con) == before + 1


def test_the_pool_stays_small_and_retires_an_instance(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "LEASES_PER_INSTANCE", 3)
    database._pool.clear()
    seen: list[int] = []
    for _ in range(7):
        with database.read(db) as con:
            con.execute("SELECT count(*) FROM mentors").fetchone()
        seen.append(id(_instances()[0]) if database._pool else 0)
    assert len(database._pool) <= 1  # reads one after another share one instance
    # Three reads on an instance, then a new one: the pool never keeps a worn one.
    assert 0 in seen


def test_reads_at_the_same_time_get_instances_of_their_own(db: Path) -> None:
    database._pool.clear()
    ready = threading.Barrier(6)
    found: list[str] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            with database.read(db) as con:
                ready.wait(timeout=30)
                found.append(
                    str(con.execute("SELECT current_setting('temp_directory')").fetchone())
                )
                ready.wait(timeout=30)
        except BaseException as exc:  # a failure in a thread must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(set(found)) == 6  # six instances at once, each with its own spill folder
    assert len(database._pool) <= database.POOLED_INSTANCES


def test_a_read_s_attached_databases_and_memory_objects_never_reach_the_next(
    db: Path, tmp_path: Path
) -> None:
    """Security re-probe, finding 8: an `ATTACH ':memory:' AS x` and a table in `memory.main`
    survived into the next lease of a pooled instance."""
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE secret AS SELECT 'PM-0001' AS code")
    database._pool.clear()
    with database.read(db) as con:
        con.execute("ATTACH ':memory:' AS x")
        con.execute("CREATE TABLE x.kept AS SELECT 'PM-0001' AS code")
        con.execute("ATTACH $p AS side (READ_ONLY)", {"p": str(other)})
    with database.read(db) as con:
        names = {
            n for (n,) in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
        }
        assert names == {"memory", "published", "system", "temp"}
    for made in (
        "CREATE TABLE memory.main.t AS SELECT 'PM-0001' AS code",
        "CREATE VIEW memory.main.v AS SELECT 'PM-0001' AS code",
        "CREATE MACRO memory.main.m() AS 'PM-0001'",
        "CREATE SEQUENCE memory.main.s",
        "CREATE SCHEMA memory.hidden",
        "CREATE TYPE memory.main.mood AS ENUM ('PM-0001')",
    ):
        with database.read(db) as con:
            con.execute(made)
        with database.read(db) as con:
            left = con.execute(
                "SELECT (SELECT count(*) FROM duckdb_tables() WHERE database_name = 'memory')"
                " + (SELECT count(*) FROM duckdb_views() WHERE database_name = 'memory'"
                "    AND NOT internal)"
                " + (SELECT count(*) FROM duckdb_sequences() WHERE database_name = 'memory')"
                " + (SELECT count(*) FROM duckdb_functions() WHERE database_name = 'memory'"
                "    AND function_name = 'm')"
                " + (SELECT count(*) FROM duckdb_types() WHERE database_name = 'memory'"
                "    AND type_name = 'mood')"
                " + (SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'hidden')"
            ).fetchone()
            assert left == (0,), made
    # Every pooled instance between reads holds its own memory and nothing else.
    for instance in _instances():
        rows = instance.execute("SELECT database_name FROM duckdb_databases()").fetchall()
        assert {n for (n,) in rows} == {"memory", "system", "temp"}
        assert database._left_in_memory(instance) == 0
