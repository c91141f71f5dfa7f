"""Administration (/quan-tri): users, roles, localities, passwords; every action is audited."""

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core.catalogue import LOCK_LABELS
from lib.core.formatting import fmt_datetime
from lib.core.roles import ADMIN, DIEU_PHOI, ROLE_LABELS
from lib.editing import user_admin
from lib.ui import shell, widgets
from lib.ui.loaders import load_filter_options, load_locks, load_login_attempts, load_users

ctx = shell.context(ADMIN)
actor = ctx.actor
localities = {
    k: v
    for k, v in load_filter_options(ctx.database_url, ctx.data_version).localities.items()
    if k != "cap-tinh"
}
st.title("Quản trị người dùng")


def run(fn, *args, success: str, **kwargs) -> None:
    if widgets.run_action(ctx, fn, *args, **kwargs):
        st.toast(success, icon="✅")
        st.rerun()


users = load_users(ctx.database_url, ctx.data_version, actor)
st.dataframe(
    pd.DataFrame(
        [
            {
                "username": u.username,
                "display_name": u.display_name,
                "role": ROLE_LABELS[u.role],
                "locality": localities.get(u.locality_code or "", ""),
                "active": u.active,
                "password_changed_at": fmt_datetime(u.password_changed_at),
                "last_login": fmt_datetime(u.last_login),
            }
            for u in users
        ]
    ),
    hide_index=True,
    key="admin_users",
    column_config={
        "username": "Tên đăng nhập",
        "display_name": "Họ tên",
        "role": "Vai trò",
        "locality": "Địa bàn",
        "active": st.column_config.CheckboxColumn("Đang hoạt động"),
        "password_changed_at": "Đổi mật khẩu lúc",
        "last_login": "Đăng nhập gần nhất",
    },
)

role_options = list(ROLE_LABELS)
create, manage = st.tabs(["Tạo người dùng", "Sửa người dùng"])
with create, st.form("admin_create", clear_on_submit=False):
    username = st.text_input("Tên đăng nhập", key="admin_new_username")
    display_name = st.text_input("Họ tên", key="admin_new_name")
    role = st.selectbox("Vai trò", role_options, format_func=ROLE_LABELS.get, key="admin_new_role")
    locality = st.selectbox(
        "Địa bàn (chỉ với điều phối viên)",
        [None, *localities],
        format_func=lambda c: "—" if c is None else localities[c],
        key="admin_new_locality",
    )
    password = st.text_input("Mật khẩu ban đầu", type="password", key="admin_new_password")
    repeat = st.text_input("Nhập lại mật khẩu", type="password", key="admin_new_repeat")
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
                success=f"Đã tạo người dùng {username}.",
            )

with manage:
    chosen = st.selectbox("Người dùng", [u.username for u in users], key="admin_pick")
    user = next((u for u in users if u.username == chosen), None)
    if user is not None:
        left, right = st.columns(2)
        with left, st.form("admin_role"):
            new_role = st.selectbox(
                "Vai trò",
                role_options,
                index=role_options.index(user.role),
                format_func=ROLE_LABELS.get,
                key="admin_role_role",
            )
            codes = [None, *localities]
            new_locality = st.selectbox(
                "Địa bàn (chỉ với điều phối viên)",
                codes,
                index=codes.index(user.locality_code),
                format_func=lambda c: "—" if c is None else localities[c],
                key="admin_role_locality",
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
            new_password = st.text_input("Mật khẩu mới", type="password", key="admin_reset_password")
            again = st.text_input("Nhập lại", type="password", key="admin_reset_repeat")
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
                    "kind": LOCK_LABELS[lock.kind],
                    "label": lock.label,
                    "until": fmt_datetime(lock.locked_until),
                }
                for lock in locks
            ]
        ),
        hide_index=True,
        key="admin_locks",
        column_config={"kind": "Loại khóa", "label": "Đối tượng", "until": "Đến"},
    )
    labels = {(lock.kind, lock.subject): f"{LOCK_LABELS[lock.kind]}: {lock.label}" for lock in locks}
    picked = st.selectbox("Mở khóa", list(labels), format_func=labels.get, key="admin_lock_pick")
    if st.button("Mở khóa này", key="admin_unlock") and picked is not None:
        run(user_admin.clear_lock, *picked, config.now(), success=f"Đã mở khóa {labels[picked]}.")
else:
    st.caption("Không có khóa nào.")

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
                    "outcome": "Sai mật khẩu" if a.outcome == "failure" else "Bị từ chối (tạm khóa)",
                }
                for a in attempts
            ]
        ),
        hide_index=True,
        key="admin_attempts",
        column_config={
            "at": "Thời điểm",
            "username": "Tên đăng nhập",
            "client": "Máy (địa chỉ)",
            "outcome": "Kết quả",
        },
    )
else:
    st.caption("Không có.")
