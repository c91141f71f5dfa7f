"""Shared Streamlit pieces: start-up checks, the page list, the filter bar, captions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import streamlit as st
from sqlalchemy import Engine

from lib import auth, config
from lib.db import DatabaseError, SchemaMissing, check_database
from lib.filters import (
    PARAM_AGENCY,
    PARAM_AS_OF,
    PARAM_BUCKET,
    PARAM_CLAUSE,
    PARAM_DOCUMENT,
    PARAM_LOCALITY,
    PARAM_PAGE,
    PROVINCE_LEVEL,
    FilterOptions,
    Filters,
    filters_to_params,
    parse_as_of,
    parse_choices,
    parse_filters,
    parse_page,
)
from lib.formatting import fmt_date, fmt_int
from lib.loaders import get_engine
from lib.roles import ADMIN, DIEU_PHOI, ROLE_LABELS, Actor, Refused

_CONTEXT_KEY = "_run_context"


@dataclass(frozen=True)
class RunContext:
    """What every page needs for this rerun: settings, database URL and its data version."""

    settings: config.Settings
    database_url: str
    data_version: int
    today: date
    actor: Actor | None = None
    # Set while the database cannot be reached: pages show what this process last read, and say so.
    outage: str | None = None
    # The server-side session the actor was last confirmed with, and when (outage mode relies on it).
    session_key: str | None = None
    confirmed_at: datetime | None = None

    @property
    def engine(self) -> Engine:
        return get_engine(self.database_url)


def start() -> RunContext:
    """Check settings and the database once per rerun; stop with a clear message if unusable."""
    _leave_legacy_multipage_mode()
    try:
        settings = config.load_settings()
    except config.ConfigError as exc:
        st.error(f"Cấu hình chưa đúng: {exc}")
        st.stop()
    url = settings.database_url
    try:
        data_version = check_database(get_engine(url))
    except SchemaMissing as exc:
        st.error(str(exc), icon="⚠️")
        st.stop()
    except DatabaseError as exc:
        last = _LAST_SEEN.get(url)
        if last is None:  # nothing read yet in this process: nothing to show
            st.error(str(exc), icon="⚠️")
            st.stop()
        version, when = last
        outage = (
            "Mất kết nối tới cơ sở dữ liệu. Đang hiển thị số liệu đọc lần cuối lúc "
            f"{when:%H:%M %d/%m/%Y} (có thể chưa mới nhất); tạm thời không lưu được, bản nháp vẫn được "
            "giữ. Trang tự trở lại bình thường khi cơ sở dữ liệu hoạt động lại: tải lại trang sau ít phút."
        )
        return RunContext(settings, url, version, config.today(), outage=outage)
    _LAST_SEEN[url] = (data_version, config.now())
    return RunContext(settings, url, data_version, config.today())


# The data version each database last answered with in this process, and when. Never a source of
# truth: only what an outage falls back to, so cached figures stay readable (clearly marked).
_LAST_SEEN: dict[str, tuple[int, datetime]] = {}


def _leave_legacy_multipage_mode() -> None:
    """Rerun at once if Streamlit started this process in its legacy `pages/` folder mode.

    Because app.py sits next to a `pages/` folder, Streamlit runs the first script of each new
    server process as a legacy multipage app (its own page list, widgets keyed to another page),
    until st.navigation has run once. A sign-in form drawn in that run loses its submission, so
    that run is cut short here and the app starts over in st.navigation mode.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def sign_in(ctx: RunContext) -> RunContext:
    """Sign the user in (or draw the form and stop); remember the context for the pages.

    During an outage a browser session that was signed in keeps reading what is cached (nothing
    can be written, and the session is checked again as soon as the database answers); a new
    visitor gets the message and nothing else.
    """
    if ctx.outage is not None:
        previous = st.session_state.get(_CONTEXT_KEY)
        still_signed_in = (
            isinstance(previous, RunContext)
            and previous.actor is not None
            and previous.session_key is not None
            and previous.session_key == auth.signed_in_session()  # not signed out since
            and previous.confirmed_at is not None
            and config.now() - previous.confirmed_at < timedelta(hours=ctx.settings.cookie_hours)
        )
        if not still_signed_in:
            st.session_state.pop(_CONTEXT_KEY, None)
            st.error(ctx.outage.split(". ")[0] + ". Vui lòng thử lại sau ít phút.", icon="⚠️")
            st.stop()
        assert isinstance(previous, RunContext)
        st.warning(ctx.outage, icon="⚠️")
        ctx = replace(
            ctx, actor=previous.actor, session_key=previous.session_key, confirmed_at=previous.confirmed_at
        )
        st.session_state[_CONTEXT_KEY] = ctx
        return ctx
    st.session_state.pop(_CONTEXT_KEY, None)  # until this run confirms who is signed in
    try:
        actor = auth.sign_in(ctx.engine, ctx.settings, lambda: st.navigation(all_pages(), position="hidden"))
    except DatabaseError as exc:  # the database failed during the sign-in itself: say so, keep nothing
        st.error(str(exc), icon="⚠️")
        st.stop()
    ctx = replace(ctx, actor=actor, session_key=auth.signed_in_session(), confirmed_at=config.now())
    st.session_state[_CONTEXT_KEY] = ctx
    return ctx


