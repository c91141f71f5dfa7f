"""The year-end report (before 15/12) for the province or one locality, as data, .xlsx and .docx.

The task table follows the official split used in national reports (e.g. Báo cáo 1270/BC-TCTTTg):
completed on time / late, not completed within the deadline / overdue, each with its share of the
tasks counted (suspended and cancelled tasks are listed apart and counted nowhere). The .docx follows
the layout of a Vietnamese administrative report (Nghị định 30/2020/NĐ-CP): issuing body and national
motto side by side, number and place-date, title, numbered sections, recipients and signature.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from docx import Document as new_document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core import periods as period_rules
from lib.core import report_drafts as draft_rules
from lib.core import rules
from lib.core.catalogue import HQ_PROJECT, TASK
from lib.core.figures import Funding, RoadmapPoint, as_percent, yearly_tally
from lib.core.filters import PROVINCE_LEVEL, Filters, HqFilters
from lib.core.formatting import fmt_date, fmt_datetime, fmt_int, fmt_pct, fmt_vnd
from lib.core.validation import xml_safe
from lib.data import discussion, followup, periods, projects, queries, reminders, report_drafts
from lib.data.issuers import Issuers, issuers_on
from lib.data.models import Locality
from lib.files import export

OVERDUE_LIMIT = 500  # the report lists at most this many overdue tasks (worst first)
# Under a listed task's title: who helps, on what basis, how it was chased.
LINKED = ("cooperators", "document", "basis", "reminders")


@dataclass(frozen=True)
class Line:
    """One line of the task table: label, number of tasks, share of the tasks counted."""

    label: str
    count: int
    share: float | None
    level: int = 0  # 0: a total, 1: a part of the line above


def pending_sentence(b: rules.BucketSummary) -> str:
    """The tasks whose request waits for the office, told apart (" Chờ xác nhận: …"), or ""."""
    if not b.pending:
        return ""
    return (
        f" Chờ Văn phòng xác nhận: {fmt_int(b.pending)} nhiệm vụ có đề nghị (hoàn thành, tạm dừng, hủy, "
        "gia hạn), tính theo tình trạng đã xác nhận."
    )


def task_lines(b: rules.BucketSummary) -> list[Line]:
    """The official task table, from bucket counts."""
    total = b.total

    def share(n: int) -> float | None:
        return n / total if total else None

    within = b.count(rules.IN_PROGRESS) + b.count(rules.NOT_DUE)
    unfinished = within + b.count(rules.OVERDUE)
    return [
        Line("Tổng số nhiệm vụ", total, share(total)),
        Line("Đã hoàn thành", b.completed, share(b.completed)),
        Line("Hoàn thành đúng hạn", b.count(rules.ON_TIME), share(b.count(rules.ON_TIME)), 1),
        Line("Hoàn thành quá hạn", b.count(rules.LATE), share(b.count(rules.LATE)), 1),
        Line("Chưa hoàn thành", unfinished, share(unfinished)),
        Line("Đang thực hiện trong hạn (kể cả chưa đến hạn)", within, share(within), 1),
        Line("Quá hạn, chưa hoàn thành", b.count(rules.OVERDUE), share(b.count(rules.OVERDUE)), 1),
    ]


@dataclass(frozen=True)
class YearEndReport:
    scope: str | None  # locality code; None for the whole province
    scope_name: str
    as_of: date
    buckets: rules.BucketSummary
    funding: Funding
    funding_by_locality: dict[str, Funding]  # by place of the as-of date (`queries.figures_by_place`)
    locality_names: dict[str, str]
    hq_flags: dict[str, int]
    stages: dict[str, int]
    wards: list[RoadmapPoint]  # the as-of year, one per locality
    pilots: dict[str, list[str]]
    overdue: list[dict[str, Any]]
    overdue_total: int
    yearly_reports: list[followup.YearlyReport]
    report_deadline: date | None  # of the as-of year's yearly report, from its duties' tasks
    # The provincial UBND and police valid on the as-of date: who issues and receives the report.
    issuers: Issuers | None = None
    # The locality of `scope` had ended by the as-of date (the district level, 1/7/2025): its report
    # covers its former territory and is issued by the province's police, not by a committee gone.
    scope_ended: bool = False
    # Reminder letters of the as-of year (to that day) naming a listed overdue task (lib/data/reminders).
    reminder_letters: int = 0
    # The directions (ý kiến chỉ đạo) given on the scope's rows in the as-of year, up to the as-of date.
    directions: tuple[discussion.Direction, ...] = ()
    # The closed reporting period whose days hold the as-of date (lib/data/periods.period_of_report),
    # and its submitted entries: the report then reads the figures frozen with it.
    period: periods.PeriodRow | None = None
    # Section I counts the tasks frozen with that period (period_task); False for a period closed
    # before tasks were frozen with it, whose report recounts today's tasks (and says so).
    tasks_frozen: bool = False
    period_entries: tuple[periods.EntryRow, ...] = ()
    # Headquarters money of the as-of year (hq_project_year): the year's plan and disbursed to date.
    year_money: period_rules.YearMoney | None = None
    year_money_by_locality: dict[str, period_rules.YearMoney] | None = None
    # For a closed period: the money of every year up to the as-of year, per locality and in total,
    # shown instead of the running totals (which keep moving after the period closed).
    cumulative_by_locality: dict[str, period_rules.YearMoney] | None = None
    cumulative: period_rules.YearMoney | None = None
    # The office's draft of the written sections (its latest version), if one was saved; else the report
    # prints the text generated from the figures (generated_sections).
    draft: report_drafts.DraftText | None = None
    # What the generated text is made of: the submitted entries of the year's period, the names of the
    # bodies their texts may address, and the tasks still open with a deadline the next year.
    entry_period: str = ""
    entry_texts: tuple[report_drafts.EntryText, ...] = ()
    body_names: tuple[str, ...] = ()
    next_year: tuple[report_drafts.NextTask, ...] = ()
    next_year_total: int = 0

    @property
    def draft_scope(self) -> str:
        """The scope a draft of this report is kept under: the locality's code, or the province's."""
        return self.scope or draft_rules.PROVINCE_SCOPE

    @property
    def frozen_money(self) -> bool:
        """The money shown is the frozen yearly money, not today's running totals."""
        return self.period is not None and self.cumulative is not None

    @property
    def frozen_note(self) -> str:
        """ "Số liệu theo báo cáo kỳ Năm 2025 đã chốt ngày 20/12/2025." or ""."""
        if self.period is None:
            return ""
        said = period_rules.frozen_sentence(self.period.label, self.period.closed_at)
        if not self.tasks_frozen:
            said += " Bảng nhiệm vụ (mục I) tính theo dữ liệu nhiệm vụ hiện có, không phải số liệu đã chốt."
        return said

    @property
    def lines(self) -> list[Line]:
        return task_lines(self.buckets)

    @property
    def year(self) -> int:
        return self.as_of.year


