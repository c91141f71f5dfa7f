"""Reminder letters, written: issue one letter per addressee, record how its mailing went, keep an
agency's contact address (rule and labels: lib/core/reminders.py).

Issuing is one audited write in the caller's transaction: a `reminder` per addressee (numbered up
from the number typed), a `reminder_task` per task it names as the letter shows it, one audit event
per letter (entity "reminder") and one per task named (entity "task", so the task's history shows
it). The tasks are read again inside the transaction as of the letter's date, so what is recorded
is what the letter says. Every refusal raises Refused and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from lib.core import reminders as rule
from lib.core.filters import Filters
from lib.core.roles import Actor, Refused, require_office
from lib.core.validation import Invalid, Parser
from lib.data import audit, followup, reminders
from lib.data.db import bump_data_version
from lib.data.issuers import issuers_on
from lib.data.models import Agency, Reminder, ReminderTask
from lib.editing.changeset import CellError, ValidationFailed

ENTITY = rule.ENTITY


@dataclass(frozen=True)
class LetterForm:
    """What the office typed for a batch of letters (raw; typed here)."""

    number: Any = ""
    issued_on: Any = None
    signer: Any = ""
    signer_title: Any = rule.DEFAULT_SIGNER_TITLE
    request: Any = rule.DEFAULT_REQUEST
    reply_by: Any = None


@dataclass(frozen=True)
class Letter:
    """One letter as issued: its typed fields, its issuer, its addressee and tasks."""

    number: str
    issued_on: date
    signer: str
    signer_title: str
    request: str
    reply_by: date
    addressee: followup.Addressee
    reminder_id: int | None = None


def _refuse(problems: list[tuple[str, str]]) -> ValidationFailed:
    return ValidationFailed(
        [CellError(None, 0, name, rule.FIELD_LABELS.get(name, name), message) for name, message in problems],
        ENTITY,
    )


def typed(form: LetterForm) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The form's values typed, and the problems of the ones that are not."""
    parsers: dict[str, Parser] = {
        "number": rule.NUMBER,
        "issued_on": rule.DAY,
        "signer": rule.SIGNER,
        "signer_title": rule.SIGNER_TITLE,
        "request": rule.REQUEST,
        "reply_by": rule.DAY,
    }
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name, parser in parsers.items():
        raw = getattr(form, name)
        if name == "signer_title" and isinstance(raw, str):
            raw = raw.replace("\n", " / ")  # two lines on paper, one in storage
        try:
            values[name] = parser.parse(raw)
        except Invalid as exc:
            problems.append((name, str(exc)))
            values[name] = None
    return values, problems


def prepare(
    s: Session,
    agency_ids: Sequence[int],
    form: LetterForm,
    *,
    filters: Filters,
    due_soon_days: int,
    today: date,
) -> list[Letter]:
    """The letters a form makes for these addressees, checked (nothing written); raises
    ValidationFailed with every problem, or Refused."""
    values, problems = typed(form)
    picked = list(dict.fromkeys(int(i) for i in agency_ids))
    issued = values.get("issued_on")
    found: list[followup.Addressee] = []
    start = reminders.first_task_day(s)
    first_day = start
    if issued is not None and picked and not problems and (start is None or issued >= start):
        found = followup.addressees(s, filters, issued, due_soon_days, only=picked)
        missing = set(picked) - {a.agency_id for a in found}
        if missing:
            problems.append(
                (
                    "addressees",
                    f"{len(missing)} cơ quan đã chọn không có nhiệm vụ quá hạn hoặc sắp đến hạn vào ngày "
                    f"{issued:%d/%m/%Y}: chọn lại.",
                )
            )
        latest, _task = reminders.first_assigned(s, [t.task_id for a in found for t in a.tasks])
        first_day = max((d for d in (start, latest) if d is not None), default=None)
    problems += rule.check_letter(values, today, first_day, len(picked))
    numbers: list[str] | None = []
    if not problems:
        numbers = rule.numbers(values["number"], len(found))
        if numbers is None:
            problems.append(
                (
                    "number",
                    "gửi nhiều cơ quan: số phải bắt đầu bằng chữ số để đánh số lần lượt (ví dụ 125/CAT-PV1).",
                )
            )
    day: date = values["issued_on"]
    if not problems and numbers:
        issuer = _issuer(s, day)
        for number in numbers:
            when = reminders.number_taken(s, issuer, number, day.year)
            if when is not None:
                problems.append(
                    ("number", f"số {number} đã được {issuer} dùng cho công văn ngày {when}: chọn số khác.")
                )
    if problems:
        raise _refuse(problems)
    assert numbers is not None
    return [
        Letter(
            number,
            day,
            values["signer"],
            values["signer_title"],
            values["request"],
            values["reply_by"],
            addressee,
        )
        for number, addressee in zip(numbers, found, strict=True)
    ]


def _issuer(s: Session, day: date) -> str:
    """The body that issues the office's letters on a day: the provincial police."""
    bodies = issuers_on(s, day)
    return bodies.police.name if bodies.police else f"Công an tỉnh {bodies.province}"


