"""Reading CSV and Excel exports into a DuckDB staging table of text cells, losing nothing.

Every cell arrives as text in a column named c0, c1, ...; `_row` is the spreadsheet row number
(the header is row 1). Original header names stay in Python, so no header text ever becomes
part of an SQL statement.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from analysis.records import normalise_header

if TYPE_CHECKING:  # pandas only where a frame is built: the command line starts without it
    import pandas as pd

CHUNK = 1 << 20
MAX_COLUMNS = 200
MAX_HEADER_BYTES = 1 << 20
# No export is this big (the upload page stops at 50 MB); a bigger file is refused unread.
MAX_FILE_BYTES = 500 * 1024 * 1024
# A longer line (or a longer value) is not a record: the file is refused rather than held.
MAX_LINE_BYTES = 1 << 20
# An .xlsx is refused before inflating if it declares more than this, or if one of its parts
# bigger than MAX_XLSX_PART_CHECKED compresses better than MAX_XLSX_RATIO to 1.
MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_XLSX_RATIO = 200
MAX_XLSX_PART_CHECKED = 1 << 20
MAX_XLSX_PARTS = 10_000
# Rows go to DuckDB in batches, so a big file never sits whole in Python's memory.
BATCH_ROWS = 20_000


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
    sheet: str | None = None  # the workbook's sheet these rows come from
    original_headers: list[str] | None = None  # a grid's own header, before it was unpivoted

    @property
    def where(self) -> str:
        """How messages name it: the file, and the sheet of a workbook."""
        return f'{self.name}, sheet "{self.sheet}"' if self.sheet is not None else self.name

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
) -> list[StagedFile]:
    """Load one file into temp tables (a workbook: one per sheet that holds records); raise
    FileRefused if it cannot be read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileRefused(f"{name}: cannot be opened ({exc.strerror})") from exc
    if size == 0:
        raise FileRefused(f"{name}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise FileRefused(
            f"{name}: the file is {_megabytes(size)}; an import takes files of up to "
            f"{_megabytes(MAX_FILE_BYTES)} (split it, or import fewer years at a time)"
        )
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04") or name.lower().endswith((".xlsx", ".xlsm")):
        return _stage_xlsx(con, path, name, table, sha256_of(path))
    problem = _sniff_text(head)
    if problem:
        raise FileRefused(f"{name}: {problem}")
    return [_stage_csv(con, path, name, table, sha256_of(path))]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"


def _sniff_text(head: bytes) -> str | None:
    """Why the first bytes cannot begin a CSV export, or None if they can."""
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return (
            "the file is an old-style .xls or a password-protected workbook; "
            "save it from Excel as .xlsx or 'CSV UTF-8' without a password"
        )
    pairs = len(head) // 2
    even_nul = head[0 : 2 * pairs : 2].count(0)
    odd_nul = head[1 : 2 * pairs : 2].count(0)
    # UTF-16 without its byte-order mark: Latin text has a NUL in every other byte.
    looks_utf16 = (
        pairs >= 2 and max(even_nul, odd_nul) >= 0.3 * pairs and min(even_nul, odd_nul) == 0
    )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or looks_utf16:
        return "the file is UTF-16 (Excel's 'Unicode text'); save it as 'CSV UTF-8' instead"
    if head.count(0) > len(head) // 10:
        return "the file holds binary data, not text; import a CSV or .xlsx export"
    return None


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
    offset = 0
    try:
        with path.open("rb") as src, os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(CHUNK):
                dst.write(decoder.decode(chunk))
                offset += len(chunk)
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        os.unlink(tmp)
        raise FileRefused(
            f"{name}: the file is neither UTF-8 nor Windows-1252 text "
            f"(byte {offset + exc.start + 1:,} cannot be read)"
        ) from exc
    return Path(tmp)


def _read_header(path: Path, name: str) -> list[str]:
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        first = fh.readline(MAX_HEADER_BYTES)
        if len(first) >= MAX_HEADER_BYTES and not first.endswith(("\n", "\r")):
            raise FileRefused(
                f"{name}: the first line is longer than {_megabytes(MAX_HEADER_BYTES)}; "
                "it must hold the column names"
            )
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


