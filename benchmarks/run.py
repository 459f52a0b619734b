"""`make bench`: the dashboard at national scale, measured against the quality bars.

Generates about a million attendance rows into benchmarks/scratch/, in two shapes (see
benchmarks/shapes.py: the demo generator's files, and an export's: an .xlsx mentors file, a
register file, UK date-times in a third of the rows, notes on many rows, thousands of
warnings), then measures on each, as medians of several runs:

- the import (`python -m analysis import`, whole process) against DuckDB loading the same files
  with no validation at all, as a ratio (target ≤ 2×; PRODUCT.md also asks ≤ 5 s);
- the report (`python -m analysis report --format json`, whole process) against a plain pandas
  computation of the same headline figures from Parquet copies of the tables (target ≤ 0.2×);
- every page's server-side run in AppTest, cold and after one filter change (≤ 2 s, ≤ 300 ms);
- the dashboard server's peak memory while every page is visited in Chromium (≤ 1 GB);
- the bytes each page sends to the browser over the websocket (≤ 5 MB);
- three dashboard servers browsed in Chromium while the import lands: the slowest interaction
  during the import (≤ 2 s), with no page error (benchmarks/readers.py);
- felt speed at the demo's size (`python -m analysis demo`): every page's first load and three
  window and three filter changes in Chromium, click to idle, and where the time goes
  (benchmarks/felt.py; its own section of BENCHMARKS.md).

It prints one table and writes it, with the machine, to BENCHMARKS.md (between the result
markers, keeping the rest of the file). Benchmarks are not timed tests: a target that is not met
is reported, not failed; the exit status is non-zero only when something could not run.

    python benchmarks/run.py [--rows N | --mentors N] [--shape demo|export|both] [--runs N]
                             [--quick] [--skip-browser] [--growth [SIZES]]

With --growth (default sizes 250k,1M,4M attendance rows), every size is measured on each shape,
and BENCHMARKS.md gets the growth table and plot (benchmarks/growth.png) as well; the results
table is the run at 1M (or the size nearest it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: `python benchmarks/run.py`
    sys.path.insert(0, str(ROOT))

from benchmarks import felt, growth, pandas_report, shapes  # noqa: E402
from benchmarks.measure import (  # noqa: E402
    ProcessRun,
    bench_env,
    load_average,
    machine,
    median,
    python,
    run_process,
)
from benchmarks.pages import page_files  # noqa: E402

DEFAULT_ROWS = 1_000_000
QUICK_MENTORS = 200
FELT_QUICK_MENTORS = 40
DEFAULT_GROWTH = "250k,1M,4M"
DEFAULT_RUNS = 3
SEED = 2026
START = "<!-- benchmark results: start (written by benchmarks/run.py) -->"
END = "<!-- benchmark results: end -->"

# Targets: the product spec's quality bars (PRODUCT.md) and the benchmark issue.
IMPORT_RATIO = 2.0
IMPORT_SECONDS = 5.0
REPORT_RATIO = 0.2
PAGE_COLD_SECONDS = 2.0
PAGE_FILTER_SECONDS = 0.3
PEAK_BYTES = 1_000_000_000
PAGE_BYTES = 5_000_000
READERS_SECONDS = 2.0


class BenchmarkFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Row:
    what: str
    measured: str
    against: str
    target: str
    met: bool | None  # None: not measured
    runs: str

    def cells(self) -> list[str]:
        mark = "—" if self.met is None else ("✓" if self.met else "✗")
        return [self.what, self.measured, self.against, self.target, mark, self.runs]


HEADER = ["Measure", "Median", "Against", "Target", "Met", "Runs"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def size(value: float) -> str:
    """Decimal units: 1 MB = 1,000,000 bytes, 1 GB = 1,000,000,000 bytes."""
    if value >= 1e9:
        return f"{value / 1e9:.2f} GB"
    if value >= 1e6:
        return f"{value / 1e6:.1f} MB"
    return f"{value / 1e3:.1f} kB"


# --- the data ------------------------------------------------------------------------------


def generate(scratch: Path, shape: str, mentors: int) -> tuple[list[Path], int]:
    """The shape's files, kept between runs for the same size, seed and generator."""
    from analysis import demo_data

    folder = scratch / "files"
    marker = folder / "generated.json"
    code = Path(demo_data.__file__).read_bytes() + Path(shapes.__file__).read_bytes()
    generator = hashlib.sha256(code).hexdigest()
    wanted = {"shape": shape, "mentors": mentors, "seed": SEED, "generator": generator}
    paths = [folder / name for name in shapes.file_names(shape)]
    if not (
        marker.exists()
        and json.loads(marker.read_text()) == wanted
        and all(p.exists() for p in paths)
    ):
        log(f"Generating the {shape} shape for {mentors:,} mentors in {folder} ...")
        shutil.rmtree(folder, ignore_errors=True)
        # In a process of its own, so this one stays small (it forks every measured process).
        command = python("-m", "benchmarks.shapes", shape, folder, str(mentors), str(SEED))
        _checked(run_process(command), f"the {shape} shape's files")
        marker.write_text(json.dumps(wanted))
    rows = 0
    for path in paths:
        if path.stem in ("attendance", "register"):
            with path.open("rb") as fh:
                rows += sum(1 for _ in fh) - 1
    return paths, rows


