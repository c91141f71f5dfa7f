"""The requests panel of a task ("Chi tiết nhiệm vụ" on /nhiem-vu): propose, confirm, return, withdraw.

A focal point proposes a completion, a suspension, a cancellation or a new deadline with its reason
and document; the office confirms or returns it with a note (or, for a row of its own, records and
confirms at once). What the user saw — the request's version — is what the decision is checked
against, so two office users deciding the same request cannot both win (the second is told).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from lib.core import config, evidence
from lib.core import requests as rule
from lib.core.formatting import fmt_datetime
from lib.core.roles import Refused
from lib.data.db import DatabaseError, transaction
from lib.data.requests import RequestRow, request_rows
from lib.editing import requests
from lib.editing.actions import perform
from lib.editing.changeset import ValidationFailed
from lib.ui import attachments
from lib.ui.loaders import load_attachments, load_may_attach
from lib.ui.shell import RunContext
from lib.ui.widgets import plain

PREFIX = "tasks_req"
FLASH = f"{PREFIX}_flash"


def load_requests(ctx: RunContext, task_id: int) -> list[RequestRow]:
    """A task's requests (not cached: a handful of rows, and a decision must see the latest)."""
    with transaction(ctx.engine) as s:
        return request_rows(s, task_id)


def _run(ctx: RunContext, fn: Any, *args: Any, done: str, **kwargs: Any) -> None:
    """Perform one action; on success remember the message for the rerun, else say why here."""
    assert ctx.actor is not None
    try:
        perform(ctx.engine, ctx.actor, fn, *args, **kwargs)
    except ValidationFailed as exc:
        st.error("Chưa thực hiện vì:\n\n" + "\n".join(f"- {e}" for e in exc.errors), icon="🚫")
    except Refused as exc:
        st.error(exc.message, icon="🚫")
    except DatabaseError as exc:
        st.error(str(exc), icon="⚠️")
    else:
        st.session_state[FLASH] = done
        st.rerun()


def panel(ctx: RunContext, row: Mapping[str, Any]) -> None:
    """Draw a task's requests and the actions this user may take on them."""
    actor = ctx.actor
    if actor is None:
        return
    task_id = int(row["id"])
    st.markdown("**Đề nghị gửi Văn phòng**")
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.success(flash, icon="✅")
    found = load_requests(ctx, task_id)
    waiting = next((r for r in found if r.state == rule.PENDING), None)
    decider = actor.role in rule.DECIDERS
    if waiting is not None:
        _waiting(ctx, waiting, decider)
    elif row.get("state") in rule.OPEN_STATES and load_may_attach(
        ctx.database_url, ctx.data_version, actor, "task", task_id
    ):  # whoever may edit the task (the write checks again)
        _propose(ctx, task_id, decider)
    elif row.get("state") not in rule.OPEN_STATES:
        st.caption("Nhiệm vụ đã hoàn thành, tạm dừng hoặc đã hủy: không còn gì để đề nghị.")
    history = [r for r in found if r is not waiting]
    if history:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Mã": r.id,
                        "Đề nghị": r.summary,
                        "Tình trạng": rule.STATE_LABELS[r.state],
                        "Lý do": r.reason,
                        "Văn bản": r.document,
                        "Người gửi": r.requested_by,
                        "Gửi lúc": fmt_datetime(r.requested_at),
                        "Người xử lý": r.decided_by,
                        "Ý kiến": r.decision_note,
                    }
                    for r in history
                ]
            ),
            hide_index=True,
            key=f"{PREFIX}_history_{task_id}",
        )
        # The files behind each decision stay readable, as they were when it was taken.
        for r in history:
            if load_attachments(ctx.database_url, ctx.data_version, "task_request", r.id):
                st.caption(f"Tệp của đề nghị mã {r.id} ({rule.STATE_LABELS[r.state].lower()}):")
                attachments.panel(ctx, "task_request", r.id, heading=False)


