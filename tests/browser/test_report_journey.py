"""Downloads in Chromium: the year-end report as .docx and .xlsx, and a follow-up list, opened and checked."""

import io

import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import expect

from lib.core.filters import Filters
from lib.core.formatting import fmt_int, fmt_pct
from lib.data import followup
from lib.data.db import make_engine, transaction
from lib.files import export, report
from tests.support.browser import download_bytes, sign_in, wait_idle
from tests.support.demo import AS_OF
from tests.support.postgres import relayed_demo_database

pytestmark = pytest.mark.browser


def _database(tmp_path):
    return make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")


def test_the_report_downloads_as_docx_and_xlsx_with_the_figures_on_screen(app_server, browser, tmp_path):
    base = app_server()
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(page, base, "lanhdao", path=f"/bao-cao?dia_ban=bac-giang&ngay={AS_OF.isoformat()}")
        expect(
            page.get_by_text(
                "Kết quả thực hiện Đề án 30/ĐA-BCA và Đề án 885 năm 2026 — Địa bàn thành phố Bắc Giang (cũ)"
            )
        ).to_be_visible(timeout=30_000)
        wait_idle(page)
        engine = _database(tmp_path)
        with transaction(engine) as s:
            expected = report.build_report(s, "bac-giang", AS_OF, 90)

        docx = Document(io.BytesIO(download_bytes(page, "Tải báo cáo (.docx)")))
        text = "\n".join(p.text for p in docx.paragraphs)
        assert "BÁO CÁO" in text and "Số liệu tính đến ngày 29/11/2026" in text
        # the city ended on 1/7/2025: its former territory is reported by the provincial police of the date
        assert "CÔNG AN TỈNH BẮC NINH" in docx.tables[0].cell(0, 0).text
        assert "Địa bàn thành phố Bắc Giang (cũ)" in text
        rows = [[c.text.strip() for c in row.cells] for row in docx.tables[1].rows[1:]]
        assert rows == [[line.label, fmt_int(line.count), fmt_pct(line.share)] for line in expected.lines]

        book = load_workbook(io.BytesIO(download_bytes(page, "Tải số liệu (.xlsx)")))
        tasks = book["Nhiệm vụ"]
        figures = [
            (tasks.cell(r, 1).value.strip(), tasks.cell(r, 2).value)
            for r in range(export.FIRST_DATA_ROW, export.FIRST_DATA_ROW + len(expected.lines))
        ]
        assert figures == [(line.label, line.count) for line in expected.lines]
        money = book["Trụ sở"]  # a row per place of the as-of date (the city's phường, xã), the total, notes
        rows = []
        for r in range(export.FIRST_DATA_ROW, money.max_row + 1):
            rows.append((money.cell(r, 1).value, money.cell(r, 5).value))
            if rows[-1][0] == "Tổng cộng":
                break
        assert rows[-1] == ("Tổng cộng", expected.funding.disbursed)
        assert sum(v for _, v in rows[:-1]) == expected.funding.disbursed
        assert not [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    finally:
        context.close()


def test_the_overdue_list_downloads_for_the_reminder_letter(app_server, browser, tmp_path):
    base = app_server()
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(page, base, "vanphong", path=f"/qua-han?ngay={AS_OF.isoformat()}")
        expect(page.get_by_text("Theo dõi, đôn đốc")).to_be_visible(timeout=30_000)
        wait_idle(page)
        book = load_workbook(io.BytesIO(download_bytes(page, "Tải danh sách quá hạn (.xlsx)")))
        ws = book.worksheets[0]
        with transaction(_database(tmp_path)) as s:
            expected = followup.overdue_tasks(s, Filters(), AS_OF)
        ids = [ws.cell(r, 1).value for r in range(export.FIRST_DATA_ROW, ws.max_row + 1)]
        assert ids == [t["id"] for t in expected] and ids
        headers = [c.value for c in ws[export.HEADER_ROW]]
        days = [
            ws.cell(r, headers.index("Số ngày quá hạn") + 1).value
            for r in range(export.FIRST_DATA_ROW, ws.max_row + 1)
        ]
        assert days == sorted(days, reverse=True) and all(isinstance(d, int) for d in days)
    finally:
        context.close()


def test_a_download_that_fails_says_why_in_the_page_then_works_once_the_database_is_back(
    app_server, browser, make_database
):
    """The file is built when clicked, outside the page's run: its failure must still reach the page."""
    pg = relayed_demo_database(make_database)
    pg.direct.dispose()
    relay = pg.relay
    base = app_server(DATABASE_URL=pg.url)
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(page, base, "vanphong", path=f"/qua-han?ngay={AS_OF.isoformat()}")
        expect(page.get_by_text("Theo dõi, đôn đốc")).to_be_visible(timeout=30_000)
        wait_idle(page)
        relay.stop()  # the database goes away after the page was drawn
        page.get_by_role("button", name="Tải danh sách quá hạn (.xlsx)").click()
        failure = page.get_by_text("Không tạo được tệp “qua-han-20261129.xlsx”: Không kết nối được")
        expect(failure).to_be_visible(timeout=30_000)
        relay.start()
        book = load_workbook(io.BytesIO(download_bytes(page, "Tải danh sách quá hạn (.xlsx)")))
        assert book.worksheets[0].cell(export.FIRST_DATA_ROW, 1).value  # the list, this time
        expect(failure).to_have_count(0)
    finally:
        context.close()
        relay.stop()
