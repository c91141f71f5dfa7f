"""The evidence files of one row (tệp minh chứng): the list, download, upload and removal.

A file is always offered as a download (Content-Disposition: attachment, sent as
application/octet-stream under the name checked on upload), never shown in the page. Its bytes are
read from the database only when its button is clicked. Upload and removal go through
lib/editing/attachments.py, which judges the file and checks the scope again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import streamlit as st

from lib.core import evidence
from lib.core.formatting import fmt_datetime
from lib.core.roles import Refused
from lib.data.attachments import FileRow
from lib.data.db import DatabaseError
from lib.editing import attachments as attaching
from lib.ui import transfer, widgets
from lib.ui.loaders import list_attachments, load_attachments, load_may_attach, read_attachment
from lib.ui.shell import RunContext

DOWNLOAD_MIME = "application/octet-stream"  # never rendered: the browser saves it
# The key prefix of each page that draws the panel (tasks: /nhiem-vu's detail section).
PREFIXES = {
    "task": "tasks",
    "hq_project": "hq",
    "model_ward": "wards",
    "document": "docs",
    "task_request": "requests",
}


def _keys(entity: str, row_id: int) -> str:
    return f"{PREFIXES.get(entity, entity)}_files_{row_id}"


def panel(ctx: RunContext, entity: str, row_id: int, *, heading: bool = True) -> None:
    """Draw the evidence files of one row: list with downloads, upload and removal for who may edit it.

    Everything happens in the run of the click, with no extra rerun (a rerun of a page that wrote
    can fold the expander the panel sits in): a confirmed removal is done before the list is drawn,
    an upload below it fills the list's place once stored.
    """
    if ctx.actor is None:
        return
    key = _keys(entity, row_id)
    if heading:
        st.markdown("**Tệp minh chứng**")
    editable = ctx.outage is None and load_may_attach(
        ctx.database_url, ctx.data_version, ctx.actor, entity, row_id
    )
    wrote = _confirmed_removal(ctx, key) if editable else False
    listing = st.container()
    if editable:
        wrote = _upload(ctx, key, entity, row_id) or wrote
    with listing:
        files = (
            list_attachments(ctx.database_url, entity, row_id)  # just written: read again
            if wrote
            else load_attachments(ctx.database_url, ctx.data_version, entity, row_id)
        )
        if not files:
            st.caption("Chưa có tệp minh chứng nào.")
        for item in files:
            _file_row(ctx, key, item, editable)


def _file_row(ctx: RunContext, key: str, item: FileRow, editable: bool) -> None:
    left, middle, right = st.columns([6, 2, 1], vertical_alignment="center")
    kind = evidence.KINDS.get(item.kind)
    left.markdown(
        f"📄 {widgets.plain(item.filename)}  \n"
        f":gray[{kind.label if kind else item.kind} · {evidence.size_text(item.size)} · "
        f"{widgets.plain(item.uploaded_by)} · {fmt_datetime(item.uploaded_at)}"
        + (f" · {widgets.plain(item.note)}" if item.note else "")
        + "]"
    )
    with middle:
        transfer.download(
            "Tải về",
            lambda: _bytes(ctx.database_url, item.id),
            item.filename,
            f"{key}_get_{item.id}",
            mime=DOWNLOAD_MIME,
        )
    state = st.session_state
    if editable and right.button("Gỡ", key=f"{key}_remove_{item.id}", icon=":material/delete:"):
        state[f"{key}_confirm"] = item.id
    if editable and state.get(f"{key}_confirm") == item.id:
        _ask_removal(key, item)


def _bytes(url: str, attachment_id: int) -> bytes:
    data = read_attachment(url, attachment_id)
    if data is None:
        raise Refused("tệp đã được gỡ khỏi dòng này; hãy tải lại trang.")
    return data


def _ask_removal(key: str, item: FileRow) -> None:
    with st.container(border=True):
        st.warning(
            f"Gỡ tệp “{item.filename}” khỏi dòng này? Tệp không còn hiện và tải về được; hồ sơ của tệp "
            "(ai gửi, ai gỡ, khi nào) vẫn được lưu và ghi nhật ký.",
            icon="⚠️",
        )
        st.text_input("Lý do gỡ", key=f"{key}_reason_{item.id}", max_chars=evidence.MAX_NOTE_CHARS)
        yes, no = st.columns(2)
        yes.button("Xác nhận gỡ", key=f"{key}_remove_yes_{item.id}", type="primary")
        no.button("Thôi", key=f"{key}_remove_no_{item.id}")


def _confirmed_removal(ctx: RunContext, key: str) -> bool:
    """Act on the answer to a removal asked in the previous run; return whether a file was removed."""
    state = st.session_state
    pending = state.get(f"{key}_confirm")
    if pending is None:
        return False
    if state.get(f"{key}_remove_no_{pending}"):
        state.pop(f"{key}_confirm", None)
        return False
    if not state.get(f"{key}_remove_yes_{pending}"):
        return False
    state.pop(f"{key}_confirm", None)
    reason = str(state.get(f"{key}_reason_{pending}") or "")
    done = widgets.run_action(ctx, attaching.remove, int(pending), reason)
    if done is None:
        return False
    st.success(f"Đã gỡ tệp “{done.value.filename}”.", icon="✅")
    return True


def _upload(ctx: RunContext, key: str, entity: str, row_id: int) -> bool:
    """The upload form; return whether a file was stored."""
    assert ctx.actor is not None
    with st.form(f"{key}_form", clear_on_submit=True, border=True):
        upload = st.file_uploader(
            f"Thêm tệp minh chứng ({evidence.ACCEPTED})",
            type=list(evidence.EXTENSIONS),
            key=f"{key}_upload",
            max_upload_size=evidence.MAX_MB,
        )
        note = st.text_input("Ghi chú (không bắt buộc)", key=f"{key}_note", max_chars=evidence.MAX_NOTE_CHARS)
        sent = st.form_submit_button("Tải lên", icon=":material/upload_file:")
    if not sent:
        return False
    if upload is None:
        st.warning("Chưa chọn tệp nào.", icon="⚠️")
        return False
    try:
        added = attaching.add(ctx.engine, ctx.actor, entity, row_id, upload.name, upload.getvalue(), note)
    except Refused as exc:
        widgets.show_refusal(exc)
        return False
    except DatabaseError as exc:
        st.error(str(exc), icon="⚠️")
        return False
    if added.duplicate:
        st.info(
            f"Tệp này (cùng nội dung) đã có trên dòng này với tên “{added.filename}”; không lưu lần nữa.",
            icon="ℹ️",
        )
        return False
    st.success(f"Đã lưu tệp “{added.filename}”.", icon="✅")
    return True


def row_files(
    ctx: RunContext,
    entity: str,
    rows: Sequence[Mapping[str, Any]],
    label: Callable[[Mapping[str, Any]], str],
    *,
    title: str,
    pick_key: str,
    also: Callable[[RunContext, str, int], None] | None = None,
) -> None:
    """An expander on a list page: pick one of the rows shown, then its evidence files (and what
    `also` draws for that row, such as its discussion)."""
    if ctx.actor is None or not rows:
        return
    by_id = {int(r["id"]): r for r in rows}
    with st.expander(title, icon=":material/attach_file:", key=f"{pick_key}_open"):
        picked = st.selectbox(
            "Chọn dòng",
            list(by_id),
            format_func=lambda i: label(by_id[i]),
            index=None,
            key=pick_key,
            placeholder="Chọn một dòng trong danh sách",
        )
        if picked is not None:
            panel(ctx, entity, int(picked))
            if also is not None:
                also(ctx, entity, int(picked))
