"""Concurrency machinery for a living register (not a test module): many clients creating, editing
and retiring headquarters projects or model-ward registrations at once through the real write path
(`actions.perform` → `creation.create_rows` / `changeset.apply_changes` / `changeset.retire_row`), on a
tiny seeded database; then a checker that holds the database and the audit trail to what each client
was told.

Every operation carries a token of its own (a letter per thread, five digits per operation): a new
row's notes begin with its creation token, an edit appends its token to a row's notes, a retirement
writes its token as the document. The checker names every:

- lost row or value: an acknowledged creation, edit or retirement missing from the rows or the trail;
- duplicated row or value: a token found more than once, a row nobody was told about;
- half-written row: a created row whose values or creation events differ from what was acknowledged;
- leak: something of a refused operation found anywhere;
- gap: a row whose versions are not each recorded by exactly one acknowledged save.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from lib.core import rules, security
from lib.core.roles import Actor, Refused
from lib.data import audit
from lib.data.db import bump_data_version, transaction
from lib.data.models import AuditEvent, HqProject, Locality, ModelWard, Unit, User, UserScope
from lib.editing import actions, changeset, creation
from lib.editing.changeset import RowChange, TableSpec
from lib.editing.creation import CreateSpec, NewRow
from tests.support.edit_machinery import actor

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 8, 0)
UNITS_PER_LOCALITY = 12
OWN, OTHER = "dia-ban-a", "dia-ban-b"
COORDINATOR, OFFICE = "dp.a", "vp"
MAX_NOTES = 2000


# --- the tiny database -------------------------------------------------------------------------


def seed_tiny(engine: Engine) -> None:
    """Two localities of twelve wards each, a coordinator of the first, the office, and two projects
    and two registrations per locality; every row followed, nothing disbursed."""
    stamp = datetime(2026, 1, 1, 8, 0)
    password = security.hash_password("mat-khau-thu-nghiem")
    with transaction(engine, write=True) as s:
        bump_data_version(s)
        places = {}
        for order, (code, name) in enumerate(((OWN, "Huyện A"), (OTHER, "Huyện B"))):
            place = Locality(code=code, name=name, kind="huyen", sort_order=order)
            s.add(place)
            s.flush()
            places[code] = place.id
            for n in range(UNITS_PER_LOCALITY):
                s.add(Unit(locality_id=place.id, name=f"{name[-1]}{n:02d}", kind="phuong"))
        for username, role, place in ((COORDINATOR, "dieu_phoi", places[OWN]), (OFFICE, "van_phong", None)):
            s.add(
                User(
                    username=username,
                    display_name=username,
                    role=role,
                    locality_id=place,
                    password_hash=password,
                    password_changed_at=stamp,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
        s.flush()
        coordinator = s.scalar(select(User.id).where(User.username == COORDINATOR))
        s.add(UserScope(user_id=coordinator, locality_id=places[OWN]))  # their scope: the first locality
        for code in (OWN, OTHER):
            units = list(s.scalars(select(Unit.id).where(Unit.locality_id == places[code]).order_by(Unit.id)))
            for unit in units[:2]:
                s.add(
                    HqProject(
                        unit_id=unit,
                        kind="xay_moi",
                        land_status="chua_bo_tri",
                        stage="chua_bo_tri_dat",
                        funding_source="ngan_sach_tinh",
                        planned_vnd=1_000_000_000,
                        notes="",
                        updated_at=stamp,
                    )
                )
                s.add(ModelWard(unit_id=unit, year_registered=2024, notes="", updated_at=stamp))


# --- the registers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterCase:
    """One register as the workload sees it: how to edit it, add to it, and what a new row holds."""

    name: str
    spec: TableSpec
    create: CreateSpec
    # (random, unit id, creation token) → the raw values of a new row; its notes are the token.
    new_values: Callable[[random.Random, int, str], dict[str, Any]]
    checked: tuple[str, ...]  # the values a new row must still hold at the end (edits never touch them)


HQ_REGISTER = RegisterCase(
    name="hq_project",
    spec=changeset.HQ,
    create=creation.NEW_HQ,
    new_values=lambda rng, unit, token: {
        "unit_id": unit,
        "planned_vnd": str(rng.randrange(1, 6) * 1_000_000_000),
        "kind": rng.choice(("xay_moi", "cai_tao")),
        "notes": token,
    },
    checked=("unit_id", "planned_vnd", "kind"),
)
WARD_REGISTER = RegisterCase(
    name="model_ward",
    spec=changeset.WARDS,
    create=creation.NEW_WARD,
    new_values=lambda rng, unit, token: {
        "unit_id": unit,
        "year_registered": rng.randrange(2025, 2031),
        "criteria_met": rng.randrange(0, 23),
        "notes": token,
    },
    checked=("unit_id", "year_registered", "criteria_met"),
)
REGISTERS = (HQ_REGISTER, WARD_REGISTER)


# --- the workload -----------------------------------------------------------------------------------


@dataclass
class Created:
    key: str
    token: str
    values: dict[str, Any]  # typed, as the row must hold them
    row_id: int


@dataclass
class RegisterRecord:
    """What the clients were told."""

    entity: str
    start_audit_id: int
    start_versions: dict[int, int]  # the rows there before the workload
    ops: int = 0
    created: dict[str, Created] = field(default_factory=dict)  # creation key → acknowledged
    refused_creations: dict[str, str] = field(default_factory=dict)  # creation key → token
    resubmitted: list[tuple[str, tuple[int, ...], int]] = field(default_factory=list)  # key, rows, cells
    edits: dict[str, tuple[int, int]] = field(default_factory=dict)  # token → (row, version)
    refused_edits: set[str] = field(default_factory=set)
    retirements: dict[str, tuple[int, int, str, int | None]] = field(default_factory=dict)
    refused_retirements: set[str] = field(default_factory=set)
    refusals: Counter[str] = field(default_factory=Counter)  # by the refusal's audit action
    saved_versions: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    uncertain: set[str] = field(default_factory=set)  # tokens of operations that raised something else
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.ops} ops in {self.elapsed:.1f}s: {len(self.created)} created, {len(self.resubmitted)} "
            f"resubmitted, {len(self.edits)} edits, {len(self.retirements)} retirements acknowledged; "
            f"refused {sum(self.refusals.values())} ({dict(self.refusals)}); {len(self.errors)} errors"
        )


def _token(kind: str, thread: int, op: int) -> str:
    return f"{kind}{chr(ord('a') + thread)}{op:05d}"  # never a substring of another token


def _create(
    engine: Engine,
    me: Actor,
    case: RegisterCase,
    raw: dict[str, Any],
    now: datetime,
    key: str,
    *,
    confirm: bool,
) -> changeset.SaveResult:
    return actions.perform(
        engine,
        me,
        creation.create_rows,
        case.create,
        [NewRow(raw)],
        now=now,
        today=TODAY,
        creation_key=key,
        confirm_similar=confirm,
    )


def _read(engine: Engine, spec: TableSpec, row_id: int) -> Any:
    with transaction(engine) as s:
        return s.get(spec.model, row_id)


def _units(engine: Engine) -> dict[str, list[int]]:
    with transaction(engine) as s:
        found: dict[str, list[int]] = defaultdict(list)
        for code, unit in s.execute(select(Locality.code, Unit.id).join(Locality).order_by(Unit.id)):
            found[code].append(unit)
        return dict(found)


def run_register_workload(
    engine: Engine, case: RegisterCase, threads: int, ops_per_thread: int, seed: int
) -> RegisterRecord:
    """Seed the tiny database, then let `threads` clients (coordinators of the first locality, and the
    office on the last thread) add, edit and retire rows at once through the real write path.

    Each operation is drawn at random: add a row (one in ten for a unit of the other locality, one in
    five without confirming a look-alike), send an earlier creation again with its key, append a token
    to a row's notes, or stop, cancel or merge a row (into a random row of the same locality, which may
    no longer be followed). Edits and retirements carry the version their client just read, so they
    race and conflict.
    """
    if not 1 <= threads <= 26 or ops_per_thread >= 10**5:
        raise ValueError("tokens are one letter per thread and five digits per operation")
    seed_tiny(engine)
    spec = case.spec
    units = _units(engine)
    with transaction(engine) as s:
        start = {row_id: version for row_id, version in s.execute(select(spec.model.id, spec.model.version))}
        start_audit = int(s.scalar(select(func.max(AuditEvent.id))) or 0)
        locality_of = {
            row_id: place
            for row_id, place in s.execute(
                select(spec.model.id, Unit.locality_id).join(Unit, Unit.id == spec.model.unit_id)
            )
        }
    record = RegisterRecord(spec.entity, start_audit, dict(start))
    known = dict(locality_of)  # row id → locality id, shared: new rows join as they are acknowledged
    guard = threading.Lock()
    who = {COORDINATOR: actor(engine, COORDINATOR), OFFICE: actor(engine, OFFICE)}
    start_line = threading.Barrier(threads)

    def client(t: int) -> RegisterRecord:
        rng = random.Random(f"{seed}:{t}")
        me = who[OFFICE if t == threads - 1 and threads > 1 else COORDINATOR]
        log = RegisterRecord(spec.entity, 0, {})
        mine: list[tuple[str, dict[str, Any], tuple[int, ...]]] = []
        start_line.wait()
        for i in range(ops_per_thread):
            now = NOW + timedelta(milliseconds=t * ops_per_thread + i)  # one instant per save
            draw = rng.random()
            with guard:
                rows = sorted(known.items())
            try:
                if draw < 0.05 and mine:  # the same form again: a double click, a resubmission
                    key, raw, ids = rng.choice(mine)
                    result = _create(engine, me, case, raw, now, key, confirm=True)
                    log.resubmitted.append((key, result.rows, result.cells))
                    if result.rows != ids:
                        log.errors.append(f"resubmitting {key} returned {result.rows}, first {ids}")
                elif draw < 0.40:
                    token = _token("c", t, i)
                    place = OTHER if rng.random() < 0.1 else OWN
                    raw = case.new_values(rng, rng.choice(units[place]), token)
                    key = f"w{seed}-{token}"
                    try:
                        result = _create(engine, me, case, raw, now, key, confirm=rng.random() > 0.2)
                    except Refused:
                        log.refused_creations[key] = token
                        raise
                    except SQLAlchemyError:
                        log.uncertain.add(token)
                        raise
                    row_id = result.rows[0]
                    log.created[key] = Created(key, token, _typed(case, raw), row_id)
                    log.saved_versions[row_id].append(1)
                    mine.append((key, raw, result.rows))
                    with guard:
                        known[row_id] = locality_of_unit[raw["unit_id"]]
                elif draw < 0.78:
                    row_id = rng.choice(rows)[0]
                    row = _read(engine, spec, row_id)
                    token = _token("u", t, i)
                    notes = f"{row.notes} {token}" if row.notes else token
                    if len(notes) > MAX_NOTES:
                        continue
                    try:
                        change = RowChange(row_id, row.version, {"notes": notes})
                        result = actions.perform(
                            engine, me, changeset.apply_changes, spec, [change], now=now, today=TODAY
                        )
                    except Refused:
                        log.refused_edits.add(token)
                        raise
                    except SQLAlchemyError:
                        log.uncertain.add(token)
                        raise
                    log.edits[token] = (row_id, result.versions[row_id])
                    log.saved_versions[row_id].append(result.versions[row_id])
                else:
                    row_id, place = rng.choice(rows)
                    row = _read(engine, spec, row_id)
                    token = _token("r", t, i)
                    lifecycle = rng.choice(rules.RETIRED_LIFECYCLES)
                    same = [r for r, p in rows if p == place and r != row_id]
                    into = rng.choice(same) if lifecycle == rules.LIFECYCLE_MERGED and same else None
                    try:
                        result = actions.perform(
                            engine,
                            me,
                            changeset.retire_row,
                            spec,
                            row_id,
                            row.version,
                            lifecycle=lifecycle,
                            document=token,
                            reason=f"Lý do {token}",
                            merged_into=into,
                            now=now,
                            today=TODAY,
                        )
                    except Refused:
                        log.refused_retirements.add(token)
                        raise
                    except SQLAlchemyError:
                        log.uncertain.add(token)
                        raise
                    log.retirements[token] = (row_id, result.versions[row_id], lifecycle, into)
                    log.saved_versions[row_id].append(result.versions[row_id])
            except Refused as exc:
                log.refusals[exc.action] += 1
            except SQLAlchemyError as exc:
                log.errors.append(f"thread {t} op {i}: {type(exc).__name__}: {exc}")
        return log

    locality_of_unit = {u: p for p, us in _unit_places(engine).items() for u in us}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        logs = [f.result() for f in [pool.submit(client, t) for t in range(threads)]]
    record.elapsed = time.perf_counter() - started
    record.ops = threads * ops_per_thread
    for log in logs:
        record.created |= log.created
        record.refused_creations |= log.refused_creations
        record.resubmitted += log.resubmitted
        record.edits |= log.edits
        record.refused_edits |= log.refused_edits
        record.retirements |= log.retirements
        record.refused_retirements |= log.refused_retirements
        record.refusals += log.refusals
        for row_id, versions in log.saved_versions.items():
            record.saved_versions[row_id].extend(versions)
        record.uncertain |= log.uncertain
        record.errors += log.errors
    return record


def _unit_places(engine: Engine) -> dict[int, list[int]]:
    with transaction(engine) as s:
        found: dict[int, list[int]] = defaultdict(list)
        for unit, place in s.execute(select(Unit.id, Unit.locality_id)):
            found[place].append(unit)
        return dict(found)


def _typed(case: RegisterCase, raw: dict[str, Any]) -> dict[str, Any]:
    """A new row's values as the table must hold them, the defaults of the register included."""
    typed = {n: case.create.values[n][1].parse(v) for n, v in raw.items() if n in case.create.values}
    return case.create.complete(typed | {"unit_id": raw["unit_id"]})


