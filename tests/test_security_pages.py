"""The security probe's findings that AppTest can replay (issue 17): what an error shows, what
an upload's name can do, and who the dashboard believes a signed-in user to be.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis import views
from pages import frame

ROOT = Path(__file__).resolve().parents[1]
UPLOAD = (
    b"Mentor ID,Cohort,Start date,Status\n"
    b"PM-NEW-1,2026 Q3,01/07/2026,active\n"
    b"PM-NEW-2,,01/07/2026,active\n"
)


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "programme.duckdb"
    shutil.copy(demo_db, copy)
    return copy


def local_app(db: Path, monkeypatch: pytest.MonkeyPatch, page: str | None = None) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def everything_shown(at: AppTest) -> str:
    parts = [str(e.value) for e in (*at.error, *at.warning, *at.success, *at.info)]
    parts += [str(e.value) for e in (*at.markdown, *at.caption)]
    for exc in at.exception:
        parts += [str(exc.value), *map(str, exc.stack_trace)]
    return "\n".join(parts)


# -- finding 9: tracebacks ---------------------------------------------------------------------


def test_the_server_shows_no_error_detail() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"


def test_a_failing_page_shows_one_sentence_and_no_traceback(
    db: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail at /srv/dashboard/analysis/views.py line 1")

    broken.__module__, broken.__qualname__ = "analysis.views", "mentor_codes"  # the loader's key
    monkeypatch.setattr(views, "mentor_codes", broken)
    at = local_app(db, monkeypatch, "pages/mentor_journey.py")
    assert [e.value for e in at.error] == [frame.PAGE_FAILED]
    assert not at.exception
    shown = everything_shown(at)
    assert "secret detail" not in shown and "Traceback" not in shown and ".py" not in shown
    assert "secret detail" in caplog.text  # the detail is in the server's log


def test_a_very_long_file_name_is_previewed_not_a_traceback(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = local_app(db, monkeypatch, "pages/data.py")
    name = "a" * 300 + ".csv"
    at.file_uploader[0].upload(name, UPLOAD, "text/csv").run()
    assert not at.exception, everything_shown(at)
    assert at.dataframe[0].value.loc[0, "file"] == name


def test_a_nul_in_a_file_name_shows_no_detail(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = local_app(db, monkeypatch, "pages/data.py")
    at.file_uploader[0].upload("bad\x00name.csv", UPLOAD, "text/csv").run()
    shown = everything_shown(at)
    # Streamlit refuses the name before the page runs; all it may say is its redacted line.
    assert "null" not in shown and "File " not in shown and "site-packages" not in shown
