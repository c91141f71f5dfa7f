"""Reminder letters on screen: the tab "Công văn đôn đốc" of /qua-han (pick addressees, set the number,
date, signer, what to send and by when; download the letters; issue them) and the reminders panel of
a task ("Chi tiết nhiệm vụ" on /nhiem-vu). Widget keys of the tab start with `followup_letters_`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core import reminders as rule
from lib.core.filters import Filters
from lib.core.formatting import fmt_date
from lib.core.roles import Refused
from lib.data import followup
from lib.data.db import DatabaseError, transaction
from lib.data.reminders import ReminderRow, recent_reminders, task_reminders
from lib.editing import reminders
from lib.files import reminder_letter
from lib.ops.reminders import issue_letters
from lib.ui import transfer, widgets
from lib.ui.loaders import cached, get_engine
from lib.ui.shell import RunContext

PREFIX = "followup_letters"
FLASH = f"{PREFIX}_flash"
ISSUED = f"{PREFIX}_issued_file"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ZIP = "application/zip"
REPLY_DAYS = 10  # the default "by when": ten days after the letter


@cached(max_entries=32)
def load_addressees(
    url: str, data_version: int, filters: Filters, day: date, due_days: int
) -> list[followup.Addressee]:
    """The lead agencies to chase on a day, with their tasks."""
    with transaction(get_engine(url)) as s:
        return followup.addressees(s, filters, day, due_days)


def _label(a: followup.Addressee) -> str:
    parts = [f"{a.overdue} quá hạn"] if a.overdue else []
    parts += [f"{a.due_soon} sắp đến hạn"] if a.due_soon else []
    return f"{a.name} — {', '.join(parts)}"


def _letters_table(rows: Sequence[ReminderRow], key: str, *, days: bool = False) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Số": r.number,
                    "Ngày": fmt_date(r.issued_on),
                    "Nơi nhận": r.addressee,
                    "Người ký": r.signer,
                    **(
                        {"Tình trạng khi đôn đốc": rule.days_phrase(r.days)}
                        if days and r.days is not None
                        else {}
                    ),
                    "Hạn gửi": fmt_date(r.reply_by),
                    "Thư điện tử": r.email,
                }
                for r in rows
            ]
        ),
        hide_index=True,
        key=key,
    )


def letters_tab(ctx: RunContext, filters: Filters, as_of: date, due_days: int) -> None:
    """The office's reminder letters: pick, fill in, download, issue; then the letters issued."""
    actor = ctx.actor
    assert actor is not None
    flash = st.session_state.pop(FLASH, None)
    if flash:
        kind, text = flash
        (st.success if kind == "ok" else st.warning)(text, icon="✅" if kind == "ok" else "⚠️")
    issued_file = st.session_state.get(ISSUED)
    if issued_file:
        transfer.download(
            "Tải công văn vừa phát hành",
            lambda: issued_file[1],
            issued_file[0],
            f"{PREFIX}_issued",
            mime=issued_file[2],
        )
    if actor.role not in rule.ISSUERS:
        st.info("Chỉ Văn phòng và quản trị hệ thống phát hành công văn đôn đốc.", icon="ℹ️")
    else:
        _form(ctx, filters, as_of, due_days)
    with transaction(ctx.engine) as s:
        recent = recent_reminders(s)
    st.markdown("**Công văn đôn đốc đã phát hành** (mới nhất trước)")
    if recent:
        _letters_table(recent, f"{PREFIX}_sent")
        _download_again(ctx, recent)
    else:
        st.caption("Chưa phát hành công văn nào.")


