"""New rows through the edit engine: typed values → checks → scope → INSERT → audit, all or nothing.

Every path that adds a row — a form on a page, "Giao nhiệm vụ" from a document, the onboarding
import, the recurring duties — calls `create_rows` inside the caller's write transaction, so new
rows get the same Vietnamese messages, the same scope rule and the same audit trail as edits:

    creation spec + raw values per row (+ the submission's creation key)
    → the key already used? return the rows it created, write nothing (a double click, a resubmit)
    → parse each value with its field's parser; check that every reference exists and is not retired
    → role and scope (a focal point adds rows of their own bodies only, lib/core/scopes.py)
    → the table's row check, and "looks like row N" unless the user confirmed it
    → INSERT, links (cooperating agencies), one audit event per value (action "create", version 1).

Any problem raises Refused, so the caller's transaction rolls back and nothing is written.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table, false, insert, null, select
from sqlalchemy.orm import Session

from lib.core import rules
from lib.core.catalogue import (
    ASSIGNING_DOCUMENT,
    COOPERATORS,
    DOCUMENT,
    DOCUMENT_ROLES,
    EARLIEST,
    EXPECTED_PRODUCT,
    HQ_PROJECT,
    LATEST,
    LEAD_AGENCY,
    LOCALITY,
    MODEL_WARD,
    RECURRENCE,
    RECURRENCE_LABELS,
    TASK,
    TASK_CONTENT,
)
from lib.core.formatting import fmt_date
from lib.core.roles import (
    ADMIN,
    EDITORS,
    OUT_OF_SCOPE,
    VAN_PHONG,
    Actor,
    PermissionDenied,
    Refused,
    require_writer,
)
from lib.core.validation import Choice, Day, Integer, Invalid, Parser, Text
from lib.data import audit
from lib.data.db import bump_data_version
from lib.data.models import (
    Agency,
    Base,
    Clause,
    Document,
    HqProject,
    Locality,
    ModelWard,
    Task,
    Unit,
    task_cooperator,
)
from lib.editing.changeset import (
    HQ,
    MAX_ROWS_PER_SAVE,
    TASKS,
    WARDS,
    CellError,
    SaveResult,
    TableSpec,
    ValidationFailed,
)


@dataclass(frozen=True)
class Ref:
    """A column naming another row (an agency, a unit, a document): given as its id."""

    column: str  # e.g. "lead_agency_id"
    label: str  # "Cơ quan chủ trì"
    model: type[Base]
    required: bool = True


@dataclass(frozen=True)
class Link:
    """Several rows named by one new row through an association table (cooperating agencies)."""

    name: str  # e.g. "cooperators"
    label: str
    table: Table
    own_column: str  # the association's column for the new row, e.g. "task_id"
    other_column: str  # e.g. "agency_id"
    model: type[Base]


@dataclass(frozen=True)
class CreateSpec:
    """How a table takes new rows: who may add them, what may be given, and the checks."""

    table: TableSpec
    roles: tuple[str, ...]
    values: Mapping[str, tuple[str, Parser]]  # field → (label, parser) a new row may set
    required: tuple[str, ...] = ()  # fields that may not stay empty
    refs: tuple[Ref, ...] = ()
    links: tuple[Link, ...] = ()
    # Where a new row belongs: its locality id (None: province level), read from its values.
    locality: Callable[[Session, Mapping[str, Any]], int | None] = lambda _s, _v: None
    # Defaults derived from the given values (e.g. the current deadline is the original one).
    complete: Callable[[Mapping[str, Any]], dict[str, Any]] = dict
    # Problems that need the database: (field, message); e.g. a deadline before the document's date.
    check: Callable[[Session, Mapping[str, Any], date], list[tuple[str, str]]] = lambda _s, _v, _d: []
    # The day its bodies must be valid on: today, or the day a finished row was finished (a task
    # completed in 2024 by a district that ended in 2025 may still be entered as history).
    day: Callable[[Mapping[str, Any], date], date] = lambda _v, today: today
    # An existing row this one looks like (same document, addressee and content), or None.
    similar: Callable[[Session, Mapping[str, Any]], int | None] = lambda _s, _v: None
    # The same for many rows in a few queries (an import); by default `similar` row by row.
    similar_many: Callable[[Session, Sequence[Mapping[str, Any]]], list[int | None]] | None = None

    def look_alikes(self, s: Session, rows: Sequence[Mapping[str, Any]]) -> list[int | None]:
        """For each row, an existing row it looks like, or None."""
        if self.similar_many is not None:
            return self.similar_many(s, rows)
        return [self.similar(s, values) for values in rows]

    # That row in a few words, for the warning ("mã 12: Trần Phú, Thành phố Bắc Giang …").
    describe: Callable[[Session, int], str] = lambda _s, row_id: f"mã {row_id}"

    @property
    def entity(self) -> str:
        return self.table.entity

    def label_of(self, name: str) -> str:
        if name in self.values:
            return self.values[name][0]
        for ref in self.refs:
            if ref.column == name:
                return ref.label
        for link in self.links:
            if link.name == name:
                return link.label
        return name


@dataclass(frozen=True)
class NewRow:
    """One row to add: raw values by field (ids for references, id lists for links)."""

    values: Mapping[str, Any]
    position: int | None = None  # 1-based row of the form or the sheet, for messages
    cell: Mapping[str, str] = field(default_factory=dict)  # field → where the user typed it ("C7")
    key: str | None = None  # this row's own creation key (a row of an imported file), else the submission's


class LooksLikeExisting(Refused):
    """A new row that looks like one already there; the user may confirm and add it anyway."""

    def __init__(
        self,
        entity: str,
        noun: str,
        pairs: Sequence[tuple[int | None, int]],
        described: Mapping[int, str] | None = None,
    ) -> None:
        named = described or {}
        where = "; ".join(
            (f"dòng {pos}: " if pos is not None else "") + f"giống {named.get(existing, f'mã {existing}')}"
            for pos, existing in pairs
        )
        super().__init__(
            f"Có {noun} trông như đã có ({where}). Kiểm tra lại, hoặc xác nhận vẫn thêm.",
            entity=entity,
            row_id=pairs[0][1],
            action="refused_duplicate",
        )
        self.pairs = list(pairs)


def row_key(creation_key: str, index: int) -> str:
    """The creation key of one row of a submission (a form adds one row, an assignment several)."""
    return f"{creation_key}:{index}"


def create_rows(
    s: Session,
    actor: Actor,
    spec: CreateSpec,
    rows: Sequence[NewRow],
    *,
    now: datetime,
    today: date,
    creation_key: str | None = None,
    confirm_similar: bool = False,
    reason: str = "",
) -> SaveResult:
    """Add rows, or refuse them all with the reasons; a creation key already used adds nothing."""
    require_writer(actor, spec.entity)
    if actor.role not in spec.roles:
        raise PermissionDenied(f"Vai trò của bạn không được thêm {spec.table.label}.", entity=spec.entity)
    bump_data_version(s)  # first: the lock that orders concurrent saves (see lib.data.db)
    if len(rows) > MAX_ROWS_PER_SAVE:
        raise Refused(
            f"Một lần thêm tối đa {MAX_ROWS_PER_SAVE} dòng (đang có {len(rows)}).", entity=spec.entity
        )
    model: Any = spec.table.model
    keys = [row.key or (row_key(creation_key, i) if creation_key else None) for i, row in enumerate(rows)]
    given = [k for k in keys if k]
    if given:
        done = s.scalars(select(model.id).where(model.creation_key.in_(given)).order_by(model.id)).all()
        if done:  # this submission was already saved (a double click, a resubmitted form)
            return SaveResult(tuple(done), 0, {})
    typed, localities = _checked(s, actor, spec, rows, today)
    if not confirm_similar:
        pairs = [
            (row.position, existing)
            for row, existing in zip(rows, spec.look_alikes(s, typed), strict=True)
            if existing is not None
        ]
        if pairs:
            described = {existing: spec.describe(s, existing) for _pos, existing in pairs}
            raise LooksLikeExisting(spec.entity, spec.table.label, pairs, described)
    link_names = {link.name for link in spec.links}
    stored = [
        {k: v for k, v in values.items() if k not in link_names}
        | ({"creation_key": key} if key else {})
        | {"version": 1, "updated_by": actor.username, "updated_at": now}
        for values, key in zip(typed, keys, strict=True)
    ]
    ids = _insert(s, model, stored)
    for link in spec.links:
        pairs_of = [
            {link.own_column: new_id, link.other_column: other}
            for new_id, values in zip(ids, typed, strict=True)
            for other in values.get(link.name) or ()
        ]
        if pairs_of:
            s.execute(insert(link.table), pairs_of)
    events: list[audit.Entry] = []
    for new_id, values, loc in zip(ids, typed, localities, strict=True):
        for name, value in values.items():
            if value in (None, "", ()) and name not in spec.required:
                continue
            shown = ";".join(str(v) for v in value) if isinstance(value, (list, tuple)) else value
            events.append(
                audit.Entry(
                    actor=actor.username,
                    action="create",
                    entity=spec.entity,
                    row_id=new_id,
                    row_version=1,
                    locality_id=loc,
                    field=name,
                    old=None,
                    new=shown.isoformat() if isinstance(shown, date) else shown,
                    reason=reason,
                    at=now,
                )
            )
    audit.record_many(s, events)
    return SaveResult(tuple(ids), len(events), dict.fromkeys(ids, 1))


def check_new_rows(
    s: Session, actor: Actor, spec: CreateSpec, rows: Sequence[NewRow], *, today: date
) -> list[dict[str, Any]]:
    """Type and check rows exactly as create_rows does (scope included) without writing them;
    raise Refused on any problem. For rows stored elsewhere, such as a recurring duty."""
    require_writer(actor, spec.entity)
    if actor.role not in spec.roles:
        raise PermissionDenied(f"Vai trò của bạn không được thêm {spec.table.label}.", entity=spec.entity)
    return _checked(s, actor, spec, rows, today)[0]


def _checked(
    s: Session, actor: Actor, spec: CreateSpec, rows: Sequence[NewRow], today: date
) -> tuple[list[dict[str, Any]], list[int | None]]:
    """Typed values and locality of each row, or Refused: invalid values, or a locality out of scope."""
    try:
        typed, errors = _parse(s, spec, rows, today)
        if errors:
            raise ValidationFailed(errors, spec.entity)
        localities = [spec.locality(s, values) for values in typed]
        for row, values, loc in zip(rows, typed, localities, strict=True):
            if not actor.may_edit(loc, values.get("unit_id"), (values.get("lead_agency_id"),)):
                where = f"Dòng {row.position}: " if row.position is not None else ""
                raise PermissionDenied(
                    f"{where}{spec.table.label} này {OUT_OF_SCOPE}: bạn chỉ được thêm {spec.table.label} "
                    "của địa phương, đơn vị, cơ quan mình phụ trách.",
                    entity=spec.entity,
                    locality_id=loc,
                )
    finally:
        s.info.pop(_REFERENCED, None)  # what _parse loaded serves this call only
    return typed, localities


def _insert(s: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT the rows in as few statements as their shapes allow; return their ids in their order."""
    ids: list[int | None] = [None] * len(rows)
    shapes: dict[tuple[str, ...], list[int]] = {}
    for i, row in enumerate(rows):
        shapes.setdefault(tuple(sorted(row)), []).append(i)
    table = model.__table__  # Core, not the ORM's bulk path: the ids come back in the rows' order
    for positions in shapes.values():
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        made = s.execute(stmt, [rows[i] for i in positions]).scalars().all()
        for i, new_id in zip(positions, made, strict=True):
            ids[i] = new_id
    return [i for i in ids if i is not None]


