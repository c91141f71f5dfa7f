"""The periods of a recurring duty, and which of them are due to be generated as of a date.

A duty (the yearly report before 15/12, a mid-term review) comes back by a rule: once, every year,
every six months, every quarter, or ongoing. From the rule, the deadline's month and day, and the
first and last year, this module lists the duty's periods, each with a stable key ("2027",
"2027-H1", "2027-Q3"), a Vietnamese label ("năm 2027", "6 tháng đầu năm 2027", "quý III/2027") and
its deadline. A period's task is generated ahead of time: once the period's first day is at most
`lead_days` away. Periods already past are due too, so a register loaded late has no gap. An
ongoing duty has no periods: it is followed as one ordinary task, not generated.

Pure: no database. The writing part is lib/ops/duties.py.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

ONCE = "mot_lan"
YEARLY = "hang_nam"
HALF_YEARLY = "sau_thang"
QUARTERLY = "hang_quy"
ONGOING = "thuong_xuyen"
RECURRENCES = (ONCE, YEARLY, HALF_YEARLY, QUARTERLY, ONGOING)  # as lib/data/models.RECURRENCES
RECURRENCE_LABELS = {
    ONCE: "Một lần (theo hạn)",
    YEARLY: "Hằng năm (trước 15/12)",
    HALF_YEARLY: "6 tháng một lần",
    QUARTERLY: "Hằng quý",
    ONGOING: "Thường xuyên",
}
# A period's task is generated this many days before the period begins: the yearly report of 2028
# appears on 1/12/2027, a month before its year starts, so it is on the list when the year is planned.
LEAD_DAYS = 31
PERIOD_PLACEHOLDER = "{period}"
DEADLINE_PLACEHOLDER = "{deadline}"

_ROMAN = ("I", "II", "III", "IV")
_KEY = re.compile(r"(\d{4})(?:-(H[12]|Q[1-4]))?")


@dataclass(frozen=True)
class Period:
    """One period of a duty: its key (stored on the task), label, span and deadline."""

    key: str
    label: str
    starts_on: date
    ends_on: date
    deadline: date

    @property
    def year(self) -> int:
        return self.starts_on.year

    def opens_on(self, lead_days: int = LEAD_DAYS) -> date:
        """The first day this period's task is due to exist."""
        return self.starts_on - timedelta(days=lead_days)


def _day(year: int, month: int, day: int) -> date:
    """A date, with the day cut to the month's last (31 in a 30-day month, 29/2 in other years)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _span(year: int, first_month: int, months: int) -> tuple[date, date]:
    start = date(year, first_month, 1)
    end = _day(year, first_month + months - 1, 31)
    return start, end


def periods(recurrence: str, due_month: int, due_day: int, first_year: int, last_year: int) -> list[Period]:
    """Every period of a duty from `first_year` through `last_year`, in order.

    `due_month`/`due_day` place the deadline of the year's first period: a yearly duty due (12, 15)
    is due on 15/12 of each year; a six-monthly duty due (6, 15) on 15/6 and 15/12; a quarterly
    duty due (3, 20) on 20/3, 20/6, 20/9 and 20/12. A month past the period (a quarterly report due
    the 5th of the month after, (4, 5)) carries over, into the next year for the last period. A
    one-off duty has one period, the year `first_year`. An ongoing duty has none.
    """
    if recurrence not in RECURRENCES:
        raise ValueError(f"unknown recurrence {recurrence!r}")
    if not (1 <= due_month <= 12 and 1 <= due_day <= 31):
        raise ValueError(f"bad due month/day {due_month}/{due_day}")
    if recurrence == ONGOING:
        return []
    if recurrence == ONCE:
        last_year = first_year
    found: list[Period] = []
    for year in range(first_year, last_year + 1):
        if recurrence in (ONCE, YEARLY):
            start, end = _span(year, 1, 12)
            found.append(Period(str(year), f"năm {year}", start, end, _day(year, due_month, due_day)))
        elif recurrence == HALF_YEARLY:
            for i, (part, words) in enumerate((("H1", "đầu"), ("H2", "cuối"))):
                start, end = _span(year, 1 + 6 * i, 6)
                deadline = _day(year, due_month + 6 * i, due_day)
                found.append(Period(f"{year}-{part}", f"6 tháng {words} năm {year}", start, end, deadline))
        else:
            for i in range(4):
                start, end = _span(year, 1 + 3 * i, 3)
                deadline = _day(year, due_month + 3 * i, due_day)
                found.append(Period(f"{year}-Q{i + 1}", f"quý {_ROMAN[i]}/{year}", start, end, deadline))
    return found


def due_periods(
    all_periods: list[Period], as_of: date, *, lead_days: int = LEAD_DAYS, valid_until: date | None = None
) -> list[Period]:
    """The periods whose task should exist as of a date: every period that has begun, and the next
    one once it is at most `lead_days` away. An addressee retired (or a duty ended) on
    `valid_until` owes only the periods due before that day."""
    return [
        p
        for p in all_periods
        if p.opens_on(lead_days) <= as_of and (valid_until is None or p.deadline < valid_until)
    ]


def period_start(key: str) -> date:
    """The first day of a period, from its key ("2027", "2027-H2", "2027-Q3")."""
    found = _KEY.fullmatch(key)
    if found is None:
        raise ValueError(f"not a period key: {key!r}")
    year, part = int(found.group(1)), found.group(2)
    if part is None:
        return date(year, 1, 1)
    months = 6 if part[0] == "H" else 3
    return date(year, 1 + months * (int(part[1]) - 1), 1)


def period_year(key: str) -> int:
    """The year a period belongs to."""
    return period_start(key).year


def is_open(key: str, as_of: date, lead_days: int = LEAD_DAYS) -> bool:
    """Tell whether a period's task was due to exist by a date (how an as-of view hides later ones)."""
    return period_start(key) - timedelta(days=lead_days) <= as_of


def duty_title(template: str, period: Period) -> str:
    """A period's task title: "{period}" becomes its label, "{deadline}" its deadline (dd/mm/yyyy)."""
    return template.replace(PERIOD_PLACEHOLDER, period.label).replace(
        DEADLINE_PLACEHOLDER, f"{period.deadline:%d/%m/%Y}"
    )


def duty_name(template: str) -> str:
    """A recurring duty as one names it, not a period of it: "Báo cáo kết quả thực hiện hằng kỳ"."""
    name = template.replace(f" (trước {DEADLINE_PLACEHOLDER})", "").replace(
        DEADLINE_PLACEHOLDER, "hạn của kỳ"
    )
    return name.replace(PERIOD_PLACEHOLDER, "hằng kỳ")
