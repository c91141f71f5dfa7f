"""The onboarding import of a register workbook: preview, import, import again, every refusal by its cell.

Each workbook is built here with openpyxl, a few rows at a time, against the demo data on a real database
(SQLite, and PostgreSQL when TEST_DATABASE_URL is set).
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from lib.core.catalogue import (
    REGISTER_DOCUMENTS,
    REGISTER_HQ,
    REGISTER_SHEETS,
    REGISTER_TASKS,
    REGISTER_WARDS,
)
from lib.data import accounts, audit
from lib.data.db import transaction
from lib.data.models import (
    Agency,
    AuditEvent,
    Document,
    HqProject,
    Locality,
    ModelWard,
    Task,
    Unit,
    User,
)
from lib.files import register
from lib.ops.seed import seed_demo

NOW = datetime(2026, 11, 29, 10, 0)
TODAY = date(2026, 11, 29)
TASK_HEADERS = [c.label for c in REGISTER_TASKS.columns]


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def actor(engine, username="vanphong"):
    with transaction(engine) as s:
        return accounts.actor_for(s.scalar(select(User).where(User.username == username)))


def sheet_rows(sheet, rows, headers=None):
    """Header labels, then each row (a dict label → value) in that order."""
    headers = headers or [c.label for c in sheet.columns]
    return [headers, *([row.get(h) for h in headers] for row in rows)]


def workbook(tasks=(), *, documents=None, hq=None, wards=None, task_headers=None, extra=None) -> bytes:
    """A register workbook: the task sheet, and the other sheets when given (lists of dicts by label)."""
    book = Workbook()
    book.remove(book.active)
    sheets = [(REGISTER_TASKS, tasks, task_headers)]
    sheets += [
        (s, rows, None)
        for s, rows in ((REGISTER_DOCUMENTS, documents), (REGISTER_HQ, hq), (REGISTER_WARDS, wards))
        if rows is not None
    ]
    for sheet, rows, headers in sheets:
        ws = book.create_sheet(sheet.title)
        for values in sheet_rows(sheet, rows, headers):
            ws.append(values)
    for title, rows in (extra or {}).items():
        ws = book.create_sheet(title)
        for values in rows:
            ws.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "so-theo-doi.xlsx") -> register.Upload:
    return register.Upload(name, data)


def preview(engine, data, who="vanphong"):
    return register.preview(engine, actor(engine, who), upload(data), now=NOW, today=TODAY)


def import_(engine, data, who="vanphong"):
    return register.import_register(engine, actor(engine, who), upload(data), now=NOW, today=TODAY)


def counts(engine):
    with transaction(engine) as s:
        return {
            model.__name__: s.scalar(select(func.count()).select_from(model))
            for model in (Task, Document, HqProject, ModelWard)
        } | {
            "writes": s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action.in_(("create", "import")))
            )
        }


def stored_task(s, title_start, locality_code=None):
    stmt = select(Task).where(Task.title.startswith(title_start))
    if locality_code:
        stmt = stmt.join(Locality, Locality.id == Task.locality_id).where(Locality.code == locality_code)
    return s.scalars(stmt.order_by(Task.id)).first()


def as_row(t: Task) -> dict:
    """A stored task as the register shows it."""
    return {
        "Mã": t.id,
        "Văn bản giao": t.document.number,
        "Nội dung nhiệm vụ": t.title,
        "Cơ quan chủ trì": t.lead_agency.name,
        "Cơ quan phối hợp": "; ".join(a.name for a in t.cooperators),
        "Địa bàn": t.locality.name if t.locality else "Cấp tỉnh",
        "Hạn ban đầu": t.original_deadline,
        "Hạn hiện tại": t.current_deadline,
        "Trạng thái": {"chua_trien_khai": "Chưa triển khai", "dang_thuc_hien": "Đang thực hiện"}.get(t.state),
        "Tiến độ (%)": t.progress_pct,
        "Ghi chú": t.notes,
    }


def as_row_now(engine, task_id):
    with transaction(engine) as s:
        return as_row(s.get(Task, task_id))


NEW_PLAN = {
    "Văn bản giao": "12/KH-CAT",  # not registered yet: the import adds it
    "Nội dung nhiệm vụ": "Rà soát quỹ đất xây trụ sở Công an phường năm 2027",
    "Cơ quan chủ trì": "UBND xã Lục Ngạn",  # the district UBND ended on 1/7/2025; the district stays a group
    "Cơ quan phối hợp": "Sở Nông nghiệp và Môi trường; Sở Xây dựng",
    "Địa bàn": "Huyện Lục Ngạn",
    "Hạn ban đầu": "30/06/2027",
    "Trạng thái": "Đang thực hiện",
    "Tiến độ (%)": 10,
}
NEW_TRAINING = {
    "Văn bản giao": "30/ĐA-BCA",
    "Nội dung nhiệm vụ": "Tập huấn nghiệp vụ cho Công an phường mới thành lập",
    "Cơ quan chủ trì": "Công an tỉnh Bắc Ninh",
    "Hạn ban đầu": datetime(2027, 3, 31),
}


def the_four_rows(engine):
    """Two new rows (one with two cooperating agencies and a document not registered yet), one update,
    one row unchanged."""
    with transaction(engine) as s:
        changed = stored_task(s, "Bố trí kinh phí xây mới", "luc-ngan")
        # Yên Dũng joined thành phố Bắc Giang on 1/1/2025: its task counts there now.
        same = stored_task(s, "Thực hiện chế độ, chính sách", "bac-giang")
        update = as_row(changed) | {"Ghi chú": "Đã có quyết định giao vốn đợt 1", "Tiến độ (%)": 90}
        return [NEW_PLAN, update, as_row(same), NEW_TRAINING], changed.id, same.id


def test_preview_then_import_then_the_same_file_again(demo):
    rows, changed_id, same_id = the_four_rows(demo)
    data = workbook(rows)
    before = counts(demo)
    with transaction(demo) as s:  # the demo's 2025 reorganisations already moved both (v1 → v2, v3)
        changed_v, same_v = s.get(Task, changed_id).version, s.get(Task, same_id).version
    assert changed_v > 1 and same_v > 1

    seen = preview(demo, data)
    assert seen.ok, [str(p) for p in seen.problems]
    tasks = seen.counts[REGISTER_TASKS.title]
    assert (tasks.new, tasks.updated, tasks.unchanged) == (2, 1, 1)
    assert seen.documents == ["12/KH-CAT"]
    assert [(c.where, c.row_id, c.label, c.new) for c in seen.changes] == [
        ("Nhiệm vụ!K3", changed_id, "Tiến độ (%)", 90),
        ("Nhiệm vụ!P3", changed_id, "Ghi chú", "Đã có quyết định giao vốn đợt 1"),
    ]
    assert counts(demo) == before  # a preview writes nothing

    done = import_(demo, data)
    assert (done.total.new, done.total.updated, done.total.unchanged) == (2, 1, 1)
    with transaction(demo) as s:
        plan = s.scalar(select(Task).where(Task.title == NEW_PLAN["Nội dung nhiệm vụ"]))
        assert plan.document.number == "12/KH-CAT" and plan.document.kind == "cong_van"
        assert plan.locality.code == "luc-ngan" and plan.lead_agency.code == "ubnd-x-luc-ngan"
        assert sorted(a.code for a in plan.cooperators) == ["snnmt", "sxd"]
        assert (plan.original_deadline, plan.current_deadline) == (date(2027, 6, 30), date(2027, 6, 30))
        assert (plan.state, plan.progress_pct, plan.version) == ("dang_thuc_hien", 10, 1)
        training = s.scalar(select(Task).where(Task.title == NEW_TRAINING["Nội dung nhiệm vụ"]))
        assert training.locality_id is None and training.original_deadline == date(2027, 3, 31)
        assert training.lead_agency.code == "cat-bn"
        changed = s.get(Task, changed_id)
        assert (changed.notes, changed.progress_pct, changed.version) == (
            "Đã có quyết định giao vốn đợt 1",
            90,
            changed_v + 1,
        )
        assert s.get(Task, same_id).version == same_v
        created = s.execute(
            select(AuditEvent.entity, AuditEvent.row_id).where(AuditEvent.action == "create").distinct()
        ).all()
        assert {(e, r) for e, r in created} >= {
            ("task", plan.id),
            ("task", training.id),
            ("document", plan.document_id),
        }
        updates = s.scalars(select(AuditEvent).where(AuditEvent.action == "import")).all()
        assert {(e.row_id, e.field) for e in updates} == {(changed_id, "notes"), (changed_id, "progress_pct")}
        assert all(e.reason == "Nhập sổ theo dõi từ tệp so-theo-doi.xlsx" for e in updates)
        assert audit.verify_chain(s).ok
    after = counts(demo)
    assert (after["Task"], after["Document"]) == (before["Task"] + 2, before["Document"] + 1)

    again = import_(demo, data)  # the same file: nothing new, nothing changed
    assert (again.total.new, again.total.updated, again.total.unchanged, again.total.already) == (0, 0, 4, 2)
    assert counts(demo) == after
    # a copy saved again (other bytes, same cells), with a row added at its end: only that row is new
    added = NEW_TRAINING | {"Nội dung nhiệm vụ": "Tổng kết mô hình điểm"}
    grown = workbook([*rows[:1], as_row_now(demo, changed_id), *rows[2:], added])
    assert grown != data
    last = import_(demo, grown)
    assert (last.total.new, last.total.updated, last.total.already) == (1, 0, 2)
    assert counts(demo)["Task"] == after["Task"] + 1


def test_names_are_matched_whatever_their_case_spacing_and_unicode_form(demo):
    nfd = unicodedata.normalize("NFD", "Sở Tài chính")
    row = {
        "Văn bản giao": " 30/đa-bca ",
        "Nội dung nhiệm vụ": "Rà soát định mức kinh phí",
        "Cơ quan chủ trì": "ubnd  XÃ lục ngạn",
        "Cơ quan phối hợp": f"{nfd} ;Sở  Xây dựng;",
        "Địa bàn": "Lục Ngạn",
        "Hạn ban đầu": "15/12/2027",
        "Trạng thái": "đang thực hiện",
        "Tiến độ (%)": "25%",
    }
    done = import_(demo, workbook([row]))
    assert done.total.new == 1
    with transaction(demo) as s:
        task = s.scalar(select(Task).where(Task.title == "Rà soát định mức kinh phí"))
        assert (task.lead_agency.code, task.locality.code, task.document.number) == (
            "ubnd-x-luc-ngan",
            "luc-ngan",
            "30/ĐA-BCA",
        )
        assert sorted(a.code for a in task.cooperators) == ["stc", "sxd"]
        assert (task.state, task.progress_pct) == ("dang_thuc_hien", 25)


def test_the_documents_sheet_gives_a_new_document_its_date_issuer_and_kind(demo):
    documents = [
        {
            "Số, ký hiệu": "15/KH-UBND",
            "Ngày ban hành": datetime(2026, 3, 2),
            "Cơ quan ban hành": "UBND tỉnh Bắc Ninh",
            "Loại văn bản": "kế hoạch",
            "Trích yếu": "Kế hoạch thực hiện năm 2026",
        },
        {"Số, ký hiệu": "30/ĐA-BCA", "Ngày ban hành": "07/11/2023"},  # registered: left as it is
    ]
    task = NEW_TRAINING | {"Văn bản giao": "15/KH-UBND", "Hạn ban đầu": "01/03/2026"}
    seen = preview(demo, workbook([task], documents=documents))
    assert [str(p) for p in seen.problems] == [
        "Nhiệm vụ!G2: Hạn ban đầu: hạn 01/03/2026 trước ngày của văn bản giao (02/03/2026)."
    ]
    import_(demo, workbook([task | {"Hạn ban đầu": "30/09/2026"}], documents=documents))
    with transaction(demo) as s:
        doc = s.scalar(select(Document).where(Document.number == "15/KH-UBND"))
        assert (doc.issued_on, doc.issued_label, doc.issuer, doc.kind) == (
            date(2026, 3, 2),
            "02/03/2026",
            "UBND tỉnh Bắc Ninh",
            "ke_hoach",
        )
        fields = set(
            s.scalars(
                select(AuditEvent.field).where(AuditEvent.entity == "document", AuditEvent.row_id == doc.id)
            )
        )
        assert {"number", "issued_on", "issuer", "kind", "title"} <= fields


def test_headquarters_and_model_wards_come_in_from_their_sheets(demo):
    today = Unit.valid_to.is_(None) | (Unit.valid_to >= TODAY)
    with transaction(demo) as s:
        free = s.execute(
            select(Unit.name, Locality.name, Unit.id)
            .join(Locality)
            .where(Locality.code == "luc-ngan", today, Unit.id.not_in(select(HqProject.unit_id)))
            .order_by(Unit.name)
        ).first()
        # the commune of that name until 30/06/2025 (the new one took its name on 1/7/2025)
        former = s.scalar(
            select(Unit.id).where(
                Unit.locality_id == s.get(Unit, free[2]).locality_id,
                Unit.name == free[0],
                Unit.valid_to == date(2025, 6, 30),
            )
        )
        assert former is not None and former != free[2]
        ward = s.execute(
            select(Unit.name, Locality.name, Unit.id)
            .join(Locality)
            .where(Unit.kind == "phuong", today, Unit.id.not_in(select(ModelWard.unit_id)))
            .order_by(Unit.name)
        ).first()
        project = s.scalars(select(HqProject).order_by(HqProject.id)).first()
        project_unit, project_place = project.unit.name, project.unit.locality.name
    hq = [
        {"Phường, xã": f"  {free[0].upper()} ", "Địa bàn": free[1], "Dự toán (đồng)": "4.500.000.000"},
        {"Mã": project.id, "Phường, xã": project_unit, "Địa bàn": project_place, "Ghi chú": "Đã rà soát"},
        {  # history entered late: the same name, finished in 2024, is the commune of that time
            "Phường, xã": free[0],
            "Địa bàn": free[1],
            "Tình trạng đất": "Đã bố trí",
            "Diện tích đất (m²)": 1200,
            "Giai đoạn": "Đưa vào sử dụng",
            "Hoàn thành thực tế": "15/12/2024",
        },
    ]
    wards = [
        {"Phường": f"Phường {ward[0]}", "Địa bàn": ward[1], "Năm đăng ký": 2026, "Tiêu chí đạt (/22)": 5}
    ]
    done = import_(demo, workbook([], hq=hq, wards=wards))
    assert (done.counts["Dự án trụ sở"].new, done.counts["Dự án trụ sở"].updated) == (2, 1)
    assert done.counts["Phường kiểu mẫu"].new == 1
    with transaction(demo) as s:
        made = s.scalar(select(HqProject).where(HqProject.unit_id == free[2]))
        assert (made.planned_vnd, made.stage) == (4_500_000_000, "chua_bo_tri_dat")
        finished = s.scalar(select(HqProject).where(HqProject.unit_id == former))
        assert (finished.stage, finished.actual_completion_on) == ("dua_vao_su_dung", date(2024, 12, 15))
        assert s.get(HqProject, project.id).notes == "Đã rà soát"
        registered = s.scalar(select(ModelWard).where(ModelWard.unit_id == ward[2]))
        assert (registered.year_registered, registered.criteria_met) == (2026, 5)


# --- refusals: each names its cell, and nothing is written ----------------------------------------


def refused(engine, data, who="vanphong"):
    """Preview and import a bad workbook: the import is refused whole and writes nothing."""
    before = counts(engine)
    seen = preview(engine, data, who)
    assert not seen.ok
    with pytest.raises(register.RegisterRefused) as caught:
        import_(engine, data, who)
    assert counts(engine) == before
    assert caught.value.outcome is not None
    assert [str(p) for p in caught.value.outcome.listed] == [str(p) for p in seen.listed]
    with transaction(engine) as s:  # the refusal itself is recorded
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (last.action, last.actor) == ("refused_import", who)
    return [str(p) for p in seen.listed]


def test_an_unknown_agency_is_refused_with_the_closest_names(demo):
    problems = refused(demo, workbook([NEW_TRAINING | {"Cơ quan chủ trì": "Sở Tai chinh"}]))
    assert problems == [
        "Nhiệm vụ!D2: Cơ quan chủ trì “Sở Tai chinh” không có trong danh mục; gần nhất: Sở Tài chính"
    ]


def test_an_unknown_cooperating_agency_locality_or_unit_is_refused_by_its_cell(demo):
    row = NEW_TRAINING | {"Cơ quan phối hợp": "Sở Xây dựng; Sở Giáo dục", "Địa bàn": "Huyện Lục Nam"}
    hq = [{"Phường, xã": "Trần Phú Mới", "Địa bàn": "Thành phố Bắc Giang"}]
    problems = refused(demo, workbook([row], hq=hq))
    assert problems[0] == "Nhiệm vụ!E2: Cơ quan phối hợp “Sở Giáo dục” không có trong danh mục."
    assert problems[1].startswith(
        "Nhiệm vụ!F2: Địa bàn “Huyện Lục Nam” không có trong danh mục; gần nhất: Huyện Lục Ngạn"
    )
    assert problems[2].startswith(
        "Dự án trụ sở!B2: Phường, xã thuộc Thành phố Bắc Giang “Trần Phú Mới” không có trong danh mục; "
        "gần nhất: Trần Phú"
    )


def test_a_body_that_ended_before_the_rows_day_is_refused_by_its_cell(demo):
    """An open task is today's work: its lead and cooperating agencies must still be in office today."""
    ended = NEW_PLAN | {"Cơ quan chủ trì": "UBND huyện Lục Ngạn"}  # a document not registered yet, too
    merged = NEW_TRAINING | {"Cơ quan phối hợp": "Sở Xây dựng; Sở Tài nguyên và Môi trường"}
    problems = refused(demo, workbook([ended, merged]))
    assert problems == [
        "Nhiệm vụ!D2: Cơ quan chủ trì: “UBND huyện Lục Ngạn” đã kết thúc hoạt động từ 01/07/2025 "
        "(sắp xếp tổ chức); chọn cơ quan, đơn vị kế tục.",
        "Nhiệm vụ!E3: Cơ quan phối hợp: “Sở Tài nguyên và Môi trường” đã kết thúc hoạt động từ 01/03/2025 "
        "(sắp xếp tổ chức); chọn cơ quan, đơn vị kế tục.",
    ]
    with transaction(demo) as s:
        assert s.scalar(select(Document).where(Document.number == NEW_PLAN["Văn bản giao"])) is None


