"""`make bench` (= `python -m bench.run`): speed as a measured property, rerunnable by anyone.

For each engine (SQLite; PostgreSQL when reachable) and size (1k, 10k, 100k synthetic tasks from
`lib.manage synth`), it measures in one process, side by side, so ratios do not suffer from this
machine's drift:

- page: the server-side run of the overview, the tasks page and /tru-so through Streamlit's
  AppTest (the real app.py: settings, database check, session check, navigation, the page).
  *cold* clears the data caches before each run (what every process pays once after a start or a
  write that is not a task edit); *warm* reruns with the caches filled; for the overview, *after a
  save* reruns right after a one-row save by a coordinator (only that task's piece is read again).
- floor: the same page with every database read replaced by the in-memory values recorded from a
  real run: the same elements (bytes compared), zero SQL statements (counted): what Streamlit
  itself costs for that output.
- naive: the overview as a tutorial would write it (bench/naive.py): whole tables into pandas,
  filtered and aggregated there on every rerun, drawn by the same page code.
- bytes: the serialized ForwardMsg protobufs of one run (what the server sends on the WebSocket).
- save: 100 rows through the edit engine (validation, scope, versions, audit chain) against the
  same 100 plain UPDATEs in one transaction.

It prints a table and writes the figures as JSON (`bench-results.json`, not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from sqlalchemy import Engine, create_engine, event, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from lib.core.roles import Actor  # noqa: E402
from lib.data import accounts  # noqa: E402
from lib.data.db import make_engine, transaction  # noqa: E402
from lib.data.models import Task, User  # noqa: E402
from lib.editing import actions, changeset  # noqa: E402
from lib.ops.manage import upgrade_database  # noqa: E402
from lib.ops.seed import DEMO_PASSWORD, DEMO_TODAY  # noqa: E402
from lib.ops.synth import synthesize  # noqa: E402
from lib.ui import auth, loaders, shell  # noqa: E402

APP = str(ROOT / "app.py")
SIZES = (1_000, 10_000, 100_000)
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# page key → (page file, user who opens it)
PAGES = {
    "overview": ("pages/overview.py", "lanhdao"),
    "tasks": ("pages/tasks.py", "vanphong"),
    "hq": ("pages/hq.py", "vanphong"),
}
SAVE_ROWS = 100
COORDINATOR = "dp.lucngan"  # whose one-row save the overview is measured after


# --- what is measured on every run ------------------------------------------------------------------


class Probe:
    """Counts SQL statements (every engine) and the bytes of the messages of the last AppTest run."""

    def __init__(self) -> None:
        self.statements = 0
        self.last_bytes = 0
        self.last_rows = 0  # rows of every table (dataframe or data editor) in the last run

    def count(self, *_args: Any) -> None:
        self.statements += 1

    def parse(self, original: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
        def parse(messages: list[Any]) -> Any:
            self.last_bytes = sum(m.ByteSize() for m in messages)
            self.last_rows = sum(_table_rows(m) for m in messages)
            return original(messages)

        return parse


@contextmanager
def instrumented() -> Iterator[Probe]:
    """Install the probe and run AppTest as a server runs the app; undo both afterwards."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import local_script_runner

    probe = Probe()
    original_parse = local_script_runner.parse_tree_from_messages
    original_init = PagesManager.__init__

    def init(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        # AppTest resets Streamlit's legacy `pages/` mode before each run, which a server leaves
        # once (see tests/conftest.py): make every run go through app.py, as on a server.
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    event.listen(Engine, "before_cursor_execute", probe.count)
    local_script_runner.parse_tree_from_messages = probe.parse(original_parse)  # type: ignore[assignment]
    PagesManager.__init__ = init  # type: ignore[method-assign]
    saved_url = os.environ.get("DATABASE_URL")
    try:
        yield probe
    finally:
        event.remove(Engine, "before_cursor_execute", probe.count)
        local_script_runner.parse_tree_from_messages = original_parse  # type: ignore[assignment]
        PagesManager.__init__ = original_init  # type: ignore[method-assign]
        if saved_url is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved_url


def _table_rows(message: Any) -> int:
    if not message.HasField("delta") or not message.delta.HasField("new_element"):
        return 0
    element = message.delta.new_element
    if element.WhichOneof("type") != "dataframe" or not element.dataframe.arrow_data.data:
        return 0
    import pyarrow as pa

    return int(pa.ipc.open_stream(element.dataframe.arrow_data.data).read_all().num_rows)


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
    }


