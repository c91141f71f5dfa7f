"""The one edit engine every editable table uses.

editor state + the frame the user saw → typed change set (row ids and the versions seen) →
validation in Python → role and locality check → one conditional UPDATE per row
(`WHERE id = :id AND version = :seen AND <scope>`, exactly one row) → audit events → the
caller commits. Any problem raises, so the caller's transaction rolls back: all or nothing.

Retiring a row (stop, cancel, merge: nothing is ever deleted) is a change set of the same engine
with the action "retire": the same version check, scope and audit, plus a reason, a document and,
for a merge, a target that is followed in the same locality (`retire_row`). A revert puts it back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from lib.core import requests, rules
from lib.core.catalogue import ACTION_LABELS, HQ_PROJECT, MODEL_WARD, RETIRE, TASK, Entity, Field
from lib.core.formatting import fmt_int
from lib.core.roles import (
    CONFLICT,
    OUT_OF_SCOPE,
    Actor,
    PermissionDenied,
    Refused,
    require_writer,
)
from lib.core.rules import FINISHED_STAGES
from lib.core.scopes import Scope
from lib.core.validation import Invalid, Text
from lib.data import audit
from lib.data.db import bump_data_version, bump_task_versions, lock_for_write
from lib.data.models import (
    Base,
    HqProject,
    ModelWard,
    Task,
    Unit,
)
from lib.data.scopes import task_in_scope, unit_row_in_scope

MAX_ROWS_PER_SAVE = 500
REASON = Text(1000, multiline=True)  # the reason a user gives for retiring a row
REASON_LABEL = "Lý do"
# A check that needs the database, on a row as it would be saved: (session, merged values, stored
# row, its locality, the action) → (field, message) problems.
StoredCheck = Callable[[Session, Mapping[str, Any], Any, Any, str], list[tuple[str, str]]]


def _no_stored_check(_s: Session, _row: Mapping[str, Any], _stored: Any, _loc: Any, _a: str) -> list[Any]:
    return []


@dataclass(frozen=True)
class TableSpec:
    """A table the engine writes: its catalogue entry, its model, where its locality is, its row check."""

    catalogue: Entity
    model: type[Base]
    locality_of: Callable[[], ColumnElement[Any] | InstrumentedAttribute[Any]]
    check_row: Callable[[Mapping[str, Any], date], list[tuple[str, str]]]
    # The focal points' rule (lib/core/scopes.py) in SQL, correlated on the model's row.
    in_scope: Callable[[Scope], ColumnElement[bool]]
    check_stored: StoredCheck = _no_stored_check
    agency_field: str | None = None  # the column of the agency that leads the row (a task's)
    # Cells this actor may not save although the role edits the column: (role, the values that
    # differ from the stored row, the stored row, the action) → (field, message). A task's decided states.
    check_change: Callable[[str, Mapping[str, Any], Any, str], list[tuple[str, str]]] = (
        lambda _r, _c, _row, _a: []
    )

    @property
    def entity(self) -> str:
        return self.catalogue.name

    @property
    def label(self) -> str:
        return self.catalogue.noun

    @property
    def fields(self) -> Mapping[str, Field]:
        """The fields anyone may write (the catalogue's parser, roles and action say how and who)."""
        return self.catalogue.editable

    @property
    def typed_fields(self) -> Mapping[str, Field]:
        """The fields typed in a cell (not those only an action such as "retire" writes)."""
        return self.catalogue.typed

    @property
    def retirable(self) -> bool:
        return "lifecycle" in self.fields

    def editable_by(self, role: str) -> list[str]:
        return self.catalogue.editable_by(role)

    def may_edit(self, actor: Actor, row: Any, locality_id: int | None) -> bool:
        """Tell whether the actor may change this stored row (with its locality, as read)."""
        agencies = (getattr(row, self.agency_field),) if self.agency_field else ()
        return actor.may_edit(locality_id, getattr(row, "unit_id", None), agencies)

    def out_of_scope(self, row_id: int, locality_id: int | None, what: str = "sửa") -> PermissionDenied:
        """The refusal of a row the actor may not change."""
        return PermissionDenied(
            f"Dòng mã {row_id} {OUT_OF_SCOPE}: bạn chỉ được {what} dữ liệu của địa phương, đơn vị, cơ quan "
            "mình phụ trách.",
            entity=self.entity,
            row_id=row_id,
            locality_id=locality_id,
        )


@dataclass(frozen=True)
class RowChange:
    """What the user changed in one row, and the version of the row they were looking at."""

    row_id: int
    seen_version: int
    values: Mapping[str, Any]
    position: int | None = None  # 1-based row number as shown, for messages


@dataclass(frozen=True)
class CellError:
    position: int | None
    row_id: int
    field: str
    label: str
    message: str

    def __str__(self) -> str:
        if self.position is None and not self.row_id:  # the one new row of a form
            return f"Cột “{self.label}”: {self.message}"
        where = f"Dòng {self.position}" if self.position is not None else f"Mã {self.row_id}"
        return f"{where}, cột “{self.label}”: {self.message}"


@dataclass(frozen=True)
class FieldDiff:
    field: str
    label: str
    yours: Any
    theirs: Any


@dataclass(frozen=True)
class Conflict:
    """A row that changed (or vanished) since the user loaded it."""

    row_id: int
    position: int | None
    deleted: bool
    current_version: int | None = None
    updated_by: str = ""
    updated_at: datetime | None = None
    diffs: tuple[FieldDiff, ...] = ()


class ValidationFailed(Refused):
    def __init__(self, errors: Sequence[CellError], entity: str) -> None:
        lines = [str(e) for e in errors]
        super().__init__(
            "Không lưu vì có ô không hợp lệ: " + "; ".join(lines),
            entity=entity,
            row_id=errors[0].row_id if len(errors) == 1 else None,
            action="refused_invalid",
        )
        self.errors = list(errors)


class ConflictError(Refused):
    def __init__(self, conflicts: Sequence[Conflict], entity: str) -> None:
        ids = ", ".join(str(c.row_id) for c in conflicts)
        super().__init__(
            f"Không lưu vì {len(conflicts)} dòng đã được người khác thay đổi (mã {ids}).",
            entity=entity,
            row_id=conflicts[0].row_id if len(conflicts) == 1 else None,
            action=CONFLICT,
        )
        self.conflicts = list(conflicts)


@dataclass(frozen=True)
class SaveResult:
    rows: tuple[int, ...]
    cells: int
    versions: Mapping[int, int] = field(default_factory=dict)


def _version_matches(current: int, seen: int) -> bool:
    """Tell whether a row is still at the version the user saw (the optimistic lock)."""
    return current == seen


def _version_predicate(model: Any, seen: int) -> ColumnElement[bool]:
    """The SQL half of the optimistic lock: the UPDATE touches the row only at the version seen."""
    return model.version == seen  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def apply_changes(
    s: Session,
    actor: Actor,
    spec: TableSpec,
    changes: Sequence[RowChange],
    *,
    now: datetime,
    today: date,
    action: str = "update",
    reason: str = "",
) -> SaveResult:
    """Validate, authorise and write a change set; raise Refused and write nothing on any problem."""
    require_writer(actor, spec.entity)
    lock_for_write(s)  # first: the lock that orders concurrent saves (see lib.data.db)
    if len(changes) > MAX_ROWS_PER_SAVE:
        raise Refused(
            f"Một lần lưu tối đa {MAX_ROWS_PER_SAVE} dòng (đang có {len(changes)}).", entity=spec.entity
        )
    parsed, cell_errors = _parse_and_authorise(actor, spec, changes, action)
    if action == RETIRE:
        reason, reason_errors = _retire_reason(changes, reason)
        cell_errors += reason_errors
    current = _read_current(s, spec, parsed)
    conflicts, row_errors = _conflicts_and_row_errors(s, actor, spec, changes, parsed, current, today, action)
    errors = cell_errors + row_errors
    if errors:
        raise ValidationFailed(errors, spec.entity)
    if conflicts:
        raise ConflictError(conflicts, spec.entity)
    written = [
        _write_row(s, actor, spec, change, *current[change.row_id], parsed[change.row_id], now)
        for change in changes
    ]
    events = _audit_entries(actor, spec, written, action, reason, now)
    audit.record_many(s, events)  # one batched append: the chain's order is the changes' order
    _say_what_changed(s, spec, written)
    cells = sum(len(w.new) for w in written)
    return SaveResult(tuple(c.row_id for c in changes), cells, {w.row_id: w.version for w in written})


# Task columns that other reads than the task's own piece depend on (where it counts, the filter
# lists): a save that changes one of them says "anything may have changed".
_BROAD_TASK_FIELDS = frozenset({"locality_id", "unit_id", "lead_agency_id"})


def _say_what_changed(s: Session, spec: TableSpec, written: Sequence[_WrittenRow]) -> None:
    """Raise the versions of what this save changed, in its transaction: the pieces of the tasks it
    touched (their district and xã, `lib.data.db.PieceId`), when it edited tasks' own cells only;
    otherwise everything (`bump_data_version`)."""
    changed = {name for w in written for name in w.new}
    if spec.model is Task and not changed & _BROAD_TASK_FIELDS:
        bump_task_versions(s, ((w.locality_id, w.unit_id) for w in written))
    else:
        bump_data_version(s)


def _parse_and_authorise(
    actor: Actor, spec: TableSpec, changes: Sequence[RowChange], action: str
) -> tuple[dict[int, dict[str, Any]], list[CellError]]:
    """Type every changed cell; refuse repeated rows, cells the actor may not edit, and cells this
    action may not write (the lifecycle only through "retire" or a revert; "retire" nothing else)."""
    errors: list[CellError] = []
    parsed: dict[int, dict[str, Any]] = {}
    seen_ids: set[int] = set()
    for change in changes:
        if change.row_id in seen_ids:
            raise Refused(f"Dòng mã {change.row_id} xuất hiện hai lần trong một lần lưu.", entity=spec.entity)
        seen_ids.add(change.row_id)
        values: dict[str, Any] = {}
        for name, raw in change.values.items():
            fs = spec.fields.get(name)
            if fs is None:
                raise PermissionDenied(
                    f"Cột “{name}” không được sửa.", entity=spec.entity, row_id=change.row_id, field=name
                )
            if actor.role not in fs.roles:
                raise PermissionDenied(
                    f"Vai trò của bạn không được sửa cột “{fs.label}”.",
                    entity=spec.entity,
                    row_id=change.row_id,
                    field=name,
                )
            if fs.action is not None and action not in (fs.action, "revert"):
                raise PermissionDenied(
                    f"Cột “{fs.label}” chỉ đổi được bằng thao tác “{ACTION_LABELS[fs.action]}”.",
                    entity=spec.entity,
                    row_id=change.row_id,
                    field=name,
                )
            if action == RETIRE and fs.action != RETIRE:
                raise PermissionDenied(
                    f"Thao tác “{ACTION_LABELS[RETIRE]}” không sửa cột “{fs.label}”: sửa trong bảng.",
                    entity=spec.entity,
                    row_id=change.row_id,
                    field=name,
                )
            try:
                values[name] = fs.parse(raw)
            except Invalid as exc:
                errors.append(CellError(change.position, change.row_id, name, fs.label, str(exc)))
        parsed[change.row_id] = values
    return parsed, errors


def _retire_reason(changes: Sequence[RowChange], reason: str) -> tuple[str, list[CellError]]:
    """The reason a retirement must give, typed like any text (it goes into the audit trail)."""
    first = changes[0] if changes else RowChange(0, 0, {})
    try:
        typed = REASON.parse(reason)
    except Invalid as exc:
        return "", [CellError(first.position, first.row_id, "reason", REASON_LABEL, str(exc))]
    if not typed:
        return "", [CellError(first.position, first.row_id, "reason", REASON_LABEL, "không được để trống.")]
    return typed, []


def _read_current(s: Session, spec: TableSpec, parsed: Mapping[int, Any]) -> dict[int, tuple[Any, Any]]:
    """Read the stored rows the change set names, each with its locality, by id."""
    model: Any = spec.model
    locality = spec.locality_of().label("locality_id")
    return {
        row.id: (row, loc)
        for row, loc in s.execute(select(model, locality).where(model.id.in_(list(parsed))))
    }


def _conflicts_and_row_errors(
    s: Session,
    actor: Actor,
    spec: TableSpec,
    changes: Sequence[RowChange],
    parsed: Mapping[int, dict[str, Any]],
    current: Mapping[int, tuple[Any, Any]],
    today: date,
    action: str,
) -> tuple[list[Conflict], list[CellError]]:
    """Refuse rows outside the actor's scope; list rows changed or gone since seen, and row-check errors."""
    conflicts: list[Conflict] = []
    errors: list[CellError] = []
    for change in changes:
        found = current.get(change.row_id)
        if found is None:
            conflicts.append(Conflict(change.row_id, change.position, deleted=True))
            continue
        row, loc = found
        if not spec.may_edit(actor, row, loc):
            raise spec.out_of_scope(change.row_id, loc)
        _check_target_in_scope(s, actor, spec, parsed[change.row_id].get("merged_into_id"), loc)
        if not _version_matches(row.version, change.seen_version):
            diffs = tuple(
                FieldDiff(n, spec.fields[n].label, v, getattr(row, n))
                for n, v in parsed[change.row_id].items()
            )
            conflicts.append(
                Conflict(
                    change.row_id, change.position, False, row.version, row.updated_by, row.updated_at, diffs
                )
            )
            continue
        merged = {c: getattr(row, c) for c in spec.fields} | parsed[change.row_id]
        merged["_original"] = row
        differs = {n: v for n, v in parsed[change.row_id].items() if getattr(row, n) != v}
        problems = (
            spec.check_change(actor.role, differs, row, action)
            + spec.check_row(merged, today)
            + spec.check_stored(s, merged, row, loc, action)
        )
        for name, message in problems:
            errors.append(CellError(change.position, change.row_id, name, spec.fields[name].label, message))
    return conflicts, errors


def _check_target_in_scope(s: Session, actor: Actor, spec: TableSpec, target: Any, loc: Any) -> None:
    """A focal point merges a row only into a row of their own scope (the office: into any row). A
    target in another locality is the lifecycle check's (a cell error); this one refuses a row of the
    same locality outside the scope (a ward's focal point and the next ward's project)."""
    if target is None or not actor.is_focal_point:
        return
    model: Any = spec.model
    found = s.execute(
        select(model, spec.locality_of().label("locality_id")).where(model.id == target)
    ).first()
    if found is not None and found[1] == loc and not spec.may_edit(actor, found[0], found[1]):
        raise PermissionDenied(
            f"{spec.label.capitalize()} mã {target} {OUT_OF_SCOPE}: chỉ gộp vào {spec.label} "
            "trong phạm vi của bạn.",
            entity=spec.entity,
            row_id=target,
            locality_id=found[1],
        )


@dataclass(frozen=True)
class _WrittenRow:
    """One row as written: its new version and locality, and the old and new values of what changed."""

    row_id: int
    version: int
    locality_id: int | None
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    unit_id: int | None = None  # the row's unit, if it has one (the piece of the tasks it belongs to)


def _write_row(
    s: Session,
    actor: Actor,
    spec: TableSpec,
    change: RowChange,
    row: Any,
    loc: Any,
    values: Mapping[str, Any],
    now: datetime,
) -> _WrittenRow:
    """One conditional UPDATE of the cells that differ; raise ConflictError unless it hit exactly one row."""
    model: Any = spec.model
    new_values = {n: v for n, v in values.items() if getattr(row, n) != v}
    old_values = {n: getattr(row, n) for n in new_values}
    stmt = (
        update(model)
        .where(model.id == change.row_id, _version_predicate(model, change.seen_version))
        .values(**new_values, version=model.version + 1, updated_by=actor.username, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if actor.is_focal_point:  # the scope again, in the same statement as the version check
        stmt = stmt.where(spec.in_scope(actor.scope))
    if s.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        # Someone saved between our read and our write: report it like any conflict.
        raise ConflictError([_reread_conflict(s, spec, change, values)], spec.entity)
    unit = getattr(row, "unit_id", None)
    return _WrittenRow(change.row_id, change.seen_version + 1, loc, old_values, new_values, unit)


def _audit_entries(
    actor: Actor, spec: TableSpec, written: Sequence[_WrittenRow], action: str, reason: str, now: datetime
) -> list[audit.Entry]:
    """One audit entry per changed cell, or one "touch" for a row saved without a change, in order."""
    events: list[audit.Entry] = []
    for w in written:
        for name, new in w.new.items():
            events.append(
                audit.Entry(
                    actor=actor.username,
                    action=action,
                    entity=spec.entity,
                    row_id=w.row_id,
                    row_version=w.version,
                    locality_id=w.locality_id,
                    field=name,
                    old=_plain(w.old[name]),
                    new=_plain(new),
                    reason=reason,
                    at=now,
                )
            )
        if not w.new:
            events.append(
                audit.Entry(
                    actor=actor.username,
                    action="touch",
                    entity=spec.entity,
                    row_id=w.row_id,
                    row_version=w.version,
                    locality_id=w.locality_id,
                    reason=reason or "Lưu lại không đổi giá trị",
                    at=now,
                )
            )
    return events


def _reread_conflict(s: Session, spec: TableSpec, change: RowChange, yours: Mapping[str, Any]) -> Conflict:
    model: Any = spec.model
    s.expire_all()
    row = s.get(model, change.row_id)
    if row is None:
        return Conflict(change.row_id, change.position, deleted=True)
    diffs = tuple(FieldDiff(n, spec.fields[n].label, v, getattr(row, n)) for n, v in yours.items())
    return Conflict(change.row_id, change.position, False, row.version, row.updated_by, row.updated_at, diffs)


def retire_row(
    s: Session,
    actor: Actor,
    spec: TableSpec,
    row_id: int,
    seen_version: int,
    *,
    lifecycle: str,
    document: str,
    reason: str,
    merged_into: int | None = None,
    now: datetime,
    today: date,
) -> SaveResult:
    """Stop, cancel or merge one row (never delete it) as a change set of the engine: the version
    the user saw, their scope, a reason and a document; the audit events carry the action "retire"."""
    if not spec.retirable:
        raise PermissionDenied(f"Không dừng, hủy bỏ hay gộp được {spec.label}.", entity=spec.entity)
    values = {"lifecycle": lifecycle, "lifecycle_doc": document, "merged_into_id": merged_into}
    return apply_changes(
        s,
        actor,
        spec,
        [RowChange(row_id, seen_version, values)],
        now=now,
        today=today,
        action=RETIRE,
        reason=reason,
    )


LIFECYCLE_FIELDS = ("lifecycle", "lifecycle_doc", "merged_into_id")


def _lifecycle_check(model: Any, locality_of: Callable[[], ColumnElement[Any]], noun: str) -> StoredCheck:
    """The rules of a row's lifecycle, checked whenever a save changes it (retire or revert):
    a retirement names its document; a merge names a row of the same locality that is still
    followed (never the row itself); only a merged row names a target."""

    def check(
        s: Session, row: Mapping[str, Any], stored: Any, loc: Any, action: str
    ) -> list[tuple[str, str]]:
        if all(row[n] == getattr(stored, n) for n in LIFECYCLE_FIELDS):
            return []
        problems: list[tuple[str, str]] = []
        lifecycle, target = row["lifecycle"], row["merged_into_id"]
        if action == RETIRE:
            if lifecycle == rules.LIFECYCLE_ACTIVE:
                problems.append(
                    (
                        "lifecycle",
                        "chọn Dừng, Hủy bỏ hoặc Gộp; muốn theo dõi lại thì khôi phục phiên bản trước "
                        "ở trang Lịch sử.",
                    )
                )
            if not row["lifecycle_doc"]:
                problems.append(("lifecycle_doc", "phải ghi số văn bản dừng, hủy bỏ hoặc gộp."))
        if lifecycle != rules.LIFECYCLE_MERGED:
            if target is not None:
                problems.append(("merged_into_id", f"chỉ {noun} gộp vào {noun} khác mới ghi mã gộp vào."))
            return problems
        if target is None:
            return [*problems, ("merged_into_id", f"gộp thì phải chọn {noun} được gộp vào.")]
        if target == stored.id:
            return [*problems, ("merged_into_id", f"không gộp một {noun} vào chính nó.")]
        found = s.execute(select(model.lifecycle, locality_of()).where(model.id == target)).first()
        if found is None:
            problems.append(("merged_into_id", f"không có {noun} mã {target}."))
        elif found[0] != rules.LIFECYCLE_ACTIVE:
            shown = rules.LIFECYCLE_LABELS.get(found[0], found[0])
            problems.append(("merged_into_id", f"{noun} mã {target} không còn được theo dõi ({shown})."))
        elif found[1] != loc:
            problems.append(
                ("merged_into_id", f"{noun} mã {target} thuộc địa bàn khác: chỉ gộp trong cùng địa bàn.")
            )
        return problems

    return check


# --- tasks -------------------------------------------------------------------------------------


def _check_task(row: Mapping[str, Any], today: date) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    state, progress, done = row["state"], row["progress_pct"], row["completed_on"]
    if state == "hoan_thanh":
        if progress != 100:
            problems.append(("progress_pct", "nhiệm vụ hoàn thành phải có tiến độ 100%."))
        if done is None:
            problems.append(("completed_on", "nhiệm vụ hoàn thành phải có ngày hoàn thành."))
        if not row["result_doc"]:
            problems.append(("result_doc", "nhiệm vụ hoàn thành phải ghi số văn bản kết quả (minh chứng)."))
    elif done is not None:
        problems.append(("completed_on", "chỉ nhiệm vụ ở trạng thái “Hoàn thành” mới có ngày hoàn thành."))
    if done is not None and done > today:
        problems.append(("completed_on", f"ngày hoàn thành {done:%d/%m/%Y} ở tương lai."))
    if state == "chua_trien_khai" and progress != 0:
        problems.append(("progress_pct", "nhiệm vụ chưa triển khai phải có tiến độ 0%."))
    original = row["_original"]
    if row["current_deadline"] != original.current_deadline and (
        not row["extension_doc"] or row["extension_doc"] == original.extension_doc
    ):
        problems.append(("extension_doc", "gia hạn phải ghi văn bản cho phép gia hạn (văn bản mới)."))
    if row["current_deadline"] is None and original.current_deadline is not None:
        problems.append(("current_deadline", "không được xóa hạn của nhiệm vụ."))
    return problems


# Saves of cells a person typed (the grid, the phone form, a file), as against confirmations and reverts.
TYPED_ACTIONS = ("update", "import")

TASKS = TableSpec(
    catalogue=TASK,
    model=Task,
    locality_of=lambda: Task.locality_id,
    check_row=_check_task,
    in_scope=task_in_scope,
    agency_field="lead_agency_id",
    # Completed, suspended, cancelled and the completion date: the office's, on a request.
    check_change=lambda role, changed, row, action: requests.grid_problems(
        role, changed, row.state, typed=action in TYPED_ACTIONS
    ),
)


# --- headquarters projects -------------------------------------------------------------------


def _check_hq(row: Mapping[str, Any], today: date) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    planned, allocated, disbursed = row["planned_vnd"], row["allocated_vnd"], row["disbursed_vnd"]
    if allocated > planned:
        problems.append(
            (
                "allocated_vnd",
                f"vốn đã bố trí ({fmt_int(allocated)} đồng) lớn hơn dự toán ({fmt_int(planned)} đồng).",
            )
        )
    if disbursed > allocated:
        problems.append(
            (
                "disbursed_vnd",
                f"số đã giải ngân ({fmt_int(disbursed)} đồng) lớn hơn "
                f"vốn đã bố trí ({fmt_int(allocated)} đồng).",
            )
        )
    if row.get("lifecycle") == rules.LIFECYCLE_CANCELLED and disbursed > 0:
        cancelling = getattr(row["_original"], "lifecycle", None) != rules.LIFECYCLE_CANCELLED
        problems.append(
            (
                "lifecycle" if cancelling else "disbursed_vnd",
                f"dự án đã giải ngân {fmt_int(disbursed)} đồng không hủy bỏ được: chọn “Dừng” để số tiền "
                "đã chi vẫn được tính."
                if cancelling
                else "dự án đã hủy bỏ không có số đã giải ngân (tiền đã chi thì dự án ở trạng thái “Dừng”).",
            )
        )
    stage, land = row["stage"], row["land_status"]
    if stage != "chua_bo_tri_dat" and land != "da_bo_tri":
        problems.append(
            ("land_status", "dự án đã qua giai đoạn bố trí đất thì đất phải ở tình trạng “Đã bố trí”.")
        )
    if land == "da_bo_tri" and row["land_area_m2"] is None:
        problems.append(("land_area_m2", "đất đã bố trí thì phải ghi diện tích (m²)."))
    start, planned_on, actual = row["start_on"], row["planned_completion_on"], row["actual_completion_on"]
    if start is not None and start > today:
        problems.append(("start_on", f"ngày khởi công {start:%d/%m/%Y} ở tương lai."))
    if start is not None and planned_on is not None and planned_on < start:
        problems.append(("planned_completion_on", "ngày hoàn thành theo kế hoạch trước ngày khởi công."))
    if stage in FINISHED_STAGES and actual is None:
        problems.append(("actual_completion_on", "dự án đã hoàn thành phải có ngày hoàn thành thực tế."))
    if actual is not None:
        if stage not in FINISHED_STAGES:
            problems.append(
                (
                    "actual_completion_on",
                    "chỉ dự án ở giai đoạn “Hoàn thành” hoặc “Đưa vào sử dụng” "
                    "mới có ngày hoàn thành thực tế.",
                )
            )
        if actual > today:
            problems.append(("actual_completion_on", f"ngày hoàn thành {actual:%d/%m/%Y} ở tương lai."))
        if start is not None and actual < start:
            problems.append(("actual_completion_on", "ngày hoàn thành thực tế trước ngày khởi công."))
    return problems


def _locality_through_unit(model: Any) -> Callable[[], ColumnElement[Any]]:
    """The locality of a row that belongs to a ward or commune (correlated, usable in an UPDATE)."""
    return lambda: select(Unit.locality_id).where(Unit.id == model.unit_id).scalar_subquery()


HQ = TableSpec(
    catalogue=HQ_PROJECT,
    model=HqProject,
    locality_of=_locality_through_unit(HqProject),
    check_row=_check_hq,
    in_scope=lambda scope: unit_row_in_scope(HqProject, scope),
    check_stored=_lifecycle_check(HqProject, _locality_through_unit(HqProject), "dự án"),
)


# --- model wards -------------------------------------------------------------------------------


def _check_ward(row: Mapping[str, Any], today: date) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    on, decision = row["recognised_on"], row["recognised_decision"]
    if on is not None and not decision:
        problems.append(("recognised_decision", "đã có ngày công nhận thì phải ghi số quyết định công nhận."))
    if on is not None and on > today:
        problems.append(("recognised_on", f"ngày công nhận {on:%d/%m/%Y} ở tương lai."))
    year = row["_original"].year_registered
    if on is not None and on.year < year:
        problems.append(("recognised_on", f"ngày công nhận trước năm đăng ký {year}."))
    return problems


WARDS = TableSpec(
    catalogue=MODEL_WARD,
    model=ModelWard,
    locality_of=_locality_through_unit(ModelWard),
    check_row=_check_ward,
    in_scope=lambda scope: unit_row_in_scope(ModelWard, scope),
    check_stored=_lifecycle_check(ModelWard, _locality_through_unit(ModelWard), "đăng ký"),
)


# Every table edited through this engine, by entity name.
EDITABLE: dict[str, TableSpec] = {spec.entity: spec for spec in (TASKS, HQ, WARDS)}
