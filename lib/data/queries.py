"""Read queries: aggregation happens in SQL, pages get small aggregates and one page of rows.

Every function takes the caller's Session first and never commits or closes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from lib.core import rules
from lib.core.figures import Funding, total_funding
from lib.core.filters import DUE_SOON, PROVINCE_LEVEL, FilterOptions, Filters, HqFilters
from lib.core.formatting import fmt_document_number
from lib.core.roles import Actor
from lib.data import projects
from lib.data.models import (
    Agency,
    Clause,
    Document,
    HqProject,
    Locality,
    ModelWard,
    Task,
    Unit,
    task_basis,
    task_cooperator,
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
    stmt = (
        select(Locality.code, bucket, func.count(), soon)
        .select_from(Task)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .group_by(Locality.code, bucket)
    )
    stmt = filter_tasks(stmt, filters, as_of, due_soon_days)
    counts: dict[str | None, dict[str, int]] = {}
    due: dict[str | None, int] = {}
    for code, bucket_code, n, n_soon in s.execute(stmt):
        counts.setdefault(code, {})[bucket_code] = int(n)
        due[code] = due.get(code, 0) + int(n_soon or 0)
    return {code: rules.BucketSummary(counts=c, due_soon=due[code]) for code, c in counts.items()}


def total_buckets(by_locality: dict[str | None, rules.BucketSummary]) -> rules.BucketSummary:
    """Add per-locality summaries into one."""
    counts: dict[str, int] = {}
    for summary in by_locality.values():
        for code, n in summary.counts.items():
            counts[code] = counts.get(code, 0) + n
    return rules.BucketSummary(counts=counts, due_soon=sum(x.due_soon for x in by_locality.values()))


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
    """Count wards registered for the model-ward pilot by the as-of year, and those recognised."""
    stmt = (
        select(
            func.count(func.distinct(ModelWard.unit_id)),
            func.count(func.distinct(case((ModelWard.recognised_on <= sql_date(as_of), ModelWard.unit_id)))),
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
    code: str
    name: str
    tasks: int
    on_time: int
    on_time_rate: float | None
    overdue: int
    due_soon: int
    funding: Funding
    last_update: datetime | None


def league_table(s: Session, filters: Filters, as_of: date, due_soon_days: int) -> list[LeagueRow]:
    """Rank the four localities: on-time completion, overdue, disbursement, last update."""
    return _league_rows(
        s,
        filters,
        count_buckets_by_locality(s, filters, as_of, due_soon_days),
        funding_by_locality(s, filters.localities),
    )


def _league_rows(
    s: Session,
    filters: Filters,
    buckets: dict[str | None, rules.BucketSummary],
    funding: dict[str, Funding],
) -> list[LeagueRow]:
    localities = [
        (code, name)
        for code, name in s.execute(select(Locality.code, Locality.name).order_by(Locality.sort_order))
    ]
    if filters.localities:
        localities = [(c, n) for c, n in localities if c in filters.localities]
    return league_rows(localities, buckets, funding, last_update_by_locality(s))


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
    first = as_of.replace(day=1)
    end_year, end_month = divmod(first.month - 1 + months, 12)
    end = date(first.year + end_year, end_month + 1, 1)
    year = extract("year", Task.current_deadline)
    month = extract("month", Task.current_deadline)
    place = func.coalesce(Locality.name, "Cấp tỉnh")
    stmt = (
        select(year, month, place, func.count())
        .select_from(Task)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(Task.current_deadline >= sql_date(first), Task.current_deadline < sql_date(end))
        .where(bucket_expr(as_of).in_((rules.IN_PROGRESS, rules.NOT_DUE, rules.OVERDUE)))
        .group_by(year, month, place)
        .order_by(year, month, place)
    )
    stmt = filter_tasks(stmt, filters, as_of, due_soon_days)
    return [(int(y), int(m), str(p), int(n)) for y, m, p, n in s.execute(stmt)]


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
    selected = [c for c in TASK_COLUMNS if c not in ("cooperators", "basis", "days_overdue")]
    found = [dict(zip(selected, r, strict=True)) for r in s.execute(stmt)]
    cooperators, basis = task_links(s, [row["id"] for row in found])
    rows = []
    for row in found:
        row["locality"] = row["locality"] or "Cấp tỉnh"
        row["document"] = fmt_document_number(row["document"]) if row["document"] is not None else None
        row["days_overdue"] = rules.days_overdue(
            row["state"], row["current_deadline"], row["completed_on"], as_of
        )
        row["cooperators"] = cooperators.get(row["id"])
        row["basis"] = basis.get(row["id"])
        rows.append({key: row[key] for key in TASK_COLUMNS})
    return rows


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


def get_overview(s: Session, filters: Filters, as_of: date, due_soon_days: int) -> Overview:
    """Compute the overview's KPIs, league table and chart data for one filter and date."""
    by_locality = count_buckets_by_locality(s, filters, as_of, due_soon_days)
    funding = funding_by_locality(s, filters.localities)
    return Overview(
        as_of=as_of,
        buckets_by_locality=by_locality,
        buckets=total_buckets(by_locality),
        funding_by_locality=funding,
        funding=total_funding(funding),
        wards=model_ward_counts(s, filters.localities, as_of),
        league=_league_rows(s, filters, by_locality, funding),
        deadlines=deadlines_by_month(s, filters, as_of, due_soon_days),
    )


def list_tasks_for_edit(
    s: Session, actor: Actor, filters: Filters, as_of: date, due_soon_days: int, *, offset: int, limit: int
) -> list[dict[str, Any]]:
    """Return one page of the tasks this actor may edit; refuse read-only roles and other localities."""
    filters = replace(filters, localities=edit_localities(actor, filters.localities, "task", "nhiệm vụ"))
    if actor.is_focal_point:
        filters = replace(filters, scope=actor.scope)
    return list_tasks(s, filters, as_of, due_soon_days, offset=offset, limit=limit)
