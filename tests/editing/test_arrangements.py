"""Recording and applying a reorganisation on both engines: what passes, what stays, what is refused."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, insert, select

from lib.core.arrangement import ENDED, MERGED, RENAMED, SAME, SPLIT, Line
from lib.core.roles import PermissionDenied
from lib.data.db import get_data_version, transaction
from lib.data.models import (
    Agency,
    Arrangement,
    ArrangementLine,
    AuditEvent,
    HqProject,
    ModelWard,
    Succession,
    Task,
    Transfer,
    Unit,
    UserScope,
    task_cooperator,
)
from lib.editing.arrangements import ArrangementRefused, apply_arrangement, record_arrangement, split_rows
from tests.support.org_machinery import (
    AN,
    LEADER,
    NOW,
    OFFICE,
    arrangement,
    fresh_map,
    project,
    scope,
    snapshot,
    task,
    unit_line,
    ward,
)

EFFECTIVE = date(2025, 1, 1)


def record_and_apply(engine, parsed, choices=None):
    with transaction(engine, write=True) as s:
        arrangement_id = record_arrangement(s, OFFICE, parsed, NOW)
        applied = apply_arrangement(s, OFFICE, arrangement_id, NOW, choices)
    return arrangement_id, applied


def test_a_merge_passes_open_rows_to_the_successor_and_leaves_finished_history(engine):
    m = fresh_map(engine)
    with transaction(engine, write=True) as s:
        open_task = task(s, m["ubnd-an"], m["an"], m["Một"])
        done = task(s, m["ubnd-an"], m["an"], m["Một"], "hoan_thanh")
        # Finished after the effective date (the resolution was entered late): its successor finished it.
        done_later = task(s, m["ubnd-an"], m["an"], m["Một"], "hoan_thanh")
        s.get(Task, done_later).completed_on = date(2025, 2, 3)
        cancelled = task(s, m["ubnd-an"], m["an"], m["Một"], "huy")
        building = project(s, m["Một"])
        in_use = project(s, m["Một"], "dua_vao_su_dung")
        registered = ward(s, m["Một"], 2024)
        recognised = ward(s, m["Một"], 2023, recognised=True)
        scoped = scope(s, "dp.mot", unit_id=m["Một"])
        version_before = get_data_version(s)
        reported = (s.get(Task, open_task).updated_by, s.get(Task, open_task).updated_at)
    parsed = arrangement(unit_line(2, "Một", "Hai", MERGED), unit_line(3, "Hai", "Hai", SAME))
    arrangement_id, applied = record_and_apply(engine, parsed)

    with transaction(engine) as s:
        assert s.get(Unit, m["Một"]).valid_to == date(2024, 12, 31)
        assert s.get(Unit, m["Hai"]).valid_to is None
        moved = s.get(Task, open_task)
        assert (moved.unit_id, moved.locality_id, moved.version) == (m["Hai"], m["an"], 2)
        # Passed on, not reported on: its owner's last update stays (the audit trail names vanphong).
        assert (moved.updated_by, moved.updated_at) == reported
        for finished in (done, cancelled):
            assert (s.get(Task, finished).unit_id, s.get(Task, finished).version) == (m["Một"], 1)
        assert s.get(HqProject, building).unit_id == m["Hai"]
        assert s.get(HqProject, in_use).unit_id == m["Một"]
        assert s.get(ModelWard, registered).unit_id == m["Hai"]
        assert s.get(ModelWard, recognised).unit_id == m["Một"]
        assert s.get(UserScope, scoped).unit_id == m["Hai"]
        transfers = {
            (t.entity, t.row_id, t.field, t.old_value, t.new_value, t.effective_on)
            for t in s.scalars(select(Transfer))
        }
        assert s.get(Task, done_later).unit_id == m["Hai"]
        passed = [
            ("task", open_task),
            ("task", done_later),
            ("hq_project", building),
            ("model_ward", registered),
            ("user_scope", scoped),
        ]
        assert transfers == {
            (entity, row, "unit_id", m["Một"], m["Hai"], EFFECTIVE) for entity, row in passed
        }
        [link] = s.scalars(select(Succession)).all()
        assert (link.body_kind, link.from_id, link.to_id, link.change, link.main) == (
            "unit",
            m["Một"],
            m["Hai"],
            MERGED,
            True,
        )
        lines = s.scalars(select(ArrangementLine).order_by(ArrangementLine.line_no)).all()
        assert [(ln.from_id, ln.to_id) for ln in lines] == [(m["Một"], m["Hai"]), (m["Hai"], m["Hai"])]
        stored = s.get(Arrangement, arrangement_id)
        assert (stored.state, stored.applied_by, stored.applied_at) == ("applied", "vanphong", NOW)
        actions = dict(s.execute(select(AuditEvent.action, func.count()).group_by(AuditEvent.action)).all())
        assert actions["apply_arrangement"] == 1 and actions["record_arrangement"] == 1
        # one event per passed field, and the end of Một
        assert actions["reorganise"] == 5 + 1
        reasons = set(s.scalars(select(AuditEvent.reason).where(AuditEvent.action == "reorganise")))
        assert reasons == {"NQ 9/NQ-UBTVQH15, hiệu lực 01/01/2025 (sắp xếp nq-9-nq-ubtvqh15-20250101)"}
        assert get_data_version(s) == version_before + 2
    assert applied.transfers == 5 and applied.passed[("task", "xã Hai")] == 2


def test_a_renamed_upgraded_or_moved_unit_ends_and_a_successor_row_starts(engine):
    m = fresh_map(engine)
    with transaction(engine, write=True) as s:
        open_task = task(s, m["ubnd-an"], m["an"], m["Ba"])
        moving = task(s, m["ubnd-an"], m["an"], m["Một"])
    parsed = arrangement(
        unit_line(2, "Ba", "Ba", "upgraded", new_kind="phuong"),
        unit_line(3, "Một", "Một", "moved", new_locality="Thị xã Bình"),
        unit_line(4, "Hai", "Hai Mới", RENAMED),
    )
    _, applied = record_and_apply(engine, parsed)
    with transaction(engine) as s:
        new = {(u.name, u.kind): u for u in s.scalars(select(Unit).where(Unit.valid_from == EFFECTIVE))}
        assert set(new) == {("Ba", "phuong"), ("Một", "xa"), ("Hai Mới", "xa")}
        assert new[("Một", "xa")].locality_id == m["binh"]
        assert s.get(Task, open_task).unit_id == new[("Ba", "phuong")].id
        # A moved unit takes its open rows to its new district.
        assert (s.get(Task, moving).unit_id, s.get(Task, moving).locality_id) == (
            new[("Một", "xa")].id,
            m["binh"],
        )
        assert (
            s.scalar(select(func.count()).select_from(Unit).where(Unit.valid_to == date(2024, 12, 31))) == 3
        )
    assert applied.created["unit"] == 3 and applied.ended["unit"] == 3


def test_a_split_lists_the_rows_to_ask_about_and_follows_the_choices(engine):
    m = fresh_map(engine)
    with transaction(engine, write=True) as s:
        first, second = task(s, m["ubnd-an"], m["an"], m["Hai"]), task(s, m["ubnd-an"], m["an"], m["Hai"])
        building = project(s, m["Hai"])
    parsed = arrangement(unit_line(2, "Hai", "Hai Bắc", SPLIT), unit_line(3, "Hai", "Hai Nam", SPLIT))
    with transaction(engine, write=True) as s:
        arrangement_id = record_arrangement(s, OFFICE, parsed, NOW)
    with transaction(engine) as s:
        asked = split_rows(s, arrangement_id)
    assert [(r.entity, r.row_id) for r in asked] == [
        ("task", first),
        ("task", second),
        ("hq_project", building),
    ]
    options = asked[0].options
    assert [(o.value, o.label, o.main) for o in options] == [
        (-2, "xã Hai Bắc (Huyện An)", True),
        (-3, "xã Hai Nam (Huyện An)", False),
    ]
    assert {r.default for r in asked} == {-2}
    with transaction(engine, write=True) as s:
        apply_arrangement(s, OFFICE, arrangement_id, NOW, {("task", second): -3})
    with transaction(engine) as s:
        names = {u.id: u.name for u in s.scalars(select(Unit))}
        assert names[s.get(Task, first).unit_id] == "Hai Bắc"
        assert names[s.get(Task, second).unit_id] == "Hai Nam"
        assert names[s.get(HqProject, building).unit_id] == "Hai Bắc"
        links = {(names[x.to_id], x.main) for x in s.scalars(select(Succession))}
        assert links == {("Hai Bắc", True), ("Hai Nam", False)}


def test_a_district_ending_hands_its_agency_rows_to_the_new_units_and_their_own_ubnd(engine):
    """1/7/2025 in small: the district ends without successor; its units become new units standing
    on their own, which get a UBND and a Công an; the district UBND splits into theirs."""
    m = fresh_map(engine)
    with transaction(engine, write=True) as s:
        of_district = task(s, m["ubnd-an"], m["an"], None)
        of_unit = task(s, m["ubnd-an"], m["an"], m["Ba"])
        s.get(Agency, m["cat"]).name = "Công an tỉnh Bắc Giang"
        # The district UBND also cooperates on a task Công an tỉnh leads for xã Ba, and on a finished one.
        helped = task(s, m["cat"], m["an"], m["Ba"])
        helped_before = task(s, m["cat"], m["an"], m["Ba"], "hoan_thanh")
        for row_id in (helped, helped_before):
            s.execute(insert(task_cooperator).values(task_id=row_id, agency_id=m["ubnd-an"]))
    parsed = arrangement(
        unit_line(2, "Một", "Mới", MERGED, new_kind="phuong"),
        unit_line(3, "Hai", "Mới", MERGED, new_kind="phuong"),
        unit_line(4, "Ba", "Ba", MERGED, new_kind="xa"),
        Line(5, "locality", AN, "", ENDED),
        Line(6, "agency", "UBND huyện An", "UBND phường Mới", SPLIT, old_code="ubnd-an", main=True),
        Line(7, "agency", "UBND huyện An", "UBND xã Ba", SPLIT, old_code="ubnd-an"),
        effective=date(2025, 7, 1),
    )
    record_and_apply(engine, parsed)
    with transaction(engine) as s:
        created = {a.name: a for a in s.scalars(select(Agency).where(Agency.valid_from == date(2025, 7, 1)))}
        assert set(created) == {"UBND phường Mới", "Công an phường Mới", "UBND xã Ba", "Công an xã Ba"}
        police = created["Công an phường Mới"]
        assert (police.kind, police.superior, police.place, police.code) == (
            "cong_an",
            "Công an tỉnh Bắc Giang",
            "Mới",
            "ca-p-moi",
        )
        new_ba = s.scalar(select(Unit).where(Unit.name == "Ba", Unit.valid_from == date(2025, 7, 1)))
        assert created["UBND xã Ba"].unit_id == new_ba.id and new_ba.locality_id == m["an"]
        # The district's own task goes to the seat's UBND and takes its unit; the district stays its group.
        row = s.get(Task, of_district)
        mới = created["UBND phường Mới"]
        assert (row.lead_agency_id, row.unit_id, row.locality_id) == (mới.id, mới.unit_id, m["an"])
        # A task of a unit goes to the UBND of the unit it passes to.
        row = s.get(Task, of_unit)
        assert (row.lead_agency_id, row.unit_id, row.locality_id) == (
            created["UBND xã Ba"].id,
            new_ba.id,
            m["an"],
        )

        # The cooperating district UBND is replaced by the UBND of the task's new unit, with a transfer;
        # on the task finished before 1/7/2025 it stays.
        def cooperators(task_id):
            return set(
                s.scalars(select(task_cooperator.c.agency_id).where(task_cooperator.c.task_id == task_id))
            )

        assert cooperators(helped) == {created["UBND xã Ba"].id}
        assert cooperators(helped_before) == {m["ubnd-an"]}
        assert s.get(Task, helped).version == 2 and s.get(Task, helped_before).version == 1
        coop = s.execute(
            select(Transfer.row_id, Transfer.old_value, Transfer.new_value).where(
                Transfer.field == "cooperator"
            )
        ).all()
        assert coop == [(helped, m["ubnd-an"], created["UBND xã Ba"].id)]


def test_a_registration_joining_one_of_the_same_year_is_marked_merged_not_duplicated(engine):
    m = fresh_map(engine)
    with transaction(engine, write=True) as s:
        kept, joining = ward(s, m["Hai"], 2025), ward(s, m["Một"], 2025)
    record_and_apply(engine, arrangement(unit_line(2, "Một", "Hai", MERGED)))
    with transaction(engine) as s:
        row = s.get(ModelWard, joining)
        assert (row.unit_id, row.lifecycle, row.merged_into_id) == (m["Một"], "merged", kept)


# --- refusals: the line named, nothing written ---------------------------------------------------


def refused(engine, parsed, *, apply_existing: int | None = None) -> str:
    before = snapshot(engine)
    with pytest.raises(ArrangementRefused) as caught, transaction(engine, write=True) as s:
        if apply_existing is not None:
            apply_arrangement(s, OFFICE, apply_existing, NOW)
        else:
            apply_arrangement(s, OFFICE, record_arrangement(s, OFFICE, parsed, NOW), NOW)
    assert snapshot(engine) == before
    return caught.value.message


def test_an_unknown_old_body_is_refused_naming_its_line(engine):
    fresh_map(engine)
    message = refused(
        engine, arrangement(unit_line(2, "Hai", "Hai", SAME), unit_line(3, "Chín", "Hai", MERGED))
    )
    assert message == "Dòng 3: không có xã Chín (Huyện An) còn hiệu lực ngày 31/12/2024."


def test_a_body_mapped_twice_is_refused(engine):
    fresh_map(engine)
    message = refused(
        engine, arrangement(unit_line(2, "Một", "Hai", MERGED), unit_line(4, "Một", "Ba", MERGED))
    )
    assert message.startswith("Dòng 4: xã Một (Huyện An) đã được ánh xạ ở dòng 2")


def test_a_loop_is_refused(engine):
    fresh_map(engine)
    message = refused(
        engine, arrangement(unit_line(2, "Một", "Hai", RENAMED), unit_line(3, "Hai", "Một", RENAMED))
    )
    assert message.startswith("Dòng 3: ánh xạ tạo thành vòng lặp: Một → Hai → Một")


def test_an_effective_date_before_the_old_body_existed_is_refused(engine):
    fresh_map(engine, extra_units=[("Sáu", "xa", AN, date(2025, 6, 1))])
    message = refused(engine, arrangement(unit_line(2, "Sáu", "Hai", MERGED), effective=date(2025, 3, 1)))
    assert (
        message
        == "Dòng 2: ngày hiệu lực 01/03/2025 trước khi xã Sáu (Huyện An) bắt đầu tồn tại (01/06/2025)."
    )


def test_a_new_body_named_before_it_exists_is_refused(engine):
    fresh_map(engine, extra_units=[("Bảy", "xa", AN, date(2025, 6, 1))])
    message = refused(engine, arrangement(unit_line(2, "Một", "Bảy", MERGED), effective=date(2025, 3, 1)))
    assert (
        message
        == "Dòng 2: xã Bảy (Huyện An) chỉ bắt đầu tồn tại từ 01/06/2025, sau ngày hiệu lực 01/03/2025."
    )


def test_a_resolution_applied_twice_is_refused(engine):
    fresh_map(engine)
    parsed = arrangement(unit_line(2, "Một", "Hai", MERGED))
    arrangement_id, _ = record_and_apply(engine, parsed)
    assert "đã được áp dụng" in refused(engine, parsed, apply_existing=arrangement_id)
    again = arrangement(unit_line(2, "Ba", "Hai", MERGED))  # same resolution and day, other lines
    assert refused(engine, again).startswith(
        "Nghị quyết “NQ 9/NQ-UBTVQH15” hiệu lực 01/01/2025 đã được áp dụng"
    )


def test_a_draft_that_no_longer_fits_the_map_is_refused_whole_when_applied(engine):
    fresh_map(engine)
    with transaction(engine, write=True) as s:
        draft = record_arrangement(
            s, OFFICE, arrangement(unit_line(2, "Một", "Hai", MERGED), unit_line(3, "Ba", "Hai", MERGED)), NOW
        )
    # Meanwhile Ba merged into Hai by another resolution taking effect the same day.
    record_and_apply(engine, arrangement(unit_line(2, "Ba", "Hai", MERGED), resolution="NQ 10/NQ-UBTVQH15"))
    assert refused(engine, None, apply_existing=draft) == (
        "Dòng 3: xã Ba (Huyện An) đã kết thúc ngày 31/12/2024 theo một sắp xếp khác; "
        "một đơn vị chỉ được ánh xạ một lần."
    )


def test_only_the_office_records_or_applies(engine):
    fresh_map(engine)
    with pytest.raises(PermissionDenied), transaction(engine, write=True) as s:
        record_arrangement(s, LEADER, arrangement(unit_line(2, "Một", "Hai", MERGED)), NOW)