def _download_again(ctx: RunContext, recent: Sequence[ReminderRow]) -> None:
    """Pick an issued letter and download it again, as it went out."""
    by_id = {r.id: r for r in recent}
    picked = st.selectbox(
        "Tải lại một công văn đã phát hành",
        list(by_id),
        format_func=lambda i: f"{by_id[i].number} ngày {fmt_date(by_id[i].issued_on)} — {by_id[i].addressee}",
        index=None,
        key=f"{PREFIX}_again_pick",
        placeholder="Chọn công văn",
    )
    if picked is None:
        return
    with transaction(ctx.engine) as s:
        letter = reminders.stored_letter(s, int(picked))
        header = reminder_letter.header_on(s, letter.issued_on) if letter else None
    if letter is None or header is None:
        st.caption(
            "Công văn này phát hành trước khi hệ thống lưu chức vụ người ký và nội dung đề nghị: "
            "không dựng lại được."
        )
        return
    transfer.download(
        "Tải lại công văn (.docx)",
        lambda: reminder_letter.letter_docx(letter, header),
        reminder_letter.file_name(letter),
        f"{PREFIX}_again",
        mime=DOCX,
        icon=":material/description:",
    )


def _form(ctx: RunContext, filters: Filters, as_of: date, due_days: int) -> None:
    day = st.date_input("Ngày công văn", value=as_of, key=f"{PREFIX}_date", format="DD/MM/YYYY")
    day = day if isinstance(day, date) else as_of
    found = load_addressees(ctx.database_url, ctx.data_version, filters, day, due_days)
    if not found:
        st.info(f"Không có cơ quan nào có nhiệm vụ quá hạn hoặc sắp đến hạn vào ngày {fmt_date(day)}.")
        return
    by_id = {a.agency_id: a for a in found}
    st.caption(
        f"Cơ quan chủ trì có nhiệm vụ quá hạn hoặc đến hạn trong {due_days} ngày tới, tính đến ngày "
        f"{fmt_date(day)}: {len(found)} cơ quan. Mỗi cơ quan nhận một công văn, số tăng dần từ số đầu."
    )
    picked = st.multiselect(
        "Gửi tới",
        list(by_id),
        format_func=lambda i: _label(by_id[i]),
        key=widgets.fresh_key(PREFIX, "to"),
        placeholder="Chọn cơ quan nhận công văn",
    )
    left, right = st.columns(2)
    number = left.text_input(
        "Số và ký hiệu (công văn đầu tiên)",
        key=widgets.fresh_key(PREFIX, "number"),
        placeholder="125/CAT-PV01",
    )
    reply_by = right.date_input(
        "Hạn gửi kết quả",
        value=day + timedelta(days=REPLY_DAYS),
        key=f"{PREFIX}_reply_by",
        format="DD/MM/YYYY",
    )
    signer = left.text_input("Người ký", key=f"{PREFIX}_signer", placeholder="Nguyễn Văn A")
    title = right.text_area(
        "Chức vụ người ký", value=rule.DEFAULT_SIGNER_TITLE, key=f"{PREFIX}_title", height=80
    )
    request = st.text_area("Đề nghị cơ quan nhận gửi", value=rule.DEFAULT_REQUEST, key=f"{PREFIX}_request")
    form = reminders.LetterForm(
        number=number, issued_on=day, signer=signer, signer_title=title, request=request, reply_by=reply_by
    )
    chosen = [by_id[i] for i in picked if i in by_id]
    if chosen:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Cơ quan": a.name,
                        "Mã": t.task_id,
                        "Nhiệm vụ": t.title,
                        "Hạn": fmt_date(t.deadline),
                        "Quá hạn / còn lại": rule.days_phrase(t.days),
                    }
                    for a in chosen
                    for t in a.tasks
                ]
            ),
            hide_index=True,
            key=f"{PREFIX}_preview",
        )
    letters, problem = _draft(ctx, picked, form, filters, due_days)
    if problem:
        st.caption(f"Chưa tạo được công văn: {problem}")
    elif letters:
        header = letters[1]
        if len(letters[0]) == 1:
            one = letters[0][0]
            transfer.download(
                "Tải công văn (.docx)",
                lambda: reminder_letter.letter_docx(one, header),
                reminder_letter.file_name(one),
                f"{PREFIX}_docx",
                mime=DOCX,
            )
        else:
            batch = letters[0]
            transfer.download(
                f"Tải {len(batch)} công văn (.zip)",
                lambda: reminder_letter.letters_zip(batch, header),
                f"cong-van-don-doc-{day:%Y%m%d}.zip",
                f"{PREFIX}_zip",
                mime=ZIP,
            )
    mailing = " và gửi thư điện tử tới cơ quan nhận" if ctx.settings.smtp_url else ""
    if st.button(
        "Phát hành công văn", key=f"{PREFIX}_issue", type="primary", help=f"Ghi nhận công văn{mailing}."
    ):
        _issue(ctx, picked, form, filters, due_days)


