"""Property-based tests of adding and retiring rows, the way test_edit_properties.py tests edits.

Hypothesis draws new projects and registrations (units of one's own locality, of another, retired or
made up; values valid and invalid; a look-alike confirmed or not) and retirements (rows of one's own
locality or another's, already retired or gone; every lifecycle, a document and a reason present,
empty or invalid; merge targets of every kind; the version seen, or a stale one), and sends them
through `actions.perform` as the pages do, as the office and as a coordinator. Each must either land
exactly as submitted (the row, its version, its audit events) or be refused with nothing written
and the refusal recorded; an independent model of the rules says which, and why.

Rows a landed operation added or changed are put back after each example, so every example starts
from the same rows and a failure shrinks and replays.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from lib.core import rules
from lib.core.roles import PermissionDenied, Refused
from lib.core.validation import Invalid
from lib.data.db import transaction
from lib.data.models import AuditEvent, HqProject, Locality, ModelWard, Unit
from lib.editing import actions
from lib.editing.changeset import HQ, WARDS, ConflictError, TableSpec, ValidationFailed, retire_row
from lib.editing.creation import NEW_HQ, NEW_WARD, CreateSpec, LooksLikeExisting, NewRow, create_rows
from lib.ops.seed import seed_demo
from tests.support.edit_machinery import actor

NOW = datetime(2026, 11, 29, 10, 0)
TODAY = date(2026, 11, 29)
EXAMPLES = {"sqlite": 150, "postgresql": 40}
# The same examples on every run (the rarer outcomes asserted below are then certain, not likely).
SETTINGS = {"deadline": None, "derandomize": True, "suppress_health_check": list(HealthCheck)}
FINISHED = ("hoan_thanh", "dua_vao_su_dung")
ACTORS = ("vanphong", "dp.bacgiang")  # the office, and a coordinator of Bắc Giang

TEXTS = st.one_of(
    st.sampled_from(("Ghi chú", "15/QĐ-UBND ngày 02/12/2026", "  khoảng trắng  ", "Hoa\u0300 Bi\u0300nh")),
    st.sampled_from(("", " ", "a\x00b", "\x1b[31m", "x" * 201, "dòng 1\ndòng 2", "a\ud800")),
    st.text(max_size=12),
)


# --- the database side ---------------------------------------------------------------------------


@pytest.fixture
def demo(engine):
    """The demo, with one unit of Bắc Giang retired and one project and one registration stopped."""
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
        unit = s.scalar(
            select(Unit.id)
            .join(Locality)
            .where(
                Locality.code == "bac-giang",
                Unit.valid_to.is_(None),
                Unit.id.not_in(select(ModelWard.unit_id)),
            )
            .order_by(Unit.id)
        )
        s.execute(update(Unit).where(Unit.id == unit).values(retired_on=date(2025, 1, 1)))
        for model in (HqProject, ModelWard):
            first = s.scalar(
                select(model.id)
                .join(Unit)
                .join(Locality)
                .where(Locality.code == "bac-giang")
                .order_by(model.id)
            )
            s.execute(
                update(model).where(model.id == first).values(lifecycle="stopped", lifecycle_doc="01/QĐ")
            )
    return engine


def table_state(engine, model) -> tuple[dict[int, dict[str, Any]], int]:
    with transaction(engine) as s:
        rows = {r["id"]: dict(r) for r in s.execute(select(model.__table__)).mappings()}
        return rows, int(s.scalar(select(func.coalesce(func.max(AuditEvent.id), 0))))


def new_events(engine, after: int) -> list[AuditEvent]:
    with transaction(engine) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)))


def put_back(engine, model, before: dict[int, dict[str, Any]]) -> None:
    """Delete rows added since `before` and restore the others' columns."""
    table = model.__table__
    with transaction(engine, write=True) as s:
        s.execute(delete(table).where(table.c.id.not_in(list(before))))
        for row_id, values in before.items():
            s.execute(
                update(table)
                .where(table.c.id == row_id)
                .values(**{k: v for k, v in values.items() if k != "id"})
            )


@pytest.fixture
def world(demo):
    """Who is where: units by locality and state, and the rows there are."""
    with transaction(demo) as s:
        units = s.execute(
            select(
                Unit.id,
                Locality.code,
                Unit.kind,
                Unit.becomes_phuong_2025,
                Unit.retired_on,
                Unit.valid_to,
                Unit.valid_from,
            ).join(Locality)
        ).all()
        places = {code: i for i, code in s.execute(select(Locality.id, Locality.code))}
    return {
        "engine": demo,
        "units": {u.id: u for u in units},
        "places": places,
        "pools": {
            # The units a user picks today: those of the 1/7/2025 map (the earlier ones ended).
            "own": [
                u.id for u in units if u.code == "bac-giang" and u.retired_on is None and u.valid_to is None
            ],
            "other": [u.id for u in units if u.code == "viet-yen" and u.valid_to is None],
            "retired": [u.id for u in units if u.retired_on is not None],
        },
    }


