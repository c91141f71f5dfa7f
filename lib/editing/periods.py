"""Reporting periods, written: the office opens and closes a period; an owner saves a task's entry as a
draft and submits it, which freezes it; a project's money of a year is set (rules: lib/core/periods.py).

Each step is one audited write in the caller's transaction. The entry's version is the lock (what the
user saw is what is saved over); a submitted entry, an entry of a closed period and the money of a
year whose yearly period is closed are refused with a Vietnamese message, nothing written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib.core import periods as rule
from lib.core.formatting import fmt_date, fmt_datetime
from lib.core.roles import CONFLICT, Actor, Refused, require_office, require_writer
from lib.core.validation import Invalid, Parser
from lib.data import audit
from lib.data.db import bump_data_version
from lib.data.models import (
    HqProject,
    HqProjectYear,
    PeriodEntry,
    PeriodMoney,
    PeriodTask,
    ReportPeriod,
    Task,
    Unit,
)
from lib.editing.changeset import HQ, TASKS, CellError, ValidationFailed

PERIOD, ENTRY, YEAR_MONEY = "report_period", "period_entry", "hq_project_year"
ENTRY_FIELDS = ("result", "progress_pct", "obstacles", "proposals")


def _refuse(problems: list[tuple[str, str]], entity: str) -> ValidationFailed:
    return ValidationFailed(
        [CellError(None, 0, name, rule.FIELD_LABELS.get(name, name), message) for name, message in problems],
        entity,
    )


def _parse(
    raw: Mapping[str, Any], parsers: Mapping[str, Parser]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name, parser in parsers.items():
        try:
            values[name] = parser.parse(raw.get(name))
        except Invalid as exc:
            problems.append((name, str(exc)))
    return values, problems


# --- periods -------------------------------------------------------------------------------------------


def open_period(
    s: Session,
    actor: Actor,
    kind: str,
    label: Any,
    starts_on: Any,
    ends_on: Any,
    due_on: Any,
    *,
    now: datetime,
) -> int:
    """Open a reporting period (the office); returns its id."""
    require_office(actor, "mở kỳ báo cáo", PERIOD)
    bump_data_version(s)
    values, problems = _parse(
        {"label": label, "starts_on": starts_on, "ends_on": ends_on, "due_on": due_on},
        {"label": rule.LABEL, "starts_on": rule.DAY, "ends_on": rule.DAY, "due_on": rule.DAY},
    )
    if not problems:
        problems = rule.check_period(
            kind, values["label"], values["starts_on"], values["ends_on"], values["due_on"]
        )
    if problems:
        raise _refuse(problems, PERIOD)
    if s.scalar(select(ReportPeriod.id).where(ReportPeriod.label == values["label"])) is not None:
        raise Refused(f"Đã có kỳ báo cáo “{values['label']}”.", entity=PERIOD, field="label")
    period = ReportPeriod(
        kind=kind,
        label=values["label"],
        starts_on=values["starts_on"],
        ends_on=values["ends_on"],
        due_on=values["due_on"],
        state=rule.OPEN,
        opened_by=actor.username,
        opened_at=now,
        closed_by="",
        version=1,
    )
    s.add(period)
    try:
        s.flush()
    except IntegrityError:  # the same label landed between our read and our write
        raise Refused(f"Đã có kỳ báo cáo “{values['label']}”.", entity=PERIOD, field="label") from None
    audit.record(
        s,
        actor=actor.username,
        action="open",
        entity=PERIOD,
        row_id=period.id,
        row_version=1,
        field="state",
        new=rule.OPEN,
        reason=f"{period.label}: {fmt_date(period.starts_on)}–{fmt_date(period.ends_on)}, "
        f"hạn nộp {fmt_date(period.due_on)}",
        at=now,
    )
    return int(period.id)


def close_period(s: Session, actor: Actor, period_id: int, seen_version: int, *, now: datetime) -> None:
    """Close an open period (the office): no entry can be written for it any more."""
    require_office(actor, "chốt kỳ báo cáo", PERIOD)
    bump_data_version(s)
    period = s.get(ReportPeriod, period_id)
    if period is None:
        raise Refused(f"Không có kỳ báo cáo mã {period_id}.", entity=PERIOD, row_id=period_id)
    if period.state != rule.OPEN or period.version != seen_version:
        raise Refused(
            f"Kỳ “{period.label}” đã được chốt{_closed_when(period)}. Không ghi gì thêm.",
            entity=PERIOD,
            row_id=period_id,
            action=CONFLICT,
        )
    done = s.execute(
        update(ReportPeriod)
        .where(ReportPeriod.id == period_id, ReportPeriod.version == seen_version)
        .values(state=rule.CLOSED, closed_by=actor.username, closed_at=now, version=seen_version + 1)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused(f"Kỳ “{period.label}” vừa được người khác chốt.", entity=PERIOD, row_id=period_id)
    # The year's money as it stands now is the period's: its report reads this copy from now on.
    s.execute(
        insert(PeriodMoney).from_select(
            ["period_id", "project_id", "plan_vnd", "disbursed_vnd"],
            select(
                literal(period_id),
                HqProjectYear.project_id,
                HqProjectYear.plan_vnd,
                HqProjectYear.disbursed_vnd,
            ).where(HqProjectYear.year == period.ends_on.year),
        )
    )
    freeze_tasks(s, period_id)
    audit.record(
        s,
        actor=actor.username,
        action="close",
        entity=PERIOD,
        row_id=period_id,
        row_version=seen_version + 1,
        field="state",
        old=rule.OPEN,
        new=rule.CLOSED,
        reason=period.label,
        at=now,
    )


def freeze_tasks(s: Session, period_id: int) -> None:
    """Copy every task's state, deadline, completion day and place as they stand now into the period:
    its report's task table counts this copy from now on."""
    s.execute(
        insert(PeriodTask).from_select(
            ["period_id", "task_id", "locality_id", "state", "current_deadline", "completed_on"],
            select(
                literal(period_id),
                Task.id,
                Task.locality_id,
                Task.state,
                Task.current_deadline,
                Task.completed_on,
            ),
        )
    )


