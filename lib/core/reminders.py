"""Reminder letters (công văn đôn đốc): the rule, its labels and limits.

The office picks the lead agencies of late and soon-due tasks on a day and sends each one letter
naming its tasks; issuing records the letter on every task it names. Pure: no database, no Streamlit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from lib.core.catalogue import EARLIEST, LATEST
from lib.core.formatting import fmt_date
from lib.core.requests import DECIDERS
from lib.core.validation import Day, Invalid, Text

ISSUERS = DECIDERS  # who issues letters: the provincial office and administrators
ENTITY = "reminder"

NUMBER = Text(60)  # số và ký hiệu: "125/CAT-PV01"
SIGNER = Text(150)
SIGNER_TITLE = Text(150)  # chức vụ: "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"
REQUEST = Text(1000, multiline=True)  # what the addressee must send
DAY = Day(EARLIEST, LATEST)

FIELD_LABELS = {
    "addressees": "Nơi nhận công văn",
    "number": "Số và ký hiệu",
    "issued_on": "Ngày công văn",
    "signer": "Người ký",
    "signer_title": "Chức vụ người ký",
    "request": "Nội dung đề nghị gửi",
    "reply_by": "Hạn gửi",
}
EMAIL_SENT = "sent"
DEFAULT_REQUEST = (
    "Báo cáo kết quả thực hiện, nêu rõ nguyên nhân chậm, khó khăn, vướng mắc và thời gian hoàn thành "
    "các nhiệm vụ nêu trên, kèm văn bản, tài liệu chứng minh"
)
DEFAULT_SIGNER_TITLE = "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"


def number_key(number: str) -> str:
    """The number as compared for duplicates: no spaces, case folded ("125/cat-pv01")."""
    return "".join(number.split()).casefold()


def check_letter(
    values: Mapping[str, Any], today: date, first_day: date | None, addressees: int
) -> list[tuple[str, str]]:
    """The problems of a letter (field, message) from typed values; [] when it may be issued.

    `first_day` is the latest day a task it names was assigned (None when unknown): a letter cannot
    chase a task before it existed."""
    problems: list[tuple[str, str]] = []
    if addressees == 0:
        problems.append(("addressees", "chưa chọn cơ quan nào để gửi công văn."))
    if not values.get("number"):
        problems.append(("number", "không được để trống (ví dụ 125/CAT-PV01)."))
    if not values.get("signer"):
        problems.append(("signer", "không được để trống."))
    if not values.get("request"):
        problems.append(("request", "phải ghi cơ quan nhận cần gửi gì."))
    issued = values.get("issued_on")
    if issued is None:
        problems.append(("issued_on", "không được để trống."))
    elif issued > today:
        problems.append(("issued_on", f"ngày {fmt_date(issued)} ở tương lai (hôm nay {fmt_date(today)})."))
    elif first_day is not None and issued < first_day:
        problems.append(
            (
                "issued_on",
                f"ngày {fmt_date(issued)} trước ngày giao nhiệm vụ được đôn đốc ({fmt_date(first_day)}).",
            )
        )
    reply_by = values.get("reply_by")
    if reply_by is None:
        problems.append(("reply_by", "không được để trống."))
    elif issued is not None and reply_by < issued:
        problems.append(("reply_by", f"hạn gửi {fmt_date(reply_by)} trước ngày công văn {fmt_date(issued)}."))
    return problems


def days_phrase(days: int) -> str:
    """A task's lateness on the letter's day: "quá hạn 12 ngày", "đến hạn hôm nay", "còn 5 ngày"."""
    if days > 0:
        return f"quá hạn {days} ngày"
    if days == 0:
        return "đến hạn hôm nay"
    return f"còn {-days} ngày"


def summary(times: int, last: date | None) -> str:
    """What a task's reminders come to: "đã đôn đốc 2 lần, lần gần nhất 12/11/2026" ("" if none)."""
    if not times or last is None:
        return ""
    if times == 1:
        return f"đã đôn đốc 1 lần, ngày {fmt_date(last)}"
    return f"đã đôn đốc {times} lần, lần gần nhất {fmt_date(last)}"


def email_label(status: str, emailed_to: str) -> str:
    """How a letter's mailing is told: "Đã gửi thư tới a@b.vn", "Chưa gửi thư: …", ""."""
    if not status:
        return ""
    if status == EMAIL_SENT:
        return f"Đã gửi thư điện tử tới {emailed_to}"
    return f"Chưa gửi được thư điện tử: {status}"


@dataclass(frozen=True)
class LetterTask:
    """One task as a letter names it."""

    task_id: int
    title: str
    deadline: date | None
    days: int  # > 0 overdue by so many days; <= 0 left (0: due that day)
    locality: str = ""

    @property
    def overdue(self) -> bool:
        return self.days > 0


def safe_file_stem(text: str) -> str:
    """A file name part from an agency's name: ASCII letters, digits and dashes."""
    flat = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_only = "".join(c for c in flat if c.isascii() and (c.isalnum() or c in " -"))
    stem = "-".join(ascii_only.lower().split())
    return stem[:60] or "co-quan"


_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
EMAIL = Text(200)


def check_email(raw: Any) -> str:
    """An agency's contact address, checked ("" clears it); raises Invalid with a Vietnamese message."""
    value = EMAIL.parse(raw)
    if value and not _EMAIL.match(value):
        raise Invalid(f"“{value}” không phải địa chỉ thư điện tử (ví dụ vanphong@bacninh.gov.vn).")
    return value


def numbers(first: str, count: int) -> list[str] | None:
    """The numbers of `count` letters from the first one, counting up its leading digits
    ("125/CAT-PV01", "126/CAT-PV01", …); None when several are needed and it has no leading digits."""
    if count <= 1:
        return [first] * count
    match = re.match(r"^(\d+)(.*)$", first)
    if match is None:
        return None
    start, rest = int(match.group(1)), match.group(2)
    return [f"{start + i}{rest}" for i in range(count)]
