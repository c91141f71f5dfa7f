"""Propose, then confirm, on both engines: only the office's confirmation changes a task; every step is
audited; the figures count confirmed completions and show pending ones apart; every way round it is
refused and writes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lib.core import requests as rule
from lib.core.filters import Filters
from lib.core.roles import PermissionDenied, Refused
from lib.data import queries
from lib.data.db import transaction
from lib.data.models import AuditEvent, Locality, Task, TaskRequest
from lib.editing import actions, attachments, changeset, history, requests
from lib.editing.changeset import RowChange, ValidationFailed
from lib.editing.requests import Proposal
from lib.ops.seed import DEMO_TODAY, seed_demo
from tests.support import evidence_files as files
from tests.support.edit_machinery import actor

TODAY = DEMO_TODAY
NOW = datetime(2026, 11, 29, 10, 0)
DONE = Proposal(
    kind=rule.COMPLETE,
    reason="Đã trình và được phê duyệt phương án bố trí kinh phí.",
    document="215/BC-UBND ngày 20/11/2026",
    completed_on="20/11/2026",
    result="UBND xã đã bố trí 4,5 tỷ đồng cho trụ sở Công an xã.",
)


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def open_task(engine, locality: str) -> Task:
    """An open task of a district, overdue if there is one (the demo's Lục Ngạn has some)."""
    with transaction(engine) as s:
        task = s.scalars(
            select(Task)
            .join(Locality, Locality.id == Task.locality_id)
            .where(Locality.code == locality, Task.state.in_(rule.OPEN_STATES))
            .order_by(Task.current_deadline, Task.id)
        ).first()
        assert task is not None
        s.expunge(task)
        return task


def run(engine, who, fn, *args, **kwargs):
    return actions.perform(engine, actor(engine, who), fn, *args, **kwargs)


def snapshot(engine):
    with transaction(engine) as s:
        tasks = s.execute(select(Task.id, Task.version, Task.state, Task.current_deadline)).all()
        reqs = s.execute(select(TaskRequest.id, TaskRequest.state, TaskRequest.version)).all()
        return sorted(tasks), sorted(reqs)


def last_event(engine) -> AuditEvent:
    with transaction(engine) as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        return event


def league_pending(engine, as_of=TODAY) -> int:
    with transaction(engine) as s:
        return sum(r.pending for r in queries.league_table(s, Filters(), as_of, 30, today=TODAY))


def test_a_proposal_waits_and_only_the_confirmation_changes_the_task(demo):
    task = open_task(demo, "luc-ngan")
    request_id = run(demo, "dp.lucngan", requests.propose, task.id, DONE, now=NOW, today=TODAY)
    with transaction(demo) as s:
        stored = s.get(Task, task.id)
        assert (stored.state, stored.version) == (task.state, task.version)  # nothing changed yet
        row = next(
            r for r in queries.list_tasks(s, Filters(), TODAY, 30, offset=0, limit=500) if r["id"] == task.id
        )
        summary = queries.total_buckets(queries.count_buckets_by_locality(s, Filters(), TODAY, 30))
    assert row["request"] == "Chờ xác nhận: hoàn thành ngày 20/11/2026"
    assert summary.pending == 1 and league_pending(demo) == 1
    assert league_pending(demo, TODAY - timedelta(days=1)) == 0  # it did not wait the day before
    event = last_event(demo)
    assert (event.actor, event.action, event.entity, event.row_id) == (
        "dp.lucngan",
        "request",
        "task_request",
        request_id,
    )

    version = run(
        demo, "vanphong", requests.confirm, request_id, 1, note="Đủ minh chứng.", now=NOW, today=TODAY
    )
    with transaction(demo) as s:
        stored = s.get(Task, task.id)
        request = s.get(TaskRequest, request_id)
        events = s.scalars(
            select(AuditEvent).where(
                AuditEvent.entity == "task", AuditEvent.row_id == task.id, AuditEvent.action == "confirm"
            )
        ).all()
    assert (stored.state, stored.progress_pct, stored.completed_on, stored.result_doc) == (
        "hoan_thanh",
        100,
        date(2026, 11, 20),
        "215/BC-UBND ngày 20/11/2026",
    )
    assert stored.version == version == task.version + 1 and stored.updated_by == "vanphong"
    assert (request.state, request.decided_by, request.decision_note, request.version) == (
        "confirmed",
        "vanphong",
        "Đủ minh chứng.",
        2,
    )
    assert {e.field for e in events} >= {"state", "completed_on", "result", "result_doc"}
    assert all(
        f"Xác nhận đề nghị xác nhận hoàn thành mã {request_id} của dp.lucngan" in e.reason for e in events
    )
    assert league_pending(demo) == 0
    # Revertible like any edit: the office puts the task back to the version before the confirmation.
    run(demo, "vanphong", history.revert_row, changeset.TASKS, task.id, task.version, now=NOW, today=TODAY)
    with transaction(demo) as s:
        back = s.get(Task, task.id)
    assert (back.state, back.completed_on) == (task.state, None)


def test_two_office_users_deciding_one_request_one_wins_the_other_is_told(demo):
    task = open_task(demo, "viet-yen")
    request_id = run(demo, "dp.vietyen", requests.propose, task.id, DONE, now=NOW, today=TODAY)
    run(demo, "vanphong", requests.confirm, request_id, 1, now=NOW, today=TODAY)
    before = snapshot(demo)
    with pytest.raises(Refused, match=r"đã được xử lý bởi vanphong lúc 10:00 29/11/2026: đã xác nhận"):
        run(demo, "admin", requests.return_request, request_id, 1, note="Thiếu văn bản", now=NOW)
    assert snapshot(demo) == before
    with transaction(demo) as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.action == "confirm", AuditEvent.row_id == task.id, AuditEvent.field == "state"
                )
            )
            == 1
        )
    assert last_event(demo).action == "refused_conflict"