_REFERENCED = "creation.referenced"  # Session.info key: the rows a call of create_rows refers to


def referenced(s: Session, model: type[Any], row_id: Any) -> Any:
    """A row a new row refers to (its document, its unit): from what `create_rows` loaded for the
    rows it checks (one query per table), else read from the database."""
    if row_id is None:
        return None
    loaded = s.info.get(_REFERENCED, {}).get(model, {})
    return loaded[row_id] if row_id in loaded else s.get(model, row_id)


def _parse(
    s: Session, spec: CreateSpec, rows: Sequence[NewRow], today: date
) -> tuple[list[dict[str, Any]], list[CellError]]:
    """Type every value, check references and the row rules; collect every problem with its place."""
    errors: list[CellError] = []
    typed: list[dict[str, Any]] = []
    known = {name for name in spec.values} | {r.column for r in spec.refs} | {k.name for k in spec.links}

    def fail(row: NewRow, name: str, message: str) -> None:
        where = row.cell.get(name)
        errors.append(
            CellError(
                row.position, 0, name, spec.label_of(name), f"ô {where}: {message}" if where else message
            )
        )

    wanted: dict[type[Base], set[int]] = {}
    for row in rows:
        for ref in spec.refs:
            value = row.values.get(ref.column)
            if isinstance(value, int):
                wanted.setdefault(ref.model, set()).add(value)
        for link in spec.links:
            wanted.setdefault(link.model, set()).update(
                v for v in row.values.get(link.name) or () if isinstance(v, int)
            )
    loaded = {model: _load(s, model, ids) for model, ids in wanted.items()}
    s.info[_REFERENCED] = loaded  # for the row checks below (and the localities after them)
    usable = {model: {i for i, row in rows_of.items() if _in_use(row)} for model, rows_of in loaded.items()}

    for row in rows:
        before = len(errors)
        values: dict[str, Any] = {}
        for name in row.values:
            if name not in known:
                raise PermissionDenied(
                    f"Cột “{name}” không nhập được khi thêm {spec.table.label}.", entity=spec.entity
                )
        for name, (_label, parser) in spec.values.items():
            raw = row.values.get(name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if name in spec.required:
                    fail(row, name, "không được để trống.")
                continue  # the table's default (spec.complete) applies
            try:
                values[name] = parser.parse(raw)
            except Invalid as exc:
                fail(row, name, str(exc))
        for ref in spec.refs:
            value = row.values.get(ref.column)
            if value is None:
                if ref.required:
                    fail(row, ref.column, "không được để trống.")
                values[ref.column] = None
            elif not isinstance(value, int) or value not in usable.get(ref.model, set()):
                fail(row, ref.column, "không có trong danh mục, hoặc đã thôi sử dụng.")
            else:
                values[ref.column] = value
        for link in spec.links:
            others = tuple(dict.fromkeys(row.values.get(link.name) or ()))
            if any(not isinstance(o, int) or o not in usable.get(link.model, set()) for o in others):
                fail(row, link.name, "có tên không có trong danh mục, hoặc đã thôi sử dụng.")
            values[link.name] = others
        values = spec.complete(values)
        if len(errors) == before:  # the row's own values are sound: now the rules across them
            # The bodies it names must be valid on its day (lib/core/organisation: validity).
            day = spec.day(values, today)
            for ref in spec.refs:
                named = values.get(ref.column)
                if named is not None and (why := _not_valid(loaded[ref.model][named], day)):
                    fail(row, ref.column, why)
            for link in spec.links:
                whys = [w for o in values[link.name] if (w := _not_valid(loaded[link.model][o], day))]
                if whys:
                    fail(row, link.name, whys[0])
            for name, message in spec.check(s, values, today):
                fail(row, name, message)
            merged = dict(values)
            merged["_original"] = SimpleNamespace(**values)
            for name, message in spec.table.check_row(merged, today):
                fail(row, name, message)
        typed.append(values)
    return typed, errors


def _load(s: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    """The rows of these ids that exist, by id."""
    return {row.id: row for row in s.scalars(select(model).where(model.id.in_(ids)))}


def _not_valid(row: Any, day: date) -> str | None:
    """Why a body cannot be named for a row of that day (it started later or had ended), or None."""
    if not isinstance(row, (Agency, Unit)):
        return None  # a locality that ended stays the group of its former territory's rows
    start, end = row.valid_from, row.valid_to
    name = row.name
    if end is not None and day > end:
        return (
            f"“{name}” đã kết thúc hoạt động từ {fmt_date(end + timedelta(days=1))} (sắp xếp tổ chức); "
            "chọn cơ quan, đơn vị kế tục."
        )
    if start is not None and day < start:
        return f"“{name}” bắt đầu hoạt động từ {fmt_date(start)}, sau ngày {fmt_date(day)} của dòng này."
    return None


def _in_use(row: Any) -> bool:
    """Whether a row may be referred to: not retired, where its table can retire rows."""
    return getattr(row, "retired_on", None) is None and getattr(row, "lifecycle", "active") == "active"


# --- the tables that take new rows ----------------------------------------------------------------

MAX_TITLE = 2000


def _editable_values(entity: Any) -> dict[str, tuple[str, Parser]]:
    """The typed fields a new row may set (never the lifecycle: a new row is followed)."""
    return {name: (f.label, f.parser) for name, f in entity.typed.items() if f.parser is not None}


def _unit_name(s: Session, unit_id: int) -> str:
    """A ward or commune as people name it: "Phường Trần Phú, Thành phố Bắc Giang"."""
    found = s.execute(
        select(Unit.kind, Unit.name, Locality.name).join(Locality).where(Unit.id == unit_id)
    ).first()
    if found is None:
        return f"đơn vị mã {unit_id}"
    kind, name, place = found
    return f"{rules.UNIT_KIND_LABELS.get(kind, '')} {name}, {place}".strip()


def _finished_day(field_name: str) -> Callable[[Mapping[str, Any], date], date]:
    """The day a row's bodies must be valid on: the day it was finished (history entered late), else today."""

    def day(values: Mapping[str, Any], today: date) -> date:
        finished = values.get(field_name)
        return finished if isinstance(finished, date) and finished <= today else today

    return day


def _task_complete(values: Mapping[str, Any]) -> dict[str, Any]:
    done = dict(values)
    done.setdefault("state", "chua_trien_khai")
    done.setdefault("progress_pct", 100 if done["state"] == "hoan_thanh" else 0)
    done.setdefault("current_deadline", done.get("original_deadline"))
    if done.get("original_deadline") is None:
        done["original_deadline"] = done.get("current_deadline")
    for name in ("extension_doc", "result", "result_doc", "obstacles", "notes", "expected_product"):
        done.setdefault(name, "")
    done.setdefault("completed_on", None)
    return done


def _task_locality(s: Session, values: Mapping[str, Any]) -> int | None:
    if values.get("locality_id") is not None:
        return int(values["locality_id"])
    unit = referenced(s, Unit, values.get("unit_id"))
    return unit.locality_id if unit is not None else None


def _task_check(s: Session, values: Mapping[str, Any], today: date) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    document = referenced(s, Document, values["document_id"])
    issued = document.issued_on if document is not None else None
    for name in ("original_deadline", "current_deadline"):
        deadline = values.get(name)
        if issued is not None and deadline is not None and deadline < issued:
            problems.append(
                (name, f"hạn {deadline:%d/%m/%Y} trước ngày của văn bản giao ({issued:%d/%m/%Y}).")
            )
            break
    unit, loc = referenced(s, Unit, values.get("unit_id")), values.get("locality_id")
    if unit is not None and loc is not None and unit.locality_id != loc:
        problems.append(("unit_id", "phường, xã không thuộc địa bàn đã chọn."))
    if values.get("lead_agency_id") in (values.get("cooperators") or ()):
        problems.append(("cooperators", "cơ quan chủ trì không đồng thời là cơ quan phối hợp."))
    return problems


def task_likeness(document_id: Any, lead_agency_id: Any, locality_id: Any, title: Any) -> tuple[Any, ...]:
    """What makes two tasks look like the same one: document, addressee and content (case and spacing
    aside)."""
    return (document_id, lead_agency_id, locality_id, " ".join(str(title or "").split()).casefold())


def _task_similar(s: Session, values: Mapping[str, Any]) -> int | None:
    return _tasks_similar(s, [values])[0]


def _tasks_similar(s: Session, rows: Sequence[Mapping[str, Any]]) -> list[int | None]:
    """For each new task, an existing one with the same document, addressee and content."""
    wanted = {(v.get("document_id"), v.get("lead_agency_id")) for v in rows}
    found: dict[tuple[Any, ...], int] = {}
    for documents in _chunks(sorted({d for d, _ in wanted if d is not None})):
        leads = sorted({lead for d, lead in wanted if d in documents and lead is not None})
        stmt = select(Task.id, Task.document_id, Task.lead_agency_id, Task.locality_id, Task.title).where(
            Task.document_id.in_(documents), Task.lead_agency_id.in_(leads)
        )
        for task_id, *key in s.execute(stmt.order_by(Task.id)):
            found.setdefault(task_likeness(*key), task_id)
    return [
        found.get(
            task_likeness(v.get("document_id"), v.get("lead_agency_id"), v.get("locality_id"), v.get("title"))
        )
        for v in rows
    ]


def _chunks(values: Sequence[Any], size: int = 500) -> list[Sequence[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _task_describe(s: Session, row_id: int) -> str:
    found = s.execute(
        select(Task.title, Agency.name)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .where(Task.id == row_id)
    ).first()
    if found is None:
        return f"mã {row_id}"
    title, lead = found
    short = title if len(title) <= 80 else title[:79] + "…"
    return f"mã {row_id}: “{short}”, chủ trì {lead}"


NEW_TASK = CreateSpec(
    table=TASKS,
    roles=(ADMIN, VAN_PHONG),
    values={
        "title": (TASK_CONTENT.label, Text(MAX_TITLE, multiline=True)),
        "original_deadline": (TASK["original_deadline"].label, Day(EARLIEST, LATEST)),
        "expected_product": (EXPECTED_PRODUCT.label, Text(1000, multiline=True)),
        "recurrence": (RECURRENCE.label, Choice(tuple(RECURRENCE_LABELS), dict(RECURRENCE_LABELS))),
        **_editable_values(TASK),
    },
    required=("title",),
    refs=(
        Ref("document_id", ASSIGNING_DOCUMENT.label, Document),
        Ref("lead_agency_id", LEAD_AGENCY.label, Agency),
        Ref("clause_id", TASK["clause"].label, Clause, required=False),
        Ref("locality_id", LOCALITY.label, Locality, required=False),
        Ref("unit_id", HQ_PROJECT["unit"].label, Unit, required=False),
    ),
    links=(Link("cooperators", COOPERATORS.label, task_cooperator, "task_id", "agency_id", Agency),),
    locality=_task_locality,
    complete=_task_complete,
    day=_finished_day("completed_on"),
    check=_task_check,
    similar=_task_similar,
    similar_many=_tasks_similar,
    describe=_task_describe,
)


def _unit_locality(s: Session, values: Mapping[str, Any]) -> int | None:
    unit = referenced(s, Unit, values["unit_id"])
    return unit.locality_id if unit is not None else None


def _hq_complete(values: Mapping[str, Any]) -> dict[str, Any]:
    done = {
        "kind": "xay_moi",
        "land_status": "chua_bo_tri",
        "land_area_m2": None,
        "stage": "chua_bo_tri_dat",
        "funding_source": "ngan_sach_tinh",
        "planned_vnd": 0,
        "allocated_vnd": 0,
        "disbursed_vnd": 0,
        "start_on": None,
        "planned_completion_on": None,
        "actual_completion_on": None,
        "notes": "",
    } | dict(values)
    return done


def _hq_similar(s: Session, values: Mapping[str, Any]) -> int | None:
    return _hqs_similar(s, [values])[0]


def _hqs_similar(s: Session, rows: Sequence[Mapping[str, Any]]) -> list[int | None]:
    """For each new project, an active project of the same unit."""
    found: dict[int, int] = {}
    for units in _chunks(sorted({v["unit_id"] for v in rows if v.get("unit_id") is not None})):
        stmt = select(HqProject.unit_id, HqProject.id).where(
            HqProject.unit_id.in_(units), HqProject.lifecycle == "active"
        )
        for unit_id, project_id in s.execute(stmt.order_by(HqProject.id)):
            found.setdefault(unit_id, project_id)
    return [found.get(v["unit_id"]) if v.get("unit_id") is not None else None for v in rows]


def _hq_describe(s: Session, row_id: int) -> str:
    found = s.execute(select(HqProject.unit_id, HqProject.stage).where(HqProject.id == row_id)).first()
    if found is None:
        return f"mã {row_id}"
    unit_id, stage = found
    return f"mã {row_id}: dự án trụ sở {_unit_name(s, unit_id)}, {rules.STAGE_LABELS.get(stage, stage)}"


NEW_HQ = CreateSpec(
    table=HQ,
    roles=EDITORS,
    values=_editable_values(HQ_PROJECT),
    refs=(Ref("unit_id", HQ_PROJECT["unit"].label, Unit),),
    locality=_unit_locality,
    complete=_hq_complete,
    day=_finished_day("actual_completion_on"),
    similar=_hq_similar,
    similar_many=_hqs_similar,
    describe=_hq_describe,
)


def _ward_complete(values: Mapping[str, Any]) -> dict[str, Any]:
    return {"criteria_met": 0, "recognised_decision": "", "recognised_on": None, "notes": ""} | dict(values)


def _ward_check(s: Session, values: Mapping[str, Any], today: date) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    kind = s.execute(select(Unit.kind, Unit.becomes_phuong_2025).where(Unit.id == values["unit_id"])).first()
    if kind is not None and kind[0] != "phuong" and not kind[1]:
        problems.append(
            ("unit_id", "chỉ phường (kể cả xã, thị trấn lên phường từ 01/01/2025) mới đăng ký kiểu mẫu.")
        )
    year = values.get("year_registered")
    taken = s.execute(
        select(ModelWard.id, ModelWard.lifecycle).where(
            ModelWard.unit_id == values["unit_id"], ModelWard.year_registered == year
        )
    ).first()
    if taken is not None:
        row_id, lifecycle = taken
        if lifecycle == rules.LIFECYCLE_ACTIVE:
            problems.append(("year_registered", f"phường này đã đăng ký năm {year} (mã {row_id})."))
        else:
            shown = rules.LIFECYCLE_LABELS.get(lifecycle, lifecycle)
            problems.append(
                (
                    "year_registered",
                    f"phường này đã đăng ký năm {year} (mã {row_id}, {shown.lower()}): khôi phục đăng ký đó "
                    "ở trang Lịch sử thay vì thêm mới.",
                )
            )
    return problems


def _ward_similar(s: Session, values: Mapping[str, Any]) -> int | None:
    """A registration of the same ward, still followed, in another year."""
    return s.scalar(
        select(ModelWard.id)
        .where(ModelWard.unit_id == values["unit_id"], ModelWard.lifecycle == rules.LIFECYCLE_ACTIVE)
        .order_by(ModelWard.year_registered)
        .limit(1)
    )


def _ward_describe(s: Session, row_id: int) -> str:
    found = s.execute(
        select(ModelWard.unit_id, ModelWard.year_registered).where(ModelWard.id == row_id)
    ).first()
    if found is None:
        return f"mã {row_id}"
    return f"mã {row_id}: {_unit_name(s, found[0])}, đăng ký năm {found[1]}"


NEW_WARD = CreateSpec(
    table=WARDS,
    roles=EDITORS,
    values={
        "year_registered": (
            MODEL_WARD["year_registered"].label,
            Integer(rules.PILOT_YEAR, rules.WARD_TARGET_YEAR, ""),
        ),
        **_editable_values(MODEL_WARD),
    },
    required=("year_registered",),
    refs=(Ref("unit_id", MODEL_WARD["unit"].label, Unit),),
    locality=_unit_locality,
    complete=_ward_complete,
    day=_finished_day("recognised_on"),
    check=_ward_check,
    similar=_ward_similar,
    describe=_ward_describe,
)


# --- documents: the office registers a document that assigns tasks ---------------------------------

DOCUMENTS = TableSpec(
    catalogue=DOCUMENT,
    model=Document,
    locality_of=null,  # a document belongs to no locality
    check_row=lambda _row, _today: [],
    in_scope=lambda _scope: false(),  # only the office writes documents
)
DOCUMENT_ORDER = 1000  # after the programme's own documents in every list


def document_code(number: str) -> str:
    """A document's code (its key in URLs) made from its number: "12/KH-CAT" → "12-kh-cat-<hash>"."""
    plain = unicodedata.normalize("NFD", number.casefold().replace("đ", "d"))
    words = re.sub(r"[^a-z0-9]+", "-", "".join(c for c in plain if not unicodedata.combining(c)))
    digest = hashlib.sha256(number.encode("utf-8")).hexdigest()[:8]
    return f"{words.strip('-')[:20]}-{digest}".lstrip("-")


def _document_complete(values: Mapping[str, Any]) -> dict[str, Any]:
    done = {"issued_on": None, "issuer": "", "kind": "cong_van", "title": ""} | dict(values)
    done["issued_label"] = f"{done['issued_on']:%d/%m/%Y}" if done["issued_on"] else ""
    done["code"] = document_code(done["number"])
    done["sort_order"] = DOCUMENT_ORDER
    return done


def _document_similar(s: Session, values: Mapping[str, Any]) -> int | None:
    return s.scalar(select(Document.id).where(Document.number == values["number"]).limit(1))


NEW_DOCUMENT = CreateSpec(
    table=DOCUMENTS,
    roles=DOCUMENT_ROLES,
    values=_editable_values(DOCUMENT),
    required=("number",),
    complete=_document_complete,
    similar=_document_similar,
)

# Every table that takes new rows, by entity name.
CREATABLE: dict[str, CreateSpec] = {spec.entity: spec for spec in (NEW_TASK, NEW_HQ, NEW_WARD, NEW_DOCUMENT)}
