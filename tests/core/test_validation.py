"""Typed cell parsers (pure) and the task rules of the edit engine (against a real database).

Every refusal is checked by its exact Vietnamese message, or by a fragment that says the reason.
"""

import math
import unicodedata
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from lib.core.validation import Choice, Day, Integer, Invalid, Money, Text
from lib.data import accounts
from lib.data.db import transaction
from lib.data.models import AuditEvent, Task, User
from lib.editing import actions, changeset
from lib.editing.changeset import TASKS, RowChange, ValidationFailed
from lib.ops.seed import seed_demo

TASK_FIELDS = TASKS.fields

NOW = datetime(2026, 11, 29, 10, 0)
TODAY = date(2026, 11, 29)

PROGRESS = TASK_FIELDS["progress_pct"].parser
DONE_ON = TASK_FIELDS["completed_on"].parser
STATE = TASK_FIELDS["state"].parser
ONE_LINE = TASK_FIELDS["result_doc"].parser  # Text(200)
MULTILINE = TASK_FIELDS["notes"].parser  # Text(2000, multiline=True)
STATES_SHOWN = "Chưa triển khai, Đang thực hiện, Hoàn thành, Tạm dừng, Hủy"


def refusal(parser, raw):
    with pytest.raises(Invalid) as caught:
        parser.parse(raw)
    return str(caught.value)


# --- integers: progress ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(0, 0), (100, 100), (55, 55), (55.0, 55), (0.0, 0), ("55", 55), (" 55 ", 55), ("100", 100), ("-0", 0)],
)
def test_progress_accepts_whole_numbers_from_0_to_100(raw, expected):
    value = PROGRESS.parse(raw)
    assert value == expected and type(value) is int


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (101, "phải nằm trong khoảng 0–100%."),
        (-1, "phải nằm trong khoảng 0–100%."),
        (10**30, "phải nằm trong khoảng 0–100%."),
        ("101", "phải nằm trong khoảng 0–100%."),
        ("-1", "phải nằm trong khoảng 0–100%."),
        (12.5, "phải là số nguyên (không có phần lẻ)."),
        (99.999, "phải là số nguyên (không có phần lẻ)."),
        (math.nan, "phải là số nguyên (không có phần lẻ)."),
        (math.inf, "phải là số nguyên (không có phần lẻ)."),
        ("abc", "“abc” không phải số nguyên."),
        ("", "“” không phải số nguyên."),
        ("12,5", "phải là số nguyên (không có phần lẻ)."),
        ("50%", "“50%” không phải số nguyên."),
        ("+5", "“+5” không phải số nguyên."),
        (True, "phải là số nguyên."),
        (False, "phải là số nguyên."),
        (None, "phải là số nguyên."),
        ([50], "phải là số nguyên."),
    ],
)
def test_progress_refuses_anything_else_with_a_vietnamese_reason(raw, message):
    assert refusal(PROGRESS, raw) == message


def test_progress_reads_a_dot_as_a_thousands_separator_only_in_groups_of_three():
    # Vietnamese writes 1.000 for a thousand; "12.5" is a fraction, refused rather than guessed.
    assert refusal(PROGRESS, "12.5") == "phải là số nguyên (không có phần lẻ)."
    assert Integer(0, 10_000).parse("1.000") == 1000


def test_a_long_input_is_refused_without_being_echoed():
    assert refusal(PROGRESS, "x" * 100) == "số quá dài."
    assert refusal(PROGRESS, "x" * 25) == f"“{'x' * 25}” không phải số nguyên."


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "2024-05-01",
        " 2024-05-01 ",
        "01/05/2024",
        "1/5/2024",
        "2024-05-01T08:30:00",
        "2024-05-01 08:30:00",
        "2024-05-01T08:30:00.123",
        "2024-05-01T08:30:00.123456",
        date(2024, 5, 1),
        datetime(2024, 5, 1, 23, 59),
        pd.Timestamp("2024-05-01 08:30"),
    ],
)
def test_dates_are_read_from_iso_dd_mm_yyyy_and_datetimes(raw):
    value = DONE_ON.parse(raw)
    assert value == date(2024, 5, 1) and type(value) is date


