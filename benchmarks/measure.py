"""Timing helpers: whole processes (wall time and peak RSS), medians, and the machine."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SECONDS = 0.02


@dataclass(frozen=True)
class ProcessRun:
    seconds: float  # wall time, from start to exit
    cpu_seconds: float  # user + system time of the process (all its threads)
    peak_rss: int  # bytes: the child's peak resident set size (VmHWM)
    returncode: int
    stdout: str
    stderr: str


def run_process(
    args: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> ProcessRun:
    """Run a command to the end: its wall time, CPU time (wait4's rusage) and peak memory.

    The peak is the child's VmHWM, read from /proc every few milliseconds while it runs: the
    rusage's ru_maxrss would count the memory of this (forking) process as the child's.
    """
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{os.getpid()}-{time.time_ns()}"
    with open(f"{out_path}.out", "w+b") as out, open(f"{out_path}.err", "w+b") as err:
        start = time.perf_counter()
        process = subprocess.Popen(list(args), cwd=cwd, env=env, stdout=out, stderr=err)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                # Not readable before exec, nor once the child is a zombie: keep the last.
                with contextlib.suppress(OSError, RuntimeError, ValueError):
                    peak[0] = max(peak[0], vm_hwm(process.pid))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    for suffix in (".out", ".err"):
        Path(f"{out_path}{suffix}").unlink(missing_ok=True)
    cpu = usage.ru_utime + usage.ru_stime
    return ProcessRun(seconds, cpu, peak[0], process.returncode, stdout, stderr)


def python(*args: str | Path) -> list[str]:
    """A command line running the project's Python (the venv's, when run from make)."""
    return [sys.executable, *map(str, args)]


def bench_env(db: Path, scratch: Path) -> dict[str, str]:
    """Default settings whatever the machine has, and the scratch database."""
    env = dict(os.environ)
    env["DASHBOARD_SETTINGS"] = str(scratch / "no-settings.toml")
    env["DASHBOARD_DB"] = str(db)
    env["PYTHONPATH"] = str(ROOT)
    return env


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def vm_hwm(pid: int) -> int:
    """The peak resident set size of a running process so far (bytes), from /proc."""
    return _proc_status_kb(pid, "VmHWM") * 1024


def vm_rss(pid: int) -> int:
    return _proc_status_kb(pid, "VmRSS") * 1024


def _proc_status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages (other work on the machine slows a benchmark)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine() -> dict[str, str]:
    """What the benchmark ran on, for the record."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    versions = {}
    for name in ("duckdb", "streamlit", "pandas", "pyarrow"):
        try:
            module = __import__(name)
            versions[name] = str(module.__version__)
        except ImportError:
            versions[name] = "not installed"
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": f"{os.cpu_count()} logical" + (f" ({affinity} usable)" if affinity else ""),
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        **versions,
        "commit": _git_commit(),
    }


def _git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "")
