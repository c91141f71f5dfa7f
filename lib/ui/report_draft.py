"""“Dự thảo báo cáo” on /bao-cao (keys `report_draft_…`): the report's written sections — Đánh giá chung,
Khó khăn, vướng mắc, Phương hướng, Kiến nghị, đề xuất — as the office's latest draft or, before there is
one, as generated from the figures and the period entries. The office (and admin) edit them and save a
new version, regenerate them from the figures (a new version, after confirming), list the versions and
restore one (a new version too); everyone else reads.

What a save is checked against is the version the editor started from, kept in session state until it
is saved or the user reloads: a save over a newer version is refused with who saved it and when, and
what was typed stays in the text areas.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core import report_drafts as rule
from lib.core.formatting import fmt_datetime
from lib.core.roles import OFFICE, Refused
from lib.data import report_drafts as reads
from lib.data.db import transaction
from lib.editing import report_drafts as drafts
from lib.files import report
from lib.ui import widgets
from lib.ui.shell import RunContext
from lib.ui.widgets import Done, attempt, plain, show_refusal

FLASH = "report_draft_flash"
CONFIRM = "report_draft_confirming"


def _keys(r: report.YearEndReport) -> tuple[str, str]:
    """The session keys of this report's editor: the version it started from, and the text areas' stem."""
    stem = f"{r.year}_{r.draft_scope}"
    return f"report_draft_seen_{stem}", stem


def _area_key(stem: str, name: str) -> str:
    """A text area's key: new after each `_forget` (`widgets.fresh_key`), so that the browser draws a new
    text area with the stored text. Under the same key the browser keeps what it holds and sends it back
    with the next rerun, whatever the server's session state says: "Tải bản mới nhất" or a restore kept
    showing the text typed before, and the next save would have written it over the version just loaded."""
    return widgets.fresh_key(f"report_draft_{stem}", name)


def _forget(r: report.YearEndReport) -> None:
    """Start the editor again from what is stored (after a save, a restore, or on asking for it)."""
    seen_key, stem = _keys(r)
    st.session_state.pop(seen_key, None)
    widgets.start_again(f"report_draft_{stem}")


def _source_caption(r: report.YearEndReport) -> str:
    d = r.draft
    if d is None:
        return (
            "Chưa có dự thảo: nội dung dưới đây được tạo từ số liệu và các báo cáo kỳ đã nộp; "
            "báo cáo tải về dùng nội dung này."
        )
    return (
        f"Dự thảo bản {d.number}, {plain(d.saved_name)} lưu lúc {fmt_datetime(d.saved_at)}"
        + (f" ({plain(d.note)})" if d.note else "")
        + ": báo cáo tải về dùng nội dung này."
    )


def _read_only(r: report.YearEndReport) -> None:
    text = report.sections(r)
    for name in rule.SECTIONS:
        st.markdown(f"**{rule.SECTION_LABELS[name]}**")
        st.markdown(plain(text[name], lines=True) or "—")


def panel(ctx: RunContext, r: report.YearEndReport) -> None:
    """The draft section of /bao-cao for this report's year and scope."""
    st.markdown("#### Dự thảo báo cáo")
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon="✅")
    st.caption(_source_caption(r))
    actor = ctx.actor
    if actor is None or actor.role not in OFFICE:
        _read_only(r)
        return
    _editor(ctx, r)
    _regenerate(ctx, r)
    _versions(ctx, r)


def _editor(ctx: RunContext, r: report.YearEndReport) -> None:
    seen_key, stem = _keys(r)
    latest = r.draft.latest if r.draft is not None else 0
    seen = int(st.session_state.setdefault(seen_key, latest))
    start = report.sections(r)
    if seen != latest:
        st.warning(
            f"Dự thảo đã có bản {latest} mới hơn bản {seen} bạn đang sửa. Bấm “Tải bản mới nhất” để xem "
            "(nội dung đang sửa sẽ bỏ đi), hoặc sao chép phần của bạn trước.",
            icon="⚠️",
        )
    with st.form(f"report_draft_form_{stem}", border=True):
        typed = {
            name: st.text_area(
                rule.SECTION_LABELS[name],
                value=start[name],
                height=220,
                max_chars=rule.SECTION_TEXT.max_length,
                key=_area_key(stem, name),
            )
            for name in rule.SECTIONS
        }
        saved = st.form_submit_button("Lưu dự thảo", type="primary", key="report_draft_save")
    if st.button(
        "Tải bản mới nhất", key="report_draft_reload", help="Bỏ nội dung đang sửa, mở bản đã lưu mới nhất."
    ):
        _forget(r)
        st.rerun()
    if not saved:
        return
    outcome = attempt(
        ctx, drafts.save_draft, r.year, r.draft_scope, typed, seen, now=config.now(), note=drafts.SAVED
    )
    _after(r, outcome, "Đã lưu dự thảo")