def _remove_db(db: Path) -> None:
    for extra in (db, Path(f"{db}.wal"), Path(f"{db}.tmp")):
        if extra.is_dir():
            shutil.rmtree(extra)
        else:
            extra.unlink(missing_ok=True)
    shutil.rmtree(db.parent / "snapshots", ignore_errors=True)


def _checked(run: ProcessRun, what: str) -> ProcessRun:
    if run.returncode != 0:
        raise BenchmarkFailed(f"{what} exited with {run.returncode}:\n{run.stderr[-3000:]}")
    return run


# --- the measurements ----------------------------------------------------------------------


def measure_import(
    scratch: Path, files: list[Path], runs: int, env: dict[str, str]
) -> dict[str, Any]:
    db = scratch / "db" / "programme.duckdb"
    bare = scratch / "bare" / "bare.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    bare.parent.mkdir(parents=True, exist_ok=True)
    imports: list[ProcessRun] = []
    loads: list[ProcessRun] = []
    for n in range(runs):
        _remove_db(db)
        command = python("-m", "analysis", "import", "--db", db, "--user", "benchmark", *files)
        imports.append(_checked(run_process(command, env=env), "the import"))
        _remove_db(bare)
        command = python("-m", "benchmarks.bare_load", bare, *files)
        loads.append(_checked(run_process(command, env=env), "the bare DuckDB load"))
        log(
            f"  import run {n + 1}/{runs}: {seconds(imports[-1].seconds)} "
            f"(peak {size(imports[-1].peak_rss)}); bare load {seconds(loads[-1].seconds)}"
        )
    _remove_db(bare)
    return {
        "db": db,
        "import_seconds": [r.seconds for r in imports],
        "import_cpu_seconds": [r.cpu_seconds for r in imports],
        "import_peak_rss": [r.peak_rss for r in imports],
        "bare_seconds": [r.seconds for r in loads],
        "bare_cpu_seconds": [r.cpu_seconds for r in loads],
    }


def measure_report(scratch: Path, db: Path, runs: int, env: dict[str, str]) -> dict[str, Any]:
    reports: list[ProcessRun] = []
    for n in range(runs):
        command = python("-m", "analysis", "report", "--db", db, "--format", "json")
        reports.append(_checked(run_process(command, env=env), "the report"))
        log(f"  report run {n + 1}/{runs}: {seconds(reports[-1].seconds)}")
    parquet = scratch / "parquet"
    shutil.rmtree(parquet, ignore_errors=True)
    pandas_report.export_parquet(db, parquet)
    pandas_seconds: list[float] = []
    pandas_cpu: list[float] = []
    figures: dict[str, Any] = {}
    for n in range(runs):
        run = _checked(
            run_process(python("-m", "benchmarks.pandas_report", parquet), env=env),
            "the pandas computation",
        )
        out = json.loads(run.stdout)
        pandas_seconds.append(float(out["seconds"]))
        pandas_cpu.append(float(out["cpu_seconds"]))
        figures = out["figures"]
        log(f"  pandas run {n + 1}/{runs}: {seconds(pandas_seconds[-1])}")
    disagreements = sorted(
        {d for r in reports for d in pandas_report.differences(figures, json.loads(r.stdout))}
    )
    return {
        "report_seconds": [r.seconds for r in reports],
        "report_cpu_seconds": [r.cpu_seconds for r in reports],
        "report_peak_rss": [r.peak_rss for r in reports],
        "pandas_seconds": pandas_seconds,
        "pandas_cpu_seconds": pandas_cpu,
        "disagreements": disagreements,
    }


