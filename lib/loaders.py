"""Cached reads for the pages. Every cache key holds the database URL and its data version,
so a committed write anywhere shows up on the next rerun of every process."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from lib import accounts, queries
from lib.db import make_engine, transaction
from lib.filters import FilterOptions, Filters
from lib.models import LoginAttempt
from lib.roles import Actor


@st.cache_resource(show_spinner=False)
def get_engine(url: str) -> Engine:
    """Return the process-wide engine for a database URL."""
    return make_engine(url)


@st.cache_data(show_spinner=False, max_entries=32)
def load_filter_options(url: str, data_version: int) -> FilterOptions:
    """Load the values every filter accepts."""
    with transaction(get_engine(url)) as s:
        return queries.get_filter_options(s)


@st.cache_data(show_spinner=False, max_entries=256)
def load_overview(
    url: str, data_version: int, filters: Filters, as_of: date, due_soon_days: int
) -> queries.Overview:
    """Load the overview's figures for one filter and as-of date."""
    with transaction(get_engine(url)) as s:
        return queries.get_overview(s, filters, as_of, due_soon_days)


@st.cache_data(show_spinner=False, max_entries=256)
def load_task_count(url: str, data_version: int, filters: Filters, as_of: date, due_soon_days: int) -> int:
    """Count the tasks a filter selects."""
    with transaction(get_engine(url)) as s:
        return queries.count_tasks(s, filters, as_of, due_soon_days)


@st.cache_data(show_spinner=False, max_entries=256)
def load_task_page(
    url: str,
    data_version: int,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    page: int,
    page_size: int,
) -> list[dict[str, Any]]:
    """Load one page of filtered tasks."""
    with transaction(get_engine(url)) as s:
        return queries.list_tasks(
            s, filters, as_of, due_soon_days, offset=(page - 1) * page_size, limit=page_size
        )


def load_users(url: str, data_version: int, actor: Actor) -> list[accounts.UserRow]:
    """Load the user list for an administrator (not cached: last sign-in changes without a write)."""
    with transaction(get_engine(url)) as s:
        return accounts.list_users(s, actor)


def load_login_attempts(url: str, data_version: int, actor: Actor) -> list[LoginAttempt]:
    """Load the latest failed and refused sign-ins for an administrator."""
    with transaction(get_engine(url)) as s:
        return accounts.recent_failed_logins(s, actor)
