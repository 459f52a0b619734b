"""Seeded, realistic demo records for the Peer Mentor Programme dashboard.

`generate` builds the five record types of the import contract (DATA.md) as DataFrames whose
values are already in canonical form; `write_csv` writes them as the CSV files an import
accepts. Everything is drawn with numpy from one seeded generator, so the same arguments give
the same records, and a million attendance rows take a few seconds.

The records carry the patterns the dashboard exists to show: punctuality and notice that
improve with weeks in the programme, dropouts in the first months, shadowing that takes some
mentors four weeks and others four months, regressions on the transition curve, self-esteem
that dips at stages 2-3 and then rises, and group days and events that everyone is invited to.
Codes start with D (`DM-00001`, `DS-0000001`) so demo records are never mistaken for real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis import demo_agreements, records

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

# The contract's record types and columns, in import order, from analysis.records.
RECORD_TYPES: tuple[str, ...] = tuple(records.RECORD_TYPES)
COLUMNS: dict[str, tuple[str, ...]] = {
    name: records.RECORD_TYPES[name].column_names for name in RECORD_TYPES
}

DEFAULT_END = date(2026, 11, 20)

REGIONS = (
    "North East",
    "North West",
    "Yorkshire",
    "Midlands",
    "East",
    "London",
    "South East",
    "South West",
    "Wales",
)
REGION_WEIGHTS = (0.07, 0.14, 0.11, 0.15, 0.09, 0.16, 0.12, 0.09, 0.07)
GENDERS = records.GENDERS
GENDER_WEIGHTS = (0.45, 0.47, 0.03, 0.05)
AGE_BANDS = records.AGE_BANDS
AGE_WEIGHTS = (0.17, 0.33, 0.26, 0.16, 0.08)
STATUSES = records.STATUSES
ACTIVE, PAUSED, COMPLETED, WITHDRAWN = range(4)

SESSION_TYPES = (
    "training",
    "supervision",
    "shadowing",
    "beneficiary_meeting",
    "group_day",
    "event",
)
TRAINING, SUPERVISION, SHADOWING, BENEFICIARY, GROUP_DAY, EVENT = range(6)
EVENT_NAMES = ("International Women's Day", "Adult Learners' Week")
LOCATIONS = ("Hub", "Office", "Community centre", "Library", "Town hall")
HUB, OFFICE, COMMUNITY_CENTRE, LIBRARY, TOWN_HALL = range(5)

OUTCOMES = ("attended", "late", "notified_absence", "no_show", "cancelled_by_programme")
ATTENDED, LATE, NOTIFIED, NO_SHOW, CANCELLED = range(5)
ATTENDANCE_NOTES: tuple[tuple[str, ...], ...] = (
    ("Good session, asked questions", "Engaged well", "Supported the beneficiary well"),
    ("Bus delayed", "Train cancelled", "Overslept", "Childcare", "Traffic"),
    ("Felt unwell", "Childcare", "Medical appointment", "Family commitment", "Job interview"),
    ("No contact", "Phone off", "Did not reply to messages"),
    ("Staff sickness", "Venue unavailable"),
)
ASSESSMENT_NOTES: tuple[tuple[str, ...], ...] = (  # by change: first, up, same, down
    ("Settling in", "First assessment"),
    ("Growing in confidence", "More settled", "Making good progress"),
    ("Settling in", "Steady month", "Keeping on track"),
    ("Struggling this month", "Setback after a difficult month", "Needs extra support"),
)

MILESTONES = (
    "training_completed",
    "shadowing_completed",
    "first_mentoring_session",
    "accredited_qualification",
    "volunteering",
    "further_education",
    "paid_employment",
)
LATER_MILESTONES: tuple[tuple[int, float, int, int, tuple[str, ...]], ...] = (
    # (milestone, chance, earliest and latest days after the first mentoring session, notes)
    (3, 0.45, 60, 330, ("Level 2 Award in Peer Mentoring", "Level 3 Certificate in Mentoring")),
    (4, 0.35, 30, 420, ("Community volunteering", "Charity shop volunteer")),
    (5, 0.25, 90, 500, ("College course", "Access course")),
    (6, 0.25, 120, 560, ("Part-time role", "Full-time role")),
)

GRACE_MINUTES = 5
SHADOWING_TARGET_MINUTES = 600
MAX_SHADOWING_SESSIONS = 24
MENTORS_PER_OUTREACH_WORKER = 12
MENTORS_PER_STAFF = 15
MENTORS_PER_HUB = 150  # one group day a month and one of each event a year per hub
MENTORS_PER_BENEFICIARY = 1.35  # some of a caseload are never met, so ~1.5 per one met
DAY_SLOTS = np.array([570, 600, 630, 660, 780, 810, 840])  # 09:30 ... 14:00
DAY_SLOT_WEIGHTS = np.array([0.22, 0.26, 0.08, 0.08, 0.14, 0.06, 0.16])


def generate(
    mentors: int = 120,
    seed: int = 2026,
    end: date = DEFAULT_END,
    years: float = 3.0,
) -> dict[str, pd.DataFrame]:
    """Demo records, by record type, of `mentors` mentors who started in the `years` to `end`."""
    if mentors < 1:
        raise ValueError("mentors must be at least 1")
    if years <= 0:
        raise ValueError("years must be positive")
    rng = np.random.default_rng(seed)
    cast = _cast(rng, mentors, _day(end), years)
    sessions = _Sessions()
    register = _Register.empty()
    training_done = _training(rng, cast, sessions, register)
    _supervision(rng, cast, sessions, register)
    shadowing_done = _shadowing(rng, cast, training_done, sessions, register)
    first_mentoring = _beneficiary_meetings(rng, cast, shadowing_done, sessions, register)
    _group_days(rng, cast, sessions, register)
    _events(rng, cast, sessions, register)
    frames = {
        "mentors": _mentors_frame(cast),
        **_session_frames(rng, cast, sessions, register),
        "stage_assessments": _stage_assessments(rng, cast),
        "milestones": _milestones(rng, cast, training_done, shadowing_done, first_mentoring),
    }
    frames["funding"] = demo_agreements.funding(
        _mentor_codes(cast), np.asarray(REGIONS)[cast.region], cast.start, cast.end, seed
    )
    frames["targets"] = demo_agreements.targets(frames, end)
    frames["conduct"] = _conduct(np.random.default_rng([seed, 24]), frames, end)
    return {name: frames[name][list(COLUMNS[name])] for name in RECORD_TYPES}


# Conduct observations (third release): staff note concerns and strengths at sessions. A concern
# is likelier early on and grows rarer with weeks in the programme; strengths grow commoner.
CONCERN_EARLY, CONCERN_WEEKS, CONCERN_FLOOR = 0.06, 10.0, 0.004  # per present attendance
STRENGTH_FLOOR, STRENGTH_GAIN, STRENGTH_WEEKS = 0.01, 0.03, 15.0
CONDUCT_CATEGORY_WEIGHTS = {
    "boundaries": 0.2,
    "communication": 0.2,
    "teamwork": 0.18,
    "conduct": 0.14,
    "presentation": 0.1,
    "confidentiality": 0.08,
    "safeguarding": 0.04,
    "other": 0.06,
}
SEVERITY_WEIGHTS = {"low": 0.7, "medium": 0.25, "high": 0.05}
CONDUCT_NOTES = ("Talked it through", "Raised at supervision", "Agreed a plan", "")
SETBACK_NOTE = "Concerns came back after a setback at home; support offered"


def _conduct(rng: np.random.Generator, frames: dict[str, pd.DataFrame], end: date) -> pd.DataFrame:
    """Observations at the sessions mentors came to: concerns early and falling with weeks in,
    a few high-severity ones resolved within days, strengths too, and one mentor whose concerns
    come back after a setback in the last weeks (the flag picks them up)."""
    attendance = frames["attendance"]
    present = attendance[attendance["attendance"].isin(["attended", "late"])]
    rows = present.merge(frames["sessions"][["session_id", "scheduled_start", "staff_id"]])
    rows = rows.merge(frames["mentors"][["mentor_id", "start_date", "status"]])
    day = pd.to_datetime(rows["scheduled_start"]).dt.normalize()
    weeks = ((day - pd.to_datetime(rows["start_date"])).dt.days.clip(lower=0) // 7).to_numpy()
    p_concern = CONCERN_EARLY * np.exp(-weeks / CONCERN_WEEKS) + CONCERN_FLOOR
    p_strength = STRENGTH_FLOOR + STRENGTH_GAIN * (1 - np.exp(-weeks / STRENGTH_WEEKS))
    draw = rng.random(len(rows))
    kind = np.where(
        draw < p_concern, "concern", np.where(draw < p_concern + p_strength, "strength", "")
    )
    picked = kind != ""
    out = pd.DataFrame(
        {
            "mentor_id": rows["mentor_id"].to_numpy()[picked],
            "observed_on": day.dt.date.to_numpy()[picked],
            "kind": kind[picked],
            "session_id": rows["session_id"].to_numpy()[picked],
            "staff_id": rows["staff_id"].to_numpy()[picked],
        }
    )
    # the setback: an active mentor in their second half-year has three concerns in the last
    # four weeks, after a quiet spell
    last = pd.Timestamp(end)
    started = pd.to_datetime(frames["mentors"]["start_date"])
    settled = frames["mentors"][
        (frames["mentors"]["status"] == "active")
        & (started <= last - pd.Timedelta(weeks=30))
        & (started >= last - pd.Timedelta(weeks=45))
    ]
    setback = settled["mentor_id"].iloc[0] if len(settled) else None
    if setback is not None:
        theirs = rows[(rows["mentor_id"] == setback) & (day >= last - pd.Timedelta(days=27))]
        extra = theirs.head(3)
        out = out[~((out["mentor_id"] == setback) & (out["kind"] == "concern"))]
        out = pd.concat(
            [
                out,
                pd.DataFrame(
                    {
                        "mentor_id": setback,
                        "observed_on": pd.to_datetime(extra["scheduled_start"]).dt.date,
                        "kind": "concern",
                        "session_id": extra["session_id"],
                        "staff_id": extra["staff_id"],
                    }
                ),
            ],
            ignore_index=True,
        )
    n = len(out)
    categories = list(CONDUCT_CATEGORY_WEIGHTS)
    out["category"] = rng.choice(categories, n, p=list(CONDUCT_CATEGORY_WEIGHTS.values()))
    severity = rng.choice(list(SEVERITY_WEIGHTS), n, p=list(SEVERITY_WEIGHTS.values()))
    concern = (out["kind"] == "concern").to_numpy()
    out["severity"] = [s if c else None for s, c in zip(severity, concern, strict=True)]
    # a high concern is talked through within days; most others within a month; some stay open
    high = concern & (severity == "high")
    days = np.where(high, rng.integers(1, 6, n), rng.integers(3, 31, n))
    resolved = pd.to_datetime(out["observed_on"]) + pd.to_timedelta(days, unit="D")
    closes = concern & (high | (rng.random(n) < 0.8)) & (resolved <= last).to_numpy()
    if setback is not None:
        closes &= (out["mentor_id"] != setback).to_numpy() | ~concern
    out["resolved_on"] = [d if c else None for d, c in zip(resolved.dt.date, closes, strict=True)]
    note = rng.choice(CONDUCT_NOTES, n)
    out["notes"] = [t if c and t else None for t, c in zip(note, concern, strict=True)]
    if setback is not None:
        out.loc[(out["mentor_id"] == setback) & concern, "notes"] = SETBACK_NOTE
    out = out.drop_duplicates(["mentor_id", "observed_on", "category", "kind"])
    out["observed_on"] = out["observed_on"].astype(str)
    out["resolved_on"] = out["resolved_on"].map(lambda d: None if d is None else str(d))
    return out.sort_values(["observed_on", "mentor_id", "kind", "category"]).reset_index(drop=True)


def write_csv(
    out_dir: Path,
    mentors: int = 120,
    seed: int = 2026,
    end: date = DEFAULT_END,
    years: float = 3.0,
) -> list[Path]:
    """Write the demo records as one UTF-8 CSV per record type; return the paths in import order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = generate(mentors=mentors, seed=seed, end=end, years=years)
    paths = []
    for name in RECORD_TYPES:
        path = out_dir / f"{name}.csv"
        frames[name].to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------------------------
