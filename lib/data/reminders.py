"""Reminder letters, read: the letters a task got, what the lists show of them, the numbers used
(rule and labels: lib/core/reminders.py).

Every function takes the caller's Session first and never commits or closes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.core import reminders as rule
from lib.data.models import Agency, Document, Locality, Reminder, ReminderTask, Task

CHUNK = 1000  # task ids per query of the summaries (bound parameters stay few)


def first_assigned(s: Session, task_ids: Sequence[int]) -> tuple[date | None, int | None]:
    """The latest day one of these tasks was assigned (its document's date) and that task."""
    if not task_ids:
        return None, None
    row = s.execute(
        select(Document.issued_on, Task.id)
        .join(Task, Task.document_id == Document.id)
        .where(Task.id.in_(list(task_ids)), Document.issued_on.is_not(None))
        .order_by(Document.issued_on.desc(), Task.id)
        .limit(1)
    ).first()
    return (row[0], int(row[1])) if row else (None, None)


def first_task_day(s: Session) -> date | None:
    """The day the first task was assigned (its document's date): no letter can chase before it."""
    found = s.scalar(select(func.min(Document.issued_on)).where(Document.id.in_(select(Task.document_id))))
    return found if isinstance(found, date) else None


def number_taken(s: Session, issuer: str, number: str, year: int) -> str | None:
    """The date of the letter of the same issuer and year with this number, if any (as dd/mm/yyyy)."""
    key = rule.number_key(number)
    rows = s.execute(
        select(Reminder.number, Reminder.issued_on).where(
            Reminder.issuer == issuer,
            Reminder.issued_on >= date(year, 1, 1),
            Reminder.issued_on <= date(year, 12, 31),
        )
    )
    for stored, issued in rows:
        if rule.number_key(str(stored)) == key:
            return f"{issued:%d/%m/%Y}"
    return None


def summaries(s: Session, task_ids: Sequence[int]) -> dict[int, str]:
    """For the tasks that were chased: "đã đôn đốc 2 lần, lần gần nhất 12/11/2026" — one grouped
    query per 1,000 ids, never one per task."""
    labels: dict[int, str] = {}
    ids = list(task_ids)
    for start in range(0, len(ids), CHUNK):
        rows = s.execute(
            select(ReminderTask.task_id, func.count(), func.max(Reminder.issued_on))
            .join(Reminder, Reminder.id == ReminderTask.reminder_id)
            .where(ReminderTask.task_id.in_(ids[start : start + CHUNK]))
            .group_by(ReminderTask.task_id)
        )
        for task_id, times, last in rows:
            labels[int(task_id)] = rule.summary(int(times), last)
    return labels


@dataclass(frozen=True)
class ReminderRow:
    """A letter as a task's panel and the office's list show it."""

    id: int
    number: str
    issued_on: date
    signer: str
    issuer: str
    addressee: str
    reply_by: date | None
    days: int | None  # of the task it is read for: late (> 0) or left, on the letter's date
    emailed_to: str
    email_status: str
    created_by: str
    created_at: datetime

    @property
    def email(self) -> str:
        return rule.email_label(self.email_status, self.emailed_to)


def _rows(s: Session, task_id: int | None, ids: Sequence[int] | None) -> list[ReminderRow]:
    days = ReminderTask.days if task_id is not None else None
    stmt = (
        select(
            Reminder.id,
            Reminder.number,
            Reminder.issued_on,
            Reminder.signer,
            Reminder.issuer,
            Agency.name,
            Reminder.reply_by,
            Reminder.emailed_to,
            Reminder.email_status,
            Reminder.created_by,
            Reminder.created_at,
            *([days] if days is not None else []),
        )
        .join(Agency, Agency.id == Reminder.agency_id)
        .order_by(Reminder.issued_on.desc(), Reminder.id.desc())
    )
    if task_id is not None:
        stmt = stmt.join(ReminderTask, ReminderTask.reminder_id == Reminder.id).where(
            ReminderTask.task_id == task_id
        )
    if ids is not None:
        stmt = stmt.where(Reminder.id.in_(list(ids)))
    out = []
    for r in s.execute(stmt):
        out.append(
            ReminderRow(
                int(r[0]),
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                int(r[11]) if days is not None else None,
                r[7] or "",
                r[8] or "",
                r[9],
                r[10],
            )
        )
    return out


def task_reminders(s: Session, task_id: int) -> list[ReminderRow]:
    """The letters that named a task, the newest first."""
    return _rows(s, task_id, None)


def reminder_rows(s: Session, ids: Sequence[int]) -> list[ReminderRow]:
    """These letters, the newest first."""
    return _rows(s, None, ids)


def recent_reminders(s: Session, limit: int = 50) -> list[ReminderRow]:
    """The latest letters issued, the newest first."""
    newest = s.scalars(
        select(Reminder.id).order_by(Reminder.issued_on.desc(), Reminder.id.desc()).limit(limit)
    )
    return _rows(s, None, list(newest))


def letter_tasks(s: Session, reminder_id: int) -> list[rule.LetterTask]:
    """The tasks a stored letter named, as it showed them."""
    rows = s.execute(
        select(
            Task.id,
            Task.title,
            ReminderTask.deadline,
            ReminderTask.days,
            func.coalesce(Locality.name, "Cấp tỉnh"),
        )
        .join(Task, Task.id == ReminderTask.task_id)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(ReminderTask.reminder_id == reminder_id)
        .order_by(ReminderTask.days.desc(), Task.id)
    )
    return [rule.LetterTask(int(i), str(t), d, int(n), str(p)) for i, t, d, n, p in rows]


def letters_naming(s: Session, task_ids: Sequence[int], start: date, end: date) -> int:
    """How many letters issued between two days (inclusive) named one of these tasks."""
    ids = list(task_ids)
    found: set[int] = set()
    for first in range(0, len(ids), CHUNK):
        found.update(
            s.scalars(
                select(ReminderTask.reminder_id)
                .join(Reminder, Reminder.id == ReminderTask.reminder_id)
                .where(
                    ReminderTask.task_id.in_(ids[first : first + CHUNK]),
                    Reminder.issued_on >= start,
                    Reminder.issued_on <= end,
                )
                .distinct()
            )
        )
    return len(found)
