"""Cached reads for the pages. Every cache key holds the database URL and the version of what it
reads (`lib.data.db.Versions`, read once per rerun), so a committed write shows up on the next
rerun of every process, and a save leaves warm what it did not change:

- most loaders key on the data version, which every committed write of data raises;
- the filter lists, the issuers and the overview's frame key on the base version, which every
  write raises but a task edit (`bump_task_versions`);
- the overview's task pieces key on the base version and their own piece's version (the tasks of
  one district and xã, `lib.data.db.PieceId`); the task page's list and count on the base version
  and the versions of the pieces the list can show (`tasks_version`);
- the readers of the audit trail key on the data version and the trail's length (a refusal is
  written to the trail and nowhere else)."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, ParamSpec, TypeVar

import streamlit as st
from sqlalchemy import Engine

from lib.core import config
from lib.core.catalogue import AUDIT_EVENT, HQ_PROJECT, MODEL_WARD
from lib.core.changes import who
from lib.core.figures import RoadmapPoint
from lib.core.filters import FilterOptions, Filters, HqFilters
from lib.core.organisation import OrgMap
from lib.core.roles import Actor
from lib.core.scopes import Scope
from lib.data import (
    accounts,
    attachments,
    changes,
    choices,
    deck,
    discussion,
    followup,
    issuers,
    organisation,
    periods,
    projects,
    queries,
    registers,
    scopes,
)
from lib.data.db import PieceId, Versions, make_engine, transaction
from lib.data.models import AuditEvent, LoginAttempt
from lib.editing import attachments as attaching
from lib.editing import history
from lib.files import export, register, report

# --- cache keys ---------------------------------------------------------------------------------
#
# Streamlit hashes every argument of a cached call on every rerun. Its generic hasher copies a
# dataclass with `dataclasses.asdict` (deep-copying every frozenset of a scope) and walks the copy
# object by object; and for each positional argument it reads the function's signature again.
# For the types below, `exact_key` writes the value as one canonical text instead, and `cached`
# passes every argument by name: the same key for equal values, different keys for different ones.


def exact_key(value: Any) -> bytes:
    """A canonical text of a value for a cache key: equal values give equal texts, and different
    values different texts (a frozenset is written sorted, a dataclass with its type and every
    field). Only plain values, tuples, lists, sets, dates and dataclasses of them are accepted:
    anything else raises TypeError rather than risk two values sharing a key."""
    return _text(value).encode()


def _text(value: Any) -> str:
    if value is None or isinstance(value, (str, int, float, date)):  # bool, datetime: their own repr
        return repr(value)
    if isinstance(value, tuple):
        return "(" + "".join(_text(v) + "," for v in value) + ")"
    if isinstance(value, list):
        return "[" + "".join(_text(v) + "," for v in value) + "]"
    if isinstance(value, (frozenset, set)):
        return "{" + "".join(t + "," for t in sorted(_text(v) for v in value)) + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ",".join(f"{f.name}={_text(getattr(value, f.name))}" for f in dataclasses.fields(value))
        return f"{type(value).__module__}.{type(value).__qualname__}({fields})"
    raise TypeError(f"no exact cache key for a value of type {type(value).__qualname__}")


HASH_FUNCS: dict[str | type[Any], Callable[[Any], Any]] = {
    t: exact_key for t in (Actor, Scope, Filters, HqFilters, Versions, history.EventFilter, date)
}

P = ParamSpec("P")
R = TypeVar("R")


def cached(*, max_entries: int) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """`st.cache_data` (no spinner) with the exact keys of `HASH_FUNCS`, every argument passed by
    name (Streamlit reads the signature again for each positional one)."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        store = st.cache_data(show_spinner=False, max_entries=max_entries, hash_funcs=HASH_FUNCS)(func)
        by_name: Callable[..., R] = store
        parameters = inspect.signature(func).parameters.values()
        if any(p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters):
            raise TypeError(f"{func.__name__}: a cached loader takes plain parameters only")
        names = tuple(p.name for p in parameters)

        @functools.wraps(func)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            return by_name(**dict(zip(names, args, strict=False)), **kwargs)

        call.clear = store.clear  # type: ignore[attr-defined]
        return call

    return decorate


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return make_engine(url)