# --- the checker ---------------------------------------------------------------------------------------


def check_register(engine: Engine, case: RegisterCase, record: RegisterRecord) -> list[str]:
    """Name every way the rows and the trail disagree with what the clients were told."""
    spec = case.spec
    model: Any = spec.model
    problems = [f"unexpected error: {e}" for e in record.errors[:20]]
    with transaction(engine) as s:
        rows = {r.id: r for r in s.scalars(select(model))}
        events = list(
            s.scalars(select(AuditEvent).where(AuditEvent.id > record.start_audit_id).order_by(AuditEvent.id))
        )
        chain = audit.verify_chain(s)
    mine = [e for e in events if e.entity == spec.entity]
    creates: dict[int, list[AuditEvent]] = defaultdict(list)
    for e in mine:
        if e.action == "create":
            creates[e.row_id].append(e)

    # Every token, wherever it is: notes (creations and edits) and documents (retirements).
    notes: Counter[str] = Counter()
    where: dict[str, set[int]] = defaultdict(set)
    for r in rows.values():
        for tok in (r.notes or "").split():
            notes[tok] += 1
            where[tok].add(r.id)
    documents = Counter(r.lifecycle_doc for r in rows.values() if r.lifecycle_doc)
    keyed = {r.creation_key: r for r in rows.values() if r.creation_key}

    # Creations: each acknowledged one exactly once, whole, with its creation events.
    for key, made in record.created.items():
        row = keyed.get(f"{key}:0")
        if row is None or row.id != made.row_id:
            problems.append(f"lost row: creation {key} (row {made.row_id}) is not in the table")
            continue
        if notes[made.token] != 1 or (row.notes or "").split()[:1] != [made.token]:
            problems.append(f"duplicated row: creation token {made.token} found {notes[made.token]} times")
        wrong = [n for n in case.checked if getattr(row, n) != made.values[n]]
        if wrong:
            problems.append(
                f"half-written row {row.id}: {', '.join(wrong)} differ from what was acknowledged"
            )
        written = Counter((e.field, e.new_value, e.row_version) for e in creates.get(row.id, []))
        expected = Counter(
            (n, v.isoformat() if isinstance(v, date) else str(v), 1)
            for n, v in made.values.items()
            if v not in (None, "", ())
        )
        if written != expected:
            problems.append(
                f"half-written row {row.id}: creation events {sorted(written.elements())} "
                f"where {sorted(expected.elements())} were acknowledged"
            )
    acknowledged = {f"{k}:0" for k in record.created}
    for key, row in keyed.items():
        if key not in acknowledged and not any(t in key for t in record.uncertain):
            problems.append(f"duplicated row: row {row.id} (key {key}) was never acknowledged")
    for row_id in set(rows) - set(record.start_versions) - {m.row_id for m in record.created.values()}:
        if rows[row_id].creation_key is None or rows[row_id].creation_key in acknowledged:
            problems.append(f"duplicated row: row {row_id} was never acknowledged")
    for key, token in record.refused_creations.items():
        if f"{key}:0" in keyed or notes[token]:
            problems.append(f"leak: refused creation {key} left a row")
    for key, _rows, cells in record.resubmitted:
        if cells:
            problems.append(f"duplicated row: resubmitting {key} wrote {cells} values")

    # Edits: each acknowledged token once in its row; refused ones nowhere.
    for token, (row_id, _version) in record.edits.items():
        if notes[token] == 0:
            problems.append(f"lost edit: token {token} missing from row {row_id}")
        elif notes[token] > 1 or where[token] != {row_id}:
            problems.append(
                f"duplicated edit: token {token} in rows {sorted(where[token])} ({notes[token]} times)"
            )
    leaked = sorted(t for t in record.refused_edits if notes[t])
    if leaked:
        problems.append(f"leak: refused edits {', '.join(leaked[:10])} are in the table")

    # Retirements: in the trail at their version; the latest one per row is what the row holds.
    retire_docs = {
        (e.row_id, e.row_version): e.new_value
        for e in mine
        if e.action == "retire" and e.field == "lifecycle_doc"
    }
    latest: dict[int, tuple[int, str, str, int | None]] = {}
    for token, (row_id, version, lifecycle, into) in record.retirements.items():
        if retire_docs.get((row_id, version)) != token:
            problems.append(
                f"lost retirement: {token} of row {row_id} (version {version}) is not in the trail"
            )
        if row_id not in latest or version > latest[row_id][0]:
            latest[row_id] = (version, token, lifecycle, into)
    for row_id, (_version, token, lifecycle, into) in latest.items():
        row = rows.get(row_id)
        if row is None:
            continue
        held = (row.lifecycle, row.lifecycle_doc, row.merged_into_id)
        if held != (lifecycle, token, into):
            problems.append(
                f"lost retirement: row {row_id} holds {held}, "
                f"the last acknowledged was {(lifecycle, token, into)}"
            )
    for row_id, row in rows.items():
        if row_id not in latest and row.lifecycle != rules.LIFECYCLE_ACTIVE:
            problems.append(f"leak: row {row_id} is {row.lifecycle} but no retirement of it was acknowledged")
    leaked = sorted(
        t for t in record.refused_retirements if documents[t] or any(e.new_value == t for e in mine)
    )
    if leaked:
        problems.append(f"leak: refused retirements {', '.join(leaked[:10])} were written")

    # Versions: each from the first to the last recorded by exactly one acknowledged save.
    saves: dict[int, dict[int, set[datetime]]] = defaultdict(lambda: defaultdict(set))
    for e in mine:
        if e.row_version is not None and not e.action.startswith("refused") and e.row_id is not None:
            saves[e.row_id][e.row_version].add(e.at)
    for row_id, row in rows.items():
        first = record.start_versions.get(row_id, 0) + 1
        wanted = list(range(first, row.version + 1))
        got = saves.get(row_id, {})
        if sorted(got) != wanted:
            missing = sorted(set(wanted) - set(got))
            problems.append(f"version gap: row {row_id} has no recorded save for versions {missing[:10]}")
        if any(len(ats) > 1 for ats in got.values()):
            problems.append(f"row {row_id}: a version recorded by more than one save")
        if sorted(record.saved_versions.get(row_id, [])) != wanted:
            problems.append(f"row {row_id}: acknowledged versions are not exactly {first}..{row.version}")

    # Refusals: each refused operation recorded once (its own transaction, after the rollback).
    recorded = Counter(e.action for e in events if e.action.startswith("refused"))
    if recorded != record.refusals:
        problems.append(f"refusals recorded {dict(recorded)}, refused {dict(record.refusals)}")
    if not chain.ok:
        problems.append(f"audit chain broken: {chain.message}")
    return problems


