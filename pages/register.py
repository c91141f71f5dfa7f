"""Onboarding (/nhap-so-theo-doi): bring the existing tracker in from a workbook in the template's layout."""

import streamlit as st

from lib.core.roles import ADMIN, VAN_PHONG
from lib.ui import onboarding, shell

ctx = shell.context(ADMIN, VAN_PHONG)
st.title("Nhập sổ theo dõi")
onboarding.register_panel(ctx)