def measure_pages(scratch: Path, runs: int, env: dict[str, str]) -> dict[str, Any]:
    out = scratch / "pages.json"
    _checked(
        run_process(python("-m", "benchmarks.pages", out, "--runs", str(runs)), env=env),
        "the page runs (AppTest)",
    )
    results: dict[str, Any] = json.loads(out.read_text())
    return results


def measure_browser(scratch: Path, runs: int, env: dict[str, str]) -> dict[str, Any]:
    from benchmarks.browser import visit_every_page

    results = []
    for n in range(runs):
        result = visit_every_page(env, scratch / "streamlit.log", page_files())
        results.append(result)
        log(f"  browser run {n + 1}/{runs}: server peak {size(result['peak_rss'])}")
    return {"runs": results}


def measure_readers(
    scratch: Path, files: list[Path], runs: int, env: dict[str, str]
) -> dict[str, Any]:
    """Three servers on a small programme, browsed while the shape's files are imported
    into it (a new database each run)."""
    from benchmarks.readers import measure, summary_line

    results = []
    for n in range(runs):
        work = scratch / "readers"
        shutil.rmtree(work, ignore_errors=True)
        result = measure(work / "db" / "programme.duckdb", files, work, env)
        results.append(result)
        log(f"  readers run {n + 1}/{runs}: {summary_line(result)}")
    return {"runs": results}


# --- the table -----------------------------------------------------------------------------


def _ratio_row(
    what: str,
    values: tuple[list[float], list[float]],
    baseline_name: str,
    baseline: tuple[list[float], list[float]],
    limit: float,
    limit_text: str,
) -> Row:
    """A whole-process time against its baseline: wall times (CPU times alongside)."""
    ratio = median(values[0]) / median(baseline[0])
    return Row(
        what,
        f"{seconds(median(values[0]))} (CPU {seconds(median(values[1]))})",
        f"{baseline_name} {seconds(median(baseline[0]))} (CPU {seconds(median(baseline[1]))})"
        f": **{ratio:.2f}×**",
        limit_text,
        ratio <= limit,
        str(len(values[0])),
    )


def _missing(what: str, target: str) -> Row:
    return Row(what, "not measured", "", target, None, "0")


def _import_rows(imp: dict[str, Any] | None) -> list[Row]:
    ratio_what = "Import: `python -m analysis import`, whole process"
    ratio_target = f"≤ {IMPORT_RATIO:g}× the bare load"
    wall_target = f"≤ {IMPORT_SECONDS:g} s (PRODUCT.md)"
    if imp is None:
        return [
            _missing(ratio_what, ratio_target),
            _missing("Import: wall time", wall_target),
            _missing("Import: peak memory (RSS)", "≤ 1 GB"),
        ]
    wall = median(imp["import_seconds"])
    peak = median(imp["import_peak_rss"])
    runs = str(len(imp["import_seconds"]))
    return [
        _ratio_row(
            ratio_what,
            (imp["import_seconds"], imp["import_cpu_seconds"]),
            "bare DuckDB load",
            (imp["bare_seconds"], imp["bare_cpu_seconds"]),
            IMPORT_RATIO,
            ratio_target,
        ),
        Row("Import: wall time", seconds(wall), "", wall_target, wall <= IMPORT_SECONDS, runs),
        Row("Import: peak memory (RSS)", size(peak), "", "≤ 1 GB", peak <= PEAK_BYTES, runs),
    ]


def _report_rows(rep: dict[str, Any] | None, notes: list[str]) -> list[Row]:
    ratio_what = "Report: `python -m analysis report --format json`, whole process"
    ratio_target = f"≤ {REPORT_RATIO:g}× pandas"
    if rep is None:
        return [
            _missing(ratio_what, ratio_target),
            _missing("Report: peak memory (RSS)", "≤ 1 GB"),
        ]
    if rep["disagreements"]:
        notes.append(
            "The pandas figures and the report's disagree: " + "; ".join(rep["disagreements"])
        )
    else:
        notes.append("The pandas figures agree with the report's (every report run checked).")
    peak = median(rep["report_peak_rss"])
    return [
        _ratio_row(
            ratio_what,
            (rep["report_seconds"], rep["report_cpu_seconds"]),
            "pandas from Parquet",
            (rep["pandas_seconds"], rep["pandas_cpu_seconds"]),
            REPORT_RATIO,
            ratio_target,
        ),
        Row(
            "Report: peak memory (RSS)",
            size(peak),
            "",
            "≤ 1 GB",
            peak <= PEAK_BYTES,
            str(len(rep["report_peak_rss"])),
        ),
    ]


