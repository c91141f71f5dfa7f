"""Administration (/quan-tri): users, roles, localities, passwords, sign-in locks (administrator); the
registers of agencies and units (administrator and office). Every action is audited."""

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core.catalogue import USER
from lib.core.filters import PROVINCE_LEVEL
from lib.core.formatting import fmt_datetime
from lib.core.roles import DIEU_PHOI, OFFICE, ROLE_LABELS
from lib.editing import user_admin
from lib.ui import admin_panels, columns, shell, widgets
from lib.ui.loaders import load_filter_options, load_scope_admin, load_users

ctx = shell.context(*OFFICE)
actor = ctx.actor
st.title("Quản trị")
if not actor.is_admin:  # the office keeps the registers; users and sign-in stay the administrator's
    admin_panels.registers(ctx)
    st.stop()
localities = {
    k: v
    for k, v in load_filter_options(ctx.database_url, ctx.versions.base).localities.items()
    if k != PROVINCE_LEVEL
}
st.subheader("Quản trị người dùng")
NEW = "admin_new"  # the fields of "Tạo người dùng"


def run(fn, *args, success: str, again: str = "", **kwargs) -> None:
    """Run an action; once it went through, draw the fields of `again` anew, and say so."""
    if widgets.run_action(ctx, fn, *args, **kwargs):
        if again:
            widgets.start_again(again)
        shell.rerun_saying(success)


users = load_users(ctx.database_url, ctx.data_version, actor)
scope_data = load_scope_admin(ctx.database_url, ctx.data_version, actor, ctx.today)
admin_panels.ended_scopes(ctx, run, scope_data)
st.dataframe(
    pd.DataFrame(
        [
            {
                "username": u.username,
                "display_name": u.display_name,
                "role": ROLE_LABELS[u.role],
                "locality": localities.get(u.locality_code or "", ""),
                "scope": "; ".join(
                    scope_data.options[kind].get(i, f"mã {i}")
                    for kind, i in scope_data.bodies.get(u.username, [])
                ),
                "active": u.active,
                "password_changed_at": fmt_datetime(u.password_changed_at),
                "last_login": fmt_datetime(u.last_login),
            }
            for u in users
        ]
    ),
    hide_index=True,
    key="admin_users",
    column_config=columns.column_config(USER, [f.name for f in USER.fields]),
)

role_options = list(ROLE_LABELS)
# A key and state tracking keep the tab chosen across reruns: without them, picking a user in
# "Sửa người dùng" brought Chromium back to the first tab.
create, manage = st.tabs(["Tạo người dùng", "Sửa người dùng"], key="admin_user_tabs", on_change="rerun")
with create, st.form("admin_create"):
    username = st.text_input(USER["username"].label, key=widgets.fresh_key(NEW, "username"))
    display_name = st.text_input(USER["display_name"].label, key=widgets.fresh_key(NEW, "name"))
    role = st.selectbox(
        USER["role"].label, role_options, format_func=ROLE_LABELS.get, key=widgets.fresh_key(NEW, "role")
    )
    locality = st.selectbox(
        "Địa bàn (cán bộ đầu mối của một huyện cũ; giao thêm phạm vi ở “Sửa người dùng”)",
        [None, *localities],
        format_func=lambda c: "—" if c is None else localities[c],
        key=widgets.fresh_key(NEW, "locality"),
    )
    new_scope: list[tuple[str, int]] = []
    for kind, label in admin_panels.SCOPE_LABELS.items():  # bodies valid today (a focal point's scope)
        today_options = {i: n for i, n in scope_data.options[kind].items() if not n.endswith("(đã kết thúc)")}
        new_scope += [
            (kind, i)
            for i in st.multiselect(
                f"Phạm vi — {label.lower()} (chỉ với cán bộ đầu mối)",
                list(today_options),
                format_func=lambda i, o=today_options: o.get(i, f"mã {i}"),
                placeholder="Gõ để tìm…",
                key=widgets.fresh_key(NEW, f"scope_{kind}"),
            )
        ]
    password = st.text_input("Mật khẩu ban đầu", type="password", key=widgets.fresh_key(NEW, "password"))
    repeat = st.text_input("Nhập lại mật khẩu", type="password", key=widgets.fresh_key(NEW, "repeat"))
    if st.form_submit_button("Tạo người dùng"):
        if password != repeat:
            st.error("Hai lần nhập mật khẩu không khớp.")
        else:
            run(
                user_admin.create_user,
                username=username,
                display_name=display_name,
                role=role,
                locality_code=locality if role == DIEU_PHOI else None,
                password=password,
                now=config.now(),
                scope=new_scope,
                success=f"Đã tạo người dùng {username}.",
                again=NEW,  # the next user starts from an empty form
            )

with manage:
    chosen = st.selectbox("Người dùng", [u.username for u in users], key="admin_pick")
    user = next((u for u in users if u.username == chosen), None)
    if user is not None:
        left, right = st.columns(2)
        # the user's boxes, drawn anew when another user is picked or the stored role changes
        stored = (user.username, user.role, user.locality_code)
        with left, st.form("admin_role"):
            new_role = st.selectbox(
                USER["role"].label,
                role_options,
                index=role_options.index(user.role),
                format_func=ROLE_LABELS.get,
                key=widgets.stored_key("admin_role_role", *stored),
            )
            codes = [None, *localities]
            new_locality = st.selectbox(
                "Địa bàn (chỉ với cán bộ đầu mối)",
                codes,
                index=codes.index(user.locality_code),
                format_func=lambda c: "—" if c is None else localities[c],
                key=widgets.stored_key("admin_role_locality", *stored),
            )
            if st.form_submit_button("Lưu vai trò"):
                run(
                    user_admin.change_role,
                    user.username,
                    new_role,
                    new_locality if new_role == DIEU_PHOI else None,
                    config.now(),
                    success=f"Đã đổi vai trò của {user.username}.",
                )
        with right, st.form("admin_reset", clear_on_submit=True):
            new_password = st.text_input(
                "Mật khẩu mới", type="password", key=widgets.stored_key("admin_reset_password", user.username)
            )
            again = st.text_input(
                "Nhập lại", type="password", key=widgets.stored_key("admin_reset_repeat", user.username)
            )
            if st.form_submit_button("Đặt lại mật khẩu"):
                if new_password != again:
                    st.error("Hai lần nhập mật khẩu không khớp.")
                else:
                    run(
                        user_admin.reset_password,
                        user.username,
                        new_password,
                        config.now(),
                        success=f"Đã đặt lại mật khẩu của {user.username}; mọi phiên của họ đã kết thúc.",
                    )
        if user.active:
            if st.button(f"Vô hiệu hóa {user.username}", key="admin_disable", type="secondary"):
                run(
                    user_admin.set_user_active,
                    user.username,
                    False,
                    config.now(),
                    success=f"Đã vô hiệu hóa {user.username}.",
                )
        elif st.button(f"Kích hoạt lại {user.username}", key="admin_enable"):
            run(
                user_admin.set_user_active,
                user.username,
                True,
                config.now(),
                success=f"Đã kích hoạt lại {user.username}.",
            )
        if user.role == DIEU_PHOI:
            admin_panels.scope_form(run, user.username, scope_data)

admin_panels.sign_in_locks(ctx, run)
admin_panels.failed_sign_ins(ctx)
admin_panels.registers(ctx)
