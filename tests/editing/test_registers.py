"""The registers the office keeps — documents, agencies, units — written with checks and an audit trail."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from lib.core.roles import PermissionDenied, Refused
from lib.data import accounts, registers
from lib.data.db import transaction
from lib.data.models import Agency, AuditEvent, Document, Locality, Task, Unit, User
from lib.editing import actions
from lib.editing.registers import (
    FormInvalid,
    add_agency,
    add_unit,
    create_document,
    rename_agency,
    rename_unit,
    retire_agency,
    retire_unit,
    update_document,
)
from lib.ops.seed import seed_demo

NOW = datetime(2026, 12, 2, 9, 30)
TODAY = date(2026, 12, 2)
PLAN = {
    "number": "215/KH-CAT",
    "issued_on": "25/11/2026",
    "issuer": "Công an tỉnh Bắc Giang",
    "kind": "ke_hoach",
    "title": "Kế hoạch triển khai xây dựng Công an phường kiểu mẫu năm 2027",
}


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def act(engine, username, fn, *args, **kwargs):
    with transaction(engine) as s:
        actor = accounts.actor_for(s.scalar(select(User).where(User.username == username)))
    return actions.perform(engine, actor, fn, *args, **kwargs)


def events(engine, entity, row_id):
    with transaction(engine) as s:
        return [
            (e.action, e.field, e.old_value, e.new_value, e.reason)
            for e in s.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity == entity, AuditEvent.row_id == row_id)
                .order_by(AuditEvent.id)
            )
        ]


def test_the_office_adds_a_document_and_edits_it_with_the_version_it_saw(demo):
    doc_id = act(demo, "vanphong", create_document, values=PLAN, now=NOW, today=TODAY)
    with transaction(demo) as s:
        doc = s.get(Document, doc_id)
        assert (doc.number, doc.issued_on, doc.issued_label, doc.kind, doc.version, doc.updated_by) == (
            "215/KH-CAT",
            date(2026, 11, 25),
            "25/11/2026",
            "ke_hoach",
            1,
            "vanphong",
        )
        assert doc.code == "215-kh-cat-2026"
        listed = next(d for d in registers.list_documents(s) if d["id"] == doc_id)
        assert listed["tasks"] == 0
    assert ("create", "number", None, "215/KH-CAT", "") in events(demo, "document", doc_id)
    assert ("create", "issued_on", None, "2026-11-25", "") in events(demo, "document", doc_id)

    changed = {**PLAN, "title": "Kế hoạch xây dựng Công an phường kiểu mẫu năm 2027 (sửa đổi)"}
    assert act(demo, "admin", update_document, doc_id, 1, values=changed, now=NOW, today=TODAY) == 2
    assert events(demo, "document", doc_id)[-1] == ("update", "title", PLAN["title"], changed["title"], "")
    with pytest.raises(Refused, match="đã được admin sửa lúc 09:30 02/12/2026 \\(phiên bản 2\\)"):
        act(demo, "vanphong", update_document, doc_id, 1, values=PLAN, now=NOW, today=TODAY)
    with transaction(demo) as s:
        assert s.get(Document, doc_id).title == changed["title"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"number": "  "}, "number", "không được để trống."),
        ({"number": "30/ĐA-BCA", "issued_on": "01/12/2023"}, "number", "đã có văn bản số “30/ĐA-BCA”"),
        ({"issued_on": "03/12/2026"}, "issued_on", "ở tương lai"),
        ({"issued_on": "31/12/2019"}, "issued_on", "nằm ngoài khoảng 01/01/2020"),
        ({"issued_on": ""}, "issued_on", "không được để trống."),
        ({"title": "x" * 1001}, "title", "dài 1001 ký tự, tối đa 1000."),
        ({"kind": "thu_tay"}, "kind", "không thuộc các giá trị cho phép"),
        ({"issuer": "Công an\ntỉnh"}, "issuer", "không được xuống dòng."),
    ],
)
def test_a_bad_document_names_the_field_and_writes_nothing(demo, change, field, message):
    with transaction(demo) as s:
        before = s.scalar(select(func.count()).select_from(Document))
    with pytest.raises(FormInvalid) as caught:
        act(demo, "vanphong", create_document, values={**PLAN, **change}, now=NOW, today=TODAY)
    assert message in caught.value.problems[field]
    assert caught.value.message.startswith("Chưa lưu văn bản: “")
    with transaction(demo) as s:
        assert s.scalar(select(func.count()).select_from(Document)) == before
        refusal = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert (refusal.action, refusal.entity) == ("refused_invalid", "document")


def test_the_same_number_in_another_year_is_another_document(demo):
    act(demo, "vanphong", create_document, values=PLAN, now=NOW, today=TODAY)
    next_year = {**PLAN, "issued_on": "10/01/2025"}
    assert act(demo, "vanphong", create_document, values=next_year, now=NOW, today=TODAY)


def test_a_document_cannot_move_after_the_deadlines_it_gave(demo):
    with transaction(demo) as s:
        letter = s.scalar(select(Document).where(Document.code == "cv-ubnd-2024"))
        earliest = s.scalar(select(func.min(Task.original_deadline)).where(Task.document_id == letter.id))
    assert earliest == date(2024, 3, 31)
    values = {"number": letter.number, "issuer": letter.issuer, "kind": letter.kind, "title": letter.title}
    with pytest.raises(FormInvalid, match="đã giao nhiệm vụ có hạn 31/03/2024, trước ngày ban hành mới"):
        act(
            demo,
            "vanphong",
            update_document,
            letter.id,
            letter.version,
            values={**values, "issued_on": "01/06/2024"},
            now=NOW,
            today=TODAY,
        )
    act(
        demo,
        "vanphong",
        update_document,
        letter.id,
        letter.version,
        values={**values, "issued_on": "20/02/2024"},
        now=NOW,
        today=TODAY,
    )
    with transaction(demo) as s:
        assert s.get(Document, letter.id).issued_label == "20/02/2024"


def test_the_letter_without_a_day_can_be_edited_without_inventing_one(demo):
    with transaction(demo) as s:
        letter = s.scalar(select(Document).where(Document.code == "cv-ubnd-2024"))
    values = {
        "number": letter.number,
        "issuer": letter.issuer,
        "kind": "cong_van",
        "title": "Công văn (trích yếu)",
    }
    version = act(
        demo, "vanphong", update_document, letter.id, letter.version, values=values, now=NOW, today=TODAY
    )
    with transaction(demo) as s:
        assert (s.get(Document, letter.id).issued_on, version) == (None, letter.version + 1)


@pytest.mark.parametrize("who", ["dp.lucngan", "lanhdao"])
def test_only_the_office_and_the_administrator_keep_the_registers(demo, who):
    with pytest.raises(PermissionDenied, match="Chỉ văn phòng và quản trị hệ thống"):
        act(demo, who, create_document, values=PLAN, now=NOW, today=TODAY)
    with pytest.raises(PermissionDenied):
        act(demo, who, add_agency, name="Sở Y tế", kind="so_nganh", locality_id=None, now=NOW)


def test_agencies_are_added_renamed_and_retired_with_their_reasons_in_the_trail(demo):
    new_id = act(demo, "vanphong", add_agency, name="  Sở Y tế ", kind="so_nganh", locality_id=None, now=NOW)
    act(demo, "vanphong", rename_agency, new_id, "Sở Y tế tỉnh Bắc Giang", now=NOW)
    with transaction(demo) as s:
        # A department still valid today (skhdt already ended by the 1/3/2025 arrangement).
        kh = s.scalar(select(Agency).where(Agency.code == "sxd"))
        led = s.scalar(select(func.count()).select_from(Task).where(Task.lead_agency_id == kh.id))
    assert led > 0
    reason = "Hợp nhất vào Sở Nội vụ (thử)"
    act(demo, "admin", retire_agency, kh.id, reason, today=TODAY, now=NOW)
    with transaction(demo) as s:
        agency = s.get(Agency, new_id)
        assert (agency.name, agency.code, agency.retired_on) == ("Sở Y tế tỉnh Bắc Giang", "so-y-te", None)
        assert s.get(Agency, kh.id).retired_on == TODAY
        # Retired: kept on the rows that name it, no longer offered for new ones.
        assert s.scalar(select(func.count()).select_from(Task).where(Task.lead_agency_id == kh.id)) == led
        directory = registers.get_directory(s)
        assert kh.id not in directory.agencies and directory.agencies[new_id] == "Sở Y tế tỉnh Bắc Giang"
        listed = {a["id"]: a for a in registers.list_agencies(s)}
        assert listed[kh.id]["retired_on"] == TODAY and listed[kh.id]["tasks"] == led
    assert events(demo, "agency", new_id) == [
        ("create", "name", None, "Sở Y tế", ""),
        ("create", "kind", None, "so_nganh", ""),
        ("rename", "name", "Sở Y tế", "Sở Y tế tỉnh Bắc Giang", ""),
    ]
    assert events(demo, "agency", kh.id) == [("retire", "retired_on", None, "2026-12-02", reason)]
    with pytest.raises(Refused, match="đã thôi sử dụng từ 02/12/2026"):
        act(demo, "admin", retire_agency, kh.id, reason, today=TODAY, now=NOW)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": " ", "kind": "so_nganh", "locality_id": None}, "“Tên cơ quan”: không được để trống."),
        ({"name": "sở  tài chính", "kind": "so_nganh", "locality_id": None}, "đã có “Sở Tài chính” (mã "),
        ({"name": "S" * 151, "kind": "so_nganh", "locality_id": None}, "dài 151 ký tự, tối đa 150."),
        (
            {"name": "UBND huyện Tân Yên", "kind": "ubnd", "locality_id": None},
            "“Địa bàn”: phải chọn địa bàn.",
        ),
        ({"name": "Sở Y tế", "kind": "benh_vien", "locality_id": None}, "“Loại cơ quan”: “benh_vien” không"),
    ],
)
def test_a_bad_agency_is_refused_with_a_vietnamese_message(demo, kwargs, message):
    with pytest.raises(FormInvalid) as caught:
        act(demo, "vanphong", add_agency, now=NOW, **kwargs)
    assert message in caught.value.message


def test_the_same_name_may_stand_once_per_locality_and_kind(demo):
    with transaction(demo) as s:
        luc_ngan = s.scalar(select(Locality.id).where(Locality.code == "luc-ngan"))
    # A police office of a locality may share the word "Công an" with the province's; an exact
    # duplicate within the same locality and kind may not.
    act(
        demo,
        "vanphong",
        add_agency,
        name="Công an huyện Lục Ngạn",
        kind="cong_an",
        locality_id=luc_ngan,
        now=NOW,
    )
    with pytest.raises(FormInvalid, match="đã có “Công an huyện Lục Ngạn”"):
        act(
            demo,
            "vanphong",
            add_agency,
            name="Công an huyện Lục Ngạn",
            kind="cong_an",
            locality_id=luc_ngan,
            now=NOW,
        )
    assert act(
        demo, "vanphong", add_agency, name="Công an huyện Lục Ngạn", kind="cong_an", locality_id=None, now=NOW
    )


def test_units_are_added_renamed_and_retired_within_their_locality(demo):
    with transaction(demo) as s:
        viet_yen = s.scalar(select(Locality.id).where(Locality.code == "viet-yen"))
        # A unit valid today: the 2024 units of Việt Yên ended on 30/6/2025.
        other = s.scalar(
            select(Unit)
            .where(Unit.locality_id == viet_yen, Unit.valid_to.is_(None))
            .order_by(Unit.id)
            .limit(1)
        )
    new_id = act(demo, "vanphong", add_unit, name="Vân Hà Đông", kind="phuong", locality_id=viet_yen, now=NOW)
    with pytest.raises(FormInvalid, match=f"đã có “{other.name}”"):
        act(demo, "vanphong", rename_unit, new_id, other.name.upper(), now=NOW)
    with pytest.raises(FormInvalid, match="“Tên phường, xã”: dài 101 ký tự"):
        act(demo, "vanphong", add_unit, name="x" * 101, kind="xa", locality_id=viet_yen, now=NOW)
    with pytest.raises(FormInvalid, match="“Địa bàn”: phải chọn địa bàn"):
        act(demo, "vanphong", add_unit, name="Tân Tiến", kind="xa", locality_id=None, now=NOW)
    with pytest.raises(Refused, match="“Lý do thôi sử dụng”: không được để trống"):
        act(demo, "vanphong", retire_unit, other.id, "   ", today=TODAY, now=NOW)
    act(demo, "vanphong", retire_unit, other.id, "Sáp nhập từ 01/7/2025", today=TODAY, now=NOW)
    with transaction(demo) as s:
        assert s.get(Unit, new_id).name == "Vân Hà Đông"
        directory = registers.get_directory(s)
        assert directory.units[new_id] == "Phường Vân Hà Đông (Thị xã Việt Yên)"
        assert other.id not in directory.units
    assert events(demo, "unit", new_id)[0] == ("create", "name", None, "Vân Hà Đông", "")
    assert events(demo, "unit", other.id) == [  # the refusal is in the trail too
        # the unit began with the 1/7/2025 arrangement
        (
            "reorganise",
            "valid_from",
            None,
            "2025-07-01",
            "NQ 1658/NQ-UBTVQH15, hiệu lực 01/07/2025 (sắp xếp nq-1658-2025-07-01)",
        ),
        ("refused", "", None, None, "“Lý do thôi sử dụng”: không được để trống."),
        ("retire", "retired_on", None, "2026-12-02", "Sáp nhập từ 01/7/2025"),
    ]