def _timed_row(
    what: str,
    values: list[float],
    limit: float,
    target: str,
    errors: bool,
    sql: list[float] | None = None,
) -> Row:
    if not values:
        return _missing(what, target)
    value = median(values)
    against = f"in DuckDB: {seconds(median(sql))}" if sql else ""
    return Row(
        what, seconds(value), against, target, value <= limit and not errors, str(len(values))
    )


def _page_rows(
    page: str, runs: list[dict[str, Any]], browser: dict[str, Any] | None, notes: list[str]
) -> list[Row]:
    errors = sorted({e for r in runs for e in r["errors"]})
    if errors:
        notes.append(f"{page} showed an error in AppTest: {errors[0][:300]}")
    cold = [float(r["cold"]) for r in runs]
    filtered = [float(r["filter_change"]) for r in runs if r["filter_change"] is not None]
    # The part of each run spent inside DuckDB (benchmarks/pages.py), when it was recorded.
    cold_sql = [float(r["cold_sql"]) for r in runs if r.get("cold_sql") is not None]
    filtered_sql = [
        float(r["filter_change_sql"]) for r in runs if r.get("filter_change_sql") is not None
    ]
    sent = (
        [r["pages"][page]["bytes"] for r in browser["runs"] if page in r["pages"]]
        if (browser)
        else []
    )
    bytes_what = f"Page `{page}`: sent to the browser"
    bytes_target = f"≤ {PAGE_BYTES / 1e6:g} MB"
    return [
        _timed_row(
            f"Page `{page}`: server run, cold",
            cold,
            PAGE_COLD_SECONDS,
            f"≤ {PAGE_COLD_SECONDS:g} s",
            bool(errors),
            cold_sql,
        ),
        _timed_row(
            f"Page `{page}`: server run after a filter change",
            filtered,
            PAGE_FILTER_SECONDS,
            f"≤ {PAGE_FILTER_SECONDS * 1000:.0f} ms",
            bool(errors),
            filtered_sql,
        ),
        Row(
            bytes_what,
            size(median(sent)),
            "",
            bytes_target,
            median(sent) <= PAGE_BYTES,
            str(len(sent)),
        )
        if sent
        else _missing(bytes_what, bytes_target),
    ]


def _readers_row(readers: dict[str, Any] | None, notes: list[str]) -> Row:
    what = "Readers: slowest interaction with three servers while the import lands"
    target = f"≤ {READERS_SECONDS:g} s"
    if not readers:
        return _missing(what, target)
    runs = readers["runs"]
    errors = [e for r in runs for e in r["errors"]]
    for error in errors[:3]:
        notes.append(f"Readers during the import: {error}")
    if len(errors) > 3:
        notes.append(f"Readers during the import: {len(errors) - 3} more error(s) (results*.json).")
    slowest = [float(r["during_max"]) for r in runs if r["during_max"] is not None]
    after = [
        float(r["figures"]["after"]["max"])
        for r in runs
        if r["figures"]["after"]["max"] is not None
    ]
    if after:
        shown = all(all(r["new_data_shown"]) for r in runs)
        notes.append(
            f"Readers: after the import, each server's next interaction took up to "
            f"{seconds(max(after))} (a new version is read whole once); "
            + ("every server showed the new data." if shown else "not every server showed it.")
        )
    if not slowest:
        return Row(what, "no interaction during the import", "", target, None, str(len(runs)))
    typical = median([float(r["during_median"]) for r in runs if r["during_median"] is not None])
    count = sum(int(r["during_count"]) for r in runs)
    value = median(slowest)
    return Row(
        what,
        seconds(value),
        f"median interaction {seconds(typical)}; {count} interactions during the import, "
        f"{len(errors)} error(s)",
        target,
        value <= READERS_SECONDS and not errors,
        str(len(runs)),
    )


