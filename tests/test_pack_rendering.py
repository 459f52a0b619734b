"""One funder's pack, drawn as a funder gets it, has no clipped label.

The pack is made by the command line (`report --audience funder --funding-stream S --format pdf
--out F`) over the demo built with a fixed end. Two checks, each shown to catch the clipping the
first release had ("adowing", "lification" at the charts' left edge) in
`test_the_checks_catch_a_clipped_label`:
- every chart image in the PDF (taken out with poppler's pdfimages) has a band of background at
  each edge: no ink touches the edge, which a label cut by the edge always leaves;
- every category label of every chart, drawn by Kaleido as SVG at the pack's size, is there
  whole and starts inside the picture (its width measured in the font it is drawn in).
Every word of the PDF's own text lies inside the page's margins (`pdftotext -bbox`).
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go
import pytest
from conftest import DEMO_END, PROJECT_ROOT, cli_env
from PIL import Image, ImageFont

from analysis import charts, database, impact, impact_pack, metrics, rendering
from analysis.settings import Settings

STREAM = "Lottery Reaching Communities"
POPPLER = all(shutil.which(tool) for tool in ("pdfimages", "pdftotext"))
pytestmark = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")
EDGE = 4  # pixels (at scale 2) of background each chart image keeps at every edge
INK = 40  # a pixel this much darker than white is ink
FONT = next(
    (
        folder / "DejaVuSans.ttf"
        for folder in impact_pack.FONT_DIRS
        if (folder / "DejaVuSans.ttf").is_file()
    ),
    None,
)
CATEGORY_CHARTS = ("stages", "milestones", "events", "journey")


@pytest.fixture(scope="module")
def pack(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("one-stream-pack")
    out = folder / "pack.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "report", "--db", str(demo_db),
         "--audience", "funder", "--funding-stream", STREAM, "--format", "pdf",
         "--out", str(out)],
        cwd=PROJECT_ROOT, env=cli_env(folder), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def pack_charts(demo_db: Path) -> dict[str, charts.Chart]:
    """The charts the pack draws, from the same summary the command line makes."""
    with database.read(demo_db) as con:
        summary = impact.summary(con, metrics.Scope(funding_streams=(STREAM,)), Settings())
    assert summary.window[1] == DEMO_END
    return impact_pack.pack_charts(summary)


def ink_box(png: bytes) -> tuple[int, int, int, int, int, int]:
    """(left, top, right, bottom, width, height): the box of every pixel that is not
    background, in a PNG flattened onto white."""
    with Image.open(io.BytesIO(png)) as image:
        grey = image.convert("L")
        box = grey.point(lambda v: 255 if v < 255 - INK else 0).getbbox()
        assert box is not None, "an empty chart"
        return (*box, *grey.size)


def edge_problems(png: bytes) -> list[str]:
    """Where ink reaches the edge of a chart image (a label cut by it)."""
    left, top, right, bottom, width, height = ink_box(png)
    found = []
    if left < EDGE:
        found.append(f"ink at {left} px from the left edge")
    if top < EDGE:
        found.append(f"ink at {top} px from the top edge")
    if width - right < EDGE:
        found.append(f"ink at {width - right} px from the right edge")
    if height - bottom < EDGE:
        found.append(f"ink at {height - bottom} px from the bottom edge")
    return found


def category_labels(figure: go.Figure) -> list[str]:
    """A bar chart's category labels as read (Plotly's markup undone, wrapped lines joined)."""
    labels: list[str] = []
    for trace in figure.data:
        for label in trace.y if trace.orientation == "h" else []:
            text = html.unescape(str(label).replace("<br>", " "))
            if text not in labels:
                labels.append(text)
    return labels


def drawn_labels(figure: go.Figure, width: int, height: int) -> dict[str, float]:
    """Each y-axis tick label as Kaleido draws it (SVG), with where its ink starts (px from the
    picture's left edge): the right-anchored text's end less its width in the font."""
    assert FONT is not None
    svg = rendering.images([figure], format="svg", width=width, height=height)[0].decode()
    size = figure.layout.font.size
    font = ImageFont.truetype(str(FONT), size)
    out: dict[str, float] = {}
    for tick in re.finditer(r'<g class="ytick">(<text [^>]*>(.*?)</text>)</g>', svg):
        element, inner = tick.group(1), tick.group(2)
        assert 'text-anchor="end"' in element
        x = float(re.search(r' x="([-\d.]+)"', element).group(1))  # type: ignore[union-attr]
        lines = [
            html.unescape(re.sub(r"<[^>]+>", "", line)) for line in re.split(r"</tspan>", inner)
        ]
        lines = [line for line in lines if line]
        text = " ".join(lines)
        out[text] = x - max(font.getlength(line) for line in lines)
    return out


def label_problems(chart: charts.Chart, name: str) -> list[str]:
    figure = impact_pack.print_figure(chart, "DejaVu Sans")
    height = impact_pack.chart_height(name, chart.figure)
    drawn = drawn_labels(figure, impact_pack.CHART_PIXEL_WIDTH, height)
    found = []
    for label in category_labels(figure):
        if label not in drawn:
            found.append(f"{name}: {label!r} is not drawn whole")
        elif drawn[label] < 1:
            found.append(f"{name}: {label!r} starts {drawn[label]:.0f} px outside the picture")
    return found


def render(chart: charts.Chart, name: str) -> bytes:
    return impact_pack.render_charts({name: chart})[name]


def test_no_chart_image_in_the_pack_has_ink_at_its_edge(
    pack: Path, pack_charts: dict[str, charts.Chart], tmp_path: Path
) -> None:
    subprocess.run(["pdfimages", "-png", str(pack), str(tmp_path / "chart")], check=True)
    images = sorted(tmp_path.glob("chart-*.png"))
    # monthly, stages, milestones, events, journey, the three skills
    assert len(images) == len(pack_charts) == 6
    problems = {image.name: edge_problems(image.read_bytes()) for image in images}
    assert not {name: found for name, found in problems.items() if found}


@pytest.mark.skipif(FONT is None, reason="DejaVu Sans is not installed")
def test_every_category_label_is_drawn_whole_inside_the_picture(
    pack_charts: dict[str, charts.Chart],
) -> None:
    labels = {name: category_labels(pack_charts[name].figure) for name in CATEGORY_CHARTS}
    # The labels the first release lost the start of are among those checked.
    assert "Accredited qualification" in labels["milestones"]
    assert "Started volunteering" in labels["milestones"]
    assert "5 Testing" in labels["stages"]
    assert any("Week" in label for label in labels["events"])
    assert "Shadowing completed" in labels["journey"]
    problems = [p for name in CATEGORY_CHARTS for p in label_problems(pack_charts[name], name)]
    assert problems == []


def test_every_word_of_the_pack_lies_inside_the_page(pack: Path) -> None:
    done = subprocess.run(
        ["pdftotext", "-bbox", str(pack), "-"], capture_output=True, text=True, check=True
    )
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', done.stdout, re.S)
    assert len(pages) >= 4
    margin = 8 / 25.4 * 72  # 8 mm: the header and footer lie inside it, the text well inside
    words = 0
    for width, height, body in pages:
        for x0, y0, x1, y1, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
            body,
        ):
            words += 1
            assert float(x0) >= margin and float(x1) <= float(width) - margin, word
            assert float(y0) >= margin and float(y1) <= float(height) - margin, word
    assert words > 500
    text = " ".join(re.findall(r">([^<]+)</word>", done.stdout))
    assert f"for {html.escape(STREAM)}" in text and "Our targets" in text


def test_the_checks_catch_a_clipped_label(
    pack_charts: dict[str, charts.Chart], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first release's layout (no automargin, a fixed narrow left margin) clips the
    milestone labels; both checks say so."""
    chart = pack_charts["milestones"]

    def clipped(chart: charts.Chart, family: str) -> go.Figure:
        figure = go.Figure(chart.figure)
        figure.update_layout(font={"family": family, "size": 18}, margin={"l": 60})
        figure.update_yaxes(automargin=False)
        return figure

    monkeypatch.setattr(impact_pack, "print_figure", clipped)
    assert edge_problems(render(chart, "milestones"))
    if FONT is not None:
        found = label_problems(chart, "milestones")
        assert any("Accredited qualification" in p for p in found), found
    monkeypatch.undo()
    assert edge_problems(render(chart, "milestones")) == []
