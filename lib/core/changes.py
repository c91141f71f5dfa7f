"""Changes in words: an audit event as a leader reads it ("Tiến độ 60% → 80%", "Hoàn thành ngày
12/11/2026", "Giải ngân 4,5 → 6,2 tỷ đồng"), from the entity catalogue's labels and kinds.

Audit values are stored as text (`lib/data/audit.py`): dates as yyyy-mm-dd, booleans as True/False,
codes as codes, references as ids. The data layer resolves the ids to names before asking here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from lib.core.catalogue import ACTION_LABELS, ENTITIES, ENTITY_LABELS, Field
from lib.core.formatting import fmt_date, fmt_datetime, fmt_decimal, fmt_int
from lib.core.requests import KIND_PHRASES

EMPTY = "(trống)"
YES, NO = "có", "không"

# Where a field's label reads badly in a sentence, the words used instead (without units).
SAID_AS = {
    "progress_pct": "Tiến độ",
    "plan_vnd": "Kế hoạch vốn năm",  # hq_project_year (a project's money of one year)
    "proposals": "Kiến nghị, đề xuất",  # period_entry
    "disbursed_vnd": "Giải ngân",
    "allocated_vnd": "Bố trí vốn",
    "planned_vnd": "Dự toán",
    "criteria_met": "Tiêu chí đạt",
    "current_deadline": "Hạn",
    "lifecycle": "Trạng thái theo dõi",
    "unit_id": "Đơn vị hành chính",
    "lead_agency_id": "Cơ quan chủ trì",
    "locality_id": "Địa bàn",
    "cooperator": "Cơ quan phối hợp",
    "active": "Đang hoạt động",
}
# A date set where there was none reads as an event, not as a change of value.
DATED_EVENTS = {
    "completed_on": "Hoàn thành ngày {new}",
    "actual_completion_on": "Công trình hoàn thành ngày {new}",
    "recognised_on": "Được công nhận ngày {new}",
    "start_on": "Khởi công ngày {new}",
}
# Events that say nothing to a reader of changes (saves that changed nothing, refusals, sign-ins).
QUIET_ACTIONS = frozenset({"touch", "seed_demo", "load_programme"})
QUIET_ENTITIES = frozenset({"user", "sign_in_lock", "login_attempt", "database", "auth_session"})
_UNIT = re.compile(r"\s*\((?:%|đồng|m²|/\d+)\)$")


@dataclass(frozen=True)
class Event:
    """What the sentence needs of one audit event; references already named."""

    action: str
    entity: str
    field: str
    old: str | None
    new: str | None
    reason: str = ""


# Who acts without signing in: the command line (`lib.manage`) and the scheduled jobs.
MACHINE_ACTORS = {"cli": "Lệnh quản trị", "system": "Hệ thống"}


def who(username: str, names: Mapping[str, str]) -> str:
    """A person by name; a machine actor ("cli:seed-demo", "system:duties") by what it is."""
    if username in names:
        return names[username]
    kind, _, what = username.partition(":")
    if what and kind in MACHINE_ACTORS:
        return f"{MACHINE_ACTORS[kind]} ({what})"
    return username


def is_quiet(action: str, entity: str) -> bool:
    """Whether an event is left out of "what changed" (refusals are kept in the trail itself)."""
    return action in QUIET_ACTIONS or entity in QUIET_ENTITIES or action.startswith("refused")


def field_of(entity: str, name: str) -> Field | None:
    spec = ENTITIES.get(entity)
    return spec.get(name) if spec is not None else None


def label_of(entity: str, name: str) -> str:
    """A field as it is said in a sentence: "Tiến độ", "Ngày hoàn thành"; the code when unknown."""
    if name in SAID_AS:
        return SAID_AS[name]
    f = field_of(entity, name)
    return _UNIT.sub("", f.label) if f is not None else name


def value_text(entity: str, name: str, raw: str | None) -> str:
    """A stored value as people read it: dates dd/mm/yyyy, codes by label, money in tỷ đồng."""
    if raw is None or raw == "" or raw == "None":
        return EMPTY
    if raw in ("True", "False"):
        return YES if raw == "True" else NO
    f = field_of(entity, name)
    if f is None:
        return _date_text(raw) or raw
    if f.kind == "date" or f.kind == "datetime":
        return _date_text(raw) or raw
    if f.kind == "choice" and f.choices is not None:
        return str(f.choices.get(raw, raw))
    if f.kind == "money" and raw.lstrip("-").isdigit():
        return fmt_decimal(int(raw) / 1_000_000_000, 2)
    if f.kind == "int" and raw.lstrip("-").isdigit():
        return fmt_int(int(raw)) + ("%" if f.number_format == "%d%%" else "")
    return raw


def _date_text(raw: str) -> str | None:
    try:
        if len(raw) == 10:
            return fmt_date(date.fromisoformat(raw))
        return fmt_datetime(datetime.fromisoformat(raw))
    except ValueError:
        return None


def sentence(e: Event) -> str:
    """One event in words (its reason is shown beside it, not in it)."""
    action = ACTION_LABELS.get(e.action, e.action)
    if not e.field:
        noun = ENTITY_LABELS.get(e.entity, e.entity)
        return f"{action} ({noun.lower()})" if e.action in ("create", "retire") else action
    if e.action in ("comment", "direction") and e.new:  # what was said, as said
        said = e.new if len(e.new) <= 160 else e.new[:159] + "…"
        return f"{action}: “{said}”"
    if e.entity == "task_request":  # "Gửi đề nghị gia hạn"; a decision by its action
        return f"{action} {KIND_PHRASES.get(e.new or '', '')}".strip() if e.action == "request" else action
    name = e.field
    if field_of(e.entity, name) is None and name not in SAID_AS:  # an internal column: say the action
        return action
    old, new = value_text(e.entity, name, e.old), value_text(e.entity, name, e.new)
    if name in DATED_EVENTS and old == EMPTY and new != EMPTY:
        return DATED_EVENTS[name].format(new=new)
    label = label_of(e.entity, name)
    f = field_of(e.entity, name)
    unit = " tỷ đồng" if f is not None and f.kind == "money" else ""
    if e.field in ("result", "obstacles", "notes", "title") and len(new) > 120:
        new = new[:119] + "…"
    if old == EMPTY:
        return f"{label}: {new}{unit if new != EMPTY else ''}"
    if len(old) > 60:
        return f"{label}: {new}{unit}"
    return f"{label} {old} → {new}{unit}"


def names(values: Mapping[str, str], raw: str | None) -> str | None:
    """A reference id stored in the trail, by its name where known."""
    if raw is None:
        return None
    return values.get(raw, raw)
