"""The trail read back: filters, one row's timeline, the meeting view, and reverting a row."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from lib.core import rules
from lib.core.roles import PermissionDenied, Refused
from lib.data import accounts
from lib.data.db import make_engine, transaction
from lib.data.models import Locality, Task, User
from lib.editing import actions, changeset, history
from lib.ops.seed import DEMO_TODAY, seed_demo
from tests.support.apptest import sign_in
from tests.support.caches import clear_caches
from tests.support.paths import APP

T1, T2 = datetime(2026, 11, 20, 9, 0), datetime(2026, 11, 25, 15, 30)


def actor(engine, username):
    with transaction(engine) as s:
        return accounts.actor_for(s.scalar(select(User).where(User.username == username)))


def task_of(engine, locality):
    with transaction(engine) as s:
        return s.scalars(
            select(Task)
            .join(Locality)
            .where(Locality.code == locality, Task.state == "dang_thuc_hien")
            .order_by(Task.id)
        ).first()


@pytest.fixture
def edited(engine):
    """Demo data plus two saves on one Lục Ngạn task: v1 → v2 (T1, coordinator) → v3 (T2, office)."""
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    row = task_of(engine, "luc-ngan")
    me, office = actor(engine, "dp.lucngan"), actor(engine, "vanphong")
    actions.perform(
        engine,
        me,
        changeset.apply_changes,
        changeset.TASKS,
        [changeset.RowChange(row.id, row.version, {"progress_pct": 70, "notes": "lần 1"})],
        now=T1,
        today=DEMO_TODAY,
    )
    actions.perform(
        engine,
        office,
        changeset.apply_changes,
        changeset.TASKS,
        [
            changeset.RowChange(
                row.id,
                row.version + 1,
                {"notes": "lần 2", "current_deadline": "2027-02-28", "extension_doc": "15/UBND-NC"},
            )
        ],
        now=T2,
        today=DEMO_TODAY,
    )
    return engine, row


def test_filters_select_the_right_events(edited):
    engine, row = edited
    with transaction(engine) as s:
        mine = history.list_events(s, history.EventFilter(user="dp.lucngan"))
        in_ln = history.list_events(s, history.EventFilter(locality="luc-ngan", entity="task"))
        in_vy = history.list_events(s, history.EventFilter(locality="viet-yen"))
        late = history.list_events(s, history.EventFilter(entity="task", date_from=date(2026, 11, 21)))
        window = history.count_events(s, history.EventFilter(date_from=T1.date(), date_to=T1.date()))
    assert {(e.field, e.new_value) for e in mine} == {("progress_pct", "70"), ("notes", "lần 1")}
    # Besides the two saves, the trail holds the creation of the tasks the duties generated and the
    # 2025 reorganisations passing open tasks to the successor bodies.
    generated = {("system:duties", "create"), ("cli:seed-demo", "reorganise")}
    edits_ln = [e for e in in_ln if (e.actor, e.action) not in generated]
    assert len(edits_ln) == 5 and all(e.row_id == row.id for e in edits_ln)
    assert {(e.actor, e.action) for e in in_vy} == generated
    assert {e.actor for e in late} == {"vanphong"} and len(late) == 3
    assert window == 2


def test_a_rows_timeline_is_in_order_with_versions(edited):
    engine, row = edited
    with transaction(engine) as s:
        timeline = history.row_timeline(s, "task", row.id)
    # The demo's 2025 reorganisations came first: a merged department replaced among its cooperators
    # (1/3/2025), then a new unit and agency (1/7/2025), each a version; then the two saves.
    reorganised = [e for e in timeline if e.actor == "cli:seed-demo"]
    assert {e.action for e in reorganised} == {"reorganise"} and len(reorganised) >= 2
    versions = [e.row_version for e in timeline]
    assert versions == sorted(versions) and reorganised[-1].row_version == row.version
    assert {"unit_id", "lead_agency_id"} <= {e.field for e in reorganised}
    saves = timeline[len(reorganised) :]
    assert [e.row_version for e in saves] == [row.version + 1] * 2 + [row.version + 2] * 3
    assert [e.actor for e in saves] == ["dp.lucngan"] * 2 + ["vanphong"] * 3


def test_values_at_an_earlier_version_and_revert(edited):
    engine, row = edited
    with transaction(engine) as s:
        _, v1 = history.values_at_version(s, changeset.TASKS, row.id, row.version)
        _, v2 = history.values_at_version(s, changeset.TASKS, row.id, row.version + 1)
    assert (v1["progress_pct"], v1["notes"], v1["current_deadline"]) == (
        row.progress_pct,
        row.notes,
        row.current_deadline,
    )
    assert (v2["progress_pct"], v2["notes"], v2["current_deadline"]) == (70, "lần 1", row.current_deadline)
    # A coordinator cannot revert the office's deadline change; the office can revert everything.
    result = actions.perform(
        engine,
        actor(engine, "vanphong"),
        history.revert_row,
        changeset.TASKS,
        row.id,
        row.version,
        now=T2 + timedelta(hours=1),
        today=DEMO_TODAY,
    )
    assert result.versions[row.id] == row.version + 3
    with transaction(engine) as s:
        back = s.get(Task, row.id)
        reverts = [e for e in history.row_timeline(s, "task", row.id) if e.action == "revert"]
    assert (back.progress_pct, back.notes, back.current_deadline) == (
        row.progress_pct,
        row.notes,
        row.current_deadline,
    )
    assert {e.reason for e in reverts} == {f"Khôi phục về phiên bản {row.version}"}
    with pytest.raises(Refused, match="đã có đúng giá trị"):
        actions.perform(
            engine,
            actor(engine, "vanphong"),
            history.revert_row,
            changeset.TASKS,
            row.id,
            row.version,
            now=T2,
            today=DEMO_TODAY,
        )


def test_revert_goes_through_the_scope_checks(edited):
    engine, row = edited
    with pytest.raises(PermissionDenied):
        actions.perform(
            engine,
            actor(engine, "dp.vietyen"),
            history.revert_row,
            changeset.TASKS,
            row.id,
            row.version,
            now=T2,
            today=DEMO_TODAY,
        )
    with pytest.raises(PermissionDenied, match="chỉ được xem"):
        actions.perform(
            engine,
            actor(engine, "lanhdao"),
            history.revert_row,
            changeset.TASKS,
            row.id,
            row.version,
            now=T2,
            today=DEMO_TODAY,
        )


def test_newly_overdue_equals_an_independent_computation(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    since = date(2025, 12, 1)
    with transaction(engine) as s:
        got = history.newly_overdue(s, since, DEMO_TODAY)
        rows = s.execute(select(Task.id, Task.state, Task.current_deadline, Task.completed_on)).all()
    expected = {
        i
        for i, state, deadline, done in rows
        if rules.task_bucket(state, deadline, done, DEMO_TODAY) == rules.OVERDUE
        and rules.task_bucket(state, deadline, done, since) != rules.OVERDUE
    }
    assert {r["id"] for r in got} == expected and expected
    assert all(r["days_overdue"] == (DEMO_TODAY - r["current_deadline"]).days for r in got)


def test_the_history_page_runs_for_every_role(monkeypatch, demo_copy):
    clear_caches()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    engine = make_engine(f"sqlite:///{demo_copy}")
    row = task_of(engine, "bac-giang")
    actions.perform(
        engine,
        actor(engine, "dp.bacgiang"),
        changeset.apply_changes,
        changeset.TASKS,
        [changeset.RowChange(row.id, row.version, {"notes": "ghi chú trong lịch sử"})],
        now=T1,
        today=DEMO_TODAY,
    )
    for user in ("lanhdao", "dp.bacgiang"):
        at = AppTest.from_file(APP, default_timeout=30)
        sign_in(at, user)
        at.switch_page("pages/history.py").run()
        assert not at.exception
        trail = at.dataframe[0].value
        # In words: the row's title, the field's label, the author's name (not codes and usernames).
        mine = trail[trail["change"].str.contains("ghi chú trong lịch sử", regex=False)]
        assert len(mine) == 1
        assert mine.iloc[0]["change"].startswith("Ghi chú")
        assert mine.iloc[0]["title"] == row.title
        with transaction(engine) as s:
            name = s.scalar(select(User.display_name).where(User.username == "dp.bacgiang"))
        assert mine.iloc[0]["actor"] == name != "dp.bacgiang"
        at.number_input(key="history_row").set_value(row.id).run()
        assert not at.exception
        if user == "dp.bacgiang":
            at.button(key="history_revert").click().run()
            assert not at.exception and not at.error
            with transaction(engine) as s:
                assert s.get(Task, row.id).notes == row.notes
        else:
            assert not [b for b in at.button if b.key == "history_revert"]


def test_a_headquarters_project_reverts_money_and_an_emptied_land_area(engine):
    """Money, dates and an optional area come back from the trail exactly, through the edit engine."""
    from lib.data.models import HqProject, Unit

    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    with transaction(engine) as s:
        row = s.scalars(
            select(HqProject)
            .join(Unit, Unit.id == HqProject.unit_id)
            .join(Locality, Locality.id == Unit.locality_id)
            # Yên Dũng joined thành phố Bắc Giang on 1/1/2025: its open projects count there now.
            .where(Locality.code == "bac-giang", HqProject.stage == "chua_bo_tri_dat")
            .order_by(HqProject.id)
        ).first()
    me = actor(engine, "dp.bacgiang")
    original = (row.planned_vnd, row.land_area_m2, row.land_status, row.planned_completion_on)
    actions.perform(
        engine,
        me,
        changeset.apply_changes,
        changeset.HQ,
        [
            changeset.RowChange(
                row.id,
                row.version,
                {
                    "planned_vnd": "6.123.456.789",
                    "land_status": "Đã bố trí",
                    "land_area_m2": 650,
                    "planned_completion_on": "31/12/2027",
                },
            )
        ],
        now=T1,
        today=DEMO_TODAY,
    )
    actions.perform(
        engine, me, history.revert_row, changeset.HQ, row.id, row.version, now=T2, today=DEMO_TODAY
    )
    with transaction(engine) as s:
        back = s.get(HqProject, row.id)
        assert (back.planned_vnd, back.land_area_m2, back.land_status, back.planned_completion_on) == original
        assert back.version == row.version + 2


def test_revert_undoes_an_excel_import_too(engine):
    """An import writes values like an edit: reverting past it must put them back."""
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    row = task_of(engine, "luc-ngan")
    me = actor(engine, "dp.lucngan")
    actions.perform(
        engine,
        me,
        changeset.apply_changes,
        changeset.TASKS,
        [changeset.RowChange(row.id, row.version, {"notes": "sửa tay"})],
        now=T1,
        today=DEMO_TODAY,
    )
    actions.perform(
        engine,
        me,
        changeset.apply_changes,
        changeset.TASKS,
        [changeset.RowChange(row.id, row.version + 1, {"notes": "từ tệp Excel"})],
        now=T2,
        today=DEMO_TODAY,
        action="import",
    )
    actions.perform(
        engine, me, history.revert_row, changeset.TASKS, row.id, row.version + 1, now=T2, today=DEMO_TODAY
    )
    with transaction(engine) as s:
        assert s.get(Task, row.id).notes == "sửa tay"
