"""Pure domain rules: official status buckets, due-soon, land and funding checks.

The buckets follow the national task-tracking practice (QĐ 42/2014/QĐ-TTg as amended): a task is
judged as of an explicit date against its current (possibly extended) deadline. Suspended and
cancelled tasks leave every denominator. A task finished late stays "hoàn thành quá hạn" for
good: its delay stops counting once it is done.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

# Bucket codes, in the order reports list them.
ON_TIME = "dung_han"
LATE = "tre_han"
IN_PROGRESS = "trong_han"
OVERDUE = "qua_han"
NOT_DUE = "chua_den_han"
EXCLUDED = "loai_tru"

BUCKETS = (ON_TIME, LATE, IN_PROGRESS, OVERDUE, NOT_DUE, EXCLUDED)
COUNTED_BUCKETS = BUCKETS[:-1]

BUCKET_LABELS = {
    ON_TIME: "Hoàn thành đúng hạn",
    LATE: "Hoàn thành quá hạn",
    IN_PROGRESS: "Đang thực hiện trong hạn",
    OVERDUE: "Quá hạn (chưa hoàn thành)",
    NOT_DUE: "Chưa đến hạn",
    EXCLUDED: "Tạm dừng / hủy",
}

# One colour per bucket, used by every chart and badge in the app.
BUCKET_COLORS = {
    ON_TIME: "#2e7d32",
    LATE: "#f9a825",
    IN_PROGRESS: "#1565c0",
    OVERDUE: "#c62828",
    NOT_DUE: "#90a4ae",
    EXCLUDED: "#d7ccc8",
}

STATE_LABELS = {
    "chua_trien_khai": "Chưa triển khai",
    "dang_thuc_hien": "Đang thực hiện",
    "hoan_thanh": "Hoàn thành",
    "tam_dung": "Tạm dừng",
    "huy": "Hủy",
}
EXCLUDED_STATES = ("tam_dung", "huy")

MIN_LAND_AREA_M2 = 500


def task_bucket(state: str, deadline: date | None, completed_on: date | None, as_of: date) -> str:
    """Place one task in its official bucket as of a date."""
    if state in EXCLUDED_STATES:
        return EXCLUDED
    if state == "hoan_thanh" and completed_on is not None and completed_on <= as_of:
        return ON_TIME if deadline is None or completed_on <= deadline else LATE
    if deadline is not None and deadline < as_of:
        return OVERDUE
    if state == "chua_trien_khai":
        return NOT_DUE
    return IN_PROGRESS


def is_due_soon(bucket: str, deadline: date | None, as_of: date, within_days: int) -> bool:
    """Tell whether an unfinished task falls due in the next `within_days` days (today included)."""
    if bucket not in (IN_PROGRESS, NOT_DUE) or deadline is None:
        return False
    return 0 <= (deadline - as_of).days <= within_days


def days_overdue(state: str, deadline: date | None, completed_on: date | None, as_of: date) -> int:
    """Count days past the deadline: still running while unfinished, frozen once finished late."""
    bucket = task_bucket(state, deadline, completed_on, as_of)
    if bucket == OVERDUE and deadline is not None:
        return (as_of - deadline).days
    if bucket == LATE and deadline is not None and completed_on is not None:
        return (completed_on - deadline).days
    return 0


@dataclass(frozen=True)
class BucketSummary:
    """Counts per bucket and the rates a leader quotes."""

    counts: Mapping[str, int]
    due_soon: int = 0

    def count(self, bucket: str) -> int:
        return int(self.counts.get(bucket, 0))

    @property
    def total(self) -> int:
        """Tasks in the denominator: everything but suspended and cancelled."""
        return sum(self.count(b) for b in COUNTED_BUCKETS)

    @property
    def completed(self) -> int:
        return self.count(ON_TIME) + self.count(LATE)

    @property
    def decided(self) -> int:
        """Tasks whose outcome is known: finished, or past their deadline unfinished."""
        return self.completed + self.count(OVERDUE)

    @property
    def on_time_rate(self) -> float | None:
        """Share finished on time among tasks already finished or overdue (None when none are)."""
        return self.count(ON_TIME) / self.decided if self.decided else None

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.total if self.total else None


def summarize(buckets: Iterable[str], due_soon: int = 0) -> BucketSummary:
    """Count bucket codes into a summary."""
    counts: dict[str, int] = {}
    for bucket in buckets:
        counts[bucket] = counts.get(bucket, 0) + 1
    return BucketSummary(counts=counts, due_soon=due_soon)


def land_compliant(area_m2: int | None) -> bool | None:
    """Tell whether a plot meets the letter's minimum of 500 m² (None when no land is known)."""
    if area_m2 is None:
        return None
    return area_m2 >= MIN_LAND_AREA_M2


def funding_problems(planned: int, allocated: int, disbursed: int) -> list[str]:
    """List the broken links of the chain planned ≥ allocated ≥ disbursed ≥ 0, in Vietnamese."""
    problems = []
    if min(planned, allocated, disbursed) < 0:
        problems.append("Số tiền không được âm.")
    if allocated > planned:
        problems.append("Vốn đã bố trí lớn hơn dự toán.")
    if disbursed > allocated:
        problems.append("Số đã giải ngân lớn hơn vốn đã bố trí.")
    return problems


def disbursement_rate(allocated: int, disbursed: int) -> float | None:
    """Share of allocated money already disbursed (None when nothing is allocated)."""
    return disbursed / allocated if allocated > 0 else None
