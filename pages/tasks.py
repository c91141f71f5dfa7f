"""Tasks (/nhiem-vu): the filtered task list; editable inline for the roles that may edit."""

import streamlit as st

from lib.core.filters import edit_scope
from lib.core.formatting import fmt_int
from lib.core.requests import DECIDERS
from lib.editing.changeset import TASKS
from lib.editing.creation import NEW_TASK
from lib.files import export
from lib.ui import filtering, record_forms, row_detail, row_form, shell, transfer, widgets
from lib.ui.editor import entity_table
from lib.ui.loaders import (
    export_tasks,
    load_agency_choices,
    load_document_choices,
    load_filter_options,
    load_locality_choices,
    load_task_count,
    load_task_page,
    load_task_page_for_edit,
    load_unit_choices,
    tasks_version,
)

ADD_FIELDS = (  # what the "Giao nhiệm vụ mới" form asks, in order
    "document_id",
    "title",
    "lead_agency_id",
    "cooperators",
    "locality_id",
    "unit_id",
    "original_deadline",
    "expected_product",
)

ctx = shell.context()
actor = ctx.actor
options = load_filter_options(ctx.database_url, ctx.versions.base)
filters, as_of = filtering.filter_bar("tasks", options, ctx.today)
due_days, size = ctx.settings.due_soon_days, ctx.settings.page_size

st.title("Danh sách nhiệm vụ")
widgets.as_of_caption(as_of)
scope = edit_scope(actor, filters, options)
if scope.note:
    st.info(scope.note, icon="✏️")
if actor.role in NEW_TASK.roles and ctx.outage is None:
    url, version = ctx.database_url, ctx.data_version
    with st.expander("Giao nhiệm vụ mới", icon=":material/add_task:", key="tasks_add_open"):
        agencies = load_agency_choices(url, version, ctx.today)
        record_forms.add_form(
            ctx,
            "tasks",
            NEW_TASK,
            ADD_FIELDS,
            {
                "document_id": load_document_choices(url, version),
                "lead_agency_id": agencies,
                "cooperators": agencies,
                "locality_id": load_locality_choices(url, version),
                "unit_id": load_unit_choices(url, version, (), day=ctx.today),
            },
            submit="Giao nhiệm vụ",
            done=lambda row_id: f"Đã giao nhiệm vụ mã {row_id}.",
        )
view = scope.filters

# Keyed by the versions of what the list can show: a save of tasks elsewhere leaves it warm.
read = tasks_version(ctx.database_url, ctx.versions, view, actor if scope.editable else None)
total = load_task_count(ctx.database_url, read, view, as_of, due_days)
page = filtering.pager("tasks", total, size, (view, as_of), "nhiệm vụ")
if not total:
    st.info("Không có nhiệm vụ nào khớp bộ lọc.")
args = (view, as_of, due_days, page, size)
if not total:
    rows = []
elif scope.editable:
    rows = load_task_page_for_edit(ctx.database_url, read, actor, *args)
else:
    rows = load_task_page(ctx.database_url, read, *args)

# On a phone: one row at a time in a short form, through the same engine as the grid.
by_row = scope.editable and ctx.outage is None and st.toggle(row_form.TOGGLE_LABEL, key="tasks_by_row")
if by_row:
    # A completion date comes with the office's confirmation of a request (lib/core/requests.py).
    own = [f for f in row_form.TASK_FIELDS if actor.role in DECIDERS or f != "completed_on"]
    row_form.row_form(ctx, "tasks", TASKS, rows, own)
else:
    entity_table("tasks", TASKS, rows, actor=actor, engine=ctx.engine, editable=scope.editable)
row_detail.task_detail(ctx, rows, as_of, due_days)

left, right = st.columns(2)
with left:
    transfer.download(
        f"Tải Excel: {fmt_int(total)} nhiệm vụ theo bộ lọc",
        lambda: export_tasks(ctx.database_url, view, as_of, due_days, "Danh sách nhiệm vụ theo bộ lọc"),
        f"nhiem-vu-{as_of:%Y%m%d}.xlsx",
        "tasks_xlsx",
    )
if scope.editable:
    with right.expander("Nhập cập nhật từ tệp Excel", icon=":material/upload_file:", key="tasks_import_open"):
        transfer.import_panel("tasks", TASKS, export.TASK_LAYOUT, actor, ctx.engine)
