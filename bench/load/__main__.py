"""`python -m bench.load` (`make load-browser`): prepare, serve, drive the sessions, report."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import bench.load
from bench.load.journeys import drive_sessions
from bench.load.measure import (
    MemorySampler,
    Recorder,
    busy_percent,
    busy_seconds,
    log_errors,
    machine_cpu,
    tree_cpu_seconds,
)
from bench.load.report import build_report, print_report
from bench.load.server import check_database, prepared_database, runs_log_env, serve
from tests.support.browser import CHROMIUM


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    description = (bench.load.__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=description)
    parser.add_argument("--sessions", type=int, default=10, help="concurrent browser sessions (10)")
    parser.add_argument("--tasks", type=int, default=10_000, help="synthetic tasks in the database (10000)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per session (3)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a step may take (60)")
    parser.add_argument("--out", type=Path, default=Path("bench-results-load.json"), help="JSON output")
    parser.add_argument("--keep-log", type=Path, help="copy the server's log here")
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=0,
        help="run Playwright and Chromium at this nice level (e.g. 10: the server gets the CPU first, "
        "closer to users on their own machines); 0 = same priority as the server",
    )
    parser.add_argument(
        "--runs-log",
        type=Path,
        help="the server appends one JSON line per script run here (bench/protocol/calibrate.py)",
    )
    parser.add_argument("--screenshots", type=Path, help="save a screenshot of every failure in this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Prepare, serve, drive the sessions, report, clean up. Exit status 1 if anything failed."""
    args = parse_args(argv)
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium not found at {CHROMIUM} (set CHROMIUM_PATH)")
    wall_started = time.monotonic()
    recorder = Recorder(screenshots=args.screenshots)
    marker = "Tải thử"  # the notes typed start with it; the database check counts them
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        print(f"Preparing a {args.engine} database with {args.tasks:,} tasks …")
        with prepared_database(args.engine, args.tasks, workdir) as url:
            print("Starting the app server …")
            with serve(url, workdir, runs_log_env(args.runs_log) if args.runs_log else None) as server:
                memory = MemorySampler(server.pid)
                memory.start()
                server_cpu_before, machine_before = tree_cpu_seconds(server.pid), machine_cpu()
                load_at_start = [round(x, 2) for x in os.getloadavg()]
                sessions_started = time.monotonic()
                print(
                    f"  {server.base_url} (pid {server.pid}), RSS {(memory.start_bytes or 0) / 2**20:.1f} MB"
                )
                try:
                    phases = asyncio.run(
                        drive_sessions(
                            server.base_url,
                            args.sessions,
                            args.rounds,
                            int(args.timeout * 1000),
                            marker,
                            recorder,
                            memory,
                            args.browser_nice,
                        )
                    )
                finally:
                    memory.stop()
                machine_after = machine_cpu()
                cpu = {
                    "sessions_wall_s": round(time.monotonic() - sessions_started, 1),
                    "server_cpu_s": round(tree_cpu_seconds(server.pid) - server_cpu_before, 1),
                    "machine_cpu_busy_pct": busy_percent(machine_before, machine_after),
                    "machine_cpu_busy_s": round(busy_seconds(machine_before, machine_after), 1),
                    "cpu_count": os.cpu_count(),
                    "load_average_at_start": load_at_start,
                }
                log = server.log_path.read_text(errors="replace")
                if args.keep_log:
                    shutil.copyfile(server.log_path, args.keep_log)
            extra = {
                **cpu,
                "server_log_errors": log_errors(log),
                "database_check": check_database(url, marker),
            }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    extra["wall_s"] = round(time.monotonic() - wall_started, 1)
    # Busy CPU time of the machine not spent by the server or the load generator: PostgreSQL's
    # processes and anything else running (another test run skews every number above).
    extra["other_cpu_s"] = round(
        extra["machine_cpu_busy_s"] - extra["server_cpu_s"] - phases["client_cpu_s"], 1
    )
    report = build_report(args, recorder, memory, phases, extra)
    print_report(report)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"Wrote {args.out}")
    # Every save the browsers saw succeed is a note in the audit trail, and nothing else: a text typed
    # into another column (see Session.edit_notes) would be missing there.
    saved, db = report["timings_s"]["save"]["n"], report["database_check"]
    mismatch = db["saves_in_audit_trail"] != saved
    if mismatch:
        print(f"MISMATCH: {saved} saves succeeded, {db['saves_in_audit_trail']} notes in the audit trail")
    return 1 if report["failures_total"] or mismatch or not db["audit_chain_ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