def test_a_deadline_before_its_document_is_refused(demo):
    problems = refused(demo, workbook([NEW_TRAINING | {"Hạn ban đầu": "01/01/2023"}]))
    assert problems == ["Nhiệm vụ!G2: Hạn ban đầu: hạn 01/01/2023 trước ngày của văn bản giao (07/11/2023)."]


def test_an_empty_content_is_refused(demo):
    problems = refused(demo, workbook([NEW_TRAINING | {"Nội dung nhiệm vụ": "  "}]))
    assert problems == ["Nhiệm vụ!C2: Nội dung nhiệm vụ: không được để trống."]


def test_a_duplicate_of_another_row_or_of_a_stored_task_is_refused(demo):
    with transaction(demo) as s:
        stored = as_row(stored_task(s, "Bố trí kinh phí xây mới", "luc-ngan"))
    again = {k: v for k, v in stored.items() if k != "Mã"} | {
        "Nội dung nhiệm vụ": stored["Nội dung nhiệm vụ"].upper()
    }
    twice = NEW_TRAINING | {"Nội dung nhiệm vụ": "  " + NEW_TRAINING["Nội dung nhiệm vụ"]}
    problems = refused(demo, workbook([again, NEW_TRAINING, twice]))
    assert problems == [
        f"Nhiệm vụ!C2: đã có nhiệm vụ mã {stored['Mã']} (cùng văn bản giao, cơ quan chủ trì, địa bàn và "
        f"nội dung); để cập nhật nhiệm vụ đó, ghi {stored['Mã']} vào cột “Mã”.",
        "Nhiệm vụ!C4: trùng với dòng 3 của trang (cùng văn bản giao, cơ quan chủ trì, địa bàn và nội dung).",
    ]


