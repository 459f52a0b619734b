"""Figures are drawn by Kaleido in a child process with a time limit (analysis/rendering.py): a
drawing that hangs is killed with its browser and tried again; one that fails says why at once.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import plotly.graph_objects as go
import pytest

from analysis import rendering

PNG = b"\x89PNG\r\n\x1a\n"


def _figures() -> list[go.Figure]:
    return [go.Figure(go.Bar(x=["a", "b"], y=[1, 2])), go.Figure(go.Scatter(x=[1, 2], y=[2, 1]))]


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_each_figure_is_drawn_at_its_size() -> None:
    drawn = rendering.images(_figures(), width=[300, 200], height=[150, 100], scale=2)
    assert [d[:8] for d in drawn] == [PNG, PNG]
    assert [_png_size(d) for d in drawn] == [(600, 300), (400, 200)]


# A drawing that works, standing in for Kaleido: two files that start as PNGs, in OUT_DIR ($3).
DRAWS = '  cat "$0.png" > "$3/0.png"; cat "$0.png" > "$3/1.png"; cat > /dev/null; exit 0'


def _fake_python(tmp_path: Path, first_call: str) -> Path:
    """An executable standing in for `python -m analysis.rendering OUT_DIR`: its first call
    does `first_call`, later calls draw."""
    calls = tmp_path / "calls"
    script = tmp_path / "python"
    (tmp_path / "python.png").write_bytes(PNG + b"drawn")
    script.write_text(
        "#!/bin/sh\n"
        f'echo call >> "{calls}"\n'
        f'if [ "$(wc -l < "{calls}")" -eq 1 ]; then\n{first_call}\nfi\n'
        f"{DRAWS}\n"
    )
    script.chmod(0o755)
    return script


def test_a_hung_drawing_is_killed_with_its_children_and_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = tmp_path / "grandchild.pid"
    # The first drawing hangs, and has started a process of its own (as Kaleido starts a browser).
    hang = f'  sleep 600 & echo $! > "{pid_file}"\n  sleep 600'
    monkeypatch.setattr(sys, "executable", str(_fake_python(tmp_path, hang)))
    started = time.monotonic()
    drawn = rendering.images(_figures(), width=300, height=150, timeout=3)
    assert drawn == [PNG + b"drawn", PNG + b"drawn"]
    assert (tmp_path / "calls").read_text().count("call") == 2
    assert time.monotonic() - started < 60
    grandchild = int(pid_file.read_text())
    assert not _running(grandchild)  # killed with the child, not left running


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (a killed one whose parent is gone may stay a zombie
    until the system reaps it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_a_drawing_that_fails_says_why_and_is_not_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail = '  echo "BrowserFailedError: no Chrome or Chromium found" >&2\n  exit 1'
    monkeypatch.setattr(sys, "executable", str(_fake_python(tmp_path, fail)))
    with pytest.raises(rendering.RenderFailed, match="no Chrome or Chromium found"):
        rendering.images(_figures())
    assert (tmp_path / "calls").read_text().count("call") == 1


def test_a_drawing_that_always_hangs_is_refused_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\nsleep 600\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(script))
    with pytest.raises(rendering.RenderFailed, match="did not finish within 1 seconds"):
        rendering.images(_figures(), timeout=1, attempts=2)
