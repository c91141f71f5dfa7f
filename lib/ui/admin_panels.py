"""/quan-tri's watch on sign-in: the locks in force (with a way to lift one) and recent failed attempts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core.catalogue import LOCK_LABELS, LOGIN_ATTEMPT, SIGN_IN_LOCK
from lib.core.formatting import fmt_datetime
from lib.editing import user_admin
from lib.ui import columns
from lib.ui.loaders import load_locks, load_login_attempts
from lib.ui.shell import RunContext


def sign_in_locks(ctx: RunContext, run: Callable[..., Any]) -> None:
    """The sign-in locks in force; the administrator may lift one (through `run`, audited)."""
    actor = ctx.actor
    assert actor is not None
    st.subheader("Khóa đăng nhập đang có hiệu lực")
    locks = load_locks(ctx.database_url, actor)
    if locks:
        st.caption(
            "Một máy nhập sai 5 lần trong 15 phút bị tạm dừng; một tài khoản bị nhập sai 10 lần từ các "
            "trình duyệt lạ bị khóa với trình duyệt lạ (chủ tài khoản vẫn đăng nhập được trên trình duyệt "
            "quen). Mỗi khóa tự hết sau 15 phút."
        )
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "kind": SIGN_IN_LOCK.shown("kind", lock.kind),
                        "label": lock.label,
                        "until": fmt_datetime(lock.locked_until),
                    }
                    for lock in locks
                ]
            ),
            hide_index=True,
            key="admin_locks",
            column_config=columns.column_config(SIGN_IN_LOCK, [f.name for f in SIGN_IN_LOCK.fields]),
        )
        labels: dict[tuple[str, str], str] = {
            (lock.kind, lock.subject): f"{LOCK_LABELS[lock.kind]}: {lock.label}" for lock in locks
        }
        picked = st.selectbox("Mở khóa", list(labels), format_func=lambda k: labels[k], key="admin_lock_pick")
        if st.button("Mở khóa này", key="admin_unlock") and picked is not None:
            run(user_admin.clear_lock, *picked, config.now(), success=f"Đã mở khóa {labels[picked]}.")
    else:
        st.caption("Không có khóa nào.")


def failed_sign_ins(ctx: RunContext) -> None:
    """The latest failed or refused sign-ins: when, which name, from which client."""
    actor = ctx.actor
    assert actor is not None
    st.subheader("Đăng nhập không thành công gần đây")
    attempts = load_login_attempts(ctx.database_url, ctx.data_version, actor)
    if attempts:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "at": fmt_datetime(a.at),
                        "username": a.username,
                        "client": a.client,
                        "outcome": LOGIN_ATTEMPT.shown("outcome", a.outcome),
                    }
                    for a in attempts
                ]
            ),
            hide_index=True,
            key="admin_attempts",
            column_config=columns.column_config(LOGIN_ATTEMPT, [f.name for f in LOGIN_ATTEMPT.fields]),
        )
    else:
        st.caption("Không có.")
