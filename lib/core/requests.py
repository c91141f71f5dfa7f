"""Requests a focal point makes on a task and the office confirms: the rule, its labels and limits.

Marking a task completed, suspended or cancelled, or moving its deadline, is not something a focal
point does alone: they propose it with a reason and the supporting document, the row shows "Chờ xác
nhận", and only the office's confirmation changes the task (through the edit engine, audited and
revertible like any edit). The office may also decide at once (a request it records and confirms in
one step). Pure: no database, no Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from lib.core.catalogue import EARLIEST, LATEST
from lib.core.formatting import fmt_date
from lib.core.roles import ADMIN, VAN_PHONG
from lib.core.validation import Day, Text

COMPLETE, SUSPEND, CANCEL, EXTEND = "hoan_thanh", "tam_dung", "huy", "gia_han"
KIND_LABELS = {
    COMPLETE: "Hoàn thành",
    SUSPEND: "Tạm dừng",
    CANCEL: "Hủy",
    EXTEND: "Gia hạn",
}
# In a sentence: "đề nghị xác nhận hoàn thành", "đề nghị gia hạn".
KIND_PHRASES = {
    COMPLETE: "xác nhận hoàn thành",
    SUSPEND: "tạm dừng",
    CANCEL: "hủy",
    EXTEND: "gia hạn",
}
PENDING, CONFIRMED, RETURNED, WITHDRAWN = "pending", "confirmed", "returned", "withdrawn"
STATE_LABELS = {
    PENDING: "Chờ xác nhận",
    CONFIRMED: "Đã xác nhận",
    RETURNED: "Trả lại",
    WITHDRAWN: "Đã rút",
}
# The task states only the office sets (a focal point proposes them), and who decides.
DECIDED_STATES = (COMPLETE, SUSPEND, CANCEL)
DECIDERS = (ADMIN, VAN_PHONG)
OPEN_STATES = ("chua_trien_khai", "dang_thuc_hien")

REASON = Text(1000, multiline=True)
DOCUMENT = Text(200)  # số/ký hiệu of the supporting document, e.g. "215/BC-UBND ngày 20/11/2026"
RESULT = Text(2000, multiline=True)
NOTE = Text(1000, multiline=True)  # the office's note when it returns or confirms
DAY = Day(EARLIEST, LATEST)

FIELD_LABELS = {
    "kind": "Đề nghị",
    "completed_on": "Ngày hoàn thành",
    "result": "Kết quả",
    "new_deadline": "Hạn mới",
    "reason": "Lý do",
    "document": "Văn bản kèm theo",
    "note": "Ý kiến của Văn phòng",
    "file": "Tệp minh chứng",
}


@dataclass(frozen=True)
class TaskState:
    """What the rule needs of the task a request is about."""

    state: str
    current_deadline: date | None


def check_request(
    kind: str, values: Mapping[str, Any], task: TaskState, today: date
) -> list[tuple[str, str]]:
    """The problems of a request (field, message), from typed values; [] when it may be sent."""
    problems: list[tuple[str, str]] = []
    if kind not in KIND_LABELS:
        return [("kind", f"chỉ nhận một trong: {', '.join(KIND_LABELS.values())}.")]
    if task.state not in OPEN_STATES:
        return [("kind", "nhiệm vụ đã hoàn thành, tạm dừng hoặc đã hủy: không còn gì để đề nghị.")]
    if not values.get("reason"):
        problems.append(("reason", "không được để trống."))
    if not values.get("document"):
        problems.append(("document", "phải ghi số, ký hiệu văn bản kèm theo (minh chứng)."))
    if kind == COMPLETE:
        done = values.get("completed_on")
        if done is None:
            problems.append(("completed_on", "không được để trống."))
        elif done > today:
            problems.append(("completed_on", f"ngày hoàn thành {fmt_date(done)} ở tương lai."))
        if not values.get("result"):
            problems.append(("result", "phải ghi kết quả đã đạt."))
    if kind == EXTEND:
        new = values.get("new_deadline")
        if new is None:
            problems.append(("new_deadline", "không được để trống."))
        elif task.current_deadline is not None and new <= task.current_deadline:
            problems.append(
                ("new_deadline", f"hạn mới phải sau hạn hiện tại ({fmt_date(task.current_deadline)}).")
            )
        elif new <= today:
            problems.append(("new_deadline", f"hạn mới phải sau hôm nay ({fmt_date(today)})."))
    return problems


def task_changes(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """What confirming a request writes on its task (the edit engine's field names)."""
    if kind == COMPLETE:
        return {
            "state": COMPLETE,
            "progress_pct": 100,
            "completed_on": values["completed_on"],
            "result": values["result"],
            "result_doc": values["document"],
        }
    if kind == EXTEND:
        return {"current_deadline": values["new_deadline"], "extension_doc": values["document"]}
    return {"state": kind}


def grid_problems(
    role: str, changed: Mapping[str, Any], stored_state: str, typed: bool = True
) -> list[tuple[str, str]]:
    """The cells a user may not save in the grid (or a file, or the phone form). A non-office user:
    the decided states, leaving them, the completion date and a decided task's result go through a
    request. The office (`typed`: a cell typed, not a confirmation or a revert): suspending and
    cancelling need a document, so they go through "Ghi và xác nhận ngay"."""
    new_state = changed.get("state", stored_state)
    if role in DECIDERS:
        if typed and new_state != stored_state and new_state in (SUSPEND, CANCEL):
            return [
                (
                    "state",
                    f"“{KIND_LABELS[new_state]}” cần lý do và văn bản: dùng “Ghi và xác nhận ngay” ở "
                    "“Chi tiết nhiệm vụ”.",
                )
            ]
        return []
    problems: list[tuple[str, str]] = []
    if new_state != stored_state:
        if new_state in DECIDED_STATES:
            problems.append(
                (
                    "state",
                    f"“{KIND_LABELS[new_state]}” cần Văn phòng xác nhận: gửi đề nghị ở “Chi tiết nhiệm vụ” "
                    "(kèm lý do và văn bản).",
                )
            )
        elif stored_state in DECIDED_STATES:
            problems.append(
                (
                    "state",
                    f"nhiệm vụ đã ở trạng thái “{KIND_LABELS[stored_state]}” do Văn phòng xác nhận: "
                    "đề nghị Văn phòng nếu cần thay đổi.",
                )
            )
    if "completed_on" in changed:
        problems.append(("completed_on", "ngày hoàn thành ghi theo đề nghị được Văn phòng xác nhận."))
    if stored_state in DECIDED_STATES:
        for name in ("result", "result_doc"):
            if name in changed:
                problems.append(
                    (name, "kết quả của nhiệm vụ đã được Văn phòng xác nhận: đề nghị Văn phòng nếu cần sửa.")
                )
    return problems


def stale_problems(kind: str, new_deadline: date | None, task: TaskState) -> list[tuple[str, str]]:
    """Why a pending request no longer fits its task (changed since it was sent): [] when it does."""
    if task.state not in OPEN_STATES:
        now = KIND_LABELS.get(task.state, task.state)
        return [("kind", f"nhiệm vụ đã chuyển sang “{now}” sau khi đề nghị được gửi: trả lại đề nghị này.")]
    current = task.current_deadline
    if kind == EXTEND and new_deadline is not None and current is not None and new_deadline <= current:
        return [
            (
                "new_deadline",
                f"hạn hiện tại đã là {fmt_date(current)} (đổi sau khi đề nghị được gửi), "
                f"không sớm hơn hạn đề nghị {fmt_date(new_deadline)}: trả lại đề nghị này.",
            )
        ]
    return []
