"""/quan-tri's panels: the sign-in locks in force (with a way to lift one), recent failed attempts, the
focal points' scopes (and those pointing at ended bodies), and the registers of agencies and units the
office keeps."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core.catalogue import (
    AGENCY,
    AGENCY_KIND_LABELS,
    LOCALITY,
    LOCK_LABELS,
    LOGIN_ATTEMPT,
    RETIRE_REASON,
    SIGN_IN_LOCK,
    UNIT,
    UNIT_KIND_LABELS,
    Entity,
)
from lib.core.formatting import fmt_date, fmt_datetime
from lib.data.scopes import ScopeAdmin
from lib.editing import user_admin
from lib.editing.registers import (
    add_agency,
    add_unit,
    rename_agency,
    rename_unit,
    retire_agency,
    retire_unit,
)
from lib.editing.reminders import set_agency_email
from lib.ui import columns, shell, widgets
from lib.ui.loaders import load_agencies, load_directory, load_locks, load_login_attempts, load_units
from lib.ui.shell import RunContext


def sign_in_locks(ctx: RunContext, run: Callable[..., Any]) -> None:
    """The sign-in locks in force; the administrator may lift one (through `run`, audited)."""
    actor = ctx.actor
    assert actor is not None
    st.subheader("Khóa đăng nhập đang có hiệu lực")
    locks = load_locks(ctx.database_url, actor)
    if locks:
        st.caption(
            "Một máy nhập sai 5 lần trong 15 phút bị tạm dừng; một tài khoản bị nhập sai 10 lần từ các "
            "trình duyệt lạ bị khóa với trình duyệt lạ (chủ tài khoản vẫn đăng nhập được trên trình duyệt "
            "quen). Mỗi khóa tự hết sau 15 phút."
        )
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "kind": SIGN_IN_LOCK.shown("kind", lock.kind),
                        "label": lock.label,
                        "until": fmt_datetime(lock.locked_until),
                    }
                    for lock in locks
                ]
            ),
            hide_index=True,
            key="admin_locks",
            column_config=columns.column_config(SIGN_IN_LOCK, [f.name for f in SIGN_IN_LOCK.fields]),
        )
        labels: dict[tuple[str, str], str] = {
            (lock.kind, lock.subject): f"{LOCK_LABELS[lock.kind]}: {lock.label}" for lock in locks
        }
        picked = st.selectbox("Mở khóa", list(labels), format_func=lambda k: labels[k], key="admin_lock_pick")
        if st.button("Mở khóa này", key="admin_unlock") and picked is not None:
            run(user_admin.clear_lock, *picked, config.now(), success=f"Đã mở khóa {labels[picked]}.")
    else:
        st.caption("Không có khóa nào.")


def failed_sign_ins(ctx: RunContext) -> None:
    """The latest failed or refused sign-ins: when, which name, from which client."""
    actor = ctx.actor
    assert actor is not None
    st.subheader("Đăng nhập không thành công gần đây")
    attempts = load_login_attempts(ctx.database_url, ctx.data_version, actor)
    if attempts:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "at": fmt_datetime(a.at),
                        "username": a.username,
                        "client": a.client,
                        "outcome": LOGIN_ATTEMPT.shown("outcome", a.outcome),
                    }
                    for a in attempts
                ]
            ),
            hide_index=True,
            key="admin_attempts",
            column_config=columns.column_config(LOGIN_ATTEMPT, [f.name for f in LOGIN_ATTEMPT.fields]),
        )
    else:
        st.caption("Không có.")


@dataclass(frozen=True)
class _RegisterPanel:
    """How /quan-tri keeps one register of names: its catalogue, its rows, its three writes."""

    entity: Entity
    prefix: str  # widget keys
    table_key: str
    load: Callable[[str, int], list[dict[str, Any]]]
    add: Callable[..., int]
    rename: Callable[..., None]
    retire: Callable[..., None]
    kinds: Mapping[str, str]


_AGENCIES = _RegisterPanel(
    AGENCY,
    "admin_agency",
    "admin_agencies",
    load_agencies,
    add_agency,
    rename_agency,
    retire_agency,
    AGENCY_KIND_LABELS,
)
_UNITS = _RegisterPanel(
    UNIT, "admin_unit", "admin_units", load_units, add_unit, rename_unit, retire_unit, UNIT_KIND_LABELS
)


def registers(ctx: RunContext) -> None:
    """The agencies and units the dashboard names: list, add, rename, retire (office, administrator)."""
    st.subheader("Cơ quan, phường, xã")
    st.caption(
        "Mọi tên cơ quan, phường, xã trên bảng điều khiển lấy từ danh mục này. Cơ quan, đơn vị thôi sử "
        "dụng (sáp nhập, giải thể, đổi mô hình) vẫn ở trên các nhiệm vụ cũ nhưng không còn được chọn cho "
        "nhiệm vụ mới."
    )
    agencies, units = st.tabs(
        ["Cơ quan", "Phường, xã, thị trấn"], key="admin_register_tab", on_change="rerun"
    )
    with agencies:
        _register(ctx, _AGENCIES)
    with units:
        _register(ctx, _UNITS)


def _register(ctx: RunContext, panel: _RegisterPanel) -> None:
    entity, p = panel.entity, panel.prefix
    rows = panel.load(ctx.database_url, ctx.data_version)
    names = [f.name for f in entity.fields]
    st.dataframe(
        pd.DataFrame([{**r, "kind": entity.shown("kind", r["kind"])} for r in rows], columns=names),
        hide_index=True,
        column_order=names,
        column_config=columns.column_config(entity, names),
        key=panel.table_key,
    )

    def write(fn: Callable[..., Any], *args: Any, done: str, **kwargs: Any) -> None:
        if widgets.run_action(ctx, fn, *args, now=config.now(), **kwargs):
            widgets.start_again(f"{p}_new")  # the next one starts with an empty name
            shell.rerun_saying(done)

    localities = load_directory(ctx.database_url, ctx.data_version).localities
    left, right = st.columns(2)
    with left, st.form(f"{p}_new"):
        st.markdown(f"**Thêm {entity.noun}**")
        name = st.text_input(entity["name"].label, key=widgets.fresh_key(f"{p}_new", "name"))
        kind = st.selectbox(
            entity["kind"].label, list(panel.kinds), format_func=panel.kinds.__getitem__, key=f"{p}_new_kind"
        )
        locality = st.selectbox(
            LOCALITY.label,
            [None, *localities],
            format_func=lambda i: "— (cấp tỉnh)" if i is None else localities[i],
            key=f"{p}_new_locality",
        )
        if st.form_submit_button(f"Thêm {entity.noun}"):
            write(
                panel.add,
                name=name,
                kind=kind,
                locality_id=locality,
                done=f"Đã thêm {name.strip()}.",
            )
    by_id = {r["id"]: r for r in rows}
    if not by_id:
        return
    with right:
        picked = st.selectbox(
            f"Chọn {entity.noun}", list(by_id), format_func=lambda i: _row_label(by_id[i]), key=f"{p}_pick"
        )
        row = by_id[picked]
        with st.form(f"{p}_edit"):
            # one box per row and stored name: it shows the name of the row picked, as stored
            new_name = st.text_input(
                "Tên mới", value=row["name"], key=widgets.stored_key(f"{p}_rename", row["id"], row["name"])
            )
            if st.form_submit_button("Đổi tên"):
                write(
                    panel.rename,
                    row["id"],
                    new_name,
                    done=f"Đã đổi tên thành {new_name.strip()}.",
                )
        if panel is _AGENCIES:
            _agency_email(ctx, row, write)
        if row["retired_on"] is not None:
            st.caption(f"Đã thôi sử dụng từ {fmt_date(row['retired_on'])}.")
            return
        with st.form(f"{p}_retire_form"):
            reason = st.text_input(
                RETIRE_REASON.label,
                key=widgets.stored_key(f"{p}_reason", row["id"]),  # a reason typed is for this row only
                placeholder="Ví dụ: sáp nhập vào …",
            )
            if st.form_submit_button("Thôi sử dụng"):
                write(
                    panel.retire,
                    row["id"],
                    reason,
                    today=ctx.today,
                    done=f"{row['name']} thôi sử dụng từ hôm nay.",
                )


def _agency_email(ctx: RunContext, row: Mapping[str, Any], write: Callable[..., None]) -> None:
    """The address the agency's reminder letters are mailed to (where SMTP_URL is set)."""
    # one box per agency and stored address: it shows the address of the agency picked, as stored
    key = widgets.stored_key("admin_agency_email", row["id"], row.get("email"))
    with st.form("admin_agency_email_form"):
        email = st.text_input(
            "Thư điện tử nhận công văn đôn đốc",
            value=row.get("email") or "",
            key=key,
            placeholder="vanphong@bacninh.gov.vn",
            help="Công văn đôn đốc gửi cơ quan này được gửi kèm thư tới địa chỉ này (khi có máy chủ thư).",
        )
        if st.form_submit_button("Lưu địa chỉ thư"):
            write(
                set_agency_email,
                row["id"],
                email,
                done=f"Đã lưu địa chỉ thư của {row['name']}.",
            )


