"""The Impact summary page in AppTest: a funder sees suppressed figures exactly where METRICS.md
says, in words ("Not shown", "fewer than 5 people"), never "<5" beside a unit; a manager sees the same page; nothing on it names or describes a person.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_impact import EXPECTED_Q3, build_impact_db, leaks, load_json

from analysis import impact
from pages import frame
from tests.conftest import as_shown, signed_in

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/impact_summary.py"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-secret-that-is-long-enough",
    "client_id": "dashboard",
    "client_secret": "not-a-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
ACCESS = {"managers": ["manager@example.org"], "funders": ["f@example.org"]}
FUNDER = signed_in("f@example.org")
TILE_KINDS = {key: kind for key, _, kind, _ in impact.HEADLINE_FIGURES}


@pytest.fixture(scope="module")
def page_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_impact_db(tmp_path_factory.mktemp("page") / "page.duckdb")


def open_page(
    db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, funder: bool
) -> AppTest:
    """The page through the frame, for the programme to date and the 2025 Q3 cohort."""
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(tmp_path / "no-settings.toml"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    if funder:
        at.secrets["auth"] = AUTH
        at.secrets["access"] = ACCESS
        at.user = FUNDER
    at.run()
    at.switch_page(PAGE).run()
    if not funder:  # a funder's period: the financial year of the latest session, by default
        at.sidebar.selectbox(key="filter_window").set_value("Programme to date").run()
    if funder:  # a funder chooses one part of the programme (the differencing rule)
        at.sidebar.selectbox(key="funder_part").set_value("Cohort 2025 Q3").run()
    else:
        at.sidebar.multiselect(key="filter_cohorts").set_value(["2025 Q3"]).run()
    assert not at.exception
    return at


def shown_text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "title", "header", "subheader", "info", "error", "warning")
    parts = [
        str(e.value) for root in (at, at.sidebar) for kind in kinds for e in getattr(root, kind)
    ]
    parts += [f"{m.label} {m.value} {m.delta} {m.help}" for m in at.metric]
    return as_shown("\n".join(parts))


def tiles(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta or None) for m in at.metric}


def expected_tiles() -> dict[str, tuple[str, str | None]]:
    """What METRICS.md says a funder sees for 2025 Q3: each suppressed figure in words."""
    report = load_json(EXPECTED_Q3)
    out = {}
    for key, label, kind, _ in impact.HEADLINE_FIGURES:
        hidden = key in report["suppressed"]
        value = impact._get(report, key)
        shown = impact.figure_text(value, hidden, kind, 5)[0]
        out[label] = (shown, "fewer than 5 people" if hidden else None)
    return out


def test_a_funder_sees_suppressed_figures_as_less_than_k(
    page_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = open_page(page_db, monkeypatch, tmp_path, funder=True)
    assert [t.value for t in at.title] == ["Impact summary"]
    assert "Signed in as f@example.org (funder)" in shown_text(at)
    # the values of the worked example's 2025/26; a shown figure's change is against 2024/25,
    # when the cohort had not started (so "+5" from 0), a hidden one's is why it is hidden
    shown_tiles, wanted = tiles(at), expected_tiles()
    assert {label: value for label, (value, _) in shown_tiles.items()} == {
        label: value for label, (value, _) in wanted.items()
    }
    for label, (value, delta) in shown_tiles.items():
        if value == "Not shown":
            assert delta == wanted[label][1] == "fewer than 5 people"
        elif value.endswith("%"):
            assert delta is None, label  # no rate in 2024/25 to compare with
        else:
            assert delta == f"+{value}", label
    hidden = {label for label, (value, _) in tiles(at).items() if value == "Not shown"}
    assert not [m for m in at.metric if "<" in f"{m.value} {m.delta}"]  # never "<5" on a card
    # the tiles carry each figure's one funder label (the registry's)
    assert hidden == {
        "Mentors who completed shadowing",
        "Mentors who moved forward on the transition curve",
    }
    text = shown_text(at)
    assert "fewer than 5 mentors had completed 10 hours of shadowing" in text
    assert "Fewer than 5 mentors had moved forward on the transition curve" in text
    assert "This is the page funders see" not in text  # that note is for managers


def test_nothing_on_the_funders_page_names_or_describes_a_person(
    page_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = open_page(page_db, monkeypatch, tmp_path, funder=True)
    charts = at.get("plotly_chart")
    # monthly rates, stages, milestones, events, the journey, the three skills
    assert len(charts) == 6
    page = shown_text(at) + "".join(str(chart.proto) for chart in charts)
    assert leaks(page) == []
    # No record text through raw HTML: the only HTML is the frame's static stylesheet.
    assert [h.proto.body for h in at.get("html")] == [frame.PRINT_CSS.strip()]
    assert not [m for m in at.markdown if getattr(m.proto, "allow_html", False)]


def test_a_manager_sees_what_funders_see(
    page_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = open_page(page_db, monkeypatch, tmp_path, funder=False)
    assert tiles(at) == expected_tiles()
    assert "This is the page funders see" in shown_text(at)
    assert leaks(shown_text(at)) == []


def test_the_downloads_and_the_pdf_made_on_request(
    page_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = open_page(page_db, monkeypatch, tmp_path, funder=True)
    downloads = [d.label for d in at.get("download_button") if "the numbers" not in d.label]
    assert downloads == ["Download the figures (CSV)"]
    prepare = [b for b in at.button if b.label == "Prepare the PDF impact pack"]
    assert len(prepare) == 1
    prepare[0].click().run()
    assert not at.exception and not at.error
    downloads = [d.label for d in at.get("download_button") if "the numbers" not in d.label]
    assert downloads == ["Download the figures (CSV)", "Download the PDF impact pack"]
    assert [b.label for b in at.button if b.label.startswith("Prepare")] == []


def test_under_filters_a_funder_may_not_choose_the_words_and_the_buttons_agree(
    page_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Security re-probe, finding 7: under gender=female a manager read "The downloads are for
    funders..." and was offered ten working "Show the numbers" downloads."""
    at = open_page(page_db, monkeypatch, tmp_path, funder=False)
    before = [d.label for d in at.get("download_button")]
    assert "Download the numbers (CSV)" in before  # a funder's choice: every download offered
    at.sidebar.multiselect(key="filter_cohorts").set_value([]).run()
    at.sidebar.multiselect(key="filter_genders").set_value(["female"]).run()
    assert not at.exception
    said = " ".join(str(i.value) for i in at.info)
    assert "are for funders, and these filters are not ones a funder may choose" in said
    assert [d.label for d in at.get("download_button")] == []
    assert len(at.dataframe) == 0  # no data frame either: its toolbar would offer a CSV
    assert [b.label for b in at.button if b.label.startswith("Prepare")] == []
    captions = [str(c.value) for c in at.caption]
    assert sum(c.startswith("No download of these numbers") for c in captions) >= 4
