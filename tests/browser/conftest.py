"""A real app server and a real Chromium (Debian's package; no browser download)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.databases import copy_sqlite
from tests.support.server import Server, start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test file: a journey that leaves pages or state behind (a failure before its
    page.close()) cannot slow or disturb the next file's grid."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: .ci/run installs Debian's chromium package")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture(autouse=True)
def _close_pages(request: pytest.FixtureRequest) -> Iterator[None]:
    """Close every page a test opened once it ends, passed or failed. A page left open keeps
    reconnecting to its stopped server; in CI the next test of the same file then typed into a
    grid that never took the text (the editing journeys after test_edit_save_reload)."""
    yield
    if "browser" in request.fixturenames:
        for context in list(request.getfixturevalue("browser").contexts):
            context.close()


@pytest.fixture
def app_server(tmp_path: Path, demo_sqlite_file: Path) -> Iterator[Callable[..., str]]:
    """Start the app (`python -m lib.serve`) on a copy of the demo database; return its base URL.

    Keyword arguments go to the server's environment (DATABASE_URL=… serves another database);
    `app_server.pid_of(base)` is the server's process id (for memory readings).
    """
    servers: list[Server] = []

    def start(**env: str) -> str:
        db = tmp_path / f"app{len(servers)}.db"
        copy_sqlite(demo_sqlite_file, db)
        server = start_server(f"sqlite:///{db}", tmp_path / f"server{len(servers)}.log", env)
        servers.append(server)
        return server.base_url

    start.pid_of = lambda base: next(s.pid for s in servers if s.base_url == base)  # type: ignore[attr-defined]
    yield start
    for server in servers:
        server.stop(timeout=10)


@pytest.fixture(autouse=True)
def _hard_timeout():
    """Fail a browser test that hangs instead of letting it block the run (180 s)."""
    import signal

    def _expired(_signum, _frame):
        raise TimeoutError("browser test exceeded 180 s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(int(os.environ.get("BROWSER_TEST_TIMEOUT", "180")))
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)
