"""The periods of a recurring duty and which of them are due, as pure rules."""

from datetime import date

import pytest

from lib.core import recurrence
from lib.core.recurrence import Period, due_periods, duty_title, period_start, periods
from lib.data.models import RECURRENCES


def test_the_rules_are_the_ones_the_database_accepts():
    assert recurrence.RECURRENCES == RECURRENCES
    assert set(recurrence.RECURRENCE_LABELS) == set(RECURRENCES)


def test_the_yearly_report_runs_every_year_through_2030():
    found = periods("hang_nam", 12, 15, 2024, 2030)
    assert [p.key for p in found] == [str(y) for y in range(2024, 2031)]
    assert [p.deadline for p in found] == [date(y, 12, 15) for y in range(2024, 2031)]
    assert found[3] == Period("2027", "năm 2027", date(2027, 1, 1), date(2027, 12, 31), date(2027, 12, 15))
    assert duty_title("Báo cáo kết quả thực hiện {period} (trước {deadline})", found[3]) == (
        "Báo cáo kết quả thực hiện năm 2027 (trước 15/12/2027)"
    )


def test_six_monthly_and_quarterly_periods():
    halves = periods("sau_thang", 6, 15, 2027, 2028)
    assert [(p.key, p.label, p.deadline) for p in halves[:2]] == [
        ("2027-H1", "6 tháng đầu năm 2027", date(2027, 6, 15)),
        ("2027-H2", "6 tháng cuối năm 2027", date(2027, 12, 15)),
    ]
    assert [p.key for p in halves] == ["2027-H1", "2027-H2", "2028-H1", "2028-H2"]
    assert (halves[1].starts_on, halves[1].ends_on) == (date(2027, 7, 1), date(2027, 12, 31))
    quarters = periods("hang_quy", 3, 31, 2027, 2027)
    assert [(p.key, p.label) for p in quarters] == [
        ("2027-Q1", "quý I/2027"),
        ("2027-Q2", "quý II/2027"),
        ("2027-Q3", "quý III/2027"),
        ("2027-Q4", "quý IV/2027"),
    ]
    # The 31st is cut to the month's last day; the quarter's span is its three months.
    assert [p.deadline for p in quarters] == [
        date(2027, 3, 31),
        date(2027, 6, 30),
        date(2027, 9, 30),
        date(2027, 12, 31),
    ]
    assert (quarters[2].starts_on, quarters[2].ends_on) == (date(2027, 7, 1), date(2027, 9, 30))
    # A report due the 5th of the month after its quarter: the last one falls in the next year.
    after = periods("hang_quy", 4, 5, 2027, 2027)
    assert [p.deadline for p in after] == [
        date(2027, 4, 5),
        date(2027, 7, 5),
        date(2027, 10, 5),
        date(2028, 1, 5),
    ]
    assert periods("hang_nam", 2, 29, 2027, 2028)[0].deadline == date(2027, 2, 28)


def test_once_has_one_period_and_ongoing_has_none():
    assert periods("mot_lan", 11, 30, 2025, 2030) == [
        Period("2025", "năm 2025", date(2025, 1, 1), date(2025, 12, 31), date(2025, 11, 30))
    ]
    assert periods("thuong_xuyen", 12, 31, 2024, 2030) == []
    assert due_periods(periods("thuong_xuyen", 12, 31, 2024, 2030), date(2030, 12, 31)) == []


@pytest.mark.parametrize(
    ("args", "problem"),
    [(("hang_tuan", 12, 15, 2024, 2030), "recurrence"), (("hang_nam", 13, 1, 2024, 2030), "due")],
)
def test_bad_rules_are_refused(args, problem):
    with pytest.raises(ValueError, match=problem):
        periods(*args)


def test_due_periods_are_every_period_begun_and_the_next_within_the_lead_time():
    yearly = periods("hang_nam", 12, 15, 2024, 2030)
    due = lambda day, **kw: [p.key for p in due_periods(yearly, day, **kw)]  # noqa: E731
    assert due(date(2023, 11, 30)) == []
    assert due(date(2023, 12, 1)) == ["2024"]  # a month ahead of its year
    assert due(date(2026, 11, 29)) == ["2024", "2025", "2026"]  # the past ones too: no gap
    assert due(date(2026, 11, 30)) == ["2024", "2025", "2026"]
    assert due(date(2026, 12, 1)) == ["2024", "2025", "2026", "2027"]
    assert due(date(2027, 12, 1))[-2:] == ["2027", "2028"]
    assert due(date(2027, 12, 1), lead_days=0)[-1] == "2027"
    assert due(date(2035, 1, 1))[-1] == "2030"  # never past the last year
    # An addressee retired on 1/3/2025 owes 2024 and nothing after.
    assert due(date(2027, 12, 1), valid_until=date(2025, 3, 1)) == ["2024"]
    # Retired on the deadline day itself: that period is not owed either.
    assert due(date(2027, 12, 1), valid_until=date(2025, 12, 15)) == ["2024"]
    quarters = periods("hang_quy", 3, 20, 2027, 2027)
    assert [p.key for p in due_periods(quarters, date(2027, 6, 1))] == ["2027-Q1", "2027-Q2", "2027-Q3"]


def test_a_period_key_reads_back_to_its_start():
    for p in [
        *periods("hang_nam", 12, 15, 2024, 2026),
        *periods("sau_thang", 6, 30, 2027, 2027),
        *periods("hang_quy", 3, 20, 2028, 2028),
    ]:
        assert period_start(p.key) == p.starts_on
        assert recurrence.period_year(p.key) == p.year
    assert recurrence.is_open("2027", date(2026, 12, 1))
    assert not recurrence.is_open("2027", date(2026, 11, 30))
    for bad in ("27", "2027-Q5", "2027-H3", "năm 2027", ""):
        with pytest.raises(ValueError):
            period_start(bad)
