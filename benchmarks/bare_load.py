"""The baseline for the import: DuckDB loading the same files with no validation at all.

`python -m benchmarks.bare_load DB FILE...` creates one table per file, in one process and one
connection: `CREATE TABLE ... AS SELECT * FROM read_csv(...)` for a CSV file. DuckDB cannot read
`.xlsx` here (no extensions can be downloaded), so a workbook is read the plainest way there is,
`pandas.read_excel` (openpyxl), and the table created from the frame.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb


def load(db: Path, files: list[Path]) -> None:
    con = duckdb.connect(str(db))
    try:
        for path in files:
            if path.suffix.lower() == ".xlsx":
                import pandas as pd

                frame = pd.read_excel(path, engine="openpyxl")
                con.register("sheet", frame)
                con.execute(f'CREATE TABLE "{path.stem}" AS SELECT * FROM sheet')
                con.unregister("sheet")
                continue
            con.execute(
                f'CREATE TABLE "{path.stem}" AS SELECT * FROM read_csv($path)',
                {"path": str(path)},
            )
    finally:
        con.close()


if __name__ == "__main__":
    load(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
