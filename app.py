"""Entry point: page config → settings and database → (sign-in) → navigation → page."""

import streamlit as st

from lib import ui

st.set_page_config(
    page_title="Theo dõi Đề án 30/ĐA-BCA – Bắc Giang",
    page_icon=":material/local_police:",
    layout="wide",
)

ui.start()
# Sign-in slots in here, before st.navigation, so the page list can follow the user's role.
page = st.navigation(ui.pages())
page.run()
