"""Scopes in the database: a focal point's bodies read from `user_scope`, and the rule of
lib/core/scopes.py as SQL conditions for the editors' row lists and the engine's UPDATE."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, or_, select
from sqlalchemy.orm import Session

from lib.core import rules
from lib.core.roles import Actor, Refused, require_admin
from lib.core.scopes import BODY_KINDS, KIND_LABELS, Scope
from lib.data.models import Agency, Locality, Succession, Task, Unit, User, UserScope
from lib.data.organisation import load_map

# Built once (read_scope runs on every rerun of a focal point): building costs more than running.
_SCOPE_ROWS = (
    select(
        UserScope.locality_id,
        UserScope.unit_id,
        UserScope.agency_id,
        Locality.name,
        Unit.kind,
        Unit.name,
        Agency.name,
    )
    .select_from(UserScope)
    .outerjoin(Locality, Locality.id == UserScope.locality_id)
    .outerjoin(Unit, Unit.id == UserScope.unit_id)
    .outerjoin(Agency, Agency.id == UserScope.agency_id)
    .where(UserScope.user_id == bindparam("user_id"))
    .order_by(UserScope.id)
)
_AGENCY_UNITS = select(Agency.id, Agency.unit_id).where(
    or_(
        Agency.id.in_(bindparam("agencies", expanding=True)),
        Agency.unit_id.in_(bindparam("units", expanding=True)),
    )
)


def read_scope(s: Session, user_id: int | None) -> Scope:
    """The scope of one user from their `user_scope` rows (empty for a user without any).

    Read on every run of a focal point (`accounts.check_session`): the rows and the names of their
    bodies in one query, plus one for the agencies that stand for a unit when a unit or an agency
    is assigned."""
    if user_id is None:
        return Scope()
    conn = s.connection()
    rows = conn.execute(_SCOPE_ROWS, {"user_id": user_id}).all()
    localities = [r[0] for r in rows if r[0] is not None]
    units = [r[1] for r in rows if r[1] is not None]
    agencies = [r[2] for r in rows if r[2] is not None]
    pairs: list[tuple[int, int | None]] = []
    if agencies or units:
        pairs = [(a, u) for a, u in conn.execute(_AGENCY_UNITS, {"agencies": agencies, "units": units})]
    return Scope.of(localities, units, agencies, agency_units=pairs, labels=[_label(*r) for r in rows])


def _label(
    locality_id: int | None,
    unit_id: int | None,
    agency_id: int | None,
    locality_name: str | None,
    unit_kind: str | None,
    unit_name: str | None,
    agency_name: str | None,
) -> str:
    """The name of one body of a scope ("mã N" if its row is gone)."""
    if locality_id:
        return locality_name if locality_name is not None else f"mã {locality_id}"
    if unit_id:
        if unit_name is None:
            return f"mã {unit_id}"
        return f"{rules.UNIT_KIND_LABELS.get(unit_kind or '', '')} {unit_name}".strip()
    return agency_name if agency_name is not None else f"mã {agency_id}"


def _in(column: Any, ids: frozenset[int]) -> ColumnElement[bool]:
    return column.in_(sorted(ids)) if ids else false()


def task_in_scope(scope: Scope) -> ColumnElement[bool]:
    """Tasks of the scope: its locality, its unit or its lead agency is in scope."""
    return or_(
        _in(Task.locality_id, scope.localities),
        _in(Task.unit_id, scope.unit_rows),
        _in(Task.lead_agency_id, scope.lead_agencies),
    )


def unit_row_in_scope(model: Any, scope: Scope) -> ColumnElement[bool]:
    """Rows of a unit (a headquarters project, a registration) in scope: the unit, or its district.
    Correlated on `model.unit_id`, so it serves a SELECT and an UPDATE alike."""
    by_district = (
        model.unit_id.in_(select(Unit.id).where(Unit.locality_id.in_(sorted(scope.localities))))
        if scope.localities
        else false()
    )
    return or_(_in(model.unit_id, scope.unit_rows), by_district)


# --- bodies a scope can name: lists, look-ups, and scopes that point at ended bodies ------------------

_MODELS: dict[str, Any] = {"locality": Locality, "unit": Unit, "agency": Agency}


def _valid_on(model: Any, day: date) -> ColumnElement[bool]:
    return and_(
        or_(model.valid_from.is_(None), model.valid_from <= day),
        or_(model.valid_to.is_(None), model.valid_to >= day),
    )


def body_names(s: Session, kind: str, ids: Iterable[int]) -> dict[int, str]:
    """The names of some bodies of a kind: "Huyện Lục Ngạn", "Phường Nếnh (Thị xã Việt Yên)",
    "Sở Tài chính"."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    if kind == "unit":
        stmt = (
            select(Unit.id, Unit.kind, Unit.name, Locality.name)
            .join(Locality, Locality.id == Unit.locality_id)
            .where(Unit.id.in_(wanted))
        )
        return {i: f"{_unit_name(k, n)} ({place})" for i, k, n, place in s.execute(stmt)}
    model = _MODELS[kind]
    return {i: n for i, n in s.execute(select(model.id, model.name).where(model.id.in_(wanted)))}