def test_a_formula_or_an_oversized_cell_is_refused(demo):
    book = load_workbook(io.BytesIO(workbook([NEW_TRAINING, NEW_PLAN])))
    ws = book[REGISTER_TASKS.title]
    ws["P2"] = '=HYPERLINK("http://example.invalid")'
    ws["M3"] = "x" * 5_001
    out = io.BytesIO()
    book.save(out)
    problems = refused(demo, out.getvalue())
    assert problems == [
        "Nhiệm vụ!P2: ô chứa công thức; chỉ nhập giá trị.",
        "Nhiệm vụ!M3: ô dài 5.001 ký tự, tối đa 5.000.",
    ]


def test_a_coordinator_is_refused_another_localitys_rows(demo):
    with transaction(demo) as s:
        theirs = stored_task(s, "Bố trí kinh phí xây mới", "viet-yen")
        own = stored_task(s, "Bố trí kinh phí xây mới", "luc-ngan")
        other_unit = s.execute(
            select(Unit.name).join(Locality).where(Locality.code == "viet-yen").order_by(Unit.name)
        ).scalar()
    rows = [
        {"Mã": theirs.id, "Ghi chú": "sửa hộ"},
        {"Mã": own.id, "Ghi chú": "của mình"},
        {"Mã": 999_999, "Ghi chú": "?"},
    ]
    hq = [{"Phường, xã": other_unit, "Địa bàn": "Thị xã Việt Yên"}]
    problems = refused(demo, workbook(rows, hq=hq), who="dp.lucngan")
    assert problems == [
        f"Nhiệm vụ!A2: nhiệm vụ mã {theirs.id} không thuộc phạm vi bạn phụ trách; "
        "bạn chỉ được nhập dữ liệu của địa phương, đơn vị, cơ quan mình phụ trách.",
        "Nhiệm vụ!A4: không có nhiệm vụ mã 999999.",
        "Dự án trụ sở!C2: dự án trụ sở này không thuộc phạm vi bạn phụ trách: bạn chỉ được thêm dự án trụ sở "
        "của địa phương, đơn vị, cơ quan mình phụ trách.",
    ]


