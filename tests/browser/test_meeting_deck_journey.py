"""The meeting deck in Chromium: a leader opens meeting mode from the overview, pages with the
keyboard (→, PageDown, ←) and the "Sau" button, the slide number following in the URL, and downloads
the .pptx, which opens with python-pptx and holds the deck's slides."""

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pptx import Presentation

from tests.support.browser import download, sign_in, wait_idle
from tests.support.demo import AS_OF

pytestmark = pytest.mark.browser


def heading(page):
    return page.locator("h1").first


def test_a_leader_pages_through_the_deck_with_the_keyboard_and_downloads_it(browser, app_server):
    base = app_server()
    context = browser.new_context(accept_downloads=True, viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    sign_in(page, base, "lanhdao", path=f"/?ngay={AS_OF.isoformat()}")
    page.get_by_text("Chế độ trình chiếu (cho cuộc họp)").click()
    expect(page.get_by_text("Trang 1/19")).to_be_visible(timeout=30_000)
    expect(heading(page)).to_contain_text("Tiến độ thực hiện Đề án 30/ĐA-BCA")
    wait_idle(page)

    page.mouse.click(800, 990)  # focus the page, not a widget
    page.keyboard.press("ArrowRight")
    expect(page.get_by_text("Trang 2/19")).to_be_visible(timeout=30_000)
    expect(heading(page)).to_contain_text("Huyện Lục Ngạn (cấp huyện, đến 30/06/2025)")
    assert "trang_chieu=2" in page.url
    wait_idle(page)
    page.keyboard.press("PageDown")
    expect(page.get_by_text("Trang 3/19")).to_be_visible(timeout=30_000)
    expect(heading(page)).to_contain_text("Phường Chũ")
    wait_idle(page)
    page.get_by_role("button", name="Sau").click()
    expect(page.get_by_text("Trang 4/19")).to_be_visible(timeout=30_000)
    expect(heading(page)).to_contain_text("Xã Lục Ngạn")
    expect(page.get_by_text("quá hạn 211 ngày", exact=False).first).to_be_visible()
    wait_idle(page)
    # Arrows inside the conclusion's text move the caret, not the slide.
    page.get_by_text("Ghi kết luận của cuộc họp").click()
    box = page.locator(".st-key-meeting_direction_text textarea")
    box.fill("Kết luận")
    box.press("ArrowLeft")
    box.press("ArrowRight")
    page.wait_for_timeout(1500)
    wait_idle(page)
    expect(page.get_by_text("Trang 4/19")).to_be_visible()
    page.mouse.click(800, 20)
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_text("Trang 3/19")).to_be_visible(timeout=30_000)
    assert "trang_chieu=3" in page.url
    wait_idle(page)

    file = download(page, "Tải bộ trình chiếu (.pptx)", timeout=60_000)
    assert file.suggested_filename == f"hop-{AS_OF.isoformat()}.pptx"
    prs = Presentation(io.BytesIO(Path(file.path()).read_bytes()))
    titles = [next(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in prs.slides]
    assert len(titles) == 19 and titles[3].startswith("Xã Lục Ngạn")
