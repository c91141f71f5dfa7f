"""Streamlit's caches live as long as the process: one test run holds many AppTests, so a test
that runs pages starts (and ends) with them empty (the `fresh_caches` fixture in tests/conftest.py)."""

import streamlit as st

from lib.ui import charts


def clear_caches() -> None:
    """Empty `st.cache_data`, `st.cache_resource` and the converted charts (`lib.ui.charts.show`)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    charts.clear_specs()
