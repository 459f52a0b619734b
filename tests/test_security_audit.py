"""The audit entries of a funder's download (security re-probe, finding 5).

Each funder download was followed ~0.1 s later by "page refused page impact_summary" (the rerun
a click starts asks for the page by its script, which the funders' list holds under its root
address), the download was logged as on `page overview` (the root address has no name), and
refusals were written with no user. The test draws the impact summary as a funder in AppTest,
makes the download as the browser's click does (the button's deferred callable), then runs the
rerun the click starts, and reads the audit log.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from analysis import audit_store
from tests.conftest import signed_in
from tests.test_access import ACCESS, AUTH, ROOT


@pytest.fixture
def funder_app(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[AppTest, Path, dict[str, Callable[[], Any]]]:
    db = tmp_path / "programme.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    made: dict[str, Callable[[], Any]] = {}
    real = MediaFileManager.add_deferred

    def add_deferred(self: MediaFileManager, data_callable: Any, *args: Any, **kw: Any) -> str:
        file_name = kw.get("file_name") or (args[2] if len(args) > 2 else None)
        made[str(file_name)] = data_callable
        return real(self, data_callable, *args, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.secrets["auth"] = AUTH
    at.secrets["access"] = ACCESS
    at.user = signed_in("funder@example.org")
    return at, db, made


def test_a_funder_download_is_logged_as_itself_on_its_page_and_nothing_false_follows(
    funder_app: tuple[AppTest, Path, dict[str, Callable[[], Any]]],
) -> None:
    at, db, made = funder_app
    at.run()
    assert not at.exception
    csv = [name for name in made if name.startswith("impact-summary-") and name.endswith(".csv")]
    assert csv, list(made)
    before = len(audit_store.entries(db))
    data = made[csv[0]]()  # the click: the file is made and the download written
    assert isinstance(data, bytes) and data
    at.run()  # the rerun the click starts (Streamlit asks for the page by its script)
    assert not at.exception
    at.run()
    new = audit_store.entries(db)[before:]
    assert [(e["user"], e["action"]) for e in new] == [("funder@example.org", "download")]
    assert str(new[0]["detail"]).startswith(f"{csv[0]}; page impact_summary; window ")
    # Every refusal the log holds names whose it was.
    every = audit_store.entries(db)
    assert all(e["user"] for e in every if e["action"] == "page refused")


def test_a_refusal_always_names_whose_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two refusals in the probe's log had no user: a run whose sign-in ended (a sign-out) was
    logged as a refusal of nobody. Such a run is no longer a refusal; any refusal without an
    address says so."""
    from pages import frame

    db = tmp_path / "programme.duckdb"
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(tmp_path / "no-settings.toml"))
    frame.record_refusal(frame.Access(None, "", True), "data")
    frame.record_refusal(frame.Access(frame.FUNDER, "funder@example.org", True, "s"), "data")
    refused = [(e["user"], e["detail"]) for e in audit_store.entries(db)]
    assert refused == [("(not signed in)", "page data"), ("funder@example.org", "page data")]
