"""Reporting periods, read: the periods, the tasks a period asks about, their entries, a year's money
(rules and labels: lib/core/periods.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from lib.core import periods as rule
from lib.core import rules
from lib.core.filters import Filters
from lib.core.roles import Actor
from lib.data.models import (
    Agency,
    HqProject,
    HqProjectYear,
    Locality,
    PeriodEntry,
    PeriodMoney,
    PeriodTask,
    ReportPeriod,
    Task,
    Unit,
)
from lib.data.queries import list_tasks, pending_task_ids
from lib.data.scopes import task_in_scope

ROW_LIMIT = 500  # a focal point's list shows at most this many tasks (the office filters by locality)


@dataclass(frozen=True)
class PeriodRow:
    """A reporting period as the lists show it."""

    id: int
    kind: str
    label: str
    starts_on: date
    ends_on: date
    due_on: date
    state: str
    opened_by: str
    closed_by: str
    closed_at: datetime | None
    version: int
    entries: int = 0  # entries written (drafts and submitted)
    submitted: int = 0
    late: int = 0


@dataclass(frozen=True)
class EntryRow:
    """A task of a period and its entry, if one was written."""

    task_id: int
    title: str
    locality: str  # locality name, "" at province level
    lead_agency: str
    progress_now: int  # the task's progress today (the entry's default)
    obstacles_now: str
    entry_id: int | None = None
    result: str = ""
    progress_pct: int | None = None
    obstacles: str = ""
    proposals: str = ""
    state: str | None = None  # None: not written yet
    submitted_by: str = ""
    submitted_at: datetime | None = None
    late: bool = False
    updated_by: str = ""
    updated_at: datetime | None = None
    version: int = 0


def _period_row(p: ReportPeriod, counts: tuple[int, int, int] = (0, 0, 0)) -> PeriodRow:
    return PeriodRow(
        p.id,
        p.kind,
        p.label,
        p.starts_on,
        p.ends_on,
        p.due_on,
        p.state,
        p.opened_by,
        p.closed_by,
        p.closed_at,
        p.version,
        *counts,
    )


def list_periods(s: Session) -> list[PeriodRow]:
    """Every period with its counts of entries, submitted and late ones; the latest first."""
    counts = {
        int(pid): (int(n), int(sub or 0), int(late or 0))
        for pid, n, sub, late in s.execute(
            select(
                PeriodEntry.period_id,
                func.count(),
                func.sum(case((PeriodEntry.state == rule.SUBMITTED, 1), else_=0)),
                func.sum(case((PeriodEntry.late.is_(True), 1), else_=0)),
            ).group_by(PeriodEntry.period_id)
        )
    }
    found = s.scalars(select(ReportPeriod).order_by(ReportPeriod.ends_on.desc(), ReportPeriod.id.desc()))
    return [_period_row(p, counts.get(p.id, (0, 0, 0))) for p in found]


def get_period(s: Session, period_id: int) -> PeriodRow | None:
    """One period, or None."""
    p = s.get(ReportPeriod, period_id)
    return _period_row(p) if p is not None else None


def period_of_report(s: Session, as_of: date) -> PeriodRow | None:
    """The closed period a report as of this day reads its frozen figures from: one whose days hold
    the date, the shortest (ending first) if several do; None for a date no closed period covers."""
    p = s.scalars(
        select(ReportPeriod)
        .where(
            ReportPeriod.state == rule.CLOSED,
            ReportPeriod.starts_on <= as_of,
            ReportPeriod.ends_on >= as_of,
        )
        .order_by(ReportPeriod.ends_on, ReportPeriod.id)
    ).first()
    return _period_row(p) if p is not None else None


def _tasks_of(period: ReportPeriod | PeriodRow) -> list[ColumnElement[bool]]:
    """The tasks a period asks about: not cancelled, not completed before it began."""
    return [
        Task.state != "huy",
        or_(Task.completed_on.is_(None), Task.completed_on >= period.starts_on),
    ]


def entry_rows(
    s: Session, actor: Actor, period: PeriodRow, localities: Sequence[str] = (), limit: int = ROW_LIMIT
) -> list[EntryRow]:
    """The tasks of a period this actor may write for (a focal point: their scope) and their entries."""
    stmt = (
        select(Task, Locality.name, Agency.name, PeriodEntry)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .outerjoin(PeriodEntry, (PeriodEntry.task_id == Task.id) & (PeriodEntry.period_id == period.id))
        .where(*_tasks_of(period))
        .order_by(Locality.sort_order.nulls_first(), Task.current_deadline, Task.id)
        .limit(limit)
    )
    if actor.is_focal_point:
        stmt = stmt.where(task_in_scope(actor.scope))
    elif not actor.can_write:
        return []
    if localities:
        stmt = stmt.where(Locality.code.in_(list(localities)))
    return [_entry_row(t, loc or "", agency, e) for t, loc, agency, e in s.execute(stmt)]


def _entry_row(t: Task, locality: str, agency: str, e: PeriodEntry | None) -> EntryRow:
    base = EntryRow(t.id, t.title, locality, agency, t.progress_pct, t.obstacles)
    if e is None:
        return base
    return EntryRow(
        t.id,
        t.title,
        locality,
        agency,
        t.progress_pct,
        t.obstacles,
        e.id,
        e.result,
        e.progress_pct,
        e.obstacles,
        e.proposals,
        e.state,
        e.submitted_by,
        e.submitted_at,
        e.late,
        e.updated_by,
        e.updated_at,
        e.version,
    )


def submitted_entries(s: Session, period_id: int, scope: str | None = None) -> list[EntryRow]:
    """The frozen (submitted) entries of a period, of one locality or all, by locality and task."""
    stmt = (
        select(Task, Locality.name, Agency.name, PeriodEntry)
        .join(PeriodEntry, PeriodEntry.task_id == Task.id)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(PeriodEntry.period_id == period_id, PeriodEntry.state == rule.SUBMITTED)
        .order_by(Locality.sort_order.nulls_first(), Task.id)
    )
    if scope is not None:
        stmt = stmt.where(Locality.code == scope)
    return [_entry_row(t, loc or "", agency, e) for t, loc, agency, e in s.execute(stmt)]


# --- headquarters money per year ---------------------------------------------------------------------


def year_money(
    s: Session, year: int, scope: str | None = None, *, cumulative: bool = False
) -> dict[str, rule.YearMoney]:
    """A year's capital plan and disbursement per locality code (of the project's unit); `cumulative`:
    of every year up to and including it (the money allocated and disbursed by the year's end)."""
    stmt = (
        select(
            Locality.code,
            func.coalesce(func.sum(HqProjectYear.plan_vnd), 0),
            func.coalesce(func.sum(HqProjectYear.disbursed_vnd), 0),
            func.count(func.distinct(HqProjectYear.project_id)),
        )
        .select_from(HqProjectYear)
        .join(HqProject, HqProject.id == HqProjectYear.project_id)
        .join(Unit, Unit.id == HqProject.unit_id)
        .join(Locality, Locality.id == Unit.locality_id)
        .where(HqProjectYear.year <= year if cumulative else HqProjectYear.year == year)
        .group_by(Locality.code, Locality.sort_order)
        .order_by(Locality.sort_order)
    )
    if scope is not None:
        stmt = stmt.where(Locality.code == scope)
    return {
        str(code): rule.YearMoney(year, int(plan), int(disbursed), int(n))
        for code, plan, disbursed, n in s.execute(stmt)
    }


def frozen_money(s: Session, period: PeriodRow, scope: str | None = None) -> dict[str, rule.YearMoney]:
    """The money of a closed period's year as it stood when the period closed, per locality code."""
    stmt = (
        select(
            Locality.code,
            func.coalesce(func.sum(PeriodMoney.plan_vnd), 0),
            func.coalesce(func.sum(PeriodMoney.disbursed_vnd), 0),
            func.count(),
        )
        .select_from(PeriodMoney)
        .join(HqProject, HqProject.id == PeriodMoney.project_id)
        .join(Unit, Unit.id == HqProject.unit_id)
        .join(Locality, Locality.id == Unit.locality_id)
        .where(PeriodMoney.period_id == period.id)
        .group_by(Locality.code, Locality.sort_order)
        .order_by(Locality.sort_order)
    )
    if scope is not None:
        stmt = stmt.where(Locality.code == scope)
    year = period.ends_on.year
    return {
        str(code): rule.YearMoney(year, int(plan), int(disbursed), int(n))
        for code, plan, disbursed, n in s.execute(stmt)
    }


def add_year_money(
    a: dict[str, rule.YearMoney], b: dict[str, rule.YearMoney], year: int
) -> dict[str, rule.YearMoney]:
    """Add two sets of money per locality (the years before, and the period's year as frozen)."""
    codes = list(dict.fromkeys([*a, *b]))
    zero = rule.YearMoney(year)
    return {
        c: rule.YearMoney(
            year,
            a.get(c, zero).plan + b.get(c, zero).plan,
            a.get(c, zero).disbursed + b.get(c, zero).disbursed,
            max(a.get(c, zero).projects, b.get(c, zero).projects),
        )
        for c in codes
    }


def total_year_money(by_locality: dict[str, rule.YearMoney], year: int) -> rule.YearMoney:
    """Add a year's money of several localities into one."""
    rows = list(by_locality.values())
    return rule.YearMoney(
        year, sum(r.plan for r in rows), sum(r.disbursed for r in rows), sum(r.projects for r in rows)
    )


@dataclass(frozen=True)
class ProjectYearRow:
    """A project's money in one year, for the entry form."""

    project_id: int
    year: int
    plan: int
    disbursed: int
    version: int


def project_years(s: Session, project_id: int) -> list[ProjectYearRow]:
    """A project's yearly money, by year."""
    return [
        ProjectYearRow(r.project_id, r.year, r.plan_vnd, r.disbursed_vnd, r.version)
        for r in s.scalars(
            select(HqProjectYear).where(HqProjectYear.project_id == project_id).order_by(HqProjectYear.year)
        )
    ]


def closed_year(s: Session, year: int) -> PeriodRow | None:
    """The closed yearly period of a year: its money is frozen with it."""
    p = s.scalars(
        select(ReportPeriod).where(
            ReportPeriod.kind == rule.YEAR,
            ReportPeriod.state == rule.CLOSED,
            ReportPeriod.starts_on <= date(year, 12, 31),
            ReportPeriod.ends_on >= date(year, 1, 1),
        )
    ).first()
    return _period_row(p) if p is not None else None


def _frozen_tasks(period: PeriodRow, scope: str | None) -> Select[int, str, date | None, date | None]:
    """The copy of the tasks a closed period keeps (period_task), of one locality or all."""
    stmt = (
        select(PeriodTask.task_id, PeriodTask.state, PeriodTask.current_deadline, PeriodTask.completed_on)
        .outerjoin(Locality, Locality.id == PeriodTask.locality_id)
        .where(PeriodTask.period_id == period.id)
    )
    return stmt if scope is None else stmt.where(Locality.code == scope)


def frozen_buckets(
    s: Session, period: PeriodRow, scope: str | None, as_of: date
) -> rules.BucketSummary | None:
    """The task table of a closed period's report: the tasks as they stood when it closed (period_task),
    of one locality or all, in their buckets as of the date; None when the period holds no such copy
    (closed before tasks were frozen with it)."""
    kept = select(PeriodTask.task_id).where(PeriodTask.period_id == period.id).limit(1)
    if scope is None and s.scalar(kept) is None:
        return None
    waiting = pending_task_ids(s, as_of)
    counts: dict[str, int] = {}
    due = pending = 0
    for task_id, state, deadline, completed_on in s.execute(_frozen_tasks(period, scope)):
        bucket = rules.task_bucket(state, deadline, completed_on, as_of)
        counts[bucket] = counts.get(bucket, 0) + 1
        due += rules.is_due_soon(bucket, deadline, as_of, 0)
        pending += task_id in waiting
    return rules.BucketSummary(counts=counts, due_soon=due, pending=pending)


def frozen_overdue(
    s: Session, period: PeriodRow, scope: str | None, as_of: date, limit: int
) -> list[dict[str, Any]]:
    """Section IV of a closed period's report: the tasks overdue as they stood when it closed (the same
    copy section I counts), most days overdue first, each with its deadline of then."""
    late: dict[int, date] = {
        int(task_id): deadline
        for task_id, state, deadline, completed_on in s.execute(_frozen_tasks(period, scope))
        if deadline is not None and rules.task_bucket(state, deadline, completed_on, as_of) == rules.OVERDUE
    }
    worst = sorted(late, key=lambda i: (late[i], i))[:limit]
    if not worst:
        return []
    rows = list_tasks(s, Filters(), as_of, 0, offset=0, limit=len(worst), where=[Task.id.in_(worst)])
    out = [
        {
            **r,
            "current_deadline": late[r["id"]],
            "days_overdue": (as_of - late[r["id"]]).days,
            "bucket": rules.OVERDUE,
        }
        for r in rows
    ]
    return sorted(out, key=lambda r: (-r["days_overdue"], r["id"]))
