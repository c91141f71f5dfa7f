"""Reminder letters (công văn đôn đốc) as .docx, one per addressee, or all of them in one .zip.

The layout is the administrative one of the year-end report (lib/files/report.py, Nghị định
30/2020/NĐ-CP): the issuing body under its superior ("BỘ CÔNG AN" / "CÔNG AN TỈNH BẮC NINH") beside
the national motto; the number and symbol, with the "V/v" summary under it; place and date;
"Kính gửi:"; the body with the table of the addressee's overdue and soon-due tasks; what to send and
by when; "Nơi nhận:" and the signature block. The issuer follows the letter's date (lib/data/issuers).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from sqlalchemy.orm import Session

from lib.core import reminders as rule
from lib.core.formatting import fmt_date
from lib.data.issuers import Issuers, issuers_on
from lib.editing.reminders import Letter
from lib.files.report import (
    HEAD_LEFT,
    HEAD_RIGHT,
    _cell_lines,
    _new_a4_document,
    _paragraph,
    _rule,
    _table,
)

SUBJECT = "V/v đôn đốc thực hiện nhiệm vụ Đề án 30/ĐA-BCA và Đề án 885"


@dataclass(frozen=True)
class Header:
    """Who issues the letters on a day and where they are dated from."""

    superior: str  # "BỘ CÔNG AN"
    body: str  # "CÔNG AN TỈNH BẮC NINH"
    issuer: str  # "Công an tỉnh Bắc Ninh"
    place: str  # "Bắc Ninh"
    ubnd: str  # "UBND tỉnh Bắc Ninh": told of the letters (Nơi nhận)


def header_on(s: Session, day: date) -> Header:
    """The issuing body of the office's letters on a day: the provincial police valid then."""
    return header_of(issuers_on(s, day))


def header_of(bodies: Issuers) -> Header:
    police = bodies.police
    name = police.name if police else f"Công an tỉnh {bodies.province}"
    superior = (police.superior if police and police.superior else "Bộ Công an").upper()
    place = police.place if police and police.place else bodies.province
    ubnd = bodies.ubnd.name if bodies.ubnd else f"UBND tỉnh {bodies.province}"
    return Header(superior, name.upper(), name, place, ubnd)


def subject(letter: Letter) -> str:
    """The e-mail subject and the letter's one-line summary."""
    return f"Công văn số {letter.number} ngày {fmt_date(letter.issued_on)} {SUBJECT[0].lower()}{SUBJECT[1:]}"


def file_name(letter: Letter) -> str:
    """ "cong-van-don-doc-125-cat-pv01-so-tai-chinh.docx": safe, unique per addressee."""
    number = rule.safe_file_stem(letter.number.replace("/", "-"))
    return f"cong-van-don-doc-{number}-{rule.safe_file_stem(letter.addressee.name)}.docx"


def _letterhead(doc: Any, h: Header, letter: Letter) -> None:
    head = doc.add_table(rows=1, cols=2)
    left, right = head.rows[0].cells
    left.width, right.width = Cm(HEAD_LEFT), Cm(HEAD_RIGHT)
    _cell_lines(left, [(h.superior, False), (h.body, True)])
    _rule(left, 2.5, HEAD_LEFT)
    _paragraph(left, f"Số: {letter.number}", size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(left, SUBJECT, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    right.paragraphs[0].text = ""
    run = right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    run.bold, run.font.size = True, Pt(12)
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    _rule(right, 5.5, HEAD_RIGHT)
    day = letter.issued_on
    _paragraph(
        right,
        f"{h.place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}",
        italic=True,
        size=13,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )


def letter_docx(letter: Letter, h: Header) -> bytes:
    """Write one letter as a Word document in the administrative layout."""
    a = letter.addressee
    doc = _new_a4_document()
    _letterhead(doc, h, letter)
    _paragraph(doc, "", space_after=6)
    _paragraph(doc, f"Kính gửi: {a.name}", size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    overdue, soon = a.overdue, a.due_soon
    parts = [f"{overdue} nhiệm vụ đã quá hạn nhưng chưa hoàn thành"] if overdue else []
    parts += [f"{soon} nhiệm vụ sắp đến hạn"] if soon else []
    _paragraph(
        doc,
        f"Thực hiện Đề án 30/ĐA-BCA ngày 07/11/2023 của Bộ Công an và Đề án 885 ban hành kèm theo Quyết định "
        f"số 885/QĐ-UBND ngày 17/6/2023 của UBND tỉnh, theo dõi trên hệ thống đến ngày "
        f"{fmt_date(letter.issued_on)}, {a.name} được giao chủ trì {' và '.join(parts)}, cụ thể:",
        space_after=6,
    )
    _table(
        doc,
        ["STT", "Nhiệm vụ", "Địa bàn", "Hạn hoàn thành", "Quá hạn / còn lại"],
        [
            [
                str(i),
                t.title,
                t.locality,
                fmt_date(t.deadline),
                rule.days_phrase(t.days),
            ]
            for i, t in enumerate(a.tasks, start=1)
        ],
        [1.2, 7.0, 3.0, 2.6, 2.7],
    )
    _paragraph(doc, "", space_after=6)
    _paragraph(
        doc,
        f"{h.issuer} đề nghị {a.name} khẩn trương chỉ đạo hoàn thành các nhiệm vụ trên; "
        f"{letter.request[:1].lower()}{letter.request[1:].rstrip('.')}, gửi về {h.issuer} "
        f"(qua Văn phòng) trước ngày {fmt_date(letter.reply_by)} để tổng hợp, báo cáo UBND tỉnh.",
        space_after=6,
    )
    _paragraph(doc, f"{h.issuer} đề nghị {a.name} quan tâm, thực hiện./.", space_after=12)
    foot = doc.add_table(rows=1, cols=2)
    left, right = foot.rows[0].cells
    left.paragraphs[0].text = ""
    run = left.paragraphs[0].add_run("Nơi nhận:")
    run.bold, run.italic, run.font.size = True, True, Pt(12)
    for line in ("- Như trên;", f"- {h.ubnd} (để báo cáo);", "- Lưu: VT."):
        _paragraph(left, line, size=11)
    titles = [line.strip() for line in letter.signer_title.replace(" / ", "\n").split("\n") if line.strip()]
    _cell_lines(right, [(line.upper(), True) for line in titles])
    _paragraph(right, "", size=13, space_after=36)
    _paragraph(right, letter.signer, bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def letters_zip(letters: Sequence[Letter], h: Header) -> bytes:
    """All the letters in one .zip, one .docx per addressee."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for letter in letters:
            archive.writestr(file_name(letter), letter_docx(letter, h))
    return buffer.getvalue()
