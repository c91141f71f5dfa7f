"""The year-end report and the follow-up lists against an independent computation from the rows;
the .xlsx and .docx files opened again to check their figures."""

import io
from collections import Counter
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlalchemy import select

from lib.core import rules
from lib.core.filters import Filters
from lib.core.formatting import fmt_int, fmt_pct, fmt_vnd
from lib.data import followup
from lib.data.db import transaction
from lib.data.models import Agency, HqProject, Locality, Task, Unit
from lib.files import export, report
from tests.support.demo import AS_OF, AS_OF_DATES

STALE = 90
SCOPES = (None, "luc-ngan", "bac-giang")


def _tasks(s, scope):
    stmt = select(Task.state, Task.current_deadline, Task.completed_on, Locality.code).outerjoin(
        Locality, Locality.id == Task.locality_id
    )
    return [r for r in s.execute(stmt) if scope is None or r[3] == scope]


def expected_lines(rows, as_of):
    """The official table restated: counted tasks, finished on time / late, unfinished within / overdue."""
    buckets = Counter(rules.task_bucket(state, deadline, done, as_of) for state, deadline, done, _ in rows)
    total = len(rows) - buckets[rules.EXCLUDED]
    within = buckets[rules.IN_PROGRESS] + buckets[rules.NOT_DUE]
    counts = [
        total,
        buckets[rules.ON_TIME] + buckets[rules.LATE],
        buckets[rules.ON_TIME],
        buckets[rules.LATE],
        within + buckets[rules.OVERDUE],
        within,
        buckets[rules.OVERDUE],
    ]
    return [(n, n / total if total else None) for n in counts], buckets[rules.EXCLUDED]


@pytest.mark.parametrize("as_of", AS_OF_DATES)  # 15/12/2024 is exactly the deadline of the 2024 reports
@pytest.mark.parametrize("scope", SCOPES)
def test_the_report_task_table_equals_an_independent_computation(demo_engine, scope, as_of):
    with transaction(demo_engine) as s:
        r = report.build_report(s, scope, as_of, STALE)
        rows = _tasks(s, scope)
    lines, excluded = expected_lines(rows, as_of)
    assert [(line.count, line.share) for line in r.lines] == lines
    assert r.buckets.count(rules.EXCLUDED) == excluded
    assert [line.label for line in r.lines][:3] == [
        "Tổng số nhiệm vụ",
        "Đã hoàn thành",
        "Hoàn thành đúng hạn",
    ]


def test_on_the_deadline_day_the_yearly_reports_are_not_yet_overdue(demo_engine):
    on_day, next_day = date(2024, 12, 15), date(2024, 12, 16)
    with transaction(demo_engine) as s:
        before = {y.task_id: y for y in followup.yearly_reports(s, Filters(), on_day) if y.year == 2024}
        after = {y.task_id: y for y in followup.yearly_reports(s, Filters(), next_day) if y.year == 2024}
    assert len(before) == 11  # Công an tỉnh, the departments and the four localities
    assert not any(y.status == "Quá hạn, chưa nộp" for y in before.values())
    late = [i for i, y in after.items() if y.status == "Quá hạn, chưa nộp"]
    assert late and all(after[i].days_late == 1 for i in late)
    assert all(before[i].status == "Chưa đến hạn" for i in late)


