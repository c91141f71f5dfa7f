"""The audit trail: append-only events, each hashing the one before it (tamper-evident).

Appends are serialised through a row lock on `app_meta('audit_seq')`, so concurrent writers on
PostgreSQL cannot fork the chain; SQLite writers are already serialised by BEGIN IMMEDIATE.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from lib.core.config import now as local_now
from lib.data.models import AppMeta, AuditEvent

GENESIS = "0" * 64
AUDIT_SEQ_KEY = "audit_seq"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return _storable(str(value))


def _storable(text: str) -> str:
    # Last line of defence: PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded.
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def event_hash(prev_hash: str, e: AuditEvent | SimpleNamespace) -> str:
    """Hash an event's content (stored, or about to be) together with the previous event's hash."""
    payload = [
        prev_hash,
        e.at.isoformat(timespec="microseconds"),
        e.actor,
        e.action,
        e.entity,
        e.row_id,
        e.locality_id,
        e.field,
        e.old_value,
        e.new_value,
        e.reason,
    ]
    if e.row_version is not None:  # added in migration 0003; older events hash without it
        payload.append(e.row_version)
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One event to append, before it is linked into the chain."""

    actor: str
    action: str
    entity: str
    row_id: int | None = None
    row_version: int | None = None
    locality_id: int | None = None
    field: str = ""
    old: Any = None
    new: Any = None
    reason: str = ""
    at: datetime | None = None


def record(
    s: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    row_id: int | None = None,
    row_version: int | None = None,
    locality_id: int | None = None,
    field: str = "",
    old: Any = None,
    new: Any = None,
    reason: str = "",
    at: datetime | None = None,
) -> None:
    """Append one event to the trail inside the caller's write transaction."""
    entry = Entry(actor, action, entity, row_id, row_version, locality_id, field, old, new, reason, at)
    record_many(s, [entry])


def record_many(s: Session, entries: Sequence[Entry]) -> None:
    """Append events, in order, inside the caller's write transaction: one lock, one read of the
    chain's tail and one batched INSERT, whatever the number of events (a 100-row save, an import of
    thousands: plain rows, never ORM objects, so the cost is the hashing and the INSERT)."""
    if not entries:
        return
    locked = s.execute(
        update(AppMeta).where(AppMeta.key == AUDIT_SEQ_KEY).values(value=AppMeta.value + len(entries))
    )
    if locked.rowcount != 1:  # type: ignore[attr-defined]
        s.add(AppMeta(key=AUDIT_SEQ_KEY, value=len(entries)))
        s.flush()
    prev = s.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    stamp = local_now()
    rows = []
    for entry in entries:
        event = SimpleNamespace(
            at=entry.at or stamp,
            actor=entry.actor,
            action=entry.action,
            entity=entry.entity,
            row_id=entry.row_id,
            row_version=entry.row_version,
            locality_id=entry.locality_id,
            field=entry.field,
            old_value=_text(entry.old),
            new_value=_text(entry.new),
            reason=_storable(entry.reason),
            prev_hash=prev,
        )
        event.hash = prev = event_hash(prev, event)
        rows.append(vars(event))
    # The table, not the mapped class: a plain executemany, in order (the ids follow the chain), with
    # none of the ORM's bookkeeping per row.
    s.execute(insert(cast(Table, AuditEvent.__table__)), rows)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    first_broken_id: int | None = None
    message: str = ""


def verify_chain(s: Session) -> ChainReport:
    """Walk the trail in order and name the first event whose link or content does not match."""
    prev = GENESIS
    count = 0
    for event in s.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        count += 1
        if event.prev_hash != prev:
            return ChainReport(
                False,
                count,
                event.id,
                f"Sự kiện #{event.id}: không nối với sự kiện trước (bị xóa hoặc đổi thứ tự).",
            )
        if event_hash(prev, event) != event.hash:
            return ChainReport(False, count, event.id, f"Sự kiện #{event.id}: nội dung đã bị sửa.")
        prev = event.hash
    appended = int(s.scalar(select(AppMeta.value).where(AppMeta.key == AUDIT_SEQ_KEY)) or 0)
    if appended != count:
        return ChainReport(
            False, count, None, f"Đã ghi {appended} sự kiện nhưng chỉ còn {count}: sự kiện cuối đã bị xóa."
        )
    return ChainReport(True, count, None, f"Chuỗi nhật ký toàn vẹn: {count} sự kiện.")
