"""`make bench-import` (= `python -m bench.register`): the onboarding import at scale, measured.

For each engine (SQLite; PostgreSQL when reachable) and size (5,000 and 20,000 task rows by
default) it builds a register workbook in the template's layout (new tasks with varied documents,
lead and cooperating agencies, localities, deadlines and states, plus updates of the demo's tasks),
then on a fresh demo database measures:

- preview: the whole run rolled back (what the page shows before "Nhập");
- import: the same run committed, one transaction;
- again: the same file imported a second time (it must add nothing);
- peak memory: the process's resident peak during each step (VmHWM, reset before it) above what it
  held before, and, in a separate run of the preview under tracemalloc (which slows Python, so it is
  never timed), the peak of Python's own allocations.

It prints a table and writes the figures as JSON (`bench-results-import.json`, not committed).
Nothing here asserts a time: tests/bench runs a small size to keep the code path working.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench import run as bench_run  # noqa: E402
from lib.core import rules  # noqa: E402
from lib.core.catalogue import REGISTER_DOCUMENTS, REGISTER_TASKS  # noqa: E402
from lib.data import accounts  # noqa: E402
from lib.data.db import make_engine, transaction  # noqa: E402
from lib.data.models import Agency, Locality, Task, User  # noqa: E402
from lib.files import register  # noqa: E402
from lib.ops.manage import upgrade_database  # noqa: E402
from lib.ops.seed import DEMO_TODAY, seed_demo  # noqa: E402

SIZES = (5_000, 20_000)
UPDATES = 50  # rows of the file that update demo tasks
NOW = datetime.combine(DEMO_TODAY, datetime.min.time()).replace(hour=10)
WORDS = (
    "Rà soát",
    "Tổ chức",
    "Hoàn thiện",
    "Triển khai",
    "Kiểm tra",
    "Bố trí",
    "Tổng hợp",
    "Xây dựng",
    "Tập huấn",
    "Đôn đốc",
)
OBJECTS = (
    "quỹ đất xây dựng trụ sở Công an phường",
    "kinh phí mua sắm phương tiện, thiết bị",
    "kế hoạch thực hiện Đề án 30/ĐA-BCA",
    "đào tạo, bồi dưỡng cán bộ Công an phường",
    "phong trào thi đua, khen thưởng",
    "mô hình Công an phường điển hình, kiểu mẫu",
    "báo cáo kết quả thực hiện hằng năm",
)


def prepare(kind: str, workdir: Path, size: int) -> str:
    """A fresh database of `kind` with the demo data; return its URL."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'register-{size}.db'}"
        bench_run.drop(kind, url)
    else:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"bench_register_{size}"
        admin = create_engine(bench_run.PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(bench_run.PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade_database(engine)
    with transaction(engine, write=True) as s:
        seed_demo(s)
    engine.dispose()
    return url


def build_workbook(url: str, tasks: int, seed: int = 2026) -> bytes:
    """A register of `tasks` new task rows (and UPDATES updates of demo tasks) in the template's layout."""
    engine = make_engine(url)
    with transaction(engine) as s:
        agencies = s.execute(
            select(Agency.name, Agency.valid_from, Agency.valid_to).order_by(Agency.id)
        ).all()
        localities = {loc.id: loc.name for loc in s.scalars(select(Locality))}
        stored = list(s.scalars(select(Task).order_by(Task.id).limit(UPDATES)))
        updates = [
            {
                "id": t.id,
                "state": rules.STATE_LABELS["dang_thuc_hien"] if t.state != "hoan_thanh" else None,
                "progress_pct": 60 if t.state != "hoan_thanh" else None,
                "notes": f"Cập nhật từ sổ theo dõi, dòng {t.id}",
            }
            for t in stored
        ]
    engine.dispose()
    rng = random.Random(seed)
    labels = [c.label for c in REGISTER_TASKS.columns]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(REGISTER_TASKS.title)
    sheet.append(labels)
    for update in updates:
        sheet.append([update.get(c.name) for c in REGISTER_TASKS.columns])
    numbers = [f"{n}/KH-CAT" for n in range(1, 201)]
    for i in range(tasks):
        start = date(2024, 3, 1) + timedelta(days=rng.randrange(700))
        state = rng.choice(("chua_trien_khai", "dang_thuc_hien", "dang_thuc_hien", "hoan_thanh"))
        done = state == "hoan_thanh"
        completed_on = start - timedelta(days=rng.randrange(30)) if done else None
        # A new row names only bodies in office on its day: the day it was finished, else today.
        lead, *others = rng.sample(_in_office(agencies, completed_on or DEMO_TODAY), 3)
        row = {
            "document_id": rng.choice(numbers),
            "title": f"{rng.choice(WORDS)} {rng.choice(OBJECTS)} (nội dung {i + 1})",
            "lead_agency_id": lead,
            "cooperators": "; ".join(others[: rng.randrange(3)]),
            "locality_id": rng.choice([*localities.values(), ""]),
            "original_deadline": start,
            "state": rules.STATE_LABELS[state],
            "progress_pct": 100 if done else (0 if state == "chua_trien_khai" else rng.randrange(5, 95)),
            "completed_on": completed_on,
            "result": "Đã hoàn thành, có báo cáo" if done else "",
            "result_doc": f"{rng.randrange(1, 999)}/BC-CAT" if done else "",
            "obstacles": "Chưa bố trí được kinh phí" if rng.random() < 0.2 else "",
        }
        sheet.append([row.get(c.name) for c in REGISTER_TASKS.columns])
    documents = book.create_sheet(REGISTER_DOCUMENTS.title)
    documents.append([c.label for c in REGISTER_DOCUMENTS.columns])
    for number in numbers:
        documents.append([number, date(2024, 2, 28), "Công an tỉnh", "Kế hoạch", f"Kế hoạch {number}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _in_office(agencies: Sequence[Any], day: date) -> list[str]:
    """The names of the agencies valid on that day (the 2025 reorganisations ended some, started others)."""
    return [
        name
        for name, start, end in agencies
        if (start is None or start <= day) and (end is None or day <= end)
    ]


@contextmanager
def peak_rss() -> Iterator[dict[str, float]]:
    """The process's resident peak during the block above what it held at its start, in MB (Linux)."""
    measured: dict[str, float] = {}
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current VmRSS
    before = _status("VmRSS")
    yield measured
    measured["peak_mb"] = _status("VmHWM")
    measured["above_start_mb"] = measured["peak_mb"] - before


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _actor(engine: Any) -> Any:
    with transaction(engine) as s:
        return accounts.actor_for(s.scalars(select(User).where(User.username == "vanphong")).one())


def _timed(step: Callable[[], register.Outcome]) -> tuple[register.Outcome, float, dict[str, float]]:
    """Run a step: its outcome, its wall time, and its memory and CPU time (this process's: on
    PostgreSQL the server's own work is not in it)."""
    with peak_rss() as memory:
        started, cpu = time.perf_counter(), time.process_time()
        outcome = step()
        seconds = time.perf_counter() - started
        memory["cpu_s"] = time.process_time() - cpu
    return outcome, seconds, memory


def measure(kind: str, size: int, workdir: Path) -> dict[str, Any]:
    """Preview, import and import again `size` task rows on a fresh demo database of `kind`."""
    print(f"… {kind}, {size:,} rows: preparing", file=sys.stderr, flush=True)
    url = prepare(kind, workdir, size)
    try:
        data = build_workbook(url, size)
        upload = register.Upload(f"so-theo-doi-{size}.xlsx", data)
        engine = make_engine(url)
        actor = _actor(engine)
        kwargs: dict[str, Any] = {"now": NOW, "today": DEMO_TODAY}
        print(f"… {kind}, {size:,} rows: preview", file=sys.stderr, flush=True)
        preview, preview_s, preview_mem = _timed(lambda: register.preview(engine, actor, upload, **kwargs))
        if not preview.ok:
            raise RuntimeError("\n".join(map(str, preview.problems[:10])))
        print(f"… {kind}, {size:,} rows: import", file=sys.stderr, flush=True)
        done, import_s, import_mem = _timed(lambda: register.import_register(engine, actor, upload, **kwargs))
        print(f"… {kind}, {size:,} rows: again", file=sys.stderr, flush=True)
        again, again_s, _ = _timed(lambda: register.import_register(engine, actor, upload, **kwargs))
        tasks_done = done.counts[REGISTER_TASKS.title]
        with transaction(engine) as s:
            tasks = s.scalar(select(func.count()).select_from(Task))
        print(f"… {kind}, {size:,} rows: preview under tracemalloc", file=sys.stderr, flush=True)
        tracemalloc.start()
        register.preview(engine, actor, upload, **kwargs)
        traced = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        engine.dispose()
    finally:
        bench_run.drop(kind, url)
    return {
        "engine": kind,
        "rows": size,
        "file_mb": len(data) / 1e6,
        "preview_s": preview_s,
        "import_s": import_s,
        "again_s": again_s,
        "preview_peak_mb": preview_mem,
        "import_peak_mb": import_mem,
        "preview_cpu_s": preview_mem.pop("cpu_s"),
        "import_cpu_s": import_mem.pop("cpu_s"),
        "load_average": os.getloadavg()[0],
        "traced_peak_mb": traced,
        "counts": {"new": tasks_done.new, "updated": tasks_done.updated, "unchanged": tasks_done.unchanged},
        "documents": done.document_count,
        "again_new": again.total.new,
        "again_already": again.total.already,
        "tasks_after": tasks,
        "preview_matches_import": (preview.total.new, preview.total.updated)
        == (done.total.new, done.total.updated),
    }


def print_table(results: list[dict[str, Any]]) -> None:
    head = (
        f"{'engine':<10} {'rows':>7} {'file MB':>7} {'preview s':>9} {'import s':>8} {'import CPU s':>12} "
        f"{'again s':>7} {'RSS peak +MB':>12} {'traced MB':>9} {'new/upd/same':>16} {'load':>5}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        c = r["counts"]
        print(
            f"{r['engine']:<10} {r['rows']:>7,} {r['file_mb']:>7.2f} {r['preview_s']:>9.1f} "
            f"{r['import_s']:>8.1f} {r['import_cpu_s']:>12.1f} {r['again_s']:>7.1f} "
            f"{max(r['preview_peak_mb']['above_start_mb'], r['import_peak_mb']['above_start_mb']):>12.0f} "
            f"{r['traced_peak_mb']:>9.0f} {c['new']:>6}/{c['updated']}/{c['unchanged']} "
            f"{r['load_average']:>5.1f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.register", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="task rows, e.g. 5000,20000")
    parser.add_argument("--engines", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--out", default=str(ROOT / "bench-results-import.json"))
    args = parser.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    if "postgresql" in engines and not bench_run.pg_reachable():
        print(f"PostgreSQL not reachable at {bench_run.PG_URL}: measuring SQLite only", file=sys.stderr)
        engines.remove("postgresql")
    os.environ.setdefault("DASHBOARD_ENV", "demo")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as workdir:
        for kind in engines:
            for size in (int(s) for s in args.sizes.split(",")):
                results.append(measure(kind, size, Path(workdir)))
    report = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "results": results,
    }
    Path(args.out).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print_table(results)
    print(f"\n(JSON: {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
