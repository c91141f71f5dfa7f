"""Property test of applying reorganisations: random merges, splits, renames, moves and upgrades of
units, department mergers and a district merger, over random tasks, headquarters projects,
model-ward registrations and focal-point scopes, on both engines.

After applying: no row is lost or duplicated; finished rows are untouched; every open row names
bodies valid on the effective date; and for every month-end of 2024–2025 each row counts on exactly
one row of that day's table (OrgMap.place with the owner it had that day: before a transfer's
effective date, its old value) — before the effective date on the same row as before applying.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lib.core.arrangement import MERGED, MOVED, RENAMED, SAME, SPLIT, UPGRADED, Line
from lib.core.organisation import AGENCY, LOCALITY, PROVINCE_KEY, UNIT, Body, Link, OrgMap, month_ends
from lib.data.db import transaction
from lib.data.models import (
    HQ_STAGES,
    TASK_STATES,
    Agency,
    HqProject,
    Locality,
    ModelWard,
    Succession,
    Task,
    Transfer,
    Unit,
    UserScope,
)
from lib.editing.arrangements import apply_arrangement, record_arrangement, split_rows
from tests.conftest import wipe
from tests.support.org_machinery import AN, BINH, NOW, OFFICE, Parsed

EFFECTIVE = date(2025, 1, 1)
BEFORE, AFTER = date(2024, 11, 30), date(2025, 2, 1)  # a row finished before, or after, the change
FINISHED_STAGES = ("hoan_thanh", "dua_vao_su_dung")
DISTRICTS = (AN, BINH)
AGENCIES = ("ubnd-an", "ubnd-binh", "so1", "so2", "cat")
EXAMPLES = {"sqlite": 25, "postgresql": 10}


@st.composite
def maps(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(3, 6))
    units = [
        (f"U{i}", draw(st.sampled_from(["xa", "phuong"])), draw(st.sampled_from(DISTRICTS))) for i in range(n)
    ]
    ops = [draw(st.sampled_from(["keep", SAME, MERGED, SPLIT, RENAMED, MOVED, UPGRADED])) for _ in range(n)]
    if all(op in (MERGED,) for op in ops) or not any(op in ("keep", SAME) for op in ops):
        ops[0] = "keep"
    targets = [i for i, op in enumerate(ops) if op in ("keep", SAME)]
    merge_into = [draw(st.sampled_from(targets)) for _ in range(n)]
    split_seat = [draw(st.booleans()) for _ in range(n)]
    dept = draw(st.sampled_from(["keep", MERGED, RENAMED]))
    district = draw(st.sampled_from(["keep", MERGED]))
    rows = {
        "task": draw(
            st.lists(
                st.tuples(
                    st.sampled_from(TASK_STATES),
                    st.integers(-1, n - 1),
                    st.integers(0, 2),
                    st.sampled_from(AGENCIES),
                    st.booleans(),  # a completed task: finished before the effective date, or after
                ),
                max_size=8,
            )
        ),
        "hq_project": draw(
            st.lists(
                st.tuples(st.integers(0, n - 1), st.sampled_from(HQ_STAGES), st.booleans(), st.booleans()),
                max_size=4,
            )
        ),
        "model_ward": draw(
            st.lists(
                st.tuples(st.integers(0, n - 1), st.integers(2024, 2026), st.booleans()),
                max_size=4,
                unique_by=lambda w: (w[0], w[1]),
            )
        ),
        "user_scope": draw(
            st.lists(
                st.tuples(st.sampled_from(["unit", "agency", "locality"]), st.integers(0, n - 1)), max_size=3
            )
        ),
    }
    return {
        "units": units,
        "ops": ops,
        "merge_into": merge_into,
        "split_seat": split_seat,
        "dept": dept,
        "district": district,
        "rows": rows,
    }


def build(s: Any, m: dict[str, Any]) -> dict[str, int]:
    from lib.data.models import User

    ids: dict[str, int] = {}
    for code, name, kind in (("an", AN, "huyen"), ("binh", BINH, "thi_xa")):
        loc = Locality(code=code, name=name, kind=kind)
        s.add(loc)
        s.flush()
        ids[name] = loc.id
    for name, kind, district in m["units"]:
        unit = Unit(locality_id=ids[district], name=name, kind=kind)
        s.add(unit)
        s.flush()
        ids[name] = unit.id
    for code, name, kind, locality in (
        ("ubnd-an", "UBND huyện An", "ubnd", ids[AN]),
        ("ubnd-binh", "UBND thị xã Bình", "ubnd", ids[BINH]),
        ("so1", "Sở Một", "so_nganh", None),
        ("so2", "Sở Hai", "so_nganh", None),
        ("cat", "Công an tỉnh", "cong_an", None),
    ):
        agency = Agency(code=code, name=name, kind=kind, locality_id=locality)
        s.add(agency)
        s.flush()
        ids[code] = agency.id
    names = [u[0] for u in m["units"]]
    for state, unit, which, lead, early in m["rows"]["task"]:
        unit_name = names[unit] if unit >= 0 else None
        locality = ids[m["units"][unit][2]] if unit_name else [None, ids[AN], ids[BINH]][which]
        s.add(
            Task(
                title="t",
                lead_agency_id=ids[lead],
                locality_id=locality,
                unit_id=ids[unit_name] if unit_name else None,
                state=state,
                completed_on=(BEFORE if early else AFTER) if state == "hoan_thanh" else None,
                updated_at=NOW,
                version=1,
            )
        )
    for unit, stage, active, early in m["rows"]["hq_project"]:
        s.add(
            HqProject(
                unit_id=ids[names[unit]],
                kind="xay_moi",
                land_status="da_bo_tri",
                stage=stage,
                funding_source="ngan_sach_tinh",
                lifecycle="active" if active else "stopped",
                actual_completion_on=(BEFORE if early else AFTER) if stage in FINISHED_STAGES else None,
                updated_at=NOW,
                version=1,
            )
        )
    for unit, year, recognised in m["rows"]["model_ward"]:
        s.add(
            ModelWard(
                unit_id=ids[names[unit]],
                year_registered=year,
                recognised_on=date(year, 12, 1) if recognised else None,
                updated_at=NOW,
                version=1,
            )
        )
    user = User(
        username="dp",
        display_name="dp",
        role="dieu_phoi",
        password_hash="x",
        password_changed_at=NOW,
        created_at=NOW,
        updated_at=NOW,
    )
    s.add(user)
    s.flush()
    for kind, index in m["rows"]["user_scope"]:
        body = {
            "unit": {"unit_id": ids[names[index]]},
            "agency": {"agency_id": ids[AGENCIES[index % len(AGENCIES)]]},
            "locality": {"locality_id": ids[DISTRICTS[index % 2]]},
        }[kind]
        s.add(UserScope(user_id=user.id, **body))
    s.flush()
    return ids


def lines_of(m: dict[str, Any]) -> list[Line]:
    out: list[Line] = []
    n = 2

    def add(
        old: tuple[str, str, str], new: tuple[str, str, str], change: str, main: bool | None = None
    ) -> None:
        nonlocal n
        out.append(Line(n, UNIT, old[0], new[0], change, old[1], old[2], "", new[1], new[2], main=main))
        n += 1

    units = m["units"]
    for i, ((name, kind, district), op) in enumerate(zip(units, m["ops"], strict=True)):
        old = (name, kind, district)
        if op == SAME:
            add(old, old, SAME)
        elif op == MERGED:
            add(old, units[m["merge_into"][i]], MERGED)
        elif op == SPLIT:
            seat = m["split_seat"][i]
            add(old, (f"{name}a", kind, district), SPLIT)
            add(old, (f"{name}b", kind, district), SPLIT, main=True if seat else None)
        elif op == RENAMED:
            add(old, (f"{name}r", kind, district), RENAMED)
        elif op == MOVED:
            add(old, (name, kind, BINH if district == AN else AN), MOVED)
        elif op == UPGRADED:
            add(old, (name, "phuong" if kind == "xa" else "thi_tran", district), UPGRADED)
    if m["dept"] == MERGED:
        out.append(Line(n, AGENCY, "Sở Một", "Sở Hai", MERGED, old_code="so1", new_code="so2"))
        n += 1
    elif m["dept"] == RENAMED:
        out.append(Line(n, AGENCY, "Sở Một", "Sở Một Mới", RENAMED, old_code="so1", new_kind="so_nganh"))
        n += 1
    if m["district"] == MERGED:
        out.append(Line(n, LOCALITY, AN, BINH, MERGED))
        out.append(Line(n + 1, AGENCY, "UBND huyện An", "UBND thị xã Bình", MERGED))
    return out


def org_map(s: Any) -> OrgMap:
    bodies = [
        Body(
            kind, row.id, row.name, row.kind, getattr(row, "locality_id", None), row.valid_from, row.valid_to
        )
        for kind, model in ((LOCALITY, Locality), (UNIT, Unit), (AGENCY, Agency))
        for row in s.scalars(select(model))
    ]
    links = [
        Link(x.body_kind, x.from_id, x.to_id, x.change, x.effective_on, x.main)
        for x in s.scalars(select(Succession))
    ]
    return OrgMap(bodies, links)


MODELS = {"task": Task, "hq_project": HqProject, "model_ward": ModelWard, "user_scope": UserScope}


def rows(s: Any) -> dict[str, dict[int, dict[str, Any]]]:
    out = {}
    for entity, model in MODELS.items():
        cols = [c.name for c in model.__table__.columns]
        out[entity] = {r.id: {c: getattr(r, c) for c in cols} for r in s.scalars(select(model))}
    return out


def owner_at(row: dict[str, Any], transfers: list[Transfer], day: date) -> dict[str, Any]:
    """A row's values on a day: before a transfer took effect, its old value."""
    values = dict(row)
    for t in sorted(transfers, key=lambda t: t.effective_on, reverse=True):
        if t.effective_on > day:
            values[t.field] = t.old_value
    return values


