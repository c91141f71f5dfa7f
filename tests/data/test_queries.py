"""SQL aggregates checked against an independent computation in Python from the stored rows."""

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from lib.core import rules
from lib.core.filters import DUE_SOON, PROVINCE_LEVEL, Filters
from lib.core.organisation import PROVINCE_NAME
from lib.data import organisation, queries
from lib.data.db import transaction
from lib.data.models import Agency, Clause, Document, HqProject, Locality, ModelWard, Task, Transfer, Unit
from lib.ops.programme import load_reference
from tests.support.demo import AS_OF, AS_OF_DATES

DUE_DAYS = 30
FILTERS = [
    Filters(),
    Filters(localities=("luc-ngan",)),
    Filters(localities=("viet-yen", "cap-tinh")),
    Filters(clauses=("3", "4")),
    Filters(documents=("1776-cv-tu",)),
    Filters(agencies=("cat",)),
    Filters(buckets=("qua_han", DUE_SOON)),
    Filters(localities=("bac-giang",), buckets=("dung_han", "tre_han")),
    Filters(cooperators=("stc",)),
    Filters(localities=("viet-yen",), cooperators=("sxd", "snv")),
]


LOCALITY_NAMES = ("Huyện Lục Ngạn", "Huyện Yên Dũng", "Thị xã Việt Yên", "Thành phố Bắc Giang")


def _rows(s):
    """Every task as a plain dict, with the codes the filters use, read without the query layer."""
    docs, helpers = defaultdict(set), defaultdict(set)
    for task in s.scalars(select(Task)):
        docs[task.id] = {d.code for d in task.basis}
        helpers[task.id] = {a.code for a in task.cooperators}
    result = []
    for t, clause, agency, locality in s.execute(
        select(Task, Clause.code, Agency.code, Locality.code)
        .outerjoin(Clause, Clause.id == Task.clause_id)  # a task may have no clause (the reviews)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .outerjoin(Locality, Locality.id == Task.locality_id)
    ):
        result.append(
            dict(
                id=t.id,
                state=t.state,
                deadline=t.current_deadline,
                done=t.completed_on,
                clause=clause,
                agency=agency,
                locality=locality,
                docs=docs[t.id],
                cooperators=helpers[t.id],
            )
        )
    return result


def _selected(rows, f: Filters, as_of):
    out = []
    for r in rows:
        bucket = rules.task_bucket(r["state"], r["deadline"], r["done"], as_of)
        soon = rules.is_due_soon(bucket, r["deadline"], as_of, DUE_DAYS)
        place = r["locality"] or "cap-tinh"
        if f.localities and place not in f.localities:
            continue
        if f.clauses and r["clause"] not in f.clauses:
            continue
        if f.documents and not (r["docs"] & set(f.documents)):
            continue
        if f.agencies and r["agency"] not in f.agencies:
            continue
        if f.cooperators and not (r["cooperators"] & set(f.cooperators)):
            continue
        if f.buckets and not (bucket in f.buckets or (DUE_SOON in f.buckets and soon)):
            continue
        out.append({**r, "bucket": bucket, "soon": soon})
    return out


@pytest.mark.parametrize("as_of", AS_OF_DATES)
@pytest.mark.parametrize("f", FILTERS, ids=lambda f: repr(f)[8:60])
def test_bucket_counts_equal_an_independent_computation(demo_engine, f, as_of):
    with transaction(demo_engine) as s:
        got = queries.count_buckets_by_locality(s, f, as_of, DUE_DAYS)
        rows = _rows(s)
    expected: dict = defaultdict(Counter)
    soon: Counter = Counter()
    for r in _selected(rows, f, as_of):
        expected[r["locality"]][r["bucket"]] += 1
        soon[r["locality"]] += r["soon"]
    assert {k: dict(v.counts) for k, v in got.items()} == {k: dict(v) for k, v in expected.items()}
    assert {k: v.due_soon for k, v in got.items()} == {k: soon[k] for k in expected}
    with transaction(demo_engine) as s:
        assert queries.count_tasks(s, f, as_of, DUE_DAYS) == sum(sum(c.values()) for c in expected.values())


