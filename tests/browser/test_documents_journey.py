"""The office enters a new plan on /van-ban, assigns it to four UBND of today's phường and xã, and finds
the four tasks on /nhiem-vu filtered by that plan."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lib.data.db import make_engine, transaction
from lib.data.models import Agency, Document, Task
from tests.support.browser import pick, sign_in, wait_idle

pytestmark = pytest.mark.browser


def widget(page, key_start: str, key_end: str):
    """The widget whose key starts and ends so (its middle is a form's random token)."""
    return page.locator(f"[class*='st-key-{key_start}'][class*='{key_end}']").first


def type_date(page, box, digits: str) -> None:
    """Type a date into a date input (day, month and year fields, in that order: DD/MM/YYYY)."""
    box.locator("[data-type='day']").click()
    page.keyboard.type(digits)
    page.keyboard.press("Tab")
    wait_idle(page)


def test_the_office_enters_a_plan_and_assigns_it_to_four_ward_committees(browser, app_server, tmp_path):
    base = app_server()
    engine = make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")
    with transaction(engine) as s:
        # Since 1/7/2025 the addressees are the UBND of the new phường and xã: four of today's.
        ubnd = list(
            s.scalars(
                select(Agency.name)
                .where(Agency.kind == "ubnd", Agency.unit_id.is_not(None), Agency.valid_to.is_(None))
                .order_by(Agency.sort_order, Agency.id)
                .limit(4)
            )
        )
    assert len(ubnd) == 4
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    sign_in(page, base, "vanphong", path="/van-ban")
    expect(page.get_by_role("heading", name="Văn bản", exact=True)).to_be_visible(timeout=30_000)

    page.get_by_role("tab", name="Thêm văn bản").click()
    widget(page, "docs_new_", "_number").locator("input").fill("215/KH-CAT")
    type_date(page, widget(page, "docs_new_", "_issued_on"), "25112026")
    widget(page, "docs_new_", "_issuer").locator("input").fill("Công an tỉnh Bắc Ninh")
    plan = "Kế hoạch rà soát quỹ đất trụ sở Công an phường"
    widget(page, "docs_new_", "_title").locator("textarea").fill(plan)
    page.get_by_role("button", name="Thêm văn bản").click()
    expect(page.get_by_role("heading", name="Kế hoạch số 215/KH-CAT")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stToast").filter(has_text="Đã thêm văn bản 215/KH-CAT.")).to_be_visible()
    expect(page.get_by_text("Văn bản này chưa giao nhiệm vụ nào.")).to_be_visible()
    wait_idle(page)

    page.get_by_role("tab", name="Giao nhiệm vụ").click()
    leads = widget(page, "assign_", "_leads").get_by_role("combobox")
    for name in ubnd:
        leads.click()
        page.keyboard.type(name)  # the list shows only the options that match (it is long)
        page.get_by_role("option", name=name, exact=True).click()
        page.keyboard.press("Escape")
        wait_idle(page)
    type_date(page, widget(page, "assign_", "_deadline"), "30062027")
    widget(page, "assign_", "_title").locator("textarea").fill(
        "Rà soát quỹ đất xây dựng trụ sở Công an phường"
    )
    page.get_by_role("button", name="Giao nhiệm vụ").click()
    expect(page.get_by_text("Đã giao 4 nhiệm vụ theo văn bản 215/KH-CAT.")).to_be_visible(timeout=30_000)
    with transaction(engine) as s:
        plan = s.scalar(select(Document).where(Document.number == "215/KH-CAT"))
        made = list(s.scalars(select(Task).where(Task.document_id == plan.id)))
        assert sorted(t.lead_agency.name for t in made) == sorted(ubnd)
        assert {str(t.current_deadline) for t in made} == {"2027-06-30"}

    page.get_by_role("link", name="Mở 4 nhiệm vụ của văn bản này trên trang Nhiệm vụ").click()
    expect(page).to_have_url(re.compile(rf"/nhiem-vu\?.*van_ban_giao={plan.code}"), timeout=30_000)
    expect(page.get_by_role("heading", name="Danh sách nhiệm vụ")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Hiển thị 1–4 trên 4 nhiệm vụ · trang 1/1")).to_be_visible(timeout=30_000)


def test_picking_another_document_keeps_its_edit_tab_open_with_that_documents_number(
    browser, app_server, tmp_path
):
    base = app_server()
    engine = make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")
    with transaction(engine) as s:
        numbers = list(s.scalars(select(Document.number).order_by(Document.id)))
    engine.dispose()
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    sign_in(page, base, "vanphong", path="/van-ban")
    edit_tab = page.get_by_role("tab", name="Sửa văn bản")
    edit_tab.click()
    wait_idle(page)
    number = widget(page, "docs_edit_", "_number").locator("input")
    shown = number.input_value()
    picker = page.locator("[class*='st-key-docs_pick']").first
    for other in [n for n in numbers if n != shown]:
        pick(page, picker, page.get_by_role("option").filter(has_text=other).first)
        wait_idle(page)
        # The form is the picked document's, and the tab stayed open (it used to jump back to "Giao nhiệm
        # vụ" when the page above it changed: a document with tasks, one without).
        expect(number).to_have_value(other)
        expect(edit_tab).to_have_attribute("aria-selected", "true")
    page.close()
