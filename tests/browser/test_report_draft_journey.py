"""“Dự thảo báo cáo” in Chromium: two office users edit the year-end report's written sections in two
browsers. The first save goes through; the second, started before it, is refused with who saved and
keeps what was typed; the downloaded .docx prints the saved version; after “Tải bản mới nhất” the
second user's save goes through as the next version."""

import io
import re

import pytest
from docx import Document
from playwright.sync_api import expect

from lib.core import report_drafts as rule
from tests.support.browser import download_bytes, sign_in, wait_idle
from tests.support.demo import AS_OF

pytestmark = pytest.mark.browser

PATH = f"/bao-cao?ngay={AS_OF.isoformat()}"  # the whole province's report
GENERAL = rule.SECTION_LABELS[rule.GENERAL]
WHERE = f"báo cáo năm {AS_OF.year} — Tỉnh Bắc Ninh"


def _save(page, text):
    wait_idle(page)  # a click during a rerun can be dropped by the page
    page.get_by_label(GENERAL, exact=True).fill(text)
    page.get_by_role("button", name="Lưu dự thảo", exact=True).click()


def _general_section(docx_bytes):
    text = [p.text for p in Document(io.BytesIO(docx_bytes)).paragraphs]
    return text[text.index("V. ĐÁNH GIÁ CHUNG") + 1]


def test_two_office_users_edit_the_draft_and_neither_edit_is_silently_lost(app_server, browser):
    base = app_server()
    contexts = [browser.new_context(accept_downloads=True) for _ in range(2)]
    try:
        office, admin = (context.new_page() for context in contexts)
        for page, username in ((office, "vanphong"), (admin, "admin")):
            sign_in(page, base, username, path=PATH)
            expect(page.get_by_text("Chưa có dự thảo", exact=False)).to_be_visible(timeout=30_000)
            # Before any draft, the editor starts from the text generated from the figures.
            general = page.get_by_label(GENERAL, exact=True)
            expect(general).to_have_value(re.compile(rf"^Năm {AS_OF.year}, Tỉnh Bắc Ninh theo dõi"))
            wait_idle(page)

        _save(admin, "Bản của quản trị.")
        expect(admin.get_by_text(f"Đã lưu dự thảo {WHERE} (bản 1).")).to_be_visible(timeout=30_000)

        # The office's page was opened before that save: its save is refused, naming who saved.
        _save(office, "Bản của văn phòng.")
        expect(office.get_by_text("đã được Quản trị hệ thống lưu lúc", exact=False).first).to_be_visible(
            timeout=30_000
        )
        expect(office.get_by_text("bắt đầu sửa từ khi chưa có dự thảo", exact=False).first).to_be_visible()
        expect(office.get_by_label(GENERAL, exact=True)).to_have_value("Bản của văn phòng.")  # kept
        wait_idle(office)
        assert _general_section(download_bytes(office, "Tải báo cáo (.docx)")) == "Bản của quản trị."

        office.get_by_role("button", name="Tải bản mới nhất", exact=True).click()
        expect(office.get_by_label(GENERAL, exact=True)).to_have_value("Bản của quản trị.", timeout=30_000)
        wait_idle(office)
        _save(office, "Bản thống nhất.")
        expect(office.get_by_text(f"Đã lưu dự thảo {WHERE} (bản 2).")).to_be_visible(timeout=30_000)
        wait_idle(office)
        assert _general_section(download_bytes(office, "Tải báo cáo (.docx)")) == "Bản thống nhất."
    finally:
        for context in contexts:
            context.close()