def test_as_of_exactly_on_a_deadline(demo_engine):
    deadline = date(2024, 12, 15)  # the yearly report of 2024
    with transaction(demo_engine) as s:
        on_day = queries.total_buckets(
            queries.count_buckets_by_locality(s, Filters(clauses=("bc",)), deadline, DUE_DAYS)
        )
        next_day = queries.total_buckets(
            queries.count_buckets_by_locality(
                s, Filters(clauses=("bc",)), deadline + timedelta(days=1), DUE_DAYS
            )
        )
        open_2024 = s.scalar(
            select(Task.id)
            .where(Task.period == "2024")  # the yearly reports of 2024
            .where((Task.completed_on.is_(None)) | (Task.completed_on > deadline))
            .limit(1)
        )
    assert open_2024 is not None
    # On the deadline day nothing of 2024 is overdue yet; the day after, the open ones are.
    assert on_day.count(rules.OVERDUE) == 0
    assert next_day.count(rules.OVERDUE) > 0


def test_funding_totals_equal_the_stored_rows_to_the_dong(demo_engine):
    with transaction(demo_engine) as s:
        got = queries.funding_by_locality(s)
        rows = s.execute(
            select(Locality.code, HqProject.planned_vnd, HqProject.allocated_vnd, HqProject.disbursed_vnd)
            .join(Unit, Unit.id == HqProject.unit_id)
            .join(Locality, Locality.id == Unit.locality_id)
        ).all()
        only_ln = queries.funding_by_locality(s, ("chu",))
    expected: dict = defaultdict(lambda: [0, 0, 0, 0])
    for code, p, a, d in rows:
        e = expected[code]
        e[0], e[1], e[2], e[3] = e[0] + p, e[1] + a, e[2] + d, e[3] + 1
    assert {k: [v.planned, v.allocated, v.disbursed, v.projects] for k, v in got.items()} == dict(expected)
    total = queries.total_funding(got)
    assert total.planned == sum(r[1] for r in rows)
    assert total.disbursed == sum(r[3] for r in rows)
    assert list(only_ln) == ["chu"]  # Lục Ngạn has none left: its wards and their projects went to Chũ


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_league_table_equals_an_independent_computation(demo_engine, as_of):
    """Each task counts where it stood on the date: its values before any later transfer, placed on the
    map of that date (the pure rule, lib/core/organisation.py) — computed here from plain rows."""
    with transaction(demo_engine) as s:
        league = queries.league_table(s, Filters(), as_of, DUE_DAYS)
        org = organisation.load_map(s)
        before: dict[tuple[int, str], int | None] = {}  # the value before the first transfer after the day
        for row_id, field, old in s.execute(
            select(Transfer.row_id, Transfer.field, Transfer.old_value)
            .where(Transfer.entity == "task", Transfer.effective_on > as_of)
            .order_by(Transfer.effective_on.desc())
        ):
            before[(row_id, field)] = old
        tasks = s.execute(
            select(
                Task.id, Task.locality_id, Task.unit_id, Task.state, Task.current_deadline, Task.completed_on
            )
        ).all()
    by_place: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for t in tasks:
        locality = before.get((t.id, "locality_id"), t.locality_id)
        unit = before.get((t.id, "unit_id"), t.unit_id)
        bucket = rules.task_bucket(t.state, t.current_deadline, t.completed_on, as_of)
        soon = rules.is_due_soon(bucket, t.current_deadline, as_of, DUE_DAYS)
        by_place[org.place(locality, unit, as_of).name].append((bucket, soon))
    if as_of < date(2025, 1, 1):
        assert [r.name for r in league] == list(LOCALITY_NAMES)
    elif as_of >= date(2025, 7, 1):
        assert not {r.name for r in league} & set(LOCALITY_NAMES)  # no district stands on its own
    listed = {p.name for p in org.places(as_of) if p.kind != "province"}
    assert {r.name for r in league} == listed | {n for n in by_place if n != PROVINCE_NAME}
    assert sum(r.tasks for r in league) + sum(b != rules.EXCLUDED for b, _ in by_place[PROVINCE_NAME]) == sum(
        b != rules.EXCLUDED for rows in by_place.values() for b, _ in rows
    )
    for row in league:
        mine = by_place.get(row.name, [])
        on_time = sum(b == rules.ON_TIME for b, _ in mine)
        decided = sum(b in (rules.ON_TIME, rules.LATE, rules.OVERDUE) for b, _ in mine)
        assert row.tasks == sum(b != rules.EXCLUDED for b, _ in mine), row.name
        assert row.on_time == on_time
        assert row.on_time_rate == (on_time / decided if decided else None)
        assert row.overdue == sum(b == rules.OVERDUE for b, _ in mine)
        assert row.due_soon == sum(soon for _, soon in mine)


