"""The load run's audit check (bench/protocol/audit.py): acknowledged saves against the trail, with the
saves sent without an answer (cut short by the stop, or timed out) in between, on a real database and
its real hash chain."""

from bench.protocol.audit import check_saves
from bench.protocol.client import ProtocolError
from lib.data import audit
from lib.data.db import make_engine, transaction

MARKER = "Tải thử"


def _trail(url: str, *saves: tuple[int, str]) -> None:
    engine = make_engine(url)
    with transaction(engine, write=True) as s:
        for row_id, value in saves:
            audit.record(
                s, actor="dp.lucngan", action="update", entity="task", row_id=row_id, field="notes", new=value
            )
    engine.dispose()


def test_a_save_written_as_the_run_stopped_is_told_apart_from_one_nobody_sent(make_database):
    url = make_database("sqlite")
    a, b, c = (1, f"{MARKER} a"), (2, f"{MARKER} b"), (3, f"{MARKER} c")
    _trail(url, a, b)
    acked = [{"row_id": 1, "value": a[1]}]
    no_answer = [{"row_id": 2, "value": b[1]}, {"row_id": 3, "value": c[1]}]

    check = check_saves(url, MARKER, acked, no_answer)
    assert check["ok"] and check["audit_chain_ok"]
    assert (check["acknowledged"], check["in_audit_trail"]) == (1, 2)
    assert (check["unanswered"], check["written_unanswered"]) == (2, 1)  # c never reached the server

    check = check_saves(url, MARKER, acked)  # b was never sent as far as the client knows
    assert not check["ok"] and check["unexpected"] == [f"task 2: {b[1]}"]


def test_a_save_the_app_answered_is_never_unanswered():
    # Only a save whose answer never came may be in the trail without an acknowledgement.
    assert ProtocolError("timeout").unanswered and ProtocolError("refused").unanswered
    answered = ("save refused", "error shown", "exception", "widget missing")
    assert not any(ProtocolError(kind).unanswered for kind in answered)
