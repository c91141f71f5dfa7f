"""Synthetic data at scale: `python -m lib.manage synth --tasks N` (for the benchmark and load tests).

The same seed and size always give the same rows. The data look like years of the directive's work
across the four localities: the letter's duties repeated per ward and per year, deadlines from 2024
to 2031, progress drawn by the demo's rules, headquarters projects (one for every two tasks) and an
audit trail whose hash chain verifies (about two events per task and one per project), so every
page, the history and `verify-audit` work on it as on real data.

Rows go in through bulk INSERTs in chunks with explicit ids: 100,000 tasks take seconds, not minutes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, text, update
from sqlalchemy.orm import Session

from lib.core.formatting import fmt_int
from lib.data import audit
from lib.data.db import bump_data_version
from lib.data.models import (
    Agency,
    AppMeta,
    AuditEvent,
    Clause,
    Document,
    HqProject,
    Locality,
    ModelWard,
    Task,
    Unit,
    task_basis,
    task_cooperator,
)
from lib.ops import directive as d
from lib.ops.seed import (
    DEMO_TODAY,
    LOCALITY_EDITOR,
    DemoBuilder,
    clear_content,
    ensure_demo_accounts,
    seed_reference,
)

TASK_TABLE = cast(Table, Task.__table__)
HQ_TABLE = cast(Table, HqProject.__table__)
AUDIT_TABLE = cast(Table, AuditEvent.__table__)
MAX_TASKS = 200_000
SYNTH_SEED = 30_885
CHUNK = 5_000
HQ_PER_TASK = 0.5
# Share of tasks at province level (Công an tỉnh, sở, ngành); the rest split over the localities.
PROVINCE_SHARE = 0.15


@dataclass(frozen=True)
class SynthSummary:
    tasks: int
    hq_projects: int
    model_wards: int
    audit_events: int

    def message(self) -> str:
        return (
            f"Đã tạo dữ liệu tổng hợp: {fmt_int(self.tasks)} nhiệm vụ, {fmt_int(self.hq_projects)} "
            f"dự án trụ sở, {fmt_int(self.model_wards)} phường kiểu mẫu, "
            f"{fmt_int(self.audit_events)} sự kiện nhật ký."
        )


def synthesize(s: Session, tasks: int, *, seed: int = SYNTH_SEED, today: date = DEMO_TODAY) -> SynthSummary:
    """Replace the content with `tasks` synthetic tasks and projects in proportion, in one transaction."""
    if not 1 <= tasks <= MAX_TASKS:
        raise ValueError(f"Số nhiệm vụ phải từ 1 đến {fmt_int(MAX_TASKS)}.")
    bump_data_version(s)
    clear_content(s)
    s.execute(delete(AuditEvent))
    seed_reference(s)
    ensure_demo_accounts(s)
    rng = random.Random(seed)
    builder = DemoBuilder(s, rng, today)
    gen = _Generator(s, rng, today, builder)
    events: list[dict[str, Any]] = []
    gen.tasks(tasks, events)
    hq = gen.projects(max(1, round(tasks * HQ_PER_TASK)), events)
    builder.model_wards()
    s.flush()
    wards = len(s.scalars(select(ModelWard.id)).all())
    written = _write_trail(s, events)
    _sync_sequences(s)
    return SynthSummary(tasks=tasks, hq_projects=hq, model_wards=wards, audit_events=written)


class _Generator:
    def __init__(self, s: Session, rng: random.Random, today: date, builder: DemoBuilder) -> None:
        self.s, self.rng, self.today, self.builder = s, rng, today, builder
        self.clause = {c.code: c.id for c in s.scalars(select(Clause))}
        self.agency = {a.code: a.id for a in s.scalars(select(Agency))}
        self.document = {doc.code: doc.id for doc in s.scalars(select(Document))}
        self.locality = {loc.code: loc.id for loc in s.scalars(select(Locality))}
        self.units = s.scalars(select(Unit).join(Locality).order_by(Locality.sort_order, Unit.id)).all()
        self.units_of: dict[str, list[Unit]] = {}
        for unit in self.units:
            self.units_of.setdefault(unit.locality.code, []).append(unit)

    def _task_specs(self) -> Iterator[tuple[d.TaskTemplate, str, str | None, int | None]]:
        """Endless (template, lead agency, locality, report year) draws in realistic proportions."""
        rng = self.rng
        localities = [loc[0] for loc in d.LOCALITIES]
        while True:
            if rng.random() < PROVINCE_SHARE:
                if rng.random() < 0.3:
                    year = rng.choice(d.REPORT_YEARS)
                    t = d.TaskTemplate("bc", d.report_title(year), d.report_deadline(year), (d.LETTER,))
                    yield t, rng.choice(d.REPORTING_AGENCIES), None, year
                else:
                    agency, t = rng.choice(d.PROVINCE_TASKS)
                    yield t, agency, None, None
            else:
                loc = rng.choice(localities)
                if rng.random() < 0.15:
                    year = rng.choice(d.REPORT_YEARS)
                    t = d.TaskTemplate("bc", d.report_title(year), d.report_deadline(year), (d.LETTER,))
                    yield t, f"ubnd-{loc}", loc, year
                else:
                    yield rng.choice(d.LOCALITY_TASKS), f"ubnd-{loc}", loc, None

    def tasks(self, n: int, events: list[dict[str, Any]]) -> None:
        rng, today = self.rng, self.today
        rows: list[dict[str, Any]] = []
        basis: list[dict[str, Any]] = []
        cooperators: list[dict[str, Any]] = []
        specs = self._task_specs()
        for task_id in range(1, n + 1):
            t, agency, loc, report_year = next(specs)
            assert t.deadline is not None
            unit = rng.choice(self.units_of[loc]) if loc else None
            title = t.title if unit is None or report_year else f"{t.title} — {unit.name}"
            # Later rounds of the same duty: the deadline moves on by whole years.
            shift = 0 if report_year else rng.choice((0, 0, 1, 1, 2, 3, 4, 5))
            deadline = _add_years(t.deadline, shift)
            task = SimpleNamespace(
                state="chua_trien_khai",
                progress_pct=0,
                completed_on=None,
                result="",
                result_doc="",
                obstacles="",
                locality_id=self.locality[loc] if loc else None,
            )
            current = deadline
            extension = ""
            if deadline <= today and rng.random() < 0.07:
                current = deadline + timedelta(days=rng.choice((92, 122, 153, 183, 274)))
                granted = deadline - timedelta(days=rng.randint(3, 20))
                extension = f"{rng.randint(100, 990)}/UBND-NC ngày {granted:%d/%m/%Y}"
            self.builder.progress(task, current, rng.random(), report_year)  # type: ignore[arg-type]
            if task.state != "hoan_thanh" and rng.random() < 0.01:
                task.state = rng.choice(("tam_dung", "huy"))
            editor = LOCALITY_EDITOR[loc] if loc else "vanphong"
            touched = task.completed_on or today - timedelta(days=rng.randint(1, 400))
            updated_at = _stamp(rng, min(touched, today))
            version = 1
            if task.progress_pct:
                version += 1
                events.append(
                    _event(
                        updated_at - timedelta(days=1),
                        editor,
                        task_id,
                        version,
                        "progress_pct",
                        0,
                        task.progress_pct,
                        task.locality_id,
                    )
                )
            if task.state != "chua_trien_khai":
                version += 1
                events.append(
                    _event(
                        updated_at,
                        editor,
                        task_id,
                        version,
                        "state",
                        "chua_trien_khai",
                        task.state,
                        task.locality_id,
                    )
                )
            rows.append(
                {
                    "id": task_id,
                    "clause_id": self.clause[t.clause],
                    "document_id": self.document[d.LETTER],
                    "title": title,
                    "lead_agency_id": self.agency[agency],
                    "locality_id": task.locality_id,
                    "unit_id": unit.id if unit else None,
                    "original_deadline": deadline,
                    "current_deadline": current,
                    "extension_doc": extension,
                    "recurrence": "hang_nam_15_12" if report_year else "",
                    "report_year": report_year,
                    "state": task.state,
                    "progress_pct": task.progress_pct,
                    "completed_on": task.completed_on,
                    "result": task.result,
                    "result_doc": task.result_doc,
                    "obstacles": task.obstacles,
                    "notes": "",
                    "version": version,
                    "updated_by": editor,
                    "updated_at": updated_at,
                }
            )
            basis.extend({"task_id": task_id, "document_id": self.document[b]} for b in t.basis)
            cooperators.extend({"task_id": task_id, "agency_id": self.agency[c]} for c in t.cooperators)
            if len(rows) >= CHUNK:
                self._flush_tasks(rows, basis, cooperators)
        self._flush_tasks(rows, basis, cooperators)

    def _flush_tasks(
        self, rows: list[dict[str, Any]], basis: list[dict[str, Any]], cooperators: list[dict[str, Any]]
    ) -> None:
        for table, batch in ((TASK_TABLE, rows), (task_basis, basis), (task_cooperator, cooperators)):
            if batch:
                self.s.execute(insert(table), batch)
                batch.clear()

    def projects(self, n: int, events: list[dict[str, Any]]) -> int:
        wards = [u for u in self.units if u.kind == "phuong" or u.becomes_phuong_2025]
        rows: list[dict[str, Any]] = []
        for project_id in range(1, n + 1):
            unit = wards[(project_id - 1) % len(wards)]
            # About one plot in fifty is below the 500 m² floor, as in the demo's proportion of warnings.
            values, _ = self.builder.hq_values(unit, 0 if project_id % 10 == 0 else 4)
            values["id"] = project_id
            version = 1
            if values["disbursed_vnd"]:
                version += 1
                events.append(
                    _event(
                        values["updated_at"],
                        values["updated_by"],
                        project_id,
                        version,
                        "disbursed_vnd",
                        0,
                        values["disbursed_vnd"],
                        unit.locality_id,
                        entity="hq_project",
                    )
                )
            values["version"] = version
            rows.append(values)
            if len(rows) >= CHUNK:
                self.s.execute(insert(HQ_TABLE), rows)
                rows.clear()
        if rows:
            self.s.execute(insert(HQ_TABLE), rows)
        return n


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _stamp(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(8)) + timedelta(minutes=rng.randint(0, 9 * 60))


def _event(
    at: datetime,
    actor: str,
    row_id: int,
    version: int,
    field: str,
    old: Any,
    new: Any,
    locality_id: int | None,
    entity: str = "task",
) -> dict[str, Any]:
    return {
        "at": at,
        "actor": actor,
        "action": "update",
        "entity": entity,
        "row_id": row_id,
        "row_version": version,
        "locality_id": locality_id,
        "field": field,
        "old_value": str(old),
        "new_value": str(new),
        "reason": "",
    }


def _write_trail(s: Session, events: list[dict[str, Any]]) -> int:
    """Insert the events in time order with a valid hash chain, then one event for the command."""
    events.sort(key=lambda e: (e["at"], e["entity"], e["row_id"], e["row_version"]))
    prev = audit.GENESIS
    batch: list[dict[str, Any]] = []
    for event_id, values in enumerate(events, start=1):
        values["id"] = event_id
        values["prev_hash"] = prev
        values["hash"] = prev = audit.event_hash(prev, AuditEvent(**values))
        batch.append(values)
        if len(batch) >= CHUNK:
            s.execute(insert(AUDIT_TABLE), batch)
            batch.clear()
    if batch:
        s.execute(insert(AUDIT_TABLE), batch)
    s.execute(update(AppMeta).where(AppMeta.key == audit.AUDIT_SEQ_KEY).values(value=len(events)))
    _sync_sequences(s)
    audit.record(
        s,
        actor="cli:synth",
        action="synth",
        entity="database",
        reason=f"Tạo dữ liệu tổng hợp ({len(events)} sự kiện mẫu)",
    )
    return len(events) + 1


def _sync_sequences(s: Session) -> None:
    """After inserts with explicit ids, move PostgreSQL's id sequences past them."""
    if s.get_bind().dialect.name != "postgresql":
        return
    for table in ("task", "hq_project", "audit_event"):
        s.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )
