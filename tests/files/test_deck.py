"""The meeting pack as files, opened the way a reader's software opens them: the .pptx with
python-pptx, the PDF with pypdf. Same slides, same figures, Vietnamese text intact, the font inside."""

from __future__ import annotations

import html
import io
import re

import pytest
import vl_convert as vlc
from pptx import Presentation
from pptx.util import Emu
from pypdf import PdfReader

from lib.core.filters import Filters
from lib.data import deck
from lib.data.db import transaction
from lib.files.deck import cover_chart_spec, pdf_bytes, pptx_bytes
from lib.files.deck_chart import cover_chart
from lib.ui.charts import for_projector
from tests.support.demo import AS_OF


@pytest.fixture(scope="module")
def pack(demo_engine) -> deck.Deck:
    with transaction(demo_engine) as s:
        return deck.build_deck(s, Filters(), AS_OF, 30, today=AS_OF)


def slide_texts(data: bytes) -> list[str]:
    prs = Presentation(io.BytesIO(data))
    assert (prs.slide_width, prs.slide_height) == (Emu(12192120), Emu(6858000))  # 16:9, 13.33 x 7.5 in
    return ["\n".join(sh.text_frame.text for sh in sl.shapes if sh.has_text_frame) for sl in prs.slides]


def expected(slide: deck.Slide) -> list[str]:
    """What a reader must find on a slide: its title, every figure, every listed line."""
    lines = [slide.title, *(f.label for f in slide.figures), *(f.value for f in slide.figures)]
    return lines + [line for _head, items in slide.sections for line in items]


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_pptx_holds_the_same_slides_and_figures_as_the_page(pack):
    texts = slide_texts(pptx_bytes(pack))
    assert len(texts) == len(pack.slides) == 19
    assert "Số liệu tính đến ngày 29/11/2026" in texts[0]
    assert "Tỷ lệ hoàn thành đúng hạn\n67,7%" in texts[0] and "Đã giải ngân (tỷ đồng)\n61,28" in texts[0]
    for text, slide in zip(texts, pack.slides, strict=True):
        for line in expected(slide):
            assert line in text, (slide.title, line)
    assert "Khó khăn: Chưa bố trí được quỹ đất đủ 500 m² tại vị trí phù hợp." in texts[-1]


def test_the_pdf_has_the_figures_in_vietnamese_with_its_font_embedded(pack):
    reader = PdfReader(io.BytesIO(pdf_bytes(pack)))
    assert len(reader.pages) == len(pack.slides)
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert round(width / height, 3) == round(16 / 9, 3)
    pages = [flat(p.extract_text()) for p in reader.pages]
    assert "Số liệu tính đến ngày 29/11/2026" in pages[0]
    assert "Tỷ lệ hoàn thành đúng hạn 67,7%" in pages[0] and "Phường được công nhận 1" in pages[0]
    for text, slide in zip(pages, pack.slides, strict=True):
        for line in expected(slide):
            assert flat(line) in text, (slide.title, line)
    assert "Hướng dẫn các địa phương bố trí quỹ đất xây dựng trụ sở Công an phường" in pages[-1]
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert "DejaVu" in font["/BaseFont"] and "/FontFile2" in descriptor  # embedded, not named
    chart = [img for img in reader.pages[0].images]
    assert chart and chart[0].image.width >= 1500  # the cover's chart at high resolution


def test_a_crowded_slide_keeps_every_line_on_its_page(pack):
    long = "Chưa bố trí được quỹ đất đủ 500 m² do vướng giải phóng mặt bằng, chờ ý kiến của tỉnh. " * 3
    worst = tuple(
        deck.Overdue(
            i, "Bố trí đất xây dựng trụ sở Công an phường theo quy hoạch " * 3, 900 - i, None, "UBND", long
        )
        for i in range(deck.WORST)
    )
    crowded = deck.Slide(
        key="u1",
        title="Phường Đông Đúc",
        subtitle="Thị xã Thử",
        figures=pack.slides[1].figures,
        overdue=worst,
        requests=(
            *(f"Gia hạn: nhiệm vụ {i} — Điều phối viên, 28/11/2026" for i in range(5)),
            "… và 3 đề nghị khác.",
        ),
        directions=tuple("Tập trung tháo gỡ vướng mắc về đất, báo cáo trước 31/12. " * 2 for _ in range(3)),
    )
    reader = PdfReader(io.BytesIO(pdf_bytes(deck.Deck(AS_OF, deck.TITLE, "", (pack.slides[0], crowded)))))
    page = reader.pages[1]
    lows: list[float] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            lows.append(tm[5])

    page.extract_text(visitor_text=visit)
    assert lows and min(lows) > 10  # mm from the bottom edge in points: nothing ran off the page
    assert "… và 3 đề nghị khác." in flat(page.extract_text())


@pytest.mark.parametrize("projector", [False, True], ids=["file", "projector"])
def test_the_cover_chart_shows_every_place_and_status_whole(pack, projector):
    # Rendered as the .pptx/.pdf have it (cover_chart_png's spec), and as the page draws it on a projector
    # (half a page, large type).
    # A place with a note in brackets goes on two lines; nothing is cut with "…".
    slide = pack.slides[0]
    if projector:
        spec = for_projector(cover_chart(slide)).properties(width=560).to_dict()
    else:
        spec = cover_chart_spec(slide)
    svg = vlc.vegalite_to_svg(spec)
    texts = [html.unescape(t) for t in re.findall(r"<(?:text|tspan)[^>]*>([^<]+)<", svg)]  # a line each
    assert not [t for t in texts if "…" in t]
    places = {p for p, _bucket, _n in pack.slides[0].chart}
    assert "Thành phố Bắc Giang (cấp huyện, đến 30/06/2025)" in places
    for place in places:
        name, _, note = place.partition(" (")
        assert name in texts and (not note or f"({note}" in texts), place
    assert "Quá hạn (chưa hoàn thành)" in texts
