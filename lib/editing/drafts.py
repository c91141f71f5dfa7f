"""Staged edits: what a user typed into an editor, kept by row id until saved or discarded.

A data editor reports edits by row position in the frame it was given. The positions are turned
into row ids and the versions the user saw using the frame that was rendered (never a fresh read),
then kept here, so edits survive reruns, filter changes and paging.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.formatting import fmt_int
from lib.core.roles import Actor, Refused, require_writer
from lib.core.validation import Invalid, quote
from lib.editing.changeset import Conflict, RowChange, TableSpec

# No cell of any table may hold more (the longest field takes 2,000): a longer value sent by the
# browser (a paste, a crafted message) is refused at once, never kept in the session's drafts.
MAX_CELL_CHARS = 10_000


@dataclass(frozen=True)
class ShownRow:
    """One row as rendered: its id, the version the user saw, and the stored values of that version."""

    row_id: int
    version: int
    base: Mapping[str, Any]


@dataclass
class Draft:
    row_id: int
    seen_version: int
    base: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)


_JSON_SCALARS = (str, int, float, bool, type(None))


def check_editor_state(
    spec: TableSpec, editor_state: Any, rows: int, columns: Collection[str] | None = None
) -> None:
    """Refuse an editor state that this table cannot have sent.

    The browser sends the state, so it can hold anything: rows or columns the table does not have,
    added or deleted rows, lists instead of values, text that is not valid Unicode. It is checked
    before the editor is drawn with it (Streamlit applies it to the frame) and before it is kept.
    """
    if editor_state is None:
        return

    def refuse(message: str, row_id: int | None = None, name: str = "") -> Refused:
        return Refused(message, entity=spec.entity, action="refused", row_id=row_id, field=name)

    edited = editor_state.get("edited_rows") if isinstance(editor_state, Mapping) else None
    if not isinstance(editor_state, Mapping) or not isinstance(edited or {}, Mapping):
        raise refuse("Dữ liệu chỉnh sửa gửi lên không đúng dạng; các thay đổi vừa nhập không được giữ.")
    if editor_state.get("added_rows") or editor_state.get("deleted_rows"):
        raise refuse(f"Không được thêm hoặc xóa {spec.label} trong bảng này.")
    for key, cells in (edited or {}).items():
        try:
            position = int(key)
        except (TypeError, ValueError, OverflowError):
            position = -1
        if not 0 <= position < rows:
            raise refuse(f"Dòng {quote(key)} không có trong bảng đang hiển thị.")
        if not isinstance(cells, Mapping):
            raise refuse(f"Dữ liệu chỉnh sửa dòng {position + 1} không đúng dạng; không được giữ.")
        for name, raw in cells.items():
            if columns is not None and name not in columns:
                raise refuse(f"Bảng không có cột “{quote(name)}”; các thay đổi vừa nhập không được giữ.")
            fs = spec.fields.get(name)
            label = fs.label if fs else name
            where = f"Ô “{label}” ở dòng {position + 1}"
            if not isinstance(raw, _JSON_SCALARS):
                raise refuse(f"{where}: giá trị không đúng dạng của một ô; không được giữ.", name=name)
            if isinstance(raw, str):
                if len(raw) > MAX_CELL_CHARS:
                    raise refuse(
                        f"{where} dài {fmt_int(len(raw))} ký tự, quá giới hạn {fmt_int(MAX_CELL_CHARS)} "
                        "ký tự của một ô: không giữ lại nội dung này.",
                        name=name,
                    )
                try:
                    raw.encode("utf-8")
                except UnicodeEncodeError:
                    raise refuse(
                        f"{where} chứa ký tự không hợp lệ (mã Unicode lẻ, thường do dán từ nguồn lỗi): "
                        "không giữ lại nội dung này.",
                        name=name,
                    ) from None


def _same(spec: TableSpec, name: str, raw: Any, stored: Any) -> bool:
    fs = spec.fields.get(name)
    if fs is None:
        return False
    try:
        return bool(fs.parse(raw) == stored)
    except Invalid:
        return False


@dataclass
class DraftBook:
    """The pending edits of one table for one user session."""

    spec: TableSpec
    drafts: dict[int, Draft] = field(default_factory=dict)

    @property
    def cells(self) -> int:
        return sum(len(d.values) for d in self.drafts.values())

    def absorb(self, editor_state: Mapping[str, Any] | None, shown: Sequence[ShownRow]) -> None:
        """Take the editor's edits (by position in `shown`) into the drafts, by row id."""
        if not editor_state:
            return
        check_editor_state(self.spec, editor_state, len(shown))
        staged = {
            row_id: Draft(d.row_id, d.seen_version, dict(d.base), dict(d.values))
            for row_id, d in self.drafts.items()
        }
        for key, cells in (editor_state.get("edited_rows") or {}).items():
            position = int(key)
            row = shown[position]
            draft = staged.get(row.row_id) or Draft(row.row_id, row.version, dict(row.base))
            for name, raw in dict(cells).items():
                if name in draft.base and _same(self.spec, name, raw, draft.base[name]):
                    draft.values.pop(name, None)
                else:
                    draft.values[name] = raw
            if draft.values:
                staged[row.row_id] = draft
            else:
                staged.pop(row.row_id, None)
        self.drafts = staged  # all or nothing: a refused editor state leaves the drafts as they were

    def overlay(self, row_id: int) -> dict[str, Any]:
        """Return the typed draft values of a row that can be shown in its cells."""
        draft = self.drafts.get(row_id)
        if draft is None:
            return {}
        shown: dict[str, Any] = {}
        for name, raw in draft.values.items():
            fs = self.spec.fields.get(name)
            if fs is None:
                continue
            try:
                shown[name] = fs.parse(raw)
            except Invalid:
                continue
        return shown

    def seen_version(self, row_id: int, current: int) -> int:
        draft = self.drafts.get(row_id)
        return draft.seen_version if draft is not None else current

    def changes(self, positions: Mapping[int, int] | None = None) -> list[RowChange]:
        """Build the change set to save; positions (row id → 1-based row shown) label messages."""
        positions = positions or {}
        return [
            RowChange(d.row_id, d.seen_version, dict(d.values), positions.get(d.row_id))
            for d in sorted(self.drafts.values(), key=lambda d: d.row_id)
        ]

    def discard(self, row_ids: Sequence[int] | None = None) -> None:
        for row_id in list(self.drafts) if row_ids is None else row_ids:
            self.drafts.pop(row_id, None)

    def rebase(self, conflicts: Sequence[Conflict], current: Mapping[int, ShownRow]) -> None:
        """Put the drafts of conflicting rows on top of the rows' current versions (drop deleted rows)."""
        for conflict in conflicts:
            draft = self.drafts.get(conflict.row_id)
            now = current.get(conflict.row_id)
            if draft is None:
                continue
            if conflict.deleted or now is None:
                self.drafts.pop(conflict.row_id)
                continue
            draft.seen_version, draft.base = now.version, dict(now.base)


def get_shown_rows(s: Session, actor: Actor, spec: TableSpec, row_ids: Sequence[int]) -> dict[int, ShownRow]:
    """Read the current version and stored values of rows this actor may edit."""
    require_writer(actor, spec.entity)
    model: Any = spec.model
    locality = spec.locality_of().label("locality_id")
    found: dict[int, ShownRow] = {}
    for row, loc in s.execute(select(model, locality).where(model.id.in_(list(row_ids)))):
        if spec.may_edit(actor, row, loc):
            found[row.id] = ShownRow(row.id, row.version, {n: getattr(row, n) for n in spec.fields})
    return found
