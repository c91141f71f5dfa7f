"""Account (/tai-khoan): who is signed in, and changing one's own password."""

import streamlit as st

from lib.core import config
from lib.core.roles import ROLE_LABELS
from lib.core.security import MIN_PASSWORD_LENGTH
from lib.editing import user_admin
from lib.ui import auth, shell, widgets

ctx = shell.context()
actor = ctx.actor
st.title("Tài khoản")
st.markdown(
    f"**{actor.display_name}** · tên đăng nhập `{actor.username}` · {ROLE_LABELS[actor.role]}"
    + (f" · địa bàn {actor.locality_code}" if actor.locality_code else "")
)
if actor.is_focal_point:
    st.markdown(f"Phạm vi được cập nhật: {actor.scope.describe(limit=20)}.")

with st.form("account_password", clear_on_submit=True):
    st.subheader("Đổi mật khẩu")
    st.caption(f"Ít nhất {MIN_PASSWORD_LENGTH} ký tự, không trùng tên đăng nhập. Đổi xong cần đăng nhập lại.")
    current = st.text_input("Mật khẩu hiện tại", type="password", key="account_current")
    new = st.text_input("Mật khẩu mới", type="password", key="account_new")
    repeat = st.text_input("Nhập lại mật khẩu mới", type="password", key="account_repeat")
    submitted = st.form_submit_button("Đổi mật khẩu")

if submitted:
    if new != repeat:
        st.error("Hai lần nhập mật khẩu mới không khớp.")
    else:
        if widgets.run_action(ctx, user_admin.change_own_password, current, new, config.now()):
            auth.flash("Đã đổi mật khẩu. Vui lòng đăng nhập lại bằng mật khẩu mới.")
            st.rerun()
