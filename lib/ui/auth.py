"""Sign-in on top of streamlit-authenticator, with the gaps of the library closed.

The library draws the form and keeps its session flags. Its password check is replaced by ours
(users in the database, bcrypt with a dummy hash for unknown names, throttles per client, per
username and per known browser), and so is its cookie: the library's re-login cookie is set from
JavaScript (readable by any script of the site) and its decoder lets some forged cookies escape as
exceptions. Here the server sets the cookie itself, HttpOnly, when the browser exchanges a one-time
code at /auth/cookie (lib/ui/web.py), and a cookie counts only while its session row is live; any
other cookie is treated as absent and removed.
"""

from __future__ import annotations

import html
import ipaddress
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy import Engine
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib.core import config, security
from lib.core.formatting import fmt_datetime
from lib.core.roles import ROLE_LABELS, Actor
from lib.core.security import COOKIE_NAME, COOKIE_ROUTE, DEVICE_COOKIE_NAME, FORGET_ROUTE
from lib.data import accounts
from lib.data.db import transaction
from lib.editing import actions
from lib.ops.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from lib.ui import uploads

LOGIN_FIELDS = {
    "Form name": "Đăng nhập",
    "Username": "Tên đăng nhập",
    "Password": "Mật khẩu",
    "Login": "Đăng nhập",
}
_SESSION = "_auth_session_id"
_LOGIN_RESULT = "_auth_login_result"
_FLASH = "_auth_flash"
_PENDING = "_auth_pending_key"
_CODE = "_auth_cookie_code"  # (session key, one-time code, valid until) handed to the browser
_FORGET = "_auth_forget_link"  # the browser holds a cookie that must go: the link that removes it


def cookie(name: str) -> str | None:
    """Return a cookie the browser sent when it opened this session (None if absent or empty)."""
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) and value else None


def client_address() -> str:
    """The address this browser session connects from, as the throttles count it ("local" directly).

    An IPv6 client is counted by its /64 network: one subscriber holds a whole /64.
    """
    address = st.context.ip_address
    if not isinstance(address, str) or not address:
        return accounts.LOCAL_CLIENT
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return address


def _browser_session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def _install_hooks(authenticator: stauth.Authenticate, engine: Engine, settings: config.Settings) -> None:
    model = authenticator.authentication_controller.authentication_model
    cookie_model = authenticator.cookie_controller.cookie_model
    lifetime = timedelta(hours=settings.cookie_hours)

    def check_credentials(username: str, password: str) -> bool:
        now = config.now()
        # The browser learns the session's key before the check: if a rerun interrupts this run
        # after the commit, the next run still finds the session (see sign_in).
        key = st.session_state[_PENDING] = secrets.token_urlsafe(24)
        result = actions.sign_in_with_password(
            engine,
            username,
            password,
            now,
            lifetime,
            key,
            client=client_address(),
            device_token=cookie(DEVICE_COOKIE_NAME),
        )
        st.session_state[_LOGIN_RESULT] = result
        return result.outcome == "success"

    def get_cookie() -> Any:
        raw = cookie(COOKIE_NAME)
        if raw is None:
            return None
        with transaction(engine) as s:
            found = accounts.session_for_token(s, raw, config.now())
        if found is None:  # forged, undecodable, revoked or expired: as if absent, and removed
            _plan_forget()
            return None
        st.session_state[_SESSION] = found[0]
        return {"username": found[1].username}

    model.check_credentials = check_credentials
    cookie_model.get_cookie = get_cookie
    cookie_model.set_cookie = lambda: None  # the server sets it: see _hand_over_cookie


def _invisible_request(url: str) -> None:
    """Make the browser request a URL of this site (an image of one pixel) without showing anything."""
    st.html(f'<img src="{html.escape(url)}" alt="" width="1" height="1">')