def get_engine(url: str) -> Engine:
    """Return the process-wide engine for a database URL (the URL passed by name: see `cached`)."""
    return _engine(url=url)


@cached(max_entries=32)
def load_issuers(url: str, base_version: int, day: date) -> issuers.Issuers:
    """The province's People's Committee and police valid on a day (the app's title names it);
    keyed by the base version (`RunContext.versions.base`): no task edit changes it."""
    with transaction(get_engine(url)) as s:
        return issuers.issuers_on(s, day)


@cached(max_entries=32)
def load_filter_options(url: str, base_version: int) -> FilterOptions:
    """Load the values every filter accepts; keyed by the base version (`RunContext.versions.base`):
    a task edit that changes a lead agency bumps it (`lib.editing.changeset`), no other edit of a
    task's cells changes these lists."""
    with transaction(get_engine(url)) as s:
        return queries.get_filter_options(s)


def load_overview(
    url: str,
    versions: Versions,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    regroup: bool = False,
    today: date | None = None,
) -> queries.Overview:
    """Load the overview's figures for one filter and as-of date (the league on the structure of
    that date, or regrouped under today's units).

    Assembled from pieces that stay warm through a save elsewhere: the frame (map, money, wards)
    keyed by the base version, and each piece of the tasks (those of one district and xã) keyed by
    the base version and that piece's version. A coordinator's save of a task recomputes that task's
    piece only; the sums are then exact again for the district and the province. The whole is cached
    by those versions only (not the data version, nor the trail's length, which move with writes it
    does not read)."""
    read = Versions(base=versions.base, tasks=versions.tasks)
    return _overview(url, read, filters, as_of, due_soon_days, regroup, today)


@cached(max_entries=256)
def _overview(
    url: str,
    versions: Versions,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    regroup: bool,
    today: date | None,
) -> queries.Overview:
    frame = load_overview_frame(url, versions.base, filters, as_of, regroup, today)
    pieces = _task_pieces(url, versions, frame, filters, as_of, due_soon_days, regroup, today)
    return queries.assemble_overview(frame, pieces, filters, as_of)


@cached(max_entries=64)
def load_overview_frame(
    url: str, base_version: int, filters: Filters, as_of: date, regroup: bool, today: date | None
) -> queries.OverviewFrame:
    """The overview's frame (everything but the tasks), keyed by the base version."""
    with transaction(get_engine(url)) as s:
        return queries.overview_frame(s, filters, as_of, regroup=regroup, today=today)


class PieceStore:
    """The overview's task pieces (district and xã), process-wide, the least recently used dropped
    beyond `MAX_PIECES`. Each key holds the versions the piece was read at, so a piece is never
    served after a save that could change it (see `lib.data.db.Versions`)."""

    MAX_PIECES = 8192  # about 90 filter and date combinations of the demo's 90 pieces (a few KB each)

    def __init__(self) -> None:
        self._pieces: OrderedDict[tuple[Any, ...], queries.TaskPiece] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> queries.TaskPiece | None:
        with self._lock:
            piece = self._pieces.get(key)
            if piece is not None:
                self._pieces.move_to_end(key)
            return piece

    def put(self, key: tuple[Any, ...], piece: queries.TaskPiece) -> None:
        with self._lock:
            self._pieces[key] = piece
            self._pieces.move_to_end(key)
            while len(self._pieces) > self.MAX_PIECES:
                self._pieces.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pieces)


@st.cache_resource(show_spinner=False)
def piece_store() -> PieceStore:
    """The process's store of overview pieces (emptied with `st.cache_resource` or `clear_data_caches`)."""
    return PieceStore()


def clear_data_caches() -> None:
    """Empty every cached read (the data caches and the overview's pieces), keeping the engines."""
    st.cache_data.clear()
    piece_store.clear()