# The people: mentors, their outreach workers, staff and hubs


@dataclass(frozen=True)
class _Cast:
    """Everyone in the demo programme, one array element per mentor; days count from 1970-01-01."""

    end: int  # the last day anything may be scheduled
    start: IntArray
    stop: IntArray  # the last day of activity: end_date, the day before a pause, or `end`
    status: IntArray
    end_date: IntArray  # -1 when missing
    gender: IntArray
    age_band: IntArray
    region: IntArray
    worker: IntArray  # index into the outreach workers
    hub: IntArray
    reliability: FloatArray  # > 1: more often late or absent than most
    phase: FloatArray  # how the mentor's days fall on weekdays; see _weekday
    shadowing_gap: FloatArray  # typical days between shadowing sessions
    staff_count: int
    worker_count: int
    hub_count: int
    beneficiaries_per_worker: int

    @property
    def size(self) -> int:
        return int(self.start.size)

    def staff_code(self, index: IntArray) -> StrArray:
        return _codes("ST-", index + 1, 2)

    def worker_code(self, index: IntArray) -> StrArray:
        return _codes("OW-", index + 1, 2)


def _cast(rng: np.random.Generator, n: int, end: int, years: float) -> _Cast:
    span = max(1, int(round(years * 365.25)))
    phase = rng.random(n)
    start = _weekday(end - 3 - np.floor(rng.random(n) * span), phase)
    by_start = np.argsort(start, kind="stable")
    start, phase = start[by_start], phase[by_start]
    reliability = np.exp(rng.normal(0.0, 0.35, n))

    drops = rng.permutation(n) < round(0.29 * n)  # exactly, so small demos look typical too
    drop_after = 14 + np.rint(rng.gamma(2.0, 45.0, n)).astype(np.int64)
    length = rng.integers(300, 541, n)
    withdrawn = drops & (start + drop_after < end)
    completed = ~withdrawn & (start + length <= end)
    pause_day = end - rng.integers(14, 76, n)
    could_pause = np.flatnonzero(~withdrawn & ~completed & (pause_day - start > 45))
    paused = np.zeros(n, dtype=bool)
    paused[rng.permutation(could_pause)[: round(0.15 * could_pause.size)]] = True

    status = np.full(n, ACTIVE, dtype=np.int64)
    status[paused] = PAUSED
    status[completed] = COMPLETED
    status[withdrawn] = WITHDRAWN
    end_date = np.full(n, -1, dtype=np.int64)
    end_date[withdrawn] = np.minimum(_weekday(start + drop_after, phase)[withdrawn], end)
    end_date[completed] = np.minimum(_weekday(start + length, phase)[completed], end)
    stop = np.where(end_date >= 0, end_date, np.where(paused, pause_day - 1, end))
    reliability = np.where(withdrawn, reliability * 1.5, reliability)

    region = rng.choice(len(REGIONS), size=n, p=REGION_WEIGHTS)
    worker_count = max(3, int(round(n / MENTORS_PER_OUTREACH_WORKER)))
    worker = _assign_workers(rng, region, worker_count)
    hub_count = max(1, int(round(n / MENTORS_PER_HUB)))
    beneficiaries = max(1, int(round(n / MENTORS_PER_BENEFICIARY)))
    return _Cast(
        end=end,
        start=start,
        stop=stop,
        status=status,
        end_date=end_date,
        gender=rng.choice(len(GENDERS), size=n, p=GENDER_WEIGHTS),
        age_band=rng.choice(len(AGE_BANDS), size=n, p=AGE_WEIGHTS),
        region=region,
        worker=worker,
        hub=worker * hub_count // worker_count,
        reliability=reliability,
        phase=phase,
        shadowing_gap=np.clip(np.exp(rng.normal(np.log(9.0), 0.55, n)) * reliability, 3.0, 35.0),
        staff_count=max(6, int(round(n / MENTORS_PER_STAFF))),
        worker_count=worker_count,
        hub_count=hub_count,
        beneficiaries_per_worker=max(1, -(-beneficiaries // worker_count)),
    )


def _assign_workers(rng: np.random.Generator, region: IntArray, worker_count: int) -> IntArray:
    """Outreach workers cover regions in proportion to their mentors; numbered region by region."""
    share = np.asarray(REGION_WEIGHTS) * worker_count
    per_region = np.floor(share).astype(np.int64)
    leftover = worker_count - int(per_region.sum())
    per_region[np.argsort(per_region - share, kind="stable")[:leftover]] += 1
    first = np.cumsum(per_region) - per_region
    covered = per_region[region] > 0
    within = np.floor(rng.random(region.size) * np.maximum(per_region[region], 1)).astype(np.int64)
    anyone = rng.integers(0, worker_count, region.size)
    return np.where(covered, first[region] + within, anyone)


# ---------------------------------------------------------------------------------------------
# Sessions and the register (attendance)


class _Sessions:
    """Sessions as parallel arrays, batch by batch; a staff index ≥ staff_count is a worker."""

    def __init__(self) -> None:
        self.parts: list[dict[str, IntArray]] = []
        self.count = 0

    def add(
        self,
        kind: int,
        day: IntArray,
        minute: IntArray,
        duration: IntArray,
        staff: IntArray,
        location: IntArray,
        beneficiary: IntArray | None = None,
        event: IntArray | None = None,
    ) -> IntArray:
        """Append sessions; return their indices."""
        size = day.size
        missing = np.full(size, -1, dtype=np.int64)
        self.parts.append(
            {
                "kind": np.full(size, kind, dtype=np.int64),
                "day": day,
                "minute": minute,
                "duration": duration,
                "staff": staff,
                "location": location,
                "beneficiary": missing if beneficiary is None else beneficiary,
                "event": missing if event is None else event,
            }
        )
        self.count += size
        return np.arange(self.count - size, self.count, dtype=np.int64)

    def column(self, name: str) -> IntArray:
        if not self.parts:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([part[name] for part in self.parts]).astype(np.int64)


@dataclass
class _Register:
    """Attendance rows: which mentor at which session, and what happened."""

    session: IntArray
    mentor: IntArray
    outcome: IntArray
    arrival_offset: IntArray  # minutes after the scheduled start
    has_arrival: BoolArray
    minutes_attended: IntArray
    has_minutes: BoolArray

    @staticmethod
    def empty() -> _Register:
        no_int = np.zeros(0, dtype=np.int64)
        no_bool = np.zeros(0, dtype=bool)
        return _Register(no_int, no_int, no_int, no_int, no_bool, no_int, no_bool)

    def extend(self, other: _Register) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))

    def credited_minutes(self, duration: IntArray) -> IntArray:
        """Minutes credited per METRICS.md: recorded minutes, else duration less minutes late."""
        present = (self.outcome == ATTENDED) | (self.outcome == LATE)
        late_by = np.where(self.has_arrival, np.maximum(self.arrival_offset, 0), 0)
        credited = np.where(self.has_minutes, self.minutes_attended, duration - late_by)
        return np.where(present, np.clip(credited, 0, duration), 0)


