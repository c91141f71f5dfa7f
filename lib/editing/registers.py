"""The audited writes on the registers the office keeps: documents, agencies, units.

Each function runs inside the caller's write transaction (lib/editing/actions.perform), takes the
data-version lock first, checks the actor (office or administrator), types and checks every value
with the catalogue's parser, writes, and appends one audit event per value — or raises Refused
(FormInvalid names each field) so nothing is written. Nothing is deleted: an agency or a unit is
retired (retired_on = today, with a reason), stays on the rows that name it, and is no longer
offered for new rows (lib/editing/creation.py refuses it too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lib.core.catalogue import (
    AGENCY,
    AGENCY_KIND_LABELS,
    DOCUMENT,
    RETIRE_REASON,
    UNIT,
    UNIT_KIND_LABELS,
    Entity,
)
from lib.core.formatting import fmt_date, fmt_datetime
from lib.core.roles import CONFLICT, Actor, Refused, require_office
from lib.core.validation import Choice, Invalid, quote, same_name, slug
from lib.data import audit
from lib.data.db import bump_data_version
from lib.data.models import Agency, Base, Document, Locality, Task, Unit

DOCUMENT_FIELDS = ("number", "issued_on", "issuer", "kind", "title")


class FormInvalid(Refused):
    """A form that cannot be saved; `problems` maps each field to what is wrong with it."""

    def __init__(
        self, entity: Entity, problems: Sequence[tuple[str, str]], row_id: int | None = None
    ) -> None:
        shown = "; ".join(f"“{entity[name].label}”: {message}" for name, message in problems)
        super().__init__(
            f"Chưa lưu {entity.noun}: {shown}",
            entity=entity.name,
            row_id=row_id,
            field=problems[0][0] if len(problems) == 1 else "",
            action="refused_invalid",
        )
        self.problems = dict(problems)


def _typed(
    entity: Entity, values: Mapping[str, Any], names: Sequence[str], optional: Sequence[str] = ()
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Type each named value with its catalogue parser; an empty one is a problem unless optional."""
    unknown = set(values) - set(names)
    if unknown:
        raise Refused(f"Trường “{quote(sorted(unknown)[0])}” không nhập được.", entity=entity.name)
    typed: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name in names:
        try:
            value = entity[name].parse(values.get(name))
        except Invalid as exc:
            problems.append((name, str(exc)))
            continue
        if value in (None, "") and name not in optional:
            problems.append((name, "không được để trống."))
        typed[name] = value
    return typed, problems


def _audit(
    s: Session,
    actor: Actor,
    action: str,
    entity: str,
    row_id: int,
    changes: Mapping[str, tuple[Any, Any]],
    now: datetime,
    *,
    version: int | None = None,
    locality_id: int | None = None,
    reason: str = "",
) -> None:
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value

    audit.record_many(
        s,
        [
            audit.Entry(
                actor=actor.username,
                action=action,
                entity=entity,
                row_id=row_id,
                row_version=version,
                locality_id=locality_id,
                field=name,
                old=plain(old),
                new=plain(new),
                reason=reason,
                at=now,
            )
            for name, (old, new) in changes.items()
        ],
    )


def _unique_code(s: Session, model: Any, base: str, max_length: int = 30) -> str:
    """A code for a new row, from its name or number, not used by another row (…-2, …-3 if need be)."""
    base = base or "ma"
    taken = set(s.scalars(select(model.code).where(model.code.like(f"{base[: max_length - 4]}%"))))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base[: max_length - len(str(n)) - 1]}-{n}"
    return code


# --- documents -------------------------------------------------------------------------------------


def _document_problems(
    s: Session, typed: Mapping[str, Any], today: date, current: Document | None
) -> list[tuple[str, str]]:
    """What the database says about a document's values: a date in the future, a number taken,
    tasks of this document due before its new date."""
    problems: list[tuple[str, str]] = []
    issued: date | None = typed.get("issued_on")
    if issued is not None and issued > today:
        problems.append(("issued_on", f"ngày {issued:%d/%m/%Y} ở tương lai (hôm nay là {today:%d/%m/%Y})."))
    number = typed.get("number")
    if number:
        others = s.execute(
            select(Document.id, Document.number, Document.issued_on).where(
                Document.id != (current.id if current else -1)
            )
        )
        for other_id, other_number, other_issued in others:
            same_year = issued is None or other_issued is None or other_issued.year == issued.year
            if same_year and same_name(other_number, number):
                when = f"ngày {fmt_date(other_issued)}" if other_issued else "chưa ghi ngày"
                problems.append(("number", f"đã có văn bản số “{other_number}” ({when}, mã {other_id})."))
                break
    if current is not None and issued is not None:
        earliest = s.scalar(select(func.min(Task.original_deadline)).where(Task.document_id == current.id))
        if earliest is not None and earliest < issued:
            problems.append(
                (
                    "issued_on",
                    f"văn bản đã giao nhiệm vụ có hạn {earliest:%d/%m/%Y}, trước ngày ban hành mới.",
                )
            )
    return problems


