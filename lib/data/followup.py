"""What the provincial office chases: overdue and due-soon tasks, the yearly reports, silent rows.

Every list is computed in SQL from the same bucket rules as the rest of the app, worst first.
Every function takes the caller's Session first and never commits or closes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from lib.core import recurrence, rules
from lib.core.filters import DUE_SOON, Filters
from lib.core.reminders import LetterTask
from lib.data.attachments import file_count
from lib.data.models import Agency, Duty, Locality, Task
from lib.data.organisation import transferred_after, valid_on, with_owner
from lib.data.queries import bucket_expr, count_tasks, filter_tasks, list_tasks

UNFINISHED = (rules.IN_PROGRESS, rules.NOT_DUE, rules.OVERDUE)


@dataclass(frozen=True)
class OverdueGroup:
    """Overdue tasks of one locality or one lead agency."""

    name: str
    overdue: int
    worst_days: int  # days overdue of its oldest overdue task
    total_days: int  # sum of days overdue: how much lateness the group carries


def overdue_groups(s: Session, filters: Filters, as_of: date, by: str) -> list[OverdueGroup]:
    """Group overdue tasks by "locality" or "agency", worst first (oldest deadline, then count)."""
    name: Any = func.coalesce(Locality.name, "Cấp tỉnh") if by == "locality" else Agency.name
    stmt = (
        select(name, Task.current_deadline, func.count())
        .select_from(Task)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(bucket_expr(as_of) == rules.OVERDUE)
        .group_by(name, Task.current_deadline)
    )
    counts: dict[str, int] = {}
    worst: dict[str, int] = {}
    total: dict[str, int] = {}
    for label, deadline, n in s.execute(filter_tasks(stmt, filters, as_of, 0)):
        key, days = str(label), (as_of - deadline).days
        counts[key] = counts.get(key, 0) + int(n)
        worst[key] = max(worst.get(key, 0), days)
        total[key] = total.get(key, 0) + days * int(n)
    groups = [OverdueGroup(k, counts[k], worst[k], total[k]) for k in counts]
    return sorted(groups, key=lambda g: (-g.worst_days, -g.overdue, g.name))


def overdue_tasks(
    s: Session, filters: Filters, as_of: date, *, offset: int = 0, limit: int = 500
) -> list[dict[str, Any]]:
    """Overdue tasks, most days overdue first."""
    view = replace(filters, buckets=(rules.OVERDUE,))
    return list_tasks(s, view, as_of, 0, offset=offset, limit=limit)


def due_soon_tasks(
    s: Session, filters: Filters, as_of: date, within_days: int, *, offset: int = 0, limit: int = 500
) -> list[dict[str, Any]]:
    """Unfinished tasks falling due in the next `within_days` days, soonest first, with the days left."""
    view = replace(filters, buckets=(DUE_SOON,))
    rows = list_tasks(s, view, as_of, within_days, offset=offset, limit=limit)
    return [dict(r, days_left=(r["current_deadline"] - as_of).days) for r in rows]


def count_due_soon(s: Session, filters: Filters, as_of: date, within_days: int) -> int:
    return count_tasks(s, replace(filters, buckets=(DUE_SOON,)), as_of, within_days)


def _silent_since(as_of: date, days: int) -> list[ColumnElement[bool]]:
    cutoff = datetime.combine(as_of - timedelta(days=days), time.min)
    return [bucket_expr(as_of).in_(UNFINISHED), Task.updated_at < cutoff]


def silent_tasks(
    s: Session, filters: Filters, as_of: date, days: int, *, offset: int = 0, limit: int = 500
) -> list[dict[str, Any]]:
    """Unfinished tasks nobody has updated for more than `days` days, longest silence first."""
    return list_tasks(
        s,
        filters,
        as_of,
        0,
        offset=offset,
        limit=limit,
        where=_silent_since(as_of, days),
        order_by=(Task.updated_at, Task.id),
    )


def count_silent_tasks(s: Session, filters: Filters, as_of: date, days: int) -> int:
    return count_tasks(s, filters, as_of, 0, where=_silent_since(as_of, days))


@dataclass(frozen=True)
class YearlyReport:
    """One addressee's report for one year (a yearly duty's task), due before 15/12."""

    task_id: int
    year: int
    addressee: str
    locality: str
    deadline: date | None
    submitted_on: date | None
    document: str
    bucket: str
    as_of: date
    files: int = 0  # evidence files on the report's task (the received report, attached)

    @property
    def evidence(self) -> str:
        """Whether the received report is attached to its task: "có tệp báo cáo" (with how many)."""
        if not self.files:
            return ""
        return "Có tệp báo cáo" if self.files == 1 else f"Có {self.files} tệp báo cáo"

    @property
    def status(self) -> str:
        return {
            rules.ON_TIME: "Đúng hạn",
            rules.LATE: "Trễ hạn",
            rules.OVERDUE: "Quá hạn, chưa nộp",
            rules.EXCLUDED: "Tạm dừng / hủy",
        }.get(self.bucket, "Chưa đến hạn")

    @property
    def days_late(self) -> int | None:
        if self.deadline is None or self.bucket not in (rules.LATE, rules.OVERDUE):
            return None
        end = self.submitted_on if self.bucket == rules.LATE and self.submitted_on else None
        return ((end or self.as_of) - self.deadline).days


def _yearly_duty_tasks() -> ColumnElement[bool]:
    return Task.duty_id.in_(select(Duty.id).where(Duty.recurrence == recurrence.YEARLY))


def yearly_reports(s: Session, filters: Filters, as_of: date) -> list[YearlyReport]:
    """The tasks of every yearly duty (the report before 15/12), one per addressee and year, for the
    years generated by the as-of date (a year's tasks appear a month before it begins), newest year
    first, then by addressee."""
    bucket = bucket_expr(as_of).label("bucket")
    stmt = (
        select(
            Task.id,
            Task.period,
            Agency.name,
            func.coalesce(Locality.name, "Cấp tỉnh"),
            Task.current_deadline,
            Task.completed_on,
            Task.result_doc,
            bucket,
            file_count("task", Task.id, as_of).label("files"),
        )
        .select_from(Task)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(_yearly_duty_tasks(), Task.period.is_not(None))
        .order_by(Task.period.desc(), Agency.sort_order, Task.id)
    )
    stmt = filter_tasks(stmt, replace(filters, buckets=()), as_of, 0)
    return [
        YearlyReport(
            task_id=i,
            year=recurrence.period_year(period),
            addressee=str(agency),
            locality=str(place),
            deadline=deadline,
            submitted_on=done if done is not None and done <= as_of else None,
            document=doc if done is not None and done <= as_of else "",
            bucket=str(b),
            as_of=as_of,
            files=int(files or 0),
        )
        for i, period, agency, place, deadline, done, doc, b, files in s.execute(stmt)
        if period is not None and recurrence.is_open(period, as_of)
    ]


def yearly_report_deadline(s: Session, year: int) -> date | None:
    """The deadline the yearly duties set for a year (15/12 under the letter), from the stored
    tasks; None when no yearly task of that year has been generated."""
    found = s.scalar(
        select(func.min(Task.original_deadline)).where(_yearly_duty_tasks(), Task.period == str(year))
    )
    return found if isinstance(found, date) else None


@dataclass(frozen=True)
class Addressee:
    """A lead agency with unfinished tasks late or falling due soon on a day."""

    agency_id: int
    name: str
    email: str
    tasks: tuple[LetterTask, ...]

    @property
    def overdue(self) -> int:
        return sum(1 for t in self.tasks if t.overdue)

    @property
    def due_soon(self) -> int:
        return len(self.tasks) - self.overdue


def addressees(
    s: Session, filters: Filters, as_of: date, due_soon_days: int, only: Sequence[int] | None = None
) -> list[Addressee]:
    """The lead agencies valid on `as_of` (not retired by then) with overdue or soon-due unfinished
    tasks on that day, the most overdue first; each agency's tasks by deadline. A task passed to a
    successor by a later reorganisation counts with the lead agency it had on that day."""
    view = replace(filters, buckets=(rules.OVERDUE, DUE_SOON))
    stmt: Any = select(
        Agency.id,
        Agency.name,
        Agency.email,
        Task.id,
        Task.title,
        Task.current_deadline,
        func.coalesce(Locality.name, "Cấp tỉnh"),
    ).select_from(Task)
    moved = transferred_after(s, [Task], as_of, "lead_agency_id")
    stmt, lead = with_owner(stmt, Task, "lead_agency_id", as_of, transferred=moved)
    stmt = (
        stmt.join(Agency, Agency.id == lead)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(
            Task.current_deadline.is_not(None),
            bucket_expr(as_of) != rules.EXCLUDED,
            *valid_on(Agency, as_of),
            (Agency.retired_on.is_(None)) | (Agency.retired_on > as_of),
        )
        .order_by(Agency.sort_order, Agency.id, Task.current_deadline, Task.id)
    )
    if only is not None:
        stmt = stmt.where(Agency.id.in_(list(only)))
    found: dict[int, tuple[str, str, list[LetterTask]]] = {}
    for agency_id, name, email, task_id, title, deadline, place in s.execute(
        filter_tasks(stmt, view, as_of, due_soon_days)
    ):
        entry = found.setdefault(int(agency_id), (str(name), str(email or ""), []))
        entry[2].append(
            LetterTask(
                int(task_id), str(title), deadline, (as_of - deadline).days if deadline else 0, str(place)
            )
        )
    result = [Addressee(i, n, e, tuple(tasks)) for i, (n, e, tasks) in found.items()]
    return sorted(result, key=lambda a: (-a.overdue, -max(t.days for t in a.tasks), a.name))
