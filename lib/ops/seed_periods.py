"""Demo reporting periods and yearly headquarters money (part of `seed-demo`).

Each project's yearly capital plans add up to its allocated money (hq_project.allocated_vnd) and its
yearly disbursements to its disbursed money, spread from the year it started; the periods of 2025 and
the first half of 2026 are closed with their entries submitted (a few late), the year 2026 is open
with drafts and some entries already in. Drawn from a generator of its own, so the rest of the demo
stays what it was.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lib.core import periods as rule
from lib.data.models import (
    Agency,
    HqProject,
    HqProjectYear,
    Locality,
    PeriodEntry,
    PeriodMoney,
    ReportPeriod,
    Task,
)
from lib.editing.periods import freeze_tasks

YEARS = (2024, 2025, 2026)
SEED = 20261203
EDITOR = "cli:seed-demo"
# (kind, year, due day, closed on; None: still open)
PERIODS = (
    (rule.HALF, 2025, date(2025, 7, 10), date(2025, 7, 20)),
    (rule.YEAR, 2025, date(2025, 12, 10), date(2025, 12, 20)),
    (rule.HALF, 2026, date(2026, 7, 10), date(2026, 7, 20)),
    (rule.YEAR, 2026, date(2026, 12, 10), None),
)
RESULTS = (
    "Đã ban hành kế hoạch triển khai và phân công cán bộ phụ trách.",
    "Đã tổ chức hội nghị quán triệt, triển khai đến các đơn vị trực thuộc.",
    "Đã hoàn thiện hồ sơ, trình cấp có thẩm quyền phê duyệt.",
    "Đã phối hợp khảo sát thực địa, thống nhất phương án thực hiện.",
    "Đã triển khai thực hiện, tổ chức kiểm tra, đôn đốc định kỳ hằng tháng.",
)
OBSTACLES = (
    "Quỹ đất bố trí trụ sở chưa đáp ứng diện tích tối thiểu 500 m².",
    "Kinh phí được giao chậm so với kế hoạch.",
    "Thủ tục chuyển mục đích sử dụng đất kéo dài.",
    "",
    "",
)
# Each proposal names its addressee first, so the year-end report can group them by it.
PROPOSALS = (
    "Đề nghị UBND tỉnh bố trí bổ sung kinh phí xây dựng trụ sở Công an phường.",
    "Đề nghị Sở Tài nguyên và Môi trường hướng dẫn thủ tục giao đất cho trụ sở.",
    "Đề nghị Sở Tài chính sớm thẩm định, giao dự toán năm sau.",
    "Đề nghị Công an tỉnh hỗ trợ trang thiết bị cho Công an phường mới thành lập.",
    "",
    "",
    "",
)


def _split(total: int, shares: list[float]) -> list[int]:
    """Whole thousands of đồng per share, the last taking what is left."""
    parts = [round(total * x, -3) for x in shares[:-1]]
    return [*(int(p) for p in parts), total - int(sum(parts))]


def year_rows(project: HqProject, rng: random.Random) -> dict[int, tuple[int, int]]:
    """A project's (plan, disbursed) per year: plans add up to its allocation, disbursements to its
    disbursed money, each year's disbursement within its plan."""
    if project.allocated_vnd <= 0:
        return {}
    first = project.start_on.year if project.start_on is not None else 2025
    years = [y for y in YEARS if y >= min(first, YEARS[-1])]
    weights = [rng.uniform(0.6, 1.4) for _ in years]
    plans = _split(project.allocated_vnd, [w / sum(weights) for w in weights])
    left = project.disbursed_vnd
    spent: list[int] = []
    for y, plan in zip(years, plans, strict=True):
        rate = 1.0 if y == years[-1] else rng.uniform(0.7, 1.0)
        take = min(plan, left, int(round(plan * rate, -3)) if y != years[-1] else left)
        spent.append(take)
        left -= take
    for i in reversed(range(len(years))):  # what the last year's plan could not hold, earlier years did
        room = plans[i] - spent[i]
        extra = min(room, left)
        spent[i] += extra
        left -= extra
    return {y: (p, d) for y, p, d in zip(years, plans, spent, strict=True)}


