"""Target evaluations are kept per published file and data version (analysis/targets.py): the
same file and question are answered from memory, any change answers afresh, and a connection
that can change what it reads is never answered from memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import admin, database, demo_data, metrics, targets
from analysis.settings import Settings

SETTINGS = Settings()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "programme.duckdb"
    assert admin.create_demo(path, mentors=30, end=demo_data.DEFAULT_END).landed
    return path


@pytest.fixture
def computes(monkeypatch: pytest.MonkeyPatch) -> list[metrics.Scope]:
    calls: list[metrics.Scope] = []
    real = metrics.compute

    def counted(con: object, scope: metrics.Scope, *args: object, **kwargs: object) -> object:
        calls.append(scope)
        return real(con, scope, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(metrics, "compute", counted)
    return calls


def _evaluations(db: Path) -> list[targets.Evaluation]:
    with database.read(db) as con:
        return targets.page_evaluations(con, metrics.Scope(), SETTINGS)


def test_the_same_question_on_the_same_file_is_answered_from_memory(
    db: Path, computes: list[metrics.Scope]
) -> None:
    first = _evaluations(db)
    assert computes, "the first evaluation computes"
    assert any(e.actual is not None for e in first)
    computes.clear()
    again = _evaluations(db)  # a new connection, as the next page run opens
    assert computes == []
    assert again == first


def test_a_change_to_the_records_is_evaluated_afresh(
    db: Path, computes: list[metrics.Scope]
) -> None:
    before = {e.target: e for e in _evaluations(db)}
    hours = next(t for t in before if t.figure == "peer_support_hours")
    assert before[hours].actual
    with database.connect(db) as con:  # every attended session becomes a no-show
        con.execute("UPDATE attendance SET attendance = 'no_show', arrival = NULL")
        database.bump_data_version(con)
    computes.clear()
    after = {e.target: e for e in _evaluations(db)}
    assert computes, "the changed file is evaluated again"
    assert after[hours].actual == 0
    # And it is what a connection that never memoises computes.
    with database.connect(db, publish=False) as con:
        computes.clear()
        direct = {e.target: e for e in targets.page_evaluations(con, metrics.Scope(), SETTINGS)}
        assert computes, "a writing connection is never answered from memory"
    assert direct == after
