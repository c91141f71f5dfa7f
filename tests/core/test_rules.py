from datetime import date, datetime

import pytest

from lib.core import rules
from lib.core.rules import EXCLUDED, IN_PROGRESS, LATE, NOT_DUE, ON_TIME, OVERDUE

DUE = date(2025, 6, 30)


@pytest.mark.parametrize(
    ("state", "deadline", "completed_on", "as_of", "expected"),
    [
        # Completed on the deadline day is on time; one day later is late.
        ("hoan_thanh", DUE, DUE, date(2025, 7, 10), ON_TIME),
        ("hoan_thanh", DUE, date(2025, 7, 1), date(2025, 7, 10), LATE),
        # Finished late stays late, however far the as-of date moves.
        ("hoan_thanh", DUE, date(2025, 7, 1), date(2030, 1, 1), LATE),
        # A task due today is not overdue; due yesterday is.
        ("dang_thuc_hien", DUE, None, DUE, IN_PROGRESS),
        ("dang_thuc_hien", DUE, None, date(2025, 7, 1), OVERDUE),
        ("chua_trien_khai", DUE, None, DUE, NOT_DUE),
        ("chua_trien_khai", DUE, None, date(2025, 7, 1), OVERDUE),
        # Suspended and cancelled leave the denominators whatever their dates.
        ("tam_dung", DUE, None, date(2026, 1, 1), EXCLUDED),
        ("huy", DUE, None, date(2024, 1, 1), EXCLUDED),
        # Seen from before its completion date, a finished task is still open.
        ("hoan_thanh", DUE, date(2025, 6, 20), date(2025, 6, 10), IN_PROGRESS),
        ("hoan_thanh", DUE, date(2025, 8, 1), date(2025, 7, 15), OVERDUE),
        # No deadline: never overdue.
        ("dang_thuc_hien", None, None, date(2030, 1, 1), IN_PROGRESS),
        ("hoan_thanh", None, date(2025, 1, 1), date(2030, 1, 1), ON_TIME),
    ],
)
def test_task_bucket(state, deadline, completed_on, as_of, expected):
    assert rules.task_bucket(state, deadline, completed_on, as_of) == expected


def test_days_overdue_runs_while_open_and_freezes_when_done_late():
    assert rules.days_overdue("dang_thuc_hien", DUE, None, DUE) == 0
    assert rules.days_overdue("dang_thuc_hien", DUE, None, date(2025, 7, 30)) == 30
    assert rules.days_overdue("hoan_thanh", DUE, date(2025, 7, 5), date(2025, 7, 30)) == 5
    assert rules.days_overdue("hoan_thanh", DUE, date(2025, 7, 5), date(2026, 7, 30)) == 5
    assert rules.days_overdue("hoan_thanh", DUE, DUE, date(2026, 1, 1)) == 0
    assert rules.days_overdue("tam_dung", DUE, None, date(2026, 1, 1)) == 0


def test_due_soon_window_includes_today_and_the_last_day():
    as_of = date(2025, 6, 1)
    assert rules.is_due_soon(IN_PROGRESS, as_of, as_of, 30)
    assert rules.is_due_soon(NOT_DUE, date(2025, 7, 1), as_of, 30)
    assert not rules.is_due_soon(IN_PROGRESS, date(2025, 7, 2), as_of, 30)
    assert not rules.is_due_soon(ON_TIME, date(2025, 6, 5), as_of, 30)
    assert not rules.is_due_soon(OVERDUE, date(2025, 5, 31), as_of, 30)
    assert not rules.is_due_soon(IN_PROGRESS, None, as_of, 30)


def test_summary_rates_leave_out_suspended_and_undecided():
    summary = rules.summarize([ON_TIME, ON_TIME, ON_TIME, LATE, OVERDUE, IN_PROGRESS, NOT_DUE, EXCLUDED])
    assert summary.total == 7
    assert summary.completed == 4
    assert summary.decided == 5
    assert summary.on_time_rate == pytest.approx(3 / 5)
    assert summary.completion_rate == pytest.approx(4 / 7)
    assert rules.summarize([EXCLUDED, IN_PROGRESS]).on_time_rate is None
    assert rules.summarize([]).total == 0


def test_land_area_minimum_is_500_square_metres():
    assert rules.land_compliant(500) is True
    assert rules.land_compliant(499) is False
    assert rules.land_compliant(None) is None


@pytest.mark.parametrize(
    ("planned", "allocated", "disbursed", "problems"),
    [
        (100, 100, 100, 0),
        (100, 60, 0, 0),
        (0, 0, 0, 0),
        (100, 101, 50, 1),
        (100, 60, 61, 1),
        (100, 120, 130, 2),
        (100, 60, -1, 1),
    ],
)
def test_funding_chain(planned, allocated, disbursed, problems):
    assert len(rules.funding_problems(planned, allocated, disbursed)) == problems


def test_disbursement_rate():
    assert rules.disbursement_rate(200, 50) == 0.25
    assert rules.disbursement_rate(0, 0) is None


# --- headquarters flags and the model-ward yardstick ------------------------------------------------


def _project(**changes):
    row = {
        "land_area_m2": 600,
        "planned_vnd": 5_000_000_000,
        "allocated_vnd": 3_000_000_000,
        "disbursed_vnd": 1_000_000_000,
        "planned_completion_on": date(2026, 12, 31),
        "actual_completion_on": None,
        "updated_at": datetime(2026, 11, 1, 9, 0),
    }
    return row | changes


AS_OF_HQ = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("changes", "flags"),
    [
        ({}, ()),
        ({"land_area_m2": 499}, (rules.FLAG_SMALL_LAND,)),
        ({"land_area_m2": 500}, ()),
        ({"land_area_m2": None}, ()),
        ({"allocated_vnd": 5_000_000_001}, (rules.FLAG_FUNDING,)),
        ({"disbursed_vnd": 3_000_000_001}, (rules.FLAG_FUNDING,)),
        ({"planned_completion_on": AS_OF_HQ}, ()),  # due today is not late yet
        ({"planned_completion_on": date(2026, 11, 28)}, (rules.FLAG_BEHIND,)),
        (
            {"planned_completion_on": date(2026, 11, 28), "actual_completion_on": date(2026, 11, 29)},
            (),
        ),
        (
            {"planned_completion_on": date(2026, 11, 28), "actual_completion_on": date(2026, 11, 30)},
            (rules.FLAG_BEHIND,),  # finished only after the as-of date
        ),
        ({"updated_at": datetime(2026, 8, 31, 0, 0)}, ()),  # exactly 90 days before
        ({"updated_at": datetime(2026, 8, 30, 23, 59)}, (rules.FLAG_STALLED,)),
        (
            {"updated_at": datetime(2026, 1, 1), "actual_completion_on": date(2026, 2, 1)},
            (),  # a finished project is not stalled
        ),
    ],
    ids=str,
)
def test_headquarters_flags(changes, flags):
    assert rules.hq_flags(_project(**changes), AS_OF_HQ, 90) == flags


def test_below_average_names_only_localities_strictly_below():
    rates = {"a": 0.5, "b": 0.7, "c": None, "d": 0.6}
    assert rules.below_average(rates, 0.6) == {"a"}
    assert rules.below_average(rates, None) == set()


def test_the_reference_path_reaches_every_ward_in_2030():
    assert rules.reference_share(2023) == 0.0
    assert rules.reference_share(2030) == 1.0
    assert rules.reference_share(2031) == 1.0
    assert round(rules.reference_share(2025), 3) == round(2 / 7, 3)
