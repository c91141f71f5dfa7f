"""Overview (/): the figures leadership quotes, by official bucket, funding and locality."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from lib.core import rules
from lib.core.figures import as_percent, ranked
from lib.core.filters import PARAM_REGROUP, PARAM_SINCE, place_and_filter_params, place_params
from lib.core.formatting import fmt_date, fmt_datetime, fmt_int, fmt_pct
from lib.ui import charts, discussion, filtering, meeting, shell, widgets
from lib.ui.loaders import load_filter_options, load_last_meeting, load_overview

ctx = shell.context()
options = load_filter_options(ctx.database_url, ctx.versions.base)

if shell.meeting_mode():
    meeting.overview(ctx, options)
    st.stop()

filters, as_of = filtering.filter_bar("overview", options, ctx.today)
regroup = filtering.regroup_switch("overview")
data = load_overview(
    ctx.database_url, ctx.versions, filters, as_of, ctx.settings.due_soon_days, regroup, ctx.today
)

st.title("Tiến độ thực hiện Đề án 30/ĐA-BCA và Đề án 885")
st.caption(
    "Xây dựng Công an phường trong sạch, vững mạnh, chính quy, tinh nhuệ, hiện đại — "
    "theo Công văn của UBND tỉnh Bắc Giang (tháng 02/2024)."
)
widgets.as_of_caption(as_of)
discussion.waiting(ctx)  # the user's unseen mentions and the requests waiting for their confirmation
links = st.columns(2)
links[0].page_link(
    "pages/overview.py",
    label="Chế độ trình chiếu (cho cuộc họp)",
    icon=":material/slideshow:",
    query_params={
        **place_and_filter_params(filters, as_of, ctx.today),
        **({PARAM_REGROUP: "1"} if regroup else {}),
        shell.PARAM_MEETING: "1",
    },
)
met = (
    load_last_meeting(ctx.database_url, ctx.versions.base, ctx.actor.user_id)
    if ctx.actor and ctx.actor.user_id
    else None
)
since = met or ctx.today - timedelta(days=7)
links[1].page_link(
    "pages/history.py",
    label=f"Thay đổi kể từ cuộc họp trước ({fmt_date(since)})",
    icon=":material/history:",
    query_params={PARAM_SINCE: since.isoformat()},
)

b = data.buckets
st.subheader("Nhiệm vụ")
row = st.columns(4)
row[0].metric(
    "Tổng số nhiệm vụ", fmt_int(b.total), border=True, help="Không tính nhiệm vụ tạm dừng hoặc hủy."
)
row[1].metric(
    "Tỷ lệ hoàn thành đúng hạn",
    fmt_pct(b.on_time_rate),
    border=True,
    help="Hoàn thành đúng hạn / (đã hoàn thành + quá hạn chưa hoàn thành).",
)
row[2].metric(
    "Đã hoàn thành",
    fmt_int(b.completed),
    border=True,
    help=f"Tỷ lệ hoàn thành: {fmt_pct(b.completion_rate)}.",
)
row[3].metric(f"Sắp đến hạn ({ctx.settings.due_soon_days} ngày tới)", fmt_int(b.due_soon), border=True)
row = st.columns(5)
for col, bucket in zip(row, rules.BUCKETS, strict=False):
    col.metric(rules.BUCKET_LABELS[bucket], fmt_int(b.count(bucket)))
if b.count(rules.EXCLUDED):
    st.caption(f"Tạm dừng hoặc hủy (không tính vào tổng): {fmt_int(b.count(rules.EXCLUDED))} nhiệm vụ.")
if b.pending:
    st.caption(
        f"Chờ Văn phòng xác nhận: {fmt_int(b.pending)} nhiệm vụ có đề nghị (hoàn thành, tạm dừng, hủy, "
        "gia hạn) chưa được xác nhận; các số trên tính theo tình trạng đã xác nhận."
    )

st.subheader("Trụ sở Công an phường và phường kiểu mẫu")
f = data.funding
widgets.funding_metrics(st.columns(4), f)
row = st.columns(4)
row[0].metric(
    "Phường đăng ký kiểu mẫu",
    fmt_int(data.wards.registered),
    border=True,
    help="Số phường đã đăng ký xây dựng Công an phường điển hình, kiểu mẫu.",
)
row[1].metric("Phường được công nhận", fmt_int(data.wards.recognised), border=True)
same_places = place_params(filters, as_of, ctx.today)
row[2].page_link(
    "pages/hq.py", label="Trụ sở và kinh phí", icon=":material/domain:", query_params=same_places
)
row[3].page_link(
    "pages/wards.py", label="Phường kiểu mẫu", icon=":material/verified:", query_params=same_places
)
st.caption("Kinh phí và phường kiểu mẫu chỉ lọc theo địa bàn.")

grouped = any(r.group for r in data.league)
st.subheader("Xếp hạng theo địa bàn" + (" (gộp theo đơn vị hiện nay)" if regroup else ""))
league = pd.DataFrame(
    [
        {
            "group": r.group,
            "locality": r.name,
            "tasks": r.tasks,
            "on_time_pct": as_percent(r.on_time_rate),
            "overdue": r.overdue,
            "due_soon": r.due_soon,
            "pending": r.pending,
            "disbursed_pct": as_percent(r.funding.disbursement_rate),
            "last_update": fmt_datetime(r.last_update),
        }
        for r in ranked(data.league)
    ]
)
st.dataframe(
    league if grouped else league.drop(columns="group", errors="ignore"),
    hide_index=True,
    key="overview_league",
    column_config={
        "group": st.column_config.TextColumn("Địa bàn cũ"),
        "locality": st.column_config.TextColumn("Địa phương"),
        "tasks": st.column_config.NumberColumn("Nhiệm vụ"),
        "on_time_pct": st.column_config.ProgressColumn(
            "Đúng hạn (%)", min_value=0, max_value=100, format="%.0f%%"
        ),
        "overdue": st.column_config.NumberColumn("Quá hạn"),
        "due_soon": st.column_config.NumberColumn("Sắp đến hạn"),
        "pending": st.column_config.NumberColumn(
            "Chờ xác nhận", help="Nhiệm vụ có đề nghị chưa được Văn phòng xác nhận (tính theo tình trạng cũ)."
        ),
        "disbursed_pct": st.column_config.ProgressColumn(
            "Giải ngân (%)", min_value=0, max_value=100, format="%.0f%%"
        ),
        "last_update": st.column_config.TextColumn("Cập nhật gần nhất"),
    },
)
st.caption(
    "Bấm vào tiêu đề cột để sắp xếp. "
    + (
        "Các địa bàn theo đơn vị hiện nay; số liệu cũ được chuyển theo đơn vị kế thừa."
        if regroup
        else "Các địa bàn có hiệu lực tại ngày tính số liệu; từ 01/7/2025 là các xã, phường, theo địa bàn cũ."
    )
)

names = dict(options.localities)
left, right = st.columns(2)
with left:
    charts.show(charts.buckets_by_locality_chart, data.buckets_by_locality, names)
with right:
    charts.show(charts.funding_by_locality_chart, data.funding_by_locality, names)
if data.deadlines:
    charts.show(charts.deadlines_chart, data.deadlines)
else:
    st.info("Không có nhiệm vụ chưa hoàn thành nào đến hạn trong 6 tháng tới.")

st.page_link(
    "pages/tasks.py",
    label="Xem danh sách nhiệm vụ theo bộ lọc này",
    icon=":material/checklist:",
    query_params=st.query_params.to_dict(),
)