def _after(r: report.YearEndReport, outcome: Done[int] | Refused | None, said: str) -> None:
    """A save's outcome: a refusal is shown and what was typed stays; a save starts the editor again."""
    if outcome is None:
        return
    if isinstance(outcome, Refused):
        show_refusal(outcome)
        return
    _forget(r)
    st.session_state[FLASH] = f"{said} báo cáo năm {r.year} — {r.scope_name} (bản {outcome.value})."
    st.rerun()


def _regenerate(ctx: RunContext, r: report.YearEndReport) -> None:
    """“Tạo lại từ số liệu”: after confirming, the generated text becomes a new version."""
    seen_key, _stem = _keys(r)
    if not st.session_state.get(CONFIRM):
        if st.button(
            "Tạo lại từ số liệu",
            key="report_draft_regenerate",
            help="Thay nội dung dự thảo bằng nội dung tạo từ số liệu hiện có (lưu thành bản mới).",
        ):
            st.session_state[CONFIRM] = True
            st.rerun()
        return
    st.warning(
        "Tạo lại nội dung từ số liệu? Nội dung hiện tại vẫn giữ trong danh sách các bản và khôi phục được.",
        icon="⚠️",
    )
    yes, no = st.columns(2)
    if no.button("Hủy", key="report_draft_regenerate_cancel"):
        st.session_state.pop(CONFIRM, None)
        st.rerun()
    if yes.button("Xác nhận tạo lại", type="primary", key="report_draft_regenerate_confirm"):
        st.session_state.pop(CONFIRM, None)
        seen = int(st.session_state.get(seen_key, r.draft.latest if r.draft is not None else 0))
        outcome = attempt(
            ctx,
            drafts.save_draft,
            r.year,
            r.draft_scope,
            report.generated_sections(r),
            seen,
            now=config.now(),
            note=drafts.REGENERATED,
        )
        _after(r, outcome, "Đã tạo lại từ số liệu dự thảo")


def _versions(ctx: RunContext, r: report.YearEndReport) -> None:
    """The versions, the latest first; one can be viewed and restored (as a new version)."""
    if r.draft is None:
        return
    with transaction(ctx.engine) as s:
        found = reads.versions(s, r.year, r.draft_scope)
    with st.expander(f"Các bản dự thảo ({len(found)})", key="report_draft_versions_open"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Bản": v.number,
                        "Ghi chú": v.note,
                        "Người lưu": v.saved_name,
                        "Lúc": fmt_datetime(v.saved_at),
                    }
                    for v in found
                ]
            ),
            hide_index=True,
            key="report_draft_versions",
        )
        by_number = {v.number: v for v in found}
        number = st.selectbox(
            "Xem bản",
            list(by_number),
            format_func=lambda n: (
                f"Bản {n} — {by_number[n].saved_name}, {fmt_datetime(by_number[n].saved_at)}"
            ),
            key="report_draft_version_pick",
        )
        with transaction(ctx.engine) as s:
            shown = reads.draft_of(s, r.year, r.draft_scope, number)
        if shown is None:
            return
        for name in rule.SECTIONS:
            st.markdown(f"**{rule.SECTION_LABELS[name]}**")
            st.markdown(plain(shown.sections[name], lines=True) or "—")
        if number == shown.latest:
            st.caption("Đây là bản mới nhất.")
            return
        if st.button(f"Khôi phục bản {number}", key="report_draft_restore"):
            seen_key, _stem = _keys(r)
            seen = int(st.session_state.get(seen_key, shown.latest))
            outcome = attempt(
                ctx, drafts.restore_version, r.year, r.draft_scope, number, seen, now=config.now()
            )
            _after(r, outcome, f"Đã khôi phục bản {number} thành bản mới của dự thảo")
