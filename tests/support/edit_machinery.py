"""Table-agnostic machinery for concurrency tests of the edit engine (not a test module).

An `EditCase` says which table to edit, how to get rows a writer may edit, which text field can
serve as a counter and which text fields can collect unique tokens. The same scenarios then run
on any editable table: tasks now (`TASK_CASE`), headquarters and model wards later.

`run_random_workload` drives the real save path (`actions.perform` → `changeset.apply_changes`) from
several threads: each operation reads a row in its own transaction, then saves one `RowChange`
with the version it saw. `check_workload` compares what was acknowledged with what the database
and the audit trail hold, and names every lost update, duplicate, leak of a refused value and gap
in the row versions.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from lib.core.roles import Actor, Refused
from lib.data import accounts, audit
from lib.data.db import transaction
from lib.data.models import AuditEvent, HqProject, Locality, ModelWard, Task, Unit, User
from lib.editing import actions, changeset
from lib.editing.changeset import ConflictError, RowChange, SaveResult, TableSpec
from lib.ops.seed import DEMO_TODAY, seed_demo

TODAY: date = DEMO_TODAY
NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0)
TOKEN_LENGTH = 6  # plus one separating space per token


@dataclass(frozen=True)
class EditCase:
    """One editable table, seen by the concurrency scenarios.

    `prepare(engine, count)` loads whatever data the table needs into an emptied database and
    returns `count` row ids that `writer` may edit, plus `writer`'s username. It leaves every row
    with the counter field at "0" and the token fields empty. `rival` is another user who may
    edit the same rows (the "someone else" of the fixed interleavings).
    """

    name: str
    spec: TableSpec
    prepare: Callable[[Engine, int], tuple[list[int], str]]
    counter_field: str
    token_fields: tuple[str, ...]
    rival: str

    def max_length(self, name: str) -> int | None:
        return getattr(self.spec.fields[name].parser, "max_length", None)

    def typed(self, values: dict[str, Any]) -> dict[str, Any]:
        """The values as the table stores them ("42" is 42 in an integer column)."""
        return {name: self.spec.fields[name].parser.parse(raw) for name, raw in values.items()}


# --- small helpers ------------------------------------------------------------------------------


def actor(engine: Engine, username: str) -> Actor:
    with transaction(engine) as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None, f"no user {username!r}"
        return accounts.actor_for(user)


def read_row(engine: Engine, spec: TableSpec, row_id: int) -> tuple[int, dict[str, Any]]:
    """Read one row in a transaction of its own: its version and its editable values."""
    with transaction(engine) as s:
        row: Any = s.get(spec.model, row_id)
        if row is None:
            raise LookupError(f"{spec.entity} {row_id} does not exist")
        return row.version, {name: getattr(row, name) for name in spec.fields}


def save(
    engine: Engine,
    who: Actor,
    spec: TableSpec,
    changes: Sequence[RowChange],
    *,
    now: datetime = NOW,
    today: date = TODAY,
) -> SaveResult:
    """Save through the real path: one write transaction, refusals audited after rollback."""
    return actions.perform(engine, who, changeset.apply_changes, spec, changes, now=now, today=today)


def last_audit_id(engine: Engine) -> int:
    with transaction(engine) as s:
        return int(s.scalar(select(func.max(AuditEvent.id))) or 0)


def events_since(engine: Engine, after_id: int, entity: str | None = None) -> list[AuditEvent]:
    """Audit events appended after `after_id`, oldest first (optionally of one entity)."""
    with transaction(engine) as s:
        stmt = select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id)
        if entity is not None:
            stmt = stmt.where(AuditEvent.entity == entity)
        return list(s.scalars(stmt))


def reset_rows(engine: Engine, who: Actor, case: EditCase, row_ids: Sequence[int]) -> None:
    """Put the counter at "0" and empty the token fields, through the save path (audited)."""
    blank = {case.counter_field: "0"} | {name: "" for name in case.token_fields}
    changes = [RowChange(r, read_row(engine, case.spec, r)[0], blank) for r in row_ids]
    save(engine, who, case.spec, changes)


# --- the task table ---------------------------------------------------------------------------


def _prepare_tasks(engine: Engine, count: int) -> tuple[list[int], str]:
    """Demo data; the first `count` tasks of Lục Ngạn, edited by its coordinator (scope applies)."""
    writer = "dp.lucngan"
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    with transaction(engine) as s:
        ids = list(
            s.scalars(
                select(Task.id)
                .join(Locality, Locality.id == Task.locality_id)
                .where(Locality.code == "luc-ngan")
                .order_by(Task.id)
                .limit(count)
            )
        )
    assert len(ids) == count, f"the demo data has only {len(ids)} tasks of Lục Ngạn"
    reset_rows(engine, actor(engine, writer), TASK_CASE, ids)
    return ids, writer


TASK_CASE = EditCase(
    name="task",
    spec=changeset.TASKS,
    prepare=_prepare_tasks,
    # Free text the coordinator keeps on any task (a confirmed result is the office's).
    counter_field="obstacles",
    token_fields=("notes",),
    rival="vanphong",
)


# --- headquarters projects and model wards ------------------------------------------------------


def _rows_of(engine: Engine, model: Any, locality: str, count: int) -> list[int]:
    with transaction(engine) as s:
        ids = list(
            s.scalars(
                select(model.id)
                .join(Unit, Unit.id == model.unit_id)
                .join(Locality, Locality.id == Unit.locality_id)
                .where(Locality.code == locality)
                .order_by(model.id)
                .limit(count)
            )
        )
    assert len(ids) == count, f"the demo data has only {len(ids)} {model.__tablename__} rows of {locality}"
    return ids


def _prepare_hq(engine: Engine, count: int) -> tuple[list[int], str]:
    """Demo data; projects of Bắc Giang, edited by its coordinator. The counter is the land area."""
    writer = "dp.bacgiang"
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    ids = _rows_of(engine, HqProject, "bac-giang", count)
    reset_rows(engine, actor(engine, writer), HQ_CASE, ids)
    return ids, writer


HQ_CASE = EditCase(
    name="hq_project",
    spec=changeset.HQ,
    prepare=_prepare_hq,
    counter_field="land_area_m2",
    token_fields=("notes",),
    rival="vanphong",
)


def _prepare_wards(engine: Engine, count: int) -> tuple[list[int], str]:
    """Demo data; Bắc Giang's registrations, edited by its coordinator, with recognitions cleared
    (tokens go into the decision number, which a recognition date would require)."""
    writer = "dp.bacgiang"
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    ids = _rows_of(engine, ModelWard, "bac-giang", count)
    who = actor(engine, writer)
    save(
        engine,
        who,
        changeset.WARDS,
        [RowChange(r, read_row(engine, changeset.WARDS, r)[0], {"recognised_on": None}) for r in ids],
    )
    reset_rows(engine, who, WARD_CASE, ids)
    return ids, writer


WARD_CASE = EditCase(
    name="model_ward",
    spec=changeset.WARDS,
    prepare=_prepare_wards,
    counter_field="notes",
    token_fields=("recognised_decision",),
    rival="vanphong",
)
CASES = (TASK_CASE, HQ_CASE, WARD_CASE)


# --- the randomized workload ------------------------------------------------------------------


@dataclass
class WorkloadRecord:
    """What the workload's clients were told; `check_workload` holds the database to it."""

    entity: str
    writer: str
    rows: list[int]
    start_versions: dict[int, int]
    start_counters: dict[int, int]
    start_audit_id: int
    ops: int = 0
    increments: dict[int, int] = field(default_factory=dict)  # acknowledged, per row
    tokens: dict[str, tuple[int, str]] = field(default_factory=dict)  # acknowledged → (row, field)
    refused_tokens: dict[str, tuple[int, str]] = field(default_factory=dict)
    refused_increments: dict[int, int] = field(default_factory=dict)
    refusals: dict[int, int] = field(default_factory=dict)  # conflicts refused, per row
    saved_versions: dict[int, list[int]] = field(default_factory=dict)  # as SaveResult reported
    uncertain_tokens: set[str] = field(default_factory=set)  # the save raised something else
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def acknowledged(self) -> int:
        return sum(self.increments.values()) + len(self.tokens)

    def summary(self) -> str:
        return (
            f"{self.ops} ops in {self.elapsed:.1f}s: {self.acknowledged} saved "
            f"({sum(self.increments.values())} increments, {len(self.tokens)} tokens), "
            f"{sum(self.refusals.values())} refused as conflicts, {len(self.errors)} errors"
        )


