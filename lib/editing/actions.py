"""One user action, one write transaction; a refusal is rolled back and then recorded on its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lib.core.roles import Actor, Refused
from lib.data import accounts, audit
from lib.data.db import transaction

P = ParamSpec("P")
T = TypeVar("T")


def perform(
    engine: Engine,
    actor: Actor,
    fn: Callable[Concatenate[Session, Actor, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run `fn(session, actor, …)` in one write transaction; on Refused, record it and re-raise."""
    try:
        with transaction(engine, write=True) as s:
            return fn(s, actor, *args, **kwargs)
    except Refused as exc:
        record_refusal(engine, actor, exc)
        raise


def record_refusal(engine: Engine, actor: Actor, exc: Refused) -> None:
    """Write a refusal to the audit trail in a transaction of its own.

    Nothing else changed, so no data version moves: every cached read stays warm. The trail's own
    counter (which `audit.record` raises under its lock) is what the readers of the trail key on.
    """
    with transaction(engine, write=True) as s:
        audit.record(
            s,
            actor=actor.username,
            action=exc.action,
            entity=exc.entity or "?",
            row_id=exc.row_id,
            locality_id=exc.locality_id,
            field=exc.field,
            reason=exc.message,
        )


def sign_in_with_password(
    engine: Engine,
    username: str,
    password: str,
    now: datetime,
    lifetime: timedelta,
    key: str,
    *,
    client: str = accounts.LOCAL_CLIENT,
    device_token: str | None = None,
) -> accounts.LoginResult:
    """Check a password and, on success, open a session known to the browser by `key`.

    bcrypt (a quarter of a second, more under load) runs between two short transactions, never
    inside one: on SQLite a write transaction holds the database's only write lock, and holding it
    through the check queued every other sign-in and every save behind this one. An attempt a lock
    already refuses costs no bcrypt at all, so a client that keeps guessing cannot burn the CPU.
    """
    with transaction(engine) as s:
        candidate = accounts.find_login(s, username, now, client=client, device_token=device_token)
        locked = accounts.lock_on(s, candidate, now) is not None
    password_ok = not locked and accounts.check_password(candidate, password)
    with transaction(engine, write=True) as s:
        result = accounts.record_login(s, candidate, password_ok, now)
        if result.outcome == "success" and result.user_id is not None:
            accounts.start_session(s, result.user_id, now, lifetime, key)
    return result