@pytest.mark.parametrize("raw", [date(2023, 1, 1), "2023-01-01", date(2035, 12, 31), "31/12/2035"])
def test_the_first_and_last_day_of_the_range_are_accepted(raw):
    assert DONE_ON.parse(raw) in (date(2023, 1, 1), date(2035, 12, 31))


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (date(2022, 12, 31), "31/12/2022"),
        ("2022-12-31", "31/12/2022"),
        ("01/01/2000", "01/01/2000"),
        (date(2036, 1, 1), "01/01/2036"),
        ("2036-01-01T00:00:00", "01/01/2036"),
        (datetime(2099, 6, 1, 12), "01/06/2099"),
    ],
)
def test_dates_outside_2023_to_2035_are_refused(raw, shown):
    assert refusal(DONE_ON, raw) == f"ngày {shown} nằm ngoài khoảng 01/01/2023–31/12/2035."


@pytest.mark.parametrize("raw", ["abc", "hôm qua", "31/02/2024", "2024-13-01", "2024/05/01", "2024-05", "0"])
def test_garbage_dates_are_refused(raw):
    assert refusal(DONE_ON, raw) == f"“{raw}” không phải ngày hợp lệ (dd/mm/yyyy)."


@pytest.mark.parametrize("raw", [20240501, 1.5, True, ["2024-05-01"]])
def test_non_date_types_are_refused(raw):
    assert refusal(DONE_ON, raw) == "phải là ngày."


@pytest.mark.parametrize("raw", [None, "", math.nan])
def test_an_empty_date_is_none_unless_required(raw):
    assert DONE_ON.parse(raw) is None
    required = Day(date(2023, 1, 1), date(2035, 12, 31), required=True)
    assert refusal(required, raw) == "không được để trống."


# --- text -----------------------------------------------------------------------------------


def test_text_length_limits_count_characters():
    assert ONE_LINE.parse("đ" * 200) == "đ" * 200
    assert refusal(ONE_LINE, "đ" * 201) == "dài 201 ký tự, tối đa 200."
    assert MULTILINE.parse("ệ" * 2000) == "ệ" * 2000
    assert refusal(MULTILINE, "ệ" * 2001) == "dài 2001 ký tự, tối đa 2000."
    assert ONE_LINE.parse("😀" * 200) == "😀" * 200  # one code point each
    assert refusal(ONE_LINE, "😀" * 201) == "dài 201 ký tự, tối đa 200."


def test_length_is_counted_after_trimming_and_composing():
    assert ONE_LINE.parse("  " + "x" * 200 + "  ") == "x" * 200
    decomposed = "a\u0300" * 200  # 400 code points that compose to 200 "à"
    assert ONE_LINE.parse(decomposed) == "à" * 200


@pytest.mark.parametrize(
    "raw",
    [
        "\x00",
        "a\x00b",
        "chuông\x07",
        "\x1b[31mđỏ\x1b[0m",
        "abc\u202egnp.exe",
        "\x7f",
        "a\x0bb",
        "\u2066x\u2069",
    ],
)
@pytest.mark.parametrize("parser", [ONE_LINE, MULTILINE], ids=["one-line", "multiline"])
def test_control_characters_are_refused(parser, raw):
    assert refusal(parser, raw) == "chứa ký tự điều khiển không hợp lệ."


@pytest.mark.parametrize("raw", ["dòng 1\ndòng 2", "dòng 1\r\ndòng 2", "a\rb"])
def test_line_breaks_are_refused_in_single_line_fields_and_kept_in_multiline_ones(raw):
    assert refusal(ONE_LINE, raw) == "không được xuống dòng."
    assert MULTILINE.parse(raw) == raw