@dataclass
class _ThreadLog:
    increments: Counter[int] = field(default_factory=Counter)
    tokens: dict[str, tuple[int, str]] = field(default_factory=dict)
    refused_tokens: dict[str, tuple[int, str]] = field(default_factory=dict)
    refused_increments: Counter[int] = field(default_factory=Counter)
    refusals: Counter[int] = field(default_factory=Counter)
    saved_versions: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    uncertain_tokens: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


def _token(thread: int, op: int) -> str:
    return f"{chr(ord('a') + thread)}{op:05d}"  # unique per workload, never a substring of another


def _as_int(value: Any) -> int:
    return int(value) if value not in (None, "") else 0


def run_random_workload(
    engine: Engine,
    case: EditCase,
    threads: int,
    ops_per_thread: int,
    seed: int,
    *,
    rows: int = 5,
    think_time: float = 0.0,
    increment_share: float = 0.5,
) -> WorkloadRecord:
    """Prepare `rows` rows, then let `threads` clients edit them at once through the real save path.

    Each operation reads a random row in its own transaction, optionally waits `think_time`
    seconds (a user looking at the screen: it widens the window for a lost update), then saves one
    RowChange with the version it saw: either the counter plus one or a token field with a fresh
    unique token appended (a counter increment whenever the token would not fit). Each save has
    its own `now`, so the audit events of one save can be told from those of another.
    """
    if not 1 <= threads <= 26 or ops_per_thread >= 10**5:
        raise ValueError("tokens are one letter per thread and five digits per operation")
    spec = case.spec
    row_ids, writer = case.prepare(engine, rows)
    who = actor(engine, writer)
    starting = {r: read_row(engine, spec, r) for r in row_ids}
    record = WorkloadRecord(
        entity=spec.entity,
        writer=writer,
        rows=list(row_ids),
        start_versions={r: v for r, (v, _) in starting.items()},
        start_counters={r: _as_int(values[case.counter_field]) for r, (_, values) in starting.items()},
        start_audit_id=last_audit_id(engine),
    )
    start_line = threading.Barrier(threads)

    def client(t: int) -> _ThreadLog:
        rng = random.Random(f"{seed}:{t}")
        log = _ThreadLog()
        start_line.wait()
        for i in range(ops_per_thread):
            row = rng.choice(row_ids)
            name = rng.choice(case.token_fields)
            wants_token = rng.random() >= increment_share
            token = _token(t, i)
            version, values = read_row(engine, spec, row)
            old = values[name] or ""
            appended = f"{old} {token}" if old else token
            limit = case.max_length(name)
            if wants_token and (limit is None or len(appended) <= limit):
                change: dict[str, Any] = {name: appended}
            else:
                token = ""
                change = {case.counter_field: str(_as_int(values[case.counter_field]) + 1)}
            if think_time:
                time.sleep(think_time)
            now = NOW + timedelta(milliseconds=t * ops_per_thread + i)  # unique per save
            try:
                result = save(engine, who, spec, [RowChange(row, version, change)], now=now)
            except ConflictError:
                log.refusals[row] += 1
                if token:
                    log.refused_tokens[token] = (row, name)
                else:
                    log.refused_increments[row] += 1
            except (Refused, SQLAlchemyError) as exc:
                log.errors.append(f"thread {t} op {i} on row {row}: {type(exc).__name__}: {exc}")
                if token:
                    log.uncertain_tokens.add(token)
            else:
                log.saved_versions[row].append(result.versions[row])
                if token:
                    log.tokens[token] = (row, name)
                else:
                    log.increments[row] += 1
        return log

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        logs = [f.result() for f in [pool.submit(client, t) for t in range(threads)]]
    record.elapsed = time.perf_counter() - started
    record.ops = threads * ops_per_thread
    for log in logs:
        for r in row_ids:
            record.increments[r] = record.increments.get(r, 0) + log.increments[r]
            record.refused_increments[r] = record.refused_increments.get(r, 0) + log.refused_increments[r]
            record.refusals[r] = record.refusals.get(r, 0) + log.refusals[r]
            record.saved_versions.setdefault(r, []).extend(log.saved_versions.get(r, []))
        record.tokens |= log.tokens
        record.refused_tokens |= log.refused_tokens
        record.uncertain_tokens |= log.uncertain_tokens
        record.errors += log.errors
    return record


