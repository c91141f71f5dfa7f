"""Issuing reminder letters on both engines: one letter per addressee, the tasks it names, the audit
trail and the lists' "Đôn đốc" column; every bad input and every non-office user refused with nothing
written."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from lib.core.filters import Filters
from lib.core.roles import PermissionDenied, Refused
from lib.data import followup, queries
from lib.data.db import transaction
from lib.data.models import Agency, AuditEvent, Reminder, ReminderTask
from lib.editing import actions, reminders
from lib.editing.changeset import ValidationFailed
from lib.editing.reminders import LetterForm
from lib.ops.seed import DEMO_TODAY, seed_demo
from tests.support.edit_machinery import actor

NOW = datetime(2026, 11, 29, 9, 0)
FORM = LetterForm(
    number="125/CAT-PV01",
    issued_on=DEMO_TODAY,
    signer="Nguyễn Văn An",
    reply_by=date(2026, 12, 10),
)


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def to_chase(engine, day=DEMO_TODAY):
    with transaction(engine) as s:
        return followup.addressees(s, Filters(), day, 30)


def issue(engine, who, ids, form=FORM, today=DEMO_TODAY):
    return actions.perform(
        engine,
        actor(engine, who),
        reminders.issue,
        ids,
        form,
        filters=Filters(),
        due_soon_days=30,
        now=NOW,
        today=today,
    )


def stored(engine):
    with transaction(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(Reminder)),
            s.scalar(select(func.count()).select_from(ReminderTask)),
            s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "remind")),
        )


def test_issuing_records_one_letter_per_addressee_with_the_tasks_it_names(demo):
    first, second = to_chase(demo)[:2]
    letters = issue(demo, "vanphong", [first.agency_id, second.agency_id])
    assert [(x.number, x.addressee.name) for x in letters] == [
        ("125/CAT-PV01", first.name),
        ("126/CAT-PV01", second.name),
    ]
    with transaction(demo) as s:
        rows = s.scalars(select(Reminder).order_by(Reminder.id)).all()
        assert [(r.agency_id, r.number, r.issued_on, r.signer, r.issuer, r.created_by) for r in rows] == [
            (
                first.agency_id,
                "125/CAT-PV01",
                DEMO_TODAY,
                "Nguyễn Văn An",
                "Công an tỉnh Bắc Ninh",
                "vanphong",
            ),
            (
                second.agency_id,
                "126/CAT-PV01",
                DEMO_TODAY,
                "Nguyễn Văn An",
                "Công an tỉnh Bắc Ninh",
                "vanphong",
            ),
        ]
        named = s.execute(
            select(ReminderTask.task_id, ReminderTask.deadline, ReminderTask.days).where(
                ReminderTask.reminder_id == rows[0].id
            )
        ).all()
        assert sorted(named) == sorted((t.task_id, t.deadline, t.days) for t in first.tasks)
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "remind").order_by(AuditEvent.id)
        ).all()
    # one event per letter, one per task it names (the task's history shows it)
    assert [e.entity for e in events].count("reminder") == 2
    assert {e.row_id for e in events if e.entity == "task"} == {
        t.task_id for t in (*first.tasks, *second.tasks)
    }
    assert f"gửi {first.name}" in events[0].reason


def test_the_lists_say_how_often_a_task_was_chased(demo):
    target = to_chase(demo)[0]
    issue(
        demo, "vanphong", [target.agency_id], LetterForm(**{**FORM.__dict__, "issued_on": date(2026, 11, 12)})
    )
    issue(demo, "vanphong", [target.agency_id], LetterForm(**{**FORM.__dict__, "number": "140/CAT-PV01"}))
    task = target.tasks[0].task_id
    with transaction(demo) as s:
        rows = {r["id"]: r for r in queries.list_tasks(s, Filters(), DEMO_TODAY, 30, offset=0, limit=1000)}
        overdue = followup.overdue_tasks(s, Filters(), DEMO_TODAY)
    assert rows[task]["reminders"] == "đã đôn đốc 2 lần, lần gần nhất 29/11/2026"
    assert sum(1 for r in rows.values() if r["reminders"]) == len({t.task_id for t in target.tasks})
    assert next(r for r in overdue if r["id"] == task)["reminders"].startswith("đã đôn đốc 2 lần")


@pytest.mark.parametrize(
    ("ids", "change", "words"),
    [
        ("none", {}, "chưa chọn cơ quan"),
        ("one", {"number": "  "}, "Số và ký hiệu"),
        ("one", {"issued_on": date(2026, 11, 30)}, "ở tương lai"),
        ("one", {"issued_on": date(2023, 1, 2)}, "trước ngày giao nhiệm vụ"),
        ("one", {"reply_by": date(2026, 11, 20)}, "trước ngày công văn"),
        ("two", {"number": "CV đôn đốc"}, "bắt đầu bằng chữ số"),
    ],
)
def test_bad_input_is_refused_in_vietnamese_and_writes_nothing(demo, ids, change, words):
    chase = to_chase(demo)
    picked = {"none": [], "one": [chase[0].agency_id], "two": [chase[0].agency_id, chase[1].agency_id]}[ids]
    before = stored(demo)
    with pytest.raises(ValidationFailed) as caught:
        issue(demo, "vanphong", picked, LetterForm(**{**FORM.__dict__, **change}))
    assert words in "; ".join(str(e) for e in caught.value.errors)
    assert stored(demo) == before


def test_a_number_the_issuer_used_that_year_is_refused(demo):
    chase = to_chase(demo)
    issue(demo, "vanphong", [chase[0].agency_id])
    before = stored(demo)
    with pytest.raises(ValidationFailed) as caught:
        issue(demo, "admin", [chase[1].agency_id], LetterForm(**{**FORM.__dict__, "number": "125/cat-pv01"}))
    assert "đã được Công an tỉnh Bắc Ninh dùng cho công văn ngày 29/11/2026" in str(caught.value.errors[0])
    assert stored(demo) == before


def test_an_addressee_with_nothing_late_that_day_is_refused(demo):
    with transaction(demo) as s:
        quiet = s.scalar(select(Agency.id).where(Agency.id.not_in([a.agency_id for a in to_chase(demo)])))
    with pytest.raises(ValidationFailed) as caught:
        issue(demo, "vanphong", [quiet])
    assert "không có nhiệm vụ quá hạn hoặc sắp đến hạn" in str(caught.value.errors[0])
    assert stored(demo) == (0, 0, 0)


@pytest.mark.parametrize("who", ["dp.lucngan", "lanhdao"])
def test_only_the_office_issues_letters_even_calling_the_write_directly(demo, who):
    chase = to_chase(demo)
    with pytest.raises(PermissionDenied, match="Chỉ văn phòng và quản trị hệ thống"):
        issue(demo, who, [chase[0].agency_id])
    assert stored(demo) == (0, 0, 0)
    with transaction(demo) as s:
        refusal = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (refusal.actor, refusal.action, refusal.entity) == (who, "refused", "reminder")


def test_the_office_keeps_an_agencys_address_and_a_bad_one_is_refused(demo):
    target = to_chase(demo)[0]
    actions.perform(
        demo,
        actor(demo, "admin"),
        reminders.set_agency_email,
        target.agency_id,
        "vp@bacgiang.gov.vn",
        now=NOW,
    )
    with pytest.raises(Refused, match="không phải địa chỉ thư điện tử"):
        actions.perform(
            demo, actor(demo, "vanphong"), reminders.set_agency_email, target.agency_id, "vp@", now=NOW
        )
    with pytest.raises(PermissionDenied):
        actions.perform(
            demo, actor(demo, "dp.lucngan"), reminders.set_agency_email, target.agency_id, "x@y.vn", now=NOW
        )
    assert to_chase(demo)[0].email == "vp@bacgiang.gov.vn"


def test_a_letter_dated_before_the_merger_goes_to_the_body_that_led_the_task_then(demo):
    now_lead = {a.name: {t.task_id for t in a.tasks} for a in to_chase(demo)}
    before = {a.name: {t.task_id for t in a.tasks} for a in to_chase(demo, date(2025, 6, 20))}
    # The district's committee led the task on 20/6/2025; the ward's committee took it on 1/7/2025.
    assert before["UBND thành phố Bắc Giang"] <= now_lead["UBND phường Bắc Giang"]
    assert before["UBND thành phố Bắc Giang"]
    assert "UBND phường Bắc Giang" not in before  # not a body yet on that day
    with transaction(demo) as s:
        district = s.scalar(select(Agency.id).where(Agency.name == "UBND thành phố Bắc Giang"))
    (letter,) = issue(
        demo, "vanphong", [district], LetterForm(**{**FORM.__dict__, "issued_on": date(2025, 6, 20)})
    )
    assert letter.addressee.name == "UBND thành phố Bắc Giang"
    with transaction(demo) as s:
        assert s.scalars(select(Reminder.issuer)).one() == "Công an tỉnh Bắc Giang"


def test_two_office_users_taking_the_same_number_at_once_one_wins(demo):
    import threading

    chase = to_chase(demo)
    users = {"vanphong": chase[0].agency_id, "admin": chase[1].agency_id}
    actors = {who: actor(demo, who) for who in users}
    start = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def run(who: str) -> None:
        start.wait()
        try:
            outcome[who] = actions.perform(
                demo,
                actors[who],
                reminders.issue,
                [users[who]],
                FORM,
                filters=Filters(),
                due_soon_days=30,
                now=NOW,
                today=DEMO_TODAY,
            )
        except ValidationFailed as exc:
            outcome[who] = exc

    threads = [threading.Thread(target=run, args=(who,)) for who in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    refused = [o for o in outcome.values() if isinstance(o, ValidationFailed)]
    assert len(outcome) == 2 and len(refused) == 1
    assert "số 125/CAT-PV01 đã được Công an tỉnh Bắc Ninh dùng" in str(refused[0].errors[0])
    with transaction(demo) as s:
        assert s.scalars(select(Reminder.number)).all() == ["125/CAT-PV01"]
