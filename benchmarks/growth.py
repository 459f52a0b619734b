"""The growth curve: import, report and page costs per attendance row at several sizes.

`benchmarks/run.py --growth 250k,1M,4M` measures every size on each shape; this module turns
the medians into one point per shape and size, the table and the checks of BENCHMARKS.md
(cost per row at the largest size within 1.25× of the cost at a million rows; at the largest
size pages ≤ 1 s after a filter change and ≤ 1 GB for the import and the server), and the plot
(a PNG drawn with plotly and kaleido).
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

START = "<!-- growth results: start (written by benchmarks/run.py --growth) -->"
END = "<!-- growth results: end -->"
PLOT_NAME = "growth.png"
PER_ROW_RATIO = 1.25
LARGE_FILTER_SECONDS = 1.0
PEAK_BYTES = 1_000_000_000
REFERENCE_ROWS = 1_000_000


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def point(shape: str, rows: int, results: dict[str, Any]) -> dict[str, Any]:
    """The medians of one shape at one size (None where a measure did not run)."""
    imp = results.get("import") or {}
    rep = results.get("report") or {}
    pages = results.get("pages") or {}
    browser = results.get("browser") or {}
    cold = {p: _median([float(r["cold"]) for r in runs]) for p, runs in pages.items()}
    filtered = {
        p: _median([float(r["filter_change"]) for r in runs if r["filter_change"] is not None])
        for p, runs in pages.items()
    }
    worst = max(
        ((p, v) for p, v in filtered.items() if v is not None), key=lambda pv: pv[1], default=None
    )
    return {
        "shape": shape,
        "rows": rows,
        "import": _median(imp.get("import_seconds", [])),
        "import_cpu": _median(imp.get("import_cpu_seconds", [])),
        "report_cpu": _median(rep.get("report_cpu_seconds", [])),
        "pages_filter_cpu": (
            sum(
                v
                for v in (
                    _median(
                        [
                            float(r["filter_change_cpu"])
                            for r in runs
                            if r.get("filter_change_cpu") is not None
                        ]
                    )
                    for runs in pages.values()
                )
                if v is not None
            )
            if any(r.get("filter_change_cpu") is not None for rs in pages.values() for r in rs)
            else None
        ),
        "bare": _median(imp.get("bare_seconds", [])),
        "import_peak": _median(imp.get("import_peak_rss", [])),
        "report": _median(rep.get("report_seconds", [])),
        "pandas": _median(rep.get("pandas_seconds", [])),
        "pages_cold": sum(v for v in cold.values() if v is not None) if cold else None,
        "pages_filter": sum(v for v in filtered.values() if v is not None) if filtered else None,
        "worst_filter": worst,
        "server_peak": _median([float(r["peak_rss"]) for r in browser.get("runs", [])]),
    }


def _s(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _us(value: float | None, rows: int) -> str:
    return "—" if value is None else f"{value / rows * 1e6:.2f}"


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value / 1e6:.0f} MB"


def table(points: list[dict[str, Any]]) -> str:
    header = [
        "Shape",
        "Attendance rows",
        "Import",
        "µs/row",
        "CPU µs/row",
        "Report",
        "µs/row",
        "CPU µs/row",
        "Pages cold (sum)",
        "µs/row",
        "Pages filter change (sum)",
        "µs/row",
        "Slowest filter change",
        "Import peak",
        "Server peak",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for p in sorted(points, key=lambda p: (p["shape"], p["rows"])):
        worst = p["worst_filter"]
        cells = [
            p["shape"],
            f"{p['rows']:,}",
            _s(p["import"]),
            _us(p["import"], p["rows"]),
            _us(p.get("import_cpu"), p["rows"]),
            _s(p["report"]),
            _us(p["report"], p["rows"]),
            _us(p.get("report_cpu"), p["rows"]),
            _s(p["pages_cold"]),
            _us(p["pages_cold"], p["rows"]),
            _s(p["pages_filter"]),
            _us(p["pages_filter"], p["rows"]),
            f"{_s(worst[1])} (`{worst[0]}`)" if worst else "—",
            _mb(p["import_peak"]),
            _mb(p["server_peak"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def checks(points: list[dict[str, Any]]) -> list[tuple[str, str, str, bool | None]]:
    """(what, measured, target, met) for each shape: per-row cost at the largest size against
    the size nearest a million rows, and the largest size's absolute bars."""
    out: list[tuple[str, str, str, bool | None]] = []
    for shape in sorted({p["shape"] for p in points}):
        mine = sorted((p for p in points if p["shape"] == shape), key=lambda p: p["rows"])
        large = mine[-1]
        ref = min(mine[:-1] or mine, key=lambda p: abs(p["rows"] - REFERENCE_ROWS))
        sizes = f"{large['rows']:,} vs {ref['rows']:,} rows"
        for key, name in (
            ("import", "import"),
            ("report", "report"),
            ("pages_cold", "pages, cold"),
            ("pages_filter", "pages, filter change"),
        ):
            if large[key] is None or ref[key] is None or large is ref:
                out.append((f"{shape}: {name} cost per row, {sizes}", "—", "≤ 1.25×", None))
                continue
            ratio = (large[key] / large["rows"]) / (ref[key] / ref["rows"])
            cpu_key = f"{key}_cpu"
            measured = f"{ratio:.2f}×"
            if large.get(cpu_key) and ref.get(cpu_key):
                cpu_ratio = (large[cpu_key] / large["rows"]) / (ref[cpu_key] / ref["rows"])
                measured += f" (CPU {cpu_ratio:.2f}×)"
            out.append(
                (
                    f"{shape}: {name} cost per row, {sizes}",
                    measured,
                    f"≤ {PER_ROW_RATIO:g}×",
                    ratio <= PER_ROW_RATIO,
                )
            )
        worst = large["worst_filter"]
        out.append(
            (
                f"{shape}: slowest page after a filter change at {large['rows']:,} rows",
                f"{_s(worst[1])} (`{worst[0]}`)" if worst else "—",
                f"≤ {LARGE_FILTER_SECONDS:g} s",
                None if worst is None else worst[1] <= LARGE_FILTER_SECONDS,
            )
        )
        for key, name in (("import_peak", "import"), ("server_peak", "dashboard server")):
            value = large[key]
            out.append(
                (
                    f"{shape}: {name} peak memory at {large['rows']:,} rows",
                    _mb(value),
                    "≤ 1 GB",
                    None if value is None else value <= PEAK_BYTES,
                )
            )
    return out


