"""/van-ban's widgets: the document picker, the form that adds or edits a document, and “Giao nhiệm
vụ” — one content of a document to N addressees, one creation key per submission."""

from __future__ import annotations

import uuid
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core.catalogue import (
    DOCUMENT,
    DOCUMENT_KIND_LABELS,
    EARLIEST,
    FIRST_DOCUMENT_DAY,
    LATEST,
    RECURRENCE,
    RECURRENCE_LABELS,
)
from lib.core.filters import PARAM_ASSIGNING
from lib.core.formatting import fmt_date, fmt_int
from lib.core.roles import Refused
from lib.core.validation import Text
from lib.data.db import DatabaseError
from lib.editing.actions import perform
from lib.editing.assignment import MAX_ADDRESSEES, ONCE, Assigned, addressee_from_labels, assign
from lib.editing.creation import NEW_TASK, LooksLikeExisting
from lib.editing.registers import create_document, update_document
from lib.ops import duties
from lib.ui import shell, widgets
from lib.ui.filtering import sync_query_params
from lib.ui.loaders import load_directory
from lib.ui.shell import RunContext

PICK, SELECT_NEXT = "docs_pick", "_docs_select"  # the picker's key; the document to show after a save
NEW_TOKEN = "docs_new_token"  # the key of the form that adds a document
ASSIGN_TOKEN, ASSIGN_PENDING, ASSIGN_DONE = "assign_token", "_assign_pending", "_assign_done"
GRID = ("lead", "cooperators", "locality", "unit", "deadline", "recurrence", "expected_product")


def _token(key: str) -> str:
    """A random key kept in this session until the form it names is saved: one submission's identity."""
    token = st.session_state.get(key)
    if not isinstance(token, str):
        token = st.session_state[key] = uuid.uuid4().hex
    return token


def document_label(doc: Mapping[str, Any]) -> str:
    """A document as the picker lists it: number, kind, issuer, date."""
    when = fmt_date(doc["issued_on"]) or "chưa ghi ngày"
    return f"{doc['number']} — {DOCUMENT.shown('kind', doc['kind'])}, {doc['issuer']}, {when}"