def csv_shape(path: Path) -> tuple[int, list[str]] | None:
    """A CSV file's lines after its header and its header's cells, read cheaply (line breaks
    counted in chunks, not parsed), or None for a file that is not CSV text. For refusing a file
    too big for what it will be read as before it is staged."""
    if path.suffix.lower() not in (".csv", ".txt"):
        return None
    try:
        with path.open("rb") as fh:
            first = fh.readline()
            lines = 0
            last = b"\n"
            while chunk := fh.read(CHUNK):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError:
        return None
    if last != b"\n":
        lines += 1
    text = first.decode("utf-8", errors="replace").lstrip("\ufeff")
    return lines, next(csv.reader([text]), [])


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
        if _has_blank_line(source):
            # DuckDB skips blank lines, so the rows after one would get the wrong row numbers.
            _stage_csv_slowly(con, source, name, table, len(headers))
            return StagedFile(name, table, headers, columns, encoding, digest, notes)
        try:
            _read_csv(con, source, table, spec)
            # A view numbers the rows read (in file order), rather than a copy of them.
            con.execute(
                f"CREATE TEMP VIEW {table} AS SELECT CAST(rowid + 2 AS INTEGER) AS _row, * "
                f"FROM {table}_in"
            )
        except duckdb.Error:
            # Ragged or oddly quoted rows: read them one by one so none is lost.
            con.execute(f"DROP TABLE IF EXISTS {table}_in")
            _stage_csv_slowly(con, source, name, table, len(headers))
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    return StagedFile(name, table, headers, columns, encoding, digest, notes)


def _read_csv(
    con: duckdb.DuckDBPyConnection, source: Path, table: str, spec: dict[str, str]
) -> None:
    """Stage a CSV file's records as text, in file order, into `table`_in; raise duckdb.Error
    if DuckDB cannot read it whole (the caller then reads it row by row).

    First in parallel, which needs every row to have the header's width; a file with a short
    row is read again on one thread with the missing values padded (DuckDB's parallel reader
    refuses `null_padding` when a value holds a line break, so the two cannot be combined).
    Either way the records and their order are the same."""
    options = (
        "header = false, skip = 1, delim = ',', quote = '\"', escape = '\"', "
        "columns = $spec, auto_detect = false, strict_mode = true, max_line_size = $max_line"
    )
    values = {"path": str(source), "spec": spec, "max_line": MAX_LINE_BYTES}
    with _in_file_order(con):
        try:
            con.execute(
                f"CREATE TEMP TABLE {table}_in AS SELECT * FROM read_csv($path, {options})",
                values,
            )
            return
        except duckdb.Error:
            con.execute(f"DROP TABLE IF EXISTS {table}_in")
        con.execute(
            f"CREATE TEMP TABLE {table}_in AS SELECT * FROM read_csv($path, {options}, "
            "null_padding = true, parallel = false)",
            values,
        )


@contextlib.contextmanager
def _in_file_order(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Rows stored in the order they are read, for the block, so that a row's number is its
    place in the file: a writing connection otherwise leaves the order free
    (analysis/database.py)."""
    row = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    before = bool(row[0]) if row else True
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if before else 'false'}")


def drop_staged(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop a staged file's temp table (or view and the table under it)."""
    views = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name = $t", {"t": table}
    ).fetchone()
    if views is not None and views[0]:
        con.execute(f"DROP VIEW {table}")
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"DROP TABLE IF EXISTS {table}_in")


_BLANK_LINE = re.compile(rb"\n\r?\n[^\r\n]")


def _has_blank_line(path: Path) -> bool:
    """True when a blank line comes before more data (a blank line at the end changes nothing)."""
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            data = tail + chunk
            if _BLANK_LINE.search(data):
                return True
            tail = data[-3:]
    return False


def _stage_csv_slowly(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, table: str, width: int
) -> None:
    """Python's csv reader, in batches: every record kept; a row wider than the header is marked.

    A line longer than MAX_LINE_BYTES refuses the file, so no record can take much memory.
    """
    if csv.field_size_limit() < MAX_LINE_BYTES:
        csv.field_size_limit(MAX_LINE_BYTES)
    batches = RowBatches(con, table, [*[f"c{i}" for i in range(width)], "_overflow"])
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(_bounded_lines(fh, name))
        try:
            next(reader, None)
            for number, record in enumerate(reader, start=2):
                if not record:
                    continue  # a blank line is not a record, but it is a row of the sheet
                cells: list[str | int | None] = [c if c != "" else None for c in record[:width]]
                cells += [None] * (width - len(cells))
                extra = "|".join(record[width:]) if len(record) > width else None
                if extra is not None and not extra.strip("|"):
                    extra = None
                batches.add([number, *cells, extra])
        except csv.Error as exc:
            raise FileRefused(
                f"{name}: row {reader.line_num:,} cannot be read as CSV ({exc})"
            ) from exc
    batches.flush()


