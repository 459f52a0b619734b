"""Every figure the analysis layer gives for the demo programme, as plain JSON.

The golden test compares this snapshot with `tests/golden/demo_figures.json`, captured from the
code before the figure registry replaced the parallel lists of figures. Run this module to print
a new snapshot: `python tests/golden_snapshot.py DB > snapshot.json`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from analysis import exports, impact, mentor_views, metrics, views  # noqa: E402
from analysis.report import build_report  # noqa: E402
from analysis.settings import Settings  # noqa: E402

# Scopes over the demo data (its last session is fixed by demo_data.DEFAULT_END).
SCOPES: dict[str, metrics.Scope] = {
    "all": metrics.Scope(),
    "2026": metrics.Scope(dt.date(2026, 1, 1), dt.date(2026, 11, 20)),
    "2026Q2_north": metrics.Scope(dt.date(2026, 4, 1), dt.date(2026, 6, 30), regions=("North",)),
}

# Views of the pages, with the arguments they take besides the scope.
VIEWS: tuple[str, ...] = (
    "attendance_by_month",
    "stage_distribution",
    "punctuality_by_weeks_in_programme",
    "minutes_late_distribution",
    "punctuality_by_session_type",
    "punctuality_by_weekday_hour",
    "cohort_comparison",
    "staff_time_lost",
    "mentor_reliability",
    "stage_flows",
    "stage_durations",
    "regressions",
    "self_esteem_by_stage",
    "cohort_progress",
    "shadowing_progress",
    "shadowing_completion_times",
    "milestone_funnel",
)
MENTOR_VIEWS: tuple[str, ...] = (
    "mentor_profile",
    "mentor_sessions",
    "mentor_stage_path",
    "mentor_shadowing",
    "mentor_milestones",
)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 9)
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):
        return _plain(value.item())
    if value is pd.NaT or value is pd.NA:
        return None
    return value


def _frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_plain(row) for row in json.loads(frame.to_json(orient="records", date_format="iso"))]


def snapshot(db: Path, scopes: dict[str, metrics.Scope] = SCOPES) -> dict[str, Any]:
    """Report, headline cards, page views, impact summary and CSV for each scope."""
    settings = Settings()
    out: dict[str, Any] = {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        mentor = con.execute(
            "SELECT mentor_id FROM attendance GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()[0]
        for name, scope in scopes.items():
            part: dict[str, Any] = {}
            for audience in ("manager", "funder"):
                part[f"report.{audience}"] = _plain(build_report(con, scope, settings, audience))
            headlines = _frame(views.headline_figures(con, scope, settings))
            part["headlines"] = {row["figure"]: row for row in headlines}
            for view in VIEWS:
                part[f"views.{view}"] = _frame(getattr(views, view)(con, scope, settings))
            for view in MENTOR_VIEWS:
                found = getattr(mentor_views, view)(con, scope, settings, mentor)
                part[f"views.{view}"] = _frame(found)
            summary = impact.summary(con, scope, settings)
            part["impact.lead"] = summary.lead
            part["impact.milestone_sentence"] = summary.milestone_sentence
            part["impact.headlines"] = {h.key: _plain(vars(h)) for h in summary.headlines}
            part["impact.monthly"] = _frame(summary.monthly)
            part["impact.csv"] = {
                f"{row['period']} {row['window_from']} {row['figure']}": _plain(row)
                for row in exports.aggregate_rows(summary, settings)
            }
            out[name] = part
    finally:
        con.close()
    return out


if __name__ == "__main__":
    scopes = SCOPES if len(sys.argv) < 3 else {"all": metrics.Scope()}
    json.dump(snapshot(Path(sys.argv[1]), scopes), sys.stdout, indent=1, sort_keys=True)
    print()
