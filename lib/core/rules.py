"""Pure domain rules: official status buckets, due-soon, land and funding checks.

The buckets follow the national task-tracking practice (QĐ 42/2014/QĐ-TTg as amended): a task is
judged as of an explicit date against its current (possibly extended) deadline. Suspended and
cancelled tasks leave every denominator. A task finished late stays "hoàn thành quá hạn" for
good: its delay stops counting once it is done.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

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

# Kinds of locality and of unit (lib/data/models.py), as their names begin: "Huyện Lục Ngạn", "Xã Tân Sơn".
LOCALITY_KIND_LABELS = {"huyen": "Huyện", "thi_xa": "Thị xã", "thanh_pho": "Thành phố"}
UNIT_KIND_LABELS = {"phuong": "Phường", "xa": "Xã", "thi_tran": "Thị trấn"}

# The kinds of document that assign tasks (lib/data/models.py DOCUMENT_KINDS), as people name them.
DOCUMENT_KIND_LABELS = {
    "de_an": "Đề án",
    "ke_hoach": "Kế hoạch",
    "cong_van": "Công văn",
    "quyet_dinh": "Quyết định",
    "chi_thi": "Chỉ thị",
    "ket_luan": "Kết luận",
    "thong_bao": "Thông báo",
    "bao_cao": "Báo cáo",
    "khac": "Khác",
}

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
    # Tasks with a request waiting for the office on that date (lib/core/requests.py): shown apart,
    # counted where the task stands until the office confirms.
    pending: int = 0

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


# --- headquarters projects -------------------------------------------------------------------

STAGE_LABELS = {
    "chua_bo_tri_dat": "Chưa bố trí đất",
    "da_bo_tri_dat": "Đã bố trí đất",
    "chuan_bi_dau_tu": "Chuẩn bị đầu tư, phê duyệt",
    "dang_thi_cong": "Đang thi công",
    "hoan_thanh": "Hoàn thành",
    "dua_vao_su_dung": "Đưa vào sử dụng",
}
STAGE_COLORS = {
    "chua_bo_tri_dat": "#c62828",
    "da_bo_tri_dat": "#ef6c00",
    "chuan_bi_dau_tu": "#f9a825",
    "dang_thi_cong": "#1565c0",
    "hoan_thanh": "#66bb6a",
    "dua_vao_su_dung": "#1b5e20",
}
FINISHED_STAGES = ("hoan_thanh", "dua_vao_su_dung")
KIND_LABELS = {"xay_moi": "Xây mới", "cai_tao": "Cải tạo, sửa chữa"}
LAND_STATUS_LABELS = {"chua_bo_tri": "Chưa bố trí", "dang_bo_tri": "Đang bố trí", "da_bo_tri": "Đã bố trí"}
FUNDING_SOURCE_LABELS = {
    "ngan_sach_tinh": "Ngân sách tỉnh",
    "ngan_sach_huyen": "Ngân sách huyện",
    "ngan_sach_xa": "Ngân sách xã",
    "xa_hoi_hoa": "Xã hội hóa",
    "hon_hop": "Nhiều nguồn",
}
# Ceiling of one project's money: a new headquarters costs about 4–6 tỷ đồng, so anything above
# 100 tỷ is a slip of the unit (triệu typed as đồng, or extra zeros), not a real figure.
MAX_PROJECT_VND = 100_000_000_000
MAX_LAND_AREA_M2 = 100_000

# Flags on a project, computed from its fields and an as-of date; never typed by anyone.
FLAG_SMALL_LAND = "dat_duoi_500"
FLAG_FUNDING = "sai_von"
FLAG_BEHIND = "cham_tien_do"
FLAG_STALLED = "khong_cap_nhat"
FLAGS = (FLAG_SMALL_LAND, FLAG_FUNDING, FLAG_BEHIND, FLAG_STALLED)
FLAG_LABELS = {
    FLAG_SMALL_LAND: "Đất dưới 500 m²",
    FLAG_FUNDING: "Sai chuỗi vốn",
    FLAG_BEHIND: "Chậm tiến độ",
    FLAG_STALLED: "Lâu không cập nhật",
}


def flag_help(flag: str, stale_days: int) -> str:
    """What a headquarters flag means, in a sentence (shown with its count)."""
    return {
        FLAG_SMALL_LAND: f"Công văn yêu cầu quỹ đất tối thiểu {MIN_LAND_AREA_M2} m² cho mỗi trụ sở.",
        FLAG_BEHIND: "Đã quá ngày hoàn thành theo kế hoạch mà chưa hoàn thành.",
        FLAG_STALLED: f"Chưa hoàn thành và không ai cập nhật quá {stale_days} ngày.",
        FLAG_FUNDING: "Vốn bố trí lớn hơn dự toán, hoặc giải ngân lớn hơn vốn bố trí (không thể lưu mới).",
    }[flag]


def finished_by(actual_completion_on: date | None, as_of: date) -> bool:
    """Tell whether a project was finished (actual completion recorded) by a date."""
    return actual_completion_on is not None and actual_completion_on <= as_of


def behind_schedule(
    planned_completion_on: date | None, actual_completion_on: date | None, as_of: date
) -> bool:
    """Planned completion is past and the project was not finished by then (as of the date)."""
    return (
        planned_completion_on is not None
        and planned_completion_on < as_of
        and not finished_by(actual_completion_on, as_of)
    )


def stalled(
    updated_at: datetime | None, actual_completion_on: date | None, as_of: date, stale_days: int
) -> bool:
    """An unfinished project nobody has updated for more than `stale_days` days before the date."""
    if updated_at is None or finished_by(actual_completion_on, as_of):
        return False
    return updated_at.date() < as_of - timedelta(days=stale_days)


def hq_flags(row: Mapping[str, Any], as_of: date, stale_days: int) -> tuple[str, ...]:
    """Return the flags of one project row (keys as in the model), in FLAGS order."""
    flags = []
    if land_compliant(row["land_area_m2"]) is False:
        flags.append(FLAG_SMALL_LAND)
    if funding_problems(row["planned_vnd"], row["allocated_vnd"], row["disbursed_vnd"]):
        flags.append(FLAG_FUNDING)
    if behind_schedule(row["planned_completion_on"], row["actual_completion_on"], as_of):
        flags.append(FLAG_BEHIND)
    if stalled(row["updated_at"], row["actual_completion_on"], as_of, stale_days):
        flags.append(FLAG_STALLED)
    return tuple(flags)


def below_average(rates: Mapping[str, float | None], average: float | None) -> set[str]:
    """Localities whose disbursement rate is below the provincial average (published each year)."""
    if average is None:
        return set()
    return {code for code, rate in rates.items() if rate is not None and rate < average}


# --- the record's lifecycle (headquarters projects, model-ward registrations) -------------------

# Nothing is deleted: a row is followed ("active") or retired by a document, with a reason.
LIFECYCLE_ACTIVE = "active"
LIFECYCLE_STOPPED = "stopped"
LIFECYCLE_CANCELLED = "cancelled"
LIFECYCLE_MERGED = "merged"
LIFECYCLE_LABELS = {
    LIFECYCLE_ACTIVE: "Đang theo dõi",
    LIFECYCLE_STOPPED: "Dừng",
    LIFECYCLE_CANCELLED: "Hủy bỏ",
    LIFECYCLE_MERGED: "Gộp vào dự án/đăng ký khác",
}
RETIRED_LIFECYCLES = (LIFECYCLE_STOPPED, LIFECYCLE_CANCELLED, LIFECYCLE_MERGED)
# Whose money the headquarters totals count: every project that was not cancelled. A stopped
# project's money was committed and partly spent, a merged one's was spent under its own name (the
# project it joined carries only its own); a cancelled project counts nowhere, and it cannot have
# money paid out (lib/editing/changeset.py refuses it): disbursed money never leaves the totals.
MONEY_LIFECYCLES = (LIFECYCLE_ACTIVE, LIFECYCLE_STOPPED, LIFECYCLE_MERGED)

UNIT_KIND_LABELS = {"phuong": "Phường", "xa": "Xã", "thi_tran": "Thị trấn"}


# --- model wards -------------------------------------------------------------------------------

WARD_CRITERIA = 22
WARD_TARGET_YEAR = 2030
ROADMAP_FIRST_YEAR = 2024


def reference_share(year: int) -> float:
    """The straight path from none in 2023 to every ward in 2030, a yardstick for the roadmap
    (the province's own yearly targets were not published with the letter)."""
    start = ROADMAP_FIRST_YEAR - 1
    return max(0.0, min(1.0, (year - start) / (WARD_TARGET_YEAR - start)))


PILOT_YEAR = 2024
PILOT_LOCALITIES = ("viet-yen", "bac-giang")  # clause 4 of the letter


# --- the yearly report --------------------------------------------------------------------------------

REPORT_DAY = (12, 15)  # every addressee reports its year's results before 15 December

# When a recurring duty falls due, as (month, day) in its first period of a year: a yearly duty (the
# report) before 15/12; an ongoing one is reviewed at the year's end; a six-monthly one on 15/6 (and
# 15/12); a quarterly one on the 15th of each quarter's last month (15/3, 15/6, 15/9, 15/12).
RECURRENCE_DUE = {"hang_nam": REPORT_DAY, "thuong_xuyen": (12, 31), "sau_thang": (6, 15), "hang_quy": (3, 15)}


def roadmap_year(as_of: date) -> int:
    """The roadmap year a date is read against: its own year, within the roadmap's first and target years."""
    return min(max(as_of.year, ROADMAP_FIRST_YEAR), WARD_TARGET_YEAR)
