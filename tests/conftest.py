"""Fixtures: real databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text, update
from sqlalchemy.engine import make_url

from lib.data.db import make_engine, transaction
from lib.data.models import AppMeta, Base
from lib.ops.manage import upgrade_database
from lib.ops.seed import seed_demo
from tests.support.caches import clear_caches
from tests.support.databases import copy_sqlite
from tests.support.postgres import PG_URL

BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


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
        seed_demo(s, history=False)
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


def wipe(engine: Engine) -> None:
    """Delete every row but the database's own counters, which go back to zero."""
    with transaction(engine, write=True) as s:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "app_meta":
                s.execute(table.delete())
        s.execute(update(AppMeta).values(value=0))


@pytest.fixture
def engine(_scratch_url: str) -> Iterator[Engine]:
    """A migrated database of the backend, emptied before the test."""
    engine = make_engine(_scratch_url)
    wipe(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_sqlite_file(make_database: Callable[[str], str]) -> Path:
    """A SQLite file with the demo data, for app-level tests."""
    url = make_database("sqlite")
    engine = make_engine(url)
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    engine.dispose()
    return Path(make_url(url).database or "")


@pytest.fixture(autouse=True)
def _navigation_as_on_a_running_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make AppTest run app.py on every rerun, as a running server does.

    With a `pages/` folder next to app.py, Streamlit starts each process in its legacy multipage
    mode until st.navigation runs once; AppTest resets that flag before every run, so without this
    every rerun after the first would run the page file alone and skip sign-in in app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def demo_copy(tmp_path: Path, demo_sqlite_file: Path) -> Path:
    """A private copy of the demo SQLite database that a test may change."""
    return copy_sqlite(demo_sqlite_file, tmp_path / "demo-copy.db")


@pytest.fixture(autouse=True)
def _fast_bcrypt(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash at bcrypt's lowest cost in tests, except those marked real_bcrypt (timing)."""
    if request.node.get_closest_marker("real_bcrypt") is None:
        from lib.core import security

        monkeypatch.setattr(security, "BCRYPT_ROUNDS", 4)


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Empty Streamlit's caches before and after the test (for tests that run pages)."""
    clear_caches()
    yield
    clear_caches()
