"""“Giao nhiệm vụ”: one content from one document to N addressees, in one audited transaction.

Each addressee gets either a deadline — a task, created through `create_rows` — or a recurrence — a
recurring duty (Duty, stored here with its cooperators and one audit event per value), whose current
period's task the duty generator makes through the hook `period_tasks`. Every row is typed and
checked by the same rules as any new task (lib/editing/creation.NEW_TASK): unknown or retired agencies,
a deadline before the document's date, a unit outside the chosen locality… are refused naming the
row and the field, and nothing is written. One creation key per form submission: sent again, it
writes nothing and returns what the first submission made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lib.core import recurrence, rules
from lib.core.catalogue import RECURRENCE, RECURRENCE_LABELS
from lib.core.formatting import fmt_date
from lib.core.roles import Actor, Refused, require_office
from lib.core.validation import Invalid, missing, same_name
from lib.data import audit
from lib.data.db import bump_data_version
from lib.data.models import Agency, AuditEvent, Document, Duty, Locality, Task, Unit, duty_cooperator
from lib.editing.changeset import CellError, ValidationFailed
from lib.editing.creation import (
    MAX_TITLE,
    NEW_TASK,
    LooksLikeExisting,
    NewRow,
    check_new_rows,
    create_rows,
    row_key,
)

MAX_ADDRESSEES = 200
ONCE = recurrence.ONCE  # a task with its own deadline
# An ongoing duty is followed as one ordinary task with no deadline of its own; every other
# recurrence is stored as a duty, whose periods' tasks the generator creates (lib/ops/duties.py).
AS_TASK = (ONCE, recurrence.ONGOING)
RECURRENCE_CODES = {label: code for code, label in RECURRENCE_LABELS.items()}


@dataclass(frozen=True)
class Addressee:
    """One row of an assignment, as the form gives it (ids of agencies, locality and unit)."""

    lead_agency_id: Any
    cooperators: Sequence[Any] = ()
    locality_id: Any = None
    unit_id: Any = None
    deadline: Any = None  # a date, or text dd/mm/yyyy; only with the recurrence ONCE
    recurrence: str = ONCE
    expected_product: Any = ""


def addressee_from_labels(
    record: Mapping[Any, Any],
    agencies: Mapping[str, int],
    localities: Mapping[str, int],
    units: Mapping[str, int],
) -> Addressee | None:
    """One row of the form's table, its names turned into ids; None for a row left empty.

    A name not in the lists stays as typed: the checks refuse it naming its row and column.
    """

    def one(raw: Any, ids: Mapping[str, int]) -> Any:
        return None if missing(raw) else ids.get(raw, raw)

    raw: Any = record.get("cooperators")
    cooperators = [] if missing(raw) else [raw] if isinstance(raw, str) else list(raw)
    recurrence: Any = record.get("recurrence")
    values = (record.get("lead"), record.get("locality"), record.get("unit"), record.get("deadline"))
    product = record.get("expected_product")
    if all(missing(v) for v in values) and not cooperators and missing(product):
        return None
    return Addressee(
        lead_agency_id=one(record.get("lead"), agencies),
        cooperators=[agencies.get(c, c) for c in cooperators],
        locality_id=one(record.get("locality"), localities),
        unit_id=one(record.get("unit"), units),
        deadline=None if missing(record.get("deadline")) else record.get("deadline"),
        recurrence=ONCE if missing(recurrence) else RECURRENCE_CODES.get(recurrence, str(recurrence)),
        expected_product="" if missing(product) else product,
    )


@dataclass(frozen=True)
class Assigned:
    """What an assignment wrote (or, when `repeated`, what the same submission had written before)."""

    tasks: tuple[int, ...] = ()  # tasks with a deadline
    duties: tuple[int, ...] = ()  # recurring duties
    period_tasks: tuple[int, ...] = ()  # current-period tasks the duty generator made
    repeated: bool = False


# HOOK for the duty generator (written separately). It gets the duties this assignment just stored,
# inside the same transaction, and returns the ids of the tasks it created for their current periods.
PeriodTasks = Callable[[Session, Actor, Sequence[int], date, datetime], Sequence[int]]


def period_tasks(
    s: Session, actor: Actor, duty_ids: Sequence[int], today: date, now: datetime
) -> Sequence[int]:
    """Create the current period's task of each new duty: nothing here (the editing layer cannot call
    the generator, which lives above it); /van-ban passes lib/ops/duties.generate_for, and the daily
    `generate-duties` run creates the tasks otherwise."""
    return ()


class LooksAssigned(LooksLikeExisting):
    """Rows of an assignment that look like tasks or duties already there, each named."""

    def __init__(self, pairs: Sequence[tuple[int | None, int]], described: Sequence[str]) -> None:
        super().__init__("task", "nhiệm vụ", pairs)
        self.message = (
            f"Có nhiệm vụ trông như đã giao ({'; '.join(described)}). Kiểm tra lại, hoặc xác nhận vẫn thêm."
        )
        self.args = (self.message,)


def assign(
    s: Session,
    actor: Actor,
    document_id: int,
    title: Any,
    addressees: Sequence[Addressee],
    *,
    now: datetime,
    today: date,
    creation_key: str | None = None,
    confirm_similar: bool = False,
    generate: PeriodTasks = period_tasks,
) -> Assigned:
    """Give one content of a document to every addressee: a task each, or a recurring duty each."""
    require_office(actor, "giao nhiệm vụ", "task")
    bump_data_version(s)  # first: the write lock (see lib.data.db)
    document = s.get(Document, document_id)
    if document is None:
        raise Refused(f"Không có văn bản mã {document_id}.", entity="document", row_id=document_id)
    if creation_key:
        before = _made_by(s, creation_key, len(addressees))
        if before is not None:
            return before
    content = _content(title)
    if not addressees:
        lead = NEW_TASK.label_of("lead_agency_id")
        raise Refused(
            f"Chưa có cơ quan nhận nhiệm vụ: thêm ít nhất một dòng có “{lead}”.",
            entity="task",
            field="lead_agency_id",
        )
    if len(addressees) > MAX_ADDRESSEES:
        raise Refused(
            f"Một lần giao tối đa {MAX_ADDRESSEES} cơ quan nhận (đang có {len(addressees)}).", entity="task"
        )
    rows = [_row(s, document_id, content, a, i) for i, a in enumerate(addressees, start=1)]
    typed = _checked(s, actor, rows, addressees, today)
    if not confirm_similar:
        _refuse_look_alikes(s, rows, typed, addressees)
    reason = f"Giao theo văn bản {document.number}"
    once = [row for row, a in zip(rows, addressees, strict=True) if a.recurrence in AS_TASK]
    tasks = (
        create_rows(
            s,
            actor,
            NEW_TASK,
            once,
            now=now,
            today=today,
            creation_key=creation_key,
            confirm_similar=True,  # checked above, with the duties
            reason=reason,
        ).rows
        if once
        else ()
    )
    duties = [
        _store_duty(s, actor, values, a, _duty_key(creation_key, i), now, today, reason)
        for i, (values, a) in enumerate(
            (v, a) for v, a in zip(typed, addressees, strict=True) if a.recurrence not in AS_TASK
        )
    ]
    made = tuple(generate(s, actor, duties, today, now)) if duties else ()
    return Assigned(tuple(tasks), tuple(duties), made)


def _content(title: Any) -> str:
    label = NEW_TASK.label_of("title")
    try:
        content = NEW_TASK.values["title"][1].parse(title)
    except Invalid as exc:
        raise Refused(f"“{label}”: {exc}", entity="task", field="title") from None
    if not content:
        raise Refused(f"“{label}”: không được để trống.", entity="task", field="title")
    assert isinstance(content, str) and len(content) <= MAX_TITLE
    return content


def _row(s: Session, document_id: int, content: str, a: Addressee, position: int) -> NewRow:
    """The new task's values of one addressee; its locality, when not given, is its unit's or its
    lead agency's (the UBND of a locality), so the task counts for that locality."""
    locality = a.locality_id
    if locality is None and isinstance(a.unit_id, int):
        locality = s.scalar(select(Unit.locality_id).where(Unit.id == a.unit_id))
    if locality is None and isinstance(a.lead_agency_id, int):
        locality = s.scalar(select(Agency.locality_id).where(Agency.id == a.lead_agency_id))
    return NewRow(
        {
            "title": content,
            "document_id": document_id,
            "lead_agency_id": a.lead_agency_id,
            "cooperators": list(a.cooperators),
            "locality_id": locality,
            "unit_id": a.unit_id,
            "expected_product": a.expected_product,
            "original_deadline": a.deadline if a.recurrence in AS_TASK else None,
            **({"recurrence": a.recurrence} if a.recurrence == recurrence.ONGOING else {}),
        },
        position=position,
    )