def context(*roles: str) -> RunContext:
    """Return this rerun's context; refuse the page to a role not in `roles` (if given).

    A page normally runs after app.py has signed the user in. Streamlit may also run a file of
    `pages/` on its own (its legacy multipage mode, on the first run of a new server process), so
    a page with no context signs the user in itself rather than trusting anything.
    """
    ctx = st.session_state.get(_CONTEXT_KEY)
    if not isinstance(ctx, RunContext) or ctx.actor is None:
        ctx = sign_in(start())
    assert ctx.actor is not None
    if roles and ctx.actor.role not in roles:
        st.error(f"Vai trò “{ROLE_LABELS[ctx.actor.role]}” không được mở trang này.")
        st.stop()
    return ctx


_PAGES = (
    # file, title, icon, url path, roles (None: every role)
    ("pages/overview.py", "Tổng quan", ":material/dashboard:", "", None),
    ("pages/tasks.py", "Nhiệm vụ", ":material/checklist:", "nhiem-vu", None),
    ("pages/hq.py", "Trụ sở, kinh phí", ":material/domain:", "tru-so", None),
    ("pages/wards.py", "Phường kiểu mẫu", ":material/verified:", "phuong-kieu-mau", None),
    ("pages/followup.py", "Quá hạn, đôn đốc", ":material/alarm:", "qua-han", None),
    ("pages/report.py", "Báo cáo năm", ":material/summarize:", "bao-cao", None),
    ("pages/history.py", "Lịch sử", ":material/history:", "lich-su", None),
    ("pages/admin.py", "Quản trị", ":material/manage_accounts:", "quan-tri", (ADMIN,)),
    ("pages/account.py", "Tài khoản", ":material/person:", "tai-khoan", None),
)


def _page(path: str, title: str, icon: str, url: str) -> st.Page:
    return st.Page(config.PROJECT_ROOT / path, title=title, icon=icon, url_path=url or None, default=not url)


def pages(actor: Actor) -> list[st.Page]:
    """List the pages this user's role may open."""
    return [_page(p, t, i, u) for p, t, i, u, roles in _PAGES if roles is None or actor.role in roles]


def all_pages() -> list[st.Page]:
    """List every page, for routing the URL while the sign-in form is shown."""
    return [_page(p, t, i, u) for p, t, i, u, _ in _PAGES]


def show_refusal(exc: Refused) -> None:
    """Show why an action was refused."""
    st.error(exc.message, icon="🚫")


def as_of_caption(as_of: date) -> None:
    """Show the date every quoted figure refers to."""
    st.markdown(f"**Số liệu tính đến ngày {fmt_date(as_of)}**")


def _url_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


_FILTER_FIELDS = {
    # name: (Filters attribute, URL parameter, label)
    "loc": ("localities", PARAM_LOCALITY, "Địa bàn"),
    "clause": ("clauses", PARAM_CLAUSE, "Mục của công văn"),
    "doc": ("documents", PARAM_DOCUMENT, "Văn bản căn cứ"),
    "agency": ("agencies", PARAM_AGENCY, "Cơ quan chủ trì"),
    "bucket": ("buckets", PARAM_BUCKET, "Tình trạng"),
}


