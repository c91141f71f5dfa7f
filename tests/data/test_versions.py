"""Reads that stay warm, on both engines: a save raises the versions of what it changed and nothing
else; a refused edit or import raises none (only the trail's length: the refusal is written there);
the overview assembled from the pieces that stayed warm and the one piece read again is exactly the
overview read afresh, and its province figures follow the save."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from lib.core import rules
from lib.core.filters import Filters
from lib.core.requests import OPEN_STATES
from lib.core.roles import Refused
from lib.data import queries
from lib.data.db import Versions, bump_data_version, read_versions, transaction
from lib.data.models import Locality, Task
from lib.editing import changeset
from lib.editing.changeset import RowChange
from lib.files import register
from lib.ops.seed import DEMO_TODAY, seed_demo
from tests.support.edit_machinery import actor, save

NOW = datetime(2026, 11, 29, 10, 0)
DUE_DAYS = 30


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def versions(engine) -> Versions:
    with transaction(engine) as s:
        return read_versions(s)


def locality_id(engine, code: str) -> int:
    with transaction(engine) as s:
        return int(s.scalars(select(Locality.id).where(Locality.code == code)).one())


def open_task(engine, code: str, *, overdue: bool = False) -> Task:
    with transaction(engine) as s:
        task = s.scalars(
            select(Task)
            .join(Locality, Locality.id == Task.locality_id)
            .where(Locality.code == code, Task.state.in_(OPEN_STATES))
            .where(Task.current_deadline < DEMO_TODAY if overdue else Task.id > 0)
            .order_by(Task.current_deadline, Task.id)
        ).first()
        assert task is not None
        s.expunge(task)
        return task


def complete(engine, task: Task) -> None:
    """The office marks a task completed, through the edit engine."""
    values = {
        "state": "Hoàn thành",
        "progress_pct": "100",
        "completed_on": "2026-11-20",
        "result_doc": "999/BC-UBND",
        "notes": "Đã xong",
    }
    save(engine, actor(engine, "vanphong"), changeset.TASKS, [RowChange(task.id, task.version, values)])


def overview_in_pieces(engine) -> tuple[queries.OverviewFrame, dict[int | None, queries.TaskPiece]]:
    with transaction(engine) as s:
        frame = queries.overview_frame(s, Filters(), DEMO_TODAY, today=DEMO_TODAY)
        return frame, queries.task_pieces(s, frame, Filters(), DEMO_TODAY, DUE_DAYS)


def overview(engine) -> queries.Overview:
    with transaction(engine) as s:
        return queries.get_overview(s, Filters(), DEMO_TODAY, DUE_DAYS, today=DEMO_TODAY)


def test_a_refused_edit_moves_no_data_version(demo):
    before = versions(demo)
    task = open_task(demo, "bac-giang")
    outside = RowChange(task.id, task.version, {"notes": "Không phải địa bàn của tôi"})
    with pytest.raises(Refused):  # Lục Ngạn's focal point, a TP Bắc Giang task
        save(demo, actor(demo, "dp.lucngan"), changeset.TASKS, [outside])
    invalid = RowChange(task.id, task.version, {"progress_pct": "150"})
    with pytest.raises(Refused):
        save(demo, actor(demo, "vanphong"), changeset.TASKS, [invalid])
    after = versions(demo)
    assert (after.data, after.base, after.tasks) == (before.data, before.base, before.tasks)
    assert after.trail == before.trail + 2  # both refusals are in the trail, which its pages read


def test_a_refused_import_moves_no_data_version(demo):
    before = versions(demo)
    with pytest.raises(register.RegisterRefused):
        register.import_register(
            demo,
            actor(demo, "vanphong"),
            register.Upload("so-theo-doi.xlsx", b"not a workbook"),
            now=NOW,
            today=DEMO_TODAY,
        )
    after = versions(demo)
    assert (after.data, after.base, after.tasks) == (before.data, before.base, before.tasks)
    assert after.trail == before.trail + 1


def test_a_save_in_one_district_moves_its_version_only_and_the_province_figures_follow(demo):
    luc_ngan, bac_giang = locality_id(demo, "luc-ngan"), locality_id(demo, "bac-giang")
    before = versions(demo)
    frame, pieces = overview_in_pieces(demo)
    old = queries.assemble_overview(frame, pieces, Filters(), DEMO_TODAY)
    assert old == overview(demo)

    task = open_task(demo, "luc-ngan", overdue=True)
    piece = (luc_ngan, task.unit_id)  # the task's district and xã
    assert piece in frame.pieces
    complete(demo, task)

    after = versions(demo)
    assert after.data == before.data + 1
    assert after.base == before.base  # the frame, the filter lists: still warm
    assert after.tasks_of(piece) == before.tasks_of(piece) + 1
    assert dict(after.tasks) == dict(before.tasks) | {piece: before.tasks_of(piece) + 1}
    assert after.tasks_of_locality(bac_giang) == before.tasks_of_locality(bac_giang)
    # Every other piece as it was read before the save, the saved task's piece read again.
    with transaction(demo) as s:
        fresh = queries.task_pieces(s, frame, Filters(), DEMO_TODAY, DUE_DAYS, [piece])
    assert set(fresh) == {piece}
    assembled = queries.assemble_overview(frame, pieces | fresh, Filters(), DEMO_TODAY)
    new = overview(demo)
    assert assembled == new
    assert new.buckets.count(rules.LATE) == old.buckets.count(rules.LATE) + 1  # completed late
    assert new.buckets.count(rules.OVERDUE) == old.buckets.count(rules.OVERDUE) - 1
    assert new.buckets_by_locality["luc-ngan"].count(rules.LATE) == (
        old.buckets_by_locality["luc-ngan"].count(rules.LATE) + 1
    )
    assert new.buckets_by_locality["bac-giang"] == old.buckets_by_locality["bac-giang"]


def test_any_other_write_moves_the_base_version(demo):
    before = versions(demo)
    with transaction(demo, write=True) as s:
        bump_data_version(s)
    after = versions(demo)
    assert (after.data, after.base, after.tasks) == (before.data + 1, before.base + 1, before.tasks)


def test_an_import_moves_the_base_version_even_when_it_changes_only_tasks(demo):
    from tests.files.test_register import workbook  # the register's own workbook builder

    before = versions(demo)
    register.import_register(
        demo, actor(demo, "vanphong"), register.Upload("so.xlsx", workbook()), now=NOW, today=DEMO_TODAY
    )
    after = versions(demo)
    assert after.base == before.base + 1
    assert after.data > before.data


def test_versions_read_in_one_query_name_each_piece_of_the_tasks(demo):
    task = open_task(demo, "luc-ngan", overdue=True)
    complete(demo, task)
    found = versions(demo)
    edited = {piece: v for piece, v in found.tasks if v}  # (the test database's counters restart at 0)
    assert edited == {(locality_id(demo, "luc-ngan"), task.unit_id): 1}
    assert found.tasks_of((locality_id(demo, "bac-giang"), task.unit_id)) == 0
    assert found.with_trail == (found.data, found.trail)