# --- an independent model of the rules -------------------------------------------------------------


def parsed(spec: CreateSpec | TableSpec, name: str, raw: Any) -> tuple[bool, Any]:
    parser = spec.values[name][1] if isinstance(spec, CreateSpec) else spec.fields[name].parser
    try:
        return True, parser.parse(raw)
    except Invalid:
        return False, None


def hq_problems(row: dict[str, Any]) -> set[str]:
    """The headquarters rules, restated (as in test_edit_properties.py), plus: cancelled, nothing paid."""
    problems: set[str] = set()
    if row["allocated_vnd"] > row["planned_vnd"]:
        problems.add("allocated_vnd")
    if row["disbursed_vnd"] > row["allocated_vnd"]:
        problems.add("disbursed_vnd")
    if row["stage"] != "chua_bo_tri_dat" and row["land_status"] != "da_bo_tri":
        problems.add("land_status")
    if row["land_status"] == "da_bo_tri" and row["land_area_m2"] is None:
        problems.add("land_area_m2")
    start, planned, actual = row["start_on"], row["planned_completion_on"], row["actual_completion_on"]
    if start is not None and start > TODAY:
        problems.add("start_on")
    if start is not None and planned is not None and planned < start:
        problems.add("planned_completion_on")
    if row["stage"] in FINISHED and actual is None:
        problems.add("actual_completion_on")
    if actual is not None and (
        row["stage"] not in FINISHED or actual > TODAY or (start is not None and actual < start)
    ):
        problems.add("actual_completion_on")
    return problems


def ward_problems(row: dict[str, Any]) -> set[str]:
    problems: set[str] = set()
    on = row["recognised_on"]
    if on is not None and row["recognised_decision"] == "":
        problems.add("recognised_decision")
    if on is not None and (on > TODAY or on.year < row["year_registered"]):
        problems.add("recognised_on")
    return problems


# --- adding ------------------------------------------------------------------------------------------

# Per field: values every parser takes (the row rules may still refuse them), then values it refuses.
HQ_VALUES = {
    "kind": (("xay_moi", "Cải tạo, sửa chữa"), ("xây",)),
    "land_status": (("chua_bo_tri", "da_bo_tri", "Đã bố trí"), ("có",)),
    "land_area_m2": ((None, 450, 500, "1.200"), (-1, "abc")),
    "stage": (("chua_bo_tri_dat", "dang_thi_cong", "Hoàn thành"), ("xong",)),
    "funding_source": (("ngan_sach_tinh", "Xã hội hóa"), ("ngân sách",)),
    "planned_vnd": (("5000000000", "4.500.000.000", 0, ""), ("4,5 tỷ", -1)),
    "allocated_vnd": (("1000000000", 0, "6000000000"), ("abc",)),
    "disbursed_vnd": ((0, "500000000", "2000000000"), ("-5",)),
    "start_on": ((None, "01/03/2026", "2027-01-01"), ("31/02/2026",)),
    "planned_completion_on": ((None, "31/12/2027", "01/01/2026"), ("hôm qua",)),
    "actual_completion_on": ((None, "01/10/2026", "2030-01-01"), (20261001,)),
    "notes": (("Ghi chú", " khoảng trắng ", "Hoa\u0300 Bi\u0300nh"), ("a\x00b", "x" * 2001, "a\ud800")),
}
WARD_VALUES = {
    "year_registered": ((2025, 2027, "2030"), (2023, 2031, "năm sau", None)),
    "criteria_met": ((0, 12, "22"), (23, -1, "hai")),
    "recognised_decision": (("", "12/QĐ-BCA"), ("x" * 101,)),
    "recognised_on": ((None, "01/06/2026", "2024-01-01", "2027-01-01"), ("32/01/2026",)),
    "notes": (("Ghi chú", "dòng 1\ndòng 2"), ("\x1b[31m",)),
}


