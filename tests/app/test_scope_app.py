"""Focal points in the app (AppTest): the editor shows exactly their rows, the per-row form writes
through the engine (a conflict is reported, never overwritten), and the administrator assigns scopes
and replaces a body that has ended."""

from datetime import date, datetime

import pytest
from sqlalchemy import delete, func, select, update

from lib.data.accounts import actor_for
from lib.data.db import make_engine, transaction
from lib.data.models import Agency, AuditEvent, Locality, Task, Unit, User, UserScope
from lib.editing import actions, changeset
from lib.ops.seed import DEMO_TODAY
from tests.support.apptest import keyed, open_page, open_tasks

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return make_engine(f"sqlite:///{demo_copy}")


def stc_tasks(db):
    with transaction(db) as s:
        stc = s.scalar(select(Agency.id).where(Agency.code == "stc"))
        return list(s.scalars(select(Task).where(Task.lead_agency_id == stc).order_by(Task.id)))


def test_a_department_focal_point_sees_exactly_the_tasks_it_leads(db):
    at = open_tasks("dm.sotaichinh")
    assert any("Sở Tài chính" in i.value and "phạm vi" in i.value for i in at.info)
    ids = sorted(r.row_id for r in at.session_state["tasks_shown"])
    assert ids == [t.id for t in stc_tasks(db)] and len(ids) == 6  # with what Sở KH&ĐT left open


def _open_row_form(user):
    at = open_tasks(user)
    at.toggle(key="tasks_by_row").set_value(True).run()
    assert not at.exception, at.exception
    return at


def test_the_row_form_saves_one_row_through_the_engine(db):
    row = next(t for t in stc_tasks(db) if t.state == "dang_thuc_hien")
    at = _open_row_form("dm.sotaichinh")
    at.selectbox(key="tasks_row_pick").set_value(row.id).run()
    key = f"tasks_row_{{}}_{row.id}_{row.version}"
    at.number_input(key=key.format("progress_pct")).set_value(85)
    at.text_area(key=key.format("obstacles")).input("Chờ phân bổ vốn đợt 2")
    at.button(key="FormSubmitter:tasks_row_form-Lưu dòng này").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with transaction(db) as s:
        saved = s.get(Task, row.id)
        assert (saved.progress_pct, saved.obstacles, saved.version, saved.updated_by) == (
            85,
            "Chờ phân bổ vốn đợt 2",
            row.version + 1,
            "dm.sotaichinh",
        )
        fields = s.scalars(
            select(AuditEvent.field)
            .where(AuditEvent.entity == "task", AuditEvent.row_id == row.id)
            .where(AuditEvent.actor == "dm.sotaichinh")
        ).all()
    assert sorted(fields) == ["obstacles", "progress_pct"]


def test_the_row_form_reports_a_conflict_and_overwrites_nothing(db):
    row = next(t for t in stc_tasks(db) if t.state == "dang_thuc_hien")
    at = _open_row_form("dm.sotaichinh")
    at.selectbox(key="tasks_row_pick").set_value(row.id).run()
    key = f"tasks_row_{{}}_{row.id}_{row.version}"
    with transaction(db) as s:
        vanphong = actor_for(s.scalar(select(User).where(User.username == "vanphong")))
    actions.perform(  # the office saves the same row meanwhile
        db,
        vanphong,
        changeset.apply_changes,
        changeset.TASKS,
        [changeset.RowChange(row.id, row.version, {"notes": "Văn phòng đã ghi"})],
        now=datetime(2026, 11, 29, 9),
        today=DEMO_TODAY,
    )
    at.text_area(key=key.format("notes")).input("Sở ghi đè?")
    at.button(key="FormSubmitter:tasks_row_form-Lưu dòng này").click().run()
    assert not at.exception
    assert any("đã được vanphong thay đổi" in w.value for w in at.warning)
    with transaction(db) as s:
        assert s.get(Task, row.id).notes == "Văn phòng đã ghi"
    # Re-apply on the new version: the user's value is kept and saved over the version they now saw.
    at.button(key="tasks_row_reapply").click().run()
    at.button(key="FormSubmitter:tasks_row_form-Lưu dòng này").click().run()
    assert not at.exception and not at.warning
    with transaction(db) as s:
        saved = s.get(Task, row.id)
        assert (saved.notes, saved.version) == ("Sở ghi đè?", row.version + 2)


def test_the_admin_assigns_a_scope_with_searchable_lists(db):
    at = open_page("admin", "pages/admin.py")
    at.selectbox(key="admin_pick").set_value("dp.yendung").run()
    with transaction(db) as s:
        stc = s.scalar(select(Agency.id).where(Agency.code == "stc"))
        yen_dung = s.scalar(select(Locality.id).where(Locality.code == "yen-dung"))
    keyed(at.multiselect, "admin_scope_agency").set_value([stc])
    at.button(key="FormSubmitter:admin_scope-Lưu phạm vi").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with transaction(db) as s:
        user = s.scalar(select(User).where(User.username == "dp.yendung"))
        held = s.execute(
            select(UserScope.locality_id, UserScope.agency_id).where(UserScope.user_id == user.id)
        ).all()
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert sorted(held, key=str) == sorted([(yen_dung, None), (None, stc)], key=str)
    assert (event.actor, event.action, event.field, event.old_value, event.new_value) == (
        "admin",
        "set_scope",
        "scope",
        "Huyện Yên Dũng",
        "Huyện Yên Dũng; Sở Tài chính",
    )


