"""The meeting pack as values: a cover with the province's figures, then one slide per place of the
league (the structure of the as-of date). The page, the .pptx and the PDF all draw this one `Deck`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core import requests as request_rule
from lib.core import rules
from lib.core.figures import Funding
from lib.core.filters import Filters
from lib.core.formatting import fmt_billion, fmt_date, fmt_int, fmt_pct
from lib.core.organisation import PROVINCE_KEY, OrgMap
from lib.data import discussion, queries
from lib.data.models import HqProject, Task, User
from lib.data.organisation import load_map, locality_codes, placing_day

WORST = 5  # overdue tasks shown per place
DIRECTIONS = 3  # latest directions shown per place
REQUESTS = 5  # waiting requests shown per place (then "… và N đề nghị khác")
TASK_CHOICES = 50  # unfinished tasks a conclusion may name, per place
UNFINISHED = (rules.OVERDUE, rules.IN_PROGRESS, rules.NOT_DUE)
TITLE = "Tiến độ thực hiện Đề án 30/ĐA-BCA và Đề án 885"


@dataclass(frozen=True)
class Figure:
    label: str
    value: str


@dataclass(frozen=True)
class Overdue:
    """One of a place's worst overdue tasks."""

    task_id: int
    title: str
    days: int
    deadline: date | None
    lead: str
    obstacles: str

    @property
    def line(self) -> str:
        """ "Title — quá hạn 120 ngày (hạn 30/06/2025), lead agency. Khó khăn: …"."""
        text = f"{self.title} — quá hạn {fmt_int(self.days)} ngày"
        if self.deadline is not None:
            text += f" (hạn {fmt_date(self.deadline)})"
        if self.lead:
            text += f", {self.lead}"
        return text + (f". Khó khăn: {self.obstacles}" if self.obstacles else ".")


