"""The demo's recent history: how its rows came to be what they are, written through the same engine
as the pages (edits, requests confirmed or returned, comments and leaders' directions), each stamped
on its day of 2026, so "what changed since the last meeting" and a row's timeline show something real.

The rows end exactly as the demo builder left them (state, progress, dates, results, who last updated
them and when): the history replays the last steps towards those values. Requests still waiting and
unread mentions are left on purpose, as an office finds them on a Monday.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core import requests as rule
from lib.core.filters import Filters
from lib.core.roles import Actor, Refused
from lib.data import followup
from lib.data.accounts import actor_for
from lib.data.models import Locality, Task, User
from lib.editing import discussion, reminders, report_drafts, requests
from lib.editing.changeset import TASKS, RowChange, apply_changes
from lib.files import report

START = date(2025, 7, 2)  # the history replayed: after the last arrangement (1/7/2025) took effect
OFFICE, LEADER = "vanphong", "lanhdao"
DUE_SOON_DAYS = 30  # the letters name what falls due within a month too
REASONS = (
    "Đã có văn bản kết quả của đơn vị thực hiện.",
    "Đã nghiệm thu, bàn giao theo kế hoạch.",
    "Kết quả đã báo cáo tại cuộc họp giao ban tháng.",
)
QUESTIONS = (
    "@{who} đề nghị báo cáo tiến độ và khó khăn, vướng mắc trước cuộc họp giao ban.",
    "@{who} nhiệm vụ đã quá hạn, đề nghị cho biết thời gian dự kiến hoàn thành.",
    "@{who} đề nghị gửi kèm văn bản kết quả để Văn phòng tổng hợp.",
)
ANSWERS = (
    "Đang hoàn thiện hồ sơ, dự kiến gửi Văn phòng trong tuần tới.",
    "Đã làm việc với đơn vị thi công; sẽ báo cáo bằng văn bản.",
)
DIRECTIONS = (
    "Yêu cầu hoàn thành trước ngày 15/12; báo cáo kết quả về Văn phòng Công an tỉnh.",
    "Giao Văn phòng theo dõi, đôn đốc; báo cáo lãnh đạo tại cuộc họp tháng tới.",
    "Ưu tiên bố trí vốn năm 2027; phối hợp Sở Tài chính tham mưu.",
)


@dataclass
class Told:
    """What the history wrote, for the seed's report and the tests."""

    edits: int = 0
    confirmed: int = 0
    returned: int = 0
    pending: int = 0
    comments: int = 0
    directions: int = 0
    letters: int = 0
    skipped: int = 0


def _at(day: date, hour: int, rng: random.Random) -> datetime:
    return datetime.combine(day, time(hour)) + timedelta(minutes=rng.randint(0, 50))


