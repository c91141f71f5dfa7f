"""Does the protocol client ask the server for what a browser asks? (`python -m bench.protocol.calibrate`)

The same journey is driven twice, each time against a fresh server and database: once by the protocol
client (`bench/protocol/journey.py`, the code Locust runs) and once by Chromium (`bench/load`, the
end-to-end harness). Every session signs in, then does `--rounds` rounds of: the overview, a locality
picked in "Địa bàn", /nhiem-vu, a note typed into one of its rows, "Lưu". Each page load opens a new
session, as a browser's navigation does. The browsers go first, all sessions together, each step as
soon as the last one is done; the protocol sessions then act at the same pace (an action every so
many seconds, the browsers' rounds' wall time shared out), not back to back: a client that asks
faster keeps the server busier, its runs overlap more and each costs more CPU (at five sessions back
to back, the protocol's runs cost up to 1.2 times the browsers'). `--no-pace` runs them back to back.

The server logs each script run (BENCH_RUNS_OUT, bench/protocol/profiling/sitecustomize.py): the page,
whether it was a fragment's run, whether the session was signed in when it started, its wall time and
its own CPU time. Runs are compared by kind (page, fragment or full run, signed in or not):

- how many runs of each kind a session's round asks for (the same journey should ask the same runs);
- each kind's median CPU and wall milliseconds under either client, with the ratio of the medians
  and a bootstrap 95 % interval of that ratio. A kind is "within noise" when the interval holds 1.

A run's CPU time is the script thread's own (`time.thread_time`): what the run cost the interpreter,
not the time it waited for it. With five Chromium instances on two cores the server waits a lot, so
wall times there measure the machine as much as the app; CPU times do not. The server's whole CPU per
step (script runs, the event loop, HTTP: from /proc) is given as well.

`--pin` gives the server a core of its own: the server on CPU 0 (BENCH_SERVER_CPUS, set by the
server's sitecustomize before its first thread), this process and what it starts (the browser
harness, its Chromium instances, the protocol sessions) on the others. Without it, five Chromium
instances and the server share both cores, and the server's runs cost more CPU under the browsers
than under the protocol client (cache and core sharing), which is the machine, not the client.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench.load.measure import tree_cpu_seconds
from bench.load.server import STARTUP_TIMEOUT, prepared_database, runs_log_env
from bench.protocol.client import ProtocolError
from bench.protocol.journey import Coordinator
from tests.support.paths import ROOT
from tests.support.server import running_server

Kind = tuple[bool, str, bool]  # (signed in when it started, page path, fragment run)
BOOTSTRAP = 2000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.protocol.calibrate", description=__doc__)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5], help="session counts (1 5)")
    parser.add_argument("--rounds", type=int, default=8, help="rounds per session (8)")
    parser.add_argument("--tasks", type=int, default=10_000, help="synthetic tasks in the database (10000)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--json", type=Path, default=Path("bench-results-calibrate.json"))
    parser.add_argument("--seed", type=int, default=1, help="seed of the bootstrap (1)")
    parser.add_argument(
        "--no-pace",
        dest="pace",
        action="store_false",
        help="run the protocol sessions' actions back to back instead of at the browsers' pace",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="the server on CPU 0, the clients (Chromium, the protocol sessions) on the other CPUs",
    )
    return parser.parse_args(argv)


SERVER_CPU = 0


def pin_server_apart() -> None:
    """Keep this process, and all it starts, off SERVER_CPU; servers started from here with the runs
    log's environment move themselves onto it (BENCH_SERVER_CPUS)."""
    others = os.sched_getaffinity(0) - {SERVER_CPU}
    if not others:
        raise SystemExit("--pin needs at least two CPUs")
    os.sched_setaffinity(0, others)
    os.environ["BENCH_SERVER_CPUS"] = str(SERVER_CPU)


def kind_label(kind: Kind) -> str:
    """ "/nhiem-vu, fragment", "/ full run, new session" (its first run: a page load or the sign-in form)."""
    signed_in, path, fragment = kind
    page = "/" + path if path != "?" else "?"
    what = "fragment" if fragment else "full run"
    return f"{page}, {what}" if signed_in else f"{page}, {what}, new session"


# -- the two clients ------------------------------------------------------------------------------


