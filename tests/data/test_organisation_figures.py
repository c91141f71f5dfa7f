"""Figures on the structure valid at the as-of date, on a tiny map built with the models: two
districts that end on 30/06/2025; three phường merged into two new ones on 01/07/2025; one open
task, one project and one registration passed to the successors (succession and transfer rows
written by hand, as an applied arrangement leaves them)."""

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from lib.core import rules
from lib.core.filters import Filters
from lib.core.organisation import month_ends
from lib.data import projects, queries
from lib.data.db import transaction
from lib.data.models import (
    Agency,
    Arrangement,
    HqProject,
    Locality,
    ModelWard,
    Succession,
    Task,
    Transfer,
    Unit,
)
from lib.data.organisation import load_map
from lib.files.report import build_report

BEFORE, EFFECTIVE, AFTER = date(2024, 6, 30), date(2025, 7, 1), date(2026, 12, 2)
END = date(2025, 6, 30)
NOW = datetime(2024, 1, 1, 8, 0)


@dataclass(frozen=True)
class Ids:
    an: int
    binh: int
    a1: int
    a2: int
    b1: int
    new_a: int
    new_b: int


def _unit(s, locality, name, *, valid_from=None, valid_to=None):
    unit = Unit(locality_id=locality.id, name=name, kind="phuong", valid_from=valid_from, valid_to=valid_to)
    s.add(unit)
    s.flush()
    return unit


def _task(s, agency, title, locality, unit, **kw):
    task = Task(
        title=title,
        lead_agency_id=agency.id,
        locality_id=locality.id if locality else None,
        unit_id=unit.id if unit else None,
        updated_at=NOW,
        **kw,
    )
    s.add(task)
    s.flush()
    return task


@pytest.fixture
def tiny(engine):
    with transaction(engine, write=True) as s:
        an = Locality(code="an", name="Huyện An", kind="huyen", sort_order=1, valid_to=END)
        binh = Locality(code="binh", name="Thị xã Bình", kind="thi_xa", sort_order=2, valid_to=END)
        s.add_all([an, binh])
        s.flush()
        a1 = _unit(s, an, "A1", valid_to=END)
        a2 = _unit(s, an, "A2", valid_to=END)
        b1 = _unit(s, binh, "B1", valid_to=END)
        new_a = _unit(s, an, "An Mới", valid_from=EFFECTIVE)
        new_b = _unit(s, binh, "Bình Mới", valid_from=EFFECTIVE)
        cat = Agency(code="cat", name="Công an tỉnh", kind="cong_an", sort_order=1)
        s.add(cat)
        arrangement = Arrangement(
            code="nq-test", resolution="NQ 1/NQ-TEST", effective_on=EFFECTIVE, state="applied", created_at=NOW
        )
        s.add(arrangement)
        s.flush()
        for old, new, change, main in (
            (a1, new_a, "merged", True),
            (a2, new_a, "merged", True),  # a merged body has one successor: its main one
            (b1, new_b, "renamed", True),
        ):
            s.add(
                Succession(
                    body_kind="unit",
                    from_id=old.id,
                    to_id=new.id,
                    change=change,
                    effective_on=EFFECTIVE,
                    main=main,
                    arrangement_id=arrangement.id,
                )
            )
        # Finished history of the district itself: stays on the district.
        _task(
            s,
            cat,
            "Rà soát đất trụ sở",
            an,
            None,
            state="hoan_thanh",
            current_deadline=date(2024, 6, 1),
            completed_on=date(2024, 5, 2),
            progress_pct=100,
        )
        # Open work of phường A2, passed to Phường An Mới.
        moved = _task(s, cat, "Trang bị phương tiện", an, new_a, current_deadline=date(2027, 6, 30))
        # Open work of the district Bình itself (no unit), passed to Phường Bình Mới: old unit NULL.
        district = _task(s, cat, "Bố trí kinh phí", binh, new_b, current_deadline=date(2024, 3, 1))
        # Province level.
        _task(s, cat, "Tổng hợp báo cáo năm", None, None, current_deadline=date(2027, 12, 15))
        hq = HqProject(
            unit_id=new_b.id,
            kind="xay_moi",
            land_status="da_bo_tri",
            stage="da_bo_tri_dat",
            funding_source="ngan_sach_tinh",
            planned_vnd=9_000_000_000,
            allocated_vnd=6_000_000_000,
            disbursed_vnd=1_500_000_000,
            updated_at=NOW,
        )
        ward = ModelWard(unit_id=new_a.id, year_registered=2024, criteria_met=10, updated_at=NOW)
        s.add_all([hq, ward])
        s.flush()
        for entity, row_id, field, old, new in (
            ("task", moved.id, "unit_id", a2.id, new_a.id),
            ("task", district.id, "unit_id", None, new_b.id),
            ("hq_project", hq.id, "unit_id", b1.id, new_b.id),
            ("model_ward", ward.id, "unit_id", a1.id, new_a.id),
        ):
            s.add(
                Transfer(
                    arrangement_id=arrangement.id,
                    entity=entity,
                    row_id=row_id,
                    field=field,
                    old_value=old,
                    new_value=new,
                    effective_on=EFFECTIVE,
                )
            )
        ids = Ids(an.id, binh.id, a1.id, a2.id, b1.id, new_a.id, new_b.id)
    return engine, ids


