"""`python -m bench.protocol` (`make load`): prepare a database, serve the app, run Locust headless
against it, report, check the audit trail."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bench.protocol
from bench.load.measure import (
    MemorySampler,
    busy_percent,
    busy_seconds,
    log_errors,
    machine_cpu,
    summary,
    tree_cpu_seconds,
)
from bench.load.server import STARTUP_TIMEOUT, hook_env, prepared_database
from bench.protocol import spy
from bench.protocol.audit import check_saves
from bench.protocol.proxy import behind_proxy
from bench.protocol.report import print_report
from tests.support.paths import ROOT
from tests.support.server import Server, running_server

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MARKER = "Tải thử"  # the notes typed start with it; the audit check looks for them


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (LOAD_ARGS in `make load`)."""
    description = (bench.protocol.__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.protocol", description=description)
    parser.add_argument("--users", type=int, default=10, help="simulated sessions (10)")
    parser.add_argument("--spawn-rate", type=float, default=2.0, help="sessions started per second (2)")
    parser.add_argument(
        "--run-time", type=float, default=60.0, help="seconds of load after the first start (60)"
    )
    parser.add_argument(
        "--think", type=float, default=5.0, help="seconds between one session's actions, on average (5)"
    )
    parser.add_argument(
        "--pacing",
        choices=("random", "constant"),
        default="random",
        help="random: each interval drawn from 0.5-1.5 × think and the first round started at a random "
        "moment, as independent people act; constant: think exactly, so sessions that signed in "
        "together act in step (random)",
    )
    parser.add_argument("--tasks", type=int, default=10_000, help="synthetic tasks in the database (10000)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds an action may take (60)")
    parser.add_argument(
        "--hold-drafts",
        action="store_true",
        help="each session stops after its edit and keeps the draft pending (memory per session)",
    )
    parser.add_argument(
        "--new-session-per-page",
        action="store_true",
        help="load each page in a new session, as a browser's navigation does (the Chromium harness's way)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("bench-results-load"),
        help="folder for Locust's HTML/CSV and the JSON",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=0,
        help="0: the sessions talk to one server directly; 1 or 2: replicas behind HAProxy with "
        "deploy/haproxy.cfg (TLS, sticky sessions; use --engine postgresql for 2)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the server's script runs with cProfile (one replica; server-profile.pstats in --out)",
    )
    parser.add_argument(
        "--spy",
        action="store_true",
        help="sample the server with py-spy (GIL holder, 100/s) during the load (one server; "
        "server-spy.txt in --out, summarised at the end)",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the server (one server, no proxy), e.g. a Streamlit option: "
        "STREAMLIT_RUNNER_POST_SCRIPT_GC=false",
    )
    parser.add_argument("--keep-log", type=Path, help="copy the (first) server's log here")
    return parser.parse_args(argv)


def run_locust(args: argparse.Namespace, base_url: str, server_pids: list[int], results: Path) -> int:
    """Run Locust headless in a subprocess (gevent's monkey-patching stays there); return its status."""
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{max(1, round(args.run_time))}s",
        "--stop-timeout",
        str(round(args.timeout)),
        "--host",
        base_url,
        "--html",
        str(args.out / "locust.html"),
        "--csv",
        str(args.out / "locust"),
        "--exit-code-on-error",
        "0",
        "--think",
        str(args.think),
        "--pacing",
        args.pacing,
        "--action-timeout",
        str(args.timeout),
        "--marker",
        MARKER,
        "--results",
        str(results),
        "--server-pids",
        ",".join(str(p) for p in server_pids),
    ]
    if args.hold_drafts:
        command.append("--hold-drafts")
    if args.new_session_per_page:
        command.append("--new-session-per-page")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


@contextlib.contextmanager
def serving(args: argparse.Namespace, url: str, workdir: Path) -> Iterator[tuple[str, list[Server]]]:
    """The app as the sessions reach it: one server directly, or replicas behind HAProxy."""
    if args.replicas:
        with behind_proxy(url, workdir, args.replicas) as (base_url, servers):
            yield base_url, servers
    else:
        env = dict(item.split("=", 1) for item in args.server_env)
        if args.profile:
            env.update(hook_env("BENCH_PROFILE_OUT", args.out / "server-profile.pstats"))
        with running_server(url, workdir / "server.log", env, STARTUP_TIMEOUT) as server:
            yield server.base_url, [server]


