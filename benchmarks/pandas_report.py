"""The baseline for the report: the headline figures computed plainly in pandas from Parquet.

`export_parquet` copies the tables out of DuckDB first (not timed). Then
`python -m benchmarks.pandas_report PARQUET_DIR` reads the Parquet files and computes the
figures with ordinary merges and groupbys, the way an analyst would write it, and prints
`{"seconds": ..., "figures": {...}}` as JSON. Only the pandas part is timed: reading the Parquet
files and computing. The definitions are those of docs/METRICS.md for the whole data window
with no filters (what `python -m analysis report` gives by default), so the figures can be
checked against the report's.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

TABLES = ("mentors", "sessions", "attendance", "stage_assessments")
GRACE_MINUTES = 5
SHADOWING_TARGET_MINUTES = 600


def export_parquet(db: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in TABLES:
            target = folder / f"{table}.parquet"
            con.execute(f"COPY (SELECT * FROM {table}) TO '{target}' (FORMAT parquet)")
    finally:
        con.close()


def compute(folder: Path) -> dict[str, Any]:
    """Every headline figure the benchmark compares, from the Parquet files."""
    mentors = pd.read_parquet(folder / "mentors.parquet")
    sessions = pd.read_parquet(folder / "sessions.parquet")
    attendance = pd.read_parquet(folder / "attendance.parquet")
    stages = pd.read_parquet(folder / "stage_assessments.parquet")

    # The window: the first to the last session day.
    day = sessions["scheduled_start"].dt.normalize()
    first, last = day.min(), day.max()

    start = pd.to_datetime(mentors["start_date"])
    end = pd.to_datetime(mentors["end_date"])
    active = mentors[(start <= last) & (end.isna() | (end >= first))]

    rows = attendance.merge(sessions, on="session_id", suffixes=("", "_session"))
    rows = rows.merge(active[["mentor_id"]], on="mentor_id")
    rows["day"] = rows["scheduled_start"].dt.normalize()
    rows = rows[rows["day"] <= last]

    expected = rows["attendance"] != "cancelled_by_programme"
    present = rows["attendance"].isin(["attended", "late"])
    late_by = (rows["arrival"] - rows["scheduled_start"]).dt.total_seconds() / 60
    minutes_late = np.floor(late_by).clip(lower=0)
    # METRICS.md (changed in the second release): a recorded arrival time decides; the "late"
    # mark only when there is none.
    late = present & np.where(
        minutes_late.notna(), minutes_late > GRACE_MINUTES, rows["attendance"] == "late"
    )
    duration = rows["duration_minutes"].astype("float64")
    attended = rows["minutes_attended"].astype("float64")
    credited = np.minimum(duration, attended.fillna((duration - minutes_late.fillna(0)).clip(0)))
    credited = credited.where(present)
    rows = rows.assign(
        expected=expected, present=present, minutes_late=minutes_late, late=late, credited=credited
    )

    in_window = rows[rows["day"] >= first]
    n_expected = int(in_window["expected"].sum())
    n_present = int(in_window["present"].sum())
    no_show = int((in_window["attendance"] == "no_show").sum())
    notified = int((in_window["attendance"] == "notified_absence").sum())
    on_time = int((in_window["present"] & ~in_window["late"]).sum())
    late_minutes = in_window.loc[in_window["late"], "minutes_late"].dropna()

    meetings = in_window[in_window["session_type"] == "beneficiary_meeting"]
    missed = meetings["attendance"].isin(["no_show", "notified_absence"])
    met = meetings[meetings["present"]]

    staff = in_window[in_window["session_type"].isin(["shadowing", "beneficiary_meeting"])]
    staff_lost = (
        staff.loc[staff["late"], "minutes_late"].sum()
        + staff.loc[staff["attendance"] == "no_show", "duration_minutes"].astype("float64").sum()
    )

    shadowing = rows[(rows["session_type"] == "shadowing") & rows["present"]]
    per_mentor = shadowing.groupby("mentor_id")["credited"].sum()
    per_mentor = per_mentor.reindex(active["mentor_id"], fill_value=0)

    assessed = stages[stages["assessed_on"] <= last.date()].merge(
        active[["mentor_id"]], on="mentor_id"
    )
    latest = assessed.sort_values("assessed_on").groupby("mentor_id")["stage"].last()
    distribution = latest.value_counts()

    def rate(numerator: int, denominator: int) -> float | None:
        return numerator / denominator if denominator else None

    return {
        "attendance_rate": rate(n_present, n_expected),
        "no_show_rate": rate(no_show, n_expected),
        "notice_rate": rate(notified, notified + no_show),
        "punctuality_rate": rate(on_time, n_present),
        "mean_minutes_late": float(late_minutes.mean()) if len(late_minutes) else None,
        "median_minutes_late": float(late_minutes.median()) if len(late_minutes) else None,
        "beneficiary_meetings": {
            "expected": int(meetings["expected"].sum()),
            "missed": int(missed.sum()),
            "late": int(meetings["late"].sum()),
        },
        "peer_support_hours": float(met["credited"].sum()) / 60,
        "staff_minutes_lost": float(staff_lost),
        "shadowing": {
            "mentors_complete": int((per_mentor >= SHADOWING_TARGET_MINUTES).sum()),
            "mentors_in_progress": int(
                ((per_mentor > 0) & (per_mentor < SHADOWING_TARGET_MINUTES)).sum()
            ),
        },
        "stages": {
            "distribution": {
                **{str(s): int(distribution.get(s, 0)) for s in range(1, 8)},
                "not_assessed": len(active) - len(latest),
            }
        },
    }


def differences(
    pandas_figures: dict[str, Any], report: dict[str, Any], path: str = ""
) -> list[str]:
    """Where the pandas figures and the report's disagree (dotted paths); empty if they agree."""
    out: list[str] = []
    for key, value in pandas_figures.items():
        here = f"{path}{key}"
        other = report.get(key) if isinstance(report, dict) else None
        if isinstance(value, dict):
            out += differences(value, other if isinstance(other, dict) else {}, here + ".")
        elif value is None or other is None:
            if value is not other:
                out.append(f"{here}: pandas {value}, report {other}")
        elif not math.isclose(float(value), float(other), rel_tol=1e-9, abs_tol=1e-9):
            out.append(f"{here}: pandas {value}, report {other}")
    return out


def main(folder: Path) -> None:
    start, cpu = time.perf_counter(), time.process_time()
    figures = compute(folder)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "figures": figures}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
