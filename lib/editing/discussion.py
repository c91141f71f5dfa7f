"""Discussion on rows, written: add a comment or a direction with its mentions; mark mentions seen.

A comment is one audited write in the caller's transaction (the row's entity and id, field
"comment", action "comment" or "direction"), its mentions stored with it. Who may write is checked
here, whatever the page offered (lib/core/discussion.py): a reader nothing, a focal point only on the
rows of their scope and never a direction. Every refusal raises Refused and writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lib.core import config
from lib.core import discussion as rule
from lib.core.roles import OUT_OF_SCOPE, Actor, PermissionDenied, Refused
from lib.data import audit
from lib.data import discussion as reads
from lib.data.db import bump_data_version
from lib.data.models import COMMENTABLE, Comment, Mention
from lib.editing.changeset import EDITABLE

FIELD = "comment"  # the audit events' field
AUDIT_TEXT = 500  # characters of the comment kept in the audit event


def _row(s: Session, actor: Actor, entity: str, row_id: int) -> int | None:
    """Check that the row exists and the actor may discuss it; return its locality (None: province)."""
    noun = rule.ENTITY_NOUNS.get(entity)
    if entity not in COMMENTABLE or noun is None:
        raise Refused(f"Không trao đổi trên loại dữ liệu “{entity}”.", entity=entity, row_id=row_id)
    spec = EDITABLE[entity]
    model: Any = spec.model
    found = s.execute(select(model, spec.locality_of().label("loc")).where(model.id == row_id)).first()
    if found is None:
        raise Refused(f"Không tìm thấy {noun} mã {row_id}.", entity=entity, row_id=row_id)
    row, loc = found
    if actor.role not in rule.ANYWHERE and not spec.may_edit(actor, row, loc):
        raise PermissionDenied(
            f"{noun.capitalize()} mã {row_id} {OUT_OF_SCOPE}: bạn chỉ được trao đổi trên dữ liệu của địa "
            "phương, đơn vị, cơ quan mình phụ trách.",
            entity=entity,
            row_id=row_id,
            locality_id=loc,
        )
    return int(loc) if loc is not None else None


def may_comment_on(s: Session, actor: Actor, entity: str, row_id: int) -> bool:
    """Tell whether the actor may write in this row's discussion (what the page offers; `add`
    checks again inside its write transaction)."""
    if not rule.may_comment(actor.role):
        return False
    try:
        _row(s, actor, entity, row_id)
    except Refused:
        return False
    return True


def add(
    s: Session,
    actor: Actor,
    entity: str,
    row_id: int,
    body: str,
    kind: str = rule.COMMENT,
    *,
    now: datetime | None = None,
) -> int:
    """Add a comment (or a direction) to a row with its mentions, audited; return its id."""
    bump_data_version(s)
    if not rule.may_comment(actor.role) or (kind == rule.DIRECTION and not rule.may_direct(actor.role)):
        (why,) = rule.check_comment(actor.role, kind, body, ())
        raise PermissionDenied(why, entity=entity, row_id=row_id)
    loc = _row(s, actor, entity, row_id)
    text = (body or "").strip()
    problems = rule.check_comment(actor.role, kind, text, reads.known_usernames(s))
    if problems:
        raise Refused(
            "Chưa lưu ý kiến: " + " ".join(problems),
            entity=entity,
            row_id=row_id,
            locality_id=loc,
            field=FIELD,
            action="refused_invalid",
        )
    now = now or config.now()
    comment = Comment(
        entity=entity, row_id=row_id, kind=kind, body=text, author=actor.username, created_at=now
    )
    s.add(comment)
    s.flush()
    named = [n for n in rule.mentioned(text) if n != actor.username]
    for name in named:
        s.add(Mention(comment_id=comment.id, username=name, seen_at=None))
    s.flush()
    audit.record(
        s,
        actor=actor.username,
        action=kind,
        entity=entity,
        row_id=row_id,
        locality_id=loc,
        field=FIELD,
        new=text if len(text) <= AUDIT_TEXT else text[: AUDIT_TEXT - 1] + "…",
        reason=("Nhắc: " + ", ".join(f"@{n}" for n in named)) if named else "",
        at=now,
    )
    return int(comment.id)


def mark_seen(
    s: Session, actor: Actor, comment_ids: list[int] | None = None, *, now: datetime | None = None
) -> int:
    """Mark the actor's mentions in these comments (all of them if None) seen; return how many."""
    bump_data_version(s)
    stmt = update(Mention).where(Mention.username == actor.username, Mention.seen_at.is_(None))
    if comment_ids is not None:
        if not comment_ids:
            return 0
        stmt = stmt.where(Mention.comment_id.in_(comment_ids))
    done = s.execute(stmt.values(seen_at=now or config.now()).execution_options(synchronize_session=False))
    return int(done.rowcount)  # type: ignore[attr-defined]


def mark_row_seen(s: Session, actor: Actor, entity: str, row_id: int, *, now: datetime | None = None) -> int:
    """Mark the actor's mentions on one row seen (they opened its discussion); return how many."""
    ids = reads.unseen_on_row(s, actor.username, entity, row_id)
    if not ids:
        return 0
    return mark_seen(s, actor, ids, now=now)
