"""Changes in words: an audit event as a leader reads it."""

import pytest

from lib.core.changes import Event, is_quiet, sentence, value_text, who


@pytest.mark.parametrize(
    ("event", "words"),
    [
        (Event("update", "task", "progress_pct", "60", "80"), "Tiến độ 60% → 80%"),
        (Event("confirm", "task", "completed_on", None, "2026-11-12"), "Hoàn thành ngày 12/11/2026"),
        (
            Event("update", "hq_project", "disbursed_vnd", "4500000000", "6200000000"),
            "Giải ngân 4,50 → 6,20 tỷ đồng",
        ),
        (
            Event("update", "task", "state", "dang_thuc_hien", "hoan_thanh"),
            "Trạng thái Đang thực hiện → Hoàn thành",
        ),
        (
            Event("update", "task", "current_deadline", "2026-12-15", "2027-06-30"),
            "Hạn 15/12/2026 → 30/06/2027",
        ),
        (Event("update", "task", "notes", None, "Đã họp"), "Ghi chú: Đã họp"),
        (Event("update", "task", "result_doc", "5/BC", None), "Văn bản kết quả 5/BC → (trống)"),
        (Event("update", "model_ward", "criteria_met", "7", "9"), "Tiêu chí đạt 7 → 9"),
        (
            Event("retire", "hq_project", "lifecycle", "active", "cancelled"),
            "Trạng thái theo dõi Đang theo dõi → Hủy bỏ",
        ),
        (Event("create", "task", "", None, None), "Tạo (nhiệm vụ)"),
        (
            Event("apply_arrangement", "arrangement", "state", "draft", "applied"),
            "Áp dụng đợt sắp xếp tổ chức",
        ),
    ],
)
def test_an_event_reads_as_a_sentence(event, words):
    assert sentence(event) == words


def test_values_read_as_people_write_them():
    assert value_text("task", "state", "tam_dung") == "Tạm dừng"
    assert value_text("user", "active", "False") == "không"
    assert value_text("task", "updated_at", "2026-11-12T08:05:00") == "08:05 12/11/2026"
    assert value_text("task", "progress_pct", "None") == "(trống)"


def test_people_by_name_and_machines_by_what_they_are():
    names = {"dp.lucngan": "Nguyễn Văn An"}
    assert who("dp.lucngan", names) == "Nguyễn Văn An"
    assert who("cli:seed-demo", names) == "Lệnh quản trị (seed-demo)"
    assert who("system:duties", names) == "Hệ thống (duties)"
    assert who("nguoi.la", names) == "nguoi.la"


def test_saves_that_changed_nothing_and_refusals_are_not_changes():
    assert is_quiet("touch", "task") and is_quiet("refused_invalid", "task") and is_quiet("update", "user")
    assert not is_quiet("update", "task") and not is_quiet("confirm", "task")
