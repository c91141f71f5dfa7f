"""The overview's loader through a save, on both engines: a save of a Lục Ngạn task reads the tasks of
its district and xã again and nothing else (every other piece is the one stored before), the figures it
returns are those read afresh; a refused edit reads nothing at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from lib.core import rules
from lib.core.filters import PROVINCE_LEVEL, Filters
from lib.core.requests import OPEN_STATES
from lib.core.roles import Refused
from lib.data import queries
from lib.data.db import transaction
from lib.data.models import Agency, Task
from lib.editing import changeset
from lib.editing.changeset import RowChange
from lib.ops.seed import DEMO_TODAY
from lib.ui import loaders
from tests.data.test_versions import DUE_DAYS, complete, demo, locality_id, open_task, versions
from tests.support.edit_machinery import actor, save

__all__ = ["demo"]  # the fixture, shared with the data-level tests


@contextmanager
def statements(url: str) -> Iterator[list[str]]:
    """The SQL the app's engine runs inside the block."""
    seen: list[str] = []
    engine = loaders.get_engine(url)

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def overview(url: str, engine) -> queries.Overview:
    return loaders.load_overview(url, versions(engine), Filters(), DEMO_TODAY, DUE_DAYS, False, DEMO_TODAY)


@pytest.fixture
def app_url(demo, fresh_caches) -> Iterator[str]:
    """The demo database's URL, read through the app's own engine (closed after the test)."""
    url = demo.url.render_as_string(hide_password=False)
    yield url
    loaders.get_engine(url).dispose()


def test_a_save_reads_its_own_piece_of_the_tasks_again_and_nothing_else(demo, app_url):
    url = app_url
    luc_ngan = locality_id(demo, "luc-ngan")
    first = overview(url, demo)
    store = loaders.piece_store()
    stored = len(store)
    frame = loaders.load_overview_frame(url, versions(demo).base, Filters(), DEMO_TODAY, False, DEMO_TODAY)
    assert stored == len(frame.pieces) > 5  # every (district, xã) the tasks stand in

    task = open_task(demo, "luc-ngan", overdue=True)
    complete(demo, task)
    with statements(url) as seen:
        second = overview(url, demo)
    with transaction(demo) as s:
        assert second == queries.get_overview(s, Filters(), DEMO_TODAY, DUE_DAYS, today=DEMO_TODAY)
    assert second.buckets.count(rules.LATE) == first.buckets.count(rules.LATE) + 1
    assert len(store) == stored + 1  # the saved task's piece anew, next to the old ones
    task_reads = [s for s in seen if "FROM task" in s]
    # Counts (with the latest updates when they come together) and deadlines: that piece's tasks only.
    assert len(task_reads) == (2 if frame.merged else 3)
    assert all("task.locality_id =" in s and "task.unit_id" in s for s in task_reads)
    assert not any("hq_project" in s or "model_ward" in s for s in seen)  # the frame stayed warm
    assert {piece: v for piece, v in versions(demo).tasks if v} == {(luc_ngan, task.unit_id): 1}

    task = open_task(demo, "bac-giang")
    with pytest.raises(Refused):  # out of Lục Ngạn's focal point's scope
        save(
            demo,
            actor(demo, "dp.lucngan"),
            changeset.TASKS,
            [RowChange(task.id, task.version, {"notes": "?"})],
        )
    with statements(url) as seen:
        third = overview(url, demo)
    assert third == second
    assert [s for s in seen if "FROM task" in s or "hq_project" in s] == []


def task_list(url: str, engine, filters: Filters, who=None) -> list[dict]:
    """The task page's list as the page reads it: keyed by `tasks_version`, an editor's or not."""
    read = loaders.tasks_version(url, versions(engine), filters, who)
    if who is None:
        return loaders.load_task_page(url, read, filters, DEMO_TODAY, DUE_DAYS, 1, 50)
    return loaders.load_task_page_for_edit(url, read, who, filters, DEMO_TODAY, DUE_DAYS, 1, 50)


def test_the_task_list_stays_warm_through_a_save_of_tasks_it_cannot_show_and_not_through_one_it_can(
    demo, app_url
):
    url = app_url
    bac_giang, luc_ngan = Filters(localities=("bac-giang",)), Filters(localities=("luc-ngan",))
    focal = actor(demo, "dp.lucngan")
    before = {
        "bac_giang": task_list(url, demo, bac_giang),
        "luc_ngan": task_list(url, demo, luc_ngan),
        "editor": task_list(url, demo, Filters(), focal),
    }
    task = open_task(demo, "luc-ngan")
    assert any(r["id"] == task.id for r in before["editor"])  # the focal point's own row
    save(demo, focal, changeset.TASKS, [RowChange(task.id, task.version, {"notes": "Đã họp triển khai"})])

    with statements(url) as seen:
        assert task_list(url, demo, bac_giang) == before["bac_giang"]
    assert [s for s in seen if "FROM task" in s] == []  # another district's save: nothing read again

    for name, filters, who in (("luc_ngan", luc_ngan, None), ("editor", Filters(), focal)):
        with statements(url) as seen:
            after = task_list(url, demo, filters, who)
        assert [s for s in seen if "FROM task" in s]  # read again, and the note is there
        assert [r["notes"] for r in after if r["id"] == task.id] == ["Đã họp triển khai"]
        assert [r["id"] for r in after] == [r["id"] for r in before[name]]


def test_a_departments_save_of_a_province_level_task_reaches_its_lists_and_leaves_a_district_warm(
    demo, app_url
):
    # The Sở Tài chính's focal point sees the tasks it leads; they have no district (province level).
    url = app_url
    department = actor(demo, "dm.sotaichinh")
    province, bac_giang = Filters(localities=(PROVINCE_LEVEL,)), Filters(localities=("bac-giang",))
    with transaction(demo) as s:
        task = s.scalars(
            select(Task)
            .join(Agency, Agency.id == Task.lead_agency_id)
            .where(Agency.code == "stc", Task.locality_id.is_(None), Task.state.in_(OPEN_STATES))
            .order_by(Task.id)
        ).first()
        assert task is not None
        s.expunge(task)
    before = {
        "province": task_list(url, demo, province),
        "bac_giang": task_list(url, demo, bac_giang),
        "department": task_list(url, demo, Filters(), department),
    }
    assert any(r["id"] == task.id for r in before["department"])
    assert any(r["id"] == task.id for r in before["province"])
    save(demo, department, changeset.TASKS, [RowChange(task.id, task.version, {"notes": "Đã bố trí vốn"})])

    with statements(url) as seen:
        assert task_list(url, demo, bac_giang) == before["bac_giang"]
    assert [s for s in seen if "FROM task" in s] == []

    for name, filters, who in (("province", province, None), ("department", Filters(), department)):
        with statements(url) as seen:
            after = task_list(url, demo, filters, who)
        assert [s for s in seen if "FROM task" in s]
        assert [r["notes"] for r in after if r["id"] == task.id] == ["Đã bố trí vốn"]
        assert [r["id"] for r in after] == [r["id"] for r in before[name]]