def filter_bar(
    prefix: str, options: FilterOptions, today: date, fields: Sequence[str] = tuple(_FILTER_FIELDS)
) -> tuple[Filters, date]:
    """Draw the sidebar filters, kept in step with the URL so a view can be shared as a link.

    A page that draws only some `fields` leaves the others as they were, so the user finds them
    again on the pages that use them.
    """
    state = st.session_state
    params = _url_params()
    owned = (*(_FILTER_FIELDS[name][1] for name in fields), PARAM_AS_OF)
    url_filters, warnings = parse_filters({k: v for k, v in params.items() if k in owned}, options)
    url_as_of, date_warning = parse_as_of(params.get(PARAM_AS_OF), today)
    for message in [*warnings, *([date_warning] if date_warning else [])]:
        st.warning(message, icon="⚠️")

    keys = {name: f"{prefix}_f_{name}" for name in fields}
    choices_of = {
        "loc": options.localities,
        "clause": options.clauses,
        "doc": options.documents,
        "agency": options.agencies,
        "bucket": options.buckets,
    }
    as_of_key = f"{prefix}_as_of"
    remembered = state.get("_filters", Filters())
    if as_of_key not in state:
        from_url = any(p in params for p in owned)
        base = url_filters if from_url else remembered
        for name, key in keys.items():
            offered = choices_of[name]
            state[key] = [v for v in getattr(base, _FILTER_FIELDS[name][0]) if v in offered]
        state[as_of_key] = url_as_of if from_url else state.get("_as_of", today)

    def _clear() -> None:
        for key in [*keys.values(), *state.get(f"_{prefix}_extra_filters", ())]:
            state[key] = []
        state[as_of_key] = today

    chosen = {name: tuple(getattr(remembered, attr)) for name, (attr, _, _) in _FILTER_FIELDS.items()}
    with st.sidebar:
        st.subheader("Bộ lọc")
        # Each widget also gets its current value as its default: Streamlit's frontend was seen to
        # report a keyed widget's default after a quick rerun (a filter snapping back to "Tất cả"
        # after a reload or a click); with default = value, that report changes nothing.
        as_of = st.date_input(
            "Số liệu tính đến ngày",
            value=state[as_of_key],
            key=as_of_key,
            format="DD/MM/YYYY",
            min_value=date(2020, 1, 1),
            max_value=date(2100, 12, 31),
        )
        for name in fields:
            choices = choices_of[name]
            values = st.multiselect(
                _FILTER_FIELDS[name][2],
                options=list(choices),
                default=[v for v in state[keys[name]] if v in choices],
                key=keys[name],
                format_func=lambda code, c=choices: c.get(code, code),  # type: ignore[misc]
                placeholder="Tất cả",
            )
            chosen[name] = tuple(values)
        st.button("Xóa bộ lọc", key=f"{prefix}_clear", on_click=_clear, width="stretch")

    # Remember every filter for the pages that draw it (a locality this page does not offer, such
    # as "Cấp tỉnh" on the headquarters page, stays remembered), but return only those drawn here:
    # a filter the user cannot see must never narrow what this page shows.
    hidden_places = tuple(c for c in remembered.localities if c not in options.localities)
    state["_filters"] = Filters(
        localities=chosen["loc"] + (hidden_places if "loc" in fields else ()),
        clauses=chosen["clause"],
        documents=chosen["doc"],
        agencies=chosen["agency"],
        buckets=chosen["bucket"],
    )
    filters = Filters(
        **{attr: chosen[name] if name in fields else () for name, (attr, _, _) in _FILTER_FIELDS.items()}
    )
    as_of = as_of if isinstance(as_of, date) else today
    state["_as_of"] = as_of
    wanted = {k: v for k, v in filters_to_params(filters).items() if k in owned}
    if as_of != today:
        wanted[PARAM_AS_OF] = as_of.isoformat()
    sync_query_params(wanted, owned=owned)
    return filters, as_of


def choice_filter(
    prefix: str, label: str, param: str, choices: Mapping[str, str], what: str
) -> tuple[str, ...]:
    """Draw one more multi-choice filter in the sidebar, kept in step with the URL parameter `param`."""
    state = st.session_state
    key = f"{prefix}_f_{param}"
    extra = state.setdefault(f"_{prefix}_extra_filters", [])
    if key not in extra:
        extra.append(key)  # cleared by the filter bar's "Xóa bộ lọc" too
    if key not in state:
        picked, warnings = parse_choices(st.query_params.get_all(param), choices, what)
        for message in warnings:
            st.warning(message, icon="⚠️")
        state[key] = list(picked)
    with st.sidebar:
        values = st.multiselect(
            label,
            options=list(choices),
            default=[v for v in state[key] if v in choices],
            key=key,
            format_func=lambda code: choices.get(code, code),
            placeholder="Tất cả",
        )
    sync_query_params({param: ",".join(values)} if values else {}, owned=(param,))
    return tuple(values)