def test_picking_another_user_shows_that_users_role_and_scope_and_saves_them_unchanged(db):
    at = open_page("admin", "pages/admin.py")  # "admin" is picked first: an administrator, no scope
    assert keyed(at.selectbox, "admin_role_role").value == "admin"
    at.selectbox(key="admin_pick").set_value("dp.lucngan").run()
    assert keyed(at.selectbox, "admin_role_role").value == "dieu_phoi"
    assert keyed(at.selectbox, "admin_role_locality").value == "luc-ngan"
    assert keyed(at.multiselect, "admin_scope_locality").value == [luc_ngan := locality_id(db, "luc-ngan")]
    at.selectbox(key="admin_pick").set_value("dp.yendung").run()
    assert keyed(at.multiselect, "admin_scope_locality").value == [locality_id(db, "yen-dung")]
    # Saving the form untouched keeps dp.yendung as it was (before, it held the first user's values).
    at.button(key="FormSubmitter:admin_role-Lưu vai trò").click().run()
    at.button(key="FormSubmitter:admin_scope-Lưu phạm vi").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with transaction(db) as s:
        user = s.scalar(select(User).where(User.username == "dp.yendung"))
        held = s.scalars(select(UserScope.locality_id).where(UserScope.user_id == user.id)).all()
    assert (user.role, held) == ("dieu_phoi", [locality_id(db, "yen-dung")])
    assert luc_ngan not in held


def locality_id(db, code: str) -> int:
    with transaction(db) as s:
        return s.scalar(select(Locality.id).where(Locality.code == code))


# The demo's district coordinators still hold their former districts, which ended in 2025: flagged.
DISTRICTS = [
    "Huyện Lục Ngạn (đến 30/06/2025)",
    "Huyện Yên Dũng (đến 31/12/2024)",
    "Thành phố Bắc Giang (đến 30/06/2025)",
    "Thị xã Việt Yên (đến 30/06/2025)",
]


def _flagged(names):
    return f"Phạm vi trỏ tới đơn vị đã kết thúc: {', '.join(sorted(names))}."


def test_the_admin_is_told_of_a_scope_on_an_ended_body_and_replaces_it_in_one_click(db):
    """dm.nenh was given phường Nếnh of the old map (ended 30/06/2025, merged into today's phường Nếnh)."""
    with transaction(db, write=True) as s:
        user = s.scalar(select(User).where(User.username == "dm.nenh"))
        old, today = (
            s.scalars(select(Unit.id).where(Unit.name == "Nếnh").order_by(Unit.valid_from.is_(None).desc()))
        ).all()
        assert s.get(Unit, old).valid_to == date(2025, 6, 30) and s.get(Unit, today).valid_to is None
        s.execute(
            update(UserScope)
            .where(UserScope.user_id == user.id, UserScope.unit_id == today)
            .values(unit_id=old)
        )
    at = open_page("admin", "pages/admin.py")
    assert [w.value for w in at.warning] == [
        _flagged([*DISTRICTS, "Phường Nếnh (Thị xã Việt Yên) (đến 30/06/2025)"])
    ]
    at.button(key="admin_scope_replace_0").click().run()  # dm.nenh comes first
    assert not at.exception
    assert [w.value for w in at.warning] == [_flagged(DISTRICTS)]
    with transaction(db) as s:
        held = s.execute(
            select(UserScope.unit_id, UserScope.agency_id)
            .where(UserScope.user_id == user.id)
            .order_by(UserScope.id)
        ).all()
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        police = s.scalar(select(Agency.id).where(Agency.code == "ca-p-nenh"))
    assert sorted(held, key=str) == sorted([(today, None), (None, police)], key=str)
    assert (event.action, event.new_value) == (
        "set_scope",
        "Phường Nếnh (Thị xã Việt Yên); Công an phường Nếnh",
    )
    assert event.reason.startswith("Thay đơn vị đã kết thúc “Phường Nếnh (Thị xã Việt Yên)”")


def test_a_focal_point_without_any_body_sees_no_rows_and_is_told_why(db):
    with transaction(db, write=True) as s:
        user = s.scalar(select(User).where(User.username == "dm.sotaichinh"))
        s.execute(delete(UserScope).where(UserScope.user_id == user.id))
        assert s.scalar(select(func.count()).select_from(UserScope).where(UserScope.user_id == user.id)) == 0
    at = open_tasks("dm.sotaichinh")
    assert any("chưa được giao" in i.value for i in at.info)
    assert "tasks_shown" not in at.session_state or at.session_state["tasks_shown"] == []
