"""Settings: defaults that work with no file, one documented TOML file to change them."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_FILE = PROJECT_ROOT / "settings.toml"
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "programme.duckdb"

DEFAULT_STAGE_LABELS: tuple[str, ...] = (
    "Immobilisation",
    "Minimisation",
    "Self-doubt",
    "Letting go",
    "Testing",
    "Search for meaning",
    "Internalisation",
)

# What each setting means, in the words the "How we count" page and the README use.
SETTING_DESCRIPTIONS: dict[str, str] = {
    "grace_minutes": "Minutes after the scheduled start before an arrival counts as late.",
    "shadowing_target_hours": "Hours of shadowing a member of staff each mentor completes.",
    "suppression_k": "Funders' views hide any figure resting on fewer than this many people.",
    "lookback_days": "Days, ending on the last day of the window, that the early-warning flags look at.",
    "stage_labels": "The names shown for the seven stages of the transition curve.",
    "organisation_name": "The organisation's name on the impact pack and the page titles.",
    "timezone": "The programme's local time zone: imported date-times that carry a zone (Salesforce's UTC times) are converted to it.",
    "database": "Where the DuckDB file lives (the DASHBOARD_DB environment variable wins).",
    "session_hours": "Hours a sign-in lasts before its holder must sign in again.",
    "retention_years": "Years after a mentor's end date that their records are kept; not set keeps them until erased by hand (`python -m analysis retention`).",
}


# Tables of the settings file that their own modules read: [email] (analysis/sending.py).
SECTIONS = {"email"}


class SettingsError(ValueError):
    """The settings file cannot be read or holds a value that makes no sense."""


@dataclass(frozen=True)
class Settings:
    grace_minutes: int = 5
    shadowing_target_hours: float = 10
    suppression_k: int = 5
    lookback_days: int = 28
    stage_labels: tuple[str, ...] = field(default=DEFAULT_STAGE_LABELS)
    organisation_name: str = "Peer Mentor Programme"
    timezone: str = "Europe/London"
    database: str = str(DEFAULT_DB_PATH)
    session_hours: float = 10  # a working day
    retention_years: int | None = None  # not set: nothing is erased by the retention rule

    def stage_label(self, stage: int) -> str:
        return f"{stage} {self.stage_labels[stage - 1]}"


def load_settings(path: Path | None = None) -> Settings:
    """Defaults, overridden by the settings file (if any), then by DASHBOARD_DB."""
    if path is None:
        env_path = os.environ.get("DASHBOARD_SETTINGS")
        path = Path(env_path) if env_path else DEFAULT_SETTINGS_FILE
    settings = Settings()
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"settings file {path} cannot be read: {exc}") from exc
        known = {f.name for f in fields(Settings)}
        unknown = sorted(set(raw) - known - SECTIONS)
        if unknown:
            raise SettingsError(f"settings file {path}: unknown setting(s) {', '.join(unknown)}")
        own = {k: v for k, v in raw.items() if k not in SECTIONS}
        settings = replace(settings, **_checked(own, path))
    env_db = os.environ.get("DASHBOARD_DB")
    if env_db:
        settings = replace(settings, database=env_db)
    elif not Path(settings.database).is_absolute():
        settings = replace(settings, database=str(PROJECT_ROOT / settings.database))
    return settings


def _checked(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "retention_years":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise SettingsError(f"settings file {path}: {key} must be a whole number ≥ 1")
        elif key in ("grace_minutes", "suppression_k", "lookback_days"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SettingsError(f"settings file {path}: {key} must be a whole number ≥ 0")
            if key in ("suppression_k", "lookback_days") and value < 1:
                raise SettingsError(f"settings file {path}: {key} must be at least 1")
        elif key in ("shadowing_target_hours", "session_hours"):
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise SettingsError(f"settings file {path}: {key} must be a number above 0")
        elif key == "stage_labels":
            if (
                not isinstance(value, list)
                or len(value) != 7
                or not all(isinstance(v, str) and v.strip() for v in value)
            ):
                raise SettingsError(f"settings file {path}: stage_labels must list 7 names")
            value = tuple(v.strip() for v in value)
        elif key == "timezone":
            if not isinstance(value, str) or not is_time_zone(value):
                raise SettingsError(
                    f"settings file {path}: timezone must be a zone name such as Europe/London"
                )
        elif not isinstance(value, str) or not value.strip():
            raise SettingsError(f"settings file {path}: {key} must be text")
        out[key] = value
    return out


def is_time_zone(name: str) -> bool:
    """True for an IANA zone name (`Europe/London`), as Python and DuckDB's ICU know them."""
    import re
    import zoneinfo

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*", name):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
