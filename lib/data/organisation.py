"""The map over time as read from the database, and "the owner of a row as of a day" in SQL.

`load_map` reads every locality, unit and agency with its validity and every succession link into
a `lib.core.organisation.OrgMap` (a few hundred rows). `owner_at` is the SQL form of the value a
row's owner field had on a day: a reorganisation applied later passed the row to a successor and
recorded the field's `old_value` in `transfer`; before that transfer's effective day the row counts
with that old value. Figures group by these owner expressions in SQL and map the few hundred groups
to places (`OrgMap.place`) in Python: no row of work is loaded.

Every function takes the caller's Session first and never commits or closes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from lib.core.organisation import AGENCY, LOCALITY, UNIT, Body, Link, OrgMap
from lib.data.models import (
    Agency,
    Arrangement,
    ArrangementLine,
    HqProject,
    Locality,
    ModelWard,
    Succession,
    Task,
    Transfer,
    Unit,
)

# The transfer field of a model-ward registration that joined the successor's registration of the same
# year (its lifecycle became "merged"): before the effective date it still counts where it was.
JOINED = "merged_into_id"
# The transfer entity of each model whose owner fields a reorganisation passes on.
ENTITIES: dict[Any, str] = {Task: "task", HqProject: "hq_project", ModelWard: "model_ward"}


def sql_date(value: date) -> ColumnElement[Any]:
    return literal(value, Date)


def valid_on(model: Any, day: date | None) -> list[ColumnElement[bool]]:
    """The conditions of a locality, unit or agency valid on a day (none when the day is None)."""
    if day is None:
        return []
    return [
        or_(model.valid_from.is_(None), model.valid_from <= day),
        or_(model.valid_to.is_(None), model.valid_to >= day),
    ]


def load_map(s: Session) -> OrgMap:
    """Every locality, unit and agency with its validity and display order, and every succession
    link. Units have no stored order: they are ordered by name within their district."""
    bodies: list[Body] = []
    for row in s.execute(
        select(
            Locality.id,
            Locality.name,
            Locality.kind,
            Locality.valid_from,
            Locality.valid_to,
            Locality.sort_order,
        )
    ):
        bodies.append(
            Body(LOCALITY, row.id, row.name, row.kind, None, row.valid_from, row.valid_to, row.sort_order)
        )
    units = s.execute(
        select(Unit.id, Unit.name, Unit.kind, Unit.locality_id, Unit.valid_from, Unit.valid_to)
    ).all()
    for rank, u in enumerate(sorted(units, key=lambda u: (u.name, u.id))):
        bodies.append(Body(UNIT, u.id, u.name, u.kind, u.locality_id, u.valid_from, u.valid_to, rank))
    agencies = select(
        Agency.id,
        Agency.name,
        Agency.kind,
        Agency.locality_id,
        Agency.valid_from,
        Agency.valid_to,
        Agency.sort_order,
    )
    for a in s.execute(agencies):
        bodies.append(
            Body(AGENCY, a.id, a.name, a.kind, a.locality_id, a.valid_from, a.valid_to, a.sort_order)
        )
    links = [
        Link(r.body_kind, r.from_id, r.to_id, r.change, r.effective_on, bool(r.main))
        for r in s.execute(
            select(
                Succession.body_kind,
                Succession.from_id,
                Succession.to_id,
                Succession.change,
                Succession.effective_on,
                Succession.main,
            )
        )
    ]
    return OrgMap(bodies, links)


def locality_codes(s: Session) -> dict[int, str]:
    """The code of every locality by id (`luc-ngan`, …): league rows of a locality keep its code."""
    return {int(i): str(c) for i, c in s.execute(select(Locality.id, Locality.code))}


def needs_units(org: OrgMap, day: date) -> bool:
    """Whether the unit of a piece of work can change where it counts on a day: some district is
    not valid then, or some unit has a successor (a move). Otherwise the district alone decides,
    and figures group by the district only (the narrow indexes the counts read hold no unit)."""
    if any(b.kind == UNIT for b in org.bodies if org.successors(UNIT, b.id)):
        return True
    return any(not b.valid_on(day) for b in org.bodies if b.kind == LOCALITY)


def transferred_after(s: Session, models: Iterable[Any], day: date, field: str | None = None) -> bool:
    """Whether any row of these models (any field, or this one) was passed to a successor after a
    day (one read): if not, every row's owner on that day is its current value."""
    entities = [ENTITIES[m] for m in models]
    later = [Transfer.entity.in_(entities), Transfer.effective_on > sql_date(day)]
    if field is not None:
        later.append(Transfer.field == field)
    return bool(s.scalar(select(exists().where(*later))))