def _bounded_lines(fh: io.TextIOBase, name: str) -> Iterator[str]:
    number = 0
    while line := fh.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise FileRefused(
                f"{name}: line {number:,} is longer than {_megabytes(MAX_LINE_BYTES)}; "
                "no record is that long, so this is not a CSV export"
            )
        yield line


class RowBatches:
    """A temp table of _row and text cells, filled BATCH_ROWS rows at a time."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, names: list[str]) -> None:
        self.con, self.table, self.names = con, table, names
        self.rows: list[list[str | int | None]] = []
        cells = "".join(f", {n} VARCHAR" for n in names)
        con.execute(f"CREATE TEMP TABLE {table} (_row INTEGER{cells})")

    def add(self, row: list[str | int | None]) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        import pyarrow as pa

        columns = list(zip(*self.rows, strict=True))
        batch = pa.table(
            {
                "_row": pa.array(columns[0], pa.int32()),
                **{n: pa.array(columns[i + 1], pa.string()) for i, n in enumerate(self.names)},
            }
        )
        self.con.register(f"{self.table}_batch", batch)
        try:
            self.con.execute(f"INSERT INTO {self.table} SELECT * FROM {self.table}_batch")
        finally:
            self.con.unregister(f"{self.table}_batch")
        self.rows = []


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
        # Kept whole: a date column reads "2025-03-01 00:00:00" as a date, and a session
        # that really starts at midnight keeps its time.
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
    """Refuse a zip bomb from the sizes the zip declares, and XML that declares entities,
    before openpyxl inflates anything."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_XLSX_PARTS:
                raise FileRefused(
                    f"{name}: the workbook holds {len(infos):,} parts; refused as damaged or hostile"
                )
            declared = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            worst = max(
                (i for i in infos if i.file_size > MAX_XLSX_PART_CHECKED),
                key=lambda i: i.file_size / max(i.compress_size, 1),
                default=None,
            )
            ratio = max(
                declared / packed, worst.file_size / max(worst.compress_size, 1) if worst else 0
            )
            if declared > MAX_XLSX_UNCOMPRESSED or ratio > MAX_XLSX_RATIO:
                raise FileRefused(
                    f"{name}: the workbook would expand to {_megabytes(declared)} "
                    f"({ratio:,.0f} times its packed size); refused as a possible zip bomb"
                )
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels")):
                    with archive.open(info) as part:
                        problem = _xml_prolog_problem(part.read(XML_PROLOG_BYTES))
                    if problem:
                        raise FileRefused(f"{name}: {info.filename} {problem}; refused")
    except FileRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise FileRefused(f"{name}: not a readable .xlsx workbook (the zip is damaged)") from exc
    except Exception as exc:  # zipfile and zlib raise many types for a hostile archive
        raise FileRefused(f"{name}: not a readable .xlsx workbook ({type(exc).__name__})") from exc


XML_PROLOG_BYTES = 1 << 16


