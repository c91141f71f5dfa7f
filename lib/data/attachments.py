"""Reads of evidence files: a row's list (never the bytes), one file's bytes, counts per row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from lib.data.models import Attachment, AttachmentContent


@dataclass(frozen=True)
class FileRow:
    """One evidence file as listed: what it is, who sent it and when; no bytes."""

    id: int
    entity: str
    row_id: int
    filename: str
    kind: str
    media_type: str
    size: int
    sha256: str
    note: str
    uploaded_by: str
    uploaded_at: datetime
    removed_by: str
    removed_at: datetime | None


_COLUMNS = (
    Attachment.id,
    Attachment.entity,
    Attachment.row_id,
    Attachment.filename,
    Attachment.kind,
    Attachment.media_type,
    Attachment.size,
    Attachment.sha256,
    Attachment.note,
    Attachment.uploaded_by,
    Attachment.uploaded_at,
    Attachment.removed_by,
    Attachment.removed_at,
)


def _row(found: Any) -> FileRow:
    return FileRow(*found)


def list_files(s: Session, entity: str, row_id: int, *, with_removed: bool = False) -> list[FileRow]:
    """The files of one row, newest first (removed ones only if asked); the bytes are not read."""
    stmt = select(*_COLUMNS).where(Attachment.entity == entity, Attachment.row_id == row_id)
    if not with_removed:
        stmt = stmt.where(Attachment.removed_at.is_(None))
    return [_row(r) for r in s.execute(stmt.order_by(Attachment.uploaded_at.desc(), Attachment.id.desc()))]


def get_file(s: Session, attachment_id: int) -> FileRow | None:
    """One file's record (removed or not), without its bytes."""
    found = s.execute(select(*_COLUMNS).where(Attachment.id == attachment_id)).first()
    return None if found is None else _row(found)


def read_content(s: Session, attachment_id: int) -> bytes | None:
    """The bytes of one file that has not been removed; None if there is no such file.

    On PostgreSQL the value is fetched in binary format: the default text format sends bytea as hex
    and decoding it took six times the file's size (60 MB for a 10 MB file), binary about its size.
    """
    stmt = (
        select(AttachmentContent.content)
        .join(Attachment, Attachment.id == AttachmentContent.attachment_id)
        .where(Attachment.id == attachment_id, Attachment.removed_at.is_(None))
    )
    connection = s.connection()
    if connection.dialect.name == "postgresql":
        compiled = stmt.compile(dialect=connection.dialect)
        driver: Any = connection.connection.driver_connection
        with driver.cursor(binary=True) as cursor:
            cursor.execute(str(compiled), compiled.params)
            row = cursor.fetchone()
        return None if row is None else bytes(row[0])
    found = s.scalar(stmt)
    return None if found is None else bytes(found)


def same_file(s: Session, entity: str, row_id: int, sha256: str) -> FileRow | None:
    """A file of the row (not removed) with exactly these bytes, if there is one."""
    found = s.execute(
        select(*_COLUMNS)
        .where(
            Attachment.entity == entity,
            Attachment.row_id == row_id,
            Attachment.sha256 == sha256,
            Attachment.removed_at.is_(None),
        )
        .limit(1)
    ).first()
    return None if found is None else _row(found)


def file_count(
    entity: str, row_id: ColumnElement[int] | InstrumentedAttribute[int], as_of: date | None = None
) -> ColumnElement[int]:
    """The number of files of the row `row_id` names, correlated for use in a select: those not
    removed, or (`as_of`) those there at the end of that day — uploaded by then, not yet removed."""
    present: ColumnElement[bool] = Attachment.removed_at.is_(None)
    conditions = [Attachment.entity == entity, Attachment.row_id == row_id]
    if as_of is not None:
        end = datetime.combine(as_of + timedelta(days=1), time.min)
        present = or_(present, Attachment.removed_at >= end)
        conditions.append(Attachment.uploaded_at < end)
    return (
        select(func.count(Attachment.id))
        .where(*conditions, present)
        .correlate_except(Attachment)
        .scalar_subquery()
    )