def test_surrounding_whitespace_and_line_breaks_are_trimmed():
    assert ONE_LINE.parse("  15/BC-UBND\n") == "15/BC-UBND"
    assert MULTILINE.parse("\n  dòng 1\ndòng 2  \n") == "dòng 1\ndòng 2"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hoa\u0300", "Ho\u00e0"),  # decomposed grave accent → "Hoà" composed
        ("Nguye\u0302\u0303n", "Nguy\u1ec5n"),  # two combining marks → "Nguyễn"
        ("Đa\u0306\u0301k La\u0306\u0301k", "Đắk Lắk"),
        ("Hoà", "Hoà"),
    ],
)
def test_vietnamese_text_is_stored_composed_nfc(raw, expected):
    value = ONE_LINE.parse(raw)
    assert value == expected and unicodedata.is_normalized("NFC", value)


@pytest.mark.parametrize("raw", [None, math.nan])
def test_missing_text_is_the_empty_string(raw):
    assert ONE_LINE.parse(raw) == "" and MULTILINE.parse(raw) == ""


@pytest.mark.parametrize("raw", [5, 5.5, True, date(2024, 1, 1), ["a"]])
def test_non_text_values_are_refused(raw):
    assert refusal(ONE_LINE, raw) == "phải là văn bản."


# --- choices --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("hoan_thanh", "hoan_thanh"),
        ("Hoàn thành", "hoan_thanh"),
        (" Hoàn thành ", "hoan_thanh"),
        ("chua_trien_khai", "chua_trien_khai"),
        ("Chưa triển khai", "chua_trien_khai"),
        ("Hủy", "huy"),
        ("tam_dung", "tam_dung"),
    ],
)
def test_state_accepts_the_code_and_the_vietnamese_label(raw, code):
    assert STATE.parse(raw) == code


@pytest.mark.parametrize("raw", ["xong", "HOAN_THANH", "hoàn thành", "Hoan thanh", "", None, 1, True])
def test_state_refuses_anything_else_and_lists_the_choices(raw):
    assert refusal(STATE, raw) == f"“{raw}” không thuộc các giá trị cho phép: {STATES_SHOWN}."


def test_a_choice_without_labels_lists_its_codes():
    assert Choice(("a", "b")).parse("b") == "b"
    assert refusal(Choice(("a", "b")), "c") == "“c” không thuộc các giá trị cho phép: a, b."
    assert refusal(Choice(("a",), {"a": "Một", "z": "Không"}), "Không") == (
        "“Không” không thuộc các giá trị cho phép: Một."
    )


def test_integer_and_text_parsers_report_their_own_limits():
    assert refusal(Integer(1, 12, " tháng"), 13) == "phải nằm trong khoảng 1–12 tháng."
    assert refusal(Text(3), "abcd") == "dài 4 ký tự, tối đa 3."


@pytest.mark.parametrize(
    ("raw", "code"),
    [("a\uffffb", "U+FFFF"), ("\ufffe", "U+FFFE"), ("x\ufdd0", "U+FDD0"), ("\U0001fffe", "U+1FFFE")],
)
def test_text_refuses_unicode_noncharacters_naming_them(raw, code):
    # U+FFFF once passed: saved, it broke every Excel export for everyone (XML cannot hold it).
    assert refusal(MULTILINE, raw) == f"chứa ký tự {code}, không phải chữ (ký tự Unicode không dùng được)."


def test_text_keeps_the_characters_next_to_the_noncharacters():
    assert MULTILINE.parse("\ufdcf \ufdf0 \ufffd 🚓 Lục Ngạn") == "\ufdcf \ufdf0 \ufffd 🚓 Lục Ngạn"


# --- inputs that once escaped as something other than Invalid --------------------------------


def test_an_over_long_digit_string_is_refused_as_invalid():
    assert refusal(PROGRESS, "1" * 4301) == "số quá dài."


def test_a_pandas_missing_date_is_empty():
    assert DONE_ON.parse(pd.NaT) is None