def _league(engine, as_of, *, regroup=False, today=AFTER, filters=None):
    with transaction(engine) as s:
        return queries.league_table(s, filters or Filters(), as_of, 30, regroup=regroup, today=today)


def _summary(rows):
    return [(r.name, r.group, r.tasks, r.funding.planned) for r in rows]


def test_before_the_mergers_the_league_lists_the_districts(tiny):
    engine, _ids = tiny
    rows = _league(engine, BEFORE)
    assert [r.code for r in rows] == ["an", "binh"]
    assert _summary(rows) == [("Huyện An", "", 2, 0), ("Thị xã Bình", "", 1, 9_000_000_000)]


def test_after_the_mergers_the_league_lists_the_new_wards_by_former_district(tiny):
    engine, ids = tiny
    rows = _league(engine, AFTER)
    assert [r.code for r in rows] == [f"l{ids.an}-rest", f"u{ids.new_a}", f"u{ids.new_b}"]
    assert _summary(rows) == [
        ("Huyện An (cấp huyện, đến 30/06/2025)", "Huyện An", 1, 0),
        ("Phường An Mới", "Huyện An", 1, 0),
        ("Phường Bình Mới", "Thị xã Bình", 1, 9_000_000_000),
    ]
    finished = rows[0]
    assert finished.on_time == 1 and finished.on_time_rate == 1.0
    assert [r.last_update for r in rows] == [NOW, NOW, NOW]
    filtered = _league(engine, AFTER, filters=Filters(buckets=("dung_han",)))  # the other pass
    assert [(r.tasks, r.last_update) for r in filtered] == [(1, NOW), (0, NOW), (0, NOW)]


def test_regrouped_history_stands_under_todays_units(tiny):
    engine, _ids = tiny
    rows = _league(engine, BEFORE, regroup=True)
    assert _summary(rows) == [
        ("Huyện An (cấp huyện, đến 30/06/2025)", "Huyện An", 1, 0),
        ("Phường An Mới", "Huyện An", 1, 0),
        ("Thị xã Bình (cấp huyện, đến 30/06/2025)", "Thị xã Bình", 1, 0),
        ("Phường Bình Mới", "Thị xã Bình", 0, 9_000_000_000),
    ]
    # The task of the district itself was overdue on 30/06/2024 (deadline 01/03/2024), still on the district.
    assert rows[2].overdue == 1
    # Regrouping never looks back: as of a date after today it is the structure of that date.
    assert _summary(_league(engine, AFTER, regroup=True)) == _summary(_league(engine, AFTER))


