"""The onboarding import on its page: the template, an upload, its preview, and the import on a click.

The preview is the import itself, rolled back (lib/files/register.py): counts of new, updated and
unchanged rows, the documents it adds, every refused cell by its address. It is kept in the session
until another file is uploaded. "Nhập" runs the import in one transaction that commits, or writes
nothing and lists why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core.catalogue import ID
from lib.core.formatting import fmt_int
from lib.core.roles import Refused
from lib.data.db import DatabaseError
from lib.files import register
from lib.ui import columns, transfer
from lib.ui.loaders import export_register_template
from lib.ui.shell import RunContext

STATE_KEY = "_register_file"
MB = 1024 * 1024
SHOWN_PROBLEMS = 50

INTRO = (
    "Đưa sổ theo dõi đang dùng (Excel) vào hệ thống một lần: tải mẫu, chép dữ liệu vào đúng các cột "
    "(dòng có cột **Mã** để trống là dòng mới; ghi Mã để cập nhật dòng đã có), rồi tải lên. Trang cho "
    "xem trước số dòng mới, cập nhật, không đổi và mọi ô bị từ chối; chỉ khi không còn ô nào bị từ chối "
    "mới nhập được, và nhập tất cả trong một lần (có ghi nhật ký). Nhập lại cùng một tệp không tạo thêm gì."
)


@dataclass(frozen=True)
class _Kept:
    """What this session knows of the uploaded file: its preview, a refusal, or the import done."""

    digest: str
    outcome: register.Outcome | None
    refusal: str | None = None
    imported: bool = False


def register_panel(ctx: RunContext) -> None:
    """The template download, the upload, the preview and the import button."""
    st.markdown(INTRO)
    transfer.download(
        "Tải mẫu sổ theo dõi (.xlsx)",
        lambda: export_register_template(ctx.database_url),
        "mau-so-theo-doi.xlsx",
        "register_template",
    )
    upload = st.file_uploader(
        f"Tải lên sổ theo dõi (.xlsx theo mẫu, tối đa {register.MAX_FILE_BYTES // MB} MB)",
        type=["xlsx"],
        key="register_file",
        max_upload_size=register.MAX_FILE_BYTES // MB,
    )
    if upload is None:
        st.session_state.pop(STATE_KEY, None)
        return
    file = register.Upload(upload.name, upload.getvalue())
    kept = _kept(ctx, file)
    if kept.refusal is not None and kept.outcome is None:
        st.error(kept.refusal, icon="🚫")
        return
    assert kept.outcome is not None
    outcome = kept.outcome
    if kept.imported:
        st.success(f"Đã nhập tệp {file.name}: {outcome.total} (trong {outcome.seconds:.1f} giây).", icon="✅")
    _show(outcome, imported=kept.imported)
    if kept.refusal is not None:
        st.error(kept.refusal, icon="🚫")
    if kept.imported or not outcome.ok:
        return
    total = outcome.total
    if not total.new and not total.updated:
        st.success(
            "Tệp không có dòng mới hay thay đổi nào so với dữ liệu hiện có; không có gì để nhập.", icon="✅"
        )
        return
    if st.button(
        f"Nhập: {fmt_int(total.new)} dòng mới, {fmt_int(total.updated)} cập nhật",
        key="register_apply",
        type="primary",
    ):
        _import(ctx, file)
        st.rerun()


def _kept(ctx: RunContext, file: register.Upload) -> _Kept:
    """The preview of this file, computed once (under a progress bar) and kept in the session."""
    kept = st.session_state.get(STATE_KEY)
    if isinstance(kept, _Kept) and kept.digest == file.digest:
        return kept
    assert ctx.actor is not None
    bar = st.progress(0.0, text="Đang đọc và kiểm tra tệp…")
    try:
        outcome = register.preview(
            ctx.engine, ctx.actor, file, now=config.now(), today=config.today(), progress=_advance(bar)
        )
        kept = _Kept(file.digest, outcome)
    except Refused as exc:
        kept = _Kept(file.digest, None, exc.message)
    except DatabaseError as exc:
        bar.empty()
        st.error(str(exc), icon="⚠️")
        st.stop()
    bar.empty()
    st.session_state[STATE_KEY] = kept
    return kept


def _import(ctx: RunContext, file: register.Upload) -> None:
    """Import the file in one transaction; keep the outcome (done, or refused with its cells)."""
    assert ctx.actor is not None
    bar = st.progress(0.0, text="Đang nhập…")
    try:
        outcome = register.import_register(
            ctx.engine, ctx.actor, file, now=config.now(), today=config.today(), progress=_advance(bar)
        )
        kept = _Kept(file.digest, outcome, imported=True)
    except register.RegisterRefused as exc:
        if exc.outcome is None:
            kept = _Kept(file.digest, None, exc.message)
        else:  # the data changed since the preview: what is refused now is listed above
            kept = _Kept(
                file.digest,
                exc.outcome,
                "Không nhập gì: khi nhập có ô bị từ chối (dữ liệu đã đổi sau khi xem trước).",
            )
    except Refused as exc:
        kept = _Kept(file.digest, None, exc.message)
    except DatabaseError as exc:  # nothing imported; the file stays ready for another try
        bar.empty()
        st.error(str(exc), icon="⚠️")
        st.stop()
    bar.empty()
    st.session_state[STATE_KEY] = kept


def _advance(bar: object) -> register.Progress:
    shown = [time.monotonic()]

    def advance(fraction: float, text: str) -> None:
        # A few updates a second: each is also where Streamlit stops a run whose browser went away
        # (the transaction then rolls back).
        if time.monotonic() - shown[0] >= 0.2:
            shown[0] = time.monotonic()
            bar.progress(fraction, text=text)  # type: ignore[attr-defined]

    return advance


def _show(outcome: register.Outcome, *, imported: bool) -> None:
    """Counts per sheet, the documents added, notes, refused cells and the cells updates change."""
    total = outcome.total
    verb = "Đã nhập" if imported else "Xem trước"
    st.markdown(
        f"**{verb}:** **{fmt_int(total.new)} dòng mới** · **{fmt_int(total.updated)} cập nhật** · "
        f"{fmt_int(total.unchanged)} không đổi"
    )
    st.dataframe(
        pd.DataFrame(
            [
                {"sheet": sheet, "new": c.new, "updated": c.updated, "unchanged": c.unchanged}
                for sheet, c in outcome.counts.items()
            ]
        ),
        hide_index=True,
        key="register_counts",
        column_config={
            "sheet": st.column_config.TextColumn("Trang"),
            "new": st.column_config.NumberColumn("Mới"),
            "updated": st.column_config.NumberColumn("Cập nhật"),
            "unchanged": st.column_config.NumberColumn("Không đổi"),
        },
    )
    if total.already:
        st.caption(
            f"{fmt_int(total.already)} dòng đã được nhập từ tệp này (cùng dòng, cùng nội dung) trước đây: "
            "không tạo lại."
        )
    if outcome.document_count:
        numbers = ", ".join(outcome.documents[:30]) + (" …" if outcome.document_count > 30 else "")
        what = "Đã thêm" if imported else "Sẽ thêm"
        st.info(
            f"{what} {fmt_int(outcome.document_count)} văn bản chưa có trong hệ thống: {numbers}.", icon="📄"
        )
    for note in outcome.notes:
        st.caption(note)
    if not outcome.ok:
        listed = outcome.listed[:SHOWN_PROBLEMS]
        more = outcome.problem_count - len(listed)
        st.error(
            f"{fmt_int(outcome.problem_count)} ô, dòng bị từ chối — sửa trong tệp rồi tải lên lại "
            "(chưa nhập gì):\n\n"
            + "\n".join(f"- {p}" for p in listed)
            + (f"\n- … và {fmt_int(more)} ô khác." if more > 0 else ""),
            icon="🚫",
        )
    if outcome.changes and outcome.ok:
        st.markdown(f"Các ô sẽ thay đổi ở dòng cập nhật ({fmt_int(outcome.change_count)}):")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "cell": c.where,
                        "row_id": c.row_id,
                        "label": c.label,
                        "old": transfer.shown(c.old),
                        "new": transfer.shown(c.new),
                    }
                    for c in outcome.changes
                ]
            ),
            hide_index=True,
            key="register_changes",
            column_config={
                "cell": st.column_config.TextColumn("Ô"),
                "row_id": columns.column(ID),
                "label": st.column_config.TextColumn("Cột"),
                "old": st.column_config.TextColumn("Giá trị hiện tại"),
                "new": st.column_config.TextColumn("Giá trị trong tệp"),
            },
        )
