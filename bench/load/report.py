"""The report: everything measured as one JSON-ready dictionary, and the printed table."""

from __future__ import annotations

import argparse
from typing import Any

from bench.load.measure import MemorySampler, Recorder, summary

# The headline numbers and the order of the table.
TIMING_KINDS = {
    "sign_in": "sign-in (form → signed in)",
    "load_overview": "initial load /",
    "load_tasks": "initial load /nhiem-vu",
    "filter": "rerun: filter change",
    "cell_edit": "rerun: cell edit (not in 'all')",
    "save": "rerun: save",
}
RERUN_KINDS = ("filter", "save")


def build_report(
    args: argparse.Namespace,
    recorder: Recorder,
    memory: MemorySampler,
    phases: dict[str, float],
    extra: dict[str, Any],
) -> dict[str, Any]:
    """Everything measured, as one JSON-ready dictionary."""
    mb = 1024 * 1024
    reruns = [t for kind in RERUN_KINDS for t in recorder.timings[kind]]
    return {
        "engine": args.engine,
        "sessions": args.sessions,
        "tasks": args.tasks,
        "rounds": args.rounds,
        "timeout_s": args.timeout,
        "browser_nice": args.browser_nice,
        "initial_load_s": summary(recorder.timings["load_overview"]),
        "rerun_s": summary(reruns),
        "timings_s": {kind: summary(recorder.timings[kind]) for kind in TIMING_KINDS},
        "operations": dict(recorder.operations),
        "operations_total": sum(recorder.operations.values()),
        "failures": dict(recorder.failures),
        "failures_total": sum(recorder.failures.values()),
        "failure_examples": dict(recorder.examples),
        "retries": dict(recorder.notes),
        "memory_mb": {
            "start": round((memory.start_bytes or 0) / mb, 1),
            "peak": round(memory.peak_bytes / mb, 1),
            "end": round(memory.end_bytes / mb, 1),
            **{name: round(value / mb, 1) for name, value in memory.marks.items()},
            "samples": len(memory.samples),
        },
        **phases,
        **extra,
    }


def print_report(report: dict[str, Any]) -> None:
    """Print the report as a readable table."""
    print()
    print(
        f"Load: {report['sessions']} sessions × {report['rounds']} rounds, {report['tasks']:,} tasks, "
        f"{report['engine']}, wall {report['wall_s']:.1f} s (sign-in {report['sign_in_wall_s']:.1f} s, "
        f"rounds {report['rounds_wall_s']:.1f} s)"
    )
    header = f"{'step':34} {'ok':>4} {'fail':>4} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} {'max s':>7}"
    print(header)
    print("-" * len(header))

    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}"

    def row(label: str, stats: dict[str, Any], failed: int) -> None:
        print(
            f"{label:34} {stats['n']:>4} {failed:>4} {fmt(stats['p50']):>7} {fmt(stats['p95']):>7} "
            f"{fmt(stats['p99']):>7} {fmt(stats['max']):>7}"
        )

    def failed_of(*kinds: str) -> int:
        return sum(n for key, n in report["failures"].items() if key.split(":")[0] in kinds)

    for kind, label in TIMING_KINDS.items():
        row(label, report["timings_s"][kind], failed_of(kind))
    row("rerun (all: filter + save)", report["rerun_s"], failed_of(*RERUN_KINDS))
    m = report["memory_mb"]
    print(
        f"server RSS: start {m['start']:.1f} MB, after sign-in {m.get('after_sign_in', 0):.1f} MB, "
        f"peak {m['peak']:.1f} MB, end {m['end']:.1f} MB"
    )
    print(
        f"CPU while the sessions ran ({report['sessions_wall_s']:.1f} s × {report['cpu_count']} cores): "
        f"server {report['server_cpu_s']:.1f} s, "
        f"Chromium + Playwright + harness {report['client_cpu_s']:.1f} s, "
        f"the rest (PostgreSQL, other programs) {report['other_cpu_s']:.1f} s; "
        f"machine busy {report['machine_cpu_busy_pct']:.0f} %; load average at start "
        + "/".join(f"{x:.1f}" for x in report["load_average_at_start"])
    )
    print(f"operations: {report['operations_total']}, failures: {report['failures_total']}")
    for key, n in sorted(report["failures"].items()):
        print(f"  {n:4} × {key}")
        for example in report["failure_examples"].get(key, []):
            print(f"         e.g. {example}")
    for key, n in sorted(report["retries"].items()):
        print(f"  {n:4} × (retried) {key}")
    db = report["database_check"]
    print(
        f"database: {db['saves_in_audit_trail']} saves in the audit trail "
        f"({report['timings_s']['save']['n']} saves succeeded in the browsers); "
        f"audit chain {'verifies' if db['audit_chain_ok'] else 'BROKEN: ' + db['verify_audit']}"
    )
    if report["server_log_errors"]:
        print(f"server log: {sum(report['server_log_errors'].values())} uncaught exception(s):")
        for line, n in report["server_log_errors"].items():
            print(f"  {n:4} × {line}")
