"""Behaviour, the third learned skill (METRICS.md, third release): the `conduct.*` figures, the
three skills by weeks in the programme (`skills_curve`), their funder suppression, and what the
Behaviour page and the Mentor journey show of the observations.

Over active mentors (the scope of `analysis.metrics`), observations dated in the window. Values
are bound parameters; the SQL text holds only the project's own constants.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from analysis import figures, metrics, privacy, query
from analysis.records import CONDUCT_CATEGORIES
from analysis.settings import Settings

BUCKET_WEEKS = 4
LAST_BUCKET = 52
BUCKETS = tuple(range(0, LAST_BUCKET + 1, BUCKET_WEEKS))
CURVE_RATES = ("late_rate", "no_show_rate", "concern_rate")
MANAGERS_ONLY = ("high_severity", "open")

# A row's bucket of weeks in the programme (METRICS.md): min(4 × floor(weeks in / 4), 52), weeks
# in = floor((its date − start_date) / 7 days), 0 when negative. `$day` is the row's date.
BUCKET_SQL = (
    "least(greatest(date_diff('day', start_date, {day}), 0) // 7 // "
    f"{BUCKET_WEEKS} * {BUCKET_WEEKS}, {LAST_BUCKET})"
)

# The active mentors' observations, each with its bucket (the scope's CTEs come first).
_OBSERVED = f"""
observed AS (
    SELECT c.mentor_id, c.observed_on, c.kind, c.category, c.severity, c.session_id,
           c.staff_id, c.resolved_on, c.notes, a.start_date,
           {BUCKET_SQL.format(day="c.observed_on")} AS bucket
    FROM conduct c JOIN active a USING (mentor_id)
),
observed_in AS (SELECT * FROM observed WHERE observed_on BETWEEN $from AND $to)
"""

_FIGURES_SELECT = """
SELECT
    (SELECT count(*) FILTER (WHERE kind = 'concern') FROM observed_in) AS concerns,
    (SELECT count(DISTINCT mentor_id) FILTER (WHERE kind = 'concern') FROM observed_in)
        AS concern_mentors,
    (SELECT count(*) FILTER (WHERE kind = 'strength') FROM observed_in) AS strengths,
    (SELECT count(DISTINCT mentor_id) FILTER (WHERE kind = 'strength') FROM observed_in)
        AS strength_mentors,
    (SELECT count(*) FILTER (WHERE kind = 'concern' AND severity = 'high') FROM observed_in)
        AS high_severity,
    (SELECT count(DISTINCT mentor_id) FILTER (WHERE kind = 'concern' AND severity = 'high')
        FROM observed_in) AS high_mentors,
    (SELECT quantile_cont(date_diff('day', observed_on, resolved_on), 0.5)
        FILTER (WHERE kind = 'concern' AND resolved_on <= $to) FROM observed_in)
        AS median_days,
    (SELECT count(DISTINCT mentor_id) FILTER (WHERE kind = 'concern' AND resolved_on <= $to)
        FROM observed_in) AS resolved_mentors,
    (SELECT count(*) FROM observed WHERE kind = 'concern' AND observed_on <= $to
        AND (resolved_on IS NULL OR resolved_on > $to)) AS open,
    (SELECT count(DISTINCT mentor_id) FROM observed WHERE kind = 'concern'
        AND observed_on <= $to AND (resolved_on IS NULL OR resolved_on > $to)) AS open_mentors,
    (SELECT count(*) FILTER (WHERE present) FROM rows_in) AS present,
    (SELECT count(DISTINCT mentor_id) FILTER (WHERE present) FROM rows_in) AS present_mentors
"""

_CATEGORY_SELECT = """
SELECT category, kind, count(*) AS n, count(DISTINCT mentor_id) AS mentors
FROM observed_in GROUP BY ALL
"""

_CURVE_SELECT = f"""
SELECT bucket,
       sum(present) AS present, sum(present_mentors) AS present_mentors,
       sum(late) AS late, sum(expected) AS expected, sum(expected_mentors) AS expected_mentors,
       sum(no_show) AS no_show, sum(concerns) AS concerns, sum(concern_mentors) AS concern_mentors