def _checked(
    s: Session, actor: Actor, rows: Sequence[NewRow], addressees: Sequence[Addressee], today: date
) -> list[dict[str, Any]]:
    """Every row typed and checked as a new task; a deadline or a recurrence, not neither nor both."""
    errors: list[CellError] = []
    deadline = NEW_TASK.label_of("original_deadline")
    for row, a in zip(rows, addressees, strict=True):
        if a.recurrence not in RECURRENCE_LABELS:
            shown = ", ".join(RECURRENCE_LABELS.values())
            errors.append(
                CellError(row.position, 0, "recurrence", RECURRENCE.label, f"chỉ nhận một trong: {shown}.")
            )
        elif a.recurrence == ONCE and missing(a.deadline):  # an ongoing task may have none
            errors.append(
                CellError(
                    row.position, 0, "original_deadline", deadline, "không được để trống (hoặc chọn lặp lại)."
                )
            )
        elif a.recurrence not in AS_TASK and not missing(a.deadline):
            errors.append(
                CellError(
                    row.position,
                    0,
                    "original_deadline",
                    deadline,
                    "nhiệm vụ lặp lại không có hạn riêng (hạn theo từng kỳ): để trống ô này.",
                )
            )
    try:
        typed = check_new_rows(s, actor, NEW_TASK, rows, today=today)
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(sorted(errors, key=lambda e: e.position or 0), "task")
    return typed