def counts(
    org: OrgMap, all_rows: dict[str, dict[int, dict[str, Any]]], transfers: dict, day: date
) -> Counter:
    tally: Counter = Counter()
    for entity in ("task", "hq_project", "model_ward"):
        for row_id, row in all_rows[entity].items():
            owner = owner_at(row, transfers.get((entity, row_id), []), day)
            tally[(entity, org.place(owner.get("locality_id"), owner.get("unit_id"), day).key)] += 1
    return tally


def finished(entity: str, row: dict[str, Any]) -> bool:
    """Finished before the effective date: such history stays where it was. A row finished on or
    after it was finished by the successor, and passes like an open one."""
    if entity == "task":
        return row["state"] in ("tam_dung", "huy") or (
            row["state"] == "hoan_thanh" and row["completed_on"] < EFFECTIVE
        )
    if entity == "hq_project":
        return row["lifecycle"] != "active" or (
            row["stage"] in FINISHED_STAGES and row["actual_completion_on"] < EFFECTIVE
        )
    if entity == "model_ward":
        return row["lifecycle"] != "active" or (
            row["recognised_on"] is not None and row["recognised_on"] < EFFECTIVE
        )
    return False


def check_scenario(engine: Any, m: dict[str, Any], data: Any) -> None:
    wipe(engine)
    with transaction(engine, write=True) as s:
        build(s, m)
    with transaction(engine) as s:
        before, org_before = rows(s), org_map(s)
    with transaction(engine, write=True) as s:
        arrangement_id = record_arrangement(
            s, OFFICE, Parsed("NQ 1/NQ-UBTVQH15", None, EFFECTIVE, tuple(lines_of(m))), NOW
        )
    with transaction(engine) as s:
        asked = split_rows(s, arrangement_id)
    choices = {}
    for row in asked:
        picked = data.draw(
            st.sampled_from([None, *(o.value for o in row.options)]), label=f"{row.entity} {row.row_id}"
        )
        if picked is not None:
            choices[(row.entity, row.row_id)] = picked
    with transaction(engine, write=True) as s:
        apply_arrangement(s, OFFICE, arrangement_id, NOW, choices)
    with transaction(engine) as s:
        after, org = rows(s), org_map(s)
        transfers: dict[tuple[str, int], list[Transfer]] = {}
        for t in s.scalars(select(Transfer)):
            transfers.setdefault((t.entity, t.row_id), []).append(t)
    for entity in MODELS:
        # Nothing lost, nothing duplicated.
        assert set(after[entity]) == set(before[entity]), entity
        for row_id, old in before[entity].items():
            new = after[entity][row_id]
            if finished(entity, old):
                assert new == old, (entity, row_id)  # finished history stays where it was
                continue
            if entity == "model_ward" and new["lifecycle"] == "merged":
                # It joined the successor's registration of the same year: counted once, there.
                other = after[entity][new["merged_into_id"]]
                assert other["lifecycle"] == "active" and other["year_registered"] == old["year_registered"]
                assert org.get(UNIT, other["unit_id"]).valid_on(EFFECTIVE)
                continue
            for name, kind in (
                ("unit_id", UNIT),
                ("locality_id", LOCALITY),
                ("lead_agency_id", AGENCY),
                ("agency_id", AGENCY),
            ):
                if new.get(name) is not None:
                    body = org.get(kind, new[name])
                    assert body is not None and body.valid_on(EFFECTIVE), (entity, row_id, name, body)
            # What a transfer says is what changed.
            for t in transfers.get((entity, row_id), []):
                assert (old[t.field], new[t.field]) == (t.old_value, t.new_value)
    # Every row counts once on each day's table; before the effective date, where it counted before.
    n = sum(len(after[e]) for e in ("task", "hq_project", "model_ward"))
    for day in month_ends(date(2024, 1, 1), date(2025, 12, 31)):
        tally = counts(org, after, transfers, day)
        keys = {p.key for p in org.places(day)} | {PROVINCE_KEY}
        assert sum(v for (_, key), v in tally.items() if key in keys or key.endswith("-rest")) == n, day
        if day < EFFECTIVE:
            assert tally == counts(org_before, before, {}, day), day


def test_applying_random_arrangements_keeps_every_row_once_and_open_rows_on_valid_bodies(engine, backend):
    run = settings(
        max_examples=EXAMPLES[backend],
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )(given(m=maps(), data=st.data())(lambda m, data: check_scenario(engine, m, data)))
    run()