def build_report(s: Session, scope: str | None, as_of: date, stale_days: int) -> YearEndReport:
    """Gather the report's figures for the province (scope None) or one locality, as of a date."""
    names: dict[str, str] = {}
    ended: set[str] = set()
    for code, name, valid_to in s.execute(
        select(Locality.code, Locality.name, Locality.valid_to).order_by(Locality.sort_order)
    ):
        names[str(code)] = str(name)
        if valid_to is not None and valid_to < as_of:
            ended.add(str(code))
    if scope is not None and scope not in names:
        raise ValueError(f"unknown locality {scope!r}")
    scope_name = names[scope] if scope else ""
    if scope in ended:
        scope_name = f"Địa bàn {scope_name[:1].lower()}{scope_name[1:]} (cũ)"
    filters = Filters(localities=(scope,)) if scope else Filters()
    places = (scope,) if scope else ()
    buckets = queries.total_buckets(queries.count_buckets_by_locality(s, filters, as_of, 0))
    summary = projects.get_hq_summary(s, HqFilters(localities=places), as_of, stale_days)
    stages: dict[str, int] = {}
    for (_code, stage), n in summary.stages.items():
        stages[stage] = stages.get(stage, 0) + n
    # Money by the places of the as-of date (the four localities before 1/7/2025; the xã and
    # phường, by former district, after), as on the overview's league.
    by_place = queries.figures_by_place(s, filters, as_of, 0)
    shown = [p for p in by_place.places if p.key in by_place.funding]
    place_money = {p.key: by_place.funding[p.key] for p in shown}
    names = {**names, **{p.key: p.name for p in shown}}
    year = rules.roadmap_year(as_of)
    wards = [p for p in projects.ward_roadmap(s, places, as_of) if p.year == year]
    pilots = projects.pilots_2024(s)
    if scope:
        pilots = {c: v for c, v in pilots.items() if c == scope}
    overdue = followup.overdue_tasks(s, filters, as_of, limit=OVERDUE_LIMIT)
    overdue_total = buckets.count(rules.OVERDUE)
    letters = reminders.letters_naming(s, [t["id"] for t in overdue], date(as_of.year, 1, 1), as_of)
    issuers = issuers_on(s, as_of)
    period = periods.period_of_report(s, as_of)
    frozen_tasks = periods.frozen_buckets(s, period, scope, as_of) if period is not None else None
    if frozen_tasks is not None and period is not None:
        # The task table and the overdue list read the tasks as they stood when the period closed.
        buckets = frozen_tasks
        overdue_total = buckets.count(rules.OVERDUE)
        overdue = periods.frozen_overdue(s, period, scope, as_of, OVERDUE_LIMIT)
    entries = tuple(periods.submitted_entries(s, period.id, scope)) if period is not None else ()
    if entries:  # a listed task's progress and obstacles are those its owner froze for the period
        frozen = {e.task_id: e for e in entries}
        overdue = [
            {**t, "progress_pct": frozen[t["id"]].progress_pct, "obstacles": frozen[t["id"]].obstacles}
            if t["id"] in frozen
            else t
            for t in overdue
        ]
    so_far: dict[str, period_rules.YearMoney] = {}
    if period is None:  # live: the year's money as entered up to now
        money_by_place = periods.year_money(s, as_of.year, scope)
    else:  # the period's year as it stood when the period closed, and every year before it in full
        money_by_place = periods.frozen_money(s, period, scope)
        before = periods.year_money(s, as_of.year - 1, scope, cumulative=True)
        so_far = periods.add_year_money(before, money_by_place, as_of.year)
    year_period = report_drafts.year_period(s, as_of.year)
    texts = report_drafts.entry_texts(s, year_period.id, scope) if year_period is not None else []
    next_year, next_total = report_drafts.tasks_due_in(s, places, as_of.year + 1, as_of)
    return YearEndReport(
        scope=scope,
        scope_name=scope_name or issuers.province_title,
        as_of=as_of,
        buckets=buckets,
        funding=summary.funding,
        funding_by_locality=place_money,
        locality_names=names,
        hq_flags=summary.flag_totals,
        stages=stages,
        wards=wards,
        pilots=pilots,
        overdue=overdue,
        overdue_total=overdue_total,
        yearly_reports=[r for r in followup.yearly_reports(s, filters, as_of) if r.year == as_of.year],
        report_deadline=followup.yearly_report_deadline(s, as_of.year),
        issuers=issuers,
        scope_ended=scope in ended,
        reminder_letters=letters,
        directions=tuple(
            d for d in discussion.directions_of_year(s, as_of.year, scope) if d.created_at.date() <= as_of
        ),
        period=period,
        tasks_frozen=frozen_tasks is not None,
        period_entries=entries,
        year_money=periods.total_year_money(money_by_place, as_of.year) if money_by_place else None,
        year_money_by_locality=money_by_place or None,
        cumulative_by_locality=so_far or None,
        cumulative=periods.total_year_money(so_far, as_of.year) if so_far else None,
        draft=report_drafts.draft_of(s, as_of.year, scope or draft_rules.PROVINCE_SCOPE),
        entry_period=year_period.label if year_period is not None else "",
        entry_texts=tuple(texts),
        body_names=tuple(report_drafts.body_names(s)),
        next_year=tuple(next_year),
        next_year_total=next_total,
    )


