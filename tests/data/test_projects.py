"""Headquarters and model-ward figures: SQL against the rules in Python, totals to the đồng.

Runs on SQLite and, when TEST_DATABASE_URL is set, PostgreSQL (the `demo_engine` and `engine`
fixtures are parametrised by backend).
"""

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from lib.core import rules
from lib.core.filters import HqFilters
from lib.data import projects
from lib.data.db import transaction
from lib.data.models import HqProject, Locality, ModelWard, Transfer, Unit
from lib.editing import changeset
from lib.ops.programme import load_reference
from lib.ops.seed import DEMO_TODAY

STALE = 90
# As-of dates: the demo's today, a planned completion date exactly, and dates around the pilot year.
HQ_FILTERS = [
    HqFilters(),
    HqFilters(localities=("bac-giang",)),
    HqFilters(localities=("luc-ngan", "yen-dung", "cap-tinh")),
    HqFilters(stages=("dang_thi_cong", "chuan_bi_dau_tu")),
    HqFilters(flags=(rules.FLAG_BEHIND,)),
    HqFilters(flags=(rules.FLAG_SMALL_LAND, rules.FLAG_STALLED)),
    HqFilters(localities=("viet-yen",), stages=("hoan_thanh",), flags=(rules.FLAG_BEHIND,)),
]


def _projects(s) -> list[dict]:
    """Every project as a plain dict with its locality code, read without lib.data.projects."""
    rows = s.execute(
        select(HqProject.__table__, Locality.code.label("locality_code"))
        .join(Unit, Unit.id == HqProject.unit_id)
        .join(Locality, Locality.id == Unit.locality_id)
    ).mappings()
    return [dict(r) for r in rows]


def _selected(rows, hf: HqFilters, as_of: date) -> list[dict]:
    chosen = []
    for r in rows:
        if hf.localities and r["locality_code"] not in hf.localities:
            continue
        if hf.stages and r["stage"] not in hf.stages:
            continue
        if hf.flags and not set(hf.flags) & set(rules.hq_flags(r, as_of, STALE)):
            continue
        chosen.append(r)
    return chosen


