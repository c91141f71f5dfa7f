"""Reorganisations on their page (/to-chuc): the record of each, a new one from a CSV file, and
applying a recorded one — asking, where a body splits, which successor takes each open row.

Reading, checking, recording and applying are lib/files/arrangement.py and
lib/editing/arrangements.py; this module only draws. Recording writes a draft (nothing on the map
changes); applying is one audited transaction that ends and starts bodies and passes open rows on.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core.arrangement import CHANGE_LABELS, STATE_LABELS, ArrangementInvalid, Parsed
from lib.core.formatting import fmt_date
from lib.data.db import transaction
from lib.data.organisation import ArrangementRow, list_arrangements
from lib.editing import arrangements
from lib.files.arrangement import MAX_BYTES, UNITS_01, read_arrangement
from lib.ui.shell import RunContext
from lib.ui.widgets import run_action

MB = 1024 * 1024
INTRO = (
    "Mỗi lần sắp xếp đơn vị hành chính hoặc cơ quan là một bản ghi: nghị quyết (số, ngày), ngày có hiệu "
    "lực và các dòng **cũ → mới**. Tải lên tệp CSV theo bố cục của các tệp tham chiếu (ví dụ "
    "`data/units-2025-01.csv`, `data/units-2025-07.csv`, `data/agencies-2025.csv`), xem trước, ghi nhận; "
    "sau đó **áp dụng**: đơn vị cũ kết thúc ngày trước ngày hiệu lực, nhiệm vụ, dự án trụ sở, đăng ký "
    "phường kiểu mẫu còn đang theo dõi chuyển sang đơn vị kế tục (trong một lần, có ghi nhật ký), còn "
    "kết quả đã hoàn thành giữ nguyên nơi cũ. Số liệu tính đến một ngày luôn theo bộ máy của ngày đó."
)
_TEMPLATE = (
    ",".join(UNITS_01)
    + "\n"
    + (
        "Nếnh,phuong,Thị xã Việt Yên,Việt Yên,phuong,Thị xã Việt Yên,merged,"
        "NQ 9999/NQ-UBTVQH15 (01/10/2026),2026-12-01,https://…\n"
    )
)


def arrangements_panel(ctx: RunContext) -> None:
    """The list of reorganisations, a new one from a file, and the drafts waiting to be applied."""
    st.markdown(INTRO)
    applied = st.session_state.pop("_arrangement_applied", None)
    if applied:
        st.success("Đã áp dụng:\n\n" + "\n".join(f"- {line.strip()}" for line in applied), icon="✅")
    with transaction(ctx.engine) as s:
        rows = list_arrangements(s)
    _list(rows)
    st.subheader("Ghi nhận sắp xếp mới")
    _new(ctx)
    drafts = [r for r in rows if r.state == "draft"]
    if drafts:
        st.subheader("Áp dụng sắp xếp đã ghi nhận")
        for row in drafts:
            _draft(ctx, row)


def _list(rows: list[ArrangementRow]) -> None:
    if not rows:
        st.info("Chưa ghi nhận lần sắp xếp nào.")
        return
    frame = pd.DataFrame(
        {
            "Mã": [r.code for r in rows],
            "Nghị quyết": [r.resolution for r in rows],
            "Ngày nghị quyết": [fmt_date(r.resolution_on) for r in rows],
            "Ngày hiệu lực": [fmt_date(r.effective_on) for r in rows],
            "Nội dung": [r.title for r in rows],
            "Số dòng": [r.lines for r in rows],
            "Trạng thái": [STATE_LABELS.get(r.state, r.state) for r in rows],
            "Người áp dụng": [r.applied_by for r in rows],
            "Lúc": [r.applied_at.strftime("%H:%M %d/%m/%Y") if r.applied_at else "" for r in rows],
        }
    )
    st.dataframe(frame, hide_index=True, use_container_width=True)


def _new(ctx: RunContext) -> None:
    st.download_button(
        "Tải tệp mẫu (.csv)",
        _TEMPLATE.encode("utf-8-sig"),
        "mau-sap-xep.csv",
        mime="text/csv",
        key="arrangement_template",
    )
    upload = st.file_uploader(
        f"Tệp sắp xếp (.csv, UTF-8, tối đa {MAX_BYTES // MB} MB)",
        type=["csv"],
        key="arrangement_file",
        max_upload_size=max(1, MAX_BYTES // MB),
    )
    if upload is None:
        return
    data = upload.getvalue()
    try:
        parsed = read_arrangement(data, upload.name)
    except ArrangementInvalid as exc:
        st.error("Tệp chưa đọc được, chưa ghi gì:\n\n" + "\n".join(f"- {p}" for p in exc.problems), icon="🚫")
        return
    _preview(parsed)
    with transaction(ctx.engine) as s:
        problems = arrangements.check(s, parsed)
    if problems:
        st.error("Không ghi nhận được, chưa ghi gì:\n\n" + "\n".join(f"- {p}" for p in problems), icon="🚫")
        return
    digest = hashlib.sha256(data).hexdigest()[:12]
    title = st.text_input("Nội dung (trích yếu)", key=f"arrangement_title_{digest}")
    if st.button("Ghi nhận", key=f"arrangement_record_{digest}", type="primary"):
        done = run_action(ctx, arrangements.record_arrangement, parsed, config.now(), title=title.strip())
        if done is not None:
            st.success(
                "Đã ghi nhận (chưa áp dụng). Kiểm tra các dòng chia tách bên dưới rồi áp dụng.", icon="✅"
            )
            st.rerun()


def _preview(parsed: Parsed) -> None:
    st.markdown(
        f"**{parsed.resolution}**"
        + (f" ngày {fmt_date(parsed.resolution_on)}" if parsed.resolution_on else "")
        + f", hiệu lực từ **{fmt_date(parsed.effective_on)}**: {len(parsed.lines)} dòng."
    )
    st.dataframe(
        pd.DataFrame(
            {
                "Dòng": [line.line_no for line in parsed.lines],
                "Cũ": [line.describe_old() for line in parsed.lines],
                "Thay đổi": [CHANGE_LABELS.get(line.change, line.change) for line in parsed.lines],
                "Mới": [line.describe_new() for line in parsed.lines],
            }
        ),
        hide_index=True,
        use_container_width=True,
    )


def _draft(ctx: RunContext, row: ArrangementRow) -> None:
    label = f"{row.resolution}, hiệu lực {fmt_date(row.effective_on)} ({row.lines} dòng)"
    with st.expander(label, expanded=True):
        with transaction(ctx.engine) as s:
            splits = arrangements.split_rows(s, row.id)
        choices: dict[tuple[str, int], int] = {}
        if splits:
            st.markdown(
                f"**{len(splits)} dòng đang theo dõi** của đơn vị bị chia tách: chọn đơn vị kế tục nhận từng "
                "dòng (mặc định: đơn vị kế tục chứa xã, phường của dòng, nếu không thì trụ sở chính)."
            )
            for split in splits:
                values: list[int] = [o.value for o in split.options]
                labels = {o.value: o.label + (" (chính)" if o.main else "") for o in split.options}
                chosen = st.selectbox(
                    f"{split.label} — của {split.body_name}",
                    values,
                    index=values.index(split.default) if split.default in values else 0,
                    format_func=labels.__getitem__,
                    key=f"arrangement_{row.id}_{split.entity}_{split.row_id}",
                )
                choices[(split.entity, split.row_id)] = int(chosen if chosen is not None else split.default)
        else:
            st.caption("Không có dòng nào cần chọn đơn vị kế tục.")
        sure = st.checkbox(
            "Tôi đã kiểm tra: áp dụng sắp xếp này (không hoàn tác bằng một cú nhấp)",
            key=f"arrangement_sure_{row.id}",
        )
        if st.button("Áp dụng", key=f"arrangement_apply_{row.id}", type="primary", disabled=not sure):
            done = run_action(ctx, arrangements.apply_arrangement, row.id, config.now(), choices)
            if done is not None:
                st.session_state["_arrangement_applied"] = done.value.lines()
                st.rerun()