def year_money_sentence(y: period_rules.YearMoney) -> str:
    """ "Kế hoạch vốn năm 2025: …; đã giải ngân …, đạt …% kế hoạch vốn năm." """
    return (
        f"Kế hoạch vốn năm {y.year}: {fmt_vnd(y.plan)}; đã giải ngân trong năm {fmt_vnd(y.disbursed)}, "
        f"đạt {fmt_pct(y.rate)} kế hoạch vốn năm."
    )


# --- the written sections: generated from the figures, or the office's draft -------------------------------

LISTED = 10  # the generated text lists at most this many tasks or results under one heading


def _more(total: int, shown: int) -> list[str]:
    return [f"- … và {fmt_int(total - shown)} nhiệm vụ khác."] if total > shown else []


def _general(r: YearEndReport) -> str:
    """Đánh giá chung: the task figures, the money of the year, the model wards, the entries' results."""
    b = r.buckets
    within = b.count(rules.IN_PROGRESS) + b.count(rules.NOT_DUE)
    out = [
        f"Năm {r.year}, {r.scope_name} theo dõi {fmt_int(b.total)} nhiệm vụ (không kể "
        f"{fmt_int(b.count(rules.EXCLUDED))} nhiệm vụ tạm dừng, hủy): đã hoàn thành {fmt_int(b.completed)} "
        f"({fmt_pct(b.completed / b.total if b.total else None)}), trong đó đúng hạn "
        f"{fmt_int(b.count(rules.ON_TIME))}, quá hạn {fmt_int(b.count(rules.LATE))}; "
        f"đang thực hiện trong hạn {fmt_int(within)}; quá hạn chưa hoàn thành "
        f"{fmt_int(b.count(rules.OVERDUE))}. Tỷ lệ hoàn thành đúng hạn {fmt_pct(b.on_time_rate)}."
    ]
    if r.year_money is not None:
        out.append(f"Trụ sở Công an phường: {year_money_sentence(r.year_money)}")
    else:
        f = r.funding
        out.append(
            f"Trụ sở Công an phường: {fmt_int(f.projects)} dự án, đã bố trí vốn {fmt_vnd(f.allocated)}, "
            f"đã giải ngân {fmt_vnd(f.disbursed)} ({fmt_pct(f.disbursement_rate)})."
        )
    if r.wards:
        wards = sum(p.wards for p in r.wards)
        registered = sum(p.registered or 0 for p in r.wards)
        recognised = sum(p.recognised or 0 for p in r.wards)
        out.append(
            f"Công an phường điển hình, kiểu mẫu: {fmt_int(registered)} phường đã đăng ký, "
            f"{fmt_int(recognised)} phường được công nhận trên {fmt_int(wards)} phường."
        )
    if r.entry_texts:
        results: dict[str, list[str]] = {}
        for e in r.entry_texts:
            for line in draft_rules.split_lines(e.result):
                results.setdefault(line.rstrip(".;, ").casefold(), []).append(line.rstrip(".;, "))
        ranked = sorted(results.values(), key=lambda v: -len(v))
        out.append(
            f"Theo {fmt_int(len(r.entry_texts))} báo cáo kỳ {r.entry_period} đã nộp, các kết quả chủ yếu:"
        )
        out.extend(f"- {v[0]} ({fmt_int(len(v))} nhiệm vụ)." for v in ranked[:LISTED])
        if len(ranked) > LISTED:
            out.append(f"- … và {fmt_int(len(ranked) - LISTED)} kết quả khác.")
    return "\n".join(out)


def _grouped(r: YearEndReport, field: str, none: str) -> str:
    if not r.entry_texts:
        return f"Chưa có báo cáo kỳ năm {r.year} nào đã nộp để tổng hợp."
    items = [draft_rules.Item(getattr(e, field), e.task_id, e.source) for e in r.entry_texts]
    groups = draft_rules.group(items, draft_rules.BodyNames.of(r.body_names))
    if not groups:
        return none
    head = (
        f"Tổng hợp từ {fmt_int(len(r.entry_texts))} báo cáo kỳ {r.entry_period} đã nộp, "
        "theo nội dung và cơ quan:"
    )
    return head + "\n" + draft_rules.grouped_text(groups, none)


def _task_lines(tasks: Sequence[tuple[str, str, date | None]], total: int) -> list[str]:
    """Tasks as lines, the same title of several bodies on one line: "- Title (A, B; hạn 15/12/2026)."."""
    titles: dict[str, tuple[list[str], date | None]] = {}
    for title, body, deadline in tasks:
        bodies, first = titles.setdefault(title, ([], deadline))
        if body not in bodies:
            bodies.append(body)
        if deadline is not None and (first is None or deadline < first):
            titles[title] = (bodies, deadline)
    out = [
        f"- {title} ({', '.join(bodies)}{'; hạn ' + fmt_date(deadline) if deadline else ''})."
        for title, (bodies, deadline) in list(titles.items())[:LISTED]
    ]
    shown = sum(1 for t in tasks if t[0] in dict(list(titles.items())[:LISTED]))
    return out + _more(total, shown)


def _outlook(r: YearEndReport) -> str:
    """Phương hướng: finish the overdue tasks, then the tasks due the next year."""
    out: list[str] = []
    n = 1
    if r.overdue:
        out.append(f"{n}. Tập trung hoàn thành dứt điểm {fmt_int(r.overdue_total)} nhiệm vụ quá hạn:")
        out.extend(
            _task_lines(
                [(t["title"], t["lead_agency"] or t["locality"], t["current_deadline"]) for t in r.overdue],
                r.overdue_total,
            )
        )
        n += 1
    if r.next_year:
        out.append(f"{n}. Thực hiện {fmt_int(r.next_year_total)} nhiệm vụ có hạn trong năm {r.year + 1}:")
        out.extend(
            _task_lines(
                [(t.title, t.lead_agency or t.locality, t.deadline) for t in r.next_year], r.next_year_total
            )
        )
    if not out:
        out.append(
            f"Tiếp tục thực hiện các nhiệm vụ của Đề án 30/ĐA-BCA và Đề án 885 trong năm {r.year + 1}."
        )
    return "\n".join(out)


