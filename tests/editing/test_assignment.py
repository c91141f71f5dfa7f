"""“Giao nhiệm vụ”: one content of a document to N addressees, once, checked row by row, audited."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from lib.core.filters import Filters
from lib.core.roles import PermissionDenied, Refused
from lib.data import queries
from lib.data.db import transaction
from lib.data.models import Agency, AuditEvent, Document, Duty, Locality, Task, Unit
from lib.editing import actions
from lib.editing.assignment import MAX_ADDRESSEES, Addressee, LooksAssigned, assign
from lib.editing.changeset import ValidationFailed
from lib.editing.creation import LooksLikeExisting
from lib.editing.registers import create_document, retire_agency
from lib.ops import duties
from lib.ops.seed import seed_demo
from tests.support.edit_machinery import actor

NOW = datetime(2026, 12, 2, 10, 0)
TODAY = date(2026, 12, 2)
# One UBND of today (a xã or phường formed on 1/7/2025) in each locality; Yên Dũng joined Bắc Giang.
UBNDS = {
    "luc-ngan": "ubnd-x-luc-ngan",
    "chu": "ubnd-p-chu",
    "viet-yen": "ubnd-p-viet-yen",
    "bac-giang": "ubnd-p-bac-giang",
}
PLACES = tuple(UBNDS)
CONTENT = "Rà soát quỹ đất xây dựng trụ sở Công an phường giai đoạn 2027–2030"


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def ids(engine):
    with transaction(engine) as s:
        agency = {a.code: a.id for a in s.scalars(select(Agency))}
        locality = {loc.code: loc.id for loc in s.scalars(select(Locality))}
    return agency, locality


@pytest.fixture
def plan(demo):
    """A plan of Công an tỉnh entered on /van-ban, dated 25/11/2026."""
    values = {
        "number": "215/KH-CAT",
        "issued_on": date(2026, 11, 25),
        "issuer": "Công an tỉnh Bắc Ninh",
        "kind": "ke_hoach",
        "title": "Kế hoạch rà soát quỹ đất trụ sở Công an phường",
    }
    return actions.perform(
        demo, actor(demo, "vanphong"), create_document, values=values, now=NOW, today=TODAY
    )


def give(engine, document_id, addressees, who="vanphong", title=CONTENT, **kwargs):
    kwargs.setdefault("creation_key", "form-1")
    return actions.perform(
        engine, actor(engine, who), assign, document_id, title, addressees, now=NOW, today=TODAY, **kwargs
    )


def four_ubnd(engine, **more):
    agency, _ = ids(engine)
    return [Addressee(agency[UBNDS[p]], cooperators=[agency["snnmt"]], **more) for p in PLACES]


def task_count(engine):
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(Task))


def test_one_content_reaches_the_four_localities_once_however_often_it_is_sent(demo, plan):
    rows = four_ubnd(demo, deadline="30/06/2027", expected_product="Báo cáo rà soát quỹ đất")
    first = give(demo, plan, rows)
    assert len(first.tasks) == 4 and not first.duties and not first.repeated
    again = give(demo, plan, rows)  # a double click, a resubmitted form: the same key
    assert again.repeated and again.tasks == first.tasks
    with transaction(demo) as s:
        code = s.get(Document, plan).code
        tasks = queries.list_tasks(s, Filters(assigning=(code,)), TODAY, 30, offset=0, limit=50)
        assert queries.count_tasks(s, Filters(assigning=(code,)), TODAY, 30) == 4
        made = s.scalars(select(Task).where(Task.id.in_(first.tasks)).order_by(Task.id)).all()
        # Each UBND's task counts for its own locality (taken from the agency when not given).
        assert [t.locality.code for t in made] == list(PLACES)
        assert {t.expected_product for t in made} == {"Báo cáo rà soát quỹ đất"}
        assert (
            {t.original_deadline for t in made} == {t.current_deadline for t in made} == {date(2027, 6, 30)}
        )
        assert [a.code for a in made[0].cooperators] == ["snnmt"]
        reasons = set(
            s.scalars(
                select(AuditEvent.reason).where(
                    AuditEvent.action == "create",
                    AuditEvent.entity == "task",
                    AuditEvent.row_id.in_(first.tasks),
                )
            )
        )
    assert sorted(t["id"] for t in tasks) == sorted(first.tasks)
    assert {t["locality"] for t in tasks} == {
        "Huyện Lục Ngạn",
        "Thị xã Chũ",
        "Thị xã Việt Yên",
        "Thành phố Bắc Giang",
    }
    assert reasons == {"Giao theo văn bản 215/KH-CAT"}
    # The same content again, from a new form: a warning that names the existing rows.
    with pytest.raises(LooksLikeExisting) as caught:
        give(demo, plan, rows[:1], creation_key="form-2")
    assert (
        f"dòng 1: giống nhiệm vụ mã {first.tasks[0]} “{CONTENT}” của UBND xã Lục Ngạn" in caught.value.message
    )
    assert "hạn 30/06/2027" in caught.value.message
    before = task_count(demo)
    confirmed = give(demo, plan, rows[:1], creation_key="form-2", confirm_similar=True)  # "Vẫn thêm"
    assert len(confirmed.tasks) == 1 and task_count(demo) == before + 1


def test_a_recurring_duty_is_stored_per_addressee_for_the_generator(demo, plan):
    calls = []

    def generator(s, who, duty_ids, today, now):
        calls.append((who.username, list(duty_ids), today))
        return ()

    agency, locality = ids(demo)
    rows = [
        Addressee(agency["cat-bn"], recurrence="hang_nam", expected_product="Báo cáo năm"),
        Addressee(agency["ubnd-p-viet-yen"], recurrence="hang_quy", cooperators=[agency["cat-bn"]]),
        Addressee(agency["ubnd-p-bac-giang"], deadline=date(2027, 3, 31)),
    ]
    before = task_count(demo)
    made = give(demo, plan, rows, generate=generator)
    assert len(made.duties) == 2 and len(made.tasks) == 1
    assert calls == [("vanphong", list(made.duties), TODAY)]
    assert task_count(demo) == before + 1
    with transaction(demo) as s:
        duties = s.scalars(select(Duty).where(Duty.id.in_(made.duties)).order_by(Duty.id)).all()
        assert [(d.recurrence, d.due_month, d.due_day) for d in duties] == [
            ("hang_nam", 12, 15),
            ("hang_quy", 3, 15),
        ]
        assert [(d.first_year, d.last_year) for d in duties] == [(2026, 2030)] * 2
        assert duties[0].locality_id is None and duties[1].locality_id == locality["viet-yen"]
        assert [a.code for a in duties[1].cooperators] == ["cat-bn"]
        assert {d.title for d in duties} == {f"{CONTENT} ({{period}})"} and duties[
            0
        ].expected_product == "Báo cáo năm"
        fields = set(
            s.scalars(
                select(AuditEvent.field).where(AuditEvent.entity == "duty", AuditEvent.row_id == duties[0].id)
            )
        )
        assert {"title", "lead_agency_id", "recurrence", "due_month", "creation_key"} <= fields
    again = give(demo, plan, rows, generate=generator)
    assert again.repeated and again.duties == made.duties and again.tasks == made.tasks
    with pytest.raises(LooksLikeExisting, match=f"giống nhiệm vụ định kỳ mã {made.duties[0]} .* \\(hằng năm"):
        give(demo, plan, rows[:1], creation_key="form-3")
    with transaction(demo, write=True) as s:  # the demo can still be reset, duties and all
        seed_demo(s, history=False)
    with transaction(demo) as s:
        assert not s.scalars(select(Duty.id).where(Duty.id.in_(made.duties))).all()


def test_every_bad_row_is_named_by_row_and_field_and_nothing_is_written(demo, plan):
    agency, locality = ids(demo)
    with transaction(demo) as s:
        bac_giang_unit = s.scalar(
            select(Unit.id)
            .join(Locality)
            .where(Locality.code == "bac-giang", Unit.valid_to.is_(None))  # a phường, xã of today
            .order_by(Unit.id)
            .limit(1)
        )
    rows = [
        Addressee(agency["ubnd-x-luc-ngan"], deadline="30/06/2027"),  # fine
        Addressee(987654, deadline="30/06/2027"),  # unknown agency
        Addressee(agency["ubnd-p-yen-dung"], deadline="01/11/2026"),  # before the plan's date
        Addressee(agency["ubnd-p-viet-yen"]),  # neither a deadline nor a recurrence
        Addressee(
            agency["sxd"], locality_id=locality["luc-ngan"], unit_id=bac_giang_unit, deadline="30/06/2027"
        ),
        Addressee(agency["cat-bn"], recurrence="hang_tuan"),
        Addressee(agency["snv"], recurrence="hang_nam", deadline="15/12/2027"),
        Addressee(agency["stc"], cooperators=[agency["stc"]], deadline="31/13/2027"),
        # Bodies that ended in the 2025 reorganisations: their successors take new tasks.
        Addressee(agency["ubnd-luc-ngan"], deadline="30/06/2027"),
        Addressee(agency["sxd"], cooperators=[agency["stnmt"]], deadline="30/06/2027"),
    ]
    before = task_count(demo)
    with transaction(demo) as s:
        duties_before = s.scalar(select(func.count()).select_from(Duty))
    with pytest.raises(ValidationFailed) as caught:
        give(demo, plan, rows)
    message = caught.value.message
    for expected in (
        "Dòng 2, cột “Cơ quan chủ trì”: không có trong danh mục",
        "Dòng 3, cột “Hạn ban đầu”: hạn 01/11/2026 trước ngày của văn bản giao (25/11/2026).",
        "Dòng 4, cột “Hạn ban đầu”: không được để trống (hoặc chọn lặp lại).",
        "Dòng 5, cột “Phường, xã”: phường, xã không thuộc địa bàn đã chọn.",
        "Dòng 6, cột “Lặp lại”: chỉ nhận một trong: Một lần (theo hạn)",
        "Dòng 7, cột “Hạn ban đầu”: nhiệm vụ lặp lại không có hạn riêng",
        "Dòng 8, cột “Hạn ban đầu”: “31/13/2027” không phải ngày hợp lệ",
        "Dòng 9, cột “Cơ quan chủ trì”: “UBND huyện Lục Ngạn” đã kết thúc hoạt động từ 01/07/2025 "
        "(sắp xếp tổ chức); chọn cơ quan, đơn vị kế tục.",
        "Dòng 10, cột “Cơ quan phối hợp”: “Sở Tài nguyên và Môi trường” đã kết thúc hoạt động từ "
        "01/03/2025 (sắp xếp tổ chức); chọn cơ quan, đơn vị kế tục.",
    ):
        assert expected in message, message
    assert not re.search(r"Dòng 1\b", message)  # row 1 is fine (rows 10 and up are not row 1)
    assert task_count(demo) == before
    with transaction(demo) as s:
        assert s.scalar(select(func.count()).select_from(Duty)) == duties_before
        refusal = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert (refusal.action, refusal.entity) == ("refused_invalid", "task")


@pytest.mark.parametrize(
    ("title", "count", "message"),
    [
        ("   ", 1, "“Nội dung nhiệm vụ”: không được để trống."),
        ("x" * 2001, 1, "“Nội dung nhiệm vụ”: dài 2001 ký tự, tối đa 2000."),
        (CONTENT, 0, "Chưa có cơ quan nhận nhiệm vụ: thêm ít nhất một dòng có “Cơ quan chủ trì”."),
        (CONTENT, MAX_ADDRESSEES + 1, "Một lần giao tối đa 200 cơ quan nhận (đang có 201)."),
    ],
)
def test_an_empty_content_no_addressee_or_too_many_are_refused(demo, plan, title, count, message):
    agency, _ = ids(demo)
    rows = [Addressee(agency["cat"], deadline="30/06/2027")] * count
    before = task_count(demo)
    with pytest.raises(Refused, match=re.escape(message)):
        give(demo, plan, rows, title=title)
    assert task_count(demo) == before


def test_a_retired_agency_is_not_offered_and_not_accepted(demo, plan):
    agency, _ = ids(demo)
    office = actor(demo, "vanphong")
    actions.perform(
        demo, office, retire_agency, agency["skhdt"], "Hợp nhất vào Sở Tài chính", today=TODAY, now=NOW
    )
    with pytest.raises(
        ValidationFailed, match="Dòng 1, cột “Cơ quan chủ trì”: không có trong danh mục, hoặc đã thôi"
    ):
        give(demo, plan, [Addressee(agency["skhdt"], deadline="30/06/2027")])
    with pytest.raises(ValidationFailed, match="Dòng 1, cột “Cơ quan phối hợp”"):
        give(demo, plan, [Addressee(agency["stc"], cooperators=[agency["skhdt"]], deadline="30/06/2027")])


def test_two_rows_for_the_same_addressee_in_one_form_warn(demo, plan):
    agency, _ = ids(demo)
    rows = [
        Addressee(agency["cat-bn"], deadline="30/06/2027"),
        Addressee(agency["cat-bn"], deadline="31/12/2027"),
    ]
    with pytest.raises(LooksAssigned, match="dòng 2: cùng cơ quan chủ trì và địa bàn với dòng 1"):
        give(demo, plan, rows)
    assert len(give(demo, plan, rows, confirm_similar=True).tasks) == 2


@pytest.mark.parametrize("who", ["dp.lucngan", "lanhdao"])
def test_only_the_office_assigns(demo, plan, who):
    agency, _ = ids(demo)
    with pytest.raises(PermissionDenied, match="Chỉ văn phòng và quản trị hệ thống mới được giao nhiệm vụ"):
        give(demo, plan, [Addressee(agency["ubnd-x-luc-ngan"], deadline="30/06/2027")], who=who)


def test_a_recurring_assignment_creates_the_tasks_of_the_periods_from_its_document_on(demo, plan):
    """Given on 25/11/2026, a quarterly duty owes the fourth quarter of 2026 first (not the three
    before its document), a yearly one the 2026 report; on 2/12/2026 the periods of 2027 that open
    within a month are there too. An ongoing duty is one task with no deadline."""
    agency, _ = ids(demo)
    rows = [
        Addressee(agency["ubnd-p-viet-yen"], recurrence="hang_quy"),
        Addressee(agency["cat-bn"], recurrence="hang_nam"),
        Addressee(agency["ubnd-x-luc-ngan"], recurrence="thuong_xuyen"),
    ]
    made = give(demo, plan, rows, generate=duties.generate_for)
    with transaction(demo) as s:
        tasks = s.scalars(
            select(Task).where(Task.id.in_(made.tasks + made.period_tasks)).order_by(Task.id)
        ).all()
        shown = sorted((t.title, t.current_deadline, t.recurrence, t.period) for t in tasks)
    assert shown == [
        (CONTENT, None, "thuong_xuyen", None),
        (f"{CONTENT} (năm 2026)", date(2026, 12, 15), "hang_nam", "2026"),
        (f"{CONTENT} (năm 2027)", date(2027, 12, 15), "hang_nam", "2027"),
        (f"{CONTENT} (quý I/2027)", date(2027, 3, 15), "hang_quy", "2027-Q1"),
        (f"{CONTENT} (quý IV/2026)", date(2026, 12, 15), "hang_quy", "2026-Q4"),
    ]
