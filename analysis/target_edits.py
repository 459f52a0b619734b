"""Targets typed in on the Targets page, stored exactly as an import of those rows would be.

The rows added or changed in the page's table are written as a `targets` CSV and imported
through the ordinary import (one transaction, the same checks, rejected rows kept with their
reasons, the import log). Then, in a second transaction, the targets the manager deleted, and
the old form of each target whose identity (figure, period, stream) was changed and whose new
form landed, are deleted. Every change is written to the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from analysis import database, snapshots
from analysis.importer import ImportResult, ImportSource, import_files
from analysis.records import TARGETS, WHOLE_PROGRAMME
from analysis.settings import Settings

COLUMNS = TARGETS.column_names  # figure, period_start, period_end, target, funding_stream, wording
EDIT_FILE_NAME = "targets edited on the Targets page.csv"


@dataclass
class EditResult:
    added: int = 0
    changed: int = 0
    deleted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {"row", "values", "reasons"}
    error: str | None = None

    @property
    def anything(self) -> bool:
        return bool(self.added or self.changed or self.deleted or self.rejected or self.error)


def _text(value: Any) -> str:
    """A cell as the CSV holds it: dates as YYYY-MM-DD, blanks as ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from an emptied cell
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "" if text in ("NaT", "nan", "None") else text


def _row(values: dict[str, Any]) -> dict[str, str]:
    return {c: _text(values.get(c)).strip() for c in COLUMNS}


def _key(row: dict[str, str]) -> tuple[str, str, str, str]:
    return (row["figure"], row["period_start"], row["period_end"], row["funding_stream"])


def _describe(row: dict[str, str]) -> str:
    stream = row["funding_stream"] or "whole programme"
    return (
        f"{row['figure']} ({stream}, {row['period_start']} to {row['period_end']}): {row['target']}"
    )


def save_edits(
    db_path: str | Path,
    before: dict[Any, dict[str, Any]],
    after: dict[Any, dict[str, Any]],
    *,
    user: str,
    settings: Settings | None = None,
) -> EditResult:
    """Store the table's edits. `before` and `after` map each table row's id (the editor's
    index) to its cells; an id only in `after` is a new row, an id only in `before` was
    deleted."""
    old = {i: _row(v) for i, v in before.items()}
    new = {i: _row(v) for i, v in after.items()}
    new = {i: r for i, r in new.items() if any(r.values())}  # a blank added line is no row
    written = [i for i in new if i not in old or new[i] != old[i]]
    result = EditResult()
    landed_ids: set[Any] = set()
    if written:
        imported = _import_rows(db_path, [new[i] for i in written], user, settings)
        if not imported.landed:
            result.error = imported.error
            return result
        rejected_rows = {int(str(r["row"])): r for r in imported.files[0].rejected_rows}
        for line, i in enumerate(written, start=2):  # row 1 is the header
            if line in rejected_rows:
                result.rejected.append(rejected_rows[line])
            else:
                landed_ids.add(i)
    removals = [old[i] for i in old if i not in new]
    moved = [old[i] for i in landed_ids if i in old and _key(old[i]) != _key(new[i])]
    audit: list[str] = []
    for i in written:
        if i not in landed_ids:
            continue
        if i in old:
            result.changed += 1
            audit.append(f"changed {_describe(old[i])} to {_describe(new[i])}")
        else:
            result.added += 1
            audit.append(f"added {_describe(new[i])}")
    for row in removals:
        result.deleted += 1
        audit.append(f"deleted {_describe(row)}")
    _delete_and_audit(db_path, [*removals, *moved], audit, user)
    return result


def _import_rows(
    db_path: str | Path, rows: list[dict[str, str]], user: str, settings: Settings | None
) -> ImportResult:
    with tempfile.TemporaryDirectory(prefix="pm-targets-") as tmp:
        path = Path(tmp) / "targets.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(COLUMNS), lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows)
        return import_files(
            db_path,
            [ImportSource(path, EDIT_FILE_NAME)],
            record_type="targets",
            user=user,
            settings=settings,
            kind="targets edit",
        )


def _delete_and_audit(
    db_path: str | Path, rows: list[dict[str, str]], audit: list[str], user: str
) -> None:
    if not rows and not audit:
        return
    with (
        snapshots.before_change(db_path, "targets edit", enabled=bool(rows)) as change,
        database.connect(db_path) as con,
    ):
        con.execute("BEGIN TRANSACTION")
        try:
            for row in rows:
                con.execute(
                    "DELETE FROM targets WHERE figure = $figure AND period_start = $start "
                    "AND period_end = $end AND funding_stream = $stream",
                    {
                        "figure": row["figure"],
                        "start": row["period_start"],
                        "end": row["period_end"],
                        "stream": row["funding_stream"] or WHOLE_PROGRAMME,
                    },
                )
            for line in audit:
                database.write_audit(con, user, "edit targets", line)
            if rows:
                database.bump_data_version(con)
            con.execute("COMMIT")
            change.landed = True
        except BaseException:
            con.execute("ROLLBACK")
            raise


def catalog_rows(
    con: duckdb.DuckDBPyConnection, scope: Any = None, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """The stored targets as the page's table shows them: dates as dates, the target as a
    manager would type it (85% for a rate), the stream blank for the whole programme. Every
    target, whatever the filters: the table is the list of agreements."""
    from analysis import targets

    stored = targets.load(con)
    return [
        {
            "figure": t.figure,
            "period_start": t.period_start,
            "period_end": t.period_end,
            "target": targets.target_text(t),
            "funding_stream": t.funding_stream or "",
            "wording": t.wording or "",
        }
        for t in stored
    ]
