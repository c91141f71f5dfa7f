"""Meeting mode (`?trinh_chieu=1`): the overview for a projector, its date fixed by the link."""

from __future__ import annotations

import streamlit as st

from lib.core import rules
from lib.core.filters import FilterOptions, describe_filters
from lib.core.formatting import fmt_billion, fmt_int, fmt_pct
from lib.ui import charts, discussion, filtering, shell
from lib.ui.loaders import load_overview
from lib.ui.shell import RunContext


def overview(ctx: RunContext, options: FilterOptions) -> None:
    """Large tiles and charts, no sidebar; no widget can move the as-of date during the meeting."""
    filters, as_of = filtering.url_filters(options, ctx.today)
    data = load_overview(ctx.database_url, ctx.data_version, filters, as_of, ctx.settings.due_soon_days)
    shell.projector_style()
    b, f = data.buckets, data.funding
    st.title("Tiến độ thực hiện Đề án 30/ĐA-BCA và Đề án 885")
    st.markdown(f"## Số liệu tính đến ngày {as_of:%d/%m/%Y}")
    if not filters.is_empty:
        st.markdown("### Phạm vi: " + describe_filters(filters, options))
    row = st.columns(4)
    row[0].metric("Tổng số nhiệm vụ", fmt_int(b.total), border=True)
    row[1].metric("Tỷ lệ hoàn thành đúng hạn", fmt_pct(b.on_time_rate), border=True)
    row[2].metric("Quá hạn", fmt_int(b.count(rules.OVERDUE)), border=True)
    row[3].metric(f"Sắp đến hạn ({ctx.settings.due_soon_days} ngày)", fmt_int(b.due_soon), border=True)
    row = st.columns(4)
    row[0].metric("Giải ngân trụ sở", fmt_pct(f.disbursement_rate), border=True)
    row[1].metric("Đã giải ngân (tỷ đồng)", fmt_billion(f.disbursed), border=True)
    row[2].metric("Phường đăng ký kiểu mẫu", fmt_int(data.wards.registered), border=True)
    row[3].metric("Phường được công nhận", fmt_int(data.wards.recognised), border=True)
    names = dict(options.localities)
    left, right = st.columns(2)
    with left:
        st.altair_chart(
            charts.for_projector(
                charts.buckets_by_locality_chart(charts.bucket_frame(data.buckets_by_locality, names))
            ),
            width="stretch",
        )
    with right:
        st.altair_chart(
            charts.for_projector(
                charts.funding_by_locality_chart(charts.funding_frame(data.funding_by_locality, names))
            ),
            width="stretch",
        )
    discussion.recent_directions(ctx)  # leaders' latest directions (ý kiến chỉ đạo)
    st.page_link(
        "pages/overview.py",
        label="Thoát chế độ trình chiếu",
        icon=":material/close_fullscreen:",
        query_params={k: v for k, v in st.query_params.to_dict().items() if k != shell.PARAM_MEETING},
    )