def _task_pieces(
    url: str,
    versions: Versions,
    frame: queries.OverviewFrame,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    regroup: bool,
    today: date | None,
) -> dict[PieceId, queries.TaskPiece]:
    """Every task piece (district and xã): from the store where its versions still hold, the others
    read together (every piece in one pass when most are missing)."""
    store = piece_store()

    def key(piece: PieceId) -> tuple[Any, ...]:
        return (
            url,
            versions.base,
            piece,
            versions.tasks_of(piece),
            filters,
            as_of,
            due_soon_days,
            regroup,
            today,
        )

    pieces: dict[PieceId, queries.TaskPiece] = {}
    for wanted in frame.pieces:
        found = store.get(key(wanted))
        if found is not None:
            pieces[wanted] = found
    missing = [i for i in frame.pieces if i not in pieces]
    if missing:
        with transaction(get_engine(url)) as s:
            fresh = queries.task_pieces(
                s,
                frame,
                filters,
                as_of,
                due_soon_days,
                None if 2 * len(missing) > len(frame.pieces) else missing,
            )
        for piece_id in missing:
            pieces[piece_id] = fresh.get(piece_id, queries.TaskPiece())
            store.put(key(piece_id), pieces[piece_id])
    return pieces


@cached(max_entries=32)
def load_org_map(url: str, data_version: int) -> OrgMap:
    """Load the map over time: every locality, unit and agency with its validity, and every
    succession link (a few hundred rows)."""
    with transaction(get_engine(url)) as s:
        return organisation.load_map(s)


@cached(max_entries=256)
def load_view_pieces(url: str, base_version: int, filters: Filters) -> frozenset[PieceId]:
    """The pieces of the tasks a list of `filters` can show (`queries.pieces_of_view`); keyed by the
    base version: only a write that raises it can move a task to another piece or lead agency."""
    with transaction(get_engine(url)) as s:
        return queries.pieces_of_view(s, filters)


def tasks_version(url: str, versions: Versions, filters: Filters, actor: Actor | None = None) -> Versions:
    """The version of what a list of tasks reads (the key of the task page's loaders): the base version
    and the versions of the pieces its tasks can come from (an editor's scope included), so a save of
    tasks elsewhere leaves the list warm, and a save of any task it can show does not."""
    if actor is not None and actor.is_focal_point:
        filters = dataclasses.replace(filters, scope=actor.scope)  # as `queries.list_tasks_for_edit` reads
    wanted = Filters(localities=filters.localities, scope=filters.scope)
    pieces = load_view_pieces(url, versions.base, wanted)
    return Versions(base=versions.base, tasks=tuple((p, v) for p, v in versions.tasks if p in pieces))


@cached(max_entries=256)
def load_task_count(url: str, version: Versions, filters: Filters, as_of: date, due_soon_days: int) -> int:
    """Count the tasks a filter selects (`version`: `tasks_version`)."""
    with transaction(get_engine(url)) as s:
        return queries.count_tasks(s, filters, as_of, due_soon_days)


@cached(max_entries=256)
def load_task_page(
    url: str,
    version: Versions,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    page: int,
    page_size: int,
) -> list[dict[str, Any]]:
    """Load one page of filtered tasks (`version`: `tasks_version`)."""
    with transaction(get_engine(url)) as s:
        return queries.list_tasks(
            s, filters, as_of, due_soon_days, offset=(page - 1) * page_size, limit=page_size
        )


@cached(max_entries=32)
def load_task_row(
    url: str, data_version: int, task_id: int, as_of: date, due_soon_days: int
) -> dict[str, Any] | None:
    """Load one task as a list row, whatever the filters (a link naming it), or None."""
    with transaction(get_engine(url)) as s:
        return queries.task_row(s, task_id, as_of, due_soon_days)


@cached(max_entries=32)
def load_documents(url: str, data_version: int) -> list[dict[str, Any]]:
    """Load every document with the number of tasks it assigned."""
    with transaction(get_engine(url)) as s:
        return registers.list_documents(s)


@cached(max_entries=32)
def load_directory(url: str, data_version: int, day: date | None = None) -> registers.Directory:
    """Load the agencies, localities and units a new row may name (retired ones left out, and
    those not valid on `day` if given)."""
    with transaction(get_engine(url)) as s:
        return registers.get_directory(s, day)


@cached(max_entries=32)
def load_agencies(url: str, data_version: int) -> list[dict[str, Any]]:
    """Load every agency, retired ones included."""
    with transaction(get_engine(url)) as s:
        return registers.list_agencies(s)


