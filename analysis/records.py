"""The import contract of DATA.md as data: record types, their columns and the code lists."""

from __future__ import annotations

from dataclasses import dataclass

from analysis import figures as registry


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # id | code | text | date | datetime | int | enum | stage | arrival
    required: bool = False
    low: int | None = None  # inclusive bounds for int columns
    high: int | None = None
    missing: str | None = None  # stored for a blank cell (a key column that may be left blank)


@dataclass(frozen=True)
class RecordType:
    name: str  # the name users see and pass to --type
    table: str  # the table the rows land in
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # Reasons that need several of a row's read values: SQL over the parsed row `p`, each NULL
    # when the row passes (the project's own text, never a record value).
    checks: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


MENTORS = RecordType(
    "mentors",
    "mentors",
    (
        Column("mentor_id", "id", True),
        Column("cohort", "code", True),
        Column("start_date", "date", True),
        Column("status", "enum", True),
        Column("end_date", "date"),
        Column("gender", "enum"),
        Column("age_band", "enum"),
        Column("outreach_worker", "code"),
        Column("region", "text"),
        Column("leaving_reason", "enum"),
    ),
    ("mentor_id",),
)
SESSIONS = RecordType(
    "sessions",
    "sessions",
    (
        Column("session_id", "id", True),
        Column("session_type", "enum", True),
        Column("scheduled_start", "datetime", True),
        Column("duration_minutes", "int", True, 1, 1440),
        Column("staff_id", "id"),
        Column("beneficiary_id", "id"),
        Column("event_name", "text"),
        Column("location", "text"),
    ),
    ("session_id",),
)
ATTENDANCE = RecordType(
    "attendance",
    "attendance",
    (
        Column("session_id", "id", True),
        Column("mentor_id", "id", True),
        Column("attendance", "enum", True),
        Column("arrival_time", "arrival"),
        Column("minutes_attended", "int", False, 0, 1440),
        Column("notes", "text"),
    ),
    ("session_id", "mentor_id"),
)
# The register form: attendance rows that carry their session, as a typed sign-in sheet does.
REGISTER = RecordType(
    "register",
    "attendance",
    (
        Column("mentor_id", "id", True),
        Column("session_type", "enum", True),
        Column("scheduled_start", "datetime", True),
        Column("duration_minutes", "int", True, 1, 1440),
        Column("attendance", "enum", True),
        Column("session_id", "id"),
        Column("staff_id", "id"),
        Column("beneficiary_id", "id"),
        Column("event_name", "text"),
        Column("location", "text"),
        Column("arrival_time", "arrival"),
        Column("minutes_attended", "int", False, 0, 1440),
        Column("notes", "text"),
    ),
    ("session_id", "mentor_id"),
)
STAGE_ASSESSMENTS = RecordType(
    "stage_assessments",
    "stage_assessments",
    (
        Column("mentor_id", "id", True),
        Column("assessed_on", "date", True),
        Column("stage", "stage", True),
        Column("self_esteem", "int", False, 0, 30),
        Column("assessor", "code"),
        Column("notes", "text"),
    ),
    ("mentor_id", "assessed_on"),
)
MILESTONES = RecordType(
    "milestones",
    "milestones",
    (
        Column("mentor_id", "id", True),
        Column("milestone", "enum", True),
        Column("achieved_on", "date", True),
        Column("notes", "text"),
    ),
    ("mentor_id", "milestone", "achieved_on"),
)


# Import order: what a row refers to lands before the row.
RECORD_TYPES: dict[str, RecordType] = {
    t.name: t for t in (MENTORS, SESSIONS, ATTENDANCE, STAGE_ASSESSMENTS, MILESTONES)
}
IMPORT_ORDER = (
    "mentors",
    "sessions",
    "attendance",
    "register",
    "stage_assessments",
    "milestones",
    "funding",
    "targets",
    "conduct",
)

STATUSES = ("active", "paused", "completed", "withdrawn")
GENDERS = ("female", "male", "non-binary", "not stated")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55+")
SESSION_TYPES = (
    "shadowing",
    "beneficiary_meeting",
    "group_day",
    "training",
    "supervision",
    "event",
)
ATTENDANCE_CODES = ("attended", "late", "notified_absence", "no_show", "cancelled_by_programme")
MILESTONE_CODES = (
    "training_completed",
    "shadowing_completed",
    "first_mentoring_session",
    "accredited_qualification",
    "volunteering",
    "further_education",
    "paid_employment",
)
STAGE_NAMES = (
    "immobilisation",
    "minimisation",
    "self-doubt",
    "letting go",
    "testing",
    "search for meaning",
    "internalisation",
)