# --- checking what the database holds ------------------------------------------------------------


@dataclass
class Tally:
    """The database and the trail measured against a WorkloadRecord."""

    counters: dict[int, int]  # final counter value per row
    versions: dict[int, int]  # final row version per row
    lost_increments: int  # acknowledged increments missing from the counters (sum over rows)
    missing_tokens: list[str]
    duplicated_tokens: dict[str, int]
    leaked_tokens: list[str]  # refused but present
    audited_versions: dict[int, dict[int, set[datetime]]]  # row → version → `at` of the saves
    audited_refusals: dict[int, int]  # refused_conflict events per row
    chain: audit.ChainReport


def tally(engine: Engine, case: EditCase, record: WorkloadRecord) -> Tally:
    finals = {r: read_row(engine, case.spec, r) for r in record.rows}
    counters = {r: _as_int(values[case.counter_field]) for r, (_, values) in finals.items()}
    present: dict[tuple[int, str], Counter[str]] = {
        (r, name): Counter((values[name] or "").split())
        for r, (_, values) in finals.items()
        for name in case.token_fields
    }
    everywhere: Counter[str] = sum(present.values(), Counter())
    missing = [t for t, where in record.tokens.items() if present[where][t] == 0]
    duplicated = {t: present[where][t] for t, where in record.tokens.items() if present[where][t] > 1}
    leaked = [t for t in record.refused_tokens if everywhere[t]]
    lost = sum(record.start_counters[r] + record.increments[r] - counters[r] for r in record.rows)

    audited: dict[int, dict[int, set[datetime]]] = {r: defaultdict(set) for r in record.rows}
    refusals: Counter[int] = Counter()
    with transaction(engine) as s:
        for row_id, version, action, at in s.execute(
            select(AuditEvent.row_id, AuditEvent.row_version, AuditEvent.action, AuditEvent.at)
            .where(
                AuditEvent.id > record.start_audit_id,
                AuditEvent.entity == record.entity,
                AuditEvent.row_id.in_(record.rows),
            )
            .order_by(AuditEvent.id)
        ):
            if action == "refused_conflict":
                refusals[row_id] += 1
            elif version is not None:
                audited[row_id][version].add(at)
        chain = audit.verify_chain(s)
    return Tally(
        counters=counters,
        versions={r: v for r, (v, _) in finals.items()},
        lost_increments=lost,
        missing_tokens=missing,
        duplicated_tokens=duplicated,
        leaked_tokens=leaked,
        audited_versions={r: dict(v) for r, v in audited.items()},
        audited_refusals=dict(refusals),
        chain=chain,
    )