def _row_label(row: Mapping[str, Any]) -> str:
    where = f" ({row['locality']})" if row.get("locality") else ""
    retired = f" — đã thôi từ {fmt_date(row['retired_on'])}" if row.get("retired_on") else ""
    return f"{row['name']}{where}{retired}"


# --- focal points' scopes ------------------------------------------------------------------------------

SCOPE_LABELS = {
    "locality": "Địa phương (huyện cũ)",
    "unit": "Xã, phường",
    "agency": "Cơ quan, đơn vị (sở, ngành, Công an, UBND)",
}


def ended_scopes(ctx: RunContext, run: Callable[..., Any], data: ScopeAdmin) -> None:
    """Flag the users whose scope points at a body that has ended, with its successors one click away."""
    if not data.ended:
        return
    names = ", ".join(sorted({f"{e.name} (đến {fmt_date(e.valid_to)})" for e in data.ended}))
    st.warning(f"Phạm vi trỏ tới đơn vị đã kết thúc: {names}.", icon="⚠️")
    for i, e in enumerate(data.ended):
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.markdown(
            f"**{e.display_name}** ({e.username}): {e.name}, kết thúc {fmt_date(e.valid_to)}"
            + ("" if e.successors else " — không có đơn vị kế thừa; chọn lại phạm vi ở “Sửa người dùng”.")
        )
        if not e.successors:
            continue
        to = ", ".join(name for _id, name in e.successors)
        if right.button(f"Thay bằng {to}", key=f"admin_scope_replace_{i}", width="stretch"):
            run(
                user_admin.replace_ended,
                e.username,
                (e.kind, e.body_id),
                [(e.kind, body_id) for body_id, _name in e.successors],
                config.now(),
                success=f"Đã thay {e.name} bằng {to} trong phạm vi của {e.username}.",
            )


def scope_form(run: Callable[..., Any], username: str, data: ScopeAdmin) -> None:
    """Choose the bodies of one focal point: three searchable lists, saved together (audited)."""
    held = data.bodies.get(username, [])
    with st.form("admin_scope"):
        st.markdown(
            f"**Phạm vi của {username}**: các địa phương, đơn vị, cơ quan mà cán bộ đầu mối được sửa dữ liệu."
        )
        picked: list[tuple[str, int]] = []
        for kind, label in SCOPE_LABELS.items():
            options = data.options[kind]
            chosen = st.multiselect(
                label,
                list(options),
                default=[i for k, i in held if k == kind and i in options],
                format_func=lambda i, o=options: o.get(i, f"mã {i}"),  # type: ignore[misc]
                placeholder="Gõ để tìm…",
                key=widgets.stored_key(f"admin_scope_{kind}", username, held),  # the user's, as stored
            )
            picked += [(kind, i) for i in chosen]
        if st.form_submit_button("Lưu phạm vi"):
            run(
                user_admin.set_scope,
                username,
                picked,
                config.now(),
                success=f"Đã lưu phạm vi của {username}.",
            )