def test_columns_no_import_changes_and_columns_the_role_may_not_edit_are_refused_where_they_differ(demo):
    with transaction(demo) as s:
        own = as_row(stored_task(s, "Bố trí kinh phí xây mới", "luc-ngan"))
    row = own | {"Nội dung nhiệm vụ": "Nội dung khác", "Hạn hiện tại": "31/12/2027", "Ghi chú": "ok"}
    problems = refused(demo, workbook([row]), who="dp.lucngan")
    assert problems[0].startswith("Nhiệm vụ!C2: Nội dung nhiệm vụ: khác với dữ liệu hiện có")
    assert problems[1] == "Nhiệm vụ!H2: Hạn hiện tại: vai trò của bạn không được sửa cột này."
    assert len(problems) == 2
    # the same columns as stored, or empty, are no change at all
    same = own | {"Ghi chú": "Đã rà soát"}
    same["Hạn hiện tại"] = None
    assert import_(demo, workbook([same]), who="dp.lucngan").total.updated == 1


def test_a_coordinator_may_not_add_tasks(demo):
    problems = refused(demo, workbook([NEW_PLAN]), who="dp.lucngan")
    assert problems == [
        "Nhiệm vụ!A2: vai trò “Cán bộ đầu mối (địa phương, đơn vị, cơ quan)” không được thêm nhiệm vụ "
        "(dòng có cột “Mã” để trống là dòng mới)."
    ]


