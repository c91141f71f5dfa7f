"""Profile every script run of an app server (`python -m bench.protocol --profile`).

Put on PYTHONPATH of the server only, with BENCH_PROFILE_OUT set: each thread Streamlit starts to run
the script (a ScriptRunner thread, one per rerun request) runs under cProfile, and the statistics of
the runs are merged and written to BENCH_PROFILE_OUT every few runs and at exit (pstats format).
cProfile only sees the thread it runs in, hence one profile per thread; the server's event loop
(WebSocket, protobuf serialisation) is not in it. The clock is wall time, waits for the interpreter
and the database included; BENCH_PROFILE_CLOCK=cpu counts the thread's own CPU time instead
(`time.thread_time`, a system call per event: the server runs several times slower under it). For
where the interpreter's time goes under load, `--spy` (py-spy, sampling, GIL holder only) is better.
"""

from __future__ import annotations

import atexit
import cProfile
import os
import pstats
import threading
import time

OUT = os.environ.get("BENCH_PROFILE_OUT", "")
EVERY = 20  # runs between writes
CLOCK = time.thread_time if os.environ.get("BENCH_PROFILE_CLOCK") == "cpu" else time.perf_counter

if OUT:
    _lock = threading.Lock()
    _merged: list[pstats.Stats] = []
    _runs = [0]
    _original_run = threading.Thread.run

    def _write() -> None:
        with _lock:
            if _merged:
                _merged[0].dump_stats(OUT)

    def _profiled_run(self: threading.Thread) -> None:
        if not self.name.startswith("ScriptRunner"):
            _original_run(self)
            return
        profile = cProfile.Profile(CLOCK)
        try:
            profile.runcall(_original_run, self)
        finally:
            with _lock:
                if _merged:
                    _merged[0].add(profile)
                else:
                    _merged.append(pstats.Stats(profile))
                _runs[0] += 1
                due = _runs[0] % EVERY == 0
            if due:
                _write()

    threading.Thread.run = _profiled_run  # type: ignore[method-assign]
    atexit.register(_write)