# --- data sets ----------------------------------------------------------------------------------------


def pg_reachable() -> bool:
    try:
        engine = create_engine(PG_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not available here"
        return False


def prepare(kind: str, tasks: int, workdir: Path) -> str:
    """Create a database of `kind` holding `tasks` synthetic tasks; return its URL."""
    if kind == "sqlite":
        path = workdir / f"bench-{tasks}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        name = f"bench_{tasks}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade_database(engine)
    with transaction(engine, write=True) as s:
        synthesize(s, tasks)
    # Fresh statistics (and PostgreSQL's visibility map), as autovacuum or `PRAGMA optimize` give.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if kind == "postgresql" else "ANALYZE"))
    engine.dispose()
    return url


def drop(kind: str, url: str) -> None:
    if kind == "sqlite":
        path = make_url(url).database or ""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


# --- pages ------------------------------------------------------------------------------------------


def open_page(page: str, user: str) -> AppTest:
    """Sign in through the real form and open a page, as the given demo user."""
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params["ngay"] = DEMO_TODAY.isoformat()
    at.run()
    at.text_input[0].input(user)
    at.text_input[1].input(DEMO_PASSWORD)
    at.button[0].click().run()
    at.switch_page(page).run()
    _check(at, page)
    return at


def _check(at: AppTest, page: str) -> None:
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].message}")
    if not at.metric and not at.dataframe and not at.get("arrow_data_frame"):
        raise RuntimeError(f"{page}: the page drew no figures")


def _timed(
    probe: Probe, at: AppTest, page: str, before: Callable[[], None] = lambda: None
) -> tuple[float, int, int]:
    before()
    statements = probe.statements
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    _check(at, page)
    return elapsed, probe.last_bytes, probe.statements - statements


@contextmanager
def patched(module: Any, name: str, value: Any) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


@contextmanager
def replayed_reads() -> Iterator[Callable[[], None]]:
    """Record every loader result, the run context and the signed-in user during one real run,
    then serve them from memory: the yielded function switches from recording to replaying."""
    recorded: dict[tuple[str, str], Any] = {}
    mode = {"replay": False}
    names = [n for n in dir(loaders) if n.startswith(("load_", "export_"))]
    originals = {n: getattr(loaders, n) for n in names}

    def wrap(name: str) -> Callable[..., Any]:
        def reader(*args: Any, **kwargs: Any) -> Any:
            key = (name, repr((args, sorted(kwargs.items()))))
            if mode["replay"]:
                return recorded[key]
            recorded[key] = value = originals[name](*args, **kwargs)
            return value

        return reader

    real_start, real_sign_in = shell.start, auth.sign_in

    def start() -> shell.RunContext:
        if mode["replay"]:
            return recorded[("start", "")]  # type: ignore[no-any-return]
        recorded[("start", "")] = ctx = real_start()
        return ctx

    def sign_in(*args: Any, **kwargs: Any) -> Actor:
        if mode["replay"]:
            return recorded[("sign_in", "")]  # type: ignore[no-any-return]
        recorded[("sign_in", "")] = actor = real_sign_in(*args, **kwargs)
        return actor

    # The pages import the loaders afresh on each run; the modules of lib/ui that imported one by name
    # hold the original: replace it there too, and put it back after.
    holders = [
        (module, n)
        for name, module in list(sys.modules.items())
        if name.startswith("lib.ui.") and module is not None and module is not loaders
        for n in names
        if getattr(module, n, None) is originals[n]
    ]
    wrapped = {n: wrap(n) for n in names}
    for n in names:
        setattr(loaders, n, wrapped[n])
    for module, n in holders:
        setattr(module, n, wrapped[n])
    shell.start, auth.sign_in = start, sign_in  # type: ignore[assignment]
    try:
        yield lambda: mode.update(replay=True)
    finally:
        for n, fn in originals.items():
            setattr(loaders, n, fn)
        for module, n in holders:
            setattr(module, n, originals[n])
        shell.start, auth.sign_in = real_start, real_sign_in  # type: ignore[assignment]