def print_profile(path: Path, top: int = 25) -> None:
    """The functions of the script runs that took the most time, themselves and below them."""
    if not path.exists():
        print(f"no profile written to {path}")
        return
    print(f"\nScript runs on the server, by cumulative time (cProfile, {path}):")
    stats = pstats.Stats(str(path), stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(top)


def memory_series(memory: MemorySampler, started: float, points: int = 12) -> list[tuple[float, float]]:
    """The server's RSS over the run, thinned to about `points` readings: (seconds, MB)."""
    samples = [(t - started, b / 2**20) for t, b in memory.samples if t >= started]
    if not samples:
        return []
    step = max(1, len(samples) // points)
    picked = samples[::step]
    if picked[-1] != samples[-1]:
        picked.append(samples[-1])
    return [(round(t, 1), round(mb, 1)) for t, mb in picked]


def per_session_mb(marks: dict[str, Any]) -> float | None:
    """(RSS with every session there − RSS with the first alone) / (sessions − 1), in MB."""
    one, everyone = marks.get("one"), marks.get("all")
    if not one or not everyone or everyone.get("sessions", 0) < 2:
        return None
    return round((everyone["rss_bytes"] - one["rss_bytes"]) / 2**20 / (everyone["sessions"] - 1), 2)


def build_report(
    args: argparse.Namespace, raw: dict[str, Any], extra: dict[str, Any], wall_s: float
) -> dict[str, Any]:
    """Everything measured, as one JSON-ready dictionary."""
    durations: dict[str, list[float]] = raw.get("durations_s", {})
    failures: dict[str, int] = raw.get("failures", {})
    done = sum(len(v) for v in durations.values()) + sum(failures.values())
    marks = raw.get("marks", {})
    return {
        "users": args.users,
        "spawn_rate": args.spawn_rate,
        "run_time_s": args.run_time,
        "think_s": args.think,
        "pacing": args.pacing,
        "tasks": args.tasks,
        "engine": args.engine,
        "hold_drafts": args.hold_drafts,
        "new_session_per_page": args.new_session_per_page,
        "timings_s": {name: summary(values) for name, values in sorted(durations.items())},
        "actions": summary(
            [t for name, v in durations.items() if name not in ("open", "sign_in") for t in v]
        ),
        "failures": failures,
        "failures_total": sum(failures.values()),
        "failure_examples": raw.get("failure_examples", {}),
        "throughput_per_s": round(done / args.run_time, 2) if args.run_time else None,
        "memory_marks_mb": {k: round(v["rss_bytes"] / 2**20, 1) for k, v in marks.items()},
        "sessions_at_all_mark": marks.get("all", {}).get("sessions"),
        # With two replicas the second one's own start (libraries, caches: ~180 MB) would count as sessions.
        "memory_per_further_session_mb": per_session_mb(marks) if extra.get("replicas", 1) == 1 else None,
        "wall_s": round(wall_s, 1),
        **extra,
    }


def main(argv: list[str] | None = None) -> int:
    """Prepare, serve, run Locust, report, clean up. Exit status 1 if anything failed."""
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    wall_started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="bench-protocol-"))
    results = args.out / "locust-results.json"
    results.unlink(missing_ok=True)
    try:
        print(f"Preparing a {args.engine} database with {args.tasks:,} tasks …")
        with prepared_database(args.engine, args.tasks, workdir) as url:
            print(
                "Starting the app server …" if not args.replicas else f"Starting {args.replicas} replica(s) …"
            )
            with serving(args, url, workdir) as (base_url, servers):
                pids = [server.pid for server in servers]
                samplers = [MemorySampler(pid) for pid in pids]
                for sampler in samplers:
                    sampler.start()
                start_rss = sum(sampler.start_bytes or 0 for sampler in samplers)
                print(f"  {base_url} (pids {pids}), RSS {start_rss / 2**20:.1f} MB")
                cpu_before, machine = [tree_cpu_seconds(p) for p in pids], machine_cpu()
                children = resource.getrusage(resource.RUSAGE_CHILDREN)
                load_at_start = [round(x, 2) for x in os.getloadavg()]
                started = time.monotonic()
                recorder = (
                    spy.start(pids[0], args.out / "server-spy.txt", args.run_time) if args.spy else None
                )
                status = run_locust(args, base_url, pids, results)
                if recorder is not None:
                    recorder.wait(timeout=60)
                for sampler in samplers:
                    sampler.stop()
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                machine_after = machine_cpu()
                series = [memory_series(sampler, started) for sampler in samplers]
                extra: dict[str, Any] = {
                    "replicas": len(servers),
                    "behind_proxy": bool(args.replicas),
                    "locust_exit_status": status,
                    "load_wall_s": round(time.monotonic() - started, 1),
                    "server_cpu_s_per_replica": [
                        round(tree_cpu_seconds(p) - before, 1)
                        for p, before in zip(pids, cpu_before, strict=True)
                    ],
                    "client_cpu_s": round(
                        after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime, 1
                    ),
                    "server_cpu_s": 0.0,  # below: the sum over the replicas
                    "machine_cpu_busy_pct": busy_percent(machine, machine_after),
                    "machine_cpu_busy_s": round(busy_seconds(machine, machine_after), 1),
                    "cpu_count": os.cpu_count(),
                    "load_average_at_start": load_at_start,
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                    "memory_mb": {
                        "start": round(start_rss / 2**20, 1),
                        "peak": round(sum(sampler.peak_bytes for sampler in samplers) / 2**20, 1),
                        "end": round(sum(sampler.end_bytes for sampler in samplers) / 2**20, 1),
                        "over_time": [
                            (points[0][0], round(sum(p[i][1] for p in series), 1))
                            for i, points in enumerate(zip(*series, strict=False))
                        ],
                    },
                }
                extra["server_cpu_s"] = round(sum(extra["server_cpu_s_per_replica"]), 1)
                log = "\n".join(server.log_path.read_text(errors="replace") for server in servers)
                if args.keep_log:
                    shutil.copyfile(servers[0].log_path, args.keep_log)
            raw = json.loads(results.read_text(encoding="utf-8")) if results.exists() else {}
            extra["server_log_errors"] = log_errors(log)
            extra["audit_check"] = check_saves(
                url, MARKER, raw.get("saves", []), raw.get("unanswered_saves", [])
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report = build_report(args, raw, extra, time.monotonic() - wall_started)
    print_report(report)
    (args.out / "summary.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    if args.profile:
        print_profile(args.out / "server-profile.pstats")
    if args.spy:
        spy.print_summary(args.out / "server-spy.txt")
    print(f"Wrote {args.out}/summary.json, locust.html and locust_*.csv")
    failed = (
        report["failures_total"] or not report["audit_check"]["ok"] or not raw or report["server_log_errors"]
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
