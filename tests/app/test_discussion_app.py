"""Discussion in the pages through AppTest: the office comments on a task naming a coordinator, who
finds it in "Việc chờ bạn" on the overview and sees it marked seen once the task is opened; a
leader's direction is highlighted and shows in the task list's "Chỉ đạo"; bad input is refused in
Vietnamese and the typed text kept; a reader gets no form; /tru-so and /phuong-kieu-mau draw the panel."""

import pytest
from sqlalchemy import func, select

from lib.core import config
from lib.core.roles import system_actor
from lib.data.db import make_engine, transaction
from lib.data.models import Comment, Locality, Mention, Task
from lib.editing import actions, discussion, user_admin
from tests.support.apptest import TASKS_PAGE, open_page
from tests.support.demo import DEMO_PASSWORD
from tests.support.edit_machinery import actor

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return make_engine(f"sqlite:///{demo_copy}")


def luc_ngan_task(db) -> tuple[int, str]:
    with transaction(db) as s:
        row = s.execute(
            select(Task.id, Task.title)
            .join(Locality, Locality.id == Task.locality_id)
            .where(Locality.code == "luc-ngan")
            .order_by(Task.id)
            .limit(1)
        ).one()
        return int(row[0]), str(row[1])


def comment_count(db) -> int:
    with transaction(db) as s:
        return int(s.scalar(select(func.count()).select_from(Comment)))


def test_a_mention_waits_on_the_overview_until_the_coordinator_opens_the_task(db):
    task, title = luc_ngan_task(db)
    office = open_page("vanphong", TASKS_PAGE, ma=str(task))
    assert "Chưa có ý kiến nào." in [c.value for c in office.caption]
    assert office.radio(key=f"tasks_talk_{task}_kind").options == ["Ý kiến trao đổi", "Ý kiến chỉ đạo"]
    office.text_area(key=f"tasks_talk_{task}_body").input("Đề nghị @dp.lucngan bổ sung biên bản nghiệm thu.")
    office.button(key=f"tasks_talk_{task}_send").click().run()
    assert not office.exception, office.exception
    assert "Đã gửi ý kiến." in [s.value for s in office.success]
    assert office.text_area(key=f"tasks_talk_{task}_body").value == ""  # cleared once saved
    assert any("bổ sung biên bản nghiệm thu" in m.value for m in office.markdown)
    with transaction(db) as s:
        (mention,) = s.scalars(select(Mention)).all()
    assert (mention.username, mention.seen_at) == ("dp.lucngan", None)

    home = open_page("dp.lucngan")
    assert "Việc chờ bạn" in [h.value for h in home.subheader]
    (link,) = [p.proto for p in home.get("page_link") if title[:30] in p.proto.label]
    assert link.page.endswith("nhiem-vu") or "tasks" in link.page
    assert f"ma={task}" in link.query_string
    assert "Văn phòng" in link.label or "vanphong" in link.label

    opened = open_page("dp.lucngan", TASKS_PAGE, ma=str(task))
    assert any("bổ sung biên bản nghiệm thu" in m.value for m in opened.markdown)
    with transaction(db) as s:
        assert s.scalars(select(Mention)).one().seen_at is not None
    assert "Việc chờ bạn" not in [h.value for h in open_page("dp.lucngan").subheader]


def test_seen_from_the_overview_with_its_button(db):
    task, _title = luc_ngan_task(db)
    actions.perform(db, actor(db, "vanphong"), discussion.add, "task", task, "@dp.lucngan xem giúp.")
    home = open_page("dp.lucngan")
    (seen,) = [b for b in home.button if (b.key or "").startswith("overview_talk_seen_")]
    seen.click().run()
    assert not home.exception
    assert "Việc chờ bạn" not in [h.value for h in home.subheader]


def test_a_leaders_direction_is_highlighted_and_shows_in_the_task_list(db):
    task, _title = luc_ngan_task(db)
    at = open_page("lanhdao", TASKS_PAGE, ma=str(task))
    at.radio(key=f"tasks_talk_{task}_kind").set_value("direction")
    at.text_area(key=f"tasks_talk_{task}_body").input("Hoàn thành trước 15/12/2026.")
    at.button(key=f"tasks_talk_{task}_send").click().run()
    assert not at.exception, at.exception
    assert "Đã gửi ý kiến chỉ đạo." in [s.value for s in at.success]
    assert any("Ý kiến chỉ đạo" in w.value and "Hoàn thành trước 15/12/2026" in w.value for w in at.warning)
    at = open_page("lanhdao", TASKS_PAGE, ma=str(task))
    (grid,) = [d for d in at.dataframe if "direction" in d.value.columns]
    cell = grid.value.set_index("id").loc[task, "direction"]
    assert cell.startswith("Hoàn thành trước 15/12/2026. — ") and cell.endswith(
        config.today().strftime("%d/%m/%Y")
    )


