"""Propose, then confirm, in the page (AppTest): a focal point asks from the task's detail section, the
row shows "Chờ xác nhận", the office confirms there, and only then does the task change."""

from datetime import date

import pytest
from sqlalchemy import select

from lib.core import config
from lib.data.db import make_engine, transaction
from lib.data.models import Locality, Task, TaskRequest
from tests.support.apptest import open_page

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return make_engine(f"sqlite:///{demo_copy}")


def lucngan_open_task(db) -> Task:
    with transaction(db) as s:
        task = s.scalars(
            select(Task)
            .join(Locality, Locality.id == Task.locality_id)
            .where(Locality.code == "luc-ngan", Task.state == "dang_thuc_hien")
            .order_by(Task.id)
        ).first()
        assert task is not None
        s.expunge(task)
        return task


def test_a_focal_point_proposes_and_the_office_confirms_in_the_page(db):
    task = lucngan_open_task(db)
    at = open_page("dp.lucngan", "pages/tasks.py", ma=str(task.id))
    assert at.selectbox(key="tasks_detail_pick").value == task.id
    at.text_area(key="tasks_req_result").input("Đã bố trí vốn cho trụ sở Công an xã.")
    at.text_area(key="tasks_req_reason").input("Có quyết định giao vốn.")
    at.text_input(key="tasks_req_document").input("88/QĐ-UBND ngày 20/11/2026")
    at.button(key="tasks_req_send").click().run()
    assert not at.exception, at.exception
    assert any("chờ Văn phòng xác nhận" in s.value for s in at.success), [s.value for s in at.success]
    with transaction(db) as s:
        request = s.scalars(select(TaskRequest).where(TaskRequest.task_id == task.id)).one()
        assert (request.state, request.requested_by, s.get(Task, task.id).state) == (
            "pending",
            "dp.lucngan",
            "dang_thuc_hien",
        )
    # The row says it waits; the focal point cannot confirm it.
    assert any("Chờ xác nhận" in w.value for w in at.warning)
    assert "tasks_req_confirm" not in [b.key for b in at.button]

    office = open_page("vanphong", "pages/tasks.py", ma=str(task.id))
    assert any(
        f"Chờ xác nhận**: Hoàn thành ngày {config.today():%d/%m/%Y}" in w.value for w in office.warning
    )
    office.button(key="tasks_req_confirm").click().run()
    assert not office.exception, office.exception
    assert any(f"Đã xác nhận đề nghị mã {request.id}" in s.value for s in office.success)
    with transaction(db) as s:
        stored = s.get(Task, task.id)
        assert (stored.state, stored.completed_on, stored.result_doc) == (
            "hoan_thanh",
            config.today(),
            "88/QĐ-UBND ngày 20/11/2026",
        )
        assert s.get(TaskRequest, request.id).state == "confirmed"
    assert isinstance(stored.completed_on, date)


def test_a_request_without_its_document_is_refused_in_vietnamese_and_nothing_is_stored(db):
    task = lucngan_open_task(db)
    at = open_page("dp.lucngan", "pages/tasks.py", ma=str(task.id))
    at.radio(key="tasks_req_kind").set_value("huy").run()
    at.text_area(key="tasks_req_reason").input("Không còn phù hợp.")
    at.button(key="tasks_req_send").click().run()
    assert not at.exception
    assert any("Văn bản kèm theo" in e.value and "minh chứng" in e.value for e in at.error), [
        e.value for e in at.error
    ]
    with transaction(db) as s:
        assert s.scalars(select(TaskRequest)).all() == []


def test_the_office_returns_a_request_with_a_note_and_a_second_request_is_withdrawn(db):
    task = lucngan_open_task(db)
    at = open_page("dp.lucngan", "pages/tasks.py", ma=str(task.id))
    at.radio(key="tasks_req_kind").set_value("gia_han").run()
    at.date_input(key="tasks_req_new_deadline").set_value(date(2027, 3, 31))
    at.text_area(key="tasks_req_reason").input("Chờ giao đất.")
    at.text_input(key="tasks_req_document").input("12/UBND-CA ngày 01/12/2026")
    at.button(key="tasks_req_send").click().run()
    assert not at.exception, at.exception

    with transaction(db) as s:
        pending = s.scalars(select(TaskRequest.id).where(TaskRequest.task_id == task.id)).one()
    office = open_page("vanphong", "pages/tasks.py", ma=str(task.id))
    office.text_area(key=f"tasks_req_note_{pending}").input("Bổ sung quyết định giao đất.")
    office.button(key="tasks_req_return").click().run()
    assert not office.exception, office.exception
    with transaction(db) as s:
        returned = s.scalars(select(TaskRequest).where(TaskRequest.task_id == task.id)).one()
        assert (returned.state, returned.decided_by, returned.decision_note) == (
            "returned",
            "vanphong",
            "Bổ sung quyết định giao đất.",
        )
        assert s.get(Task, task.id).current_deadline == task.current_deadline  # returned: nothing changes
    assert any(f"Đã trả lại đề nghị mã {returned.id}" in s.value for s in office.success)

    again = open_page("dp.lucngan", "pages/tasks.py", ma=str(task.id))
    again.radio(key="tasks_req_kind").set_value("gia_han").run()
    again.date_input(key="tasks_req_new_deadline").set_value(date(2027, 3, 31))
    again.text_area(key="tasks_req_reason").input("Đã có quyết định giao đất.")
    again.text_input(key="tasks_req_document").input("15/QĐ-UBND ngày 02/12/2026")
    again.button(key="tasks_req_send").click().run()
    again.button(key="tasks_req_withdraw").click().run()
    assert not again.exception, again.exception
    with transaction(db) as s:
        states = s.scalars(
            select(TaskRequest.state).where(TaskRequest.task_id == task.id).order_by(TaskRequest.id)
        ).all()
    assert states == ["returned", "withdrawn"]


def test_a_linked_task_opens_even_when_the_filters_leave_it_out(db):
    task = lucngan_open_task(db)  # a Lục Ngạn task, linked from a page filtered to Việt Yên
    at = open_page("vanphong", "pages/tasks.py", dia_ban="viet-yen", ma=str(task.id))
    assert not at.exception, at.exception
    assert at.selectbox(key="tasks_detail_pick").value == task.id
    assert at.button(key="tasks_req_send")  # its panels are drawn
    unknown = open_page("vanphong", "pages/tasks.py", ma="999999")
    assert not unknown.exception
    assert unknown.selectbox(key="tasks_detail_pick").value is None
