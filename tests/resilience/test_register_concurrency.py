"""Adding, editing and retiring rows at once, through the real write path, on both engines: afterwards no
acknowledged row or value is lost, duplicated or half-written, nothing refused is left behind, every
version is one recorded save and every refusal is in the trail. A negative control damages the rows
behind the engine's back and shows the checker names each kind of damage."""

import pytest

from tests.support.register_machinery import REGISTERS, check_register, corrupt, run_register_workload


@pytest.fixture(params=REGISTERS, ids=lambda c: c.name)
def register(request):
    return request.param


def _ran(record):
    print(record.summary())
    assert record.created and record.edits and record.retirements and record.resubmitted, record.summary()
    assert {"refused_conflict", "refused"} <= set(record.refusals), record.summary()  # races and scope


@pytest.mark.slow
def test_eight_clients_make_500_mixed_changes_each_and_lose_nothing(engine, register):
    record = run_register_workload(engine, register, threads=8, ops_per_thread=500, seed=30)
    _ran(record)
    assert check_register(engine, register, record) == []


def test_eight_clients_make_mixed_changes_and_lose_nothing(engine, register):
    record = run_register_workload(engine, register, threads=8, ops_per_thread=40, seed=885)
    _ran(record)
    assert check_register(engine, register, record) == []


def test_the_checker_names_a_lost_a_duplicated_and_a_half_written_row(engine, register):
    record = run_register_workload(engine, register, threads=4, ops_per_thread=30, seed=1776)
    assert check_register(engine, register, record) == []
    damaged = corrupt(engine, register, record)
    problems = check_register(engine, register, record)
    print("\n".join(problems))
    assert any(f"(row {damaged['lost']})" in p for p in problems if p.startswith("lost row")), problems
    assert any(p.startswith("duplicated row") for p in problems), problems
    assert any(p.startswith(f"half-written row {damaged['half-written']}:") for p in problems), problems