def test_overview_kpis_match_parts(demo_engine):
    with transaction(demo_engine) as s:
        ov = queries.get_overview(s, Filters(localities=("viet-yen",)), AS_OF, DUE_DAYS)
        wards = s.execute(
            select(ModelWard.unit_id, ModelWard.recognised_on)
            .join(Unit)
            .join(Locality)
            .where(Locality.code == "viet-yen", ModelWard.lifecycle == "active")
        ).all()
    # As of 2026 the district is gone: its history until 30/06/2025 and the four phường grouped under it.
    assert [r.name for r in ov.league] == [
        "Thị xã Việt Yên (cấp huyện, đến 30/06/2025)",
        "Phường Nếnh",
        "Phường Tự Lạn",
        "Phường Việt Yên",
        "Phường Vân Hà",
    ]
    assert ov.buckets.total == sum(r.tasks for r in ov.league) > 0
    for part in ("planned", "allocated", "disbursed", "projects"):
        assert getattr(ov.funding, part) == sum(getattr(r.funding, part) for r in ov.league)
    assert ov.funding.projects > 0
    assert ov.wards.registered == len({u for u, _ in wards})
    assert ov.wards.recognised == len({u for u, on in wards if on and on <= AS_OF})


def test_deadlines_by_month_counts_unfinished_tasks_in_the_window(demo_engine):
    as_of = date(2025, 10, 10)
    with transaction(demo_engine) as s:
        got = queries.deadlines_by_month(s, Filters(), as_of, DUE_DAYS)
        names = dict(s.execute(select(Locality.code, Locality.name)).all())
        rows = _selected(_rows(s), Filters(), as_of)
    expected: Counter = Counter()
    for r in rows:
        d = r["deadline"]
        if r["bucket"] in (rules.IN_PROGRESS, rules.NOT_DUE, rules.OVERDUE) and date(2025, 10, 1) <= d < date(
            2026, 4, 1
        ):
            expected[(d.year, d.month, names.get(r["locality"], "Cấp tỉnh"))] += 1
    assert {(y, m, p): n for y, m, p, n in got} == dict(expected)
    assert expected  # the window is not empty in the demo data


def test_pages_of_tasks_cover_the_filter_exactly_once_overdue_first(demo_engine):
    f = Filters(localities=("bac-giang", "cap-tinh"))
    with transaction(demo_engine) as s:
        total = queries.count_tasks(s, f, AS_OF, DUE_DAYS)
        pages = [queries.list_tasks(s, f, AS_OF, DUE_DAYS, offset=o, limit=10) for o in range(0, total, 10)]
    ids = [r["id"] for page in pages for r in page]
    assert len(ids) == total == len(set(ids))
    assert all(len(p) == 10 for p in pages[:-1])
    flat = [r for page in pages for r in page]
    overdue = [r["bucket"] == rules.OVERDUE for r in flat]
    assert overdue == sorted(overdue, reverse=True)
    assert all(r["days_overdue"] > 0 for r in flat if r["bucket"] == rules.OVERDUE)
    assert {r["locality"] for r in flat} == {"Thành phố Bắc Giang", "Cấp tỉnh"}


def test_tiny_fixture_boundaries_through_sql(engine):
    """Three hand-made tasks: due today, completed on the deadline, suspended."""
    today = date(2025, 5, 20)
    with transaction(engine, write=True) as s:
        load_reference(s)
        clause = s.scalar(select(Clause).where(Clause.code == "3"))
        agency = s.scalar(select(Agency).where(Agency.code == "ubnd-yen-dung"))
        loc = s.scalar(select(Locality).where(Locality.code == "yen-dung"))
        doc = s.scalar(select(Document).where(Document.code == "885-qd-ubnd"))
        stamp = today - timedelta(days=1)
        for state, done in (("dang_thuc_hien", None), ("hoan_thanh", today), ("tam_dung", None)):
            s.add(
                Task(
                    clause_id=clause.id,
                    title=f"Nhiệm vụ {state}",
                    lead_agency_id=agency.id,
                    locality_id=loc.id,
                    original_deadline=today,
                    current_deadline=today,
                    state=state,
                    progress_pct=100 if done else 10,
                    completed_on=done,
                    updated_at=stamp,
                    basis=[doc],
                )
            )
    with transaction(engine) as s:
        summary = queries.count_buckets_by_locality(s, Filters(), today, DUE_DAYS)["yen-dung"]
        after = queries.count_buckets_by_locality(s, Filters(), today + timedelta(days=1), DUE_DAYS)[
            "yen-dung"
        ]
    assert dict(summary.counts) == {rules.IN_PROGRESS: 1, rules.ON_TIME: 1, rules.EXCLUDED: 1}
    assert summary.total == 2 and summary.due_soon == 1 and summary.on_time_rate == 1.0
    assert dict(after.counts) == {rules.OVERDUE: 1, rules.ON_TIME: 1, rules.EXCLUDED: 1}
    assert after.on_time_rate == 0.5


