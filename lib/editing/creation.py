"""New rows through the edit engine: typed values → checks → scope → INSERT → audit, all or nothing.

Every path that adds a row — a form on a page, "Giao nhiệm vụ" from a document, the onboarding
import, the recurring duties — calls `create_rows` inside the caller's write transaction, so new
rows get the same Vietnamese messages, the same scope rule and the same audit trail as edits:

    creation spec + raw values per row (+ the submission's creation key)
    → the key already used? return the rows it created, write nothing (a double click, a resubmit)
    → parse each value with its field's parser; check that every reference exists and is not retired
    → role and locality scope (a coordinator adds rows of their own locality only)
    → the table's row check, and "looks like row N" unless the user confirmed it
    → INSERT, links (cooperating agencies), one audit event per value (action "create", version 1).

Any problem raises Refused, so the caller's transaction rolls back and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from lib.core import rules
from lib.core.catalogue import EARLIEST, HQ_PROJECT, LATEST, MODEL_WARD, TASK
from lib.core.roles import ADMIN, EDITORS, VAN_PHONG, Actor, PermissionDenied, Refused, require_writer
from lib.core.validation import Day, Integer, Invalid, Parser, Text
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
    # An existing row this one looks like (same document, addressee and content), or None.
    similar: Callable[[Session, Mapping[str, Any]], int | None] = lambda _s, _v: None
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
    keys = [row_key(creation_key, i) for i in range(len(rows))] if creation_key else []
    if keys:
        done = s.scalars(select(model.id).where(model.creation_key.in_(keys)).order_by(model.id)).all()
        if done:  # this submission was already saved (a double click, a resubmitted form)
            return SaveResult(tuple(done), 0, {})
    typed, errors = _parse(s, spec, rows, today)
    if errors:
        raise ValidationFailed(errors, spec.entity)
    localities = [spec.locality(s, values) for values in typed]
    for row, loc in zip(rows, localities, strict=True):
        if not actor.may_edit_locality(loc):
            where = f"Dòng {row.position}: " if row.position is not None else ""
            raise PermissionDenied(
                f"{where}bạn chỉ được thêm {spec.table.label} của địa bàn mình.",
                entity=spec.entity,
                locality_id=loc,
            )
    if not confirm_similar:
        pairs = [
            (row.position, existing)
            for row, values in zip(rows, typed, strict=True)
            if (existing := spec.similar(s, values)) is not None
        ]
        if pairs:
            described = {existing: spec.describe(s, existing) for _pos, existing in pairs}
            raise LooksLikeExisting(spec.entity, spec.table.label, pairs, described)
    ids: list[int] = []
    events: list[audit.Entry] = []
    for i, (values, loc) in enumerate(zip(typed, localities, strict=True)):
        stored = {k: v for k, v in values.items() if k not in {link.name for link in spec.links}}
        if keys:
            stored["creation_key"] = keys[i]
        new_id = s.execute(
            insert(model)
            .values(**stored, version=1, updated_by=actor.username, updated_at=now)
            .returning(model.id)
        ).scalar_one()
        ids.append(new_id)
        for link in spec.links:
            others = values.get(link.name) or ()
            if others:
                s.execute(
                    insert(link.table), [{link.own_column: new_id, link.other_column: o} for o in others]
                )
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
    usable = {model: _usable_ids(s, model, ids) for model, ids in wanted.items()}

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
            for name, message in spec.check(s, values, today):
                fail(row, name, message)
            merged = dict(values)
            merged["_original"] = SimpleNamespace(**values)
            for name, message in spec.table.check_row(merged, today):
                fail(row, name, message)
        typed.append(values)
    return typed, errors


def _usable_ids(s: Session, model: Any, ids: set[int]) -> set[int]:
    """The ids among these that exist and, where the table can retire rows, are not retired."""
    stmt = select(model.id).where(model.id.in_(ids))
    if hasattr(model, "retired_on"):
        stmt = stmt.where(model.retired_on.is_(None))
    if hasattr(model, "lifecycle"):
        stmt = stmt.where(model.lifecycle == "active")
    return set(s.scalars(stmt))


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
    if values.get("unit_id") is not None:
        return s.scalar(select(Unit.locality_id).where(Unit.id == values["unit_id"]))
    return None


def _task_check(s: Session, values: Mapping[str, Any], today: date) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    issued = s.scalar(select(Document.issued_on).where(Document.id == values["document_id"]))
    for name in ("original_deadline", "current_deadline"):
        deadline = values.get(name)
        if issued is not None and deadline is not None and deadline < issued:
            problems.append(
                (name, f"hạn {deadline:%d/%m/%Y} trước ngày của văn bản giao ({issued:%d/%m/%Y}).")
            )
            break
    unit, loc = values.get("unit_id"), values.get("locality_id")
    if (
        unit is not None
        and loc is not None
        and s.scalar(select(Unit.locality_id).where(Unit.id == unit)) != loc
    ):
        problems.append(("unit_id", "phường, xã không thuộc địa bàn đã chọn."))
    if values.get("lead_agency_id") in (values.get("cooperators") or ()):
        problems.append(("cooperators", "cơ quan chủ trì không đồng thời là cơ quan phối hợp."))
    return problems


def _task_similar(s: Session, values: Mapping[str, Any]) -> int | None:
    title = " ".join(str(values.get("title", "")).split()).casefold()
    candidates = s.execute(
        select(Task.id, Task.title).where(
            Task.document_id == values["document_id"],
            Task.lead_agency_id == values["lead_agency_id"],
            Task.locality_id.is_(None)
            if values.get("locality_id") is None
            else Task.locality_id == values["locality_id"],
        )
    )
    return next((id_ for id_, t in candidates if " ".join(t.split()).casefold() == title), None)


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
        "title": ("Nội dung nhiệm vụ", Text(MAX_TITLE, multiline=True)),
        "original_deadline": ("Hạn ban đầu", Day(EARLIEST, LATEST)),
        "expected_product": ("Sản phẩm dự kiến", Text(1000, multiline=True)),
        **_editable_values(TASK),
    },
    required=("title",),
    refs=(
        Ref("document_id", "Văn bản giao", Document),
        Ref("lead_agency_id", "Cơ quan chủ trì", Agency),
        Ref("clause_id", "Mục", Clause, required=False),
        Ref("locality_id", "Địa bàn", Locality, required=False),
        Ref("unit_id", "Phường, xã", Unit, required=False),
    ),
    links=(Link("cooperators", "Cơ quan phối hợp", task_cooperator, "task_id", "agency_id", Agency),),
    locality=_task_locality,
    complete=_task_complete,
    check=_task_check,
    similar=_task_similar,
    describe=_task_describe,
)


def _unit_locality(s: Session, values: Mapping[str, Any]) -> int | None:
    return s.scalar(select(Unit.locality_id).where(Unit.id == values["unit_id"]))


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
    return s.scalar(
        select(HqProject.id)
        .where(HqProject.unit_id == values["unit_id"], HqProject.lifecycle == "active")
        .limit(1)
    )


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
    refs=(Ref("unit_id", "Phường, xã", Unit),),
    locality=_unit_locality,
    complete=_hq_complete,
    similar=_hq_similar,
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
        "year_registered": ("Năm đăng ký", Integer(rules.PILOT_YEAR, rules.WARD_TARGET_YEAR, "")),
        **_editable_values(MODEL_WARD),
    },
    required=("year_registered",),
    refs=(Ref("unit_id", "Phường", Unit),),
    locality=_unit_locality,
    complete=_ward_complete,
    check=_ward_check,
    similar=_ward_similar,
    describe=_ward_describe,
)

# Every table that takes new rows, by entity name.
CREATABLE: dict[str, CreateSpec] = {spec.entity: spec for spec in (NEW_TASK, NEW_HQ, NEW_WARD)}