# --- funding streams and targets (second release) -------------------------------------------

# Figures that take a target (METRICS.md, "Targets"), by kind, as the registry says
# (`Figure.target`): a flow accumulates through a period, a rate and a stock do not. Higher is
# better, except for LOWER_IS_BETTER (the registry's `better`). A target on milestones is set
# per milestone.
TARGET_FIGURE_KINDS: dict[str, str] = {
    key: figure.target
    for figure in registry.FIGURES
    if figure.target is not None
    for key in (
        [f"{figure.key}.{code}" for code in MILESTONE_CODES]
        if figure.kind == "distribution"
        else [figure.key]
    )
}
LOWER_IS_BETTER = tuple(
    f.key for f in registry.FIGURES if f.target is not None and f.better == "lower"
)
TARGET_RATES = tuple(k for k, kind in TARGET_FIGURE_KINDS.items() if kind == "rate")
_RATE_LIST = ", ".join("'" + k + "'" for k in TARGET_RATES)
# Rates per 100 attendances (third release): a target is a plain number, never a percentage.
_PER100_LIST = ", ".join(
    "'" + k + "'" for k, kind in TARGET_FIGURE_KINDS.items() if kind == "per100"
)

FUNDING = RecordType(
    "funding",
    "funding",
    (
        Column("mentor_id", "id", True),
        Column("funding_stream", "code", True),
        Column("from", "date"),
        Column("to", "date"),
    ),
    ("mentor_id", "funding_stream"),
    checks=(
        "CASE WHEN p.to < p.from THEN 'to: ' || strftime(p.to, '%d/%m/%Y') || "
        "' is before from: ' || strftime(p.from, '%d/%m/%Y') END",
    ),
)
# A programme-wide target has no stream; the key stores it as '' (a key is never missing).
WHOLE_PROGRAMME = ""
TARGETS = RecordType(
    "targets",
    "targets",
    (
        Column("figure", "enum", True),
        Column("period_start", "date", True),
        Column("period_end", "date", True),
        Column("target", "target", True),
        Column("funding_stream", "code", missing=WHOLE_PROGRAMME),
        Column("wording", "text"),
    ),
    ("figure", "period_start", "period_end", "funding_stream"),
    checks=(
        "CASE WHEN p.period_end < p.period_start THEN 'period_end: ' || "
        "strftime(p.period_end, '%d/%m/%Y') || ' is before period_start: ' || "
        "strftime(p.period_start, '%d/%m/%Y') END",
        f"CASE WHEN p.figure IN ({_RATE_LIST}) AND NOT p._target_percent AND p.target > 1 "
        "THEN 'target: \"' || p._target_text || '\" is above 1 for a rate: write ' || "
        "p._target_text || '% or ' || CAST(p.target / 100 AS VARCHAR) END",
        f"CASE WHEN p.figure IN ({_RATE_LIST}) AND p._target_percent AND p.target > 1 "
        "THEN 'target: \"' || p._target_text || '\" is above 100%' END",
        f"CASE WHEN p.figure NOT IN ({_RATE_LIST}, {_PER100_LIST}) AND p._target_percent "
        "THEN 'target: \"' || p._target_text || '\" is a percentage, but ' || p.figure || "
        "' is a count or hours, not a rate' END",
        f"CASE WHEN p.figure IN ({_PER100_LIST}) AND p._target_percent "
        "THEN 'target: \"' || p._target_text || '\" is a percentage, but ' || p.figure || "
        "' is counted per 100 attendances: write a plain number, e.g. 2' END",
    ),
)
RECORD_TYPES.update({FUNDING.name: FUNDING, TARGETS.name: TARGETS})

# --- conduct observations (third release) ----------------------------------------------------

