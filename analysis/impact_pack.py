"""The PDF impact pack for funders and trustees: A4, a cover with the headline figures, the key
charts, and how the figures are counted.

It is made from an `ImpactSummary` only, so it holds nothing the funder view does not: every
figure has been through suppression, and no code, name or note about a person is in it. The
pack is always the funder view: asked for with the manager audience, the command line makes
the same suppressed pack (managers see the detail on the dashboard, not in a document that is
made to be forwarded).

The charts are drawn by Kaleido, which drives a headless Chrome or Chromium; it takes a few
seconds, once per pack, for all the charts together.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import plotly.graph_objects as go
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from analysis import clock, database, impact, learning_log, metrics, privacy, rendering, targets
from analysis.charts import OKABE_ITO, Chart
from analysis.report import funder_window
from analysis.settings import Settings

# Where DejaVu Sans usually lives; without it the pack falls back to Helvetica (Latin-1 only).
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
    Path.home() / "Library" / "Fonts",
    Path.home() / ".fonts",
)
FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
# Helvetica cannot draw these; the fallback writes their nearest Latin-1 equivalents.
LATIN1_FALLBACKS = str.maketrans(
    {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "•": "-", "≥": ">="}
    | {"✓": "", "✗": "", "○": ""}
)

INK = (31, 41, 51)  # #1f2933, the dashboard's text colour
MUTED = (82, 96, 109)
RULE = (203, 210, 217)
ACCENT = tuple(int(OKABE_ITO[0][i : i + 2], 16) for i in (1, 3, 5))  # Okabe-Ito blue
PANEL = (240, 244, 248)
WARNING_PANEL = (253, 240, 214)

MARGIN = 18.0  # mm
CHART_PIXEL_WIDTH = 1000
CHART_HEIGHTS = {"monthly": 480, "stages": 520, "milestones": 470, "skills": 480}


class ChartsUnavailable(RuntimeError):
    """The charts cannot be drawn: Kaleido found no Chrome or Chromium on this computer, or the
    drawing did not finish within its limit."""


@dataclass(frozen=True)
class _Fonts:
    family: str
    unicode: bool


def _find_fonts() -> dict[str, Path] | None:
    for folder in FONT_DIRS:
        paths = {style: folder / name for style, name in FONT_FILES.items()}
        if all(p.is_file() for p in paths.values()):
            return paths
    return None


def chart_height(name: str, figure: go.Figure) -> int:
    """The height in pixels a chart is drawn at (bar charts grow with their categories)."""
    if name in CHART_HEIGHTS:
        return CHART_HEIGHTS[name]
    return max(300, 150 + 55 * len(figure.data[0].y or []))


def print_figure(chart: Chart, family: str) -> go.Figure:
    """A copy of a chart's figure laid out for a printed A4 page."""
    figure = go.Figure(chart.figure)
    figure.update_layout(
        font={"family": f"{family}, Helvetica, Arial, sans-serif", "size": 18},
        # The title starts a little in from the left edge, never on it (a first letter drawn
        # at x = 0 loses its left side).
        title={"font": {"size": 23}, "xanchor": "left", "pad": {"l": 16}},
        margin={"l": 80, "r": 40, "t": 80, "b": 70},
    )
    # Tick labels (long milestone and event names) push the margin out instead of being
    # clipped at the left edge, whatever font the printing computer draws them in.
    figure.update_xaxes(automargin=True)
    figure.update_yaxes(automargin=True)
    return figure


