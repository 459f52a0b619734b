"""Keeping records no longer than needed (DATA.md, "Keeping records no longer than needed").

Two rights of the people the records are about, under UK GDPR's storage limitation and right of
access, for criminal-offence data:
- the retention rule: every mentor whose `end_date` is more than `retention_years` before today
  is erased exactly as erasing one mentor erases (analysis/admin.py): their rows in every record
  table, the rejected rows that name them, every snapshot, and the audit log's light path; the
  database and each snapshot rewritten so no byte of them stays. A dry run first says how many
  and the oldest end date and changes nothing; every run is audited with how many and by whom,
  never which codes;
- subject access: one workbook of every stored row about one mentor (analysis/subject_access.py).

Which tables hold rows about a person is read from the one place that declares the record
types (`records.RECORD_TYPES`): every type with a `mentor_id` column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analysis import admin, audit_store, clock, database, records, snapshots


class RetentionError(ValueError):
    """No rule to apply (no years given, none set), or a number of years that makes no sense."""


def person_tables(con: duckdb.DuckDBPyConnection | None = None) -> list[str]:
    """The record tables that hold rows about one mentor (a `mentor_id` column), mentors first,
    in the order the record types are declared; with `con`, only those the database has."""
    names = records.person_tables()
    if con is None:
        return names
    present = {
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_catalog = current_database()"
        ).fetchall()
    }
    return [t for t in names if t in present]


def cutoff(today: dt.date, years: int) -> dt.date:
    """The day `years` years before `today` (29 February falls back to the 28th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


@dataclass(frozen=True)
class Due:
    years: int
    today: dt.date
    before: dt.date  # an end date before this day is due
    mentors: tuple[str, ...]  # never printed, never audited
    oldest: dt.date | None

    @property
    def count(self) -> int:
        return len(self.mentors)

    def sentence(self, applied: bool = False) -> str:
        who = "mentor" if self.count == 1 else "mentors"
        rule = (
            f"{who} whose end date is more than {self.years} "
            f"{'year' if self.years == 1 else 'years'} before {self.today:%d/%m/%Y} "
            f"(before {self.before:%d/%m/%Y})"
        )
        if not self.count:
            return f"No {rule}: nothing to erase."
        oldest = f"; the oldest end date is {self.oldest:%d/%m/%Y}" if self.oldest else ""
        if applied:
            return f"Erased {self.count:,} {rule}{oldest}."
        return f"{self.count:,} {rule} would be erased{oldest}."


def years_of(given: int | None, setting: int | None) -> int:
    years = given if given is not None else setting
    if years is None:
        raise RetentionError(
            "no retention rule: set retention_years in the settings file or give "
            "--older-than-years N"
        )
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise RetentionError("the number of years must be a whole number, at least 1")
    return years


def due(con: duckdb.DuckDBPyConnection, years: int, today: dt.date | None = None) -> Due:
    """Who the rule would erase today (the clock module's today unless given)."""
    today = today or clock.today()
    before = cutoff(today, years)
    rows = con.execute(
        "SELECT mentor_id, end_date FROM mentors WHERE end_date < $before ORDER BY mentor_id",
        {"before": before},
    ).fetchall()
    oldest = min((r[1] for r in rows), default=None)
    return Due(years, today, before, tuple(str(r[0]) for r in rows), oldest)


def dry_run(db_path: str | Path, years: int, user: str | None) -> Due:
    """How many the rule would erase and the oldest end date; the database is not changed (the
    run is noted in the audit log's light path, which is not the database)."""
    with database.read(db_path) as con:
        found = due(con, years)
    audit_store.append(db_path, user, "retention (dry run)", _words(found, applied=False))
    return found


def apply(db_path: str | Path, years: int, user: str | None) -> Due:
    """Erase every mentor the rule finds, as erasing one mentor does, in one change."""
    key = admin.erasure_key(db_path)
    with database.connect(db_path, compact=True) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            found = due(con, years)
            rows = sum(sum(admin.erase_rows(con, code).values()) for code in found.mentors)
            database.write_audit(
                con, user, "retention", f"{_words(found, applied=True)}; {rows:,} rows erased"
            )
            if found.count:
                database.bump_data_version(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    if found.count:
        snapshots.scrub(
            db_path,
            lambda snap: sum(sum(admin.erase_rows(snap, c).values()) for c in found.mentors),
        )
        for code in found.mentors:
            audit_store.replace_text(db_path, code, admin.erasure_reference(code, key))
    return found


def _words(found: Due, *, applied: bool) -> str:
    """The audit log's words: the rule, how many, the oldest end date; never a code."""
    verb = "erased" if applied else "would erase"
    oldest = f"; oldest end date {found.oldest.isoformat()}" if found.oldest else ""
    return (
        f"{verb} {found.count} mentor(s) whose end date is before {found.before.isoformat()} "
        f"({found.years} years before {found.today.isoformat()}){oldest}"
    )
