"""Year-end report drafts on both engines: the office saves versions, a save from an older version is
refused naming who saved the newer one and when, and writes nothing; a restore is a new version; only the
office and admin write; the generated text groups the frozen entries' proposals by theme and addressee
with their counts; and the .docx prints the draft where there is one, the generated text otherwise,
with "Kiến nghị, đề xuất" in place of the closing dotted line."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from lib.core import report_drafts as rule
from lib.core.roles import PermissionDenied, Refused
from lib.data import report_drafts as reads
from lib.data.db import transaction
from lib.data.models import AuditEvent, PeriodEntry, ReportDraftVersion, ReportPeriod
from lib.editing import actions
from lib.editing import report_drafts as drafts
from lib.editing.changeset import ValidationFailed
from lib.files import report
from lib.ops.seed import seed_demo
from tests.support.edit_machinery import actor

NOW = datetime(2026, 11, 29, 10, 0)
TEXT = {
    rule.GENERAL: "Năm 2026 cơ bản hoàn thành các chỉ tiêu.",
    rule.OBSTACLES: "Quỹ đất còn thiếu.",
    rule.PROPOSALS: "Đề nghị UBND tỉnh bố trí kinh phí năm 2027.",
    rule.OUTLOOK: "Hoàn thành 9 nhiệm vụ quá hạn.",
}


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def run(engine, who, fn, *args, **kwargs):
    return actions.perform(engine, actor(engine, who), fn, *args, **kwargs)


def stored(engine, year=2026, scope="toan-tinh"):
    with transaction(engine) as s:
        return reads.draft_of(s, year, scope), reads.versions(s, year, scope)


def docx_paragraphs(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


def test_versions_are_kept_and_a_save_from_an_older_version_is_refused_naming_who_and_when(demo):
    assert run(demo, "vanphong", drafts.save_draft, 2026, "toan-tinh", TEXT, 0, now=NOW) == 1
    second = {**TEXT, rule.GENERAL: "Bản sửa của quản trị."}
    assert run(demo, "admin", drafts.save_draft, 2026, "toan-tinh", second, 1, now=NOW.replace(hour=11)) == 2
    # The office still edits from version 1: refused, nothing written, the newer save named.
    mine = {**TEXT, rule.GENERAL: "Bản của văn phòng, từ bản 1."}
    with pytest.raises(Refused) as refused:
        run(demo, "vanphong", drafts.save_draft, 2026, "toan-tinh", mine, 1, now=NOW.replace(hour=12))
    assert refused.value.message.startswith(
        "Dự thảo báo cáo năm 2026 — Toàn tỉnh đã được Quản trị hệ thống lưu lúc 11:00 29/11/2026 (bản 2) "
        "sau khi bạn bắt đầu sửa từ bản 1."
    )
    # A first save over a draft that exists meanwhile is refused the same way.
    with pytest.raises(
        Refused, match=r"đã được Quản trị hệ thống lưu lúc 11:00 29/11/2026 .* khi chưa có dự thảo"
    ):
        run(demo, "vanphong", drafts.save_draft, 2026, "toan-tinh", mine, 0, now=NOW)
    latest, versions = stored(demo)
    assert (latest.number, latest.sections[rule.GENERAL], latest.saved_name) == (
        2,
        "Bản sửa của quản trị.",
        "Quản trị hệ thống",
    )
    assert [(v.number, v.saved_by, v.note) for v in versions] == [
        (2, "admin", "Lưu dự thảo"),
        (1, "vanphong", "Lưu dự thảo"),
    ]
    with transaction(demo) as s:
        first = reads.draft_of(s, 2026, "toan-tinh", 1)
        trail = s.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.new_value)
            .where(AuditEvent.entity == "report_draft")
            .order_by(AuditEvent.id)
        ).all()
    assert first.sections == TEXT and first.latest == 2
    assert [tuple(t) for t in trail] == [
        ("vanphong", "save_draft", "1"),
        ("admin", "save_draft", "2"),
        ("vanphong", "refused_conflict", None),
        ("vanphong", "refused_conflict", None),
    ]

    # Restoring version 1 is a new version 3 with version 1's text; version 2 stays.
    assert run(demo, "vanphong", drafts.restore_version, 2026, "toan-tinh", 1, 2, now=NOW) == 3
    latest, versions = stored(demo)
    assert latest.sections == TEXT and latest.note == "Khôi phục bản 1"
    assert [v.number for v in versions] == [3, 2, 1]


def test_only_the_office_writes_and_bad_input_writes_nothing(demo):
    for who in ("lanhdao", "dp.lucngan"):
        with pytest.raises(PermissionDenied, match="Chỉ văn phòng và quản trị hệ thống"):
            run(demo, who, drafts.save_draft, 2026, "toan-tinh", TEXT, 0, now=NOW)
    too_long = {**TEXT, rule.PROPOSALS: "x" * (rule.SECTION_TEXT.max_length + 1)}
    with pytest.raises(ValidationFailed) as bad:
        run(demo, "vanphong", drafts.save_draft, 2026, "toan-tinh", too_long, 0, now=NOW)
    assert "Kiến nghị, đề xuất" in str(bad.value.errors[0]) and "tối đa 20000" in str(bad.value.errors[0])
    with pytest.raises(ValidationFailed, match="không có phạm vi báo cáo “ha-noi”"):
        run(demo, "vanphong", drafts.save_draft, 2026, "ha-noi", TEXT, 0, now=NOW)
    with pytest.raises(Refused, match="Không có bản 4"):
        run(demo, "vanphong", drafts.restore_version, 2026, "toan-tinh", 4, 0, now=NOW)
    with transaction(demo) as s:
        assert s.scalar(select(func.count()).select_from(ReportDraftVersion)) == 0


def test_the_generated_text_groups_the_frozen_proposals_and_the_docx_prints_the_draft_over_it(demo):
    as_of = date(2025, 12, 31)
    with transaction(demo) as s:
        r = report.build_report(s, None, as_of, 30)
        period_id = s.scalar(select(ReportPeriod.id).where(ReportPeriod.label == "Năm 2025"))
        wanted = "Đề nghị UBND tỉnh bố trí bổ sung kinh phí xây dựng trụ sở Công an phường."
        asked = s.scalar(
            select(func.count()).where(
                PeriodEntry.period_id == period_id,
                PeriodEntry.state == "submitted",
                PeriodEntry.proposals == wanted,
            )
        )
        submitted = s.scalar(
            select(func.count()).where(PeriodEntry.period_id == period_id, PeriodEntry.state == "submitted")
        )
    assert r.draft is None and asked > 1 and len(r.entry_texts) == submitted
    generated = report.generated_sections(r)
    proposals = generated[rule.PROPOSALS].splitlines()
    assert proposals[0] == f"Tổng hợp từ {submitted} báo cáo kỳ Năm 2025 đã nộp, theo nội dung và cơ quan:"
    assert proposals[1] == "1. Kinh phí"
    line = next(p for p in proposals if p.startswith("- UBND tỉnh: "))
    assert line.startswith(f"- UBND tỉnh: {wanted[:-1]} ({asked} nhiệm vụ: ")
    assert generated[rule.GENERAL].startswith(f"Năm 2025, Tỉnh Bắc Ninh theo dõi {r.buckets.total} nhiệm vụ")
    assert "Kế hoạch vốn năm 2025" in generated[rule.GENERAL]
    assert generated[rule.OUTLOOK].startswith(f"1. Tập trung hoàn thành dứt điểm {r.overdue_total} nhiệm vụ")

    text = docx_paragraphs(report.report_docx(r, issued_on=date(2025, 12, 12)))
    assert not any("……" in p for p in text)  # the dotted line is gone
    closing = text.index("VIII. KIẾN NGHỊ, ĐỀ XUẤT")
    assert text[closing + 1 : closing + 1 + len(proposals)] == proposals
    for heading in ("V. ĐÁNH GIÁ CHUNG", "VI. KHÓ KHĂN, VƯỚNG MẮC", "VII. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2026"):
        assert text.index(heading) < closing

    run(demo, "vanphong", drafts.save_draft, 2025, "toan-tinh", TEXT, 0, now=NOW)
    with transaction(demo) as s:
        r = report.build_report(s, None, as_of, 30)
    assert r.draft is not None and report.sections(r) == TEXT
    text = docx_paragraphs(report.report_docx(r, issued_on=date(2025, 12, 12)))
    closing = text.index("VIII. KIẾN NGHỊ, ĐỀ XUẤT")
    assert text[closing + 1] == TEXT[rule.PROPOSALS]
    assert text[text.index("V. ĐÁNH GIÁ CHUNG") + 1] == TEXT[rule.GENERAL]
    assert proposals[2] not in text
    sheet = load_workbook(io.BytesIO(report.report_xlsx(r)))["Đánh giá, kiến nghị"]
    rows = [(sheet.cell(i, 1).value, sheet.cell(i, 2).value) for i in range(1, sheet.max_row + 1)]
    assert ("VIII. KIẾN NGHỊ, ĐỀ XUẤT", TEXT[rule.PROPOSALS]) in rows
    assert ("V. ĐÁNH GIÁ CHUNG", TEXT[rule.GENERAL]) in rows
    assert any(str(v).startswith("Theo dự thảo bản 1 (Văn phòng Công an tỉnh, ") for v, _ in rows)