def _refuse_look_alikes(
    s: Session, rows: Sequence[NewRow], typed: Sequence[dict[str, Any]], addressees: Sequence[Addressee]
) -> None:
    """Refuse rows that look like a task or duty already there, or like an earlier row of this form."""
    pairs: list[tuple[int | None, int]] = []
    described: list[str] = []
    seen: dict[tuple[Any, ...], int | None] = {}
    for row, values, a in zip(rows, typed, addressees, strict=True):
        place = (values["lead_agency_id"], values.get("locality_id"), values.get("unit_id"))
        if place in seen:
            described.append(f"dòng {row.position}: cùng cơ quan chủ trì và địa bàn với dòng {seen[place]}")
            pairs.append((row.position, 0))
            continue
        seen[place] = row.position
        if a.recurrence in AS_TASK:
            task_id = NEW_TASK.similar(s, values)
            if task_id is not None:
                pairs.append((row.position, task_id))
                described.append(f"dòng {row.position}: giống {_describe_task(s, task_id)}")
        else:
            duty_id = _similar_duty(s, values)
            if duty_id is not None:
                pairs.append((row.position, duty_id))
                described.append(f"dòng {row.position}: giống {_describe_duty(s, duty_id)}")
    if pairs:
        raise LooksAssigned(pairs, described)


def _describe_task(s: Session, task_id: int) -> str:
    title, agency, locality, deadline = s.execute(
        select(Task.title, Agency.name, Locality.name, Task.current_deadline)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(Task.id == task_id)
    ).one()
    where = f", {locality}" if locality else ""
    due = f", hạn {fmt_date(deadline)}" if deadline else ""
    return f"nhiệm vụ mã {task_id} “{_short(title)}” của {agency}{where}{due}"


