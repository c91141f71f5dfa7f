"""Profile or time every script run of an app server (`python -m bench.protocol --profile`, and the
runs log of `python -m bench.protocol.calibrate`).

Put on PYTHONPATH of the server only, with BENCH_PROFILE_OUT set: each thread Streamlit starts to run
the script (a ScriptRunner thread, one per rerun request) runs under cProfile, and the statistics of
the runs are merged and written to BENCH_PROFILE_OUT every few runs and at exit (pstats format).
cProfile only sees the thread it runs in, hence one profile per thread; the server's event loop
(WebSocket, protobuf serialisation) is not in it. The clock is wall time, waits for the interpreter
and the database included; BENCH_PROFILE_CLOCK=cpu counts the thread's own CPU time instead
(`time.thread_time`, a system call per event: the server runs several times slower under it). For
where the interpreter's time goes under load, `--spy` (py-spy, sampling, GIL holder only) is better.

With BENCH_RUNS_OUT set instead, each script run appends one JSON line to that file: the page it drew
(its URL path), whether it was a fragment's run, whether the session was signed in when it started,
and its wall and CPU seconds (the running thread's own, `time.thread_time`: what the run cost the
server, whatever else waited for the interpreter meanwhile). Two clients driving the same journey can
then be compared run by run, on the server's side (`bench/protocol/calibrate.py`).

With BENCH_SERVER_CPUS set (say "0"), the server keeps to those CPUs: set here, before it starts a
thread, so every thread it starts inherits them (`calibrate.py --pin` keeps its clients off them).
"""

from __future__ import annotations

import atexit
import contextlib
import cProfile
import json
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


SERVER_CPUS = os.environ.get("BENCH_SERVER_CPUS", "")
if SERVER_CPUS:
    os.sched_setaffinity(0, {int(cpu) for cpu in SERVER_CPUS.split(",")})

RUNS_OUT = os.environ.get("BENCH_RUNS_OUT", "")
SIGNED_IN_KEY = "_run_context"  # lib/ui/shell.py keeps the run context there once a user is signed in

if RUNS_OUT:
    _runs_file = open(RUNS_OUT, "a", encoding="utf-8")  # noqa: SIM115 (open for the process's life)
    _runs_lock = threading.Lock()
    _timed: set[type] = set()
    _original_start = threading.Thread.start

    _pass = threading.local()  # the clocks and sign-in state at the start of the script thread's run

    def _begin(runner: object) -> None:
        _pass.wall, _pass.cpu = time.perf_counter(), time.thread_time()
        _pass.signed_in = SIGNED_IN_KEY in runner._session_state  # type: ignore[attr-defined]

    def _log(ctx: object) -> None:
        pages = ctx.pages_manager  # type: ignore[attr-defined]
        line = {
            "t": round(time.time(), 3),
            "path": str(pages.get_pages().get(pages.current_page_script_hash, {}).get("url_pathname", "?")),
            "fragment": bool(getattr(ctx, "fragment_ids_this_run", None)),
            "signed_in": _pass.signed_in,
            "wall_ms": round((time.perf_counter() - _pass.wall) * 1000, 2),
            "cpu_ms": round((time.thread_time() - _pass.cpu) * 1000, 2),
        }
        with _runs_lock:
            _runs_file.write(json.dumps(line) + "\n")
            _runs_file.flush()

    def _time_runs(runner_class: type) -> None:
        # `_run_script` loops: a run that ends in st.rerun() (a save's click, say) is followed by the
        # next run in the same call, so a line is written at the end of each run (`_on_script_finished`,
        # which the script thread calls once a run), and the clocks start again there.
        run, finish = runner_class._run_script, runner_class._on_script_finished  # type: ignore[attr-defined]

        def timed_run(self: object, rerun_data: object) -> None:
            with contextlib.suppress(Exception):  # the log must never stop a run
                _begin(self)
            run(self, rerun_data)

        def timed_finish(self: object, ctx: object, *args: object, **kwargs: object) -> None:
            try:
                finish(self, ctx, *args, **kwargs)
            finally:
                with contextlib.suppress(Exception):  # the log must never stop a run
                    _log(ctx)
                    _begin(self)

        runner_class._run_script = timed_run  # type: ignore[attr-defined]
        runner_class._on_script_finished = timed_finish  # type: ignore[attr-defined]

    def _start(self: threading.Thread) -> None:
        # Streamlit starts each script thread with a ScriptRunner's bound method as its target: time
        # that class's runs, from the first one on (streamlit is not imported before the app does).
        runner = getattr(getattr(self, "_target", None), "__self__", None)
        if self.name.startswith("ScriptRunner") and runner is not None:
            with _runs_lock:
                if type(runner) not in _timed:
                    _timed.add(type(runner))
                    with contextlib.suppress(AttributeError):  # another Streamlit: no log
                        _time_runs(type(runner))
        _original_start(self)

    threading.Thread.start = _start  # type: ignore[method-assign]
