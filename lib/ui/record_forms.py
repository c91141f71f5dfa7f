"""The small forms that add a row and retire one, shared by the pages that keep registers
(/nhiem-vu, /tru-so, /phuong-kieu-mau).

Adding: a form built from the creation spec's labels (the catalogue's), sent through the write
engine (`lib.editing.creation.create_rows` in one audited transaction). Each shown form carries one
creation key, kept in the session: a double click or a resubmission of the same form adds one row;
the form and its key are renewed after a success. A new row that looks like one already there is
named in a warning and added only on "Vẫn thêm". Bad input is named field by field; nothing is
written.

Retiring: choose a row of the table on screen, then stop, cancel or merge it with a document and a
reason, through the same engine (`lib.editing.changeset.retire_row`: the version seen when the row was
chosen, the scope, the audit). A revert on /lich-su puts it back.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import streamlit as st

from lib.core import config, rules
from lib.core.catalogue import EARLIEST, LATEST, MONEY_HELP
from lib.core.formatting import fmt_datetime
from lib.core.roles import Refused
from lib.core.validation import Choice, Day, Integer, Money, Text
from lib.data.choices import MAX_TARGETS
from lib.editing.changeset import REASON, REASON_LABEL, ConflictError, TableSpec, retire_row
from lib.editing.creation import CreateSpec, LooksLikeExisting, NewRow, create_rows
from lib.ui import widgets
from lib.ui.shell import RunContext

NONE_LABEL = "(không chọn)"


def _new_key() -> str:
    return secrets.token_hex(16)


def _required(spec: CreateSpec, name: str) -> bool:
    return name in spec.required or any(r.column == name and r.required for r in spec.refs)


def _widget(
    spec: CreateSpec, name: str, choices: Mapping[str, Mapping[Any, str]], default: Any, key: str
) -> Any:
    """One input of the form, chosen from the field's parser (or its list of choices)."""
    required = _required(spec, name)
    label = spec.label_of(name) + (" *" if required else "")
    field = spec.table.catalogue.get(name)
    help_text = (field.help if field is not None else "") or None
    if name in choices:
        options = choices[name]
        if any(link.name == name for link in spec.links):
            return st.multiselect(
                label,
                list(options),
                default=default or [],
                format_func=lambda o: options[o],
                key=key,
                placeholder="Chọn…",
            )
        listed: list[Any] = list(options) if required else [None, *options]
        index = listed.index(default) if default in listed else (None if required else 0)
        return st.selectbox(
            label,
            listed,
            index=index,
            format_func=lambda o: NONE_LABEL if o is None else options[o],
            key=key,
            placeholder="Chọn…",
            help=help_text,
        )
    parser = spec.values[name][1]
    if isinstance(parser, Choice):
        labels = parser.labels or {}
        codes = list(parser.options)
        return st.selectbox(
            label,
            codes,
            index=codes.index(default) if default in codes else 0,
            format_func=lambda c: labels.get(c, c),
            key=key,
        )
    if isinstance(parser, Day):
        return st.date_input(
            label, value=default, min_value=EARLIEST, max_value=LATEST, format="DD/MM/YYYY", key=key
        )
    if isinstance(parser, Money):
        return st.text_input(label, value=default or "", placeholder="0", help=MONEY_HELP, key=key)
    if isinstance(parser, Integer):
        return st.number_input(
            label, min_value=parser.minimum, max_value=parser.maximum, value=default, step=1, key=key
        )
    assert isinstance(parser, Text)
    if parser.multiline:
        return st.text_area(label, value=default or "", max_chars=parser.max_length, key=key, height=90)
    return st.text_input(label, value=default or "", max_chars=parser.max_length, key=key, help=help_text)


def add_form(
    ctx: RunContext,
    prefix: str,
    spec: CreateSpec,
    fields: Sequence[str],
    choices: Mapping[str, Mapping[Any, str]],
    *,
    submit: str,
    done: Callable[[int], str],
    defaults: Mapping[str, Any] | None = None,
) -> None:
    """A form that adds one row of `spec` with the given fields; `choices` lists the ids a reference
    or a link may take (by label), `done` says what was added (given its id)."""
    state = st.session_state
    gen_key, key_key, similar_key, flash_key = (
        f"{prefix}_add_{k}" for k in ("gen", "key", "similar", "done")
    )
    gen = int(state.setdefault(gen_key, 0))
    if key_key not in state:
        state[key_key] = _new_key()
    if flash_key in state:
        st.success(state.pop(flash_key), icon="✅")
    st.caption("Các ô có dấu * là bắt buộc.")
    with st.form(f"{prefix}_add_form_{gen}"):
        values = {
            name: _widget(spec, name, choices, (defaults or {}).get(name), f"{prefix}_add_{gen}_{name}")
            for name in fields
        }
        submitted = st.form_submit_button(submit, type="primary")

    def create(values: Mapping[str, Any], confirm: bool) -> None:
        outcome = widgets.attempt(
            ctx,
            create_rows,
            spec,
            [NewRow(dict(values))],
            now=config.now(),
            today=config.today(),
            creation_key=state[key_key],
            confirm_similar=confirm,
        )
        if isinstance(outcome, LooksLikeExisting):
            state[similar_key] = {"gen": gen, "values": dict(values), "message": outcome.message}
        elif isinstance(outcome, Refused):
            widgets.show_refusal(outcome)
        elif outcome is not None:
            result = outcome.value
            state[gen_key], state[key_key] = gen + 1, _new_key()
            state.pop(similar_key, None)
            state[flash_key] = (
                done(result.rows[0])
                if result.cells
                else f"Biểu mẫu này đã được gửi trước đó: {spec.table.label} mã {result.rows[0]} đã có."
            )
            st.rerun()

    if submitted:
        state.pop(similar_key, None)
        create(values, confirm=False)
    pending = state.get(similar_key)
    if pending is not None and pending["gen"] == gen:
        st.warning(pending["message"], icon="⚠️")
        left, right = st.columns(2)
        if left.button("Vẫn thêm", key=f"{prefix}_add_confirm", type="primary"):
            create(pending["values"], confirm=True)
        if right.button("Không thêm", key=f"{prefix}_add_drop"):
            state.pop(similar_key, None)
            st.rerun()


