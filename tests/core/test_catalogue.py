"""The entity catalogues: one source for labels, limits and who edits, agreeing with the schema."""

import pytest

from lib.core import catalogue
from lib.core.catalogue import HQ_PROJECT, MODEL_WARD, TASK
from lib.core.roles import ADMIN, DIEU_PHOI, LANH_DAO, VAN_PHONG
from lib.core.validation import Invalid
from lib.data import models
from lib.editing.changeset import EDITABLE, HQ, TASKS, WARDS
from lib.files import export, report
from lib.ui import columns


@pytest.mark.parametrize(
    ("entity", "field", "stored"),
    [
        (TASK, "state", models.TASK_STATES),
        (HQ_PROJECT, "kind", models.HQ_KINDS),
        (HQ_PROJECT, "land_status", models.LAND_STATUSES),
        (HQ_PROJECT, "stage", models.HQ_STAGES),
        (HQ_PROJECT, "funding_source", models.FUNDING_SOURCES),
    ],
)
def test_choices_are_the_codes_the_schema_accepts(entity, field, stored):
    assert entity[field].choices is not None
    assert tuple(entity[field].choices) == stored


@pytest.mark.parametrize("spec", [TASKS, HQ, WARDS])
def test_every_editable_field_is_a_column_of_its_table(spec):
    table_columns = set(spec.model.__table__.columns.keys())
    assert set(spec.fields) <= table_columns
    assert spec.fields, spec.entity


def test_the_editable_columns_rule_is_the_catalogues():
    assert "current_deadline" in TASKS.editable_by(VAN_PHONG)
    assert "current_deadline" in TASKS.editable_by(ADMIN)
    assert "current_deadline" not in TASKS.editable_by(DIEU_PHOI)
    assert "progress_pct" in TASKS.editable_by(DIEU_PHOI)
    assert TASKS.editable_by(LANH_DAO) == []
    assert "title" not in TASKS.editable_by(ADMIN)  # shown, never typed


@pytest.mark.parametrize(
    ("layout", "entity"),
    [
        (export.TASK_LAYOUT, TASK),
        (export.HQ_LAYOUT, HQ_PROJECT),
        (export.WARD_LAYOUT, MODEL_WARD),
        (report.OVERDUE_COLUMNS, TASK),
    ],
)
def test_excel_headers_are_the_catalogue_labels(layout, entity):
    for column in layout:
        if column.key != "row_check":
            assert column.header == entity[column.key].label


def test_the_editor_shows_the_catalogue_labels_and_limits():
    config = columns.column_config(TASK, ("progress_pct", "notes", "state"))
    assert config["progress_pct"]["label"] == "Tiến độ (%)"
    assert config["progress_pct"]["type_config"]["min_value"] == 0
    assert config["progress_pct"]["type_config"]["max_value"] == 100
    assert config["notes"]["type_config"]["max_chars"] == 2000
    assert config["state"]["type_config"]["options"] == list(TASK["state"].choices.values())
    money = columns.column(HQ_PROJECT["planned_vnd"])
    assert money["type_config"]["max_value"] == HQ_PROJECT["planned_vnd"].parser.ceiling
    assert money["help"] == catalogue.MONEY_HELP


def test_the_engine_names_a_cell_by_its_catalogue_label():
    ward = EDITABLE["model_ward"]
    assert ward.fields["criteria_met"].label == "Tiêu chí đạt (/22)"
    with pytest.raises(Invalid, match="22"):
        ward.fields["criteria_met"].parse(23)


def test_a_code_reads_as_its_label():
    assert TASK.shown("state", "hoan_thanh") == "Hoàn thành"
    assert HQ_PROJECT.shown("flags", ["dat_duoi_500", "cham_tien_do"]) == "Đất dưới 500 m², Chậm tiến độ"
    assert TASK.shown("title", "Xây trụ sở") == "Xây trụ sở"


