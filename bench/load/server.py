"""The database the sessions work on and the app server they talk to."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from lib.data.models import AuditEvent
from tests.support.paths import ROOT
from tests.support.server import Server, running_server

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "bench_load"
STARTUP_TIMEOUT = 120  # s: a loaded machine may take a while to start the server


def run_manage(database_url: str, *args: str) -> str:
    """Run `python -m lib.manage ARGS` against `database_url`; return its output (raise on failure)."""
    env = {**os.environ, "DATABASE_URL": database_url, "DASHBOARD_ENV": "demo"}
    done = subprocess.run(
        [sys.executable, "-m", "lib.manage", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"lib.manage {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return (done.stdout + done.stderr).strip()


@contextlib.contextmanager
def prepared_database(engine: str, tasks: int, workdir: Path) -> Iterator[str]:
    """Create a fresh database, upgrade it and fill it with `tasks` synthetic tasks; yield its URL.

    SQLite: a file in `workdir` (removed with it). PostgreSQL: the database `bench_load`, dropped
    and created again, and dropped when done.
    """
    if engine == "sqlite":
        url = f"sqlite:///{workdir / 'load.db'}"
    else:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    try:
        print(run_manage(url, "init-db"))
        started = time.monotonic()
        print(run_manage(url, "synth", "--tasks", str(tasks)))
        print(f"  (synth took {time.monotonic() - started:.1f} s)")
        yield url
    finally:
        if engine == "postgresql":
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            admin.dispose()


# A folder whose sitecustomize profiles (BENCH_PROFILE_OUT) or times (BENCH_RUNS_OUT) each script run
# of a server that has it on its PYTHONPATH.
SERVER_HOOKS = ROOT / "bench" / "protocol" / "profiling"


def hook_env(variable: str, path: Path) -> dict[str, str]:
    """The environment that puts SERVER_HOOKS on a server's path with `variable` (BENCH_PROFILE_OUT or
    BENCH_RUNS_OUT) naming the file it writes."""
    return {"PYTHONPATH": f"{SERVER_HOOKS}{os.pathsep}{ROOT}", variable: str(path)}


def runs_log_env(path: Path) -> dict[str, str]:
    """The environment that makes a server append one JSON line per script run to `path`."""
    return hook_env("BENCH_RUNS_OUT", path)


@contextlib.contextmanager
def serve(database_url: str, workdir: Path, env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """Start `python -m lib.serve` in demo mode on a free port (the browser tests' launcher), its log
    in `workdir`, `env` added to its environment; wait for /_stcore/health; stop it at exit."""
    with running_server(database_url, workdir / "server.log", env, STARTUP_TIMEOUT) as server:
        yield server


def check_database(database_url: str, marker: str) -> dict[str, Any]:
    """Count the saves that reached the database (audit events of the notes we typed) and verify
    the audit trail's hash chain."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            saved = conn.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.field == "notes", AuditEvent.new_value.like(f"{marker}%"))
            )
    finally:
        engine.dispose()
    try:
        verdict = run_manage(database_url, "verify-audit")
        chain_ok = True
    except RuntimeError as exc:
        verdict, chain_ok = str(exc), False
    return {"saves_in_audit_trail": int(saved or 0), "audit_chain_ok": chain_ok, "verify_audit": verdict}
