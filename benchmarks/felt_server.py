"""`streamlit` with a timing hook, for the felt-speed benchmark (benchmarks/felt.py) only.

    PM_FELT_TIMINGS=/path/runs.jsonl python -m benchmarks.felt_server run dashboard.py ...

With PM_FELT_TIMINGS set (only benchmarks/felt.py sets it), every script run of the server is
timed and appended to that file as one JSON line: when it started (epoch seconds, the clock
the benchmark reads too), its wall and thread CPU seconds, and where its time went, measured
by sampling the script thread's Python stack every few milliseconds:

- `duckdb`: inside DuckDB's `execute` (the dashboard's read-only connections, wrapped as
  benchmarks/pages.py does for AppTest);
- `plotly_chart`: inside `st.plotly_chart` (Plotly's validation and JSON of each figure, and
  Streamlit's marshalling of it, on the way to the browser);
- `plotly`: elsewhere in Plotly (building the figures);
- `pandas`: elsewhere in pandas;
- `streamlit`: elsewhere in Streamlit (other elements, widgets, caching, session state);
- `other`: the rest (the pages' and `analysis/` own Python).

Without PM_FELT_TIMINGS this is plain `streamlit`. The dashboard's code is not changed.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

ENV = "PM_FELT_TIMINGS"
SAMPLE_SECONDS = 0.002
PARTS = ("duckdb", "plotly_chart", "plotly", "pandas", "streamlit", "other")
_SEP = os.sep


def category(frame: FrameType | None) -> str:
    """Which part of a run the stack from `frame` outwards is in (the first rule that holds)."""
    files: list[tuple[str, str]] = []
    while frame is not None:
        files.append((frame.f_code.co_filename, frame.f_code.co_name))
        frame = frame.f_back
    if any(f.endswith(f"streamlit{_SEP}elements{_SEP}plotly_chart.py") for f, _ in files):
        return "plotly_chart"
    if any(f.endswith(f"benchmarks{_SEP}pages.py") and n == "execute" for f, n in files):
        return "duckdb"
    for part in ("plotly", "pandas"):
        if any(f"{_SEP}{part}{_SEP}" in f for f, _ in files):
            return part
    # The innermost frame decides between Streamlit and the project's own code.
    innermost = files[0][0] if files else ""
    if f"{_SEP}streamlit{_SEP}" in innermost:
        return "streamlit"
    return "other"


class Sampler:
    """Samples the stacks of the threads running a script; seconds per part, per thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: dict[int, dict[str, float]] = {}
        self._last = time.perf_counter()

    def begin(self, ident: int) -> None:
        with self._lock:
            self._active[ident] = dict.fromkeys(PARTS, 0.0)

    def end(self, ident: int) -> dict[str, float]:
        with self._lock:
            return self._active.pop(ident, dict.fromkeys(PARTS, 0.0))

    def run(self) -> None:
        while True:
            time.sleep(SAMPLE_SECONDS)
            now = time.perf_counter()
            elapsed, self._last = now - self._last, now
            with self._lock:
                if not self._active:
                    continue
                frames = sys._current_frames()
                for ident, parts in self._active.items():
                    parts[category(frames.get(ident))] += elapsed


def install(path: Path) -> None:
    """Time every script run of this process into `path` (JSON lines)."""
    import streamlit.runtime.scriptrunner.script_runner as script_runner

    from benchmarks.pages import SQL

    SQL.install()
    sampler = Sampler()
    threading.Thread(target=sampler.run, name="felt-sampler", daemon=True).start()
    real = script_runner.exec_func_with_error_handling
    write_lock = threading.Lock()

    def timed(func: Any, ctx: Any) -> Any:
        ident = threading.get_ident()
        sampler.begin(ident)
        started = time.time()
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return real(func, ctx)
        finally:
            seconds = time.perf_counter() - start
            parts = sampler.end(ident)
            sampled = sum(parts.values()) or 1.0
            record = {
                "start": started,
                "end": started + seconds,
                "seconds": seconds,
                "cpu_seconds": time.thread_time() - cpu,
                # The sampled shares, scaled to the run's measured wall time.
                "parts": {k: v / sampled * seconds for k, v in parts.items()},
            }
            with write_lock, path.open("a") as fh:
                fh.write(json.dumps(record) + "\n")

    script_runner.exec_func_with_error_handling = timed


def main() -> None:
    target = os.environ.get(ENV)
    if target:
        install(Path(target))
    from streamlit.web import cli

    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
