"""Entry point: page config → settings and database → sign-in → navigation for the role → page."""

import streamlit as st

from lib import ui
from lib.db import DatabaseError

st.set_page_config(
    page_title="Theo dõi Đề án 30/ĐA-BCA – Bắc Giang",
    page_icon="🚓",  # an emoji: drawn by the browser, no icon fetched from the internet
    layout="wide",
)

ctx = ui.start()
ctx = ui.sign_in(ctx)
page = st.navigation(ui.pages(ctx.actor), position="hidden" if ui.meeting_mode() else "sidebar")
try:
    page.run()
except DatabaseError as exc:
    # The database went away in the middle of this run (or cannot write): what was drawn stays,
    # with the reason; nothing was half-written (every write is one transaction).
    st.error(str(exc), icon="⚠️")
