"""Reporting periods in the page (AppTest, /bao-cao): a focal point saves a draft and submits it, then sees it
frozen; a save sent over a submitted entry is refused with the reason and writes nothing; the office opens
and closes periods; a report for a closed period says its figures are frozen."""

from datetime import datetime

import pytest
from sqlalchemy import select

from lib.data.db import make_engine, transaction
from lib.data.models import HqProjectYear, PeriodEntry, ReportPeriod
from lib.data.periods import entry_rows, get_period
from lib.editing import actions
from lib.editing import periods as edits
from tests.support.apptest import keyed, open_page
from tests.support.edit_machinery import actor

pytestmark = pytest.mark.usefixtures("fresh_caches")
REPORT = "pages/report.py"


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return make_engine(f"sqlite:///{demo_copy}")


def year_2026(db) -> int:
    with transaction(db) as s:
        return int(s.scalar(select(ReportPeriod.id).where(ReportPeriod.label == "Năm 2026")))


def lucngan_task(db, period_id: int, state: str | None = None) -> int:
    """A task dp.lucngan writes for in the period, with no entry yet (or a draft)."""
    with transaction(db) as s:
        period = get_period(s, period_id)
        assert period is not None
        rows = entry_rows(s, actor(db, "dp.lucngan"), period)
    return next(r.task_id for r in rows if r.state == state)


def entry(db, period_id: int, task_id: int) -> PeriodEntry | None:
    with transaction(db) as s:
        e = s.scalar(
            select(PeriodEntry).where(PeriodEntry.period_id == period_id, PeriodEntry.task_id == task_id)
        )
        if e is not None:
            s.expunge(e)
        return e


def test_a_focal_point_saves_a_draft_then_submits_and_sees_it_frozen(db):
    period_id, at = year_2026(db), open_page("dp.lucngan", REPORT)
    task_id = lucngan_task(db, period_id)
    assert at.selectbox(key="period_entry_period").value == period_id
    keyed(at.selectbox, "period_entry_task").set_value(task_id).run()
    assert not at.exception, at.exception
    at.text_area(key=f"period_entry_result_{period_id}_{task_id}").input("Đã khảo sát 3 vị trí đất.")
    at.number_input(key=f"period_entry_progress_{period_id}_{task_id}").set_value(40)
    proposals = at.text_area(key=f"period_entry_proposals_{period_id}_{task_id}")
    proposals.input("Đề nghị UBND tỉnh bố trí kinh phí.")
    at.button(key="period_entry_save").click().run()
    assert not at.exception, at.exception
    assert any(f"Đã lưu nháp báo cáo kỳ Năm 2026 của nhiệm vụ mã {task_id}" in s.value for s in at.success)
    draft = entry(db, period_id, task_id)
    assert (draft.state, draft.progress_pct, draft.result) == ("draft", 40, "Đã khảo sát 3 vị trí đất.")

    keyed(at.selectbox, "period_entry_task").set_value(task_id).run()
    at.button(key="period_entry_submit").click().run()
    assert not at.exception, at.exception
    assert any(f"Đã nộp báo cáo kỳ Năm 2026 của nhiệm vụ mã {task_id}" in s.value for s in at.success)
    assert entry(db, period_id, task_id).state == "submitted"
    # Shown frozen: no form any more, the values as submitted.
    keyed(at.selectbox, "period_entry_task").set_value(task_id).run()
    assert any("báo cáo đã chốt, không sửa được nữa" in i.value for i in at.info)
    assert f"period_entry_result_{period_id}_{task_id}" not in [t.key for t in at.text_area]
    listed = next(d.value for d in at.dataframe if "Tình trạng" in d.value.columns)
    assert listed.loc[listed["Mã"] == task_id, "Tình trạng"].item() == "Đã nộp"


def test_a_save_over_an_entry_submitted_meanwhile_is_refused_in_vietnamese_and_writes_nothing(db):
    period_id = year_2026(db)
    task_id = lucngan_task(db, period_id)
    draft = edits.Draft(result="Bản nháp.", progress_pct=30)
    actions.perform(
        db,
        actor(db, "dp.lucngan"),
        edits.save_entry,
        period_id,
        task_id,
        draft,
        0,
        now=datetime(2026, 11, 28, 9),
    )
    at = open_page("dp.lucngan", REPORT)
    keyed(at.selectbox, "period_entry_task").set_value(task_id).run()
    at.text_area(key=f"period_entry_result_{period_id}_{task_id}").input("Bản trong tab thứ hai.")
    # Meanwhile, from another tab, the entry is written and submitted.
    actions.perform(
        db,
        actor(db, "dp.lucngan"),
        edits.save_entry,
        period_id,
        task_id,
        edits.Draft(result="Bản đã nộp.", progress_pct=50),
        1,
        now=datetime(2026, 11, 29, 9, 0),
        submit=True,
    )
    at.button(key="period_entry_save").click().run()
    assert not at.exception, at.exception
    assert any(
        "đã nộp lúc 09:00 29/11/2026" in e.value and "không sửa được nữa" in e.value for e in at.error
    ), [e.value for e in at.error]
    stored = entry(db, period_id, task_id)
    assert (stored.state, stored.result, stored.progress_pct, stored.version) == (
        "submitted",
        "Bản đã nộp.",
        50,
        2,
    )