def test_a_returned_request_leaves_the_task_and_needs_a_note(demo):
    task = open_task(demo, "luc-ngan")
    request_id = run(demo, "dp.lucngan", requests.propose, task.id, DONE, now=NOW, today=TODAY)
    with pytest.raises(ValidationFailed, match="ghi vì sao trả lại"):
        run(demo, "vanphong", requests.return_request, request_id, 1, note="  ", now=NOW)
    run(
        demo, "vanphong", requests.return_request, request_id, 1, note="Chưa có quyết định giao vốn.", now=NOW
    )
    with transaction(demo) as s:
        assert s.get(Task, task.id).version == task.version
        assert s.get(TaskRequest, request_id).state == "returned"
    # The focal point may ask again, with what was missing.
    again = run(demo, "dp.lucngan", requests.propose, task.id, DONE, now=NOW, today=TODAY)
    assert again != request_id


def test_cancel_and_suspend_need_a_document_and_the_office(demo):
    task = open_task(demo, "bac-giang")
    cancel = Proposal(kind=rule.CANCEL, reason="Nội dung đã được thay thế bằng kế hoạch mới.")
    before = snapshot(demo)
    with pytest.raises(ValidationFailed, match=r"Văn bản kèm theo.*minh chứng"):
        run(demo, "dp.bacgiang", requests.propose, task.id, cancel, now=NOW, today=TODAY)
    assert snapshot(demo) == before
    with_doc = Proposal(kind=rule.CANCEL, reason=cancel.reason, document="12/KH-UBND ngày 02/11/2026")
    request_id = run(demo, "dp.bacgiang", requests.propose, task.id, with_doc, now=NOW, today=TODAY)
    # The focal point cannot confirm it themself.
    with pytest.raises(PermissionDenied, match="Chỉ văn phòng"):
        run(demo, "dp.bacgiang", requests.confirm, request_id, 1, now=NOW, today=TODAY)
    run(demo, "vanphong", requests.confirm, request_id, 1, now=NOW, today=TODAY)
    with transaction(demo) as s:
        assert s.get(Task, task.id).state == "huy"


def test_an_extension_moves_the_deadline_with_its_document_once_confirmed(demo):
    task = open_task(demo, "luc-ngan")
    too_early = Proposal(
        kind=rule.EXTEND, reason="Chờ vốn", document="9/UBND", new_deadline=task.current_deadline
    )
    with pytest.raises(ValidationFailed, match="hạn mới phải sau hạn hiện tại"):
        run(demo, "dp.lucngan", requests.propose, task.id, too_early, now=NOW, today=TODAY)
    later = Proposal(
        kind=rule.EXTEND, reason="Chờ vốn năm 2027", document="9/UBND-NC", new_deadline="30/06/2027"
    )
    request_id = run(demo, "dp.lucngan", requests.propose, task.id, later, now=NOW, today=TODAY)
    # One request at a time per task.
    with pytest.raises(Refused, match="đã có đề nghị gia hạn chờ xác nhận"):
        run(demo, "dp.lucngan", requests.propose, task.id, DONE, now=NOW, today=TODAY)
    run(demo, "vanphong", requests.confirm, request_id, 1, now=NOW, today=TODAY)
    with transaction(demo) as s:
        stored = s.get(Task, task.id)
    assert (stored.current_deadline, stored.extension_doc) == (date(2027, 6, 30), "9/UBND-NC")