def coordinator_save(url: str, username: str = COORDINATOR) -> Callable[[], None]:
    """A one-row save by a focal point through the edit engine (the notes of one task of their
    district, a new text each time): what a coordinator's save costs the other pages' caches."""
    engine = loaders.get_engine(url)
    with transaction(engine) as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        actor = accounts.actor_for(user)
        task_id = s.scalars(
            select(Task.id).where(Task.locality_id == user.locality_id).order_by(Task.id).limit(1)
        ).one()
    count = {"n": 0}

    def save() -> None:
        count["n"] += 1
        with transaction(engine) as s:
            version = s.scalars(select(Task.version).where(Task.id == task_id)).one()
        change = changeset.RowChange(task_id, version, {"notes": f"Cập nhật lần {count['n']}"})
        actions.perform(
            engine,
            actor,
            changeset.apply_changes,
            changeset.TASKS,
            [change],
            now=datetime.now(),
            today=date.today(),
        )

    return save


def measure_page(probe: Probe, url: str, key: str, runs: int, naive: bool) -> dict[str, Any]:
    """Cold, warm, after a coordinator's save (the overview), floor (and naive for the overview)
    run times, bytes and SQL statements of a page."""
    page, user = PAGES[key]
    os.environ["DATABASE_URL"] = url
    loaders.clear_data_caches()
    at = open_page(page, user)
    cold, warm, floor, slow, after_save = [], [], [], [], []
    for _ in range(runs):
        seconds, page_bytes, statements = _timed(probe, at, page, loaders.clear_data_caches)
        cold.append(seconds)
    for _ in range(runs):
        warm.append(_timed(probe, at, page)[0])
        warm_statements = _timed(probe, at, page)[2]
    save_statements = 0
    if key == "overview":
        save = coordinator_save(url)
        for _ in range(runs):
            seconds, _bytes, save_statements = _timed(probe, at, page, save)
            after_save.append(seconds)
    with replayed_reads() as replay:
        _timed(probe, at, page, loaders.clear_data_caches)  # record
        replay()
        for _ in range(runs):
            seconds, floor_bytes, floor_statements = _timed(probe, at, page, loaders.clear_data_caches)
            floor.append(seconds)
    result: dict[str, Any] = {
        "cold": _stats(cold),
        "warm": _stats(warm),
        "floor": _stats(floor),
        "bytes": page_bytes,
        "floor_bytes": floor_bytes,
        "statements_cold": statements,
        "statements_warm": warm_statements,
        "statements_floor": floor_statements,
    }
    if after_save:
        result["after_save"] = _stats(after_save)
        result["statements_after_save"] = save_statements
    if naive:
        from bench.naive import naive_overview

        with patched(loaders, "load_overview", naive_overview):
            for _ in range(runs):
                seconds, naive_bytes, _statements = _timed(probe, at, page, loaders.clear_data_caches)
                slow.append(seconds)
        result["naive"] = _stats(slow)
        result["naive_bytes"] = naive_bytes
    _timed(probe, at, page)
    result["table_rows_sent"] = probe.last_rows
    return result


# --- saving -----------------------------------------------------------------------------------------


