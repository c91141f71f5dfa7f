"""Requests on tasks, read: a task's requests, the pending ones (rule and labels: lib/core/requests.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core import requests as rule
from lib.core.formatting import fmt_date
from lib.data.models import TaskRequest


@dataclass(frozen=True)
class RequestRow:
    """A request as the task's panel shows it."""

    id: int
    task_id: int
    kind: str
    state: str
    completed_on: date | None
    result: str
    new_deadline: date | None
    reason: str
    document: str
    requested_by: str
    requested_at: datetime
    decided_by: str
    decided_at: datetime | None
    decision_note: str
    version: int

    @property
    def summary(self) -> str:
        """ "Hoàn thành ngày 12/11/2026", "Hạn mới 30/06/2027", "Hủy"."""
        if self.kind == rule.COMPLETE and self.completed_on:
            return f"Hoàn thành ngày {fmt_date(self.completed_on)}"
        if self.kind == rule.EXTEND and self.new_deadline:
            return f"Hạn mới {fmt_date(self.new_deadline)}"
        return rule.KIND_LABELS[self.kind]


def request_rows(s: Session, task_id: int) -> list[RequestRow]:
    """A task's requests, the newest first."""
    found = s.scalars(
        select(TaskRequest)
        .where(TaskRequest.task_id == task_id)
        .order_by(TaskRequest.requested_at.desc(), TaskRequest.id.desc())
    )
    return [
        RequestRow(
            r.id,
            r.task_id,
            r.kind,
            r.state,
            r.completed_on,
            r.result,
            r.new_deadline,
            r.reason,
            r.document,
            r.requested_by,
            r.requested_at,
            r.decided_by,
            r.decided_at,
            r.decision_note,
            r.version,
        )
        for r in found
    ]


def waiting_labels(s: Session, task_ids: list[int]) -> dict[int, str]:
    """For the tasks that have a request waiting for the office: "Chờ xác nhận: hoàn thành ngày …"."""
    if not task_ids:
        return {}
    found = s.execute(
        select(
            TaskRequest.task_id, TaskRequest.kind, TaskRequest.completed_on, TaskRequest.new_deadline
        ).where(TaskRequest.task_id.in_(task_ids), TaskRequest.state == rule.PENDING)
    )
    labels: dict[int, str] = {}
    for task_id, kind, completed_on, new_deadline in found:
        what = rule.KIND_LABELS[kind].lower()
        if kind == rule.COMPLETE and completed_on is not None:
            what += f" ngày {fmt_date(completed_on)}"
        elif kind == rule.EXTEND and new_deadline is not None:
            what += f" đến {fmt_date(new_deadline)}"
        labels[int(task_id)] = f"{rule.STATE_LABELS[rule.PENDING]}: {what}"
    return labels
