"""What changed since a date, in words, grouped by locality (the leaders' "since the last meeting"
and the trail of /lich-su): each event with its row's title, its author's name and its values
formatted (`lib/core/changes.py`); tasks that became overdue in the meantime first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from lib.core import changes, recurrence, rules
from lib.core.catalogue import ENTITY_LABELS, PROVINCE_LEVEL_LABEL
from lib.data.choices import unit_label
from lib.data.models import (
    Agency,
    AuditEvent,
    Document,
    Duty,
    HqProject,
    Locality,
    ModelWard,
    ReportDraft,
    Task,
    TaskRequest,
    Unit,
    User,
)
from lib.data.queries import bucket_expr

# Fields whose trail values are ids of another table, and that table.
_REFERENCES: dict[str, Any] = {
    "unit_id": Unit,
    "lead_agency_id": Agency,
    "agency_id": Agency,
    "cooperator": Agency,
    "locality_id": Locality,
}
GENERAL = "Chung (văn bản, cơ quan, tổ chức)"  # events of no locality that are not tasks


@dataclass(frozen=True)
class Change:
    """One event in words."""

    event_id: int
    at: datetime
    who: str  # the author's name (the username where unknown)
    entity: str
    row_id: int | None
    title: str  # which row: a task's title, "Trụ sở Công an phường Nếnh", …
    text: str  # what changed: "Tiến độ 60% → 80%"
    reason: str


@dataclass(frozen=True)
class OverdueNow:
    """A task overdue on the day that was not on the date asked about."""

    id: int
    title: str
    deadline: date | None
    days_overdue: int


@dataclass(frozen=True)
class PlaceChanges:
    place: str
    newly_overdue: list[OverdueNow] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def user_names(s: Session) -> dict[str, str]:
    """Every user's display name by username."""
    return {u: n for u, n in s.execute(select(User.username, User.display_name))}


