"""The app served for real (`python -m lib.serve`, what `make run` starts), for the browser tests
and the load benchmark."""

from __future__ import annotations

import socket


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
