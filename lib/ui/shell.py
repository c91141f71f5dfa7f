"""The frame of every run: start-up checks, sign-in, the page list for a role, meeting mode."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import NoReturn

import streamlit as st
from sqlalchemy import Engine
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib.core import config
from lib.core.roles import OFFICE, ROLE_LABELS, Actor
from lib.data.db import DatabaseError, SchemaMissing, Versions, check_database
from lib.data.issuers import FALLBACK_PROVINCE
from lib.ui import auth, loaders
from lib.ui.loaders import get_engine

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
    # Every version, read in the same query as `data_version` (which is `versions.data`): the
    # loaders that stay warm through a save elsewhere key on the parts they read.
    versions: Versions = field(default_factory=Versions)

    @property
    def trail_version(self) -> tuple[int, int]:
        """The key of the loaders that read the audit trail (a refusal is written only there)."""
        return self.versions.with_trail

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
        versions = check_database(get_engine(url))
    except SchemaMissing as exc:
        st.error(str(exc), icon="⚠️")
        st.stop()
    except DatabaseError as exc:
        last = _LAST_SEEN.get(url)
        if last is None:  # nothing read yet in this process: nothing to show
            st.error(str(exc), icon="⚠️")
            st.stop()
        seen, when = last
        outage = (
            "Mất kết nối tới cơ sở dữ liệu. Đang hiển thị số liệu đọc lần cuối lúc "
            f"{when:%H:%M %d/%m/%Y} (có thể chưa mới nhất); tạm thời không lưu được, bản nháp vẫn được "
            "giữ. Trang tự trở lại bình thường khi cơ sở dữ liệu hoạt động lại: tải lại trang sau ít phút."
        )
        return RunContext(settings, url, seen.data, config.today(), outage=outage, versions=seen)
    _LAST_SEEN[url] = (versions, config.now())
    ctx = RunContext(settings, url, versions.data, config.today(), versions=versions)
    st.set_page_config(page_title=app_title(ctx, short=True))  # app.py's title named today's province
    return ctx


APP_TITLE = "Theo dõi thực hiện Đề án 30/ĐA-BCA"
SHORT_TITLE = "Theo dõi Đề án 30/ĐA-BCA"


def app_title(ctx: RunContext, *, short: bool = False) -> str:
    """The app's title with the province of today's issuers ("… – Bắc Ninh" from 1/7/2025), read from
    the agency table; the programme's first province while the table holds none or is unreachable."""
    province = FALLBACK_PROVINCE
    if ctx.outage is None:
        # Through the module, so a harness that swaps the loaders (bench/run.py) swaps this one too.
        province = loaders.load_issuers(ctx.database_url, ctx.versions.base, ctx.today).province
    return f"{SHORT_TITLE if short else APP_TITLE} – {province}"


# The data version each database last answered with in this process, and when. Never a source of
# truth: only what an outage falls back to, so cached figures stay readable (clearly marked).
_LAST_SEEN: dict[str, tuple[Versions, datetime]] = {}


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
        actor = auth.sign_in(
            ctx.engine,
            ctx.settings,
            lambda: st.navigation(all_pages(), position="hidden"),
            title=lambda: app_title(ctx),  # only the sign-in form shows it
        )
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
    ("pages/documents.py", "Văn bản", ":material/description:", "van-ban", None),
    ("pages/hq.py", "Trụ sở, kinh phí", ":material/domain:", "tru-so", None),
    ("pages/wards.py", "Phường kiểu mẫu", ":material/verified:", "phuong-kieu-mau", None),
    ("pages/followup.py", "Quá hạn, đôn đốc", ":material/alarm:", "qua-han", None),
    ("pages/report.py", "Báo cáo năm", ":material/summarize:", "bao-cao", None),
    ("pages/history.py", "Lịch sử", ":material/history:", "lich-su", None),
    (
        "pages/register.py",
        "Nhập sổ theo dõi",
        ":material/upload_file:",
        "nhap-so-theo-doi",
        OFFICE,
    ),
    ("pages/organisation.py", "Sắp xếp tổ chức", ":material/account_tree:", "to-chuc", OFFICE),
    ("pages/admin.py", "Quản trị", ":material/manage_accounts:", "quan-tri", OFFICE),
    ("pages/account.py", "Tài khoản", ":material/person:", "tai-khoan", None),
)


def _page(path: str, title: str, icon: str, url: str) -> st.Page:
    return st.Page(config.PROJECT_ROOT / path, title=title, icon=icon, url_path=url or None, default=not url)


# Every page of _PAGES, built once per process: st.Page resolves and checks its file, which cost
# about a millisecond a run for the whole list. Each run gets copies (`_pages_for`), never these:
# st.navigation marks the page it returns as callable and page.run() unmarks it, a flag that two
# sessions opening the same page at once must not share.
_PROTOTYPES: list[st.Page] = []
_PROTOTYPES_LOCK = threading.Lock()


def _prototypes() -> list[st.Page]:
    if not _PROTOTYPES:
        built = [_page(p, t, i, u) for p, t, i, u, _ in _PAGES]
        if get_script_run_ctx() is None:  # outside a script run st.Page keeps no path: don't keep it
            return built
        with _PROTOTYPES_LOCK:
            if not _PROTOTYPES:
                _PROTOTYPES.extend(built)
    return _PROTOTYPES


def _pages_for(role: str | None) -> list[st.Page]:
    """Fresh copies of the pages a role may open (every page for None)."""
    return [
        copy.copy(page)
        for page, (*_, roles) in zip(_prototypes(), _PAGES, strict=True)
        if role is None or roles is None or role in roles
    ]


_SAID = "_said_after_rerun"


def rerun_saying(text: str, icon: str | None = "✅") -> NoReturn:
    """Rerun the page (after an action went through) and say `text` in a toast at the start of the new
    run. A toast called just before `st.rerun()` never reached the browser in this app (checked in
    Chromium on Streamlit 1.67, although a bare script keeps it): the saves and additions said nothing."""
    st.session_state.setdefault(_SAID, []).append((text, icon))
    st.rerun()


def run(page: st.Page) -> None:
    """Run the chosen page; if the database goes away in the middle, keep what was drawn and say why.

    Nothing is half-written then: every write is one transaction.
    """
    for text, icon in st.session_state.pop(_SAID, []):
        st.toast(text, icon=icon)
    try:
        page.run()
    except DatabaseError as exc:
        st.error(str(exc), icon="⚠️")


def pages(actor: Actor) -> list[st.Page]:
    """List the pages this user's role may open."""
    return _pages_for(actor.role)


def all_pages() -> list[st.Page]:
    """List every page, for routing the URL while the sign-in form is shown."""
    return _pages_for(None)


# --- meeting mode -------------------------------------------------------------------------------

PARAM_MEETING = "trinh_chieu"


def meeting_mode() -> bool:
    """Tell whether the page is shown on a projector (`?trinh_chieu=1`)."""
    return st.query_params.get(PARAM_MEETING) == "1"


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
