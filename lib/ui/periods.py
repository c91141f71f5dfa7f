"""Reporting periods on /bao-cao: the office opens and closes periods (keys `periods_…`); whoever may edit
a task writes its entry for the open period, saves a draft and submits it (keys `period_entry_…`);
on /tru-so a project's money of a year is set (keys `hq_year_…`).

What the user saw — the entry's version — is what a save is checked against; a submitted entry is
shown as frozen, and a save sent over it (from another tab, say) is refused with the reason.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core import periods as rule
from lib.core.changes import who
from lib.core.filters import PARAM_AS_OF
from lib.core.formatting import fmt_billion, fmt_date, fmt_datetime, fmt_pct, fmt_vnd
from lib.core.roles import OFFICE, Refused
from lib.data.changes import user_names
from lib.data.db import transaction
from lib.data.periods import EntryRow, PeriodRow, entry_rows, list_periods
from lib.editing import periods
from lib.editing.changeset import ValidationFailed
from lib.files.report import YearEndReport, year_money_sentence
from lib.ui import loaders, widgets
from lib.ui.shell import RunContext
from lib.ui.widgets import attempt, plain, run_action, show_refusal

FLASH = "period_entry_flash"
OFFICE_FLASH = "periods_flash"
MONEY_FLASH = "hq_year_flash"


def load_periods(ctx: RunContext) -> list[PeriodRow]:
    """Every period with its counts (not cached: a handful of rows, and a decision must see the latest)."""
    with transaction(ctx.engine) as s:
        return list_periods(s)


def _flash(key: str) -> None:
    message = st.session_state.pop(key, None)
    if message:
        st.success(message, icon="✅")


# --- the report page: what a past period froze ---------------------------------------------------------


def report_notes(r: YearEndReport) -> None:
    """Say that a report reads a closed period's frozen figures, and show the year's money."""
    if r.frozen_note:
        st.info(r.frozen_note, icon="🔒")


def period_links(ctx: RunContext, params: dict[str, str]) -> None:
    """Links to the report of each closed period (as of its last day), with the page's scope."""
    closed = [p for p in load_periods(ctx) if p.state == rule.CLOSED]
    if not closed:
        return
    extra = "".join(f"&{k}={v}" for k, v in params.items() if k != PARAM_AS_OF)
    st.caption(
        "Báo cáo theo kỳ đã chốt: "
        + " · ".join(f"[{p.label}](/bao-cao?{PARAM_AS_OF}={p.ends_on.isoformat()}{extra})" for p in closed)
    )


def year_money(r: YearEndReport) -> None:
    """The as-of year's capital plan, disbursed and rate against that plan (section II)."""
    y = r.year_money
    if y is None:
        return
    cols = st.columns(3)
    cols[0].metric(
        f"Kế hoạch vốn năm {y.year} (tỷ đồng)", fmt_billion(y.plan), border=True, help=fmt_vnd(y.plan)
    )
    cols[1].metric(
        f"Giải ngân năm {y.year} (tỷ đồng)", fmt_billion(y.disbursed), border=True, help=fmt_vnd(y.disbursed)
    )
    cols[2].metric(
        f"Tỷ lệ giải ngân năm {y.year}",
        fmt_pct(y.rate),
        border=True,
        help="Đã giải ngân trong năm / kế hoạch vốn năm, như báo cáo đầu tư công.",
    )
    st.caption(year_money_sentence(y))
    c = r.cumulative
    if r.frozen_money and c is not None:
        st.caption(
            f"Lũy kế đến hết năm {y.year}: đã bố trí vốn {fmt_vnd(c.plan)}; "
            f"đã giải ngân {fmt_vnd(c.disbursed)} ({fmt_pct(c.rate)})."
        )


# --- the office: open and close periods ----------------------------------------------------------------


def _default_due(kind: str, span: rule.Span) -> date:
    if kind == rule.YEAR:
        return date(span.ends_on.year, 12, 10)  # the yearly report is due before 15/12
    return span.ends_on + timedelta(days=10)