def _ranges(numbers: Sequence[int]) -> str:
    return ", ".join(str(n) for n in sorted(numbers)[:10]) + (" …" if len(numbers) > 10 else "")


def check_workload(engine: Engine, case: EditCase, record: WorkloadRecord) -> list[str]:
    """Name every way the database and the audit trail disagree with what clients were told."""
    t = tally(engine, case, record)
    problems = [f"unexpected error: {e}" for e in record.errors[:20]]
    if len(record.errors) > 20:
        problems.append(f"… and {len(record.errors) - 20} more unexpected errors")
    for r in record.rows:
        expected = record.start_counters[r] + record.increments[r]
        if t.counters[r] < expected:
            problems.append(
                f"lost update: row {r} counter is {t.counters[r]}, expected {expected} "
                f"({record.increments[r]} acknowledged increments from {record.start_counters[r]})"
            )
        elif t.counters[r] > expected:
            problems.append(
                f"phantom update: row {r} counter is {t.counters[r]}, expected {expected} "
                f"({record.increments[r]} acknowledged increments from {record.start_counters[r]})"
            )
    if t.missing_tokens:
        problems.append(
            f"lost update: {len(t.missing_tokens)} acknowledged tokens missing, e.g. "
            + ", ".join(
                f"{tok} (row {record.tokens[tok][0]} {record.tokens[tok][1]})" for tok in t.missing_tokens[:5]
            )
        )
    for tok, n in list(t.duplicated_tokens.items())[:10]:
        problems.append(f"duplicate: token {tok} present {n} times in row {record.tokens[tok][0]}")
    if t.leaked_tokens:
        problems.append(
            f"refused value saved: tokens {', '.join(t.leaked_tokens[:10])} were refused but are present"
        )
    for r in record.rows:
        start, final = record.start_versions[r], t.versions[r]
        saves = record.increments[r] + sum(1 for row, _ in record.tokens.values() if row == r)
        if final - start != saves:
            problems.append(f"row {r}: version went {start} → {final} but {saves} saves were acknowledged")
        expected_versions = list(range(start + 1, final + 1))
        audited = t.audited_versions[r]
        if missing := sorted(set(expected_versions) - set(audited)):
            problems.append(f"version gap: row {r} has no audited save for versions {_ranges(missing)}")
        if extra := sorted(set(audited) - set(expected_versions)):
            problems.append(f"row {r}: audited versions {_ranges(extra)} outside {start + 1}..{final}")
        if shared := sorted(v for v, ats in audited.items() if len(ats) > 1):
            problems.append(f"row {r}: versions {_ranges(shared)} each recorded by more than one save")
        reported = record.saved_versions[r]
        if sorted(reported) != expected_versions:
            doubled = sorted(v for v, n in Counter(reported).items() if n > 1)
            problems.append(
                f"row {r}: saves reported versions that are not exactly {start + 1}..{final}"
                + (f" (reported twice: {_ranges(doubled)})" if doubled else "")
            )
        if t.audited_refusals.get(r, 0) != record.refusals[r]:
            problems.append(
                f"row {r}: {record.refusals[r]} conflicts refused but "
                f"{t.audited_refusals.get(r, 0)} refused_conflict events in the trail"
            )
    if not t.chain.ok:
        problems.append(f"audit chain broken: {t.chain.message}")
    return problems


def values_of(events: Sequence[AuditEvent], *names: str) -> list[tuple[Any, ...]]:
    """Project audit events onto a few attributes, for compact assertions."""
    return [tuple(getattr(e, n) for n in names) for e in events]
