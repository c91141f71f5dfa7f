"""History (/lich-su): the audit trail in words, one row's timeline, what changed since the last
meeting (by locality, newly overdue first; `?tu=<date>` opens it from a link), reverts."""

import math
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core.catalogue import AUDIT_EVENT, ENTITY_LABELS
from lib.core.filters import PARAM_SINCE, PROVINCE_LEVEL, parse_as_of
from lib.core.formatting import fmt_date, fmt_datetime, fmt_int
from lib.editing.changeset import EDITABLE
from lib.editing.history import BEFORE_CREATION, EventFilter, revert_row
from lib.editing.user_admin import set_last_meeting
from lib.ui import columns, filtering, shell, widgets
from lib.ui.loaders import (
    load_actors,
    load_changes_since,
    load_events,
    load_filter_options,
    load_last_meeting,
    load_timeline,
)

PAGE_SIZE = 100
BEFORE_CREATION_LABEL = "Trước khi tạo (hủy dòng, không xóa)"
ctx = shell.context()
actor = ctx.actor
# The trail's readers key on its length too: a refusal is written there and nowhere else.
url, version = ctx.database_url, ctx.trail_version
options = load_filter_options(url, ctx.versions.base)
localities = {k: v for k, v in options.localities.items() if k != PROVINCE_LEVEL}
EVENT_COLUMNS = columns.column_config(AUDIT_EVENT, [f.name for f in AUDIT_EVENT.fields])

SINCE_TAB = "Thay đổi kể từ cuộc họp trước"
asked_since = st.query_params.get(PARAM_SINCE)

st.title("Lịch sử thay đổi")
trail, timeline, since_tab = st.tabs(
    ["Nhật ký", "Một dòng theo thời gian", SINCE_TAB],
    default=SINCE_TAB if asked_since else None,
    key="history_tab",
    on_change="rerun",
)

with trail:
    c1, c2, c3, c4, c5 = st.columns(5)
    people = load_actors(url, version)
    # No choice means all of them: the boxes say so in Vietnamese ("Tất cả", "Từ đầu", "Đến nay").
    locality = c1.selectbox(
        "Địa bàn",
        list(localities),
        index=None,
        key="history_locality",
        format_func=lambda c: localities[c],
        placeholder="Tất cả",
    )
    user = c2.selectbox(
        "Người thực hiện",
        list(people),
        index=None,
        key="history_user",
        format_func=lambda u: people[u],
        placeholder="Tất cả",
    )
    entity = c3.selectbox(
        "Đối tượng",
        list(ENTITY_LABELS),
        index=None,
        key="history_entity",
        format_func=lambda e: ENTITY_LABELS[e],
        placeholder="Tất cả",
    )
    date_from = c4.date_input("Từ ngày", value=None, format="DD/MM/YYYY", key="history_from")
    date_to = c5.date_input("Đến ngày", value=None, format="DD/MM/YYYY", key="history_to")
    if date_from is None:
        c4.caption("Từ đầu")
    if date_to is None:
        c5.caption("Đến nay")
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
                        shell.rerun_saying(f"Đã khôi phục {done.value.cells} ô về {shown}.")

with since_tab:
    remembered = (
        load_last_meeting(url, ctx.versions.base, actor.user_id) if actor.user_id is not None else None
    )
    week_ago = ctx.today - timedelta(days=7)
    fallback = remembered or week_ago
    from_link, link_warning = parse_as_of(asked_since, fallback) if asked_since else (None, None)
    notice = st.container()  # the link's bad date, said above the box while the box still shows the fallback
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    since = left.date_input(
        "Thay đổi kể từ ngày",
        value=from_link or fallback,
        max_value=ctx.today,
        format="DD/MM/YYYY",
        key="history_since",
    )
    since = since if isinstance(since, date) else week_ago
    may_keep = actor.user_id is not None and since != remembered and ctx.outage is None
    if may_keep and right.button(
        f"Ghi ngày {fmt_date(since)} là ngày họp trước của tôi", key="history_since_keep"
    ):
        if widgets.run_action(ctx, set_last_meeting, since, config.now()):
            shell.rerun_saying(f"Lần sau, trang bắt đầu từ ngày họp {fmt_date(since)}.")
    elif remembered is not None:
        right.caption(f"Ngày họp trước của bạn: {fmt_date(remembered)}.")
    if link_warning and since == fallback:
        notice.warning(link_warning, icon="⚠️")
        kept = {PARAM_SINCE: str(asked_since)}  # the link's word stands until the reader picks a date
    else:
        kept = {PARAM_SINCE: since.isoformat()} if asked_since or since != fallback else {}
    filtering.sync_query_params(kept, owned=(PARAM_SINCE,))
    groups, count = load_changes_since(url, version, since, ctx.today)
    overdue_count = sum(len(g.newly_overdue) for g in groups)
    st.subheader(
        f"Từ ngày {fmt_date(since)}: {fmt_int(overdue_count)} nhiệm vụ mới quá hạn, {fmt_int(count)} thay đổi"
    )
    widgets.as_of_caption(ctx.today)
    if not groups:
        st.info("Không có thay đổi nào trong khoảng này.")
    for number, group in enumerate(groups):
        shown = group.changes[:50]
        with st.container(border=True, key=f"history_since_place_{number}"):
            st.markdown(f"#### {group.place}")
            if group.newly_overdue:
                st.markdown(
                    "\n".join(
                        f"- :red[**Mới quá hạn**] {widgets.plain(t.title)} — hạn {fmt_date(t.deadline)}, "
                        f"quá {fmt_int(t.days_overdue)} ngày"
                        for t in group.newly_overdue
                    )
                )
            if shown:
                st.markdown(
                    "\n".join(
                        f"- **{widgets.plain(c.text)}** — {widgets.plain(c.title)} "
                        f"({widgets.plain(c.who)}, {fmt_datetime(c.at)})"
                        + (f"; lý do: {widgets.plain(c.reason)}" if c.reason else "")
                        for c in shown
                    )
                )
            if len(group.changes) > len(shown):
                st.caption(
                    f"… và {fmt_int(len(group.changes) - len(shown))} thay đổi khác của {group.place}: "
                    "xem ở thẻ “Nhật ký”."
                )