def _unit_name(kind: str, name: str) -> str:
    return f"{rules.UNIT_KIND_LABELS.get(kind, '')} {name}".strip()


def scope_options(s: Session, day: date) -> dict[str, dict[int, str]]:
    """The bodies a scope may be given on a day (those valid then), by kind, in display order."""
    out: dict[str, dict[int, str]] = {}
    for kind in BODY_KINDS:
        model = _MODELS[kind]
        ids = [
            i
            for (i,) in s.execute(
                select(model.id).where(_valid_on(model, day)).order_by(model.sort_order, model.name, model.id)
                if kind != "unit"
                else select(Unit.id)
                .join(Locality, Locality.id == Unit.locality_id)
                .where(_valid_on(Unit, day))
                .order_by(Locality.sort_order, Unit.name, Unit.id)
            )
        ]
        names = body_names(s, kind, ids)
        out[kind] = {i: names[i] for i in ids}
    return out


def user_bodies(s: Session, user_id: int) -> list[tuple[str, int]]:
    """The bodies of one user's scope, as (kind, id), in the order they were given."""
    rows = s.execute(
        select(UserScope.locality_id, UserScope.unit_id, UserScope.agency_id)
        .where(UserScope.user_id == user_id)
        .order_by(UserScope.id)
    )
    return [_body_of(loc, unit, agency) for loc, unit, agency in rows]


def _body_of(loc: int | None, unit: int | None, agency: int | None) -> tuple[str, int]:
    if loc is not None:
        return ("locality", loc)
    if unit is not None:
        return ("unit", unit)
    assert agency is not None
    return ("agency", agency)


def find_body(s: Session, kind: str, ref: str, day: date) -> int:
    """The body a command line names: `locality:luc-ngan`, `agency:stc` (codes), `unit:18` or
    `unit:Nếnh` / `unit:Phường Nếnh` (a name valid on the day; refused when it names several)."""
    ref = ref.strip()
    if kind not in BODY_KINDS:
        raise Refused(f"Loại “{kind}” không hợp lệ: dùng locality, unit hoặc agency.", entity="user")
    model = _MODELS[kind]
    if kind != "unit":
        found = s.scalar(select(model.id).where(model.code == ref))
        if found is None:
            raise Refused(f"Không có {KIND_LABELS[kind].lower()} mã “{ref}”.", entity="user")
        return int(found)
    if ref.isdigit():
        if s.get(Unit, int(ref)) is None:
            raise Refused(f"Không có xã, phường mã {ref}.", entity="user")
        return int(ref)
    name = ref
    for label in rules.UNIT_KIND_LABELS.values():
        if ref.casefold().startswith(label.casefold() + " "):
            name = ref[len(label) + 1 :].strip()
    found_ids = list(s.scalars(select(Unit.id).where(Unit.name == name, _valid_on(Unit, day))))
    if not found_ids:
        raise Refused(f"Không có xã, phường “{ref}” còn hiệu lực ngày {day:%d/%m/%Y}.", entity="user")
    if len(found_ids) > 1:
        shown = ", ".join(str(i) for i in found_ids)
        raise Refused(f"Có nhiều xã, phường tên “{ref}” (mã {shown}): ghi mã số.", entity="user")
    return int(found_ids[0])