def office_panel(ctx: RunContext, found: list[PeriodRow]) -> None:
    """The periods with their counts, a button to close each open one, and a form to open one."""
    actor = ctx.actor
    if actor is None or actor.role not in OFFICE:
        return
    _flash(OFFICE_FLASH)
    if found:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Kỳ báo cáo": p.label,
                        "Từ ngày": fmt_date(p.starts_on),
                        "Đến ngày": fmt_date(p.ends_on),
                        "Hạn nộp": fmt_date(p.due_on),
                        "Tình trạng": rule.PERIOD_STATE_LABELS[p.state],
                        "Đã nộp": p.submitted,
                        "Nộp muộn": p.late,
                        "Bản nháp": p.entries - p.submitted,
                        "Chốt lúc": fmt_datetime(p.closed_at),
                    }
                    for p in found
                ]
            ),
            hide_index=True,
            key="periods_list",
        )
    for p in found:
        if p.state == rule.OPEN and st.button(
            f"Chốt kỳ “{p.label}”",
            key=f"periods_close_{p.id}",
            help="Sau khi chốt, không nhận thêm báo cáo kỳ.",
        ):
            done = run_action(ctx, periods.close_period, p.id, p.version, now=config.now())
            if done is not None:
                st.session_state[OFFICE_FLASH] = f"Đã chốt kỳ “{p.label}”."
                st.rerun()
    with st.expander("Mở kỳ báo cáo mới", expanded=not found, key="periods_new_open"):
        kind = st.radio(
            rule.FIELD_LABELS["kind"],
            list(rule.KIND_LABELS),
            format_func=lambda k: rule.KIND_LABELS[k],
            horizontal=True,
            key="periods_kind",
        )
        left, right = st.columns(2)
        year = int(
            left.number_input(
                rule.FIELD_LABELS["year"],
                min_value=rule.FIRST_YEAR,
                max_value=rule.LAST_YEAR,
                value=ctx.today.year,
                step=1,
                key="periods_year",
            )
        )
        quarter = 1
        if kind == rule.QUARTER:
            quarter = int(right.selectbox(rule.FIELD_LABELS["quarter"], (1, 2, 3, 4), key="periods_quarter"))
        span = rule.span_of(kind, year, quarter)
        if st.session_state.get("periods_span") != span:  # a new kind or year: its label and days
            st.session_state["periods_span"] = span
            st.session_state["periods_label"] = span.label
            st.session_state["periods_starts_on"] = span.starts_on
            st.session_state["periods_ends_on"] = span.ends_on
            st.session_state["periods_due_on"] = _default_due(kind, span)
        with st.form("periods_open_form", border=True):
            label = st.text_input(rule.FIELD_LABELS["label"], key="periods_label")
            a, b, c = st.columns(3)
            starts_on = a.date_input(
                rule.FIELD_LABELS["starts_on"], format="DD/MM/YYYY", key="periods_starts_on"
            )
            ends_on = b.date_input(rule.FIELD_LABELS["ends_on"], format="DD/MM/YYYY", key="periods_ends_on")
            due_on = c.date_input(rule.FIELD_LABELS["due_on"], format="DD/MM/YYYY", key="periods_due_on")
            sent = st.form_submit_button("Mở kỳ báo cáo", type="primary", key="periods_open")
        if sent:
            opened = run_action(
                ctx, periods.open_period, kind, label, starts_on, ends_on, due_on, now=config.now()
            )
            if opened is not None:
                st.session_state[OFFICE_FLASH] = (
                    f"Đã mở kỳ “{label.strip()}”: các đơn vị có thể viết báo cáo kỳ."
                )
                st.rerun()


# --- an owner: the entries of their tasks ----------------------------------------------------------------