def generated_sections(r: YearEndReport) -> dict[str, str]:
    """The written sections as the figures and the period entries give them (a new draft starts here)."""
    return {
        draft_rules.GENERAL: _general(r),
        draft_rules.OBSTACLES: _grouped(
            r, "obstacles", "Các báo cáo kỳ đã nộp không nêu khó khăn, vướng mắc."
        ),
        draft_rules.PROPOSALS: _grouped(
            r, "proposals", "Các báo cáo kỳ đã nộp không nêu kiến nghị, đề xuất."
        ),
        draft_rules.OUTLOOK: _outlook(r),
    }


def sections(r: YearEndReport) -> dict[str, str]:
    """The written sections the report prints: the office's draft where one exists, else generated."""
    if r.draft is not None:
        return dict(r.draft.sections)
    return generated_sections(r)


# --- .xlsx ------------------------------------------------------------------------------------------

OVERDUE_COLUMNS = export.columns(
    TASK,
    (
        "id",
        "title",
        "locality",
        "lead_agency",
        "cooperators",
        "document",
        "basis",
        "current_deadline",
        "days_overdue",
        "progress_pct",
        "obstacles",
    ),
)


def report_sheets(r: YearEndReport) -> list[export.Sheet]:
    """The report as spreadsheet tabs: tasks, headquarters, model wards, overdue tasks."""
    title = f"Báo cáo kết quả thực hiện Đề án 30/ĐA-BCA và Đề án 885 năm {r.year} — {r.scope_name}"
    h = heading(r)
    tasks = export.Sheet(
        "Nhiệm vụ",
        title,
        r.as_of,
        (
            export.Column("label", "Chỉ tiêu", "text", 48),
            export.Column("count", "Số nhiệm vụ", "int", 14),
            export.Column("pct", "Tỷ lệ (%)", "pct", 12),
        ),
        [
            {
                "label": ("    " if line.level else "") + line.label,
                "count": line.count,
                "pct": as_percent(line.share),
            }
            for line in r.lines
        ],
        notes=(
            f"Tạm dừng hoặc hủy (không tính vào tổng): {r.buckets.count(rules.EXCLUDED)} nhiệm vụ.",
            "Tỷ lệ tính trên tổng số nhiệm vụ (không kể nhiệm vụ tạm dừng, hủy).",
            f"Cơ quan báo cáo: {h.issuer}. Nơi nhận: {h.addressee}.",
            *([pending_sentence(r.buckets).strip()] if r.buckets.pending else []),
        ),
    )
    money = export.Sheet(
        "Trụ sở",
        "Xây dựng trụ sở Công an phường và kinh phí",
        r.as_of,
        (
            export.Column("place", "Địa bàn", "text", 26),
            export.Column("projects", "Số dự án", "int", 10),
            export.Column("planned", HQ_PROJECT["planned_vnd"].label, "money", 20),
            export.Column("allocated", HQ_PROJECT["allocated_vnd"].label, "money", 20),
            export.Column("disbursed", HQ_PROJECT["disbursed_vnd"].label, "money", 20),
            export.Column("rate", "Tỷ lệ giải ngân (%)", "pct", 14),
        ),
        [
            {
                "place": r.locality_names.get(code, code),
                "projects": f.projects,
                "planned": f.planned,
                "allocated": f.allocated,
                "disbursed": f.disbursed,
                "rate": as_percent(f.disbursement_rate),
            }
            for code, f in [*r.funding_by_locality.items(), ("Tổng cộng", r.funding)]
        ],
        notes=tuple(f"{rules.FLAG_LABELS[f]}: {n} dự án." for f, n in r.hq_flags.items()),
    )
    wards = export.Sheet(
        "Phường kiểu mẫu",
        f"Công an phường điển hình, kiểu mẫu — năm {r.year}",
        r.as_of,
        (
            export.Column("place", "Địa bàn", "text", 26),
            export.Column("wards", "Số phường", "int", 10),
            export.Column("registered", "Đã đăng ký (lũy kế)", "int", 14),
            export.Column("recognised", "Được công nhận (lũy kế)", "int", 14),
            export.Column("share", "Tỷ lệ công nhận (%)", "pct", 14),
        ),
        [
            {
                "place": r.locality_names.get(p.locality, p.locality),
                "wards": p.wards,
                "registered": p.registered,
                "recognised": p.recognised,
                "share": as_percent(p.recognised_share),
            }
            for p in r.wards
        ],
    )
    frozen = [r.frozen_note] if r.frozen_note else []
    tasks = replace(tasks, notes=(*frozen, *tasks.notes))
    extra: list[export.Sheet] = []
    if r.year_money is not None and r.year_money_by_locality:
        extra.append(
            export.Sheet(
                "Vốn năm",
                f"Kế hoạch vốn và giải ngân năm {r.year}",
                r.as_of,
                (
                    export.Column("place", "Địa bàn", "text", 26),
                    export.Column("projects", "Số dự án", "int", 10),
                    export.Column("plan", f"Kế hoạch vốn năm {r.year} (đồng)", "money", 22),
                    export.Column("disbursed", f"Đã giải ngân năm {r.year} (đồng)", "money", 22),
                    export.Column("rate", "Tỷ lệ giải ngân so với kế hoạch năm (%)", "pct", 18),
                    export.Column(
                        "plan_total", f"Lũy kế vốn bố trí đến hết năm {r.year} (đồng)", "money", 22
                    ),
                    export.Column(
                        "disbursed_total", f"Lũy kế giải ngân đến hết năm {r.year} (đồng)", "money", 22
                    ),
                ),
                [
                    {
                        "place": r.locality_names.get(code, code),
                        "projects": m.projects,
                        "plan": m.plan,
                        "disbursed": m.disbursed,
                        "rate": as_percent(m.rate),
                        "plan_total": c.plan if c else None,
                        "disbursed_total": c.disbursed if c else None,
                    }
                    for code, m, c in [
                        *(
                            (code, m, (r.cumulative_by_locality or {}).get(code))
                            for code, m in r.year_money_by_locality.items()
                        ),
                        ("Tổng cộng", r.year_money, r.cumulative),
                    ]
                ],
                notes=tuple(frozen),
            )
        )
    if r.period is not None:
        extra.append(
            export.Sheet(
                "Báo cáo kỳ",
                f"Báo cáo kỳ {r.period.label} đã nộp ({len(r.period_entries)})",
                r.as_of,
                (
                    export.Column("task_id", "Mã nhiệm vụ", "int", 10),
                    export.Column("title", "Nhiệm vụ", "text", 48),
                    export.Column("locality", "Địa bàn", "text", 20),
                    export.Column("progress_pct", period_rules.FIELD_LABELS["progress_pct"], "int", 12),
                    export.Column("result", period_rules.FIELD_LABELS["result"], "text", 48),
                    export.Column("obstacles", period_rules.FIELD_LABELS["obstacles"], "text", 40),
                    export.Column("proposals", period_rules.FIELD_LABELS["proposals"], "text", 40),
                    export.Column("late", "Nộp muộn", "text", 10),
                ),
                [
                    {
                        "task_id": e.task_id,
                        "title": e.title,
                        "locality": e.locality,
                        "progress_pct": e.progress_pct,
                        "result": e.result,
                        "obstacles": e.obstacles,
                        "proposals": e.proposals,
                        "late": "Muộn" if e.late else "",
                    }
                    for e in r.period_entries
                ],
                notes=tuple(frozen),
            )
        )
    overdue = export.Sheet(
        "Quá hạn",
        f"Nhiệm vụ quá hạn chưa hoàn thành ({r.overdue_total})",
        r.as_of,
        OVERDUE_COLUMNS,
        r.overdue,
    )
    running = [] if r.frozen_money else [money]  # a closed period's money is the yearly money, frozen
    return [tasks, *running, *extra, wards, overdue, written_sheet(r)]