def test_the_report_files_carry_the_same_figures(demo_engine):
    with transaction(demo_engine) as s:
        r = report.build_report(s, "viet-yen", AS_OF, STALE)
        funding = sum(
            d
            for (d,) in s.execute(
                select(HqProject.disbursed_vnd)
                .join(Unit, Unit.id == HqProject.unit_id)
                .join(Locality, Locality.id == Unit.locality_id)
                .where(Locality.code == "viet-yen")
            )
        )
    assert r.funding.disbursed == funding

    book = load_workbook(io.BytesIO(report.report_xlsx(r)))
    assert book.sheetnames == [
        "Nhiệm vụ",
        "Trụ sở",
        "Vốn năm",
        "Phường kiểu mẫu",
        "Quá hạn",
        "Đánh giá, kiến nghị",
    ]
    year = book["Vốn năm"]  # the as-of year's plan and disbursement (hq_project_year)
    last_year_row = export.FIRST_DATA_ROW + len(r.year_money_by_locality or {})
    assert r.year_money is not None and year.cell(last_year_row, 1).value == "Tổng cộng"
    assert (year.cell(last_year_row, 3).value, year.cell(last_year_row, 4).value) == (
        r.year_money.plan,
        r.year_money.disbursed,
    )
    tasks = book["Nhiệm vụ"]
    assert tasks.cell(2, 1).value == "Số liệu tính đến ngày 29/11/2026"
    table = [
        (tasks.cell(i, 1).value.strip(), tasks.cell(i, 2).value)
        for i in range(export.FIRST_DATA_ROW, export.FIRST_DATA_ROW + 7)
    ]
    assert table == [(line.label, line.count) for line in r.lines]
    money = book["Trụ sở"]
    last = export.FIRST_DATA_ROW + len(r.funding_by_locality)
    assert money.cell(last, 1).value == "Tổng cộng" and money.cell(last, 5).value == funding
    overdue = book["Quá hạn"]
    assert overdue.max_row - export.HEADER_ROW == len(r.overdue)

    doc = Document(io.BytesIO(report.report_docx(r, issued_on=date(2026, 12, 10))))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "BÁO CÁO" in text and "Số liệu tính đến ngày 29/11/2026" in text
    header = doc.tables[0]
    # Thị xã Việt Yên ended on 30/06/2025: the report of its former territory comes from the police of
    # tỉnh Bắc Ninh, dated from there (test_a_district_report_is_issued_by_a_body_that_exists_on_its_date).
    assert "CÔNG AN TỈNH BẮC NINH" in header.cell(0, 0).text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header.cell(0, 1).text
    assert "Bắc Ninh, ngày 10 tháng 12 năm 2026" in header.cell(0, 1).text
    assert "Địa bàn thị xã Việt Yên (cũ)" in text
    assert "- UBND tỉnh Bắc Ninh (để báo cáo);" in doc.tables[-1].cell(0, 0).text
    figures = doc.tables[1]
    assert [[c.text.strip() for c in row.cells] for row in figures.rows[1:]] == [
        [line.label, fmt_int(line.count), fmt_pct(line.share)] for line in r.lines
    ]
    assert fmt_vnd(funding) in text
    assert "Nơi nhận:" in doc.tables[-1].cell(0, 0).text


def test_overdue_groups_are_worst_first_and_add_up(demo_engine):
    with transaction(demo_engine) as s:
        groups = followup.overdue_groups(s, Filters(), AS_OF, "agency")
        rows = s.execute(
            select(Task.state, Task.current_deadline, Task.completed_on, Agency.name).join(Agency)
        ).all()
    overdue = [
        (name, (AS_OF - d).days)
        for state, d, done, name in rows
        if rules.task_bucket(state, d, done, AS_OF) == rules.OVERDUE
    ]
    expected = {}
    for name, days in overdue:
        n, worst, total = expected.get(name, (0, 0, 0))
        expected[name] = (n + 1, max(worst, days), total + days)
    assert {g.name: (g.overdue, g.worst_days, g.total_days) for g in groups} == expected
    assert [g.worst_days for g in groups] == sorted((g.worst_days for g in groups), reverse=True)


def test_silent_tasks_are_unfinished_and_not_updated_for_n_days(demo_engine):
    with transaction(demo_engine) as s:
        listed = followup.silent_tasks(s, Filters(), AS_OF, 60)
        count = followup.count_silent_tasks(s, Filters(), AS_OF, 60)
        rows = s.execute(
            select(Task.id, Task.state, Task.current_deadline, Task.completed_on, Task.updated_at)
        ).all()
    expected = {
        i
        for i, state, d, done, at in rows
        if rules.task_bucket(state, d, done, AS_OF) in followup.UNFINISHED and (AS_OF - at.date()).days > 60
    }
    assert {r["id"] for r in listed} == expected and count == len(expected)
    stamps = [r["updated_at"] for r in listed]
    assert stamps == sorted(stamps)


def test_the_overdue_tasks_name_their_cooperating_agencies_and_documents(demo_engine):
    """Lục Ngạn's funding task is overdue on the demo's date: the report lists it with the agencies
    that help and the documents it rests on, in the .docx and in the .xlsx."""
    title = "Bố trí kinh phí xây mới, cải tạo, sửa chữa trụ sở Công an phường"
    with transaction(demo_engine) as s:
        r = report.build_report(s, "luc-ngan", AS_OF, STALE)
    assert title in [t["title"] for t in r.overdue]

    doc = Document(io.BytesIO(report.report_docx(r, issued_on=date(2026, 12, 10))))
    overdue = doc.tables[-2]  # section IV, before the recipients and the signature
    cell = next(row.cells[1] for row in overdue.rows[1:] if row.cells[1].paragraphs[0].text == title)
    assert [p.text for p in cell.paragraphs] == [
        title,
        "Cơ quan phối hợp: Sở Tài chính",  # with Sở Kế hoạch và Đầu tư, merged into it on 1/3/2025
        "Văn bản giao: Công văn /UBND-NC",
        "Căn cứ: 30/ĐA-BCA; 885/QĐ-UBND",
    ]

    sheet = load_workbook(io.BytesIO(report.report_xlsx(r)))["Quá hạn"]
    headers = [c.value for c in sheet[export.HEADER_ROW]]
    line = next(i for i in range(export.FIRST_DATA_ROW, sheet.max_row + 1) if sheet.cell(i, 2).value == title)
    row = {h: sheet.cell(line, n).value for n, h in enumerate(headers, start=1)}
    assert row["Cơ quan phối hợp"] == "Sở Tài chính"
    assert (row["Văn bản giao"], row["Căn cứ"]) == ("Công văn /UBND-NC", "30/ĐA-BCA; 885/QĐ-UBND")