def entry_panel(ctx: RunContext, found: list[PeriodRow]) -> None:
    """The tasks of an open period this user may write for, where each stands, and a task's entry form."""
    actor = ctx.actor
    if actor is None or not actor.can_write:
        return
    _flash(FLASH)
    opened = [p for p in found if p.state == rule.OPEN]
    if not opened:
        st.caption("Chưa có kỳ báo cáo nào đang mở.")
        return
    by_id = {p.id: p for p in opened}
    period = by_id[
        st.selectbox(
            "Kỳ báo cáo đang mở",
            list(by_id),
            format_func=lambda i: f"{by_id[i].label} — hạn nộp {fmt_date(by_id[i].due_on)}",
            key="period_entry_period",
        )
    ]
    with transaction(ctx.engine) as s:
        rows = entry_rows(s, actor, period)
        names = user_names(s)
    if not rows:
        st.caption("Không có nhiệm vụ nào thuộc phạm vi của bạn trong kỳ này.")
        return
    status = {r.task_id: rule.entry_status(r.state, r.late, period.due_on, ctx.today) for r in rows}
    counts = {k: sum(1 for v in status.values() if v == k) for k in rule.ENTRY_STATUS_LABELS}
    st.caption(
        f"Kỳ {period.label} ({fmt_date(period.starts_on)}–{fmt_date(period.ends_on)}), hạn nộp "
        f"{fmt_date(period.due_on)}: "
        + "; ".join(
            f"{label.lower()} {counts[k]}" for k, label in rule.ENTRY_STATUS_LABELS.items() if counts[k]
        )
        + f" (trên {len(rows)} nhiệm vụ)."
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Mã": r.task_id,
                    "Nhiệm vụ": r.title,
                    "Địa bàn": r.locality or "Cấp tỉnh",
                    "Tình trạng": rule.ENTRY_STATUS_LABELS[status[r.task_id]],
                    "Tiến độ cuối kỳ": f"{r.progress_pct}%" if r.progress_pct is not None else "",
                    "Nộp lúc": fmt_datetime(r.submitted_at),
                    "Người nộp": who(r.submitted_by, names) if r.submitted_by else "",
                }
                for r in rows
            ]
        ),
        hide_index=True,
        key="period_entry_list",
    )
    by_task = {r.task_id: r for r in rows}
    done = (rule.ON_TIME, rule.LATE_SUBMITTED)
    first = next((i for i, r in enumerate(rows) if status[r.task_id] not in done), 0)  # the first still to do
    # Keyed by the period and the statuses its labels show: under one key the browser kept the task and
    # the label of the period shown before ("Chưa viết" for an entry submitted in this one). The task
    # chosen in this period is kept apart, so a save that changes a status does not lose it.
    chosen_key = f"period_entry_chosen_{period.id}"
    chosen = st.session_state.get(chosen_key)
    task_id = st.selectbox(
        "Nhiệm vụ",
        list(by_task),
        index=list(by_task).index(chosen) if chosen in by_task else first,
        format_func=lambda i: f"{i} — {by_task[i].title[:90]} — {rule.ENTRY_STATUS_LABELS[status[i]]}",
        key=widgets.stored_key("period_entry_task", period.id, sorted(status.items())),
    )
    st.session_state[chosen_key] = task_id
    _entry_form(ctx, period, by_task[task_id], status[task_id], names)