def test_an_unknown_mention_is_refused_in_vietnamese_and_the_text_is_kept(db):
    task, _title = luc_ngan_task(db)
    at = open_page("dp.lucngan", TASKS_PAGE, ma=str(task))
    assert not at.get("radio") or f"tasks_talk_{task}_kind" not in [r.key for r in at.radio]  # no directions
    at.text_area(key=f"tasks_talk_{task}_body").input("Nhờ @dp.khongco kiểm tra.")
    at.button(key=f"tasks_talk_{task}_send").click().run()
    assert not at.exception
    assert any("“@dp.khongco”" in e.value for e in at.error), [e.value for e in at.error]
    assert at.text_area(key=f"tasks_talk_{task}_body").value == "Nhờ @dp.khongco kiểm tra."
    assert at.text_area(key=f"tasks_talk_{task}_body").max_chars == 2000  # the server checks it again
    assert comment_count(db) == 0


def test_a_reader_reads_the_thread_but_gets_no_form(db):
    task, _title = luc_ngan_task(db)
    actions.perform(db, actor(db, "vanphong"), discussion.add, "task", task, "Đã nhắc lần 2.")
    actions.perform(
        db,
        system_actor(),
        user_admin.create_user,
        username="cb.xem",
        display_name="Cán bộ xem",
        role="xem",
        locality_code=None,
        password=DEMO_PASSWORD,
        now=config.now(),
    )
    at = open_page("cb.xem", TASKS_PAGE, ma=str(task))
    assert any("Đã nhắc lần 2" in m.value for m in at.markdown)
    assert f"tasks_talk_{task}_send" not in [b.key for b in at.button]
    assert "Vai trò của bạn chỉ được xem trao đổi." in [c.value for c in at.caption]


def test_the_headquarters_and_model_ward_pages_draw_the_discussion(db):
    at = open_page("dp.bacgiang", "pages/hq.py")
    at.selectbox(key="hq_files_pick").select_index(0).run()
    project = at.selectbox(key="hq_files_pick").value
    at.text_area(key=f"hq_talk_{project}_body").input("Đã bàn giao mặt bằng.")
    at.button(key=f"hq_talk_{project}_send").click().run()
    assert not at.exception, at.exception
    assert "Đã gửi ý kiến." in [s.value for s in at.success]
    at = open_page("dp.bacgiang", "pages/wards.py")
    at.selectbox(key="wards_files_pick").select_index(0).run()
    assert not at.exception
    ward = at.selectbox(key="wards_files_pick").value
    assert f"wards_talk_{ward}_send" in [b.key for b in at.button]
    with transaction(db) as s:
        assert s.scalars(select(Comment.entity)).all() == ["hq_project"]


def test_meeting_mode_shows_the_latest_directions(db):
    task, _title = luc_ngan_task(db)
    actions.perform(
        db,
        actor(db, "lanhdao"),
        discussion.add,
        "task",
        task,
        "Tập trung giải ngân trước 31/12.",
        "direction",
    )
    at = open_page("lanhdao", trinh_chieu="1")
    assert "## Ý kiến chỉ đạo gần đây" in [m.value for m in at.markdown]
    (shown,) = [w.value for w in at.warning if "Tập trung giải ngân trước 31/12" in w.value]
    assert "Lãnh đạo" in shown or "lanhdao" in shown


def test_text_typed_on_one_task_does_not_follow_to_another_task(db):
    task, _title = luc_ngan_task(db)
    office = open_page("vanphong", TASKS_PAGE, ma=str(task))
    office.text_area(key=f"tasks_talk_{task}_body").input("Nháp cho nhiệm vụ thứ nhất").run()
    picker = office.selectbox(key="tasks_detail_pick")
    other = next(o for o in picker.options if not o.startswith(f"{task} "))
    picker.select(other).run()
    other_id = office.selectbox(key="tasks_detail_pick").value
    assert other_id != task
    assert [t.key for t in office.text_area if "_talk_" in (t.key or "")] == [f"tasks_talk_{other_id}_body"]
    assert office.text_area(key=f"tasks_talk_{other_id}_body").value == ""
    assert comment_count(db) == 0