FROM (
    SELECT {BUCKET_SQL.format(day="r.day")} AS bucket,
           count(*) FILTER (WHERE r.present) AS present,
           count(DISTINCT r.mentor_id) FILTER (WHERE r.present) AS present_mentors,
           count(*) FILTER (WHERE r.late) AS late,
           count(*) FILTER (WHERE r.expected) AS expected,
           count(DISTINCT r.mentor_id) FILTER (WHERE r.expected) AS expected_mentors,
           count(*) FILTER (WHERE r.attendance = 'no_show') AS no_show,
           0 AS concerns, 0 AS concern_mentors
    FROM rows_in r JOIN active a USING (mentor_id) GROUP BY 1
    UNION ALL
    SELECT bucket, 0, 0, 0, 0, 0, 0, count(*), count(DISTINCT mentor_id)
    FROM observed_in WHERE kind = 'concern' GROUP BY 1
) GROUP BY bucket ORDER BY bucket
"""


def _ctes(con: duckdb.DuckDBPyConnection, p: dict[str, Any]) -> str:
    return metrics.scope_sql(metrics.rows_table(con, p)) + "," + _OBSERVED


def _params(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    window: tuple[dt.date, dt.date] | None,
) -> dict[str, Any]:
    window = window or metrics.resolve_window(con, scope)
    return metrics.params(scope, settings, window)


def _run(con: duckdb.DuckDBPyConnection, sql: str, p: dict[str, Any]) -> pd.DataFrame:
    return con.execute(sql, metrics.bind(sql, p)).df()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _rate(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    return scale * numerator / denominator if denominator else None


@dataclass
class ConductFigures:
    """`conduct` and `skills_curve` for the report, and what each value rests on: the
    distinct mentors behind it (a bucket's rates: `skills_curve.B.<rate>`)."""

    values: dict[str, Any]
    support: dict[str, int]
    # skills_curve.B.concern_rate also rests on the mentors of the bucket's concerns
    also: dict[str, int]


def compute(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    window: tuple[dt.date, dt.date] | None = None,
) -> ConductFigures:
    """The report's `conduct` (every key; the funder view leaves some out) and `skills_curve`."""
    p = _params(con, scope, settings, window)
    ctes = _ctes(con, p)
    row = _run(con, ctes + _FIGURES_SELECT, p).iloc[0].to_dict()
    n: dict[str, Any] = {str(k): (None if pd.isna(v) else v) for k, v in row.items()}
    concerns, present = int(n["concerns"]), int(n["present"])
    by_category: dict[str, dict[str, int]] = {
        c: {"concerns": 0, "strengths": 0} for c in CONDUCT_CATEGORIES
    }
    support: dict[str, int] = {}
    for c in CONDUCT_CATEGORIES:
        for part in ("concerns", "strengths"):
            support[f"conduct.by_category.{c}.{part}"] = 0
    cells = _records(_run(con, ctes + _CATEGORY_SELECT, p))
    for cell in cells:
        part = "concerns" if cell["kind"] == "concern" else "strengths"
        by_category[str(cell["category"])][part] = int(cell["n"])
        support[f"conduct.by_category.{cell['category']}.{part}"] = int(cell["mentors"])
    median = n["median_days"]
    conduct = {
        "concerns": concerns,
        "strengths": int(n["strengths"]),
        "high_severity": int(n["high_severity"]),
        "mentors_with_concern": int(n["concern_mentors"]),
        "concern_rate": _rate(concerns, present, 100.0),
        "by_category": by_category,
        "median_days_to_resolve": None if median is None else float(median),
        "open": int(n["open"]),
    }
    support |= {
        "conduct.concerns": int(n["concern_mentors"]),
        "conduct.strengths": int(n["strength_mentors"]),
        "conduct.high_severity": int(n["high_mentors"]),
        "conduct.mentors_with_concern": int(n["concern_mentors"]),
        "conduct.concern_rate": int(n["present_mentors"]),
        "conduct.median_days_to_resolve": int(n["resolved_mentors"]),
        "conduct.open": int(n["open_mentors"]),
    }
    also = {"conduct.concern_rate": int(n["concern_mentors"])}
    curve, curve_support, curve_also = _curve(_run(con, ctes + _CURVE_SELECT, p))
    support |= curve_support
    also |= curve_also
    return ConductFigures({"conduct": conduct, "skills_curve": curve}, support, also)


def _curve(
    frame: pd.DataFrame,
) -> tuple[list[dict[str, Any]], dict[str, int], dict[str, int]]:
    rows = _records(frame)
    by_bucket = {int(r["bucket"]): r for r in rows}
    curve: list[dict[str, Any]] = []
    support: dict[str, int] = {}
    also: dict[str, int] = {}
    for b in BUCKETS:
        r = by_bucket.get(b, {})

        def get(name: str, r: dict[str, Any] = r) -> int:
            return int(r.get(name) or 0)

        present = get("present")
        curve.append(
            {
                "bucket": b,
                "present": present,
                "late_rate": _rate(get("late"), present),
                "no_show_rate": _rate(get("no_show"), get("expected")),
                "concern_rate": _rate(get("concerns"), present, 100.0),
            }
        )
        support[f"skills_curve.{b}.present"] = get("present_mentors")
        support[f"skills_curve.{b}.late_rate"] = get("present_mentors")
        support[f"skills_curve.{b}.no_show_rate"] = get("expected_mentors")
        support[f"skills_curve.{b}.concern_rate"] = get("present_mentors")
        also[f"skills_curve.{b}.concern_rate"] = get("concern_mentors")
    return curve, support, also


# --- funders ----------------------------------------------------------------------------------


def for_funder(figures: ConductFigures, k: int) -> tuple[dict[str, Any], dict[str, int]]:
    """The funder's `conduct` and `skills_curve` before suppression (no `high_severity` or
    `open`), and what each value rests on for `privacy.for_funder`: a concern rate also on the
    mentors of its concerns (`privacy.with_also`)."""
    values = copy.deepcopy(figures.values)
    for key in MANAGERS_ONLY:
        values["conduct"].pop(key, None)
    managers = {f"conduct.{key}" for key in MANAGERS_ONLY}
    support = {p: n for p, n in figures.support.items() if p not in managers}
    return values, privacy.with_also(support, figures.also, k)


def funder_view(figures: ConductFigures, k: int) -> tuple[dict[str, Any], list[str]]:
    """The funder's `conduct` and `skills_curve` suppressed, not yet rounded, and the paths
    hidden (METRICS.md): no `high_severity` or `open`; a value resting on 1 to k−1 mentors
    hidden (a concern rate also when its concerns rest on 1 to k−1); `conduct.by_category`
    with secondary suppression over the categories, concerns then strengths. The same
    suppression as every other figure (`privacy.suppressed_paths`); the report takes these
    figures through `privacy.for_funder` with the rest, so they are rounded there too."""
    values, support = for_funder(figures, k)
    hidden = privacy.suppressed_paths(values, support, k)
    for path in hidden:
        privacy.set_value(values, path, None)
    return values, hidden


CURVE_LABELS = {
    "present": "Attendances",
    "late_rate": "Late rate",
    "no_show_rate": "No-show rate",
    "concern_rate": "Concerns per 100 attendances",
}


def weeks_label(bucket: int) -> str:
    return f"weeks {bucket}+" if bucket >= LAST_BUCKET else f"weeks {bucket}–{bucket + 3}"


def figure_label(path: str) -> str | None:
    """A funder's words for a cell of `conduct.by_category` or a point of `skills_curve`."""
    parts = path.split(".")
    if len(parts) == 4 and parts[:2] == ["conduct", "by_category"]:
        kind = "Concerns" if parts[3] == "concerns" else "Strengths"
        return f"{kind} about conduct: {parts[2]}"
    if len(parts) == 3 and parts[0] == "skills_curve" and parts[2] in CURVE_LABELS:
        return f"{CURVE_LABELS[parts[2]]}, {weeks_label(int(parts[1]))} in the programme"
    return None


# --- the one-sentence summary (METRICS.md "Report additions") ----------------------------------


def bucket_words(bucket: int) -> str:
    """'their first 4 weeks', 'weeks 4–7', 'after a year'."""
    if bucket == 0:
        return f"In their first {BUCKET_WEEKS} weeks"
    if bucket >= LAST_BUCKET:
        return "after a year"
    return f"in weeks {bucket}–{bucket + BUCKET_WEEKS - 1}"


def _shown_point(point: dict[str, Any]) -> bool:
    return point["late_rate"] is not None and point["concern_rate"] is not None


def curve_sentence(
    curve: list[dict[str, Any]], unrecorded: frozenset[str] | set[str] = frozenset()
) -> str | None:
    """How the skills changed between the first bucket and the last one with a figure shown:
    'In their first 4 weeks mentors were late to 18% of sessions and 3.1 concerns were raised
    per 100 attendances; after a year, 6% and 0.8.' None when fewer than two points show.
    `unrecorded`: the curve's rates the programme does not record (`unrecorded_skills`), which
    the sentence says are not recorded instead of giving a 0."""
    late, concerns = "late_rate" not in unrecorded, "concern_rate" not in unrecorded
    points = [
        b
        for b in curve
        if (not late or b["late_rate"] is not None)
        and (not concerns or b["concern_rate"] is not None)
    ]
    missing = " and ".join(
        words
        for on, words in ((late, "arrival times"), (concerns, "conduct observations"))
        if not on
    )
    said = f" {missing[0].upper()}{missing[1:]} are not recorded." if missing else ""
    if (not late and not concerns) or len(points) < 2:
        return said.strip() or None
    first, last = points[0], points[-1]
    head = bucket_words(first["bucket"])
    if first["bucket"] != 0:
        head = head[0].upper() + head[1:]
    if late and concerns:
        return (
            f"{head} mentors were late to {first['late_rate']:.0%} of sessions and "
            f"{first['concern_rate']:.1f} concerns were raised per 100 attendances; "
            f"{bucket_words(last['bucket'])}, {last['late_rate']:.0%} and "
            f"{last['concern_rate']:.1f}."
        )
    if late:
        return (
            f"{head} mentors were late to {first['late_rate']:.0%} of sessions; "
            f"{bucket_words(last['bucket'])}, {last['late_rate']:.0%}.{said}"
        )
    return (
        f"{head} {first['concern_rate']:.1f} concerns were raised per 100 attendances; "
        f"{bucket_words(last['bucket'])}, {last['concern_rate']:.1f}.{said}"
    )


def unrecorded_in_scope(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    window: tuple[dt.date, dt.date] | None = None,
) -> frozenset[str]:
    """`unrecorded_skills` for a page's scope (the Overview's chart)."""
    window = window or metrics.resolve_window(con, scope)
    paths = figures.not_recorded_paths(metrics.unrecorded_inputs(con, scope, settings, window))
    return frozenset(unrecorded_skills(con, paths))


def unrecorded_skills(con: duckdb.DuckDBPyConnection, not_recorded: list[str]) -> set[str]:
    """The curve's rates whose inputs the programme does not record: lateness when punctuality
    is not recorded in the scope (the report's `not_recorded`), concerns when no conduct
    observation has ever been imported. Said in words, never drawn or written as 0."""
    out = {"late_rate"} if "punctuality_rate" in not_recorded else set()
    row = con.execute("SELECT count(*) FROM conduct").fetchone()
    if not row or not row[0]:
        out.add("concern_rate")
    return out


def curve_frame(curve: list[dict[str, Any]], hidden: list[str] | None = None) -> pd.DataFrame:
    """The curve as a table: one row per bucket, with whether each value is hidden."""
    hidden = hidden or []
    rows = []
    for point in curve:
        b = point["bucket"]
        rows.append(
            {
                "bucket": b,
                "weeks": weeks_label(b),
                "present": point["present"],
                "late_rate": point["late_rate"],
                "no_show_rate": point["no_show_rate"],
                "concern_rate": point["concern_rate"],
                **{
                    f"{name}_hidden": f"skills_curve.{b}.{name}" in hidden
                    for name in ("present", *CURVE_RATES)
                },
            }
        )
    return pd.DataFrame(rows)


# --- the Behaviour page (managers) --------------------------------------------------------------

_BY_MONTH = """
SELECT CAST(date_trunc('month', observed_on) AS DATE) AS month,
       count(*) FILTER (WHERE kind = 'concern') AS concerns,
       count(*) FILTER (WHERE kind = 'strength') AS strengths
FROM observed_in GROUP BY 1 ORDER BY 1
"""

_RESOLVE_TIMES = """
SELECT date_diff('day', observed_on, resolved_on) AS days, count(*) AS concerns
FROM observed_in WHERE kind = 'concern' AND resolved_on <= $to GROUP BY 1 ORDER BY 1
"""

_OPEN = """
SELECT mentor_id, observed_on, category, severity, date_diff('day', observed_on, $to) AS days_open
FROM observed WHERE kind = 'concern' AND observed_on <= $to
  AND (resolved_on IS NULL OR resolved_on > $to)
ORDER BY observed_on, mentor_id, category
"""

_PER_MENTOR = """
SELECT a.mentor_id,
       count(o.kind) FILTER (WHERE o.kind = 'concern' AND o.observed_on >= $from) AS concerns,
       count(o.kind) FILTER (WHERE o.kind = 'strength' AND o.observed_on >= $from) AS strengths,
       count(o.kind) FILTER (WHERE o.kind = 'concern'
           AND (o.resolved_on IS NULL OR o.resolved_on > $to)) AS open,
       max(o.observed_on) AS last_observed
FROM active a JOIN observed o ON o.mentor_id = a.mentor_id AND o.observed_on <= $to
GROUP BY a.mentor_id
HAVING count(o.kind) FILTER (WHERE o.observed_on >= $from) > 0 OR open > 0
ORDER BY concerns DESC, open DESC, a.mentor_id
"""


@dataclass
class BehaviourPage:
    figures: ConductFigures
    by_month: pd.DataFrame  # month, concerns, strengths
    resolve_days: pd.DataFrame  # days, concerns (resolved by `to`)
    open_concerns: pd.DataFrame  # mentor_id, observed_on, category, severity, days_open
    per_mentor: pd.DataFrame  # mentor_id, concerns, strengths, open, last_observed


def page(con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings) -> BehaviourPage:
    """Everything the Behaviour page draws (managers only: mentor codes appear)."""
    p = _params(con, scope, settings, None)
    figures = compute(con, scope, settings, (p["from"], p["to"]))
    ctes = _ctes(con, p)
    return BehaviourPage(
        figures,
        _run(con, ctes + _BY_MONTH, p),
        _run(con, ctes + _RESOLVE_TIMES, p),
        _run(con, ctes + _OPEN, p),
        _run(con, ctes + _PER_MENTOR, p),
    )


def by_category_frame(figures: ConductFigures) -> pd.DataFrame:
    rows = [
        {"category": c, "concerns": v["concerns"], "strengths": v["strengths"]}
        for c, v in figures.values["conduct"]["by_category"].items()
    ]
    return pd.DataFrame(rows)


# --- one mentor (the Mentor journey) -------------------------------------------------------------

_MENTOR_OBSERVATIONS = """
SELECT c.observed_on, c.kind, c.category, c.severity, c.resolved_on, c.notes
FROM conduct c JOIN active a USING (mentor_id)
WHERE c.mentor_id = $mentor AND c.observed_on BETWEEN $from AND $to
ORDER BY c.observed_on, c.kind, c.category
"""


def mentor_observations(
    con: duckdb.DuckDBPyConnection,
    scope: metrics.Scope,
    settings: Settings,
    mentor_id: str,
    with_notes: bool = False,
) -> pd.DataFrame:
    """One mentor's observations dated in the window, in date order; notes only when asked
    (managers)."""
    p = _params(con, scope, settings, None) | {"mentor": mentor_id}
    sql = query.with_clause([query.SELECTED, query.ACTIVE]) + _MENTOR_OBSERVATIONS
    frame = _run(con, sql, p)
    if not with_notes:
        frame = frame.drop(columns=["notes"])
    return frame