def _named(s: Session, model: Any, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    if model is Unit:  # "Phường Nếnh": two units may share a name, never a kind and a name
        rows = s.execute(select(Unit.id, Unit.kind, Unit.name).where(Unit.id.in_(wanted)))
        return {i: unit_label(kind, name) for i, kind, name in rows}
    name: Any = {Document: Document.number, Duty: Duty.title}.get(model) or model.name
    return {i: n for i, n in s.execute(select(model.id, name).where(model.id.in_(wanted)))}


def _titles(s: Session, events: Sequence[AuditEvent]) -> dict[tuple[str, int], str]:
    """The title of every row the events name."""
    by_entity: dict[str, set[int]] = defaultdict(set)
    for e in events:
        if e.row_id is not None:
            by_entity[e.entity].add(e.row_id)
    titles: dict[tuple[str, int], str] = {}
    if ids := by_entity.get("task_request"):
        found = s.execute(select(TaskRequest.id, TaskRequest.task_id).where(TaskRequest.id.in_(ids)))
        asked = {int(i): int(t) for i, t in found}
        by_entity["task"].update(asked.values())
    else:
        asked = {}
    if ids := by_entity.get("task"):
        for i, title in s.execute(select(Task.id, Task.title).where(Task.id.in_(ids))):
            titles["task", i] = title
    for entity, prefix in (("hq_project", "Trụ sở Công an "), ("model_ward", "Đăng ký kiểu mẫu: ")):
        if ids := by_entity.get(entity):
            for i, (kind, name, _place) in _row_units(s, entity, ids).items():
                label = unit_label(kind, name)
                titles[entity, i] = prefix + (
                    label[0].lower() + label[1:] if entity == "hq_project" else label
                )
    named: tuple[tuple[str, Any], ...] = (
        ("document", Document),
        ("agency", Agency),
        ("unit", Unit),
        ("locality", Locality),
        ("duty", Duty),
    )
    for entity, model in named:
        if ids := by_entity.get(entity):
            for i, name in _named(s, model, ids).items():
                titles[entity, i] = recurrence.duty_name(name) if entity == "duty" else name
    for request_id, task_id in asked.items():
        titles["task_request", request_id] = titles.get(("task", task_id), f"nhiệm vụ mã {task_id}")
    if ids := by_entity.get("report_draft"):  # "Dự thảo báo cáo năm 2026 — Huyện Lục Ngạn"
        places = {str(c): str(n) for c, n in s.execute(select(Locality.code, Locality.name))}
        for i, year, scope in s.execute(
            select(ReportDraft.id, ReportDraft.year, ReportDraft.scope).where(ReportDraft.id.in_(ids))
        ):
            titles["report_draft", i] = f"Dự thảo báo cáo năm {year} — {places.get(scope, 'Toàn tỉnh')}"
    return titles


def _row_units(s: Session, entity: str, ids: Iterable[int]) -> dict[int, tuple[str, str, int]]:
    """The unit (kind, name, locality id) of headquarters projects or registrations."""
    model: Any = HqProject if entity == "hq_project" else ModelWard
    rows = s.execute(
        select(model.id, Unit.kind, Unit.name, Unit.locality_id)
        .join(Unit, Unit.id == model.unit_id)
        .where(model.id.in_(sorted(set(ids))))
    )
    return {i: (kind, name, place) for i, kind, name, place in rows}


def _references(s: Session, events: Sequence[AuditEvent]) -> dict[str, dict[str, str]]:
    """For each reference field, the names of the ids the events hold, keyed by the stored text."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for e in events:
        if e.field in _REFERENCES:
            for raw in (e.old_value, e.new_value):
                if raw and raw.isdigit():
                    wanted[e.field].add(int(raw))
    return {
        name: {str(i): n for i, n in _named(s, _REFERENCES[name], ids).items()}
        for name, ids in wanted.items()
    }


def describe(s: Session, events: Sequence[AuditEvent]) -> list[Change]:
    """The events in words, in the order given."""
    titles, refs, people = _titles(s, events), _references(s, events), user_names(s)
    people = {**people, **{e.actor: changes.who(e.actor, people) for e in events}}
    out = []
    for e in events:
        names = refs.get(e.field, {})
        event = changes.Event(
            e.action,
            e.entity,
            e.field,
            changes.names(names, e.old_value),
            changes.names(names, e.new_value),
            e.reason,
        )
        title = titles.get((e.entity, e.row_id)) if e.row_id is not None else None
        if title is None:
            noun = ENTITY_LABELS.get(e.entity, e.entity)
            title = f"{noun} mã {e.row_id}" if e.row_id is not None else noun
        out.append(
            Change(
                e.id,
                e.at,
                people.get(e.actor, e.actor),
                e.entity,
                e.row_id,
                title,
                changes.sentence(event),
                e.reason,
            )
        )
    return out


def changes_since(
    s: Session, since: date, today: date, *, limit: int = 2000
) -> tuple[list[PlaceChanges], int]:
    """What changed from the start of `since` to the end of `today`, by locality (province-level and
    general last), newest first, with the tasks that became overdue meanwhile; and how many changes
    there were in all (only the `limit` newest are described)."""
    start, end = datetime.combine(since, time.min), datetime.combine(today + timedelta(days=1), time.min)
    rows = list(
        s.scalars(
            select(AuditEvent)
            .where(AuditEvent.at >= start, AuditEvent.at < end)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    )
    shown = [e for e in rows if not changes.is_quiet(e.action, e.entity)]
    places = {i: n for i, n in s.execute(select(Locality.id, Locality.name))}
    # a project's or registration's event without a place: the place of its row's unit
    row_places = {
        (entity, i): place
        for entity in ("hq_project", "model_ward")
        for i, (_k, _n, place) in _row_units(
            s, entity, {e.row_id for e in shown[:limit] if e.entity == entity and e.row_id is not None}
        ).items()
    }
    groups: dict[str, PlaceChanges] = {}

    def group(place: str) -> PlaceChanges:
        return groups.setdefault(place, PlaceChanges(place))

    for change, e in zip(describe(s, shown[:limit]), shown[:limit], strict=True):
        located = e.locality_id if e.locality_id is not None else row_places.get((e.entity, e.row_id or 0))
        if located is not None:
            place = places.get(located, PROVINCE_LEVEL_LABEL)
        else:
            place = PROVINCE_LEVEL_LABEL if e.entity in ("task", "task_request") else GENERAL
        group(place).changes.append(change)
    overdue = s.execute(
        select(Task.id, Task.title, Locality.name, Task.current_deadline)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(and_(bucket_expr(today) == rules.OVERDUE, bucket_expr(since) != rules.OVERDUE))
        .order_by(Task.current_deadline, Task.id)
    )
    for task_id, title, place, deadline in overdue:
        days = (today - deadline).days if deadline else 0
        group(place or PROVINCE_LEVEL_LABEL).newly_overdue.append(OverdueNow(task_id, title, deadline, days))
    last = (PROVINCE_LEVEL_LABEL, GENERAL)
    ordered = sorted(
        groups.values(),
        key=lambda g: (g.place in last, last.index(g.place) if g.place in last else 0, g.place),
    )
    return ordered, len(shown)
