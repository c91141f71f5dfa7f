"""The reminder letter as .docx (opened with python-docx) and the .zip of letters; the year-end report
says how its overdue tasks were chased."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import docx
import pytest

from lib.core.filters import Filters
from lib.data import followup
from lib.data.db import transaction
from lib.editing import actions, reminders
from lib.editing.reminders import LetterForm
from lib.files import reminder_letter as letter_file
from lib.files import report
from lib.ops.seed import DEMO_TODAY, seed_demo
from tests.support.edit_machinery import actor

FORM = LetterForm(
    number="125/CAT-PV01", issued_on=DEMO_TODAY, signer="Nguyễn Văn An", reply_by=date(2026, 12, 10)
)


def drafts(engine, form=FORM, count=2):
    with transaction(engine) as s:
        chase = followup.addressees(s, Filters(), form.issued_on, 30)[:count]
        letters = reminders.prepare(
            s, [a.agency_id for a in chase], form, filters=Filters(), due_soon_days=30, today=DEMO_TODAY
        )
        return letters, letter_file.header_on(s, form.issued_on)


def text_of(data: bytes) -> tuple[str, list[list[str]]]:
    d = docx.Document(io.BytesIO(data))
    cells = [p.text for t in d.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    body = "\n".join([p.text for p in d.paragraphs] + cells)
    tasks = [[c.text for c in row.cells] for row in d.tables[1].rows]
    return body, tasks


def test_a_letter_names_its_addressee_number_and_tasks(demo_engine):
    letters, header = drafts(demo_engine)
    first = letters[0]
    body, table = text_of(letter_file.letter_docx(first, header))
    for words in (
        "BỘ CÔNG AN",
        "CÔNG AN TỈNH BẮC NINH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 125/CAT-PV01",
        "V/v đôn đốc thực hiện nhiệm vụ",
        "Bắc Ninh, ngày 29 tháng 11 năm 2026",
        f"Kính gửi: {first.addressee.name}",
        "trước ngày 10/12/2026",
        "Nơi nhận:",
        "- UBND tỉnh Bắc Ninh (để báo cáo);",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Nguyễn Văn An",
    ):
        assert words in body, words
    assert table[0] == ["STT", "Nhiệm vụ", "Địa bàn", "Hạn hoàn thành", "Quá hạn / còn lại"]
    assert table[1:] == [
        [
            str(i),
            t.title,
            t.locality,
            t.deadline.strftime("%d/%m/%Y"),
            f"quá hạn {t.days} ngày" if t.days > 0 else f"còn {-t.days} ngày",
        ]
        for i, t in enumerate(first.addressee.tasks, start=1)
    ]
    assert first.addressee.overdue >= 1 and "quá hạn 517 ngày" in [row[4] for row in table]


def test_an_issued_letter_downloads_again_as_it_went_out(demo):
    form = LetterForm(
        number="131/CAT-PV01",
        issued_on=DEMO_TODAY,
        signer="Trần Văn Bình",
        signer_title="TL. GIÁM ĐỐC\nCHÁNH VĂN PHÒNG",
        request="Gửi báo cáo kết quả kèm biên bản nghiệm thu",
        reply_by=date(2026, 12, 12),
    )
    with transaction(demo) as s:
        chase = followup.addressees(s, Filters(), DEMO_TODAY, 30)[:2]
    issued = actions.perform(
        demo,
        actor(demo, "vanphong"),
        reminders.issue,
        [a.agency_id for a in chase],
        form,
        filters=Filters(),
        due_soon_days=30,
        now=datetime(2026, 11, 29, 9, 0),
        today=DEMO_TODAY,
    )
    with transaction(demo) as s:
        header = letter_file.header_on(s, DEMO_TODAY)
        again = [reminders.stored_letter(s, letter.reminder_id) for letter in issued]
    for first, second in zip(issued, again, strict=True):
        assert second is not None and letter_file.file_name(second) == letter_file.file_name(first)
        assert text_of(letter_file.letter_docx(second, header)) == text_of(
            letter_file.letter_docx(first, header)
        )
    body, _tasks = text_of(letter_file.letter_docx(again[1], header))
    assert "Số: 132/CAT-PV01" in body and "CHÁNH VĂN PHÒNG" in body and "biên bản nghiệm thu" in body
    with transaction(demo) as s:
        assert reminders.stored_letter(s, 10_000) is None


def test_the_zip_holds_one_letter_per_addressee(demo_engine):
    letters, header = drafts(demo_engine, count=3)
    with zipfile.ZipFile(io.BytesIO(letter_file.letters_zip(letters, header))) as archive:
        names = archive.namelist()
        opened = {n: text_of(archive.read(n))[0] for n in names}
    assert len(names) == 3 == len(set(names))
    assert [n.split("-")[4] for n in names] == ["125", "126", "127"]
    for name, letter in zip(names, letters, strict=True):
        assert f"Kính gửi: {letter.addressee.name}" in opened[name]
        assert f"Số: {letter.number}" in opened[name]


def test_a_letter_before_the_merger_is_issued_by_the_police_of_bac_giang(demo_engine):
    letters, header = drafts(demo_engine, LetterForm(**{**FORM.__dict__, "issued_on": date(2025, 3, 3)}), 1)
    body, _ = text_of(letter_file.letter_docx(letters[0], header))
    assert "CÔNG AN TỈNH BẮC GIANG" in body and "Bắc Giang, ngày 03 tháng 03 năm 2025" in body
    assert "BẮC NINH" not in body


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def test_the_year_end_report_says_how_the_overdue_tasks_were_chased(demo):
    with transaction(demo) as s:
        before = report.build_report(s, None, DEMO_TODAY, 90)
        target = followup.addressees(s, Filters(), DEMO_TODAY, 30)[0]
    assert (
        report.reminder_sentence(before)
        == "Chưa có công văn đôn đốc nào về các nhiệm vụ quá hạn trên trong năm 2026."
    )
    actions.perform(
        demo,
        actor(demo, "vanphong"),
        reminders.issue,
        [target.agency_id],
        FORM,
        filters=Filters(),
        due_soon_days=30,
        now=datetime(2026, 11, 29, 9),
        today=DEMO_TODAY,
    )
    with transaction(demo) as s:
        after = report.build_report(s, None, DEMO_TODAY, 90)
    chased = target.overdue
    assert report.reminder_sentence(after).startswith(
        f"Đã đôn đốc {chased}/{len(after.overdue)} nhiệm vụ quá hạn nêu trên; năm 2026 đã ban hành 1 công văn"
    )
    body, _ = text_of(report.report_docx(after))
    assert "Đôn đốc: đã đôn đốc 1 lần, ngày 29/11/2026" in body