def _progress_at(task: Task, end: date, rng: random.Random) -> int:
    if task.completed_on is not None and task.completed_on <= end:
        return 100
    return max(0, min(95, int(task.progress_pct * rng.uniform(0.5, 0.9)) // 5 * 5))


def seed_periods(s: Session, today: date) -> None:
    """Add the demo's yearly money per project and its reporting periods with their entries."""
    rng = random.Random(SEED)
    projects = s.scalars(select(HqProject).order_by(HqProject.id)).all()
    money: dict[int, dict[int, tuple[int, int]]] = {}  # year → project → (plan, disbursed)
    for project in projects:
        for year, (plan, disbursed) in year_rows(project, rng).items():
            if year > today.year:
                continue
            money.setdefault(year, {})[project.id] = (plan, disbursed)
            s.add(
                HqProjectYear(
                    project_id=project.id,
                    year=year,
                    plan_vnd=plan,
                    disbursed_vnd=disbursed,
                    updated_by=EDITOR,
                    updated_at=datetime.combine(date(year, 12, 20) if year < today.year else today, time(9)),
                    version=1,
                )
            )
    for kind, year, due_on, closed_on in PERIODS:
        span = rule.span_of(kind, year)
        if span.starts_on > today:
            continue
        period = ReportPeriod(
            kind=kind,
            label=span.label,
            starts_on=span.starts_on,
            ends_on=span.ends_on,
            due_on=due_on,
            state=rule.CLOSED if closed_on is not None else rule.OPEN,
            opened_by="vanphong",
            opened_at=datetime.combine(
                span.starts_on + timedelta(days=(span.ends_on - span.starts_on).days // 2), time(8)
            ),
            closed_by="vanphong" if closed_on is not None else "",
            closed_at=datetime.combine(closed_on, time(16)) if closed_on is not None else None,
            version=2 if closed_on is not None else 1,
        )
        s.add(period)
        s.flush()
        if closed_on is not None:  # the year's money as it stood at the close (half a year: part paid)
            for project_id, (plan, disbursed) in money.get(year, {}).items():
                paid = disbursed if kind == rule.YEAR else int(round(disbursed * rng.uniform(0.3, 0.6), -3))
                s.add(
                    PeriodMoney(period_id=period.id, project_id=project_id, plan_vnd=plan, disbursed_vnd=paid)
                )
        _entries(s, period, closed_on, today, rng)
        if closed_on is not None:  # the tasks as they stand, frozen with the period as closing does
            s.flush()
            freeze_tasks(s, period.id)
    s.flush()


def _entries(
    s: Session, period: ReportPeriod, closed_on: date | None, today: date, rng: random.Random
) -> None:
    tasks = s.scalars(
        select(Task)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .outerjoin(Locality, Locality.id == Task.locality_id)
        .where(
            Task.state != "huy",
            Task.locality_id.is_not(None),
            or_(Task.completed_on.is_(None), Task.completed_on >= period.starts_on),
        )
        .order_by(Task.id)
    ).all()
    for task in tasks:
        roll = rng.random()
        if closed_on is None and roll < 0.45:  # the open year: many have not written yet
            continue
        if closed_on is not None and roll < 0.1:  # a few never reported
            continue
        submitted = closed_on is not None or roll > 0.8
        if submitted:
            last = min(closed_on or today, today)
            late = rng.random() < 0.15
            when = (
                period.due_on + timedelta(days=rng.randint(1, 8))
                if late
                else period.due_on - timedelta(days=rng.randint(0, 12))
            )
            when = min(when, last)
            at = datetime.combine(when, time(8)) + timedelta(minutes=rng.randint(0, 9 * 60))
        else:
            at = datetime.combine(today - timedelta(days=rng.randint(1, 10)), time(10))
        editor = task.updated_by or "vanphong"
        s.add(
            PeriodEntry(
                period_id=period.id,
                task_id=task.id,
                result=rng.choice(RESULTS),
                progress_pct=task.progress_pct
                if closed_on is None
                else _progress_at(task, period.ends_on, rng),
                obstacles=task.obstacles or rng.choice(OBSTACLES),
                proposals=rng.choice(PROPOSALS),
                state=rule.SUBMITTED if submitted else rule.DRAFT,
                submitted_by=editor if submitted else "",
                submitted_at=at if submitted else None,
                late=submitted and rule.is_late(at, period.due_on),
                updated_by=editor,
                updated_at=at,
                version=1,
            )
        )