def issue(
    s: Session,
    actor: Actor,
    agency_ids: Sequence[int],
    form: LetterForm,
    *,
    filters: Filters,
    due_soon_days: int,
    now: datetime,
    today: date,
) -> list[Letter]:
    """Issue one letter per addressee (office only): record each with the tasks it names, audited.
    Returns the letters with their ids."""
    require_office(actor, "phát hành công văn đôn đốc", ENTITY)
    bump_data_version(s)  # first: the write lock (see lib.data.db)
    letters = prepare(s, agency_ids, form, filters=filters, due_soon_days=due_soon_days, today=today)
    issuer = _issuer(s, letters[0].issued_on)
    done: list[Letter] = []
    entries: list[audit.Entry] = []
    for letter in letters:
        a = letter.addressee
        row = Reminder(
            agency_id=a.agency_id,
            number=letter.number,
            issued_on=letter.issued_on,
            signer=letter.signer,
            signer_title=letter.signer_title,
            request=letter.request,
            issuer=issuer,
            reply_by=letter.reply_by,
            emailed_to="",
            email_status="",
            created_by=actor.username,
            created_at=now,
        )
        s.add(row)
        s.flush()
        s.add_all(
            ReminderTask(reminder_id=row.id, task_id=t.task_id, deadline=t.deadline, days=t.days)
            for t in a.tasks
        )
        ids = ", ".join(str(t.task_id) for t in a.tasks)
        entries.append(
            audit.Entry(
                actor.username,
                "remind",
                ENTITY,
                row.id,
                1,
                None,
                "number",
                None,
                letter.number,
                f"Công văn đôn đốc {letter.number} ngày {letter.issued_on:%d/%m/%Y} gửi {a.name}: "
                f"{a.overdue} nhiệm vụ quá hạn, {a.due_soon} sắp đến hạn (mã {ids}).",
                now,
            )
        )
        entries += [
            audit.Entry(
                actor.username,
                "remind",
                "task",
                t.task_id,
                None,
                None,
                "reminder",
                None,
                letter.number,
                f"Đôn đốc bằng công văn {letter.number} ngày {letter.issued_on:%d/%m/%Y} "
                f"({rule.days_phrase(t.days)}).",
                now,
            )
            for t in a.tasks
        ]
        done.append(
            Letter(
                letter.number,
                letter.issued_on,
                letter.signer,
                letter.signer_title,
                letter.request,
                letter.reply_by,
                a,
                int(row.id),
            )
        )
    s.flush()
    audit.record_many(s, entries)
    return done


def stored_letter(s: Session, reminder_id: int) -> Letter | None:
    """An issued letter as it went out, to download it again: its typed text, its addressee and its
    tasks as the letter showed them. None if there is no such letter, or it was issued before letters
    kept their signer's title and request (migration 0015)."""
    row = s.get(Reminder, reminder_id)
    if row is None or not row.signer_title or row.reply_by is None:
        return None
    agency = s.get(Agency, row.agency_id)
    assert agency is not None  # a foreign key
    tasks = tuple(reminders.letter_tasks(s, reminder_id))
    addressee = followup.Addressee(row.agency_id, agency.name, row.emailed_to or agency.email or "", tasks)
    return Letter(
        row.number, row.issued_on, row.signer, row.signer_title, row.request, row.reply_by, addressee, row.id
    )


def record_email(
    s: Session, actor: Actor, reminder_id: int, emailed_to: str, status: str, *, now: datetime
) -> None:
    """Record how a letter's mailing went ("sent" or why not), audited; the letter stays issued."""
    bump_data_version(s)
    s.execute(
        update(Reminder)
        .where(Reminder.id == reminder_id)
        .values(emailed_to=emailed_to[:200], email_status=status[:200])
        .execution_options(synchronize_session=False)
    )
    audit.record(
        s,
        actor=actor.username,
        action="email_reminder",
        entity=ENTITY,
        row_id=reminder_id,
        field="email_status",
        new=status[:200],
        reason=emailed_to,
        at=now,
    )


def set_agency_email(s: Session, actor: Actor, agency_id: int, email: Any, *, now: datetime) -> None:
    """Keep the address an agency's reminder letters are mailed to (office and administrators)."""
    require_office(actor, "sửa địa chỉ thư điện tử của cơ quan", "agency")
    bump_data_version(s)
    agency = s.get(Agency, agency_id)
    if agency is None:
        raise Refused(f"Không có cơ quan mã {agency_id}.", entity="agency", row_id=agency_id)
    try:
        clean = rule.check_email(email)
    except Invalid as exc:
        raise Refused(f"Thư điện tử: {exc}", entity="agency", row_id=agency_id, field="email") from None
    if clean == agency.email:
        return
    old, agency.email = agency.email, clean
    s.flush()
    audit.record(
        s,
        actor=actor.username,
        action="update",
        entity="agency",
        row_id=agency_id,
        locality_id=agency.locality_id,
        field="email",
        old=old,
        new=clean,
        at=now,
    )
