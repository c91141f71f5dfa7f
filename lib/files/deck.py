"""The meeting pack as files for a room without the network: a 16:9 .pptx and a PDF with its font
embedded, both drawn from the same `lib.data.deck.Deck` as the page.

python-pptx, fpdf2 and vl-convert cost a server process about 30 MB: the pages import this module only
when a deck is downloaded (`lib.ui.loaders.deck_pptx`/`deck_pdf`); the page's chart is in `deck_chart`."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import vl_convert as vlc
from fpdf import FPDF
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Pt

from lib.data.deck import Deck, Slide
from lib.files.deck_chart import ROW_PX, cover_chart

FONTS = Path(__file__).resolve().parents[2] / "data" / "fonts"
REGULAR, BOLD = FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"
FONT_NAME = "DejaVu Sans"
NAVY = (0x1F, 0x3A, 0x68)
GREY = (0x55, 0x5F, 0x6D)
TILE = (0xEE, 0xF2, 0xF8)
# 16:9 in millimetres (the PDF) and in EMU (the .pptx): 338.67 x 190.5 mm = 13.333 x 7.5 in.
PAGE_W, PAGE_H = 338.67, 190.5
EMU_PER_MM = 36000


@cache
def _fonts_registered() -> bool:
    vlc.register_font_directory(str(FONTS))
    return True


def cover_chart_spec(slide: Slide) -> dict[str, Any] | None:
    """The cover's chart as the files draw it (520 px wide, DejaVu Sans, 13 px type): a Vega-Lite spec
    for vl-convert, its font registered."""
    chart = cover_chart(slide)
    if chart is None:
        return None
    _fonts_registered()
    places = len({p for p, _b, _n in slide.chart})
    sized = (
        chart.properties(width=520, height=max(160, ROW_PX * places))
        .configure(font=FONT_NAME)
        .configure_axis(labelFont=FONT_NAME, titleFont=FONT_NAME, labelFontSize=13, titleFontSize=13)
        .configure_legend(labelFont=FONT_NAME, labelFontSize=13)
        .configure_title(font=FONT_NAME, fontSize=15)
    )
    spec: dict[str, Any] = sized.to_dict()
    return spec


def cover_chart_png(slide: Slide, scale: float = 3.0) -> bytes | None:
    """The cover's chart as a high-resolution PNG (offline: vl-convert, DejaVu Sans), or None."""
    spec = cover_chart_spec(slide)
    if spec is None:
        return None
    return bytes(vlc.vegalite_to_png(spec, scale=scale))


# --- .pptx ------------------------------------------------------------------------------------------


def _rgb(colour: tuple[int, int, int]) -> RGBColor:
    return RGBColor(*colour)  # type: ignore[no-untyped-call]


def _mm(value: float) -> Emu:
    return Emu(int(value * EMU_PER_MM))


def _text(
    slide_obj: object, x: float, y: float, w: float, h: float, lines: list[tuple[str, int, bool]]
) -> None:
    box = slide_obj.shapes.add_textbox(_mm(x), _mm(y), _mm(w), _mm(h))  # type: ignore[attr-defined]
    frame = box.text_frame
    frame.word_wrap = True
    for i, (text, size, bold) in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = text
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = FONT_NAME
        run.font.color.rgb = _rgb(NAVY if bold else GREY)


def _tiles_pptx(slide_obj: object, slide: Slide, top: float, per_row: int) -> float:
    width = (PAGE_W - 24 - 4 * (per_row - 1)) / per_row
    y = top
    for start in range(0, len(slide.figures), per_row):
        for i, fig in enumerate(slide.figures[start : start + per_row]):
            x = 12 + i * (width + 4)
            shape = slide_obj.shapes.add_shape(1, _mm(x), _mm(y), _mm(width), _mm(26))  # type: ignore[attr-defined]
            shape.fill.solid()
            shape.fill.fore_color.rgb = _rgb(TILE)
            shape.line.fill.background()
            _text(slide_obj, x + 1, y + 1, width - 2, 24, [(fig.label, 12, False), (fig.value, 26, True)])
        y += 30
    return y


