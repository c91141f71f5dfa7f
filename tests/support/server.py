"""The app served for real (`python -m lib.serve`, what `make run` starts) on a free port, for the
browser tests and the load benchmark (`python -m bench.load`)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.paths import ROOT

SERVE_FLAGS = (
    "--server.headless",
    "true",
    "--browser.gatherUsageStats",
    "false",
    "--server.fileWatcherType",
    "none",
)


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One running app server."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's output."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 15) -> None:
        """Terminate the server; kill it if it has not ended after `timeout` seconds."""
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(
    database_url: str,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 60,
) -> Server:
    """Start `python -m lib.serve` in demo mode on `database_url` (`env` adds to or overrides the
    environment), its output in `log_path`; return once /_stcore/health answers."""
    port = free_port()
    full_env = {**os.environ, "DATABASE_URL": database_url, "DASHBOARD_ENV": "demo", **(env or {})}
    command = [sys.executable, "-m", "lib.serve", "--server.port", str(port), *SERVE_FLAGS]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + startup_timeout
    while True:
        try:
            with urllib.request.urlopen(f"{server.base_url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"the app did not start:\n{server.log_tail()}") from None
            time.sleep(0.3)


@contextlib.contextmanager
def running_server(
    database_url: str,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 60,
) -> Iterator[Server]:
    """`start_server` for the length of a `with` block."""
    server = start_server(database_url, log_path, env, startup_timeout)
    try:
        yield server
    finally:
        server.stop()
