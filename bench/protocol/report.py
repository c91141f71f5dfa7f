"""The printed table of a protocol-level load run (the JSON holds the same and more)."""

from __future__ import annotations

from typing import Any

ACTIONS = {
    "open": "open / (sign-in form)",
    "sign_in": "sign-in (submit → signed in)",
    "load_overview": "overview /",
    "filter": "filter change",
    "load_tasks": "/nhiem-vu",
    "edit": "cell edit",
    "save": "save",
}


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v * 1000:.0f}"


def print_report(report: dict[str, Any]) -> None:
    """Print the report as a readable table."""
    print()
    print(
        f"Protocol load: {report['users']} sessions (spawn {report['spawn_rate']}/s), one action per "
        f"{report['think_s']} s each ({report.get('pacing', 'constant')} pacing), "
        f"{report['run_time_s']:.0f} s, {report['tasks']:,} tasks, "
        f"{report['engine']}"
        + (", drafts held" if report["hold_drafts"] else "")
        + (", a new session per page" if report["new_session_per_page"] else "")
    )
    header = f"{'action':30} {'ok':>5} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    print(header)
    print("-" * len(header))
    failures = report["failures"]

    def row(label: str, stats: dict[str, Any], failed: int) -> None:
        print(
            f"{label:30} {stats['n']:>5} {failed:>5} {_ms(stats['p50']):>7} {_ms(stats['p95']):>7} "
            f"{_ms(stats['p99']):>7} {_ms(stats['max']):>7}"
        )

    empty = {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    for name, label in ACTIONS.items():
        failed = sum(n for key, n in failures.items() if key.split(":")[0] == name)
        row(label, report["timings_s"].get(name, empty), failed)
    journey_failed = sum(n for key, n in failures.items() if key.split(":")[0] not in ("open", "sign_in"))
    row("all actions after sign-in", report["actions"], journey_failed)
    print(f"throughput: {report['throughput_per_s']} actions/s; failures: {report['failures_total']}")
    for key, n in sorted(failures.items()):
        print(f"  {n:5} × {key}")
        for example in report["failure_examples"].get(key, []):
            print(f"          e.g. {example}")
    m = report["memory_mb"]
    print(
        f"server RSS: start {m['start']:.1f} MB, peak {m['peak']:.1f} MB, end {m['end']:.1f} MB; "
        "over time (s: MB) " + ", ".join(f"{t:.0f}: {mb:.0f}" for t, mb in m["over_time"])
    )
    marks = report["memory_marks_mb"]
    if "one" in marks and "all" in marks and report["memory_per_further_session_mb"] is not None:
        what = "with a draft pending" if report["hold_drafts"] else "signed in"
        print(
            f"memory per further session {what}: {report['memory_per_further_session_mb']} MB "
            f"(one session {marks['one']:.1f} MB, "
            f"{report['sessions_at_all_mark']} sessions {marks['all']:.1f} MB)"
        )
    print(
        f"CPU during the run ({report['load_wall_s']:.0f} s × {report['cpu_count']} cores): server "
        f"{report['server_cpu_s']:.1f} s, Locust {report['client_cpu_s']:.1f} s; machine busy "
        f"{report['machine_cpu_busy_pct']:.0f} %; load average at start "
        + "/".join(f"{x:.1f}" for x in report["load_average_at_start"])
        + ", at end "
        + "/".join(f"{x:.1f}" for x in report["load_average_at_end"])
    )
    audit = report["audit_check"]
    print(
        f"audit trail: {audit['acknowledged']} saves acknowledged, {audit['in_audit_trail']} in the trail"
        f" — {'match' if audit['ok'] else 'MISMATCH'}; "
        f"chain {'verifies' if audit['audit_chain_ok'] else 'BROKEN'}"
    )
    if audit.get("unanswered"):
        print(
            f"  {audit['unanswered']} save(s) sent without an answer (in flight at the stop, or timed out), "
            f"{audit['written_unanswered']} of them written (not acknowledged, not refused: not a mismatch)"
        )
    for label in ("missing", "unexpected"):
        for line in audit[label]:
            print(f"  {label}: {line}")
    if report["server_log_errors"]:
        print(f"server log: {sum(report['server_log_errors'].values())} uncaught exception(s):")
        for line, n in report["server_log_errors"].items():
            print(f"  {n:4} × {line}")