def test_a_dot_is_a_thousands_separator_only_in_groups_of_three():
    assert PROGRESS.parse("5.0") == 5
    assert refusal(PROGRESS, "1.5") == "phải là số nguyên (không có phần lẻ)."
    assert Integer(0, 10**12).parse("1.250.000") == 1_250_000


def test_trailing_garbage_after_a_date_is_refused():
    with pytest.raises(Invalid):
        DONE_ON.parse("2024-05-01T00:00:00.000000xyz")
    assert DONE_ON.parse("2024-05-01T00:00:00Z") == date(2024, 5, 1)


@pytest.mark.parametrize("raw", ["a\x9b31mb", "a\x85b", "a\x90b", "a\u2028b"])
def test_c1_control_characters_are_refused(raw):
    assert refusal(ONE_LINE, raw) == "chứa ký tự điều khiển không hợp lệ."


# --- money: whole đồng, entered the ways Vietnamese offices write it ---------------------------

MONEY = Money(100_000_000_000)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (4_500_000_000, 4_500_000_000),
        (4_500_000_000.0, 4_500_000_000),  # the grid sends numbers as floats
        ("4500000000", 4_500_000_000),
        ("4.500.000.000", 4_500_000_000),
        ("4 500 000 000 đ", 4_500_000_000),
        (" 1.250.000 đồng ", 1_250_000),
        ("12 VNĐ", 12),
        (0, 0),
        ("0", 0),
        (100_000_000_000, 100_000_000_000),
    ],
    ids=str,
)
def test_money_is_read_as_whole_dong(raw, value):
    assert MONEY.parse(raw) == value


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (-5, "số tiền không được âm."),
        ("-1.000", "số tiền không được âm."),
        (1.5, "phải là số đồng nguyên (không có phần lẻ)."),
        ("4,5", "phải là số đồng nguyên (không có phần lẻ); nhập theo đơn vị đồng."),
        ("4.5", "phải là số đồng nguyên (không có phần lẻ); nhập theo đơn vị đồng."),
        ("4,5 tỷ", "“4,5 tỷ” không phải số tiền (nhập số đồng, ví dụ 4500000000)."),
        ("abc", "“abc” không phải số tiền (nhập số đồng, ví dụ 4500000000)."),
        ("1e9", "“1e9” không phải số tiền (nhập số đồng, ví dụ 4500000000)."),
        (100_000_000_001, "vượt mức trần 100.000.000.000 đồng của một dự án; kiểm tra lại đơn vị (đồng)."),
        ("9" * 31, "số tiền quá dài."),
        (float("inf"), "số tiền quá lớn."),
        (float("nan"), "phải nhập số tiền (đồng); chưa có thì nhập 0."),
        (None, "phải nhập số tiền (đồng); chưa có thì nhập 0."),
        ("", "phải nhập số tiền (đồng); chưa có thì nhập 0."),
        (True, "phải nhập số tiền (đồng); chưa có thì nhập 0."),
        ([1], "phải là số tiền (đồng)."),
    ],
    ids=str,
)
def test_bad_money_is_refused_with_a_vietnamese_message(raw, message):
    assert refusal(MONEY, raw) == message


def test_an_optional_integer_stores_an_empty_cell_as_none():
    area = Integer(0, 100_000, " m²", required=False)
    assert area.parse(None) is None and area.parse("") is None and area.parse(float("nan")) is None
    assert area.parse("1.200") == 1200
    assert refusal(area, -1) == "phải nằm trong khoảng 0–100000 m²."
    assert refusal(Integer(0, 5), None) == "phải là số nguyên."


# --- task rules, through the edit engine against a real database ------------------------------


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def office(engine):
    with transaction(engine) as s:
        return accounts.actor_for(s.scalar(select(User).where(User.username == "vanphong")))


def a_task(engine, state):
    """A task of a state, with no completion date, result document or extension yet."""
    with transaction(engine) as s:
        return s.scalars(
            select(Task)
            .where(Task.state == state, Task.extension_doc == "", Task.result_doc == "")
            .where(Task.completed_on.is_(None), Task.current_deadline.is_not(None))
            .order_by(Task.id)
        ).first()


