"""Figures once rows are retired: counts, stages, flags and the model-ward figures hold the rows
followed; the money totals hold every project that was not cancelled (the rule documented in
`lib.data.projects.funding_by_locality`), checked against sums of the stored rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime

import pytest
from sqlalchemy import select

from lib.core import rules
from lib.core.figures import Funding
from lib.core.filters import HqFilters
from lib.data import projects, queries
from lib.data.db import transaction
from lib.data.models import HqProject, Locality, ModelWard, Transfer, Unit
from lib.editing import actions
from lib.editing.changeset import HQ, WARDS, retire_row
from lib.ops.seed import DEMO_TODAY, seed_demo
from tests.support.edit_machinery import actor

NOW = datetime(2026, 11, 29, 10, 0)
STALE = 90


def rows_of(engine, model, locality):
    with transaction(engine) as s:
        return list(
            s.scalars(
                select(model)
                .join(Unit, Unit.id == model.unit_id)
                .join(Locality, Locality.id == Unit.locality_id)
                .where(Locality.code == locality)
                .order_by(model.id)
            )
        )


def retire(engine, spec, row, lifecycle, into=None):
    actions.perform(
        engine,
        actor(engine, "vanphong"),
        retire_row,
        spec,
        row.id,
        row.version,
        lifecycle=lifecycle,
        document="01/QĐ-UBND",
        reason="Theo văn bản",
        merged_into=into,
        now=NOW,
        today=DEMO_TODAY,
    )


def stored(engine, model):
    with transaction(engine) as s:
        return [
            dict(r)
            for r in s.execute(
                select(model.__table__, Locality.code.label("locality_code"))
                .join(Unit, Unit.id == model.unit_id)
                .join(Locality, Locality.id == Unit.locality_id)
            ).mappings()
        ]


@pytest.fixture
def retired(engine):
    """The demo with projects stopped (with money), merged (with money), cancelled (none paid) and
    model-ward registrations stopped and merged."""
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    bg = rows_of(engine, HqProject, "bac-giang")
    paid = [r for r in bg if r.disbursed_vnd > 0]
    retire(engine, HQ, paid[0], "stopped")
    retire(engine, HQ, paid[1], "merged", into=paid[2].id)
    # Since 1/1/2025 most of Lục Ngạn's projects count under thị xã Chũ, formed from its towns.
    unpaid = next(r for r in rows_of(engine, HqProject, "chu") if r.disbursed_vnd == 0 and r.planned_vnd > 0)
    retire(engine, HQ, unpaid, "cancelled")
    vy = rows_of(engine, ModelWard, "viet-yen")
    retire(engine, WARDS, vy[0], "stopped")
    # Registrations of one year that passed to the same new phường on 1/7/2025 were merged there.
    bgw = [r for r in rows_of(engine, ModelWard, "bac-giang") if r.lifecycle == "active"]
    retire(engine, WARDS, bgw[0], "merged", into=bgw[1].id)
    return engine, {"stopped": paid[0], "merged": paid[1], "cancelled": unpaid}


def test_the_money_totals_keep_stopped_and_merged_projects_and_drop_cancelled_ones(retired):
    engine, changed = retired
    rows = stored(engine, HqProject)
    assert {r["lifecycle"] for r in rows} == set(rules.LIFECYCLE_LABELS)
    expected: dict[str, Funding] = {}
    for code in sorted({r["locality_code"] for r in rows}):
        mine = [r for r in rows if r["locality_code"] == code and r["lifecycle"] != "cancelled"]
        expected[code] = Funding(
            sum(r["planned_vnd"] for r in mine),
            sum(r["allocated_vnd"] for r in mine),
            sum(r["disbursed_vnd"] for r in mine),
            sum(1 for r in mine if r["lifecycle"] == "active"),
        )
    with transaction(engine) as s:
        funding = projects.funding_by_locality(s, HqFilters())
        assert queries.funding_by_locality(s) == funding
        summary = projects.get_hq_summary(s, HqFilters(), DEMO_TODAY, STALE)
    assert funding == expected
    assert summary.funding.projects == sum(1 for r in rows if r["lifecycle"] == "active")
    # The decision, spelled out: a stopped project keeps all its money in the totals, and so does a
    # merged one; a cancelled one (nothing paid out) leaves them.
    every = sum(r["disbursed_vnd"] for r in rows)
    assert summary.funding.disbursed == every
    assert changed["stopped"].disbursed_vnd > 0 and changed["merged"].disbursed_vnd > 0
    assert summary.funding.planned == sum(r["planned_vnd"] for r in rows) - changed["cancelled"].planned_vnd


def test_counts_stages_flags_and_lists_hold_the_projects_followed(retired):
    engine, _ = retired
    rows = stored(engine, HqProject)
    active = [r for r in rows if r["lifecycle"] == "active"]
    with transaction(engine) as s:
        summary = projects.get_hq_summary(s, HqFilters(with_retired=True), DEMO_TODAY, STALE)
        listed = projects.list_hq(s, HqFilters(), DEMO_TODAY, STALE, offset=0, limit=500)
        every = projects.list_hq(s, HqFilters(with_retired=True), DEMO_TODAY, STALE, offset=0, limit=500)
        counted = projects.count_hq(s, HqFilters(), DEMO_TODAY, STALE)
        counted_all = projects.count_hq(s, HqFilters(with_retired=True), DEMO_TODAY, STALE)
    assert summary.stages == dict(Counter((r["locality_code"], r["stage"]) for r in active))
    flags: dict[str, Counter] = defaultdict(Counter)
    for r in active:
        flags[r["locality_code"]].update(rules.hq_flags(r, DEMO_TODAY, STALE))
    assert {c: {f: n for f, n in by.items() if n} for c, by in summary.flags.items()} == {
        c: dict(by) for c, by in flags.items()
    }
    assert sorted(r["id"] for r in listed) == sorted(r["id"] for r in active) and counted == len(active)
    assert sorted(r["id"] for r in every) == sorted(r["id"] for r in rows) and counted_all == len(rows)
    shown = {r["id"]: (r["lifecycle"], r["lifecycle_doc"], r["merged_into_id"]) for r in every}
    assert shown == {r["id"]: (r["lifecycle"], r["lifecycle_doc"], r["merged_into_id"]) for r in rows}


def test_the_model_ward_figures_hold_the_registrations_followed(retired):
    engine, _ = retired
    rows = stored(engine, ModelWard)
    active = [r for r in rows if r["lifecycle"] == "active"]
    # The demo's own registrations of wards merged on 1/7/2025 were merged by the arrangement; the
    # fixture stopped one more and merged another.
    by_hand = [r for r in rows if r["lifecycle_doc"] == "01/QĐ-UBND"]
    assert sorted(r["lifecycle"] for r in by_hand) == ["merged", "stopped"]
    assert len(active) == len(rows) - 2 - sum(1 for r in rows if "NQ 1658" in (r["lifecycle_doc"] or ""))
    with transaction(engine) as s:
        points = projects.ward_roadmap(s, (), DEMO_TODAY)
        pilots = projects.pilots_2024(s)
        counts = queries.model_ward_counts(s, (), DEMO_TODAY)
        listed = projects.list_wards(s, ())
        every = projects.list_wards(s, (), with_retired=True)
    for p in points:
        if p.registered is not None:
            assert p.registered == len(
                {
                    r["unit_id"]
                    for r in active
                    if r["locality_code"] == p.locality and r["year_registered"] <= p.year
                }
            )
    assert counts.registered == len({r["unit_id"] for r in active if r["year_registered"] <= DEMO_TODAY.year})
    with transaction(engine) as s:
        # A 2024 pilot that a 2025 reorganisation joined to its successor's registration was still
        # followed at the end of 2024.
        joined_later = set(
            s.scalars(
                select(Transfer.row_id).where(
                    Transfer.entity == "model_ward",
                    Transfer.field == "merged_into_id",
                    Transfer.effective_on > date(rules.PILOT_YEAR, 12, 31),
                )
            )
        )
    pilot_rows = {
        r["id"]: r["unit_id"]
        for r in rows
        if r["year_registered"] == rules.PILOT_YEAR
        and (r["lifecycle"] == "active" or r["id"] in joined_later)
    }
    with transaction(engine) as s:
        # A pilot is named by the unit that held it at the end of 2024, before any later transfer.
        for row_id, old in s.execute(
            select(Transfer.row_id, Transfer.old_value).where(
                Transfer.entity == "model_ward",
                Transfer.field == "unit_id",
                Transfer.row_id.in_(pilot_rows),
                Transfer.effective_on > date(rules.PILOT_YEAR, 12, 31),
            )
        ):
            pilot_rows[row_id] = int(old)
        pilot_units = set(pilot_rows.values())
        names = {u.id: u.name for u in s.scalars(select(Unit).where(Unit.id.in_(pilot_units)))}
    assert sorted(n for ns in pilots.values() for n in ns) == sorted(names.values())
    assert sorted(r["id"] for r in listed) == sorted(r["id"] for r in active)
    assert sorted(r["id"] for r in every) == sorted(r["id"] for r in rows)


def test_the_exports_carry_the_lifecycle(retired):
    import io

    from openpyxl import load_workbook

    from lib.files import export

    engine, changed = retired
    with transaction(engine) as s:
        rows = projects.list_hq(s, HqFilters(with_retired=True), DEMO_TODAY, STALE, offset=0, limit=500)
    data = export.workbook_bytes(
        [
            export.Sheet(
                "Trụ sở",
                "x",
                date(2026, 11, 29),
                export.HQ_LAYOUT,
                [export.readable(r, HQ.catalogue) for r in rows],
            )
        ]
    )
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    headers = [c.value for c in sheet[export.HEADER_ROW]]
    column = headers.index("Trạng thái theo dõi")
    shown = {row[0].value: row[column].value for row in sheet.iter_rows(min_row=export.FIRST_DATA_ROW)}
    assert shown[changed["stopped"].id] == "Dừng"
    assert shown[changed["merged"].id] == "Gộp vào dự án/đăng ký khác"
    assert shown[changed["cancelled"].id] == "Hủy bỏ"
    assert set(shown.values()) == set(rules.LIFECYCLE_LABELS.values())
