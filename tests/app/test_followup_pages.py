"""/qua-han, /bao-cao, the meeting mode and the Excel import panel through AppTest."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lib.core import rules
from lib.core.filters import Filters
from lib.data import followup, queries
from lib.data.db import make_engine, transaction
from lib.data.models import AuditEvent, Task
from lib.files import export
from lib.ops.seed import DEMO_TODAY
from tests.support.apptest import open_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return make_engine(f"sqlite:///{demo_copy}")


def metrics(at):
    return {m.label: m.value for m in at.metric}


def test_the_followup_page_counts_what_is_late_and_offers_each_list_for_download(db):
    at = open_page("vanphong", "pages/followup.py")
    with transaction(db) as s:
        overdue = followup.overdue_tasks(s, Filters(), DEMO_TODAY)
        soon = followup.due_soon_tasks(s, Filters(), DEMO_TODAY, 30)
        silent = followup.count_silent_tasks(s, Filters(), DEMO_TODAY, 90)
    shown = metrics(at)
    assert shown["Quá hạn, chưa hoàn thành"] == str(len(overdue)) == "9"
    assert shown["Sắp đến hạn (30 ngày tới)"] == str(len(soon))
    assert shown["Không cập nhật quá 90 ngày"] == str(silent)
    assert shown["Báo cáo năm 2026 chưa gửi"] == "10/11"
    assert "**Số liệu tính đến ngày 29/11/2026**" in [m.value for m in at.markdown]
    keys = {b.proto.id for b in at.download_button}
    assert len(keys) == 4  # overdue, due soon, yearly reports, silent
    listed = next(df.value for df in at.dataframe if "days_overdue" in df.value.columns)
    assert list(listed["days_overdue"]) == sorted(listed["days_overdue"], reverse=True)


def test_the_followup_lists_follow_the_filters_and_the_window(db):
    at = open_page("lanhdao", "pages/followup.py", dia_ban="bac-giang")
    at.number_input(key="followup_due_days").set_value(90).run()
    assert not at.exception
    with transaction(db) as s:
        soon = followup.due_soon_tasks(s, Filters(localities=("bac-giang",)), DEMO_TODAY, 90)
    assert metrics(at)["Sắp đến hạn (90 ngày tới)"] == str(len(soon))


def test_the_followup_export_holds_every_row_of_the_list(db):
    from lib.ui.loaders import export_followup

    data = export_followup(str(db.url), "overdue", Filters(), DEMO_TODAY, 0)
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    with transaction(db) as s:
        expected = [r["id"] for r in followup.overdue_tasks(s, Filters(), DEMO_TODAY)]
    ids = [ws.cell(r, 1).value for r in range(export.FIRST_DATA_ROW, ws.max_row + 1)]
    assert ids == expected and len(ids) == 9


def test_the_report_page_shows_the_official_table_for_a_locality(db):
    at = open_page("lanhdao", "pages/report.py", dia_ban="luc-ngan")
    assert at.selectbox[0].value == "luc-ngan"
    table = next(df.value for df in at.dataframe if "label" in df.value.columns)
    with transaction(db) as s:
        summary = queries.total_buckets(
            queries.count_buckets_by_locality(s, Filters(localities=("luc-ngan",)), DEMO_TODAY, 0)
        )
    assert table.iloc[0].tolist()[:2] == ["Tổng số nhiệm vụ", summary.total]
    assert table.iloc[6].tolist()[:2] == ["— Quá hạn, chưa hoàn thành", summary.count(rules.OVERDUE)]
    assert {b.proto.label for b in at.download_button} == {"Tải báo cáo (.docx)", "Tải số liệu (.xlsx)"}
    at.selectbox[0].set_value("toan-tinh").run()
    assert "dia_ban" not in at.query_params
    # As of the demo's date the province is the new tỉnh Bắc Ninh (from 1/7/2025).
    assert any("Tỉnh Bắc Ninh" in h.value for h in at.subheader)


def test_a_bad_locality_in_the_report_url_falls_back_to_the_province_with_a_warning(db):
    at = open_page("lanhdao", "pages/report.py", dia_ban="ha-noi")
    assert any("ha-noi" in w.value for w in at.warning)
    assert at.selectbox[0].value == "toan-tinh"


def test_meeting_mode_shows_large_tiles_a_fixed_date_and_no_filters(db):
    at = open_page("lanhdao", None, ngay="2026-10-01", trinh_chieu="1", dia_ban="viet-yen")
    assert "## Số liệu tính đến ngày 01/10/2026" in [m.value for m in at.markdown]
    assert "### Phạm vi: Thị xã Việt Yên" in [m.value for m in at.markdown]
    assert len(at.metric) == 8 and not at.multiselect and not at.date_input  # nothing to move the figures
    assert len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart")) == 2
    assert any("stSidebar" in h.proto.body for h in at.get("html"))  # the sidebar is hidden
    with transaction(db) as s:
        b = queries.total_buckets(
            queries.count_buckets_by_locality(s, Filters(localities=("viet-yen",)), date(2026, 10, 1), 30)
        )
    assert metrics(at)["Tổng số nhiệm vụ"] == str(b.total)


def test_the_overview_links_to_meeting_mode_in_one_click(db):
    at = open_page("lanhdao", None, dia_ban="luc-ngan")
    link = next(p.proto for p in at.get("page_link") if "trình chiếu" in p.proto.label)
    assert "trinh_chieu=1" in link.query_string and "dia_ban=luc-ngan" in link.query_string


# --- import through the task page --------------------------------------------------------------


def exported(db, locality):
    from lib.ui.loaders import export_tasks

    return export_tasks(str(db.url), Filters(localities=(locality,)), DEMO_TODAY, 30, "Danh sách")


def upload(at, name, data):
    at.file_uploader(key="tasks_import_file").set_value((name, data, XLSX))
    at.run()
    assert not at.exception, at.exception
    return at


def test_importing_the_exported_view_says_there_is_nothing_to_change(db):
    at = open_page("dp.vietyen", "pages/tasks.py")
    upload(at, "nhiem-vu.xlsx", exported(db, "viet-yen"))
    assert any("không có thay đổi nào" in s.value for s in at.success)
    assert not [b for b in at.button if b.key == "tasks_import_apply"]


def test_an_edited_file_is_previewed_then_applied_and_audited(db):
    data = exported(db, "viet-yen")
    book = load_workbook(io.BytesIO(data))
    ws = book.worksheets[0]
    headers = {c.value: c.column for c in ws[export.HEADER_ROW]}
    row_id = ws.cell(export.FIRST_DATA_ROW, headers["Mã"]).value
    ws.cell(export.FIRST_DATA_ROW, headers["Ghi chú"]).value = "Đã rà soát theo tệp"
    out = io.BytesIO()
    book.save(out)

    at = open_page("dp.vietyen", "pages/tasks.py")
    upload(at, "cap-nhat.xlsx", out.getvalue())
    preview = next(df.value for df in at.dataframe if "new" in df.value.columns)
    assert preview[["row_id", "label", "new"]].values.tolist() == [[row_id, "Ghi chú", "Đã rà soát theo tệp"]]
    at.button(key="tasks_import_apply").click().run()
    assert not at.exception
    assert any("Đã nhập 1 ô trong 1 dòng" in s.value for s in at.success)
    with transaction(db) as s:
        assert s.get(Task, row_id).notes == "Đã rà soát theo tệp"
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.row_id, event.actor, event.reason) == (
        "import",
        row_id,
        "dp.vietyen",
        "Nhập từ tệp cap-nhat.xlsx",
    )


def test_a_file_with_another_localitys_rows_is_refused_in_the_page(db):
    at = open_page("dp.vietyen", "pages/tasks.py")
    upload(at, "bac-giang.xlsx", exported(db, "bac-giang"))
    assert any("không thuộc phạm vi bạn phụ trách" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "tasks_import_apply"]


def test_a_refused_file_is_recorded_once_however_often_the_page_reruns(db):
    at = open_page("dp.vietyen", "pages/tasks.py")
    with transaction(db) as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "refused"))
    upload(at, "bac-giang.xlsx", exported(db, "bac-giang"))
    at.run()
    at.run()
    assert any("không thuộc phạm vi bạn phụ trách" in e.value for e in at.error)
    with transaction(db) as s:
        after = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "refused"))
    assert after == before + 1


def test_a_filter_the_followup_page_does_not_show_never_narrows_it(db):
    at = open_page("vanphong", "pages/tasks.py")
    at.multiselect(key="tasks_f_bucket").set_value(["trong_han"]).run()
    assert not at.exception
    at.switch_page("pages/followup.py").run()
    assert not at.exception
    assert metrics(at)["Quá hạn, chưa hoàn thành"] == "9"
    at.switch_page("pages/tasks.py").run()
    assert at.multiselect(key="tasks_f_bucket").value == ["trong_han"]  # still remembered there


def test_a_file_that_is_not_a_workbook_is_refused_in_the_page(db):
    at = open_page("vanphong", "pages/tasks.py")
    upload(at, "ghi-chu.xlsx", b"day khong phai excel")
    assert any("không phải bảng tính Excel" in e.value for e in at.error)


def test_a_row_whose_ma_was_changed_in_the_file_is_refused_naming_it(db):
    """Once, a Mã changed in the file silently wrote the row's cells over another task (same version)."""
    book = load_workbook(io.BytesIO(exported(db, "viet-yen")))
    ws = book.worksheets[0]
    headers = {c.value: c.column for c in ws[export.HEADER_ROW]}
    first = export.FIRST_DATA_ROW
    version = ws.cell(first, headers["Phiên bản"]).value
    # the next task at the same version (tasks passed on in 2025 are a version ahead)
    second = next(
        r for r in range(first + 1, ws.max_row + 1) if ws.cell(r, headers["Phiên bản"]).value == version
    )
    own_id, other_id = (ws.cell(r, headers["Mã"]).value for r in (first, second))
    ws.cell(first, headers["Mã"]).value = other_id  # points the first row at the second task
    ws.cell(first, headers["Ghi chú"]).value = "Ghi vào nhầm nhiệm vụ"
    ws.delete_rows(second)  # so the file names each task once
    out = io.BytesIO()
    book.save(out)
    with transaction(db) as s:
        before = s.get(Task, other_id).notes

    at = open_page("vanphong", "pages/tasks.py")
    upload(at, "sua-ma.xlsx", out.getvalue())
    problems = " ".join(e.value for e in at.error)
    assert f"Dòng {first} (mã {other_id}): dòng này không phải nhiệm vụ mang mã {other_id}" in problems
    assert not [b for b in at.button if b.key == "tasks_import_apply" and not b.disabled]
    with transaction(db) as s:
        assert s.get(Task, other_id).notes == before and own_id != other_id
