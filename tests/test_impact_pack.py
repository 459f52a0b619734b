"""The PDF impact pack: made through the command line once per case (Kaleido is slow), then read
back with pypdf. Its figures are the funder report's; nothing in it names or describes a person;
no suppressed figure is in it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from contract import as_in_contract
from pypdf import PdfReader
from test_impact import EXPECTED_ALL, EXPECTED_Q3, build_impact_db, cli_env, leaks, load_json

from analysis import cli, database, impact, impact_pack, metrics, rendering
from analysis.report import build_report
from analysis.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
A4_POINTS = (595.28, 841.89)


@pytest.fixture(scope="module")
def pack_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_impact_db(tmp_path_factory.mktemp("pack") / "pack.duckdb")


def pack_command(db: Path, out: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "analysis", "report", "--db", str(db), "--audience", "funder",
            "--format", "pdf", "--out", str(out), *args]  # fmt: skip


@pytest.fixture(scope="module")
def packs(pack_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The pack for the worked example and for the small 2025 Q3 cohort, made side by side."""
    folder = tmp_path_factory.mktemp("packs")
    out = {"all": folder / "all.pdf", "q3": folder / "q3.pdf"}
    running = {
        name: subprocess.Popen(
            pack_command(pack_db, out[name], *args),
            cwd=ROOT,
            env=cli_env(folder),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in (("all", ()), ("q3", ("--cohort", "2025 Q3")))
    }
    for process in running.values():
        _, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr
        assert stderr == ""
    return out


def pdf_text(path: Path) -> str:
    """The pack's text with runs of white space (line wraps) made single spaces."""
    reader = PdfReader(path)
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


CASES = [
    ("all", EXPECTED_ALL, metrics.Scope()),
    ("q3", EXPECTED_Q3, metrics.Scope(cohorts=("2025 Q3",))),
]


@pytest.mark.parametrize(("name", "expected", "scope"), CASES, ids=["all", "q3"])
def test_the_headline_figures_are_the_funder_reports(
    packs: dict[str, Path], name: str, expected: Path, scope: metrics.Scope
) -> None:
    report = load_json(expected)
    text = pdf_text(packs[name])
    hidden = set(report["suppressed"])
    assert f"{report['mentors_active']} peer mentors supported" in text
    assert f"{report['beneficiaries_reached']} beneficiaries" in text
    assert f"{round(report['peer_support_hours']):,} hours of peer support" in text
    assert f"Mentors attended {round(report['attendance_rate'] * 100)}% of the sessions" in text
    assert f"for {round(report['punctuality_rate'] * 100)}% of the sessions they attended" in text
    for path, phrase in (
        ("shadowing.mentors_complete", "mentors had completed 10 hours of shadowing"),
        ("stages.mentors_progressed", "mentors had moved forward on the transition curve"),
        ("events.mentors_attending", "mentors took part in group days and events"),
    ):
        value = impact._get(report, path)
        said = "fewer than 5" if path in hidden else f"{value:,}"
        assert f"{said} {phrase}".lower() in text.lower()
    assert "Figures resting on fewer than 5 people are not shown." in text


@pytest.mark.parametrize(("name", "expected", "scope"), CASES, ids=["all", "q3"])
def test_no_code_no_note_no_suppressed_value(
    packs: dict[str, Path], pack_db: Path, name: str, expected: Path, scope: metrics.Scope
) -> None:
    text = pdf_text(packs[name])
    assert leaks(text) == []
    report = load_json(expected)
    with database.connect(pack_db) as con:
        manager = build_report(con, scope, Settings(), "manager")
    # What each suppressed figure really is never appears where the figure is read out.
    phrases = {
        "shadowing.mentors_complete": "{} mentors had completed",
        "stages.mentors_progressed": "{} mentors had moved forward",
        "milestones.first_mentoring_session": "{} mentors held their first mentoring session",
        "milestones.accredited_qualification": "{} mentors gained an accredited qualification",
        "milestones.volunteering": "{} mentors started volunteering",
        "milestones.paid_employment": "{} mentors started paid work",
    }
    checked = 0
    for path in report["suppressed"]:
        if path in phrases:
            real = impact._get(manager, path)
            assert real and 0 < real < 5
            assert phrases[path].format(real) not in text
            assert phrases[path].format("fewer than 5") in text.replace("Fewer", "fewer")
            checked += 1
    assert checked >= 2
    # The method notes and chart summaries speak of the suppressed ones only as <5.
    assert "are marked <5" in text


def test_the_small_cohort_pack_says_it_covers_part_of_the_programme(
    packs: dict[str, Path],
) -> None:
    text = pdf_text(packs["q3"])
    assert "Cohort: 2025 Q3" in text
    assert "These figures cover only part of the programme" in text


@pytest.mark.parametrize("name", ["all", "q3"])
def test_the_pack_is_a4_with_page_numbers_charts_and_metadata(
    packs: dict[str, Path], name: str
) -> None:
    reader = PdfReader(packs[name])
    pages = len(reader.pages)
    assert 3 <= pages <= 6
    for number, page in enumerate(reader.pages, start=1):
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
            A4_POINTS, abs=0.5
        )
        assert f"Page {number} of {pages}" in " ".join(page.extract_text().split())
    images = [image for page in reader.pages for image in page.images]
    # attendance by month, stages, milestones, events, the journey, the three skills
    assert len(images) == 6
    assert all(image.image.mode == "RGB" for image in images)  # no alpha: prints cleanly
    assert reader.metadata is not None
    assert reader.metadata.title.startswith("Peer Mentor Programme: impact summary")
    first = " ".join(reader.pages[0].extract_text().split())
    assert first.startswith(
        "Peer Mentor Programme Impact summary 1 April 2025 to 30 December 2025"  # 2025/26
    )
    text = pdf_text(packs[name])
    for heading in ("In brief", "Key charts", "How we count", "Small numbers", "About the data"):
        assert heading in text
    assert "The latest session on record is on 30 December 2025." in text


