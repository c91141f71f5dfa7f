"""The demo's recent history, on both engines: written through the engine, it ends with the rows exactly
as the demo without it, and leaves what an office finds on a Monday (requests waiting, unread mentions)."""

from sqlalchemy import func, select

from lib.core.filters import Filters
from lib.data import changes, queries, report_drafts
from lib.data.db import transaction
from lib.data.models import AuditEvent, Comment, HqProject, Mention, Reminder, Task, TaskRequest
from lib.ops.seed import DEMO_TODAY, seed_demo

ROW = (  # not the ids: a second seed numbers its rows on from the first on PostgreSQL
    Task.title,
    Task.state,
    Task.progress_pct,
    Task.completed_on,
    Task.result,
    Task.result_doc,
    Task.current_deadline,
    Task.extension_doc,
    Task.updated_at,
)


def state(engine):
    with transaction(engine) as s:
        tasks = sorted(s.execute(select(*ROW)).all(), key=repr)
        money = sorted(s.execute(select(HqProject.disbursed_vnd, HqProject.stage)).all())
        league = queries.league_table(s, Filters(), DEMO_TODAY, 30, today=DEMO_TODAY)
        figures = [(r.name, r.tasks, r.on_time, r.overdue, r.due_soon, r.last_update) for r in league]
        return tasks, money, figures


def test_the_history_ends_where_the_demo_stands_and_reads_in_words(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    plain = state(engine)
    with transaction(engine, write=True) as s:
        seed_demo(s)
    assert state(engine) == plain  # every task, project and figure as without the history
    with transaction(engine) as s:
        requests = dict(s.execute(select(TaskRequest.state, func.count()).group_by(TaskRequest.state)).all())
        kinds = dict(s.execute(select(Comment.kind, func.count()).group_by(Comment.kind)).all())
        unread = s.scalar(select(func.count()).select_from(Mention).where(Mention.seen_at.is_(None)))
        letters = s.scalar(select(func.count()).select_from(Reminder))
        edits = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "update"))
        pending = sum(r.pending for r in queries.league_table(s, Filters(), DEMO_TODAY, 30, today=DEMO_TODAY))
        groups, count = changes.changes_since(s, DEMO_TODAY.replace(day=1), DEMO_TODAY)
    assert requests == {"confirmed": 12, "returned": 1, "pending": 2}
    assert kinds == {"comment": 6, "direction": 3} and unread == 2
    assert letters == 8 and edits > 0 and pending == 2
    said = [c.text for g in groups for c in g.changes]
    assert count == len(said) and any(t.startswith("Ý kiến chỉ đạo: “") for t in said)
    assert any(t == "Gửi đề nghị gia hạn" for t in said) and any(t == "Trả lại đề nghị" for t in said)


def test_the_demo_holds_the_office_s_draft_of_the_year_s_report_written_through_the_engine(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    with transaction(engine) as s:
        assert report_drafts.draft_of(s, DEMO_TODAY.year, "toan-tinh") is None
    with transaction(engine, write=True) as s:
        seed_demo(s)
    with transaction(engine) as s:
        versions = report_drafts.versions(s, DEMO_TODAY.year, "toan-tinh")
        draft = report_drafts.draft_of(s, DEMO_TODAY.year, "toan-tinh")
        trail = s.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "report_draft").order_by(AuditEvent.id)
        ).all()
    assert [(v.number, v.saved_by, v.note) for v in versions] == [
        (2, "vanphong", "Lưu dự thảo"),
        (1, "vanphong", "Tạo từ số liệu"),
    ]
    assert draft.sections["general"].startswith(f"Năm {DEMO_TODAY.year}, Tỉnh Bắc Ninh theo dõi")
    assert draft.sections["general"].endswith("trước ngày 15/12.")
    assert draft.sections["proposals"].startswith("Tổng hợp từ ")
    assert trail == ["generate_draft", "save_draft"]
    with transaction(engine) as s:
        groups, _count = changes.changes_since(s, DEMO_TODAY.replace(day=1), DEMO_TODAY)
    said = [(c.title, c.text) for g in groups for c in g.changes if c.entity == "report_draft"]
    assert said == [
        (f"Dự thảo báo cáo năm {DEMO_TODAY.year} — Toàn tỉnh", "Lưu dự thảo báo cáo"),
        (f"Dự thảo báo cáo năm {DEMO_TODAY.year} — Toàn tỉnh", "Tạo dự thảo từ số liệu"),
    ]