@dataclass(frozen=True)
class EndedBody:
    """A body in someone's scope that is no longer valid, with its successors (the main one first)."""

    username: str
    display_name: str
    kind: str
    body_id: int
    name: str
    valid_to: date
    successors: tuple[tuple[int, str], ...]


def ended_scopes(s: Session, today: date) -> list[EndedBody]:
    """The scopes of active users that point at a body ended before today, with its successors
    (table `succession`) as they stand today: a successor that ended in its turn is replaced by the
    body standing for it today (a xã that joined the city on 1/1/2025, then a new phường on 1/7/2025);
    by user then body."""
    out: list[EndedBody] = []
    org = None
    rows = s.execute(
        select(
            User.username, User.display_name, UserScope.locality_id, UserScope.unit_id, UserScope.agency_id
        )
        .join(User, User.id == UserScope.user_id)
        .where(User.active.is_(True))
        .order_by(User.username, UserScope.id)
    ).all()
    bodies = [(r.username, r.display_name, *_body_of(r.locality_id, r.unit_id, r.agency_id)) for r in rows]
    for kind in BODY_KINDS:
        ids = {b[3] for b in bodies if b[2] == kind}
        if not ids:
            continue
        model = _MODELS[kind]
        stmt = select(model.id, model.valid_to).where(model.id.in_(sorted(ids)), model.valid_to < today)
        ended = {body_id: valid_to for body_id, valid_to in s.execute(stmt)}
        if not ended:
            continue
        org = org or load_map(s)
        links = [
            (f, org.current(kind, t, today))
            for f, t in s.execute(
                select(Succession.from_id, Succession.to_id)
                .where(Succession.body_kind == kind, Succession.from_id.in_(sorted(ended)))
                .order_by(Succession.from_id, Succession.main.desc(), Succession.to_id)
            )
        ]
        names = body_names(s, kind, [*ended, *(t for _f, t in links)])
        for username, display, k, body_id in bodies:
            if k == kind and body_id in ended:
                today_ids = dict.fromkeys(t for f, t in links if f == body_id)  # in order, once
                successors = tuple((t, names.get(t, f"mã {t}")) for t in today_ids)
                out.append(
                    EndedBody(
                        username,
                        display,
                        kind,
                        body_id,
                        names.get(body_id, f"mã {body_id}"),
                        ended[body_id],
                        successors,
                    )
                )
    return sorted(out, key=lambda e: (e.username, e.kind, e.name))


@dataclass(frozen=True)
class ScopeAdmin:
    """What the administrator's scope panel shows: the bodies that may be given (valid today, plus
    those still held although ended), each focal point's bodies, and the scopes pointing at ended ones."""

    options: dict[str, dict[int, str]]
    bodies: dict[str, list[tuple[str, int]]]  # username → (kind, id), in order
    ended: list[EndedBody]


def scope_admin(s: Session, actor: Actor, today: date) -> ScopeAdmin:
    """Read the scope panel's data (administrators only)."""
    require_admin(actor, "xem phạm vi của cán bộ đầu mối")
    options = scope_options(s, today)
    bodies: dict[str, list[tuple[str, int]]] = {}
    rows = s.execute(
        select(User.username, UserScope.locality_id, UserScope.unit_id, UserScope.agency_id)
        .join(User, User.id == UserScope.user_id)
        .order_by(User.username, UserScope.id)
    )
    for username, loc, unit, agency in rows:
        bodies.setdefault(username, []).append(_body_of(loc, unit, agency))
    for kind in BODY_KINDS:  # a body still held after it ended stays selectable (and shown as ended)
        held = {i for held in bodies.values() for k, i in held if k == kind and i not in options[kind]}
        names = body_names(s, kind, held)
        options[kind] |= {i: f"{names.get(i, f'mã {i}')} (đã kết thúc)" for i in sorted(held)}
    return ScopeAdmin(options, bodies, ended_scopes(s, today))