def _xml_prolog_problem(data: bytes) -> str | None:
    """Why an XML part's preamble is unsafe (a DTD: entities, the 'billion laughs'), or None.

    openpyxl parses through defusedxml, which refuses DTDs; this check does not rely on it.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    elif data[:2] in (b"<\x00", b"\x00<"):
        text = data.decode("utf-16-le" if data[0] == 0x3C else "utf-16-be", errors="replace")
    else:
        text = data.removeprefix(codecs.BOM_UTF8).decode("latin-1")
    truncated = len(data) >= XML_PROLOG_BYTES
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return "has an over-long preamble" if truncated else None
        if text.startswith(("<?", "<!--"), pos):
            closing = "?>" if text.startswith("<?", pos) else "-->"
            end = text.find(closing, pos + 2)
            if end < 0:
                return "has an over-long preamble" if truncated else None
            pos = end + len(closing)
        elif (
            text[pos : pos + 9].upper() == "<!DOCTYPE" or text[pos : pos + 8].upper() == "<!ENTITY"
        ):
            return "declares a DTD (XML entities)"
        else:
            return None  # the root element (no DTD may follow it), or not XML: the parser decides


def _require_defused_xml(name: str) -> None:
    """openpyxl must parse through defusedxml (it does when defusedxml is installed)."""
    from openpyxl.xml import functions

    if not str(getattr(functions.iterparse, "__module__", "")).startswith("defusedxml"):
        raise FileRefused(
            f"{name}: Excel files cannot be read safely here (defusedxml is not in use); "
            "save the sheet as 'CSV UTF-8' instead"
        )


def _stage_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    table: str,
    digest: str,
) -> list[StagedFile]:
    """Every sheet of the workbook, each in its own temp table `{table}_s{k}`.

    A sheet with no records (empty, or a heading row only, as a cover or notes sheet often is)
    is not staged; a note on the file says so, so no sheet is passed over in silence.
    """
    import openpyxl

    _check_zip(path, name)
    _require_defused_xml(name)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad workbook
        raise FileRefused(f"{name}: not a readable .xlsx workbook ({type(exc).__name__})") from exc
    staged: list[StagedFile] = []
    passed_over: list[str] = []
    try:
        names = list(book.sheetnames)
        if not names:
            raise FileRefused(f"{name}: the workbook has no sheets")
        for k, sheet_name in enumerate(names):
            sf = _stage_sheet(con, book[sheet_name], name, sheet_name, f"{table}_s{k}", digest)
            if sf is None:
                passed_over.append(sheet_name)
            else:
                staged.append(sf)
    except FileRefused:
        for sf in staged:
            drop_staged(con, sf.table)
        raise
    except Exception as exc:
        for sf in staged:
            drop_staged(con, sf.table)
        raise FileRefused(f"{name}: the workbook cannot be read ({type(exc).__name__})") from exc
    finally:
        book.close()
    if not staged:
        shown = ", ".join(f'"{n}"' for n in names)
        raise FileRefused(f"{name}: no sheet holds any records (sheets {shown})")
    if passed_over:
        shown = ", ".join(f'"{n}"' for n in passed_over)
        staged[0].notes.append(f"{name}: sheet(s) {shown} hold no records (nothing to read)")
    return staged


def _stage_sheet(
    con: duckdb.DuckDBPyConnection,
    sheet: object,
    name: str,
    sheet_name: str,
    table: str,
    digest: str,
) -> StagedFile | None:
    """One sheet into a temp table; None when it holds no records."""
    where = f'{name}, sheet "{sheet_name}"'
    # Bounded widths: a sheet may declare 16,384 columns, and openpyxl pads every row to it.
    first = sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS + 1, values_only=True)  # type: ignore[attr-defined]
    header_cells = next(first, None)
    if header_cells is None:
        return None
    headers = [_xlsx_cell(c) or "" for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    rows = sheet.iter_rows(min_row=2, max_col=max(width, 1), values_only=True)  # type: ignore[attr-defined]
    batches: RowBatches | None = None
    for number, cells in enumerate(rows, start=2):
        values: list[str | int | None] = [_xlsx_cell(c) for c in cells[:width]]
        if not any(v is not None for v in values):
            continue  # Excel keeps formatted but empty rows; they are not records
        if batches is None:
            if not headers:
                raise FileRefused(f"{where}: the first row is empty; it must hold the column names")
            if len(headers) > MAX_COLUMNS:
                raise FileRefused(
                    f"{where}: the sheet has more than {MAX_COLUMNS} columns; an export has at "
                    f"most {MAX_COLUMNS}"
                )
            _check_headers(headers, where)
            batches = RowBatches(con, table, [f"c{i}" for i in range(width)])
        values += [None] * (width - len(values))
        batches.add([number, *values])
    if batches is None:
        return None
    batches.flush()
    columns = _check_headers(headers, where)
    return StagedFile(name, table, headers, columns, "xlsx", digest, [], sheet=sheet_name)


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
    import pandas as pd

    columns = _check_headers(headers, name)
    # Rows kept from different imports of one file may share a row number: each gets its own
    # `_row`, and `_origin_row` keeps the number the file gave it.
    data = [
        [str(n), *[values.get(h) for h in headers], str(number)]
        for n, (number, values) in enumerate(rows, start=1)
    ]
    frame = pd.DataFrame(
        data,
        columns=["_row", *[f"c{i}" for i in range(len(headers))], "_origin_row"],
        dtype=object,
    )
    _register_frame(con, frame, table)
    return StagedFile(name, table, headers, columns, "stored", "", [])