def creations(values: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]], required: tuple[str, ...]):
    @st.composite
    def draw(d: st.DrawFn) -> dict[str, Any]:
        names = d(st.lists(st.sampled_from(sorted(values)), max_size=4, unique=True))
        valid_only = d(st.integers(0, 2)) < 2  # two in three: only values the parsers take

        def value(name: str) -> Any:
            good, bad = values[name]
            return d(st.sampled_from(good if valid_only else good + bad))

        raw = {n: value(n) for n in sorted({*names, *required})}
        return {
            "who": d(st.sampled_from(ACTORS)),
            "unit": d(
                st.sampled_from(("own",) * 4 + ("other",) * 3 + ("retired", "made-up", "none", "text"))
            ),
            "pick": d(st.integers(0, 10**6)),
            "raw": raw,
            "confirm": d(st.booleans()),
        }

    return draw()


def expected_creation(world, spec: CreateSpec, who, unit: Any, raw: dict[str, Any], confirm: bool, engine):
    """(the Refused subclass expected, or None; the fields it names) for one new row."""
    bad: set[str] = set()
    typed: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            if name in spec.required:
                bad.add(name)
            continue
        ok, v = parsed(spec, name, value)
        if ok:
            typed[name] = v
        else:
            bad.add(name)
    known = world["units"].get(unit) if isinstance(unit, int) and not isinstance(unit, bool) else None
    if known is None or known.retired_on is not None:
        bad.add("unit_id")
    if not bad:
        row = spec.complete(typed | {"unit_id": unit})
        # The unit must be valid on the row's day: today, or the day it was finished if not later.
        finished = row.get("actual_completion_on" if spec is NEW_HQ else "recognised_on")
        day = finished if isinstance(finished, date) and finished <= TODAY else TODAY
        if (known.valid_from is not None and day < known.valid_from) or (
            known.valid_to is not None and day > known.valid_to
        ):
            bad.add("unit_id")
        if spec is NEW_HQ:
            bad |= hq_problems(row)
        else:
            if known.kind != "phuong" and not known.becomes_phuong_2025:
                bad.add("unit_id")
            with transaction(engine) as s:
                if s.scalar(
                    select(ModelWard.id).where(
                        ModelWard.unit_id == unit, ModelWard.year_registered == row["year_registered"]
                    )
                ):
                    bad.add("year_registered")
            bad |= ward_problems(row)
    if bad:
        return ValidationFailed, bad
    if who.role == "dieu_phoi" and known.code != who.locality_code:
        return PermissionDenied, set()
    model = spec.table.model
    with transaction(engine) as s:
        followed = s.scalar(
            # the earliest, as the form names it: since 2025 a unit may hold several (passed on by mergers)
            select(model.id)
            .where(model.unit_id == unit, model.lifecycle == "active")
            .order_by(model.id)
            .limit(1)
        )
    if followed is not None and not confirm:
        return LooksLikeExisting, {followed}
    return None, set()


def check_creation(world, spec: CreateSpec, case: dict[str, Any], outcomes: Counter) -> None:
    engine = world["engine"]
    who = actor(engine, case["who"])
    pool = world["pools"].get(case["unit"])
    unit = {"made-up": 999_999, "none": None, "text": "Trần Phú"}.get(case["unit"])
    if pool is not None:
        unit = pool[case["pick"] % len(pool)]
    model = spec.table.model
    before, last = table_state(engine, model)
    expected, named = expected_creation(world, spec, who, unit, case["raw"], case["confirm"], engine)
    key = uuid.uuid4().hex
    values = case["raw"] | {"unit_id": unit}
    try:
        result = actions.perform(
            engine,
            who,
            create_rows,
            spec,
            [NewRow(values)],
            now=NOW,
            today=TODAY,
            creation_key=key,
            confirm_similar=case["confirm"],
        )
    except Refused as exc:
        refused: Refused | None = exc
    else:
        refused = None
    after, _ = table_state(engine, model)
    events = new_events(engine, last)
    try:
        if refused is not None:
            kind = type(refused).__name__
            outcomes[kind] += 1
            event(kind)
            assert after == before, "a refused creation wrote"
            assert [(e.actor, e.action) for e in events] == [(who.username, refused.action)]
            assert type(refused) is expected, (refused.message, expected, named)
            if isinstance(refused, ValidationFailed):
                assert {c.field for c in refused.errors} == named, refused.message
            if isinstance(refused, LooksLikeExisting):
                assert {existing for _pos, existing in refused.pairs} == named
                assert f"giống mã {next(iter(named))}:" in refused.message
            return
        outcomes["landed"] += 1
        event("landed")
        assert expected is None, f"added, but the model expected {expected.__name__} on {named}"
        (row_id,) = result.rows
        assert set(after) - set(before) == {row_id} and {i: after[i] for i in before} == before
        row = after[row_id]
        typed = {n: parsed(spec, n, v)[1] for n, v in case["raw"].items() if v is not None and str(v).strip()}
        wanted = spec.complete(typed | {"unit_id": unit})
        assert {n: row[n] for n in wanted} == wanted
        assert (row["version"], row["lifecycle"], row["creation_key"], row["updated_by"]) == (
            1,
            "active",
            f"{key}:0",
            who.username,
        )
        written = sorted((e.action, e.field, e.row_version, e.row_id) for e in events)
        assert written == sorted(
            ("create", n, 1, row_id) for n, v in wanted.items() if v not in (None, "", ())
        )
    finally:
        put_back(engine, model, before)