def snapshot(engine):
    with transaction(engine) as s:
        tasks = [tuple(r) for r in s.execute(select(Task.__table__).order_by(Task.id))]
        return tasks, s.scalar(select(func.count()).select_from(AuditEvent))


def last_event(engine):
    with transaction(engine) as s:
        return s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()


def save(engine, row, values, position=3):
    return actions.perform(
        engine,
        office(engine),
        changeset.apply_changes,
        TASKS,
        [RowChange(row.id, row.version, values, position)],
        now=NOW,
        today=TODAY,
    )


def test_a_note_holding_u_ffff_is_refused_and_nothing_is_written(demo):
    row = a_task(demo, "dang_thuc_hien")
    before = snapshot(demo)
    with pytest.raises(ValidationFailed) as caught:
        save(demo, row, {"notes": "Đã họp\uffff"})
    assert [str(e) for e in caught.value.errors] == [
        "Dòng 3, cột “Ghi chú”: chứa ký tự U+FFFF, không phải chữ (ký tự Unicode không dùng được)."
    ]
    assert snapshot(demo)[0] == before[0]  # the refusal itself is recorded; no task changed


COMPLETE = {"state": "hoan_thanh", "progress_pct": 100, "completed_on": TODAY, "result_doc": "15/BC-UBND"}


def test_a_task_marked_done_with_everything_it_needs_is_saved(demo):
    row = a_task(demo, "dang_thuc_hien")
    save(demo, row, {**COMPLETE, "state": "Hoàn thành", "completed_on": "29/11/2026"})
    with transaction(demo) as s:
        saved = s.get(Task, row.id)
        assert (saved.state, saved.progress_pct, saved.completed_on, saved.result_doc, saved.version) == (
            "hoan_thanh",
            100,
            TODAY,
            "15/BC-UBND",
            row.version + 1,
        )


DEADLINE_MESSAGE = "gia hạn phải ghi văn bản cho phép gia hạn (văn bản mới)."
RULES = [
    pytest.param(
        "dang_thuc_hien",
        {**COMPLETE, "progress_pct": 90},
        [("progress_pct", "Tiến độ (%)", "nhiệm vụ hoàn thành phải có tiến độ 100%.")],
        id="done-needs-100",
    ),
    pytest.param(
        "dang_thuc_hien",
        {**COMPLETE, "completed_on": None},
        [("completed_on", "Ngày hoàn thành", "nhiệm vụ hoàn thành phải có ngày hoàn thành.")],
        id="done-needs-a-date",
    ),
    pytest.param(
        "dang_thuc_hien",
        {**COMPLETE, "completed_on": "2026-11-30"},
        [("completed_on", "Ngày hoàn thành", "ngày hoàn thành 30/11/2026 ở tương lai.")],
        id="done-not-in-the-future",
    ),
    pytest.param(
        "dang_thuc_hien",
        {**COMPLETE, "result_doc": "   "},
        [("result_doc", "Văn bản kết quả", "nhiệm vụ hoàn thành phải ghi số văn bản kết quả (minh chứng).")],
        id="done-needs-evidence",
    ),
    pytest.param(
        "dang_thuc_hien",
        {"state": "Hoàn thành"},
        [
            ("progress_pct", "Tiến độ (%)", "nhiệm vụ hoàn thành phải có tiến độ 100%."),
            ("completed_on", "Ngày hoàn thành", "nhiệm vụ hoàn thành phải có ngày hoàn thành."),
            (
                "result_doc",
                "Văn bản kết quả",
                "nhiệm vụ hoàn thành phải ghi số văn bản kết quả (minh chứng).",
            ),
        ],
        id="done-alone-names-every-missing-cell",
    ),
    pytest.param(
        "dang_thuc_hien",
        {"completed_on": "2026-11-01"},
        [
            (
                "completed_on",
                "Ngày hoàn thành",
                "chỉ nhiệm vụ ở trạng thái “Hoàn thành” mới có ngày hoàn thành.",
            )
        ],
        id="completion-date-without-done",
    ),
    pytest.param(
        "chua_trien_khai",
        {"progress_pct": 10},
        [("progress_pct", "Tiến độ (%)", "nhiệm vụ chưa triển khai phải có tiến độ 0%.")],
        id="not-started-with-progress",
    ),
    pytest.param(
        "dang_thuc_hien",
        {"state": "Chưa triển khai"},  # the row's progress is above 0
        [("progress_pct", "Tiến độ (%)", "nhiệm vụ chưa triển khai phải có tiến độ 0%.")],
        id="back-to-not-started-keeps-progress",
    ),
    pytest.param(
        "dang_thuc_hien",
        {"current_deadline": "31/12/2027"},
        [("extension_doc", "Văn bản gia hạn", DEADLINE_MESSAGE)],
        id="deadline-change-without-document",
    ),
    pytest.param(
        "dang_thuc_hien",
        {"current_deadline": "2027-12-31", "extension_doc": " \n "},
        [("extension_doc", "Văn bản gia hạn", DEADLINE_MESSAGE)],
        id="deadline-change-with-blank-document",
    ),
    pytest.param(
        "dang_thuc_hien",
        {"current_deadline": None, "extension_doc": "12/UBND-NC"},
        [("current_deadline", "Hạn hiện tại", "không được xóa hạn của nhiệm vụ.")],
        id="deadline-cleared",
    ),
]


