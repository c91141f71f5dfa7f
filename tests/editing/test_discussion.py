"""Comments, directions and mentions on both engines: who may write where, every bad input refused in
Vietnamese with nothing written, the latest direction on the task list, and what awaits a user."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from lib.core import discussion as rule
from lib.core.filters import Filters
from lib.core.roles import Actor, PermissionDenied, Refused
from lib.data import discussion as reads
from lib.data import queries
from lib.data.db import transaction
from lib.data.models import AuditEvent, Comment, HqProject, Locality, Mention, Task, Unit
from lib.editing import actions, discussion
from lib.ops.seed import DEMO_TODAY, seed_demo
from tests.support.edit_machinery import actor

NOW = datetime(2026, 11, 29, 10, 0)
READER = Actor(user_id=None, username="cb.xem", display_name="Cán bộ xem", role="xem")


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def task_of(engine, locality: str, *states: str) -> int:
    with transaction(engine) as s:
        return int(
            s.scalar(
                select(Task.id)
                .join(Locality, Locality.id == Task.locality_id)
                .where(Locality.code == locality, *([Task.state.in_(states)] if states else []))
                .order_by(Task.id)
            )
        )


def project_of(engine, locality: str) -> int:
    with transaction(engine) as s:
        return int(
            s.scalar(
                select(HqProject.id)
                .join(Unit, Unit.id == HqProject.unit_id)
                .join(Locality, Locality.id == Unit.locality_id)
                .where(Locality.code == locality)
                .order_by(HqProject.id)
            )
        )


def counts(engine) -> tuple[int, int, int]:
    with transaction(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(Comment)),
            s.scalar(select(func.count()).select_from(Mention)),
            s.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action.in_(rule.KIND_LABELS))
            ),
        )


def say(engine, who, *args, **kwargs):
    who = who if isinstance(who, Actor) else actor(engine, who)
    return actions.perform(engine, who, discussion.add, *args, now=NOW, **kwargs)


def test_the_office_comments_with_a_mention_and_the_coordinator_finds_it_waiting(demo):
    task = task_of(demo, "luc-ngan")
    comment_id = say(demo, "vanphong", "task", task, "Đề nghị @dp.lucngan bổ sung biên bản nghiệm thu.")
    with transaction(demo) as s:
        (row,) = reads.comments(s, "task", task)
        waiting = reads.awaiting(s, "dp.lucngan", "dieu_phoi")
        office = reads.awaiting(s, "vanphong", "van_phong")
        title = s.get(Task, task).title
    assert (row.id, row.kind, row.author, row.mentions) == (
        comment_id,
        "comment",
        "vanphong",
        ("dp.lucngan",),
    )
    assert row.author_name != "vanphong" and row.created_at == NOW
    (item,) = waiting.mentions
    assert (item.entity, item.row_id, item.title, item.created_at) == ("task", task, title, NOW)
    assert waiting.requests == []  # a coordinator confirms nothing
    assert office.mentions == []
    with transaction(demo) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.field == "comment")).one()
    assert (event.actor, event.action, event.entity, event.row_id, event.reason) == (
        "vanphong",
        "comment",
        "task",
        task,
        "Nhắc: @dp.lucngan",
    )

    # Opening the row marks it seen: the list is empty, and only their own mention was touched.
    lucngan = actor(demo, "dp.lucngan")
    assert actions.perform(demo, lucngan, discussion.mark_row_seen, "task", task, now=NOW) == 1
    with transaction(demo) as s:
        assert reads.awaiting(s, "dp.lucngan", "dieu_phoi").empty
    assert actions.perform(demo, lucngan, discussion.mark_row_seen, "task", task, now=NOW) == 0


def test_a_leaders_direction_shows_on_the_task_list_latest_first_and_in_the_years_directions(demo):
    task = task_of(demo, "luc-ngan")
    say(demo, "lanhdao", "task", task, "Hoàn thành trước 15/12.", rule.DIRECTION)
    say(demo, "dp.lucngan", "task", task, "Đã nhận chỉ đạo.")  # a comment is not a direction
    say(demo, "vanphong", "task", task, "Gửi báo cáo kết quả trước ngày 10/12/2026.", rule.DIRECTION)
    with transaction(demo) as s:
        rows = queries.list_tasks(s, Filters(), DEMO_TODAY, 30, offset=0, limit=500)
        year = reads.directions_of_year(s, 2026)
        lucngan = reads.directions_of_year(s, 2026, "luc-ngan")
        yendung = reads.directions_of_year(s, 2026, "yen-dung")
        before = reads.directions_of_year(s, 2025)
    row = next(r for r in rows if r["id"] == task)
    assert row["direction"].startswith("Gửi báo cáo kết quả trước ngày 10/12/2026. — ")
    assert row["direction"].endswith(", 29/11/2026")
    assert all(r["direction"] is None for r in rows if r["id"] != task)
    assert [d.body for d in year] == ["Hoàn thành trước 15/12.", "Gửi báo cáo kết quả trước ngày 10/12/2026."]
    assert [d.body for d in lucngan] == [d.body for d in year] and yendung == [] and before == []


def test_the_office_sees_requests_waiting_for_its_confirmation(demo):
    from lib.core import requests as request_rule
    from lib.editing import requests

    task = task_of(demo, "luc-ngan", *request_rule.OPEN_STATES)
    proposal = requests.Proposal(
        kind=request_rule.EXTEND, reason="Chờ vốn.", document="12/UBND", new_deadline="30/06/2027"
    )
    request_id = actions.perform(
        demo, actor(demo, "dp.lucngan"), requests.propose, task, proposal, now=NOW, today=DEMO_TODAY
    )
    with transaction(demo) as s:
        office = reads.awaiting(s, "vanphong", "van_phong")
        leader = reads.awaiting(s, "lanhdao", "lanh_dao")
    assert [(r.id, r.task_id, r.kind, r.requested_by) for r in office.requests] == [
        (request_id, task, "gia_han", "Điều phối Lục Ngạn")  # by name
    ]
    assert leader.requests == []


def test_a_coordinator_comments_on_a_project_of_their_scope(demo):
    project = project_of(demo, "bac-giang")
    say(demo, "dp.bacgiang", "hq_project", project, "Đã bàn giao mặt bằng.")
    with transaction(demo) as s:
        (row,) = reads.comments(s, "hq_project", project)
        named = reads.titles(s, [("hq_project", project)])
    assert row.body == "Đã bàn giao mặt bằng." and named[("hq_project", project)].startswith(
        "Trụ sở Công an "
    )


@pytest.mark.parametrize(
    ("who", "entity", "place", "body", "kind", "refusal", "words"),
    [
        ("vanphong", "task", "luc-ngan", "  ", rule.COMMENT, Refused, "không được để trống"),
        ("vanphong", "task", "luc-ngan", "x" * 2001, rule.COMMENT, Refused, "quá 2.000 ký tự"),
        ("vanphong", "task", "luc-ngan", "Nhờ @dp.khongco xem.", rule.COMMENT, Refused, "“@dp.khongco”"),
        (
            "dp.lucngan",
            "task",
            "luc-ngan",
            "Tôi chỉ đạo.",
            rule.DIRECTION,
            PermissionDenied,
            "ý kiến chỉ đạo",
        ),
        ("dp.lucngan", "task", "yen-dung", "Góp ý.", rule.COMMENT, PermissionDenied, "không thuộc phạm vi"),
        (
            "dp.lucngan",
            "hq_project",
            "bac-giang",
            "Góp ý.",
            rule.COMMENT,
            PermissionDenied,
            "không thuộc phạm vi",
        ),
        (READER, "task", "luc-ngan", "Xin hỏi.", rule.COMMENT, PermissionDenied, "chỉ được xem"),
    ],
    ids=[
        "empty",
        "too-long",
        "unknown-mention",
        "direction-by-coordinator",
        "task-out-of-scope",
        "project-out-of-scope",
        "reader",
    ],
)
def test_bad_input_is_refused_in_vietnamese_and_writes_nothing(
    demo, who, entity, place, body, kind, refusal, words
):
    row_id = task_of(demo, place) if entity == "task" else project_of(demo, place)
    before = counts(demo)
    with pytest.raises(refusal) as caught:
        say(demo, who, entity, row_id, body, kind)
    assert words in caught.value.message
    assert counts(demo) == before
    with transaction(demo) as s:  # the refusal itself is on the trail
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last.action.startswith("refused") and last.row_id == row_id


def test_a_comment_on_a_row_that_does_not_exist_is_refused(demo):
    with pytest.raises(Refused, match="Không tìm thấy nhiệm vụ mã 999999"):
        say(demo, "vanphong", "task", 999999, "Góp ý.")


def test_the_year_end_report_lists_the_years_directions(demo):
    import io

    from docx import Document

    from lib.files import report

    task = task_of(demo, "luc-ngan")
    say(demo, "lanhdao", "task", task, "Hoàn thành trước 15/12.", rule.DIRECTION)
    with transaction(demo) as s:
        province = report.build_report(s, None, DEMO_TODAY, 90)
        other = report.build_report(s, "yen-dung", DEMO_TODAY, 90)
        title = s.get(Task, task).title
    text = "\n".join(p.text for p in Document(io.BytesIO(report.report_docx(province))).paragraphs)
    assert "Ý kiến chỉ đạo trong năm 2026: 1 ý kiến." in text
    assert f"- {title}: Hoàn thành trước 15/12. (" in text and ", 29/11/2026)." in text
    assert other.directions == ()
