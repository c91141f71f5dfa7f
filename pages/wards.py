"""Model wards (/phuong-kieu-mau): registrations, criteria met, recognition, the road to 2030."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from lib.core import rules
from lib.core.catalogue import MODEL_WARD
from lib.core.figures import as_percent, roadmap_totals
from lib.core.filters import PROVINCE_LEVEL, edit_scope
from lib.core.formatting import fmt_int, fmt_pct
from lib.core.rules import LIFECYCLE_ACTIVE as ACTIVE
from lib.editing.changeset import WARDS
from lib.editing.creation import NEW_WARD
from lib.ui import attachments, charts, discussion, filtering, record_forms, shell, transfer, widgets
from lib.ui.editor import entity_table
from lib.ui.loaders import (
    export_wards,
    load_filter_options,
    load_merge_targets,
    load_unit_choices,
    load_ward_roadmap,
    load_wards,
)

ADD_FIELDS = ("unit_id", "year_registered", "criteria_met", "recognised_decision", "recognised_on", "notes")

ctx = shell.context()
actor = ctx.actor
options = load_filter_options(ctx.database_url, ctx.versions.base)
places = {c: n for c, n in options.localities.items() if c != PROVINCE_LEVEL}
options = replace(options, localities=places)
filters, as_of = filtering.filter_bar("wards", options, ctx.today, fields=("loc",))
localities = filters.localities
roadmap, pilots = load_ward_roadmap(ctx.database_url, ctx.data_version, localities, as_of)

st.title("Công an phường điển hình, kiểu mẫu")
st.caption(
    "Mục 4 của Công văn: thị xã Việt Yên và thành phố Bắc Giang lựa chọn, đăng ký phường thực hiện thí điểm "
    "tiêu chí “Công an phường điển hình, kiểu mẫu về an ninh, trật tự và văn minh đô thị” năm 2024. "
    f"Mục tiêu: 100% số phường đạt kiểu mẫu vào năm {rules.WARD_TARGET_YEAR}."
)
widgets.as_of_caption(as_of)

st.subheader("Đăng ký thí điểm năm 2024 (mục 4)")
cols = st.columns(len(pilots))
for col, (code, names) in zip(cols, pilots.items(), strict=True):
    place = places.get(code, code)
    if names:
        col.success(
            f"**{place}**: đã đăng ký {len(names)} phường thí điểm năm 2024 — {', '.join(names)}.", icon="✅"
        )
    else:
        col.error(f"**{place}**: chưa đăng ký phường thí điểm năm 2024 như mục 4 yêu cầu.", icon="❗")

year = rules.roadmap_year(as_of)
totals = roadmap_totals(roadmap, year)
wards_total, registered, recognised = totals.wards, totals.registered or 0, totals.recognised or 0
row = st.columns(4)
row[0].metric(
    "Số phường",
    fmt_int(wards_total),
    border=True,
    help="Phường có hiệu lực tại ngày tính số liệu (theo các lần sắp xếp đơn vị hành chính).",
)
row[1].metric(
    "Đã đăng ký kiểu mẫu",
    fmt_int(registered),
    border=True,
    help=f"Tỷ lệ: {fmt_pct(totals.registered_share)} số phường.",
)
row[2].metric(
    "Được công nhận",
    fmt_int(recognised),
    border=True,
    help=f"Tỷ lệ: {fmt_pct(totals.recognised_share)} số phường.",
)
row[3].metric(
    f"Lộ trình tham chiếu năm {as_of.year}",
    fmt_pct(rules.reference_share(as_of.year), 0),
    border=True,
    help="Đường thẳng từ 0% (2023) đến 100% (2030); lộ trình riêng của tỉnh chưa được công bố cùng Công văn.",
)

st.subheader("Lộ trình đến năm 2030")
charts.show(charts.roadmap_chart, roadmap, places, width="content")
table = pd.DataFrame(
    [
        {
            "locality": places.get(p.locality, p.locality),
            "year": str(p.year),
            "wards": p.wards,
            "registered": p.registered,
            "registered_pct": as_percent(p.registered_share),
            "recognised": p.recognised,
            "recognised_pct": as_percent(p.recognised_share),
            "reference_pct": as_percent(rules.reference_share(p.year)),
        }
        for p in roadmap
        if p.year <= max(as_of.year, rules.ROADMAP_FIRST_YEAR)
    ]
)
st.dataframe(
    table,
    hide_index=True,
    key="wards_roadmap_table",
    column_config={
        "locality": st.column_config.TextColumn("Địa bàn"),
        "year": st.column_config.TextColumn("Năm"),
        "wards": st.column_config.NumberColumn("Số phường"),
        "registered": st.column_config.NumberColumn("Đã đăng ký (lũy kế)"),
        "registered_pct": st.column_config.ProgressColumn(
            "Đăng ký (%)", min_value=0, max_value=100, format="%.0f%%"
        ),
        "recognised": st.column_config.NumberColumn("Được công nhận (lũy kế)"),
        "recognised_pct": st.column_config.ProgressColumn(
            "Công nhận (%)", min_value=0, max_value=100, format="%.0f%%"
        ),
        "reference_pct": st.column_config.NumberColumn("Lộ trình tham chiếu (%)", format="%.0f%%"),
    },
)
st.caption(
    "Số phường theo cơ cấu đơn vị hành chính có hiệu lực tại ngày tính số liệu (các năm trước: ngày 31/12): "
    "phường sáp nhập chỉ tính phường mới, xã, thị trấn lên phường tính từ ngày lên phường."
)

st.subheader("Danh sách phường đăng ký")
scope = edit_scope(actor, replace(filters, localities=localities), options, "phường đăng ký")
if scope.note:
    st.info(scope.note, icon="✏️")
with_retired = st.toggle("Hiện cả đăng ký đã dừng/hủy/gộp", key="wards_with_retired")
rows = load_wards(
    ctx.database_url,
    ctx.data_version,
    actor if scope.editable else None,
    scope.filters.localities,
    with_retired,
)
if scope.editable and ctx.outage is None:
    own = scope.filters.scope  # a focal point: the units of their scope only
    with st.expander("Thêm phường đăng ký kiểu mẫu", icon=":material/add:", key="wards_add_open"):
        years = range(rules.PILOT_YEAR, rules.WARD_TARGET_YEAR + 1)
        record_forms.add_form(
            ctx,
            "wards",
            NEW_WARD,
            ADD_FIELDS,
            {
                "unit_id": load_unit_choices(
                    ctx.database_url, ctx.data_version, (), wards_only=True, scope=own, day=ctx.today
                ),
                "year_registered": {y: str(y) for y in years},
            },
            defaults={"year_registered": min(max(as_of.year, rules.PILOT_YEAR), rules.WARD_TARGET_YEAR)},
            submit="Thêm đăng ký",
            done=lambda row_id: f"Đã thêm đăng ký mã {row_id}; đăng ký có trong danh sách bên dưới.",
        )
    with st.expander("Dừng, hủy bỏ hoặc gộp đăng ký", icon=":material/archive:", key="wards_retire_open"):
        record_forms.retire_panel(
            ctx,
            "wards",
            WARDS,
            rows,
            label=lambda r: (
                f"Mã {r['id']} — {r['unit']}, {r['locality']} — năm {r['year_registered']}"
                + ("" if r["lifecycle"] == ACTIVE else f" ({MODEL_WARD.shown('lifecycle', r['lifecycle'])})")
            ),
            targets=lambda code: load_merge_targets(
                ctx.database_url, ctx.data_version, actor, WARDS.entity, code
            ),
            noun="đăng ký",
            hint="Không xóa đăng ký nào: đăng ký dừng, hủy bỏ hoặc gộp vẫn lưu, xem được khi bật “Hiện cả "
            "đăng ký đã dừng/hủy/gộp”, và không còn được tính vào số phường đã đăng ký, được công nhận.",
        )
for r in rows:
    r["criteria_progress"] = r["criteria_met"]

if not rows:
    st.info("Chưa có phường nào đăng ký trong phạm vi đang xem.")
entity_table("wards", WARDS, rows, actor=actor, engine=ctx.engine, editable=scope.editable)
attachments.row_files(  # evidence files of one registration of this page (issue 17)
    ctx,
    WARDS.entity,
    rows,
    lambda r: f"Mã {r['id']} — {r['unit']}, {r['locality']} — năm {r['year_registered']}",
    title="Tệp minh chứng và trao đổi của đăng ký",
    pick_key="wards_files_pick",
    also=discussion.panel,  # its discussion and directions (issue 17)
)

transfer.download(
    f"Tải Excel: {fmt_int(len(rows))} phường đăng ký",
    lambda: export_wards(ctx.database_url, scope.filters.localities, as_of, with_retired),
    f"phuong-kieu-mau-{as_of:%Y%m%d}.xlsx",
    "wards_xlsx",
)
