"""What changed since the last meeting, in words and by locality, on both engines; the date of the last
meeting kept per user."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from lib.core.roles import Refused
from lib.data import accounts, changes
from lib.data.db import transaction
from lib.data.models import Locality, Task, User
from lib.editing import actions, changeset, user_admin
from lib.ops.seed import DEMO_TODAY, seed_demo

MEETING = date(2026, 11, 15)
EDITED = datetime(2026, 11, 20, 9, 5)


def actor(engine, username):
    with transaction(engine) as s:
        return accounts.actor_for(s.scalar(select(User).where(User.username == username)))


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def test_changes_since_a_meeting_read_in_words_under_their_locality(demo):
    with transaction(demo) as s:
        task = s.scalars(
            select(Task)
            .join(Locality, Locality.id == Task.locality_id)
            .where(Locality.code == "viet-yen", Task.state == "dang_thuc_hien")
            .order_by(Task.id)
        ).first()
        s.expunge(task)
        name = s.scalar(select(User.display_name).where(User.username == "dp.vietyen"))
    actions.perform(
        demo,
        actor(demo, "dp.vietyen"),
        changeset.apply_changes,
        changeset.TASKS,
        [changeset.RowChange(task.id, task.version, {"progress_pct": task.progress_pct + 10})],
        now=EDITED,
        today=DEMO_TODAY,
    )
    with transaction(demo) as s:
        groups, count = changes.changes_since(s, MEETING, DEMO_TODAY)
        _, none = changes.changes_since(s, date(2026, 11, 21), DEMO_TODAY)
    by_place = {g.place: g for g in groups}
    mine = by_place["Thị xã Việt Yên"].changes
    assert [(c.title, c.text, c.who, c.at) for c in mine] == [
        (task.title, f"Tiến độ {task.progress_pct}% → {task.progress_pct + 10}%", name, EDITED)
    ]
    assert count == 1 and none == 0  # the seed's own events are older, the edit is before the 21st
    # Over the year, tasks became overdue: each under its own locality, days counted to the day asked.
    with transaction(demo) as s:
        year, _ = changes.changes_since(s, date(2026, 1, 1), DEMO_TODAY)
        where = {
            t.id: (loc or "Cấp tỉnh", t.current_deadline)
            for t, loc in s.execute(
                select(Task, Locality.name).outerjoin(Locality, Locality.id == Task.locality_id)
            )
        }
    overdue = [(g.place, t) for g in year for t in g.newly_overdue]
    assert overdue
    for place, t in overdue:
        assert where[t.id] == (place, t.deadline)
        assert t.days_overdue == (DEMO_TODAY - t.deadline).days > 0
        assert date(2026, 1, 1) <= t.deadline < DEMO_TODAY
    places = [g.place for g in year]  # the localities by name, then province level, then the rest
    last = ["Cấp tỉnh", changes.GENERAL]
    assert places == sorted(p for p in places if p not in last) + [p for p in last if p in places]


def test_the_last_meeting_is_kept_per_user_and_checked(demo):
    me = actor(demo, "lanhdao")
    actions.perform(demo, me, user_admin.set_last_meeting, MEETING, datetime(2026, 11, 29, 8, 0))
    with transaction(demo) as s:
        assert accounts.last_meeting(s, me.user_id) == MEETING
        assert accounts.last_meeting(s, actor(demo, "vanphong").user_id) is None
    with pytest.raises(Refused, match="Ngày họp 30/11/2026 phải trong khoảng 01/01/2020 đến hôm nay"):
        actions.perform(
            demo, me, user_admin.set_last_meeting, date(2026, 11, 30), datetime(2026, 11, 29, 8, 0)
        )
    with transaction(demo) as s:
        assert accounts.last_meeting(s, me.user_id) == MEETING
