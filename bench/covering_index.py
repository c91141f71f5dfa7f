"""A/B of the task covering index of migration 0009: the league as of 02/12/2026 on synthetic tasks
after the 2025 arrangements (a map whose districts ended, so a task's place needs its unit), with the
index of migration 0004 and with the wider one, alternated in one process so drift hits both.

    python -m bench.covering_index sqlite:////tmp/ab.db 100000   # builds the database if it is missing

Prints the median, min and max CPU and wall time of the league per index (12 runs each).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402

from lib.core.filters import Filters  # noqa: E402
from lib.data import queries  # noqa: E402
from lib.data.db import make_engine, transaction  # noqa: E402
from lib.ops import programme  # noqa: E402
from lib.ops.arrangements import REFERENCE_ARRANGEMENTS  # noqa: E402
from lib.ops.manage import upgrade_database  # noqa: E402
from lib.ops.synth import synthesize  # noqa: E402

AS_OF = date(2026, 12, 2)
INDEXES = {
    "0004": "locality_id, state, current_deadline, completed_on, clause_id, lead_agency_id",
    "0009": "locality_id, unit_id, state, current_deadline, completed_on, clause_id, lead_agency_id, "
    "updated_at",
}


def build(engine: Engine, tasks: int) -> None:
    upgrade_database(engine)
    with transaction(engine, write=True) as s:
        synthesize(s, tasks)
        for day in sorted({r.effective_on for r in REFERENCE_ARRANGEMENTS}):
            now = datetime.combine(day, clock(7))
            programme.apply_reference_arrangements(s, day, actor="cli:bench", now=now)


def use(engine: Engine, columns: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX IF EXISTS ix_task_buckets"))
        conn.execute(text(f"CREATE INDEX ix_task_buckets ON task ({columns})"))
        conn.execute(text("ANALYZE"))


def league_ms(engine: Engine) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    with transaction(engine) as s:
        queries.league_table(s, Filters(), AS_OF, 30, today=AS_OF)
    return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def main(url: str, tasks: int) -> None:
    engine = make_engine(url)
    if url.startswith("sqlite") and not os.path.exists(url.removeprefix("sqlite:///")):
        build(engine, tasks)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in INDEXES}
    for _round in range(4):
        for name, columns in INDEXES.items():
            use(engine, columns)
            league_ms(engine)  # warm the page cache
            runs[name] += [league_ms(engine) for _ in range(3)]
    for name, values in runs.items():
        cpu = [v[0] for v in values]
        wall = statistics.median(v[1] for v in values)
        print(
            f"index {name}: CPU median {statistics.median(cpu):.0f} ms "
            f"(min {min(cpu):.0f}, max {max(cpu):.0f}); wall median {wall:.0f} ms"
        )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
