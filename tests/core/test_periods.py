"""The rules of reporting periods: spans and labels, late entries, where an entry stands, the year's rate."""

from datetime import date, datetime

from lib.core import periods as rule


def test_spans_carry_the_labels_offices_use():
    assert rule.span_of(rule.HALF, 2026) == rule.Span(
        rule.HALF, "6 tháng đầu năm 2026", date(2026, 1, 1), date(2026, 6, 30)
    )
    assert rule.span_of(rule.YEAR, 2025).label == "Năm 2025"
    q4 = rule.span_of(rule.QUARTER, 2026, 4)
    assert (q4.label, q4.starts_on, q4.ends_on) == ("Quý 4 năm 2026", date(2026, 10, 1), date(2026, 12, 31))
    assert rule.span_of(rule.QUARTER, 2024, 1).ends_on == date(2024, 3, 31)


def test_a_period_is_checked_before_it_opens():
    ok = rule.check_period(rule.YEAR, "Năm 2026", date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 10))
    assert ok == []  # a yearly report falls due before the year ends
    bad = rule.check_period("thang", "", date(2026, 12, 31), date(2026, 1, 1), date(2025, 12, 1))
    assert [f for f, _ in bad] == ["kind", "label", "ends_on", "due_on"]


def test_where_an_entry_stands_for_its_owner():
    due, before, after = date(2026, 12, 10), date(2026, 11, 29), date(2026, 12, 11)
    assert rule.entry_status(None, False, due, before) == rule.MISSING
    assert rule.entry_status(rule.DRAFT, False, due, before) == rule.DUE
    assert rule.entry_status(rule.DRAFT, False, due, after) == rule.LATE
    assert rule.entry_status(None, False, due, after) == rule.LATE
    assert rule.entry_status(rule.SUBMITTED, True, due, after) == rule.LATE_SUBMITTED
    assert rule.entry_status(rule.SUBMITTED, False, due, after) == rule.ON_TIME
    assert rule.is_late(datetime(2026, 12, 10, 23, 59), due) is False
    assert rule.is_late(datetime(2026, 12, 11, 0, 1), due) is True


def test_the_year_rate_is_against_the_year_plan():
    assert rule.YearMoney(2025, plan=4_000_000_000, disbursed=3_000_000_000).rate == 0.75
    assert rule.year_rate(0, 0) is None
    assert rule.frozen_sentence("Năm 2025", datetime(2025, 12, 20, 16)) == (
        "Số liệu theo báo cáo kỳ Năm 2025 đã chốt ngày 20/12/2025."
    )
