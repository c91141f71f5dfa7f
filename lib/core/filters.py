"""Filters of the overview and task pages, and their round trip through the URL query string.

A filtered view is shared as a link: `?dia_ban=luc-ngan&muc=3&ngay=2026-11-29`. Unknown values
are dropped with a Vietnamese warning rather than failing the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from lib.core.roles import Actor
from lib.core.rules import BUCKET_LABELS, BUCKETS
from lib.core.scopes import Scope

PROVINCE_LEVEL = "cap-tinh"  # tasks of Công an tỉnh and the departments: no locality
DUE_SOON = "sap-den-han"
EARLIEST_AS_OF, LATEST_AS_OF = date(2020, 1, 1), date(2100, 12, 31)  # the dates figures can be asked for
AS_OF_LABEL = "Số liệu tính đến ngày"  # the date box of every page

# URL spelling of each bucket code.
BUCKET_SLUGS = {
    "dung_han": "dung-han",
    "tre_han": "tre-han",
    "trong_han": "trong-han",
    "qua_han": "qua-han",
    "chua_den_han": "chua-den-han",
    "loai_tru": "tam-dung-huy",
}
SLUG_BUCKETS = {slug: code for code, slug in BUCKET_SLUGS.items()}

PARAM_LOCALITY = "dia_ban"
PARAM_CLAUSE = "muc"
PARAM_DOCUMENT = "van_ban"  # a document the tasks rest on (căn cứ)
PARAM_ASSIGNING = "van_ban_giao"  # the document that assigned the tasks (giao)
PARAM_AGENCY = "chu_tri"
PARAM_COOPERATOR = "phoi_hop"
PARAM_BUCKET = "tinh_trang"
PARAM_AS_OF = "ngay"
PARAM_PAGE = "trang"
PARAM_SINCE = "tu"  # /lich-su: what changed since this date (the last meeting)
PARAM_STAGE = "giai_doan"
PARAM_FLAG = "canh_bao"
PARAM_REGROUP = "gop"  # "1": figures by place regrouped under today's units (lib.data.organisation)

REGROUP_LABEL = "Gộp theo đơn vị hiện nay"
REGROUP_HELP = (
    "Tắt: số liệu theo các địa bàn có hiệu lực tại ngày tính số liệu. "
    "Bật: toàn bộ số liệu, kể cả các năm trước, gộp theo các xã, phường hiện nay (theo địa bàn cũ)."
)


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the view to; an empty tuple means no restriction."""

    localities: tuple[str, ...] = ()
    clauses: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()  # documents the tasks rest on (căn cứ)
    agencies: tuple[str, ...] = ()  # lead agencies (chủ trì)
    buckets: tuple[str, ...] = ()  # bucket codes, plus DUE_SOON
    cooperators: tuple[str, ...] = ()  # cooperating agencies (phối hợp): tasks with any of them
    assigning: tuple[str, ...] = ()  # documents that assigned the tasks (giao)
    # A focal point's editor: only the rows of this scope (never in the URL; set by `edit_scope`).
    scope: Scope | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.localities
            or self.clauses
            or self.documents
            or self.agencies
            or self.buckets
            or self.cooperators
            or self.assigning
        )


@dataclass(frozen=True)
class FilterOptions:
    """The values each filter accepts, with their Vietnamese labels, in display order."""

    localities: Mapping[str, str] = field(default_factory=dict)
    clauses: Mapping[str, str] = field(default_factory=dict)
    documents: Mapping[str, str] = field(default_factory=dict)
    agencies: Mapping[str, str] = field(default_factory=dict)  # those that lead a task
    cooperators: Mapping[str, str] = field(default_factory=dict)  # those that cooperate on a task

    @property
    def buckets(self) -> dict[str, str]:
        labels = {code: BUCKET_LABELS[code] for code in BUCKETS}
        labels[DUE_SOON] = "Sắp đến hạn"
        return labels


def _split(raw: str | Sequence[str] | None) -> list[str]:
    if raw is None:
        return []
    parts = [raw] if isinstance(raw, str) else list(raw)
    return [p.strip() for part in parts for p in part.split(",") if p.strip()]


def _pick(
    raw: str | Sequence[str] | None, allowed: Mapping[str, str], what: str, warnings: list[str]
) -> tuple[str, ...]:
    chosen: list[str] = []
    for value in _split(raw):
        if value in allowed:
            if value not in chosen:
                chosen.append(value)
        else:
            warnings.append(f"Không có {what} “{value[:40]}” — đã bỏ qua bộ lọc này.")
    return tuple(chosen)


def parse_filters(
    params: Mapping[str, str | Sequence[str]], options: FilterOptions
) -> tuple[Filters, list[str]]:
    """Read filters from query parameters; return them with warnings about unknown values."""
    warnings: list[str] = []
    bucket_values = []
    for value in _split(params.get(PARAM_BUCKET)):
        bucket_values.append(SLUG_BUCKETS.get(value, DUE_SOON if value == DUE_SOON else value))
    filters = Filters(
        localities=_pick(params.get(PARAM_LOCALITY), options.localities, "địa bàn", warnings),
        clauses=_pick(params.get(PARAM_CLAUSE), options.clauses, "mục", warnings),
        documents=_pick(params.get(PARAM_DOCUMENT), options.documents, "văn bản", warnings),
        agencies=_pick(params.get(PARAM_AGENCY), options.agencies, "cơ quan chủ trì", warnings),
        buckets=_pick(bucket_values, options.buckets, "tình trạng", warnings),
        cooperators=_pick(params.get(PARAM_COOPERATOR), options.cooperators, "cơ quan phối hợp", warnings),
        assigning=_pick(params.get(PARAM_ASSIGNING), options.documents, "văn bản giao", warnings),
    )
    return filters, warnings