CONDUCT_KINDS = ("concern", "strength")
CONDUCT_KIND_SYNONYMS: dict[str, str] = {
    "issue": "concern",
    "incident": "concern",
    "warning": "concern",
    "positive": "strength",
    "praise": "strength",
    "commendation": "strength",
}
CONDUCT_CATEGORIES = (
    "boundaries",
    "confidentiality",
    "communication",
    "conduct",
    "presentation",
    "teamwork",
    "safeguarding",
    "other",
)
CONDUCT_CATEGORY_SYNONYMS: dict[str, str] = {
    "language": "conduct",
    "attitude": "conduct",
    "dress": "presentation",
}
# Categories that are not conduct: the row is rejected with this reason.
CONDUCT_CATEGORY_REJECTS: dict[str, str] = {
    word: "timekeeping and attendance are measured from the registers"
    for word in ("timekeeping", "lateness", "attendance")
}
SEVERITIES = ("low", "medium", "high")
CONDUCT = RecordType(
    "conduct",
    "conduct",
    (
        Column("mentor_id", "id", True),
        Column("observed_on", "day", True),
        Column("kind", "enum", True),
        Column("category", "enum", True),
        Column("severity", "enum"),
        Column("session_id", "id"),
        Column("staff_id", "code"),
        Column("resolved_on", "date"),
        Column("notes", "text"),
    ),
    ("mentor_id", "observed_on", "category", "kind"),
    checks=(
        "CASE WHEN p.kind = 'concern' AND p.resolved_on < p.observed_on THEN 'resolved_on: ' || "
        "strftime(p.resolved_on, '%d/%m/%Y') || ' is before observed_on: ' || "
        "strftime(p.observed_on, '%d/%m/%Y') END",
    ),
)
RECORD_TYPES[CONDUCT.name] = CONDUCT


def person_tables() -> list[str]:
    """The tables that hold rows about one mentor: every declared record type with a
    `mentor_id` column, mentors first (erasure, the retention rule and subject access read
    this list, so a new record type about a person joins them by being declared)."""
    names = [t.table for t in RECORD_TYPES.values() if "mentor_id" in t.column_names]
    return sorted(dict.fromkeys(names), key=lambda t: t != "mentors")


LEAVING_REASONS = (
    "employment",
    "education",
    "moved_away",
    "health",
    "caring",
    "custody",
    "disengaged",
    "other",
)
LEAVING_REASON_SYNONYMS: dict[str, str] = {
    "job": "employment",
    "work": "employment",
    "paid work": "employment",
    "recalled": "custody",
    "prison": "custody",
    "custody/recall": "custody",
    "lost contact": "disengaged",
    "stopped attending": "disengaged",
}

ATTENDANCE_SYNONYMS: dict[str, str] = {
    "present": "attended",
    "yes": "attended",
    "y": "attended",
    "attended on time": "attended",
    "arrived late": "late",
    "apologies": "notified_absence",
    "absent with notice": "notified_absence",
    "called in": "notified_absence",
    "notified": "notified_absence",
    "dna": "no_show",
    "did not attend": "no_show",
    "absent": "no_show",
    "no-show": "no_show",
    "no show": "no_show",
    "cancelled": "cancelled_by_programme",
    "session cancelled": "cancelled_by_programme",
    "cancelled by staff": "cancelled_by_programme",
}


def code_key(value: str) -> str:
    """How codes are compared: case-insensitive, spaces, hyphens and underscores alike."""
    import re

    return re.sub(r"[\s_\-]+", "_", value.strip().lower())


def _lookup(values: tuple[str, ...], synonyms: dict[str, str] | None = None) -> dict[str, str]:
    table = {code_key(v): v for v in values}
    for word, code in (synonyms or {}).items():
        table[code_key(word)] = code
    return table


# field -> {normalised key: stored value}; the enum columns and the stage names.
CODE_LISTS: dict[str, dict[str, str]] = {
    "status": _lookup(STATUSES),
    "gender": _lookup(GENDERS),
    "age_band": _lookup(AGE_BANDS),
    "session_type": _lookup(SESSION_TYPES),
    "attendance": _lookup(ATTENDANCE_CODES, ATTENDANCE_SYNONYMS),
    "milestone": _lookup(MILESTONE_CODES),
    "leaving_reason": _lookup(LEAVING_REASONS, LEAVING_REASON_SYNONYMS),
    "stage": {code_key(name): str(i) for i, name in enumerate(STAGE_NAMES, start=1)}
    | {str(i): str(i) for i in range(1, 8)},
    "figure": _lookup(tuple(TARGET_FIGURE_KINDS)),
    "kind": _lookup(CONDUCT_KINDS, CONDUCT_KIND_SYNONYMS),
    "category": _lookup(CONDUCT_CATEGORIES, CONDUCT_CATEGORY_SYNONYMS),
    "severity": _lookup(SEVERITIES),
}
# field -> {normalised key: why the value rejects the row} (the contract's own refusals).
CODE_REJECTS: dict[str, dict[str, str]] = {
    "category": {code_key(w): why for w, why in CONDUCT_CATEGORY_REJECTS.items()},
}
ALLOWED_TEXT: dict[str, tuple[str, ...]] = {
    "status": STATUSES,
    "gender": GENDERS,
    "age_band": AGE_BANDS,
    "session_type": SESSION_TYPES,
    "attendance": ATTENDANCE_CODES,
    "milestone": MILESTONE_CODES,
    "leaving_reason": LEAVING_REASONS,
    "stage": ("1 to 7", *STAGE_NAMES),
    "figure": tuple(TARGET_FIGURE_KINDS),
    "kind": CONDUCT_KINDS,
    "category": CONDUCT_CATEGORIES,
    "severity": SEVERITIES,
}

