"""Felt speed (issue 27): every page as a manager feels it in Chromium, and where the time goes.

One run starts the dashboard (benchmarks/felt_server.py: `streamlit run dashboard.py` with a
timing hook switched on by PM_FELT_TIMINGS, which only this benchmark sets) on a free port, on
a database of the demo's size (`python -m analysis demo`, made when it does not exist) or the
one given, and opens it in Debian's Chromium as a manager (sign-in off: a local manager). Then,
for every page in the sidebar navigation, in order, in one tab:

- the first load: for the default page (Overview) the dashboard opened in a new tab on the new
  server (timed from the navigation's start); for every other page the click on its link;
- three window changes in the sidebar (Last 3 months, Programme to date, Last 12 months);
- three filter changes in the sidebar (a Region chosen, a Cohort chosen, the Region removed);

and the Cohort is removed again (not timed) so every page starts from the same view. Each step
is timed in the page (performance.now) from the click until the page is idle: connected, no
script run in progress and Streamlit's running indicator gone, every Plotly chart drawn, and no
websocket frame and no change to the page's DOM for QUIET_MS. The quiet period itself is not
counted: a step ends at its last frame, DOM change or run-state change.

Where each step's time goes, measured:
- `server_seconds`: the server's script runs that started during the step (the hook's log),
  with their parts (DuckDB, st.plotly_chart, Plotly, pandas, Streamlit, other: sampled);
- `bytes`, `frames`: what the browser received over the websocket (benchmarks/browser.py);
- `browser_busy_seconds`: the browser main thread's long tasks (Long Tasks API, > 50 ms each)
  inside the step: script, layout and drawing the browser could not do in small pieces;
- `rest_seconds`: the step less the server's runs (sending, the browser's work, waiting).

    python -m benchmarks.felt --out OUT.json [--db DB | --mentors N] [--work DIR]
                              [--pages overview,timekeeping] [--markdown]

Benchmarks are not timed tests: this records figures and fails only when it cannot run.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.browser import (
    BrowserUnavailable,
    FrameCounter,
    _navigation,
    _stem,
    streamlit_server,
)
from benchmarks.felt_server import ENV, PARTS
from benchmarks.measure import ROOT, bench_env, load_average, python
from benchmarks.pages import page_files
from benchmarks.readers import ANSWERED, WATCH_SCRIPT
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, error_texts, wait_for_app

QUIET_MS = 500
STEP_TIMEOUT_MS = 60_000
MISSED_MS = 15_000  # no run this long after a click on an option: the click missed
WINDOWS = ("Last 3 months", "Programme to date", "Last 12 months")
OPEN_SETTLE_MS = 250  # before the timed click on an option, the drop-down done opening
SELECT_ALL = "Select all"  # the multiselect's own first option
START = "<!-- felt speed: start (written by benchmarks/felt.py) -->"
END = "<!-- felt speed: end -->"
# Targets of issue 27 at the demo's size, in the browser.
FIRST_LOAD_SECONDS = 2.0
CHANGE_MEDIAN_SECONDS = 0.5
CHANGE_MAX_SECONDS = 1.0

# Before the app's own scripts: websocket frames, DOM changes and long tasks, on the page's clock.
INIT_SCRIPT = """(() => {
    if (window.__pmFelt) return;
    const felt = window.__pmFelt = {lastFrame: 0, frames: 0, lastMutation: 0, longtasks: []};
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', () => {
                felt.lastFrame = performance.now();
                felt.frames += 1;
            });
        }
    };
    try {
        new PerformanceObserver((list) => {
            for (const t of list.getEntries()) felt.longtasks.push([t.startTime, t.duration]);
        }).observe({type: 'longtask', buffered: true});
    } catch (e) { felt.noLongtasks = String(e); }
    new MutationObserver(() => { felt.lastMutation = performance.now(); }).observe(document, {
        childList: true, subtree: true, attributes: true, characterData: true
    });
})();"""
SETTLED = """({quiet}) => {
    const felt = window.__pmFelt;
    const app = document.querySelector('[data-testid="stApp"]');
    if (!felt || !app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
    if (app.getAttribute('data-test-script-state') === 'running') return false;
    if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) return false;
    const boxes = Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'));
    if (!boxes.every(b => b.querySelector('.main-svg'))) return false;
    return performance.now() - Math.max(felt.lastFrame, felt.lastMutation) >= quiet;
}"""
# What a step that never became idle was waiting for.
STUCK = """() => {
    const felt = window.__pmFelt || {};
    const app = document.querySelector('[data-testid="stApp"]');
    const boxes = Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'));
    const now = performance.now();
    return `script ${app && app.getAttribute('data-test-script-state')}, connection `
        + `${app && app.getAttribute('data-test-connection-state')}, `
        + `${boxes.filter(b => !b.querySelector('.main-svg')).length} of ${boxes.length} `
        + `charts not drawn, last frame ${Math.round(now - felt.lastFrame)} ms ago, `
        + `last DOM change ${Math.round(now - felt.lastMutation)} ms ago`;
}"""
# The step's end (its last frame, DOM change or run-state change) and its long tasks.
MEASURED = """(start) => {
    const felt = window.__pmFelt;
    const runs = window.__pmRuns || [];
    const last = runs.length ? runs[runs.length - 1].at : 0;
    const end = Math.max(felt.lastFrame, felt.lastMutation, last, start);
    let busy = 0;
    for (const [at, duration] of felt.longtasks) {
        busy += Math.max(0, Math.min(at + duration, end) - Math.max(at, start));
    }
    const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]').length;
    return {start: start, end: end, busy: busy, charts: charts,
            longtasks_supported: !felt.noLongtasks};
}"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_demo(db: Path, env: dict[str, str], mentors: int | None) -> None:
    """The demo programme (`python -m analysis demo`), of its own size unless told."""
    from analysis import demo_data

    db.parent.mkdir(parents=True, exist_ok=True)
    command = python(
        "-m", "analysis", "demo", "--db", db, "--end", demo_data.DEFAULT_END.isoformat()
    )
    if mentors:
        command += ["--mentors", str(mentors)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the demo programme did not import:\n{done.stderr[-3000:]}")


class ServerRuns:
    """The hook's log of the server's script runs (benchmarks/felt_server.py)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def between(self, start: float, end: float) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        runs = [json.loads(line) for line in self.path.read_text().splitlines() if line]
        return [r for r in runs if start <= r["start"] <= end]


class Stepper:
    """Times steps in one tab: from the action until the page is idle."""

    def __init__(
        self, page: Any, counter: FrameCounter, server_runs: ServerRuns, quiet_ms: int = QUIET_MS
    ) -> None:
        self.page = page
        self.quiet_ms = quiet_ms
        self.counter = counter
        self.server_runs = server_runs

    def settle(self, start: float) -> dict[str, Any]:
        self.page.wait_for_function(
            SETTLED, arg={"quiet": self.quiet_ms}, polling=100, timeout=STEP_TIMEOUT_MS
        )
        return dict(self.page.evaluate(MEASURED, start))

    def step(
        self,
        kind: str,
        label: str,
        act: Callable[[], object],
        first: bool = False,
        again: Callable[[], Callable[[], object]] | None = None,
    ) -> dict:
        """`act` (a click); the step timed from just before it. `first`: the tab's first load,
        timed from the navigation's start (performance.now() is 0 there). `again` prepares
        the click anew: when no run starts within MISSED_MS (a click on an option the drop-down
        lost), the step is done again with it, timed from the second click, and says so."""
        self.counter.reset()
        wall = time.time()
        start = 0.0 if first else float(self.page.evaluate("() => performance.now()"))
        act()
        retried = False
        try:
            if first:
                wait_for_app(self.page, timeout_ms=STEP_TIMEOUT_MS)
                self.page.evaluate(WATCH_SCRIPT)
            else:
                try:
                    wait = MISSED_MS if again else STEP_TIMEOUT_MS
                    self.page.wait_for_function(ANSWERED, arg=start, timeout=wait)
                except Exception:  # playwright's TimeoutError: no run started
                    if again is None:
                        raise
                    retried = True
                    act = again()
                    self.counter.reset()
                    wall = time.time()
                    start = float(self.page.evaluate("() => performance.now()"))
                    act()
                    self.page.wait_for_function(ANSWERED, arg=start, timeout=STEP_TIMEOUT_MS)
            measured = self.settle(start)
        except Exception as exc:  # playwright's TimeoutError: recorded, and the run goes on
            state = self.page.evaluate(STUCK)
            return {
                "kind": kind,
                "label": label,
                "seconds": None,
                "errors": [
                    f"not idle within {STEP_TIMEOUT_MS / 1000:g} s ({state}): "
                    f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                ],
            }
        runs = self.server_runs.between(wall, time.time())
        seconds = (measured["end"] - measured["start"]) / 1000
        server = sum(r["seconds"] for r in runs)
        parts = {p: sum(r["parts"].get(p, 0.0) for r in runs) for p in PARTS}
        return {
            "kind": kind,
            "label": label,
            "seconds": seconds,
            "server_seconds": server,
            "server_runs": len(runs),
            "server_parts": parts,
            "bytes": self.counter.bytes,
            "frames": self.counter.frames,
            "browser_busy_seconds": measured["busy"] / 1000,
            "longtasks_supported": measured["longtasks_supported"],
            "rest_seconds": max(seconds - server, 0.0),
            "charts": measured["charts"],
            "retried": retried,
            "errors": error_texts(self.page),
        }


def _sidebar(page: Any) -> Any:
    return page.locator('[data-testid="stSidebar"]')


def _open(page: Any, box: Any, option: Any) -> None:
    """Opens a sidebar drop-down until `option` shows (a click on an open one closes it)."""
    for _ in range(5):
        _close(page)
        box.click()
        try:
            option.wait_for(timeout=5_000)
            page.wait_for_timeout(OPEN_SETTLE_MS)  # the drop-down's opening animation
            return
        except Exception:  # playwright's TimeoutError: try again
            continue
    option.wait_for(timeout=STEP_TIMEOUT_MS)


def _choose_window(page: Any, label: str) -> Callable[[], object]:
    """Opens the Window box; returns the click on `label` (the timed part)."""
    box = _sidebar(page).locator('[data-testid="stSelectbox"]').filter(has_text="Window").first
    option = page.get_by_role("option", name=label, exact=True)
    _open(page, box, option)
    return lambda: option.click()


def _multiselect(page: Any, label: str) -> Any:
    return _sidebar(page).locator('[data-testid="stMultiSelect"]').filter(has_text=label).first


def _add_first(page: Any, label: str) -> tuple[str, Callable[[], object]]:
    """Opens the `label` filter; returns the first option's name and the click on it."""
    options = page.get_by_role("option")
    _open(page, _multiselect(page, label), options.first)
    for n in range(options.count()):
        option = options.nth(n)
        name = str(option.inner_text()).strip()
        if not name.startswith(SELECT_ALL):
            return name, option.click
    raise RuntimeError(f"the {label} filter offers nothing to choose")


def _choose_option(page: Any, label: str, name: str) -> Callable[[], object]:
    """Opens the `label` filter; returns the click on its option `name`."""
    option = page.get_by_role("option", name=name, exact=True)
    _open(page, _multiselect(page, label), option)
    return option.click


def _remove_last(page: Any, label: str) -> Callable[[], object]:
    """Clicks into the `label` filter; returns Backspace (removes its last choice)."""
    box = _multiselect(page, label)
    box.locator("input").first.click()
    page.wait_for_timeout(200)
    return lambda: page.keyboard.press("Backspace")


def _close(page: Any) -> None:
    """Closes an open drop-down."""
    with contextlib.suppress(Exception):
        page.keyboard.press("Escape")


FILTER_STEPS = (("add", "Region"), ("add", "Cohorts"), ("remove", "Region"))


def measure_page(stepper: Stepper, page: Any, changes: int = 3) -> list[dict[str, Any]]:
    """`changes` window changes and filter changes (three each) on the page shown, then the
    view put back as it was (not timed) so every page starts from the same view."""
    steps = []
    for label in WINDOWS[:changes]:
        again = functools.partial(_choose_window, page, label)
        steps.append(stepper.step("window", label, again(), again=again))
    chosen: list[str] = []
    for kind, label in FILTER_STEPS[:changes]:
        if kind == "add":
            name, act = _add_first(page, label)
            what = f"{label}: {name} added"
            chosen.append(label)
            again = functools.partial(_choose_option, page, label, name)
        else:
            act = _remove_last(page, label)
            what = f"{label}: choice removed"
            chosen.remove(label)
            again = functools.partial(_remove_last, page, label)
        steps.append(stepper.step("filter", what, act, again=again))
        _close(page)
    if WINDOWS[changes - 1] != WINDOWS[-1]:
        stepper.step("reset", WINDOWS[-1], _choose_window(page, WINDOWS[-1]))
    for label in chosen:
        stepper.step("reset", f"{label}: choice removed", _remove_last(page, label))
        _close(page)
    return steps


def measure(
    db: Path | None,
    work: Path,
    *,
    mentors: int | None = None,
    only: list[str] | None = None,
    changes: int = 3,
    quiet_ms: int = QUIET_MS,
) -> dict[str, Any]:
    """One run: every page (or those in `only`, by file stem) as above. `changes` (1 to 3)
    and `quiet_ms` make a smaller run (the smoke test's)."""
    if not 1 <= changes <= len(WINDOWS):
        raise ValueError(f"changes must be 1 to {len(WINDOWS)}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BrowserUnavailable("playwright is not installed") from exc
    if not Path(CHROMIUM).exists():
        raise BrowserUnavailable(f"{CHROMIUM} is missing (Debian's chromium package)")
    work.mkdir(parents=True, exist_ok=True)
    if db is None:
        db = work / "db" / "programme.duckdb"
    env = bench_env(db, work)
    if not db.exists():
        make_demo(db, env, mentors)
    timings = work / "server-runs.jsonl"
    timings.unlink(missing_ok=True)
    env[ENV] = str(timings)
    stems = {Path(p).stem: p for p in page_files()}
    loads = [load_average()]
    pages: dict[str, dict[str, Any]] = {}
    with (
        streamlit_server(env, work / "streamlit.log", module="benchmarks.felt_server") as server,
        sync_playwright() as pw,
    ):
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            context.add_init_script(INIT_SCRIPT)
            page = context.new_page()
            page.set_default_timeout(STEP_TIMEOUT_MS)
            counter = FrameCounter()
            page.on("websocket", counter.attach)
            stepper = Stepper(page, counter, ServerRuns(timings), quiet_ms)
            first = stepper.step("first load", "opened", lambda: page.goto(server.url), True)
            hrefs = _navigation(page, set(stems))
            linked = {_stem(h) for h in hrefs}
            unlinked = [p for s, p in stems.items() if s not in linked]
            default = unlinked[0] if len(unlinked) == 1 else "default page"
            wanted = set(only) if only else None
            if wanted is None or Path(default).stem in wanted:
                pages[default] = {"steps": [first, *measure_page(stepper, page, changes)]}
                log(f"  {default}: {summary(pages[default]['steps'])}")
            for href in hrefs:
                stem = _stem(href)
                if not stem or (wanted is not None and stem not in wanted):
                    continue
                relative = href.rstrip("/").rsplit("/", 1)[-1]
                link = (
                    _sidebar(page)
                    .locator(f'[data-testid="stPageLink-NavLink"][href="{relative}"]')
                    .first
                )
                opened = stepper.step("first load", "link clicked", link.click)
                name = stems.get(stem, stem)
                try:
                    pages[name] = {"steps": [opened, *measure_page(stepper, page, changes)]}
                except Exception as exc:  # recorded; the next page is measured all the same
                    failed = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                    opened["errors"] = [*opened.get("errors", []), f"not measured: {failed}"]
                    pages[name] = {"steps": [opened]}
                    log(f"  {name}: {failed}")
                    continue
                log(f"  {name}: {summary(pages[name]['steps'])}")
                loads.append(load_average())
            context.close()
        finally:
            chromium.close()
    return {"db": str(db), "pages": pages, "load_averages": loads, "quiet_ms": quiet_ms}


# --- the figures -----------------------------------------------------------------------------


def _of(steps: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [s for s in steps if s["kind"] == kind]


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else math.nan


def _max(values: list[float]) -> float:
    return max(values) if values else math.nan


def page_figures(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians and maxima of a page's steps (changes: its window and filter changes); NaN
    where a page has no such step (it could not be measured)."""
    steps_ok = [s for s in steps if s["seconds"] is not None]
    firsts = _of(steps_ok, "first load")
    first = firsts[0] if firsts else None
    windows = [s["seconds"] for s in _of(steps_ok, "window")]
    filters = [s["seconds"] for s in _of(steps_ok, "filter")]
    changes = _of(steps_ok, "window") + _of(steps_ok, "filter")

    def med(key: str) -> float:
        return _median([s[key] for s in changes])

    parts = {p: _median([s["server_parts"][p] for s in changes]) for p in PARTS}
    return {
        "first_load": first["seconds"] if first else math.nan,
        "first_load_server": first["server_seconds"] if first else math.nan,
        "first_load_bytes": first["bytes"] if first else math.nan,
        "window_median": _median(windows),
        "window_max": _max(windows),
        "filter_median": _median(filters),
        "filter_max": _max(filters),
        "change_median": med("seconds"),
        "change_max": _max([s["seconds"] for s in changes]),
        "server_median": med("server_seconds"),
        "bytes_median": med("bytes"),
        "busy_median": med("browser_busy_seconds"),
        "rest_median": med("rest_seconds"),
        "parts_median": parts,
        "charts": first["charts"] if first else 0,
        "errors": sorted({e for s in steps for e in s["errors"]}),
    }


def summary(steps: list[dict[str, Any]]) -> str:
    f = page_figures(steps)
    return (
        f"first load {f['first_load']:.2f} s; windows {f['window_median']:.2f}/"
        f"{f['window_max']:.2f} s, filters {f['filter_median']:.2f}/{f['filter_max']:.2f} s "
        f"(median/max); server {f['server_median']:.2f} s, {f['bytes_median'] / 1e3:.0f} kB"
    )


def _s(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.2f}"


def table(result: dict[str, Any]) -> str:
    """One row a page: the felt times, then where a change's time goes (medians)."""
    header = (
        "| Page | Charts | First load (s) | Window changes: median / max (s) | "
        "Filter changes: median / max (s) | Server run (s) | of which DuckDB / "
        "st.plotly_chart / Plotly / pandas / Streamlit / other (s) | Sent | "
        "Browser long tasks (s) | Rest (s) |"
    )
    lines = [header, "|" + "---|" * header.count(" | ") + "---|"]
    for name, data in result["pages"].items():
        f = page_figures(data["steps"])
        parts = " / ".join(_s(f["parts_median"][p]) for p in PARTS)
        lines.append(
            f"| `{name}` | {f['charts']} | {_s(f['first_load'])} | "
            f"{_s(f['window_median'])} / {_s(f['window_max'])} | "
            f"{_s(f['filter_median'])} / {_s(f['filter_max'])} | {_s(f['server_median'])} | "
            f"{parts} | {_s(f['bytes_median'] / 1e3)} kB | {_s(f['busy_median'])} | "
            f"{_s(f['rest_median'])} |"
        )
    return "\n".join(lines)


def overall(result: dict[str, Any]) -> dict[str, Any]:
    """Across pages: every change, the slowest first load, and how many pages meet the bars."""
    figures = {n: page_figures(d["steps"]) for n, d in result["pages"].items()}
    changes = [
        s["seconds"]
        for d in result["pages"].values()
        for s in d["steps"]
        if s["kind"] in ("window", "filter") and s["seconds"] is not None
    ]
    return {
        "pages": len(figures),
        "change_median": float(statistics.median(changes)),
        "change_max": max(changes),
        "slowest_first_load": max(
            (f["first_load"], n) for n, f in figures.items() if not math.isnan(f["first_load"])
        ),
        "first_load_met": sum(f["first_load"] <= FIRST_LOAD_SECONDS for f in figures.values()),
        # NaN (a page not measured) compares false: not counted as met.
        "changes_met": sum(
            f["change_median"] <= CHANGE_MEDIAN_SECONDS and f["change_max"] <= CHANGE_MAX_SECONDS
            for f in figures.values()
        ),
    }


def section(result: dict[str, Any], where: str) -> str:
    """The Markdown section for BENCHMARKS.md (between START and END)."""
    o = overall(result)
    slow_time, slow_page = o["slowest_first_load"]
    return "\n".join(
        [
            "## Felt speed in Chromium (issue 27)",
            "",
            f"{where}: every page as a manager in one Chromium tab (benchmarks/felt.py): the "
            "first load, three window changes and three filter changes, each timed from the "
            f"click until the page is idle (no run, charts drawn, {result['quiet_ms']} ms "
            "without a websocket frame or DOM change, not counted). Changes: medians of the "
            "page's six changes. Server run: the script runs the step started (timed by "
            "benchmarks/felt_server.py), split by sampling its stack. Sent: websocket bytes. "
            "Browser long tasks: the main thread's tasks over 50 ms. Rest: the step less the "
            "server's runs.",
            "",
            table(result),
            "",
            f"Every change: median {o['change_median']:.2f} s, slowest {o['change_max']:.2f} s; "
            f"slowest first load {slow_time:.2f} s (`{slow_page}`). Pages meeting issue 27's "
            f"bars: first load ≤ {FIRST_LOAD_SECONDS:g} s: {o['first_load_met']} of "
            f"{o['pages']}; changes ≤ {CHANGE_MEDIAN_SECONDS * 1000:.0f} ms median and "
            f"≤ {CHANGE_MAX_SECONDS:g} s at most: {o['changes_met']} of {o['pages']}.",
            "",
            *[
                f"- `{n}` showed or hit: {e[:300]}"
                for n, d in result["pages"].items()
                for e in page_figures(d["steps"])["errors"]
            ],
            "",
            "Load average (1, 5, 15 min) at the start and after each page: "
            + "; ".join(result["load_averages"])
            + ".",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.felt", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="the raw figures (JSON)")
    parser.add_argument("--db", type=Path, help="a database (default: the demo, made in --work)")
    parser.add_argument("--mentors", type=int, help="the demo's mentors (default its own size)")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "scratch" / "felt")
    parser.add_argument("--pages", help="only these pages (file stems, comma-separated)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    only = args.pages.split(",") if args.pages else None
    result = measure(args.db, args.work.resolve(), mentors=args.mentors, only=only)
    args.out.write_text(json.dumps(result, indent=1))
    if args.markdown:
        print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