def _take_register(
    rng: np.random.Generator,
    cast: _Cast,
    mentor: IntArray,
    session: IntArray,
    day: IntArray,
    duration: IntArray,
    cancelled: BoolArray,
    optional: bool = False,
) -> _Register:
    """What happened at each (mentor, session); lateness and no-shows fall with weeks in."""
    size = mentor.size
    weeks = (day - cast.start[mentor]) / 7.0
    reliability = cast.reliability[mentor]
    # Mentors about to withdraw or pause drift away first.
    fading = (cast.status[mentor] != ACTIVE) & (cast.status[mentor] != COMPLETED)
    fading &= cast.stop[mentor] - day < 28
    p_absent = reliability * (0.06 + 0.10 * np.exp(-weeks / 20.0)) + 0.10 * optional + 0.30 * fading
    p_no_show = 0.15 + 0.65 * np.exp(-weeks / 16.0) * np.sqrt(reliability)
    p_late = reliability * (0.06 + 0.32 * np.exp(-weeks / 12.0))
    draw = rng.random((4, size))
    absent = draw[0] < np.minimum(p_absent, 0.9)
    outcome = np.where(
        absent,
        np.where(draw[1] < np.minimum(p_no_show, 0.95), NO_SHOW, NOTIFIED),
        np.where(draw[2] < np.minimum(p_late, 0.9), LATE, ATTENDED),
    ).astype(np.int64)
    outcome[cancelled] = CANCELLED

    mean_late = 5.0 + 18.0 * np.exp(-weeks / 16.0)
    minutes_late = GRACE_MINUTES + 1 + np.floor(rng.gamma(1.5, 1.0, size) * mean_late / 1.5)
    minutes_late = np.minimum(minutes_late, np.maximum(GRACE_MINUTES + 1, duration * 3 // 4))
    on_time = rng.integers(-15, GRACE_MINUTES + 1, size)
    offset = np.where(outcome == LATE, minutes_late, on_time).astype(np.int64)
    present = (outcome == ATTENDED) | (outcome == LATE)
    has_arrival = present & (draw[3] >= 0.07)
    has_minutes = present & (rng.random(size) < 0.12)
    left_early = np.where(rng.random(size) < 0.2, rng.integers(10, 41, size), 0)
    attended = np.clip(duration - np.maximum(offset, 0) - left_early, 0, duration)
    return _Register(session, mentor, outcome, offset, has_arrival, attended, has_minutes)


def _individual(
    rng: np.random.Generator,
    cast: _Cast,
    sessions: _Sessions,
    register: _Register,
    kind: int,
    mentor: IntArray,
    day: IntArray,
    minute: IntArray,
    duration: IntArray,
    staff: IntArray,
    location: IntArray,
    beneficiary: IntArray | None = None,
) -> _Register:
    """One-to-one sessions with their single attendance row each; return those rows."""
    index = sessions.add(kind, day, minute, duration, staff, location, beneficiary)
    cancelled = rng.random(day.size) < 0.02
    rows = _take_register(rng, cast, mentor, index, day, duration, cancelled)
    register.extend(rows)
    return rows


def _training(
    rng: np.random.Generator, cast: _Cast, sessions: _Sessions, register: _Register
) -> IntArray:
    """Four training sessions in the first three weeks; return the day training ended (or -1)."""
    n = cast.size
    offset = np.array([2, 7, 14, 21]) + rng.integers(0, 2, (n, 4))
    day = _weekday(cast.start[:, None] + offset, cast.phase[:, None])
    keep = day <= cast.stop[:, None]
    mentor = np.broadcast_to(np.arange(n)[:, None], day.shape)[keep]
    trainer = rng.integers(0, cast.staff_count, n)
    count = int(keep.sum())
    _individual(
        rng,
        cast,
        sessions,
        register,
        TRAINING,
        mentor,
        day[keep],
        np.full(count, 600, dtype=np.int64),
        rng.choice(np.array([150, 180]), count),
        trainer[mentor],
        rng.choice(np.array([HUB, OFFICE]), count),
    )
    return np.where(keep[:, -1], day[:, -1], -1)


def _supervision(
    rng: np.random.Generator, cast: _Cast, sessions: _Sessions, register: _Register
) -> None:
    """Monthly supervision with the mentor's outreach worker, from the fifth week on."""
    first = cast.start + 28 + rng.integers(0, 5, cast.size)
    count = np.where(first <= cast.stop, (cast.stop - first) // 30 + 1, 0)
    mentor, position = _ragged(count)
    calendar_day = first[mentor] + 30 * position + rng.integers(-3, 4, mentor.size)
    day = _weekday(calendar_day, cast.phase[mentor])
    keep = day <= cast.stop[mentor]
    mentor, day = mentor[keep], day[keep]
    _individual(
        rng,
        cast,
        sessions,
        register,
        SUPERVISION,
        mentor,
        day,
        rng.choice(np.array([780, 840, 900]), mentor.size),
        np.full(mentor.size, 60, dtype=np.int64),
        cast.staff_count + cast.worker[mentor],
        np.full(mentor.size, OFFICE, dtype=np.int64),
    )


def _shadowing(
    rng: np.random.Generator,
    cast: _Cast,
    training_done: IntArray,
    sessions: _Sessions,
    register: _Register,
) -> IntArray:
    """Shadowing until 10 hours are credited; return the day each mentor reached them (or -1)."""
    n, k = cast.size, MAX_SHADOWING_SESSIONS
    began = np.where(training_done >= 0, training_done, cast.start + 21) + rng.integers(3, 11, n)
    gap = np.maximum(2, np.rint(cast.shadowing_gap[:, None] * rng.uniform(0.6, 1.4, (n, k))))
    gap[:, 0] = 0
    day = _weekday(began[:, None] + np.cumsum(gap, axis=1), cast.phase[:, None])
    possible = day <= cast.stop[:, None]
    duration = rng.choice(np.array([60, 90, 120, 150, 180]), (n, k), p=[0.2, 0.2, 0.3, 0.1, 0.2])
    mentor = np.broadcast_to(np.arange(n)[:, None], (n, k))
    cancelled = rng.random((n, k)) < 0.02
    rows = _take_register(
        rng,
        cast,
        mentor.ravel(),
        np.zeros(n * k, dtype=np.int64),
        day.ravel(),
        duration.ravel(),
        cancelled.ravel(),
    )
    credited = rows.credited_minutes(duration.ravel()).reshape(n, k) * possible
    reached = np.cumsum(credited, axis=1) >= SHADOWING_TARGET_MINUTES
    done = reached.any(axis=1)
    done_at = np.where(done, reached.argmax(axis=1), k)
    keep = possible & (np.arange(k)[None, :] <= done_at[:, None])

    flat = keep.ravel()
    staff_pair = rng.integers(0, cast.staff_count, (n, 2))
    staff = staff_pair[np.arange(n)[:, None], rng.integers(0, 2, (n, k))]
    index = sessions.add(
        SHADOWING,
        day[keep],
        rng.choice(DAY_SLOTS, int(flat.sum()), p=DAY_SLOT_WEIGHTS),
        duration[keep].astype(np.int64),
        staff[keep],
        rng.choice(np.array([HUB, OFFICE, COMMUNITY_CENTRE]), int(flat.sum())),
    )
    kept = _Register(
        index,
        rows.mentor[flat],
        rows.outcome[flat],
        rows.arrival_offset[flat],
        rows.has_arrival[flat],
        rows.minutes_attended[flat],
        rows.has_minutes[flat],
    )
    register.extend(kept)
    return np.where(done, day[np.arange(n), np.minimum(done_at, k - 1)], -1)


def _beneficiary_meetings(
    rng: np.random.Generator,
    cast: _Cast,
    shadowing_done: IntArray,
    sessions: _Sessions,
    register: _Register,
) -> IntArray:
    """Beneficiary meetings with the outreach worker; return the first one attended (or -1)."""
    n = cast.size
    first = np.where(shadowing_done >= 0, shadowing_done + rng.integers(4, 15, n), cast.end + 1)
    gap = rng.uniform(8.0, 19.0, n)
    count = np.where(
        first <= cast.stop, np.floor((cast.stop - first) / gap).astype(np.int64) + 1, 0
    )
    mentor, position = _ragged(count)
    calendar_day = (
        first[mentor] + np.floor(position * gap[mentor]) + rng.integers(0, 3, mentor.size)
    )
    day = _weekday(calendar_day, cast.phase[mentor])
    keep = day <= cast.stop[mentor]
    mentor, position, day = mentor[keep], position[keep], day[keep]

    # Each mentor works with one to three of their outreach worker's beneficiaries, in turn;
    # the worker's mentors take the caseload round in order, so beneficiaries are shared.
    worked_with = rng.choice(np.array([1, 2, 3]), n, p=[0.3, 0.45, 0.25])
    by_worker = np.argsort(cast.worker, kind="stable")
    _, per_worker = np.unique(cast.worker, return_counts=True)
    turn_in_worker = np.empty(n, dtype=np.int64)
    turn_in_worker[by_worker] = _ragged(per_worker)[1]
    pool = cast.beneficiaries_per_worker
    taken = (2 * turn_in_worker[:, None] + np.arange(3)[None, :]) % pool
    caseload = cast.worker[:, None] * pool + taken
    turn = np.minimum(position * worked_with[mentor] // np.maximum(count[mentor], 1), 2)
    rows = _individual(
        rng,
        cast,
        sessions,
        register,
        BENEFICIARY,
        mentor,
        day,
        rng.choice(DAY_SLOTS, mentor.size, p=DAY_SLOT_WEIGHTS),
        rng.choice(np.array([60, 90]), mentor.size, p=[0.7, 0.3]),
        cast.staff_count + cast.worker[mentor],
        rng.choice(np.array([-1, HUB, COMMUNITY_CENTRE, LIBRARY]), mentor.size),
        caseload[mentor, turn],
    )
    first_mentoring = np.full(n, -1, dtype=np.int64)
    present = (rows.outcome == ATTENDED) | (rows.outcome == LATE)
    # Rows run mentor by mentor in date order, so each mentor's first present row is the earliest.
    who, at = np.unique(mentor[present], return_index=True)
    first_mentoring[who] = day[present][at]
    return first_mentoring


def _group_days(
    rng: np.random.Generator, cast: _Cast, sessions: _Sessions, register: _Register
) -> None:
    """A group day a month per hub, for every mentor of the hub active on the day."""
    first_month = _month(int(cast.start.min()))
    months = _month(cast.end) - first_month + 1
    month_start = (
        (np.arange(months) + first_month).astype("datetime64[M]").astype("datetime64[D]")
    ).astype(np.int64)
    shape = (cast.hub_count, months)
    day = _weekday(month_start[None, :] + rng.integers(7, 21, shape), rng.random(shape))
    staff = rng.integers(0, cast.staff_count, shape)
    cancelled = rng.random(shape) < 0.01

    from_month = _months(cast.start) - first_month
    to_month = _months(cast.stop) - first_month
    mentor, position = _ragged(to_month - from_month + 1)
    slot = cast.hub[mentor] * months + from_month[mentor] + position
    on = day.ravel()[slot]
    invited = (on >= cast.start[mentor]) & (on <= cast.stop[mentor]) & (on <= cast.end)
    _shared(
        rng,
        cast,
        sessions,
        register,
        GROUP_DAY,
        mentor[invited],
        slot[invited],
        day.ravel(),
        np.full(day.size, 600, dtype=np.int64),
        np.full(day.size, 300, dtype=np.int64),
        staff.ravel(),
        np.full(day.size, COMMUNITY_CENTRE, dtype=np.int64),
        np.full(day.size, -1, dtype=np.int64),
        cancelled.ravel(),
    )


def _events(
    rng: np.random.Generator, cast: _Cast, sessions: _Sessions, register: _Register
) -> None:
    """International Women's Day (8 March) and Adult Learners' Week (June) yearly, per hub."""
    first_year = _year(int(cast.start.min()))
    years = _year(cast.end) - first_year + 1
    year = np.arange(years) + first_year
    women = np.array([_day(date(int(y), 3, 8)) for y in year], dtype=np.int64)
    learners = _weekday(
        np.array([_day(date(int(y), 6, 14)) for y in year], dtype=np.int64)
        + rng.integers(0, 11, years),
        rng.random(years),
    )
    # Slots run hub by hub, year by year, Women's Day before Learners' Week.
    day = np.tile(np.stack([women, learners], axis=1).ravel(), cast.hub_count)
    event = np.tile(np.array([0, 1]), years * cast.hub_count)
    per_hub = 2 * years

    from_year = _years(cast.start) - first_year
    to_year = _years(cast.stop) - first_year
    mentor, position = _ragged(2 * (to_year - from_year + 1))
    slot = cast.hub[mentor] * per_hub + 2 * from_year[mentor] + position
    on = day[slot]
    invited = (on >= cast.start[mentor]) & (on <= cast.stop[mentor]) & (on <= cast.end)
    _shared(
        rng,
        cast,
        sessions,
        register,
        EVENT,
        mentor[invited],
        slot[invited],
        day,
        np.where(event == 0, 660, 630),
        np.where(event == 0, 240, 300),
        rng.integers(0, cast.staff_count, day.size),
        rng.choice(np.array([COMMUNITY_CENTRE, TOWN_HALL]), day.size),
        event,
        np.zeros(day.size, dtype=bool),
    )


def _shared(
    rng: np.random.Generator,
    cast: _Cast,
    sessions: _Sessions,
    register: _Register,
    kind: int,
    mentor: IntArray,
    slot: IntArray,
    day: IntArray,
    minute: IntArray,
    duration: IntArray,
    staff: IntArray,
    location: IntArray,
    event: IntArray,
    cancelled: BoolArray,
) -> None:
    """Sessions many mentors attend: one session per slot with anyone invited, a row per mentor."""
    used, slot_of_row = np.unique(slot, return_inverse=True)
    index = sessions.add(
        kind,
        day[used],
        minute[used],
        duration[used],
        staff[used],
        location[used],
        event=event[used],
    )
    rows = _take_register(
        rng,
        cast,
        mentor,
        index[slot_of_row],
        day[slot],
        duration[slot],
        cancelled[slot],
        optional=True,
    )
    register.extend(rows)


def _session_frames(
    rng: np.random.Generator, cast: _Cast, sessions: _Sessions, register: _Register
) -> dict[str, pd.DataFrame]:
    """The sessions and attendance frames, sessions numbered in order of their start."""
    start = sessions.column("day") * 1440 + sessions.column("minute")
    kind = sessions.column("kind")
    order = np.lexsort((kind, start))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    session_code = _codes("DS-", np.arange(order.size) + 1, 7)
    staff = sessions.column("staff")[order]
    staff_code = np.where(
        staff < cast.staff_count,
        cast.staff_code(np.minimum(staff, cast.staff_count - 1)),
        cast.worker_code(np.maximum(staff - cast.staff_count, 0)),
    )
    beneficiary = sessions.column("beneficiary")[order]
    event = sessions.column("event")[order]
    location = sessions.column("location")[order]
    sessions_frame = pd.DataFrame(
        {
            "session_id": session_code,
            "session_type": _text(np.asarray(SESSION_TYPES)[kind[order]]),
            "scheduled_start": _text(_datetimes(start[order])),
            "duration_minutes": sessions.column("duration")[order],
            "staff_id": _text(staff_code),
            "beneficiary_id": _optional_text(_codes("BN-", beneficiary + 1, 5), beneficiary >= 0),
            "event_name": _optional_text(np.asarray(EVENT_NAMES)[event], event >= 0),
            "location": _optional_text(np.asarray(LOCATIONS)[location], location >= 0),
        }
    )

    row_rank = rank[register.session]
    row_order = np.lexsort((register.mentor, row_rank))
    mentor = register.mentor[row_order]
    outcome = register.outcome[row_order]
    arrival = start[register.session[row_order]] + register.arrival_offset[row_order]
    notes = _pick_notes(rng, ATTENDANCE_NOTES, outcome, 0.08)
    attendance_frame = pd.DataFrame(
        {
            "session_id": session_code[row_rank[row_order]],
            "mentor_id": _mentor_codes(cast)[mentor],
            "attendance": _text(np.asarray(OUTCOMES)[outcome]),
            "arrival_time": _optional_text(_datetimes(arrival), register.has_arrival[row_order]),
            "minutes_attended": pd.arrays.IntegerArray(
                register.minutes_attended[row_order], ~register.has_minutes[row_order]
            ),
            "notes": notes,
        }
    )
    return {"sessions": sessions_frame, "attendance": attendance_frame}


# ---------------------------------------------------------------------------------------------
# Mentors, stage assessments and milestones


def _mentors_frame(cast: _Cast) -> pd.DataFrame:
    start = cast.start.astype("datetime64[D]")
    year = start.astype("datetime64[Y]").astype(np.int64) + 1970
    quarter = (start.astype("datetime64[M]").astype(np.int64) % 12) // 3 + 1
    cohort = np.strings.add(np.strings.add(year.astype(str), " Q"), quarter.astype(str))
    return pd.DataFrame(
        {
            "mentor_id": _mentor_codes(cast),
            "cohort": _text(cohort),
            "start_date": _text(_dates(cast.start)),
            "status": _text(np.asarray(STATUSES)[cast.status]),
            "end_date": _optional_text(_dates(np.maximum(cast.end_date, 0)), cast.end_date >= 0),
            "gender": _text(np.asarray(GENDERS)[cast.gender]),
            "age_band": _text(np.asarray(AGE_BANDS)[cast.age_band]),
            "outreach_worker": _text(cast.worker_code(cast.worker)),
            "region": _text(np.asarray(REGIONS)[cast.region]),
            "leaving_reason": _leaving_reasons(cast),
        }
    )


# Why withdrawn mentors left, in a fixed rotation (no random draw, so every other figure of the
# demo is unchanged); an empty entry is a reason not recorded.
_WITHDRAWAL_REASONS = (
    "disengaged",
    "employment",
    "health",
    "disengaged",
    "custody",
    "moved_away",
    "",
    "caring",
    "disengaged",
    "education",
    "other",
)


def _leaving_reasons(cast: _Cast) -> pd.Series:
    reasons = np.asarray(_WITHDRAWAL_REASONS)[np.arange(cast.size) % len(_WITHDRAWAL_REASONS)]
    withdrawn = (cast.status == records.STATUSES.index("withdrawn")) & (reasons != "")
    return _optional_text(reasons, withdrawn)


def _stage_assessments(rng: np.random.Generator, cast: _Cast) -> pd.DataFrame:
    """An assessment every six to eight weeks; mostly forward, with regressions for some."""
    n = cast.size
    k = int(np.ceil((cast.end - cast.start.min()) / 42)) + 2
    gap = rng.integers(42, 57, (n, k))
    gap[:, 0] = rng.integers(3, 15, n)
    day = _weekday(cast.start[:, None] + np.cumsum(gap, axis=1), cast.phase[:, None])
    valid = day <= cast.stop[:, None]
    count = valid.sum(axis=1)

    # One mentor in three (more among those who withdraw) has a marked setback at some point.
    setback = rng.random(n) < np.where(cast.status == WITHDRAWN, 0.46, 0.33)
    setback_at = 1 + np.floor(rng.random(n) * np.maximum(count - 1, 1)).astype(np.int64)
    fall = rng.integers(1, 3, n)
    stage = np.zeros((n, k), dtype=np.int64)
    stage[:, 0] = rng.choice(np.array([1, 2, 3]), n, p=[0.4, 0.4, 0.2])
    draw = rng.random((n, k))
    for col in range(1, k):
        before = stage[:, col - 1]
        p_up = 0.48 - 0.04 * before
        step = np.where(draw[:, col] < p_up, 1, np.where(draw[:, col] > 0.98, -1, 0))
        step = np.where(draw[:, col] < 0.03, 2, step)
        step = np.where(setback & (setback_at == col), -fall, step)
        stage[:, col] = np.clip(before + step, 1, 7)

    stage_effect = np.array([0, 0, -3, -4, 0, 3, 6, 8])
    base = rng.normal(12.5, 3.0, n)
    esteem = np.rint(base[:, None] + stage_effect[stage] + rng.normal(0.0, 1.8, (n, k)))
    esteem = np.clip(esteem, 0, 30).astype(np.int64)
    scored = rng.random((n, k)) >= 0.08

    change = np.zeros((n, k), dtype=np.int64)
    change[:, 1:] = np.select(
        [stage[:, 1:] > stage[:, :-1], stage[:, 1:] == stage[:, :-1]], [1, 2], default=3
    )
    notes = _pick_notes(rng, ASSESSMENT_NOTES, change[valid], 0.25)
    mentor = np.broadcast_to(np.arange(n)[:, None], (n, k))[valid]
    return pd.DataFrame(
        {
            "mentor_id": _mentor_codes(cast)[mentor],
            "assessed_on": _text(_dates(day[valid])),
            "stage": stage[valid],
            "self_esteem": pd.arrays.IntegerArray(esteem[valid], ~scored[valid]),
            "assessor": _text(cast.worker_code(cast.worker[mentor])),
            "notes": notes,
        }
    )


def _milestones(
    rng: np.random.Generator,
    cast: _Cast,
    training_done: IntArray,
    shadowing_done: IntArray,
    first_mentoring: IntArray,
) -> pd.DataFrame:
    n = cast.size
    mentor_parts, kind_parts, day_parts, note_parts = [], [], [], []
    for milestone, reached in enumerate((training_done, shadowing_done, first_mentoring)):
        who = np.flatnonzero(reached >= 0)
        mentor_parts.append(who)
        kind_parts.append(np.full(who.size, milestone, dtype=np.int64))
        day_parts.append(reached[who])
        note_parts.append(np.full(who.size, "", dtype=object))
    started = first_mentoring >= 0
    boost = np.where(cast.status == COMPLETED, 1.4, 1.0)
    for milestone, chance, earliest, latest, texts in LATER_MILESTONES:
        day = _weekday(first_mentoring + rng.integers(earliest, latest + 1, n), cast.phase)
        who = np.flatnonzero(started & (rng.random(n) < chance * boost) & (day <= cast.stop))
        mentor_parts.append(who)
        kind_parts.append(np.full(who.size, milestone, dtype=np.int64))
        day_parts.append(day[who])
        noted = rng.random(who.size) < 0.4
        picked = np.asarray(texts, dtype=object)[rng.integers(0, len(texts), who.size)]
        note_parts.append(np.where(noted, picked, ""))
    mentor = np.concatenate(mentor_parts)
    kind = np.concatenate(kind_parts)
    day = np.concatenate(day_parts)
    note = np.concatenate(note_parts)
    order = np.lexsort((kind, day, mentor))
    return pd.DataFrame(
        {
            "mentor_id": _mentor_codes(cast)[mentor[order]],
            "milestone": _text(np.asarray(MILESTONES)[kind[order]]),
            "achieved_on": _text(_dates(day[order])),
            "notes": _optional_text(note[order].astype(str), note[order] != ""),
        }
    )


# ---------------------------------------------------------------------------------------------
# Small helpers: days, codes and text columns


_FIRST_MONDAY = 4  # 1970-01-05


def _day(value: date) -> int:
    return (value - date(1970, 1, 1)).days


def _weekday(
    day: npt.NDArray[np.integer] | npt.NDArray[np.floating], phase: FloatArray | float = 0.5
) -> IntArray:
    """A working day for a calendar day: the calendar squeezed evenly onto Monday to Friday.

    For one `phase` (0 to 1) the map is monotone, moves a day by at most two and keeps days two
    or more apart distinct, so a mentor's sessions stay in order and never share a day by chance;
    phases drawn at random spread sessions evenly over the weekdays.
    """
    working = np.floor((np.asarray(day, dtype=np.float64) - _FIRST_MONDAY) * 5.0 / 7.0 + phase)
    moved = np.busday_offset(np.datetime64("1970-01-05"), working.astype(np.int64))
    return moved.astype(np.int64)


def _month(day: int) -> int:
    return int(np.datetime64(day, "D").astype("datetime64[M]").astype(np.int64))


def _months(day: IntArray) -> IntArray:
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _year(day: int) -> int:
    return int(np.datetime64(day, "D").astype("datetime64[Y]").astype(np.int64)) + 1970


def _years(day: IntArray) -> IntArray:
    return day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _ragged(count: IntArray) -> tuple[IntArray, IntArray]:
    """For groups of count[i] items: each item's group and its position within the group."""
    count = np.maximum(count, 0).astype(np.int64)
    owner = np.repeat(np.arange(count.size, dtype=np.int64), count)
    first = np.cumsum(count) - count
    return owner, np.arange(owner.size, dtype=np.int64) - first[owner]


def _codes(prefix: str, number: IntArray, width: int) -> StrArray:
    digits = np.strings.zfill(np.asarray(number).astype(np.int64).astype(str), width)
    return np.strings.add(prefix, digits)


def _mentor_codes(cast: _Cast) -> StrArray:
    return _codes("DM-", np.arange(cast.size) + 1, 5)


def _dates(day: IntArray) -> StrArray:
    """`YYYY-MM-DD`, formatting each distinct day once."""
    distinct, back = np.unique(day, return_inverse=True)
    return np.datetime_as_string(distinct.astype("datetime64[D]"))[back]


def _datetimes(minute: IntArray) -> StrArray:
    """`YYYY-MM-DD HH:MM` from minutes since 1970-01-01, formatting each distinct value once."""
    distinct, back = np.unique(minute, return_inverse=True)
    text = np.datetime_as_string(distinct.astype("datetime64[m]"), unit="m")
    return np.strings.replace(text, "T", " ")[back]


def _text(values: npt.NDArray[np.generic]) -> pd.Series:
    return pd.Series(values, dtype="str")


def _optional_text(values: npt.NDArray[np.generic], present: BoolArray) -> pd.Series:
    return pd.Series(values, dtype="str").where(present)


def _pick_notes(
    rng: np.random.Generator,
    notes: tuple[tuple[str, ...], ...],
    group: IntArray,
    share: float,
) -> pd.Series:
    """A short neutral note, chosen to fit each row's group, on about `share` of the rows."""
    width = max(len(texts) for texts in notes)
    table = np.array([texts + ("",) * (width - len(texts)) for texts in notes], dtype=object)
    lengths = np.array([len(texts) for texts in notes])
    pick = np.floor(rng.random(group.size) * lengths[group]).astype(np.int64)
    return _optional_text(table[group, pick], rng.random(group.size) < share)
