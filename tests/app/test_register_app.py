"""/nhap-so-theo-doi through AppTest: who may open it, the preview of an upload, the import on a click."""

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lib.core.catalogue import REGISTER_TASKS
from lib.data.db import make_engine, transaction
from lib.data.models import AuditEvent, Task
from tests.support.apptest import open_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE = "pages/register.py"

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return make_engine(f"sqlite:///{demo_copy}")


NEW = {
    "Văn bản giao": "7/KH-CAT",
    "Nội dung nhiệm vụ": "Khảo sát nhu cầu trang thiết bị của Công an phường",
    "Cơ quan chủ trì": "Công an tỉnh Bắc Ninh",
    "Cơ quan phối hợp": "Sở Tài chính; Sở Nông nghiệp và Môi trường",
    "Hạn ban đầu": "30/04/2027",
}


def register_file(*rows: dict) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = REGISTER_TASKS.title
    labels = [c.label for c in REGISTER_TASKS.columns]
    sheet.append(labels)
    for row in rows:
        sheet.append([row.get(label) for label in labels])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(at, data, name="so-theo-doi.xlsx"):
    at.file_uploader(key="register_file").set_value((name, data, XLSX))
    at.run()
    assert not at.exception, at.exception
    return at


def task_count(db):
    with transaction(db) as s:
        return s.scalar(select(func.count()).select_from(Task))


def test_the_office_previews_then_imports_and_the_same_file_adds_nothing(db):
    at = open_page("vanphong", PAGE)
    assert [t.value for t in at.title] == ["Nhập sổ theo dõi"]
    assert [b.proto.label for b in at.download_button] == ["Tải mẫu sổ theo dõi (.xlsx)"]
    before = task_count(db)
    data = register_file(NEW)
    upload(at, data)
    assert "**Xem trước:** **1 dòng mới** · **0 cập nhật** · 0 không đổi" in [m.value for m in at.markdown]
    counts = next(df.value for df in at.dataframe if "unchanged" in df.value.columns)
    assert counts.values.tolist() == [["Nhiệm vụ", 1, 0, 0]]
    assert any("7/KH-CAT" in i.value for i in at.info)  # the document it adds
    assert task_count(db) == before  # the preview wrote nothing
    at.button(key="register_apply").click().run()
    assert not at.exception
    assert any("Đã nhập tệp so-theo-doi.xlsx: 1 mới" in s.value for s in at.success)
    assert not [b for b in at.button if b.key == "register_apply"]
    with transaction(db) as s:
        made = s.scalar(select(Task).where(Task.title == NEW["Nội dung nhiệm vụ"]))
        assert made.lead_agency.code == "cat-bn"
        assert sorted(a.code for a in made.cooperators) == ["snnmt", "stc"]
        actions = set(s.scalars(select(AuditEvent.action).where(AuditEvent.row_id == made.id)))
    assert "create" in actions

    again = open_page("vanphong", PAGE)
    upload(again, data)
    assert any("không có dòng mới hay thay đổi" in s.value for s in again.success)
    assert not [b for b in again.button if b.key == "register_apply"]
    assert task_count(db) == before + 1


def test_refused_cells_are_listed_and_nothing_can_be_imported(db):
    at = open_page("admin", PAGE)
    upload(at, register_file(NEW, NEW | {"Cơ quan chủ trì": "Sở Tai chinh", "Nội dung nhiệm vụ": "Khác"}))
    errors = " ".join(e.value for e in at.error)
    assert (
        "Nhiệm vụ!D3: Cơ quan chủ trì “Sở Tai chinh” không có trong danh mục; gần nhất: Sở Tài chính"
        in errors
    )
    assert not [b for b in at.button if b.key == "register_apply"]


def test_a_file_that_is_not_a_workbook_is_refused_in_the_page(db):
    at = open_page("vanphong", PAGE)
    upload(at, b"khong phai excel", "so.xlsx")
    assert any("không phải bảng tính Excel" in e.value for e in at.error)


@pytest.mark.parametrize("user", ["lanhdao", "dp.lucngan"])
def test_other_roles_neither_see_nor_open_the_page(db, user):
    at = open_page(user)
    with pytest.raises(ValueError):
        at.switch_page(PAGE)