def measure_save(url: str, runs: int, rows: int = SAVE_ROWS) -> dict[str, Any]:
    """A `rows`-row save through the edit engine against the same plain UPDATEs in one transaction."""
    engine = make_engine(url)
    with transaction(engine) as s:
        user = s.scalars(select(User).where(User.username == "vanphong")).one()
        ids = list(s.scalars(select(Task.id).order_by(Task.id).limit(rows)))
    actor = Actor(user.id, user.username, user.display_name, user.role)
    engine_times, floor_times = [], []
    for run in range(runs + 1):  # the first round warms the connection pool and is not counted
        with transaction(engine) as s:
            versions = dict(s.execute(select(Task.id, Task.version).where(Task.id.in_(ids))).all())
        changes = [
            changeset.RowChange(row_id, versions[row_id], {"notes": f"Rà soát lần {run}, dòng {row_id}"})
            for row_id in ids
        ]
        started = time.perf_counter()
        actions.perform(
            engine,
            actor,
            changeset.apply_changes,
            changeset.TASKS,
            changes,
            now=datetime.now(),
            today=date.today(),
        )
        engine_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with transaction(engine, write=True) as s:
            for row_id in ids:
                s.execute(update(Task).where(Task.id == row_id).values(notes=f"Ghi chú {run}, dòng {row_id}"))
        floor_seconds = time.perf_counter() - started
        if run:
            engine_times.append(engine_seconds)
            floor_times.append(floor_seconds)
    engine.dispose()
    return {"rows": len(ids), "engine": _stats(engine_times), "floor": _stats(floor_times)}


# --- the whole benchmark ----------------------------------------------------------------------------


def run_bench(engines: list[str], sizes: list[int], runs: int, workdir: Path) -> dict[str, Any]:
    """Measure every engine and size; return the results (also what `make bench` writes as JSON)."""
    with instrumented() as probe:
        results = _measure_all(probe, engines, sizes, runs, workdir)
    return {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "runs": runs,
        "results": results,
        "summary": summarize(results),
    }


