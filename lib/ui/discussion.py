"""The discussion of one row ("Trao đổi") and what awaits the signed-in user ("Việc chờ bạn").

The thread shows each comment's author and time (dd/mm/yyyy HH:MM), directions (ý kiến chỉ đạo)
highlighted. The form offers the kinds this role may write; the write happens in the send button's
callback (lib/editing/discussion.py checks role, scope, length and mentions again), so the text is
cleared once saved and kept when refused, with no extra rerun. Opening a row's discussion marks the
user's mentions on it seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from lib.core import discussion as rule
from lib.core import requests as request_rule
from lib.core.roles import Refused
from lib.data import discussion as reads
from lib.data.db import DatabaseError, transaction
from lib.editing import discussion as talking
from lib.editing.actions import perform
from lib.ui import loaders
from lib.ui.shell import RunContext
from lib.ui.widgets import plain

# The key prefix of each page that draws the panel (tasks: /nhiem-vu's detail section).
PREFIXES = {"task": "tasks", "hq_project": "hq", "model_ward": "wards"}
# Where a row of each kind is opened from a link ("?ma=<id>" opens a task's detail).
PAGES = {"task": "pages/tasks.py", "hq_project": "pages/hq.py", "model_ward": "pages/wards.py"}
WAITING_KEY = "overview_talk"


def recent_directions(ctx: RunContext, limit: int = 5) -> None:
    """Draw the latest directions, each with its row, author and time (nothing when there is none)."""
    found = loaders.load_recent_directions(ctx.database_url, ctx.data_version, limit)
    if not found:
        return
    st.markdown("## Ý kiến chỉ đạo gần đây")
    for d in found:
        st.warning(
            f"**{plain(d.title)}**  \n{plain(d.body, lines=True)}  \n"
            f"— {plain(d.author_name)}, {rule.fmt_when(d.created_at)}",
            icon="📌",
        )


def _key(entity: str, row_id: int) -> str:
    # One set of widgets per row: a comment typed on one row (a form keeps it in the browser until
    # sent) must not stay in the box, ready to send, when another row is picked.
    return f"{PREFIXES.get(entity, entity)}_talk_{row_id}"


def _send(ctx: RunContext, entity: str, row_id: int, key: str) -> None:
    """The send button's callback: write the comment; clear the text once saved, keep it if refused."""
    state = st.session_state
    assert ctx.actor is not None
    kind = state.get(f"{key}_kind") or rule.COMMENT
    body = str(state.get(f"{key}_body") or "")
    try:
        perform(ctx.engine, ctx.actor, talking.add, entity, row_id, body, kind)
    except Refused as exc:
        state[f"{key}_flash"] = ("error", exc.message)
    except DatabaseError as exc:
        state[f"{key}_flash"] = ("error", str(exc))
    else:
        state[f"{key}_body"] = ""
        what = "ý kiến chỉ đạo" if kind == rule.DIRECTION else "ý kiến"
        state[f"{key}_flash"] = ("success", f"Đã gửi {what}.")


