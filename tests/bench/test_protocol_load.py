"""A small protocol-level load run (`make load`, bench/protocol): three Locust sessions for a few
seconds against a real server. It fails when the client no longer speaks the app's protocol: a sign-in
that does not go through, a page not found, a widget not where the client looks for it, a save not
acknowledged, an audit trail that does not hold exactly the saves acknowledged
(and any the stop cut short)."""

import json
import subprocess
import sys

import pytest

from bench.protocol.report import ACTIONS
from tests.support.paths import ROOT

pytestmark = pytest.mark.slow

USERS = 3


def test_three_sessions_sign_in_browse_edit_and_save_over_the_protocol(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.protocol",
            *("--users", str(USERS), "--spawn-rate", str(USERS), "--run-time", "10", "--think", "0.3"),
            *("--tasks", "300", "--timeout", "30", "--out", str(out)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert report["failures"] == {}
    assert report["pacing"] == "random"  # independent sessions, not a wave of one action at once
    timings = report["timings_s"]
    assert timings["sign_in"]["n"] == USERS
    assert set(timings) == set(ACTIONS)  # every step of the journey succeeded at least once
    assert timings["save"]["n"] >= USERS  # each session saved at least one edit
    audit = report["audit_check"]
    assert audit["acknowledged"] == timings["save"]["n"]
    # A save still in flight when the run stops its users may be written without its answer arriving.
    assert audit["in_audit_trail"] == audit["acknowledged"] + audit["written_unanswered"]
    assert audit["written_unanswered"] <= audit["unanswered"] <= USERS
    assert audit["ok"] and audit["missing"] == [] and audit["unexpected"] == []
    assert report["memory_per_further_session_mb"] is not None
    assert report["server_log_errors"] == {}
    # Locust's own report and statistics are there for a load tester to open.
    assert (out / "locust.html").stat().st_size > 10_000
    stats = (out / "locust_stats.csv").read_text(encoding="utf-8")
    assert "ws,save," in stats and "ws,sign_in," in stats
