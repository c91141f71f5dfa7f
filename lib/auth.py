"""Sign-in on top of streamlit-authenticator, with the gaps of the library closed.

The library draws the form and sets the re-login cookie. Three of its parts are replaced for
each run's instance: the password check (users in the database, bcrypt with a dummy hash for
unknown names, throttling per username), the cookie check (a cookie counts only while its
server-side session is live) and the cookie issue (its digest is tied to that session).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy import Engine

from lib import accounts, actions, config
from lib.db import transaction
from lib.formatting import fmt_datetime
from lib.roles import ROLE_LABELS, Actor
from lib.seed import DEMO_ACCOUNTS, DEMO_PASSWORD

COOKIE_NAME = "bg_dashboard_auth"
LOGIN_FIELDS = {
    "Form name": "Đăng nhập",
    "Username": "Tên đăng nhập",
    "Password": "Mật khẩu",
    "Login": "Đăng nhập",
}
_SESSION = "_auth_session_id"
_LOGIN_RESULT = "_auth_login_result"
_FLASH = "_auth_flash"
_COOKIE_DONE = "_auth_cookie_session"  # the session whose re-login cookie the browser holds
_COOKIE_TOKEN = "_auth_cookie_token"  # (session key, token) being stored in the browser
_COOKIE_SET_KEY = "_auth_cookie_set_"  # + session: the component's value turns True once stored


def _cookie_component_key(session_key: str) -> str:
    # One component per server-side session: a confirmation can never be carried over from the
    # session of someone who signed out in this tab.
    return _COOKIE_SET_KEY + hashlib.sha256(session_key.encode()).hexdigest()[:16]


_PENDING = "_auth_pending_key"


def _install_hooks(authenticator: stauth.Authenticate, engine: Engine, settings: config.Settings) -> None:
    model = authenticator.authentication_controller.authentication_model
    cookie = authenticator.cookie_controller.cookie_model
    lifetime = timedelta(hours=settings.cookie_hours)
    library_get_cookie, library_encode = cookie.get_cookie, cookie._token_encode
    library_set_cookie = cookie.set_cookie

    def check_credentials(username: str, password: str) -> bool:
        now = config.now()
        # The browser learns the session's key before the check: if a rerun interrupts this run
        # after the commit, the next run still finds the session (see sign_in).
        key = st.session_state[_PENDING] = secrets.token_urlsafe(24)
        result = actions.sign_in_with_password(engine, username, password, now, lifetime, key)
        st.session_state[_LOGIN_RESULT] = result
        return result.outcome == "success"

    def get_cookie() -> Any:
        token = library_get_cookie()
        raw = st.context.cookies.get(COOKIE_NAME) if token else None
        if not token or not isinstance(raw, str):
            return None
        with transaction(engine) as s:
            found = accounts.session_for_token(s, raw, config.now())
        if found is None:
            return None
        st.session_state[_SESSION] = found[0]
        return token

    def token_encode() -> str:
        token: str = library_encode()
        key = st.session_state.get(_SESSION)
        if key is not None:
            with transaction(engine, write=True) as s:
                accounts.attach_token(s, key, token)
        return token

    model.check_credentials = check_credentials
    cookie.get_cookie = get_cookie
    cookie._token_encode = token_encode
    # The cookie is stored by sign_in (_store_cookie), rerun after rerun until the browser says so.
    cookie.set_cookie = lambda: None
    del library_set_cookie


def _store_cookie(authenticator: stauth.Authenticate, key: str) -> None:
    """Draw the component that stores the re-login cookie, with one token per session.

    Drawn on every rerun until the browser confirms: a rerun that arrives before the browser has
    loaded the component removes it from the page (seen under load), and the cookie would never
    be stored. The token is made once, so every drawing stores the same cookie.
    """
    state = st.session_state
    model = authenticator.cookie_controller.cookie_model
    pending = state.get(_COOKIE_TOKEN)
    if not (isinstance(pending, tuple) and pending[0] == key):
        model.exp_date = model._set_exp_date()
        pending = state[_COOKIE_TOKEN] = (key, model._token_encode())  # hooked: remembers its digest
    model.cookie_manager.set(
        model.cookie_name,
        pending[1],
        key=_cookie_component_key(key),
        expires_at=datetime.now() + timedelta(days=model.cookie_expiry_days),
    )


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


def _forget(authenticator: stauth.Authenticate, message: str) -> None:
    st.session_state.pop(_SESSION, None)
    st.session_state.pop(_COOKIE_DONE, None)
    st.session_state.pop(_COOKIE_TOKEN, None)
    st.session_state.setdefault(_FLASH, message)
    if st.session_state.get("authentication_status"):
        authenticator.logout(location="unrendered")


def sign_in(engine: Engine, settings: config.Settings, navigation: Callable[[], object]) -> Actor:
    """Return the signed-in user, or draw the sign-in form and stop the run.

    The server-side session, whose key this browser session holds, is the truth about who is signed
    in; the library's flags follow it. `navigation` registers the app's pages (hidden) before the
    form is drawn, so every run calls st.navigation and a deep link such as /nhiem-vu?dia_ban=…
    survives signing in.
    """
    authenticator = _authenticator(engine, settings)
    state = st.session_state
    key = state.get(_SESSION) or state.pop(_PENDING, None)
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
            if state.get(_COOKIE_DONE) != key:
                mine = isinstance(state.get(_COOKIE_TOKEN), tuple) and state[_COOKIE_TOKEN][0] == key
                if (check.has_token and not mine) or (mine and state.get(_cookie_component_key(key)) is True):
                    state[_COOKIE_DONE] = key  # came back with its cookie, or the browser stored it
                    state.pop(_COOKIE_TOKEN, None)
                else:
                    _store_cookie(authenticator, key)
            _sidebar_user(authenticator, engine, actor)
            return actor
        if state.get(_SESSION) is not None:
            _forget(authenticator, check.reason)
    elif state.get("authentication_status"):
        _forget(authenticator, "Phiên đăng nhập không hợp lệ. Vui lòng đăng nhập lại.")
    navigation()
    _login_form(authenticator, settings)
    if state.get(_SESSION) is not None or state.get("authentication_status"):
        st.rerun()  # signed in just now, by password or by cookie
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def _login_form(authenticator: stauth.Authenticate, settings: config.Settings) -> None:
    state = st.session_state
    st.title("Theo dõi thực hiện Đề án 30/ĐA-BCA – Bắc Giang")
    if state.get(_FLASH):
        st.warning(state.pop(_FLASH), icon="🔒")
    left, _ = st.columns([2, 3])
    with left:
        authenticator.login(location="main", fields=LOGIN_FIELDS, key="auth_login")
    result = state.pop(_LOGIN_RESULT, None)
    if state.get("authentication_status"):
        return
    if result is not None and result.outcome == "refused":
        st.error(
            "Tài khoản tạm khóa đăng nhập do nhập sai nhiều lần. Thử lại sau "
            f"{fmt_datetime(result.locked_until)}.",
        )
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


def _sidebar_user(authenticator: stauth.Authenticate, engine: Engine, actor: Actor) -> None:
    with st.sidebar:
        st.caption(f"Đăng nhập: **{actor.display_name}** ({actor.username}) · {ROLE_LABELS[actor.role]}")
        if st.button("Đăng xuất", key="auth_logout", icon=":material/logout:"):
            sign_out(authenticator, engine, "Đã đăng xuất.")
            st.rerun()


def flash(message: str) -> None:
    """Show a message on the sign-in form the next time it is drawn."""
    st.session_state[_FLASH] = message


def sign_out(authenticator: stauth.Authenticate, engine: Engine, message: str) -> None:
    """End this browser's session in the database and forget it here."""
    key = st.session_state.get(_SESSION)
    if key is not None:
        with transaction(engine, write=True) as s:
            accounts.end_session(s, key, config.now())
    _forget(authenticator, message)
