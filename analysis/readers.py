"""Reading CSV and Excel exports into a DuckDB staging table of text cells, losing nothing.

Every cell arrives as text in a column named c0, c1, ...; `_row` is the spreadsheet row number
(the header is row 1). Original header names stay in Python, so no header text ever becomes
part of an SQL statement.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from analysis.records import normalise_header

CHUNK = 1 << 20
MAX_COLUMNS = 200
MAX_HEADER_BYTES = 1 << 20
# An .xlsx is refused before inflating if it declares more than this, or compresses too well.
MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_XLSX_RATIO = 200


class FileRefused(ValueError):
    """The file as a whole cannot be imported; the message says why in one line."""


@dataclass
class StagedFile:
    name: str
    table: str  # the DuckDB temp table holding _row, c0..cN
    headers: list[str]  # original header names
    columns: list[str]  # normalised header names
    encoding: str
    sha256: str
    notes: list[str] = field(default_factory=list)

    def column_index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.columns)}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    table: str,
    sheet_hint: str | None = None,
) -> StagedFile:
    """Load one file into the temp table `table`; raise FileRefused if it cannot be read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileRefused(f"{name}: cannot be opened ({exc.strerror})") from exc
    if size == 0:
        raise FileRefused(f"{name}: the file is empty")
    with path.open("rb") as fh:
        head = fh.read(8)
    digest = sha256_of(path)
    if head.startswith(b"PK\x03\x04") or name.lower().endswith((".xlsx", ".xlsm")):
        return _stage_xlsx(con, path, name, table, digest, sheet_hint)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        len(head) >= 4 and (head[1:2] == b"\x00" or head[0:1] == b"\x00")
    ):
        raise FileRefused(
            f"{name}: the file is UTF-16 (Excel's 'Unicode text'); save it as 'CSV UTF-8' instead"
        )
    return _stage_csv(con, path, name, table, digest)


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _transcode_cp1252(path: Path, name: str) -> Path:
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="pm-import-")
    decoder = codecs.getincrementaldecoder("cp1252")()
    try:
        with path.open("rb") as src, os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(CHUNK):
                dst.write(decoder.decode(chunk))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        os.unlink(tmp)
        raise FileRefused(
            f"{name}: the file is neither UTF-8 nor Windows-1252 text (byte {exc.start + 1})"
        ) from exc
    return Path(tmp)


def _read_header(path: Path, name: str) -> list[str]:
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        first = fh.readline(MAX_HEADER_BYTES)
        if "\x00" in first:
            raise FileRefused(f"{name}: the header holds NUL bytes; this is not a CSV export")
        # A header cell may be quoted across lines; let csv read as much as it needs.
        rest = io.StringIO(first)
        try:
            rows = list(csv.reader(rest))
        except csv.Error as exc:
            raise FileRefused(f"{name}: the header cannot be read as CSV ({exc})") from exc
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise FileRefused(f"{name}: the first row is empty; it must hold the column names")
    return rows[0]


def _check_headers(headers: list[str], name: str) -> list[str]:
    if len(headers) > MAX_COLUMNS:
        raise FileRefused(
            f"{name}: the file has {len(headers)} columns; an export has at most {MAX_COLUMNS}"
        )
    columns = [normalise_header(h) for h in headers]
    seen: set[str] = set()
    for col in columns:
        if col and col in seen:
            raise FileRefused(f"{name}: the column {col!r} appears twice in the header")
        seen.add(col)
    return columns


def _stage_csv(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, table: str, digest: str
) -> StagedFile:
    encoding = "UTF-8"
    notes: list[str] = []
    source = path
    if not _is_utf8(path):
        source = _transcode_cp1252(path, name)
        encoding = "Windows-1252"
        notes.append(f"{name}: read as Windows-1252 (not valid UTF-8)")
    try:
        headers = _read_header(source, name)
        columns = _check_headers(headers, name)
        spec = {f"c{i}": "VARCHAR" for i in range(len(headers))}
        try:
            con.execute(
                f"CREATE TEMP TABLE {table}_in AS SELECT * FROM read_csv($path, header = false, "
                "skip = 1, delim = ',', quote = '\"', escape = '\"', columns = $spec, "
                "auto_detect = false, null_padding = true, strict_mode = true, "
                "max_line_size = 2147483647, parallel = false)",
                {"path": str(source), "spec": spec},
            )
            con.execute(
                f"CREATE TEMP TABLE {table} AS SELECT CAST(rowid - (SELECT min(rowid) FROM "
                f"{table}_in) + 2 AS INTEGER) AS _row, * FROM {table}_in"
            )
            con.execute(f"DROP TABLE {table}_in")
        except duckdb.Error:
            # Ragged or oddly quoted rows: read them one by one so none is lost.
            con.execute(f"DROP TABLE IF EXISTS {table}_in")
            _stage_csv_slowly(con, source, name, table, len(headers))
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    return StagedFile(name, table, headers, columns, encoding, digest, notes)


