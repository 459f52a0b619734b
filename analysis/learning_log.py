"""The learning log: dated notes about the programme ("new outreach worker in the North",
"prison lockdown: no visits"), each with an author and a "share with funders" choice.

Notes are stored in the database (`learning_notes`); adding, editing and deleting one is written
to the audit log. Every monthly chart marks the notes on its time axis (hover shows the note);
the impact pack's "What changed and what we learned" holds only the shared ones.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go

from analysis import clock, database
from analysis.chart_tables import LEARNING_LOG

MAX_NOTE_CHARACTERS = 2000
MARK_COLOUR = "#52606d"
MARK_NAME = "Learning log"


class NoteError(ValueError):
    """A note that cannot be saved, with what is wrong in words a manager can act on."""


@dataclass(frozen=True)
class Note:
    note_id: int
    noted_on: dt.date
    text: str
    author: str
    shared: bool


def checked_text(text: str) -> str:
    """The note's text, trimmed; refused when empty, too long or holding control characters."""
    cleaned = text.strip()
    if not cleaned:
        raise NoteError("the note is empty: write what changed or what you learned")
    if len(cleaned) > MAX_NOTE_CHARACTERS:
        raise NoteError(
            f"the note is {len(cleaned):,} characters long; keep it to {MAX_NOTE_CHARACTERS:,}"
        )
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in cleaned):
        raise NoteError("the note holds a control character; type it again as plain text")
    return cleaned


def _row(row: tuple[Any, ...]) -> Note:
    return Note(int(row[0]), row[1], str(row[2]), str(row[3]), bool(row[4]))


def notes(
    con: duckdb.DuckDBPyConnection,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    *,
    shared_only: bool = False,
) -> list[Note]:
    """Notes dated in [date_from, date_to] (either end open), oldest first."""
    rows = con.execute(
        "SELECT note_id, noted_on, note, author, share_with_funders FROM learning_notes "
        "WHERE ($from IS NULL OR noted_on >= $from) AND ($to IS NULL OR noted_on <= $to) "
        "AND (NOT $shared_only OR share_with_funders) ORDER BY noted_on, note_id",
        {"from": date_from, "to": date_to, "shared_only": shared_only},
    ).fetchall()
    return [_row(r) for r in rows]


def note(con: duckdb.DuckDBPyConnection, note_id: int) -> Note | None:
    row = con.execute(
        "SELECT note_id, noted_on, note, author, share_with_funders FROM learning_notes "
        "WHERE note_id = $id",
        {"id": note_id},
    ).fetchone()
    return _row(row) if row else None


def _audit_detail(note_id: int, noted_on: dt.date, shared: bool) -> str:
    # The text itself stays in the log's table; the audit says which note and what kind of change.
    return f"note {note_id} dated {noted_on.isoformat()}, shared with funders: {'yes' if shared else 'no'}"


def add_note(
    con: duckdb.DuckDBPyConnection, user: str, noted_on: dt.date, text: str, shared: bool
) -> Note:
    """Store a new note by `user`; the audit log records it."""
    cleaned = checked_text(text)
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute(
            "INSERT INTO learning_notes (noted_on, note, author, share_with_funders, created_at) "
            "VALUES ($on, $note, $author, $shared, $now) RETURNING note_id",
            {"on": noted_on, "note": cleaned, "author": user, "shared": shared, "now": clock.now()},
        ).fetchone()
        assert row is not None
        note_id = int(row[0])
        database.write_audit(
            con, user, "learning log: add", _audit_detail(note_id, noted_on, shared)
        )
        database.bump_data_version(con)  # a shared note is in the funders' pack
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return Note(note_id, noted_on, cleaned, user, shared)


