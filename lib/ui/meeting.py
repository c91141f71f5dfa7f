"""Meeting mode (`?trinh_chieu=1`): the meeting pack as slides for a projector, one at a time, paged
with the keyboard (←/→, PageUp/PageDown) or the buttons; the slide number is in the URL
(`&trang_chieu=3`). The same `Deck` downloads as .pptx and PDF; on a place's slide the office and the
leaders record the meeting's conclusions as directions or new tasks."""

from __future__ import annotations

import streamlit as st

from lib.core import config
from lib.core.discussion import DIRECTION, may_direct
from lib.core.filters import FilterOptions, Filters, describe_filters
from lib.data.deck import Deck, Slide
from lib.editing import discussion as talk
from lib.editing.creation import NEW_TASK
from lib.files.deck_chart import cover_chart
from lib.ui import charts, discussion, filtering, record_forms, shell, transfer, widgets
from lib.ui.loaders import (
    deck_pdf,
    deck_pptx,
    load_agency_choices,
    load_deck,
    load_document_choices,
    load_locality_choices,
    load_overview,
)
from lib.ui.shell import RunContext
from lib.ui.widgets import plain

PARAM_SLIDE = "trang_chieu"
_FLASH = "meeting_done"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
TASK_FIELDS = ("document_id", "title", "lead_agency_id", "locality_id", "original_deadline")
_SLIDE_CSS = """
<style>
.st-key-meeting_slide li, .st-key-meeting_slide p { font-size: 1.55rem !important; line-height: 1.4; }
.st-key-meeting_keys { display: none !important; }
.st-key-meeting_slide [data-testid="stMetricValue"] p { font-size: 4rem !important; line-height: 1.1; }
.st-key-meeting_slide [data-testid="stMetricLabel"] p { font-size: 1.5rem !important; }
</style>
"""


def slide_number(total: int) -> int:
    """The slide the URL names (1-based); a number the deck does not have says so and shows the cover."""
    raw = st.query_params.get(PARAM_SLIDE)
    if raw is None:
        return 1
    if raw.isdigit() and 1 <= int(raw) <= total:
        return int(raw)
    st.warning(
        f"Trang trình chiếu “{raw}” không có: bộ trình chiếu có {total} trang (1–{total}). "
        "Đang hiện trang 1.",
        icon="⚠️",
    )
    return 1


def _go(number: int) -> None:
    st.query_params[PARAM_SLIDE] = str(number)


def overview(ctx: RunContext, options: FilterOptions) -> None:
    """The deck for the date and filters of the link; no widget can move the as-of date."""
    # A link to this same page does not rewrite the address bar: write the whole query back, so that
    # the next click (or key) still carries `trinh_chieu=1`, the date and the filters.
    st.query_params[shell.PARAM_MEETING] = "1"
    filters, as_of = filtering.url_filters(options, ctx.today)
    scope = "" if filters.is_empty else describe_filters(filters, options)
    args = (ctx.database_url, ctx.data_version, filters, as_of, ctx.settings.due_soon_days, scope, ctx.today)
    deck = load_deck(*args)
    shell.projector_style()
    st.html(_SLIDE_CSS)
    total = len(deck.slides)
    n = slide_number(total)
    with st.container(key="meeting_slide"):
        slide = deck.slides[n - 1]
        if slide.key == "cover":
            _cover(ctx, deck, options, filters)
        else:
            _place(deck, slide)
    _pager(n, total)
    if slide.key != "cover":
        _conclusions(ctx, slide)
    day = f"{as_of:%Y-%m-%d}"
    files = st.columns(3)
    with files[0]:
        transfer.download(
            "Tải bộ trình chiếu (.pptx)",
            lambda: deck_pptx(*args),
            f"hop-{day}.pptx",
            "meeting_pptx",
            mime=PPTX,
        )
    with files[1]:
        transfer.download(
            "Tải bản PDF", lambda: deck_pdf(*args), f"hop-{day}.pdf", "meeting_pdf", mime="application/pdf"
        )
    files[2].page_link(
        "pages/overview.py",
        label="Thoát chế độ trình chiếu",
        icon=":material/close_fullscreen:",
        query_params={
            k: v for k, v in st.query_params.to_dict().items() if k not in (shell.PARAM_MEETING, PARAM_SLIDE)
        },
    )


def _pager(n: int, total: int) -> None:
    """Buttons "Trước"/"Sau" (← →) and, hidden, PageUp/PageDown (a presenter's clicker sends those)."""
    row = st.columns([1, 2, 1], vertical_alignment="center")
    row[0].button(
        "Trước", key="meeting_prev", icon=":material/chevron_left:", shortcut="Left",
        disabled=n <= 1, on_click=_go, args=(n - 1,), width="stretch",
    )  # fmt: skip
    row[1].markdown(f"<div style='text-align:center'>Trang {n}/{total}</div>", unsafe_allow_html=True)
    row[2].button(
        "Sau", key="meeting_next", icon=":material/chevron_right:", icon_position="right", shortcut="Right",
        disabled=n >= total, on_click=_go, args=(n + 1,), width="stretch",
    )  # fmt: skip
    with st.container(key="meeting_keys"):
        st.button(
            "Trang trước",
            key="meeting_prev_page",
            shortcut="PageUp",
            disabled=n <= 1,
            on_click=_go,
            args=(n - 1,),
        )
        st.button(
            "Trang sau",
            key="meeting_next_page",
            shortcut="PageDown",
            disabled=n >= total,
            on_click=_go,
            args=(n + 1,),
        )