def _entry_form(
    ctx: RunContext, period: PeriodRow, row: EntryRow, status: str, names: dict[str, str]
) -> None:
    # The entry's version when this user began with it: what a save is checked against, kept until
    # it is saved or refused (an entry submitted meanwhile from elsewhere is refused, and said so).
    seen_key = f"period_entry_seen_{period.id}_{row.task_id}"
    if row.state == rule.SUBMITTED and seen_key not in st.session_state:
        _frozen(row, who(row.submitted_by, names))
        return
    seen = int(st.session_state.setdefault(seen_key, row.version))
    if status == rule.LATE:
        st.warning(f"Đã quá hạn nộp ({fmt_date(period.due_on)}): báo cáo nộp bây giờ được ghi là nộp muộn.")
    # One set of fields per period and task: a browser keeps what a field holds under its key, so the
    # same task in another open period (the year's and a quarter's) showed the text typed for the first,
    # and "Lưu nháp" would have written it there. Not the version: a refused save keeps what was typed.
    suffix = f"{period.id}_{row.task_id}"
    with st.form(f"period_entry_form_{period.id}_{row.task_id}", border=True):
        result = st.text_area(
            rule.FIELD_LABELS["result"],
            value=row.result,
            max_chars=rule.RESULT.max_length,
            key=f"period_entry_result_{suffix}",
        )
        progress = st.number_input(
            rule.FIELD_LABELS["progress_pct"],
            min_value=0,
            max_value=100,
            step=5,
            value=row.progress_pct if row.progress_pct is not None else row.progress_now,
            key=f"period_entry_progress_{suffix}",
        )
        obstacles = st.text_area(
            rule.FIELD_LABELS["obstacles"],
            value=row.obstacles if row.state is not None else row.obstacles_now,
            max_chars=rule.OBSTACLES.max_length,
            key=f"period_entry_obstacles_{suffix}",
        )
        proposals = st.text_area(
            rule.FIELD_LABELS["proposals"],
            value=row.proposals,
            max_chars=rule.PROPOSALS.max_length,
            placeholder="Ví dụ: Đề nghị UBND tỉnh bố trí bổ sung kinh phí …",
            key=f"period_entry_proposals_{suffix}",
        )
        left, right = st.columns(2)
        save = left.form_submit_button("Lưu nháp", key="period_entry_save", width="stretch")
        submit = right.form_submit_button(
            "Nộp",
            type="primary",
            key="period_entry_submit",
            width="stretch",
            help="Sau khi nộp, không sửa được nữa.",
        )
    if not (save or submit):
        return
    draft = periods.Draft(result=result, progress_pct=progress, obstacles=obstacles, proposals=proposals)
    outcome = attempt(
        ctx, periods.save_entry, period.id, row.task_id, draft, seen, now=config.now(), submit=bool(submit)
    )
    if isinstance(outcome, ValidationFailed):  # the user fixes what they typed; nothing else changed
        show_refusal(outcome)
        return
    if outcome is None:  # the database failed (said): keep what was typed
        return
    if isinstance(outcome, Refused) and outcome.conflict:
        # Saved meanwhile from elsewhere: what was typed stays, and so does the version it started from,
        # so a second click is refused again instead of writing over that save. A reload of the page
        # starts from what is stored. (Popping the text areas' keys would not do it: the browser keeps
        # what it holds and sends it back with the next rerun.)
        show_refusal(outcome)
        return
    # Saved, or refused for good (submitted meanwhile: the next run shows it frozen).
    del st.session_state[seen_key]
    for name in ("result", "progress", "obstacles", "proposals"):
        st.session_state.pop(f"period_entry_{name}_{suffix}", None)
    if isinstance(outcome, Refused):
        show_refusal(outcome)
        return
    st.session_state[FLASH] = (
        f"Đã nộp báo cáo kỳ {period.label} của nhiệm vụ mã {row.task_id}."
        if submit
        else f"Đã lưu nháp báo cáo kỳ {period.label} của nhiệm vụ mã {row.task_id}."
    )
    st.rerun()


def _frozen(row: EntryRow, submitter: str) -> None:
    late = " (nộp muộn)" if row.late else ""
    st.info(
        f"Đã nộp lúc {fmt_datetime(row.submitted_at)}{late} bởi {plain(submitter)}: "
        "báo cáo đã chốt, không sửa được nữa.",
        icon="🔒",
    )
    for name in periods.ENTRY_FIELDS:
        value = getattr(row, name)
        shown = f"{value}%" if name == "progress_pct" else plain(value or "—")
        st.markdown(f"**{rule.FIELD_LABELS[name].replace(' (%)', '')}:** {shown}")


