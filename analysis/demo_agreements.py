"""The demo's funding streams and targets: drawn from their own generator, so the demo's
records (analysis.demo_data) stay as they were for a seed."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis import records

IntArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.str_]


def _dates(day: IntArray) -> StrArray:
    """`YYYY-MM-DD`, formatting each distinct day once."""
    distinct, back = np.unique(day, return_inverse=True)
    return np.datetime_as_string(distinct.astype("datetime64[D]"))[back]


FUNDING_STREAMS = ("Lottery Reaching Communities", "Probation CRS North", "Esmée core grant")
NORTHERN_REGIONS = ("North East", "North West", "Yorkshire")


def funding(
    codes: StrArray, regions: StrArray, start: IntArray, end: int, seed: int
) -> pd.DataFrame:
    """The Lottery pays for mentors in the south and midlands, probation for the north (from a
    contract start), and a two-year Esmée grant for one in three recent starters anywhere.
    Days count from 1970-01-01; `end` is the last day anything may be scheduled."""
    rng = np.random.default_rng([seed, 12])
    northern = np.isin(regions, NORTHERN_REGIONS)
    contract = end - 730
    esmee_from, esmee_to = end - 540, end + 190
    esmee = (start >= esmee_from) & (rng.random(codes.size) < 0.34)
    parts = [
        pd.DataFrame(
            {
                "mentor_id": codes[~northern],
                "funding_stream": FUNDING_STREAMS[0],
                "from": None,
                "to": None,
            }
        ),
        pd.DataFrame(
            {
                "mentor_id": codes[northern],
                "funding_stream": FUNDING_STREAMS[1],
                "from": _dates(np.maximum(start[northern], contract)),
                "to": None,
            }
        ),
        pd.DataFrame(
            {
                "mentor_id": codes[esmee],
                "funding_stream": FUNDING_STREAMS[2],
                "from": _dates(start[esmee]),
                "to": _dates(np.full(int(esmee.sum()), esmee_to)),
            }
        ),
    ]
    frame = pd.concat(parts, ignore_index=True).astype("object")
    return frame.sort_values(["mentor_id", "funding_stream"], ignore_index=True)


def _financial_year(day: date) -> tuple[date, date]:
    first = day.year if day.month >= 4 else day.year - 1
    return date(first, 4, 1), date(first + 1, 3, 31)


def targets(frames: dict[str, pd.DataFrame], end: date) -> pd.DataFrame:
    """Targets for this financial year and the last, set near last year's figures so the demo
    shows targets met, on track, at risk and off track."""
    this_start, this_end = _financial_year(end)
    last_start, last_end = _financial_year(this_start - pd.Timedelta(days=1))
    mentors = frames["mentors"]
    started = pd.to_datetime(mentors["start_date"]).dt.date
    last_year_starts = int(((started >= last_start) & (started <= last_end)).sum())
    meetings = frames["attendance"].merge(frames["sessions"], on="session_id")
    day = pd.to_datetime(meetings["scheduled_start"]).dt.date
    present = meetings["attendance"].isin(["attended", "late"])
    last_meetings = meetings[
        present
        & (meetings["session_type"] == "beneficiary_meeting")
        & (day >= last_start)
        & (day <= last_end)
    ]
    hours = float(last_meetings["duration_minutes"].astype(int).sum()) / 60
    reached = int(last_meetings["beneficiary_id"].nunique())
    lottery = FUNDING_STREAMS[0]
    rows = [
        (
            "peer_support_hours",
            this_start,
            this_end,
            f"{round(hours * 1.1, -1):.0f}",
            "",
            "Hours of peer support",
        ),
        ("attendance_rate", this_start, this_end, "85%", "", "Sessions attended"),
        ("no_show_rate", this_start, this_end, "10%", "", "Sessions missed without notice"),
        ("punctuality_rate", this_start, this_end, "90%", "", ""),
        (
            "beneficiaries_reached",
            last_start,
            last_end,
            str(max(1, round(reached * 0.95))),
            "",
            "People supported",
        ),
        (
            "mentors_started",
            this_start,
            this_end,
            str(max(1, round(last_year_starts * 0.6))),
            lottery,
            "New peer mentors recruited",
        ),
        (
            "milestones.paid_employment",
            this_start,
            this_end,
            "4",
            lottery,
            "Mentors moving into paid work",
        ),
        (
            "mentors_active",
            this_start,
            this_end,
            str(max(1, len(mentors) // 4)),
            FUNDING_STREAMS[1],
            "Peer mentors supported in the north",
        ),
        (
            "shadowing.completed_in_window",
            this_start,
            this_end,
            "6",
            FUNDING_STREAMS[2],
            "Mentors completing their shadowing",
        ),
    ]
    frame = pd.DataFrame(rows, columns=list(records.RECORD_TYPES["targets"].column_names))
    frame["period_start"] = frame["period_start"].map(date.isoformat)
    frame["period_end"] = frame["period_end"].map(date.isoformat)
    return frame.replace("", None).astype("object")
