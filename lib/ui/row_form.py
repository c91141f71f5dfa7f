"""A compact per-row form for phones: pick one of your rows, update where it stands, save.

It writes through the same engine as the grid (`apply_changes` with the version the user saw), so
scope, validation, audit and the optimistic lock are the grid's: a row someone else saved since it
was opened is reported as a conflict (yours vs theirs), never overwritten. What the user saw — the
row's version and stored values — is kept in the session from the moment the row is opened until it
is saved, reloaded or another row is picked (STREAMLIT_NOTES: never map an edit onto a re-read row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core.catalogue import ID
from lib.core.formatting import fmt_datetime
from lib.core.roles import Refused
from lib.data.db import DatabaseError, transaction
from lib.editing.actions import perform
from lib.editing.changeset import ConflictError, RowChange, TableSpec, ValidationFailed, apply_changes
from lib.editing.drafts import get_shown_rows
from lib.ui import shell
from lib.ui.shell import RunContext

# What a focal point reports on a task from a phone, in order (labels and limits: the catalogue).
TASK_FIELDS = ("state", "progress_pct", "completed_on", "result", "result_doc", "obstacles", "notes")
TOGGLE_LABEL = "Cập nhật từng dòng"


def _keys(prefix: str) -> dict[str, str]:
    return {
        "opened": f"{prefix}_row_opened",  # (row id, version, stored values) as the user opened them
        "draft": f"{prefix}_row_draft",  # the user's values kept across a conflict
        "conflict": f"{prefix}_row_conflict",
        "pick": f"{prefix}_row_pick",
        "form": f"{prefix}_row_form",
    }


def _row_label(row: Mapping[str, Any], spec: TableSpec) -> str:
    title = str(row.get("title") or "")
    short = title if len(title) <= 70 else title[:69] + "…"
    bucket = spec.catalogue.shown("bucket", row["bucket"]) if row.get("bucket") else ""
    return f"{row['id']} — {short}" + (f" ({bucket})" if bucket else "")


def row_form(
    ctx: RunContext,
    prefix: str,
    spec: TableSpec,
    rows: Sequence[Mapping[str, Any]],
    fields: Sequence[str] = TASK_FIELDS,
) -> None:
    """Pick one of `rows` (the rows this user may edit, as loaded) and update it in a short form."""
    if ctx.actor is None:  # the shell signs in before any page runs
        return
    keys = _keys(prefix)
    state = st.session_state
    if not rows:
        st.info("Không có dòng nào để cập nhật.")
        return
    by_id = {int(r["id"]): r for r in rows}
    picked = st.selectbox(
        "Chọn dòng cần cập nhật",
        list(by_id),
        format_func=lambda i: _row_label(by_id[i], spec),
        key=keys["pick"],
    )
    opened = state.get(keys["opened"])
    if opened is None or opened[0] != picked:  # a row newly picked: what the user sees from now on
        row = by_id[picked]
        opened = (picked, int(row["version"]), {n: row[n] for n in fields})
        state[keys["opened"]] = opened
        state.pop(keys["draft"], None)
        state.pop(keys["conflict"], None)
    row_id, version, base = opened
    draft = state.get(keys["draft"]) or base
    current = by_id[row_id]
    if int(current["version"]) != version and keys["conflict"] not in state:
        st.info(
            f"Dòng này đã được {current.get('updated_by') or 'người khác'} cập nhật lúc "
            f"{fmt_datetime(current.get('updated_at'))} sau khi bạn mở; lưu sẽ báo xung đột. "
            "Bấm “Tải lại dòng” để xem bản mới.",
            icon="ℹ️",
        )
    with st.form(keys["form"], border=True):
        values = {n: _input(spec, n, draft[n], f"{prefix}_row_{n}_{row_id}_{version}") for n in fields}
        saved = st.form_submit_button("Lưu dòng này", type="primary", width="stretch")
    st.caption(
        f"Mã {row_id} · phiên bản {version} · cập nhật bởi {current.get('updated_by') or '—'} "
        f"lúc {fmt_datetime(current.get('updated_at'))}"
    )
    if st.button("Tải lại dòng", key=f"{prefix}_row_reload", width="stretch"):
        _reload(ctx, prefix, spec, row_id, keep_draft=False)
    if saved:
        changed = {n: _raw(v) for n, v in values.items() if _raw(v) != _raw(base[n])}
        if not changed:
            st.info("Không có gì thay đổi.")
        else:
            _save(ctx, prefix, spec, RowChange(row_id, version, changed), values)
    conflict = state.get(keys["conflict"])
    if conflict is not None:
        _show_conflict(ctx, prefix, spec, conflict)


def _input(spec: TableSpec, name: str, value: Any, key: str) -> Any:
    """One field as a phone-sized widget, labelled and limited by the catalogue."""
    f = spec.catalogue[name]
    if f.kind == "choice" and f.choices:
        labels: Mapping[str, str] = f.choices
        options: list[str] = list(labels)
        index = options.index(value) if value in options else 0
        return st.selectbox(f.label, options, index=index, format_func=lambda c: labels.get(c, c), key=key)
    if f.kind == "int":
        low, high = getattr(f.parser, "minimum", 0), getattr(f.parser, "maximum", 100)
        return st.number_input(f.label, min_value=low, max_value=high, value=int(value or 0), step=5, key=key)
    if f.kind == "date":
        return st.date_input(f.label, value=_as_date(value), format="DD/MM/YYYY", key=key)
    multiline = getattr(f.parser, "multiline", False)
    limit = getattr(f.parser, "max_length", None)
    widget = st.text_area if multiline else st.text_input
    return widget(f.label, value=value or "", max_chars=limit, key=key)


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _raw(value: Any) -> Any:
    """A value as the engine takes it from the grid (dates as ISO text, empty text as "")."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _save(
    ctx: RunContext, prefix: str, spec: TableSpec, change: RowChange, values: Mapping[str, Any]
) -> None:
    keys = _keys(prefix)
    state = st.session_state
    try:
        assert ctx.actor is not None
        result = perform(
            ctx.engine, ctx.actor, apply_changes, spec, [change], now=config.now(), today=config.today()
        )
    except ValidationFailed as exc:
        state[keys["draft"]] = dict(values)
        st.error("Chưa lưu vì có ô không hợp lệ:\n\n" + "\n".join(f"- {e}" for e in exc.errors), icon="🚫")
    except ConflictError as exc:
        state[keys["draft"]] = dict(values)
        state[keys["conflict"]] = exc.conflicts[0]
    except Refused as exc:
        st.error(exc.message, icon="🚫")
    except DatabaseError as exc:  # nothing written; the user's values stay in the form
        st.error(str(exc), icon="⚠️")
    else:
        new_version = result.versions.get(change.row_id, change.seen_version + 1)
        opened = state[keys["opened"]]
        state[keys["opened"]] = (change.row_id, new_version, {**opened[2], **dict(values)})
        state.pop(keys["draft"], None)
        state.pop(keys["conflict"], None)
        shell.rerun_saying(f"Đã lưu dòng mã {change.row_id} ({result.cells} ô).")