def _flat_png(png: bytes) -> bytes:
    """The PNG on a white background without an alpha channel (prints cleanly in a PDF)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        if image.mode not in ("RGBA", "LA", "P"):
            return png
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        out = io.BytesIO()
        flat.save(out, format="PNG", optimize=True)
        return out.getvalue()


def drawing_limit_seconds() -> float:
    """The longest the pack's charts may take to draw (every attempt's limit together)."""
    return rendering.TIMEOUT_SECONDS * rendering.ATTEMPTS


def drawing_limit_words() -> str:
    seconds = drawing_limit_seconds()
    return f"{seconds / 60:g} minutes" if seconds >= 120 else f"{seconds:g} seconds"


def render_charts(charts: dict[str, Chart], family: str = "DejaVu Sans") -> dict[str, bytes]:
    """PNG bytes of every chart, drawn in one Kaleido session (scale 2, sharp when printed)."""
    if not charts:
        return {}
    names = list(charts)
    figures = [print_figure(charts[name], family) for name in names]
    heights = [chart_height(name, charts[name].figure) for name in names]
    try:
        drawn = rendering.images(
            figures, width=[CHART_PIXEL_WIDTH] * len(names), height=heights, scale=2
        )
    except (RuntimeError, OSError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "did not finish within" in detail:  # the drawing hung: stopped at its limit
            raise ChartsUnavailable(
                f"drawing the charts was stopped at its limit of {drawing_limit_words()} "
                f"({detail}); nothing was made. Try again: a second try is usually quick"
            ) from exc
        raise ChartsUnavailable(
            "the charts of the impact pack cannot be drawn: Kaleido needs Chrome or "
            f"Chromium on this computer ({detail})"
        ) from exc
    return {name: _flat_png(png) for name, png in zip(names, drawn, strict=True)}


class _Pack(FPDF):
    def __init__(self, summary: impact.ImpactSummary, produced: dt.date) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.summary = summary
        self.produced = produced
        found = _find_fonts()
        if found:
            for style, path in found.items():
                self.add_font("DejaVu", style, str(path))
            self.fonts_in_use = _Fonts("DejaVu", True)
        else:
            self.fonts_in_use = _Fonts("Helvetica", False)
        self.set_margins(MARGIN, MARGIN + 6, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 4)
        self.set_lang("en-GB")
        self.set_title(f"{summary.organisation}: impact summary, {summary.period_title}")
        self.set_author(summary.organisation)
        self.set_subject("Peer Mentor Programme impact summary")
        self.set_creator("Peer Mentor Programme dashboard")
        self.set_display_mode("fullwidth")
        self.filled: dict[int, float] = {}  # page -> the share of its body used (0 to 1)

    def add_page(self, *args: object, **kwargs: object) -> None:
        self.note_fill()
        super().add_page(*args, **kwargs)  # type: ignore[arg-type]

    def note_fill(self) -> None:
        """Record how much of the current page's body is used (for the check that no page
        of the pack is left nearly empty)."""
        if self.page:
            body = self.h - self.t_margin - self.b_margin
            self.filled[self.page] = max(0.0, min(1.0, (self.y - self.t_margin) / body))

    def room(self) -> float:
        """The height left on this page, in mm."""
        return self.h - self.b_margin - self.y

    # -- text helpers ----------------------------------------------------------------------

    def line_count(self, width: float, line_height: float, text: str) -> int:
        """How many lines `text` takes at `width` in the current font."""
        lines = self.multi_cell(
            width, line_height, self.text_for_font(text), dry_run=True, output="LINES"
        )
        assert isinstance(lines, list)
        return len(lines)

    def text_for_font(self, text: str) -> str:
        if self.fonts_in_use.unicode:
            return text
        return text.translate(LATIN1_FALLBACKS).encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, style: str = "", colour: tuple[int, ...] = INK) -> None:
        self.set_font(self.fonts_in_use.family, style, size)
        self.set_text_color(*colour)

    def paragraph(self, text: str, size: float = 10.5, style: str = "", *, gap: float = 2) -> None:
        self.font(size, style)
        self.multi_cell(
            0,
            size * 0.5,
            self.text_for_font(text),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.ln(gap)

    def heading(self, text: str, size: float = 14) -> None:
        if self.will_page_break(size * 1.6):
            self.add_page()
        self.font(size, "B", ACCENT)
        self.cell(0, size * 0.55, self.text_for_font(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2.5)

    def bullet(self, text: str, size: float = 10.5) -> None:
        line = size * 0.5
        indent = 5.0
        self.font(size)
        if self.will_page_break(line * self.line_count(self.epw - indent, line, text)):
            self.add_page()
        top = self.get_y()
        self.set_fill_color(*ACCENT)
        self.circle(x=self.l_margin + 1.6, y=top + line / 2, radius=0.9, style="F")
        self.set_xy(self.l_margin + indent, top)
        self.multi_cell(
            self.epw - indent,
            line,
            self.text_for_font(text),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.ln(1.8)

    def panel(self, lines: list[str], fill: tuple[int, ...], size: float = 9.5) -> None:
        """A shaded box of short paragraphs (caveats, the demo warning)."""
        pad = 3.5
        self.font(size)
        width = self.epw - 2 * pad
        heights = [self.line_count(width, size * 0.48, t) * size * 0.48 for t in lines]
        total = sum(heights) + 1.5 * (len(lines) - 1) + 2 * pad
        if self.will_page_break(total):
            self.add_page()
        top = self.get_y()
        self.set_fill_color(*fill)
        self.rect(self.l_margin, top, self.epw, total, style="F")
        self.set_y(top + pad)
        for text in lines:
            self.set_x(self.l_margin + pad)
            self.multi_cell(
                width,
                size * 0.48,
                self.text_for_font(text),
                align="L",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
            self.ln(1.5)
        self.set_y(top + total + 4)

    # -- page furniture --------------------------------------------------------------------

    def header(self) -> None:
        if self.page_no() == 1:
            self.set_fill_color(*ACCENT)
            self.rect(0, 0, self.w, 5, style="F")
            return
        self.set_y(9)
        self.font(8.5, "", MUTED)
        self.cell(
            0,
            4,
            self.text_for_font(f"{self.summary.organisation}: impact summary"),
            new_x=XPos.LMARGIN,
            new_y=YPos.TOP,
        )
        self.cell(0, 4, self.text_for_font(self.summary.period_title), align="R")
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, 14.5, self.w - self.r_margin, 14.5)
        self.set_y(self.t_margin)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y() - 2, self.w - self.r_margin, self.get_y() - 2)
        self.font(8, "", MUTED)
        k = self.summary.k
        self.cell(
            0,
            4,
            self.text_for_font(
                f"Figures resting on fewer than {k} people are not shown. "
                "Nothing in this summary identifies a person."
            ),
            new_x=XPos.LMARGIN,
            new_y=YPos.TOP,
        )
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")


def _tiles(pdf: _Pack, summary: impact.ImpactSummary) -> None:
    """Four key figures in a row, each with its change."""
    keys = ("mentors_active", "beneficiaries_reached", "peer_support_hours", "attendance_rate")
    gap = 4.0
    width = (pdf.epw - gap * (len(keys) - 1)) / len(keys)
    top = pdf.get_y()
    texts = []
    for key in keys:
        headline = summary.headline(key)
        change = ""
        if headline.change:
            change = headline.change.split(" in the previous")[0]
            change = change.replace(" percentage point", " point")  # short enough for a tile
            change = change.replace("compared with", "previously")
        if headline.suppressed:  # in words: "Not shown", and why beneath it
            change = privacy.hidden_because(summary.report, key, summary.k)
        texts.append((headline, change))
    inner = width - 6

    def lines(text: str, size: float, style: str, line: float) -> int:
        pdf.font(size, style)
        return pdf.line_count(inner, line, text) if text else 0

    height = 17.5 + max(
        lines(h.label, 9, "B", 4.2) * 4.2 + lines(c, 8, "", 3.6) * 3.6 for h, c in texts
    )
    for i, (headline, change) in enumerate(texts):
        x = pdf.l_margin + i * (width + gap)
        pdf.set_fill_color(*PANEL)
        pdf.rect(x, top, width, height, style="F")
        pdf.set_fill_color(*ACCENT)
        pdf.rect(x, top, 1.2, height, style="F")
        pdf.set_xy(x + 4, top + 3.5)
        pdf.font(16 if headline.suppressed else 22, "B")
        pdf.cell(inner, 10, pdf.text_for_font(headline.shown))
        pdf.set_xy(x + 4, top + 14.5)
        pdf.font(9, "B")
        pdf.multi_cell(inner, 4.2, pdf.text_for_font(headline.label), align="L")
        if change:
            pdf.set_xy(x + 4, pdf.get_y() + 1.2)
            pdf.font(8, "", MUTED)
            pdf.multi_cell(inner, 3.6, pdf.text_for_font(change), align="L")
    pdf.set_y(top + height + 3)
    if summary.comparable:
        pdf.font(8, "", MUTED)
        pdf.cell(
            0,
            4,
            pdf.text_for_font(
                f"Changes compare with {summary.previous_label}: "
                f"{impact.long_date(summary.previous_window[0])} to "
                f"{impact.long_date(summary.previous_window[1])}."
            ),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(5)


def _cover(pdf: _Pack, summary: impact.ImpactSummary) -> None:
    pdf.add_page()
    pdf.set_y(MARGIN + 4)
    pdf.font(24, "B")
    pdf.multi_cell(
        0,
        11,
        pdf.text_for_font(summary.organisation),
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.font(15, "", ACCENT)
    pdf.cell(0, 8, "Impact summary", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    streams = summary.filters.get("Funding stream", [])
    if len(streams) == 1:  # one funder's pack: their stream's name on the cover
        pdf.font(15, "B", INK)
        pdf.multi_cell(
            0,
            8,
            pdf.text_for_font(f"for {streams[0]}"),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.font(12, "", INK)
    pdf.cell(0, 7, pdf.text_for_font(summary.period_title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if summary.filters:
        chosen = "; ".join(f"{name}: {', '.join(v)}" for name, v in summary.filters.items())
        pdf.font(10.5, "", INK)
        pdf.multi_cell(
            0,
            5.5,
            pdf.text_for_font(f"Mentors included — {chosen}"),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.font(9, "", MUTED)
    pdf.cell(
        0,
        5,
        pdf.text_for_font(f"Prepared on {impact.long_date(pdf.produced)}"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(6)
    if summary.freshness.has_demo:
        pdf.panel(
            ["Demo data: these figures describe a made-up programme, not real people."],
            WARNING_PANEL,
            size=10,
        )
    _tiles(pdf, summary)
    pdf.heading("In brief")
    pdf.paragraph(summary.lead, size=12, gap=3)
    for headline in summary.headlines:
        pdf.bullet(headline.sentence)
    if summary.milestone_sentence:
        pdf.bullet(summary.milestone_sentence)
    if summary.skills_sentence:
        pdf.bullet(summary.skills_sentence)
    caveats = [c for c in summary.caveats if not c.startswith("These figures come from demo")]
    if caveats:
        pdf.ln(2)
        pdf.panel(["Please note: " + caveats[0], *caveats[1:]], PANEL)
    _targets(pdf, summary)


def _targets(pdf: _Pack, summary: impact.ImpactSummary) -> None:
    """The targets agreed (with this funder, and for the whole programme), in their words."""
    if not summary.targets:
        return
    pdf.ln(3)
    pdf.heading("Our targets")
    judged_on = impact.long_date(summary.window[1])
    pdf.paragraph(
        f"Each target as agreed, measured from the start of its period to {judged_on} (or to "
        "the period's end, if sooner); 'at this rate' continues the pace so far to the end "
        "of the period.",
        size=9.5,
        gap=2.5,
    )
    for row in summary.targets:
        symbol = "" if row.status is None else targets.STATUS_SYMBOLS[row.status] + " "
        pdf.bullet(f"{symbol}{row.status_text}. {row.sentence}")


def _charts(pdf: _Pack, summary: impact.ImpactSummary, images: dict[str, bytes]) -> None:
    charts = impact.key_charts(summary)
    # On a new page only if the heading and the first chart do not fit under what is there
    # (a page holding only the cover's overflow is not left nearly empty).
    first = next((n for n in charts if n in images), None)
    needed = 12 + (
        pdf.epw * chart_height(first, charts[first].figure) / CHART_PIXEL_WIDTH if first else 0
    )
    if pdf.room() < needed + 12:
        pdf.add_page()
    else:
        pdf.ln(4)
    pdf.heading("Key charts")
    for name, chart in charts.items():
        png = images.get(name)
        if png is None:
            continue
        figure = chart.figure
        height = pdf.epw * chart_height(name, figure) / CHART_PIXEL_WIDTH
        pdf.font(9.5, "I", MUTED)
        caption_lines = pdf.line_count(pdf.epw, 4.6, chart.summary)
        if pdf.will_page_break(height + 4.6 * caption_lines + 4):
            pdf.add_page()
        title = figure.layout.title.text or name
        pdf.image(png, x=pdf.l_margin, w=pdf.epw, h=height, alt_text=f"{title}. {chart.summary}")
        pdf.ln(1.5)
        pdf.font(9.5, "I", MUTED)
        pdf.multi_cell(
            0,
            4.6,
            pdf.text_for_font(chart.summary),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(7)


def pack_charts(summary: impact.ImpactSummary) -> dict[str, Chart]:
    """The key charts as the pack draws them: the monthly chart marks the shared notes."""
    out = impact.key_charts(summary)
    monthly = out.get("monthly")
    if monthly is not None and summary.learned:
        out["monthly"] = Chart(
            learning_log.mark_notes(monthly.figure, summary.learned), monthly.summary
        )
    return out


def _learned(pdf: _Pack, summary: impact.ImpactSummary) -> None:
    """What changed and what we learned: the learning-log notes shared with funders."""
    if not summary.learned:
        return
    pdf.ln(2)
    pdf.heading("What changed and what we learned")
    for note in summary.learned:
        pdf.font(9.5)
        needed = 5 + pdf.line_count(pdf.epw, 4.75, note.text) * 4.75
        if pdf.will_page_break(needed):  # a note is never split across pages
            pdf.add_page()
        pdf.font(10, "B")
        pdf.cell(0, 5, impact.long_date(note.noted_on), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.paragraph(note.text, size=9.5, gap=2.8)


def _method(
    pdf: _Pack, summary: impact.ImpactSummary, *, new_page: bool | None = None, size: float = 9.5
) -> None:
    """How we count. `new_page`: on a page of its own (True), after what is there (False), or
    (None) after it when a good part of the page is left; `size`: the notes' type size."""
    if new_page is None:
        new_page = pdf.room() < 0.35 * (pdf.h - pdf.t_margin - pdf.b_margin)
    if new_page:
        pdf.add_page()
    else:
        pdf.ln(4)
    pdf.heading("How we count")
    line = size * 0.5
    gap = 2.8 if size >= 9.5 else 1.8
    for term, text in summary.notes:
        pdf.font(size)
        needed = 5.5 + pdf.line_count(pdf.epw, line, text) * line
        if pdf.will_page_break(needed):  # a note is never split across pages
            pdf.add_page()
        pdf.font(10, "B")
        pdf.cell(0, 5.5, pdf.text_for_font(term), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.paragraph(text, size=size, gap=gap)


# How the notes at the end may be laid out, tried in turn until no page is under a fifth full
# (a last note alone on a page, say): as usual, then on a page of their own, then a little
# tighter (9 pt), after what is there or on a page of their own.
LAYOUTS: tuple[tuple[bool | None, float], ...] = (
    (None, 9.5),
    (True, 9.5),
    (None, 9.0),
    (False, 9.0),
    (True, 9.0),
)
LEAST_FILL = 0.2


def pdf_bytes(
    summary: impact.ImpactSummary,
    settings: Settings,
    *,
    images: dict[str, bytes] | None = None,
    produced: dt.date | None = None,
    fills: dict[int, float] | None = None,
) -> bytes:
    """The impact pack as PDF bytes (charts drawn now unless `images` are given); `fills`,
    if given, receives how much of each page's body is used."""
    best: tuple[float, _Pack] | None = None
    for new_page, size in LAYOUTS:
        pdf = _Pack(summary, produced or clock.today())
        if images is None:
            family = pdf.fonts_in_use.family.replace("DejaVu", "DejaVu Sans")
            images = render_charts(pack_charts(summary), family)
        _cover(pdf, summary)
        _charts(pdf, summary, images)
        _learned(pdf, summary)
        _method(pdf, summary, new_page=new_page, size=size)
        pdf.note_fill()
        least = min(pdf.filled.values(), default=1.0)
        if best is None or least > best[0]:
            best = (least, pdf)
        if least >= LEAST_FILL:
            break
    assert best is not None
    if fills is not None:
        fills.update(best[1].filled)
    return bytes(best[1].output())


def pack_bytes(
    con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings, *, key: str = ""
) -> bytes:
    """The impact pack for a scope (for the page's cached loader). `key`: `pack_key` of the
    same arguments, which the loader caches on; unused here."""
    del key
    return pdf_bytes(impact.summary(con, scope, settings), settings)


def pack_key(con: duckdb.DuckDBPyConnection, scope: metrics.Scope, settings: Settings) -> str:
    """A digest of everything the pack shows beyond its figures' records: the data version,
    the notes shared with funders, the targets, every setting, the period and the stream. The
    page caches the pack on it, so any of them changing makes a new pack."""
    window = funder_window(con, scope)
    notes = con.execute(
        "SELECT note_id, noted_on, note, share_with_funders FROM learning_notes "
        "WHERE share_with_funders ORDER BY note_id"
    ).fetchall()
    agreed = con.execute(
        "SELECT figure, period_start, period_end, target, funding_stream, wording FROM targets "
        "ORDER BY ALL"
    ).fetchall()
    parts = (
        database.data_version(con),
        notes,
        agreed,
        sorted(dataclasses.asdict(settings).items()),
        window,
        metrics.with_window(scope, window),
    )
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def write_pdf(summary: impact.ImpactSummary, settings: Settings, out: Path) -> None:
    """Write the impact pack to `out`."""
    out.write_bytes(pdf_bytes(summary, settings))
