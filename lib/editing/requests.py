"""Requests on tasks, written: propose, confirm, return, withdraw (rule and labels: lib/core/requests.py).

Each step is one audited write in the caller's transaction (entity "task_request", the request's
version raised): a focal point proposes on a task of their scope (one pending request per task); the
office confirms — the task then changes through the edit engine (`apply_changes`, action "confirm",
the task's version raised, revertible from /lich-su like any edit) — or returns it with a note; the
one who proposed, or anyone who may edit the task, may withdraw it while it waits. Two office users
deciding the same request: the second is told who decided it first (the request's version is the
lock, as a task's is). Every refusal raises Refused and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib.core import evidence
from lib.core import requests as rule
from lib.core.roles import CONFLICT, Actor, PermissionDenied, Refused, require_office, require_writer
from lib.core.validation import Invalid, Parser
from lib.data import audit
from lib.data.db import bump_data_version
from lib.data.models import Task, TaskRequest
from lib.editing import attachments
from lib.editing.changeset import TASKS, CellError, RowChange, ValidationFailed, apply_changes

ENTITY = "task_request"


@dataclass(frozen=True)
class Proposal:
    """What a user typed in the request form (raw; typed here)."""

    kind: str
    reason: Any = ""
    document: Any = ""
    completed_on: Any = None
    result: Any = ""
    new_deadline: Any = None


def _typed(p: Proposal) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    parsers: dict[str, Parser] = {
        "reason": rule.REASON,
        "document": rule.DOCUMENT,
        "result": rule.RESULT,
        "completed_on": rule.DAY,
        "new_deadline": rule.DAY,
    }
    for name, parser in parsers.items():
        raw = getattr(p, name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values[name] = None if name in ("completed_on", "new_deadline") else ""
            continue
        try:
            values[name] = parser.parse(raw)
        except Invalid as exc:
            problems.append((name, str(exc)))
    return values, problems


def _refuse(problems: list[tuple[str, str]], task_id: int) -> ValidationFailed:
    return ValidationFailed(
        [CellError(None, 0, name, rule.FIELD_LABELS.get(name, name), message) for name, message in problems],
        ENTITY,
    )


def _task(s: Session, actor: Actor, task_id: int, what: str) -> Task:
    task = s.get(Task, task_id)
    if task is None:
        raise Refused(f"Không có nhiệm vụ mã {task_id}.", entity=ENTITY, row_id=task_id)
    if not TASKS.may_edit(actor, task, task.locality_id):
        raise TASKS.out_of_scope(task_id, task.locality_id, what)
    return task


def propose(s: Session, actor: Actor, task_id: int, proposal: Proposal, *, now: datetime, today: date) -> int:
    """Record a request on a task of the actor's scope; returns its id."""
    require_writer(actor, ENTITY)
    bump_data_version(s)
    task = _task(s, actor, task_id, "gửi đề nghị cho")
    values, problems = _typed(proposal)
    if not problems:
        problems = rule.check_request(
            proposal.kind, values, rule.TaskState(task.state, task.current_deadline), today
        )
    if problems:
        raise _refuse(problems, task_id)
    waiting = s.scalar(
        select(TaskRequest).where(TaskRequest.task_id == task_id, TaskRequest.state == rule.PENDING)
    )
    if waiting is not None:
        raise Refused(
            f"Nhiệm vụ mã {task_id} đã có đề nghị {rule.KIND_PHRASES[waiting.kind]} chờ xác nhận "
            f"(của {waiting.requested_by}, {waiting.requested_at:%H:%M %d/%m/%Y}).",
            entity=ENTITY,
            row_id=waiting.id,
        )
    request = TaskRequest(
        task_id=task_id,
        kind=proposal.kind,
        state=rule.PENDING,
        completed_on=values["completed_on"] if proposal.kind == rule.COMPLETE else None,
        result=values["result"] if proposal.kind == rule.COMPLETE else "",
        new_deadline=values["new_deadline"] if proposal.kind == rule.EXTEND else None,
        reason=values["reason"],
        document=values["document"],
        task_version=task.version,
        requested_by=actor.username,
        requested_at=now,
        version=1,
    )
    s.add(request)
    try:
        s.flush()
    except IntegrityError:  # another request on this task landed between our read and our write
        raise Refused(f"Nhiệm vụ mã {task_id} vừa có một đề nghị khác chờ xác nhận.", entity=ENTITY) from None
    audit.record(
        s,
        actor=actor.username,
        action="request",
        entity=ENTITY,
        row_id=request.id,
        row_version=1,
        locality_id=task.locality_id,
        field="kind",
        new=proposal.kind,
        reason=f"Nhiệm vụ mã {task_id}: {values['reason']} ({values['document']})",
        at=now,
    )
    return int(request.id)


def propose_with_file(
    s: Session,
    actor: Actor,
    task_id: int,
    proposal: Proposal,
    file: tuple[str, bytes] | None,
    *,
    now: datetime,
    today: date,
) -> int:
    """Record a request and attach its supporting file (judged from its content: lib/core/evidence)
    in one transaction: a bad file refuses the request too, with nothing stored."""
    checked = None
    if file is not None:
        try:
            checked = evidence.judge(file[1], file[0])
        except evidence.BadFile as exc:
            raise _refuse([("file", exc.message)], task_id) from None
    request_id = propose(s, actor, task_id, proposal, now=now, today=today)
    if checked is not None and file is not None:
        attachments.store(s, actor, ENTITY, request_id, checked, file[1])
    return request_id


