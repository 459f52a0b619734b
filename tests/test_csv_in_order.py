"""A large CSV file keeps every record's own row number and values, in file order, on a
connection that otherwise lets DuckDB store rows in any order (analysis/database.py) and with
many threads: notes with quoted line breaks, commas and doubled quotes included, in a file
many times larger than DuckDB's read buffer."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from analysis import readers

HEADER = "session_id,mentor_id,attendance,arrival_time,notes"


def _note(n: int, rng: random.Random) -> str:
    kinds = [
        "",
        "plain note",
        '"line one\nline two, with a comma"',
        '"she said ""on my way"", then\r\ncame late"',
        '"' + "long, " * rng.randint(1, 60) + '"',
    ]
    return kinds[n % len(kinds)]


@pytest.mark.parametrize("short_row", [False, True], ids=["whole rows", "a short row"])
def test_a_large_file_with_quoted_line_breaks_keeps_every_record_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_row: bool
) -> None:
    """Whole rows are read in parallel; a file with a short row is read again on one thread
    with the missing values padded (analysis/readers.py). Both keep every record in order."""
    # A smaller longest line gives DuckDB smaller read buffers: many parts, many threads.
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 64 * 1024)
    rng = random.Random(7)
    path = tmp_path / "attendance.csv"
    expected: list[tuple[str, str]] = []
    lines = [HEADER]
    n = 0
    size = 0
    while size < 32 * 1024 * 1024:
        note = _note(n, rng)
        line = f"S-{n:07d},PM-{n % 997:04d},attended,2025-01-{1 + n % 28:02d} 09:00,{note}"
        lines.append(line)
        size += len(line) + 2
        plain = note[1:-1].replace('""', '"') if note.startswith('"') else note
        expected.append((f"S-{n:07d}", plain))
        n += 1
    if short_row:  # near the end, a row with a plain note loses its last two values
        i = next(i for i in range(len(expected) - 10, 0, -1) if expected[i][1] == "plain note")
        lines[i + 1] = lines[i + 1].rsplit(",", 2)[0]  # lines[0] is the header
        expected[i] = (expected[i][0], "")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))

    con = duckdb.connect(":memory:", config={"preserve_insertion_order": False, "threads": 8})
    staged = readers.stage_file(con, path, path.name, "staged")
    assert len(staged) == 1
    got = con.execute("SELECT _row, c0, coalesce(c4, '') FROM staged ORDER BY _row").fetchall()
    assert len(got) == len(expected) > 300_000
    # Row 1 is the header: record i (from 0) is row i + 2, with its own session and note.
    mismatched = [
        (row, session, note, expected[i])
        for i, (row, session, note) in enumerate(got)
        if row != i + 2 or (session, note) != expected[i]
    ]
    assert mismatched == [], mismatched[:3]
    # The connection's own setting is left as it was.
    setting = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    assert setting == (False,)
