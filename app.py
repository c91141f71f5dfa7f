"""Entry point: page config → settings and database → sign-in → navigation for the role → page."""

import streamlit as st

from lib import ui

st.set_page_config(
    page_title="Theo dõi Đề án 30/ĐA-BCA – Bắc Giang",
    page_icon=":material/local_police:",
    layout="wide",
)

ctx = ui.start()
ctx = ui.sign_in(ctx)
page = st.navigation(ui.pages(ctx.actor), position="hidden" if ui.meeting_mode() else "sidebar")
page.run()
