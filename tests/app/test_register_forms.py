"""Adding and retiring rows on the pages (/tru-so, /phuong-kieu-mau, /nhiem-vu) through AppTest: the
forms' choices, one row per shown form, the look-alike warning, the Vietnamese messages, the toggle
that shows retired rows, and what the database holds afterwards."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, or_, select, update
from streamlit.testing.v1 import AppTest

from lib.core import config
from lib.data.db import make_engine, transaction
from lib.data.models import Agency, AuditEvent, HqProject, Locality, ModelWard, Task, Unit
from tests.support.apptest import open_page

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    monkeypatch.delenv("PAGE_SIZE", raising=False)
    return make_engine(f"sqlite:///{demo_copy}")


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def submit(at: AppTest, form: str) -> AppTest:
    button = next(b for b in at.button if b.key and b.key.startswith(f"FormSubmitter:{form}-"))
    return ok(button.click().run())


def grid(at: AppTest, prefix: str):
    """The table of rows (editor or read-only) of a page: the frame that has the lifecycle column."""
    return next(df.value for df in at.dataframe if "lifecycle" in df.value.columns)


def units_of(db, locality: str) -> dict[int, tuple[str, bool]]:
    """The xã/phường of a (former) district valid today, and whether each has a project."""
    today = config.today()
    with transaction(db) as s:
        rows = s.execute(
            select(Unit.id, Unit.name, HqProject.id.is_not(None))
            .join(Locality)
            .outerjoin(HqProject, (HqProject.unit_id == Unit.id) & (HqProject.lifecycle == "active"))
            .where(Locality.code == locality, Unit.valid_from <= today)
            .where(or_(Unit.valid_to.is_(None), Unit.valid_to >= today))
        ).all()
    return {i: (n, has) for i, n, has in rows}


def count(db, model) -> int:
    with transaction(db) as s:
        return int(s.scalar(select(func.count()).select_from(model)))


# --- /tru-so --------------------------------------------------------------------------------------


def test_a_coordinator_adds_a_project_once_for_a_unit_of_their_own(db):
    units = units_of(db, "luc-ngan")
    retired_unit, free = [i for i, (_, has) in sorted(units.items()) if not has][:2]
    with transaction(db, write=True) as s:
        s.execute(update(Unit).where(Unit.id == retired_unit).values(retired_on=date(2025, 1, 1)))
    at = open_page("dp.lucngan", "pages/hq.py")
    choice = at.selectbox(key="hq_add_0_unit_id")
    # Their own locality's units only, none retired, each named with its kind ("Xã Biên Sơn").
    shown = {option.removeprefix("Phường ").removeprefix("Xã ") for option in choice.options}
    assert len(choice.options) == len(shown) == len(units) - 1
    assert shown == {name for i, (name, _) in units.items() if i != retired_unit}
    before = count(db, HqProject)
    choice.set_value(free)
    at.text_input(key="hq_add_0_planned_vnd").input("5.000.000.000")
    at.text_area(key="hq_add_0_notes").input("Thêm từ biểu mẫu")
    key = at.session_state["hq_add_key"]
    submit(at, "hq_add_form_0")
    assert any("Đã thêm dự án trụ sở mã" in s.value for s in at.success)
    assert count(db, HqProject) == before + 1
    with transaction(db) as s:
        made = s.scalar(select(HqProject).where(HqProject.creation_key == f"{key}:0"))
        assert (made.unit_id, made.planned_vnd, made.notes, made.lifecycle, made.updated_by) == (
            free,
            5_000_000_000,
            "Thêm từ biểu mẫu",
            "active",
            "dp.lucngan",
        )
    assert made.id in set(grid(at, "hq")["id"])  # the new project is in the table
    assert at.session_state["hq_add_key"] != key and at.session_state["hq_add_gen"] == 1

    # The same form sent again (a double click that arrived before the page moved on) adds nothing.
    at.session_state["hq_add_key"] = key
    ok(at.run())
    at.selectbox(key="hq_add_1_unit_id").set_value(free)
    submit(at, "hq_add_form_1")
    assert any("đã được gửi trước đó" in s.value and str(made.id) in s.value for s in at.success)
    assert count(db, HqProject) == before + 1


def test_a_look_alike_project_is_named_and_added_only_on_confirmation(db):
    # a ward of today with a project (today's Lục Ngạn units have none)
    busy = next(i for i, (_, has) in sorted(units_of(db, "bac-giang").items()) if has)
    with transaction(db) as s:
        existing = s.scalar(select(HqProject.id).where(HqProject.unit_id == busy))
    at = open_page("dp.bacgiang", "pages/hq.py")
    before = count(db, HqProject)
    at.selectbox(key="hq_add_0_unit_id").set_value(busy)
    submit(at, "hq_add_form_0")
    warning = next(w.value for w in at.warning if "trông như đã có" in w.value)
    assert f"giống mã {existing}: dự án trụ sở" in warning and "Thành phố Bắc Giang" in warning
    assert count(db, HqProject) == before
    ok(at.button(key="hq_add_confirm").click().run())
    assert count(db, HqProject) == before + 1
    assert not any("trông như đã có" in w.value for w in at.warning)
    with transaction(db) as s:
        refused = s.scalar(select(AuditEvent).where(AuditEvent.action == "refused_duplicate"))
        assert refused.actor == "dp.bacgiang" and str(existing) in refused.reason


def test_bad_input_names_the_field_and_writes_nothing(db):
    at = open_page("vanphong", "pages/hq.py")
    before, events = count(db, HqProject), count(db, AuditEvent)
    at.text_input(key="hq_add_0_planned_vnd").input("4,5 tỷ")
    submit(at, "hq_add_form_0")
    messages = [e.value for e in at.error]
    assert any("Phường, xã" in m and "không được để trống" in m for m in messages), messages
    assert any("Dự toán (đồng)" in m and "không phải số tiền" in m for m in messages), messages
    assert count(db, HqProject) == before
    assert count(db, AuditEvent) == events + 1  # the refusal, recorded


def test_a_coordinator_retires_a_project_and_finds_it_behind_the_toggle(db):
    at = open_page("dp.vietyen", "pages/hq.py")
    row_ids = list(grid(at, "hq")["id"])
    choice = at.selectbox(key="hq_retire_row_0")
    target = row_ids[0]
    assert all(o.startswith("Mã ") for o in choice.options)
    choice.set_value(target)
    ok(at.run())
    submit(at, "hq_retire_form_0")  # no document, no reason
    messages = [e.value for e in at.error]
    assert any("Văn bản dừng/hủy/gộp" in m for m in messages) and any("Lý do" in m for m in messages)
    with transaction(db) as s:
        assert s.get(HqProject, target).lifecycle == "active"
    at.text_input(key="hq_retire_0_doc").input("27/QĐ-UBND")
    at.text_area(key="hq_retire_0_reason").input("Gộp xã, không còn nhu cầu")
    submit(at, "hq_retire_form_0")
    assert any("sang “Dừng”" in s.value for s in at.success)
    with transaction(db) as s:
        row = s.get(HqProject, target)
        assert (row.lifecycle, row.lifecycle_doc) == ("stopped", "27/QĐ-UBND")
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "retire", AuditEvent.row_id == target))
        assert event.reason == "Gộp xã, không còn nhu cầu" and event.actor == "dp.vietyen"
    assert target not in set(grid(at, "hq")["id"])
    at.toggle(key="hq_with_retired").set_value(True)
    ok(at.run())
    table = grid(at, "hq").set_index("id")
    assert table.loc[target, "lifecycle"] == "Dừng" and table.loc[target, "lifecycle_doc"] == "27/QĐ-UBND"


def test_read_only_roles_get_no_forms(db):
    at = open_page("lanhdao", "pages/hq.py")
    keys = {w.key for w in at.selectbox} | {b.key for b in at.button}
    assert not any(k and ("_add_" in k or "_retire_" in k) for k in keys)
    assert "hq_with_retired" in {t.key for t in at.toggle}


# --- /phuong-kieu-mau -------------------------------------------------------------------------------


def test_a_coordinator_registers_a_ward_of_their_own_and_merges_one(db):
    at = open_page("dp.bacgiang", "pages/wards.py")
    choice = at.selectbox(key="wards_add_0_unit_id")
    with transaction(db) as s:
        wards = dict(
            s.execute(
                select(Unit.id, Unit.name)
                .join(Locality)
                .where(Locality.code == "bac-giang", (Unit.kind == "phuong") | Unit.becomes_phuong_2025)
                .where(Unit.valid_from <= config.today())  # today's phường, not those merged in 2025
                .where(or_(Unit.valid_to.is_(None), Unit.valid_to >= config.today()))
            ).all()
        )
        registered = set(s.scalars(select(ModelWard.unit_id)))
    assert len(choice.options) == len(wards)  # phường only (and those upgraded in 2025)
    free = next(i for i in sorted(wards) if i not in registered)
    before = count(db, ModelWard)
    choice.set_value(free)
    at.selectbox(key="wards_add_0_year_registered").set_value(2027)
    at.number_input(key="wards_add_0_criteria_met").set_value(12)
    submit(at, "wards_add_form_0")
    assert any("Đã thêm đăng ký mã" in s.value for s in at.success), [e.value for e in at.error]
    with transaction(db) as s:
        made = s.scalar(select(ModelWard).order_by(ModelWard.id.desc()).limit(1))
    assert (made.unit_id, made.year_registered, made.criteria_met) == (free, 2027, 12)
    assert count(db, ModelWard) == before + 1

    # Merge it into another registration of the same locality.
    other = next(i for i in grid(at, "wards")["id"] if i != made.id)
    at.selectbox(key="wards_retire_row_0").set_value(made.id)
    ok(at.run())
    at.radio(key="wards_retire_0_lifecycle").set_value("merged")
    at.selectbox(key="wards_retire_0_target").set_value(other)
    at.text_input(key="wards_retire_0_doc").input("3/TB-UBND")
    at.text_area(key="wards_retire_0_reason").input("Trùng đăng ký")
    submit(at, "wards_retire_form_0")
    assert any("Gộp vào dự án/đăng ký khác" in s.value for s in at.success), [e.value for e in at.error]
    with transaction(db) as s:
        assert s.get(ModelWard, made.id).merged_into_id == other


# --- /nhiem-vu --------------------------------------------------------------------------------------


def test_the_office_assigns_a_task_and_coordinators_cannot(db):
    at = open_page("dp.lucngan", "pages/tasks.py")
    assert "tasks_add_open" not in {e.key for e in at.get("expandable")}
    at = open_page("vanphong", "pages/tasks.py")
    with transaction(db) as s:
        doc = s.scalar(select(Task.document_id).where(Task.document_id.is_not(None)).limit(1))
        # Bodies of today: Công an tỉnh Bắc Ninh leads, Sở Nông nghiệp và Môi trường cooperates.
        agency = dict(
            s.execute(select(Agency.code, Agency.id).where(Agency.code.in_(("cat-bn", "snnmt")))).all()
        )
        lead, coop = agency["cat-bn"], agency["snnmt"]
        loc = s.scalar(select(Locality.id).where(Locality.code == "yen-dung"))
    before = count(db, Task)
    at.selectbox(key="tasks_add_0_document_id").set_value(doc)
    at.text_area(key="tasks_add_0_title").input("Rà soát hồ sơ đất trụ sở năm 2027")
    at.selectbox(key="tasks_add_0_lead_agency_id").set_value(lead)
    at.multiselect(key="tasks_add_0_cooperators").set_value([coop])
    at.selectbox(key="tasks_add_0_locality_id").set_value(loc)
    at.date_input(key="tasks_add_0_original_deadline").set_value(date(2027, 6, 30))
    at.text_area(key="tasks_add_0_expected_product").input("Báo cáo rà soát")
    submit(at, "tasks_add_form_0")
    assert any("Đã giao nhiệm vụ mã" in s.value for s in at.success), [e.value for e in at.error]
    with transaction(db) as s:
        made = s.scalar(select(Task).order_by(Task.id.desc()).limit(1))
        assert (made.title, made.document_id, made.lead_agency_id, made.locality_id) == (
            "Rà soát hồ sơ đất trụ sở năm 2027",
            doc,
            lead,
            loc,
        )
        assert (made.current_deadline, made.expected_product, made.state) == (
            date(2027, 6, 30),
            "Báo cáo rà soát",
            "chua_trien_khai",
        )
        assert [a.id for a in made.cooperators] == [coop]
    assert count(db, Task) == before + 1


# --- /lich-su: undoing a creation -------------------------------------------------------------------


def test_undoing_a_creation_on_the_history_page_cancels_the_row(db):
    free = next(i for i, (_, has) in sorted(units_of(db, "luc-ngan").items()) if not has)
    at = open_page("dp.lucngan", "pages/hq.py")
    at.selectbox(key="hq_add_0_unit_id").set_value(free)
    submit(at, "hq_add_form_0")
    with transaction(db) as s:
        made = s.scalar(select(HqProject.id).where(HqProject.unit_id == free))
    ok(at.switch_page("pages/history.py").run())
    at.selectbox(key="history_row_entity").set_value("hq_project")
    at.number_input(key="history_row").set_value(made)
    ok(at.run())
    target = at.selectbox(key="history_target")
    assert target.options[0] == "Trước khi tạo (hủy dòng, không xóa)"
    target.set_value(0)
    ok(at.button(key="history_revert").click().run())
    with transaction(db) as s:
        row = s.get(HqProject, made)
        assert (row.lifecycle, row.version) == ("cancelled", 2)
        event = s.scalar(select(AuditEvent).where(AuditEvent.row_id == made, AuditEvent.action == "revert"))
        assert event.reason == f"Hoàn tác việc tạo dự án trụ sở mã {made}"
