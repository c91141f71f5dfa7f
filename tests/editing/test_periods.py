"""Reporting periods on both engines: an owner saves a draft and submits it, after which every change is
refused with a message and nothing is written; late entries are marked; only the office opens and
closes periods; a year's money is frozen with its closed yearly period; and a 2025 report printed in
2026 equals the frozen 2025 figures whatever was edited after the freeze."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from docx import Document
from sqlalchemy import delete, func, select, update

from lib.core import periods as rule
from lib.core import rules
from lib.core.filters import Filters
from lib.core.roles import PermissionDenied, Refused
from lib.data import periods as reads
from lib.data import queries
from lib.data.db import transaction
from lib.data.models import (
    AuditEvent,
    HqProject,
    HqProjectYear,
    Locality,
    PeriodEntry,
    PeriodTask,
    ReportPeriod,
    Task,
)
from lib.editing import actions
from lib.editing import periods as edits
from lib.editing.changeset import ValidationFailed
from lib.files import report
from lib.ops.seed import seed_demo
from tests.support.edit_machinery import actor

NOW = datetime(2026, 11, 29, 10, 0)
DRAFT = edits.Draft(
    result="Đã khảo sát 3 vị trí đất cho trụ sở.",
    progress_pct="60",
    obstacles="Chưa có quỹ đất 500 m².",
    proposals="Đề nghị UBND tỉnh bố trí bổ sung kinh phí.",
)


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def run(engine, who, fn, *args, **kwargs):
    return actions.perform(engine, actor(engine, who), fn, *args, **kwargs)


def open_year(engine) -> ReportPeriod:
    with transaction(engine) as s:
        p = s.scalars(select(ReportPeriod).where(ReportPeriod.label == "Năm 2026")).one()
        s.expunge(p)
        return p


def unwritten_task(engine, period_id: int, locality: str = "luc-ngan") -> int:
    """A task of the district with no entry yet for the period."""
    with transaction(engine) as s:
        written = select(PeriodEntry.task_id).where(PeriodEntry.period_id == period_id)
        task_id = s.scalar(
            select(Task.id)
            .join(Locality, Locality.id == Task.locality_id)
            .where(Locality.code == locality, Task.state != "huy", Task.id.not_in(written))
            .order_by(Task.id)
        )
        assert task_id is not None
        return int(task_id)


def stored(engine, period_id: int, task_id: int) -> PeriodEntry | None:
    with transaction(engine) as s:
        e = s.scalar(
            select(PeriodEntry).where(PeriodEntry.period_id == period_id, PeriodEntry.task_id == task_id)
        )
        if e is not None:
            s.expunge(e)
        return e


def test_a_draft_is_saved_again_then_submitted_and_then_frozen(demo):
    period = open_year(demo)
    task_id = unwritten_task(demo, period.id)
    run(demo, "dp.lucngan", edits.save_entry, period.id, task_id, DRAFT, 0, now=NOW)
    first = stored(demo, period.id, task_id)
    assert (first.state, first.progress_pct, first.version) == ("draft", 60, 1)
    better = edits.Draft(result=DRAFT.result, progress_pct=75, obstacles="", proposals=DRAFT.proposals)
    run(demo, "dp.lucngan", edits.save_entry, period.id, task_id, better, 1, now=NOW)
    run(demo, "dp.lucngan", edits.save_entry, period.id, task_id, better, 2, now=NOW, submit=True)
    frozen = stored(demo, period.id, task_id)
    assert (frozen.state, frozen.progress_pct, frozen.obstacles, frozen.submitted_by, frozen.late) == (
        "submitted",
        75,
        "",
        "dp.lucngan",
        False,  # due 10/12/2026, submitted 29/11
    )
    # After submission every change is refused, even by the office, and nothing is written.
    for who in ("dp.lucngan", "vanphong"):
        with pytest.raises(Refused, match=r"đã nộp lúc 10:00 29/11/2026.*không sửa được nữa"):
            run(demo, who, edits.save_entry, period.id, task_id, DRAFT, frozen.version, now=NOW)
    with pytest.raises(Refused, match="không sửa được nữa"):
        run(
            demo,
            "dp.lucngan",
            edits.save_entry,
            period.id,
            task_id,
            DRAFT,
            frozen.version,
            now=NOW,
            submit=True,
        )
    after = stored(demo, period.id, task_id)
    assert (after.progress_pct, after.version, after.result) == (75, frozen.version, DRAFT.result)
    with transaction(demo) as s:
        trail = s.execute(
            select(AuditEvent.action, AuditEvent.field).where(
                AuditEvent.entity == "period_entry", AuditEvent.row_id == frozen.id
            )
        ).all()
        refusals = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "refused_frozen")
        )
    assert ("create", "progress_pct") in trail and ("submit", "state") in trail
    assert ("update", "progress_pct") in trail and ("update", "obstacles") in trail
    assert refusals == 3


def test_an_entry_out_of_scope_or_badly_typed_is_refused_and_nothing_is_written(demo):
    period = open_year(demo)
    task_id = unwritten_task(demo, period.id, "luc-ngan")
    with pytest.raises(PermissionDenied, match="không thuộc phạm vi"):
        run(demo, "dp.yendung", edits.save_entry, period.id, task_id, DRAFT, 0, now=NOW)
    with pytest.raises(PermissionDenied):
        run(demo, "lanhdao", edits.save_entry, period.id, task_id, DRAFT, 0, now=NOW)
    with pytest.raises(ValidationFailed, match="0–100"):
        run(demo, "dp.lucngan", edits.save_entry, period.id, task_id, edits.Draft("x", "150"), 0, now=NOW)
    with pytest.raises(ValidationFailed, match="kết quả trong kỳ trước khi nộp"):
        run(
            demo,
            "dp.lucngan",
            edits.save_entry,
            period.id,
            task_id,
            edits.Draft("", 50),
            0,
            now=NOW,
            submit=True,
        )
    assert stored(demo, period.id, task_id) is None


def test_two_saves_from_the_same_view_the_second_is_told(demo):
    period = open_year(demo)
    task_id = unwritten_task(demo, period.id)
    run(demo, "dp.lucngan", edits.save_entry, period.id, task_id, DRAFT, 0, now=NOW)
    with pytest.raises(Refused, match=r"vừa được lưu bởi dp\.lucngan"):
        run(demo, "vanphong", edits.save_entry, period.id, task_id, edits.Draft("khác", 10), 0, now=NOW)
    assert stored(demo, period.id, task_id).result == DRAFT.result


def test_late_entries_are_marked_and_counted_and_a_closed_period_takes_none(demo):
    pid = run(
        demo, "vanphong", edits.open_period, rule.QUARTER, "Quý 3 năm 2026", "01/07/2026", "30/09/2026",
        "10/10/2026", now=NOW,
    )  # fmt: skip
    task_id = unwritten_task(demo, pid)
    run(demo, "dp.lucngan", edits.save_entry, pid, task_id, DRAFT, 0, now=NOW, submit=True)
    entry = stored(demo, pid, task_id)
    assert entry.late is True
    assert rule.entry_status(entry.state, entry.late, date(2026, 10, 10), NOW.date()) == rule.LATE_SUBMITTED
    assert rule.ENTRY_STATUS_LABELS[rule.LATE_SUBMITTED] == "Đã nộp muộn"
    with transaction(demo) as s:
        row = next(p for p in reads.list_periods(s) if p.id == pid)
    assert (row.entries, row.submitted, row.late) == (1, 1, 1)
    run(demo, "vanphong", edits.close_period, pid, 1, now=NOW)
    other = unwritten_task(demo, pid)
    with pytest.raises(Refused, match="Kỳ “Quý 3 năm 2026” đã chốt bởi vanphong"):
        run(demo, "dp.lucngan", edits.save_entry, pid, other, DRAFT, 0, now=NOW)
    with pytest.raises(Refused, match="đã được chốt"):
        run(demo, "vanphong", edits.close_period, pid, 1, now=NOW)
    assert stored(demo, pid, other) is None


def test_only_the_office_opens_periods_and_bad_periods_are_refused(demo):
    with pytest.raises(PermissionDenied, match="Chỉ văn phòng"):
        run(
            demo,
            "dp.lucngan",
            edits.open_period,
            rule.YEAR,
            "Năm 2027",
            "1/1/2027",
            "31/12/2027",
            "10/12/2027",
            now=NOW,
        )
    with pytest.raises(ValidationFailed, match="trước ngày bắt đầu"):
        run(
            demo,
            "vanphong",
            edits.open_period,
            rule.YEAR,
            "Năm 2027",
            "31/12/2027",
            "1/1/2027",
            "10/12/2027",
            now=NOW,
        )
    with pytest.raises(Refused, match="Đã có kỳ báo cáo “Năm 2026”"):
        run(
            demo,
            "vanphong",
            edits.open_period,
            rule.YEAR,
            "Năm 2026",
            "1/1/2026",
            "31/12/2026",
            "10/12/2026",
            now=NOW,
        )
    with transaction(demo) as s:
        assert (
            s.scalar(select(func.count()).select_from(ReportPeriod).where(ReportPeriod.label == "Năm 2027"))
            == 0
        )


def test_the_demo_years_add_up_to_the_running_totals(demo):
    with transaction(demo) as s:
        allocated, disbursed = s.execute(
            select(func.sum(HqProject.allocated_vnd), func.sum(HqProject.disbursed_vnd))
        ).one()
        plans, paid = s.execute(
            select(func.sum(HqProjectYear.plan_vnd), func.sum(HqProjectYear.disbursed_vnd))
        ).one()
        years = set(s.scalars(select(HqProjectYear.year)))
        over = s.scalar(
            select(func.count())
            .select_from(HqProjectYear)
            .where(HqProjectYear.disbursed_vnd > HqProjectYear.plan_vnd)
        )
    assert (plans, paid, years, over) == (allocated, disbursed, {2024, 2025, 2026}, 0)


def frozen_fields(entries) -> list[tuple]:
    """What an entry froze (not the task's live progress it started from)."""
    return [
        (e.task_id, e.result, e.progress_pct, e.obstacles, e.proposals, e.submitted_at, e.late)
        for e in entries
    ]


def _docx_text(data: bytes) -> list[str]:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return [p.text for p in doc.paragraphs] + cells


def test_a_2025_report_printed_in_2026_equals_the_frozen_2025_figures(demo):
    as_of = date(2025, 12, 31)
    with transaction(demo) as s:
        before = report.build_report(s, None, as_of, 30)
    assert before.frozen_note == "Số liệu theo báo cáo kỳ Năm 2025 đã chốt ngày 20/12/2025."
    assert before.year_money is not None and before.year_money.year == 2025
    assert before.year_money.rate == before.year_money.disbursed / before.year_money.plan
    assert before.period_entries and all(e.state == "submitted" for e in before.period_entries)
    docx_before = report.report_docx(before, issued_on=date(2026, 11, 29))
    text = "\n".join(_docx_text(docx_before))
    assert "Số liệu theo báo cáo kỳ Năm 2025 đã chốt ngày 20/12/2025." in text
    assert f"Kế hoạch vốn năm 2025: {report.fmt_vnd(before.year_money.plan)}" in text

    # In 2026: tasks and money are edited; the 2025 year's money cannot be.
    frozen_task = before.period_entries[0].task_id
    with transaction(demo, write=True) as s:
        s.execute(update(Task).values(progress_pct=99, obstacles="Sửa sau khi chốt."))
        s.execute(update(HqProject).values(disbursed_vnd=HqProject.allocated_vnd))
        s.execute(
            update(HqProjectYear)
            .where(HqProjectYear.year == 2026)
            .values(plan_vnd=HqProjectYear.plan_vnd * 2)
        )
    with transaction(demo) as s:
        project_id, version = s.execute(
            select(HqProjectYear.project_id, HqProjectYear.version).where(HqProjectYear.year == 2025)
        ).first()
    with pytest.raises(Refused, match=r"Kỳ “Năm 2025” đã chốt.*vốn năm 2025 .* không sửa được nữa"):
        run(demo, "vanphong", edits.set_year_money, project_id, 2025, "1", "0", version, now=NOW)
    run(
        demo, "vanphong", edits.set_year_money, project_id, 2026, "5.000.000.000", "1.000.000.000", 1, now=NOW
    )
    with pytest.raises(Refused, match="không sửa được nữa"):
        run(demo, "dp.lucngan", edits.save_entry, before.period.id, frozen_task, DRAFT, 1, now=NOW)

    with transaction(demo) as s:
        after = report.build_report(s, None, as_of, 30)
        today = report.build_report(s, None, date(2026, 11, 29), 30)
    assert (after.frozen_note, after.year_money, after.year_money_by_locality, after.cumulative) == (
        before.frozen_note,
        before.year_money,
        before.year_money_by_locality,
        before.cumulative,
    )
    assert frozen_fields(after.period_entries) == frozen_fields(before.period_entries)
    assert [
        (t["id"], t["progress_pct"], t["obstacles"])
        for t in after.overdue
        if t["id"] in {e.task_id for e in after.period_entries}
    ] == [
        (t["id"], t["progress_pct"], t["obstacles"])
        for t in before.overdue
        if t["id"] in {e.task_id for e in before.period_entries}
    ]
    assert _docx_text(report.report_docx(after, issued_on=date(2026, 11, 29))) == _docx_text(docx_before)
    # Today's report is live: it moved with the edits, and it says nothing of a frozen period.
    assert today.frozen_note == "" and today.funding.disbursed == today.funding.allocated


def test_a_focal_point_lists_the_tasks_of_their_scope_and_the_office_every_task(demo):
    period = open_year(demo)
    with transaction(demo) as s:
        row = reads.get_period(s, period.id)
        mine = reads.entry_rows(s, actor(demo, "dp.lucngan"), row)
        office = reads.entry_rows(s, actor(demo, "vanphong"), row)
        leader = reads.entry_rows(s, actor(demo, "lanhdao"), row)
        assert reads.period_of_report(s, date(2026, 11, 29)) is None  # the open year: live figures
        assert reads.period_of_report(s, date(2026, 3, 1)).label == "6 tháng đầu năm 2026"
        assert reads.period_of_report(s, date(2025, 12, 31)).label == "Năm 2025"
    assert mine and {r.locality for r in mine} == {"Huyện Lục Ngạn"}
    assert {r.task_id for r in mine} < {r.task_id for r in office}
    assert leader == []


def test_a_half_year_report_keeps_the_money_of_its_close_while_the_year_goes_on(demo):
    mid = date(2026, 6, 30)
    with transaction(demo) as s:
        before = report.build_report(s, None, mid, 30)
        project_id, version = s.execute(
            select(HqProjectYear.project_id, HqProjectYear.version)
            .where(HqProjectYear.year == 2026)
            .order_by(HqProjectYear.project_id)
        ).first()
    assert before.frozen_note == "Số liệu theo báo cáo kỳ 6 tháng đầu năm 2026 đã chốt ngày 20/07/2026."
    assert before.year_money is not None and before.cumulative is not None
    # The year 2026 is still open: its money is entered on, and the half-year report does not move.
    run(
        demo,
        "vanphong",
        edits.set_year_money,
        project_id,
        2026,
        "9.000.000.000",
        "8.000.000.000",
        version,
        now=NOW,
    )
    with transaction(demo) as s:
        after = report.build_report(s, None, mid, 30)
        live = report.build_report(s, None, NOW.date(), 30)
    assert (after.year_money, after.cumulative) == (before.year_money, before.cumulative)
    assert live.year_money != before.year_money


def test_closing_a_period_copies_the_money_of_its_year(demo):
    with transaction(demo) as s:
        year_2026 = s.execute(
            select(func.sum(HqProjectYear.plan_vnd), func.sum(HqProjectYear.disbursed_vnd)).where(
                HqProjectYear.year == 2026
            )
        ).one()
    period = open_year(demo)
    run(demo, "vanphong", edits.close_period, period.id, period.version, now=NOW)
    with transaction(demo) as s:
        closed = reads.get_period(s, period.id)
        frozen = reads.total_year_money(reads.frozen_money(s, closed), 2026)
    assert (frozen.plan, frozen.disbursed) == tuple(year_2026)


def _task_table(data: bytes) -> list[list[str]]:
    """Section I's table of a report .docx (the first table after the letterhead), as cell texts."""
    return [[c.text for c in row.cells] for row in Document(io.BytesIO(data)).tables[1].rows]


def test_a_closed_period_s_task_table_counts_the_tasks_as_they_stood_when_it_closed(demo):
    as_of = date(2025, 12, 31)
    with transaction(demo) as s:
        before = report.build_report(s, None, as_of, 30)
        overdue_id = before.overdue[0]["id"]
        running = s.scalar(
            select(Task.id)
            .where(Task.state == "dang_thuc_hien", Task.current_deadline > as_of)
            .order_by(Task.id)
        )
    assert before.tasks_frozen
    assert before.frozen_note == "Số liệu theo báo cáo kỳ Năm 2025 đã chốt ngày 20/12/2025."
    table = _task_table(report.report_docx(before, issued_on=date(2026, 11, 29)))
    assert table[1][:2] == ["Tổng số nhiệm vụ", str(before.buckets.total)]
    # In 2026: an overdue task gets a new deadline, a running one is cancelled, a new task is added.
    with transaction(demo, write=True) as s:
        s.execute(update(Task).where(Task.id == overdue_id).values(current_deadline=date(2027, 6, 30)))
        s.execute(update(Task).where(Task.id == running).values(state="huy"))
        template = s.get(Task, running)
        s.add(
            Task(
                **{
                    c.name: getattr(template, c.name)
                    for c in Task.__table__.columns
                    if c.name not in ("id", "state")
                },
                state="dang_thuc_hien",
            )
        )
    with transaction(demo) as s:
        after = report.build_report(s, None, as_of, 30)
        recounted = queries.total_buckets(queries.count_buckets_by_locality(s, Filters(), as_of, 0))
    # A recount of today's tasks moved; the closed period's table did not.
    assert recounted.counts != before.buckets.counts
    assert (after.buckets, after.lines) == (before.buckets, before.lines)
    assert _task_table(report.report_docx(after, issued_on=date(2026, 11, 29))) == table
    # Section IV lists the same tasks as it did, the moved one with its deadline of then, and as
    # many as section I counts overdue.
    assert [(t["id"], t["current_deadline"], t["days_overdue"]) for t in after.overdue] == [
        (t["id"], t["current_deadline"], t["days_overdue"]) for t in before.overdue
    ]
    assert len(after.overdue) == after.overdue_total == after.buckets.count(rules.OVERDUE) > 0


def test_closing_a_period_freezes_its_tasks(demo):
    period = open_year(demo)
    run(demo, "vanphong", edits.close_period, period.id, period.version, now=NOW)
    with transaction(demo) as s:
        tasks = s.scalar(select(func.count()).select_from(Task))
        frozen = s.scalar(select(func.count()).where(PeriodTask.period_id == period.id))
        r = report.build_report(s, None, date(2026, 12, 31), 30)
        live = queries.total_buckets(queries.count_buckets_by_locality(s, Filters(), date(2026, 12, 31), 0))
    assert frozen == tasks > 0
    assert r.tasks_frozen and r.buckets == live


def test_a_period_closed_without_its_tasks_frozen_says_its_task_table_is_recounted(demo):
    with transaction(demo, write=True) as s:  # as a period closed before migration 0013 stands
        period_id = s.scalar(select(ReportPeriod.id).where(ReportPeriod.label == "Năm 2025"))
        s.execute(delete(PeriodTask).where(PeriodTask.period_id == period_id))
    with transaction(demo) as s:
        r = report.build_report(s, None, date(2025, 12, 31), 30)
        live = queries.total_buckets(queries.count_buckets_by_locality(s, Filters(), date(2025, 12, 31), 0))
    assert not r.tasks_frozen and r.buckets == live
    assert r.frozen_note == (
        "Số liệu theo báo cáo kỳ Năm 2025 đã chốt ngày 20/12/2025. Bảng nhiệm vụ (mục I) tính theo dữ liệu "
        "nhiệm vụ hiện có, không phải số liệu đã chốt."
    )