@pytest.mark.parametrize(
    ("spec", "values"), [(NEW_HQ, HQ_VALUES), (NEW_WARD, WARD_VALUES)], ids=["hq", "ward"]
)
def test_a_new_row_lands_exactly_or_changes_nothing(world, backend, spec, values):
    outcomes: Counter = Counter()

    @settings(**SETTINGS, max_examples=EXAMPLES[backend])
    @given(case=creations(values, spec.required))
    def every_creation_lands_exactly_or_changes_nothing(case):
        check_creation(world, spec, case, outcomes)

    every_creation_lands_exactly_or_changes_nothing()
    print(f"{spec.entity} {backend}: {dict(sorted(outcomes.items()))}")
    wanted = {"landed", "ValidationFailed", "PermissionDenied", "LooksLikeExisting"}
    assert wanted <= set(outcomes) and outcomes["landed"] >= EXAMPLES[backend] // 20, outcomes


# --- retiring ----------------------------------------------------------------------------------------

LIFECYCLES = st.one_of(
    st.sampled_from(("stopped", "cancelled", "merged", "merged", "Dừng", " Hủy bỏ ")),
    st.sampled_from(("stopped", "merged", "active", "xoa", "", None, 3)),
)
ODD_TARGETS = ("none", "same", "self", "other", "retired", "made-up", "zero", "text")


@st.composite
def retirements(d: st.DrawFn) -> dict[str, Any]:
    lifecycle = d(LIFECYCLES)
    usual = "same" if lifecycle == "merged" else "none"  # what the form sends, most of the time
    return {
        "who": d(st.sampled_from(ACTORS)),
        "row": d(st.sampled_from(("own", "own", "own", "other", "retired", "gone"))),
        "pick": d(st.integers(0, 10**6)),
        "lifecycle": lifecycle,
        "document": d(st.one_of(st.just("27/QĐ-UBND"), st.just(" 3/TB "), TEXTS)),
        "reason": d(st.one_of(st.just("Theo chỉ đạo"), st.just("Trùng\ndự án"), TEXTS)),
        "target": d(st.sampled_from((usual,) * 8 + ODD_TARGETS)),
        "offset": d(st.sampled_from((0, 0, 0, 0, 0, 0, -1, 1))),
    }


def expected_retirement(spec: TableSpec, who, before, places, row_id, seen, values, reason):
    """(the Refused subclass expected, or None; the fields it names) for one retirement."""
    stored = before.get(row_id)
    if stored is not None and who.role == "dieu_phoi" and places[row_id] != who.locality_id:
        return PermissionDenied, set()
    bad: set[str] = set()
    typed: dict[str, Any] = {}
    for name, raw in values.items():
        ok, v = parsed(spec, name, raw)
        if ok:
            typed[name] = v
        else:
            bad.add(name)
    ok, why = parsed(spec, "notes", reason)  # the reason is typed like multiline text …
    if not ok or not why or len(why) > 1000:
        bad.add("reason")
    if stored is not None and seen == stored["version"]:
        row = stored | typed
        bad |= (hq_problems if spec is HQ else ward_problems)(row)
        if spec is HQ and row["lifecycle"] == "cancelled" and row["disbursed_vnd"] > 0:
            bad.add("lifecycle")
        if any(row[n] != stored[n] for n in ("lifecycle", "lifecycle_doc", "merged_into_id")):
            if row["lifecycle"] == "active":
                bad.add("lifecycle")
            if not row["lifecycle_doc"]:
                bad.add("lifecycle_doc")
            target = row["merged_into_id"]
            if row["lifecycle"] != "merged":
                if target is not None:
                    bad.add("merged_into_id")
            elif (
                target is None
                or target == row_id
                or target not in before
                or before[target]["lifecycle"] != "active"
                or places[target] != places[row_id]
            ):
                bad.add("merged_into_id")
    if bad:
        return ValidationFailed, bad
    if stored is None or seen != stored["version"]:
        return ConflictError, set()
    return None, set()


