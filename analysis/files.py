"""Who may read the files the dashboard writes: their owner only.

The records are about people with convictions. Every folder the dashboard makes (the data
folder, the snapshots folder, a backup) is 0700 and every file it writes (the database, its
write-ahead log, snapshots, a backup's Parquet files and audit copy, the audit log, the erasure
key, the change records) is 0600. Two layers keep it so:
- the process's file-creation mask is 077 from the moment `analysis` is imported (see
  analysis/__init__.py), so whatever DuckDB or Python creates starts private;
- every place that creates or publishes a file sets its mode as well (`private_file`,
  `private_dir`), so a process started with another mask, or a file made by an older release,
  is made private at its next write.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700


def private_process() -> None:
    """New files and folders of this process are its owner's only."""
    os.umask(UMASK)


def private_file(path: str | Path) -> None:
    """Make a file the dashboard wrote readable and writable by its owner only."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, FILE_MODE)


def private_dir(path: str | Path) -> Path:
    """Make (if needed) a folder of the dashboard's own, 0700. A shared folder with the
    sticky bit (such as /tmp) is never narrowed: it is not the dashboard's to close."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    with contextlib.suppress(OSError):
        mode = folder.stat().st_mode
        if not mode & stat.S_ISVTX and stat.S_IMODE(mode) != DIR_MODE:
            os.chmod(folder, DIR_MODE)
    return folder


def private_tree(root: str | Path) -> None:
    """Every folder under `root` (and itself) 0700, every file 0600."""
    root = Path(root)
    private_dir(root)
    for folder, dirs, names in os.walk(root):
        for d in dirs:
            os.chmod(Path(folder) / d, DIR_MODE)
        for n in names:
            private_file(Path(folder) / n)
