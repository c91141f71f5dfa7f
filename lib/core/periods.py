"""Reporting periods (kỳ báo cáo) and the entries owners write for them: the rules, labels and limits.

The office opens a period — the first six months or the whole of a year (a quarter if it wants) — with
the day entries are due, and closes it. Whoever may edit a task writes its entry for the period:
result in the period, progress at its end, obstacles, proposals (kiến nghị, đề xuất). A draft may be
saved again and again; "Nộp" freezes it, and an entry submitted after the due day is late. A year's
headquarters money (the capital plan of the year and what was disbursed of it) is kept per project,
and the disbursement rate of a year is disbursed / that year's plan, as public-investment reports
state it. Pure: no database, no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lib.core import rules
from lib.core.catalogue import EARLIEST, LATEST
from lib.core.formatting import fmt_date
from lib.core.validation import Day, Integer, Money, Text

HALF, YEAR, QUARTER = "nua_nam", "nam", "quy"
KIND_LABELS = {HALF: "6 tháng đầu năm", YEAR: "Năm", QUARTER: "Quý"}
OPEN, CLOSED = "open", "closed"
PERIOD_STATE_LABELS = {OPEN: "Đang mở", CLOSED: "Đã chốt"}
DRAFT, SUBMITTED = "draft", "submitted"
# What a focal point sees of each of their tasks in a period.
MISSING, DUE, LATE, ON_TIME, LATE_SUBMITTED = "missing", "due", "late", "on_time", "late_submitted"
ENTRY_STATUS_LABELS = {
    MISSING: "Chưa viết",
    DUE: "Bản nháp, chưa nộp",
    LATE: "Quá hạn nộp",
    ON_TIME: "Đã nộp",
    LATE_SUBMITTED: "Đã nộp muộn",
}

LABEL = Text(100)
RESULT = Text(3000, multiline=True)
OBSTACLES = Text(2000, multiline=True)
PROPOSALS = Text(2000, multiline=True)
PROGRESS = Integer(0, 100, "%")
DAY = Day(EARLIEST, LATEST, required=True)
YEAR_MONEY = Money(rules.MAX_PROJECT_VND)
FIRST_YEAR, LAST_YEAR = EARLIEST.year, LATEST.year
YEAR_NUMBER = Integer(FIRST_YEAR, LAST_YEAR)

FIELD_LABELS = {
    "kind": "Loại kỳ",
    "label": "Tên kỳ báo cáo",
    "year": "Năm",
    "quarter": "Quý",
    "starts_on": "Từ ngày",
    "ends_on": "Đến ngày",
    "due_on": "Hạn nộp",
    "result": "Kết quả trong kỳ",
    "progress_pct": "Tiến độ cuối kỳ (%)",
    "obstacles": "Khó khăn, vướng mắc",
    "proposals": "Kiến nghị, đề xuất",
    "plan_vnd": "Kế hoạch vốn năm (đồng)",
    "disbursed_vnd": "Đã giải ngân trong năm (đồng)",
}


@dataclass(frozen=True)
class Span:
    """A period's label and days, as the office opens it."""

    kind: str
    label: str
    starts_on: date
    ends_on: date


def span_of(kind: str, year: int, quarter: int = 1) -> Span:
    """The label and days of a period of a kind in a year: "6 tháng đầu năm 2026" is 1/1–30/6."""
    if kind == HALF:
        return Span(kind, f"6 tháng đầu năm {year}", date(year, 1, 1), date(year, 6, 30))
    if kind == QUARTER:
        first = date(year, 3 * (quarter - 1) + 1, 1)
        last = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return Span(kind, f"Quý {quarter} năm {year}", first, date.fromordinal(last.toordinal() - 1))
    return Span(YEAR, f"Năm {year}", date(year, 1, 1), date(year, 12, 31))


def check_period(
    kind: str, label: str, starts_on: date, ends_on: date, due_on: date
) -> list[tuple[str, str]]:
    """The problems of a period the office opens (field, message); [] when it may be opened."""
    problems: list[tuple[str, str]] = []
    if kind not in KIND_LABELS:
        problems.append(("kind", f"chỉ nhận một trong: {', '.join(KIND_LABELS.values())}."))
    if not label:
        problems.append(("label", "không được để trống."))
    if starts_on > ends_on:
        problems.append(
            ("ends_on", f"ngày kết thúc {fmt_date(ends_on)} trước ngày bắt đầu {fmt_date(starts_on)}.")
        )
    # A yearly report is due before 15/12, ahead of the year's end: the due day may fall inside the span.
    if due_on < starts_on:
        problems.append(
            ("due_on", f"hạn nộp {fmt_date(due_on)} trước ngày bắt đầu kỳ {fmt_date(starts_on)}.")
        )
    return problems


def is_late(submitted_at: datetime, due_on: date) -> bool:
    """An entry submitted after its period's due day is late."""
    return submitted_at.date() > due_on


def entry_status(state: str | None, late: bool, due_on: date, today: date) -> str:
    """Where an entry stands for its owner: not written, a draft, overdue, submitted (on time or late)."""
    if state == SUBMITTED:
        return LATE_SUBMITTED if late else ON_TIME
    if today > due_on:
        return LATE
    return MISSING if state is None else DUE


def year_rate(plan: int, disbursed: int) -> float | None:
    """The year's disbursement rate: disbursed / the year's capital plan (None without a plan)."""
    return disbursed / plan if plan > 0 else None


@dataclass(frozen=True)
class YearMoney:
    """Headquarters money of one year: the year's capital plan and what was disbursed of it."""

    year: int
    plan: int = 0
    disbursed: int = 0
    projects: int = 0

    @property
    def rate(self) -> float | None:
        return year_rate(self.plan, self.disbursed)


def frozen_sentence(label: str, closed_at: datetime | None) -> str:
    """ "Số liệu theo báo cáo kỳ Năm 2025 đã chốt ngày 20/12/2025." """
    when = f" đã chốt ngày {fmt_date(closed_at)}" if closed_at else " (kỳ chưa chốt)"
    return f"Số liệu theo báo cáo kỳ {label}{when}."
