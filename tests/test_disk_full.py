"""A full disk during an import: refused in one sentence, the published database untouched, no
working copy and no partial snapshot left behind; once there is room again the import lands.

Two ways to run out: a small tmpfs holding the database (when this machine lets the tests mount
one, as root usually can), and a file-size limit (RLIMIT_FSIZE) on the import's process, which
works anywhere. Each is tried with room for nothing (the working copy does not fit) and with
room for the copy but not for what the import adds.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis import database, demo_data, snapshots
from tests.conftest import PROJECT_ROOT, cli_env, query, run_import

END = demo_data.DEFAULT_END


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    root = tmp_path_factory.mktemp("diskfull")
    return {
        "small": demo_data.write_csv(root / "small", mentors=30, seed=3, end=END),
        "big": demo_data.write_csv(root / "big", mentors=900, seed=4, end=END),
    }


@contextlib.contextmanager
def small_disk(folder: Path, megabytes: int) -> Iterator[bool]:
    """Mount a tmpfs of this size on `folder`; yield False (and mount nothing) if refused."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)],
            capture_output=True,
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def import_cli(
    db: Path, files: list[Path], tmp: Path, fsize: int | None = None
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-m", "analysis", "import", "--db", str(db), *map(str, files)],
        cwd=PROJECT_ROOT,
        env=cli_env(tmp),
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=limit,
    )


def fill(folder: Path, leave: int) -> Path:
    """Fill the file system of `folder` until `leave` bytes are free."""
    stat = os.statvfs(folder)
    free = stat.f_bavail * stat.f_frsize
    ballast = folder / "ballast"
    with ballast.open("wb") as f:
        f.write(b"\0" * max(free - leave, 0))
    return ballast


def check_refused(
    done: subprocess.CompletedProcess[str], db: Path, published: str, listed: list[str]
) -> None:
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "not enough disk space" in lines[0] and "nothing was changed" in lines[0], lines[0]
    assert "Traceback" not in done.stderr
    assert sha256(db) == published  # the published data untouched
    assert database.working_copies(db) == []  # no working copy left
    assert [s.name for s in snapshots.list_snapshots(db)] == listed  # no partial snapshot
    folder = snapshots.snapshot_dir(db)
    assert not folder.exists() or not [p for p in folder.iterdir() if ".partial" in p.name]


@pytest.mark.parametrize("room", ["no room for the copy", "room for the copy only"])
def test_a_full_disk_refuses_the_import_and_loses_nothing(
    files: dict[str, list[Path]], tmp_path: Path, room: str
) -> None:
    mount = tmp_path / "disk"
    with small_disk(mount, 24) as mounted:
        db = mount / "programme.duckdb"
        assert run_import(db, files["small"]).landed
        assert run_import(db, files["small"][:1]).landed  # a snapshot exists
        published = sha256(db)
        listed = [s.name for s in snapshots.list_snapshots(db)]
        size = db.stat().st_size
        if mounted:
            leave = size // 2 if room == "no room for the copy" else size + 256 * 1024
            ballast = fill(mount, leave)
            done = import_cli(db, files["big"], tmp_path)
        else:  # no mount here: the same fault through a file-size limit
            ballast = None
            limit = size // 2 if room == "no room for the copy" else size + 256 * 1024
            done = import_cli(db, files["big"], tmp_path, fsize=limit)
        check_refused(done, db, published, listed)
        before = query(db, "SELECT count(*) FROM attendance")
        # room again: the same import lands
        if ballast is not None:
            ballast.unlink()
        again = import_cli(db, files["big"], tmp_path)
        assert again.returncode == 0, again.stderr
        assert query(db, "SELECT count(*) FROM attendance") > before
        assert database.working_copies(db) == []


@pytest.mark.parametrize("room", ["no room for the copy", "room for the copy only"])
def test_a_file_size_limit_refuses_the_import_and_loses_nothing(
    files: dict[str, list[Path]], tmp_path: Path, room: str
) -> None:
    db = tmp_path / "data" / "programme.duckdb"
    assert run_import(db, files["small"]).landed
    assert run_import(db, files["small"][:1]).landed
    published = sha256(db)
    listed = [s.name for s in snapshots.list_snapshots(db)]
    size = db.stat().st_size
    limit = size // 2 if room == "no room for the copy" else size + 256 * 1024
    done = import_cli(db, files["big"], tmp_path, fsize=limit)
    check_refused(done, db, published, listed)
    again = import_cli(db, files["big"], tmp_path)
    assert again.returncode == 0, again.stderr
