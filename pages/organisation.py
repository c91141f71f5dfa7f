"""Reorganisations (/to-chuc): record a resolution's old → new mapping, then apply it."""

import streamlit as st

from lib.core.roles import OFFICE
from lib.ui import organisation, shell

ctx = shell.context(*OFFICE)
st.title("Sắp xếp tổ chức, đơn vị hành chính")
organisation.arrangements_panel(ctx)
