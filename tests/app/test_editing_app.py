"""Inline editing through the tasks page (AppTest): staging, saving, refusing, conflicts, freshness."""

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from lib.data.db import make_engine, transaction
from lib.data.models import AuditEvent, Task
from lib.editing import actions, changeset
from lib.ops.seed import DEMO_TODAY
from tests.support.apptest import edit, open_tasks, pending, save

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return make_engine(f"sqlite:///{demo_copy}")


def shown(at: AppTest):
    return at.session_state["tasks_shown"]


def task(db, row_id):
    with transaction(db) as s:
        return s.get(Task, row_id)


def events(db, **where):
    with transaction(db) as s:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return list(s.scalars(stmt))


def test_a_coordinator_edits_stages_and_saves(db):
    at = open_tasks("dp.lucngan")
    assert at.info[0].value.startswith("Bảng chỉ gồm nhiệm vụ của Huyện Lục Ngạn")
    first = shown(at)[0]
    edit(at, {0: {"progress_pct": 64, "notes": "Đã họp với UBND xã"}})
    assert pending(at) == "**2 thay đổi chưa lưu**"
    at.run()  # a rerun keeps the staged edits
    assert pending(at) == "**2 thay đổi chưa lưu**"
    save(at)
    assert pending(at) == "Không có thay đổi chưa lưu."
    saved = task(db, first.row_id)
    assert (saved.progress_pct, saved.notes, saved.version) == (64, "Đã họp với UBND xã", first.version + 1)
    trail = events(db, row_id=first.row_id, entity="task", actor="dp.lucngan")  # not the 2025 transfers
    assert sorted((e.actor, e.field, e.new_value, e.row_version) for e in trail) == [
        ("dp.lucngan", "notes", "Đã họp với UBND xã", first.version + 1),
        ("dp.lucngan", "progress_pct", "64", first.version + 1),
    ]


def test_discard_drops_the_draft_and_writes_nothing(db):
    at = open_tasks("vanphong")
    first = shown(at)[0]
    edit(at, {0: {"notes": "bản nháp"}})
    assert pending(at) == "**1 thay đổi chưa lưu**"
    at.button(key="tasks_discard").click().run()
    assert pending(at) == "Không có thay đổi chưa lưu."
    assert task(db, first.row_id).version == first.version


def test_edits_survive_a_filter_change_until_saved(db):
    at = open_tasks("vanphong")
    first = shown(at)[0]
    edit(at, {0: {"notes": "giữ qua bộ lọc"}})
    at.sidebar.multiselect(key="tasks_f_loc").set_value(["viet-yen"]).run()
    assert not at.exception
    assert first.row_id not in {r.row_id for r in shown(at)}  # the edited row is no longer shown
    assert pending(at) == "**1 thay đổi chưa lưu**"
    save(at)
    assert task(db, first.row_id).notes == "giữ qua bộ lọc"


def test_an_invalid_cell_is_named_by_row_and_column_and_nothing_is_written(db):
    at = open_tasks("vanphong")
    rows = shown(at)
    before = [task(db, r.row_id).version for r in rows[:2]]
    edit(at, {0: {"notes": "hợp lệ"}, 1: {"progress_pct": 140}})
    save(at)
    message = at.error[0].value
    assert message.startswith("Chưa lưu gì vì có ô không hợp lệ")
    assert "Dòng 2, cột “Tiến độ (%)”: phải nằm trong khoảng 0–100%." in message
    assert [task(db, r.row_id).version for r in rows[:2]] == before
    assert pending(at) == "**2 thay đổi chưa lưu**"  # the draft is kept
    assert events(db)[-1].action == "refused_invalid"


def test_a_forged_position_or_a_disabled_column_is_refused_and_recorded(db):
    at = open_tasks("dp.lucngan")
    edit(at, {999: {"notes": "x"}})
    assert "Dòng 999 không có trong bảng" in at.error[0].value
    assert events(db)[-1].action == "refused"
    at = open_tasks("dp.lucngan")
    row = shown(at)[0]
    edit(at, {0: {"title": "Đổi tên nhiệm vụ"}})
    save(at)
    assert at.error[0].value == "Cột “title” không được sửa."
    assert task(db, row.row_id).title != "Đổi tên nhiệm vụ"
    last = events(db)[-1]
    assert (last.actor, last.action, last.field) == ("dp.lucngan", "refused", "title")


def test_read_only_roles_get_no_editor(db):
    at = open_tasks("lanhdao")
    assert "tasks_editor" not in at.session_state
    assert at.dataframe  # the same table, read-only
    assert not [b for b in at.button if b.key == "tasks_save"]


def test_the_second_save_gets_the_conflict_and_the_first_value_stands(db):
    a, b = open_tasks("vanphong"), open_tasks("dp.lucngan")
    row = shown(b)[0]
    position_in_a = [r.row_id for r in shown(a)].index(row.row_id)
    save(edit(b, {0: {"progress_pct": 41}}))
    save(edit(a, {position_in_a: {"progress_pct": 42}}))
    assert task(db, row.row_id).progress_pct == 41
    warning = a.warning[0].value
    assert "đã được người khác thay đổi" in warning
    table = next(d.value for d in a.dataframe if "Giá trị của bạn" in d.value.columns)
    line = table[table["Mã"] == row.row_id].iloc[0]
    assert (line["Cột"], line["Giá trị của bạn"], line["Giá trị hiện tại"], line["Người sửa"]) == (
        "Tiến độ (%)",
        "42",
        "41",
        "dp.lucngan",
    )
    assert events(db)[-1].action == "refused_conflict"
    a.button(key="tasks_reapply").click().run()  # a new, audited save on top of B's version
    assert not a.exception
    saved = task(db, row.row_id)
    assert (saved.progress_pct, saved.updated_by, saved.version) == (42, "vanphong", row.version + 2)


def test_dropping_the_conflicting_draft_keeps_the_other_value(db):
    a, b = open_tasks("vanphong"), open_tasks("vanphong")
    row = shown(a)[0]
    save(edit(b, {0: {"notes": "của B"}}))
    save(edit(a, {0: {"notes": "của A"}}))
    a.button(key="tasks_drop").click().run()
    assert pending(a) == "Không có thay đổi chưa lưu."
    assert task(db, row.row_id).notes == "của B"


def test_a_save_elsewhere_shows_on_the_next_rerun(db):
    at = open_tasks("lanhdao")
    row_id = int(at.dataframe[0].value["id"].iloc[0])
    current = task(db, row_id)
    from lib.data.accounts import actor_for
    from lib.data.models import User

    with transaction(db) as s:
        vanphong = actor_for(s.scalar(select(User).where(User.username == "vanphong")))
    actions.perform(
        db,
        vanphong,
        changeset.apply_changes,
        changeset.TASKS,
        [changeset.RowChange(row_id, current.version, {"notes": "cập nhật từ nơi khác"})],
        now=current.updated_at,
        today=DEMO_TODAY,
    )
    at.run()
    frame = at.dataframe[0].value
    assert frame.loc[frame["id"] == row_id, "notes"].iloc[0] == "cập nhật từ nơi khác"
