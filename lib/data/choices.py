"""What the forms that add and retire rows offer: units, agencies, documents, localities, and the
rows a user may retire or merge into. Only what may be used for a new row is offered (retired units
and agencies are not); the write engine checks every choice again.

Every function takes the caller's Session first and never commits or closes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import Session

from lib.core import rules
from lib.core.filters import PROVINCE_LEVEL
from lib.core.roles import Actor
from lib.core.scopes import Scope
from lib.data.models import Agency, Document, HqProject, Locality, ModelWard, Unit
from lib.data.organisation import valid_on
from lib.data.projects import edit_localities
from lib.data.scopes import unit_row_in_scope


def unit_label(kind: str, name: str, place: str | None = None) -> str:
    """A ward or commune as people name it: "Phường Trần Phú" (", Thành phố Bắc Giang")."""
    label = f"{rules.UNIT_KIND_LABELS.get(kind, '')} {name}".strip()
    return f"{label}, {place}" if place else label


def unit_choices(
    s: Session,
    localities: Sequence[str] = (),
    *,
    wards_only: bool = False,
    scope: Scope | None = None,
    day: date | None = None,
) -> dict[int, str]:
    """Units that can take a new row, by locality then name: not retired, valid on `day` if given
    (a xã merged in 2025 takes no new row in 2026), of the given localities (all when empty); with
    `wards_only`, the phường and the communes that became phường in 2025; with a focal point's
    `scope`, only the units whose rows they may add."""
    stmt = (
        select(Unit.id, Unit.kind, Unit.name, Locality.name)
        .join(Locality, Locality.id == Unit.locality_id)
        .where(Unit.retired_on.is_(None))
        .order_by(Locality.sort_order, Unit.name, Unit.id)
    )
    stmt = stmt.where(*valid_on(Unit, day))
    if scope is not None:
        stmt = stmt.where(
            or_(
                Unit.id.in_(sorted(scope.unit_rows)) if scope.unit_rows else false(),
                Unit.locality_id.in_(sorted(scope.localities)) if scope.localities else false(),
            )
        )
    named = [c for c in localities if c != PROVINCE_LEVEL]
    if localities:
        stmt = stmt.where(Locality.code.in_(named))
    if wards_only:
        stmt = stmt.where((Unit.kind == "phuong") | Unit.becomes_phuong_2025)
    found = s.execute(stmt).all()
    one_place = len(named) == 1 or len({place for *_, place in found}) == 1
    return {i: unit_label(kind, name, None if one_place else place) for i, kind, name, place in found}


def agency_choices(s: Session, day: date | None = None) -> dict[int, str]:
    """Agencies that can lead or join a new task (not retired; valid on `day` if given), in order."""
    stmt = (
        select(Agency.id, Agency.name)
        .where(Agency.retired_on.is_(None), *valid_on(Agency, day))
        .order_by(Agency.sort_order, Agency.id)
    )
    return {agency_id: name for agency_id, name in s.execute(stmt)}


def document_choices(s: Session) -> dict[int, str]:
    """Documents that can assign a task: "30/ĐA-BCA — Đề án … (Bộ Công an, 07/11/2023)"."""
    stmt = select(Document.id, Document.number, Document.title, Document.issuer, Document.issued_label)
    choices: dict[int, str] = {}
    for doc_id, number, title, issuer, issued in s.execute(stmt.order_by(Document.sort_order, Document.id)):
        short = title if len(title) <= 70 else title[:69] + "…"
        choices[doc_id] = f"{number} — {short} ({issuer}, {issued})"
    return choices


def locality_choices(s: Session) -> dict[int, str]:
    """The localities, by id, in the usual order."""
    return {i: n for i, n in s.execute(select(Locality.id, Locality.name).order_by(Locality.sort_order))}


MAX_TARGETS = 1000  # merge targets offered in a list; beyond that the form takes a row id


def merge_targets(
    s: Session, actor: Actor, entity: str, locality: str, *, limit: int = MAX_TARGETS
) -> dict[int, str]:
    """The rows followed in one locality that another row of it may be merged into (a coordinator:
    their own locality only), by ward or commune; at most `limit` of them."""
    model: Any = HqProject if entity == "hq_project" else ModelWard
    place = edit_localities(actor, (locality,), entity, "trụ sở" if model is HqProject else "phường kiểu mẫu")
    detail = model.stage if model is HqProject else model.year_registered
    stmt = (
        select(model.id, Unit.kind, Unit.name, detail)
        .join(Unit, Unit.id == model.unit_id)
        .join(Locality, Locality.id == Unit.locality_id)
        .where(Locality.code.in_(place), model.lifecycle == rules.LIFECYCLE_ACTIVE)
        .where(unit_row_in_scope(model, actor.scope) if actor.is_focal_point else true())
        .order_by(Unit.name, model.id)
        .limit(limit)
    )
    return {
        row_id: f"Mã {row_id} — {unit_label(kind, name)} — "
        + (rules.STAGE_LABELS.get(d, d) if model is HqProject else f"năm {d}")
        for row_id, kind, name, d in s.execute(stmt)
    }