def written_sheet(r: YearEndReport) -> export.Sheet:
    """Sections V–VIII as the .docx prints them (the draft, or generated), one line of text a row."""
    text = sections(r)
    return export.Sheet(
        "Đánh giá, kiến nghị",
        f"Đánh giá, khó khăn, phương hướng, kiến nghị năm {r.year} — {r.scope_name}",
        r.as_of,
        (export.Column("section", "Mục", "text", 36), export.Column("line", "Nội dung", "text", 120)),
        [
            {"section": written_heading(number, name, r.year), "line": line.strip()}
            for number, name in WRITTEN
            for line in (text.get(name, "").splitlines() or [""])
            if line.strip() or not text.get(name, "").strip()
        ],
        notes=(draft_caption(r),),
    )


def draft_caption(r: YearEndReport) -> str:
    """Where the written sections come from: the office's draft (its version), or the data."""
    d = r.draft
    if d is None:
        return "Nội dung tạo từ số liệu và các báo cáo kỳ đã nộp (chưa có dự thảo)."
    return f"Theo dự thảo bản {d.number} ({d.saved_name}, {fmt_datetime(d.saved_at)})."


def report_xlsx(r: YearEndReport) -> bytes:
    return export.workbook_bytes(report_sheets(r))


# --- .docx ------------------------------------------------------------------------------------------

FONT = "Times New Roman"


@dataclass(frozen=True)
class Heading:
    """Who issues the report and to whom, as its header, signature and recipients say it.

    The header convention (thể thức), as found with the search tool on 2/12/2026: Thông tư
    01/2011/TT-BNV (https://chinhphu.vn/default.aspx?docid=99777&pageid=27160; its rule quoted at
    https://123docz.net/trich-doan/1874648-cuc-van-thu-va-luu-tru-nha-nuoc.htm) writes the name of the
    body directly above the issuer (tên cơ quan, tổ chức chủ quản trực tiếp) in capitals, upright,
    and below it the issuer's own name in capitals, upright and bold, with a solid line under it of
    1/3 to 1/2 of its length; Nghị định 30/2020/NĐ-CP (Phụ lục I), which replaced it, keeps that rule
    (its text was not in the search corpus: from our reading of it). Công an tỉnh is a unit of Bộ Công
    an (Bộ Công an's own circulars are headed "BỘ CÔNG AN", e.g. Thông tư 30/2017/TT-BCA), so the
    province's report is headed "BỘ CÔNG AN" / "CÔNG AN TỈNH BẮC NINH"; a People's Committee has no
    chủ quản line, its own name split over two lines: "ỦY BAN NHÂN DÂN" / "HUYỆN LỤC NGẠN". The place
    before "ngày … tháng …" is where the issuer sits: the province, or a district for its committee.
    The Ministry's own rules on văn thư in Công an nhân dân were not found; this follows the general
    decree.
    """

    superior: tuple[str, ...]  # upright, not bold; () when there is no body above on a header
    body: tuple[str, ...]  # bold, with the short line under it
    symbol: str  # after "Số: …/"
    place: str  # before ", ngày … tháng … năm …"
    signer: tuple[str, ...]
    recipients: tuple[str, ...]  # above "- Lưu: VT."
    issuer: str  # the issuing body's name in a sentence: "Công an tỉnh Bắc Ninh"
    addressee: str  # whom the report goes to: "UBND tỉnh Bắc Ninh"


_LOCALITY_PREFIXES = ("Thành phố ", "Thị xã ", "Huyện ", "Quận ", "Thị trấn ")


def _place_of(locality_name: str) -> str:
    """The place a district's documents are dated from: Lục Ngạn for Huyện Lục Ngạn."""
    for prefix in _LOCALITY_PREFIXES:
        if locality_name.casefold().startswith(prefix.casefold()):
            return locality_name[len(prefix) :]
    return locality_name