def _hand_over_cookie(engine: Engine, key: str) -> None:
    """Let the browser fetch its re-login cookie, on every run until the server has set it.

    The page holds only a one-time code valid two minutes; /auth/cookie exchanges it for the
    cookie, set HttpOnly (and Secure behind TLS), so no script of the page can ever read it.
    """
    state = st.session_state
    now = config.now()
    held = state.get(_CODE)
    if not (isinstance(held, tuple) and held[0] == key and held[2] > now + timedelta(seconds=20)):
        with transaction(engine, write=True) as s:
            code = accounts.issue_cookie_code(s, key, now)
        if code is None:
            return
        held = state[_CODE] = (key, code, now + security.COOKIE_CODE_LIFETIME)
    _invisible_request(f"{COOKIE_ROUTE}?code={held[1]}")


def _plan_forget() -> None:
    # A new address each time, so the browser asks again rather than reuse an earlier answer.
    st.session_state[_FORGET] = f"{FORGET_ROUTE}?t={time.time_ns()}"


def _authenticator(engine: Engine, settings: config.Settings) -> stauth.Authenticate:
    with transaction(engine) as s:
        credentials = accounts.load_credentials(s)
    authenticator = stauth.Authenticate(
        credentials,
        COOKIE_NAME,
        settings.cookie_key,
        settings.cookie_hours / 24,
        auto_hash=False,
        login_sleep_time=0,
    )
    _install_hooks(authenticator, engine, settings)
    return authenticator


def signed_in_session() -> str | None:
    """The key of the server-side session this browser session is signed in with (None: not)."""
    key = st.session_state.get(_SESSION)
    return key if isinstance(key, str) else None


def still_signed_in(engine: Engine, actor: Actor) -> bool:
    """Whether this browser session's server-side session still stands for `actor` as it is now.

    A fragment's rerun (the table editor's, lib/ui/editor.py) does not run the app's sign-in; a
    write started from one asks this first, so a session revoked, a user disabled or a scope
    changed since the last full run is caught before anything is written."""
    key = signed_in_session()
    if key is None:
        return False
    with transaction(engine) as s:
        check = accounts.check_session(s, key, config.now())
    return check.actor == actor


def _forget(authenticator: stauth.Authenticate, message: str) -> None:
    st.session_state.pop(_SESSION, None)
    st.session_state.pop(_CODE, None)
    st.session_state.setdefault(_FLASH, message)
    uploads.GATE.revoke(_browser_session_id())
    _plan_forget()  # the browser's cookie is dead now: remove it too
    if st.session_state.get("authentication_status"):
        authenticator.logout(location="unrendered")