def edit_note(
    con: duckdb.DuckDBPyConnection,
    user: str,
    note_id: int,
    noted_on: dt.date,
    text: str,
    shared: bool,
) -> Note:
    """Change a note; the audit log records who changed what (the author stays)."""
    cleaned = checked_text(text)
    before = note(con, note_id)
    if before is None:
        raise NoteError(f"there is no note {note_id} (deleted meanwhile?)")
    changes = [
        what
        for what, changed in (
            (
                f"date {before.noted_on.isoformat()} → {noted_on.isoformat()}",
                before.noted_on != noted_on,
            ),
            ("text", before.text != cleaned),
            (
                f"shared with funders {'yes' if before.shared else 'no'} → {'yes' if shared else 'no'}",
                before.shared != shared,
            ),
        )
        if changed
    ]
    if not changes:
        return before
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "UPDATE learning_notes SET noted_on = $on, note = $note, share_with_funders = $shared, "
            "updated_at = $now, updated_by = $user WHERE note_id = $id",
            {
                "on": noted_on,
                "note": cleaned,
                "shared": shared,
                "user": user,
                "id": note_id,
                "now": clock.now(),
            },
        )
        database.write_audit(
            con, user, "learning log: edit", f"note {note_id}: changed {'; '.join(changes)}"
        )
        database.bump_data_version(con)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return Note(note_id, noted_on, cleaned, before.author, shared)


def delete_note(con: duckdb.DuckDBPyConnection, user: str, note_id: int) -> None:
    """Delete a note; the audit log records which one, its date and its text's length."""
    before = note(con, note_id)
    if before is None:
        raise NoteError(f"there is no note {note_id} (deleted meanwhile?)")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM learning_notes WHERE note_id = $id", {"id": note_id})
        database.write_audit(
            con,
            user,
            "learning log: delete",
            _audit_detail(note_id, before.noted_on, before.shared)
            + f", by {before.author}, {len(before.text)} characters",
        )
        database.bump_data_version(con)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def save_note(
    db_path: str | Path,
    user: str,
    note_id: int | None,
    noted_on: dt.date,
    text: str,
    shared: bool,
) -> Note:
    """Add a note (`note_id` None) or change one, in a connection of its own."""
    with database.connect(db_path) as con:
        if note_id is None:
            return add_note(con, user, noted_on, text, shared)
        return edit_note(con, user, note_id, noted_on, text, shared)


def remove_note(db_path: str | Path, user: str, note_id: int) -> None:
    with database.connect(db_path) as con:
        delete_note(con, user, note_id)


# --- marks on the monthly charts --------------------------------------------------------------


def is_monthly(figure: go.Figure) -> bool:
    """A chart over months: its x axis steps by months (the house month axis) or is called
    "Month"."""
    dtick = figure.layout.xaxis.dtick
    title = figure.layout.xaxis.title.text
    return (isinstance(dtick, str) and dtick.startswith("M")) or title == "Month"


def _hover_text(n: Note) -> str:
    # Record text shown by Plotly as text, never markup.
    import html

    text = html.escape(n.text, quote=False).replace("\n", "<br>")
    return f"{n.noted_on:%-d %b %Y}: {text}"


def mark_notes(figure: go.Figure, chosen: list[Note]) -> go.Figure:
    """A copy of a monthly chart with the notes marked on its time axis: a dotted line up
    from each date and a marker at the foot of the chart whose hover shows the note."""
    out = go.Figure(figure)
    if not chosen:
        return out
    for n in chosen:
        out.add_shape(
            type="line",
            x0=n.noted_on.isoformat(),
            x1=n.noted_on.isoformat(),
            xref="x",
            y0=0,
            y1=1,
            yref="paper",
            line={"color": MARK_COLOUR, "width": 1, "dash": "dot"},
            layer="below",
        )
    out.add_trace(
        go.Scatter(
            x=[n.noted_on.isoformat() for n in chosen],
            y=[0.03] * len(chosen),
            yaxis="y9",
            mode="markers",
            name=MARK_NAME,
            meta=LEARNING_LOG,
            marker={"symbol": "triangle-up", "size": 14, "color": MARK_COLOUR},
            hovertext=[_hover_text(n) for n in chosen],
            hovertemplate="%{hovertext}<extra>Learning log</extra>",
            showlegend=True,
        )
    )
    out.update_layout(
        yaxis9={
            "overlaying": "y",
            "range": [0, 1],
            "visible": False,
            "fixedrange": True,
        }
    )
    return out
