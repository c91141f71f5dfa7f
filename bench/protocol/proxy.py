"""One or two app replicas behind HAProxy with deploy/haproxy.cfg (as `make proxy` runs it), for a
load run: TLS, sticky sessions (the BGREPLICA cookie), one shared cookie key."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from bench.load.server import STARTUP_TIMEOUT
from lib.core.security import generate_cookie_key
from tests.support.proxy import haproxy_installed, running_proxy
from tests.support.server import Server, running_server

REPLICAS_IN_CONFIG = 2  # deploy/haproxy.cfg names APP1 and APP2 (the same one twice for a single replica)


@contextlib.contextmanager
def behind_proxy(database_url: str, workdir: Path, replicas: int) -> Iterator[tuple[str, list[Server]]]:
    """Start `replicas` app servers (1 or 2) and HAProxy in front; yield (https base URL, servers)."""
    if not 1 <= replicas <= REPLICAS_IN_CONFIG:
        raise SystemExit(f"deploy/haproxy.cfg holds 1 or 2 replicas, not {replicas}")
    if not haproxy_installed():
        raise SystemExit("HAProxy not found (apt-get install haproxy)")
    key = generate_cookie_key()
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
        with running_proxy(addresses, key, workdir) as proxy:
            yield proxy.https, servers