def sign_in(
    engine: Engine,
    settings: config.Settings,
    navigation: Callable[[], object],
    *,
    title: str | Callable[[], str] = "Theo dõi thực hiện Đề án 30/ĐA-BCA",
) -> Actor:
    """Return the signed-in user, or draw the sign-in form and stop the run.

    The server-side session, whose key this browser session holds, is the truth about who is signed
    in; the library's flags follow it. `navigation` registers the app's pages (hidden) before the
    form is drawn, so every run calls st.navigation and a deep link such as /nhiem-vu?dia_ban=…
    survives signing in. `title` (or the function that names it) heads the form.

    A run whose session is live builds no authenticator: it needs neither the credentials of every
    user nor the library's cookie component, only the check of its own session row. The library's
    object is built when the form is drawn, a dead session is forgotten, or the user signs out.
    """
    state = st.session_state
    key = state.get(_SESSION) or state.pop(_PENDING, None)
    check = None
    if key is not None:
        with transaction(engine) as s:
            check = accounts.check_session(s, key, config.now())
        if check.actor is not None:
            actor = check.actor
            state[_SESSION] = key
            state["authentication_status"], state["username"], state["name"] = (
                True,
                actor.username,
                actor.display_name,
            )
            state.pop(_FORGET, None)
            if not check.has_token:
                _hand_over_cookie(engine, key)
            # Only signed-in users who may edit can send files to this server (lib/ui/web.py).
            if actor.can_write:
                uploads.GATE.admit(_browser_session_id())
            else:
                uploads.GATE.revoke(_browser_session_id())
            _sidebar_user(engine, settings, actor)
            return actor
    authenticator = _authenticator(engine, settings)
    if check is not None and state.get(_SESSION) is not None:
        _forget(authenticator, check.reason)
    elif check is None and state.get("authentication_status"):
        _forget(authenticator, "Phiên đăng nhập không hợp lệ. Vui lòng đăng nhập lại.")
    uploads.GATE.revoke(_browser_session_id())
    navigation()
    _login_form(authenticator, settings, title if isinstance(title, str) else title())
    if state.get(_SESSION) is not None or state.get("authentication_status"):
        st.rerun()  # signed in just now, by password or by cookie
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def _login_form(authenticator: stauth.Authenticate, settings: config.Settings, title: str) -> None:
    state = st.session_state
    st.title(title)
    if state.get(_FLASH):
        st.warning(state.pop(_FLASH), icon="🔒")
    left, _ = st.columns([2, 3])
    with left:
        authenticator.login(location="main", fields=LOGIN_FIELDS, key="auth_login")
    if isinstance(state.get(_FORGET), str) and not state.get("authentication_status"):
        _invisible_request(state[_FORGET])  # after login(): it may have just found a dead cookie
    # Kept until the next attempt: a rerun right after the submit (a component loading) must not
    # wipe the answer before the user has read it (seen in Chromium).
    result = state.get(_LOGIN_RESULT)
    if state.get("authentication_status"):
        return
    if result is not None and result.outcome == "refused":
        st.error(LOCK_MESSAGES[result.lock].format(until=fmt_datetime(result.locked_until)), icon="🔒")
    elif result is not None and result.outcome == "failure":
        st.error("Sai tên đăng nhập hoặc mật khẩu.")
    if settings.is_demo:
        st.info(f"Chế độ trình diễn: các tài khoản mẫu dưới đây dùng chung mật khẩu **{DEMO_PASSWORD}**.")
        st.dataframe(
            pd.DataFrame(
                [
                    {"Tên đăng nhập": u, "Họ tên": name, "Vai trò": ROLE_LABELS[role]}
                    for u, name, role, _ in DEMO_ACCOUNTS
                ]
            ),
            hide_index=True,
        )


LOCK_MESSAGES = {
    "client": "Máy này đã nhập sai mật khẩu quá nhiều lần: tạm dừng đăng nhập từ máy này đến {until}.",
    "account": (
        "Tài khoản này tạm khóa đăng nhập từ trình duyệt lạ đến {until}, do bị nhập sai mật khẩu nhiều "
        "lần. Trên trình duyệt bạn đã từng đăng nhập, bạn vẫn đăng nhập được; hoặc nhờ quản trị mở khóa."
    ),
    "device": "Trình duyệt này đã nhập sai mật khẩu quá nhiều lần: thử lại sau {until}.",
}


def _sidebar_user(engine: Engine, settings: config.Settings, actor: Actor) -> None:
    with st.sidebar:
        st.caption(f"Đăng nhập: **{actor.display_name}** ({actor.username}) · {ROLE_LABELS[actor.role]}")
        if st.button("Đăng xuất", key="auth_logout", icon=":material/logout:"):
            sign_out(_authenticator(engine, settings), engine, settings, "Đã đăng xuất.")
            st.rerun()


def flash(message: str) -> None:
    """Show a message on the sign-in form the next time it is drawn."""
    st.session_state[_FLASH] = message


def sign_out(
    authenticator: stauth.Authenticate, engine: Engine, settings: config.Settings, message: str
) -> None:
    """End this browser's session in the database and forget it here."""
    key = st.session_state.get(_SESSION)
    if key is not None:
        with transaction(engine, write=True) as s:
            accounts.end_session(s, key, config.now())
    _forget(authenticator, message)
