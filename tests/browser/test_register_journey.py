"""Bringing the tracker in, in Chromium: the office downloads the template, fills it, uploads it, reads the
preview, imports, and finds the new task in the task list."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from lib.core.catalogue import REGISTER_SHEETS, REGISTER_TASKS, TASK
from lib.core.roles import VAN_PHONG
from lib.data.db import make_engine, transaction
from lib.data.models import Task
from tests.support.browser import download_bytes, sign_in, wait_idle
from tests.support.tasks_grid import first_row_id

pytestmark = pytest.mark.browser

TITLE = "Rà soát nhu cầu trang phục cho Công an phường mới"
NEW_ROW = {
    "Văn bản giao": "18/KH-CAT",  # not registered: the import adds it
    "Nội dung nhiệm vụ": TITLE,
    "Cơ quan chủ trì": "Sở Nội vụ",  # leads no task of Lục Ngạn in the demo: the filter finds this one alone
    "Cơ quan phối hợp": "Công an tỉnh Bắc Ninh; Sở Tài chính",
    "Địa bàn": "Huyện Lục Ngạn",
    "Hạn ban đầu": "30/06/2027",
    "Trạng thái": "Đang thực hiện",
    "Tiến độ (%)": 20,
}


def test_the_office_brings_its_tracker_in(browser, app_server, tmp_path):
    base = app_server()
    context = browser.new_context(accept_downloads=True, viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    try:
        sign_in(page, base, "vanphong", path="/nhap-so-theo-doi")
        expect(page.get_by_role("heading", name="Nhập sổ theo dõi")).to_be_visible(timeout=30_000)

        template = download_bytes(page, "Tải mẫu sổ theo dõi (.xlsx)")
        book = load_workbook(io.BytesIO(template))  # a real workbook, with the template's headers
        for sheet in REGISTER_SHEETS:
            assert [c.value for c in book[sheet.title][1]] == [c.label for c in sheet.columns]
        book[REGISTER_TASKS.title].append([NEW_ROW.get(c.label) for c in REGISTER_TASKS.columns])
        filled = io.BytesIO()
        book.save(filled)

        wait_idle(page)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
            files=[
                {
                    "name": "so-theo-doi.xlsx",
                    "mimeType": "application/octet-stream",
                    "buffer": filled.getvalue(),
                }
            ]
        )
        expect(page.get_by_text("Sẽ thêm 1 văn bản chưa có trong hệ thống: 18/KH-CAT.")).to_be_visible(
            timeout=60_000
        )
        apply = page.get_by_role("button", name="Nhập: 1 dòng mới, 0 cập nhật")
        expect(apply).to_be_visible()
        wait_idle(page)
        apply.click()
        expect(page.get_by_text("Đã nhập tệp so-theo-doi.xlsx: 1 mới, 0 cập nhật")).to_be_visible(
            timeout=60_000
        )

        with transaction(make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")) as s:
            made = s.scalar(select(Task).where(Task.title == TITLE))
            assert made is not None and made.updated_by == "vanphong"
            assert sorted(a.code for a in made.cooperators) == ["cat-bn", "stc"]

        page.goto(f"{base}/nhiem-vu?ngay=2026-11-29&dia_ban=luc-ngan&chu_tri=snv")
        wait_idle(page)
        assert first_row_id(page) == made.id
        title = page.locator(".st-key-tasks_editor").locator(
            f"[data-testid='glide-cell-{TASK.grid_for(VAN_PHONG).index('title')}-0']"  # the office's editor
        )
        expect(title).to_have_text(TITLE, timeout=30_000)
    finally:
        context.close()