def panel(ctx: RunContext) -> None:
    """The periods section of /bao-cao: the office's management, then the user's own entries."""
    actor = ctx.actor
    if actor is None or not actor.can_write:
        return
    found = load_periods(ctx)
    st.markdown("#### Báo cáo kỳ (6 tháng, năm)")
    if actor.role in OFFICE:
        office_panel(ctx, found)
    entry_panel(ctx, found)


# --- a project's money per year (on /tru-so) --------------------------------------------------------------


def year_money_panel(ctx: RunContext, projects: dict[int, str]) -> None:
    """Set the capital plan and disbursement of one year for a project this user may edit."""
    actor = ctx.actor
    if actor is None or not actor.can_write or not projects:
        return
    with st.expander("Vốn theo năm của dự án (kế hoạch vốn năm, giải ngân trong năm)", key="hq_year_open"):
        _flash(MONEY_FLASH)
        project_id = st.selectbox(
            "Dự án", list(projects), format_func=lambda i: projects[i], key="hq_year_project"
        )
        years = {
            r.year: r for r in loaders.load_project_years(ctx.database_url, ctx.data_version, project_id)
        }
        if years:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Năm": y.year,
                            "Kế hoạch vốn năm (đồng)": fmt_vnd(y.plan),
                            "Đã giải ngân (đồng)": fmt_vnd(y.disbursed),
                            "Tỷ lệ giải ngân": fmt_pct(rule.year_rate(y.plan, y.disbursed)),
                        }
                        for y in years.values()
                    ]
                ),
                hide_index=True,
                key="hq_year_list",
            )
        year = int(
            st.number_input(
                rule.FIELD_LABELS["year"],
                min_value=rule.FIRST_YEAR,
                max_value=rule.LAST_YEAR,
                value=ctx.today.year,
                step=1,
                key="hq_year_year",
            )
        )
        seen = years.get(year)
        current = seen.version if seen else 0
        # The version the figures on screen came from, kept while their boxes live: a save is checked
        # against it, so figures saved meanwhile by someone else are never overwritten by the old ones
        # the boxes still hold (a browser keeps a box's text under its key). The boxes are keyed by it.
        started_key = f"hq_year_started_{project_id}_{year}"
        started = st.session_state.get(started_key)
        if started is None or _money_key("plan", project_id, year, started) not in st.session_state:
            started = current  # first drawn, or drawn anew after the page was left
        st.session_state[started_key] = started
        if started != current:
            st.warning(
                f"Vốn năm {year} của dự án này vừa được người khác sửa sau khi bạn mở. Tải số liệu mới để "
                "xem; những gì bạn đã nhập ở đây sẽ được thay.",
                icon="⚠️",
            )
            if st.button("Tải số liệu mới", key="hq_year_reload"):
                st.session_state[started_key] = current
                st.rerun()
        with st.form(f"hq_year_form_{project_id}_{year}", border=True):
            a, b = st.columns(2)
            plan = a.text_input(
                rule.FIELD_LABELS["plan_vnd"],
                value=str(seen.plan) if seen else "",
                key=_money_key("plan", project_id, year, started),
            )
            disbursed = b.text_input(
                rule.FIELD_LABELS["disbursed_vnd"],
                value=str(seen.disbursed) if seen else "",
                key=_money_key("disbursed", project_id, year, started),
            )
            sent = st.form_submit_button("Lưu vốn năm", type="primary", key="hq_year_save")
        if sent:
            done = run_action(
                ctx,
                periods.set_year_money,
                project_id,
                year,
                plan,
                disbursed,
                started,
                now=config.now(),
            )
            if done is not None:
                del st.session_state[started_key]  # the next run starts from what was saved
                st.session_state[MONEY_FLASH] = f"Đã lưu vốn năm {year} của dự án mã {project_id}."
                st.rerun()


def _money_key(name: str, project_id: int, year: int, version: int) -> str:
    """The key of a year's money box: drawn anew for each stored version it starts from."""
    return f"hq_year_{name}_{project_id}_{year}_v{version}"
