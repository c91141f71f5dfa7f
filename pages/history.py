"""History (/lich-su): the audit trail, one row's timeline, what changed since a date, reverts."""

import math
from datetime import timedelta

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core.catalogue import AUDIT_EVENT, ENTITY_LABELS
from lib.core.filters import PROVINCE_LEVEL
from lib.core.formatting import fmt_date, fmt_int
from lib.editing.changeset import EDITABLE
from lib.editing.history import BEFORE_CREATION, EventFilter, revert_row
from lib.ui import columns, shell, widgets
from lib.ui.loaders import load_actors, load_events, load_filter_options, load_newly_overdue, load_timeline

PAGE_SIZE = 100
BEFORE_CREATION_LABEL = "Trước khi tạo (hủy dòng, không xóa)"
ctx = shell.context()
actor = ctx.actor
url, version = ctx.database_url, ctx.data_version
localities = {k: v for k, v in load_filter_options(url, version).localities.items() if k != PROVINCE_LEVEL}
EVENT_COLUMNS = columns.column_config(AUDIT_EVENT, [f.name for f in AUDIT_EVENT.fields])

st.title("Lịch sử thay đổi")
trail, timeline, since_tab = st.tabs(["Nhật ký", "Một dòng theo thời gian", "Thay đổi kể từ ngày…"])

with trail:
    c1, c2, c3, c4, c5 = st.columns(5)
    locality = c1.selectbox(
        "Địa bàn",
        [None, *localities],
        key="history_locality",
        format_func=lambda c: "Tất cả" if c is None else localities[c],
    )
    user = c2.selectbox(
        "Người thực hiện",
        [None, *load_actors(url, version)],
        key="history_user",
        format_func=lambda u: "Tất cả" if u is None else u,
    )
    entity = c3.selectbox(
        "Đối tượng",
        [None, *ENTITY_LABELS],
        key="history_entity",
        format_func=lambda e: "Tất cả" if e is None else ENTITY_LABELS[e],
    )
    date_from = c4.date_input("Từ ngày", value=None, format="DD/MM/YYYY", key="history_from")
    date_to = c5.date_input("Đến ngày", value=None, format="DD/MM/YYYY", key="history_to")
    f = EventFilter(locality, user, entity, date_from, date_to)
    first, total = load_events(url, version, f, 1, PAGE_SIZE)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = st.number_input("Trang", 1, pages, 1, key="history_page", width=160)
    events = first if page == 1 else load_events(url, version, f, page, PAGE_SIZE)[0]
    st.caption(f"{fmt_int(total)} sự kiện · trang {page}/{pages} · mới nhất trước")
    st.dataframe(
        pd.DataFrame(events),
        hide_index=True,
        key="history_trail",
        column_config=EVENT_COLUMNS,
        column_order=list(EVENT_COLUMNS),
    )

with timeline:
    left, right = st.columns([1, 2])
    entity = left.selectbox(
        "Loại dữ liệu", list(EDITABLE), key="history_row_entity", format_func=lambda e: ENTITY_LABELS[e]
    )
    spec = EDITABLE[entity]
    row_id = right.number_input(f"Mã {spec.label}", min_value=1, step=1, value=None, key="history_row")
    if row_id:
        events = load_timeline(url, version, entity, int(row_id))
        if not events:
            st.info(f"Không có sự kiện nào của {spec.label} mã {row_id}.")
        else:
            st.dataframe(
                pd.DataFrame(events),
                hide_index=True,
                key="history_timeline",
                column_config=EVENT_COLUMNS,
                column_order=list(EVENT_COLUMNS),
            )
            versions = sorted({e["row_version"] for e in events if e["row_version"]})
            created = any(e["action_code"] == "create" for e in events)
            if actor.can_write and versions:
                # Version 0: before the row was created here (undoing it retires the row: nothing is deleted).
                target = st.selectbox(
                    "Khôi phục về phiên bản",
                    [*([BEFORE_CREATION] if created else []), 1, *versions[:-1]],
                    key="history_target",
                    format_func=lambda v: BEFORE_CREATION_LABEL if v == BEFORE_CREATION else str(v),
                )
                if st.button("Khôi phục", key="history_revert"):
                    done = widgets.run_action(
                        ctx,
                        revert_row,
                        spec,
                        int(row_id),
                        int(target),
                        now=config.now(),
                        today=config.today(),
                    )
                    if done:
                        shown = (
                            BEFORE_CREATION_LABEL.lower()
                            if target == BEFORE_CREATION
                            else f"phiên bản {target}"
                        )
                        st.toast(f"Đã khôi phục {done.value.cells} ô về {shown}.", icon="✅")
                        st.rerun()

with since_tab:
    since = st.date_input(
        "Thay đổi kể từ ngày", value=ctx.today - timedelta(days=7), format="DD/MM/YYYY", key="history_since"
    )
    changed, count = load_events(url, version, EventFilter(date_from=since), 1, 500)
    st.subheader(f"{fmt_int(count)} thay đổi kể từ ngày {fmt_date(since)}")
    st.dataframe(
        pd.DataFrame(changed),
        hide_index=True,
        key="history_since_table",
        column_config=EVENT_COLUMNS,
        column_order=list(EVENT_COLUMNS),
    )
    overdue = load_newly_overdue(url, version, since, ctx.today)
    st.subheader(f"{fmt_int(len(overdue))} nhiệm vụ trở thành quá hạn kể từ ngày {fmt_date(since)}")
    if overdue:
        st.dataframe(
            pd.DataFrame(overdue),
            hide_index=True,
            key="history_overdue",
            column_config={
                "id": "Mã",
                "title": "Nhiệm vụ",
                "locality": "Địa bàn",
                "current_deadline": st.column_config.DateColumn("Hạn", format="DD/MM/YYYY"),
                "days_overdue": "Số ngày quá hạn",
            },
        )
