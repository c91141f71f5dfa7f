"""One or two app replicas behind HAProxy with deploy/haproxy.cfg (as `make proxy` runs it), for a
load run: TLS, sticky sessions (the BGREPLICA cookie), one shared cookie key."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from bench.load.server import STARTUP_TIMEOUT
from lib.core.security import generate_cookie_key
from tests.support.paths import ROOT
from tests.support.server import Server, free_port, running_server

REPLICAS_IN_CONFIG = 2  # deploy/haproxy.cfg names APP1 and APP2 (the same one twice for a single replica)


@contextlib.contextmanager
def behind_proxy(database_url: str, workdir: Path, replicas: int) -> Iterator[tuple[str, list[Server]]]:
    """Start `replicas` app servers (1 or 2) and HAProxy in front; yield (https base URL, servers)."""
    if not 1 <= replicas <= REPLICAS_IN_CONFIG:
        raise SystemExit(f"deploy/haproxy.cfg holds 1 or 2 replicas, not {replicas}")
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        raise SystemExit("HAProxy not found (apt-get install haproxy)")
    key = generate_cookie_key()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-keyout", str(workdir / "key.pem"), "-out", str(workdir / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    cert = workdir / "proxy.pem"
    cert.write_bytes((workdir / "cert.pem").read_bytes() + (workdir / "key.pem").read_bytes())
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(
                running_server(
                    database_url,
                    workdir / f"server{i + 1}.log",
                    env={"AUTH_COOKIE_KEY": key},
                    startup_timeout=STARTUP_TIMEOUT,
                )
            )
            for i in range(replicas)
        ]
        addresses = [s.base_url.removeprefix("http://") for s in servers]
        https_port, http_port = free_port(), free_port()
        env = {
            **os.environ,
            "PROXY_HTTPS_BIND": f"127.0.0.1:{https_port}",
            "PROXY_HTTP_BIND": f"127.0.0.1:{http_port}",
            "PROXY_CERT": str(cert),
            "APP1": addresses[0],
            "APP2": addresses[-1],
            "AUTH_COOKIE_KEY": key,
        }
        log_path = workdir / "haproxy.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [haproxy, "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")], env=env, stdout=log, stderr=log
            )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError(log_path.read_text(errors="replace")) from None
                    time.sleep(0.2)
            yield f"https://127.0.0.1:{https_port}", servers
        finally:
            proc.terminate()
            proc.wait(timeout=10)
