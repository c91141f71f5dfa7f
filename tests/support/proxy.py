"""HAProxy (Debian's package) with deploy/haproxy.cfg in front of app replicas, as `make proxy` runs it:
for the proxy's browser tests and the load test's replicas (bench/protocol)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.paths import ROOT
from tests.support.server import free_port

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


@dataclass(frozen=True)
class Proxy:
    """A running HAProxy: where it serves TLS and plain HTTP (which only redirects)."""

    https: str
    http: str


def haproxy_installed() -> bool:
    """Whether HAProxy is there to be run."""
    return Path(HAPROXY).exists()


def self_signed_certificate(folder: Path) -> Path:
    """A certificate for localhost and its key in one PEM file (what HAProxy's `crt` takes)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    pem = folder / "proxy.pem"
    pem.write_bytes((folder / "cert.pem").read_bytes() + (folder / "key.pem").read_bytes())
    return pem


@contextlib.contextmanager
def running_proxy(replicas: list[str], cookie_key: str, folder: Path) -> Iterator[Proxy]:
    """HAProxy with deploy/haproxy.cfg on free local ports in front of one or two replicas
    ("host:port"; one is given twice), with a fresh certificate; its log in `folder`."""
    https_port, http_port = free_port(), free_port()
    env = {
        **os.environ,
        "PROXY_HTTPS_BIND": f"127.0.0.1:{https_port}",
        "PROXY_HTTP_BIND": f"127.0.0.1:{http_port}",
        "PROXY_CERT": str(self_signed_certificate(folder)),
        "APP1": replicas[0],
        "APP2": replicas[-1],
        "AUTH_COOKIE_KEY": cookie_key,
    }
    log_path = folder / "haproxy.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")], env=env, stdout=log, stderr=log
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
        yield Proxy(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