def build_rows(results: dict[str, Any], pages: list[str], notes: list[str]) -> list[Row]:
    """The table's rows, in order; a measure that did not run shows as not measured."""
    rows = _import_rows(results.get("import"))
    rows += _report_rows(results.get("report"), notes)
    browser = results.get("browser")
    for page in pages:
        rows += _page_rows(page, results.get("pages", {}).get(page, []), browser, notes)
    memory_what = "Dashboard server: peak memory (VmHWM) while every page is visited"
    if browser:
        peaks = [r["peak_rss"] for r in browser["runs"]]
        peak = median(peaks)
        rows.append(Row(memory_what, size(peak), "", "≤ 1 GB", peak <= PEAK_BYTES, str(len(peaks))))
        for run in browser["runs"]:
            for page, visit in run["pages"].items():
                if visit["errors"]:
                    notes.append(f"Chromium showed an error on {page}: {visit['errors'][0][:300]}")
    else:
        rows.append(_missing(memory_what, "≤ 1 GB"))
    rows.append(_readers_row(results.get("readers"), notes))
    return rows


def table(rows: list[Row]) -> str:
    cells = [HEADER, *(r.cells() for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) + " |"
        for cell in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


@dataclass
class ShapeRun:
    """One shape at one size: what was measured, and the notes for its table."""

    shape: str
    mentors: int
    attendance_rows: int
    results: dict[str, Any]
    notes: list[str]
    rows: list[Row]


def results_section(runs: list[ShapeRun], facts: dict[str, str], args: argparse.Namespace) -> str:
    lines = ["## Results", ""]
    for run in runs:
        met = sum(1 for r in run.rows if r.met)
        missed = sum(1 for r in run.rows if r.met is False)
        lines += [
            f"### The {run.shape} shape: {run.attendance_rows:,} attendance rows",
            "",
            f"{SHAPE_TEXT[run.shape]} {run.mentors:,} mentors (seed {SEED}). Medians of "
            f"{args.runs} run(s) each; {met} target(s) met, {missed} not met.",
            "",
            table(run.rows),
            "",
            "Notes:",
            "",
            *[f"- {n}" for n in run.notes],
            "",
        ]
    lines += [
        f"Command: `{facts['command']}`.",
        "",
        "Machine:",
        "",
        *[f"- {k}: {v}" for k, v in facts.items() if k != "command"],
    ]
    return "\n".join(lines)


SHAPE_TEXT = {
    "demo": "The demo generator's five CSV files (`analysis.demo_data`),",
    "export": (
        "An export's files (`benchmarks/shapes.py`): mentors as `.xlsx`, sessions, attendance, a "
        "register (training, group days, events), assessments and milestones as CSV; UK "
        "`DD/MM/YYYY HH:MM` in a third of the rows, notes on 45 %, 5.5 % of rows late inside the "
        "grace period (one warning each);"
    ),
}


def write_markdown(path: Path, section: str, start: str = START, end: str = END) -> None:
    block = f"{start}\n{section}\n{end}"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if start in text and end in text:
            before, rest = text.split(start, 1)
            after = rest.split(end, 1)[1]
            path.write_text(before + block + after, encoding="utf-8")
            return
        path.write_text(text.rstrip("\n") + "\n\n" + block + "\n", encoding="utf-8")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# Benchmarks\n\n{block}\n", encoding="utf-8")


# --- the command ---------------------------------------------------------------------------


def rows_count(text: str) -> int:
    """`250k`, `1M`, `4M` or a plain number of attendance rows."""
    text = text.strip().replace(",", "").replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    number = float(text[:-1] if scale > 1 else text)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of rows")
    return round(number * scale)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py", description="Measure the dashboard against its quality bars."
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--rows",
        type=rows_count,
        help=f"attendance rows, as 250k, 1M, 4M or a number (default {DEFAULT_ROWS:,})",
    )
    size.add_argument("--mentors", type=int, help="the programme's size in mentors instead")
    parser.add_argument(
        "--shape",
        choices=(*shapes.SHAPES, "both"),
        default="both",
        help="the files' shape (default both)",
    )
    parser.add_argument("--runs", type=int, help=f"runs of each measure (default {DEFAULT_RUNS})")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a tiny size ({QUICK_MENTORS} mentors, 1 run) to check the benchmark itself works",
    )
    parser.add_argument("--skip-browser", action="store_true", help="no Chromium measurements")
    parser.add_argument(
        "--growth",
        nargs="?",
        const=DEFAULT_GROWTH,
        help=f"measure at several sizes (default {DEFAULT_GROWTH}) and draw the growth curve",
    )
    parser.add_argument(
        "--scratch", type=Path, default=ROOT / "benchmarks" / "scratch", help="working folder"
    )
    parser.add_argument(
        "--from-results",
        type=Path,
        nargs="+",
        metavar="RESULTS_JSON",
        help="measure nothing: write the tables from the results.json of earlier runs",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="the results file (default BENCHMARKS.md; with --quick, SCRATCH/BENCHMARKS.md)",
    )
    args = parser.parse_args(argv)
    if args.mentors is None:
        rows = args.rows or DEFAULT_ROWS
        args.mentors = QUICK_MENTORS if args.quick and not args.rows else None
        args.mentors = args.mentors or shapes.mentors_for_rows(rows)
    args.runs = args.runs or (1 if args.quick else DEFAULT_RUNS)
    if args.mentors < 1 or args.runs < 1:
        parser.error("--mentors and --runs must be at least 1")
    args.sizes = [args.mentors]
    if args.growth:
        try:
            args.sizes = [shapes.mentors_for_rows(rows_count(t)) for t in args.growth.split(",")]
        except (argparse.ArgumentTypeError, ValueError):
            parser.error(f"--growth takes sizes such as {DEFAULT_GROWTH}")
    args.shapes = list(shapes.SHAPES) if args.shape == "both" else [args.shape]
    args.scratch = args.scratch.resolve()
    if args.output is None:
        args.output = args.scratch / "BENCHMARKS.md" if args.quick else ROOT / "BENCHMARKS.md"
    return args


