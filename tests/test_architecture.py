"""The package's layers and the absence of import cycles, held by import-linter (`.importlinter`,
docs/ARCHITECTURE.md) rather than by a hand-written check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