class History:
    def __init__(self, s: Session, rng: random.Random, today: date, editors: Mapping[str, str]) -> None:
        self.s, self.rng, self.today, self.editors = s, rng, today, editors
        users = s.scalars(select(User)).all()
        self.actors: dict[str, Actor] = {u.username: actor_for(u) for u in users}
        self.told = Told()

    def attempt(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """One step through the engine in a savepoint: (done, its result); a step the rules refuse is
        skipped (and counted)."""
        try:
            with self.s.begin_nested():
                return True, fn(self.s, *args, **kwargs)
        except Refused:
            self.told.skipped += 1
            return False, None

    def tasks(self, *where: Any) -> list[tuple[Task, str]]:
        rows = self.s.execute(
            select(Task, Locality.code)
            .join(Locality, Locality.id == Task.locality_id)
            .where(*where)
            .order_by(Task.updated_at, Task.id)
        ).all()
        return [(t, code) for t, code in rows]

    # --- the steps ----------------------------------------------------------------------------
    def progress_edits(self, limit: int) -> None:
        """Open tasks updated since START: the last step of their progress, by who made it."""
        start = datetime.combine(START, time())
        found = self.tasks(Task.state == "dang_thuc_hien", Task.progress_pct >= 20, Task.updated_at >= start)
        for task, _code in found[:limit]:
            final, when, who = task.progress_pct, task.updated_at, task.updated_by
            if who not in self.actors or when is None:
                continue
            task.progress_pct = max(10, final - self.rng.choice((10, 15, 20, 25, 30)))
            self.s.flush()
            done, _ = self.attempt(
                apply_changes,
                self.actors[who],
                TASKS,
                [RowChange(task.id, task.version, {"progress_pct": final})],
                now=when,
                today=when.date(),
            )
            if not done:
                task.progress_pct = final
            else:
                self.told.edits += 1

    def confirmed_completions(self, limit: int) -> None:
        """Tasks completed since START: proposed by the focal point, confirmed by the office."""
        found = self.tasks(Task.state == "hoan_thanh", Task.completed_on >= START, Task.result_doc != "")
        for task, code in found[:limit]:
            done_on, result, doc, when = task.completed_on, task.result, task.result_doc, task.updated_at
            asker = self.editors.get(code)
            if asker is None or done_on is None or when is None:
                continue
            # Asked early on the day it was done; confirmed when the row says it was last updated.
            asked_at = datetime.combine(done_on, time(7)) + timedelta(minutes=self.rng.randint(0, 50))
            decided_at = max(when, asked_at + timedelta(hours=1))
            task.state, task.progress_pct = "dang_thuc_hien", self.rng.choice((70, 80, 90))
            task.completed_on, task.result, task.result_doc = None, "", ""
            self.s.flush()
            proposal = requests.Proposal(
                rule.COMPLETE,
                self.rng.choice(REASONS),
                doc,
                done_on.strftime("%d/%m/%Y"),
                result or "Đã hoàn thành.",
            )
            asked, request_id = self.attempt(
                requests.propose, self.actors[asker], task.id, proposal, now=asked_at, today=asked_at.date()
            )
            confirmed = (
                asked
                and self.attempt(
                    requests.confirm,
                    self.actors[OFFICE],
                    request_id,
                    1,
                    note="Đã kiểm tra văn bản kết quả.",
                    now=decided_at,
                    today=decided_at.date(),
                )[0]
            )
            if not confirmed:
                task.state, task.progress_pct = "hoan_thanh", 100
                task.completed_on, task.result, task.result_doc = done_on, result, doc
                self.s.flush()
            else:
                self.told.confirmed += 1

    def open_requests(self) -> None:
        """Three extensions asked lately: one returned with a note, two still waiting."""
        found = [
            (t, code)
            for t, code in self.tasks(Task.state == "dang_thuc_hien")
            if code in self.editors and t.current_deadline is not None
        ]
        self.rng.shuffle(found)
        for number, (task, code) in enumerate(found[:3]):
            asker = self.actors[self.editors[code]]
            asked_at = _at(self.today - timedelta(days=9 - 3 * number), 10, self.rng)
            assert task.current_deadline is not None
            later = max(task.current_deadline, self.today) + timedelta(days=self.rng.choice((92, 122, 183)))
            proposal = requests.Proposal(
                rule.EXTEND,
                "Chờ bố trí vốn và hoàn thiện thủ tục đất đai.",
                f"{self.rng.randint(100, 900)}/UBND-CA ngày {asked_at:%d/%m/%Y}",
                new_deadline=later.strftime("%d/%m/%Y"),
            )
            asked, request_id = self.attempt(
                requests.propose, asker, task.id, proposal, now=asked_at, today=asked_at.date()
            )
            if not asked:
                continue
            if number == 0:
                returned, _ = self.attempt(
                    requests.return_request,
                    self.actors[OFFICE],
                    request_id,
                    1,
                    note="Đề nghị bổ sung văn bản giao vốn của UBND cấp xã.",
                    now=asked_at + timedelta(days=1),
                )
                self.told.returned += returned
            else:
                self.told.pending += 1

    def discussion(self) -> None:
        """The office asks about overdue tasks (mentioning the focal point); some answer; a leader directs."""
        overdue = [
            (t, code)
            for t, code in self.tasks(Task.state.in_(rule.OPEN_STATES), Task.current_deadline < self.today)
            if code in self.editors
        ]
        for number, (task, code) in enumerate(overdue[:6]):
            asked_at = _at(self.today - timedelta(days=14 - 2 * number), 8, self.rng)
            who = self.editors[code]
            text = QUESTIONS[number % len(QUESTIONS)].format(who=who)
            if self.attempt(discussion.add, self.actors[OFFICE], "task", task.id, text, now=asked_at)[0]:
                self.told.comments += 1
            if number % 2 == 0:  # some answer (and have seen the question); the others find it waiting
                answer = ANSWERS[number // 2 % len(ANSWERS)]
                later = asked_at + timedelta(hours=26)
                if self.attempt(discussion.add, self.actors[who], "task", task.id, answer, now=later)[0]:
                    self.told.comments += 1
                    self.attempt(discussion.mark_row_seen, self.actors[who], "task", task.id, now=later)
        for number, (task, _code) in enumerate(overdue[:3]):
            when = _at(self.today - timedelta(days=5 - number), 15, self.rng)
            text = DIRECTIONS[number % len(DIRECTIONS)]
            if self.attempt(
                discussion.add, self.actors[LEADER], "task", task.id, text, "direction", now=when
            )[0]:
                self.told.directions += 1

    def reminder_letters(self) -> None:
        """The office chased late addressees twice: mid-October and mid-November (numbers of its own)."""
        for day, first in ((self.today - timedelta(days=45), 301), (self.today - timedelta(days=17), 347)):
            chased = followup.addressees(self.s, Filters(), day, DUE_SOON_DAYS)[:4]
            if not chased:
                continue
            form = reminders.LetterForm(
                number=f"{first}/CAT-PV01",
                issued_on=day.strftime("%d/%m/%Y"),
                signer="Nguyễn Văn Hùng",
                reply_by=(day + timedelta(days=14)).strftime("%d/%m/%Y"),
            )
            done, letters = self.attempt(
                reminders.issue,
                self.actors[OFFICE],
                [a.agency_id for a in chased],
                form,
                filters=Filters(),
                due_soon_days=DUE_SOON_DAYS,
                now=_at(day, 14, self.rng),
                today=day,
            )
            self.told.letters += len(letters) if done else 0


def write_history(s: Session, today: date, editors: Mapping[str, str], *, seed: int) -> Told:
    """Replay the demo's recent history through the engine (`editors`: each district's focal point);
    return what was written."""
    history = History(s, random.Random(seed), today, editors)
    history.progress_edits(limit=24)
    history.confirmed_completions(limit=12)
    history.open_requests()
    history.discussion()
    history.reminder_letters()
    s.flush()
    return history.told


DRAFT_STALE_DAYS = 90  # the report's flags of old projects (not in the draft's text)
DRAFT_GENERAL = (
    "Văn phòng đề nghị các địa phương tập trung hoàn thành dứt điểm các nhiệm vụ quá hạn trước ngày 15/12."
)


def write_report_draft(s: Session, today: date) -> int:
    """The office's draft of the province's report of the year, through the engine: created from the
    figures two days ago, then edited once (an added sentence); returns the number of versions."""
    users = {u.username: actor_for(u) for u in s.scalars(select(User).where(User.username == OFFICE))}
    if OFFICE not in users:
        return 0
    r = report.build_report(s, None, today, DRAFT_STALE_DAYS)
    text = report.generated_sections(r)
    stamp = datetime.combine(today - timedelta(days=2), time(15))
    first = report_drafts.save_draft(
        s, users[OFFICE], today.year, r.draft_scope, text, 0, now=stamp, note=report_drafts.GENERATED
    )
    edited = {**text, "general": text["general"] + "\n" + DRAFT_GENERAL}
    return report_drafts.save_draft(
        s, users[OFFICE], today.year, r.draft_scope, edited, first, now=stamp + timedelta(hours=20)
    )
