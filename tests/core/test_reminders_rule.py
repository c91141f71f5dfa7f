"""The reminder letter's rule: what a letter needs, how letters are numbered, how a task's reminders read."""

from datetime import date

import pytest

from lib.core import reminders as rule
from lib.core.validation import Invalid

TODAY = date(2026, 11, 29)
GOOD = {
    "number": "125/CAT-PV01",
    "issued_on": TODAY,
    "signer": "Nguyễn Văn An",
    "request": "Báo cáo kết quả",
    "reply_by": date(2026, 12, 10),
}


def fields(problems):
    return [name for name, _ in problems]


def test_a_complete_letter_has_no_problem():
    assert rule.check_letter(GOOD, TODAY, date(2024, 2, 1), 2) == []


@pytest.mark.parametrize(
    ("change", "addressees", "field", "words"),
    [
        ({}, 0, "addressees", "chưa chọn cơ quan"),
        ({"number": ""}, 1, "number", "không được để trống"),
        ({"issued_on": date(2026, 11, 30)}, 1, "issued_on", "ở tương lai"),
        (
            {"issued_on": date(2024, 1, 31)},
            1,
            "issued_on",
            "trước ngày giao nhiệm vụ được đôn đốc (01/02/2024)",
        ),
        (
            {"reply_by": date(2026, 11, 28)},
            1,
            "reply_by",
            "hạn gửi 28/11/2026 trước ngày công văn 29/11/2026",
        ),
        ({"signer": ""}, 1, "signer", "không được để trống"),
    ],
)
def test_each_bad_value_is_told_in_vietnamese(change, addressees, field, words):
    problems = rule.check_letter({**GOOD, **change}, TODAY, date(2024, 2, 1), addressees)
    assert fields(problems) == [field]
    assert words in problems[0][1]


def test_letters_to_several_addressees_count_up_from_the_first_number():
    assert rule.numbers("125/CAT-PV01", 3) == ["125/CAT-PV01", "126/CAT-PV01", "127/CAT-PV01"]
    assert rule.numbers("CV-đôn-đốc", 1) == ["CV-đôn-đốc"]
    assert rule.numbers("CV-đôn-đốc", 2) is None  # nothing to count up


def test_a_number_compares_without_spaces_or_case():
    assert rule.number_key(" 125 / cat-PV01 ") == rule.number_key("125/CAT-PV01")


def test_a_tasks_reminders_read_as_the_lists_show_them():
    assert rule.summary(2, date(2026, 11, 12)) == "đã đôn đốc 2 lần, lần gần nhất 12/11/2026"
    assert rule.summary(1, date(2026, 11, 12)) == "đã đôn đốc 1 lần, ngày 12/11/2026"
    assert rule.summary(0, None) == ""
    assert [rule.days_phrase(d) for d in (12, 0, -5)] == ["quá hạn 12 ngày", "đến hạn hôm nay", "còn 5 ngày"]


def test_an_agency_address_is_checked():
    assert rule.check_email(" vanphong@bacninh.gov.vn ") == "vanphong@bacninh.gov.vn"
    assert rule.check_email("") == ""
    with pytest.raises(Invalid, match="không phải địa chỉ thư điện tử"):
        rule.check_email("vanphong at bacninh")


def test_a_file_name_is_plain_ascii():
    assert rule.safe_file_stem("Sở Tài chính / Đội 1") == "so-tai-chinh-doi-1"
