"""The data shapes the benchmark imports: the demo generator's files, and an export's.

- `demo`: `analysis.demo_data.write_csv` as it is: five UTF-8 CSV files, ISO dates and
  date-times, notes on 8 % of the attendance rows, few late marks inside the grace period.
- `export`: the same programme written as a real export arrives (issue 15):
  - the mentors as an `.xlsx` workbook (one sheet, dates as Excel date cells);
  - date-times `YYYY-MM-DD HH:MM` (no seconds), and the UK's `DD/MM/YYYY HH:MM` in about a third
    of the rows (each row's own choice, so one column mixes both); dates likewise;
  - notes on about 45 % of the attendance rows, some with commas and quotes;
  - about 5.5 % of the attendance rows marked late with an arrival inside the 5-minute grace
    period, so the import warns on every one of them (about 56,000 warnings at a million rows);
  - the training sessions, group days and events as a register file (attendance rows that carry
    their session: type, start, length, staff, event, place; no session code), the rest as
    sessions and attendance files.

`python -m benchmarks.shapes SHAPE FOLDER MENTORS SEED` writes the files and prints their paths
as JSON, in the order to pass to the import.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import demo_data

SHAPES = ("demo", "export")
# The demo programme has about this many attendance rows per mentor (1,023,295 for 24,000).
ROWS_PER_MENTOR = 42.64
UK_SHARE = 1 / 3
NOTES_SHARE = 0.45
LATE_IN_GRACE_SHARE = 0.055
REGISTER_TYPES = ("training", "group_day", "event")
NOTES = (
    "Good session, asked questions",
    "Engaged well",
    'Said the bus was "on time" by their watch',
    "Bus delayed",
    "Childcare, so left a little early",
    "Supported the beneficiary well; follow up next week",
    "Phone off",
    "Venue changed at short notice",
)


def mentors_for_rows(rows: int) -> int:
    """The demo programme's size that gives about `rows` attendance rows."""
    return max(1, round(rows / ROWS_PER_MENTOR))


def file_names(shape: str) -> list[str]:
    if shape == "demo":
        return [f"{name}.csv" for name in demo_data.RECORD_TYPES]
    return [
        "mentors.xlsx",
        "sessions.csv",
        "attendance.csv",
        "register.csv",
        "stage_assessments.csv",
        "milestones.csv",
    ]


def write(shape: str, folder: Path, mentors: int, seed: int) -> list[Path]:
    """Write the shape's files into `folder`; return their paths in import order."""
    if shape == "demo":
        return demo_data.write_csv(folder, mentors=mentors, seed=seed)
    if shape != "export":
        raise ValueError(f"unknown shape {shape!r}: use one of {', '.join(SHAPES)}")
    return write_export(folder, mentors, seed)


def _uk_datetime(iso: pd.Series) -> pd.Series:
    """`YYYY-MM-DD HH:MM` → `DD/MM/YYYY HH:MM` (missing values stay missing)."""
    s = iso.str
    return s.slice(8, 10) + "/" + s.slice(5, 7) + "/" + s.slice(0, 4) + s.slice(10)


def _some_uk(rng: np.random.Generator, iso: pd.Series) -> pd.Series:
    """About a third of the values in the UK's day-first form, the rest as they are."""
    pick = rng.random(len(iso)) < UK_SHARE
    out = iso.copy()
    out[pick] = _uk_datetime(iso[pick])
    return out


def _minutes(text: pd.Series) -> np.ndarray:
    """Minutes since 1970 of `YYYY-MM-DD HH:MM` values (NaN for missing)."""
    stamps = pd.to_datetime(text, format="%Y-%m-%d %H:%M")
    return stamps.to_numpy(dtype="datetime64[m]")


def write_export(folder: Path, mentors: int, seed: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    frames = demo_data.generate(mentors=mentors, seed=seed)
    rng = np.random.default_rng(seed + 15)
    sessions = frames["sessions"].copy()
    attendance = frames["attendance"].copy()

    # Late marks inside the grace period: about LATE_IN_GRACE_SHARE of all rows.
    start = sessions.set_index("session_id")["scheduled_start"]
    row_start = attendance["session_id"].map(start)
    eligible = (
        (attendance["attendance"] == "late") & attendance["arrival_time"].notna()
    ).to_numpy()
    chance = min(1.0, LATE_IN_GRACE_SHARE * len(attendance) / max(1, int(eligible.sum())))
    move = eligible & (rng.random(len(attendance)) < chance)
    begin = _minutes(row_start[move])
    offset = rng.integers(0, demo_data.GRACE_MINUTES + 1, int(move.sum()))
    arrival = (begin + offset.astype("timedelta64[m]")).astype("datetime64[m]")
    attendance.loc[move, "arrival_time"] = np.strings.replace(
        np.datetime_as_string(arrival, unit="m"), "T", " "
    )

    # Notes on many rows, some of them with commas and quotes.
    has_note = rng.random(len(attendance)) < NOTES_SHARE
    picked = np.asarray(NOTES, dtype=object)[rng.integers(0, len(NOTES), len(attendance))]
    attendance["notes"] = attendance["notes"].where(
        attendance["notes"].notna() | ~has_note, pd.Series(picked, index=attendance.index)
    )

    # The register: the shared sessions' rows, carrying their session.
    in_register = sessions["session_type"].isin(REGISTER_TYPES)
    register_sessions = sessions[in_register]
    sessions = sessions[~in_register]
    on_register = attendance["session_id"].isin(register_sessions["session_id"])
    register = attendance[on_register].merge(register_sessions, on="session_id", how="left")
    attendance = attendance[~on_register]
    register = register[
        [
            "mentor_id",
            "session_type",
            "scheduled_start",
            "duration_minutes",
            "attendance",
            "staff_id",
            "event_name",
            "location",
            "arrival_time",
            "minutes_attended",
            "notes",
        ]
    ]

    # UK date-times in about a third of the rows of each file.
    sessions["scheduled_start"] = _some_uk(rng, sessions["scheduled_start"])
    attendance["arrival_time"] = _some_uk(rng, attendance["arrival_time"])
    register_uk = rng.random(len(register)) < UK_SHARE
    for column in ("scheduled_start", "arrival_time"):
        values = register[column].copy()
        values[register_uk] = _uk_datetime(values[register_uk])
        register[column] = values
    stages = frames["stage_assessments"].copy()
    stages["assessed_on"] = _some_uk(rng, stages["assessed_on"])
    milestones = frames["milestones"].copy()
    milestones["achieved_on"] = _some_uk(rng, milestones["achieved_on"])

    paths = [folder / name for name in file_names("export")]
    _write_xlsx(frames["mentors"], paths[0])
    for frame, path in zip(
        (sessions, attendance, register, stages, milestones), paths[1:], strict=True
    ):
        frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return paths


def _write_xlsx(mentors: pd.DataFrame, path: Path) -> None:
    """The mentors as one sheet, dates as date cells (what Excel saves)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("mentors")
    columns = list(mentors.columns)
    sheet.append(columns)
    dated = {"start_date", "end_date"}
    for values in mentors.itertuples(index=False, name=None):
        sheet.append(
            [
                None if pd.isna(v) else (pd.Timestamp(v).date() if c in dated else v)
                for c, v in zip(columns, values, strict=True)
            ]
        )
    book.save(path)


if __name__ == "__main__":
    shape, out, count, seed = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    print(json.dumps([str(p) for p in write(shape, out, count, seed)]))
