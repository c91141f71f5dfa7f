"""Reading the audit trail: filtered lists, one row's timeline, what changed since a date, reverts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from lib.core import rules
from lib.core.catalogue import RETIRE
from lib.core.roles import Actor, PermissionDenied, Refused, require_writer
from lib.core.validation import Invalid
from lib.data.models import AuditEvent, Locality, Task
from lib.data.queries import bucket_expr
from lib.editing.changeset import RowChange, SaveResult, TableSpec, apply_changes
from lib.editing.creation import CREATABLE

# Actions that write field values (their old values rebuild an earlier version).
VALUE_ACTIONS = ("update", "revert", "import", RETIRE, "confirm")  # "confirm": a request the office confirmed
# The version "before the row was created": reverting to it retires the row (nothing is deleted).
BEFORE_CREATION = 0


@dataclass(frozen=True)
class EventFilter:
    locality: str | None = None
    user: str | None = None
    entity: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _filtered(stmt: Select[Any], f: EventFilter) -> Select[Any]:
    if f.locality:
        stmt = stmt.where(
            AuditEvent.locality_id == select(Locality.id).where(Locality.code == f.locality).scalar_subquery()
        )
    if f.user:
        stmt = stmt.where(AuditEvent.actor == f.user)
    if f.entity:
        stmt = stmt.where(AuditEvent.entity == f.entity)
    if f.date_from:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(f.date_from, time.min))
    if f.date_to:
        stmt = stmt.where(AuditEvent.at < datetime.combine(f.date_to + timedelta(days=1), time.min))
    return stmt


def count_events(s: Session, f: EventFilter) -> int:
    """Count the events a filter selects."""
    return int(s.execute(_filtered(select(func.count()).select_from(AuditEvent), f)).scalar_one())


def list_events(s: Session, f: EventFilter, *, offset: int = 0, limit: int = 100) -> list[AuditEvent]:
    """Return one page of events, newest first."""
    stmt = _filtered(select(AuditEvent), f).order_by(AuditEvent.id.desc()).offset(offset).limit(limit)
    return list(s.scalars(stmt))


def list_actors(s: Session) -> list[str]:
    """List everyone who appears in the trail."""
    return list(s.scalars(select(AuditEvent.actor).distinct().order_by(AuditEvent.actor)))


def row_timeline(s: Session, entity: str, row_id: int) -> list[AuditEvent]:
    """Return every event of one row, oldest first."""
    return list(
        s.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.row_id == row_id)
            .order_by(AuditEvent.id)
        )
    )


def newly_overdue(s: Session, since: date, today: date) -> list[dict[str, Any]]:
    """List tasks overdue today that were not overdue on `since` (the meeting view)."""
    rows = s.execute(
        select(Task.id, Task.title, func.coalesce(Locality.name, "Cấp tỉnh"), Task.current_deadline)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(and_(bucket_expr(today) == rules.OVERDUE, bucket_expr(since) != rules.OVERDUE))
        .order_by(Task.current_deadline, Task.id)
    )
    return [
        {
            "id": i,
            "title": t,
            "locality": loc,
            "current_deadline": d,
            "days_overdue": (today - d).days if d else 0,
        }
        for i, t, loc, d in rows
    ]


def values_at_version(s: Session, spec: TableSpec, row_id: int, version: int) -> tuple[int, dict[str, Any]]:
    """Rebuild the editable values a row had at an earlier version; return (current version, values)."""
    model: Any = spec.model
    row = s.get(model, row_id)
    if row is None:
        raise Refused(f"Không có {spec.label} mã {row_id}.", entity=spec.entity, row_id=row_id)
    if not 1 <= version <= row.version:
        raise Refused(
            f"Phiên bản {version} không có (hiện tại: {row.version}).", entity=spec.entity, row_id=row_id
        )
    values = {name: getattr(row, name) for name in spec.fields}
    later = s.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.entity == spec.entity,
            AuditEvent.row_id == row_id,
            AuditEvent.row_version > version,
            AuditEvent.action.in_(VALUE_ACTIONS),
        )
        .order_by(AuditEvent.id.desc())
    )
    for event in later:
        fs = spec.fields.get(event.field)
        if fs is None:
            continue
        try:
            values[event.field] = fs.parse(event.old_value)
        except Invalid:
            raise Refused(
                f"Không dựng lại được cột “{fs.label}” của phiên bản {version}.",
                entity=spec.entity,
                row_id=row_id,
            ) from None
    return row.version, values


def was_created_here(s: Session, entity: str, row_id: int) -> bool:
    """Whether the trail holds the creation of this row (a form, an import): it can be undone."""
    return (
        s.scalar(
            select(AuditEvent.id)
            .where(AuditEvent.entity == entity, AuditEvent.row_id == row_id, AuditEvent.action == "create")
            .limit(1)
        )
        is not None
    )


def undo_creation(
    s: Session, actor: Actor, spec: TableSpec, row_id: int, *, now: datetime, today: date
) -> SaveResult:
    """Revert a row to before its creation, the nearest thing to "it never existed" that keeps the
    record: a project or a registration is cancelled ("Hủy bỏ", out of every figure); a task is set
    to "Hủy" (out of every denominator). A save of the edit engine, audited as a revert."""
    require_writer(actor, spec.entity)
    creating = CREATABLE.get(spec.entity)
    if creating is None or actor.role not in creating.roles:
        raise PermissionDenied(
            f"Vai trò của bạn không hoàn tác được việc tạo {spec.label}.", entity=spec.entity
        )
    model: Any = spec.model
    row = s.get(model, row_id)
    if row is None:
        raise Refused(f"Không có {spec.label} mã {row_id}.", entity=spec.entity, row_id=row_id)
    if not was_created_here(s, spec.entity, row_id):
        raise Refused(
            f"{spec.label.capitalize()} mã {row_id} không được tạo trong ứng dụng nên không hoàn tác được; "
            "dùng “Dừng, hủy bỏ, gộp” (có văn bản).",
            entity=spec.entity,
            row_id=row_id,
        )
    if spec.retirable:
        values: dict[str, Any] = {
            "lifecycle": rules.LIFECYCLE_CANCELLED,
            "lifecycle_doc": "",
            "merged_into_id": None,
        }
        done = row.lifecycle == rules.LIFECYCLE_CANCELLED
    else:
        values = {"state": "huy"} | ({"completed_on": None} if row.completed_on is not None else {})
        done = row.state == "huy"
    if done:
        raise Refused(
            f"{spec.label.capitalize()} mã {row_id} đã được hủy.", entity=spec.entity, row_id=row_id
        )
    return apply_changes(
        s,
        actor,
        spec,
        [RowChange(row_id, row.version, values)],
        now=now,
        today=today,
        action="revert",
        reason=f"Hoàn tác việc tạo {spec.label} mã {row_id}",
    )


def revert_row(
    s: Session, actor: Actor, spec: TableSpec, row_id: int, version: int, *, now: datetime, today: date
) -> SaveResult:
    """Put a row back to the values of an earlier version, as a new save through the edit engine;
    version 0 (BEFORE_CREATION) undoes the row's creation (see `undo_creation`)."""
    require_writer(actor, spec.entity)
    if version == BEFORE_CREATION:
        return undo_creation(s, actor, spec, row_id, now=now, today=today)
    current_version, target = values_at_version(s, spec, row_id, version)
    model: Any = spec.model
    row = s.get(model, row_id)
    changed = {n: v for n, v in target.items() if getattr(row, n) != v and actor.role in spec.fields[n].roles}
    if not changed:
        raise Refused(
            f"Dòng mã {row_id} đã có đúng giá trị của phiên bản {version}.", entity=spec.entity, row_id=row_id
        )
    return apply_changes(
        s,
        actor,
        spec,
        [RowChange(row_id, current_version, changed)],
        now=now,
        today=today,
        action="revert",
        reason=f"Khôi phục về phiên bản {version}",
    )