# --- deliberate damage, for the negative control ----------------------------------------------------------


def corrupt(engine: Engine, case: RegisterCase, record: RegisterRecord) -> dict[str, int]:
    """Damage the rows three ways behind the engine's back: lose an acknowledged new row, duplicate
    another, and half-write a third (a value changed, as a crash between two writes would leave it)."""
    model: Any = case.spec.model
    with transaction(engine) as s:
        targets = set(s.scalars(select(model.merged_into_id).where(model.merged_into_id.is_not(None))))
    made = sorted(m.row_id for m in record.created.values() if m.row_id not in targets)
    lost, copied, halved = made[0], made[1], made[2]
    table = model.__table__
    with transaction(engine, write=True) as s:
        s.execute(table.delete().where(table.c.id == lost))
        row = dict(s.execute(select(table).where(table.c.id == copied)).mappings().one())
        row.pop("id")
        row["creation_key"] = None
        if "year_registered" in row:  # one registration per ward and year: the copy takes another year
            row["year_registered"] = 2035
        s.execute(table.insert().values(**row))
        column = case.checked[-1]
        value = getattr(s.get(model, halved), column)
        s.execute(table.update().where(table.c.id == halved).values({column: _other(value)}))
    return {"lost": lost, "duplicated": copied, "half-written": halved}


def _other(value: Any) -> Any:
    if isinstance(value, int):
        return 0 if value else 1
    return "cai_tao" if value == "xay_moi" else "xay_moi"