def pick_document(docs: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """Draw the document picker, kept in step with the URL (`van_ban_giao`); return the chosen one."""
    state = st.session_state
    by_id = {d["id"]: d for d in docs}
    if SELECT_NEXT in state:
        state[PICK] = state.pop(SELECT_NEXT)
    elif PICK not in state:
        code = st.query_params.get(PARAM_ASSIGNING)
        state[PICK] = next((d["id"] for d in docs if d["code"] == code), None)
        if code and state[PICK] is None:
            st.warning(f"Không có văn bản “{code[:40]}” — đang hiện văn bản mới nhất.", icon="⚠️")
    if state.get(PICK) not in by_id:
        state[PICK] = docs[0]["id"] if docs else None
    picked = st.selectbox(
        "Chọn văn bản", list(by_id), format_func=lambda i: document_label(by_id[i]), key=PICK
    )
    doc = by_id.get(picked)
    sync_query_params({PARAM_ASSIGNING: doc["code"]} if doc else {}, owned=(PARAM_ASSIGNING,))
    return doc


def document_form(ctx: RunContext, doc: Mapping[str, Any] | None) -> None:
    """Draw the form that adds a document (`doc` None) or edits one; save through the audited engine."""
    prefix = f"docs_edit_{doc['id']}_{doc['version']}" if doc else f"docs_new_{_token(NEW_TOKEN)[:8]}"
    with st.form(prefix):
        number = st.text_input(
            DOCUMENT["number"].label,
            value=doc["number"] if doc else "",
            placeholder="Ví dụ: 215/KH-CAT",
            key=f"{prefix}_number",
        )
        issued_on = st.date_input(
            DOCUMENT["issued_on"].label,
            value=doc["issued_on"] if doc else None,
            min_value=FIRST_DOCUMENT_DAY,
            max_value=ctx.today,
            format="DD/MM/YYYY",
            help=DOCUMENT["issued_on"].help,
            key=f"{prefix}_issued_on",
        )
        issuer = st.text_input(
            DOCUMENT["issuer"].label, value=doc["issuer"] if doc else "", key=f"{prefix}_issuer"
        )
        kinds = list(DOCUMENT_KIND_LABELS)
        kind = st.selectbox(
            DOCUMENT["kind"].label,
            kinds,
            index=kinds.index(doc["kind"]) if doc else kinds.index("ke_hoach"),
            format_func=DOCUMENT_KIND_LABELS.__getitem__,
            key=f"{prefix}_kind",
        )
        title = st.text_area(
            DOCUMENT["title"].label, value=doc["title"] if doc else "", height=100, key=f"{prefix}_title"
        )
        submitted = st.form_submit_button("Lưu thay đổi" if doc else "Thêm văn bản", type="primary")
    if not submitted:
        return
    values = {"number": number, "issued_on": issued_on, "issuer": issuer, "kind": kind, "title": title}
    now, today = config.now(), ctx.today
    if doc is None:
        done = widgets.run_action(ctx, create_document, values=values, now=now, today=today)
        if done:
            st.session_state.pop(NEW_TOKEN, None)  # the next document is a new form
            st.session_state[SELECT_NEXT] = done.value
            shell.rerun_saying(f"Đã thêm văn bản {values['number']}.")
    elif widgets.run_action(
        ctx, update_document, doc["id"], doc["version"], values=values, now=now, today=today
    ):
        shell.rerun_saying(f"Đã lưu văn bản {values['number']}.")


def _by_label(names: Mapping[int, str]) -> dict[str, int]:
    """Ids by the name a form shows; a name two rows share gets its id added."""
    counts = Counter(names.values())
    return {(name if counts[name] == 1 else f"{name} (mã {id_})"): id_ for id_, name in names.items()}


def assign_panel(ctx: RunContext, doc: Mapping[str, Any]) -> None:
    """Draw “Giao nhiệm vụ”: the addressees and their deadlines or recurrences, then the content."""
    state = st.session_state
    directory = load_directory(ctx.database_url, ctx.data_version, ctx.today)
    agencies = _by_label(directory.agencies)
    localities = _by_label(directory.localities)
    units = _by_label(directory.units)
    token = _token(ASSIGN_TOKEN)
    key = f"assign_{doc['id']}_{token[:8]}"
    done = state.pop(ASSIGN_DONE, None)
    if done:
        st.success(done, icon="✅")
    st.caption(
        "Một nội dung cho nhiều cơ quan: mỗi cơ quan chủ trì một dòng, một nhiệm vụ. Chọn các cơ quan và hạn "
        "chung, rồi sửa từng dòng trong bảng nếu cần (cơ quan phối hợp, phường/xã, hạn riêng, sản phẩm). "
        f"Tối đa {fmt_int(MAX_ADDRESSEES)} dòng."
    )
    leads = st.multiselect(
        f"{NEW_TASK.label_of('lead_agency_id')} (mỗi cơ quan một dòng)",
        list(agencies),
        placeholder="Chọn cơ quan nhận nhiệm vụ",
        key=f"{key}_leads",
    )
    left, right = st.columns(2)
    deadline = left.date_input(
        f"{NEW_TASK.label_of('original_deadline')} (chung)",
        value=None,
        min_value=EARLIEST,
        max_value=LATEST,
        format="DD/MM/YYYY",
        key=f"{key}_deadline",
    )
    recurrence = right.selectbox(
        f"{RECURRENCE.label} (chung)",
        list(RECURRENCE_LABELS),
        format_func=RECURRENCE_LABELS.__getitem__,
        key=f"{key}_recurrence",
    )
    product = st.text_input(f"{NEW_TASK.label_of('expected_product')} (chung)", key=f"{key}_product")
    lead_locality = {label: directory.agency_locality.get(id_) for label, id_ in agencies.items()}
    base = pd.DataFrame(
        [
            {
                "lead": name,
                "cooperators": [],
                "locality": directory.localities.get(lead_locality[name] or 0),
                "unit": None,
                "deadline": deadline if recurrence == ONCE else None,
                "recurrence": RECURRENCE_LABELS[recurrence],
                "expected_product": product,
            }
            for name in leads
        ],
        columns=list(GRID),
    )
    with st.form(f"{key}_form"):
        title = st.text_area(NEW_TASK.label_of("title"), height=90, key=f"{key}_title")
        rows = st.data_editor(
            base,
            num_rows="dynamic",
            hide_index=True,
            placeholder="",  # an empty cell shows empty, not "None"
            column_order=GRID,
            column_config=_grid_config(agencies, localities, units),
            key=grid_key(key, leads, deadline, recurrence, product),
        )
        submitted = st.form_submit_button("Giao nhiệm vụ", type="primary")
    if submitted:
        addressees = [
            a
            for record in rows.to_dict("records")
            if (a := addressee_from_labels(record, agencies, localities, units)) is not None
        ]
        state[ASSIGN_PENDING] = {"token": token, "doc": doc["id"], "title": title, "rows": addressees}
        _assign(ctx, doc, confirm=False)
    pending = state.get(ASSIGN_PENDING)
    if pending and pending.get("similar") and pending["token"] == token and pending["doc"] == doc["id"]:
        st.warning(pending["similar"], icon="⚠️")
        yes, no = st.columns(2)
        if yes.button("Vẫn thêm", key=f"{key}_confirm", type="primary"):
            _assign(ctx, doc, confirm=True)
        if no.button("Không thêm", key=f"{key}_cancel"):
            state.pop(ASSIGN_PENDING, None)
            st.rerun()


def grid_key(prefix: str, *setup: Any) -> str:
    """The addressees table's key: a new setup above it (addressees, common values) starts a new table."""
    return f"{prefix}_rows_{zlib.crc32(repr(setup).encode())}"


def _grid_config(
    agencies: Mapping[str, int], localities: Mapping[str, int], units: Mapping[str, int]
) -> dict[str, Any]:
    product = NEW_TASK.values["expected_product"][1]
    return {
        "lead": st.column_config.SelectboxColumn(
            NEW_TASK.label_of("lead_agency_id"), options=list(agencies), required=True, width="medium"
        ),
        "cooperators": st.column_config.MultiselectColumn(
            NEW_TASK.label_of("cooperators"), options=list(agencies), width="medium"
        ),
        "locality": st.column_config.SelectboxColumn(
            NEW_TASK.label_of("locality_id"), options=list(localities)
        ),
        "unit": st.column_config.SelectboxColumn(NEW_TASK.label_of("unit_id"), options=list(units)),
        "deadline": st.column_config.DateColumn(
            NEW_TASK.label_of("original_deadline"), format="DD/MM/YYYY", min_value=EARLIEST, max_value=LATEST
        ),
        "recurrence": st.column_config.SelectboxColumn(
            RECURRENCE.label, options=list(RECURRENCE_LABELS.values()), required=True
        ),
        "expected_product": st.column_config.TextColumn(
            NEW_TASK.label_of("expected_product"),
            max_chars=product.max_length if isinstance(product, Text) else None,
            width="large",
        ),
    }


def _assign(ctx: RunContext, doc: Mapping[str, Any], *, confirm: bool) -> None:
    """Send the pending submission; keep it when it looks like existing rows (the user may confirm)."""
    state = st.session_state
    pending = state[ASSIGN_PENDING]
    assert ctx.actor is not None
    try:
        made = perform(
            ctx.engine,
            ctx.actor,
            assign,
            doc["id"],
            pending["title"],
            pending["rows"],
            now=config.now(),
            today=ctx.today,
            creation_key=pending["token"],
            confirm_similar=confirm,
            generate=duties.generate_for,  # a recurring duty's task of the current period, at once
        )
    except LooksLikeExisting as exc:
        pending["similar"] = exc.message
        return
    except Refused as exc:
        state.pop(ASSIGN_PENDING, None)
        widgets.show_refusal(exc)
        return
    except DatabaseError as exc:
        st.error(str(exc), icon="⚠️")
        return
    state.pop(ASSIGN_PENDING, None)
    state.pop(ASSIGN_TOKEN, None)  # the next assignment is another submission
    state[ASSIGN_DONE] = assigned_message(made, doc["number"])
    st.rerun()


def assigned_message(made: Assigned, number: str) -> str:
    """Say what an assignment wrote."""
    parts = []
    if made.tasks:
        parts.append(f"{fmt_int(len(made.tasks))} nhiệm vụ")
    if made.duties:
        periods = (
            f" (đã tạo {fmt_int(len(made.period_tasks))} nhiệm vụ của các kỳ đến hạn)"
            if made.period_tasks
            else ""
        )
        parts.append(f"{fmt_int(len(made.duties))} nhiệm vụ định kỳ{periods}")
    what = " và ".join(parts)
    if made.repeated:
        return f"Lần giao này đã được lưu trước đó ({what} theo văn bản {number}); không thêm gì nữa."
    return f"Đã giao {what} theo văn bản {number}."