def panel(ctx: RunContext, entity: str, row_id: int) -> None:
    """Draw the discussion of one row: the thread, then the form for those who may write."""
    actor = ctx.actor
    if actor is None:
        return
    key = _key(entity, row_id)
    st.markdown("**Trao đổi, ý kiến chỉ đạo**")
    flash = st.session_state.pop(f"{key}_flash", None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(
            flash[1], icon="✅" if flash[0] == "success" else "🚫"
        )
    try:
        with transaction(ctx.engine) as s:
            thread = reads.comments(s, entity, row_id)
            unseen = reads.unseen_on_row(s, actor.username, entity, row_id)
            writable = ctx.outage is None and talking.may_comment_on(s, actor, entity, row_id)
        if unseen and ctx.outage is None:  # opened: their mentions here are seen
            perform(ctx.engine, actor, talking.mark_seen, unseen)
    except DatabaseError as exc:
        st.error(str(exc), icon="⚠️")
        return
    if not thread:
        st.caption("Chưa có ý kiến nào.")
    for c in thread:
        _comment(c, c.id in unseen)
    if writable:
        _form(ctx, entity, row_id, key)
    elif not rule.may_comment(actor.role):
        st.caption("Vai trò của bạn chỉ được xem trao đổi.")


def _comment(c: reads.CommentRow, new: bool) -> None:
    head = f"**{plain(c.author_name)}** · {rule.fmt_when(c.created_at)}" + (" · :blue[mới]" if new else "")
    body = plain(c.body, lines=True)
    if c.is_direction:
        st.warning(f"**{rule.KIND_LABELS[rule.DIRECTION]}** — {head}  \n{body}", icon="📌")
    else:
        with st.container(border=True):
            st.markdown(f"{head}  \n{body}")


def _form(ctx: RunContext, entity: str, row_id: int, key: str) -> None:
    assert ctx.actor is not None
    kinds = rule.kinds_for(ctx.actor.role)
    with st.form(f"{key}_form", border=True):
        if len(kinds) > 1:
            st.radio(
                "Loại ý kiến",
                kinds,
                format_func=rule.KIND_LABELS.__getitem__,
                key=f"{key}_kind",
                horizontal=True,
            )
        st.text_area(
            "Ý kiến",
            key=f"{key}_body",
            max_chars=rule.MAX_CHARS,
            placeholder="Nhắc người cần đọc bằng @tên_đăng_nhập, ví dụ @dp.lucngan",
        )
        st.form_submit_button(
            "Gửi ý kiến",
            icon=":material/send:",
            on_click=_send,
            args=(ctx, entity, row_id, key),
            key=f"{key}_send",
        )


def _mark_seen(ctx: RunContext, comment_ids: list[int] | None) -> None:
    assert ctx.actor is not None
    try:
        perform(ctx.engine, ctx.actor, talking.mark_seen, comment_ids)
    except (Refused, DatabaseError) as exc:
        st.session_state[f"{WAITING_KEY}_flash"] = getattr(exc, "message", str(exc))


def waiting(ctx: RunContext) -> None:
    """Draw "Việc chờ bạn": the user's unseen mentions and the requests waiting for their confirmation
    (nothing when nothing waits)."""
    actor = ctx.actor
    if actor is None or ctx.outage is not None:  # the overview already says the database is away
        return
    try:
        found = loaders.load_awaiting(ctx.database_url, ctx.data_version, actor.username, actor.role)
    except DatabaseError as exc:
        st.error(str(exc), icon="⚠️")
        return
    flash = st.session_state.pop(f"{WAITING_KEY}_flash", None)
    if flash:
        st.error(flash, icon="🚫")
    if found.empty:
        return
    with st.container(border=True, key=f"{WAITING_KEY}_box"):
        st.subheader("Việc chờ bạn")
        if found.mentions:
            st.markdown(f"**Bạn được nhắc đến trong {len(found.mentions)} ý kiến chưa xem**")
        for m in found.mentions:
            _mention(ctx, m)
        if len(found.mentions) > 1:
            st.button(
                "Đã xem tất cả",
                key=f"{WAITING_KEY}_seen_all",
                on_click=_mark_seen,
                args=(ctx, None),
            )
        if found.requests:
            st.markdown(f"**{len(found.requests)} đề nghị chờ bạn xác nhận**")
        for r in found.requests:
            _request(r)


def _mention(ctx: RunContext, m: reads.MentionItem) -> None:
    left, right = st.columns([5, 1], vertical_alignment="center")
    with left:
        params: Mapping[str, Any] = {"ma": str(m.row_id)} if m.entity == "task" else {}
        st.page_link(
            PAGES[m.entity],
            label=f"{m.title} — {m.author_name}, {rule.fmt_when(m.created_at)}",
            icon=":material/alternate_email:",
            query_params=dict(params),
        )
        snippet = " ".join(m.body.split())
        st.caption(plain(snippet if len(snippet) <= 200 else snippet[:199] + "…"))
    right.button(
        "Đã xem", key=f"{WAITING_KEY}_seen_{m.comment_id}", on_click=_mark_seen, args=(ctx, [m.comment_id])
    )


def _request(r: reads.WaitingRequest) -> None:
    st.page_link(
        "pages/tasks.py",
        label=(
            f"{r.title} — đề nghị {request_rule.KIND_PHRASES.get(r.kind, r.kind)} của {r.requested_by}, "
            f"{rule.fmt_when(r.requested_at)}"
        ),
        icon=":material/pending_actions:",
        query_params={"ma": str(r.task_id)},
    )
