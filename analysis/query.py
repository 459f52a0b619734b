"""The query layer: the scope as named SQL pieces, and any registered measure by any dimension.

The scope (selected mentors, active mentors, their attendance rows with the per-row definitions
of METRICS.md, the rows up to `to` and in the window) is a list of named CTEs, put together by
`with_clause`; nothing is made by cutting or replacing SQL text. A breakdown is a registered
figure's measure (`analysis.figures`) grouped by a `Dimension`: `measure_sql` writes the
aggregate from the registry, so a rate is written once, there.

Values are always bound parameters (`$from`, `$to`, ...); the only names put into SQL text are
the registry's own column expressions and the materialised rows table's generated name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analysis import figures as registry

# --- pieces with their values -----------------------------------------------------------------


@dataclass(frozen=True)
class Sql:
    """A piece of SQL and the values it binds, as Datasette's filters give (sql, params): the
    text names each value as `$name`, `params` holds them. Pieces compose with `+`; a name bound
    by both pieces must hold the same value."""

    text: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __add__(self, other: Sql | str) -> Sql:
        if isinstance(other, str):
            return Sql(self.text + other, self.params)
        clash = [k for k in other.params if k in self.params and self.params[k] != other.params[k]]
        if clash:
            raise ValueError(f"parameter(s) {', '.join(clash)} bound to two values")
        return Sql(self.text + other.text, {**self.params, **other.params})

    def __radd__(self, other: str) -> Sql:
        return Sql(other + self.text, self.params)


def order_by(choice: str, orderings: Mapping[str, str]) -> Sql:
    """`ORDER BY` one of a fixed set of orderings, chosen by its name: the name a page passes
    only picks an entry, and never reaches the SQL text."""
    if choice not in orderings:
        raise ValueError(f"order must be one of {', '.join(orderings)}, not {choice!r}")
    return Sql(f"\nORDER BY {orderings[choice]}")


def page(limit: int, offset: int = 0) -> Sql:
    """`LIMIT $limit OFFSET $offset`, both bound, both whole numbers of 0 or more."""
    for name, value in (("limit", limit), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a whole number of 0 or more, not {value!r}")
    return Sql("\nLIMIT $limit OFFSET $offset\n", {"limit": limit, "offset": offset})


@dataclass(frozen=True)
class Cte:
    """One named piece of a query."""

    name: str
    body: str
    materialized: bool = False

    def sql(self) -> str:
        keyword = "MATERIALIZED " if self.materialized else ""
        return f"{self.name} AS {keyword}(\n{self.body.strip()}\n)"


def with_clause(ctes: Iterable[Cte]) -> str:
    """`WITH a AS (...), b AS (...)` (a newline before and after)."""
    return "\nWITH " + ",\n".join(c.sql() for c in ctes) + "\n"


def _in_filter(parameter: str, column: str) -> str:
    return (
        f"(len(CAST(${parameter} AS VARCHAR[])) = 0 "
        f"OR list_contains(CAST(${parameter} AS VARCHAR[]), {column}))"
    )


SELECTED = Cte(
    "selected",
    "SELECT * FROM mentors\nWHERE "
    + "\n  AND ".join(
        _in_filter(p, c)
        for p, c in (
            ("cohorts", "cohort"),
            ("genders", "gender"),
            ("workers", "outreach_worker"),
            ("regions", "region"),
        )
    ),
)
ACTIVE = Cte(
    "active",
    """
    SELECT * FROM selected
    WHERE start_date <= $to AND (end_date IS NULL OR end_date >= $from)
      AND (len(CAST($streams AS VARCHAR[])) = 0 OR mentor_id IN (
           SELECT f.mentor_id FROM funding f
           WHERE list_contains(CAST($streams AS VARCHAR[]), f.funding_stream)
             AND (f.from IS NULL OR f.from <= $to) AND (f.to IS NULL OR f.to >= $from)))
    """,
)
TIMED = Cte(
    "timed",
    """
    SELECT a.mentor_id, a.session_id, a.attendance, a.minutes_attended, s.session_type,
           s.scheduled_start, CAST(s.scheduled_start AS DATE) AS day, s.duration_minutes,
           s.staff_id, s.beneficiary_id, s.event_name,
           a.attendance <> 'cancelled_by_programme' AS expected,
           a.attendance IN ('attended', 'late') AS present,
           CASE WHEN a.arrival IS NOT NULL THEN CAST(greatest(0,
               floor((epoch(a.arrival) - epoch(s.scheduled_start)) / 60)) AS INTEGER) END
               AS minutes_late
    FROM attendance a
    JOIN sessions s USING (session_id)
    WHERE a.mentor_id IN (SELECT mentor_id FROM selected)
    """,
)
# METRICS.md, per attendance row. `late`: the recorded arrival time decides; the mark only when
# there is none (changed in the second release).
ROWS_ALL = Cte(
    "rows_all",
    """
    SELECT *,
           present AND CASE WHEN minutes_late IS NOT NULL THEN minutes_late > $grace
                            ELSE attendance = 'late' END AS late,
           CASE WHEN present THEN least(duration_minutes, coalesce(minutes_attended,
               greatest(0, duration_minutes - coalesce(minutes_late, 0)))) END AS credited_minutes
    FROM timed
    """,
)
ROWS_IN = Cte("rows_in", "SELECT * FROM rows_to WHERE day >= $from")


def rows_to(source: str = "rows_all", materialized: bool = False) -> Cte:
    """The active mentors' rows up to `to`, from `source` (the CTE, or the materialised table
    `metrics.rows_table` named)."""
    if not source.replace("_", "").isalnum():
        raise ValueError(f"not a table name: {source!r}")
    return Cte(
        "rows_to",
        f"SELECT r.* FROM {source} r JOIN active USING (mentor_id) WHERE r.day <= $to",
        materialized,
    )


def scope_ctes(table: str | None = None, materialized: bool = False) -> list[Cte]:
    """The scope's CTEs; with `table`, the selected mentors' rows are read from it."""
    if table is not None:
        return [SELECTED, ACTIVE, rows_to(table), ROWS_IN]
    return [SELECTED, ACTIVE, TIMED, ROWS_ALL, rows_to("rows_all", materialized), ROWS_IN]


def rows_table_sql(table: str) -> str:
    """CREATE TEMP TABLE `table` with the selected mentors' rows (`rows_all`)."""
    if not table.replace("_", "").isalnum():
        raise ValueError(f"not a table name: {table!r}")
    return (
        f"CREATE TEMP TABLE {table} AS"
        + with_clause([SELECTED, TIMED, ROWS_ALL])
        + "SELECT * FROM rows_all"
    )