def measure_shape(
    args: argparse.Namespace,
    shape: str,
    mentors: int,
    save: Callable[[ShapeRun], None] | None = None,
) -> ShapeRun:
    """Every measure of one shape at one size; a measure that fails is noted, not fatal.
    `save` gets what is measured so far after each measure."""
    scratch: Path = args.scratch / f"{shape}-{mentors}"
    scratch.mkdir(parents=True, exist_ok=True)
    files, attendance_rows = generate(scratch, shape, mentors)
    db = scratch / "db" / "programme.duckdb"
    env = bench_env(db, scratch)
    results: dict[str, Any] = {}
    notes: list[str] = []

    def attempt(name: str, key: str, measure: Callable[[], dict[str, Any]]) -> None:
        log(f"Measuring {name} ({shape}, {attendance_rows:,} attendance rows) ...")
        try:
            results[key] = measure()
        except Exception as exc:  # one measure failing must not lose the others
            message = f"{type(exc).__name__}: {exc}".strip()
            log(f"error: {name} could not run: {message}")
            notes.append(f"{name.capitalize()} could not run: {message.splitlines()[0][:300]}")
            results.setdefault("failed", []).append(name)
        if save is not None:
            save(ShapeRun(shape, mentors, attendance_rows, results, notes, []))

    attempt("the import", "import", lambda: measure_import(scratch, files, args.runs, env))
    if "import" in results:  # everything below reads the imported database
        attempt("the report", "report", lambda: measure_report(scratch, db, args.runs, env))
        attempt("the pages in AppTest", "pages", lambda: measure_pages(scratch, args.runs, env))
        if args.skip_browser:
            notes.append("The browser measurements were skipped (--skip-browser).")
        else:
            attempt("in Chromium", "browser", lambda: measure_browser(scratch, args.runs, env))
            attempt(
                "readers during an import, in Chromium",
                "readers",
                lambda: measure_readers(scratch, files, args.runs, env),
            )
    rows = build_rows(results, page_files(), notes)
    return ShapeRun(shape, mentors, attendance_rows, results, notes, rows)


def _raw(runs: list[ShapeRun]) -> list[dict[str, Any]]:
    return [
        {
            "shape": r.shape,
            "mentors": r.mentors,
            "attendance_rows": r.attendance_rows,
            "results": {
                k: ({kk: vv for kk, vv in v.items() if kk != "db"} if isinstance(v, dict) else v)
                for k, v in r.results.items()
            },
        }
        for r in runs
    ]


def _load_runs(files: list[Path]) -> tuple[list[ShapeRun], list[dict[str, str]]]:
    """The runs recorded in results.json files (of runs measured separately, say one per
    shape), for --from-results."""
    runs: list[ShapeRun] = []
    facts: list[dict[str, str]] = []
    for path in files:
        data = json.loads(path.read_text())
        facts.append(data["facts"])
        for raw in data["runs"]:
            notes: list[str] = []
            rows = build_rows(raw["results"], page_files(), notes)
            runs.append(
                ShapeRun(
                    raw["shape"],
                    raw["mentors"],
                    raw["attendance_rows"],
                    raw["results"],
                    notes,
                    rows,
                )
            )
    return runs, facts