def _describe_duty(s: Session, duty_id: int) -> str:
    title, agency, recurrence = s.execute(
        select(Duty.title, Agency.name, Duty.recurrence)
        .join(Agency, Agency.id == Duty.lead_agency_id)
        .where(Duty.id == duty_id)
    ).one()
    return (
        f"nhiệm vụ định kỳ mã {duty_id} “{_short(title)}” của {agency} "
        f"({RECURRENCE_LABELS.get(recurrence, recurrence).lower()})"
    )


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _similar_duty(s: Session, values: dict[str, Any]) -> int | None:
    candidates = s.execute(
        select(Duty.id, Duty.title).where(
            Duty.document_id == values["document_id"],
            Duty.lead_agency_id == values["lead_agency_id"],
            Duty.retired_on.is_(None),
            Duty.locality_id.is_(None)
            if values.get("locality_id") is None
            else Duty.locality_id == values["locality_id"],
        )
    )
    wanted = _with_period(values["title"])
    return next((id_ for id_, title in candidates if same_name(title, wanted)), None)


def _duty_key(creation_key: str | None, index: int) -> str | None:
    return f"{creation_key}:d{index}" if creation_key else None  # apart from the tasks' row keys


def _with_period(title: str) -> str:
    """A duty's title names each period's task: "… (năm 2027)", unless it already places the period."""
    if recurrence.PERIOD_PLACEHOLDER in title:
        return title
    return f"{title} ({recurrence.PERIOD_PLACEHOLDER})"


def _store_duty(
    s: Session,
    actor: Actor,
    values: dict[str, Any],
    a: Addressee,
    key: str | None,
    now: datetime,
    today: date,
    reason: str,
) -> int:
    """Insert one recurring duty and its cooperators; audit each value (the creation key too, so a
    resubmitted form finds what it made)."""
    month, day = rules.RECURRENCE_DUE[a.recurrence]
    stored = {
        "document_id": values["document_id"],
        "clause_id": values.get("clause_id"),
        "title": _with_period(values["title"]),
        "lead_agency_id": values["lead_agency_id"],
        "locality_id": values.get("locality_id"),
        "unit_id": values.get("unit_id"),
        "recurrence": a.recurrence,
        "due_month": month,
        "due_day": day,
        "first_year": today.year,
        "last_year": max(today.year, rules.WARD_TARGET_YEAR),  # the programme runs to 2030
        "expected_product": values.get("expected_product") or "",
    }
    duty_id = s.execute(
        insert(Duty).values(**stored, created_by=actor.username, created_at=now).returning(Duty.id)
    ).scalar_one()
    cooperators = values.get("cooperators") or ()
    if cooperators:
        s.execute(insert(duty_cooperator), [{"duty_id": duty_id, "agency_id": c} for c in cooperators])
    shown = {**stored, "cooperators": ";".join(str(c) for c in cooperators), "creation_key": key}
    audit.record_many(
        s,
        [
            audit.Entry(
                actor=actor.username,
                action="create",
                entity="duty",
                row_id=duty_id,
                locality_id=stored["locality_id"],
                field=name,
                new=value,
                reason=reason,
                at=now,
            )
            for name, value in shown.items()
            if value not in (None, "")
        ],
    )
    return int(duty_id)


def _made_by(s: Session, creation_key: str, count: int) -> Assigned | None:
    """What a submission with this key already made (tasks by their keys, duties by their audited
    keys), or None if it made nothing yet."""
    tasks = tuple(
        s.scalars(
            select(Task.id)
            .where(Task.creation_key.in_([row_key(creation_key, i) for i in range(count)]))
            .order_by(Task.id)
        )
    )
    duties = tuple(
        int(row_id)
        for row_id in s.scalars(
            select(AuditEvent.row_id)
            .where(
                AuditEvent.entity == "duty",
                AuditEvent.field == "creation_key",
                AuditEvent.new_value.in_([_duty_key(creation_key, i) for i in range(count)]),
            )
            .order_by(AuditEvent.row_id)
        )
        if row_id is not None
    )
    if not tasks and not duties:
        return None
    return Assigned(tasks, duties, repeated=True)
