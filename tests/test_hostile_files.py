"""Hostile and broken files, each through the importer and through the command line.

Every case ends with one clear line (the import's error, or the CLI's single stderr line with no
traceback), and the stored records change only by the rows that were legitimately accepted.
"""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
import subprocess
import sys
import textwrap
import time
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from analysis import database, exports, readers  # noqa: E402
from analysis.importer import ImportResult, ImportSource, import_files  # noqa: E402
from analysis.settings import Settings  # noqa: E402

MB = 1024 * 1024
DATA_TABLES = ("mentors", "sessions", "attendance", "stage_assessments", "milestones")
MENTORS_HEADER = "mentor_id,cohort,start_date,status,region\n"
BASE = MENTORS_HEADER + "PM-1,2025 spring,2025-01-01,active,North\n"
VIA = ["api", "cli"]


# ---------------------------------------------------------------------------------------------
# Helpers


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-base")
    (folder / "mentors.csv").write_text(BASE, encoding="utf-8")
    db = folder / "base.duckdb"
    assert _api(db, folder / "mentors.csv").landed
    return db


@pytest.fixture
def db(base_db: Path, tmp_path: Path) -> Path:
    """A private copy of a database holding one mentor."""
    target = tmp_path / "db" / "programme.duckdb"
    target.parent.mkdir()
    shutil.copy(base_db, target)
    return target


def _api(db: Path, *paths: Path) -> ImportResult:
    return import_files(db, [ImportSource.of(p) for p in paths], user="tester", settings=Settings())