def _reload(ctx: RunContext, prefix: str, spec: TableSpec, row_id: int, *, keep_draft: bool) -> None:
    """Open the row again at its current version (keeping the user's values on top, if asked)."""
    keys = _keys(prefix)
    state = st.session_state
    assert ctx.actor is not None
    with transaction(ctx.engine) as s:
        shown = get_shown_rows(s, ctx.actor, spec, [row_id]).get(row_id)
    if shown is None:
        state.pop(keys["opened"], None)
        st.rerun()
    fields = list(state[keys["opened"]][2])
    state[keys["opened"]] = (row_id, shown.version, {n: shown.base.get(n) for n in fields})
    if not keep_draft:
        state.pop(keys["draft"], None)
    state.pop(keys["conflict"], None)
    st.rerun()


def _show_conflict(ctx: RunContext, prefix: str, spec: TableSpec, conflict: Any) -> None:
    """A conflict as the grid shows it: yours vs theirs per column, then re-apply or drop yours."""
    if conflict.deleted:
        st.warning(f"Dòng mã {conflict.row_id} không còn nữa; thay đổi của bạn chưa được lưu.", icon="⚠️")
        return
    st.warning(
        f"Dòng mã {conflict.row_id} đã được {conflict.updated_by or 'người khác'} thay đổi lúc "
        f"{fmt_datetime(conflict.updated_at)}, sau khi bạn mở. Chưa lưu gì; thay đổi của bạn vẫn còn trong "
        "mẫu: xem từng cột rồi chọn áp dụng lại lên phiên bản mới, hoặc bỏ thay đổi của bạn.",
        icon="⚠️",
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    ID.label: conflict.row_id,
                    "Cột": d.label,
                    "Giá trị của bạn": "" if d.yours is None else str(d.yours),
                    "Giá trị hiện tại": "" if d.theirs is None else str(d.theirs),
                }
                for d in conflict.diffs
            ]
        ),
        hide_index=True,
        key=f"{prefix}_row_conflict_table",
    )
    reapply = "Áp dụng lại thay đổi của tôi lên phiên bản mới"
    if st.button(reapply, key=f"{prefix}_row_reapply", width="stretch"):
        _reload(ctx, prefix, spec, conflict.row_id, keep_draft=True)
    if st.button("Bỏ thay đổi của tôi", key=f"{prefix}_row_drop", width="stretch"):
        _reload(ctx, prefix, spec, conflict.row_id, keep_draft=False)
