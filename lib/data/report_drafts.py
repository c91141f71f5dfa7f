"""Year-end report drafts, read: the latest version of a year's and scope's draft, its versions, one
version's text; and what the report's generated text is made of — the items of a year's period entries
and the unfinished tasks due the next year (rules: lib/core/report_drafts.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lib.core import periods as period_rule
from lib.core import report_drafts as rule
from lib.core import rules
from lib.core.filters import Filters
from lib.data.changes import user_names
from lib.data.choices import unit_label
from lib.data.models import (
    Agency,
    Locality,
    PeriodEntry,
    ReportDraft,
    ReportDraftVersion,
    ReportPeriod,
    Task,
    Unit,
)
from lib.data.queries import filter_tasks

NEXT_YEAR_LIMIT = 200  # the "Phương hướng" section lists at most this many tasks due the next year


@dataclass(frozen=True)
class DraftText:
    """One saved version of a draft: its sections' text, who saved it (name shown) and when."""

    year: int
    scope: str
    number: int  # this version's number
    latest: int  # the draft's latest version number (what a save must start from)
    sections: dict[str, str]
    note: str
    saved_by: str  # username
    saved_name: str  # display name
    saved_at: datetime


@dataclass(frozen=True)
class VersionRow:
    number: int
    note: str
    saved_by: str
    saved_name: str
    saved_at: datetime


def _text(d: ReportDraft, v: ReportDraftVersion, names: dict[str, str]) -> DraftText:
    return DraftText(
        d.year,
        d.scope,
        v.number,
        d.version,
        {name: getattr(v, name) for name in rule.SECTIONS},
        v.note,
        v.saved_by,
        names.get(v.saved_by, v.saved_by),
        v.saved_at,
    )


def draft_of(s: Session, year: int, scope: str, number: int | None = None) -> DraftText | None:
    """The draft of a year and scope at one version (default: its latest), or None."""
    d = s.scalar(select(ReportDraft).where(ReportDraft.year == year, ReportDraft.scope == scope))
    if d is None:
        return None
    v = s.scalar(
        select(ReportDraftVersion).where(
            ReportDraftVersion.draft_id == d.id, ReportDraftVersion.number == (number or d.version)
        )
    )
    return _text(d, v, user_names(s)) if v is not None else None


def versions(s: Session, year: int, scope: str) -> list[VersionRow]:
    """The versions of a draft, the latest first."""
    names = user_names(s)
    rows = s.execute(
        select(
            ReportDraftVersion.number,
            ReportDraftVersion.note,
            ReportDraftVersion.saved_by,
            ReportDraftVersion.saved_at,
        )
        .join(ReportDraft, ReportDraft.id == ReportDraftVersion.draft_id)
        .where(ReportDraft.year == year, ReportDraft.scope == scope)
        .order_by(ReportDraftVersion.number.desc())
    )
    return [VersionRow(int(n), note, by, names.get(by, by), at) for n, note, by, at in rows]


# --- what the generated text is made of -----------------------------------------------------------------


@dataclass(frozen=True)
class EntryText:
    """An entry's obstacles and proposals, with the task and the body the entry is about."""

    task_id: int
    source: str
    result: str
    obstacles: str
    proposals: str


def year_period(s: Session, year: int) -> ReportPeriod | None:
    """The yearly period of a year (closed or open), else None."""
    return s.scalars(
        select(ReportPeriod)
        .where(
            ReportPeriod.kind == period_rule.YEAR,
            ReportPeriod.starts_on <= date(year, 12, 31),
            ReportPeriod.ends_on >= date(year, 1, 1),
        )
        .order_by(ReportPeriod.ends_on.desc(), ReportPeriod.id.desc())
    ).first()


def entry_texts(s: Session, period_id: int, scope: str | None) -> list[EntryText]:
    """The submitted entries of a period (of one locality, or all), with each task's body: its unit,
    else its locality, else its lead agency."""
    stmt = (
        select(PeriodEntry, Unit.kind, Unit.name, Locality.name, Agency.name)
        .join(Task, Task.id == PeriodEntry.task_id)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .outerjoin(Unit, Unit.id == Task.unit_id)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(PeriodEntry.period_id == period_id, PeriodEntry.state == period_rule.SUBMITTED)
        .order_by(Locality.sort_order.nulls_first(), Task.id)
    )
    if scope is not None:
        stmt = stmt.where(Locality.code == scope)
    return [
        EntryText(
            e.task_id,
            unit_label(kind, unit) if unit else locality or agency or "",
            e.result,
            e.obstacles,
            e.proposals,
        )
        for e, kind, unit, locality, agency in s.execute(stmt)
    ]


def body_names(s: Session) -> list[str]:
    """The names of every agency, locality and unit (with its kind: "Xã Biên Sơn"): the bodies a text
    may name."""
    found = [str(n) for n in s.scalars(select(Agency.name))]
    found.extend(str(n) for n in s.scalars(select(Locality.name)))
    found.extend(unit_label(kind, name) for kind, name in s.execute(select(Unit.kind, Unit.name)))
    return found


@dataclass(frozen=True)
class NextTask:
    id: int
    title: str
    locality: str
    lead_agency: str
    deadline: date | None


def tasks_due_in(s: Session, localities: Sequence[str], year: int, as_of: date) -> tuple[list[NextTask], int]:
    """The tasks unfinished on the date (not completed by then, not suspended or cancelled) whose
    deadline falls in the year, earliest first (at most NEXT_YEAR_LIMIT), and how many there are in all."""
    stmt = (
        select(Task.id, Task.title, Locality.name, Agency.name, Task.current_deadline)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(
            Task.state.not_in(rules.EXCLUDED_STATES),
            or_(Task.state != "hoan_thanh", Task.completed_on.is_(None), Task.completed_on > as_of),
            Task.current_deadline >= date(year, 1, 1),
            Task.current_deadline <= date(year, 12, 31),
        )
        .order_by(Task.current_deadline, Task.id)
    )
    stmt = filter_tasks(stmt, Filters(localities=tuple(localities)), as_of, 0)
    total = s.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = s.execute(stmt.limit(NEXT_YEAR_LIMIT)).all()
    return [NextTask(int(i), str(t), loc or "", str(lead), d) for i, t, loc, lead, d in rows], int(total)
