"""Every page's server-side run, timed in AppTest: cold, then after one sidebar filter change.

`python -m benchmarks.pages OUT.json [--runs N]`, with DASHBOARD_DB (and DASHBOARD_SETTINGS)
in the environment. For each page and run: a fresh AppTest of dashboard.py runs once (the
default page, so `st.navigation` has registered the pages), every `st.cache_data` cache is
cleared, and the page's run is timed (cold); then the Region filter is set to one region and the
rerun is timed (a filter change: new cache keys, so the page's queries all run again).
Before the first timed run, one untimed run of every page imports what the pages import, as a
server has done by the time anyone opens a page.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import ROOT

TIMEOUT_SECONDS = 600
FILTER_KEY = "filter_regions"


def page_files() -> list[str]:
    """The dashboard's page files, as `pages/<name>.py` (frame.py and recovery.py are shared
    code, not pages)."""
    return sorted(
        f"pages/{p.name}"
        for p in (ROOT / "pages").glob("*.py")
        if p.stem not in ("frame", "recovery")
    )


def _errors(at: Any) -> list[str]:
    return [str(e.value) for e in at.exception]


def _fresh(page: str) -> Any:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT_SECONDS)
    at.run()
    st.cache_data.clear()
    at.switch_page(page)
    return at


class _SqlClock:
    """Where a page run's time goes: the seconds spent inside DuckDB's `execute` (the queries
    themselves, every TEMP table the run builds included) on the connections the dashboard
    opens, counted by wrapping `analysis.database._lease_read_only`. The rest of a run is
    Python: Streamlit, the frame, pandas, Plotly and fetching the results."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0

    def install(self) -> None:
        from analysis import database

        real = database._lease_read_only
        clock = self

        class Timed:
            def __init__(self, con: Any) -> None:
                self._con = con

            def execute(self, *args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    self._con.execute(*args, **kwargs)
                finally:
                    clock.seconds += time.perf_counter() - start
                    clock.queries += 1
                return self

            def __getattr__(self, name: str) -> Any:
                return getattr(self._con, name)

        def timed(lease: Any) -> Any:
            lease.con = Timed(lease.con)
            return lease

        database._lease_read_only = lambda path: timed(real(path))  # type: ignore[assignment]

    def reset(self) -> tuple[float, int]:
        spent = (self.seconds, self.queries)
        self.seconds, self.queries = 0.0, 0
        return spent


SQL = _SqlClock()


def measure_page(page: str) -> dict[str, Any]:
    """One cold run and one filter change of `page`: seconds (and the part of them inside
    DuckDB) and any error shown."""
    at = _fresh(page)
    SQL.reset()
    start, cpu = time.perf_counter(), time.process_time()
    at.run()
    cold = time.perf_counter() - start
    cold_cpu = time.process_time() - cpu
    cold_sql, cold_queries = SQL.reset()
    errors = _errors(at)
    filtered: float | None = None
    filtered_cpu: float | None = None
    if not errors:
        regions = at.sidebar.multiselect(key=FILTER_KEY)
        options = list(regions.options)
        if not options:
            errors.append("the Region filter has no options")
        else:
            regions.set_value([options[0]])
            start, cpu = time.perf_counter(), time.process_time()
            at.run()
            filtered = time.perf_counter() - start
            filtered_cpu = time.process_time() - cpu
            errors += _errors(at)
    filtered_sql, filtered_queries = SQL.reset()
    # CPU time (this process, every thread) beside the wall time: it moves less when other
    # work shares the machine.
    return {
        "cold": cold,
        "filter_change": filtered,
        "cold_cpu": cold_cpu,
        "filter_change_cpu": filtered_cpu,
        "cold_sql": cold_sql,
        "cold_queries": cold_queries,
        "filter_change_sql": filtered_sql if filtered is not None else None,
        "filter_change_queries": filtered_queries,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    pages = page_files()
    SQL.install()
    for page in pages:  # warm the imports, not the caches
        _fresh(page).run()
    results: dict[str, list[dict[str, Any]]] = {page: [] for page in pages}
    for _ in range(args.runs):
        for page in pages:
            results[page].append(measure_page(page))
    args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
