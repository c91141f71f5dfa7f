"""The meeting pack read from the database: its cover says what the overview says, each place's slide
carries its worst overdue tasks with their obstacles, its waiting requests and its directions."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from lib.core import rules
from lib.core.filters import Filters
from lib.core.formatting import fmt_billion, fmt_int, fmt_pct
from lib.data import deck, queries
from lib.data.db import transaction
from lib.data.models import Agency, Task
from lib.editing import actions, discussion, requests
from lib.editing.requests import Proposal
from lib.ops.seed import seed_demo
from tests.support.demo import AS_OF
from tests.support.edit_machinery import actor


def figures(slide: deck.Slide) -> dict[str, str]:
    return {f.label: f.value for f in slide.figures}


def test_the_cover_shows_the_overviews_figures_and_each_place_its_own(demo_engine):
    with transaction(demo_engine) as s:
        pack = deck.build_deck(s, Filters(), AS_OF, 30, today=AS_OF)
        overview = queries.get_overview(s, Filters(), AS_OF, 30, today=AS_OF)
    cover = pack.slides[0]
    b, f = overview.buckets, overview.funding
    assert cover.subtitle == f"Số liệu tính đến ngày {AS_OF:%d/%m/%Y}" == "Số liệu tính đến ngày 29/11/2026"
    assert figures(cover) == {
        "Tổng số nhiệm vụ": fmt_int(b.total),
        "Tỷ lệ hoàn thành đúng hạn": fmt_pct(b.on_time_rate),
        "Quá hạn": fmt_int(b.count(rules.OVERDUE)),
        "Sắp đến hạn (30 ngày)": fmt_int(b.due_soon),
        "Giải ngân trụ sở": fmt_pct(f.disbursement_rate),
        "Đã giải ngân (tỷ đồng)": fmt_billion(f.disbursed),
        "Phường đăng ký kiểu mẫu": fmt_int(overview.wards.registered),
        "Phường được công nhận": fmt_int(overview.wards.recognised),
    }
    assert figures(cover)["Quá hạn"] == "9"
    # One slide per place of the league that has tasks or projects, then the province level.
    league = {r.code: r for r in overview.league}
    places = pack.slides[1:]
    assert [p.key for p in places][-1] == "province"
    shown = [p for p in places if p.key in league]
    assert {p.key for p in shown} == {c for c, r in league.items() if r.tasks or r.funding.projects}
    for slide in shown:
        row = league[slide.key]
        assert slide.title == row.name
        if row.tasks:
            assert figures(slide)["Tổng số nhiệm vụ"] == fmt_int(row.tasks)
            assert figures(slide)["Quá hạn"] == fmt_int(row.overdue)
            assert len(slide.overdue) == min(row.overdue, deck.WORST)
    # Every overdue task is on exactly one slide (5 at most each), the worst first.
    assert sum(int(figures(p).get("Quá hạn", "0")) for p in places) == b.count(rules.OVERDUE)
    province = places[-1]
    assert [o.days for o in province.overdue] == sorted((o.days for o in province.overdue), reverse=True)
    worst = province.overdue[0]
    assert worst.days == 882 and worst.obstacles  # Task.obstacles, in the slide's words
    assert f"quá hạn 882 ngày (hạn {worst.deadline:%d/%m/%Y})" in worst.line
    assert "Khó khăn: " + worst.obstacles in worst.line


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def test_a_places_slide_lists_its_waiting_request_and_the_leaders_direction(demo):
    with transaction(demo) as s:
        # Xã Lục Ngạn's overdue task (by what it is: ids run on across seeds on PostgreSQL)
        task_id, title = s.execute(
            select(Task.id, Task.title)
            .join(Agency, Agency.id == Task.lead_agency_id)
            .where(Agency.name == "UBND xã Lục Ngạn", Task.state == "dang_thuc_hien")
            .where(Task.current_deadline < AS_OF)
        ).one()
    now = datetime(2026, 11, 28, 9, 0)
    proposal = Proposal(
        kind="hoan_thanh",
        reason="Đã bố trí vốn.",
        document="215/BC-UBND ngày 20/11/2026",
        completed_on="20/11/2026",
        result="UBND xã đã bố trí 4,5 tỷ đồng.",
    )
    actions.perform(
        demo, actor(demo, "dp.lucngan"), requests.propose, task_id, proposal, now=now, today=AS_OF
    )
    actions.perform(
        demo,
        actor(demo, "lanhdao"),
        discussion.add,
        "task",
        task_id,
        "Giải ngân trước 31/12.",
        "direction",
        now=now,
    )
    with transaction(demo) as s:
        pack = deck.build_deck(s, Filters(), AS_OF, 30, today=AS_OF)
    (slide,) = [p for p in pack.slides if any(o.task_id == task_id for o in p.overdue)]
    assert slide.title == "Xã Lục Ngạn"
    (waiting,) = slide.requests
    assert waiting.startswith("Hoàn thành: " + title) and "28/11/2026" in waiting
    (direction,) = slide.directions
    assert "Giải ngân trước 31/12." in direction and "28/11/2026" in direction
    assert (task_id, title) in slide.tasks  # a conclusion can name it
    others = [p for p in pack.slides[1:] if p is not slide]
    assert not any(p.requests or p.directions for p in others)
    with transaction(demo) as s:  # the deck of a day before both: neither was there yet
        earlier = deck.build_deck(s, Filters(), date(2026, 11, 27), 30, today=AS_OF)
    assert not any(p.requests or p.directions for p in earlier.slides[1:])
