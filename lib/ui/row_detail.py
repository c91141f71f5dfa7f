"""One task in full on /nhiem-vu ("Chi tiết nhiệm vụ"): its requests, reminders, evidence files and
discussion, each drawn by the panel module that owns it. The row is picked from the rows shown (key
`tasks_detail_pick`) or named in the link (`?ma=<id>`, so a mention or a reminder can point at it; a
linked task is offered even when the page's filters or paging leave it out).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import streamlit as st

from lib.ui import attachments, discussion, reminders, requests
from lib.ui.loaders import load_task_row
from lib.ui.shell import RunContext

PICK_KEY = "tasks_detail_pick"
MAX_ID = 2_147_483_647  # an integer column's largest value on both engines
PARAM = "ma"


def _label(row: Mapping[str, Any]) -> str:
    title = str(row.get("title") or "")
    return f"{row['id']} — {title if len(title) <= 80 else title[:79] + '…'}"


def _task_id(raw: str | None) -> int | None:
    """The task id a link names: 1 to 10 ASCII digits within the ids a row can have, else None."""
    if raw is None or not re.fullmatch(r"[0-9]{1,10}", raw):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def task_detail(ctx: RunContext, rows: Sequence[Mapping[str, Any]], as_of: date, due_soon_days: int) -> None:
    """Pick a task among `rows` (or the one of `?ma=`) and draw its panels."""
    if ctx.actor is None:
        return
    by_id = {int(r["id"]): r for r in rows}
    raw = st.query_params.get(PARAM)
    wanted = _task_id(raw)
    if wanted is not None and wanted not in by_id:
        linked = load_task_row(ctx.database_url, ctx.data_version, wanted, as_of, due_soon_days)
        if linked is not None:
            by_id = {wanted: linked, **by_id}
    if raw is not None and (wanted is None or wanted not in by_id):
        st.warning(f"Không có nhiệm vụ mã “{raw[:20]}” mà đường dẫn nêu.", icon="⚠️")
    if not by_id:
        return
    if wanted is not None and wanted in by_id and PICK_KEY not in st.session_state:
        st.session_state[PICK_KEY] = wanted
    # Keyed, so it stays open across the reruns its own buttons cause; open at once from a link.
    with st.expander(
        "Chi tiết nhiệm vụ: đề nghị, đôn đốc, tệp minh chứng, trao đổi",
        expanded=raw is not None,
        key="tasks_detail_open",
        icon=":material/info:",
    ):
        picked = st.selectbox(
            "Nhiệm vụ",
            list(by_id),
            format_func=lambda i: _label(by_id[i]),
            index=None,
            key=PICK_KEY,
            placeholder="Chọn một nhiệm vụ trong danh sách",
        )
        if picked is None:
            return
        row = by_id[int(picked)]
        requests.panel(ctx, row)
        reminders.panel(ctx, row)
        attachments.panel(ctx, "task", int(row["id"]))
        discussion.panel(ctx, "task", int(row["id"]))