def protocol_client(
    sessions: int, rounds: int, engine: str, tasks: int, workdir: Path, interval: float = 0.0
) -> dict[str, Any]:
    """Drive the journey with the protocol client; return the server's runs and CPU. After the
    sign-in, each session starts an action every `interval` seconds (or as soon as the last one
    ended, if later), from a random moment of its first interval."""
    log = workdir / "runs-protocol.jsonl"
    marker = "Hiệu chỉnh"
    failures: Counter[str] = Counter()
    steps = [0]
    lock = threading.Lock()
    with (
        prepared_database(engine, tasks, workdir) as url,
        running_server(url, workdir / "server-protocol.log", runs_log_env(log), STARTUP_TIMEOUT) as server,
    ):
        people = [Coordinator(server.base_url, i, marker, new_session_per_page=True) for i in range(sessions)]
        signed_in = threading.Barrier(sessions)
        before = tree_cpu_seconds(server.pid)

        def step(name: str, action: Callable[[], object], due: list[float] | None = None) -> bool:
            if due is not None:  # paced: wait for this action's turn
                time.sleep(max(0.0, due[0] - time.monotonic()))
                due[0] = max(due[0], time.monotonic()) + interval
            try:
                action()
            except ProtocolError as exc:
                with lock:
                    failures[f"{name}: {exc.kind}"] += 1
                return False
            except Exception as exc:  # noqa: BLE001 (counted as a failure; the run goes on)
                with lock:
                    failures[f"{name}: {type(exc).__name__}"] += 1
                return False
            if name != "open":  # the browser harness counts opening the form as part of the sign-in
                with lock:
                    steps[0] += 1
            return True

        def journey(who: Coordinator) -> None:
            try:
                ok = step("open", who.open) and step("sign_in", who.sign_in)
                signed_in.wait(timeout=300)  # every step above returns, failed or not
                if not ok:
                    return
                due = [time.monotonic() + random.uniform(0, interval)]
                for _ in range(rounds):
                    if step("load_overview", who.load_overview, due):
                        step("filter", who.change_filter, due)
                    if step("load_tasks", who.load_tasks, due) and step("edit", who.edit, due):
                        step("save", who.save, due)
            finally:
                who.close()

        threads = [threading.Thread(target=journey, args=(who,)) for who in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        server_cpu = tree_cpu_seconds(server.pid) - before
    return {"runs": read_runs(log), "server_cpu_s": server_cpu, "steps": steps[0], "failures": dict(failures)}


def chromium(sessions: int, rounds: int, engine: str, tasks: int, workdir: Path) -> dict[str, Any]:
    """Drive the journey with the Chromium harness (its own process); return the server's runs and CPU."""
    log, out = workdir / "runs-chromium.jsonl", workdir / "chromium.json"
    command = [
        *(sys.executable, "-m", "bench.load", "--sessions", str(sessions), "--rounds", str(rounds)),
        *("--engine", engine, "--tasks", str(tasks), "--out", str(out), "--runs-log", str(log)),
    ]
    status = subprocess.run(command, cwd=ROOT, check=False).returncode
    if not out.exists():
        raise SystemExit("the Chromium harness wrote no report (is Chromium installed? make load-browser)")
    report = json.loads(out.read_text(encoding="utf-8"))
    signed_in = report["operations"].get("sign_in", 0)
    return {
        "runs": read_runs(log),
        "server_cpu_s": report["server_cpu_s"],
        "steps": report["operations_total"],
        # The harness exits 1 on a failed step and when the audit trail's notes differ from the saves
        # the browsers saw succeed (an edit it could not read back is checked there).
        "failures": {**report["failures"], **({"harness exit status": status} if status else {})},
        # The seconds between two actions of a session, on average: its rounds' wall time shared out.
        "interval_s": report["rounds_wall_s"] * sessions / max(1, report["operations_total"] - signed_in),
    }


def read_runs(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# -- the comparison -------------------------------------------------------------------------------


def by_kind(runs: Iterable[dict[str, Any]]) -> dict[Kind, list[dict[str, Any]]]:
    kinds: dict[Kind, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        kinds[(bool(run["signed_in"]), str(run["path"]), bool(run["fragment"]))].append(run)
    return kinds


def median_ratio(a: list[float], b: list[float], rng: random.Random) -> tuple[float, float, float] | None:
    """median(b) / median(a) with a bootstrap 95 % interval (percentiles of resampled ratios)."""
    if len(a) < 2 or len(b) < 2 or statistics.median(a) <= 0:
        return None
    ratios = []
    for _ in range(BOOTSTRAP):
        ma = statistics.median(rng.choices(a, k=len(a)))
        mb = statistics.median(rng.choices(b, k=len(b)))
        if ma > 0:
            ratios.append(mb / ma)
    ratios.sort()
    low, high = ratios[int(0.025 * len(ratios))], ratios[int(0.975 * len(ratios)) - 1]
    return statistics.median(b) / statistics.median(a), low, high


def compare(
    protocol: dict[str, Any], browser: dict[str, Any], sessions: int, rounds: int, seed: int
) -> dict[str, Any]:
    """Both clients' runs side by side, by kind; and their totals per step."""
    rng = random.Random(seed)
    ours, theirs = by_kind(protocol["runs"]), by_kind(browser["runs"])
    rows = []
    per_round = sessions * rounds

    def order(kind: Kind) -> tuple[int, str]:
        return -len(ours.get(kind, [])) - len(theirs.get(kind, [])), kind_label(kind)

    for kind in sorted({*ours, *theirs}, key=order):
        a, b = ours.get(kind, []), theirs.get(kind, [])
        row: dict[str, Any] = {
            "kind": kind_label(kind),
            "runs": [len(a), len(b)],
            "runs_per_session_round": [round(len(a) / per_round, 2), round(len(b) / per_round, 2)],
        }
        for measure in ("cpu_ms", "wall_ms"):
            xa, xb = [r[measure] for r in a], [r[measure] for r in b]
            row[measure] = [
                round(statistics.median(xa), 1) if xa else None,
                round(statistics.median(xb), 1) if xb else None,
            ]
            ratio = median_ratio(xa, xb, rng)
            row[f"{measure}_ratio"] = [round(v, 2) for v in ratio] if ratio else None
            if measure == "cpu_ms":
                row["cpu_within_noise"] = bool(ratio and ratio[1] <= 1 <= ratio[2])
        rows.append(row)
    totals = {}
    for name, side in (("protocol", protocol), ("chromium", browser)):
        runs = side["runs"]
        totals[name] = {
            "steps": side["steps"],
            "script_runs": len(runs),
            "runs_per_step": round(len(runs) / side["steps"], 2) if side["steps"] else None,
            "script_cpu_ms_per_step": round(sum(r["cpu_ms"] for r in runs) / side["steps"], 1)
            if side["steps"]
            else None,
            "server_cpu_ms_per_step": round(1000 * side["server_cpu_s"] / side["steps"], 1)
            if side["steps"]
            else None,
            "failures": side["failures"],
        }
    return {"sessions": sessions, "rounds": rounds, "kinds": rows, "totals": totals}


def print_comparison(result: dict[str, Any]) -> None:
    print(f"\n{result['sessions']} session(s) × {result['rounds']} rounds: protocol client | Chromium")
    header = (
        f"{'kind of script run':44} {'runs/round':>11} {'CPU ms (median)':>16} {'ratio [95 %]':>18} "
        f"{'wall ms (median)':>17} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in result["kinds"]:
        runs = "{:.2f} | {:.2f}".format(*row["runs_per_session_round"])
        cpu = f"{row['cpu_ms'][0]} | {row['cpu_ms'][1]}"
        wall = f"{row['wall_ms'][0]} | {row['wall_ms'][1]}"
        ratio = "{:.2f} [{:.2f}–{:.2f}]".format(*row["cpu_ms_ratio"]) if row["cpu_ms_ratio"] else "—"
        wall_ratio = f"{row['wall_ms_ratio'][0]:.2f}" if row["wall_ms_ratio"] else "—"
        print(f"{row['kind'][:44]:44} {runs:>11} {cpu:>16} {ratio:>18} {wall:>17} {wall_ratio:>6}")
    for name, t in result["totals"].items():
        print(
            f"{name}: {t['steps']} steps, {t['script_runs']} script runs ({t['runs_per_step']} a step), "
            f"script CPU {t['script_cpu_ms_per_step']} ms a step, "
            f"server CPU {t['server_cpu_ms_per_step']} ms a step, failures {t['failures'] or 'none'}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.pin:
        pin_server_apart()
    results = []
    for sessions in args.sessions:
        workdir = Path(tempfile.mkdtemp(prefix="bench-calibrate-"))
        print(f"\n== {sessions} session(s): Chromium")
        browser = chromium(sessions, args.rounds, args.engine, args.tasks, workdir)
        interval = browser["interval_s"] if args.pace else 0.0
        print(f"\n== {sessions} session(s): protocol client, an action every {interval:.2f} s per session")
        protocol = protocol_client(sessions, args.rounds, args.engine, args.tasks, workdir, interval)
        result = compare(protocol, browser, sessions, args.rounds, args.seed)
        result["interval_s"] = round(interval, 3)
        print_comparison(result)
        results.append(result)
    record = {
        "engine": args.engine,
        "tasks": args.tasks,
        "pinned": args.pin,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "results": results,
    }
    args.json.write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"Wrote {args.json}")
    failed = any(t["failures"] for r in results for t in r["totals"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