def test_a_manager_asking_for_the_pack_gets_the_funder_pack(
    pack_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(tmp_path / "none.toml"))
    monkeypatch.setattr(impact_pack, "render_charts", lambda charts, family="": {})
    for audience in ("manager", "funder"):
        status = cli.main(
            ["report", "--db", str(pack_db), "--audience", audience, "--format", "pdf",
             "--out", str(tmp_path / f"{audience}.pdf")]
        )  # fmt: skip
        assert status == 0
    assert "always the funder view" in capsys.readouterr().err
    manager, funder = pdf_text(tmp_path / "manager.pdf"), pdf_text(tmp_path / "funder.pdf")
    assert manager == funder
    assert leaks(manager) == []


def test_the_pack_needs_an_out_file(pack_db: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "report", "--db", str(pack_db), "--format", "pdf"],
        cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().endswith("--format pdf needs --out FILE")


def test_without_chrome_the_command_line_says_so_in_one_line(
    pack_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_chrome(*args: Any, **kwargs: Any) -> None:
        # What the drawing process says when Kaleido finds no browser (tests/test_rendering.py
        # checks that its last line reaches here).
        raise rendering.RenderFailed(
            "RuntimeError: Kaleido requires Google Chrome to be installed."
        )

    monkeypatch.setenv("DASHBOARD_SETTINGS", str(tmp_path / "none.toml"))
    monkeypatch.setattr(rendering, "images", no_chrome)
    out = tmp_path / "pack.pdf"
    status = cli.main(["report", "--db", str(pack_db), "--format", "pdf", "--out", str(out)])
    assert status == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("error: the charts of the impact pack cannot be drawn")
    assert not out.exists()


def test_without_dejavu_the_pack_falls_back_to_helvetica(
    pack_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(impact_pack, "FONT_DIRS", ())
    with database.connect(pack_db) as con:
        summary = impact.summary(con, metrics.Scope(), Settings())
    data = impact_pack.pdf_bytes(summary, Settings(), images={})
    assert data.startswith(b"%PDF")
    assert b"Helvetica" in data


def test_every_page_renders(packs: dict[str, Path], tmp_path: Path) -> None:
    assert shutil.which("pdftoppm"), "pdftoppm is missing: install Debian's poppler-utils"
    done = subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(packs["all"]), str(tmp_path / "page")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert len(list(tmp_path.glob("page-*.png"))) == len(PdfReader(packs["all"]).pages)


def test_the_report_json_for_the_pack_matches_the_worked_example(pack_db: Path) -> None:
    # The pack is made from the same funder report the JSON contract checks.
    with database.connect(pack_db) as con:
        summary = impact.summary(con, metrics.Scope(), Settings())
    wanted = load_json(EXPECTED_ALL)
    assert json.loads(json.dumps(as_in_contract(summary.report, wanted))) == wanted
    assert re.search(r"PM-\d{4}", json.dumps(summary.report)) is None


def test_an_empty_database_still_makes_a_pack(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    with database.connect(db, create=True) as con:
        summary = impact.summary(con, metrics.Scope(), Settings())
    out = tmp_path / "empty.pdf"
    out.write_bytes(impact_pack.pdf_bytes(summary, Settings(), images={}))
    text = pdf_text(out)
    assert "No sessions have been recorded yet." in text
    assert "0 peer mentors supported 0 beneficiaries" in text


def page_fills(pdf: Path, folder: Path) -> list[float]:
    """How far down each page's body (below the running head, above the footer) its content
    reaches, read from the page drawn as an image: 0 is empty, 1 full."""
    from PIL import Image

    done = subprocess.run(
        ["pdftoppm", "-r", "50", "-gray", "-png", str(pdf), str(folder / "fill")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    fills = []
    for image_path in sorted(folder.glob("fill-*.png"), key=lambda p: int(p.stem.split("-")[1])):
        with Image.open(image_path) as image:
            per_mm = image.height / 297
            top = round(impact_pack.MARGIN + 6 + 0.5) * per_mm  # the body, under the head
            bottom = (297 - impact_pack.MARGIN - 4) * per_mm  # above the footer
            gray = image.convert("L")
            pixels = gray.load()
            last = None
            for y in range(int(bottom), int(top), -1):
                if any(pixels[x, y] < 200 for x in range(image.width)):  # type: ignore[index]
                    last = y
                    break
            fills.append(0.0 if last is None else (last - top) / (bottom - top))
    return fills


@pytest.mark.parametrize("name", ["all", "q3"])
def test_no_page_of_the_pack_is_under_a_fifth_full(
    packs: dict[str, Path], name: str, tmp_path: Path
) -> None:
    fills = page_fills(packs[name], tmp_path)
    assert len(fills) == len(PdfReader(packs[name]).pages)
    assert min(fills) >= 0.2, [round(f, 2) for f in fills]


def test_the_demo_programmes_pack_has_no_nearly_empty_page(demo_db: Path, tmp_path: Path) -> None:
    """The programme of the issue (targets running onto a second page, a last chart alone):
    laid out with stand-in images of each chart's size, every page is at least a fifth full,
    as the pack's own record of its pages says too."""
    import io

    from PIL import Image

    from analysis import catalog

    with database.connect(demo_db) as con:
        extent = catalog.freshness(con, metrics.Scope(), Settings())
        window = catalog.preset_window("Last 12 months", extent)
        summary = impact.summary(con, metrics.Scope(window[0], window[1]), Settings())
    charts = impact_pack.pack_charts(summary)

    def grey(name: str) -> bytes:
        out = io.BytesIO()
        height = impact_pack.chart_height(name, charts[name].figure)
        Image.new("RGB", (impact_pack.CHART_PIXEL_WIDTH // 4, height // 4), (150, 150, 150)).save(
            out, format="PNG"
        )
        return out.getvalue()

    fills: dict[int, float] = {}
    pdf = tmp_path / "demo.pdf"
    pdf.write_bytes(
        impact_pack.pdf_bytes(summary, Settings(), images={n: grey(n) for n in charts}, fills=fills)
    )
    drawn = page_fills(pdf, tmp_path)
    assert len(drawn) == len(fills) >= 4
    assert min(drawn) >= 0.2, [round(f, 2) for f in drawn]
    assert min(fills.values()) >= 0.2, fills