def sync_query_params(wanted: dict[str, str], owned: tuple[str, ...]) -> None:
    """Make the URL carry `wanted` for the `owned` parameters, leaving others alone."""
    current = st.query_params.to_dict()
    merged = {k: v for k, v in current.items() if k not in owned}
    merged.update(wanted)
    if merged != current:
        st.query_params.from_dict(merged)


@dataclass(frozen=True)
class EditScope:
    """What the task table shows this user, and whether they may edit it."""

    filters: Filters
    editable: bool
    note: str = ""


def edit_scope(actor: Actor, filters: Filters, options: FilterOptions, noun: str = "nhiệm vụ") -> EditScope:
    """Narrow a coordinator's view to their own locality; read-only roles see everything read-only."""
    if not actor.can_write:
        return EditScope(filters, False)
    if actor.role != DIEU_PHOI:
        return EditScope(filters, True, "Bạn có thể sửa trực tiếp trong bảng, rồi bấm Lưu.")
    own = actor.locality_code or ""
    name = options.localities.get(own, own)
    narrowed = replace(filters, localities=(own,))
    note = f"Bảng chỉ gồm {noun} của {name}, địa bàn bạn được sửa. Sửa trực tiếp trong bảng, rồi bấm Lưu."
    if filters.localities and filters.localities != (own,):
        note += " Bộ lọc địa bàn khác được bỏ qua ở đây; xem các địa bàn khác ở trang Tổng quan."
    return EditScope(narrowed, True, note)


def pager(prefix: str, total: int, page_size: int, view: object, noun: str) -> int:
    """Draw the page number box (kept in the URL as `trang`); return the 1-based page shown.

    A new view (other filters or date) starts again at page 1, except on the first visit, where
    the page comes from the URL.
    """
    state = st.session_state
    pages = max(1, math.ceil(total / page_size))
    page_key, view_key = f"{prefix}_page", f"_{prefix}_filters"
    if state.get(view_key) != view or page_key not in state:
        first_visit = view_key not in state
        state[page_key] = parse_page(st.query_params.get_all(PARAM_PAGE), pages) if first_visit else 1
        state[view_key] = view
    state[page_key] = min(state[page_key], pages)
    page = int(st.number_input("Trang", min_value=1, max_value=pages, step=1, key=page_key, width=160))
    sync_query_params({PARAM_PAGE: str(page)} if page > 1 else {}, owned=(PARAM_PAGE,))
    start = (page - 1) * page_size
    if total:
        st.caption(
            f"Hiển thị {fmt_int(start + 1)}–{fmt_int(min(start + page_size, total))} "
            f"trên {fmt_int(total)} {noun} · trang {page}/{pages}"
        )
    return page


def place_params(filters: Filters, as_of: date, today: date) -> dict[str, str]:
    """The URL of the same places and date, for pages that filter by locality only."""
    named = tuple(c for c in filters.localities if c != PROVINCE_LEVEL)
    return place_and_filter_params(Filters(localities=named), as_of, today)


# --- meeting mode -------------------------------------------------------------------------------

PARAM_MEETING = "trinh_chieu"


def meeting_mode() -> bool:
    """Tell whether the page is shown on a projector (`?trinh_chieu=1`)."""
    return st.query_params.get(PARAM_MEETING) == "1"


def url_filters(options: FilterOptions, today: date) -> tuple[Filters, date]:
    """Read the filters and the as-of date from the URL only (no widgets), warning on bad values."""
    params = _url_params()
    filters, warnings = parse_filters(params, options)
    as_of, date_warning = parse_as_of(params.get(PARAM_AS_OF), today)
    for message in [*warnings, *([date_warning] if date_warning else [])]:
        st.warning(message, icon="⚠️")
    return filters, as_of


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
    ):
        if values:
            parts.append(", ".join(labels.get(v, v) for v in values))
    return "; ".join(parts)


_PROJECTOR_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stToolbar"] { display: none !important; }
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 1rem; max-width: 100% !important; }
h1 { font-size: 3.2rem !important; }
h2 { font-size: 2.4rem !important; }
h3 { font-size: 1.9rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.7rem !important; }
[data-testid="stMetricValue"] { font-size: 4.6rem !important; line-height: 1.15; }
</style>
"""


def projector_style() -> None:
    """Large type and no sidebar, readable from the back of a meeting room."""
    st.html(_PROJECTOR_CSS)
