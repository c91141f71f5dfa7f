"""Year-end report drafts, written: the office saves a draft's sections as a new version; a version is
restored by saving its text again as a new version. Nothing is overwritten: a save from a version older
than the latest is refused with a Vietnamese message naming who saved the latest and when, and writes
nothing. Each save is one audited write in the caller's transaction (rules: lib/core/report_drafts.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib.core import periods as period_rule
from lib.core import report_drafts as rule
from lib.core.formatting import fmt_datetime
from lib.core.roles import CONFLICT, Actor, Refused, require_office
from lib.core.validation import Invalid
from lib.data import audit
from lib.data.changes import user_names
from lib.data.db import bump_data_version
from lib.data.models import Locality, ReportDraft, ReportDraftVersion
from lib.editing.changeset import CellError, ValidationFailed

DRAFT = "report_draft"
SAVED, GENERATED, REGENERATED = "Lưu dự thảo", "Tạo từ số liệu", "Tạo lại từ số liệu"
# The audit action of a save by its note (a restore's note names its version: "Khôi phục bản 2").
ACTIONS = {SAVED: "save_draft", GENERATED: "generate_draft", REGENERATED: "regenerate_draft"}


def restored_note(number: int) -> str:
    return f"Khôi phục bản {number}"


def _scope_name(s: Session, scope: str) -> str:
    if scope == rule.PROVINCE_SCOPE:
        return "Toàn tỉnh"
    return str(s.scalar(select(Locality.name).where(Locality.code == scope)) or scope)


def save_draft(
    s: Session,
    actor: Actor,
    year: Any,
    scope: str,
    sections: Mapping[str, Any],
    seen_version: int,
    *,
    now: datetime,
    note: str = SAVED,
) -> int:
    """Save the sections of the draft of a year and scope as its next version; returns that number.
    `seen_version` is the version the editor started from (0: there was no draft)."""
    require_office(actor, "soạn dự thảo báo cáo năm", DRAFT)
    bump_data_version(s)
    problems: list[CellError] = []
    values: dict[str, str] = {}
    try:
        y = int(period_rule.YEAR_NUMBER.parse_int(year))
    except Invalid as exc:
        problems.append(CellError(None, 0, "year", "Năm", str(exc)))
        y = 0
    for name in rule.SECTIONS:
        try:
            values[name] = rule.SECTION_TEXT.parse(sections.get(name, ""))
        except Invalid as exc:
            problems.append(CellError(None, 0, name, rule.SECTION_LABELS[name], str(exc)))
    localities = [str(c) for c in s.scalars(select(Locality.code))]
    if (bad := rule.check_scope(scope, localities)) is not None:
        problems.append(CellError(None, 0, "scope", "Phạm vi báo cáo", bad))
    if problems:
        raise ValidationFailed(problems, DRAFT)
    where = f"Dự thảo báo cáo năm {y} — {_scope_name(s, scope)}"
    draft = s.scalar(select(ReportDraft).where(ReportDraft.year == y, ReportDraft.scope == scope))
    latest = draft.version if draft is not None else 0
    if latest != seen_version:
        raise _stale(s, draft, where, seen_version)
    previous = (
        s.scalar(
            select(ReportDraftVersion).where(
                ReportDraftVersion.draft_id == draft.id, ReportDraftVersion.number == latest
            )
        )
        if draft is not None
        else None
    )
    number = latest + 1
    if draft is None:
        draft = ReportDraft(year=y, scope=scope, created_by=actor.username, created_at=now, version=1)
        s.add(draft)
        try:
            s.flush()
        except IntegrityError:  # another first save of this draft landed between our read and write
            raise Refused(
                f"{where} vừa được người khác tạo. Tải lại để xem bản mới, rồi sửa tiếp.",
                entity=DRAFT,
                action=CONFLICT,
            ) from None
    else:
        done = s.execute(
            update(ReportDraft)
            .where(ReportDraft.id == draft.id, ReportDraft.version == seen_version)
            .values(version=number)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise _stale(s, draft, where, seen_version)
    s.add(
        ReportDraftVersion(
            draft_id=draft.id,
            number=number,
            note=note[: rule.NOTE_LIMIT],
            saved_by=actor.username,
            saved_at=now,
            **values,
        )
    )
    s.flush()
    changed = [
        rule.SECTION_LABELS[n] for n in rule.SECTIONS if previous is None or getattr(previous, n) != values[n]
    ]
    audit.record(
        s,
        actor=actor.username,
        action=ACTIONS.get(note, "restore_draft"),
        entity=DRAFT,
        row_id=draft.id,
        row_version=number,
        field="version",
        old=latest or None,
        new=number,
        reason=f"{where}, bản {number} ({note})"
        + (f": {', '.join(changed)}" if changed else ": không đổi nội dung"),
        at=now,
    )
    return number


def _stale(s: Session, draft: ReportDraft | None, where: str, seen: int) -> Refused:
    """The refusal of a save from an older version: who saved the latest, when."""
    if draft is None:
        return Refused(f"{where} không còn bản {seen}. Tải lại trang.", entity=DRAFT, action=CONFLICT)
    s.refresh(draft)
    v = s.scalar(
        select(ReportDraftVersion).where(
            ReportDraftVersion.draft_id == draft.id, ReportDraftVersion.number == draft.version
        )
    )
    who = user_names(s).get(v.saved_by, v.saved_by) if v is not None else "người khác"
    when = f" lúc {fmt_datetime(v.saved_at)}" if v is not None else ""
    started = f"bản {seen}" if seen else "khi chưa có dự thảo"
    return Refused(
        f"{where} đã được {who} lưu{when} (bản {draft.version}) sau khi bạn bắt đầu sửa từ {started}. "
        "Không ghi đè: nội dung bạn đang sửa vẫn còn trên trang — tải bản mới, đối chiếu rồi lưu lại.",
        entity=DRAFT,
        row_id=draft.id,
        action=CONFLICT,
    )


def restore_version(
    s: Session, actor: Actor, year: int, scope: str, number: int, seen_version: int, *, now: datetime
) -> int:
    """Save the text of an older version as the draft's next version; returns the new number."""
    require_office(actor, "soạn dự thảo báo cáo năm", DRAFT)
    old = s.scalar(
        select(ReportDraftVersion)
        .join(ReportDraft, ReportDraft.id == ReportDraftVersion.draft_id)
        .where(ReportDraft.year == year, ReportDraft.scope == scope, ReportDraftVersion.number == number)
    )
    if old is None:
        raise Refused(f"Không có bản {number} của dự thảo báo cáo năm {year}.", entity=DRAFT)
    sections = {name: getattr(old, name) for name in rule.SECTIONS}
    return save_draft(s, actor, year, scope, sections, seen_version, now=now, note=restored_note(number))
