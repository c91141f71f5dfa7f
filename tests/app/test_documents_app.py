"""/van-ban and the registers on /quan-tri through AppTest: documents listed with their tasks, added and
edited, "Giao nhiệm vụ" to several addressees once, bad input refused in Vietnamese."""

from datetime import date

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from lib.data.db import make_engine, transaction
from lib.data.models import Agency, AuditEvent, Document, Duty, Task, Unit
from lib.ui import documents
from tests.support.apptest import keyed, open_page

pytestmark = pytest.mark.usefixtures("fresh_caches")
DOCS = "pages/documents.py"
ADMIN = "pages/admin.py"


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return make_engine(f"sqlite:///{demo_copy}")


def count(db, model, *where):
    with transaction(db) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def table(at: AppTest, column: str):
    """The first table with this column (tables carry no key in AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def add_document(at: AppTest, number: str, issued_on: date | None, title: str) -> AppTest:
    form = next(k for k in _keys(at) if k.startswith("docs_new_") and k.endswith("_number"))
    prefix = form.removesuffix("_number")
    at.text_input(key=f"{prefix}_number").input(number)
    at.date_input(key=f"{prefix}_issued_on").set_value(issued_on)
    at.text_input(key=f"{prefix}_issuer").input("Công an tỉnh Bắc Giang")
    at.text_area(key=f"{prefix}_title").input(title)
    at.button(key=f"FormSubmitter:{prefix}-Thêm văn bản").click().run()
    assert not at.exception, at.exception
    return at


def _keys(at: AppTest) -> list[str]:
    return [w.key for w in (*at.text_input, *at.text_area, *at.date_input, *at.multiselect) if w.key]


def assign_key(at: AppTest) -> str:
    leads = next(k for k in _keys(at) if k.startswith("assign_") and k.endswith("_leads"))
    return leads.removesuffix("_leads")


def test_everyone_reads_the_register_and_the_tasks_each_document_assigns(db):
    at = open_page("lanhdao", DOCS)
    listed = table(at, "issuer")
    assert list(listed.columns) == ["number", "issued_on", "kind", "issuer", "title", "tasks"]
    with transaction(db) as s:
        letter = s.scalar(select(Document).where(Document.code == "cv-ubnd-2024"))
        assigned = s.scalar(select(func.count()).select_from(Task).where(Task.document_id == letter.id))
    row = listed[listed["number"] == "/UBND-NC"].iloc[0]
    assert (row["kind"], row["tasks"]) == ("Công văn", assigned)
    assert listed[listed["number"] == "30/ĐA-BCA"].iloc[0]["kind"] == "Đề án"
    at.selectbox(key="docs_pick").set_value(letter.id).run()
    tasks = table(at, "lead_agency")
    assert len(tasks) == min(assigned, 200)
    assert list(tasks.columns) == [
        "id",
        "title",
        "lead_agency",
        "locality",
        "current_deadline",
        "state",
        "bucket",
    ]
    assert at.query_params["van_ban_giao"] in (["cv-ubnd-2024"], "cv-ubnd-2024")
    assert not at.tabs  # reading only: no forms


def test_the_office_adds_a_document_and_assigns_it_to_four_localities(db):
    at = open_page("vanphong", DOCS)
    add_document(at, "215/KH-CAT", date(2026, 11, 25), "Kế hoạch rà soát quỹ đất trụ sở Công an phường")
    assert not errors(at)
    with transaction(db) as s:
        plan = s.scalar(select(Document).where(Document.number == "215/KH-CAT"))
        # four committees of today's xã/phường (the district ones ended on 30/06/2025)
        wards = (
            select(Agency)
            .where(Agency.kind == "ubnd", Agency.unit_id.is_not(None), Agency.valid_to.is_(None))
            .order_by(Agency.sort_order, Agency.id)
            .limit(4)
        )
        ubnd = {a.code: a.name for a in s.scalars(wards)}
    assert len(ubnd) == 4
    assert at.selectbox(key="docs_pick").value == plan.id  # the new document is shown at once
    assert at.info[0].value == "Văn bản này chưa giao nhiệm vụ nào."

    key = assign_key(at)
    at.multiselect(key=f"{key}_leads").set_value(list(ubnd.values())).run()
    at.date_input(key=f"{key}_deadline").set_value(date(2027, 6, 30)).run()
    at.text_input(key=f"{key}_product").input("Báo cáo kết quả rà soát").run()
    at.text_area(key=f"{key}_title").input("Rà soát quỹ đất xây dựng trụ sở Công an phường")
    at.button(key=f"FormSubmitter:{key}_form-Giao nhiệm vụ").click().run()
    assert not at.exception and not errors(at)
    assert [s.value for s in at.success] == ["Đã giao 4 nhiệm vụ theo văn bản 215/KH-CAT."]
    tasks = table(at, "lead_agency")
    assert sorted(tasks["lead_agency"]) == sorted(ubnd.values())
    assert set(tasks["current_deadline"]) == {date(2027, 6, 30)}
    assert count(db, Task, Task.document_id == plan.id) == 4
    assert count(db, AuditEvent, AuditEvent.entity == "document", AuditEvent.action == "create") == 5

    # The same content again (a new form): a warning naming the existing task, then "Vẫn thêm".
    key = assign_key(at)
    first_code, first_name = next(iter(ubnd.items()))
    at.multiselect(key=f"{key}_leads").set_value([ubnd[first_code]]).run()
    at.date_input(key=f"{key}_deadline").set_value(date(2027, 6, 30)).run()
    at.text_area(key=f"{key}_title").input("Rà soát quỹ đất xây dựng trụ sở Công an phường")
    at.button(key=f"FormSubmitter:{key}_form-Giao nhiệm vụ").click().run()
    warning = at.warning[0].value
    assert "dòng 1: giống nhiệm vụ mã" in warning and f"của {first_name}" in warning
    assert count(db, Task, Task.document_id == plan.id) == 4
    at.button(key=f"{key}_confirm").click().run()
    assert not at.exception and [s.value for s in at.success] == [
        "Đã giao 1 nhiệm vụ theo văn bản 215/KH-CAT."
    ]
    assert count(db, Task, Task.document_id == plan.id) == 5


def test_a_recurring_assignment_stores_a_duty_per_addressee(db):
    at = open_page("vanphong", DOCS)
    with transaction(db) as s:
        letter = s.scalar(select(Document).where(Document.code == "cv-ubnd-2024"))
        names = list(s.scalars(select(Agency.name).where(Agency.code.in_(("sxd", "snv")))))
    yearly = count(db, Duty, Duty.recurrence == "hang_nam", Duty.document_id == letter.id)  # the letter's own
    at.selectbox(key="docs_pick").set_value(letter.id).run()
    key = assign_key(at)
    at.multiselect(key=f"{key}_leads").set_value(names).run()
    at.selectbox(key=f"{key}_recurrence").set_value("hang_nam").run()
    at.text_area(key=f"{key}_title").input("Báo cáo kết quả tự kiểm tra năm")
    at.button(key=f"FormSubmitter:{key}_form-Giao nhiệm vụ").click().run()
    assert not at.exception and not errors(at)
    assert [s.value for s in at.success] == [
        "Đã giao 2 nhiệm vụ định kỳ (đã tạo 4 nhiệm vụ của các kỳ đến hạn) theo văn bản /UBND-NC."
    ]
    assert count(db, Duty, Duty.recurrence == "hang_nam", Duty.document_id == letter.id) == yearly + 2


@pytest.mark.parametrize(
    ("number", "issued_on", "title", "message"),
    [
        ("", date(2026, 11, 25), "Kế hoạch", "“Số, ký hiệu”: không được để trống."),
        ("30/ĐA-BCA", date(2023, 12, 1), "Đề án", "“Số, ký hiệu”: đã có văn bản số “30/ĐA-BCA”"),
        ("16/KH-CAT", None, "Kế hoạch", "“Ngày ban hành”: không được để trống."),
        ("17/KH-CAT", date(2026, 11, 25), "", "“Trích yếu”: không được để trống."),
    ],
)
def test_a_bad_document_is_refused_with_the_field_named(db, number, issued_on, title, message):
    before = count(db, Document)
    at = open_page("vanphong", DOCS)
    add_document(at, number, issued_on, title)
    assert any(message in e for e in errors(at)), errors(at)
    assert count(db, Document) == before


def test_bad_assignments_name_the_field_and_the_row_and_write_nothing(db):
    at = open_page("vanphong", DOCS)
    before = count(db, Task)
    with transaction(db) as s:
        cat = s.scalar(select(Agency.name).where(Agency.code == "cat-bn"))  # Công an tỉnh Bắc Ninh
    key = assign_key(at)
    at.text_area(key=f"{key}_title").input("Nội dung")
    at.button(key=f"FormSubmitter:{key}_form-Giao nhiệm vụ").click().run()
    assert errors(at) == ["Chưa có cơ quan nhận nhiệm vụ: thêm ít nhất một dòng có “Cơ quan chủ trì”."]

    key = assign_key(at)
    at.multiselect(key=f"{key}_leads").set_value([cat]).run()
    at.text_area(key=f"{key}_title").input(" \n ")
    at.button(key=f"FormSubmitter:{key}_form-Giao nhiệm vụ").click().run()
    assert errors(at) == ["“Nội dung nhiệm vụ”: không được để trống."]

    # A crafted table: an agency that is not in the register, and a row without its deadline.
    grid = documents.grid_key(key, [cat], None, "mot_lan", "")
    at.session_state[grid] = {
        "edited_rows": {},
        "added_rows": [
            {"lead": "Sở Ngoại giao", "deadline": "2027-06-30"},
            {"lead": cat, "recurrence": None},
        ],
        "deleted_rows": [],
    }
    at.text_area(key=f"{key}_title").input("Nội dung")
    at.button(key=f"FormSubmitter:{key}_form-Giao nhiệm vụ").click().run()
    assert not at.exception
    message = errors(at)[0]
    assert "Dòng 1, cột “Hạn ban đầu”: không được để trống (hoặc chọn lặp lại)." in message
    assert "Dòng 2, cột “Cơ quan chủ trì”: không có trong danh mục" in message
    assert count(db, Task) == before


def test_the_office_keeps_agencies_and_units_on_the_admin_page(db):
    at = open_page("vanphong", ADMIN)
    assert not table(at, "tasks").empty
    assert not any("username" in d.value.columns for d in at.dataframe)  # users: the administrator's
    keyed(at.text_input, "admin_agency_new_name").input("Sở Y tế")
    at.selectbox(key="admin_agency_new_kind").set_value("so_nganh")
    at.button(key="FormSubmitter:admin_agency_new-Thêm cơ quan").click().run()
    assert not at.exception and not errors(at)
    with transaction(db) as s:
        new_id = s.scalar(select(Agency.id).where(Agency.name == "Sở Y tế"))
    assert new_id is not None
    keyed(at.text_input, "admin_agency_new_name").input("sở y tế")
    at.selectbox(key="admin_agency_new_kind").set_value("so_nganh")
    at.button(key="FormSubmitter:admin_agency_new-Thêm cơ quan").click().run()
    assert errors(at) == [f"Chưa lưu cơ quan: “Tên cơ quan”: đã có “Sở Y tế” (mã {new_id})."]

    at.selectbox(key="admin_agency_pick").set_value(new_id).run()
    keyed(at.text_input, "admin_agency_rename").input("Sở Y tế tỉnh Bắc Giang")
    at.button(key="FormSubmitter:admin_agency_edit-Đổi tên").click().run()
    keyed(at.text_input, "admin_agency_reason").input("Thử nghiệm")
    at.button(key="FormSubmitter:admin_agency_retire_form-Thôi sử dụng").click().run()
    assert not at.exception and not errors(at)
    with transaction(db) as s:
        agency = s.get(Agency, new_id)
        assert (agency.name, agency.retired_on is not None) == ("Sở Y tế tỉnh Bắc Giang", True)
        unit = s.scalar(select(Unit).order_by(Unit.id).limit(1))
    at.selectbox(key="admin_unit_pick").set_value(unit.id).run()
    keyed(at.text_input, "admin_unit_reason").input("")
    at.button(key="FormSubmitter:admin_unit_retire_form-Thôi sử dụng").click().run()
    assert errors(at) == ["“Lý do thôi sử dụng”: không được để trống."]