def check_retirement(world, spec: TableSpec, case: dict[str, Any], outcomes: Counter) -> None:
    engine = world["engine"]
    who = actor(engine, case["who"])
    model = spec.model
    before, last = table_state(engine, model)
    with transaction(engine) as s:
        places = {i: p for i, p in s.execute(select(model.id, spec.locality_of()))}
    own, other = world["places"]["bac-giang"], world["places"]["viet-yen"]
    pools = {
        "own": sorted(i for i, r in before.items() if places[i] == own and r["lifecycle"] == "active"),
        "other": sorted(i for i, p in places.items() if p == other),
        "retired": sorted(i for i, r in before.items() if r["lifecycle"] != "active"),
    }
    row_id = 999_999 if case["row"] == "gone" else pools[case["row"]][case["pick"] % len(pools[case["row"]])]
    same = [i for i in pools["own"] + pools["other"] if places.get(row_id) == places[i] and i != row_id]
    target = {
        "none": None,
        "same": same[case["pick"] % len(same)] if same else None,
        "self": row_id,
        "other": next((i for i in pools["other"] if places.get(row_id) != other), pools["own"][0]),
        "retired": pools["retired"][0],
        "made-up": 999_998,
        "zero": 0,
        "text": "mã 5",
    }[case["target"]]
    seen = (before[row_id]["version"] if row_id in before else 1) + case["offset"]
    values = {"lifecycle": case["lifecycle"], "lifecycle_doc": case["document"], "merged_into_id": target}
    expected, named = expected_retirement(spec, who, before, places, row_id, seen, values, case["reason"])
    try:
        result = actions.perform(
            engine,
            who,
            retire_row,
            spec,
            row_id,
            seen,
            lifecycle=case["lifecycle"],
            document=case["document"],
            reason=case["reason"],
            merged_into=target,
            now=NOW,
            today=TODAY,
        )
    except Refused as exc:
        refused: Refused | None = exc
    else:
        refused = None
    after, _ = table_state(engine, model)
    events = new_events(engine, last)
    try:
        if refused is not None:
            kind = type(refused).__name__
            outcomes[kind] += 1
            event(kind)
            assert after == before, "a refused retirement wrote"
            assert [(e.actor, e.action) for e in events] == [(who.username, refused.action)]
            assert type(refused) is expected, (refused.message, expected, named)
            if isinstance(refused, ValidationFailed):
                assert {c.field for c in refused.errors} == named, refused.message
            return
        outcomes["landed"] += 1
        outcomes[f"landed {before[row_id]['lifecycle']} → {after[row_id]['lifecycle']}"] += 1
        event("landed")
        assert expected is None, f"retired, but the model expected {expected.__name__} on {named}"
        typed = {n: parsed(spec, n, v)[1] for n, v in values.items()}
        wanted = before[row_id] | typed | {"version": seen + 1, "updated_by": who.username, "updated_at": NOW}
        assert after[row_id] == wanted
        assert {i: after[i] for i in before if i != row_id} == {i: before[i] for i in before if i != row_id}
        assert result.versions == {row_id: seen + 1}
        changed = {n for n in typed if typed[n] != before[row_id][n]}
        reason = parsed(spec, "notes", case["reason"])[1]
        if changed:
            assert sorted((e.action, e.field, e.row_version, e.reason) for e in events) == sorted(
                ("retire", n, seen + 1, reason) for n in changed
            )
        else:
            assert [(e.action, e.row_version) for e in events] == [("touch", seen + 1)]
    finally:
        put_back(engine, model, before)


@pytest.mark.parametrize("spec", [HQ, WARDS], ids=["hq", "ward"])
def test_a_retirement_lands_exactly_or_changes_nothing(world, backend, spec):
    outcomes: Counter = Counter()

    @settings(**SETTINGS, max_examples=EXAMPLES[backend])
    @given(case=retirements())
    def every_retirement_lands_exactly_or_changes_nothing(case):
        check_retirement(world, spec, case, outcomes)

    every_retirement_lands_exactly_or_changes_nothing()
    print(f"{spec.entity} {backend}: {dict(sorted(outcomes.items()))}")
    wanted = {"landed", "ValidationFailed", "PermissionDenied", "ConflictError"}
    assert wanted <= set(outcomes) and outcomes["landed"] >= EXAMPLES[backend] // 20, outcomes
    if EXAMPLES[backend] >= 100:  # long runs: merges land too
        landed = {k.rsplit(" ", 1)[-1] for k in outcomes if k.startswith("landed ")}
        assert rules.LIFECYCLE_MERGED in landed, outcomes
