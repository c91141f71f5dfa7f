"""Evidence files on a row: add (checked, scoped, deduplicated) and remove (the record kept), audited.

Who may attach is who may edit the row: the office and administrators any row, a focal point the
rows of their scope (a task, a headquarters project, a model-ward registration, and the requests on
such a task); documents are the office's. Readers and leaders attach nothing. The file is judged
(lib/core/evidence.py) before the write transaction, so a slow check never holds the write lock; a
refused file is recorded in the audit trail and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.catalogue import ENTITY_LABELS
from lib.core.evidence import MAX_NOTE_CHARS, BadFile, Evidence, judge, size_text
from lib.core.requests import PENDING
from lib.core.roles import OFFICE, OUT_OF_SCOPE, Actor, PermissionDenied, Refused, require_writer
from lib.data import attachments as reads
from lib.data import audit
from lib.data.db import bump_data_version, transaction
from lib.data.models import ATTACHABLE, Attachment, AttachmentContent, Document, TaskRequest
from lib.editing.actions import perform, record_refusal
from lib.editing.changeset import EDITABLE, TASKS

FIELD = "attachment"  # the audit events' field
ADD, REMOVE, REFUSED_FILE = "attach", "detach", "refused_file"  # their actions


@dataclass(frozen=True)
class Added:
    """The outcome of an upload: the stored file, or the same file already on the row (not stored again)."""

    attachment_id: int
    filename: str
    duplicate: bool = False


def _noun(entity: str) -> str:
    return {
        "task": "nhiệm vụ",
        "hq_project": "dự án trụ sở",
        "model_ward": "đăng ký phường kiểu mẫu",
        "document": "văn bản",
        "task_request": "đề nghị",
    }.get(entity, ENTITY_LABELS.get(entity, entity).lower())


def _describe(name: str, size: int, attachment_id: int | None = None) -> str:
    return f"{name} ({size_text(size)})" + (f" #{attachment_id}" if attachment_id is not None else "")


def _parent(s: Session, actor: Actor, entity: str, row_id: int, what: str) -> int | None:
    """Check that the row exists and the actor may change it; return its locality (None: province)."""
    if entity not in ATTACHABLE:
        raise Refused(f"Không đính kèm tệp vào loại dữ liệu “{entity}”.", entity=entity, row_id=row_id)
    noun = _noun(entity)
    if entity == "document":
        if s.get(Document, row_id) is None:
            raise Refused(f"Không tìm thấy văn bản mã {row_id}.", entity=entity, row_id=row_id)
        if actor.role not in OFFICE:
            raise PermissionDenied(
                f"Chỉ văn phòng và quản trị hệ thống mới được {what} tệp của văn bản.",
                entity=entity,
                row_id=row_id,
            )
        return None
    spec, key = (TASKS, None) if entity == "task_request" else (EDITABLE[entity], row_id)
    if key is None:
        asked = s.execute(
            select(TaskRequest.task_id, TaskRequest.state).where(TaskRequest.id == row_id)
        ).first()
        if asked is not None and asked.state != PENDING:
            raise Refused(
                f"Đề nghị mã {row_id} đã được xử lý: tệp của đề nghị giữ nguyên như lúc quyết định.",
                entity=entity,
                row_id=row_id,
            )
        key = asked.task_id if asked is not None else None
    model: Any = spec.model
    found = (
        None
        if key is None
        else s.execute(select(model, spec.locality_of().label("loc")).where(model.id == key)).first()
    )
    if found is None:
        raise Refused(f"Không tìm thấy {noun} mã {row_id}.", entity=entity, row_id=row_id)
    row, loc = found
    if not spec.may_edit(actor, row, loc):
        raise PermissionDenied(
            f"{noun.capitalize()} mã {row_id} {OUT_OF_SCOPE}: bạn chỉ được {what} tệp minh chứng của địa "
            "phương, đơn vị, cơ quan mình phụ trách.",
            entity=entity,
            row_id=row_id,
            locality_id=loc,
        )
    return int(loc) if loc is not None else None


def may_attach(s: Session, actor: Actor, entity: str, row_id: int) -> bool:
    """Tell whether the actor may attach files to (and remove files from) this row: what the page
    offers; `store` and `remove` check again inside their write transaction."""
    if not actor.can_write:
        return False
    try:
        _parent(s, actor, entity, row_id, "đính kèm")
    except Refused:
        return False
    return True


def _check_note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise Refused(f"Ghi chú dài {len(note)} ký tự, quá {MAX_NOTE_CHARS} ký tự. Không lưu tệp.")
    return note


def add(
    engine: Engine, actor: Actor, entity: str, row_id: int, name: str, data: bytes, note: str = ""
) -> Added:
    """Check a file and attach it to a row in one audited transaction; Refused (recorded) if not."""
    try:
        require_writer(actor, entity)
        note = _check_note(note)
        with transaction(engine) as s:  # a read: whether the row exists and is the actor's
            _parent(s, actor, entity, row_id, "đính kèm")
        try:
            checked = judge(data, name)
        except BadFile as bad:
            raise Refused(
                bad.message, entity=entity, row_id=row_id, field=FIELD, action=REFUSED_FILE
            ) from None
    except Refused as exc:
        exc.entity, exc.row_id = exc.entity or entity, exc.row_id if exc.row_id is not None else row_id
        record_refusal(engine, actor, exc)
        raise
    return perform(engine, actor, store, entity, row_id, checked, data, note)


def store(
    s: Session, actor: Actor, entity: str, row_id: int, checked: Evidence, data: bytes, note: str = ""
) -> Added:
    """Attach a file already judged (`lib.core.evidence.judge`) inside the caller's write transaction:
    the data version first, then scope, then the same bytes on the row (told, not stored twice)."""
    bump_data_version(s)
    require_writer(actor, entity)
    loc = _parent(s, actor, entity, row_id, "đính kèm")
    same = reads.same_file(s, entity, row_id, checked.sha256)
    if same is not None:
        return Added(same.id, same.filename, duplicate=True)
    now = config.now()
    row = Attachment(
        entity=entity,
        row_id=row_id,
        filename=checked.name,
        kind=checked.kind,
        media_type=checked.media_type,
        size=checked.size,
        sha256=checked.sha256,
        note=_check_note(note),
        uploaded_by=actor.username,
        uploaded_at=now,
        removed_by="",
        removed_at=None,
    )
    s.add(row)
    s.flush()
    s.add(AttachmentContent(attachment_id=row.id, content=data))
    audit.record(
        s,
        actor=actor.username,
        action=ADD,
        entity=entity,
        row_id=row_id,
        locality_id=loc,
        field=FIELD,
        new=_describe(checked.name, checked.size, row.id),
        reason=row.note or f"sha256 {checked.sha256}",
        at=now,
    )
    return Added(row.id, checked.name)


def remove(s: Session, actor: Actor, attachment_id: int, reason: str = "") -> reads.FileRow:
    """Take a file off its row: the record and its bytes stay (who removed it, when), audited."""
    bump_data_version(s)
    found = reads.get_file(s, attachment_id)
    if found is None:
        raise Refused(f"Không tìm thấy tệp mã {attachment_id}.", entity="attachment", row_id=attachment_id)
    require_writer(actor, found.entity)
    loc = _parent(s, actor, found.entity, found.row_id, "gỡ")
    now = config.now()
    done = s.execute(
        update(Attachment)
        .where(Attachment.id == attachment_id, Attachment.removed_at.is_(None))
        .values(removed_by=actor.username, removed_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused(
            f"Tệp “{found.filename}” đã được {found.removed_by or 'người khác'} gỡ trước đó.",
            entity=found.entity,
            row_id=found.row_id,
            locality_id=loc,
            field=FIELD,
        )
    audit.record(
        s,
        actor=actor.username,
        action=REMOVE,
        entity=found.entity,
        row_id=found.row_id,
        locality_id=loc,
        field=FIELD,
        old=_describe(found.filename, found.size, found.id),
        reason=reason.strip()[:MAX_NOTE_CHARS],
        at=now,
    )
    return found


def remove_file(engine: Engine, actor: Actor, attachment_id: int, reason: str = "") -> reads.FileRow:
    """`remove` in one write transaction of its own (a refusal is recorded)."""
    return perform(engine, actor, remove, attachment_id, reason)
