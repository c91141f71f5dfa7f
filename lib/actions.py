"""One user action, one write transaction; a refusal is rolled back and then recorded on its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lib import audit
from lib.db import bump_data_version, transaction
from lib.roles import Actor, Refused

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
    """Write a refusal to the audit trail in a transaction of its own."""
    with transaction(engine, write=True) as s:
        bump_data_version(s)
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
