"""Fixtures: real databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from lib.db import make_engine, transaction
from lib.manage import upgrade_database
from lib.seed import DEMO_TODAY, seed_demo

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
AS_OF = DEMO_TODAY
AS_OF_DATES = (date(2024, 6, 30), date(2024, 12, 15), date(2025, 12, 16), DEMO_TODAY)


def _pg_admin() -> Engine:
    return create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def make_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Return a factory of fresh, migrated databases of a backend; PostgreSQL ones are dropped after."""
    created: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        else:
            name = f"dash_test_{uuid.uuid4().hex[:12]}"
            admin = _pg_admin()
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            created.append(name)
            url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        upgrade_database(engine)
        engine.dispose()
        return url

    yield make
    if created:
        admin = _pg_admin()
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def demo_url(backend: str, make_database: Callable[[str], str]) -> str:
    """A database of the backend holding the demo data; tests must not change it."""
    url = make_database(backend)
    engine = make_engine(url)
    with transaction(engine, write=True) as s:
        seed_demo(s)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def demo_engine(demo_url: str) -> Iterator[Engine]:
    engine = make_engine(demo_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _scratch_url(backend: str, make_database: Callable[[str], str]) -> str:
    return make_database(backend)


@pytest.fixture
def engine(_scratch_url: str) -> Iterator[Engine]:
    """A migrated database of the backend, emptied before the test."""
    from lib.seed import clear_content

    engine = make_engine(_scratch_url)
    with transaction(engine, write=True) as s:
        clear_content(s)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_sqlite_file(make_database: Callable[[str], str]) -> Path:
    """A SQLite file with the demo data, for app-level tests."""
    url = make_database("sqlite")
    engine = make_engine(url)
    with transaction(engine, write=True) as s:
        seed_demo(s)
    engine.dispose()
    return Path(make_url(url).database or "")
