"""A real app server and a real Chromium (Debian's package; no browser download)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.databases import copy_sqlite
from tests.support.paths import ROOT
from tests.support.server import free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: .ci/run installs Debian's chromium package")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def app_server(tmp_path: Path, demo_sqlite_file: Path) -> Iterator[Callable[..., str]]:
    """Start the app (`python -m lib.serve`) on a copy of the demo database; return its base URL."""
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[IO[bytes]] = []
    pids: dict[str, int] = {}  # base URL → server process id (for memory readings)

    def start(**env: str) -> str:
        db = tmp_path / f"app{len(processes)}.db"
        copy_sqlite(demo_sqlite_file, db)
        port = free_port()
        full_env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DASHBOARD_ENV": "demo", **env}
        log = (tmp_path / f"server{port}.log").open("wb")
        logs.append(log)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lib.serve",  # what `make run` uses
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(proc)
        base = f"http://127.0.0.1:{port}"
        pids[base] = proc.pid
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return base
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"app did not start; log: {(tmp_path / f'server{port}.log').read_text()}")

    start.pid_of = pids.__getitem__  # type: ignore[attr-defined]
    yield start
    for proc in processes:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    for log in logs:
        log.close()


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
