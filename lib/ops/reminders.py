"""Issue reminder letters and mail them: one write transaction issues every letter (lib/editing/
reminders.issue); then, where SMTP_URL is set, each letter goes as a .docx to its addressee's address
and how that went is recorded on it, each in a transaction of its own, so a failed send never undoes
an issued letter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine

from lib.core import reminders as rule
from lib.core.filters import Filters
from lib.core.formatting import fmt_date
from lib.core.roles import Actor
from lib.data.db import transaction
from lib.editing import reminders
from lib.editing.actions import perform
from lib.files import reminder_letter
from lib.ops import mail

NO_ADDRESS = "cơ quan chưa có địa chỉ thư điện tử (Quản trị → Cơ quan)."


@dataclass(frozen=True)
class Issued:
    """The letters issued and, per letter id, how their mailing went ("" when nothing was mailed)."""

    letters: list[reminders.Letter]
    header: reminder_letter.Header
    mailed: dict[int, str]

    @property
    def failed(self) -> list[tuple[reminders.Letter, str]]:
        """The letters whose mail did not go, with why."""
        return [
            (letter, self.mailed[letter.reminder_id])
            for letter in self.letters
            if letter.reminder_id is not None
            and self.mailed.get(letter.reminder_id, rule.EMAIL_SENT) != rule.EMAIL_SENT
        ]


def mail_body(letter: reminders.Letter, h: reminder_letter.Header) -> str:
    """The text of the message that carries a letter."""
    return (
        f"Kính gửi: {letter.addressee.name}\n\n"
        f"{h.issuer} gửi kèm Công văn số {letter.number} ngày {fmt_date(letter.issued_on)} "
        f"về việc đôn đốc thực hiện nhiệm vụ ({letter.addressee.overdue} nhiệm vụ quá hạn, "
        f"{letter.addressee.due_soon} nhiệm vụ sắp đến hạn). Đề nghị gửi kết quả trước ngày "
        f"{fmt_date(letter.reply_by)}.\n\nThư gửi từ hệ thống theo dõi thực hiện Đề án 30/ĐA-BCA.\n"
    )


def issue_letters(
    engine: Engine,
    actor: Actor,
    agency_ids: Sequence[int],
    form: reminders.LetterForm,
    *,
    filters: Filters,
    due_soon_days: int,
    smtp_url: str,
    now: datetime,
    today: date,
) -> Issued:
    """Issue the letters (refusals raise and write nothing), then mail each where a server is set."""
    letters = perform(
        engine,
        actor,
        reminders.issue,
        agency_ids,
        form,
        filters=filters,
        due_soon_days=due_soon_days,
        now=now,
        today=today,
    )
    with transaction(engine) as s:
        header = reminder_letter.header_on(s, letters[0].issued_on)
    mailed: dict[int, str] = {}
    if smtp_url:
        for letter in letters:
            assert letter.reminder_id is not None
            to = letter.addressee.email
            if to:
                status = mail.send(
                    smtp_url,
                    to,
                    reminder_letter.subject(letter),
                    mail_body(letter, header),
                    (reminder_letter.file_name(letter), reminder_letter.letter_docx(letter, header)),
                )
            else:
                status = NO_ADDRESS
            perform(engine, actor, reminders.record_email, letter.reminder_id, to, status, now=now)
            mailed[letter.reminder_id] = status
    return Issued(letters, header, mailed)