FUNDING_TASK = "Bố trí kinh phí xây mới, cải tạo, sửa chữa trụ sở Công an phường"  # one per locality


def test_a_task_row_names_its_cooperating_agencies_and_the_documents_it_rests_on(demo_engine):
    with transaction(demo_engine) as s:
        rows = queries.list_tasks(s, Filters(localities=("luc-ngan",)), AS_OF, DUE_DAYS, offset=0, limit=500)
        letter = queries.list_tasks(s, Filters(clauses=("bc",)), AS_OF, DUE_DAYS, offset=0, limit=1)[0]
        province = queries.list_tasks(
            s, Filters(localities=(PROVINCE_LEVEL,)), AS_OF, DUE_DAYS, offset=0, limit=500
        )
    funding = next(r for r in rows if r["title"] == FUNDING_TASK)
    # Sở Kế hoạch và Đầu tư, its second cooperator, merged into Sở Tài chính on 1/3/2025 while it was open.
    assert funding["cooperators"] == "Sở Tài chính"
    # Finished in 2024, the information campaign keeps its three cooperators, in the letter's order.
    campaign = next(r for r in province if r["title"].startswith("Tuyên truyền mục đích"))
    assert (
        campaign["cooperators"]
        == "Sở Thông tin và Truyền thông; Báo Bắc Giang; Đài Phát thanh và Truyền hình tỉnh"
    )
    assert funding["basis"] == "30/ĐA-BCA; 885/QĐ-UBND"
    assert funding["document"] == "Công văn /UBND-NC"  # assigned by the letter, whose number was left blank
    assert letter["cooperators"] is None  # a yearly report has no cooperating agency
    assert letter["basis"] == "Công văn /UBND-NC"


def test_the_cooperating_agency_filter_returns_exactly_the_tasks_it_cooperates_on(demo_engine):
    with transaction(demo_engine) as s:
        options = queries.get_filter_options(s)
        stored = defaultdict(set)  # agency code → the tasks it cooperates on, read through the ORM
        for task in s.scalars(select(Task)):
            for agency in task.cooperators:
                stored[agency.code].add(task.id)
        got = {}
        for code in options.cooperators:
            f = Filters(cooperators=(code,))
            listed = queries.list_tasks(s, f, AS_OF, DUE_DAYS, offset=0, limit=10_000)
            assert queries.count_tasks(s, f, AS_OF, DUE_DAYS) == len(listed)
            got[code] = {r["id"] for r in listed}
            assert all(options.cooperators[code] in r["cooperators"].split("; ") for r in listed)
        finance = queries.list_tasks(s, Filters(cooperators=("stc",)), AS_OF, DUE_DAYS, offset=0, limit=100)
    assert list(options.cooperators) == [c for c in options.cooperators if c in stored]
    assert set(options.cooperators) == set(stored)
    assert got == dict(stored)
    # Sở Tài chính helps the four localities fund their headquarters, Sở Kế hoạch và Đầu tư with
    # public investment, and Công an tỉnh with the 2025 mid-term review: six tasks.
    assert sorted(r["title"] for r in finance) == [FUNDING_TASK] * 4 + [
        "Tham mưu UBND tỉnh sơ kết giữa kỳ (2023–2025) thực hiện Đề án 30/ĐA-BCA và Đề án 885",
        "Tham mưu vốn đầu tư công xây dựng trụ sở Công an phường giai đoạn 2024–2025",
    ]


def test_a_page_of_tasks_takes_the_same_few_queries_whatever_its_size(demo_engine):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(demo_engine, "before_cursor_execute", count)
    try:
        sizes = {}
        for limit in (1, 10, 1000):
            statements.clear()
            with transaction(demo_engine) as s:
                rows = queries.list_tasks(s, Filters(), AS_OF, DUE_DAYS, offset=0, limit=limit)
            sizes[len(rows)] = len(
                [q for q in statements if q.lstrip().upper().startswith(("SELECT", "WITH"))]
            )
    finally:
        event.remove(demo_engine, "before_cursor_execute", count)
    assert len(sizes) == 3 and min(sizes) == 1 and max(sizes) > 50
    # the page, its cooperators and documents together, the requests waiting on it, the reminder
    # letters that named its rows and its latest directions (one grouped query each)
    assert set(sizes.values()) == {5}
