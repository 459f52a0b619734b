"""The baseline for the import: DuckDB loading the same CSV files with no validation at all.

`python -m benchmarks.bare_load DB CSV...` creates one table per file with
`CREATE TABLE ... AS SELECT * FROM read_csv(...)`, in one process and one connection.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb


def load(db: Path, files: list[Path]) -> None:
    con = duckdb.connect(str(db))
    try:
        for path in files:
            con.execute(
                f'CREATE TABLE "{path.stem}" AS SELECT * FROM read_csv($path)',
                {"path": str(path)},
            )
    finally:
        con.close()


if __name__ == "__main__":
    load(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
