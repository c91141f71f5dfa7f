from collections import Counter

from sqlalchemy import select

from lib.core import rules
from lib.data.db import transaction
from lib.data.models import Agency, Clause, Document, HqProject, Locality, ModelWard, Task, Unit
from lib.ops import directive as d
from lib.ops.seed import DEMO_TODAY, seed_demo


def _tasks(s):
    return s.execute(
        select(Clause.code, Agency.code, Locality.code, Task.report_year)
        .join(Clause, Clause.id == Task.clause_id)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .outerjoin(Locality, Locality.id == Task.locality_id)
    ).all()


def test_directive_reference_data(demo_engine):
    with transaction(demo_engine) as s:
        docs = {x.code: x for x in s.scalars(select(Document))}
        assert docs["30-da-bca"].number == "30/ĐA-BCA" and str(docs["30-da-bca"].issued_on) == "2023-11-07"
        assert (
            docs["885-qd-ubnd"].number == "885/QĐ-UBND" and str(docs["885-qd-ubnd"].issued_on) == "2023-06-17"
        )
        assert docs["1776-cv-tu"].number == "1776-CV/TU" and str(docs["1776-cv-tu"].issued_on) == "2022-12-19"
        assert docs["cv-ubnd-2024"].issued_label == "tháng 02/2024"
        assert [c for c in s.scalars(select(Clause.code).order_by(Clause.sort_order))] == [
            "1",
            "2",
            "3",
            "4",
            "bc",
        ]
        units = Counter(
            s.execute(select(Locality.code).join(Unit, Unit.locality_id == Locality.id)).scalars()
        )
        assert units == {"luc-ngan": 29, "yen-dung": 18, "viet-yen": 17, "bac-giang": 16}
        kinds = Counter(s.scalars(select(Unit.kind)))
        assert kinds == {"phuong": 19, "xa": 58, "thi_tran": 3}
        slated = set(s.scalars(select(Unit.name).where(Unit.becomes_phuong_2025)))
        assert {"Dĩnh Trì", "Chũ", "Nham Biền", "Lão Hộ", "Trù Hựu"} <= slated
        assert len(slated) == 19
        assert "Biển Động" not in slated  # became a thị trấn, not a phường


def test_each_clause_reaches_its_addressees(demo_engine):
    with transaction(demo_engine) as s:
        rows = _tasks(s)
    by_clause = {code: {(a, loc) for c, a, loc, _ in rows if c == code} for code in ("1", "3", "4")}
    assert {a for a, _ in by_clause["1"]} == {"cat"}
    assert {loc for _, loc in by_clause["3"]} == {"luc-ngan", "yen-dung", "viet-yen", "bac-giang"}
    assert {loc for _, loc in by_clause["4"]} == {"viet-yen", "bac-giang"}
    reports = Counter((a, year) for c, a, _, year in rows if c == "bc")
    addressees = {"cat", *d.DEPARTMENTS, *(f"ubnd-{code}" for code, _, _ in d.LOCALITIES)}
    assert set(reports) == {(a, y) for a in addressees for y in (2024, 2025, 2026)}
    assert set(reports.values()) == {1}


def test_demo_data_is_believable(demo_engine):
    with transaction(demo_engine) as s:
        tasks = s.scalars(select(Task)).all()
        projects = s.scalars(select(HqProject)).all()
        wards = s.execute(
            select(Locality.code, ModelWard.year_registered)
            .join(Unit, Unit.id == ModelWard.unit_id)
            .join(Locality, Locality.id == Unit.locality_id)
        ).all()
        hq_units = s.execute(select(Unit.kind, Unit.becomes_phuong_2025).join(HqProject)).all()
    buckets = Counter(
        rules.task_bucket(t.state, t.current_deadline, t.completed_on, DEMO_TODAY) for t in tasks
    )
    assert set(buckets) == set(rules.BUCKETS)  # every bucket shows up in the demo
    for t in tasks:
        assert t.original_deadline is not None and t.current_deadline >= t.original_deadline
        assert (t.current_deadline != t.original_deadline) == bool(t.extension_doc)
        if t.state == "hoan_thanh":
            assert t.progress_pct == 100 and t.completed_on <= DEMO_TODAY and t.result_doc
        assert t.updated_at.date() <= DEMO_TODAY
    assert sum(t.extension_doc != "" for t in tasks) >= 3
    # A project for every phường and every unit slated to become one.
    assert len(projects) == 38
    assert all(kind == "phuong" or slated for kind, slated in hq_units)
    small = [p for p in projects if p.land_area_m2 is not None and p.land_area_m2 < 500]
    assert 1 <= len(small) <= 5
    for p in projects:
        assert rules.funding_problems(p.planned_vnd, p.allocated_vnd, p.disbursed_vnd) == []
        cost = p.planned_vnd / 1e9
        assert (4 <= cost <= 6) if p.kind == "xay_moi" else (1 <= cost <= 1.2)
    stalled = [
        p
        for p in projects
        if (DEMO_TODAY - p.updated_at.date()).days > 120 and p.stage not in ("hoan_thanh", "dua_vao_su_dung")
    ]
    assert stalled
    assert {(loc, year) for loc, year in wards} == {
        ("viet-yen", 2024),
        ("bac-giang", 2024),
        ("viet-yen", 2025),
        ("bac-giang", 2025),
    }


def _snapshot(engine):
    with transaction(engine) as s:
        return (
            [
                (t.title, t.state, t.progress_pct, t.completed_on, t.current_deadline, t.updated_at)
                for t in s.scalars(select(Task).order_by(Task.id))
            ],
            [
                (p.planned_vnd, p.allocated_vnd, p.disbursed_vnd, p.stage, p.land_area_m2)
                for p in s.scalars(select(HqProject).order_by(HqProject.id))
            ],
        )


def test_seed_demo_is_deterministic_and_idempotent(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s)
    first = _snapshot(engine)
    with transaction(engine, write=True) as s:
        seed_demo(s)
    second = _snapshot(engine)
    with transaction(engine) as s:
        assert s.scalar(select(Unit.id).where(Unit.name == "Thọ Xương")) is not None
        assert len(s.scalars(select(Unit)).all()) == 80
    assert first == second
    assert len(first[0]) == 71 + 1  # one suspended task included
