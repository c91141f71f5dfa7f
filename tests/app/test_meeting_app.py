"""Meeting mode as a deck through AppTest: one slide at a time, paged by the buttons with the slide in
the URL, a wrong slide number said on the page, and a conclusion recorded under a place's slide."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lib.core import config
from lib.data.db import make_engine, transaction
from lib.data.models import Comment, Task
from tests.support.apptest import open_page

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return make_engine(f"sqlite:///{demo_copy}")


def shown(at) -> list[str]:
    """The markdown on the page as a reader sees it (typed text is escaped in the source)."""
    return [m.value.replace("\\", "") for m in at.markdown]


def test_the_buttons_page_through_the_deck_and_the_url_keeps_the_slide(db):
    at = open_page("lanhdao", trinh_chieu="1")
    assert at.title[0].value == "Tiến độ thực hiện Đề án 30/ĐA-BCA và Đề án 885"
    assert "<div style='text-align:center'>Trang 1/19</div>" in shown(at)
    assert at.button(key="meeting_prev").disabled and not at.button(key="meeting_next").disabled
    at.button(key="meeting_next").click().run()
    assert not at.exception
    assert at.query_params["trang_chieu"] == ["2"] or at.query_params["trang_chieu"] == "2"
    assert at.title[0].value == "Huyện Lục Ngạn (cấp huyện, đến 30/06/2025)"
    assert "<div style='text-align:center'>Trang 2/19</div>" in shown(at)
    at.button(key="meeting_next_page").click().run()  # PageDown does the same
    assert at.title[0].value == "Phường Chũ"
    at.button(key="meeting_prev").click().run()
    at.button(key="meeting_prev_page").click().run()
    assert at.title[0].value.startswith("Tiến độ thực hiện")
    assert {b.key for b in at.get("download_button")} >= {"meeting_pptx", "meeting_pdf"}


def test_the_last_slide_lists_the_worst_overdue_tasks_with_their_obstacles(db):
    at = open_page("lanhdao", trinh_chieu="1", trang_chieu="19")
    assert at.title[0].value == "Cấp tỉnh (Công an tỉnh, sở, ngành)"
    assert "### 5 nhiệm vụ quá hạn lâu nhất" in shown(at)
    (worst,) = [m for m in shown(at) if m.startswith("- Hướng dẫn các địa phương bố trí quỹ đất")]
    assert "quá hạn 882 ngày (hạn 30/06/2024)" in worst
    assert "Khó khăn: Chưa bố trí được quỹ đất đủ 500 m² tại vị trí phù hợp." in worst
    assert at.button(key="meeting_next").disabled


def test_a_slide_the_deck_does_not_have_is_said_until_the_reader_changes_it(db):
    at = open_page("lanhdao", trinh_chieu="1", trang_chieu="40")
    message = "Trang trình chiếu “40” không có: bộ trình chiếu có 19 trang (1–19). Đang hiện trang 1."
    assert message in [w.value for w in at.warning]
    at.run()
    assert message in [w.value for w in at.warning]  # still there after a rerun
    at.button(key="meeting_next").click().run()
    assert message not in [w.value for w in at.warning] and at.title[0].value.startswith("Huyện Lục Ngạn")


def test_a_leader_records_a_conclusion_as_a_direction_on_a_places_task(db):
    # Today's deck, as in a meeting: a deck of an earlier date shows only what was said by then.
    at = open_page("lanhdao", trinh_chieu="1", trang_chieu="4", ngay=config.today().isoformat())
    assert at.title[0].value == "Xã Lục Ngạn"
    at.text_area(key="meeting_direction_text").input("   ")
    at.button(key="FormSubmitter:meeting_direction_u134-Ghi ý kiến chỉ đạo").click().run()
    assert any("Chưa lưu ý kiến" in e.value for e in at.error)
    with transaction(db) as s:
        assert s.scalars(select(Comment)).all() == []  # nothing written
    task = at.selectbox(key="meeting_task").value
    at.text_area(key="meeting_direction_text").input("Giải ngân dứt điểm trước 31/12/2026.")
    at.button(key="FormSubmitter:meeting_direction_u134-Ghi ý kiến chỉ đạo").click().run()
    assert not at.exception
    assert f"Đã ghi ý kiến chỉ đạo vào nhiệm vụ mã {task}." in [s.value for s in at.success]
    with transaction(db) as s:
        (comment,) = s.scalars(select(Comment)).all()
    assert (comment.row_id, comment.kind, comment.author) == (task, "direction", "lanhdao")
    assert any("Giải ngân dứt điểm trước 31/12/2026" in m for m in shown(at))  # on the slide at once


def test_focal_points_see_the_deck_but_record_no_conclusion(db):
    at = open_page("dp.lucngan", trinh_chieu="1", trang_chieu="4")
    assert at.title[0].value == "Xã Lục Ngạn"
    assert not at.get("text_area") and not at.expander


def test_the_office_gives_a_new_task_from_the_meeting_in_the_slides_district(db):
    with transaction(db) as s:
        before = s.scalar(select(func.count()).select_from(Task))
    at = open_page("vanphong", trinh_chieu="1", trang_chieu="4")
    assert at.title[0].value == "Xã Lục Ngạn"
    assert at.selectbox(key="meeting_task_add_0_locality_id").value == 1  # Huyện Lục Ngạn by default
    at.text_area(key="meeting_task_add_0_title").input("Rà soát quỹ đất trụ sở theo kết luận cuộc họp")
    at.selectbox(key="meeting_task_add_0_document_id").select_index(1)
    at.selectbox(key="meeting_task_add_0_lead_agency_id").select_index(1)
    at.button(key="FormSubmitter:meeting_task_add_form_0-Giao nhiệm vụ").click().run()
    assert not at.exception
    with transaction(db) as s:
        assert s.scalar(select(func.count()).select_from(Task)) == before + 1
        task = s.scalars(select(Task).order_by(Task.id.desc())).first()
    assert (task.title, task.locality_id) == ("Rà soát quỹ đất trụ sở theo kết luận cuộc họp", 1)
    assert f"Đã giao nhiệm vụ mã {task.id} theo kết luận cuộc họp." in [s.value for s in at.success]
