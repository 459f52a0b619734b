"""The Data page's work that is not layout, without Streamlit: uploads staged on disk for an
import, and the corrections a person typed into the rejected rows (pages/data.py draws the
widgets and calls these; tests/test_data_tasks.py tests them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.importer import ImportSource


def stage_uploads(folder: Path, uploads: Iterable[tuple[str, bytes]]) -> list[ImportSource]:
    """Write each uploaded file (its name as the browser gave it, its bytes) into `folder` by
    number, keeping its own name for the reports: a name may be too long for the file system,
    hold a path, or be odd. An .xlsx name stays a workbook; anything else is read as CSV."""
    sources: list[ImportSource] = []
    for given, data in uploads:
        name = Path(given).name or "upload.csv"
        suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
        path = folder / f"{len(sources)}{suffix}"
        path.write_bytes(data)
        sources.append(ImportSource(path, name))
    return sources


def _typed(value: Any) -> str | None:
    """A cell as the editor returns it: blank, missing or NaN is no value, the rest is text."""
    if value is None or value != value or str(value).strip() == "":
        return None
    return str(value)


def corrections(
    before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]], columns: Sequence[str]
) -> dict[int, dict[str, str | None]]:
    """The rejected rows a person changed (by their stored `id`), each with all its values as
    they now are; an unchanged row is left out. `before` and `after` are the same rows in the
    same order (the editor adds and removes none)."""
    if len(before) != len(after):
        raise ValueError(f"{len(before)} rows before the edit but {len(after)} after")
    out: dict[int, dict[str, str | None]] = {}
    for old, new in zip(before, after, strict=True):
        if old["id"] != new["id"]:
            raise ValueError(f"row {old['id']} came back as row {new['id']}")
        values = {c: _typed(new[c]) for c in columns}
        if values != {c: _typed(old[c]) for c in columns}:  # a blank shown for None is None
            out[int(old["id"])] = values
    return out