def _waiting(ctx: RunContext, r: RequestRow, decider: bool) -> None:
    st.warning(
        f"**{rule.STATE_LABELS[rule.PENDING]}**: {plain(r.summary)}. Lý do: {plain(r.reason)} "
        f"(văn bản {plain(r.document)}). Gửi bởi {plain(r.requested_by)} lúc {fmt_datetime(r.requested_at)}."
        + (f" Kết quả: {plain(r.result)}" if r.result else ""),
        icon="⏳",
    )
    attachments.panel(ctx, "task_request", r.id)  # its supporting files
    now, today = config.now(), config.today()
    if decider:
        with st.form(f"{PREFIX}_decide_{r.id}_{r.version}", border=True):
            note = st.text_area(
                rule.FIELD_LABELS["note"], max_chars=rule.NOTE.max_length, key=f"{PREFIX}_note_{r.id}"
            )
            left, right = st.columns(2)
            ok = left.form_submit_button("Xác nhận", type="primary", key=f"{PREFIX}_confirm", width="stretch")
            back = right.form_submit_button("Trả lại", key=f"{PREFIX}_return", width="stretch")
        if ok or back:
            # confirming also dates the task's change; returning only notes why
            action, extra, done = (
                (
                    requests.confirm,
                    {"today": today},
                    f"Đã xác nhận đề nghị mã {r.id}: nhiệm vụ đã được cập nhật.",
                )
                if ok
                else (requests.return_request, {}, f"Đã trả lại đề nghị mã {r.id}.")
            )
            _run(ctx, action, r.id, r.version, note=note, now=now, done=done, **extra)
    if (
        ctx.actor is not None
        and ctx.actor.username == r.requested_by
        and st.button("Rút đề nghị", key=f"{PREFIX}_withdraw")
    ):
        _run(ctx, requests.withdraw, r.id, r.version, now=now, done=f"Đã rút đề nghị mã {r.id}.")


def _propose(ctx: RunContext, task_id: int, decider: bool) -> None:
    kind = st.radio(
        rule.FIELD_LABELS["kind"],
        list(rule.KIND_LABELS),
        format_func=lambda k: rule.KIND_LABELS[k],
        horizontal=True,
        key=f"{PREFIX}_kind",
    )
    today = config.today()
    with st.form(f"{PREFIX}_form_{task_id}", border=True):
        values: dict[str, Any] = {"kind": kind}
        if kind == rule.COMPLETE:
            values["completed_on"] = st.date_input(
                rule.FIELD_LABELS["completed_on"],
                value=today,
                max_value=today,
                format="DD/MM/YYYY",
                key=f"{PREFIX}_completed_on",
            )
            values["result"] = st.text_area(
                rule.FIELD_LABELS["result"], max_chars=rule.RESULT.max_length, key=f"{PREFIX}_result"
            )
        if kind == rule.EXTEND:
            values["new_deadline"] = st.date_input(
                rule.FIELD_LABELS["new_deadline"],
                value=None,
                min_value=today,
                format="DD/MM/YYYY",
                key=f"{PREFIX}_new_deadline",
            )
        values["reason"] = st.text_area(
            rule.FIELD_LABELS["reason"], max_chars=rule.REASON.max_length, key=f"{PREFIX}_reason"
        )
        values["document"] = st.text_input(
            rule.FIELD_LABELS["document"],
            max_chars=rule.DOCUMENT.max_length,
            placeholder="Ví dụ: 215/BC-UBND ngày 20/11/2026",
            key=f"{PREFIX}_document",
        )
        upload = st.file_uploader(
            f"{rule.FIELD_LABELS['file']} (không bắt buộc; {evidence.ACCEPTED})",
            type=list(evidence.EXTENSIONS),
            max_upload_size=evidence.MAX_MB,
            key=f"{PREFIX}_file",
        )
        label = "Ghi và xác nhận ngay" if decider else "Gửi đề nghị"
        sent = st.form_submit_button(label, type="primary", key=f"{PREFIX}_send", width="stretch")
    if not sent:
        return
    proposal = requests.proposal_from(values)
    now = config.now()
    file = (upload.name, upload.getvalue()) if upload is not None else None
    action: Any
    if decider:
        action = requests.decide_at_once
        done = f"Đã ghi và xác nhận: {rule.KIND_LABELS[kind].lower()} nhiệm vụ mã {task_id}."
    else:
        action = requests.propose_with_file
        done = f"Đã gửi đề nghị {rule.KIND_PHRASES[kind]} nhiệm vụ mã {task_id}: chờ Văn phòng xác nhận."
    _run(ctx, action, task_id, proposal, file, now=now, today=today, done=done)
