"""New rows through the engine: typed, in scope, checked, audited, created once per submission."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from lib.core.roles import PermissionDenied
from lib.data.db import transaction
from lib.data.models import Agency, AuditEvent, Document, HqProject, Locality, Task, Unit
from lib.editing import actions
from lib.editing.changeset import ValidationFailed
from lib.editing.creation import NEW_HQ, NEW_TASK, LooksLikeExisting, NewRow, create_rows
from lib.ops.seed import seed_demo
from tests.support.edit_machinery import actor

NOW = datetime(2026, 11, 29, 10, 0)
TODAY = date(2026, 11, 29)


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def ids(engine):
    with transaction(engine) as s:
        agency = {a.code: a.id for a in s.scalars(select(Agency))}
        locality = {loc.code: loc.id for loc in s.scalars(select(Locality))}
        document = {d.code: d.id for d in s.scalars(select(Document))}
        units = {u.name: u.id for u in s.scalars(select(Unit))}
    return agency, locality, document, units


def add(engine, who, spec, rows, **kw):
    return actions.perform(engine, actor(engine, who), create_rows, spec, rows, now=NOW, today=TODAY, **kw)


def test_the_office_assigns_one_content_to_two_addressees_once_however_often_it_is_submitted(demo):
    agency, locality, document, _ = ids(demo)
    rows = [
        NewRow(
            {
                "title": "Rà soát quỹ đất trụ sở Công an phường năm 2027",
                "document_id": document["cv-ubnd-2024"],
                "lead_agency_id": agency[lead],
                "locality_id": locality[loc],
                "original_deadline": "30/06/2027",
                "cooperators": [agency["snnmt"], agency["sxd"]],
            },
            position=i + 1,
        )
        # The UBNDs of a xã and a phường of today (the district level ended on 1/7/2025).
        for i, (lead, loc) in enumerate((("ubnd-x-luc-ngan", "luc-ngan"), ("ubnd-p-viet-yen", "viet-yen")))
    ]
    first = add(demo, "vanphong", NEW_TASK, rows, creation_key="form-1")
    again = add(demo, "vanphong", NEW_TASK, rows, creation_key="form-1")
    assert len(first.rows) == 2 and again.rows == first.rows
    with transaction(demo) as s:
        made = s.scalars(select(Task).where(Task.id.in_(first.rows)).order_by(Task.id)).all()
        assert [t.current_deadline for t in made] == [date(2027, 6, 30)] * 2
        assert [t.state for t in made] == ["chua_trien_khai"] * 2
        assert sorted(a.code for a in made[0].cooperators) == ["snnmt", "sxd"]
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "create", AuditEvent.row_id.in_(first.rows))
        ).all()
        assert {e.row_id for e in events} == set(first.rows)
        assert {e.field for e in events} >= {"title", "document_id", "lead_agency_id", "cooperators"}
    with pytest.raises(LooksLikeExisting) as caught:  # the same content again, under a new key
        add(demo, "vanphong", NEW_TASK, rows[:1], creation_key="form-2")
    assert str(first.rows[0]) in caught.value.message


def test_a_bad_new_task_names_each_field_and_writes_nothing(demo):
    agency, _, document, _ = ids(demo)
    with transaction(demo) as s:
        before = s.scalar(select(func.count()).select_from(Task))
    bad = NewRow(
        {
            "title": "  ",
            "document_id": document["30-da-bca"],
            "lead_agency_id": 99999,
            "original_deadline": "01/01/2023",
        },
        position=4,
        cell={"lead_agency_id": "E4"},
    )
    with pytest.raises(ValidationFailed) as caught:
        add(demo, "vanphong", NEW_TASK, [bad])
    message = caught.value.message
    assert "Dòng 4, cột “Nội dung nhiệm vụ”: không được để trống." in message
    assert "cột “Cơ quan chủ trì”: ô E4: không có trong danh mục" in message
    with transaction(demo) as s:
        assert s.scalar(select(func.count()).select_from(Task)) == before
    late = NewRow(
        {
            "title": "Việc mới",
            "document_id": document["30-da-bca"],
            "lead_agency_id": agency["cat-bn"],
            "original_deadline": "01/01/2023",
        }
    )
    with pytest.raises(ValidationFailed, match="trước ngày của văn bản giao \\(07/11/2023\\)"):
        add(demo, "vanphong", NEW_TASK, [late])


def test_a_coordinator_adds_a_project_for_their_own_units_only(demo):
    _, _, _, units = ids(demo)
    with transaction(demo) as s:
        free = s.scalar(
            select(Unit.id)
            .join(Locality)
            .where(
                Locality.code == "luc-ngan",
                Unit.valid_to.is_(None),  # a xã of today: those of the old map ended in 2025
                Unit.id.not_in(select(HqProject.unit_id)),
            )
            .order_by(Unit.id)
            .limit(1)
        )
    made = add(
        demo, "dp.lucngan", NEW_HQ, [NewRow({"unit_id": free, "planned_vnd": "5000000000"})], creation_key="k"
    )
    with transaction(demo) as s:
        project = s.get(HqProject, made.rows[0])
        assert (project.planned_vnd, project.stage, project.lifecycle) == (
            5_000_000_000,
            "chua_bo_tri_dat",
            "active",
        )
    with pytest.raises(PermissionDenied, match="mình phụ trách"):
        add(demo, "dp.lucngan", NEW_HQ, [NewRow({"unit_id": units["Yên Dũng"]})])  # phường, Bắc Giang
    with pytest.raises(PermissionDenied, match="không được thêm nhiệm vụ"):
        add(demo, "dp.lucngan", NEW_TASK, [NewRow({"title": "x"})])


def test_a_new_task_led_by_a_body_that_ended_is_refused_unless_it_was_finished_before_the_end(demo):
    agency, locality, document, _ = ids(demo)
    task = {
        "title": "Rà soát quỹ đất trụ sở Công an xã, thị trấn",
        "document_id": document["cv-ubnd-2024"],
        "lead_agency_id": agency["ubnd-luc-ngan"],  # UBND huyện Lục Ngạn, ended on 30/06/2025
        "locality_id": locality["luc-ngan"],
        "original_deadline": "31/12/2024",
    }
    with transaction(demo) as s:
        before = s.scalar(select(func.count()).select_from(Task))
        trail = s.scalar(select(func.max(AuditEvent.id)))
    with pytest.raises(ValidationFailed) as caught:
        add(demo, "vanphong", NEW_TASK, [NewRow(task)])
    assert caught.value.message == (
        "Không lưu vì có ô không hợp lệ: Cột “Cơ quan chủ trì”: “UBND huyện Lục Ngạn” đã kết thúc "
        "hoạt động từ 01/07/2025 (sắp xếp tổ chức); chọn cơ quan, đơn vị kế tục."
    )
    with transaction(demo) as s:
        assert s.scalar(select(func.count()).select_from(Task)) == before
        # The trail holds the refusal only: no "create" event.
        since = s.execute(select(AuditEvent.action, AuditEvent.reason).where(AuditEvent.id > trail)).all()
        assert [tuple(e) for e in since] == [("refused_invalid", caught.value.message)]
    # The same task finished on 10/12/2024, while the district still stood: history entered late.
    done = task | {"state": "hoan_thanh", "completed_on": "10/12/2024", "result_doc": "215/BC-UBND"}
    made = add(demo, "vanphong", NEW_TASK, [NewRow(done)])
    with transaction(demo) as s:
        row = s.get(Task, made.rows[0])
        assert (row.lead_agency_id, row.state, row.completed_on) == (
            agency["ubnd-luc-ngan"],
            "hoan_thanh",
            date(2024, 12, 10),
        )
        assert s.scalar(select(func.count()).select_from(Task)) == before + 1
