"""The package's layers and the absence of import cycles, held by import-linter (`.importlinter`,
docs/ARCHITECTURE.md) rather than by a hand-written check."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(*config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *map(str, config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layers_hold_and_there_is_no_import_cycle() -> None:
    done = lint_imports()
    assert done.returncode == 0, done.stdout[-4000:]
    assert "3 kept, 0 broken" in done.stdout


def test_a_layer_that_imports_upwards_is_reported(tmp_path: Path) -> None:
    """The tool checks the real graph: with the views below the figures they read, and the
    registry above the import contract that reads it, the contract breaks and says where."""
    config = tmp_path / "upside-down.ini"
    config.write_text(
        "[importlinter]\nroot_packages =\n    analysis\n\n"
        "[importlinter:contract:upside-down]\nname = upside down\ntype = layers\n"
        "layers =\n    analysis.figures\n    analysis.records\n    analysis.metrics\n"
        "    analysis.views\n",
        encoding="utf-8",
    )
    done = lint_imports(config)
    assert done.returncode == 1
    assert "BROKEN" in done.stdout
    assert "analysis.records -> analysis.figures" in done.stdout
    assert "analysis.views -> analysis.metrics" in done.stdout


def test_the_config_lists_every_module_of_the_package() -> None:
    """`exhaustive = true`: a new module must be given its layer (the tool refuses otherwise)."""
    text = (ROOT / ".importlinter").read_text(encoding="utf-8")
    assert "exhaustive = true" in text
    listed = {
        name.strip()
        for line in text.split("layers =", 1)[1].split("exhaustive", 1)[0].splitlines()
        for name in line.split(":")
        if name.strip()
    }
    on_disk = {p.stem for p in (ROOT / "analysis").glob("*.py") if p.stem != "__init__"}
    on_disk |= {p.name for p in (ROOT / "analysis").iterdir() if (p / "__init__.py").exists()}
    assert listed == on_disk


def layer_ranks() -> dict[str, int]:
    """Each module of `.importlinter`'s layers contract with its rank (higher: nearer the top)."""
    text = (ROOT / ".importlinter").read_text(encoding="utf-8")
    lines = [
        line.strip()
        for line in text.split("layers =", 1)[1].split("exhaustive", 1)[0].splitlines()
        if line.strip()
    ]
    return {
        f"analysis.{name.strip()}": len(lines) - i
        for i, line in enumerate(lines)
        for name in line.split(":")
    }


def test_a_filter_travels_down_and_never_climbs_back(clean_db: Path) -> None:
    """One pass down, watched as it runs: every call made while a filtered page view is computed
    goes from a module to one in its own layer or a lower one (views → metrics → query → SQL);
    no lower module calls back up into a higher one."""
    import datetime as dt

    from analysis import database, metrics, views
    from analysis.settings import Settings

    ranks = layer_ranks()
    climbs: set[tuple[str, str]] = set()
    calls: set[tuple[str, str]] = set()

    def module_of(frame: FrameType | None) -> str:
        name = str(frame.f_globals.get("__name__", "")) if frame is not None else ""
        return ".".join(name.split(".")[:2]) if name.startswith("analysis.charts") else name

    def watch(frame: FrameType, event: str, arg: object) -> None:
        # A generator resumed by whoever it was handed to is data flowing down, not a call.
        if event != "call" or frame.f_code.co_flags & inspect.CO_GENERATOR:
            return
        callee = module_of(frame)
        caller = module_of(frame.f_back)
        if callee in ranks and caller in ranks and caller != callee:
            calls.add((caller, callee))
            if ranks[caller] < ranks[callee]:
                climbs.add((caller, callee))

    scope = metrics.Scope(dt.date(2025, 1, 1), dt.date(2025, 6, 30), cohorts=("2024 Q4",))
    with database.connect(clean_db) as con:
        sys.setprofile(watch)
        try:
            views.headline_figures(con, scope, Settings())
            views.attendance_by_month(con, scope, Settings())
            views.shadowing_progress(con, scope, Settings(), order="most")
        finally:
            sys.setprofile(None)
    assert ("analysis.views", "analysis.metrics") in calls
    assert ("analysis.metrics", "analysis.query") in calls
    assert climbs == set()