def draw(points: list[dict[str, Any]], path: Path) -> str | None:
    """The plot as a PNG at `path`; a sentence saying why not, if it cannot be drawn."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from analysis import rendering

    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("Cost per attendance row (µs)", "Peak memory (MB)"),
        horizontal_spacing=0.12,
    )
    colours = {"import": "#0072B2", "report": "#E69F00", "pages_filter": "#009E73"}
    dashes = {"demo": "solid", "export": "dash"}
    names = {"import": "import", "report": "report", "pages_filter": "pages, filter change"}
    for shape in sorted({p["shape"] for p in points}):
        mine = sorted((p for p in points if p["shape"] == shape), key=lambda p: p["rows"])
        for base in ("import", "report", "pages_filter"):
            # CPU time where it was recorded: it moves less than wall time on a shared machine.
            key = f"{base}_cpu" if all(p.get(f"{base}_cpu") for p in mine) else base
            xs = [p["rows"] for p in mine if p[key] is not None]
            ys = [p[key] / p["rows"] * 1e6 for p in mine if p[key] is not None]
            figure.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines+markers",
                    name=f"{names[base]}{', CPU' if key != base else ''} ({shape})",
                    line={"color": colours[base], "dash": dashes.get(shape, "dot")},
                ),
                row=1,
                col=1,
            )
        for key, colour in (("import_peak", "#0072B2"), ("server_peak", "#CC79A7")):
            xs = [p["rows"] for p in mine if p[key] is not None]
            ys = [p[key] / 1e6 for p in mine if p[key] is not None]
            figure.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines+markers",
                    name=f"{'import' if key == 'import_peak' else 'server'} memory ({shape})",
                    line={"color": colour, "dash": dashes.get(shape, "dot")},
                ),
                row=1,
                col=2,
            )
    figure.add_hline(y=1000, line={"color": "#999999", "dash": "dot"}, row=1, col=2)
    figure.update_xaxes(type="log", title_text="attendance rows")
    figure.update_yaxes(rangemode="tozero")
    figure.update_layout(
        width=1100,
        height=480,
        template="plotly_white",
        title="Growth: cost per attendance row and peak memory, by size",
        legend={"orientation": "h", "y": -0.25},
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # In a child process with a time limit (analysis/rendering.py): Kaleido can hang.
        path.write_bytes(rendering.images([figure], scale=1)[0])
    except (RuntimeError, OSError, ValueError) as exc:
        return f"the plot could not be drawn ({type(exc).__name__}: {str(exc)[:200]})"
    return None


def section(
    points: list[dict[str, Any]], plot: Path, facts: dict[str, str], problem: str | None
) -> str:
    rows = checks(points)
    marks = {None: "—", True: "✓", False: "✗"}
    check_lines = [
        "| Check | Measured | Target | Met |",
        "|---|---|---|---|",
        *[f"| {w} | {m} | {t} | {marks[ok]} |" for w, m, t, ok in rows],
    ]
    lines = [
        "## Growth",
        "",
        "Medians per shape and size (`Pages` sums every page's server run; µs/row is the wall "
        "time divided by the attendance rows, CPU µs/row the process's CPU time, every thread, "
        "which moves less when the machine is shared). "
        f"Command: `{facts['command']}`; load average {facts['load average (1, 5, 15 min)']}; "
        f"commit {facts['commit']}; {facts['date']}.",
        "",
        table(points),
        "",
        *check_lines,
        "",
        problem or f"![Cost per row and peak memory against the number of rows]({plot.as_posix()})",
    ]
    return "\n".join(lines)