@cached(max_entries=32)
def load_units(url: str, data_version: int) -> list[dict[str, Any]]:
    """Load every xã, phường and thị trấn, retired ones included."""
    with transaction(get_engine(url)) as s:
        return registers.list_units(s)


def load_users(url: str, data_version: int, actor: Actor) -> list[accounts.UserRow]:
    """Load the user list for an administrator (not cached: last sign-in changes without a write)."""
    with transaction(get_engine(url)) as s:
        return accounts.list_users(s, actor)


def load_login_attempts(url: str, data_version: int, actor: Actor) -> list[LoginAttempt]:
    """Load the latest failed and refused sign-ins for an administrator."""
    with transaction(get_engine(url)) as s:
        return accounts.recent_failed_logins(s, actor)


def load_locks(url: str, actor: Actor) -> list[accounts.LockRow]:
    """Load the sign-in locks in force for an administrator (not cached: they end with time)."""
    with transaction(get_engine(url)) as s:
        return accounts.list_locks(s, actor, config.now())


@cached(max_entries=256)
def load_task_page_for_edit(
    url: str,
    version: Versions,
    actor: Actor,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    page: int,
    page_size: int,
) -> list[dict[str, Any]]:
    """Load one page of the tasks this user may edit (the data layer checks the scope; `version`:
    `tasks_version` with the actor)."""
    with transaction(get_engine(url)) as s:
        return queries.list_tasks_for_edit(
            s, actor, filters, as_of, due_soon_days, offset=(page - 1) * page_size, limit=page_size
        )


