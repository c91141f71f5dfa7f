"""Discussion on rows, read: a row's thread, the latest direction of each row, the directions of a
year, and what awaits a user (their unseen mentions, the requests waiting for their confirmation).
Rules and labels: lib/core/discussion.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from lib.core import discussion as rule
from lib.core import requests as request_rule
from lib.core.formatting import fmt_date
from lib.data.models import Comment, HqProject, Locality, Mention, ModelWard, Task, TaskRequest, Unit, User

CHUNK = 1000  # row ids per query (bound parameters stay few)


@dataclass(frozen=True)
class CommentRow:
    """One comment as a thread shows it."""

    id: int
    entity: str
    row_id: int
    kind: str
    body: str
    author: str
    author_name: str
    created_at: datetime
    mentions: tuple[str, ...] = ()

    @property
    def is_direction(self) -> bool:
        return self.kind == rule.DIRECTION


@dataclass(frozen=True)
class Direction:
    """A direction with the row it is about (for meeting mode and the report)."""

    entity: str
    row_id: int
    title: str
    body: str
    author_name: str
    created_at: datetime


@dataclass(frozen=True)
class MentionItem:
    """A comment that names the user and that they have not seen yet."""

    comment_id: int
    entity: str
    row_id: int
    title: str
    author_name: str
    created_at: datetime
    body: str


@dataclass(frozen=True)
class WaitingRequest:
    """A request waiting for the office's confirmation."""

    id: int
    task_id: int
    title: str
    kind: str
    requested_by: str  # the name of who asked
    requested_at: datetime


@dataclass(frozen=True)
class Awaiting:
    """What waits for one user after signing in ("Việc chờ bạn")."""

    mentions: list[MentionItem]
    requests: list[WaitingRequest]

    @property
    def empty(self) -> bool:
        return not self.mentions and not self.requests


def _names(s: Session, usernames: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(usernames))
    if not wanted:
        return {}
    found = s.execute(select(User.username, User.display_name).where(User.username.in_(wanted)))
    return {str(u): str(n) for u, n in found}


def known_usernames(s: Session) -> set[str]:
    """The usernames a comment may mention: every active user."""
    return {str(u) for u in s.scalars(select(User.username).where(User.active.is_(True)))}