def test_a_focal_point_cannot_mark_a_task_done_in_the_grid_but_the_office_can(demo):
    task = open_task(demo, "luc-ngan")
    done = {
        "state": "hoan_thanh",
        "progress_pct": 100,
        "completed_on": "20/11/2026",
        "result_doc": "215/BC-UBND",
    }
    before = snapshot(demo)
    with pytest.raises(ValidationFailed, match="“Hoàn thành” cần Văn phòng xác nhận: gửi đề nghị"):
        run(
            demo,
            "dp.lucngan",
            changeset.apply_changes,
            changeset.TASKS,
            [RowChange(task.id, task.version, done)],
            now=NOW,
            today=TODAY,
        )
    assert snapshot(demo) == before
    assert last_event(demo).action == "refused_invalid"
    run(
        demo,
        "vanphong",
        changeset.apply_changes,
        changeset.TASKS,
        [RowChange(task.id, task.version, done)],
        now=NOW,
        today=TODAY,
    )
    with transaction(demo) as s:
        assert s.get(Task, task.id).state == "hoan_thanh"
    # Once decided, the focal point cannot take it back in the grid either.
    with pytest.raises(ValidationFailed, match="do Văn phòng xác nhận"):
        run(
            demo,
            "dp.lucngan",
            changeset.apply_changes,
            changeset.TASKS,
            [
                RowChange(
                    task.id,
                    task.version + 1,
                    {"state": "dang_thuc_hien", "progress_pct": 90, "completed_on": None},
                )
            ],
            now=NOW,
            today=TODAY,
        )


def test_requests_out_of_scope_or_by_readers_are_refused_recorded_and_write_nothing(demo):
    theirs = open_task(demo, "viet-yen")
    before = snapshot(demo)
    with pytest.raises(PermissionDenied, match="không thuộc phạm vi"):
        run(demo, "dp.lucngan", requests.propose, theirs.id, DONE, now=NOW, today=TODAY)
    event = last_event(demo)
    assert (event.actor, event.action) == ("dp.lucngan", "refused")
    with pytest.raises(PermissionDenied, match="chỉ được xem"):
        run(demo, "lanhdao", requests.propose, theirs.id, DONE, now=NOW, today=TODAY)
    request_id = run(demo, "dp.vietyen", requests.propose, theirs.id, DONE, now=NOW, today=TODAY)
    after_proposal = snapshot(demo)
    with pytest.raises(PermissionDenied):
        run(demo, "dp.lucngan", requests.withdraw, request_id, 1, now=NOW)
    with pytest.raises(PermissionDenied, match="Chỉ văn phòng"):
        run(demo, "dp.vietyen", requests.confirm, request_id, 1, now=NOW, today=TODAY)
    assert snapshot(demo) == after_proposal and before != after_proposal
    run(demo, "dp.vietyen", requests.withdraw, request_id, 1, now=NOW)
    with transaction(demo) as s:
        assert s.get(TaskRequest, request_id).state == "withdrawn"


def test_the_office_decides_at_once_with_a_document(demo):
    task = open_task(demo, "bac-giang")
    suspend = Proposal(kind=rule.SUSPEND, reason="Chờ ý kiến chỉ đạo của UBND tỉnh.", document="33/TB-UBND")
    run(demo, "vanphong", requests.decide_at_once, task.id, suspend, now=NOW, today=TODAY)
    with transaction(demo) as s:
        stored = s.get(Task, task.id)
        request = s.scalars(select(TaskRequest).where(TaskRequest.task_id == task.id)).one()
    assert stored.state == "tam_dung"
    assert (request.state, request.requested_by, request.decided_by) == ("confirmed", "vanphong", "vanphong")


def test_a_request_carries_its_evidence_file_and_a_bad_file_refuses_the_request_whole(demo):
    from lib.data.attachments import list_files
    from lib.data.models import Attachment
    from tests.support.evidence_files import HTML, pdf

    task = open_task(demo, "luc-ngan")
    before = snapshot(demo)
    with pytest.raises(ValidationFailed, match="Tệp minh chứng"):
        run(
            demo,
            "dp.lucngan",
            requests.propose_with_file,
            task.id,
            DONE,
            ("bao-cao.pdf", HTML),
            now=NOW,
            today=TODAY,
        )
    assert snapshot(demo) == before
    with transaction(demo) as s:
        assert s.scalars(select(Attachment)).all() == []
    report = pdf("Bao cao hoan thanh")
    request_id = run(
        demo,
        "dp.lucngan",
        requests.propose_with_file,
        task.id,
        DONE,
        ("bao-cao.pdf", report),
        now=NOW,
        today=TODAY,
    )
    with transaction(demo) as s:
        [stored] = list_files(s, "task_request", request_id)
    assert (stored.filename, stored.kind, stored.size) == ("bao-cao.pdf", "pdf", len(report))


def grid(engine, who, task_id, version, values):
    return run(
        engine,
        who,
        changeset.apply_changes,
        changeset.TASKS,
        [RowChange(task_id, version, values)],
        now=NOW,
        today=TODAY,
    )


