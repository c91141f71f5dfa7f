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
    task_id = _task_of(box)
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
    entry = _entry(engine, task_id)
    assert (entry.state, entry.result, entry.submitted_by, entry.late) == (
        "submitted",
        "Đã khảo sát ba vị trí đất cho trụ sở.",
        "dp.lucngan",
        False,
    )
    engine.dispose()


def test_a_draft_saved_from_another_tab_is_never_overwritten_by_a_second_click(browser, app_server, tmp_path):
    # One focal point, two tabs on the same entry. The first tab saves; the second tab's save is refused,
    # and clicking "Lưu nháp" again must not write over the first tab's draft either.
    base = app_server()
    engine = make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        first = context.new_page()
        sign_in(first, base, "dp.lucngan", path="/bao-cao")
        second = context.new_page()  # signed in by the cookie the first tab got
        second.goto(base + "/bao-cao")
        boxes = []
        for page in (first, second):
            wait_idle(page)
            box = page.locator("[class*='st-key-period_entry_result_'] textarea").first
            expect(box).to_be_visible(timeout=30_000)
            boxes.append(box)
        task_id = _task_of(boxes[0])
        assert _task_of(boxes[1]) == task_id

        boxes[0].fill("Bản của tab thứ nhất.")
        first.get_by_role("button", name="Lưu nháp").click()
        expect(first.get_by_text(f"Đã lưu nháp báo cáo kỳ Năm 2026 của nhiệm vụ mã {task_id}")).to_be_visible(
            timeout=30_000
        )

        boxes[1].fill("Bản của tab thứ hai.")
        for _click in range(2):
            wait_idle(second)
            second.get_by_role("button", name="Lưu nháp").click()
            wait_idle(second)
            expect(second.get_by_text(f"nhiệm vụ mã {task_id} vừa được lưu bởi", exact=False)).to_be_visible(
                timeout=30_000
            )
            expect(boxes[1]).to_have_value("Bản của tab thứ hai.")  # what was typed stays on the page
        wait_idle(second)
        stored = _entry(engine, task_id)
        assert (stored.result, stored.version) == ("Bản của tab thứ nhất.", 1)
    finally:
        context.close()
        engine.dispose()


def _task_of(box):
    key = box.locator("xpath=ancestor::*[contains(@class, 'st-key-period_entry_result_')]").first
    css_key = next(c for c in key.get_attribute("class").split() if c.startswith("st-key-"))
    return int(css_key.rsplit("_", 1)[1])


def _entry(engine, task_id):
    """The stored entry of this task for the demo's open period, "Năm 2026"."""
    with transaction(engine) as s:
        return s.scalars(
            select(PeriodEntry)
            .join(ReportPeriod, ReportPeriod.id == PeriodEntry.period_id)
            .where(PeriodEntry.task_id == task_id, ReportPeriod.label == "Năm 2026")
        ).one()