def create_document(
    s: Session, actor: Actor, *, values: Mapping[str, Any], now: datetime, today: date
) -> int:
    """Add a document to the register (office and administrators); return its id."""
    require_office(actor, "thêm văn bản", DOCUMENT.name)
    bump_data_version(s)  # first: the write lock (see lib.data.db)
    typed, problems = _typed(DOCUMENT, values, DOCUMENT_FIELDS)
    problems += _document_problems(s, typed, today, None)
    if problems:
        raise FormInvalid(DOCUMENT, problems)
    issued: date = typed["issued_on"]
    document = Document(
        **typed,
        code=_unique_code(s, Document, slug(f"{typed['number']} {issued.year}")),
        issued_label=fmt_date(issued),
        sort_order=(s.scalar(select(func.max(Document.sort_order))) or 0) + 1,
        version=1,
        updated_by=actor.username,
        updated_at=now,
    )
    s.add(document)
    s.flush()
    _audit(
        s,
        actor,
        "create",
        DOCUMENT.name,
        document.id,
        {name: (None, typed[name]) for name in DOCUMENT_FIELDS},
        now,
        version=1,
    )
    return document.id


def update_document(
    s: Session,
    actor: Actor,
    document_id: int,
    seen_version: int,
    *,
    values: Mapping[str, Any],
    now: datetime,
    today: date,
) -> int:
    """Change a document's fields, if nobody saved it since `seen_version`; return its version."""
    require_office(actor, "sửa văn bản", DOCUMENT.name)
    bump_data_version(s)  # first: the write lock (see lib.data.db)
    current = s.get(Document, document_id)
    if current is None:
        raise Refused(f"Không có văn bản mã {document_id}.", entity=DOCUMENT.name, row_id=document_id)
    # A document recorded without its day (the February 2024 letter) may stay so.
    optional = ("issued_on",) if current.issued_on is None else ()
    typed, problems = _typed(DOCUMENT, values, DOCUMENT_FIELDS, optional)
    problems += _document_problems(s, typed, today, current)
    if problems:
        raise FormInvalid(DOCUMENT, problems, row_id=document_id)
    if current.version != seen_version:
        raise Refused(
            f"Văn bản đã được {current.updated_by} sửa lúc {fmt_datetime(current.updated_at)} (phiên bản "
            f"{current.version}) sau khi bạn mở. Xem lại nội dung mới rồi sửa lại.",
            entity=DOCUMENT.name,
            row_id=document_id,
            action=CONFLICT,
        )
    changed = {n: (getattr(current, n), v) for n, v in typed.items() if getattr(current, n) != v}
    if not changed:
        return current.version
    stored = {n: new for n, (_old, new) in changed.items()}
    if "issued_on" in stored:
        stored["issued_label"] = fmt_date(stored["issued_on"])
    version = seen_version + 1
    written = s.execute(
        update(Document)
        .where(Document.id == document_id, Document.version == seen_version)
        .values(**stored, version=version, updated_by=actor.username, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if written.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused("Văn bản vừa được người khác sửa; tải lại rồi sửa lại.", entity=DOCUMENT.name)
    _audit(s, actor, "update", DOCUMENT.name, document_id, changed, now, version=version)
    return version


# --- agencies and units --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Register:
    """How one register of names is kept: its catalogue, its table, its kinds."""

    entity: Entity
    model: type[Base]
    kinds: Mapping[str, str]
    kind_matters: bool  # True: the same name may stand once per locality *and kind*


AGENCIES = _Register(AGENCY, Agency, AGENCY_KIND_LABELS, kind_matters=True)
UNITS = _Register(UNIT, Unit, UNIT_KIND_LABELS, kind_matters=False)  # unique per locality (schema)


def _name(reg: _Register, raw: Any) -> str:
    typed, problems = _typed(reg.entity, {"name": raw}, ("name",))
    if problems:
        raise FormInvalid(reg.entity, problems)
    return str(typed["name"])


def _check_free(
    s: Session, reg: _Register, name: str, kind: str, locality_id: int | None, own_id: int | None = None
) -> None:
    """Refuse a name another row of the register already has in the same locality (and kind)."""
    model: Any = reg.model
    stmt = select(model.id, model.name, model.retired_on).where(
        model.locality_id.is_(None) if locality_id is None else model.locality_id == locality_id
    )
    if reg.kind_matters:
        stmt = stmt.where(model.kind == kind)
    for other_id, other_name, retired_on in s.execute(stmt):
        if other_id != own_id and same_name(other_name, name):
            retired = f", đã thôi sử dụng từ {retired_on:%d/%m/%Y}" if retired_on else ""
            raise FormInvalid(reg.entity, [("name", f"đã có “{other_name}” (mã {other_id}{retired}).")])


def _existing(s: Session, reg: _Register, row_id: int) -> Any:
    row = s.get(reg.model, row_id)
    if row is None:
        raise Refused(f"Không có {reg.entity.noun} mã {row_id}.", entity=reg.entity.name, row_id=row_id)
    return row


def _add(
    s: Session,
    actor: Actor,
    reg: _Register,
    *,
    name: Any,
    kind: Any,
    locality_id: int | None,
    now: datetime,
    **extra: Any,
) -> int:
    require_office(actor, f"thêm {reg.entity.noun}", reg.entity.name)
    bump_data_version(s)  # first: the write lock (see lib.data.db)
    problems: list[tuple[str, str]] = []
    try:
        clean = _name(reg, name)
    except FormInvalid as exc:
        problems += exc.problems.items()
        clean = ""
    try:
        kind = Choice(tuple(reg.kinds), dict(reg.kinds)).parse(kind)
    except Invalid as exc:
        problems.append(("kind", str(exc)))
    if locality_id is not None and s.get(Locality, locality_id) is None:
        problems.append(("locality", "không có địa bàn này."))
    elif locality_id is None and (reg.model is Unit or kind == "ubnd"):
        problems.append(("locality", "phải chọn địa bàn."))
    if problems:
        raise FormInvalid(reg.entity, problems)
    _check_free(s, reg, clean, kind, locality_id)
    model: Any = reg.model
    values: dict[str, Any] = {"name": clean, "kind": kind, "locality_id": locality_id, **extra}
    if model is Agency:
        values["code"] = _unique_code(s, Agency, slug(clean))
        values["sort_order"] = (s.scalar(select(func.max(Agency.sort_order))) or 0) + 1
    row = model(**values)
    s.add(row)
    s.flush()
    created = {n: (None, v) for n, v in (("name", clean), ("kind", kind), ("locality_id", locality_id)) if v}
    _audit(s, actor, "create", reg.entity.name, row.id, created, now, locality_id=locality_id)
    return int(row.id)


def _rename(s: Session, actor: Actor, reg: _Register, row_id: int, name: Any, now: datetime) -> None:
    require_office(actor, f"đổi tên {reg.entity.noun}", reg.entity.name)
    bump_data_version(s)  # first: the write lock (see lib.data.db)
    row = _existing(s, reg, row_id)
    clean = _name(reg, name)
    if clean == row.name:
        return
    _check_free(s, reg, clean, row.kind, row.locality_id, own_id=row.id)
    old, row.name = row.name, clean
    s.flush()
    _audit(
        s, actor, "rename", reg.entity.name, row.id, {"name": (old, clean)}, now, locality_id=row.locality_id
    )


def _retire(
    s: Session, actor: Actor, reg: _Register, row_id: int, reason: Any, *, today: date, now: datetime
) -> None:
    require_office(actor, f"cho thôi sử dụng {reg.entity.noun}", reg.entity.name)
    bump_data_version(s)  # first: the write lock (see lib.data.db)
    row = _existing(s, reg, row_id)
    try:
        why = RETIRE_REASON.parse(reason)
    except Invalid as exc:
        raise Refused(f"“{RETIRE_REASON.label}”: {exc}", entity=reg.entity.name, row_id=row_id) from None
    if not why:
        raise Refused(f"“{RETIRE_REASON.label}”: không được để trống.", entity=reg.entity.name, row_id=row_id)
    if row.retired_on is not None:
        raise Refused(
            f"“{row.name}” đã thôi sử dụng từ {row.retired_on:%d/%m/%Y}.",
            entity=reg.entity.name,
            row_id=row_id,
        )
    row.retired_on = today
    s.flush()
    _audit(
        s,
        actor,
        "retire",
        reg.entity.name,
        row.id,
        {"retired_on": (None, today)},
        now,
        locality_id=row.locality_id,
        reason=why,
    )


def add_agency(
    s: Session, actor: Actor, *, name: Any, kind: Any, locality_id: int | None, now: datetime
) -> int:
    """Add an agency (office and administrators); return its id."""
    return _add(s, actor, AGENCIES, name=name, kind=kind, locality_id=locality_id, now=now)


def rename_agency(s: Session, actor: Actor, agency_id: int, name: Any, *, now: datetime) -> None:
    """Give an agency a new name; rows that name it show the new one."""
    _rename(s, actor, AGENCIES, agency_id, name, now)


def retire_agency(
    s: Session, actor: Actor, agency_id: int, reason: Any, *, today: date, now: datetime
) -> None:
    """Stop offering an agency for new rows from today; it stays on the rows that name it."""
    _retire(s, actor, AGENCIES, agency_id, reason, today=today, now=now)


def add_unit(
    s: Session, actor: Actor, *, name: Any, kind: Any, locality_id: int | None, now: datetime
) -> int:
    """Add a xã, phường or thị trấn to a locality (office and administrators); return its id."""
    return _add(s, actor, UNITS, name=name, kind=kind, locality_id=locality_id, now=now, change_note="")


def rename_unit(s: Session, actor: Actor, unit_id: int, name: Any, *, now: datetime) -> None:
    """Give a unit a new name; rows that name it show the new one."""
    _rename(s, actor, UNITS, unit_id, name, now)


def retire_unit(s: Session, actor: Actor, unit_id: int, reason: Any, *, today: date, now: datetime) -> None:
    """Stop offering a unit for new rows from today; it stays on the rows that name it."""
    _retire(s, actor, UNITS, unit_id, reason, today=today, now=now)