def test_the_locality_filter_keeps_the_rows_of_the_former_district(tiny):
    engine, _ids = tiny
    rows = _league(engine, AFTER, filters=Filters(localities=("binh",)))
    assert _summary(rows) == [("Phường Bình Mới", "Thị xã Bình", 1, 9_000_000_000)]
    assert [r.name for r in _league(engine, BEFORE, filters=Filters(localities=("an",)))] == ["Huyện An"]


def test_totals_agree_under_both_groupings_at_every_month_end(tiny):
    engine, _ids = tiny
    with transaction(engine) as s:
        org = load_map(s)
        every_task = s.scalar(select(func.count()).select_from(Task))
        planned = s.scalar(select(func.sum(HqProject.planned_vnd)))
        for day in month_ends(date(2024, 1, 1), date(2027, 12, 31)):
            totals = []
            for regroup in (False, True):
                figures = queries.figures_by_place(
                    s, Filters(), day, 30, regroup=regroup, today=AFTER, org=org
                )
                buckets = queries.total_buckets(figures.buckets)  # type: ignore[arg-type]
                money = sum(f.planned for f in figures.funding.values())
                by_row = {p.key for p in figures.places}
                assert set(figures.buckets) <= by_row and set(figures.funding) <= by_row
                totals.append((buckets.counts, buckets.due_soon, money))
            overview = queries.get_overview(s, Filters(), day, 30, today=AFTER)
            assert totals[0] == totals[1], day
            assert sum(totals[0][0].values()) == every_task
            assert totals[0][0] == dict(overview.buckets.counts), day
            assert totals[0][2] == planned == overview.funding.planned
            points = [p for p in projects.ward_roadmap(s, (), day) if p.year == rules.roadmap_year(day)]
            valid = [u for u in org.valid("unit", day) if u.type == "phuong"]
            assert sum(p.wards for p in points) == len(valid), day


def test_ward_counts_subtract_a_merger(tiny):
    engine, _ids = tiny
    with transaction(engine) as s:
        by_year = {}
        for as_of in (BEFORE, date(2025, 6, 30), AFTER):
            points = projects.ward_roadmap(s, (), as_of)
            by_year[as_of] = {p.locality: p.wards for p in points if p.year == as_of.year}
        # Registered on A1 in 2024, passed to Phường An Mới: one ward registered either side.
        early = queries.model_ward_counts(s, (), BEFORE)
        late = queries.model_ward_counts(s, (), AFTER)
    assert by_year[BEFORE] == {"an": 2, "binh": 1}
    assert by_year[date(2025, 6, 30)] == {"an": 2, "binh": 1}
    assert by_year[AFTER] == {"an": 1, "binh": 1}
    assert early.registered == late.registered == 1


def test_the_report_money_table_follows_the_places_of_the_as_of_date(tiny):
    engine, _ids = tiny
    with transaction(engine) as s:
        before = build_report(s, None, BEFORE, 90)
        after = build_report(s, None, AFTER, 90)
    assert [(before.locality_names[k], f.planned) for k, f in before.funding_by_locality.items()] == [
        ("Thị xã Bình", 9_000_000_000)
    ]
    assert [(after.locality_names[k], f.planned) for k, f in after.funding_by_locality.items()] == [
        ("Phường Bình Mới", 9_000_000_000)
    ]
    assert before.funding == after.funding


def test_the_map_reads_validity_and_succession(tiny):
    engine, ids = tiny
    with transaction(engine) as s:
        org = load_map(s)
    assert [u.name for u in org.valid("unit", BEFORE)] == ["A1", "A2", "B1"]
    assert [u.name for u in org.valid("unit", AFTER)] == ["An Mới", "Bình Mới"]
    assert [b.name for b in org.valid("locality", AFTER)] == []
    assert org.current("unit", ids.a2, BEFORE) == ids.a2
    assert org.current("unit", ids.a2, AFTER) == ids.new_a
    assert org.current("unit", ids.b1, AFTER) == ids.new_b
