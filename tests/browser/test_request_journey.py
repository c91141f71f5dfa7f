"""Propose, then confirm, in Chromium: a focal point asks the office to confirm a completion from the
task's detail section; the office, signed in elsewhere, opens the same task from its link, sees
"Chờ xác nhận" and confirms; only then is the task completed, with the request's document."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lib.data.db import make_engine, transaction
from lib.data.models import Locality, Task, TaskRequest
from tests.support.browser import sign_in, wait_idle
from tests.support.demo import AS_OF

pytestmark = pytest.mark.browser
DOCUMENT = "88/QĐ-UBND ngày 20/11/2026"


def widget(page, key: str):
    return page.locator(f".st-key-{key}").first


def test_a_focal_point_proposes_and_the_office_confirms(browser, app_server, tmp_path):
    base = app_server()
    engine = make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")
    with transaction(engine) as s:
        task_id = s.scalar(
            select(Task.id)
            .join(Locality, Locality.id == Task.locality_id)
            .where(Locality.code == "luc-ngan", Task.state == "dang_thuc_hien")
            .order_by(Task.id)
        )
    link = f"/nhiem-vu?ngay={AS_OF.isoformat()}&ma={task_id}"

    focal = browser.new_page(viewport={"width": 1400, "height": 1600})
    sign_in(focal, base, "dp.lucngan", path=link)
    # The link (?ma=) opens the task's detail section at once.
    wait_idle(focal)
    widget(focal, "tasks_req_result").locator("textarea").fill("Đã bố trí vốn cho trụ sở Công an xã.")
    widget(focal, "tasks_req_reason").locator("textarea").fill("Có quyết định giao vốn.")
    widget(focal, "tasks_req_document").locator("input").fill(DOCUMENT)
    focal.get_by_role("button", name="Gửi đề nghị").click()
    expect(focal.get_by_text("chờ Văn phòng xác nhận", exact=False).first).to_be_visible(timeout=30_000)
    with transaction(engine) as s:
        assert s.get(Task, task_id).state == "dang_thuc_hien"  # nothing changed yet

    office = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
    sign_in(office, base, "vanphong", path=link)
    expect(office.get_by_text("Chờ xác nhận", exact=False).first).to_be_visible(timeout=30_000)
    wait_idle(office)
    office.get_by_role("button", name="Xác nhận", exact=True).click()
    expect(office.get_by_text("nhiệm vụ đã được cập nhật", exact=False)).to_be_visible(timeout=30_000)
    with transaction(engine) as s:
        task = s.get(Task, task_id)
        request = s.scalars(select(TaskRequest).where(TaskRequest.task_id == task_id)).one()
    assert (task.state, task.result_doc, task.updated_by) == ("hoan_thanh", DOCUMENT, "vanphong")
    assert (request.state, request.requested_by, request.decided_by) == (
        "confirmed",
        "dp.lucngan",
        "vanphong",
    )
    engine.dispose()
