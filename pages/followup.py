"""Follow-up (/qua-han): what is late, what falls due soon, the yearly reports, rows nobody updates."""

import pandas as pd
import streamlit as st

from lib.core.catalogue import TASK, YEARLY_REPORT
from lib.core.figures import yearly_tally
from lib.core.formatting import fmt_date, fmt_int
from lib.files import export
from lib.ui import columns, filtering, reminders, shell, transfer, widgets
from lib.ui.loaders import export_followup, load_filter_options, load_followup

LIMIT = 500  # rows shown per list; the download holds every row
ctx = shell.context()
options = load_filter_options(ctx.database_url, ctx.versions.base)
filters, as_of = filtering.filter_bar(
    "followup", options, ctx.today, fields=("loc", "clause", "doc", "assigning", "agency", "coop")
)
with st.sidebar:
    due_days = widgets.days_input(
        "Sắp đến hạn trong (ngày)", 365, ctx.settings.due_soon_days, "followup_due_days"
    )
    silent_days = widgets.days_input(
        "Không cập nhật quá (ngày)", 3650, ctx.settings.stale_days, "followup_silent_days"
    )
data = load_followup(ctx.database_url, ctx.data_version, filters, as_of, due_days, silent_days, LIMIT)

st.title("Theo dõi, đôn đốc")
widgets.as_of_caption(as_of)
reports = data["reports"]
tally = yearly_tally(reports, as_of.year)
row = st.columns(4)
overdue_total = sum(g.overdue for g in data["by_locality"])
row[0].metric("Quá hạn, chưa hoàn thành", fmt_int(overdue_total), border=True)
row[1].metric(f"Sắp đến hạn ({due_days} ngày tới)", fmt_int(data["due_soon_total"]), border=True)
row[2].metric(
    f"Báo cáo năm {as_of.year} chưa gửi",
    f"{fmt_int(tally.missing)}/{fmt_int(tally.expected)}",
    border=True,
    help="Mỗi cơ quan, đơn vị báo cáo kết quả hằng năm trước ngày 15/12.",
)
row[3].metric(f"Không cập nhật quá {silent_days} ngày", fmt_int(data["silent_total"]), border=True)

BASE = ("id", "title", "locality", "lead_agency", "current_deadline")
OVERDUE = (*BASE, "days_overdue", "reminders", "progress_pct", "obstacles", "updated_by", "updated_at")
DUE_SOON = (*BASE, "days_left", "reminders", "progress_pct", "updated_at")
SILENT = (*BASE, "progress_pct", "updated_by", "updated_at")
TASK_COLUMNS = columns.column_config(
    TASK, tuple(dict.fromkeys((*OVERDUE, *DUE_SOON))), bars=("progress_pct",)
)


def task_table(rows, key, columns):
    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=list(columns))
    st.dataframe(frame, hide_index=True, key=key, column_order=columns, column_config=TASK_COLUMNS)


def download(label, kind, days, file_name, key):
    """A button that writes the whole list (not only the rows shown) as .xlsx when clicked."""
    transfer.download(
        label, lambda: export_followup(ctx.database_url, kind, filters, as_of, days), file_name, key
    )


stamp = f"{as_of:%Y%m%d}"
tabs = ["Quá hạn", f"Sắp đến hạn ({fmt_int(data['due_soon_total'])})", "Báo cáo năm (trước 15/12)"]
# Keyed and tracked, so the tab in use stays open across the reruns its own widgets cause.
late, soon, yearly, silent, letters = st.tabs(
    [*tabs, "Lâu không cập nhật", "Công văn đôn đốc"], key="followup_tab", on_change="rerun"
)
with late:
    left, right = st.columns(2)
    for col, key, title in (
        (left, "by_locality", "Theo địa bàn"),
        (right, "by_agency", "Theo cơ quan chủ trì"),
    ):
        with col:
            st.markdown(f"**{title}** (nặng nhất trước)")
            st.dataframe(
                pd.DataFrame(
                    [
                        {"name": g.name, "overdue": g.overdue, "worst": g.worst_days, "total": g.total_days}
                        for g in data[key]
                    ],
                    columns=["name", "overdue", "worst", "total"],
                ),
                hide_index=True,
                key=f"followup_{key}",
                column_config={
                    "name": st.column_config.TextColumn("Địa bàn" if key == "by_locality" else "Cơ quan"),
                    "overdue": st.column_config.NumberColumn("Số quá hạn"),
                    "worst": st.column_config.NumberColumn("Quá hạn lâu nhất (ngày)"),
                    "total": st.column_config.NumberColumn("Tổng số ngày quá hạn"),
                },
            )
    overdue = data["overdue"]
    if overdue:
        st.markdown(f"**{fmt_int(overdue_total)} nhiệm vụ quá hạn**, quá hạn lâu nhất trước")
        task_table(overdue, "followup_overdue", OVERDUE)
        download(
            "Tải danh sách quá hạn (.xlsx)", "overdue", 0, f"qua-han-{stamp}.xlsx", "followup_overdue_xlsx"
        )
    else:
        st.success("Không có nhiệm vụ quá hạn.", icon="✅")

with soon:
    due = data["due_soon"]
    if due:
        task_table(due, "followup_due_soon", DUE_SOON)
        download(
            "Tải danh sách sắp đến hạn (.xlsx)",
            "due_soon",
            due_days,
            f"sap-den-han-{stamp}.xlsx",
            "followup_due_soon_xlsx",
        )
    else:
        st.info(f"Không có nhiệm vụ nào đến hạn trong {due_days} ngày tới.")

with yearly:
    rows = [export.yearly_report_row(r) for r in reports]
    if rows:
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            key="followup_reports",
            column_config=columns.column_config(YEARLY_REPORT, [f.name for f in YEARLY_REPORT.fields]),
        )
        transfer.download(
            "Tải danh sách báo cáo năm (.xlsx)",
            lambda: export.yearly_reports_xlsx(reports, as_of),
            f"bao-cao-nam-{stamp}.xlsx",
            "followup_reports_xlsx",
        )
    else:
        st.info("Không có báo cáo năm nào trong phạm vi đang xem.")

with silent:
    quiet = data["silent"]
    st.markdown(
        f"**{fmt_int(data['silent_total'])} nhiệm vụ chưa hoàn thành** không được cập nhật từ trước ngày "
        f"{fmt_date(as_of - pd.Timedelta(days=silent_days))}, lâu nhất trước"
    )
    if quiet:
        task_table(quiet, "followup_silent", SILENT)
        download(
            "Tải danh sách lâu không cập nhật (.xlsx)",
            "silent",
            silent_days,
            f"khong-cap-nhat-{stamp}.xlsx",
            "followup_silent_xlsx",
        )

with letters:
    reminders.letters_tab(ctx, filters, as_of, due_days)

st.caption(f"Mỗi bảng hiển thị tối đa {LIMIT} dòng; tệp tải về có đủ mọi dòng của danh sách.")
