"""A period entry in Chromium: a focal point opens /bao-cao, finds the first task still to report on for the
open period already chosen, saves a draft, then submits it; the entry is then shown frozen."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lib.core import periods as rule
from lib.data.db import make_engine, transaction
from lib.data.models import PeriodEntry, ReportPeriod
from lib.editing import actions
from lib.editing import periods as edits
from tests.support.browser import pick, sign_in, wait_idle
from tests.support.edit_machinery import actor

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


def test_each_open_period_shows_its_own_entry_of_a_task(browser, app_server, tmp_path):
    # The year's period and a quarter's are open together. A focal point types for a task in one, then
    # switches to the other: each must show its own entries, not what the browser held for the first.
    base = app_server()
    engine = make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")
    quarter = actions.perform(
        engine, actor(engine, "vanphong"), edits.open_period, rule.QUARTER, "Quý 4 năm 2026", "01/10/2026",
        "31/12/2026", "20/12/2026", now=datetime(2026, 11, 29, 10),
    )  # fmt: skip
    with transaction(engine) as s:
        year = s.scalar(select(ReportPeriod.id).where(ReportPeriod.label == "Năm 2026"))
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    sign_in(page, base, "dp.lucngan", path="/bao-cao")
    periods = page.locator("[class*='st-key-period_entry_period']").first
    tasks = page.locator("[class*='st-key-period_entry_task']").first

    def box_of(period_id: int):
        """The result box of the period's entry shown (its key holds the period and the task)."""
        found = page.locator(f"[class*='st-key-period_entry_result_{period_id}_'] textarea").first
        expect(found).to_be_visible(timeout=30_000)
        return found

    def choose_period(label: str) -> None:
        wait_idle(page)
        if not periods.locator("input").input_value().startswith(f"{label} "):
            pick(page, periods, page.get_by_role("option").filter(has_text=re.compile(f"^{label} ")).first)
            wait_idle(page)
        expect(periods.locator("input")).to_have_value(re.compile(f"^{label} "))

    # In the quarter nothing is written: its first task is still to do, and what is typed stays unsaved.
    choose_period("Quý 4 năm 2026")
    box_of(quarter).fill("Viết cho quý 4, chưa lưu.")
    # The year: its first task still to do, with its own label and an empty box (the task box used to
    # keep the quarter's task, labelled "Chưa viết" though submitted in the year, shown frozen).
    choose_period("Năm 2026")
    box = box_of(year)
    year_task = _task_of(box)
    expect(tasks.locator("input")).to_have_value(re.compile(f"^{year_task} — .* — Chưa viết$"))
    expect(box).to_have_value("")
    box.fill("Viết cho năm, chưa lưu.")
    # Back in the quarter, the same task: its own (empty) entry, not the year's text.
    choose_period("Quý 4 năm 2026")
    if _task_of(box_of(quarter)) != year_task:
        pick(page, tasks, page.get_by_role("option").filter(has_text=re.compile(f"^{year_task} — ")).first)
        wait_idle(page)
    box = page.locator(f"[class*='st-key-period_entry_result_{quarter}_{year_task}'] textarea")
    expect(box).to_be_visible(timeout=30_000)
    expect(box).to_have_value("")
    page.close()
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