@cached(max_entries=128)
def load_events(
    url: str, trail_version: tuple[int, int], f: history.EventFilter, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    """Load one page of the audit trail and the number of events the filter selects."""
    with transaction(get_engine(url)) as s:
        events = history.list_events(s, f, offset=(page - 1) * page_size, limit=page_size)
        return _event_rows(s, events), history.count_events(s, f)


@cached(max_entries=128)
def load_timeline(url: str, trail_version: tuple[int, int], entity: str, row_id: int) -> list[dict[str, Any]]:
    """Load every event of one row, oldest first."""
    with transaction(get_engine(url)) as s:
        return _event_rows(s, history.row_timeline(s, entity, row_id))


@cached(max_entries=64)
def load_actors(url: str, trail_version: tuple[int, int]) -> dict[str, str]:
    """The users who appear in the trail, by username, with their names."""
    with transaction(get_engine(url)) as s:
        names = changes.user_names(s)
        return {u: who(u, names) for u in history.list_actors(s)}


@cached(max_entries=64)
def load_changes_since(
    url: str, trail_version: tuple[int, int], since: date, today: date
) -> tuple[list[changes.PlaceChanges], int]:
    """What changed from `since` to `today`, in words, by locality (the 2,000 newest changes)."""
    with transaction(get_engine(url)) as s:
        return changes.changes_since(s, since, today)


@cached(max_entries=256)
def load_last_meeting(url: str, base_version: int, user_id: int) -> date | None:
    """The user's last meeting date, keyed by the base version (`user_admin.set_last_meeting`, the
    only write of it, raises that version): the overview asks on every run."""
    with transaction(get_engine(url)) as s:
        return accounts.last_meeting(s, user_id)


@cached(max_entries=64)
def load_newly_overdue(
    url: str, trail_version: tuple[int, int], since: date, today: date
) -> list[dict[str, Any]]:
    """List tasks that became overdue between two dates."""
    with transaction(get_engine(url)) as s:
        return history.newly_overdue(s, since, today)


@cached(max_entries=128)
def load_hq_summary(
    url: str, data_version: int, hf: HqFilters, as_of: date, stale_days: int
) -> projects.HqSummary:
    """Load the headquarters page's figures for one filter and as-of date."""
    with transaction(get_engine(url)) as s:
        return projects.get_hq_summary(s, hf, as_of, stale_days)


@cached(max_entries=128)
def load_hq_count(url: str, data_version: int, hf: HqFilters, as_of: date, stale_days: int) -> int:
    """Count the projects a filter selects."""
    with transaction(get_engine(url)) as s:
        return projects.count_hq(s, hf, as_of, stale_days)


@cached(max_entries=128)
def load_hq_page(
    url: str,
    data_version: int,
    actor: Actor | None,
    hf: HqFilters,
    as_of: date,
    stale_days: int,
    page: int,
    page_size: int,
) -> list[dict[str, Any]]:
    """Load one page of projects; with an actor, only rows that user may edit (checked by the data layer)."""
    offset = (page - 1) * page_size
    with transaction(get_engine(url)) as s:
        if actor is None:
            return projects.list_hq(s, hf, as_of, stale_days, offset=offset, limit=page_size)
        return projects.list_hq_for_edit(s, actor, hf, as_of, stale_days, offset=offset, limit=page_size)


@cached(max_entries=64)
def load_wards(
    url: str, data_version: int, actor: Actor | None, localities: tuple[str, ...], with_retired: bool = False
) -> list[dict[str, Any]]:
    """Load model-ward registrations; with an actor, only rows that user may edit."""
    with transaction(get_engine(url)) as s:
        if actor is None:
            return projects.list_wards(s, localities, with_retired=with_retired)
        return projects.list_wards_for_edit(s, actor, localities, with_retired=with_retired)


# --- what the forms that add and retire rows offer -------------------------------------------------


@cached(max_entries=64)
def load_unit_choices(
    url: str,
    data_version: int,
    localities: tuple[str, ...],
    wards_only: bool = False,
    scope: Scope | None = None,
    day: date | None = None,
) -> dict[int, str]:
    """Units that can take a new row (not retired, valid on `day` if given), of the given localities
    (all when empty); with a focal point's scope, those of their scope only."""
    with transaction(get_engine(url)) as s:
        return choices.unit_choices(s, localities, wards_only=wards_only, scope=scope, day=day)


@cached(max_entries=16)
def load_agency_choices(url: str, data_version: int, day: date | None = None) -> dict[int, str]:
    """Agencies that can lead or join a new task (not retired; valid on `day` if given)."""
    with transaction(get_engine(url)) as s:
        return choices.agency_choices(s, day)


@cached(max_entries=16)
def load_document_choices(url: str, data_version: int) -> dict[int, str]:
    """Documents that can assign a task."""
    with transaction(get_engine(url)) as s:
        return choices.document_choices(s)


@cached(max_entries=16)
def load_locality_choices(url: str, data_version: int) -> dict[int, str]:
    """The localities by id."""
    with transaction(get_engine(url)) as s:
        return choices.locality_choices(s)


@cached(max_entries=64)
def load_merge_targets(
    url: str, data_version: int, actor: Actor, entity: str, locality: str
) -> dict[int, str]:
    """The projects ("hq_project") or registrations ("model_ward") followed in a locality, that another
    row of it may be merged into (at most `choices.MAX_TARGETS`)."""
    with transaction(get_engine(url)) as s:
        return choices.merge_targets(s, actor, entity, locality)


@cached(max_entries=64)
def load_ward_roadmap(
    url: str, data_version: int, localities: tuple[str, ...], as_of: date
) -> tuple[list[RoadmapPoint], dict[str, list[str]]]:
    """Load the roadmap toward every ward by 2030 and the 2024 pilot registrations."""
    with transaction(get_engine(url)) as s:
        return projects.ward_roadmap(s, localities, as_of), projects.pilots_2024(s)


@cached(max_entries=64)
def load_followup(
    url: str, data_version: int, filters: Filters, as_of: date, due_days: int, silent_days: int, limit: int
) -> dict[str, Any]:
    """Load the follow-up page: overdue (grouped and listed), due soon, silent tasks, yearly reports."""
    with transaction(get_engine(url)) as s:
        return {
            "by_locality": followup.overdue_groups(s, filters, as_of, "locality"),
            "by_agency": followup.overdue_groups(s, filters, as_of, "agency"),
            "overdue": followup.overdue_tasks(s, filters, as_of, limit=limit),
            "due_soon": followup.due_soon_tasks(s, filters, as_of, due_days, limit=limit),
            "due_soon_total": followup.count_due_soon(s, filters, as_of, due_days),
            "silent": followup.silent_tasks(s, filters, as_of, silent_days, limit=limit),
            "silent_total": followup.count_silent_tasks(s, filters, as_of, silent_days),
            "reports": followup.yearly_reports(s, filters, as_of),
        }


@cached(max_entries=32)
def load_report(
    url: str, data_version: int, scope: str | None, as_of: date, stale_days: int
) -> report.YearEndReport:
    """Load the year-end report of the province (scope None) or one locality."""
    with transaction(get_engine(url)) as s:
        return report.build_report(s, scope, as_of, stale_days)


MAX_EXPORT_ROWS = 50_000


def export_tasks(url: str, filters: Filters, as_of: date, due_days: int, heading: str) -> bytes:
    """Every task of a filtered view as .xlsx (run when the user clicks the download button)."""
    with transaction(get_engine(url)) as s:
        rows = queries.list_tasks(s, filters, as_of, due_days, offset=0, limit=MAX_EXPORT_ROWS)
    rows = export.task_rows(rows, config.load_settings().cookie_key)
    sheet = export.Sheet("Nhiệm vụ", heading, as_of, export.TASK_LAYOUT, rows)
    return export.workbook_bytes([sheet])


def export_register_template(url: str) -> bytes:
    """The register template with the catalogue's names to copy from (built when it is clicked)."""
    with transaction(get_engine(url)) as s:
        lists = register.template_lists(s)
    return register.template_bytes(lists)


FOLLOWUP_HEADINGS = {
    "overdue": "Nhiệm vụ quá hạn, chưa hoàn thành (quá hạn lâu nhất trước)",
    "due_soon": "Nhiệm vụ đến hạn trong {days} ngày tới",
    "silent": "Nhiệm vụ chưa hoàn thành không được cập nhật quá {days} ngày",
}


def export_followup(url: str, kind: str, filters: Filters, as_of: date, days: int) -> bytes:
    """One follow-up list in full as .xlsx, for the office's reminder letter."""
    with transaction(get_engine(url)) as s:
        if kind == "overdue":
            rows = followup.overdue_tasks(s, filters, as_of, limit=MAX_EXPORT_ROWS)
        elif kind == "due_soon":
            rows = followup.due_soon_tasks(s, filters, as_of, days, limit=MAX_EXPORT_ROWS)
        else:
            rows = followup.silent_tasks(s, filters, as_of, days, limit=MAX_EXPORT_ROWS)
    heading = FOLLOWUP_HEADINGS[kind].format(days=days)
    rows = export.task_rows(rows, config.load_settings().cookie_key)
    sheet = export.Sheet("Danh sách", heading, as_of, export.TASK_LAYOUT, rows)
    return export.workbook_bytes([sheet])


def export_hq(url: str, hf: HqFilters, as_of: date, stale_days: int) -> bytes:
    """Every headquarters project of a filtered view as .xlsx."""
    with transaction(get_engine(url)) as s:
        rows = projects.list_hq(s, hf, as_of, stale_days, offset=0, limit=MAX_EXPORT_ROWS)
    sheet = export.Sheet(
        "Trụ sở",
        "Dự án trụ sở Công an phường",
        as_of,
        export.HQ_LAYOUT,
        [export.readable(r, HQ_PROJECT) for r in rows],
    )
    return export.workbook_bytes([sheet])


def export_wards(url: str, localities: tuple[str, ...], as_of: date, with_retired: bool = False) -> bytes:
    """Every model-ward registration of the chosen localities as .xlsx (followed; or all)."""
    with transaction(get_engine(url)) as s:
        rows = projects.list_wards(s, localities, with_retired=with_retired)
    sheet = export.Sheet(
        "Phường kiểu mẫu",
        "Phường đăng ký kiểu mẫu",
        as_of,
        export.WARD_LAYOUT,
        [export.readable(r, MODEL_WARD) for r in rows],
    )
    return export.workbook_bytes([sheet])


def _event_rows(s: Any, events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    """Audit events as the trail shows them: names, titles and the change in words."""
    return [
        {
            "id": c.event_id,
            "at": c.at,
            "actor": c.who,
            "action": AUDIT_EVENT.shown("action", e.action),
            "action_code": e.action,
            "entity": AUDIT_EVENT.shown("entity", e.entity),
            "title": c.title,
            "change": c.text,
            "reason": e.reason,
            "row_id": e.row_id,
            "row_version": e.row_version,
        }
        for c, e in zip(changes.describe(s, events), events, strict=True)
    ]


def load_scope_admin(url: str, data_version: int, actor: Actor, today: date) -> scopes.ScopeAdmin:
    """Load the administrator's scope panel (not cached: a few hundred rows, admin only)."""
    with transaction(get_engine(url)) as s:
        return scopes.scope_admin(s, actor, today)


# --- evidence files (issue 17) ----------------------------------------------------------------------


@cached(max_entries=256)
def load_attachments(url: str, data_version: int, entity: str, row_id: int) -> list[attachments.FileRow]:
    """Load the files of one row (never their bytes)."""
    with transaction(get_engine(url)) as s:
        return attachments.list_files(s, entity, row_id)


@cached(max_entries=256)
def load_may_attach(url: str, data_version: int, actor: Actor, entity: str, row_id: int) -> bool:
    """Whether this user may attach files to the row (the write checks again)."""
    with transaction(get_engine(url)) as s:
        return attaching.may_attach(s, actor, entity, row_id)


def list_attachments(url: str, entity: str, row_id: int) -> list[attachments.FileRow]:
    """The files of one row read now (not cached), in the run that has just added or removed one."""
    with transaction(get_engine(url)) as s:
        return attachments.list_files(s, entity, row_id)


def read_attachment(url: str, attachment_id: int) -> bytes | None:
    """The bytes of one file, read when its download is clicked (never cached: up to 10 MB each)."""
    with transaction(get_engine(url)) as s:
        return attachments.read_content(s, attachment_id)


# --- the meeting pack (issue 18) --------------------------------------------------------------------


@cached(max_entries=32)
def load_deck(
    url: str, data_version: int, filters: Filters, as_of: date, due_soon_days: int, scope: str, today: date
) -> deck.Deck:
    """Load the meeting pack for a filter and an as-of date (the page and both files draw it)."""
    with transaction(get_engine(url)) as s:
        return deck.build_deck(s, filters, as_of, due_soon_days, scope=scope, today=today)


@cached(max_entries=8)
def deck_pptx(
    url: str, data_version: int, filters: Filters, as_of: date, due_soon_days: int, scope: str, today: date
) -> bytes:
    """The meeting pack as .pptx, built once per data version, date and filter."""
    from lib.files import deck as deck_files  # python-pptx and fpdf2 load on the first download only

    return deck_files.pptx_bytes(load_deck(url, data_version, filters, as_of, due_soon_days, scope, today))


@cached(max_entries=8)
def deck_pdf(
    url: str, data_version: int, filters: Filters, as_of: date, due_soon_days: int, scope: str, today: date
) -> bytes:
    """The meeting pack as PDF, built once per data version, date and filter."""
    from lib.files import deck as deck_files  # python-pptx and fpdf2 load on the first download only

    return deck_files.pdf_bytes(load_deck(url, data_version, filters, as_of, due_soon_days, scope, today))


# --- discussion (issue 17) ------------------------------------------------------------------------


@cached(max_entries=32)
def load_recent_directions(url: str, data_version: int, limit: int = 5) -> list[discussion.Direction]:
    """The newest directions on any row (meeting mode), cached by the data version."""
    with transaction(get_engine(url)) as s:
        return discussion.recent_directions(s, limit)


@cached(max_entries=256)
def load_awaiting(url: str, data_version: int, username: str, role: str) -> discussion.Awaiting:
    """What waits for one user ("Việc chờ bạn"): a mention or a request changes the data version."""
    with transaction(get_engine(url)) as s:
        return discussion.awaiting(s, username, role)


@cached(max_entries=256)
def load_project_years(url: str, data_version: int, project_id: int) -> list[periods.ProjectYearRow]:
    """One headquarters project's money per year (plan and disbursed), cached by the data version."""
    with transaction(get_engine(url)) as s:
        return periods.project_years(s, project_id)
