"""“Dự thảo báo cáo” on /bao-cao (AppTest): the office starts from the generated text and saves a version
that the .docx then prints; a save from a version someone else has saved over is refused with who and
when, and what was typed stays; an older version is restored as a new one; a focal point only reads."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from docx import Document

from lib.core import report_drafts as rule
from lib.data import report_drafts as reads
from lib.data.db import make_engine, transaction
from lib.editing import actions
from lib.editing import report_drafts as drafts
from lib.files import report
from tests.support.apptest import open_page
from tests.support.demo import AS_OF
from tests.support.edit_machinery import actor

pytestmark = pytest.mark.usefixtures("fresh_caches")
REPORT = "pages/report.py"
STEM = f"{AS_OF.year}_toan-tinh"
TEXT = {
    rule.GENERAL: "Đánh giá của văn phòng.",
    rule.OBSTACLES: "Quỹ đất còn thiếu.",
    rule.PROPOSALS: "Đề nghị UBND tỉnh bố trí kinh phí.",
    rule.OUTLOOK: "Hoàn thành các nhiệm vụ quá hạn.",
}


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return make_engine(f"sqlite:///{demo_copy}")


def area(at, name):
    # Its key gains a number each time the editor starts again from what is stored.
    base = f"report_draft_{STEM}_{name}"
    (found,) = [t for t in at.text_area if re.fullmatch(rf"{re.escape(base)}(_\d+)?", t.key or "")]
    return found


def latest(db):
    with transaction(db) as s:
        return reads.draft_of(s, AS_OF.year, "toan-tinh")


def save_as(db, who, text, seen, hour):
    return actions.perform(
        db,
        actor(db, who),
        drafts.save_draft,
        AS_OF.year,
        "toan-tinh",
        text,
        seen,
        now=datetime(2026, 11, 29, hour, 0),
    )


def test_the_office_saves_the_generated_text_edited_and_the_docx_prints_it(db):
    at = open_page("vanphong", REPORT)
    assert any("Chưa có dự thảo" in c.value for c in at.caption)
    assert area(at, rule.GENERAL).value.startswith(f"Năm {AS_OF.year}, Tỉnh Bắc Ninh theo dõi")
    assert "Đề nghị UBND tỉnh" in area(at, rule.PROPOSALS).value
    area(at, rule.GENERAL).input("Năm 2026, toàn tỉnh cơ bản hoàn thành các chỉ tiêu.")
    at.button(key="report_draft_save").click().run()
    assert not at.exception, at.exception
    assert any(
        f"Đã lưu dự thảo báo cáo năm {AS_OF.year} — Tỉnh Bắc Ninh (bản 1)" in s.value for s in at.success
    )
    saved = latest(db)
    assert (saved.number, saved.saved_by, saved.sections[rule.GENERAL]) == (
        1,
        "vanphong",
        "Năm 2026, toàn tỉnh cơ bản hoàn thành các chỉ tiêu.",
    )
    assert any("Dự thảo bản 1, Văn phòng Công an tỉnh lưu lúc" in c.value for c in at.caption)
    with transaction(db) as s:
        r = report.build_report(s, None, AS_OF, 90)
    text = [p.text for p in Document(io.BytesIO(report.report_docx(r))).paragraphs]
    assert text[text.index("V. ĐÁNH GIÁ CHUNG") + 1] == "Năm 2026, toàn tỉnh cơ bản hoàn thành các chỉ tiêu."
    closing = text.index("VIII. KIẾN NGHỊ, ĐỀ XUẤT")
    assert text[closing + 1] == saved.sections[rule.PROPOSALS].splitlines()[0]


def test_a_save_from_a_version_saved_over_meanwhile_is_refused_with_who_and_when(db):
    save_as(db, "vanphong", TEXT, 0, 8)
    at = open_page("vanphong", REPORT)
    assert area(at, rule.GENERAL).value == TEXT[rule.GENERAL]
    area(at, rule.GENERAL).input("Bản của văn phòng trong tab này.")
    save_as(db, "admin", {**TEXT, rule.GENERAL: "Bản của quản trị."}, 1, 9)  # meanwhile, elsewhere
    at.button(key="report_draft_save").click().run()
    assert not at.exception, at.exception
    assert any(
        "đã được Quản trị hệ thống lưu lúc 09:00 29/11/2026 (bản 2) sau khi bạn bắt đầu sửa từ bản 1"
        in e.value
        for e in at.error
    ), [e.value for e in at.error]
    assert (latest(db).number, latest(db).sections[rule.GENERAL]) == (2, "Bản của quản trị.")
    assert area(at, rule.GENERAL).value == "Bản của văn phòng trong tab này."  # what was typed stays
    # Asking for the latest shows it, and a save from there goes through.
    at.button(key="report_draft_reload").click().run()
    assert area(at, rule.GENERAL).value == "Bản của quản trị."
    area(at, rule.GENERAL).input("Bản thống nhất.")
    at.button(key="report_draft_save").click().run()
    assert not at.exception, at.exception
    assert (latest(db).number, latest(db).sections[rule.GENERAL]) == (3, "Bản thống nhất.")


def test_an_older_version_is_viewed_and_restored_as_a_new_one_and_regenerating_asks_first(db):
    save_as(db, "vanphong", TEXT, 0, 8)
    save_as(db, "vanphong", {**TEXT, rule.PROPOSALS: "Bản 2."}, 1, 9)
    at = open_page("vanphong", REPORT)
    versions = next(d.value for d in at.dataframe if "Người lưu" in d.value.columns)
    assert versions["Bản"].tolist() == [2, 1]
    at.selectbox(key="report_draft_version_pick").set_value(1).run()
    assert any(TEXT[rule.PROPOSALS] in m.value.replace("\\", "") for m in at.markdown)
    at.button(key="report_draft_restore").click().run()
    assert not at.exception, at.exception
    assert any("Đã khôi phục bản 1 thành bản mới của dự thảo" in s.value for s in at.success)
    now = latest(db)
    assert (now.number, now.note, now.sections) == (3, "Khôi phục bản 1", TEXT)
    assert area(at, rule.PROPOSALS).value == TEXT[rule.PROPOSALS]

    at.button(key="report_draft_regenerate").click().run()
    assert latest(db).number == 3  # nothing yet: it asks
    assert any("Tạo lại nội dung từ số liệu?" in w.value for w in at.warning)
    at.button(key="report_draft_regenerate_confirm").click().run()
    assert not at.exception, at.exception
    now = latest(db)
    assert (now.number, now.note) == (4, "Tạo lại từ số liệu")
    assert now.sections[rule.GENERAL].startswith(f"Năm {AS_OF.year}, Tỉnh Bắc Ninh theo dõi")


def test_a_focal_point_reads_the_draft_and_cannot_edit_it(db):
    save_as(db, "vanphong", TEXT, 0, 8)
    at = open_page("dp.lucngan", REPORT)
    assert not [t for t in at.text_area if (t.key or "").startswith("report_draft_")]
    assert "report_draft_save" not in [b.key for b in at.button]
    assert any(TEXT[rule.PROPOSALS] in m.value.replace("\\", "") for m in at.markdown)