@dataclass(frozen=True)
class Slide:
    key: str  # "cover", or the place's key (`lib.core.organisation.Place.key`)
    title: str
    subtitle: str
    figures: tuple[Figure, ...]
    buckets: tuple[Figure, ...] = ()  # tasks by bucket (cover)
    overdue: tuple[Overdue, ...] = ()
    requests: tuple[str, ...] = ()  # waiting for the office's decision
    directions: tuple[str, ...] = ()  # the leaders' latest directions
    tasks: tuple[tuple[int, str], ...] = ()  # unfinished tasks a conclusion may name (id, title)
    locality_id: int | None = None  # the district a new task of this slide defaults to
    chart: tuple[tuple[str, str, int], ...] = ()  # (place, bucket label, tasks) for the cover's chart

    @property
    def sections(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The slide's lists under their headings, in words (every medium shows the same lines)."""
        if self.key == "cover":
            return (("Nhiệm vụ theo tình trạng", tuple(f"{f.label}: {f.value}" for f in self.buckets)),)
        return (
            (
                f"{len(self.overdue)} nhiệm vụ quá hạn lâu nhất" if self.overdue else "Nhiệm vụ quá hạn",
                tuple(o.line for o in self.overdue) or ("Không có nhiệm vụ quá hạn.",),
            ),
            ("Đề nghị chờ quyết định", self.requests or ("Không có đề nghị đang chờ.",)),
            ("Ý kiến chỉ đạo", self.directions or ("Chưa có ý kiến chỉ đạo.",)),
        )


@dataclass(frozen=True)
class Deck:
    as_of: date
    heading: str
    scope: str  # "" or the filters in words
    slides: tuple[Slide, ...] = field(default_factory=tuple)

    @property
    def date_line(self) -> str:
        return f"Số liệu tính đến ngày {fmt_date(self.as_of)}"


def _money(f: Funding) -> tuple[Figure, ...]:
    return (
        Figure("Giải ngân trụ sở", fmt_pct(f.disbursement_rate)),
        Figure("Đã giải ngân (tỷ đồng)", fmt_billion(f.disbursed)),
    )


def _task_figures(b: rules.BucketSummary, due_soon_days: int) -> tuple[Figure, ...]:
    return (
        Figure("Tổng số nhiệm vụ", fmt_int(b.total)),
        Figure("Tỷ lệ hoàn thành đúng hạn", fmt_pct(b.on_time_rate)),
        Figure("Quá hạn", fmt_int(b.count(rules.OVERDUE))),
        Figure(f"Sắp đến hạn ({due_soon_days} ngày)", fmt_int(b.due_soon)),
    )


def _short(text: str, limit: int = 180) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_deck(
    s: Session,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    *,
    scope: str = "",
    today: date | None = None,
) -> Deck:
    """Build the meeting pack for a filter and an as-of date from the same reads as the overview."""
    org = load_map(s)
    overview = queries.get_overview(s, filters, as_of, due_soon_days, today=today)
    places = overview.places
    assert places is not None
    b, w = overview.buckets, overview.wards
    names = {p.key: p.name for p in places.places}
    chart = tuple(
        (names.get(key, key), rules.BUCKET_LABELS[code], n)
        for key, summary in places.buckets.items()
        for code, n in summary.counts.items()
        if code != rules.EXCLUDED and n
    )
    cover = Slide(
        key="cover",
        title=TITLE,
        subtitle=f"Số liệu tính đến ngày {fmt_date(as_of)}",
        figures=_task_figures(b, due_soon_days)
        + _money(overview.funding)
        + (
            Figure("Phường đăng ký kiểu mẫu", fmt_int(w.registered)),
            Figure("Phường được công nhận", fmt_int(w.recognised)),
        ),
        buckets=tuple(Figure(rules.BUCKET_LABELS[c], fmt_int(b.count(c))) for c in rules.COUNTED_BUCKETS),
        chart=chart,
    )

    # Unfinished tasks by place: the worst overdue ones and the ones a conclusion may name.
    place_of = queries.task_places(s, replace(filters, buckets=UNFINISHED), as_of, 0, org=org, today=today)
    # Read in full only what a slide shows: the first tasks of each place (the worst overdue first).
    firsts: dict[str, list[int]] = {}
    for task_id, key in place_of.items():
        if len(firsts.setdefault(key, [])) < TASK_CHOICES:
            firsts[key].append(task_id)
    ids = [i for chosen in firsts.values() for i in chosen]
    rows = (
        queries.list_tasks(s, Filters(), as_of, 0, offset=0, limit=len(ids), where=[Task.id.in_(ids)])
        if ids
        else []
    )
    rows.sort(key=lambda r: (-(r["days_overdue"] or 0), r["current_deadline"] or date.max, r["id"]))
    by_place: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_place.setdefault(place_of[int(row["id"])], []).append(row)

    waiting = _waiting(s, place_of, as_of)
    directions = _directions(s, place_of, org, as_of, today)
    locality_ids = {code: i for i, code in locality_codes(s).items()}

    slides = [cover]
    for place in [p for p in places.places if p.key != PROVINCE_KEY] + [
        p for p in places.places if p.key == PROVINCE_KEY
    ]:
        summary = places.buckets.get(place.key, rules.BucketSummary(counts={}))
        money = places.funding.get(place.key, Funding())
        if not summary.total and not money.projects:
            continue  # nothing to say about it in a meeting
        mine = by_place.get(place.key, [])
        worst = [r for r in mine if r["bucket"] == rules.OVERDUE][:WORST]
        code = places.codes.get(place.key, "")
        slides.append(
            Slide(
                key=place.key,
                title=place.name,
                subtitle=(place.group_name if place.group_name and place.group_name != place.name else ""),
                figures=(_task_figures(summary, due_soon_days) if summary.total else ())
                + (
                    (Figure("Dự án trụ sở", fmt_int(money.projects)), *_money(money))
                    if money.projects
                    else ()
                ),
                overdue=tuple(
                    Overdue(
                        int(str(r["id"])),
                        _short(str(r["title"]), 160),
                        int(str(r["days_overdue"] or 0)),
                        r["current_deadline"] if isinstance(r["current_deadline"], date) else None,
                        str(r["lead_agency"] or ""),
                        _short(str(r["obstacles"] or "")),
                    )
                    for r in worst
                ),
                requests=_capped(waiting.get(place.key, []), REQUESTS, "đề nghị"),
                directions=tuple(directions.get(place.key, ())[:DIRECTIONS]),
                tasks=tuple((int(str(r["id"])), _short(str(r["title"]), 120)) for r in mine[:TASK_CHOICES]),
                locality_id=locality_ids.get(code)
                if code in locality_ids
                else _group_locality(place.group_key),
            )
        )
    return Deck(as_of=as_of, heading=TITLE, scope=scope, slides=tuple(slides))


def _capped(lines: list[str], limit: int, noun: str) -> tuple[str, ...]:
    """The first `limit` lines, and a last one saying how many more there are."""
    if len(lines) <= limit:
        return tuple(lines)
    return (*lines[:limit], f"… và {len(lines) - limit} {noun} khác.")


def _group_locality(group_key: str) -> int | None:
    """The district id of a place group key ("l3" → 3), or None for the province level."""
    return int(group_key[1:]) if group_key.startswith("l") and group_key[1:].isdigit() else None


def _waiting(s: Session, place_of: dict[int, str], as_of: date) -> dict[str, list[str]]:
    """Requests waiting for the office at the end of the as-of date, in words, by the place of their task."""
    found: dict[str, list[str]] = {}
    pending = discussion.waiting_requests(s, limit=1000, as_of=as_of)
    names = {str(u): str(n) for u, n in s.execute(select(User.username, User.display_name))}
    for r in pending:
        key = place_of.get(r.task_id)
        if key is None:
            continue
        what = request_rule.KIND_LABELS[r.kind]
        found.setdefault(key, []).append(
            f"{what}: {_short(r.title, 120)} — {names.get(r.requested_by, r.requested_by)}, "
            f"{fmt_date(r.requested_at.date())}"
        )
    return found


def _directions(
    s: Session, place_of: dict[int, str], org: OrgMap, as_of: date, today: date | None
) -> dict[str, list[str]]:
    """The latest directions by the as-of date on a place's unfinished tasks and headquarters projects,
    newest first."""
    found: dict[str, list[str]] = {}
    latest = discussion.recent_directions(s, limit=500, until=as_of)
    hq_ids = [d.row_id for d in latest if d.entity == "hq_project"]
    hq_place: dict[int, str] = {}
    if hq_ids:
        figures_day = placing_day(as_of, False, today or as_of)
        found_units = s.execute(select(HqProject.id, HqProject.unit_id).where(HqProject.id.in_(hq_ids)))
        for hq_id, unit_id in found_units:
            hq_place[int(hq_id)] = org.place(None, unit_id, figures_day).key
    for d in latest:
        key = place_of.get(d.row_id) if d.entity == "task" else hq_place.get(d.row_id)
        if key is None:
            continue
        text = discussion.direction_label(d.body, d.author_name, d.created_at)
        found.setdefault(key, []).append(f"{_short(d.title, 80)}: {text}")
    return found