def _closed_when(period: ReportPeriod) -> str:
    who = f" bởi {period.closed_by}" if period.closed_by else ""
    when = f" lúc {fmt_datetime(period.closed_at)}" if period.closed_at else ""
    return who + when


# --- entries ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """What an owner typed in a task's entry form (raw; typed here)."""

    result: Any = ""
    progress_pct: Any = None
    obstacles: Any = ""
    proposals: Any = ""


PARSERS: dict[str, Parser] = {
    "result": rule.RESULT,
    "progress_pct": rule.PROGRESS,
    "obstacles": rule.OBSTACLES,
    "proposals": rule.PROPOSALS,
}


def save_entry(
    s: Session,
    actor: Actor,
    period_id: int,
    task_id: int,
    draft: Draft,
    seen_version: int,
    *,
    now: datetime,
    submit: bool = False,
) -> int:
    """Save a task's entry for an open period as a draft, or submit it (frozen from then on); returns
    its id. `seen_version` is the entry's version the user saw (0: none was written)."""
    require_writer(actor, ENTRY)
    bump_data_version(s)
    period = s.get(ReportPeriod, period_id)
    if period is None:
        raise Refused(f"Không có kỳ báo cáo mã {period_id}.", entity=ENTRY)
    task = s.get(Task, task_id)
    if task is None:
        raise Refused(f"Không có nhiệm vụ mã {task_id}.", entity=ENTRY, row_id=task_id)
    if not TASKS.may_edit(actor, task, task.locality_id):
        raise TASKS.out_of_scope(task_id, task.locality_id, "viết báo cáo kỳ cho")
    entry = s.scalar(
        select(PeriodEntry).where(PeriodEntry.period_id == period_id, PeriodEntry.task_id == task_id)
    )
    if entry is not None and entry.state == rule.SUBMITTED:
        raise Refused(
            f"Báo cáo kỳ “{period.label}” của nhiệm vụ mã {task_id} đã nộp lúc "
            f"{fmt_datetime(entry.submitted_at)} (bởi {entry.submitted_by}): đã chốt, không sửa được nữa.",
            entity=ENTRY,
            row_id=entry.id,
            locality_id=task.locality_id,
            action="refused_frozen",
        )
    if period.state != rule.OPEN:
        raise Refused(
            f"Kỳ “{period.label}” đã chốt{_closed_when(period)}: không nhận thêm báo cáo.",
            entity=ENTRY,
            locality_id=task.locality_id,
            action="refused_frozen",
        )
    if (entry.version if entry is not None else 0) != seen_version:
        who = f" bởi {entry.updated_by} lúc {fmt_datetime(entry.updated_at)}" if entry is not None else ""
        raise Refused(
            f"Báo cáo kỳ của nhiệm vụ mã {task_id} vừa được lưu{who}. Tải lại để xem bản mới, rồi sửa tiếp.",
            entity=ENTRY,
            row_id=entry.id if entry is not None else None,
            locality_id=task.locality_id,
            action=CONFLICT,
        )
    raw = {name: getattr(draft, name) for name in ENTRY_FIELDS}
    if raw["progress_pct"] is None or (
        isinstance(raw["progress_pct"], str) and not raw["progress_pct"].strip()
    ):
        raw["progress_pct"] = task.progress_pct  # a draft keeps the task's progress until one is typed
    values, problems = _parse(raw, PARSERS)
    if submit and not problems and not values["result"]:
        problems.append(("result", "phải ghi kết quả trong kỳ trước khi nộp."))
    if problems:
        raise _refuse(problems, ENTRY)
    old = {name: getattr(entry, name) for name in ENTRY_FIELDS} if entry is not None else {}
    late = submit and rule.is_late(now, period.due_on)
    state = rule.SUBMITTED if submit else rule.DRAFT
    if entry is None:
        entry = PeriodEntry(period_id=period_id, task_id=task_id, version=1, **values)
        s.add(entry)
    else:
        for name, value in values.items():
            setattr(entry, name, value)
        entry.version = seen_version + 1
    entry.state = state
    entry.late = late
    entry.updated_by = actor.username
    entry.updated_at = now
    if submit:
        entry.submitted_by = actor.username
        entry.submitted_at = now
    try:
        s.flush()
    except IntegrityError:  # another save of the same task and period landed first
        raise Refused(
            f"Báo cáo kỳ của nhiệm vụ mã {task_id} vừa được người khác lưu. Tải lại rồi sửa tiếp.",
            entity=ENTRY,
            action=CONFLICT,
        ) from None
    events = [
        audit.Entry(
            actor.username,
            "update" if old else "create",
            ENTRY,
            entry.id,
            entry.version,
            task.locality_id,
            name,
            old.get(name),
            values[name],
            f"{period.label} — nhiệm vụ mã {task_id}",
            now,
        )
        for name in ENTRY_FIELDS
        if old.get(name) != values[name]
    ]
    if submit:
        events.append(
            audit.Entry(
                actor.username,
                "submit",
                ENTRY,
                entry.id,
                entry.version,
                task.locality_id,
                "state",
                rule.DRAFT,
                rule.SUBMITTED,
                f"{period.label} — nhiệm vụ mã {task_id}" + (" (nộp muộn)" if late else ""),
                now,
            )
        )
    audit.record_many(s, events)
    return int(entry.id)


