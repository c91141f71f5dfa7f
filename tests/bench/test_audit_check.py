"""The load run's audit check (bench/protocol/audit.py): acknowledged saves against the trail, with the
saves a stopping run cut short in between, on a real database and its real hash chain."""

from bench.protocol.audit import check_saves
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
    cut_short = [{"row_id": 2, "value": b[1]}, {"row_id": 3, "value": c[1]}]

    check = check_saves(url, MARKER, acked, cut_short)
    assert check["ok"] and check["audit_chain_ok"]
    assert (check["acknowledged"], check["in_audit_trail"]) == (1, 2)
    assert (check["in_flight_at_stop"], check["written_at_stop"]) == (2, 1)  # c never reached the server

    check = check_saves(url, MARKER, acked)  # b was never sent as far as the client knows
    assert not check["ok"] and check["unexpected"] == [f"task 2: {b[1]}"]