def results_path(args: argparse.Namespace) -> Path:
    """Every raw figure: results.json, or results-SHAPE.json for one shape (so that the two
    shapes can be measured by two runs at once, and written together with --from-results)."""
    name = "results.json" if args.shape == "both" else f"results-{args.shape}.json"
    return Path(args.scratch) / name


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.scratch.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load_before = load_average()
    command = (
        "python benchmarks/run.py"
        + (f" --growth {args.growth}" if args.growth else f" --mentors {args.mentors}")
        + (f" --shape {args.shape}" if args.shape != "both" else "")
        + (f" --runs {args.runs}" if args.runs != DEFAULT_RUNS else "")
        + (" --skip-browser" if args.skip_browser else "")
    )

    def current_facts() -> dict[str, str]:
        return {
            "command": command,
            **machine(),
            "load average (1, 5, 15 min)": (
                f"{load_before} at the start, {load_average()} at the end"
            ),
            "benchmark time": f"{(time.perf_counter() - started) / 60:.1f} minutes",
        }

    runs: list[ShapeRun] = []

    def save(partial: ShapeRun) -> None:
        """Kept as it goes: a long run stopped early still has what it measured."""
        raw = _raw([*runs, partial])
        results_path(args).write_text(
            json.dumps({"facts": current_facts(), "runs": raw}, default=str)
        )

    if args.from_results:
        runs, recorded = _load_runs(args.from_results)
        facts = recorded[0] | {
            "command": " and ".join(f["command"] for f in recorded),
            "load average (1, 5, 15 min)": "; ".join(
                f["load average (1, 5, 15 min)"] for f in recorded
            ),
            "benchmark time": "; ".join(f["benchmark time"] for f in recorded),
        }
        args.growth = args.growth or len({r.mentors for r in runs}) > 1
        args.sizes = sorted({r.mentors for r in runs})
    else:
        try:
            for mentors in args.sizes:
                for shape in args.shapes:
                    runs.append(measure_shape(args, shape, mentors, save))
        except BenchmarkFailed as exc:
            log(f"error: {exc}")
            return 1
        facts = current_facts()
    failed = any("failed" in r.results for r in runs)
    # The results table: the size asked for, or with --growth the one nearest a million rows.
    main_size = min(args.sizes, key=lambda m: abs(m - shapes.mentors_for_rows(DEFAULT_ROWS)))
    shown = sorted((r for r in runs if r.mentors == main_size), key=lambda r: r.shape)
    for run in shown:
        print(f"{run.shape} shape, {run.attendance_rows:,} attendance rows")
        print(table(run.rows))
        print()
        for note in run.notes:
            print(f"note: {note}")
        print()
    write_markdown(args.output, results_section(shown, facts, args))
    if args.growth:
        points = [growth.point(r.shape, r.attendance_rows, r.results) for r in runs]
        plot = args.output.parent / "benchmarks" / growth.PLOT_NAME
        if args.quick:
            plot = args.scratch / growth.PLOT_NAME
        plot_problem = growth.draw(points, plot)
        section = growth.section(points, plot.relative_to(args.output.parent), facts, plot_problem)
        print(growth.table(points))
        write_markdown(args.output, section, growth.START, growth.END)
    if not args.from_results and not args.skip_browser:
        log("Measuring felt speed in Chromium at the demo's size ...")
        try:
            felt_result = felt.measure(
                None,
                args.scratch / "felt-demo",
                mentors=FELT_QUICK_MENTORS if args.quick else None,
            )
            where = f"At the demo's size ({felt_result['db']})"
            write_markdown(args.output, felt.section(felt_result, where), felt.START, felt.END)
            (args.scratch / "results-felt.json").write_text(json.dumps(felt_result, indent=1))
            print(felt.table(felt_result))
        except Exception as exc:  # noted, as any measure that could not run
            log(f"error: felt speed could not run: {type(exc).__name__}: {exc}")
            failed = True
    if not args.from_results:
        results_path(args).write_text(
            json.dumps({"facts": facts, "runs": _raw(runs)}, indent=1, default=str)
        )
    log(f"Wrote {args.output} (raw figures in {results_path(args)}).")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