MAX_CODE_LENGTH = 64
MAX_TEXT_LENGTH = 2000
MAX_ARRIVAL_HOURS = 12


def normalise_header(name: str) -> str:
    """`Mentor ID` and `mentor-id` are both `mentor_id`."""
    import re

    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").strip().lower())


# One example row per record type, for the downloadable templates.
TEMPLATE_EXAMPLES: dict[str, dict[str, str]] = {
    "mentors": {
        "mentor_id": "PM-014",
        "cohort": "2025 spring",
        "start_date": "2025-03-03",
        "status": "active",
        "end_date": "",
        "gender": "female",
        "age_band": "25-34",
        "outreach_worker": "OW-02",
        "region": "North West",
        "leaving_reason": "",
    },
    "sessions": {
        "session_id": "S-2025-0412",
        "session_type": "beneficiary_meeting",
        "scheduled_start": "2025-04-12 10:00",
        "duration_minutes": "90",
        "staff_id": "OW-02",
        "beneficiary_id": "BN-0031",
        "event_name": "",
        "location": "Community hub",
    },
    "attendance": {
        "session_id": "S-2025-0412",
        "mentor_id": "PM-014",
        "attendance": "late",
        "arrival_time": "10:12",
        "minutes_attended": "",
        "notes": "",
    },
    "register": {
        "mentor_id": "PM-014",
        "session_type": "group_day",
        "scheduled_start": "15/05/2025 10:00",
        "duration_minutes": "300",
        "attendance": "present",
        "staff_id": "ST-03",
        "beneficiary_id": "",
        "event_name": "",
        "location": "Hub",
        "arrival_time": "09:58",
        "minutes_attended": "",
        "notes": "",
    },
    "stage_assessments": {
        "mentor_id": "PM-014",
        "assessed_on": "2025-04-30",
        "stage": "letting go",
        "self_esteem": "17",
        "assessor": "OW-02",
        "notes": "",
    },
    "milestones": {
        "mentor_id": "PM-014",
        "milestone": "shadowing_completed",
        "achieved_on": "2025-05-20",
        "notes": "",
    },
    "funding": {
        "mentor_id": "PM-014",
        "funding_stream": "Lottery Reaching Communities",
        "from": "2025-04-01",
        "to": "",
    },
    "targets": {
        "figure": "milestones.paid_employment",
        "period_start": "2025-04-01",
        "period_end": "2026-03-31",
        "target": "6",
        "funding_stream": "Lottery Reaching Communities",
        "wording": "Mentors moving into paid work",
    },
    "conduct": {
        "mentor_id": "PM-014",
        "observed_on": "2025-05-22",
        "kind": "concern",
        "category": "boundaries",
        "severity": "low",
        "session_id": "S-2025-0412",
        "staff_id": "OW-02",
        "resolved_on": "2025-05-29",
        "notes": "",
    },
}


def template_csv(record_type: str) -> bytes:
    """A CSV with the record type's columns and one example row."""
    import csv
    import io

    rtype = REGISTER if record_type == "register" else RECORD_TYPES[record_type]
    # A register with a session_id column would also fit the sessions type: leave it out.
    columns = [c for c in rtype.column_names if not (rtype is REGISTER and c == "session_id")]
    example = TEMPLATE_EXAMPLES[record_type]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([example.get(c, "") for c in columns])
    return buffer.getvalue().encode("utf-8-sig")
