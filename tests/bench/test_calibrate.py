"""The calibration of the protocol client against Chromium (bench/protocol/calibrate.py): the server's log
of its script runs, and the comparison of two clients' runs by kind."""

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bench.load.server import STARTUP_TIMEOUT, prepared_database, runs_log_env
from bench.protocol import calibrate
from tests.support.paths import ROOT
from tests.support.server import running_server


def run(path: str, cpu: float, *, fragment: bool = False, signed_in: bool = True) -> dict[str, object]:
    return {"path": path, "fragment": fragment, "signed_in": signed_in, "cpu_ms": cpu, "wall_ms": cpu * 1.5}


def side(runs: list[dict[str, object]], steps: int) -> dict[str, object]:
    return {
        "runs": runs,
        "steps": steps,
        "server_cpu_s": 0.001 * sum(r["cpu_ms"] for r in runs),
        "failures": {},
    }


def test_the_same_runs_under_both_clients_are_within_noise_and_ask_the_same_runs_a_round():
    # Two sessions, two rounds: four task-page loads, and each with one cell edit (a fragment's run).
    runs = [run("nhiem-vu", 40 + i) for i in range(4)] + [
        run("nhiem-vu", 20 + i, fragment=True) for i in range(4)
    ]
    result = calibrate.compare(side(runs, 8), side(list(reversed(runs)), 8), sessions=2, rounds=2, seed=1)
    rows = {row["kind"]: row for row in result["kinds"]}
    assert set(rows) == {"/nhiem-vu, full run", "/nhiem-vu, fragment"}
    page = rows["/nhiem-vu, full run"]
    assert page["runs"] == [4, 4]
    assert page["runs_per_session_round"] == [1.0, 1.0]
    assert page["cpu_ms"] == [41.5, 41.5]
    assert page["cpu_ms_ratio"][0] == 1.0
    assert page["cpu_ms_ratio"][1] <= 1.0 <= page["cpu_ms_ratio"][2]
    assert page["cpu_within_noise"]
    assert result["totals"]["protocol"]["runs_per_step"] == 1.0
    assert result["totals"]["chromium"]["script_cpu_ms_per_step"] == 31.5  # (166 + 86) ms / 8 steps


def test_a_browser_that_costs_twice_as_much_is_out_of_noise():
    ours = [run("", 50 + i % 5, signed_in=False) for i in range(20)]
    theirs = [run("", 2 * (50 + i % 5), signed_in=False) for i in range(20)]
    result = calibrate.compare(side(ours, 20), side(theirs, 20), sessions=1, rounds=20, seed=1)
    (row,) = result["kinds"]
    assert row["kind"] == "/, full run, new session"
    ratio, low, high = row["cpu_ms_ratio"]
    assert ratio == 2.0 and low > 1.5 and high <= 2.5
    assert not row["cpu_within_noise"]


def test_a_kind_only_one_client_asks_for_is_shown_with_no_ratio():
    ours = [run("nhiem-vu", 30), run("nhiem-vu", 31)]
    theirs = [*ours, run("nhiem-vu", 12, fragment=True), run("nhiem-vu", 13, fragment=True)]
    result = calibrate.compare(side(ours, 2), side(theirs, 2), sessions=1, rounds=2, seed=1)
    extra = next(row for row in result["kinds"] if row["kind"] == "/nhiem-vu, fragment")
    assert extra["runs"] == [0, 2]
    assert extra["cpu_ms"] == [None, 12.5]
    assert extra["cpu_ms_ratio"] is None and not extra["cpu_within_noise"]


@pytest.mark.slow
def test_the_server_logs_each_script_run_of_the_protocol_journey(tmp_path):
    # One coordinator, one round, against a real server with the runs log on.
    measured = calibrate.protocol_client(1, 1, "sqlite", 300, tmp_path)
    assert measured["failures"] == {}
    assert measured["steps"] == 6  # the sign-in and the five actions
    kinds = calibrate.by_kind(measured["runs"])
    # Every page load is a new session (as a browser's navigation), the filter a full run of the
    # overview, the cell edit the editor fragment's run, the save its click (the fragment's run) then
    # the page's full run (st.rerun, in the same call of the script thread: logged apart).
    # A new session's first run may be followed by the cookie component's (one run or two: timing).
    assert (False, "", False) in kinds
    assert (False, "nhiem-vu", False) in kinds
    assert len(kinds[(True, "nhiem-vu", True)]) == 2
    assert len(kinds[(True, "nhiem-vu", False)]) == 1
    assert len(kinds[(True, "", False)]) >= 1
    assert all(
        0 < r["cpu_ms"] <= r["wall_ms"] + 0.01 for r in measured["runs"]
    )  # a thread's CPU ≤ its wall time
    assert measured["server_cpu_s"] * 1000 >= sum(r["cpu_ms"] for r in measured["runs"]) * 0.9


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="pinning needs two CPUs")
def test_pinning_keeps_the_clients_off_the_servers_cpu():
    # In a child process: the pinning is for the life of the process that does it.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from bench.protocol.calibrate import pin_server_apart; pin_server_apart(); "
            "print(sorted(os.sched_getaffinity(0)), os.environ['BENCH_SERVER_CPUS'])",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    cpus, server_cpu = done.stdout.rsplit(" ", 1)
    assert str(calibrate.SERVER_CPU) not in cpus.strip("[]").split(", ")
    assert server_cpu.strip() == str(calibrate.SERVER_CPU)


@pytest.mark.slow
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="pinning needs two CPUs")
def test_a_pinned_server_runs_every_thread_on_its_cpu(tmp_path):
    log = tmp_path / "runs.jsonl"
    env = {**runs_log_env(log), "BENCH_SERVER_CPUS": str(calibrate.SERVER_CPU)}
    with (
        prepared_database("sqlite", 10, tmp_path) as url,
        running_server(url, tmp_path / "server.log", env, STARTUP_TIMEOUT) as server,
    ):
        urllib.request.urlopen(f"{server.base_url}/_stcore/health", timeout=30).read()
        threads = list(Path(f"/proc/{server.pid}/task").iterdir())
        assert len(threads) > 1  # the server's own threads, started after the pinning
        assert {tid.name: os.sched_getaffinity(int(tid.name)) for tid in threads} == {
            tid.name: {calibrate.SERVER_CPU} for tid in threads
        }