# --- measures ---------------------------------------------------------------------------------


def column(key: str) -> str:
    """The SQL column name of a figure (`beneficiary_meetings.late` → `beneficiary_meetings_late`)."""
    return key.replace(".", "_")


@dataclass(frozen=True)
class Source:
    """Where a measure's tallies are read: the scoped rows themselves, or `by_mentor`, one row
    per mentor with each tally summed (`<tally>`) and its rows counted (`<tally>_rows`): the
    same figure, cheaper, since the mentors a figure rests on are those with rows."""

    per_mentor: bool = False

    def tally(self, name: str) -> str:
        if self.per_mentor:
            return f"coalesce(sum({name}), 0)"
        return registry.TALLIES[name].sum_sql()

    def mentors_of(self, names: Sequence[str]) -> str:
        """The distinct mentors with rows in any of the tallies."""
        if self.per_mentor:
            return f"count(*) FILTER (WHERE {' + '.join(f'{n}_rows' for n in names)} > 0)"
        wheres = " OR ".join(f"({registry.TALLIES[n].where})" for n in names)
        return f"count(DISTINCT mentor_id) FILTER (WHERE {wheres})"


ROWS = Source()
PER_MENTOR = Source(per_mentor=True)


def additive(figure: registry.Figure) -> bool:
    """True when the figure's measure can be read from per-mentor sums."""
    return isinstance(figure.measure, registry.Ratio | registry.Total | registry.Mentors)


def measure_sql(figure: registry.Figure, source: Source = ROWS) -> str:
    """The aggregate of a figure's measure over (grouped) scoped rows, or per-mentor sums."""
    m = figure.measure

    def total(names: Sequence[str]) -> str:
        return " + ".join(source.tally(n) for n in names)

    if isinstance(m, registry.Ratio):
        return f"({total(m.numerator)}) / nullif({total(m.denominator)}, 0)"
    if isinstance(m, registry.Total):
        if m.scale != 1:
            return f"({total(m.parts)}) / {round(1 / m.scale)}.0"
        return f"CAST({total(m.parts)} AS DOUBLE)" if m.floating else total(m.parts)
    if isinstance(m, registry.Mentors):
        return source.mentors_of((m.over,))
    if source.per_mentor:
        raise ValueError(f"{figure.key!r} cannot be read from per-mentor sums")
    if isinstance(m, registry.Statistic):
        return f"{m.aggregate}({m.value}) FILTER (WHERE {registry.TALLIES[m.over].where})"
    if isinstance(m, registry.Distinct):
        return f"count(DISTINCT {m.column}) FILTER (WHERE {registry.TALLIES[m.over].where})"
    raise ValueError(f"figure {figure.key!r} has no measure over the attendance rows")


