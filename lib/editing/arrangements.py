"""Reorganisations as records: check them against the map, record them (draft), apply them.

Applying is one audited transaction (the caller's): the ending bodies get `valid_to` = the day before
the effective date; new bodies start on it; `succession` rows and the lines' `from_id`/`to_id` are
written; a new unit standing on its own (its district no longer valid) gets its UBND and Công an;
and the open rows of every ending body pass to a successor, one `transfer` row and one audit event
(action "reorganise") per changed field, each row's version raised. Finished history stays where it
was: tasks completed before the effective date, suspended and cancelled tasks (rules.EXCLUDED_STATES),
headquarters projects no longer active or finished before it (lib.core.rules.FINISHED_STAGES),
model-ward registrations no longer active or recognised before it, duties retired by then. A row
finished on or after the effective date passes: the successor finished it.

Which successor takes an open row of a split body: `choices[(entity, row_id)]` if given (see
`split_rows`), else the successor containing the row's unit (a row whose unit passes to unit U
passes from a split agency to the agency of U), else the main successor (the seat).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lib.core import rules
from lib.core.arrangement import (
    ENDED,
    SAME,
    SPLIT,
    ArrangementInvalid,
    Line,
    Parsed,
    Problem,
    describe,
    norm,
    split_main,
)
from lib.core.formatting import fmt_date
from lib.core.organisation import AGENCY, LOCALITY, UNIT, ends_on
from lib.core.roles import Actor, Refused, require_office
from lib.core.validation import slug
from lib.data import audit
from lib.data.db import bump_data_version
from lib.data.issuers import is_provincial
from lib.data.models import (
    Agency,
    Arrangement,
    ArrangementLine,
    Duty,
    HqProject,
    Locality,
    ModelWard,
    Succession,
    Task,
    Transfer,
    Unit,
    UserScope,
    duty_cooperator,
    task_cooperator,
)
from lib.data.organisation import JOINED

ENTITY = "arrangement"
MODELS: dict[str, Any] = {LOCALITY: Locality, UNIT: Unit, AGENCY: Agency}
ORDER = (LOCALITY, UNIT, AGENCY)  # bodies are resolved and created in this order
COOPERATOR = "cooperator"  # the transfer field of a cooperating agency passed to its successor
FINISHED_TASK_STATES = ("hoan_thanh", *rules.EXCLUDED_STATES)
UNIT_WORD = {"phuong": "phường", "xa": "xã", "thi_tran": "thị trấn"}
UNIT_CODE = {"phuong": "p", "xa": "x", "thi_tran": "tt"}


class ArrangementRefused(Refused):
    """A reorganisation that cannot be recorded or applied; every problem names its line."""

    def __init__(self, problems: Sequence[Problem], *, row_id: int | None = None):
        self.problems = list(problems)
        super().__init__(ArrangementInvalid(self.problems).message, entity=ENTITY, row_id=row_id)


# --- reading stored arrangements ----------------------------------------------------------------


def parsed_of(arrangement: Arrangement) -> Parsed:
    """A stored arrangement as the lines it was recorded from."""
    lines = tuple(
        Line(
            line_no=row.line_no,
            body_kind=row.body_kind,
            old_name=row.old_name,
            new_name=row.new_name,
            change=row.change,
            old_kind=row.old_kind,
            old_locality=row.old_locality,
            old_code=row.old_code,
            new_kind=row.new_kind,
            new_locality=row.new_locality,
            new_code=row.new_code,
            main=row.main,
            superior=row.superior,
            place=row.place,
            source=row.source,
        )
        for row in arrangement.lines
    )
    return Parsed(arrangement.resolution, arrangement.resolution_on, arrangement.effective_on, lines)


# --- the plan: every line resolved against the map ----------------------------------------------


@dataclass
class _Target:
    """The new body of a line: an existing one (id) or one to create (key, first line)."""

    existing: int | None
    line: Line


@dataclass
class Plan:
    """A reorganisation resolved against the bodies in the database, before anything is written."""

    parsed: Parsed
    old: dict[int, int] = field(default_factory=dict)  # line_no → old body id
    ending: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    continuing_splits: set[tuple[str, int]] = field(default_factory=set)
    mains: set[int] = field(default_factory=set)  # line numbers of main parts

    @property
    def day_before(self) -> date:
        return ends_on(self.parsed.effective_on)


class _Map:
    """The bodies of the three tables, read once (a few hundred rows)."""

    def __init__(self, s: Session):
        self.s = s
        self.rows: dict[str, list[Any]] = {kind: list(s.scalars(select(MODELS[kind]))) for kind in ORDER}
        self.localities = {loc.id: loc for loc in self.rows[LOCALITY]}

    def add(self, kind: str, row: Any) -> None:
        self.rows[kind].append(row)
        if kind == LOCALITY:
            self.localities[row.id] = row

    def matches(self, kind: str, name: str, body_type: str, locality: str, code: str) -> list[Any]:
        out = []
        for row in self.rows[kind]:
            if kind == AGENCY and code:
                if row.code.lower() != code.strip().lower():
                    continue
            elif norm(row.name) != norm(name):
                continue
            if kind == UNIT:
                if body_type and row.kind != body_type:
                    continue
                if locality and norm(self.localities[row.locality_id].name) != norm(locality):
                    continue
            out.append(row)
        return out

    def locality_named(self, name: str, *days: date) -> Locality | None:
        found: list[Locality] = [loc for loc in self.rows[LOCALITY] if norm(loc.name) == norm(name)]
        for day in days:
            for loc in found:
                if _valid(loc, day):
                    return loc
        return max(found, key=lambda loc: loc.valid_to or date.max, default=None)


def _valid(row: Any, day: date) -> bool:
    return (row.valid_from is None or row.valid_from <= day) and (row.valid_to is None or day <= row.valid_to)


def _old_of(line: Line) -> tuple[str, str, str, str, str]:
    return (line.body_kind, line.old_name, line.old_kind, line.old_locality, line.old_code)


def _new_of(line: Line) -> tuple[str, str, str, str, str]:
    return (
        line.body_kind,
        line.new_name,
        line.new_kind or line.old_kind,
        line.new_locality or line.old_locality,
        line.new_code,
    )


def check(s: Session, parsed: Parsed, *, arrangement_id: int | None = None) -> list[Problem]:
    """Every problem of a reorganisation against the map (nothing is written): the lines' own
    problems, unknown old bodies, dates before a body existed, a resolution applied already."""
    return _plan(s, parsed, _Map(s), arrangement_id)[1]


def _has_successor(s: Session, kind: str, body_id: int) -> bool:
    """Tell whether another arrangement already ended this body into a successor (a body whose end
    date was only known, as reference data, may still be mapped once)."""
    return (
        s.scalar(
            select(Succession.id).where(Succession.body_kind == kind, Succession.from_id == body_id).limit(1)
        )
        is not None
    )


def _plan(s: Session, parsed: Parsed, bodies: _Map, arrangement_id: int | None) -> tuple[Plan, list[Problem]]:
    problems = list(parsed.problems())
    plan = Plan(parsed)
    effective, before = parsed.effective_on, plan.day_before
    applied = s.scalar(
        select(Arrangement).where(
            Arrangement.state == "applied",
            Arrangement.resolution == parsed.resolution,
            Arrangement.effective_on == effective,
            Arrangement.id != (arrangement_id or -1),
        )
    )
    if applied is not None:
        problems.append(
            Problem(
                0,
                f"Nghị quyết “{parsed.resolution}” hiệu lực {fmt_date(effective)} đã được áp dụng "
                f"(sắp xếp “{applied.code}”, {applied.applied_by} lúc {applied.applied_at:%H:%M %d/%m/%Y}).",
            )
        )
    by_old: dict[tuple[str, ...], list[Line]] = defaultdict(list)
    for line in parsed.lines:
        kind, name, body_type, locality, code = _old_of(line)
        if line.body_kind == UNIT and line.old_locality and bodies.locality_named(line.old_locality) is None:
            problems.append(Problem(line.line_no, f"không có địa phương “{line.old_locality}”."))
            continue
        found = bodies.matches(kind, name, body_type, locality, code)
        valid = [row for row in found if _valid(row, before)]
        if len(valid) > 1:
            problems.append(
                Problem(
                    line.line_no,
                    f"{line.describe_old()}: có {len(valid)} đơn vị cùng tên; ghi rõ loại và địa phương.",
                )
            )
            continue
        if not valid:
            later = [row for row in found if row.valid_from is not None and row.valid_from > before]
            if later:
                problems.append(
                    Problem(
                        line.line_no,
                        f"ngày hiệu lực {fmt_date(effective)} trước khi {line.describe_old()} bắt đầu tồn "
                        f"tại ({fmt_date(later[0].valid_from)}).",
                    )
                )
            else:
                ended = [row for row in found if row.valid_to is not None and row.valid_to < before]
                when = f" (đã kết thúc ngày {fmt_date(ended[0].valid_to)})" if ended else ""
                problems.append(
                    Problem(
                        line.line_no,
                        f"không có {line.describe_old()} còn hiệu lực ngày {fmt_date(before)}{when}.",
                    )
                )
            continue
        if valid[0].valid_to == before and _has_successor(s, kind, valid[0].id):
            problems.append(
                Problem(
                    line.line_no,
                    f"{line.describe_old()} đã kết thúc ngày {fmt_date(before)} theo một sắp xếp khác; "
                    "một đơn vị chỉ được ánh xạ một lần.",
                )
            )
            continue
        plan.old[line.line_no] = valid[0].id
        by_old[line.old_key()].append(line)
    # Which bodies end: every old body of a line that changes it, but a split whose part keeps it.
    for group in by_old.values():
        first = group[0]
        body_id = plan.old[first.line_no]
        if all(line.change == SAME for line in group):
            continue
        if first.change == SPLIT:
            plan.mains.add(split_main(group))
            if any(line.old_key() == line.new_key() for line in group):
                plan.continuing_splits.add((first.body_kind, body_id))
                continue
        else:
            plan.mains.update(line.line_no for line in group)
        plan.ending[first.body_kind].add(body_id)
    # New bodies named before they exist.
    for line in parsed.lines:
        if line.change in (SAME, ENDED) or line.line_no not in plan.old:
            continue
        kind, name, body_type, locality, code = _new_of(line)
        if (
            kind == UNIT
            and bodies.locality_named(locality) is None
            and not _created_locality(parsed, locality)
        ):
            problems.append(
                Problem(line.line_no, f"không có địa phương “{locality}” (của {line.describe_new()}).")
            )
            continue
        found = bodies.matches(kind, name, body_type, locality if kind == UNIT else "", code)
        if found and not any(_valid(row, effective) for row in found):
            later = [row for row in found if row.valid_from is not None and row.valid_from > effective]
            if later:
                problems.append(
                    Problem(
                        line.line_no,
                        f"{line.describe_new()} chỉ bắt đầu tồn tại từ {fmt_date(later[0].valid_from)}, "
                        f"sau ngày hiệu lực {fmt_date(effective)}.",
                    )
                )
    return plan, sorted(problems, key=lambda p: p.line_no)


def _created_locality(parsed: Parsed, name: str) -> bool:
    return any(
        line.body_kind == LOCALITY and line.change not in (SAME, ENDED) and norm(line.new_name) == norm(name)
        for line in parsed.lines
    )


# --- recording ------------------------------------------------------------------------------------


def record_arrangement(
    s: Session,
    actor: Actor,
    parsed: Parsed,
    now: datetime,
    *,
    code: str | None = None,
    title: str = "",
) -> int:
    """Record a reorganisation as a draft (office and administrators); return its id. Refused, with
    every line named and nothing written, if it does not hold against the map."""
    require_office(actor, "ghi nhận sắp xếp đơn vị hành chính, cơ quan", ENTITY)
    bump_data_version(s)  # first: the write lock (see lib.data.db)
    problems = check(s, parsed)
    wanted = (code or slug(f"{parsed.resolution} {parsed.effective_on:%Y%m%d}", 60)).strip()
    if s.scalar(select(Arrangement.id).where(Arrangement.code == wanted)) is not None:
        problems.append(Problem(0, f"Đã có sắp xếp mã “{wanted}”."))
    if problems:
        raise ArrangementRefused(problems)
    arrangement = Arrangement(
        code=wanted,
        resolution=parsed.resolution,
        resolution_on=parsed.resolution_on,
        effective_on=parsed.effective_on,
        title=title or f"Sắp xếp theo {parsed.resolution}, hiệu lực {fmt_date(parsed.effective_on)}",
        state="draft",
        created_by=actor.username,
        created_at=now,
        version=1,
    )
    for line in parsed.lines:
        arrangement.lines.append(
            ArrangementLine(
                line_no=line.line_no,
                body_kind=line.body_kind,
                old_name=line.old_name,
                old_kind=line.old_kind,
                old_locality=line.old_locality,
                old_code=line.old_code,
                new_name=line.new_name,
                new_kind=line.new_kind,
                new_locality=line.new_locality,
                new_code=line.new_code,
                change=line.change,
                main=line.main,
                superior=line.superior,
                place=line.place,
                source=line.source,
            )
        )
    s.add(arrangement)
    s.flush()
    audit.record(
        s,
        actor=actor.username,
        action="record_arrangement",
        entity=ENTITY,
        row_id=arrangement.id,
        row_version=1,
        new=f"{len(parsed.lines)} dòng",
        reason=f"{parsed.resolution}, hiệu lực {fmt_date(parsed.effective_on)}",
        at=now,
    )
    return arrangement.id


# --- applying -------------------------------------------------------------------------------------

# What passes, per entity: the fields naming bodies, and which open rows are concerned.
ROW_FIELDS: dict[str, tuple[Any, tuple[str, ...], str | None]] = {
    "task": (Task, ("locality_id", "unit_id", "lead_agency_id"), "lead_agency_id"),
    "duty": (Duty, ("locality_id", "unit_id", "lead_agency_id"), "lead_agency_id"),
    "hq_project": (HqProject, ("unit_id",), None),
    "model_ward": (ModelWard, ("unit_id",), None),
    "user_scope": (UserScope, ("locality_id", "unit_id", "agency_id"), "agency_id"),
}
FIELD_KIND = {"locality_id": LOCALITY, "unit_id": UNIT, "lead_agency_id": AGENCY, "agency_id": AGENCY}


def _open(entity: str, effective: date) -> list[Any]:
    """The conditions that make a row of an entity open on the effective date (still followed).
    A row finished on or after that date passes too: the body it names no longer existed when it was
    finished, so its successor finished it (an arrangement is often entered after it took effect)."""
    if entity == "task":
        return [or_(Task.state.not_in(FINISHED_TASK_STATES), Task.completed_on >= effective)]
    if entity == "duty":
        return [or_(Duty.retired_on.is_(None), Duty.retired_on > effective)]
    if entity == "hq_project":
        return [
            HqProject.lifecycle == "active",
            or_(
                HqProject.stage.not_in(rules.FINISHED_STAGES),
                HqProject.actual_completion_on >= effective,
            ),
        ]
    if entity == "model_ward":
        return [
            ModelWard.lifecycle == "active",
            or_(ModelWard.recognised_on.is_(None), ModelWard.recognised_on >= effective),
        ]
    return []


@dataclass(frozen=True)
class Option:
    """A successor a row of a split body may pass to: `value` is what `choices` takes (the body's id,
    or minus the line number for a body the arrangement creates)."""

    value: int
    label: str
    main: bool


@dataclass(frozen=True)
class SplitRow:
    """An open row of a body that splits: the page asks which successor takes it."""

    entity: str
    row_id: int
    label: str
    body_kind: str
    body_id: int
    body_name: str
    options: tuple[Option, ...]
    default: int


@dataclass
class Applied:
    """What applying a reorganisation did."""

    arrangement_id: int
    code: str
    ended: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    successions: int = 0
    transfers: int = 0
    passed: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))  # (entity, to)

    def lines(self) -> list[str]:
        from lib.core.arrangement import BODY_LABELS

        entity_labels = {
            "task": "nhiệm vụ",
            "duty": "nhiệm vụ định kỳ",
            "hq_project": "dự án trụ sở",
            "model_ward": "đăng ký phường kiểu mẫu",
            "task_cooperator": "lượt phối hợp nhiệm vụ",
            "duty_cooperator": "lượt phối hợp nhiệm vụ định kỳ",
            "user_scope": "phạm vi đầu mối",
        }
        out = [
            "Kết thúc: "
            + (", ".join(f"{n} {BODY_LABELS[k]}" for k, n in self.ended.items() if n) or "không có"),
            "Thành lập: "
            + (", ".join(f"{n} {BODY_LABELS[k]}" for k, n in self.created.items() if n) or "không có"),
            f"Quan hệ kế tục: {self.successions}; trường đã chuyển: {self.transfers}.",
        ]
        for (entity, to), n in sorted(self.passed.items()):
            out.append(f"  {n} {entity_labels.get(entity, entity)} → {to}")
        return out


class _Writer:
    def __init__(
        self, s: Session, actor: Actor, arrangement: Arrangement, plan: Plan, bodies: _Map, now: datetime
    ):
        self.s, self.actor, self.arrangement, self.plan, self.bodies, self.now = (
            s,
            actor,
            arrangement,
            plan,
            bodies,
            now,
        )
        self.effective = plan.parsed.effective_on
        self.reason = (
            f"{arrangement.resolution}, hiệu lực {fmt_date(self.effective)} (sắp xếp {arrangement.code})"
        )
        self.entries: list[audit.Entry] = []
        self.created: dict[tuple[str, ...], Any] = {}
        self.succ: dict[tuple[str, int], list[tuple[int, bool, int]]] = defaultdict(list)  # to, main, line
        self.line_to: dict[int, int] = {}
        self.applied = Applied(arrangement.id, arrangement.code)

    def event(self, entity: str, row_id: int | None, field_name: str, old: Any, new: Any, **kw: Any) -> None:
        self.entries.append(
            audit.Entry(
                actor=self.actor.username,
                action="reorganise",
                entity=entity,
                row_id=row_id,
                field=field_name,
                old=old,
                new=new,
                reason=self.reason,
                at=self.now,
                **kw,
            )
        )

    def row(self, kind: str, body_id: int) -> Any:
        return self.s.get(MODELS[kind], body_id)

    # bodies

    def write_bodies(self) -> None:
        line_rows = {row.line_no: row for row in self.arrangement.lines}
        before = self.plan.day_before
        for kind in ORDER:
            for body_id in sorted(self.plan.ending[kind]):
                body = self.row(kind, body_id)
                self.event(kind, body_id, "valid_to", body.valid_to, before)
                body.valid_to = before
                self.applied.ended[kind] += 1
            for line in self.plan.parsed.lines:
                if line.body_kind != kind:
                    continue
                from_id = self.plan.old[line.line_no]
                stored = line_rows[line.line_no]
                stored.from_id = from_id
                if line.change == SAME:
                    stored.to_id = from_id
                    continue
                if line.change == ENDED:
                    continue
                if (kind, from_id) in self.plan.continuing_splits and line.old_key() == line.new_key():
                    to_id = from_id
                else:
                    to_id = self.target(line, from_id)
                stored.to_id = to_id
                self.line_to[line.line_no] = to_id
                if to_id != from_id:
                    main = line.line_no in self.plan.mains
                    self.s.add(
                        Succession(
                            body_kind=kind,
                            from_id=from_id,
                            to_id=to_id,
                            change=line.change,
                            effective_on=self.effective,
                            main=main,
                            arrangement_id=self.arrangement.id,
                        )
                    )
                    self.succ[(kind, from_id)].append((to_id, main, line.line_no))
                    self.applied.successions += 1
            if kind == UNIT:
                self.s.flush()
                for key, unit in list(self.created.items()):
                    if key[0] == UNIT:
                        self.unit_agencies(unit)
        for options in self.succ.values():
            options.sort(key=lambda o: not o[1])
        self.s.flush()

    def target(self, line: Line, from_id: int) -> int:
        key = line.new_key()
        if key in self.created:
            return int(self.created[key].id)
        kind, name, body_type, locality, code = _new_of(line)
        for row in self.bodies.matches(kind, name, body_type, locality if kind == UNIT else "", code):
            if _valid(row, self.effective) and row.id not in self.plan.ending[kind]:
                return int(row.id)
        body = self.create(line, self.row(kind, from_id))
        self.created[key] = body
        return int(body.id)

    def create(self, line: Line, old: Any) -> Any:
        kind = line.body_kind
        body: Any
        if kind == LOCALITY:
            short = line.new_name
            for prefix in ("Huyện ", "Thị xã ", "Thành phố "):
                if norm(short).startswith(norm(prefix)):
                    short = short[len(prefix) :]
            body = Locality(
                code=_unique_code(self.s, Locality, line.new_code or slug(short, 20), 20),
                name=line.new_name,
                kind=line.new_kind or old.kind,
                sort_order=old.sort_order,
                valid_from=self.effective,
            )
        elif kind == UNIT:
            locality = self.bodies.locality_named(
                line.new_locality or line.old_locality, self.effective, self.plan.day_before
            )
            assert locality is not None  # checked by _plan
            body = Unit(
                locality_id=locality.id,
                name=line.new_name,
                kind=line.new_kind or old.kind,
                becomes_phuong_2025=False,
                change_note=f"Thành lập từ {fmt_date(self.effective)} ({self.arrangement.resolution}).",
                valid_from=self.effective,
            )
        else:
            locality_id = old.locality_id
            if line.new_locality:
                found = self.bodies.locality_named(line.new_locality, self.effective, self.plan.day_before)
                locality_id = found.id if found else None
            body = Agency(
                code=_unique_code(self.s, Agency, line.new_code or slug(line.new_name, 30)),
                name=line.new_name,
                kind=line.new_kind or old.kind,
                locality_id=locality_id,
                sort_order=old.sort_order,
                superior=line.superior or old.superior,
                place=line.place or old.place,
                valid_from=self.effective,
            )
        self._created(kind, body)
        return body

    def unit_agencies(self, unit: Unit) -> None:
        """The UBND and the Công an of a new unit standing on its own (its district has ended)."""
        district = self.bodies.localities.get(unit.locality_id)
        if district is not None and _valid(district, self.effective):
            return
        word = UNIT_WORD[unit.kind]
        province = [a for a in self.bodies.rows[AGENCY] if is_provincial(a) and _valid(a, self.effective)]
        for kind, prefix, code in (("ubnd", "UBND", "ubnd"), ("cong_an", "Công an", "ca")):
            name = f"{prefix} {word} {unit.name}"
            existing = [
                a
                for a in self.bodies.rows[AGENCY]
                if norm(a.name) == norm(name) and _valid(a, self.effective)
            ]
            if existing:
                agency = existing[0]
                if agency.unit_id is None:
                    self.event(AGENCY, agency.id, "unit_id", None, unit.id)
                    agency.unit_id, agency.locality_id = unit.id, unit.locality_id
                continue
            above = sorted((a for a in province if a.kind == kind), key=lambda a: (a.sort_order, a.id))
            agency = Agency(
                code=_unique_code(self.s, Agency, f"{code}-{UNIT_CODE[unit.kind]}-{slug(unit.name, 20)}"),
                name=name,
                kind=kind,
                locality_id=unit.locality_id,
                unit_id=unit.id,
                sort_order=max((a.sort_order for a in self.bodies.rows[AGENCY]), default=0) + 1,
                superior=above[0].name if above else "",
                place=unit.name,
                valid_from=self.effective,
            )
            self._created(AGENCY, agency)

    def _created(self, kind: str, body: Any) -> None:
        """Add a body the arrangement starts: written, known to the map, counted, audited."""
        self.s.add(body)
        self.s.flush()
        self.bodies.add(kind, body)
        self.applied.created[kind] += 1
        self.event(kind, body.id, "valid_from", None, self.effective)

    # open rows

    def successor_of(self, kind: str, body_id: int, choice: int | None, unit_id: int | None) -> int:
        options = self.succ.get((kind, body_id), [])
        if not options:
            return body_id  # ended without successor: the row keeps it (its group)
        ids = [o[0] for o in options]
        if choice is not None:
            return choice
        if unit_id is not None:
            if kind == AGENCY:
                for option in ids:
                    if self.row(AGENCY, option).unit_id == unit_id:
                        return option
            if kind == LOCALITY:
                unit = self.row(UNIT, unit_id)
                if unit is not None and unit.locality_id in ids:
                    return int(unit.locality_id)
        return ids[0]

    def split_kind(self, values: Mapping[str, int | None]) -> tuple[str, str] | None:
        """The field of a row whose body splits (the one a choice is about): unit, agency, locality."""
        for name in ("unit_id", "lead_agency_id", "agency_id", "locality_id"):
            value = values.get(name)
            kind = FIELD_KIND[name]
            if (
                value is not None
                and value in self.plan.ending[kind]
                and len(self.succ.get((kind, value), [])) > 1
            ):
                return name, kind
        return None

    def route(
        self, entity: str, row_id: int, values: Mapping[str, int | None], choice: int | None
    ) -> dict[str, int | None]:
        new = dict(values)
        split = self.split_kind(values)
        if choice is not None:
            if split is None:
                raise Refused(
                    f"Lựa chọn cho {entity} {row_id}: dòng này không thuộc đơn vị nào bị chia tách.",
                    entity=ENTITY,
                    row_id=self.arrangement.id,
                )
            value = self.line_to.get(-choice) if choice < 0 else choice
            allowed = [o[0] for o in self.succ[(split[1], values[split[0]])]]  # type: ignore[index]
            if value not in allowed:
                raise Refused(
                    f"Lựa chọn cho {entity} {row_id}: {choice} không phải đơn vị kế tục.",
                    entity=ENTITY,
                    row_id=self.arrangement.id,
                )
            choice = value
        agency_field = ROW_FIELDS[entity][2]
        unit = values.get("unit_id")
        if unit is not None and unit in self.plan.ending[UNIT]:
            new["unit_id"] = self.successor_of(
                UNIT, unit, choice if split and split[1] == UNIT else None, None
            )
        agency = values.get(agency_field) if agency_field else None
        if agency is not None and agency_field and agency in self.plan.ending[AGENCY]:
            picked = choice if split and split[1] == AGENCY else None
            new[agency_field] = self.successor_of(AGENCY, agency, picked, new.get("unit_id"))
        locality = values.get("locality_id")
        if entity != "user_scope":
            if new.get("unit_id") is not None and new.get("unit_id") != unit and "locality_id" in values:
                home = self.row(UNIT, new["unit_id"]).locality_id  # type: ignore[arg-type]
                # A unit kept in a district that ends here (merged into another): that district's successor.
                new["locality_id"] = (
                    self.successor_of(LOCALITY, home, None, None)
                    if home in self.plan.ending[LOCALITY]
                    else home
                )
            elif locality is not None and locality in self.plan.ending[LOCALITY]:
                picked = choice if split and split[1] == LOCALITY else None
                new["locality_id"] = self.successor_of(LOCALITY, locality, picked, new.get("unit_id"))
            # A row of a district that ended with no district after it, and no unit: the unit of the
            # UBND or Công an it passes to (the row keeps its district as its group).
            if (
                agency_field
                and unit is None
                and new.get(agency_field) != agency
                and locality in self.plan.ending[LOCALITY]
                and not self.succ.get((LOCALITY, locality))
            ):
                new["unit_id"] = self.row(AGENCY, new[agency_field]).unit_id  # type: ignore[arg-type]
        elif locality is not None and locality in self.plan.ending[LOCALITY]:
            new["locality_id"] = self.successor_of(LOCALITY, locality, choice if split else None, None)
        return new

    def pass_rows(self, choices: Mapping[tuple[str, int], int]) -> None:
        ending = self.plan.ending
        transfers: list[Transfer] = []
        ward_slots: dict[tuple[int, int], int] = {}
        for entity, (model, fields, _agency) in ROW_FIELDS.items():
            touches = [
                getattr(model, name).in_(sorted(ending[FIELD_KIND[name]]))
                for name in fields
                if ending[FIELD_KIND[name]]
            ]
            if not touches:
                continue
            concerned = select(model).where(or_(*touches), *_open(entity, self.effective))
            rows = list(self.s.scalars(concerned.order_by(model.id)))
            for row in rows:
                values = {name: getattr(row, name) for name in fields}
                new = self.route(entity, row.id, values, choices.get((entity, row.id)))
                changed = {name: (values[name], new[name]) for name in fields if values[name] != new[name]}
                if entity == "model_ward" and changed:
                    slot = (new["unit_id"], row.year_registered)
                    other = ward_slots.get(slot) or self.s.scalar(  # type: ignore[arg-type]
                        select(ModelWard.id).where(
                            ModelWard.unit_id == new["unit_id"],
                            ModelWard.year_registered == row.year_registered,
                            ModelWard.id != row.id,
                        )
                    )
                    if other is not None:
                        # The successor already has this year's registration: this one joins it.
                        self.event(
                            entity, row.id, "lifecycle", row.lifecycle, "merged", row_version=row.version + 1
                        )
                        row.lifecycle, row.merged_into_id, row.lifecycle_doc = (
                            "merged",
                            other,
                            self.reason[:200],
                        )
                        row.version += 1
                        row.updated_by, row.updated_at = self.actor.username, self.now
                        # Dated, so figures before the effective date still count it where it was.
                        transfers.append(
                            Transfer(
                                arrangement_id=self.arrangement.id,
                                entity=entity,
                                row_id=row.id,
                                field=JOINED,
                                old_value=None,
                                new_value=other,
                                effective_on=self.effective,
                            )
                        )
                        continue
                    ward_slots[slot] = row.id  # type: ignore[index]
                if not changed:
                    continue
                version = getattr(row, "version", None)
                if version is not None:
                    # A new version (an editor holding the old one is told), but not an update of its
                    # owner: "last updated" and the stale-row flags keep the owner's last report.
                    row.version = version + 1
                for name, (old, value) in changed.items():
                    setattr(row, name, value)
                    transfers.append(
                        Transfer(
                            arrangement_id=self.arrangement.id,
                            entity=entity,
                            row_id=row.id,
                            field=name,
                            old_value=old,
                            new_value=value,
                            effective_on=self.effective,
                        )
                    )
                    self.event(
                        entity,
                        row.id,
                        name,
                        old,
                        value,
                        row_version=getattr(row, "version", None),
                        locality_id=new.get("locality_id"),
                    )
                self.applied.transfers += len(changed)
                key_field = next(
                    (n for n in ("unit_id", "lead_agency_id", "agency_id", "locality_id") if n in changed),
                    None,
                )
                if key_field:
                    body = self.row(FIELD_KIND[key_field], changed[key_field][1])  # type: ignore[arg-type]
                    label = describe(FIELD_KIND[key_field], body.name, getattr(body, "kind", ""))
                    self.applied.passed[(entity, label)] += 1
        self.s.add_all(transfers)
        self.s.flush()
        self.pass_cooperators(bumped={(t.entity, t.row_id) for t in transfers})

    def pass_cooperators(self, bumped: set[tuple[str, int]]) -> None:
        """An ending agency that cooperates on an open task or duty: its successor cooperates instead
        (the one of the row's unit where the agency splits, else the seat), once; a `transfer` row with
        field "cooperator" and one audit event per change. A row gets one new version per arrangement."""
        ending = sorted(self.plan.ending[AGENCY])
        if not ending:
            return
        links = (("task", Task, task_cooperator, "task_id"), ("duty", Duty, duty_cooperator, "duty_id"))
        for entity, model, table, own in links:
            pairs = self.s.execute(
                select(model, table.c.agency_id)
                .join(table, getattr(table.c, own) == model.id)
                .where(table.c.agency_id.in_(ending), *_open(entity, self.effective))
                .order_by(model.id, table.c.agency_id)
            ).all()
            for row, agency_id in pairs:
                successor = self.successor_of(AGENCY, agency_id, None, row.unit_id)
                if successor == agency_id:
                    continue  # ended without successor: it stays named
                kept = [a for a in row.cooperators if a.id != agency_id]
                if successor != row.lead_agency_id and all(a.id != successor for a in kept):
                    kept.append(self.row(AGENCY, successor))
                row.cooperators = kept
                version = getattr(row, "version", None)
                if version is not None and (entity, row.id) not in bumped:
                    row.version = version + 1
                    bumped.add((entity, row.id))
                self.s.add(
                    Transfer(
                        arrangement_id=self.arrangement.id,
                        entity=entity,
                        row_id=row.id,
                        field=COOPERATOR,
                        old_value=agency_id,
                        new_value=successor,
                        effective_on=self.effective,
                    )
                )
                self.event(
                    entity,
                    row.id,
                    "cooperators",
                    self.row(AGENCY, agency_id).name,
                    self.row(AGENCY, successor).name,
                    row_version=getattr(row, "version", None),
                    locality_id=row.locality_id,
                )
                self.applied.transfers += 1
                self.applied.passed[(f"{entity}_cooperator", self.row(AGENCY, successor).name)] += 1
        self.s.flush()


def _unique_code(s: Session, model: Any, base: str, max_length: int = 30) -> str:
    base = (base or "ma")[:max_length].strip("-")
    taken = set(s.scalars(select(model.code).where(model.code.like(f"{base[: max_length - 4]}%"))))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base[: max_length - len(str(n)) - 1]}-{n}"
    return code


def _load(s: Session, arrangement_id: int) -> Arrangement:
    arrangement = s.get(Arrangement, arrangement_id)
    if arrangement is None:
        raise Refused(f"Không có sắp xếp mã {arrangement_id}.", entity=ENTITY, row_id=arrangement_id)
    return arrangement


def apply_arrangement(
    s: Session,
    actor: Actor,
    arrangement_id: int,
    now: datetime,
    choices: Mapping[tuple[str, int], int] | None = None,
) -> Applied:
    """Apply a recorded reorganisation in the caller's write transaction (office and administrators).
    Refused, with the lines named and nothing written, if it no longer holds or was applied."""
    require_office(actor, "áp dụng sắp xếp đơn vị hành chính, cơ quan", ENTITY)
    bump_data_version(s)  # first: the write lock (see lib.data.db)
    arrangement = _load(s, arrangement_id)
    if arrangement.state == "applied":
        raise ArrangementRefused(
            [
                Problem(
                    0,
                    f"Sắp xếp “{arrangement.code}” ({arrangement.resolution}) đã được áp dụng lúc "
                    f"{arrangement.applied_at:%H:%M %d/%m/%Y} bởi {arrangement.applied_by}; "
                    "không áp dụng lại.",
                )
            ],
            row_id=arrangement.id,
        )
    bodies = _Map(s)
    plan, problems = _plan(s, parsed_of(arrangement), bodies, arrangement.id)
    if problems:
        raise ArrangementRefused(problems, row_id=arrangement.id)
    writer = _Writer(s, actor, arrangement, plan, bodies, now)
    writer.write_bodies()
    writer.pass_rows(choices or {})
    arrangement.state = "applied"
    arrangement.applied_by, arrangement.applied_at = actor.username, now
    arrangement.version += 1
    writer.entries.append(
        audit.Entry(
            actor=actor.username,
            action="apply_arrangement",
            entity=ENTITY,
            row_id=arrangement.id,
            row_version=arrangement.version,
            field="state",
            old="draft",
            new="applied",
            reason=writer.reason,
            at=now,
        )
    )
    audit.record_many(s, writer.entries)
    s.flush()
    return writer.applied


def split_rows(s: Session, arrangement_id: int) -> list[SplitRow]:
    """The open rows of the bodies a draft reorganisation splits, each with the successors it may
    pass to and the one it passes to unless chosen otherwise (for the page to ask)."""
    arrangement = _load(s, arrangement_id)
    parsed = parsed_of(arrangement)
    bodies = _Map(s)
    plan, _problems = _plan(s, parsed, bodies, arrangement.id)
    groups: dict[tuple[str, int], list[Line]] = defaultdict(list)
    for line in parsed.lines:
        body_id = plan.old.get(line.line_no)
        if body_id is not None and line.change == SPLIT and body_id in plan.ending[line.body_kind]:
            groups[(line.body_kind, body_id)].append(line)
    if not groups:
        return []
    unit_next: dict[int, Line] = {}
    for line in parsed.lines:
        if line.body_kind == UNIT and line.line_no in plan.old and line.change != SAME:
            unit_next.setdefault(plan.old[line.line_no], line)
    effective = parsed.effective_on
    options: dict[tuple[str, int], tuple[Option, ...]] = {}
    for (kind, body_id), lines in groups.items():
        out = []
        for line in lines:
            k, name, body_type, locality, code = _new_of(line)
            existing = [
                row for row in bodies.matches(k, name, body_type, locality if k == UNIT else "", code)
                if _valid(row, effective) and row.id not in plan.ending[k]
            ]  # fmt: skip
            value = existing[0].id if existing else -line.line_no
            out.append(Option(value, line.describe_new(), line.line_no in plan.mains))
        out.sort(key=lambda o: not o.main)
        options[(kind, body_id)] = tuple(out)
    result: list[SplitRow] = []
    for entity, (model, fields, _agency) in ROW_FIELDS.items():
        for (kind, body_id), opts in options.items():
            names = [n for n in fields if FIELD_KIND[n] == kind]
            if not names:
                continue
            rows = s.scalars(
                select(model)
                .where(or_(*(getattr(model, n) == body_id for n in names)), *_open(entity, effective))
                .order_by(model.id)
            )
            body = s.get(MODELS[kind], body_id)
            for row in rows:
                default = opts[0].value
                unit_line = unit_next.get(getattr(row, "unit_id", None) or -1)
                if unit_line is not None and kind != UNIT:
                    word = UNIT_WORD.get(unit_line.new_kind or unit_line.old_kind, "")
                    wanted = {norm(f"{p} {word} {unit_line.new_name}") for p in ("UBND", "Công an")}
                    wanted.add(norm(unit_line.new_locality))
                    parts = sorted(groups[(kind, body_id)], key=lambda ln: ln.line_no not in plan.mains)
                    for option, line in zip(opts, parts, strict=True):
                        if norm(line.new_name) in wanted:
                            default = option.value
                result.append(
                    SplitRow(
                        entity,
                        row.id,
                        str(getattr(row, "title", "") or f"{entity} {row.id}"),
                        kind,
                        body_id,
                        describe(kind, body.name if body else "?", getattr(body, "kind", "")),
                        opts,
                        default,
                    )
                )
    return result
