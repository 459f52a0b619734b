"""Plotly figures to PNG (or SVG) through Kaleido, in a child process with a time limit.

Kaleido drives Chrome or Chromium, and now and then it never returns: the browser is up but the
Python side waits for ever (a known Kaleido fault, seen here once in a test run). A funder's pack
must not hang a page or a command for that, so the drawing runs in a child process of its own
session: if it has not finished within `timeout` seconds, the child and its browser are killed
and the drawing is tried once more. A real failure (no browser on this computer) is not tried
again: it is raised at once with the child's own last line.

    python -m analysis.rendering OUT_DIR   (the figures and sizes as JSON on standard input)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 120.0
ATTEMPTS = 2


class RenderFailed(RuntimeError):
    """The figures could not be drawn (the message says why, in one line)."""


def images(
    figures: Sequence[go.Figure],
    *,
    format: str = "png",
    width: Sequence[int] | int | None = None,
    height: Sequence[int] | int | None = None,
    scale: float = 1,
    timeout: float = TIMEOUT_SECONDS,
    attempts: int = ATTEMPTS,
) -> list[bytes]:
    """Each figure drawn as `format` ("png" or "svg"), in order; raise RenderFailed."""
    if format not in ("png", "svg"):
        raise ValueError(f"cannot draw {format!r}: use png or svg")
    if not figures:
        return []
    payload = json.dumps(
        {
            "figures": [f.to_plotly_json() for f in figures],
            "width": width,
            "height": height,
            "scale": scale,
            "format": format,
        },
        cls=_encoder(),
    )
    problem = "not tried"
    for _ in range(max(1, attempts)):
        with tempfile.TemporaryDirectory(prefix="pm-render-") as tmp:
            child = subprocess.Popen(
                [sys.executable, "-m", "analysis.rendering", tmp],
                cwd=ROOT,  # where `analysis` is, whatever the caller's folder
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,  # its browser too is in the group killed on a hang
            )
            try:
                _, err = child.communicate(payload, timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill(child)
                problem = f"Kaleido did not finish within {timeout:g} seconds"
                continue
            if child.returncode == 0:
                return [(Path(tmp) / f"{n}.{format}").read_bytes() for n in range(len(figures))]
            lines = [line for line in err.strip().splitlines() if line.strip()]
            raise RenderFailed(lines[-1] if lines else f"Kaleido stopped ({child.returncode})")
    raise RenderFailed(problem)


def _encoder() -> type[json.JSONEncoder]:
    from plotly.utils import PlotlyJSONEncoder

    return PlotlyJSONEncoder


def _kill(child: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    child.communicate()


def _draw(out: Path, request: dict[str, Any]) -> None:
    import plotly.io as pio

    figures = [go.Figure(f) for f in request["figures"]]
    paths = [out / f"{n}.{request['format']}" for n in range(len(figures))]
    pio.write_images(
        figures,
        paths,
        format=request["format"],
        scale=request["scale"],
        width=request["width"],
        height=request["height"],
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m analysis.rendering OUT_DIR < request.json", file=sys.stderr)
        return 2
    try:
        _draw(Path(args[0]), json.loads(sys.stdin.read()))
    except Exception as exc:  # one line for the parent: it becomes the user's message
        text = str(exc).strip().splitlines()
        print(f"{type(exc).__name__}: {text[0] if text else ''}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
