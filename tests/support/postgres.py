"""PostgreSQL for the tests: the server named by TEST_DATABASE_URL, and a demo database reached
through a relay that a test cuts to "stop" the server (see relay.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from lib.data.db import make_engine, transaction
from lib.ops.seed import seed_demo
from tests.support.relay import Relay

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


@dataclass(frozen=True)
class RelayedDatabase:
    """A demo PostgreSQL database, reached by the app through `relay`."""

    relay: Relay
    url: str  # the app's URL: through the relay, with a short connect timeout
    direct: Engine  # straight to the server, past the relay


def relayed_demo_database(make_database: Callable[[str], str]) -> RelayedDatabase:
    """Make a fresh PostgreSQL database holding the demo data and start a relay to it (the test is
    skipped without TEST_DATABASE_URL). The caller stops the relay and disposes of `direct`."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    url = make_url(make_database("postgresql"))
    direct = make_engine(url.render_as_string(hide_password=False))
    with transaction(direct, write=True) as s:
        seed_demo(s, history=False)
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    relay.start()
    through = url.set(host="127.0.0.1", port=relay.port, query={"connect_timeout": "3"})
    return RelayedDatabase(relay, through.render_as_string(hide_password=False), direct)
