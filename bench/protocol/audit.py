"""The audit-trail check after a load run: every save the app acknowledged is in the trail, nothing else."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import create_engine, select

from bench.load.server import check_database
from lib.data.models import AuditEvent


def check_saves(
    database_url: str,
    marker: str,
    acknowledged: list[dict[str, Any]],
    unanswered: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Compare the notes saves the sessions saw acknowledged with the audit events of notes typed by
    the run (those starting with `marker`), by task id and value; verify the hash chain as well.

    `unanswered`: saves sent that the app neither acknowledged nor refused (in flight when the run
    stopped its users, or lost to a timeout). Each may be in the trail or not (the server may have
    committed it without the answer reaching the client); anything else in the trail is unexpected,
    and a refused save is never unanswered."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(AuditEvent.row_id, AuditEvent.new_value, AuditEvent.action).where(
                    AuditEvent.field == "notes", AuditEvent.new_value.like(f"{marker}%")
                )
            ).all()
    finally:
        engine.dispose()
    in_trail = Counter((int(r.row_id), str(r.new_value)) for r in rows)
    acked = Counter((int(s["row_id"]), str(s["value"])) for s in acknowledged)
    missing = acked - in_trail
    unexpected = in_trail - acked
    no_answer = Counter((int(s["row_id"]), str(s["value"])) for s in unanswered or [])
    written_unanswered = unexpected & no_answer
    unexpected -= written_unanswered
    chain = check_database(database_url, marker)
    return {
        "ok": not missing and not unexpected and chain["audit_chain_ok"],
        "acknowledged": sum(acked.values()),
        "in_audit_trail": sum(in_trail.values()),
        "unanswered": sum(no_answer.values()),
        "written_unanswered": sum(written_unanswered.values()),
        "missing": [f"task {r}: {v}" for r, v in list(missing.elements())[:5]],
        "unexpected": [f"task {r}: {v}" for r, v in list(unexpected.elements())[:5]],
        "audit_chain_ok": chain["audit_chain_ok"],
        "verify_audit": chain["verify_audit"],
    }
