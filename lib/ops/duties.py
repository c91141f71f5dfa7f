"""Generate each period's task of the recurring duties: `python -m lib.manage generate-duties`.

The rule of which periods are due is pure (lib/core/recurrence.py); this module writes the tasks.
Run it every day (cron, next to the backup): a period's task appears `LEAD_DAYS` before the period
begins, and periods already past are generated too, so a register loaded late has no gap. A task is
never generated twice: (duty, period) is unique in the database, and the run reads what exists
after taking the write lock, so two runs at once queue and the second creates nothing.

Each new task is recorded in the audit trail (action "create", actor "system:duties"). A task of the
yearly report from before the duties existed (it has `report_year`, no duty) is claimed by its duty
instead of being generated again, so a database seeded by an earlier version keeps its rows.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lib.core import recurrence
from lib.core.config import now as local_now
from lib.core.formatting import fmt_date
from lib.core.roles import Actor
from lib.data import audit
from lib.data.models import Agency, Document, Duty, Task

ACTOR = "system:duties"


@dataclass(frozen=True)
class Generated:
    """What one run did: tasks created, and older report tasks linked to their duty."""

    as_of: date
    created: int = 0
    linked: int = 0
    task_ids: tuple[int, ...] = ()  # the tasks created

    @property
    def changed(self) -> bool:
        return bool(self.created or self.linked)

    def message(self) -> str:
        when = fmt_date(self.as_of)
        if not self.changed:
            return f"Không có kỳ mới đến hạn tạo nhiệm vụ (tính đến ngày {when}): không thay đổi gì."
        parts = [f"tạo {self.created} nhiệm vụ của các kỳ đến hạn"]
        if self.linked:
            parts.append(f"gắn {self.linked} nhiệm vụ báo cáo đã có với nhiệm vụ định kỳ của nó")
        return f"Đã {', '.join(parts)} (tính đến ngày {when})."


def _valid_until(duty: Duty, agency: Agency) -> date | None:
    """The day from which a duty is owed no more: its own end, or its addressee's retirement."""
    ends = [d for d in (duty.retired_on, agency.retired_on) if d is not None]
    return min(ends) if ends else None


def pending_periods(
    s: Session, as_of: date, lead_days: int = recurrence.LEAD_DAYS, only: Collection[int] | None = None
) -> list[tuple[Duty, recurrence.Period]]:
    """The (duty, period) pairs due as of a date that have no task yet, earliest deadline first.
    A period whose deadline is before the date of the duty's document is not owed (a quarterly duty
    given on 25/11 starts with the fourth quarter)."""
    agencies = {a.id: a for a in s.scalars(select(Agency))}
    issued: dict[int, date | None] = {
        id_: on for id_, on in s.execute(select(Document.id, Document.issued_on))
    }
    have = set(s.execute(select(Task.duty_id, Task.period).where(Task.duty_id.is_not(None))))
    pending: list[tuple[Duty, recurrence.Period]] = []
    duties = select(Duty).options(selectinload(Duty.cooperators)).order_by(Duty.id)
    if only is not None:
        duties = duties.where(Duty.id.in_(list(only)))
    for duty in s.scalars(duties):
        every = recurrence.periods(
            duty.recurrence, duty.due_month, duty.due_day, duty.first_year, duty.last_year
        )
        valid_until = _valid_until(duty, agencies[duty.lead_agency_id])
        for period in recurrence.due_periods(every, as_of, lead_days=lead_days, valid_until=valid_until):
            given = issued.get(duty.document_id)
            if (duty.id, period.key) not in have and (given is None or period.deadline >= given):
                pending.append((duty, period))
    pending.sort(key=lambda pair: (pair[1].deadline, pair[0].id))
    return pending


def _legacy_report(s: Session, duty: Duty, period: recurrence.Period) -> Task | None:
    """A yearly report task written before the duties existed, for this duty's addressee and year."""
    if duty.recurrence != recurrence.YEARLY or duty.clause_id is None:
        return None
    return s.scalar(
        select(Task)
        .where(
            Task.duty_id.is_(None),
            Task.clause_id == duty.clause_id,
            Task.lead_agency_id == duty.lead_agency_id,
            Task.report_year == period.year,
        )
        .order_by(Task.id)
        .limit(1)
    )


def generate_duties(
    s: Session,
    as_of: date,
    *,
    lead_days: int = recurrence.LEAD_DAYS,
    now: datetime | None = None,
    backdate: date | None = None,
    only: Collection[int] | None = None,
    actor: str = ACTOR,
) -> Generated:
    """Create the task of every period due as of `as_of` that has none, inside the caller's write
    transaction (which should have bumped the data version first: that also queues two runs).

    `backdate` stamps each new task and its event at 06:00 on the day its period opened (not before
    that date), as if the daily run had been there all along: the demo passes the letter's date, so
    its trail reads true as of its today. Otherwise everything is stamped `now`.
    """
    moment = now or local_now()
    documents = {d.id: d for d in s.scalars(select(Document))}
    entries: list[audit.Entry] = []
    created = linked = 0
    made: list[int] = []
    for duty, period in pending_periods(s, as_of, lead_days, only):
        stamp = datetime.combine(max(period.opens_on(lead_days), backdate), time(6)) if backdate else moment
        legacy = _legacy_report(s, duty, period)
        if legacy is not None:
            legacy.duty_id, legacy.period = duty.id, period.key
            legacy.version += 1
            s.flush()
            entries.append(
                audit.Entry(
                    actor,
                    "update",
                    "task",
                    legacy.id,
                    legacy.version,
                    legacy.locality_id,
                    field="period",
                    old=None,
                    new=period.key,
                    reason="Gắn nhiệm vụ báo cáo năm với nhiệm vụ định kỳ của nó",
                    at=stamp,
                )
            )
            linked += 1
            continue
        task = Task(
            clause_id=duty.clause_id,
            document_id=duty.document_id,
            duty_id=duty.id,
            period=period.key,
            title=recurrence.duty_title(duty.title, period),
            expected_product=duty.expected_product,
            lead_agency_id=duty.lead_agency_id,
            locality_id=duty.locality_id,
            unit_id=duty.unit_id,
            original_deadline=period.deadline,
            current_deadline=period.deadline,
            recurrence=duty.recurrence,
            state="chua_trien_khai",
            progress_pct=0,
            version=1,
            updated_by=actor,
            updated_at=stamp,
        )
        task.cooperators = list(duty.cooperators)
        task.basis = [documents[duty.document_id]]
        s.add(task)
        s.flush()
        made.append(task.id)
        entries.append(
            audit.Entry(
                actor,
                "create",
                "task",
                task.id,
                1,
                task.locality_id,
                new=task.title,
                reason=f"Tạo nhiệm vụ kỳ {period.label} của nhiệm vụ định kỳ #{duty.id}",
                at=stamp,
            )
        )
        created += 1
    audit.record_many(s, entries)
    return Generated(as_of, created, linked, tuple(made))


def generate_for(s: Session, actor: Actor, duty_ids: Sequence[int], today: date, now: datetime) -> list[int]:
    """Create the tasks due now of duties just assigned on /van-ban, in the same transaction, as the
    user who assigned them; later periods come from the daily run."""
    return list(generate_duties(s, today, now=now, only=duty_ids, actor=actor.username).task_ids)