def _stage_csv_slowly(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, table: str, width: int
) -> None:
    """Python's csv reader: every record kept; a row wider than the header is marked."""
    rows: list[list[str | None]] = []
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        try:
            next(reader)
            for number, record in enumerate(reader, start=2):
                cells: list[str | None] = [c if c != "" else None for c in record[:width]]
                cells += [None] * (width - len(cells))
                extra = "|".join(record[width:]) if len(record) > width else None
                if extra is not None and not extra.strip("|"):
                    extra = None
                rows.append([str(number), *cells, extra])
        except csv.Error as exc:
            raise FileRefused(
                f"{name}: row {reader.line_num} cannot be read as CSV ({exc})"
            ) from exc
    frame = pd.DataFrame(
        rows, columns=["_row", *[f"c{i}" for i in range(width)], "_overflow"], dtype=object
    )
    _register_frame(con, frame, table)


def _register_frame(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, table: str) -> None:
    con.register(f"{table}_frame", frame)
    casts = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in frame.columns if c not in ("_row",))
    con.execute(
        f"CREATE TEMP TABLE {table} AS SELECT CAST(_row AS INTEGER) AS _row"
        f"{', ' + casts if casts else ''} FROM {table}_frame"
    )
    con.unregister(f"{table}_frame")


def _xlsx_cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def _check_zip(path: Path, name: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRefused(f"{name}: not a readable .xlsx workbook (the zip is damaged)") from exc
    declared = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if declared > MAX_XLSX_UNCOMPRESSED or declared / packed > MAX_XLSX_RATIO:
        raise FileRefused(
            f"{name}: the workbook would expand to {declared // (1024 * 1024)} MB "
            f"({declared / packed:.0f} times its size); refused as a possible zip bomb"
        )


def _stage_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    table: str,
    digest: str,
    sheet_hint: str | None,
) -> StagedFile:
    import openpyxl  # openpyxl parses with defusedxml when it is installed

    _check_zip(path, name)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad workbook
        raise FileRefused(f"{name}: not a readable .xlsx workbook ({type(exc).__name__})") from exc
    try:
        names = book.sheetnames
        wanted = {normalise_header(s): s for s in names}
        sheet_name = names[0] if names else None
        for hint in (sheet_hint, "register"):
            if hint and normalise_header(hint) in wanted:
                sheet_name = wanted[normalise_header(hint)]
                break
        if sheet_name is None:
            raise FileRefused(f"{name}: the workbook has no sheets")
        rows = book[sheet_name].iter_rows(values_only=True)
        try:
            header_cells = next(rows)
        except StopIteration as exc:
            raise FileRefused(f"{name}: the sheet {sheet_name!r} is empty") from exc
        headers = [_xlsx_cell(c) or "" for c in header_cells]
        while headers and not headers[-1]:
            headers.pop()
        if not headers:
            raise FileRefused(f"{name}: the first row is empty; it must hold the column names")
        columns = _check_headers(headers, name)
        width = len(headers)
        data: list[list[str | None]] = []
        for number, cells in enumerate(rows, start=2):
            values = [_xlsx_cell(c) for c in cells[:width]]
            if not any(v is not None for v in values):
                continue  # Excel keeps formatted but empty rows; they are not records
            values += [None] * (width - len(values))
            data.append([str(number), *values])
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused(f"{name}: the workbook cannot be read ({type(exc).__name__})") from exc
    finally:
        book.close()
    frame = pd.DataFrame(data, columns=["_row", *[f"c{i}" for i in range(width)]], dtype=object)
    _register_frame(con, frame, table)
    notes = [] if sheet_name == names[0] else [f"{name}: read the sheet {sheet_name!r}"]
    return StagedFile(name, table, headers, columns, "xlsx", digest, notes)


def stage_rows(
    con: duckdb.DuckDBPyConnection,
    rows: list[tuple[int, dict[str, str | None]]],
    name: str,
    table: str,
) -> StagedFile:
    """Stage rows kept from an earlier import (for re-checking rejected rows)."""
    headers: list[str] = []
    for _, values in rows:
        for key in values:
            if key not in headers:
                headers.append(key)
    columns = _check_headers(headers, name)
    data = [[str(number), *[values.get(h) for h in headers]] for number, values in rows]
    frame = pd.DataFrame(
        data, columns=["_row", *[f"c{i}" for i in range(len(headers))]], dtype=object
    )
    _register_frame(con, frame, table)
    return StagedFile(name, table, headers, columns, "stored", "", [])
