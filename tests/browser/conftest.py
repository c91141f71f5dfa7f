"""A real app server and a real Chromium (Debian's package; no browser download)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.conftest import copy_sqlite

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
        port = _free_port()
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


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def wait_idle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the script has finished its run."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=30_000)


def sign_in(page, base: str, username: str, password: str = "bacgiang2024", path: str = "/") -> None:  # type: ignore[no-untyped-def]
    """Open the app and sign in through the form."""
    from playwright.sync_api import expect

    page.goto(base + path)
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible(timeout=30_000)
    signed_in = page.get_by_text(f"({username})")
    for _attempt in range(3):
        wait_idle(page)  # the first run of a new server process can redraw the form once
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(password)
        page.get_by_role("button", name="Đăng nhập").click()
        try:
            expect(signed_in).to_be_visible(timeout=20_000)
            break
        except AssertionError:
            # A click during a rerun can be dropped by Streamlit's frontend (seen under load): the
            # form is still there, untouched; submit it again.
            if not page.get_by_label("Tên đăng nhập").is_visible():
                break  # the sign-in went through, only slowly
    expect(signed_in).to_be_visible(timeout=30_000)
    # The re-login cookie is set by the server when the page's one-pixel image is fetched;
    # wait for it, so that later steps (a reload, a second tab) find a browser that stays signed in.
    deadline = time.monotonic() + 30  # 15 s was once not enough on a loaded 2-core machine
    while not any(c["name"] == "bg_dashboard_auth" for c in page.context.cookies()):
        if time.monotonic() > deadline:
            raise AssertionError("the re-login cookie was never stored")
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)
    wait_idle(page)


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