def _lines(cell):
    """A header cell's non-empty paragraphs as (text, bold)."""
    return [(p.text, any(run.bold for run in p.runs)) for p in cell.paragraphs if p.text]


@pytest.mark.parametrize(
    ("as_of", "province", "place"),
    [
        (date(2024, 12, 1), "BẮC GIANG", "Bắc Giang"),
        (date(2025, 6, 30), "BẮC GIANG", "Bắc Giang"),  # the last day before the merger
        (date(2025, 12, 31), "BẮC NINH", "Bắc Ninh"),  # the 2025 report after it
        (date(2026, 12, 1), "BẮC NINH", "Bắc Ninh"),
    ],
)
def test_the_province_report_is_issued_by_the_bodies_valid_on_its_date(demo_engine, as_of, province, place):
    with transaction(demo_engine) as s:
        r = report.build_report(s, None, as_of, STALE)
    assert r.scope_name == f"Tỉnh {place}"
    doc = Document(io.BytesIO(report.report_docx(r, issued_on=date(as_of.year, 12, 10))))
    left, right = doc.tables[0].rows[0].cells
    # The police's superior upright, its own name bold with a short line under it, then the number.
    assert _lines(left) == [
        ("BỘ CÔNG AN", False),
        (f"CÔNG AN TỈNH {province}", True),
        ("Số:        /BC-CAT", False),
    ]
    rule = left.paragraphs[2]
    assert rule.text == "" and rule._p.pPr.find(qn("w:pBdr")) is not None
    assert f"{place}, ngày 10 tháng 12 năm {as_of.year}" in right.text
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"Đề án 885 năm {as_of.year} — Tỉnh {place}" in text
    recipients = [p.text for p in doc.tables[-1].cell(0, 0).paragraphs]
    assert recipients == ["Nơi nhận:", f"- UBND tỉnh {place} (để báo cáo);", "- Lưu: VT."]
    other = "Bắc Ninh" if place == "Bắc Giang" else "Bắc Giang"
    head_and_foot = [c.text for t in (doc.tables[0], doc.tables[-1]) for c in t.rows[0].cells]
    assert not any(other.casefold() in part.casefold() for part in head_and_foot)
    book = load_workbook(io.BytesIO(report.report_xlsx(r)))
    sheet = book["Nhiệm vụ"]
    assert sheet.cell(1, 1).value.endswith(f"— Tỉnh {place}")
    notes = [sheet.cell(i, 1).value for i in range(export.FIRST_DATA_ROW + 8, sheet.max_row + 1)]
    assert f"Cơ quan báo cáo: Công an tỉnh {place}. Nơi nhận: UBND tỉnh {place}." in notes


@pytest.mark.parametrize(
    ("as_of", "title", "header", "place", "recipient"),
    [
        # Before 1/7/2025 the district's committee issues its report to the province's, via its police.
        (
            date(2024, 12, 1),
            "Huyện Lục Ngạn",
            ["ỦY BAN NHÂN DÂN", "HUYỆN LỤC NGẠN", "Số:        /BC-UBND"],
            "Lục Ngạn",
            "- UBND tỉnh Bắc Giang (qua Công an tỉnh Bắc Giang);",
        ),
        # After it the district is gone: the report of its former territory comes from the police.
        (
            date(2026, 12, 1),
            "Địa bàn huyện Lục Ngạn (cũ)",
            ["BỘ CÔNG AN", "CÔNG AN TỈNH BẮC NINH", "Số:        /BC-CAT"],
            "Bắc Ninh",
            "- UBND tỉnh Bắc Ninh (để báo cáo);",
        ),
    ],
)
def test_a_district_report_is_issued_by_a_body_that_exists_on_its_date(
    demo_engine, as_of, title, header, place, recipient
):
    with transaction(demo_engine) as s:
        r = report.build_report(s, "luc-ngan", as_of, STALE)
    assert r.scope_name == title
    doc = Document(io.BytesIO(report.report_docx(r, issued_on=date(as_of.year, 12, 10))))
    left, right = doc.tables[0].rows[0].cells
    assert [text for text, _bold in _lines(left)] == header
    assert f"{place}, ngày 10 tháng 12 năm {as_of.year}" in right.text
    assert f"Đề án 885 năm {as_of.year} — {title}" in "\n".join(p.text for p in doc.paragraphs)
    assert recipient in [p.text for p in doc.tables[-1].cell(0, 0).paragraphs]
