"""What each action costs the server, one action at a time (`python -m bench.protocol.cost`).

The load run (`python -m bench.protocol`) says how many sessions a server holds on this machine at this
hour; its CPU per action moves with everything else the machine runs. This measures the server's own CPU
seconds (user + system, from /proc) around each action of the same journey, with one session acting at a
time and nothing else asking the server for anything: a figure to compare a change against, even on a
busy machine. Coordinators take turns (each has their own scope, so their cached reads differ); each
signs in and then does `--rounds` rounds of: the overview, a locality picked in "Địa bàn", /nhiem-vu, a
note typed into one of their rows, "Lưu". It also counts the script runs each action started (a save
is two: the click, then st.rerun()) and whether the run was a fragment's.

The CPU clock ticks at 100 Hz, so one action's figure is ±10 ms: the table gives the median and the mean
over every round but the first (the first pays the caches, once per process or per scope), and the
first rounds' mean apart. `--json` writes the same to a file. A reference loop (pure Python, the same
work everywhere) times this machine's core, so figures from two machines can be put side by side.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.load.measure import cpu_seconds
from bench.load.server import STARTUP_TIMEOUT, prepared_database
from bench.protocol.journey import Coordinator
from bench.protocol.report import ACTIONS
from tests.support.server import running_server

ROUND = ("load_overview", "filter", "load_tasks", "edit", "save")


def reference_loop_ms() -> float:
    """Best of five of a fixed pure-Python loop: how fast this machine's core runs the interpreter."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        total = 0
        for i in range(1_000_000):
            total += i * i % 7
        best = min(best, time.process_time() - started)
    return round(best * 1000, 1)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.protocol.cost", description=__doc__)
    parser.add_argument("--rounds", type=int, default=8, help="rounds of the 5 actions each (8)")
    parser.add_argument("--coordinators", type=int, default=4, help="coordinators taking turns (4)")
    parser.add_argument("--tasks", type=int, default=10_000, help="synthetic tasks in the database (10000)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--json", type=Path, default=Path("bench-results-cost.json"))
    return parser.parse_args(argv)


def measure(base_url: str, pid: int, coordinators: int, rounds: int) -> dict[str, Any]:
    """Run the journey one action at a time; return CPU seconds and script runs per action."""
    marker = f"Chi phí {uuid.uuid4().hex[:6]}"
    cpu: dict[str, list[float]] = {name: [] for name in ACTIONS}
    first: dict[str, list[float]] = {name: [] for name in ACTIONS}
    runs: dict[str, list[int]] = {name: [] for name in ACTIONS}
    fragments: dict[str, int] = dict.fromkeys(ACTIONS, 0)
    people = [Coordinator(base_url, i, marker) for i in range(coordinators)]

    def act(who: Coordinator, name: str, step: Callable[[], object], warm: bool) -> None:
        before = cpu_seconds(pid)
        step()
        spent = cpu_seconds(pid) - before
        (cpu if warm else first)[name].append(spent)
        runs[name].append(who.session.last.runs or 1)
        fragments[name] += bool(who.session.last.fragment)

    try:
        for who in people:
            act(who, "open", who.open, True)
            act(who, "sign_in", who.sign_in, True)
        for r in range(rounds):
            for who in people:
                for name in ROUND:
                    act(who, name, getattr(who, "change_filter" if name == "filter" else name), r > 0)
    finally:
        for who in people:
            who.close()
    table = {}
    for name, label in ACTIONS.items():
        values = cpu[name]
        table[name] = {
            "label": label,
            "n": len(values),
            "median_ms": round(statistics.median(values) * 1000, 1) if values else None,
            "mean_ms": round(statistics.fmean(values) * 1000, 1) if values else None,
            "first_round_mean_ms": round(statistics.fmean(first[name]) * 1000, 1) if first[name] else None,
            "runs_per_action": round(statistics.fmean(runs[name]), 2) if runs[name] else None,
            "fragment_runs": fragments[name],
        }
    warm_round = sum(table[n]["mean_ms"] or 0 for n in ROUND)
    return {
        "actions": table,
        "warm_round_ms": round(warm_round, 1),
        "per_action_ms": round(warm_round / 5, 1),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    reference = reference_loop_ms()
    workdir = Path(tempfile.mkdtemp(prefix="bench-cost-"))
    with (
        prepared_database(args.engine, args.tasks, workdir) as url,
        running_server(url, workdir / "server.log", startup_timeout=STARTUP_TIMEOUT) as server,
    ):
        result = measure(server.base_url, server.pid, args.coordinators, args.rounds)
    result.update(
        {
            "engine": args.engine,
            "tasks": args.tasks,
            "coordinators": args.coordinators,
            "rounds": args.rounds,
            "reference_loop_ms": reference,
            "date": time.strftime("%Y-%m-%d %H:%M"),
        }
    )
    setting = f"{args.engine}, {args.tasks:,} tasks; reference loop {reference} ms"
    print(f"\nServer CPU per action, one at a time ({setting})")
    print(f"{'action':32} {'n':>4} {'median':>8} {'mean':>8} {'1st round':>10} {'runs':>5} {'fragment':>9}")
    for row in result["actions"].values():
        print(
            f"{row['label']:32} {row['n']:>4} {row['median_ms']!s:>8} {row['mean_ms']!s:>8} "
            f"{row['first_round_mean_ms']!s:>10} {row['runs_per_action']!s:>5} {row['fragment_runs']:>9}"
        )
    warm, each = result["warm_round_ms"], result["per_action_ms"]
    print(f"a warm round of the five actions: {warm} ms ({each} ms an action)")
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"Wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