def _ubnd_lines(name: str) -> tuple[str, ...]:
    """A People's Committee as its header writes it: UBND tỉnh Bắc Ninh → ỦY BAN NHÂN DÂN / TỈNH BẮC NINH."""
    rest = name.removeprefix("UBND ").removeprefix("Ủy ban nhân dân ").removeprefix("ỦY BAN NHÂN DÂN ")
    return ("ỦY BAN NHÂN DÂN", rest.upper())


def heading(r: YearEndReport) -> Heading:
    """The header, signature and recipients of the report, from the bodies valid on its as-of date:
    the province's report is issued by its police to its People's Committee; a locality's by the
    locality's People's Committee, to the province's through its police; the report of a district
    that had ended (its former territory) by the province's police, as the province's is."""
    issuers = r.issuers or Issuers(r.as_of, None, None)
    province = issuers.province
    police = issuers.police.name if issuers.police else f"Công an tỉnh {province}"
    ubnd = issuers.ubnd.name if issuers.ubnd else f"UBND tỉnh {province}"
    if r.scope is None or r.scope_ended:
        superior = issuers.police.superior if issuers.police else "Bộ Công an"
        return Heading(
            superior=(superior.upper(),) if superior else (),
            body=(police.upper(),),
            symbol="BC-CAT",
            place=issuers.police.place if issuers.police and issuers.police.place else province,
            signer=("GIÁM ĐỐC",),
            recipients=(f"- {ubnd} (để báo cáo);",),
            issuer=police,
            addressee=ubnd,
        )
    return Heading(
        superior=(),
        body=_ubnd_lines(f"UBND {r.scope_name}"),
        symbol="BC-UBND",
        place=_place_of(r.scope_name),
        signer=("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
        recipients=(f"- {ubnd} (qua {police});",),
        issuer=f"UBND {r.scope_name[:1].lower()}{r.scope_name[1:]}",
        addressee=ubnd,
    )


def _paragraph(
    cell_or_doc: Any,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: int = 13,
    align: Any = None,
    space_after: int = 0,
) -> Any:
    p = cell_or_doc.add_paragraph()
    run = p.add_run(xml_safe(text))
    run.bold, run.italic, run.font.size = bold, italic, Pt(size)
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    return p


def _table(doc: Any, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> Table:
    table: Table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, h in enumerate(headers):
        cell = table.rows[0].cells[i]
        cell.text = ""
        run = cell.paragraphs[0].add_run(xml_safe(h))
        run.bold, run.font.size = True, Pt(12)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for values in rows:
        cells = table.add_row().cells  # type: ignore[no-untyped-call]
        for i, v in enumerate(values):
            cells[i].text = ""
            run = cells[i].paragraphs[0].add_run(xml_safe(v))
            run.font.size = Pt(12)
            if i > 0:
                cells[i].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in table.rows:
        for i, w in enumerate(widths):
            row.cells[i].width = Cm(w)
    return table


def _cell_lines(cell: Any, lines: Sequence[tuple[str, bool]]) -> None:
    """Write centred lines of 13 pt into a table cell, the first into its existing paragraph."""
    cell.paragraphs[0].text = ""
    for i, (line, bold) in enumerate(lines):
        p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        run = p.add_run(xml_safe(line))
        run.bold, run.font.size = bold, Pt(13)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _new_a4_document() -> Any:
    """A blank A4 document in Times New Roman 13 pt with the administrative margins."""
    doc = new_document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(13)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    return doc


def _rule(cell: Any, length: float, cell_width: float) -> None:
    """A short solid line centred in a cell: an empty paragraph with a bottom border, indented."""
    p = cell.add_paragraph()
    side = Cm(max(cell_width - length, 0) / 2)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = side
    p.paragraph_format.space_after = Pt(6)
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        bottom.set(qn(key), value)
    border.append(bottom)
    p._p.get_or_add_pPr().append(border)


HEAD_LEFT, HEAD_RIGHT = 6.5, 9.5  # cm: the issuer's column and the motto's


def _letterhead(doc: Any, h: Heading, issued_on: date) -> None:
    """Issuing body and number on the left, national motto and place-date on the right."""
    head = doc.add_table(rows=1, cols=2)
    left, right = head.rows[0].cells
    left.width, right.width = Cm(HEAD_LEFT), Cm(HEAD_RIGHT)
    _cell_lines(left, [(line, False) for line in h.superior] + [(line, True) for line in h.body])
    _rule(left, 2.5, HEAD_LEFT)
    _paragraph(left, f"Số:        /{h.symbol}", size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    right.paragraphs[0].text = ""
    run = right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    run.bold, run.font.size = True, Pt(12)
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    _rule(right, 5.5, HEAD_RIGHT)
    _paragraph(
        right,
        f"{h.place}, ngày {issued_on.day:02d} tháng {issued_on.month:02d} năm {issued_on.year}",
        italic=True,
        size=13,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )


def _title(doc: Any, r: YearEndReport) -> None:
    """The document kind, the report's title and the as-of date, centred."""
    _paragraph(doc, "BÁO CÁO", bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(
        doc,
        f"Kết quả thực hiện Đề án 30/ĐA-BCA và Đề án 885 năm {r.year} — {r.scope_name}",
        bold=True,
        size=14,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _paragraph(
        doc,
        f"Số liệu tính đến ngày {fmt_date(r.as_of)}",
        italic=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        space_after=6 if r.frozen_note else 12,
    )
    if r.frozen_note:
        _paragraph(doc, r.frozen_note, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)


def _period_entries(doc: Any, r: YearEndReport) -> None:
    """End of section I: the entries owners submitted for the period, as frozen."""
    if r.period is None:
        return
    late = sum(1 for e in r.period_entries if e.late)
    _paragraph(
        doc,
        f"Báo cáo kỳ {r.period.label}: {fmt_int(len(r.period_entries))} nhiệm vụ đã nộp báo cáo"
        + (f" ({fmt_int(late)} nộp muộn)." if late else "."),
        space_after=3,
    )
    if r.period_entries:
        _table(
            doc,
            ["Mã", "Nhiệm vụ", "Tiến độ cuối kỳ", "Kết quả trong kỳ"],
            [[str(e.task_id), e.title, f"{e.progress_pct}%", e.result] for e in r.period_entries],
            [1.2, 6.8, 2.2, 6],
        )


def _due(deadline: date | None) -> str:
    return f" (hạn {fmt_date(deadline)})" if deadline else ""


def _task_figures(doc: Any, r: YearEndReport) -> None:
    """Section I: the official task table, the excluded tasks and the yearly reports sent."""
    _paragraph(doc, "I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ", bold=True, space_after=6)
    _table(
        doc,
        ["Chỉ tiêu", "Số nhiệm vụ", "Tỷ lệ"],
        [
            [("    " if line.level else "") + line.label, fmt_int(line.count), fmt_pct(line.share)]
            for line in r.lines
        ],
        [10, 3, 3],
    )
    _paragraph(
        doc,
        f"Tạm dừng hoặc hủy (không tính vào tổng): {fmt_int(r.buckets.count(rules.EXCLUDED))} nhiệm vụ. "
        f"Tỷ lệ hoàn thành đúng hạn: {fmt_pct(r.buckets.on_time_rate)} "
        "(hoàn thành đúng hạn trên số đã hoàn thành cộng quá hạn)." + pending_sentence(r.buckets),
        space_after=6,
    )
    if r.yearly_reports:
        tally = yearly_tally(r.yearly_reports, r.year)
        attached = sum(1 for y in r.yearly_reports if y.files and y.year == r.year)
        _paragraph(
            doc,
            f"Báo cáo năm {r.year}{_due(r.report_deadline)}: {tally.sent}/{tally.expected} "
            "cơ quan, đơn vị đã gửi"
            + (f"; {attached} báo cáo có tệp báo cáo đính kèm trên hệ thống." if attached else "."),
            space_after=6,
        )


def _directions(doc: Any, r: YearEndReport) -> None:
    """End of section I: the directions given in the year, each with its row, author and date."""
    if not r.directions:
        return
    _paragraph(doc, f"Ý kiến chỉ đạo trong năm {r.year}: {fmt_int(len(r.directions))} ý kiến.", space_after=3)
    for d in r.directions:
        _paragraph(
            doc,
            f"- {d.title}: {' '.join(d.body.split())} ({d.author_name}, {fmt_date(d.created_at.date())}).",
            size=12,
            space_after=3,
        )


def _headquarters(doc: Any, r: YearEndReport) -> None:
    """Section II: funding in total and per locality, projects by stage, flags to watch."""
    _paragraph(doc, "II. XÂY DỰNG TRỤ SỞ CÔNG AN PHƯỜNG VÀ KINH PHÍ", bold=True, space_after=6)
    if r.frozen_money:
        _frozen_money(doc, r)
    else:
        _running_money(doc, r)
    stages = "; ".join(
        f"{rules.STAGE_LABELS[s]}: {n}"
        for s, n in sorted(r.stages.items(), key=lambda kv: list(rules.STAGE_LABELS).index(kv[0]))
    )
    flags = "; ".join(f"{rules.FLAG_LABELS[k]}: {n}" for k, n in r.hq_flags.items() if n)
    _paragraph(doc, f"Theo giai đoạn — {stages or 'chưa có dự án'}.", space_after=3)
    _paragraph(doc, f"Cần lưu ý — {flags or 'không có'}.", space_after=6)


def _running_money(doc: Any, r: YearEndReport) -> None:
    """Section II's money as of now: the running totals per place, and the year's plan and disbursement."""
    f = r.funding
    _paragraph(
        doc,
        f"Số dự án: {fmt_int(f.projects)}; dự toán {fmt_vnd(f.planned)}; "
        f"đã bố trí vốn {fmt_vnd(f.allocated)}; đã giải ngân {fmt_vnd(f.disbursed)} "
        f"(tỷ lệ giải ngân {fmt_pct(f.disbursement_rate)}).",
        space_after=6,
    )
    if r.year_money is not None:
        _paragraph(doc, year_money_sentence(r.year_money), space_after=6)
    _table(
        doc,
        ["Địa bàn", "Số dự án", "Đã bố trí vốn (đồng)", "Đã giải ngân (đồng)", "Tỷ lệ"],
        [
            [
                r.locality_names.get(code, code),
                fmt_int(x.projects),
                fmt_vnd(x.allocated),
                fmt_vnd(x.disbursed),
                fmt_pct(x.disbursement_rate),
            ]
            for code, x in r.funding_by_locality.items()
        ],
        [4.5, 2, 3.7, 3.7, 2],
    )


def _frozen_money(doc: Any, r: YearEndReport) -> None:
    """Section II's money for a closed period: the year's plan and disbursement, and the money of every
    year up to it, per locality, as kept per year (hq_project_year)."""
    if r.year_money is not None:
        _paragraph(doc, year_money_sentence(r.year_money), space_after=6)
    c = r.cumulative
    if c is None:
        return
    _paragraph(
        doc,
        f"Lũy kế đến hết năm {r.year}: đã bố trí vốn {fmt_vnd(c.plan)}; đã giải ngân {fmt_vnd(c.disbursed)} "
        f"({fmt_pct(c.rate)}).",
        space_after=6,
    )
    year = r.year_money_by_locality or {}
    _table(
        doc,
        ["Địa bàn", f"Kế hoạch vốn năm {r.year}", f"Giải ngân năm {r.year}", "Tỷ lệ", "Lũy kế giải ngân"],
        [
            [
                r.locality_names.get(code, code),
                fmt_vnd(year[code].plan) if code in year else "—",
                fmt_vnd(year[code].disbursed) if code in year else "—",
                fmt_pct(year[code].rate) if code in year else "—",
                fmt_vnd(x.disbursed),
            ]
            for code, x in (r.cumulative_by_locality or {}).items()
        ],
        [4.5, 3.2, 3.2, 2, 3],
    )


def _model_wards(doc: Any, r: YearEndReport) -> None:
    """Section III: model wards registered and recognised, and the 2024 pilots."""
    _paragraph(doc, "III. CÔNG AN PHƯỜNG ĐIỂN HÌNH, KIỂU MẪU", bold=True, space_after=6)
    for p in r.wards:
        _paragraph(
            doc,
            f"{r.locality_names.get(p.locality, p.locality)}: {fmt_int(p.wards)} phường; đã đăng ký "
            f"{fmt_int(p.registered or 0)}; được công nhận {fmt_int(p.recognised or 0)} "
            f"({fmt_pct(p.recognised_share)}).",
            space_after=3,
        )
    for code, names in r.pilots.items():
        place = r.locality_names.get(code, code)
        text = (
            f"{place} đã đăng ký thí điểm năm 2024: {', '.join(names)}."
            if names
            else f"{place} chưa đăng ký phường thí điểm năm 2024 (mục 4 của Công văn)."
        )
        _paragraph(doc, text, space_after=3)


def _overdue_tasks(doc: Any, r: YearEndReport) -> None:
    """Section IV: the overdue tasks, worst first, or a line saying there are none."""
    _paragraph(doc, "IV. NHIỆM VỤ QUÁ HẠN CHƯA HOÀN THÀNH", bold=True, space_after=6)
    if not r.overdue:
        _paragraph(doc, "Không có nhiệm vụ quá hạn.")
        return
    table = _table(
        doc,
        [TASK[n].label for n in ("id", "title", "locality", "current_deadline", "days_overdue")],
        [
            [
                str(t["id"]),
                t["title"],
                t["locality"],
                fmt_date(t["current_deadline"]),
                fmt_int(t["days_overdue"]),
            ]
            for t in r.overdue
        ],
        [1.2, 7.3, 3.2, 2.3, 2],
    )
    for row, t in zip(table.rows[1:], r.overdue, strict=True):  # under the title: who helps, on what basis
        for name in LINKED:
            if t.get(name):
                _paragraph(row.cells[1], f"{TASK[name].label}: {t[name]}", italic=True, size=11)
    if r.overdue_total > len(r.overdue):
        _paragraph(doc, f"(Liệt kê {len(r.overdue)} trên {r.overdue_total} nhiệm vụ quá hạn.)", italic=True)
    _paragraph(doc, reminder_sentence(r), space_after=6)


def reminder_sentence(r: YearEndReport) -> str:
    """How the overdue tasks listed were chased: "Đã đôn đốc 7/9 nhiệm vụ quá hạn bằng 5 công văn …"."""
    chased = [t for t in r.overdue if t.get("reminders")]
    if not chased:
        return f"Chưa có công văn đôn đốc nào về các nhiệm vụ quá hạn trên trong năm {r.year}."
    return (
        f"Đã đôn đốc {fmt_int(len(chased))}/{fmt_int(len(r.overdue))} nhiệm vụ quá hạn nêu trên; "
        f"năm {r.year} đã ban hành {fmt_int(r.reminder_letters)} công văn đôn đốc về các nhiệm vụ này "
        "(số lần và ngày đôn đốc ghi dưới tên từng nhiệm vụ)."
    )


# The written sections after section IV, with their numbers; "Kiến nghị, đề xuất" closes the report.
WRITTEN = (
    ("V", draft_rules.GENERAL),
    ("VI", draft_rules.OBSTACLES),
    ("VII", draft_rules.OUTLOOK),
    ("VIII", draft_rules.PROPOSALS),
)


def written_heading(number: str, name: str, year: int) -> str:
    """ "VII. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2027" and the like."""
    if name == draft_rules.OUTLOOK:
        return f"{number}. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM {year + 1}"
    return f"{number}. {draft_rules.SECTION_LABELS[name].upper()}"


def _written(doc: Any, r: YearEndReport, names: Sequence[str]) -> None:
    """Sections V–VIII: the office's draft where there is one (said, with its version), else the text
    generated from the figures; each line of the text a paragraph."""
    text = sections(r)
    for number, name in WRITTEN:
        if name not in names:
            continue
        _paragraph(doc, written_heading(number, name, r.year), bold=True, space_after=6)
        lines = [line.strip() for line in text.get(name, "").splitlines() if line.strip()]
        for line in lines or ["(Chưa có nội dung.)"]:
            _paragraph(doc, line, space_after=3)
        _paragraph(doc, "", space_after=3)


def _closing(doc: Any, r: YearEndReport, h: Heading) -> None:
    """Section VIII (Kiến nghị, đề xuất), then the recipients on the left and the signature on the right."""
    _written(doc, r, (draft_rules.PROPOSALS,))
    foot = doc.add_table(rows=1, cols=2)
    left, right = foot.rows[0].cells
    left.paragraphs[0].text = ""
    run = left.paragraphs[0].add_run("Nơi nhận:")
    run.bold, run.italic, run.font.size = True, True, Pt(12)
    for line in (*h.recipients, "- Lưu: VT."):
        _paragraph(left, line, size=11)
    _cell_lines(right, [(line, True) for line in h.signer])
    _paragraph(right, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)


def report_docx(r: YearEndReport, issued_on: date | None = None) -> bytes:
    """Write the report as a Word document in the administrative layout."""
    issued_on = issued_on or r.as_of
    doc = _new_a4_document()
    h = heading(r)
    _letterhead(doc, h, issued_on)
    _title(doc, r)
    _task_figures(doc, r)
    _period_entries(doc, r)
    _directions(doc, r)
    _headquarters(doc, r)
    _model_wards(doc, r)
    _overdue_tasks(doc, r)
    _written(doc, r, (draft_rules.GENERAL, draft_rules.OBSTACLES, draft_rules.OUTLOOK))
    _closing(doc, r, h)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


PROVINCE = draft_rules.PROVINCE_SCOPE  # "toan-tinh"


def scopes(names: dict[str, str]) -> dict[str, str]:
    """The reports one can ask for: the province (PROVINCE), then each locality."""
    return {PROVINCE: "Toàn tỉnh", **{c: n for c, n in names.items() if c != PROVINCE_LEVEL}}
