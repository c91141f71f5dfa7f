"""Role and locality scope enforced by the data layer itself, with the UI out of the way."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select, update

from lib.core.filters import Filters
from lib.core.roles import PermissionDenied, Refused
from lib.data import accounts, queries
from lib.data.db import transaction
from lib.data.models import Agency, AuditEvent, HqProject, Locality, ModelWard, Task, Unit, User
from lib.editing import actions, changeset, creation
from lib.ops.seed import seed_demo

NOW = datetime(2026, 11, 29, 10, 0)
TODAY = date(2026, 11, 29)


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def actor(engine, username):
    with transaction(engine) as s:
        return accounts.actor_for(s.scalar(select(User).where(User.username == username)))


def task_of(engine, locality):
    """An unfinished task of a locality (None: province level), with its id and version."""
    with transaction(engine) as s:
        stmt = select(Task).where(Task.state == "dang_thuc_hien").order_by(Task.id)
        if locality is None:
            stmt = stmt.where(Task.locality_id.is_(None))
        else:
            stmt = stmt.join(Locality, Locality.id == Task.locality_id).where(Locality.code == locality)
        return s.scalars(stmt).first()


def save(engine, who, changes):
    return actions.perform(
        engine, who, changeset.apply_changes, changeset.TASKS, changes, now=NOW, today=TODAY
    )


def snapshot(engine):
    with transaction(engine) as s:
        return [
            (t.id, t.version, t.progress_pct, t.notes, t.locality_id, t.current_deadline)
            for t in s.scalars(select(Task).order_by(Task.id))
        ]


def last_event(engine):
    with transaction(engine) as s:
        return s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()


def test_a_coordinator_reads_only_their_own_rows_for_editing(demo):
    me = actor(demo, "dp.lucngan")
    with transaction(demo) as s:
        rows = queries.list_tasks_for_edit(s, me, Filters(), TODAY, 30, offset=0, limit=500)
        own = s.scalar(
            select(func.count()).select_from(Task).join(Locality).where(Locality.code == "luc-ngan")
        )
    assert len(rows) == own > 0
    assert {r["locality"] for r in rows} == {"Huyện Lục Ngạn"}
    with transaction(demo) as s:  # another district's filter shows none of its rows
        assert (
            queries.list_tasks_for_edit(
                s, me, Filters(localities=("viet-yen",)), TODAY, 30, offset=0, limit=50
            )
            == []
        )
    for reader in ("lanhdao",):
        with pytest.raises(PermissionDenied, match="chỉ được xem"), transaction(demo) as s:
            queries.list_tasks_for_edit(s, actor(demo, reader), Filters(), TODAY, 30, offset=0, limit=50)


def test_a_coordinator_saves_their_own_row(demo):
    row = task_of(demo, "luc-ngan")
    result = save(
        demo,
        actor(demo, "dp.lucngan"),
        [changeset.RowChange(row.id, row.version, {"progress_pct": 77, "notes": "Đã họp giao ban"})],
    )
    assert result.rows == (row.id,) and result.cells == 2
    with transaction(demo) as s:
        saved = s.get(Task, row.id)
        assert (saved.progress_pct, saved.notes, saved.version, saved.updated_by) == (
            77,
            "Đã họp giao ban",
            row.version + 1,
            "dp.lucngan",
        )
    assert last_event(demo).action == "update"


@pytest.mark.parametrize(
    ("who", "target", "values", "message"),
    [
        ("dp.lucngan", "viet-yen", {"progress_pct": 90}, "không thuộc phạm vi bạn phụ trách"),
        ("dp.lucngan", None, {"progress_pct": 90}, "không thuộc phạm vi bạn phụ trách"),
        ("dp.lucngan", "luc-ngan", {"locality_id": 3}, "Cột “locality_id” không được sửa"),
        ("dp.lucngan", "viet-yen", {"locality_id": 1}, "Cột “locality_id” không được sửa"),
        ("dp.lucngan", "luc-ngan", {"unit_id": 1}, "không được sửa"),
        ("dp.lucngan", "luc-ngan", {"version": 99}, "không được sửa"),
        ("dp.lucngan", "luc-ngan", {"original_deadline": "2030-01-01"}, "không được sửa"),
        (
            "dp.lucngan",
            "luc-ngan",
            {"current_deadline": "2030-01-01", "extension_doc": "1/UBND"},
            "không được sửa cột “Hạn hiện tại”",
        ),
        ("lanhdao", "luc-ngan", {"notes": "x"}, "chỉ được xem"),
        ("lanhdao", None, {"notes": "x"}, "chỉ được xem"),
    ],
)
def test_bypass_attempts_are_refused_recorded_and_write_nothing(demo, who, target, values, message):
    before = snapshot(demo)
    row = task_of(demo, target)
    with pytest.raises(PermissionDenied, match=message):
        save(demo, actor(demo, who), [changeset.RowChange(row.id, row.version, values)])
    assert snapshot(demo) == before
    event = last_event(demo)
    assert (event.actor, event.action, event.entity) == (who, "refused", "task")
    assert message.split("“")[0].strip() in event.reason


def test_a_mixed_batch_is_refused_whole(demo):
    mine, theirs = task_of(demo, "luc-ngan"), task_of(demo, "bac-giang")
    before = snapshot(demo)
    with pytest.raises(PermissionDenied):
        save(
            demo,
            actor(demo, "dp.lucngan"),
            [
                changeset.RowChange(mine.id, mine.version, {"notes": "của tôi"}),
                changeset.RowChange(theirs.id, theirs.version, {"notes": "của người khác"}),
            ],
        )
    assert snapshot(demo) == before


def test_an_unknown_row_is_refused_and_recorded(demo):
    with pytest.raises(Refused, match="người khác thay đổi"):
        save(demo, actor(demo, "vanphong"), [changeset.RowChange(999_999, 1, {"notes": "x"})])
    assert last_event(demo).action == "refused_conflict"


def test_the_office_edits_any_locality_and_extends_deadlines_with_a_document(demo):
    office = actor(demo, "vanphong")
    row = task_of(demo, "viet-yen")
    with pytest.raises(Refused, match="văn bản cho phép gia hạn"):
        save(demo, office, [changeset.RowChange(row.id, row.version, {"current_deadline": "2027-03-31"})])
    save(
        demo,
        office,
        [
            changeset.RowChange(
                row.id, row.version, {"current_deadline": "31/03/2027", "extension_doc": "123/UBND-NC"}
            )
        ],
    )
    with transaction(demo) as s:
        saved = s.get(Task, row.id)
        assert saved.current_deadline == date(2027, 3, 31)
        assert saved.original_deadline == row.original_deadline  # the original never changes
        assert saved.extension_doc == "123/UBND-NC"


# --- the same scope on headquarters projects and model wards ---------------------------------------


def row_of(engine, spec, locality):
    """The first row of a headquarters or ward table in a locality."""
    model = spec.model
    with transaction(engine) as s:
        return s.scalars(
            select(model)
            .join(Unit, Unit.id == model.unit_id)
            .join(Locality, Locality.id == Unit.locality_id)
            .where(Locality.code == locality)
            .order_by(model.id)
        ).first()


def table_snapshot(engine, spec):
    with transaction(engine) as s:
        return [tuple(r) for r in s.execute(select(spec.model.__table__).order_by(spec.model.id))]


@pytest.mark.parametrize(
    ("spec", "who", "target", "values", "message"),
    [
        (changeset.HQ, "dp.lucngan", "viet-yen", {"disbursed_vnd": 0}, "không thuộc phạm vi bạn phụ trách"),
        (changeset.HQ, "dp.bacgiang", "chu", {"notes": "x"}, "không thuộc phạm vi bạn phụ trách"),
        (changeset.HQ, "dp.bacgiang", "bac-giang", {"unit_id": 1}, "Cột “unit_id” không được sửa"),
        (changeset.HQ, "dp.bacgiang", "bac-giang", {"version": 99}, "không được sửa"),
        (changeset.HQ, "dp.bacgiang", "bac-giang", {"updated_by": "admin"}, "không được sửa"),
        (changeset.HQ, "lanhdao", "bac-giang", {"planned_vnd": 1}, "chỉ được xem"),
        (
            changeset.WARDS,
            "dp.vietyen",
            "bac-giang",
            {"criteria_met": 22},
            "không thuộc phạm vi bạn phụ trách",
        ),
        (changeset.WARDS, "dp.bacgiang", "bac-giang", {"year_registered": 2030}, "không được sửa"),
        (changeset.WARDS, "dp.bacgiang", "bac-giang", {"unit_id": 1}, "không được sửa"),
        (changeset.WARDS, "lanhdao", "viet-yen", {"notes": "x"}, "chỉ được xem"),
    ],
    ids=lambda v: v.entity if isinstance(v, changeset.TableSpec) else None,
)
def test_headquarters_and_ward_bypass_attempts_are_refused_recorded_and_write_nothing(
    demo, spec, who, target, values, message
):
    before = table_snapshot(demo, spec)
    row = row_of(demo, spec, target)
    with pytest.raises(PermissionDenied, match=message):
        actions.perform(
            demo,
            actor(demo, who),
            changeset.apply_changes,
            spec,
            [changeset.RowChange(row.id, row.version, values)],
            now=NOW,
            today=TODAY,
        )
    assert table_snapshot(demo, spec) == before
    event = last_event(demo)
    assert (event.actor, event.action, event.entity) == (who, "refused", spec.entity)


@pytest.mark.parametrize(
    ("read", "who", "localities"),
    [
        ("hq", "dp.lucngan", ("viet-yen",)),
        ("hq", "lanhdao", ()),
        ("wards", "dp.vietyen", ("bac-giang",)),
        ("wards", "lanhdao", ()),
    ],
)
def test_headquarters_and_wards_are_read_for_editing_only_within_scope(demo, read, who, localities):
    """A reader is refused; a focal point asking for another district gets none of its rows."""
    from lib.core.filters import HqFilters
    from lib.data import projects

    me = actor(demo, who)

    def read_rows():
        with transaction(demo) as s:
            if read == "hq":
                return projects.list_hq_for_edit(s, me, HqFilters(localities), TODAY, 90, offset=0, limit=50)
            return projects.list_wards_for_edit(s, me, localities)

    if who == "lanhdao":
        with pytest.raises(PermissionDenied, match="chỉ được xem"):
            read_rows()
    else:
        assert read_rows() == []


def test_a_coordinator_reads_only_their_own_projects_and_wards_for_editing(demo):
    from lib.core.filters import HqFilters
    from lib.data import projects

    me = actor(demo, "dp.bacgiang")
    with transaction(demo) as s:
        hq = projects.list_hq_for_edit(s, me, HqFilters(), TODAY, 90, offset=0, limit=500)
        wards = projects.list_wards_for_edit(s, me, ())
    # 16 projects of the city's own wards, and since 1/1/2025 the 8 of huyện Yên Dũng: 7 open and one
    # finished on 29/05/2026, after the merger (a row finished on or after that day passes too).
    assert len(hq) == 24 and {r["locality_code"] for r in hq} == {"bac-giang"}
    # Five registrations in the city, all passed to phường Bắc Giang on 1/7/2025, one a year kept: the
    # 2024 one recognised on 14/11/2025 (after that day, so it passed too) took in the other of 2024,
    # the 2025 one the other two of 2025 (merged).
    assert sorted((r["unit"], r["year_registered"]) for r in wards) == [
        ("Bắc Giang", 2024),
        ("Bắc Giang", 2025),
    ]
    assert {r["locality_code"] for r in wards} == {"bac-giang"}


# --- adding and retiring rows: the same scope, refused and recorded -----------------------------------


def _unit(engine, locality, *, wards_only=False):
    with transaction(engine) as s:
        stmt = (
            select(Unit.id)
            .join(Locality)
            .where(Locality.code == locality, Unit.valid_to.is_(None))  # a phường, xã of today
            .order_by(Unit.id)
        )
        if wards_only:
            stmt = stmt.where(Unit.kind == "phuong", Unit.id.not_in(select(ModelWard.unit_id)))
        return s.scalar(stmt.limit(1))


def _retire_unit_and_agency(engine):
    """Retire one unit of Lục Ngạn and one agency (they stay, no longer offered for new rows)."""
    with transaction(engine, write=True) as s:
        unit = s.scalar(
            select(Unit.id)
            .join(Locality)
            .where(Locality.code == "luc-ngan", Unit.valid_to.is_(None))  # a xã of today
            .order_by(Unit.id)
        )
        s.execute(update(Unit).where(Unit.id == unit).values(retired_on=date(2025, 1, 1)))
        agency = s.scalar(select(Agency.id).where(Agency.code == "sxd"))
        s.execute(update(Agency).where(Agency.id == agency).values(retired_on=date(2025, 1, 1)))
    return unit, agency


def _ended_unit(engine, name):
    with transaction(engine) as s:
        return s.scalar(select(Unit.id).where(Unit.name == name, Unit.valid_to.is_not(None)))


def _new_task(engine, **values):
    with transaction(engine) as s:
        base = {
            "title": "Nhiệm vụ thử",
            "document_id": s.scalar(select(Task.document_id).where(Task.document_id.is_not(None)).limit(1)),
            "lead_agency_id": s.scalar(select(Agency.id).where(Agency.code == "cat-bn")),
        }
    return base | values


def _add(spec, values):
    def run(engine, who):
        return actions.perform(
            engine, who, creation.create_rows, spec, [creation.NewRow(values(engine))], now=NOW, today=TODAY
        )

    return run


def _retire(spec, locality, **kw):
    def run(engine, who):
        row = row_of(engine, spec, locality)
        merged_into = kw.get("merged_into")
        if callable(merged_into):
            merged_into = merged_into(engine)
        return actions.perform(
            engine,
            who,
            changeset.retire_row,
            spec,
            row.id,
            row.version,
            lifecycle=kw.get("lifecycle", "stopped"),
            document=kw.get("document", "1/QĐ-UBND"),
            reason=kw.get("reason", "Theo văn bản"),
            merged_into=merged_into,
            now=NOW,
            today=TODAY,
        )

    return run


def _update(spec, locality, values):
    def run(engine, who):
        row = row_of(engine, spec, locality)
        return actions.perform(
            engine,
            who,
            changeset.apply_changes,
            spec,
            [changeset.RowChange(row.id, row.version, values)],
            now=NOW,
            today=TODAY,
        )

    return run


REGISTER_BYPASSES = {
    "coordinator adds a project in another locality": (
        "dp.lucngan",
        _add(creation.NEW_HQ, lambda e: {"unit_id": _unit(e, "viet-yen")}),
        PermissionDenied,
        "mình phụ trách",
    ),
    "coordinator registers a ward of another locality": (
        "dp.vietyen",
        _add(
            creation.NEW_WARD,
            lambda e: {"unit_id": _unit(e, "bac-giang", wards_only=True), "year_registered": 2027},
        ),
        PermissionDenied,
        "mình phụ trách",
    ),
    "read-only role adds a project": (
        "lanhdao",
        _add(creation.NEW_HQ, lambda e: {"unit_id": _unit(e, "viet-yen")}),
        PermissionDenied,
        "chỉ được xem",
    ),
    "coordinator assigns a task": (
        "dp.lucngan",
        _add(creation.NEW_TASK, _new_task),
        PermissionDenied,
        "không được thêm",
    ),
    "a project on a retired unit": (
        "vanphong",
        _add(creation.NEW_HQ, lambda e: {"unit_id": _retire_unit_and_agency(e)[0]}),
        Refused,
        "đã thôi sử dụng",
    ),
    "a task led by a retired agency": (
        "vanphong",
        _add(creation.NEW_TASK, lambda e: _new_task(e, lead_agency_id=_retire_unit_and_agency(e)[1])),
        Refused,
        "đã thôi sử dụng",
    ),
    "a project on a phường that ended in 2025": (
        "vanphong",
        _add(creation.NEW_HQ, lambda e: {"unit_id": _ended_unit(e, "Trần Phú")}),
        Refused,
        "Cột “Phường, xã”: “Trần Phú” đã kết thúc hoạt động từ 01/07/2025",
    ),
    "a task with a retired cooperating agency": (
        "vanphong",
        _add(creation.NEW_TASK, lambda e: _new_task(e, cooperators=[_retire_unit_and_agency(e)[1]])),
        Refused,
        "đã thôi sử dụng",
    ),
    "coordinator retires another locality's project": (
        "dp.lucngan",
        _retire(changeset.HQ, "viet-yen"),
        PermissionDenied,
        "không thuộc phạm vi bạn phụ trách",
    ),
    "coordinator retires another locality's registration": (
        "dp.vietyen",
        _retire(changeset.WARDS, "bac-giang"),
        PermissionDenied,
        "không thuộc phạm vi bạn phụ trách",
    ),
    "read-only role retires": (
        "lanhdao",
        _retire(changeset.HQ, "bac-giang"),
        PermissionDenied,
        "chỉ được xem",
    ),
    "retiring without a reason": (
        "dp.bacgiang",
        _retire(changeset.HQ, "bac-giang", reason=""),
        Refused,
        "Lý do",
    ),
    "retiring without a document": (
        "dp.bacgiang",
        _retire(changeset.WARDS, "bac-giang", document=" "),
        Refused,
        "phải ghi số văn bản",
    ),
    "merging into another locality's project": (
        "vanphong",
        _retire(
            changeset.HQ,
            "bac-giang",
            lifecycle="merged",
            merged_into=lambda e: row_of(e, changeset.HQ, "viet-yen").id,
        ),
        Refused,
        "thuộc địa bàn khác",
    ),
    "coordinator merges into another locality's registration": (
        "dp.bacgiang",
        _retire(
            changeset.WARDS,
            "bac-giang",
            lifecycle="merged",
            merged_into=lambda e: row_of(e, changeset.WARDS, "viet-yen").id,
        ),
        Refused,
        "thuộc địa bàn khác",
    ),
    "the lifecycle in a plain edit": (
        "dp.bacgiang",
        _update(changeset.HQ, "bac-giang", {"lifecycle": "cancelled", "lifecycle_doc": "x"}),
        PermissionDenied,
        "chỉ đổi được bằng thao tác",
    ),
}


def register_snapshot(engine):
    with transaction(engine) as s:
        return {
            model.__tablename__: [tuple(r) for r in s.execute(select(model.__table__).order_by(model.id))]
            for model in (Task, HqProject, ModelWard)
        }


@pytest.mark.parametrize("case", list(REGISTER_BYPASSES), ids=str)
def test_adding_and_retiring_bypasses_are_refused_recorded_and_write_nothing(demo, case):
    who, run, expected, message = REGISTER_BYPASSES[case]
    before = register_snapshot(demo)
    me = actor(demo, who)
    with pytest.raises(expected, match=message) as caught:
        run(demo, me)
    assert register_snapshot(demo) == before
    event = last_event(demo)
    assert (event.actor, event.action) == (who, caught.value.action)
    assert event.action.startswith("refused")
    assert message.split("“")[0].strip() in event.reason