def _draft(
    ctx: RunContext, picked: list[int], form: reminders.LetterForm, filters: Filters, due_days: int
) -> tuple[tuple[list[reminders.Letter], reminder_letter.Header] | None, str]:
    """The letters as they would be issued now, or why not yet (nothing written)."""
    if not picked:
        return None, "chọn ít nhất một cơ quan nhận."
    try:
        with transaction(ctx.engine) as s:
            letters = reminders.prepare(
                s, picked, form, filters=filters, due_soon_days=due_days, today=ctx.today
            )
            return (letters, reminder_letter.header_on(s, letters[0].issued_on)), ""
    except Refused as exc:
        errors = getattr(exc, "errors", None)
        return None, "; ".join(f"“{e.label}”: {e.message}" for e in errors) if errors else exc.message


def _issue(
    ctx: RunContext, picked: list[int], form: reminders.LetterForm, filters: Filters, due_days: int
) -> None:
    assert ctx.actor is not None
    try:
        done = issue_letters(
            ctx.engine,
            ctx.actor,
            picked,
            form,
            filters=filters,
            due_soon_days=due_days,
            smtp_url=ctx.settings.smtp_url,
            now=config.now(),
            today=ctx.today,
        )
    except Refused as exc:
        widgets.show_refusal(exc)
        return
    except DatabaseError as exc:
        st.error(str(exc), icon="⚠️")
        return
    names = "; ".join(f"{letter.number} gửi {letter.addressee.name}" for letter in done.letters)
    text = f"Đã phát hành {len(done.letters)} công văn đôn đốc: {names}."
    sent = [i for i, status in done.mailed.items() if status == rule.EMAIL_SENT]
    if sent:
        text += f" Đã gửi thư điện tử {len(sent)} công văn."
    failed = done.failed
    if failed:
        text += " Chưa gửi được thư: " + "; ".join(f"{letter.number}: {why}" for letter, why in failed)
    if len(done.letters) == 1:
        one = done.letters[0]
        st.session_state[ISSUED] = (
            reminder_letter.file_name(one),
            reminder_letter.letter_docx(one, done.header),
            DOCX,
        )
    else:
        st.session_state[ISSUED] = (
            f"cong-van-don-doc-{done.letters[0].issued_on:%Y%m%d}.zip",
            reminder_letter.letters_zip(done.letters, done.header),
            ZIP,
        )
    st.session_state[FLASH] = ("warn" if failed else "ok", text)
    widgets.start_again(PREFIX)  # the next letter starts with no addressee and no number
    st.rerun()


def panel(ctx: RunContext, row: Mapping[str, Any]) -> None:
    """Draw the reminder letters that named one task: number, date, signer, and how it stood."""
    st.markdown("**Công văn đôn đốc**")
    with transaction(ctx.engine) as s:
        found = task_reminders(s, int(row["id"]))
    if not found:
        st.caption("Chưa có công văn đôn đốc nào về nhiệm vụ này.")
        return
    last = max(r.issued_on for r in found)
    st.caption(rule.summary(len(found), last).capitalize() + ".")
    _letters_table(found, "tasks_reminders", days=True)