def _cli(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["DASHBOARD_SETTINGS"] = str(tmp_path / "no-settings.toml")
    env.pop("DASHBOARD_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "analysis", *map(str, args)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _contents(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The stored records and rejected rows (not the import log), sorted."""
    with database.connect(db) as con:
        out = {
            t: sorted(con.execute(f"SELECT * EXCLUDE (import_id) FROM {t}").fetchall(), key=repr)
            for t in DATA_TABLES
        }
        out["rejected_rows"] = sorted(
            con.execute(
                "SELECT file_name, row_number, CAST(original_values AS VARCHAR), reasons "
                "FROM rejected_rows"
            ).fetchall(),
            key=repr,
        )
    return out


def _one_line_error(done: subprocess.CompletedProcess[str], says: str) -> str:
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert says in lines[0], lines[0]
    return lines[0]


def assert_refused(via: str, db: Path, path: Path, says: str, tmp_path: Path) -> str:
    """The file is refused as a whole with one line naming the problem; nothing changes."""
    before = _contents(db)
    if via == "api":
        result = _api(db, path)
        assert not result.landed and result.files == []
        assert result.error is not None and says in result.error, result.error
        assert "\n" not in result.error
        assert path.name in result.error
        message = result.error
    else:
        done = _cli(tmp_path, "import", "--db", db, path)
        assert done.returncode == 1, done.stderr
        message = _one_line_error(done, says)
        assert done.stdout == ""
    assert _contents(db) == before
    return message


def assert_imported(via: str, db: Path, path: Path, tmp_path: Path) -> dict[str, Any]:
    """The file lands; returns its counts (read, inserted, ..., rejected)."""
    if via == "api":
        result = _api(db, path)
        assert result.landed, result.error
        (report,) = result.files
        return report.summary()
    done = _cli(tmp_path, "import", "--db", db, "--format", "json", path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and done.stderr == ""
    import json

    (report,) = json.loads(done.stdout)["files"]
    return dict(report)


def _rows_added(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> dict[str, int]:
    return {t: len(after[t]) - len(before[t]) for t in after if len(after[t]) != len(before[t])}


# ---------------------------------------------------------------------------------------------
# Empty, header only, random bytes


@pytest.mark.parametrize("via", VIA)
def test_an_empty_file_is_refused(via: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mentors.csv"
    path.write_bytes(b"")
    assert_refused(via, db, path, "the file is empty", tmp_path)


@pytest.mark.parametrize("via", VIA)
def test_a_header_only_file_imports_nothing(via: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mentors.csv"
    path.write_text(MENTORS_HEADER, encoding="utf-8")
    before = _contents(db)
    report = assert_imported(via, db, path, tmp_path)
    assert report["read"] == 0 and report["type"] == "mentors"
    assert _contents(db) == before


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_random_bytes_are_refused(via: str, suffix: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / f"mentors{suffix}"
    path.write_bytes(random.Random(2026).randbytes(200 * 1024))
    says = "neither UTF-8 nor Windows-1252" if suffix == ".csv" else "not a readable .xlsx"
    assert_refused(via, db, path, says, tmp_path)


@pytest.mark.parametrize("via", VIA)
def test_binary_data_is_refused(via: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mentors.csv"
    path.write_bytes(b"\x00" * 5000 + b"mentor_id\n")
    assert_refused(via, db, path, "binary data", tmp_path)


# ---------------------------------------------------------------------------------------------
# NUL bytes, encodings


@pytest.mark.parametrize("via", VIA)
def test_a_nul_byte_in_a_code_rejects_only_that_row(via: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mentors.csv"
    path.write_bytes(
        (
            MENTORS_HEADER + "PM-\x002,2025 spring,2025-01-01,active,\nPM-3,2025 spring,2025-02-01,"
            "active,\n"
        ).encode()
    )
    before = _contents(db)
    report = assert_imported(via, db, path, tmp_path)
    assert (report["read"], report["inserted"], report["rejected"]) == (2, 1, 1)
    after = _contents(db)
    assert _rows_added(before, after) == {"mentors": 1, "rejected_rows": 1}
    assert ("PM-3",) in {r[:1] for r in after["mentors"]}
    (rejected,) = [r for r in after["rejected_rows"] if r[0] == "mentors.csv"]
    assert rejected[1] == 2 and "PM-\\u00002" in rejected[2]  # kept as it was, NUL and all
    assert rejected[3] == ["mentor_id holds a control character"]


@pytest.mark.parametrize("via", VIA)
def test_a_nul_byte_in_the_header_is_refused(via: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mentors.csv"
    path.write_bytes(b"mentor_id,coh\x00ort,start_date,status\nPM-2,c,2025-01-01,active\n")
    assert_refused(via, db, path, "NUL bytes", tmp_path)


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_refused_with_what_to_do(via: str, codec: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mentors.csv"
    path.write_bytes((MENTORS_HEADER + "PM-2,2025 spring,2025-01-01,active,\n").encode(codec))
    message = assert_refused(via, db, path, "UTF-16", tmp_path)
    assert "CSV UTF-8" in message


@pytest.mark.parametrize("via", VIA)
def test_windows_1252_with_pounds_and_dashes_imports_correctly(
    via: str, db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "mentors.csv"
    text = MENTORS_HEADER + "PM-2,2025 – spring,01/02/2025,active,£5 area – North East\n"
    path.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    if via == "cli":
        done = _cli(tmp_path, "import", "--db", db, path)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        assert "note: mentors.csv: read as Windows-1252" in done.stdout
    else:
        result = _api(db, path)
        assert result.landed and result.files[0].encoding == "Windows-1252"
        assert result.files[0].inserted == 1
    with database.connect(db) as con:
        row = con.execute(
            "SELECT cohort, start_date, region FROM mentors WHERE mentor_id = 'PM-2'"
        ).fetchone()
    assert row is not None
    assert (row[0], row[1].isoformat(), row[2]) == (
        "2025 – spring",
        "2025-02-01",
        "£5 area – North East",
    )


# ---------------------------------------------------------------------------------------------
# Sizes: giant lines, many columns, over the limit


def _write_repeated(
    path: Path, prefix: bytes, byte: bytes, count: int, suffix: bytes = b""
) -> None:
    with path.open("wb") as fh:
        fh.write(prefix)
        block = byte * MB
        for _ in range(count // MB):
            fh.write(block)
        fh.write(byte * (count % MB))
        fh.write(suffix)


@pytest.mark.parametrize("via", VIA)
def test_a_30_mb_single_line_is_refused(via: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mentors.csv"
    _write_repeated(path, b"", b"x", 30 * MB)
    assert_refused(via, db, path, "first line is longer than 1 MB", tmp_path)


@pytest.mark.parametrize("via", VIA)
def test_a_30_mb_record_is_refused(via: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mentors.csv"
    _write_repeated(
        path,
        (MENTORS_HEADER + "PM-2,2025 spring,2025-01-01,active,\nPM-3,").encode(),
        b"y",
        30 * MB,
        b",2025-01-01,active,\n",
    )
    assert_refused(via, db, path, "line 3 is longer than 1 MB", tmp_path)


@pytest.mark.parametrize("via", VIA)
def test_20000_columns_are_refused(via: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mentors.csv"
    header = "mentor_id,cohort,start_date,status," + ",".join(f"x{i}" for i in range(19_996))
    path.write_text(header + "\n" + ",".join(["1"] * 20_000) + "\n", encoding="utf-8")
    assert_refused(via, db, path, "20000 columns; an export has at most 200", tmp_path)


@pytest.mark.parametrize("via", VIA)
def test_a_row_of_20000_values_is_rejected_alone(via: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mentors.csv"
    wide = ",".join(["PM-9", "2025 spring", "2025-01-01", "active"] + ["z"] * 19_996)
    path.write_text(
        MENTORS_HEADER + wide + "\nPM-3,2025 spring,2025-02-01,active,\n", encoding="utf-8"
    )
    before = _contents(db)
    report = assert_imported(via, db, path, tmp_path)
    assert (report["read"], report["inserted"], report["rejected"]) == (2, 1, 1)
    after = _contents(db)
    assert _rows_added(before, after) == {"mentors": 1, "rejected_rows": 1}
    assert any("more values than the header" in " ".join(r[3]) for r in after["rejected_rows"])


@pytest.mark.parametrize("via", VIA)
def test_an_xlsx_of_16384_columns_is_refused(via: str, db: Path, tmp_path: Path) -> None:
    """Excel's most; openpyxl can write no more."""
    path = tmp_path / "mentors.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("mentors")
    sheet.append(["mentor_id", "cohort", "start_date", "status"] + [f"x{i}" for i in range(16_380)])
    sheet.append(["PM-2", "2025 spring", "2025-01-01", "active"])
    book.save(path)
    assert_refused(via, db, path, "more than 200 columns", tmp_path)


@pytest.mark.parametrize("via", VIA)
def test_a_file_over_the_size_limit_is_refused_unread(via: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mentors.csv"
    with path.open("wb") as fh:  # sparse: no disk is used
        fh.write(MENTORS_HEADER.encode())
        fh.truncate(readers.MAX_FILE_BYTES + 1)
    started = time.monotonic()
    message = assert_refused(via, db, path, "an import takes files of up to 500 MB", tmp_path)
    assert "500 MB" in message
    assert time.monotonic() - started < 20  # not read, not hashed


def test_the_upload_limit_is_within_the_import_limit() -> None:
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 50
    assert config["server"]["maxUploadSize"] * MB <= readers.MAX_FILE_BYTES


# ---------------------------------------------------------------------------------------------
# Workbooks: not a zip, zip bombs, XML entity bombs


def _workbook(path: Path, rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "mentors"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _replace_parts(
    path: Path, parts: dict[str, bytes], blanks: dict[str, tuple[bytes, int, bytes]] | None = None
) -> None:
    """Rewrite an .xlsx with some parts replaced or added; `blanks` parts are (start, number of
    spaces, end), written in blocks so no big part is ever held in memory."""
    blanks = blanks or {}
    original = path.read_bytes()
    with (
        zipfile.ZipFile(io.BytesIO(original)) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as dst,
    ):
        for info in src.infolist():
            if info.filename not in parts and info.filename not in blanks:
                dst.writestr(info, src.read(info))
        for name, data in parts.items():
            dst.writestr(name, data)
        for name, (start, spaces, end) in blanks.items():
            with dst.open(name, "w", force_zip64=True) as part:
                part.write(start)
                block = b" " * (16 * MB)
                for _ in range(spaces // len(block)):
                    part.write(block)
                part.write(b" " * (spaces % len(block)))
                part.write(end)


MENTOR_ROWS = [
    ["mentor_id", "cohort", "start_date", "status"],
    ["PM-2", "2025 spring", "2025-01-01", "active"],
]


@pytest.mark.parametrize("via", VIA)
def test_an_xlsx_that_is_not_a_zip_is_refused(via: str, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mentors.xlsx"
    path.write_text(BASE, encoding="utf-8")
    assert_refused(via, db, path, "not a readable .xlsx workbook (the zip is damaged)", tmp_path)


@pytest.mark.parametrize("via", VIA)
def test_a_valid_xlsx_imports(via: str, db: Path, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "mentors.xlsx", MENTOR_ROWS)
    report = assert_imported(via, db, path, tmp_path)
    assert (report["read"], report["inserted"]) == (1, 1)


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real .xlsx whose sheet inflates to 1 GiB of spaces (about 1 MB on disk)."""
    path = _workbook(tmp_path_factory.mktemp("bomb") / "mentors.xlsx", MENTOR_ROWS)
    start = b'<?xml version="1.0"?><worksheet><sheetData>'
    _replace_parts(
        path, {}, {"xl/worksheets/sheet1.xml": (start, 1024 * MB, b"</sheetData></worksheet>")}
    )
    assert path.stat().st_size < 10 * MB
    return path


@pytest.mark.parametrize("via", VIA)
def test_a_zip_bomb_is_refused_before_inflating(
    via: str, zip_bomb: Path, db: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(zip_bomb) as archive:
        declared = sum(i.file_size for i in archive.infolist())
    assert declared > 1024 * MB
    started = time.monotonic()
    message = assert_refused(via, db, zip_bomb, "refused as a possible zip bomb", tmp_path)
    assert "1,024 MB" in message
    assert time.monotonic() - started < 15  # inflating 1 GiB and parsing it would take far longer


@pytest.mark.parametrize("via", VIA)
def test_a_zip_bomb_hidden_behind_padding_is_refused(via: str, db: Path, tmp_path: Path) -> None:
    """One part inflates 1,000 times; random padding brings the whole archive's ratio down."""
    path = _workbook(tmp_path / "mentors.xlsx", MENTOR_ROWS)
    _replace_parts(
        path,
        {"xl/media/padding.bin": random.Random(1).randbytes(3 * MB)},
        {"xl/sharedStrings.xml": (b'<?xml version="1.0"?><sst>', 300 * MB, b"</sst>")},
    )
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    assert sum(i.file_size for i in infos) < readers.MAX_XLSX_UNCOMPRESSED
    assert sum(i.file_size for i in infos) / sum(i.compress_size for i in infos) < 200
    assert max(i.file_size / i.compress_size for i in infos if i.compress_size) > 500
    assert_refused(via, db, path, "refused as a possible zip bomb", tmp_path)


LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""
SHEET_BOMB = LAUGHS + (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>mentor_id</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
)
STRINGS_BOMB = LAUGHS + (
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
    b'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
)
ENTITY_BOMBS = {"xl/worksheets/sheet1.xml": SHEET_BOMB, "xl/sharedStrings.xml": STRINGS_BOMB}


def _entity_bomb(path: Path, part: str) -> Path:
    """A workbook whose `part` is a billion laughs; shared strings are declared and used."""
    _workbook(path, MENTOR_ROWS)
    with zipfile.ZipFile(path) as archive:
        types = archive.read("[Content_Types].xml")
        sheet = archive.read("xl/worksheets/sheet1.xml")
    if part == "xl/sharedStrings.xml":
        types = types.replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
        sheet = sheet.replace(
            b'<c r="A1" t="inlineStr"><is><t>mentor_id</t></is></c>',
            b'<c r="A1" t="s"><v>0</v></c>',
        )
        assert b"<v>0</v>" in sheet
    else:
        sheet = SHEET_BOMB
    _replace_parts(
        path,
        {part: ENTITY_BOMBS[part], "[Content_Types].xml": types, "xl/worksheets/sheet1.xml": sheet},
    )
    return path


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("part", list(ENTITY_BOMBS))
def test_an_xml_entity_bomb_is_refused(via: str, part: str, db: Path, tmp_path: Path) -> None:
    path = _entity_bomb(tmp_path / "mentors.xlsx", part)
    message = assert_refused(via, db, path, "declares a DTD (XML entities)", tmp_path)
    assert part in message


@pytest.mark.parametrize("part", list(ENTITY_BOMBS))
def test_openpyxl_parses_through_defusedxml(part: str, tmp_path: Path) -> None:
    """The second line of defence: openpyxl itself refuses the bomb (defusedxml is in use)."""
    import defusedxml
    from openpyxl.xml import functions

    assert functions.iterparse.__module__.startswith("defusedxml")
    path = _entity_bomb(tmp_path / "mentors.xlsx", part)
    with pytest.raises(Exception) as raised:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        list(book.active.iter_rows(values_only=True))
    chain: list[BaseException] = []
    error: BaseException | None = raised.value
    while error is not None:  # openpyxl wraps the parser's error in its own
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(e, defusedxml.EntitiesForbidden) for e in chain), chain


def test_without_defusedxml_workbooks_are_refused(
    monkeypatch: pytest.MonkeyPatch, db: Path, tmp_path: Path
) -> None:
    from xml.etree.ElementTree import iterparse

    from openpyxl.xml import functions

    monkeypatch.setattr(functions, "iterparse", iterparse)
    path = _workbook(tmp_path / "mentors.xlsx", MENTOR_ROWS)
    result = _api(db, path)
    assert not result.landed and result.error is not None
    assert "defusedxml is not in use" in result.error


@pytest.mark.parametrize("via", VIA)
def test_a_dtd_behind_a_long_comment_is_refused(via: str, db: Path, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "mentors.xlsx", MENTOR_ROWS)
    padded = SHEET_BOMB.replace(b"<!DOCTYPE", b"<!--" + b"<a " * 40_000 + b"-->\n<!DOCTYPE", 1)
    _replace_parts(path, {"xl/worksheets/sheet1.xml": padded})
    assert_refused(via, db, path, "over-long preamble", tmp_path)


@pytest.mark.parametrize("via", VIA)
def test_a_sheet_declaring_every_column_reads_quickly(via: str, db: Path, tmp_path: Path) -> None:
    """A dimension of A1:XFD1048576 would make openpyxl pad each row to 16,384 cells."""
    path = _workbook(
        tmp_path / "mentors.xlsx",
        [
            MENTOR_ROWS[0],
            *[[f"PM-{i}", "2025 spring", "2025-01-01", "active"] for i in range(2, 3002)],
        ],
    )
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    start = sheet.index(b"<dimension ref=")
    end = sheet.index(b"/>", start) + 2
    _replace_parts(
        path,
        {
            "xl/worksheets/sheet1.xml": sheet[:start]
            + b'<dimension ref="A1:XFD1048576"/>'
            + sheet[end:]
        },
    )
    started = time.monotonic()
    report = assert_imported(via, db, path, tmp_path)
    assert (report["read"], report["inserted"]) == (3000, 3000)
    assert time.monotonic() - started < 30


# ---------------------------------------------------------------------------------------------
# Values that look like code


CODE_LIKE = [
    '=HYPERLINK("http://example.com/x","click")',
    "'; DROP TABLE mentors; --",
    "<script>alert(1)</script>",
    "+SUM(1,2)",
    "-2+3",
    "@cmd",
    '" OR 1=1 --',
    "Robert'); DROP TABLE attendance;--",
]


@pytest.mark.parametrize("via", VIA)
def test_codes_that_look_like_formulas_sql_or_html_are_stored_as_text(
    via: str, db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "mentors.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["mentor_id", "cohort", "start_date", "status", "region"])
    for n, code in enumerate(CODE_LIKE):
        writer.writerow([code, code[:20], "2025-01-01", "active", f"{code} region {n}"])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    before = _contents(db)
    report = assert_imported(via, db, path, tmp_path)
    assert (report["inserted"], report["rejected"]) == (len(CODE_LIKE), 0)
    after = _contents(db)
    assert _rows_added(before, after) == {"mentors": len(CODE_LIKE)}
    with database.connect(db) as con:
        stored = con.execute("SELECT mentor_id, cohort, region FROM mentors").fetchall()
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
    assert {"mentors", "attendance"} <= tables
    by_code = {r[0]: r for r in stored}
    for n, code in enumerate(CODE_LIKE):
        assert by_code[code] == (code, code[:20].strip(), f"{code} region {n}")
    # Exported safely: nothing a spreadsheet would run as a formula.
    import pandas as pd

    frame = pd.DataFrame(stored, columns=["mentor_id", "cohort", "region"])
    cells = [
        c
        for row in csv.reader(io.StringIO(exports.frame_to_csv(frame).decode("utf-8-sig")))
        for c in row
    ]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@")), cell
    for code in CODE_LIKE:
        shown = exports.safe_cell(code)
        assert shown in cells
        assert shown == ("'" + code if code.startswith(exports.FORMULA_STARTS) else code)


# ---------------------------------------------------------------------------------------------
# A hostile file name, and a very large valid file


def test_a_file_name_with_a_newline_and_an_escape_code_gives_one_line(
    db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "bad\nname\x1b[31m.csv"
    path.write_bytes(b"")
    done = _cli(tmp_path, "import", "--db", db, path)
    assert done.returncode == 1
    line = _one_line_error(done, "the file is empty")
    assert "\x1b" not in line and "bad name\\x1b[31m.csv" in line


def _write_sessions(path: Path, rows: int) -> None:
    kinds = ["shadowing", "beneficiary_meeting", "group_day", "training", "supervision", "event"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(
            "session_id,session_type,scheduled_start,duration_minutes,staff_id,beneficiary_id,"
            "event_name,location\n"
        )
        for start in range(0, rows, 100_000):
            fh.write(
                "".join(
                    f"S-{i:08d},{kinds[i % 6]},{1 + i % 28:02d}/{1 + i % 12:02d}/{2020 + i % 6} "
                    f"{9 + i % 8:02d}:{(i % 4) * 15:02d},{30 + i % 90},ST-{i % 97},B-{i % 1013},,"
                    f'"Community hall, room {i % 17}"\n'
                    for i in range(start, min(rows, start + 100_000))
                )
            )


PEAK_RSS = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
print("peak-rss-kb", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(done.returncode)
"""

API_IMPORT = """
import sys
sys.path.insert(0, {root!r})
from analysis.importer import ImportSource, import_files
from analysis.settings import Settings
result = import_files({db!r}, [ImportSource.of({path!r})], user="tester", settings=Settings())
print(result.landed, result.files[0].inserted if result.landed else result.error)
"""


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "sessions.csv"
    _write_sessions(path, 1_000_000)
    return path


@pytest.mark.parametrize("via", VIA)
def test_a_very_large_file_is_read_in_a_streaming_way(
    via: str, big_file: Path, tmp_path: Path
) -> None:
    """About 80 MB and a million rows: peak memory stays below 3 times the file + 300 MB."""
    db = tmp_path / "big.duckdb"
    size = big_file.stat().st_size
    assert size > 70 * MB
    if via == "cli":
        command = [sys.executable, "-m", "analysis", "import", "--db", str(db), str(big_file)]
    else:
        script = API_IMPORT.format(root=str(PROJECT_ROOT), db=str(db), path=str(big_file))
        command = [sys.executable, "-c", textwrap.dedent(script)]
    env = dict(os.environ, DASHBOARD_SETTINGS=str(tmp_path / "none.toml"))
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *command],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    peak = int(done.stdout.rsplit("peak-rss-kb", 1)[1]) * 1024
    print(f"{via}: {size / MB:.0f} MB file, peak RSS {peak / MB:.0f} MB")
    assert peak < 3 * size + 300 * MB, f"peak RSS {peak / MB:.0f} MB for {size / MB:.0f} MB"
    with database.connect(db) as con:
        assert con.execute("SELECT count(*) FROM sessions").fetchone() == (1_000_000,)
