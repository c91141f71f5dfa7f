"""Recurring duties generate each period's task ahead of time, once, for the addressees valid then."""

from collections import Counter
from datetime import date, datetime

from sqlalchemy import func, select, update

from lib.core.filters import Filters
from lib.data import audit, followup
from lib.data.db import transaction
from lib.data.models import Agency, AuditEvent, Duty, Task
from lib.ops import directive as d
from lib.ops.duties import ACTOR, generate_duties
from lib.ops.programme import load_reference

NOW = datetime(2027, 12, 1, 6, 0)
ADDRESSEES = set(d.REPORTING_AGENCIES)


def _yearly(s) -> Counter:
    """(addressee, period) of every yearly-report task, with how many tasks each has."""
    return Counter(
        s.execute(
            select(Agency.code, Task.period)
            .join(Agency, Agency.id == Task.lead_agency_id)
            .join(Duty, Duty.id == Task.duty_id)
            .where(Duty.recurrence == "hang_nam")
        ).all()
    )


def _count(s, model) -> int:
    return int(s.scalar(select(func.count()).select_from(model)))


def test_generation_as_of_1_12_2027_creates_2027_and_2028_for_the_eleven_addressees_once(engine):
    assert len(ADDRESSEES) == 11
    with transaction(engine, write=True) as s:
        load_reference(s)
        generated = generate_duties(s, date(2027, 12, 1), now=NOW)
    # 2024–2028 for each of the 11 (2028 is a month away), and the five mid-term reviews of 2025.
    assert (generated.created, generated.linked) == (11 * 5 + 5, 0)
    with transaction(engine) as s:
        yearly = _yearly(s)
        assert set(yearly.values()) == {1}
        assert {a for a, p in yearly if p == "2027"} == ADDRESSEES
        assert {a for a, p in yearly if p == "2028"} == ADDRESSEES
        assert {p for _, p in yearly} == {"2024", "2025", "2026", "2027", "2028"}
        task = s.scalar(
            select(Task)
            .join(Agency, Agency.id == Task.lead_agency_id)
            .where(Agency.code == "ubnd-viet-yen", Task.period == "2027")
        )
        assert task.title == "Báo cáo kết quả thực hiện năm 2027 (trước 15/12/2027)"
        assert task.original_deadline == task.current_deadline == date(2027, 12, 15)
        assert (task.state, task.progress_pct, task.version, task.updated_by) == (
            "chua_trien_khai",
            0,
            1,
            ACTOR,
        )
        assert task.locality.code == "viet-yen" and task.clause.code == "bc"
        assert task.document.code == d.LETTER and [b.code for b in task.basis] == [d.LETTER]
        assert task.expected_product
        reviews = s.scalars(select(Task).join(Duty).where(Duty.recurrence == "mot_lan")).all()
        assert {t.period for t in reviews} == {"2025"} and len(reviews) == 5
        assert all(t.clause_id is None and t.document.code == d.DA885 for t in reviews)
        # One "create" event per task, by the system, and the chain holds.
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "create")).all()
        assert {e.actor for e in events} == {ACTOR} and {e.entity for e in events} == {"task"}
        assert sorted(e.row_id for e in events) == sorted(s.scalars(select(Task.id)))
        assert audit.verify_chain(s).ok
        before = (_count(s, Task), _count(s, AuditEvent))
    with transaction(engine, write=True) as s:
        again = generate_duties(s, date(2027, 12, 1), now=NOW)
    assert not again.changed and "không thay đổi" in again.message()
    with transaction(engine) as s:
        assert (_count(s, Task), _count(s, AuditEvent)) == before
    with transaction(engine, write=True) as s:
        next_year = generate_duties(s, date(2028, 12, 1), now=NOW)
    assert next_year.created == 11
    with transaction(engine) as s:
        assert {a for a, p in _yearly(s) if p == "2029"} == ADDRESSEES