def test_an_unknown_header_is_refused_by_its_cell(demo):
    headers = [*TASK_HEADERS, "Người theo dõi"]
    problems = refused(demo, workbook([NEW_TRAINING | {"Người theo dõi": "An"}], task_headers=headers))
    assert problems[0].startswith("Nhiệm vụ!Q1: cột “Người theo dõi” không có trong mẫu của trang “Nhiệm vụ”")


def test_a_missing_required_column_or_data_outside_the_columns_is_refused(demo):
    headers = [h for h in TASK_HEADERS if h != "Cơ quan chủ trì"]
    assert refused(demo, workbook([NEW_TRAINING], task_headers=headers)) == [
        "Nhiệm vụ!A1: thiếu cột bắt buộc: “Cơ quan chủ trì”."
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Ma;Noi dung\n1;x\n", r"Tệp không phải bảng tính Excel \(\.xlsx\)"),
        (b"PK\x03\x04" + b"\0" * 100, "Tệp .xlsx bị hỏng"),
        (None, "Tệp không có trang tính “Nhiệm vụ”"),
    ],
    ids=["csv", "damaged", "no-task-sheet"],
)
def test_a_file_that_is_not_a_register_is_refused_whole(demo, data, message):
    if data is None:
        book = Workbook()
        book.active.title = "Sheet1"
        book.active.append(TASK_HEADERS)
        out = io.BytesIO()
        book.save(out)
        data = out.getvalue()
    before = counts(demo)
    with pytest.raises(register.RegisterRefused, match=message):
        preview(demo, data)
    with pytest.raises(register.RegisterRefused, match=message):
        import_(demo, data)
    assert counts(demo) == before