def _pending(s: Session, request_id: int, seen_version: int) -> TaskRequest:
    request = s.get(TaskRequest, request_id)
    if request is None:
        raise Refused(f"Không có đề nghị mã {request_id}.", entity=ENTITY, row_id=request_id)
    if request.state != rule.PENDING or request.version != seen_version:
        when = f" lúc {request.decided_at:%H:%M %d/%m/%Y}" if request.decided_at else ""
        who = f" bởi {request.decided_by}" if request.decided_by else ""
        raise Refused(
            f"Đề nghị mã {request_id} đã được xử lý{who}{when}: "
            f"{rule.STATE_LABELS[request.state].lower()}. Không ghi gì thêm.",
            entity=ENTITY,
            row_id=request_id,
            action=CONFLICT,
        )
    return request


def _decide(
    s: Session, actor: Actor, request: TaskRequest, state: str, note: str, now: datetime, locality: int | None
) -> None:
    """Move a pending request to its decision, guarded by its version (one office user wins)."""
    done = s.execute(
        update(TaskRequest)
        .where(
            TaskRequest.id == request.id,
            TaskRequest.version == request.version,
            TaskRequest.state == rule.PENDING,
        )
        .values(
            state=state,
            decided_by=actor.username,
            decided_at=now,
            decision_note=note,
            version=request.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused(f"Đề nghị mã {request.id} vừa được người khác xử lý.", entity=ENTITY, row_id=request.id)
    s.refresh(request)
    audit.record(
        s,
        actor=actor.username,
        action=f"{state}_request",
        entity=ENTITY,
        row_id=request.id,
        row_version=request.version,
        locality_id=locality,
        field="state",
        old=rule.PENDING,
        new=state,
        reason=note,
        at=now,
    )


def _note(raw: Any, required: bool) -> str:
    try:
        note = rule.NOTE.parse(raw or "")
    except Invalid as exc:
        raise _refuse([("note", str(exc))], 0) from None
    if required and not note:
        raise _refuse([("note", "không được để trống: ghi vì sao trả lại.")], 0)
    return note


def confirm(
    s: Session,
    actor: Actor,
    request_id: int,
    seen_version: int,
    *,
    note: Any = "",
    now: datetime,
    today: date,
) -> int:
    """The office confirms a pending request: the task changes through the edit engine. Returns the
    task's new version."""
    require_office(actor, "xác nhận đề nghị", ENTITY)
    bump_data_version(s)
    text = _note(note, required=False)
    request = _pending(s, request_id, seen_version)
    task = s.get(Task, request.task_id)
    assert task is not None  # a foreign key
    values = {
        "completed_on": request.completed_on,
        "result": request.result,
        "new_deadline": request.new_deadline,
        "document": request.document,
    }
    # The task may have changed since the request was sent (the office decided otherwise meanwhile).
    stale = rule.stale_problems(
        request.kind, request.new_deadline, rule.TaskState(task.state, task.current_deadline)
    )
    if stale:
        raise _refuse(stale, task.id)
    changes = rule.task_changes(request.kind, values)
    reason = (
        f"Xác nhận đề nghị {rule.KIND_PHRASES[request.kind]} mã {request.id} của {request.requested_by}: "
        f"{request.reason} ({request.document})" + (f". {text}" if text else "")
    )
    saved = apply_changes(
        s,
        actor,
        TASKS,
        [RowChange(task.id, task.version, changes)],
        now=now,
        today=today,
        action="confirm",
        reason=reason,
    )
    _decide(s, actor, request, rule.CONFIRMED, text, now, task.locality_id)
    return int(saved.versions[task.id])


def return_request(
    s: Session, actor: Actor, request_id: int, seen_version: int, *, note: Any, now: datetime
) -> None:
    """The office returns a pending request with a note; the task does not change."""
    require_office(actor, "trả lại đề nghị", ENTITY)
    bump_data_version(s)
    text = _note(note, required=True)
    request = _pending(s, request_id, seen_version)
    task = s.get(Task, request.task_id)
    _decide(s, actor, request, rule.RETURNED, text, now, task.locality_id if task else None)


def withdraw(s: Session, actor: Actor, request_id: int, seen_version: int, *, now: datetime) -> None:
    """The one who asked withdraws their pending request (the office returns one, with a note)."""
    require_writer(actor, ENTITY)
    bump_data_version(s)
    request = _pending(s, request_id, seen_version)
    task = _task(s, actor, request.task_id, "rút đề nghị của")
    if actor.username != request.requested_by:
        raise PermissionDenied(
            "Chỉ người gửi đề nghị mới rút được; Văn phòng trả lại đề nghị (kèm ý kiến).",
            entity=ENTITY,
            row_id=request_id,
        )
    _decide(s, actor, request, rule.WITHDRAWN, "", now, task.locality_id)


def decide_at_once(
    s: Session,
    actor: Actor,
    task_id: int,
    proposal: Proposal,
    file: tuple[str, bytes] | None = None,
    *,
    now: datetime,
    today: date,
) -> int:
    """The office records a request (with its file, if any) and confirms it in one step (a
    cancellation it decides, with its document). Returns the task's new version."""
    require_office(actor, "quyết định ngay", ENTITY)
    request_id = propose_with_file(s, actor, task_id, proposal, file, now=now, today=today)
    return confirm(s, actor, request_id, 1, now=now, today=today)


def proposal_from(values: Mapping[str, Any]) -> Proposal:
    """A Proposal from a form's values (missing ones empty)."""
    return Proposal(
        kind=str(values.get("kind") or ""),
        reason=values.get("reason", ""),
        document=values.get("document", ""),
        completed_on=values.get("completed_on"),
        result=values.get("result", ""),
        new_deadline=values.get("new_deadline"),
    )