def _measure_all(
    probe: Probe, engines: list[str], sizes: list[int], runs: int, workdir: Path
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for kind in engines:
        for size in sizes:
            print(f"… {kind}, {size:,} tasks: generating", file=sys.stderr, flush=True)
            url = prepare(kind, size, workdir)
            entry: dict[str, Any] = {"engine": kind, "tasks": size, "pages": {}}
            try:
                for key in PAGES:
                    print(f"… {kind}, {size:,} tasks: {key}", file=sys.stderr, flush=True)
                    entry["pages"][key] = measure_page(probe, url, key, runs, naive=key == "overview")
                entry["save"] = measure_save(url, runs)
            finally:
                st.cache_data.clear()
                loaders.get_engine(url).dispose()  # the app's engine: close its pooled connections
                st.cache_resource.clear()
                drop(kind, url)
            results.append(entry)
    return results


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The goals' ratios, per engine."""
    out: dict[str, Any] = {}
    for kind in dict.fromkeys(r["engine"] for r in results):
        mine = sorted((r for r in results if r["engine"] == kind), key=lambda r: r["tasks"])
        small, large = mine[0], mine[-1]
        ov_small, ov_large = small["pages"]["overview"], large["pages"]["overview"]
        out[kind] = {
            "largest": large["tasks"],
            "overview_cold_ms": ov_large["cold"]["median"] * 1000,
            "overview_cold_over_floor": ov_large["cold"]["median"] / ov_large["floor"]["median"],
            "overview_warm_over_floor": ov_large["warm"]["median"] / ov_large["floor"]["median"],
            "overview_after_save_ms": ov_large["after_save"]["median"] * 1000,
            "overview_after_save_over_floor": ov_large["after_save"]["median"] / ov_large["floor"]["median"],
            "naive_over_overview_cold": ov_large["naive"]["median"] / ov_large["cold"]["median"],
            "overview_growth_time": ov_large["cold"]["median"] / ov_small["cold"]["median"],
            "overview_growth_bytes": ov_large["bytes"] / ov_small["bytes"],
            "tasks_rows_sent": [r["pages"]["tasks"]["table_rows_sent"] for r in mine],
            "save_over_floor": [r["save"]["engine"]["median"] / r["save"]["floor"]["median"] for r in mine],
        }
    return out


def print_table(report: dict[str, Any]) -> None:
    head = (
        f"{'engine':<10} {'tasks':>8} {'page':<9} {'cold ms (min–max)':>20} {'warm':>6} {'floor':>6} "
        f"{'cold/floor':>10} {'naive':>7} {'naive/cold':>10} {'bytes':>9} {'SQL':>4}"
    )
    print(head)
    print("-" * len(head))
    for r in report["results"]:
        for key, p in r["pages"].items():
            cold = p["cold"]
            naive = p.get("naive")
            print(
                f"{r['engine']:<10} {r['tasks']:>8,} {key:<9} "
                f"{_ms(cold['median']):>7} ({_ms(cold['min'])}–{_ms(cold['max'])})".ljust(20 + 30)
                + f" {_ms(p['warm']['median']):>6} {_ms(p['floor']['median']):>6} "
                f"{cold['median'] / p['floor']['median']:>10.2f} "
                f"{_ms(naive['median']) if naive else '–':>7} "
                f"{(naive['median'] / cold['median']) if naive else float('nan'):>10.1f} "
                f"{p['bytes']:>9,} {p['statements_cold']:>4}"
            )
            saved = p.get("after_save")
            if saved:
                print(
                    f"{r['engine']:<10} {r['tasks']:>8,} {'  └ saved':<9} "
                    f"{_ms(saved['median']):>7} ({_ms(saved['min'])}–{_ms(saved['max'])}) after a one-row "
                    f"save by {COORDINATOR}: {saved['median'] / p['floor']['median']:.2f}× floor, "
                    f"{p['statements_after_save']} SQL"
                )
        s = r["save"]
        print(
            f"{r['engine']:<10} {r['tasks']:>8,} {'save×100':<9} engine {_ms(s['engine']['median'])} ms, "
            f"floor {_ms(s['floor']['median'])} ms, ratio {s['engine']['median'] / s['floor']['median']:.2f}"
        )
    print()
    for kind, s in report["summary"].items():
        print(
            f"{kind}: overview at {s['largest']:,} tasks {s['overview_cold_ms']:.0f} ms cold, "
            f"{s['overview_cold_over_floor']:.2f}× floor, naive {s['naive_over_overview_cold']:.1f}× slower; "
            f"after a coordinator's save {s['overview_after_save_ms']:.0f} ms, "
            f"{s['overview_after_save_over_floor']:.2f}× floor; "
            f"warm {s['overview_warm_over_floor']:.2f}× floor; "
            f"growth from smallest: time {s['overview_growth_time']:.2f}×, "
            f"bytes {s['overview_growth_bytes']:.3f}×; "
            f"tasks page rows sent {s['tasks_rows_sent']}; save/floor "
            + ", ".join(f"{x:.2f}" for x in s["save_over_floor"])
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="e.g. 1000,10000,100000")
    parser.add_argument("--engines", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median reported)")
    parser.add_argument("--out", default=str(ROOT / "bench-results.json"))
    args = parser.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    if "postgresql" in engines and not pg_reachable():
        print(f"PostgreSQL not reachable at {PG_URL}: measuring SQLite only", file=sys.stderr)
        engines.remove("postgresql")
    os.environ.setdefault("DASHBOARD_ENV", "demo")
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        report = run_bench(engines, [int(s) for s in args.sizes.split(",")], args.runs, Path(workdir))
    Path(args.out).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print_table(report)
    print(f"\n(JSON: {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
