"""Small shared pieces every page draws: the as-of caption, refusals."""

from __future__ import annotations

from datetime import date

import streamlit as st

from lib.core.formatting import fmt_date
from lib.core.roles import Refused


def show_refusal(exc: Refused) -> None:
    """Show why an action was refused."""
    st.error(exc.message, icon="🚫")


def as_of_caption(as_of: date) -> None:
    """Show the date every quoted figure refers to."""
    st.markdown(f"**Số liệu tính đến ngày {fmt_date(as_of)}**")