def test_a_retired_addressee_owes_nothing_due_after_it_left(engine):
    with transaction(engine, write=True) as s:
        load_reference(s)
        # Sở Kế hoạch và Đầu tư was merged into Sở Tài chính on 1/3/2025.
        s.execute(update(Agency).where(Agency.code == "skhdt").values(retired_on=date(2025, 3, 1)))
        generate_duties(s, date(2027, 12, 1), now=NOW)
    with transaction(engine) as s:
        yearly = _yearly(s)
    assert {a for a, p in yearly if p == "2027"} == ADDRESSEES - {"skhdt"}
    assert {a for a, p in yearly if p == "2028"} == ADDRESSEES - {"skhdt"}
    assert {p for a, p in yearly if a == "skhdt"} == {"2024"}  # what it owed before it left stays


def test_a_retired_duty_stops_and_an_ongoing_one_generates_nothing(engine):
    with transaction(engine, write=True) as s:
        load_reference(s)
        cat = s.scalar(select(Agency.id).where(Agency.code == "cat"))
        report = s.scalar(select(Duty).where(Duty.lead_agency_id == cat, Duty.recurrence == "hang_nam"))
        report.retired_on = date(2026, 1, 1)
        ongoing = Duty(
            document_id=report.document_id,
            title="Theo dõi, đôn đốc thực hiện Đề án",
            lead_agency_id=cat,
            recurrence="thuong_xuyen",
            due_month=12,
            due_day=31,
            first_year=2024,
            last_year=2030,
            created_at=NOW,
        )
        s.add(ongoing)
        s.flush()
        generate_duties(s, date(2027, 12, 1), now=NOW)
        assert {p for a, p in _yearly(s) if a == "cat"} == {"2024", "2025"}
        assert not s.scalar(select(func.count()).select_from(Task).where(Task.duty_id == ongoing.id))


def test_a_yearly_report_written_before_the_duties_is_claimed_not_duplicated(engine):
    with transaction(engine, write=True) as s:
        load_reference(s)
        cat = s.scalar(select(Agency).where(Agency.code == "cat"))
        report = s.scalar(select(Duty).where(Duty.lead_agency_id == cat.id, Duty.recurrence == "hang_nam"))
        old = Task(
            clause_id=report.clause_id,
            document_id=report.document_id,
            title="Báo cáo kết quả thực hiện năm 2024 (trước 15/12/2024)",
            lead_agency_id=cat.id,
            original_deadline=date(2024, 12, 15),
            current_deadline=date(2024, 12, 15),
            recurrence="hang_nam_15_12",
            report_year=2024,
            state="hoan_thanh",
            progress_pct=100,
            completed_on=date(2024, 12, 10),
            result_doc="123/BC-CAT",
            updated_by="vanphong",
            updated_at=datetime(2024, 12, 10, 9, 0),
        )
        s.add(old)
        s.flush()
        generated = generate_duties(s, date(2024, 12, 20), now=NOW)
        assert generated.linked == 1 and "gắn 1 nhiệm vụ" in generated.message()
        assert (old.duty_id, old.period, old.version) == (report.id, "2024", 2)
        assert (old.state, old.result_doc, old.updated_by) == ("hoan_thanh", "123/BC-CAT", "vanphong")
        assert _yearly(s)[("cat", "2024")] == 1
        event = s.scalar(select(AuditEvent).where(AuditEvent.row_id == old.id))
        assert (event.action, event.field, event.new_value, event.row_version) == (
            "update",
            "period",
            "2024",
            2,
        )


def test_the_yearly_register_shows_the_years_as_they_are_generated(engine):
    with transaction(engine, write=True) as s:
        load_reference(s)
        generate_duties(s, date(2029, 12, 1), now=NOW)
    with transaction(engine) as s:
        now_years = Counter(r.year for r in followup.yearly_reports(s, Filters(), date(2029, 12, 1)))
        back_then = {r.year for r in followup.yearly_reports(s, Filters(), date(2027, 6, 30))}
        assert followup.yearly_report_deadline(s, 2029) == date(2029, 12, 15)
        assert followup.yearly_report_deadline(s, 2031) is None
    assert now_years == {year: 11 for year in range(2024, 2031)}  # 2030 is a month away: there
    assert back_then == {2024, 2025, 2026, 2027}  # an as-of date in the past hides later years