def test_a_field_added_to_the_catalogue_reaches_the_grid_the_sheet_and_the_engine():
    from dataclasses import replace

    from lib.core.validation import Text

    extra = catalogue.Field(
        "contact", "Đầu mối liên hệ", parser=Text(100), roles=("van_phong",), xlsx_width=20
    )
    ward = replace(MODEL_WARD, fields=(*MODEL_WARD.fields, extra))
    assert "contact" in ward.grid_columns
    assert ("contact", "Đầu mối liên hệ", "text", 20) in [
        (c.key, c.header, c.kind, c.width) for c in export.columns(ward, ward.sheet_columns)
    ]
    assert columns.column_config(ward, ward.grid_columns)["contact"]["type_config"]["max_chars"] == 100
    assert "contact" in ward.editable_by(VAN_PHONG)
    assert "contact" not in ward.editable_by(DIEU_PHOI)


@pytest.mark.parametrize("spec", [TASKS, HQ, WARDS], ids=lambda s: s.entity)
@pytest.mark.parametrize("role", [ADMIN, VAN_PHONG, DIEU_PHOI])
def test_in_an_editable_grid_the_editable_columns_directly_follow_the_title(spec, role):
    entity = spec.catalogue
    order = entity.grid_for(role)
    editable = spec.editable_by(role)
    assert editable, (spec.entity, role)
    assert entity.title in entity.grid_columns
    assert order[:2] == ("id", entity.title)
    assert order[2 : 2 + len(editable)] == tuple(editable)  # in the catalogue's order
    assert all(n not in editable for n in order[2 + len(editable) :])
    assert sorted(order) == sorted(entity.grid_columns)  # the same columns, only moved


def test_a_coordinators_task_grid_starts_with_what_they_edit():
    assert TASK.grid_for(DIEU_PHOI)[:9] == (
        "id",
        "title",
        "state",
        "progress_pct",
        "completed_on",
        "result",
        "result_doc",
        "obstacles",
        "notes",
    )
    # The office also extends deadlines: the new deadline and its document come first.
    assert TASK.grid_for(VAN_PHONG)[2:4] == ("current_deadline", "extension_doc")
    # The rest keeps the on-screen order of the read-only grid.
    rest = [n for n in TASK.grid_columns if n not in TASK.grid_for(DIEU_PHOI)[:9]]
    assert list(TASK.grid_for(DIEU_PHOI)[9:]) == rest


def test_the_register_template_has_the_issues_task_headers_and_catalogue_labels():
    assert [c.label for c in catalogue.REGISTER_TASKS.columns] == [
        "Mã",
        "Văn bản giao",
        "Nội dung nhiệm vụ",
        "Cơ quan chủ trì",
        "Cơ quan phối hợp",
        "Địa bàn",
        "Hạn ban đầu",
        "Hạn hiện tại",
        "Văn bản gia hạn",
        "Trạng thái",
        "Tiến độ (%)",
        "Ngày hoàn thành",
        "Kết quả",
        "Văn bản kết quả",
        "Khó khăn, vướng mắc",
        "Ghi chú",
    ]
    assert [c.label for c in catalogue.REGISTER_DOCUMENTS.columns] == [
        "Số, ký hiệu",
        "Ngày ban hành",
        "Cơ quan ban hành",
        "Loại văn bản",
        "Trích yếu",
    ]
    entities = {
        "task": TASK,
        "hq_project": HQ_PROJECT,
        "model_ward": MODEL_WARD,
        "document": catalogue.DOCUMENT,
    }
    for sheet in catalogue.REGISTER_SHEETS:
        labels = [c.label for c in sheet.columns]
        assert len(set(labels)) == len(labels), sheet.title
        for column in sheet.columns:  # a field's header is its label, typed once
            f = entities[sheet.entity].get(column.name)
            if f is not None and column.name != "title":
                assert column.label == f.label, (sheet.title, column.name)


def test_the_creation_engine_names_its_fields_by_the_catalogue_labels():
    from lib.editing.creation import NEW_HQ, NEW_TASK, NEW_WARD

    assert NEW_TASK.label_of("title") == catalogue.TASK_CONTENT.label == "Nội dung nhiệm vụ"
    assert NEW_TASK.label_of("document_id") == catalogue.ASSIGNING_DOCUMENT.label
    assert NEW_TASK.label_of("cooperators") == catalogue.COOPERATORS.label
    assert NEW_HQ.label_of("unit_id") == HQ_PROJECT["unit"].label
    assert NEW_WARD.label_of("unit_id") == MODEL_WARD["unit"].label