def filters_to_params(filters: Filters) -> dict[str, str]:
    """Write filters as query parameters (only the ones in use)."""
    params = {
        PARAM_LOCALITY: ",".join(filters.localities),
        PARAM_CLAUSE: ",".join(filters.clauses),
        PARAM_DOCUMENT: ",".join(filters.documents),
        PARAM_AGENCY: ",".join(filters.agencies),
        PARAM_BUCKET: ",".join(BUCKET_SLUGS.get(b, b) for b in filters.buckets),
        PARAM_COOPERATOR: ",".join(filters.cooperators),
        PARAM_ASSIGNING: ",".join(filters.assigning),
    }
    return {key: value for key, value in params.items() if value}


@dataclass(frozen=True)
class HqFilters:
    """What the headquarters page is narrowed to: localities, stages and flags (any of them); the
    list holds the projects followed, and also the stopped, cancelled and merged ones on request."""

    localities: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    with_retired: bool = False
    scope: Scope | None = None  # a focal point's editor: only the projects of this scope


def parse_choices(
    raw: str | Sequence[str] | None, allowed: Mapping[str, str], what: str
) -> tuple[tuple[str, ...], list[str]]:
    """Read a comma-separated list of codes from the URL; unknown ones are dropped with a warning."""
    warnings: list[str] = []
    return _pick(raw, allowed, what, warnings), warnings


def parse_as_of(raw: str | Sequence[str] | None, default: date) -> tuple[date, str | None]:
    """Read the as-of date (yyyy-mm-dd or dd/mm/yyyy); fall back to `default` with a warning that
    says whether the text is no date at all or a date outside the range figures can be asked for."""
    values = _split(raw)
    if not values:
        return default, None
    text = values[0]
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if EARLIEST_AS_OF <= parsed <= LATEST_AS_OF:
            return parsed, None
        return default, (
            f"Ngày “{text[:40]}” nằm ngoài khoảng có số liệu "
            f"({EARLIEST_AS_OF:%d/%m/%Y}–{LATEST_AS_OF:%d/%m/%Y}) — đang dùng ngày {default:%d/%m/%Y}."
        )
    return default, f"Ngày “{text[:40]}” không hợp lệ — đang dùng ngày {default:%d/%m/%Y}."


def parse_flag(raw: str | Sequence[str] | None) -> bool:
    """Read an on/off URL parameter: "1" (or "true", "co") is on, anything else off."""
    values = _split(raw)
    return bool(values) and values[0].lower() in ("1", "true", "co")


def parse_page(raw: str | Sequence[str] | None, page_count: int) -> int:
    """Read a 1-based page number, clamped to the pages that exist."""
    values = _split(raw)
    try:
        page = int(values[0]) if values else 1
    except ValueError:
        page = 1
    return max(1, min(page, max(page_count, 1)))


@dataclass(frozen=True)
class EditScope:
    """What the task table shows this user, and whether they may edit it."""

    filters: Filters
    editable: bool
    note: str = ""


def edit_scope(actor: Actor, filters: Filters, options: FilterOptions, noun: str = "nhiệm vụ") -> EditScope:
    """Narrow a focal point's view to the rows of their scope (in SQL, lib/data/scopes.py), with the
    other filters kept; read-only roles see everything read-only."""
    if not actor.can_write:
        return EditScope(filters, False)
    if not actor.is_focal_point:
        return EditScope(filters, True, "Bạn có thể sửa trực tiếp trong bảng, rồi bấm Lưu.")
    # Exactly their rows: the scope in place of the locality filter (other filters still apply).
    narrowed = replace(filters, localities=(), scope=actor.scope)
    if actor.scope.is_empty:
        return EditScope(
            narrowed,
            True,
            "Tài khoản của bạn chưa được giao địa phương, đơn vị hay cơ quan nào nên bảng không có dòng nào "
            "để sửa; đề nghị quản trị hệ thống giao phạm vi.",
        )
    note = (
        f"Bảng chỉ gồm {noun} của {actor.scope.describe()}, phạm vi bạn phụ trách. "
        "Sửa trực tiếp trong bảng, rồi bấm Lưu."
    )
    if filters.localities:
        note += " Bộ lọc địa bàn khác được bỏ qua ở đây; xem các địa bàn khác ở trang Tổng quan."
    return EditScope(narrowed, True, note)


def place_params(filters: Filters, as_of: date, today: date) -> dict[str, str]:
    """The URL of the same places and date, for pages that filter by locality only."""
    named = tuple(c for c in filters.localities if c != PROVINCE_LEVEL)
    return place_and_filter_params(Filters(localities=named), as_of, today)


def place_and_filter_params(filters: Filters, as_of: date, today: date) -> dict[str, str]:
    """The URL of the same filtered view."""
    params = filters_to_params(filters)
    if as_of != today:
        params[PARAM_AS_OF] = as_of.isoformat()
    return params


def describe_filters(filters: Filters, options: FilterOptions) -> str:
    """Say in words what a filtered view covers."""
    parts = []
    for values, labels in (
        (filters.localities, options.localities),
        (filters.clauses, options.clauses),
        (filters.documents, options.documents),
        (filters.agencies, options.agencies),
        (filters.buckets, options.buckets),
        (filters.cooperators, options.cooperators),
        (filters.assigning, options.documents),
    ):
        if values:
            parts.append(", ".join(labels.get(v, v) for v in values))
    return "; ".join(parts)