def _metrics(slide: Slide, per_row: int) -> None:
    for start in range(0, len(slide.figures), per_row):
        row = st.columns(per_row)
        for col, fig in zip(row, slide.figures[start : start + per_row], strict=False):
            col.metric(fig.label, fig.value, border=True)


def _cover(ctx: RunContext, deck: Deck, options: FilterOptions, filters: Filters) -> None:
    slide = deck.slides[0]
    st.title(slide.title)
    st.markdown(f"## {deck.date_line}")
    if deck.scope:
        st.markdown("### Phạm vi: " + deck.scope)
    _metrics(slide, 4)
    left, right = st.columns(2)
    with left:
        charts.show(cover_chart, slide, projector=True)  # the same chart as in the .pptx and the PDF
    # Money by district, as on the overview (cached with its figures).
    data = load_overview(ctx.database_url, ctx.versions, filters, deck.as_of, ctx.settings.due_soon_days)
    with right:
        charts.show(
            charts.funding_by_locality_chart,
            data.funding_by_locality,
            dict(options.localities),
            projector=True,
        )
    discussion.recent_directions(ctx)  # leaders' latest directions (ý kiến chỉ đạo)


def _place(deck: Deck, slide: Slide) -> None:
    st.title(slide.title)
    st.markdown("### " + " · ".join(x for x in (slide.subtitle, deck.date_line) if x))
    if slide.figures:
        _metrics(slide, min(len(slide.figures), 4))
    (worst, worst_lines), *others = slide.sections
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"### {worst}")
        st.markdown("\n".join(f"- {plain(line)}" for line in worst_lines))
    with right:
        for head, lines in others:
            st.markdown(f"### {head}")
            st.markdown("\n".join(f"- {plain(line)}" for line in lines))


def _conclusions(ctx: RunContext, slide: Slide) -> None:
    """A compact form under a place's slide: a direction on one of its tasks, or a new task."""
    actor = ctx.actor
    if actor is None or ctx.outage is not None or not may_direct(actor.role):
        return
    with st.expander("Ghi kết luận của cuộc họp", icon=":material/edit_note:", key="meeting_conclude_open"):
        if _FLASH in st.session_state:
            st.success(st.session_state.pop(_FLASH), icon="✅")
        tabs = st.tabs(
            ["Ý kiến chỉ đạo về một nhiệm vụ", "Giao nhiệm vụ mới"],
            key="meeting_conclude_tab",
            on_change="rerun",
        )
        with tabs[0]:
            if not slide.tasks:
                st.info("Địa bàn này không có nhiệm vụ chưa hoàn thành để ghi ý kiến chỉ đạo.")
            else:
                titles = dict(slide.tasks)
                with st.form(f"meeting_direction_{slide.key}", clear_on_submit=True):
                    task_id = st.selectbox(
                        "Nhiệm vụ",
                        list(titles),
                        format_func=lambda i: f"{titles[i]} (mã {i})",
                        key="meeting_task",
                    )
                    text = st.text_area("Kết luận, chỉ đạo", key="meeting_direction_text", max_chars=4000)
                    sent = st.form_submit_button("Ghi ý kiến chỉ đạo", type="primary")
                if sent and task_id is not None:
                    done = widgets.run_action(ctx, talk.add, "task", int(task_id), text or "", DIRECTION)
                    if done is not None:  # rerun: the slide shows the new direction at once
                        st.session_state[_FLASH] = f"Đã ghi ý kiến chỉ đạo vào nhiệm vụ mã {task_id}."
                        st.rerun()
        with tabs[1]:
            if actor.role not in NEW_TASK.roles:
                st.info("Văn phòng giao nhiệm vụ mới theo kết luận của lãnh đạo (ghi ở thẻ bên cạnh).")
                return
            url, version = ctx.database_url, ctx.data_version
            record_forms.add_form(
                ctx,
                "meeting_task",
                NEW_TASK,
                TASK_FIELDS,
                {
                    "document_id": load_document_choices(url, version),
                    "lead_agency_id": load_agency_choices(url, version, config.today()),
                    "locality_id": load_locality_choices(url, version),
                },
                submit="Giao nhiệm vụ",
                done=lambda row_id: f"Đã giao nhiệm vụ mã {row_id} theo kết luận cuộc họp.",
                defaults={"locality_id": slide.locality_id} if slide.locality_id else None,
            )
