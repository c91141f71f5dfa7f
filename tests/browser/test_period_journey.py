"""A period entry in Chromium: a focal point opens /bao-cao, finds the first task still to report on for the
open period already chosen, saves a draft, then submits it; the entry is then shown frozen."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lib.data.db import make_engine, transaction
from lib.data.models import PeriodEntry, ReportPeriod
from tests.support.browser import sign_in, wait_idle

pytestmark = pytest.mark.browser


def test_a_focal_point_saves_a_draft_and_submits_it(browser, app_server, tmp_path):
    base = app_server()
    engine = make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    sign_in(page, base, "dp.lucngan", path="/bao-cao")
    wait_idle(page)
    box = page.locator("[class*='st-key-period_entry_result_'] textarea").first
    box.scroll_into_view_if_needed()
    key = box.locator("xpath=ancestor::*[contains(@class, 'st-key-period_entry_result_')]").first
    task_id = int(
        next(c for c in key.get_attribute("class").split() if c.startswith("st-key-")).rsplit("_", 1)[1]
    )
    box.fill("Đã khảo sát ba vị trí đất cho trụ sở.")
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_text(f"Đã lưu nháp báo cáo kỳ Năm 2026 của nhiệm vụ mã {task_id}")).to_be_visible(
        timeout=30_000
    )
    wait_idle(page)
    page.get_by_role("button", name="Nộp", exact=True).click()
    expect(page.get_by_text(f"Đã nộp báo cáo kỳ Năm 2026 của nhiệm vụ mã {task_id}")).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_text("báo cáo đã chốt, không sửa được nữa", exact=False)).to_be_visible(timeout=30_000)
    with transaction(engine) as s:
        entry = s.scalars(
            select(PeriodEntry)
            .join(ReportPeriod, ReportPeriod.id == PeriodEntry.period_id)
            .where(PeriodEntry.task_id == task_id, ReportPeriod.label == "Năm 2026")
        ).one()
        assert (entry.state, entry.result, entry.submitted_by, entry.late) == (
            "submitted",
            "Đã khảo sát ba vị trí đất cho trụ sở.",
            "dp.lucngan",
            False,
        )
    engine.dispose()