@pytest.mark.parametrize(("state", "values", "expected"), RULES)
def test_a_task_rule_refuses_writes_nothing_and_names_the_row_and_column(demo, state, values, expected):
    row = a_task(demo, state)
    before = snapshot(demo)
    with pytest.raises(ValidationFailed) as caught:
        save(demo, row, values, position=3)
    errors = caught.value.errors
    assert [(e.field, e.label, e.message) for e in errors] == expected
    assert all((e.position, e.row_id) == (3, row.id) for e in errors)
    for error, (_, label, message) in zip(errors, expected, strict=True):
        assert str(error) == f"Dòng 3, cột “{label}”: {message}"
        assert str(error) in caught.value.message
    assert caught.value.message.startswith("Không lưu vì có ô không hợp lệ: Dòng 3, cột “")

    tasks, events = snapshot(demo)
    assert tasks == before[0]  # not one cell written
    assert events == before[1] + 1  # only the refusal is recorded
    event = last_event(demo)
    assert (event.actor, event.action, event.entity) == ("vanphong", "refused_invalid", "task")
    assert event.reason == caught.value.message


def test_a_deadline_change_with_a_document_is_saved(demo):
    row = a_task(demo, "dang_thuc_hien")
    save(demo, row, {"current_deadline": "31/12/2027", "extension_doc": "12/UBND-NC"})
    with transaction(demo) as s:
        saved = s.get(Task, row.id)
        assert (saved.current_deadline, saved.extension_doc) == (date(2027, 12, 31), "12/UBND-NC")
        assert saved.original_deadline == row.original_deadline


def test_rules_and_parse_errors_of_several_rows_are_reported_together_by_row_id(demo):
    first, second = a_task(demo, "dang_thuc_hien"), a_task(demo, "chua_trien_khai")
    before = snapshot(demo)[0]
    with pytest.raises(ValidationFailed) as caught:
        actions.perform(
            demo,
            office(demo),
            changeset.apply_changes,
            TASKS,
            [
                RowChange(first.id, first.version, {"progress_pct": "nhiều", "notes": "ổn"}),
                RowChange(second.id, second.version, {"progress_pct": 20}),
            ],
            now=NOW,
            today=TODAY,
        )
    assert [str(e) for e in caught.value.errors] == [
        f"Mã {first.id}, cột “Tiến độ (%)”: “nhiều” không phải số nguyên.",
        f"Mã {second.id}, cột “Tiến độ (%)”: nhiệm vụ chưa triển khai phải có tiến độ 0%.",
    ]
    assert snapshot(demo)[0] == before
