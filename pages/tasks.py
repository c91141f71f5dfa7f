"""Tasks (/nhiem-vu): the filtered task list, one page of rows at a time (read-only for now)."""

import math

import pandas as pd
import streamlit as st

from lib import rules, ui
from lib.filters import PARAM_PAGE, parse_page
from lib.formatting import fmt_int
from lib.loaders import load_filter_options, load_task_count, load_task_page

ctx = ui.context()
options = load_filter_options(ctx.database_url, ctx.data_version)
filters, as_of = ui.filter_bar("tasks", options, ctx.today)
due_days, size = ctx.settings.due_soon_days, ctx.settings.page_size

st.title("Danh sách nhiệm vụ")
ui.as_of_caption(as_of)

total = load_task_count(ctx.database_url, ctx.data_version, filters, as_of, due_days)
pages = max(1, math.ceil(total / size))
state = st.session_state
if state.get("_tasks_filters") != (filters, as_of) or "tasks_page" not in state:
    first_visit = "_tasks_filters" not in state
    state["tasks_page"] = parse_page(st.query_params.get_all(PARAM_PAGE), pages) if first_visit else 1
    state["_tasks_filters"] = (filters, as_of)
state["tasks_page"] = min(state["tasks_page"], pages)

if total == 0:
    st.info("Không có nhiệm vụ nào khớp bộ lọc.")
    st.stop()

page = st.number_input("Trang", min_value=1, max_value=pages, step=1, key="tasks_page", width=160)
ui.sync_query_params({PARAM_PAGE: str(page)} if page > 1 else {}, owned=(PARAM_PAGE,))
start = (page - 1) * size
st.caption(
    f"Hiển thị {fmt_int(start + 1)}–{fmt_int(min(start + size, total))} "
    f"trên {fmt_int(total)} nhiệm vụ · trang {page}/{pages}"
)

rows = load_task_page(ctx.database_url, ctx.data_version, filters, as_of, due_days, page, size)
frame = pd.DataFrame(rows)
frame["bucket"] = frame["bucket"].map(rules.BUCKET_LABELS)
frame["state"] = frame["state"].map(rules.STATE_LABELS)
for column in ("original_deadline", "current_deadline", "completed_on"):
    frame[column] = pd.to_datetime(frame[column])

st.dataframe(
    frame,
    hide_index=True,
    key="tasks_table",
    column_order=(
        "bucket",
        "title",
        "locality",
        "lead_agency",
        "current_deadline",
        "days_overdue",
        "state",
        "progress_pct",
        "completed_on",
        "result_doc",
        "obstacles",
        "original_deadline",
        "extension_doc",
        "clause",
        "updated_by",
        "updated_at",
    ),
    column_config={
        "bucket": st.column_config.TextColumn("Tình trạng"),
        "title": st.column_config.TextColumn("Nhiệm vụ", width="large"),
        "locality": st.column_config.TextColumn("Địa bàn"),
        "lead_agency": st.column_config.TextColumn("Chủ trì"),
        "current_deadline": st.column_config.DateColumn("Hạn hiện tại", format="DD/MM/YYYY"),
        "days_overdue": st.column_config.NumberColumn("Số ngày quá hạn"),
        "state": st.column_config.TextColumn("Trạng thái"),
        "progress_pct": st.column_config.ProgressColumn("Tiến độ", min_value=0, max_value=100, format="%d%%"),
        "completed_on": st.column_config.DateColumn("Ngày hoàn thành", format="DD/MM/YYYY"),
        "result_doc": st.column_config.TextColumn("Văn bản kết quả"),
        "obstacles": st.column_config.TextColumn("Khó khăn, vướng mắc"),
        "original_deadline": st.column_config.DateColumn("Hạn ban đầu", format="DD/MM/YYYY"),
        "extension_doc": st.column_config.TextColumn("Văn bản gia hạn"),
        "clause": st.column_config.TextColumn("Mục"),
        "updated_by": st.column_config.TextColumn("Người cập nhật"),
        "updated_at": st.column_config.DatetimeColumn("Cập nhật lúc", format="HH:mm DD/MM/YYYY"),
    },
)
