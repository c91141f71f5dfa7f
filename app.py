"""Entry point: page config → settings and database → sign-in → navigation for the role → page."""

import streamlit as st

from lib.ui import shell

st.set_page_config(
    page_title="Theo dõi Đề án 30/ĐA-BCA",  # the province is named from data (lib/ui/shell.app_title)
    page_icon="🚓",  # an emoji: drawn by the browser, no icon fetched from the internet
    layout="wide",
)

ctx = shell.start()
ctx = shell.sign_in(ctx)
page = st.navigation(shell.pages(ctx.actor), position="hidden" if shell.meeting_mode() else "sidebar")
shell.run(page)