def support_sql(figure: registry.Figure, source: Source = ROWS) -> str:
    """The distinct mentors a figure's value rests on, over the same (grouped) rows."""
    assert figure.measure is not None, figure.key
    return source.mentors_of(figure.measure.support)


def by_mentor(figures: Iterable[registry.Figure]) -> Cte:
    """`by_mentor`: per mentor, each tally the additive `figures` need, summed and counted."""
    select = ["mentor_id"]
    for t in registry.tallies_of(f for f in figures if additive(f)):
        select.append(f"{t.sum_sql()} AS {t.name}")
        select.append(f"{t.count_sql()} AS {t.name}_rows")
    return Cte("by_mentor", f"SELECT {', '.join(select)}\nFROM rows_in GROUP BY mentor_id")


def figures_columns(figures: Iterable[registry.Figure]) -> list[str]:
    """Columns of one row (structs `per_mentor` and `by_rows`): each figure's value
    (`<column>`) and what it rests on (`<column>_mentors`); additive figures from `by_mentor`,
    the others (medians, distinct beneficiaries) from the rows themselves."""
    chosen = list(figures)
    out = []
    for name, source, table in (
        ("per_mentor", PER_MENTOR, "by_mentor"),
        ("by_rows", ROWS, "rows_in"),
    ):
        these = [f for f in chosen if additive(f) == source.per_mentor]
        if these:
            fields = ", ".join(
                f"'{column(f.key)}': {measure_sql(f, source)}, "
                f"'{column(f.key)}_mentors': {support_sql(f, source)}"
                for f in these
            )
            out.append(f"(SELECT {{{fields}}} FROM {table}) AS {name}")
    return out


# --- dimensions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    """A way to group the scoped rows: its columns (alias, expression) and whether it needs
    the mentor's record (`active`, joined by mentor_id)."""

    name: str
    columns: tuple[tuple[str, str], ...]
    needs_mentor: bool = False


WEEKS_FROM = "least(greatest(date_diff('day', start_date, day), 0) // 7, $cap) // $bucket * $bucket"

DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("total", ()),
        Dimension("month", (("month", "CAST(date_trunc('month', day) AS DATE)"),)),
        Dimension("session_type", (("session_type", "session_type"),)),
        Dimension(
            "weekday_hour",
            (("weekday", "isodow(scheduled_start)"), ("hour", "hour(scheduled_start)")),
        ),
        Dimension("cohort", (("cohort", "cohort"),), needs_mentor=True),
        Dimension("outreach_worker", (("outreach_worker", "outreach_worker"),), True),
        Dimension("mentor", (("mentor_id", "mentor_id"),)),
        Dimension("staff", (("staff_id", "coalesce(staff_id, 'Not recorded')"),)),
        Dimension("weeks_in_programme", (("weeks_from", WEEKS_FROM),), needs_mentor=True),
    )
}


def breakdown_sql(
    dimension: str,
    figures: Sequence[str] = (),
    tallies: Sequence[str] = (),
    *,
    supports: Sequence[str] = (),
    counts: Sequence[str] = (),
    where: str | None = None,
    rows: str = "rows_in",
) -> str:
    """`SELECT <dimension columns>, <tallies>, <figures>, <supports> FROM rows GROUP BY ...`

    Figures are registry keys (column names: `column(key)`); tallies are registry tallies
    (summed); `supports` are figures whose support (distinct mentors) is wanted, as
    `<column>_mentors`; `counts` are tallies whose rows are counted, as `<tally>_rows`.
    `where` is a registry tally whose rows alone are grouped.
    """
    d = DIMENSIONS[dimension]
    select = [f"{expr} AS {alias}" for alias, expr in d.columns]
    select += [f"{ROWS.tally(t)} AS {t}" for t in tallies]
    select += [f"{registry.TALLIES[t].count_sql()} AS {t}_rows" for t in counts]
    for key in figures:
        select.append(f"{measure_sql(registry.get(key))} AS {column(key)}")
    for key in supports:
        select.append(f"{support_sql(registry.get(key))} AS {column(key)}_mentors")
    source = f"{rows} JOIN active USING (mentor_id)" if d.needs_mentor else rows
    sql = f"SELECT {', '.join(select)}\nFROM {source}"
    if where is not None:
        sql += f"\nWHERE {registry.TALLIES[where].where}"
    if d.columns:
        sql += "\nGROUP BY ALL"
    return "\n" + sql + "\n"