def owner_at(model: Any, field: str, day: date, *, transferred: bool = True) -> ColumnElement[Any]:
    """The SQL value of `model.field` on a day: the `old_value` of the row's earliest transfer of
    that field taking effect after the day, if any, else the current value. `old_value` may be
    NULL (a task of the province passed to a unit), hence CASE WHEN EXISTS rather than COALESCE.
    With `transferred=False` (nothing was passed on after the day, `transferred_after`) it is the
    plain column."""
    column = getattr(model, field)
    if not transferred:
        return column  # type: ignore[no-any-return]
    later = and_(
        Transfer.entity == ENTITIES[model],
        Transfer.row_id == model.id,
        Transfer.field == field,
        Transfer.effective_on > sql_date(day),
    )
    first_old = (
        select(Transfer.old_value)
        .where(later)
        .order_by(Transfer.effective_on, Transfer.id)
        .limit(1)
        .correlate(model)
        .scalar_subquery()
    )
    return case((exists().where(later).correlate(model), first_old), else_=column)


def with_owner(
    stmt: Select[Any], model: Any, field: str, day: date, *, transferred: bool = True
) -> tuple[Select[Any], ColumnElement[Any]]:
    """The same value as `owner_at`, for statements over many rows: the statement outer-joined
    to each row's earliest transfer of the field after the day (transfers are few: one pass over
    them, not one lookup per row), and the owner expression (CASE on the joined transfer, as its
    `old_value` may be NULL). Without transfers after the day: the statement and the column."""
    column = getattr(model, field)
    if not transferred:
        return stmt, column
    entity, after = ENTITIES[model], sql_date(day)
    first, other = aliased(Transfer), aliased(Transfer)
    earlier = exists().where(
        other.entity == entity,
        other.field == field,
        other.row_id == first.row_id,
        other.effective_on > after,
        or_(
            other.effective_on < first.effective_on,
            and_(other.effective_on == first.effective_on, other.id < first.id),
        ),
    )
    firsts = (
        select(first.row_id.label("row_id"), first.old_value.label("old_value"))
        .where(first.entity == entity, first.field == field, first.effective_on > after, ~earlier)
        .subquery(f"first_{field}")
    )
    joined = stmt.outerjoin(firsts, firsts.c.row_id == model.id)
    return joined, case((firsts.c.row_id.is_not(None), firsts.c.old_value), else_=column)


def placing_day(as_of: date, regroup: bool, today: date) -> date:
    """The day whose structure the rows of a table follow: the as-of date, or, regrouped under
    today's units, the real current date (`lib.core.config.today()`), or the as-of date if later
    (the structure known furthest ahead)."""
    return max(as_of, today) if regroup else as_of


@dataclass(frozen=True)
class ArrangementRow:
    """A reorganisation as the office's list shows it."""

    id: int
    code: str
    resolution: str
    resolution_on: date | None
    effective_on: date
    title: str
    state: str
    lines: int
    applied_by: str
    applied_at: datetime | None


def list_arrangements(s: Session) -> list[ArrangementRow]:
    """Every recorded reorganisation, latest effective date first, with its number of lines."""
    lines = (
        select(ArrangementLine.arrangement_id, func.count().label("n"))
        .group_by(ArrangementLine.arrangement_id)
        .subquery()
    )
    stmt = (
        select(Arrangement, func.coalesce(lines.c.n, 0))
        .outerjoin(lines, lines.c.arrangement_id == Arrangement.id)
        .order_by(Arrangement.effective_on.desc(), Arrangement.id.desc())
    )
    return [
        ArrangementRow(
            a.id, a.code, a.resolution, a.resolution_on, a.effective_on, a.title, a.state, int(n),
            a.applied_by, a.applied_at,
        )
        for a, n in s.execute(stmt)
    ]  # fmt: skip
