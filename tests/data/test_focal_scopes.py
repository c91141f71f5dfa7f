"""Scopes as sets of bodies, enforced by the data layer on both engines: a department's focal point
edits the tasks it leads and nothing else; a ward's focal point that ward's tasks, projects and
registrations (also through its UBND or Công an); a former district's focal point their group after
the district level ended. Every way round it — a forged change set, a draft, an import file, a new
row naming another body — is refused with a Vietnamese message, recorded, and writes nothing."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from lib.core.filters import Filters, HqFilters
from lib.core.roles import PermissionDenied, Refused
from lib.core.scopes import Scope
from lib.data import accounts, projects, queries
from lib.data.db import transaction
from lib.data.models import Agency, AuditEvent, HqProject, Locality, ModelWard, Task, Unit, User, UserScope
from lib.editing import actions, changeset, creation, drafts
from lib.files import export, importer
from lib.ops.seed import seed_demo

NOW = datetime(2026, 11, 29, 10, 0)
TODAY = date(2026, 11, 29)
OUT = "không thuộc phạm vi bạn phụ trách"


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def actor(engine, username):
    with transaction(engine) as s:
        return accounts.actor_for(s.scalar(select(User).where(User.username == username)))


def ids(engine, stmt):
    with transaction(engine) as s:
        return sorted(s.scalars(stmt))


def unit_id(engine, name):
    """The unit of that name valid today, else (a unit the 2025 reorganisations ended) its last row."""
    with transaction(engine) as s:
        rows = s.execute(select(Unit.id, Unit.valid_to).where(Unit.name == name).order_by(Unit.id)).all()
    today = [i for i, valid_to in rows if valid_to is None or valid_to >= TODAY]
    return (today or [rows[-1][0]])[0]


def agency_id(engine, code):
    return ids(engine, select(Agency.id).where(Agency.code == code))[0]


def snapshot(engine):
    with transaction(engine) as s:
        return {
            model.__tablename__: [tuple(r) for r in s.execute(select(model.__table__).order_by(model.id))]
            for model in (Task, HqProject, ModelWard)
        }


def last_event(engine):
    with transaction(engine) as s:
        return s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()


def save(engine, who, spec, row_id, values):
    with transaction(engine) as s:
        version = s.get(spec.model, row_id).version
    return actions.perform(
        engine,
        who,
        changeset.apply_changes,
        spec,
        [changeset.RowChange(row_id, version, values)],
        now=NOW,
        today=TODAY,
    )


def editable(engine, who):
    """The ids of the tasks, projects and registrations the editors list for this user."""
    with transaction(engine) as s:
        tasks = queries.list_tasks_for_edit(s, who, Filters(), TODAY, 30, offset=0, limit=10_000)
        hq = projects.list_hq_for_edit(s, who, HqFilters(), TODAY, 90, offset=0, limit=10_000)
        wards = projects.list_wards_for_edit(s, who, ())
        counted = queries.count_tasks(s, Filters(scope=who.scope), TODAY, 30)
    assert counted == len(tasks)  # the pager's count is the editor's rows
    return sorted(r["id"] for r in tasks), sorted(r["id"] for r in hq), sorted(r["id"] for r in wards)


# --- the rule itself -----------------------------------------------------------------------------------


def test_the_rule_covers_locality_unit_and_agency_and_a_unit_through_its_agencies():
    # Agency 7 is the Công an of unit 18; agency 8 the UBND of unit 30.
    scope = Scope.of([1], [30], [2, 7], agency_units=[(7, 18), (8, 30), (2, None)])
    assert scope.covers(1, None) and scope.covers(None, 18) and scope.covers(None, 30)
    assert scope.covers(None, None, [2]) and scope.covers(None, None, [8])  # the UBND of a unit held
    assert not scope.covers(3, 17, [5]) and not scope.covers(None, None, [None])
    assert not Scope().covers(1, 18, [2])


# --- what each kind of focal point edits ---------------------------------------------------------------


def test_a_department_focal_point_edits_the_tasks_it_leads_and_nothing_else(demo):
    me = actor(demo, "dm.sotaichinh")
    stc = agency_id(demo, "stc")
    led = ids(demo, select(Task.id).where(Task.lead_agency_id == stc))
    # its own tasks, and those of Sở Kế hoạch và Đầu tư not finished before it merged in (1/3/2025)
    assert len(led) == 6
    assert editable(demo, me) == (led, [], [])
    open_one = ids(demo, select(Task.id).where(Task.lead_agency_id == stc, Task.state != "hoan_thanh"))[0]
    save(demo, me, changeset.TASKS, open_one, {"progress_pct": 60, "notes": "Sở đã trình phương án"})
    with transaction(demo) as s:
        row = s.get(Task, open_one)
        assert (row.progress_pct, row.notes, row.updated_by) == (60, "Sở đã trình phương án", "dm.sotaichinh")
    other = ids(demo, select(Task.id).where(Task.lead_agency_id != stc))[0]
    hq = ids(demo, select(HqProject.id))[0]
    before = snapshot(demo)
    for spec, row_id in ((changeset.TASKS, other), (changeset.HQ, hq)):
        with pytest.raises(PermissionDenied, match=OUT):
            save(demo, me, spec, row_id, {"notes": "sửa hộ"})
        event = last_event(demo)
        assert (event.actor, event.action, event.row_id) == ("dm.sotaichinh", "refused", row_id)
    assert snapshot(demo) == before


def test_a_ward_focal_point_edits_that_wards_tasks_projects_and_registrations(demo):
    me = actor(demo, "dm.nenh")
    nenh = unit_id(demo, "Nếnh")  # today's phường Nếnh (from 1/7/2025), with what passed to it
    task = ids(demo, select(Task.id).where(Task.locality_id.is_not(None)))[-1]
    with transaction(demo, write=True) as s:  # the office gives Nếnh a task of its own
        s.execute(update(Task).where(Task.id == task).values(unit_id=nenh))
    hq = ids(demo, select(HqProject.id).where(HqProject.unit_id == nenh))
    wards = ids(demo, select(ModelWard.id).where(ModelWard.unit_id == nenh))
    # On 1/7/2025 it took the projects of the old Nếnh, Tăng Tiến, Vân Trung and Quang Châu: two open,
    # two finished in 2026 (a row finished on or after that day passes too); and one registration.
    assert (len(hq), len(wards)) == (4, 1)
    assert editable(demo, me) == ([task], hq, wards)
    save(demo, me, changeset.TASKS, task, {"state": "dang_thuc_hien", "progress_pct": 30})
    save(demo, me, changeset.HQ, hq[0], {"notes": "Đã có mặt bằng"})
    save(demo, me, changeset.WARDS, wards[0], {"criteria_met": 20})
    neighbour = ids(
        demo,
        select(HqProject.id)
        .join(Unit, Unit.id == HqProject.unit_id)
        .where(Unit.name == "Việt Yên", Unit.valid_to.is_(None)),  # same former district, not theirs
    )[0]
    before = snapshot(demo)
    with pytest.raises(PermissionDenied, match=OUT):
        save(demo, me, changeset.HQ, neighbour, {"notes": "sửa hộ phường bên"})
    assert snapshot(demo) == before


def test_the_police_of_a_ward_stands_for_the_ward_and_the_ward_for_its_police(demo):
    nenh = unit_id(demo, "Nếnh")
    with transaction(demo, write=True) as s:
        police = s.scalar(select(Agency).where(Agency.code == "ca-p-nenh"))
        assert (police.name, police.unit_id) == ("Công an phường Nếnh", nenh)
        user = s.scalar(select(User).where(User.username == "dp.yendung"))
        s.execute(UserScope.__table__.delete().where(UserScope.user_id == user.id))
        s.add(UserScope(user_id=user.id, agency_id=police.id))
        ward_user = s.scalar(select(User).where(User.username == "dm.nenh"))
        s.execute(  # the ward's focal point holds the ward alone: its police comes through it
            UserScope.__table__.delete().where(
                UserScope.user_id == ward_user.id, UserScope.agency_id == police.id
            )
        )
        task = s.scalar(select(Task).where(Task.locality_id.is_not(None)).order_by(Task.id))
        task.lead_agency_id = police.id  # a task the ward's police leads
        task_id, police_id = task.id, police.id
    police_point, ward_point = actor(demo, "dp.yendung"), actor(demo, "dm.nenh")
    hq = ids(demo, select(HqProject.id).where(HqProject.unit_id == nenh))
    assert police_point.scope.unit_rows == {nenh} and police_id in ward_point.scope.lead_agencies
    assert task_id in editable(demo, police_point)[0] and editable(demo, police_point)[1] == hq
    assert task_id in editable(demo, ward_point)[0]
    save(demo, police_point, changeset.HQ, hq[0], {"notes": "Công an phường cập nhật"})
    save(demo, ward_point, changeset.TASKS, task_id, {"notes": "Phường cập nhật"})


def test_a_former_district_focal_point_edits_their_group_after_the_district_level_ended(demo):
    new = unit_id(demo, "Việt Yên")  # the phường formed on 1/7/2025
    with transaction(demo) as s:
        viet_yen = s.scalar(select(Locality).where(Locality.code == "viet-yen"))
        assert viet_yen.valid_to == date(2025, 6, 30)
        assert (s.get(Unit, new).locality_id, s.get(Unit, new).valid_from) == (viet_yen.id, date(2025, 7, 1))
        # a project passed to the new phường grouped under the former district
        row_id = s.scalar(select(HqProject.id).where(HqProject.unit_id == new).order_by(HqProject.id))
    me = actor(demo, "dp.vietyen")
    assert row_id in editable(demo, me)[1]
    save(demo, me, changeset.HQ, row_id, {"notes": "Phường Việt Yên (mới) cập nhật"})
    with pytest.raises(PermissionDenied, match=OUT):
        save(demo, actor(demo, "dp.bacgiang"), changeset.HQ, row_id, {"notes": "x"})


# --- bypasses -------------------------------------------------------------------------------------------


def test_a_forged_change_set_mixing_a_row_in_scope_with_one_outside_writes_nothing(demo):
    me = actor(demo, "dm.sotaichinh")
    stc = agency_id(demo, "stc")
    mine = ids(demo, select(Task.id).where(Task.lead_agency_id == stc))[0]
    theirs = ids(demo, select(Task.id).where(Task.lead_agency_id != stc))[0]
    with transaction(demo) as s:
        versions = {t.id: t.version for t in s.scalars(select(Task).where(Task.id.in_([mine, theirs])))}
    before = snapshot(demo)
    with pytest.raises(PermissionDenied, match=f"Dòng mã {theirs} {OUT}"):
        actions.perform(
            demo,
            me,
            changeset.apply_changes,
            changeset.TASKS,
            [changeset.RowChange(i, versions[i], {"notes": "lô giả mạo"}) for i in (mine, theirs)],
            now=NOW,
            today=TODAY,
        )
    assert snapshot(demo) == before


def test_the_update_itself_carries_the_scope(demo):
    """Even past the Python check (a row moved out of scope between read and write), the UPDATE's
    own condition holds the row back: nothing is written."""
    me = actor(demo, "dm.sotaichinh")
    stc = agency_id(demo, "stc")
    row_id = ids(demo, select(Task.id).where(Task.lead_agency_id == stc))[0]
    with transaction(demo, write=True) as s:
        row = s.get(Task, row_id)
        change = changeset.RowChange(row.id, row.version, {"notes": "x"})
        s.execute(update(Task).where(Task.id == row_id).values(lead_agency_id=agency_id(demo, "sxd")))
        with pytest.raises(changeset.ConflictError):
            changeset._write_row(s, me, changeset.TASKS, change, row, row.locality_id, {"notes": "x"}, NOW)
        s.rollback()


def test_a_draft_of_a_row_outside_the_scope_is_not_shown_again(demo):
    me = actor(demo, "dm.nenh")
    theirs = ids(demo, select(HqProject.id))
    with transaction(demo) as s:
        shown = drafts.get_shown_rows(s, me, changeset.HQ, theirs)
    assert sorted(shown) == editable(demo, me)[1]


def test_an_import_file_naming_a_row_outside_the_scope_is_refused_whole(demo):
    me = actor(demo, "dm.sotaichinh")
    with transaction(demo) as s:
        rows = queries.list_tasks(s, Filters(scope=me.scope), TODAY, 30, offset=0, limit=100)
        others = queries.list_tasks(s, Filters(localities=("luc-ngan",)), TODAY, 30, offset=0, limit=1)
    sheet = export.Sheet("Nhiệm vụ", "Danh sách", TODAY, export.TASK_LAYOUT, export.task_rows(rows, "k"))
    theirs = export.Sheet("Nhiệm vụ", "Danh sách", TODAY, export.TASK_LAYOUT, export.task_rows(others, "k"))
    book = load_workbook(io.BytesIO(export.workbook_bytes([sheet])))
    extra = load_workbook(io.BytesIO(export.workbook_bytes([theirs]))).worksheets[0]
    book.worksheets[0].append([c.value for c in extra[export.FIRST_DATA_ROW]])
    out = io.BytesIO()
    book.save(out)
    parsed = importer.read_xlsx(out.getvalue(), changeset.TASKS, export.TASK_LAYOUT)
    before = snapshot(demo)
    with pytest.raises(PermissionDenied, match=OUT), transaction(demo) as s:
        importer.load_current(s, me, changeset.TASKS, parsed)
    assert snapshot(demo) == before


@pytest.mark.parametrize(
    ("who", "spec", "unit"),
    [
        ("dm.nenh", creation.NEW_HQ, "Việt Yên"),  # another phường of the same former district
        ("dm.sotaichinh", creation.NEW_HQ, "Nếnh"),  # a department adds no ward's project
        ("dm.nenh", creation.NEW_WARD, "Tự Lạn"),
    ],
)
def test_a_new_row_naming_a_body_outside_the_scope_is_refused(demo, who, spec, unit):
    values = {"unit_id": unit_id(demo, unit)}
    if spec is creation.NEW_WARD:
        values["year_registered"] = 2026
    before = snapshot(demo)
    with pytest.raises(PermissionDenied, match=OUT):
        actions.perform(
            demo,
            actor(demo, who),
            creation.create_rows,
            spec,
            [creation.NewRow(values)],
            now=NOW,
            today=TODAY,
        )
    assert snapshot(demo) == before
    event = last_event(demo)
    assert (event.actor, event.action) == (who, "refused") and OUT in event.reason


def test_a_ward_focal_point_adds_a_project_for_their_own_ward(demo):
    me = actor(demo, "dm.nenh")
    with transaction(demo, write=True) as s:  # Nếnh's projects are cancelled: a new one may follow
        s.execute(
            update(HqProject).where(HqProject.unit_id == unit_id(demo, "Nếnh")).values(lifecycle="cancelled")
        )
    before = ids(demo, select(func.count()).select_from(HqProject))
    result = actions.perform(
        demo,
        me,
        creation.create_rows,
        creation.NEW_HQ,
        [creation.NewRow({"unit_id": unit_id(demo, "Nếnh")})],
        now=NOW,
        today=TODAY,
        confirm_similar=True,
    )
    assert len(result.rows) == 1
    assert ids(demo, select(func.count()).select_from(HqProject)) == [before[0] + 1]


# --- the administrator's writes on scopes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "username", "bodies", "message"),
    [
        ("admin", "dm.nenh", [], "phải được giao ít nhất một"),
        ("admin", "vanphong", [("agency", "stc")], "Chỉ cán bộ đầu mối mới có phạm vi"),
        ("admin", "dm.nenh", [("unit", "ended")], "không còn hiệu lực"),
        ("admin", "dm.nenh", [("agency", 999_999)], "Không có cơ quan, đơn vị mã 999999"),
        ("vanphong", "dm.nenh", [("agency", "stc")], "Chỉ quản trị hệ thống"),
    ],
)
def test_a_scope_that_cannot_be_given_is_refused_and_changes_nothing(demo, who, username, bodies, message):
    from lib.editing import user_admin

    with transaction(demo, write=True) as s:
        ended = s.scalar(select(Unit).where(Unit.name == "Hồng Thái"))
        ended.valid_to = date(2025, 6, 30)
        stc = s.scalar(select(Agency.id).where(Agency.code == "stc"))
        resolved = {"stc": stc, "ended": ended.id}
    given = [(kind, resolved.get(ref, ref)) for kind, ref in bodies]

    def held():
        with transaction(demo) as s:
            return [tuple(r) for r in s.execute(select(UserScope.__table__).order_by(UserScope.id))]

    before = held()
    with pytest.raises(PermissionDenied if who != "admin" else Refused, match=message):
        actions.perform(demo, actor(demo, who), user_admin.set_scope, username, given, NOW)
    assert held() == before
    event = last_event(demo)
    assert (event.actor, event.action) == (who, "refused")


def test_a_new_scope_counts_from_the_next_run(demo):
    """Scopes are read at every run: once the admin gives Sở Xây dựng, the same user edits its tasks."""
    from lib.editing import user_admin

    sxd = agency_id(demo, "sxd")
    task = ids(demo, select(Task.id).where(Task.lead_agency_id == sxd, Task.state != "hoan_thanh"))[0]
    with pytest.raises(PermissionDenied, match=OUT):
        save(demo, actor(demo, "dm.sotaichinh"), changeset.TASKS, task, {"notes": "chưa được giao"})
    stc = agency_id(demo, "stc")
    actions.perform(
        demo,
        actor(demo, "admin"),
        user_admin.set_scope,
        "dm.sotaichinh",
        [("agency", stc), ("agency", sxd)],
        NOW,
    )
    save(
        demo, actor(demo, "dm.sotaichinh"), changeset.TASKS, task, {"notes": "đã được giao thêm Sở Xây dựng"}
    )
    with transaction(demo) as s:
        assert s.get(Task, task).notes == "đã được giao thêm Sở Xây dựng"


def test_a_focal_point_merges_only_into_a_row_of_their_scope(demo):
    """The neighbour's project is in the same district (the merge rule of the office), but not theirs."""
    me = actor(demo, "dm.nenh")
    nenh = unit_id(demo, "Nếnh")
    # Its two open projects (the other two it holds were finished in 2026).
    mine, own_other = ids(
        demo,
        select(HqProject.id).where(HqProject.unit_id == nenh, HqProject.actual_completion_on.is_(None)),
    )
    neighbour = ids(demo, select(HqProject.id).where(HqProject.unit_id == unit_id(demo, "Việt Yên")))[0]

    def merge(target):
        with transaction(demo) as s:
            version = s.get(HqProject, mine).version
        return actions.perform(
            demo,
            me,
            changeset.retire_row,
            changeset.HQ,
            mine,
            version,
            lifecycle="merged",
            document="12/QĐ-UBND",
            reason="Gộp hai dự án",
            merged_into=target,
            now=NOW,
            today=TODAY,
        )

    before = snapshot(demo)
    with pytest.raises(PermissionDenied, match=f"Dự án trụ sở mã {neighbour} {OUT}"):
        merge(neighbour)
    assert snapshot(demo) == before
    merge(own_other)
    with transaction(demo) as s:
        assert (s.get(HqProject, mine).lifecycle, s.get(HqProject, mine).merged_into_id) == (
            "merged",
            own_other,
        )


def test_an_ended_scope_is_offered_the_bodies_that_stand_for_it_today(demo):
    """A scope left on a Yên Dũng xã of 2024: its successor of 1/1/2025 (the same xã in the city) ended
    in turn on 1/7/2025, so the admin is offered the phường or xã of today, never a body gone."""
    from lib.data.scopes import ended_scopes

    with transaction(demo, write=True) as s:
        old = s.scalar(
            select(Unit.id)
            .join(Locality, Locality.id == Unit.locality_id)
            .where(Locality.code == "yen-dung", Unit.valid_to == date(2024, 12, 31))
            .order_by(Unit.id)
            .limit(1)
        )
        user = s.scalar(select(User).where(User.username == "dm.nenh"))
        s.add(UserScope(user_id=user.id, unit_id=old))
    with transaction(demo) as s:
        [flag] = [e for e in ended_scopes(s, TODAY) if e.body_id == old]
        offered = [s.get(Unit, i) for i, _name in flag.successors]
    assert offered and all(u.valid_to is None and u.valid_from == date(2025, 7, 1) for u in offered)