def titles(s: Session, refs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """What each row is called in a list: the task's title, the project's or registration's ward."""
    by_entity: dict[str, set[int]] = {}
    for entity, row_id in refs:
        by_entity.setdefault(entity, set()).add(row_id)
    named: dict[tuple[str, int], str] = {}
    for entity, ids in by_entity.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            if entity == "task":
                for i, title in s.execute(select(Task.id, Task.title).where(Task.id.in_(chunk))):
                    named[(entity, int(i))] = str(title)
            elif entity == "hq_project":
                for i, unit in s.execute(
                    select(HqProject.id, Unit.name)
                    .join(Unit, Unit.id == HqProject.unit_id)
                    .where(HqProject.id.in_(chunk))
                ):
                    named[(entity, int(i))] = f"Trụ sở Công an {unit}"
            elif entity == "model_ward":
                for i, unit, year in s.execute(
                    select(ModelWard.id, Unit.name, ModelWard.year_registered)
                    .join(Unit, Unit.id == ModelWard.unit_id)
                    .where(ModelWard.id.in_(chunk))
                ):
                    named[(entity, int(i))] = f"Phường kiểu mẫu: {unit} (đăng ký năm {year})"
    return named


def comments(s: Session, entity: str, row_id: int) -> list[CommentRow]:
    """A row's comments, the oldest first, with their authors' names and the users they mention."""
    found = s.scalars(
        select(Comment)
        .where(Comment.entity == entity, Comment.row_id == row_id)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    if not found:
        return []
    named: dict[int, list[str]] = {}
    for comment_id, username in s.execute(
        select(Mention.comment_id, Mention.username)
        .where(Mention.comment_id.in_([c.id for c in found]))
        .order_by(Mention.username)
    ):
        named.setdefault(int(comment_id), []).append(str(username))
    authors = _names(s, (c.author for c in found))
    return [
        CommentRow(
            c.id,
            c.entity,
            c.row_id,
            c.kind,
            c.body,
            c.author,
            authors.get(c.author, c.author),
            c.created_at,
            tuple(named.get(c.id, ())),
        )
        for c in found
    ]


def direction_label(body: str, author_name: str, created_at: datetime, limit: int = 160) -> str:
    """A direction in one cell: "text — author, dd/mm/yyyy" (long text shortened)."""
    text = " ".join(body.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{text} — {author_name}, {fmt_date(created_at.date())}"


def latest_directions(s: Session, entity: str, row_ids: Sequence[int]) -> dict[int, str]:
    """The latest direction of each of these rows, as a cell's text: one query per 1,000 rows."""
    labels: dict[int, str] = {}
    ids = sorted(set(row_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        latest = (
            select(Comment.row_id, func.max(Comment.id).label("last_id"))
            .where(Comment.entity == entity, Comment.kind == rule.DIRECTION, Comment.row_id.in_(chunk))
            .group_by(Comment.row_id)
            .subquery()
        )
        found = s.execute(
            select(
                Comment.row_id,
                Comment.body,
                Comment.created_at,
                func.coalesce(User.display_name, Comment.author),
            )
            .join(latest, latest.c.last_id == Comment.id)
            .outerjoin(User, User.username == Comment.author)
        )
        for row_id, body, created_at, author in found:
            labels[int(row_id)] = direction_label(str(body), str(author), created_at)
    return labels


def _directions(s: Session, stmt: Select[Any]) -> list[Direction]:
    found = s.scalars(stmt).all()
    named = titles(s, ((c.entity, c.row_id) for c in found))
    authors = _names(s, (c.author for c in found))
    return [
        Direction(
            c.entity,
            c.row_id,
            named.get((c.entity, c.row_id), f"{rule.ENTITY_NOUNS.get(c.entity, c.entity)} mã {c.row_id}"),
            c.body,
            authors.get(c.author, c.author),
            c.created_at,
        )
        for c in found
    ]


def recent_directions(s: Session, limit: int = 5, until: date | None = None) -> list[Direction]:
    """The newest directions on any row (meeting mode), given by the end of `until` if named."""
    stmt = select(Comment).where(Comment.kind == rule.DIRECTION)
    if until is not None:
        stmt = stmt.where(Comment.created_at < _day_after(until))
    return _directions(s, stmt.order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit))


def _day_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time())


def _in_locality(entity: str, code: str) -> ColumnElement[bool]:
    """SQL: the comment's row belongs to the locality of this code."""
    if entity == "task":
        return Comment.row_id.in_(
            select(Task.id).join(Locality, Locality.id == Task.locality_id).where(Locality.code == code)
        )
    model: type[HqProject] | type[ModelWard] = HqProject if entity == "hq_project" else ModelWard
    return Comment.row_id.in_(
        select(model.id)
        .join(Unit, Unit.id == model.unit_id)
        .join(Locality, Locality.id == Unit.locality_id)
        .where(Locality.code == code)
    )


def directions_of_year(
    s: Session, year: int, locality: str | None = None, limit: int = 200
) -> list[Direction]:
    """The directions given in a year, the oldest first, on the rows of one locality (code) or all."""
    stmt = select(Comment).where(
        Comment.kind == rule.DIRECTION,
        Comment.created_at >= datetime(year, 1, 1),
        Comment.created_at < datetime(year + 1, 1, 1),
    )
    if locality is not None:
        stmt = stmt.where(
            or_(*[and_(Comment.entity == e, _in_locality(e, locality)) for e in rule.ENTITY_NOUNS])
        )
    return _directions(s, stmt.order_by(Comment.created_at, Comment.id).limit(limit))


def unseen_mentions(s: Session, username: str, limit: int = 20) -> list[MentionItem]:
    """The comments naming this user that they have not seen yet, the newest first."""
    found = (
        s.execute(
            select(Comment)
            .join(Mention, Mention.comment_id == Comment.id)
            .where(Mention.username == username, Mention.seen_at.is_(None))
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    named = titles(s, ((c.entity, c.row_id) for c in found))
    authors = _names(s, (c.author for c in found))
    return [
        MentionItem(
            c.id,
            c.entity,
            c.row_id,
            named.get((c.entity, c.row_id), f"{rule.ENTITY_NOUNS.get(c.entity, c.entity)} mã {c.row_id}"),
            authors.get(c.author, c.author),
            c.created_at,
            c.body,
        )
        for c in found
    ]


def waiting_requests(s: Session, limit: int = 20, as_of: date | None = None) -> list[WaitingRequest]:
    """The requests waiting for the office, the oldest first, with their tasks' titles; with `as_of`,
    those that were waiting at the end of that day (made by then, decided or withdrawn later if at all)."""
    waiting: ColumnElement[bool] = TaskRequest.state == request_rule.PENDING
    if as_of is not None:
        end = _day_after(as_of)
        waiting = and_(
            TaskRequest.requested_at < end,
            or_(waiting, TaskRequest.decided_at >= end),
        )
    found = s.execute(
        select(
            TaskRequest.id,
            TaskRequest.task_id,
            Task.title,
            TaskRequest.kind,
            func.coalesce(User.display_name, TaskRequest.requested_by),
            TaskRequest.requested_at,
        )
        .join(Task, Task.id == TaskRequest.task_id)
        .outerjoin(User, User.username == TaskRequest.requested_by)
        .where(waiting)
        .order_by(TaskRequest.requested_at, TaskRequest.id)
        .limit(limit)
    )
    return [
        WaitingRequest(int(i), int(t), str(title), str(k), str(by), at) for i, t, title, k, by, at in found
    ]


def awaiting(s: Session, username: str, role: str, limit: int = 20) -> Awaiting:
    """What waits for this user: their unseen mentions and, for the office, the requests to confirm."""
    return Awaiting(
        unseen_mentions(s, username, limit),
        waiting_requests(s, limit) if role in request_rule.DECIDERS else [],
    )


def unseen_on_row(s: Session, username: str, entity: str, row_id: int) -> list[int]:
    """The comments on this row naming this user that they have not seen yet."""
    return [
        int(i)
        for i in s.scalars(
            select(Mention.comment_id)
            .join(Comment, Comment.id == Mention.comment_id)
            .where(
                Mention.username == username,
                Mention.seen_at.is_(None),
                Comment.entity == entity,
                Comment.row_id == row_id,
            )
        )
    ]