def test_a_request_overtaken_by_the_office_cannot_be_confirmed_over_its_decision(demo):
    task = open_task(demo, "luc-ngan")
    later = Proposal(kind=rule.EXTEND, reason="Chờ vốn", document="1/UBND", new_deadline="31/03/2027")
    extend = run(demo, "dp.lucngan", requests.propose, task.id, later, now=NOW, today=TODAY)
    # Meanwhile the office extends further in the grid, with its own document.
    grid(demo, "vanphong", task.id, task.version, {"current_deadline": "31/12/2027", "extension_doc": "9/QĐ"})
    before = snapshot(demo)
    with pytest.raises(ValidationFailed, match=r"hạn hiện tại đã là 31/12/2027 .* trả lại đề nghị này"):
        run(demo, "vanphong", requests.confirm, extend, 1, now=NOW, today=TODAY)
    assert snapshot(demo) == before
    run(demo, "vanphong", requests.return_request, extend, 1, note="Đã gia hạn đến 31/12/2027.", now=NOW)

    # A completion asked for a task the office has since cancelled (with its document) stays cancelled.
    done = run(demo, "dp.lucngan", requests.propose, task.id, DONE, now=NOW, today=TODAY)
    cancel = Proposal(kind=rule.CANCEL, reason="Thay bằng kế hoạch 2027.", document="3/KH-UBND")
    with pytest.raises(Refused, match="đã có đề nghị"):  # one request at a time: the office returns first
        run(demo, "vanphong", requests.decide_at_once, task.id, cancel, now=NOW, today=TODAY)
    with transaction(demo) as s:
        version = s.get(Task, task.id).version
    grid(
        demo,
        "vanphong",
        task.id,
        version,
        {"state": "hoan_thanh", "progress_pct": 100, "completed_on": "20/11/2026", "result_doc": "5/BC"},
    )
    with pytest.raises(ValidationFailed, match="đã chuyển sang “Hoàn thành” sau khi đề nghị được gửi"):
        run(demo, "vanphong", requests.confirm, done, 1, now=NOW, today=TODAY)


def test_the_office_suspends_or_cancels_with_a_document_not_in_a_cell(demo):
    task = open_task(demo, "bac-giang")
    before = snapshot(demo)
    for state in ("huy", "tam_dung"):
        with pytest.raises(ValidationFailed, match="cần lý do và văn bản: dùng “Ghi và xác nhận ngay”"):
            grid(demo, "vanphong", task.id, task.version, {"state": state})
    assert snapshot(demo) == before
    cancel = Proposal(kind=rule.CANCEL, reason="Thay bằng kế hoạch 2027.", document="3/KH-UBND")
    run(demo, "vanphong", requests.decide_at_once, task.id, cancel, now=NOW, today=TODAY)
    with transaction(demo) as s:
        assert s.get(Task, task.id).state == "huy"


def test_a_confirmed_result_is_not_rewritten_by_the_focal_point(demo):
    task = open_task(demo, "luc-ngan")
    request_id = run(demo, "dp.lucngan", requests.propose, task.id, DONE, now=NOW, today=TODAY)
    version = run(demo, "vanphong", requests.confirm, request_id, 1, now=NOW, today=TODAY)
    before = snapshot(demo)
    with pytest.raises(ValidationFailed, match="kết quả của nhiệm vụ đã được Văn phòng xác nhận"):
        grid(demo, "dp.lucngan", task.id, version, {"result_doc": "khác/BC", "result": "đổi"})
    assert snapshot(demo) == before
    grid(demo, "dp.lucngan", task.id, version, {"notes": "Đã bàn giao hồ sơ."})  # notes stay theirs


def test_only_the_one_who_asked_withdraws_and_a_decided_request_keeps_its_files(demo):
    task = open_task(demo, "luc-ngan")
    request_id = run(demo, "dp.lucngan", requests.propose, task.id, DONE, now=NOW, today=TODAY)
    with pytest.raises(PermissionDenied, match="Chỉ người gửi đề nghị mới rút được"):
        run(demo, "vanphong", requests.withdraw, request_id, 1, now=NOW)
    run(demo, "dp.lucngan", requests.withdraw, request_id, 1, now=NOW)
    with transaction(demo) as s:
        assert s.get(TaskRequest, request_id).state == "withdrawn"
        assert not attachments.may_attach(s, actor(demo, "dp.lucngan"), "task_request", request_id)
    with pytest.raises(Refused, match=f"Đề nghị mã {request_id} đã được xử lý"):
        attachments.add(
            demo, actor(demo, "dp.lucngan"), "task_request", request_id, "bien-ban.pdf", files.pdf()
        )
