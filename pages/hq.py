"""Headquarters (/tru-so): ward-police headquarters projects, their money and their flags; editable inline."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from lib.core import rules
from lib.core.catalogue import HQ_PROJECT, MONEY_HELP
from lib.core.figures import as_percent
from lib.core.filters import PARAM_FLAG, PARAM_STAGE, PROVINCE_LEVEL, Filters, HqFilters, edit_scope
from lib.core.formatting import fmt_date, fmt_int, fmt_pct, fmt_vnd
from lib.core.rules import LIFECYCLE_ACTIVE as ACTIVE
from lib.editing.changeset import HQ
from lib.editing.creation import NEW_HQ
from lib.ui import (
    attachments,
    charts,
    columns,
    discussion,
    filtering,
    periods,
    record_forms,
    shell,
    transfer,
    widgets,
)
from lib.ui.editor import entity_table
from lib.ui.loaders import (
    export_hq,
    load_filter_options,
    load_hq_count,
    load_hq_page,
    load_hq_summary,
    load_merge_targets,
    load_unit_choices,
)

ADD_FIELDS = (  # what the "Thêm dự án trụ sở" form asks, in order
    "unit_id",
    "kind",
    "land_status",
    "land_area_m2",
    "stage",
    "funding_source",
    "planned_vnd",
    "allocated_vnd",
    "disbursed_vnd",
    "start_on",
    "planned_completion_on",
    "notes",
)

ctx = shell.context()
actor = ctx.actor
options = load_filter_options(ctx.database_url, ctx.versions.base)
places = {c: n for c, n in options.localities.items() if c != PROVINCE_LEVEL}
options = replace(options, localities=places)
filters, as_of = filtering.filter_bar("hq", options, ctx.today, fields=("loc",))
stages = filtering.choice_filter("hq", "Giai đoạn", PARAM_STAGE, rules.STAGE_LABELS, "giai đoạn")
flags = filtering.choice_filter("hq", "Cảnh báo", PARAM_FLAG, rules.FLAG_LABELS, "cảnh báo")
stale_days, size = ctx.settings.stale_days, ctx.settings.page_size
hf = HqFilters(localities=filters.localities, stages=stages, flags=flags)
data = load_hq_summary(ctx.database_url, ctx.data_version, hf, as_of, stale_days)

st.title("Trụ sở Công an phường và kinh phí")
st.caption(
    "Mục 3 của Công văn: bố trí kinh phí, quỹ đất (tối thiểu 500 m²) xây dựng trụ sở Công an phường; "
    "mục 4: Việt Yên, Bắc Giang đẩy nhanh tiến độ xây dựng trụ sở."
)
widgets.as_of_caption(as_of)
if as_of != ctx.today:
    st.caption(
        f"Số tiền và giai đoạn là số liệu đang lưu (cập nhật đến ngày {fmt_date(ctx.today)}); "
        "ngày xem chỉ dùng để tính chậm tiến độ, lâu không cập nhật và số hoàn thành lũy kế."
    )

f = data.funding
row = st.columns(5)
row[0].metric("Số dự án", fmt_int(f.projects), border=True)
widgets.funding_metrics(row[1:], f)
row = st.columns(4)
for col, flag in zip(
    row, (rules.FLAG_SMALL_LAND, rules.FLAG_BEHIND, rules.FLAG_STALLED, rules.FLAG_FUNDING), strict=True
):
    col.metric(
        rules.FLAG_LABELS[flag],
        fmt_int(data.flag_totals[flag]),
        border=True,
        help=rules.flag_help(flag, stale_days),
    )

st.subheader("Kinh phí theo địa bàn")
below = data.below_average
by_place = pd.DataFrame(
    [
        {
            "locality": places.get(code, code),
            "projects": x.projects,
            "planned": fmt_vnd(x.planned),
            "allocated": fmt_vnd(x.allocated),
            "disbursed": fmt_vnd(x.disbursed),
            "rate": as_percent(x.disbursement_rate),
            "below": "Dưới bình quân" if code in below else "",
        }
        for code, x in data.funding_by_locality.items()
    ],
    columns=["locality", "projects", "planned", "allocated", "disbursed", "rate", "below"],
)
st.dataframe(
    by_place,
    hide_index=True,
    key="hq_funding_table",
    column_config={
        "locality": st.column_config.TextColumn("Địa bàn"),
        "projects": st.column_config.NumberColumn("Số dự án"),
        "planned": st.column_config.TextColumn(HQ_PROJECT["planned_vnd"].label),
        "allocated": st.column_config.TextColumn(HQ_PROJECT["allocated_vnd"].label),
        "disbursed": st.column_config.TextColumn(HQ_PROJECT["disbursed_vnd"].label),
        "rate": columns.column(HQ_PROJECT["disbursement_pct"]),
        "below": st.column_config.TextColumn("So với bình quân tỉnh"),
    },
)
st.caption(
    f"Bình quân toàn tỉnh: {fmt_pct(f.disbursement_rate)} vốn đã bố trí được giải ngân. "
    "Tổng cộng bằng đúng tổng các dự án đang lưu, tính đến từng đồng. Số dự án, giai đoạn và cảnh báo "
    "chỉ tính dự án đang theo dõi; tiền của dự án đã dừng hoặc đã gộp vẫn được tính (đã bố trí, đã chi), "
    "dự án hủy bỏ thì không."
)

left, right = st.columns(2)
with left:
    charts.show(charts.funding_by_locality_chart, data.funding_by_locality, places)
with right:
    charts.show(charts.disbursement_chart, data.funding_by_locality, places, below, f.disbursement_rate)
left, right = st.columns(2)
with left:
    charts.show(charts.stage_chart, data.stages, places)
with right:
    if data.completions:
        charts.show(charts.completion_chart, data.completions)
    else:
        st.info("Chưa có dự án nào có ngày hoàn thành.")

st.subheader("Danh sách dự án")
scope = edit_scope(actor, Filters(localities=hf.localities), options, "dự án trụ sở")
if scope.note:
    st.info(
        f"{scope.note} {MONEY_HELP}",
        icon="✏️",
    )
with_retired = st.toggle("Hiện cả dự án đã dừng/hủy/gộp", key="hq_with_retired")
view = replace(hf, localities=scope.filters.localities, with_retired=with_retired, scope=scope.filters.scope)
total = load_hq_count(ctx.database_url, ctx.data_version, view, as_of, stale_days)
page = filtering.pager("hq", total, size, (view, as_of), "dự án")
if not total:
    st.info("Không có dự án nào khớp bộ lọc.")
    rows = []
else:
    rows = load_hq_page(
        ctx.database_url,
        ctx.data_version,
        actor if scope.editable else None,
        view,
        as_of,
        stale_days,
        page,
        size,
    )
if scope.editable and ctx.outage is None:
    own = scope.filters.scope  # a focal point: the units of their scope only
    with st.expander("Thêm dự án trụ sở", icon=":material/add:", key="hq_add_open"):
        record_forms.add_form(
            ctx,
            "hq",
            NEW_HQ,
            ADD_FIELDS,
            {"unit_id": load_unit_choices(ctx.database_url, ctx.data_version, (), scope=own, day=ctx.today)},
            submit="Thêm dự án",
            done=lambda row_id: f"Đã thêm dự án trụ sở mã {row_id}; dự án có trong danh sách bên dưới.",
        )
    with st.expander("Dừng, hủy bỏ hoặc gộp dự án", icon=":material/archive:", key="hq_retire_open"):
        record_forms.retire_panel(
            ctx,
            "hq",
            HQ,
            rows,
            label=lambda r: (
                f"Mã {r['id']} — {r['unit']}, {r['locality']} — {HQ_PROJECT.shown('stage', r['stage'])}"
                + ("" if r["lifecycle"] == ACTIVE else f" ({HQ_PROJECT.shown('lifecycle', r['lifecycle'])})")
            ),
            targets=lambda code: load_merge_targets(
                ctx.database_url, ctx.data_version, actor, HQ.entity, code
            ),
            noun="dự án",
            hint="Không xóa dự án nào: dự án dừng, hủy bỏ hoặc gộp vẫn lưu, xem được khi bật “Hiện cả dự án "
            "đã dừng/hủy/gộp”. Dừng, gộp: số tiền vẫn được tính vào tổng kinh phí; hủy bỏ (chỉ khi chưa "
            "giải ngân): không tính ở đâu.",
        )
    periods.year_money_panel(
        ctx, {int(r["id"]): f"Mã {r['id']} — {r['unit']}, {r['locality']}" for r in rows}
    )

entity_table("hq", HQ, rows, actor=actor, engine=ctx.engine, editable=scope.editable)
attachments.row_files(  # evidence files of one project of this page (issue 17)
    ctx,
    HQ.entity,
    rows,
    lambda r: f"Mã {r['id']} — {r['unit']}, {r['locality']}",
    title="Tệp minh chứng và trao đổi của dự án",
    pick_key="hq_files_pick",
    also=discussion.panel,  # its discussion and directions (issue 17)
)

transfer.download(
    f"Tải Excel: {fmt_int(total)} dự án theo bộ lọc",
    lambda: export_hq(ctx.database_url, view, as_of, stale_days),
    f"tru-so-{as_of:%Y%m%d}.xlsx",
    "hq_xlsx",
)