def test_the_office_opens_and_closes_periods_and_a_reader_only_reads(db):
    at = open_page("vanphong", REPORT)
    at.radio(key="periods_kind").set_value("nua_nam").run()
    at.number_input(key="periods_year").set_value(2027).run()
    assert at.text_input(key="periods_label").value == "6 tháng đầu năm 2027"
    at.button(key="periods_open").click().run()
    assert not at.exception, at.exception
    assert any("Đã mở kỳ “6 tháng đầu năm 2027”" in s.value for s in at.success)
    period_id = year_2026(db)
    at.button(key=f"periods_close_{period_id}").click().run()
    assert not at.exception, at.exception
    assert any("Đã chốt kỳ “Năm 2026”" in s.value for s in at.success)
    with transaction(db) as s:
        states = dict(s.execute(select(ReportPeriod.label, ReportPeriod.state)).all())
    assert (states["6 tháng đầu năm 2027"], states["Năm 2026"]) == ("open", "closed")

    leader = open_page("lanhdao", REPORT)
    assert "periods_open" not in [b.key for b in leader.button]
    assert "period_entry_save" not in [b.key for b in leader.button]


def test_a_report_for_a_closed_period_says_its_figures_are_frozen(db):
    at = open_page("lanhdao", REPORT, ngay="2025-12-31")
    assert any("Số liệu theo báo cáo kỳ Năm 2025 đã chốt ngày 20/12/2025." in i.value for i in at.info)
    labels = [m.label for m in at.metric]
    assert "Tỷ lệ giải ngân năm 2025" in labels and "Dự toán (tỷ đồng)" not in labels
    assert any("[Năm 2025](/bao-cao?ngay=2025-12-31)" in c.value for c in at.caption)
    today = open_page("lanhdao", REPORT)
    assert not any("Số liệu theo báo cáo kỳ" in i.value for i in today.info)
    assert "Tỷ lệ giải ngân năm 2026" in [m.label for m in today.metric]


def test_the_money_of_a_year_is_set_on_the_headquarters_page_and_a_closed_year_is_refused(db):
    with transaction(db) as s:
        project_id, plan_2025 = s.execute(
            select(HqProjectYear.project_id, HqProjectYear.plan_vnd)
            .where(HqProjectYear.year == 2025)
            .order_by(HqProjectYear.project_id)
        ).first()
    at = open_page("vanphong", "pages/hq.py")
    at.selectbox(key="hq_year_project").set_value(project_id).run()
    at.number_input(key="hq_year_year").set_value(2025).run()
    keyed(at.text_input, f"hq_year_plan_{project_id}_2025").input("1.000.000")
    at.button(key="hq_year_save").click().run()
    assert not at.exception, at.exception
    assert any("Kỳ “Năm 2025” đã chốt" in e.value and "không sửa được nữa" in e.value for e in at.error)
    at.number_input(key="hq_year_year").set_value(2026).run()
    keyed(at.text_input, f"hq_year_plan_{project_id}_2026").input("6.000.000.000")
    keyed(at.text_input, f"hq_year_disbursed_{project_id}_2026").input("1.500.000.000")
    at.button(key="hq_year_save").click().run()
    assert not at.exception, at.exception
    assert any(f"Đã lưu vốn năm 2026 của dự án mã {project_id}" in s.value for s in at.success)
    with transaction(db) as s:
        years = {
            y.year: (y.plan_vnd, y.disbursed_vnd)
            for y in s.scalars(select(HqProjectYear).where(HqProjectYear.project_id == project_id))
        }
    assert years[2025][0] == plan_2025 and years[2026] == (6_000_000_000, 1_500_000_000)


def test_a_years_money_saved_meanwhile_by_someone_else_is_never_overwritten(db):
    # The office opens a project's 2026 money; meanwhile the administrator saves new figures for it. The
    # office's save, from the figures it was shown, is refused (it used to pass: the version checked was
    # read on the click, and the boxes still held the old figures, so they overwrote the new ones).
    with transaction(db) as s:
        row = s.scalars(
            select(HqProjectYear).where(HqProjectYear.year == 2026).order_by(HqProjectYear.project_id)
        ).first()
        project_id, version = row.project_id, row.version
    at = open_page("vanphong", "pages/hq.py")
    at.selectbox(key="hq_year_project").set_value(project_id).run()
    at.number_input(key="hq_year_year").set_value(2026).run()
    actions.perform(
        db, actor(db, "admin"), edits.set_year_money, project_id, 2026, "7.000.000.000", "2.000.000.000",
        version, now=datetime(2026, 11, 29, 10),
    )  # fmt: skip
    keyed(at.text_input, f"hq_year_disbursed_{project_id}_2026").input("1.000.000.000")
    at.button(key="hq_year_save").click().run()
    assert not at.exception, at.exception
    assert any("vừa được admin sửa" in e.value for e in at.error)
    with transaction(db) as s:
        stored = s.get(HqProjectYear, (project_id, 2026))
        assert (stored.plan_vnd, stored.disbursed_vnd) == (7_000_000_000, 2_000_000_000)
    # Refused again on a second click; "Tải số liệu mới" shows the administrator's figures, to start from.
    at.button(key="hq_year_save").click().run()
    assert any("vừa được admin sửa" in e.value for e in at.error)
    assert any("vừa được người khác sửa sau khi bạn mở" in w.value for w in at.warning)
    at.button(key="hq_year_reload").click().run()
    assert not at.warning
    assert keyed(at.text_input, f"hq_year_plan_{project_id}_2026").value == "7000000000"
    keyed(at.text_input, f"hq_year_disbursed_{project_id}_2026").input("2.500.000.000")
    at.button(key="hq_year_save").click().run()
    assert any(f"Đã lưu vốn năm 2026 của dự án mã {project_id}" in s.value for s in at.success)
    with transaction(db) as s:
        stored = s.get(HqProjectYear, (project_id, 2026))
        assert (stored.plan_vnd, stored.disbursed_vnd) == (7_000_000_000, 2_500_000_000)