def test_the_import_is_all_or_nothing_across_batches(demo):
    """Rows are written batch by batch in one transaction: a refused row in the last batch leaves none."""
    rows = [
        NEW_TRAINING | {"Nội dung nhiệm vụ": f"Tập huấn đợt {i}", "Hạn ban đầu": date(2027, 1, 1)}
        for i in range(1, register.BATCH * 2 + 11)
    ]
    rows[-1] = rows[-1] | {"Cơ quan chủ trì": "Cơ quan không có"}
    problems = refused(demo, workbook(rows))
    assert problems == [
        f"Nhiệm vụ!D{len(rows) + 1}: Cơ quan chủ trì “Cơ quan không có” không có trong danh mục."
    ]
    rows[-1] = rows[-1] | {"Cơ quan chủ trì": "Công an tỉnh Bắc Ninh"}
    before = counts(demo)
    done = import_(demo, workbook(rows))
    assert done.total.new == len(rows) == counts(demo)["Task"] - before["Task"]


# --- the template ------------------------------------------------------------------------------------


def test_the_template_has_every_sheet_with_the_catalogue_headers_and_imports_as_is(demo):
    with transaction(demo) as s:
        lists = register.template_lists(s)
    data = register.template_bytes(lists)
    book = load_workbook(io.BytesIO(data))
    for sheet in REGISTER_SHEETS:
        assert [c.value for c in book[sheet.title][1]] == [c.label for c in sheet.columns]
    names = book["Danh mục"]
    agencies = [c.value for c in names["A"][1:] if c.value is not None]
    with transaction(demo) as s:
        assert set(agencies) == set(s.scalars(select(Agency.name)))
    seen = preview(demo, data)  # the empty template: nothing to do, nothing refused
    assert seen.ok and seen.total.new == seen.total.updated == 0 and not seen.notes
    # filled in, as a user would
    ws = book[REGISTER_TASKS.title]
    ws.append([NEW_TRAINING.get(c.label) for c in REGISTER_TASKS.columns])
    out = io.BytesIO()
    book.save(out)
    assert import_(demo, out.getvalue()).total.new == 1