def pptx_bytes(deck: Deck) -> bytes:
    """The deck as a 16:9 PowerPoint file, one slide per `Slide`, Vietnamese text as text."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = _mm(PAGE_W), _mm(PAGE_H)
    blank = prs.slide_layouts[6]
    measure = _Pdf()  # measures how many lines a list takes at a size
    measure.add_page()
    for n, slide in enumerate(deck.slides, start=1):
        page = prs.slides.add_slide(blank)
        heading = [(slide.title, 28, True)]
        if slide.subtitle:
            heading.append((slide.subtitle, 16, False))
        if slide.key == "cover" and deck.scope:
            heading.append(("Phạm vi: " + deck.scope, 14, False))
        _text(page, 12, 6, PAGE_W - 24, 22, heading)
        _text(
            page,
            PAGE_W - 120,
            PAGE_H - 10,
            110,
            8,
            [(f"{deck.date_line} · Trang {n}/{len(deck.slides)}", 10, False)],
        )
        if slide.key == "cover":
            y = _tiles_pptx(page, slide, 34, 4)
            ((head, items),) = slide.sections
            _text(page, 12, y + 2, 110, 60, [(head, 16, True)] + [(item, 14, False) for item in items])
            png = cover_chart_png(slide)
            if png:
                pic = page.shapes.add_picture(
                    io.BytesIO(png), _mm(130), _mm(y + 2), height=_mm(PAGE_H - y - 14)
                )
                if pic.width > _mm(PAGE_W - 142):
                    ratio = _mm(PAGE_W - 142) / pic.width
                    pic.width, pic.height = int(pic.width * ratio), int(pic.height * ratio)
            continue
        y = _tiles_pptx(page, slide, 30, max(1, min(len(slide.figures), 7))) if slide.figures else 30
        (worst, worst_lines), *others = slide.sections
        room = PAGE_H - y - 14
        size = _fit(measure, [(worst, worst_lines)], 186, room)  # the PDF's sizes, a little narrower
        _text(
            page, 12, y + 2, 190, room, [(worst, 16, True)] + [("• " + t, size, False) for t in worst_lines]
        )
        side: list[tuple[str, int, bool]] = []
        size = _fit(measure, others, PAGE_W - 224, room)
        for head, items in others:
            side += [(head, 16, True)] + [("• " + t, size, False) for t in items]
        _text(page, 208, y + 2, PAGE_W - 220, PAGE_H - y - 14, side)
    measure.close_fonts()
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


# --- PDF --------------------------------------------------------------------------------------------


class _Pdf(FPDF):
    def close_fonts(self) -> None:
        """Close the font files fontTools keeps open (lazy loading) once the document is written."""
        for font in self.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    def __init__(self) -> None:
        super().__init__(orientation="L", unit="mm", format=(PAGE_H, PAGE_W))
        self.set_auto_page_break(False)
        self.add_font(FONT_NAME, "", str(REGULAR))
        self.add_font(FONT_NAME, "B", str(BOLD))
        self.set_margins(12, 8, 12)


def _tiles_pdf(pdf: _Pdf, slide: Slide, top: float, per_row: int) -> float:
    width = (PAGE_W - 24 - 4 * (per_row - 1)) / per_row
    y = top
    for start in range(0, len(slide.figures), per_row):
        for i, fig in enumerate(slide.figures[start : start + per_row]):
            x = 12 + i * (width + 4)
            pdf.set_fill_color(*TILE)
            pdf.rect(x, y, width, 26, style="F")
            pdf.set_xy(x + 2, y + 2)
            pdf.set_font(FONT_NAME, "", 11)
            pdf.set_text_color(*GREY)
            pdf.multi_cell(width - 4, 5, fig.label)
            pdf.set_xy(x + 2, y + 13)
            pdf.set_font(FONT_NAME, "B", 22)
            pdf.set_text_color(*NAVY)
            pdf.cell(width - 4, 10, fig.value)
        y += 30
    return y


SIZES = (13, 12, 11, 10, 9, 8)  # pt, the largest that fits first


def _fit(pdf: _Pdf, groups: list[tuple[str, tuple[str, ...]]], w: float, room: float) -> int:
    """The largest type size (pt) at which these headed lists fit in `room` mm of a `w` mm column."""
    for size in SIZES:
        pdf.set_font(FONT_NAME, "", size)
        height = 0.0
        for _head, lines in groups:
            height += 10
            for line in lines:
                wrapped = pdf.multi_cell(w, size * 0.5, "• " + line, dry_run=True, output="LINES")
                assert isinstance(wrapped, list)
                height += len(wrapped) * size * 0.5
                height += 1
        if height <= room:
            return size
    return SIZES[-1]


def _list_pdf(
    pdf: _Pdf, x: float, y: float, w: float, head: str, lines: tuple[str, ...], size: int = 13
) -> float:
    pdf.set_xy(x, y)
    pdf.set_font(FONT_NAME, "B", 14)
    pdf.set_text_color(*NAVY)
    pdf.multi_cell(w, 9, head)
    pdf.set_font(FONT_NAME, "", size)
    pdf.set_text_color(*GREY)
    for line in lines:
        pdf.set_x(x)
        pdf.multi_cell(w, size * 0.5, "• " + line, align="L")
        pdf.set_y(pdf.get_y() + 1)
    return pdf.get_y() + 3


def pdf_bytes(deck: Deck) -> bytes:
    """The deck as a 16:9 PDF, DejaVu Sans embedded (Vietnamese text stays text), the chart at 3×."""
    pdf = _Pdf()
    pdf.set_title(f"{deck.heading} — {deck.date_line}")
    for n, slide in enumerate(deck.slides, start=1):
        pdf.add_page()
        pdf.set_xy(12, 8)
        pdf.set_font(FONT_NAME, "B", 24)
        pdf.set_text_color(*NAVY)
        pdf.multi_cell(PAGE_W - 24, 11, slide.title)
        if slide.subtitle:
            pdf.set_x(12)
            pdf.set_font(FONT_NAME, "", 14)
            pdf.set_text_color(*GREY)
            pdf.multi_cell(PAGE_W - 24, 7, slide.subtitle)
        if slide.key == "cover" and deck.scope:
            pdf.set_x(12)
            pdf.multi_cell(PAGE_W - 24, 7, "Phạm vi: " + deck.scope)
        pdf.set_font(FONT_NAME, "", 9)
        pdf.set_text_color(*GREY)
        pdf.set_xy(12, PAGE_H - 9)
        pdf.cell(PAGE_W - 24, 5, f"{deck.date_line} · Trang {n}/{len(deck.slides)}", align="R")
        top = max(pdf.get_y(), 30.0) if slide.key != "cover" else 36.0
        if slide.key == "cover":
            y = _tiles_pdf(pdf, slide, top, 4)
            ((head, lines),) = slide.sections
            _list_pdf(pdf, 12, y + 2, 110, head, lines)
            png = cover_chart_png(slide)
            if png:
                pdf.image(
                    io.BytesIO(png), x=130, y=y + 2, h=PAGE_H - y - 14, keep_aspect_ratio=True, w=PAGE_W - 142
                )
            continue
        y = _tiles_pdf(pdf, slide, 30, max(1, min(len(slide.figures), 7))) if slide.figures else 30
        (worst, worst_lines), *others = slide.sections
        room = PAGE_H - y - 14
        size = _fit(pdf, [(worst, worst_lines)], 190, room)
        _list_pdf(pdf, 12, y + 2, 190, worst, worst_lines, size)
        right, size = y + 2, _fit(pdf, others, PAGE_W - 220, room)
        for head, items in others:
            right = _list_pdf(pdf, 208, right, PAGE_W - 220, head, items, size)
    try:
        return bytes(pdf.output())
    finally:
        pdf.close_fonts()
