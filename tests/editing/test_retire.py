"""Retiring rows through the engine (stop, cancel, merge; nothing is deleted), putting them back with a
revert, and undoing a creation: the same version check, scope and audit as every edit."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from lib.core import rules
from lib.core.roles import PermissionDenied, Refused
from lib.data.db import transaction
from lib.data.models import Agency, AuditEvent, HqProject, Locality, ModelWard, Task, Unit
from lib.editing import actions, changeset, history
from lib.editing.changeset import HQ, TASKS, WARDS, ConflictError, RowChange, ValidationFailed, retire_row
from lib.editing.creation import NEW_HQ, NEW_TASK, NEW_WARD, NewRow, create_rows
from lib.ops.seed import seed_demo
from tests.support.edit_machinery import actor

NOW = datetime(2026, 11, 29, 10, 0)
TODAY = date(2026, 11, 29)


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def rows_of(engine, model, locality, **where):
    with transaction(engine) as s:
        stmt = (
            select(model)
            .join(Unit, Unit.id == model.unit_id)
            .join(Locality, Locality.id == Unit.locality_id)
            .where(Locality.code == locality)
            .order_by(model.id)
        )
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return list(s.scalars(stmt))


def get(engine, model, row_id):
    with transaction(engine) as s:
        return s.get(model, row_id)


def retire(engine, who, spec, row, **kw):
    kw = {"lifecycle": "stopped", "document": "12/QĐ-UBND", "reason": "Dừng theo chỉ đạo"} | kw
    return actions.perform(
        engine, actor(engine, who), retire_row, spec, row.id, row.version, now=NOW, today=TODAY, **kw
    )


def events_after(engine, after):
    with transaction(engine) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)))


def last_id(engine):
    with transaction(engine) as s:
        return int(s.scalar(select(func.max(AuditEvent.id))) or 0)


def snapshot(engine, model):
    with transaction(engine) as s:
        return [tuple(r) for r in s.execute(select(model.__table__).order_by(model.id))]


def test_a_coordinator_stops_a_project_with_a_document_and_a_reason(demo):
    row = rows_of(demo, HqProject, "viet-yen")[0]
    start = last_id(demo)
    result = retire(demo, "dp.vietyen", HQ, row, document="  45/QĐ-UBND ", reason=" Chưa bố trí được vốn ")
    assert result.versions == {row.id: row.version + 1}
    saved = get(demo, HqProject, row.id)
    assert (saved.lifecycle, saved.lifecycle_doc, saved.merged_into_id, saved.version, saved.updated_by) == (
        "stopped",
        "45/QĐ-UBND",
        None,
        row.version + 1,
        "dp.vietyen",
    )
    assert saved.planned_vnd == row.planned_vnd  # nothing else moves
    trail = [
        (e.action, e.field, e.old_value, e.new_value, e.reason, e.row_version)
        for e in events_after(demo, start)
    ]
    assert trail == [
        ("retire", "lifecycle", "active", "stopped", "Chưa bố trí được vốn", row.version + 1),
        ("retire", "lifecycle_doc", "", "45/QĐ-UBND", "Chưa bố trí được vốn", row.version + 1),
    ]


@pytest.mark.parametrize(
    ("kw", "field_label", "message"),
    [
        ({"reason": "  "}, "Lý do", "không được để trống"),
        ({"reason": "a\x00b"}, "Lý do", "ký tự điều khiển"),
        ({"document": ""}, "Văn bản dừng/hủy/gộp", "phải ghi số văn bản"),
        ({"document": "x" * 201}, "Văn bản dừng/hủy/gộp", "tối đa 200"),
        ({"lifecycle": "active"}, "Trạng thái theo dõi", "chọn Dừng, Hủy bỏ hoặc Gộp"),
        ({"lifecycle": "deleted"}, "Trạng thái theo dõi", "không thuộc các giá trị cho phép"),
        ({"lifecycle": "merged"}, "Gộp vào mã", "phải chọn dự án được gộp vào"),
        ({"lifecycle": "stopped", "merged_into": 1}, "Gộp vào mã", "chỉ dự án gộp vào dự án khác"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_a_retirement_without_what_it_needs_names_the_field_and_writes_nothing(
    demo, kw, field_label, message
):
    row = rows_of(demo, HqProject, "bac-giang")[0]
    before = snapshot(demo, HqProject)
    with pytest.raises(ValidationFailed) as caught:
        retire(demo, "dp.bacgiang", HQ, row, **kw)
    assert any(e.label == field_label and message in e.message for e in caught.value.errors), (
        caught.value.errors
    )
    assert snapshot(demo, HqProject) == before
    last = events_after(demo, last_id(demo) - 1)[0]
    assert (last.action, last.actor, last.entity) == ("refused_invalid", "dp.bacgiang", "hq_project")


def test_a_merge_names_a_followed_row_of_the_same_locality(demo):
    first, second, third = rows_of(demo, HqProject, "bac-giang")[:3]
    other = rows_of(demo, HqProject, "viet-yen")[0]
    for target, message in (
        (first.id, "không gộp một dự án vào chính nó"),
        (other.id, "thuộc địa bàn khác"),
        (999_999, "không có dự án mã 999999"),
    ):
        with pytest.raises(ValidationFailed, match=message):
            retire(demo, "vanphong", HQ, first, lifecycle="merged", merged_into=target)
    retire(demo, "dp.bacgiang", HQ, second, lifecycle="merged", merged_into=third.id)
    assert get(demo, HqProject, second.id).merged_into_id == third.id
    with pytest.raises(ValidationFailed, match="không còn được theo dõi"):  # into a merged row: no chains
        retire(demo, "vanphong", HQ, first, lifecycle="merged", merged_into=second.id)
    retire(demo, "vanphong", HQ, first, lifecycle="merged", merged_into=third.id)


def test_a_project_with_money_paid_out_is_stopped_not_cancelled(demo):
    paid = next(r for r in rows_of(demo, HqProject, "bac-giang") if r.disbursed_vnd > 0)
    with pytest.raises(ValidationFailed, match="không hủy bỏ được: chọn “Dừng”"):
        retire(demo, "dp.bacgiang", HQ, paid, lifecycle="cancelled")
    # Lục Ngạn's open projects passed to thị xã Chũ; Việt Yên still has one with nothing paid out.
    unpaid = next(r for r in rows_of(demo, HqProject, "viet-yen") if r.disbursed_vnd == 0)
    retire(demo, "dp.vietyen", HQ, unpaid, lifecycle="cancelled")
    cancelled = get(demo, HqProject, unpaid.id)
    with pytest.raises(ValidationFailed, match="dự án đã hủy bỏ không có số đã giải ngân"):
        actions.perform(
            demo,
            actor(demo, "vanphong"),
            changeset.apply_changes,
            HQ,
            [
                RowChange(
                    unpaid.id, cancelled.version, {"planned_vnd": 10, "allocated_vnd": 10, "disbursed_vnd": 1}
                )
            ],
            now=NOW,
            today=TODAY,
        )


@pytest.mark.parametrize(
    ("who", "spec", "values", "message"),
    [
        ("dp.bacgiang", HQ, {"lifecycle": "stopped", "lifecycle_doc": "1/QĐ"}, "chỉ đổi được bằng thao tác"),
        ("vanphong", HQ, {"merged_into_id": 3}, "chỉ đổi được bằng thao tác"),
        ("vanphong", WARDS, {"lifecycle": "cancelled"}, "chỉ đổi được bằng thao tác"),
    ],
)
def test_the_lifecycle_is_never_written_by_a_plain_edit(demo, who, spec, values, message):
    row = rows_of(demo, spec.model, "bac-giang")[0]
    before = snapshot(demo, spec.model)
    with pytest.raises(PermissionDenied, match=message):
        actions.perform(
            demo,
            actor(demo, who),
            changeset.apply_changes,
            spec,
            [RowChange(row.id, row.version, values)],
            now=NOW,
            today=TODAY,
        )
    assert snapshot(demo, spec.model) == before


def test_a_retirement_changes_the_lifecycle_only(demo):
    row = rows_of(demo, HqProject, "bac-giang")[0]
    with pytest.raises(PermissionDenied, match="không sửa cột “Dự toán"):
        actions.perform(
            demo,
            actor(demo, "vanphong"),
            changeset.apply_changes,
            HQ,
            [
                RowChange(
                    row.id, row.version, {"lifecycle": "stopped", "lifecycle_doc": "1", "planned_vnd": 0}
                )
            ],
            now=NOW,
            today=TODAY,
            action="retire",
            reason="x",
        )
    with pytest.raises(PermissionDenied, match="Không dừng, hủy bỏ hay gộp được nhiệm vụ"):
        with transaction(demo) as s:
            task = s.scalar(select(Task).limit(1))
        retire(demo, "vanphong", TASKS, task)


def test_a_stale_retirement_is_a_conflict_and_writes_nothing(demo):
    row = rows_of(demo, HqProject, "bac-giang")[0]
    actions.perform(
        demo,
        actor(demo, "vanphong"),
        changeset.apply_changes,
        HQ,
        [RowChange(row.id, row.version, {"notes": "người khác sửa"})],
        now=NOW,
        today=TODAY,
    )
    before = snapshot(demo, HqProject)
    with pytest.raises(ConflictError):
        retire(demo, "dp.bacgiang", HQ, row)  # the version seen before the other save
    assert snapshot(demo, HqProject) == before


def test_a_revert_puts_a_retired_row_back_and_rebuilds_its_versions(demo):
    row = rows_of(demo, ModelWard, "viet-yen")[0]
    target = rows_of(demo, ModelWard, "viet-yen")[1]
    retire(demo, "dp.vietyen", WARDS, row, lifecycle="merged", merged_into=target.id, document="9/TB")
    with transaction(demo) as s:
        version, values = history.values_at_version(s, WARDS, row.id, row.version)
    assert version == row.version + 1
    assert (values["lifecycle"], values["lifecycle_doc"], values["merged_into_id"]) == ("active", "", None)
    actions.perform(
        demo, actor(demo, "dp.vietyen"), history.revert_row, WARDS, row.id, row.version, now=NOW, today=TODAY
    )
    back = get(demo, ModelWard, row.id)
    assert (back.lifecycle, back.lifecycle_doc, back.merged_into_id, back.version) == (
        "active",
        "",
        None,
        row.version + 2,
    )
    # … and reverting the revert retires it again, checking the merge target once more.
    actions.perform(
        demo,
        actor(demo, "vanphong"),
        history.revert_row,
        WARDS,
        row.id,
        row.version + 1,
        now=NOW,
        today=TODAY,
    )
    assert get(demo, ModelWard, row.id).merged_into_id == target.id


def test_a_revert_into_a_merge_whose_target_is_gone_is_refused(demo):
    row, target, third = rows_of(demo, HqProject, "bac-giang")[:3]
    retire(demo, "vanphong", HQ, row, lifecycle="merged", merged_into=target.id)
    actions.perform(
        demo, actor(demo, "vanphong"), history.revert_row, HQ, row.id, row.version, now=NOW, today=TODAY
    )
    retire(demo, "vanphong", HQ, get(demo, HqProject, target.id), lifecycle="merged", merged_into=third.id)
    with pytest.raises(ValidationFailed, match="không còn được theo dõi"):
        actions.perform(
            demo,
            actor(demo, "vanphong"),
            history.revert_row,
            HQ,
            row.id,
            row.version + 1,
            now=NOW,
            today=TODAY,
        )


def create(engine, who, spec, values):
    return actions.perform(
        engine,
        actor(engine, who),
        create_rows,
        spec,
        [NewRow(values)],
        now=NOW,
        today=TODAY,
        confirm_similar=True,
    ).rows[0]


def free_unit(engine, locality, wards_only=False):
    with transaction(engine) as s:
        stmt = (
            select(Unit.id)
            .join(Locality)
            .where(
                Locality.code == locality,
                Unit.valid_to.is_(None),  # a phường, xã of today: those of the old map ended in 2025
                Unit.id.not_in(select(ModelWard.unit_id)),
            )
            .order_by(Unit.id)
        )
        if wards_only:
            stmt = stmt.where((Unit.kind == "phuong") | Unit.becomes_phuong_2025)
        return s.scalar(stmt.limit(1))


def test_undoing_a_creation_retires_the_new_row(demo):
    project = create(
        demo, "dp.lucngan", NEW_HQ, {"unit_id": free_unit(demo, "luc-ngan"), "planned_vnd": "100"}
    )
    ward = create(
        demo,
        "dp.bacgiang",
        NEW_WARD,
        {"unit_id": free_unit(demo, "bac-giang", True), "year_registered": 2027},
    )
    with transaction(demo) as s:
        cat = s.scalar(select(Agency.id).where(Agency.code == "cat-bn"))  # Công an tỉnh Bắc Ninh
        doc = s.scalar(select(Task.document_id).limit(1))
    task = create(
        demo, "vanphong", NEW_TASK, {"title": "Việc mới", "document_id": doc, "lead_agency_id": cat}
    )
    start = last_id(demo)
    for who, spec, row_id in (
        ("dp.lucngan", HQ, project),
        ("dp.bacgiang", WARDS, ward),
        ("vanphong", TASKS, task),
    ):
        actions.perform(
            demo,
            actor(demo, who),
            history.revert_row,
            spec,
            row_id,
            history.BEFORE_CREATION,
            now=NOW,
            today=TODAY,
        )
    assert get(demo, HqProject, project).lifecycle == "cancelled"
    assert get(demo, ModelWard, ward).lifecycle == "cancelled"
    assert get(demo, Task, task).state == "huy"
    assert {(e.action, e.row_id, e.field, e.new_value) for e in events_after(demo, start)} == {
        ("revert", project, "lifecycle", "cancelled"),
        ("revert", ward, "lifecycle", "cancelled"),
        ("revert", task, "state", "huy"),
    }
    with pytest.raises(Refused, match="đã được hủy"):
        actions.perform(
            demo, actor(demo, "vanphong"), history.revert_row, HQ, project, 0, now=NOW, today=TODAY
        )
    # A cancelled creation comes back with an ordinary revert to version 1.
    actions.perform(demo, actor(demo, "vanphong"), history.revert_row, HQ, project, 1, now=NOW, today=TODAY)
    assert get(demo, HqProject, project).lifecycle == "active"


def test_only_a_creation_made_here_is_undone_and_only_by_who_may_create(demo):
    seeded = rows_of(demo, HqProject, "bac-giang")[0]
    with pytest.raises(Refused, match="không được tạo trong ứng dụng"):
        actions.perform(
            demo, actor(demo, "vanphong"), history.revert_row, HQ, seeded.id, 0, now=NOW, today=TODAY
        )
    with transaction(demo) as s:
        task = s.scalar(
            select(Task)
            .join(Locality)
            .where(Locality.code == "luc-ngan", Task.state == "dang_thuc_hien")
            .limit(1)
        )
        doc, lead, loc = task.document_id, task.lead_agency_id, task.locality_id
    made = create(
        demo,
        "vanphong",
        NEW_TASK,
        {"title": "Nhiệm vụ mới", "document_id": doc, "lead_agency_id": lead, "locality_id": loc},
    )
    with pytest.raises(PermissionDenied, match="không hoàn tác được việc tạo nhiệm vụ"):
        actions.perform(
            demo, actor(demo, "dp.lucngan"), history.revert_row, TASKS, made, 0, now=NOW, today=TODAY
        )
    assert get(demo, Task, made).state == "chua_trien_khai"


def test_lifecycle_labels_are_the_models_lifecycles():
    from lib.data.models import LIFECYCLES

    assert tuple(rules.LIFECYCLE_LABELS) == LIFECYCLES
    assert set(rules.RETIRED_LIFECYCLES) | {rules.LIFECYCLE_ACTIVE} == set(LIFECYCLES)
    assert set(rules.MONEY_LIFECYCLES) == set(LIFECYCLES) - {rules.LIFECYCLE_CANCELLED}
