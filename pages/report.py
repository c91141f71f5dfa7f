"""Year-end report (/bao-cao): the province's or one locality's report, on screen, in .xlsx and .docx."""

import pandas as pd
import streamlit as st

from lib.core import rules
from lib.core.catalogue import TASK
from lib.core.figures import yearly_tally
from lib.core.filters import PARAM_AS_OF, PARAM_LOCALITY, parse_as_of
from lib.core.formatting import fmt_billion, fmt_date, fmt_int, fmt_pct, fmt_vnd
from lib.files import report
from lib.ui import columns, filtering, periods, report_draft, shell, transfer, widgets
from lib.ui.loaders import load_filter_options, load_report

ctx = shell.context()
options = load_filter_options(ctx.database_url, ctx.versions.base)
choices = report.scopes(dict(options.localities))
# The URL is the one source of truth for the scope and the date: the widgets start from it and
# write back to it (widgets keyed in session state were seen to snap back to their default).
# A scope or date of the link the page cannot use keeps its warning, and stays in the URL as written,
# until the reader picks another.
wanted = st.query_params.get(PARAM_LOCALITY)
url_scope = wanted if wanted in choices else report.PROVINCE
url_as_of, date_warning = parse_as_of(st.query_params.get_all(PARAM_AS_OF), ctx.today)
problems: dict[str, filtering.UrlProblem] = {}
if wanted and wanted not in choices:
    message = f"Không có địa bàn “{wanted[:40]}” — đang xem báo cáo toàn tỉnh."
    problems[PARAM_LOCALITY] = filtering.UrlProblem(wanted, url_scope, (message,))
if date_warning:
    raw_date = st.query_params.get_all(PARAM_AS_OF)[0]
    problems[PARAM_AS_OF] = filtering.UrlProblem(raw_date, url_as_of, (date_warning,))
notes = st.container()

st.title("Báo cáo năm")
left, middle, right = st.columns([2, 2, 1])
scope = left.selectbox(
    "Phạm vi báo cáo", list(choices), index=list(choices).index(url_scope), format_func=lambda c: choices[c]
)
with middle:
    as_of = widgets.as_of_input(url_as_of, ctx.today)
params = {PARAM_LOCALITY: scope} if scope != report.PROVINCE else {}
if as_of != ctx.today:
    params[PARAM_AS_OF] = as_of.isoformat()
params.update(filtering.standing_problems(problems, {PARAM_LOCALITY: scope, PARAM_AS_OF: as_of}, where=notes))
filtering.sync_query_params(params, owned=(PARAM_LOCALITY, PARAM_AS_OF))

r = load_report(
    ctx.database_url,
    ctx.data_version,
    None if scope == report.PROVINCE else scope,
    as_of,
    ctx.settings.stale_days,
)
if r.report_deadline:
    right.caption(f"Hạn báo cáo năm {r.year}: ngày {fmt_date(r.report_deadline)}.")
else:
    right.caption(f"Chưa có nhiệm vụ báo cáo năm {r.year}.")
st.subheader(f"Kết quả thực hiện Đề án 30/ĐA-BCA và Đề án 885 năm {r.year} — {r.scope_name}")
widgets.as_of_caption(as_of)
periods.report_notes(r)
periods.period_links(ctx, params)

stamp = f"{as_of:%Y%m%d}"
slug = scope
one, two = st.columns(2)
with one:
    transfer.download(
        "Tải báo cáo (.docx)",
        lambda: report.report_docx(r),
        f"bao-cao-{slug}-{stamp}.docx",
        "report_docx",
        mime=transfer.DOCX,
        icon=":material/description:",
        primary=True,
    )
with two:
    transfer.download(
        "Tải số liệu (.xlsx)",
        lambda: report.report_xlsx(r),
        f"bao-cao-{slug}-{stamp}.xlsx",
        "report_xlsx",
        icon=":material/table_view:",
    )

st.markdown("#### I. Kết quả thực hiện nhiệm vụ")
st.dataframe(
    pd.DataFrame(
        [
            {
                "label": ("— " if line.level else "") + line.label,
                "count": line.count,
                "share": fmt_pct(line.share),
            }
            for line in r.lines
        ]
    ),
    hide_index=True,
    key="report_tasks",
    column_config={
        "label": st.column_config.TextColumn("Chỉ tiêu", width="large"),
        "count": st.column_config.NumberColumn("Số nhiệm vụ"),
        "share": st.column_config.TextColumn("Tỷ lệ"),
    },
)
tally = yearly_tally(r.yearly_reports, r.year)
st.caption(
    f"Tạm dừng hoặc hủy (không tính): {fmt_int(r.buckets.count(rules.EXCLUDED))} nhiệm vụ. "
    f"Tỷ lệ hoàn thành đúng hạn: {fmt_pct(r.buckets.on_time_rate)}. "
    f"Báo cáo năm {r.year} đã gửi: {tally.sent}/{tally.expected}."
)

st.markdown("#### II. Trụ sở Công an phường và kinh phí")
f = r.funding
if not r.frozen_money:  # a closed period's money is its yearly money (below), not today's totals
    cols = st.columns(4)
    cols[0].metric("Số dự án", fmt_int(f.projects), border=True)
    cols[1].metric("Dự toán (tỷ đồng)", fmt_billion(f.planned), border=True, help=fmt_vnd(f.planned))
    cols[2].metric("Đã giải ngân (tỷ đồng)", fmt_billion(f.disbursed), border=True, help=fmt_vnd(f.disbursed))
    cols[3].metric(
        "Tỷ lệ giải ngân", fmt_pct(f.disbursement_rate), border=True, help="Đã giải ngân / vốn đã bố trí."
    )
st.caption("; ".join(f"{rules.FLAG_LABELS[k]}: {n}" for k, n in r.hq_flags.items()))
periods.year_money(r)

st.markdown("#### III. Công an phường điển hình, kiểu mẫu")
st.dataframe(
    pd.DataFrame(
        [
            {
                "place": r.locality_names.get(p.locality, p.locality),
                "wards": p.wards,
                "registered": p.registered,
                "recognised": p.recognised,
                "share": fmt_pct(p.recognised_share),
            }
            for p in r.wards
        ],
        columns=["place", "wards", "registered", "recognised", "share"],
    ),
    hide_index=True,
    key="report_wards",
    column_config={
        "place": st.column_config.TextColumn("Địa bàn"),
        "wards": st.column_config.NumberColumn("Số phường"),
        "registered": st.column_config.NumberColumn("Đã đăng ký"),
        "recognised": st.column_config.NumberColumn("Được công nhận"),
        "share": st.column_config.TextColumn("Tỷ lệ công nhận"),
    },
)
for code, names in r.pilots.items():
    place = r.locality_names.get(code, code)
    if names:
        st.caption(f"{place}: đã đăng ký thí điểm năm 2024 — {', '.join(names)}.")
    else:
        st.caption(f"{place}: chưa đăng ký phường thí điểm năm 2024.")

st.markdown(f"#### IV. Nhiệm vụ quá hạn chưa hoàn thành ({fmt_int(r.overdue_total)})")
if r.overdue:
    shown = ("id", "title", "locality", "current_deadline", "days_overdue")
    st.dataframe(
        pd.DataFrame([{c: t[c] for c in shown} for t in r.overdue], columns=list(shown)),
        hide_index=True,
        key="report_overdue",
        column_config=columns.column_config(TASK, shown),
    )
else:
    st.success("Không có nhiệm vụ quá hạn.", icon="✅")

report_draft.panel(ctx, r)
periods.panel(ctx)
