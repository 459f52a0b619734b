"""SQL is composed from validated pieces that carry their values (#23): an ordering is chosen
from a fixed list by name, a page's size is a bound whole number, parameters are found by
DuckDB's parser, and no module edits SQL text by replacing placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from analysis import metrics, query

ROOT = Path(__file__).resolve().parents[1]
ORDERS = {"name": "mentor_id", "late": "late DESC, mentor_id"}
PLACEHOLDER = re.compile(r"\{\w+\}|<\w+:")  # "{order}", "<distinct:...>"; not "<br>"


def test_an_ordering_is_picked_by_name_and_a_name_never_reaches_the_text() -> None:
    assert query.order_by("late", ORDERS).text.strip() == "ORDER BY late DESC, mentor_id"
    assert query.order_by("late", ORDERS).params == {}
    for hostile in ("mentor_id; DROP TABLE mentors", "late DESC", "", "Name", "name "):
        with pytest.raises(ValueError, match="order must be one of name, late"):
            query.order_by(hostile, ORDERS)


@pytest.mark.parametrize("limit", [-1, 1.5, "10", True, None])
def test_a_page_size_is_a_whole_number_bound_as_a_value(limit: object) -> None:
    with pytest.raises(ValueError, match="limit must be a whole number"):
        query.page(limit, 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="offset must be a whole number"):
        query.page(10, limit)  # type: ignore[arg-type]


def test_pieces_compose_with_their_values() -> None:
    piece = query.Sql("SELECT * FROM t WHERE a = $a", {"a": "x'; --"}) + query.page(5, 10)
    assert piece.text == "SELECT * FROM t WHERE a = $a\nLIMIT $limit OFFSET $offset\n"
    assert piece.params == {"a": "x'; --", "limit": 5, "offset": 10}
    assert ("WITH t AS (SELECT 1) " + piece).text.startswith("WITH t AS")
    with pytest.raises(ValueError, match="limit"):
        piece + query.page(6, 10)


def test_a_composed_query_runs_with_hostile_values_as_values() -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a.b', 1), ('x''; --', 2)) v(a, n)")
    piece = query.Sql("SELECT n FROM t WHERE a = $a", {"a": "x'; --"}) + query.order_by(
        "n", {"n": "n"}
    )
    assert con.execute(piece.text, dict(piece.params)).fetchall() == [(2,)]


def test_bind_reads_the_parameters_as_duckdb_parses_them() -> None:
    sql = "SELECT $a, '$b' AS text, \"$c\" -- $d\n FROM range(1) /* $e */ WHERE $f"
    p = dict.fromkeys("abcdefg", 1)
    assert metrics.bind(sql, p) == {"a": 1, "f": 1}


def _sql_text_edits(tree: ast.AST) -> list[int]:
    """Lines that call `.replace(...)` with a `{placeholder}` or `<placeholder>` string, or
    build a `<distinct:...>` placeholder."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "replace"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and PLACEHOLDER.search(node.args[0].value)
        ):
            found.append(node.lineno)
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "<distinct:" in node.value
        ):
            found.append(node.lineno)
    return found


def test_no_module_edits_sql_by_replacing_placeholders() -> None:
    edits = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "analysis").rglob("*.py"))
        if (lines := _sql_text_edits(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert edits == {}
    # the check itself finds the pattern it is for
    code = 'sql.replace("{order}", x)\nf"<distinct:{c}>"\nhtml.replace("<br>", " ")'
    assert _sql_text_edits(ast.parse(code)) == [1, 2]


def test_a_forked_child_parses_with_its_own_duckdb() -> None:
    import multiprocessing

    metrics.bind("SELECT $x", {"x": 1})  # the parent has its parser
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        got = pool.apply(metrics.bind, ("SELECT $y, '$z'", {"y": 2, "z": 3}))
    assert got == {"y": 2}
