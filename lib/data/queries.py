"""Read queries: aggregation happens in SQL, pages get small aggregates and one page of rows.

Every function takes the caller's Session first and never commits or closes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    extract,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from lib.core import config, rules
from lib.core.figures import Funding, total_funding
from lib.core.filters import DUE_SOON, PROVINCE_LEVEL, FilterOptions, Filters, HqFilters
from lib.core.formatting import fmt_document_number
from lib.core.organisation import LOCALITY, PROVINCE_KEY, OrgMap, Place
from lib.core.roles import Actor
from lib.data import discussion, projects, reminders, requests
from lib.data.db import PieceId, piece_order
from lib.data.models import (
    Agency,
    Clause,
    Document,
    HqProject,
    Locality,
    ModelWard,
    Task,
    TaskRequest,
    Unit,
    task_basis,
    task_cooperator,
)
from lib.data.organisation import (
    load_map,
    locality_codes,
    needs_units,
    owner_at,
    placing_day,
    transferred_after,
    with_owner,
)
from lib.data.projects import edit_localities, sql_date
from lib.data.scopes import task_in_scope

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


def bucket_expr(as_of: date) -> ColumnElement[str]:
    """Return the SQL form of rules.task_bucket for Task rows as of a date."""
    as_of_sql = sql_date(as_of)
    finished = and_(
        Task.state == "hoan_thanh", Task.completed_on.is_not(None), Task.completed_on <= as_of_sql
    )
    return case(
        (Task.state.in_(rules.EXCLUDED_STATES), rules.EXCLUDED),
        (
            finished,
            case(
                (
                    or_(Task.current_deadline.is_(None), Task.completed_on <= Task.current_deadline),
                    rules.ON_TIME,
                ),
                else_=rules.LATE,
            ),
        ),
        (and_(Task.current_deadline.is_not(None), Task.current_deadline < as_of_sql), rules.OVERDUE),
        (Task.state == "chua_trien_khai", rules.NOT_DUE),
        else_=rules.IN_PROGRESS,
    )


def pending_expr(as_of: date) -> ColumnElement[bool]:
    """SQL: the task had a request waiting for the office at the end of the as-of date (made by
    then, not decided by then)."""
    end = datetime.combine(as_of + timedelta(days=1), time(0))
    waiting = select(TaskRequest.task_id).where(
        TaskRequest.requested_at < end,
        or_(TaskRequest.decided_at.is_(None), TaskRequest.decided_at >= end),
    )
    return Task.id.in_(waiting)


def pending_task_ids(s: Session, as_of: date) -> set[int]:
    """The ids of the tasks with a request waiting for the office at the end of the as-of date."""
    end = datetime.combine(as_of + timedelta(days=1), time(0))
    return {
        int(i)
        for i in s.scalars(
            select(TaskRequest.task_id).where(
                TaskRequest.requested_at < end,
                or_(TaskRequest.decided_at.is_(None), TaskRequest.decided_at >= end),
            )
        )
    }


def due_soon_expr(as_of: date, within_days: int) -> ColumnElement[bool]:
    """Return the SQL form of rules.is_due_soon."""
    return and_(
        bucket_expr(as_of).in_((rules.IN_PROGRESS, rules.NOT_DUE)),
        Task.current_deadline.is_not(None),
        Task.current_deadline >= sql_date(as_of),
        Task.current_deadline <= sql_date(as_of + timedelta(days=within_days)),
    )


def _locality_condition(column: Any, codes: Sequence[str]) -> ColumnElement[bool]:
    named = [c for c in codes if c != PROVINCE_LEVEL]
    parts: list[ColumnElement[bool]] = []
    if named:
        parts.append(column.in_(select(Locality.id).where(Locality.code.in_(named))))
    if PROVINCE_LEVEL in codes:
        parts.append(column.is_(None))
    return or_(*parts)


def filter_tasks(stmt: SelectT, filters: Filters, as_of: date, due_soon_days: int) -> SelectT:
    """Apply the page filters to a statement selecting from Task."""
    if filters.localities:
        stmt = stmt.where(_locality_condition(Task.locality_id, filters.localities))
    if filters.clauses:
        stmt = stmt.where(Task.clause_id.in_(select(Clause.id).where(Clause.code.in_(filters.clauses))))
    if filters.documents:  # the documents the tasks rest on (căn cứ)
        stmt = stmt.where(
            exists()
            .where(task_basis.c.task_id == Task.id)
            .where(
                task_basis.c.document_id.in_(select(Document.id).where(Document.code.in_(filters.documents)))
            )
        )
    if filters.agencies:
        stmt = stmt.where(Task.lead_agency_id.in_(select(Agency.id).where(Agency.code.in_(filters.agencies))))
    if filters.cooperators:
        stmt = stmt.where(
            exists()
            .where(task_cooperator.c.task_id == Task.id)
            .where(
                task_cooperator.c.agency_id.in_(select(Agency.id).where(Agency.code.in_(filters.cooperators)))
            )
        )
    if filters.assigning:
        stmt = stmt.where(
            Task.document_id.in_(select(Document.id).where(Document.code.in_(filters.assigning)))
        )
    if filters.buckets:
        wanted = [b for b in filters.buckets if b != DUE_SOON]
        parts: list[ColumnElement[bool]] = []
        if wanted:
            parts.append(bucket_expr(as_of).in_(wanted))
        if DUE_SOON in filters.buckets:
            parts.append(due_soon_expr(as_of, due_soon_days))
        stmt = stmt.where(or_(*parts))
    if filters.scope is not None:  # a focal point's editor: the rows of their scope only
        stmt = stmt.where(task_in_scope(filters.scope))
    return stmt


def pieces_of_view(s: Session, filters: Filters) -> frozenset[PieceId]:
    """Every piece of the tasks (district and unit, `PieceId`) a list of `filters` can show a task of.

    Only the filters on what a task edit of its own cells cannot change are applied (the localities
    and a focal point's scope: district, unit, lead agency), so no such edit can bring a task of
    another piece into the list; the rest of the filters can only narrow it."""
    stmt = select(Task.locality_id, Task.unit_id).distinct()
    stmt = filter_tasks(stmt, Filters(localities=filters.localities, scope=filters.scope), date.min, 0)
    return frozenset((locality_id, unit_id) for locality_id, unit_id in s.execute(stmt))


def get_filter_options(s: Session) -> FilterOptions:
    """List the values every filter accepts, with labels, in display order."""
    localities = {
        code: name
        for code, name in s.execute(select(Locality.code, Locality.name).order_by(Locality.sort_order))
    }
    localities[PROVINCE_LEVEL] = "Cấp tỉnh (Công an tỉnh, sở, ngành)"
    clauses = {
        code: title
        for code, title in s.execute(select(Clause.code, Clause.title).order_by(Clause.sort_order))
    }
    documents = {
        code: fmt_document_number(number)
        + (f" ({', '.join(p for p in (issuer, label) if p)})" if issuer or label else "")
        for code, number, issuer, label in s.execute(
            select(Document.code, Document.number, Document.issuer, Document.issued_label).order_by(
                Document.sort_order
            )
        )
    }
    agencies = {
        code: name
        for code, name in s.execute(
            select(Agency.code, Agency.name)
            .where(exists().where(Task.lead_agency_id == Agency.id))
            .order_by(Agency.sort_order)
        )
    }
    cooperators = {
        code: name
        for code, name in s.execute(
            select(Agency.code, Agency.name)
            .where(Agency.id.in_(select(task_cooperator.c.agency_id).distinct()))
            .order_by(Agency.sort_order)
        )
    }
    return FilterOptions(
        localities=localities,
        clauses=clauses,
        documents=documents,
        agencies=agencies,
        cooperators=cooperators,
    )


def count_buckets_by_locality(
    s: Session, filters: Filters, as_of: date, due_soon_days: int
) -> dict[str | None, rules.BucketSummary]:
    """Count tasks per official bucket for each locality (None: province level)."""
    bucket = bucket_expr(as_of).label("bucket")
    soon = func.sum(case((due_soon_expr(as_of, due_soon_days), 1), else_=0))
    waiting = func.sum(case((pending_expr(as_of), 1), else_=0))
    stmt = (
        select(Locality.code, bucket, func.count(), soon, waiting)
        .select_from(Task)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .group_by(Locality.code, bucket)
    )
    stmt = filter_tasks(stmt, filters, as_of, due_soon_days)
    counts: dict[str | None, dict[str, int]] = {}
    due: dict[str | None, int] = {}
    pending: dict[str | None, int] = {}
    for code, bucket_code, n, n_soon, n_waiting in s.execute(stmt):
        counts.setdefault(code, {})[bucket_code] = int(n)
        due[code] = due.get(code, 0) + int(n_soon or 0)
        pending[code] = pending.get(code, 0) + int(n_waiting or 0)
    return {
        code: rules.BucketSummary(counts=c, due_soon=due[code], pending=pending[code])
        for code, c in counts.items()
    }


def total_buckets(by_locality: dict[str | None, rules.BucketSummary]) -> rules.BucketSummary:
    """Add per-locality summaries into one."""
    counts: dict[str, int] = {}
    for summary in by_locality.values():
        for code, n in summary.counts.items():
            counts[code] = counts.get(code, 0) + n
    return rules.BucketSummary(
        counts=counts,
        due_soon=sum(x.due_soon for x in by_locality.values()),
        pending=sum(x.pending for x in by_locality.values()),
    )


def _hq_locality_filter(stmt: SelectT, localities: Sequence[str]) -> SelectT:
    named = [c for c in localities if c != PROVINCE_LEVEL]
    if localities:
        stmt = stmt.where(Locality.code.in_(named))
    return stmt


def funding_by_locality(s: Session, localities: Sequence[str] = ()) -> dict[str, Funding]:
    """Sum headquarters money (whole đồng) per locality, in SQL."""
    return projects.funding_by_locality(s, HqFilters(localities=tuple(localities)))


@dataclass(frozen=True)
class WardCounts:
    registered: int = 0
    recognised: int = 0


def model_ward_counts(s: Session, localities: Sequence[str], as_of: date) -> WardCounts:
    """Count wards registered for the model-ward pilot by the as-of year, and those recognised
    (each registration under the unit that owned it on the as-of date)."""
    owner = owner_at(ModelWard, "unit_id", as_of, transferred=transferred_after(s, (ModelWard,), as_of))
    stmt = (
        select(
            func.count(func.distinct(owner)),
            func.count(func.distinct(case((ModelWard.recognised_on <= sql_date(as_of), owner)))),
        )
        .select_from(ModelWard)
        .join(Unit, Unit.id == ModelWard.unit_id)
        .join(Locality, Locality.id == Unit.locality_id)
        .where(ModelWard.year_registered <= as_of.year, projects.followed(ModelWard))
    )
    stmt = _hq_locality_filter(stmt, localities)
    registered, recognised = s.execute(stmt).one()
    return WardCounts(int(registered), int(recognised))


def last_update_by_locality(s: Session) -> dict[str, datetime]:
    """Return the latest update time of any task, project or ward registration per locality."""
    latest: dict[str, datetime] = {}
    hq_unit, ward_unit = aliased(Unit), aliased(Unit)
    statements = (
        select(Locality.code, func.max(Task.updated_at))
        .join(Task, Task.locality_id == Locality.id)
        .group_by(Locality.code),
        select(Locality.code, func.max(HqProject.updated_at))
        .join(hq_unit, hq_unit.locality_id == Locality.id)
        .join(HqProject, HqProject.unit_id == hq_unit.id)
        .group_by(Locality.code),
        select(Locality.code, func.max(ModelWard.updated_at))
        .join(ward_unit, ward_unit.locality_id == Locality.id)
        .join(ModelWard, ModelWard.unit_id == ward_unit.id)
        .group_by(Locality.code),
    )
    for stmt in statements:
        for code, when in s.execute(stmt):
            if when is not None and (code not in latest or when > latest[code]):
                latest[code] = when
    return latest


@dataclass(frozen=True)
class LeagueRow:
    code: str  # a locality's code; "u<id>" for a unit on its own, "l<id>-rest" for an ended district
    name: str
    tasks: int
    on_time: int
    on_time_rate: float | None
    overdue: int
    due_soon: int
    funding: Funding
    last_update: datetime | None
    group: str = ""  # the former district a unit or an ended district's rest is shown under
    pending: int = 0  # tasks with a request waiting for the office (counted where they stand)


@dataclass(frozen=True)
class PlaceFigures:
    """Task buckets, money and last updates by place (`lib.core.organisation.Place`): the rows of a
    table on the structure of `day`, in display order (the province level last, if it has tasks)."""

    day: date
    places: tuple[Place, ...]
    buckets: dict[str, rules.BucketSummary]  # by place key
    funding: dict[str, Funding]  # by place key
    updates: dict[str, datetime]  # by place key
    codes: dict[str, str]  # place key → league code (a locality's own code)
    buckets_by_locality: dict[str | None, rules.BucketSummary]  # by the tasks' locality code today
    funding_by_locality: dict[str, Funding]  # by the projects' locality code today (`funding_by_locality`)


def _task_owners(s: Session, as_of: date, by_unit: bool) -> tuple[Any, Any, Any, bool]:
    """A select from Task with the owner district (and owner unit, if `by_unit`; else NULL) at the
    as-of date joined in, and whether any task's district was passed on after that date."""
    moved = transferred_after(s, (Task,), as_of, "locality_id")
    stmt: Any = select(Task.locality_id).select_from(Task)
    stmt, locality = with_owner(stmt, Task, "locality_id", as_of, transferred=moved)
    unit: Any = literal(None)
    if by_unit:
        moved_unit = transferred_after(s, (Task,), as_of, "unit_id")
        stmt, unit = with_owner(stmt, Task, "unit_id", as_of, transferred=moved_unit)
    return stmt, locality, unit, bool(moved)


def _of_pieces(stmt: SelectT, pieces: Sequence[PieceId] | None) -> SelectT:
    """Narrow a statement over tasks to those of these pieces (district and unit now, None for
    none); `pieces` None: every task."""
    if pieces is None:
        return stmt
    conditions = [
        and_(
            Task.locality_id.is_(None) if locality_id is None else Task.locality_id == locality_id,
            Task.unit_id.is_(None) if unit_id is None else Task.unit_id == unit_id,
        )
        for locality_id, unit_id in pieces
    ]
    return stmt.where(or_(*conditions)) if conditions else stmt.where(false())


def _task_owner_groups(
    s: Session,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    by_unit: bool,
    with_updates: bool,
    pieces: Sequence[PieceId] | None = None,
) -> list[tuple[PieceId, str | None, int | None, int | None, str, int, int, int, datetime | None]]:
    """(the tasks' piece now (district, unit), their district's code, owner locality at the as-of
    date, owner unit then, bucket, tasks, due soon, waiting for the office, latest update if
    `with_updates`), grouped in SQL: a few hundred groups, never the rows. Of the tasks of
    `pieces` only, if given."""
    stmt, locality, unit, moved = _task_owners(s, as_of, by_unit)
    bucket = bucket_expr(as_of).label("bucket")
    soon = func.sum(case((due_soon_expr(as_of, due_soon_days), 1), else_=0))
    waiting = func.sum(case((pending_expr(as_of), 1), else_=0))
    latest = func.max(Task.updated_at) if with_updates else literal(None)
    columns: list[Any] = [Task.locality_id, bucket, func.count(), soon, latest, waiting, Task.unit_id]
    groups: list[Any] = [Task.locality_id, Task.unit_id, bucket]
    if moved:
        columns.append(locality.label("owner_locality"))
        groups.append(columns[-1])
    if by_unit:
        columns.append(unit.label("owner_unit"))
        groups.append(columns[-1])
    stmt = filter_tasks(stmt.with_only_columns(*columns).group_by(*groups), filters, as_of, due_soon_days)
    stmt = _of_pieces(stmt, pieces)
    codes = locality_codes(s)
    found = []
    for row in s.execute(stmt):
        values: list[Any] = list(row)
        current, bucket_code, n, n_soon, when, n_waiting, current_unit = values[:7]
        rest = values[7:]
        owner_locality = rest.pop(0) if moved else current
        owner_unit = rest.pop(0) if by_unit else None
        found.append(
            (
                (current, current_unit),
                codes.get(current) if current is not None else None,
                owner_locality,
                owner_unit,
                str(bucket_code),
                int(n),
                int(n_soon or 0),
                int(n_waiting or 0),
                when,
            )
        )
    return found


@dataclass(frozen=True)
class OverviewFrame:
    """What the overview reads besides the tasks: the map and the day its places are of, whether
    units decide where work counts, locality codes, headquarters money, the latest update of
    projects and ward registrations by owner unit, and the model-ward counts. A task edit never
    changes it (it is keyed by the base version, `lib.data.db.Versions`)."""

    org: OrgMap
    day: date
    by_unit: bool
    merged: bool  # the tasks' latest updates come with their counts (see `figures_by_place`)
    codes: dict[int, str]
    pieces: tuple[PieceId, ...]  # every (district, unit) the tasks stand in now
    money: dict[tuple[str, int], Funding]
    work_updates: tuple[tuple[int | None, int | None, datetime], ...]
    wards: WardCounts


@dataclass(frozen=True)
class TaskPiece:
    """What the overview reads of the tasks of one piece (their district and unit as they stand now,
    `PieceId`): their groups by owner and bucket, their latest update by owner (unless the groups
    hold it), and their unfinished deadlines by month. Pieces add up: the overview of all tasks is
    the overview of the union of every piece, so a save of a task of one xã recomputes that piece
    only (`lib.ui.loaders.load_overview`)."""

    groups: tuple[tuple[str | None, int | None, int | None, str, int, int, int, datetime | None], ...] = ()
    updates: tuple[tuple[int | None, int | None, datetime], ...] = ()
    deadlines: tuple[tuple[int, int, str, int], ...] = ()


def overview_frame(
    s: Session,
    filters: Filters,
    as_of: date,
    *,
    regroup: bool = False,
    today: date | None = None,
    org: OrgMap | None = None,
) -> OverviewFrame:
    """Read the overview's frame (everything but the tasks) for one filter and as-of date."""
    org = org or load_map(s)
    day = placing_day(as_of, regroup, today or config.today())
    by_unit = needs_units(org, day)
    return OverviewFrame(
        org=org,
        day=day,
        by_unit=by_unit,
        # Reading units means reading the task rows (the narrow bucket index holds no unit): then
        # the same pass also gives the last updates, when no filter narrows the tasks.
        merged=by_unit and filters.is_empty,
        codes=locality_codes(s),
        # A task edit never moves a task (`lib.editing.changeset`): the pieces change with the base.
        pieces=tuple(
            sorted(
                ((loc, unit) for loc, unit in s.execute(select(Task.locality_id, Task.unit_id).distinct())),
                key=piece_order,
            )
        ),
        money=projects.funding_by_owner_unit(s, HqFilters(localities=filters.localities), as_of),
        work_updates=tuple(_work_updates(s, as_of)),
        wards=model_ward_counts(s, filters.localities, as_of),
    )


def task_pieces(
    s: Session,
    frame: OverviewFrame,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    pieces: Sequence[PieceId] | None = None,
) -> dict[PieceId, TaskPiece]:
    """Read these task pieces, or every piece (`pieces` None) in the same few queries as one."""
    wanted = list(frame.pieces if pieces is None else pieces)
    groups: dict[PieceId, list[Any]] = {i: [] for i in wanted}
    updates: dict[PieceId, list[Any]] = {i: [] for i in wanted}
    deadlines: dict[PieceId, list[Any]] = {i: [] for i in wanted}
    for row in _task_owner_groups(s, filters, as_of, due_soon_days, frame.by_unit, frame.merged, pieces):
        groups.setdefault(row[0], []).append(row[1:])
    if not frame.merged:
        for current, loc, unit, when in _task_updates(s, as_of, frame.by_unit, pieces):
            updates.setdefault(current, []).append((loc, unit, when))
    for current, y, m, place, n in _deadline_rows(s, filters, as_of, due_soon_days, pieces):
        deadlines.setdefault(current, []).append((y, m, place, n))
    return {
        i: TaskPiece(tuple(groups.get(i, ())), tuple(updates.get(i, ())), tuple(deadlines.get(i, ())))
        for i in {*groups, *updates, *deadlines}
    }


def figures_by_place(
    s: Session,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    *,
    regroup: bool = False,
    today: date | None = None,
    org: OrgMap | None = None,
) -> PlaceFigures:
    """Task buckets (filtered), headquarters money and last updates by place, as of a date.

    Each piece of work counts with its owner at the as-of date (`lib.data.organisation.owner_at`),
    placed on the structure valid then — or, `regroup`, on today's structure (`placing_day`), so
    the whole history stands under today's units. SQL groups by (owner locality, owner unit,
    bucket); Python maps each group to its place. The rows: every place of that day in the
    filtered districts (`dia_ban` keeps meaning the tasks' district, `task.locality_id`), even
    with nothing to count, and any other place that has counts."""
    frame = overview_frame(s, filters, as_of, regroup=regroup, today=today, org=org)
    return assemble_figures(frame, task_pieces(s, frame, filters, as_of, due_soon_days), filters)


def assemble_figures(
    frame: OverviewFrame, pieces: Mapping[PieceId, TaskPiece], filters: Filters
) -> PlaceFigures:
    """`figures_by_place` from its frame and every district's task piece (no database read)."""
    org, day, codes = frame.org, frame.day, frame.codes
    order = {codes[b.id]: (b.sort_order, b.id) for b in org.bodies if b.kind == LOCALITY and b.id in codes}
    places: dict[str, Place] = {}
    placed: dict[tuple[int | None, int | None], Place] = {}

    def place_of(locality_id: int | None, unit_id: int | None) -> Place:
        key = (locality_id, unit_id)
        if key not in placed:
            placed[key] = org.place(locality_id, unit_id, day)
            places.setdefault(placed[key].key, placed[key])
        return placed[key]

    counts: dict[str, dict[str, int]] = {}
    due: dict[str, int] = {}
    waiting: dict[str, int] = {}
    by_code: dict[str | None, dict[str, int]] = {}
    due_by_code: dict[str | None, int] = {}
    waiting_by_code: dict[str | None, int] = {}
    updates: dict[str, datetime] = {}
    ordered_pieces = [pieces[i] for i in sorted(pieces, key=piece_order)]
    for piece in ordered_pieces:
        for code, loc, unit, bucket_code, n, n_soon, n_waiting, when in piece.groups:
            key = place_of(loc, unit).key
            if when is not None and (key not in updates or when > updates[key]):
                updates[key] = when
            counts.setdefault(key, {})
            counts[key][bucket_code] = counts[key].get(bucket_code, 0) + n
            due[key] = due.get(key, 0) + n_soon
            waiting[key] = waiting.get(key, 0) + n_waiting
            by_code.setdefault(code, {})
            by_code[code][bucket_code] = by_code[code].get(bucket_code, 0) + n
            due_by_code[code] = due_by_code.get(code, 0) + n_soon
            waiting_by_code[code] = waiting_by_code.get(code, 0) + n_waiting

    funding: dict[str, Funding] = {}
    funding_by_code: dict[str, Funding] = {}
    for (code, unit_id), f in frame.money.items():
        key = place_of(None, unit_id).key
        funding[key] = _add(funding.get(key), f)
        funding_by_code[code] = _add(funding_by_code.get(code), f)

    latest = [u for piece in ordered_pieces for u in piece.updates]
    for loc, unit, when in [*latest, *frame.work_updates]:
        key = place_of(loc, unit).key
        if when is not None and (key not in updates or when > updates[key]):
            updates[key] = when

    wanted = {codes_id for codes_id, code in codes.items() if code in filters.localities}
    groups = {org.place(i, None, day).group_key for i in wanted}
    rows = {p.key: p for p in org.places(day) if not filters.localities or p.group_key in groups}
    rows.update({k: places[k] for k in counts if k in places})
    ordered = tuple(sorted(rows.values(), key=lambda p: p.order))
    return PlaceFigures(
        day=day,
        places=ordered,
        buckets={
            k: rules.BucketSummary(counts=c, due_soon=due[k], pending=waiting[k]) for k, c in counts.items()
        },
        funding={k: funding[k] for k in funding if k in rows},
        updates={k: updates[k] for k in updates if k in rows},
        codes={p.key: (codes[int(p.key[1:])] if p.kind == LOCALITY else p.key) for p in ordered},
        buckets_by_locality={
            code: rules.BucketSummary(counts=c, due_soon=due_by_code[code], pending=waiting_by_code[code])
            for code, c in by_code.items()
        },
        funding_by_locality={c: funding_by_code[c] for c in sorted(funding_by_code, key=lambda c: order[c])},
    )


def task_places(
    s: Session,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    *,
    regroup: bool = False,
    today: date | None = None,
    org: OrgMap | None = None,
) -> dict[int, str]:
    """The place key of each filtered task, as `figures_by_place` counts it (owner at the as-of date),
    overdue tasks first, the longest overdue first, then by deadline."""
    org = org or load_map(s)
    day = placing_day(as_of, regroup, today or config.today())
    by_unit = needs_units(org, day)
    stmt, locality, unit, _moved = _task_owners(s, as_of, by_unit)
    overdue_first = case((bucket_expr(as_of) == rules.OVERDUE, 0), else_=1)
    stmt = filter_tasks(
        stmt.with_only_columns(Task.id, locality, unit).order_by(
            overdue_first, Task.current_deadline.is_(None), Task.current_deadline, Task.id
        ),
        filters,
        as_of,
        due_soon_days,
    )
    keys: dict[tuple[int | None, int | None], str] = {}
    found: dict[int, str] = {}
    for task_id, loc, unit_id in s.execute(stmt):
        if (loc, unit_id) not in keys:
            keys[(loc, unit_id)] = org.place(loc, unit_id, day).key
        found[int(task_id)] = keys[(loc, unit_id)]
    return found


def _add(total: Funding | None, more: Funding) -> Funding:
    return more if total is None else total_funding({"total": total, "more": more})


def _task_updates(
    s: Session, as_of: date, by_unit: bool, pieces: Sequence[PieceId] | None = None
) -> list[tuple[PieceId, int | None, int | None, datetime]]:
    """(the tasks' piece now, owner district at the as-of date, owner unit then (when units can
    change where work counts; else None), their latest update)."""
    stmt, locality, unit, _moved = _task_owners(s, as_of, by_unit)
    columns = [Task.locality_id, Task.unit_id, locality.label("owner_locality"), unit.label("owner_unit")]
    stmt = stmt.with_only_columns(*columns, func.max(Task.updated_at)).group_by(
        *(columns if by_unit else columns[:3])
    )
    return [((r[0], r[1]), r[2], r[3], r[4]) for r in s.execute(_of_pieces(stmt, pieces))]


def _work_updates(s: Session, as_of: date) -> list[tuple[int | None, int | None, datetime]]:
    """The latest update of projects and ward registrations by owner unit at the as-of date."""
    found: list[tuple[int | None, int | None, datetime]] = []
    for model in (HqProject, ModelWard):
        stmt, owner = with_owner(
            select(model.id).select_from(model),
            model,
            "unit_id",
            as_of,
            transferred=transferred_after(s, (model,), as_of, "unit_id"),
        )
        labelled = owner.label("owner_unit")
        found.extend(
            (None, u, when)
            for u, when in s.execute(
                stmt.with_only_columns(labelled, func.max(model.updated_at)).group_by(labelled)
            )
        )
    return found


def league_table(
    s: Session,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    *,
    regroup: bool = False,
    today: date | None = None,
) -> list[LeagueRow]:
    """Rank the places of the as-of date (or today's, `regroup`): on-time completion, overdue,
    disbursement, last update. The province level is not ranked against the localities."""
    return place_league(figures_by_place(s, filters, as_of, due_soon_days, regroup=regroup, today=today))


def place_league(figures: PlaceFigures) -> list[LeagueRow]:
    """One league row per place but the province level, in display order."""
    rows = []
    for place in figures.places:
        if place.key == PROVINCE_KEY:
            continue
        summary = figures.buckets.get(place.key, rules.BucketSummary(counts={}))
        rows.append(
            LeagueRow(
                code=figures.codes[place.key],
                name=place.name,
                tasks=summary.total,
                on_time=summary.count(rules.ON_TIME),
                on_time_rate=summary.on_time_rate,
                overdue=summary.count(rules.OVERDUE),
                due_soon=summary.due_soon,
                funding=figures.funding.get(place.key, Funding()),
                last_update=figures.updates.get(place.key),
                group="" if place.kind == LOCALITY else place.group_name,
                pending=summary.pending,
            )
        )
    return rows


def league_rows(
    localities: Sequence[tuple[str, str]],
    buckets: dict[str | None, rules.BucketSummary],
    funding: dict[str, Funding],
    updates: dict[str, datetime],
) -> list[LeagueRow]:
    """One league row per (code, name), from bucket counts, money and last updates by locality."""
    rows = []
    for code, name in localities:
        summary = buckets.get(code, rules.BucketSummary(counts={}))
        rows.append(
            LeagueRow(
                code=code,
                name=name,
                tasks=summary.total,
                on_time=summary.count(rules.ON_TIME),
                on_time_rate=summary.on_time_rate,
                overdue=summary.count(rules.OVERDUE),
                due_soon=summary.due_soon,
                funding=funding.get(code, Funding()),
                last_update=updates.get(code),
            )
        )
    return rows


def deadlines_by_month(
    s: Session, filters: Filters, as_of: date, due_soon_days: int, months: int = 6
) -> list[tuple[int, int, str, int]]:
    """Count unfinished tasks falling due in each of the coming months: (year, month, locality, n)."""
    rows = _deadline_rows(s, filters, as_of, due_soon_days, None, months)
    return merge_deadlines((y, m, place, n) for _piece, y, m, place, n in rows)


def merge_deadlines(rows: Iterable[tuple[int, int, str, int]]) -> list[tuple[int, int, str, int]]:
    """Add deadline counts of the same month and place (from several districts' pieces), in order."""
    total: dict[tuple[int, int, str], int] = {}
    for y, m, place, n in rows:
        total[(y, m, place)] = total.get((y, m, place), 0) + n
    return [(y, m, place, n) for (y, m, place), n in sorted(total.items())]


def _deadline_rows(
    s: Session,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    pieces: Sequence[PieceId] | None,
    months: int = 6,
) -> list[tuple[PieceId, int, int, str, int]]:
    """(piece now, year, month, the district's name, unfinished tasks due that month), for the
    coming months."""
    first = as_of.replace(day=1)
    end_year, end_month = divmod(first.month - 1 + months, 12)
    end = date(first.year + end_year, end_month + 1, 1)
    year = extract("year", Task.current_deadline)
    month = extract("month", Task.current_deadline)
    place = func.coalesce(Locality.name, "Cấp tỉnh")
    stmt = (
        select(Task.locality_id, Task.unit_id, year, month, place, func.count())
        .select_from(Task)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(Task.current_deadline >= sql_date(first), Task.current_deadline < sql_date(end))
        .where(bucket_expr(as_of).in_((rules.IN_PROGRESS, rules.NOT_DUE, rules.OVERDUE)))
        .group_by(Task.locality_id, Task.unit_id, year, month, place)
    )
    stmt = _of_pieces(filter_tasks(stmt, filters, as_of, due_soon_days), pieces)
    return [((loc, unit), int(y), int(m), str(p), int(n)) for loc, unit, y, m, p, n in s.execute(stmt)]


TASK_COLUMNS = (
    "id",
    "clause",
    "title",
    "lead_agency",
    "cooperators",
    "document",
    "basis",
    "locality",
    "original_deadline",
    "current_deadline",
    "extension_doc",
    "state",
    "progress_pct",
    "completed_on",
    "result",
    "result_doc",
    "obstacles",
    "notes",
    "bucket",
    "days_overdue",
    "request",
    "reminders",
    "direction",
    "version",
    "updated_by",
    "updated_at",
)
AssigningDocument = aliased(Document)
LINKED_CHUNK = 1000  # task ids per query of the cooperators and documents (bound parameters stay few)


def task_links(s: Session, ids: Sequence[int]) -> tuple[dict[int, str], dict[int, str]]:
    """The cooperating agencies' names and the basis documents' numbers of these tasks, each joined
    with "; " in their catalogue order: one query per 1,000 ids, never one per task."""
    names: dict[int, list[str]] = {}
    numbers: dict[int, list[str]] = {}
    for start in range(0, len(ids), LINKED_CHUNK):
        chunk = list(ids[start : start + LINKED_CHUNK])
        cooperators = (
            select(
                task_cooperator.c.task_id,
                literal("c").label("kind"),
                Agency.name.label("name"),
                Agency.sort_order.label("sort_order"),
            )
            .join(Agency, Agency.id == task_cooperator.c.agency_id)
            .where(task_cooperator.c.task_id.in_(chunk))
        )
        documents = (
            select(
                task_basis.c.task_id,
                literal("b").label("kind"),
                Document.number.label("name"),
                Document.sort_order.label("sort_order"),
            )
            .join(Document, Document.id == task_basis.c.document_id)
            .where(task_basis.c.task_id.in_(chunk))
        )
        linked = union_all(cooperators, documents).subquery()
        stmt = select(linked.c.task_id, linked.c.kind, linked.c.name).order_by(
            linked.c.task_id, linked.c.kind, linked.c.sort_order, linked.c.name
        )
        for task_id, kind, name in s.execute(stmt):
            if kind == "c":
                names.setdefault(task_id, []).append(name)
            else:
                numbers.setdefault(task_id, []).append(fmt_document_number(name))
    return (
        {task_id: "; ".join(v) for task_id, v in names.items()},
        {task_id: "; ".join(v) for task_id, v in numbers.items()},
    )


def count_tasks(
    s: Session, filters: Filters, as_of: date, due_soon_days: int, where: Sequence[ColumnElement[bool]] = ()
) -> int:
    """Count the tasks a filter (and any extra conditions) selects."""
    stmt = filter_tasks(select(func.count()).select_from(Task), filters, as_of, due_soon_days)
    return int(s.execute(stmt.where(*where)).scalar_one())


def list_tasks(
    s: Session,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    *,
    offset: int,
    limit: int,
    where: Sequence[ColumnElement[bool]] = (),
    order_by: Sequence[Any] = (),
) -> list[dict[str, Any]]:
    """Return one page of filtered tasks: overdue first, then by deadline (unless `order_by` is given)."""
    bucket = bucket_expr(as_of)
    overdue_first = case((bucket == rules.OVERDUE, 0), else_=1)
    default_order = (overdue_first, Task.current_deadline.is_(None), Task.current_deadline, Task.id)
    stmt = (
        select(
            Task.id,
            Clause.code,
            Task.title,
            Agency.name,
            AssigningDocument.number,
            Locality.name,
            Task.original_deadline,
            Task.current_deadline,
            Task.extension_doc,
            Task.state,
            Task.progress_pct,
            Task.completed_on,
            Task.result,
            Task.result_doc,
            Task.obstacles,
            Task.notes,
            bucket,
            Task.version,
            Task.updated_by,
            Task.updated_at,
        )
        .select_from(Task)
        .outerjoin(Clause, Clause.id == Task.clause_id)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .outerjoin(AssigningDocument, AssigningDocument.id == Task.document_id)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(*where)
        .order_by(*(order_by or default_order))
        .offset(offset)
        .limit(limit)
    )
    stmt = filter_tasks(stmt, filters, as_of, due_soon_days)
    derived = ("cooperators", "basis", "days_overdue", "request", "reminders", "direction")
    selected = [c for c in TASK_COLUMNS if c not in derived]
    found = [dict(zip(selected, r, strict=True)) for r in s.execute(stmt)]
    cooperators, basis = task_links(s, [row["id"] for row in found])
    waiting = requests.waiting_labels(s, [row["id"] for row in found])
    chased = reminders.summaries(s, [row["id"] for row in found])
    directions = discussion.latest_directions(s, "task", [row["id"] for row in found])
    rows = []
    for row in found:
        row["locality"] = row["locality"] or "Cấp tỉnh"
        row["document"] = fmt_document_number(row["document"]) if row["document"] is not None else None
        row["days_overdue"] = rules.days_overdue(
            row["state"], row["current_deadline"], row["completed_on"], as_of
        )
        row["cooperators"] = cooperators.get(row["id"])
        row["basis"] = basis.get(row["id"])
        row["request"] = waiting.get(row["id"])
        row["reminders"] = chased.get(row["id"])
        row["direction"] = directions.get(row["id"])
        rows.append({key: row[key] for key in TASK_COLUMNS})
    return rows


def task_row(s: Session, task_id: int, as_of: date, due_soon_days: int) -> dict[str, Any] | None:
    """One task as a row of `list_tasks`, whatever the page's filters (a link naming it), or None."""
    found = list_tasks(s, Filters(), as_of, due_soon_days, offset=0, limit=1, where=[Task.id == task_id])
    return found[0] if found else None


@dataclass(frozen=True)
class Overview:
    """Everything the overview page draws, computed in a handful of SQL queries."""

    as_of: date
    buckets_by_locality: dict[str | None, rules.BucketSummary]
    buckets: rules.BucketSummary
    funding_by_locality: dict[str, Funding]
    funding: Funding
    wards: WardCounts
    league: list[LeagueRow]
    deadlines: list[tuple[int, int, str, int]]
    places: PlaceFigures | None = None  # the league's figures by place (province level included)


def get_overview(
    s: Session,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    *,
    regroup: bool = False,
    today: date | None = None,
) -> Overview:
    """Compute the overview's KPIs, league table and chart data for one filter and date; the
    league on the structure of the as-of date, or of today (`regroup`, see `figures_by_place`)."""
    frame = overview_frame(s, filters, as_of, regroup=regroup, today=today)
    return assemble_overview(frame, task_pieces(s, frame, filters, as_of, due_soon_days), filters, as_of)


def assemble_overview(
    frame: OverviewFrame, pieces: Mapping[PieceId, TaskPiece], filters: Filters, as_of: date
) -> Overview:
    """The overview from its frame and every district's task piece (no database read)."""
    by_place = assemble_figures(frame, pieces, filters)
    by_locality = by_place.buckets_by_locality
    funding = by_place.funding_by_locality
    return Overview(
        as_of=as_of,
        buckets_by_locality=by_locality,
        buckets=total_buckets(by_locality),
        funding_by_locality=funding,
        funding=total_funding(funding),
        wards=frame.wards,
        league=place_league(by_place),
        deadlines=merge_deadlines(d for i in sorted(pieces, key=piece_order) for d in pieces[i].deadlines),
        places=by_place,
    )


def list_tasks_for_edit(
    s: Session, actor: Actor, filters: Filters, as_of: date, due_soon_days: int, *, offset: int, limit: int
) -> list[dict[str, Any]]:
    """Return one page of the tasks this actor may edit; refuse read-only roles and other localities."""
    filters = replace(filters, localities=edit_localities(actor, filters.localities, "task", "nhiệm vụ"))
    if actor.is_focal_point:
        filters = replace(filters, scope=actor.scope)
    return list_tasks(s, filters, as_of, due_soon_days, offset=offset, limit=limit)