def _as_of_dates(engine) -> list[date]:
    with transaction(engine) as s:
        planned = sorted(d for d in s.scalars(select(HqProject.planned_completion_on)) if d)
        stamps = sorted(s.scalars(select(HqProject.updated_at)))
    on_a_deadline = planned[len(planned) // 2]
    on_the_stale_cutoff = stamps[0].date() + timedelta(days=STALE)
    return [
        DEMO_TODAY,
        on_a_deadline,
        on_the_stale_cutoff,
        on_the_stale_cutoff + timedelta(days=1),
        date(2025, 6, 30),
    ]


@pytest.mark.parametrize("hf", HQ_FILTERS, ids=repr)
def test_headquarters_figures_equal_an_independent_computation(demo_engine, hf):
    for as_of in _as_of_dates(demo_engine):
        with transaction(demo_engine) as s:
            summary = projects.get_hq_summary(s, hf, as_of, STALE)
            count = projects.count_hq(s, hf, as_of, STALE)
            listed = projects.list_hq(s, hf, as_of, STALE, offset=0, limit=1000)
            rows = _selected(_projects(s), hf, as_of)
        money: dict = defaultdict(lambda: [0, 0, 0, 0])
        for r in rows:
            m = money[r["locality_code"]]
            m[0] += r["planned_vnd"]
            m[1] += r["allocated_vnd"]
            m[2] += r["disbursed_vnd"]
            m[3] += 1
        got = {
            c: [f.planned, f.allocated, f.disbursed, f.projects]
            for c, f in summary.funding_by_locality.items()
        }
        assert got == dict(money), as_of
        assert summary.funding.planned == sum(r["planned_vnd"] for r in rows)  # to the đồng
        assert summary.funding.disbursed == sum(r["disbursed_vnd"] for r in rows)
        assert count == len(rows) == len(listed)
        assert {r["id"]: r["flags"] for r in listed} == {
            r["id"]: rules.hq_flags(r, as_of, STALE) for r in rows
        }
        assert summary.stages == dict(Counter((r["locality_code"], r["stage"]) for r in rows))
        flagged: dict = defaultdict(Counter)
        for r in rows:
            flagged[r["locality_code"]].update(rules.hq_flags(r, as_of, STALE))
        assert {c: {f: n for f, n in by.items() if n} for c, by in summary.flags.items()} == {
            c: dict(v) for c, v in flagged.items()
        }
        planned = Counter(
            (r["planned_completion_on"].replace(day=1)) for r in rows if r["planned_completion_on"]
        )
        actual = Counter(
            r["actual_completion_on"].replace(day=1)
            for r in rows
            if r["actual_completion_on"] and r["actual_completion_on"] <= as_of
        )
        expected = sorted(
            [(m, "planned", n) for m, n in planned.items()] + [(m, "actual", n) for m, n in actual.items()]
        )
        assert summary.completions == expected


def test_the_demo_has_every_kind_of_flag_to_show(demo_engine):
    with transaction(demo_engine) as s:
        totals = projects.get_hq_summary(s, HqFilters(), DEMO_TODAY, STALE).flag_totals
    assert totals[rules.FLAG_SMALL_LAND] == 4
    assert totals[rules.FLAG_BEHIND] > 0 and totals[rules.FLAG_STALLED] > 0
    assert totals[rules.FLAG_FUNDING] == 0  # the database refuses a broken chain


def test_localities_below_the_provincial_disbursement_rate_are_marked(demo_engine):
    with transaction(demo_engine) as s:
        summary = projects.get_hq_summary(s, HqFilters(), DEMO_TODAY, STALE)
    average = summary.funding.disbursed / summary.funding.allocated
    rates = {c: f.disbursed / f.allocated for c, f in summary.funding_by_locality.items()}
    assert summary.below_average == {c for c, r in rates.items() if r < average}
    assert 0 < len(summary.below_average) < 4


def test_every_demo_row_can_be_saved_as_it_is(demo_engine):
    """Seeded rows satisfy the rules, so a coordinator's first edit is never refused for old data."""
    with transaction(demo_engine) as s:
        for spec in (changeset.HQ, changeset.WARDS):
            for row in s.scalars(select(spec.model)):
                merged = {name: getattr(row, name) for name in spec.fields} | {"_original": row}
                assert spec.check_row(merged, DEMO_TODAY) == [], (spec.entity, row.id)


def test_boundaries_on_hand_made_projects(engine):
    """Land of 499 and 500 m², completion planned exactly on the as-of date, a stamp on the cutoff."""
    as_of = date(2026, 6, 30)
    cutoff = datetime.combine(as_of - timedelta(days=STALE), datetime.min.time())
    with transaction(engine, write=True) as s:
        load_reference(s)
        units = s.scalars(
            select(Unit).join(Locality).where(Locality.code == "viet-yen").order_by(Unit.id)
        ).all()
        specs = [
            # (land, planned completion, actual completion, updated at) → flags
            (499, as_of, None, cutoff),  # small; due today is not late; stamped on the cutoff is not stale
            (500, as_of - timedelta(days=1), None, cutoff - timedelta(microseconds=1)),  # late, stale
            (None, as_of - timedelta(days=1), as_of, cutoff - timedelta(days=9)),  # finished on the day
            (800, as_of - timedelta(days=1), as_of + timedelta(days=1), cutoff),  # finished after: late
        ]
        for unit, (land, planned_on, actual_on, stamp) in zip(units, specs, strict=False):
            s.add(
                HqProject(
                    unit_id=unit.id,
                    kind="xay_moi",
                    land_status="da_bo_tri" if land else "chua_bo_tri",
                    land_area_m2=land,
                    stage="dang_thi_cong" if land else "chua_bo_tri_dat",
                    funding_source="ngan_sach_tinh",
                    planned_vnd=5_000_000_000,
                    allocated_vnd=2_500_000_000,
                    disbursed_vnd=1_000_000_001,
                    planned_completion_on=planned_on,
                    actual_completion_on=actual_on,
                    updated_at=stamp,
                )
            )
    with transaction(engine) as s:
        listed = projects.list_hq(s, HqFilters(), as_of, STALE, offset=0, limit=10)
        summary = projects.get_hq_summary(s, HqFilters(), as_of, STALE)
    assert [r["flags"] for r in sorted(listed, key=lambda r: r["id"])] == [
        (rules.FLAG_SMALL_LAND,),
        (rules.FLAG_BEHIND, rules.FLAG_STALLED),
        (),
        (rules.FLAG_BEHIND,),
    ]
    assert summary.funding.disbursed == 4_000_000_004  # odd đồng survive the sums
    assert summary.flag_totals == {
        rules.FLAG_SMALL_LAND: 1,
        rules.FLAG_FUNDING: 0,
        rules.FLAG_BEHIND: 2,
        rules.FLAG_STALLED: 1,
    }


# --- model wards ------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", [date(2024, 6, 30), date(2025, 11, 15), DEMO_TODAY])
def test_the_ward_roadmap_equals_an_independent_computation(demo_engine, as_of):
    with transaction(demo_engine) as s:
        points = projects.ward_roadmap(s, (), as_of)
        units = s.execute(
            select(
                Locality.code, Unit.id, Unit.kind, Unit.becomes_phuong_2025, Unit.valid_from, Unit.valid_to
            ).join(Locality)
        ).all()
        # Followed on the as-of date: active, or joined to a successor's registration after it.
        joined_later = set(
            s.scalars(
                select(Transfer.row_id).where(
                    Transfer.entity == "model_ward",
                    Transfer.field == "merged_into_id",
                    Transfer.effective_on > as_of,
                )
            )
        )
        wards = [
            (i, u, y, on)
            for i, u, y, on, lifecycle in s.execute(
                select(
                    ModelWard.id,
                    ModelWard.unit_id,
                    ModelWard.year_registered,
                    ModelWard.recognised_on,
                    ModelWard.lifecycle,
                )
            )
            if lifecycle == "active" or i in joined_later
        ]
        later = {}  # a registration passed to a successor after the as-of date counts with its old unit
        for row_id, old in s.execute(
            select(Transfer.row_id, Transfer.old_value)
            .where(
                Transfer.entity == "model_ward", Transfer.field == "unit_id", Transfer.effective_on > as_of
            )
            .order_by(Transfer.effective_on.desc(), Transfer.id.desc())
        ):
            later[row_id] = int(old)  # the earliest one wins
    code_of = {u: c for c, u, *_ in units}
    owned = [(code_of[later.get(i, u)], later.get(i, u), y, on) for i, u, y, on in wards]
    # Five places: the four districts, and thị xã Chũ formed on 1/1/2025; 2024–2030.
    assert len(points) == 5 * 7 and len({c for c, *_ in units}) == 5
    for p in points:
        day = as_of if p.year == as_of.year else date(p.year, 12, 31)
        total = sum(
            1
            for c, _, kind, up, start, end in units
            if c == p.locality
            and (start is None or start <= day)
            and (end is None or day <= end)
            and (kind == "phuong" or (up and p.year >= 2025))
        )
        assert p.wards == total
        if p.year > as_of.year:
            assert p.registered is None and p.recognised is None
            continue
        until = min(date(p.year, 12, 31), as_of)
        first = {}
        for c, u, y, on in owned:
            if c == p.locality:
                year, seen = first.get(u, (y, on))
                first[u] = (min(year, y), min((d for d in (seen, on) if d), default=None))
        assert p.registered == sum(1 for y, _ in first.values() if y <= p.year)
        assert p.recognised == sum(1 for _, on in first.values() if on and on <= until)


def test_the_2024_pilots_of_clause_4(demo_engine):
    with transaction(demo_engine) as s:
        # Named as in 2024, though Bích Động and Hoàng Văn Thụ's registrations passed on 1/7/2025 to
        # phường Việt Yên and phường Bắc Giang.
        assert projects.pilots_2024(s) == {
            "viet-yen": ["Bích Động"],
            "bac-giang": ["Hoàng Văn Thụ", "Trần Phú"],
        }