def retire_panel(
    ctx: RunContext,
    prefix: str,
    spec: TableSpec,
    rows: Sequence[Mapping[str, Any]],
    *,
    label: Callable[[Mapping[str, Any]], str],
    targets: Callable[[str], Mapping[int, str]],
    noun: str,
    hint: str = "",
) -> None:
    """Choose one of the rows shown (`rows`, as the table below has them: id, version, locality),
    then stop, cancel or merge it with a document and a reason; `targets(locality code)` lists the
    rows it may be merged into (followed, same locality)."""
    state = st.session_state
    gen_key, seen_key, flash_key = (f"{prefix}_retire_{k}" for k in ("gen", "seen", "done"))
    gen = int(state.setdefault(gen_key, 0))
    if flash_key in state:
        st.success(state.pop(flash_key), icon="✅")
    if hint:
        st.caption(hint)
    if not rows:
        st.info(f"Không có {noun} nào trong bảng đang xem.")
        return
    by_id = {int(r["id"]): r for r in rows}
    chosen = st.selectbox(
        f"{noun.capitalize()} cần dừng, hủy bỏ hoặc gộp (trong bảng đang xem)",
        list(by_id),
        index=None,
        format_func=lambda i: label(by_id[i]),
        key=f"{prefix}_retire_row_{gen}",
        placeholder="Chọn…",
    )
    if chosen is None:
        return
    row = by_id[chosen]
    seen = state.get(seen_key)
    if not seen or seen[0] != chosen:  # the version the user saw when choosing the row
        seen = state[seen_key] = (chosen, int(row["version"]))
    offered = {i: text for i, text in targets(str(row["locality_code"])).items() if i != chosen}
    fields = spec.fields
    merged_label = rules.LIFECYCLE_LABELS[rules.LIFECYCLE_MERGED]
    with st.form(f"{prefix}_retire_form_{gen}"):
        lifecycle = st.radio(
            fields["lifecycle"].label,
            rules.RETIRED_LIFECYCLES,
            format_func=lambda c: rules.LIFECYCLE_LABELS[c],
            horizontal=True,
            key=f"{prefix}_retire_{gen}_lifecycle",
        )
        target_label = f"{fields['merged_into_id'].label} (khi chọn “{merged_label}”)"
        target_help = f"Chỉ {noun} đang theo dõi, cùng địa bàn."
        if len(offered) < MAX_TARGETS - 1:
            target = st.selectbox(
                target_label,
                [None, *offered],
                format_func=lambda i: NONE_LABEL if i is None else offered[i],
                key=f"{prefix}_retire_{gen}_target",
                help=target_help,
            )
        else:  # too many to list: the row's id (the engine checks it like any choice)
            target = st.number_input(
                target_label,
                min_value=1,
                value=None,
                step=1,
                key=f"{prefix}_retire_{gen}_target",
                help=target_help,
            )
        document = st.text_input(
            f"{fields['lifecycle_doc'].label} *",
            max_chars=200,
            help=fields["lifecycle_doc"].help or None,
            key=f"{prefix}_retire_{gen}_doc",
        )
        reason = st.text_area(
            f"{REASON_LABEL} *", max_chars=REASON.max_length, key=f"{prefix}_retire_{gen}_reason", height=90
        )
        submitted = st.form_submit_button("Xác nhận", type="primary")
    if not submitted:
        return
    outcome = widgets.attempt(
        ctx,
        retire_row,
        spec,
        chosen,
        seen[1],
        lifecycle=lifecycle,
        document=document,
        reason=reason,
        merged_into=target if lifecycle == rules.LIFECYCLE_MERGED else None,
        now=config.now(),
        today=config.today(),
    )
    if isinstance(outcome, ConflictError):
        c = outcome.conflicts[0]
        state[seen_key] = (chosen, c.current_version or seen[1])
        st.warning(
            f"{noun.capitalize()} mã {chosen} vừa được {c.updated_by or 'người khác'} thay đổi "
            f"({fmt_datetime(c.updated_at)}). Xem lại rồi bấm “Xác nhận” lần nữa.",
            icon="⚠️",
        )
    elif isinstance(outcome, Refused):
        widgets.show_refusal(outcome)
    elif outcome is not None:
        state[gen_key] = gen + 1
        state.pop(seen_key, None)
        into = f" mã {target}" if lifecycle == rules.LIFECYCLE_MERGED else ""
        state[flash_key] = (
            f"Đã chuyển {noun} mã {chosen} sang “{rules.LIFECYCLE_LABELS[lifecycle]}”{into} "
            f"(văn bản {document.strip()}). Khôi phục được ở trang Lịch sử."
        )
        st.rerun()