# --- headquarters money per year -----------------------------------------------------------------------


def set_year_money(
    s: Session,
    actor: Actor,
    project_id: int,
    year: Any,
    plan: Any,
    disbursed: Any,
    seen_version: int,
    *,
    now: datetime,
) -> None:
    """Set a project's capital plan and disbursement of one year (`seen_version` 0: a new year)."""
    require_writer(actor, YEAR_MONEY)
    bump_data_version(s)
    found = s.execute(
        select(HqProject, Unit.locality_id)
        .join(Unit, Unit.id == HqProject.unit_id)
        .where(HqProject.id == project_id)
    ).first()
    if found is None:
        raise Refused(f"Không có dự án mã {project_id}.", entity=YEAR_MONEY, row_id=project_id)
    project, locality_id = found
    if not HQ.may_edit(actor, project, locality_id):
        raise HQ.out_of_scope(project_id, locality_id)
    values, problems = _parse(
        {"year": year, "plan_vnd": plan, "disbursed_vnd": disbursed},
        {
            "year": rule.YEAR_NUMBER,
            "plan_vnd": rule.YEAR_MONEY,
            "disbursed_vnd": rule.YEAR_MONEY,
        },
    )
    if problems:
        raise _refuse(problems, YEAR_MONEY)
    y = int(values["year"])
    closed = s.scalars(
        select(ReportPeriod).where(
            ReportPeriod.kind == rule.YEAR,
            ReportPeriod.state == rule.CLOSED,
            ReportPeriod.starts_on <= date(y, 12, 31),
            ReportPeriod.ends_on >= date(y, 1, 1),
        )
    ).first()
    if closed is not None:
        raise Refused(
            f"Kỳ “{closed.label}” đã chốt{_closed_when(closed)}: vốn năm {y} của dự án mã {project_id} "
            "không sửa được nữa.",
            entity=YEAR_MONEY,
            row_id=project_id,
            locality_id=locality_id,
            action="refused_frozen",
        )
    row = s.get(HqProjectYear, (project_id, y))
    if (row.version if row is not None else 0) != seen_version:
        raise Refused(
            f"Vốn năm {y} của dự án mã {project_id} vừa được {row.updated_by if row else 'người khác'} sửa. "
            "Tải lại rồi sửa tiếp.",
            entity=YEAR_MONEY,
            row_id=project_id,
            locality_id=locality_id,
            action=CONFLICT,
        )
    old = (row.plan_vnd, row.disbursed_vnd) if row is not None else (None, None)
    if row is None:
        row = HqProjectYear(project_id=project_id, year=y, version=1)
        s.add(row)
    else:
        row.version = seen_version + 1
    row.plan_vnd, row.disbursed_vnd = values["plan_vnd"], values["disbursed_vnd"]
    row.updated_by, row.updated_at = actor.username, now
    s.flush()
    audit.record_many(
        s,
        [
            audit.Entry(
                actor.username,
                "update" if seen_version else "create",
                YEAR_MONEY,
                project_id,
                row.version,
                locality_id,
                name,
                before,
                values[name],
                f"Năm {y}",
                now,
            )
            for name, before in zip(("plan_vnd", "disbursed_vnd"), old, strict=True)
            if before != values[name]
        ],
    )
