"""Reads of the registers the office keeps: documents, agencies, units, and what forms may offer.

Agencies and units are data, not constants: every name a page shows comes from here. A retired
agency or unit stays on the rows that already name it, and is no longer offered for new rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.core.catalogue import UNIT_KIND_LABELS
from lib.data.models import Agency, Document, Locality, Task, Unit
from lib.data.organisation import valid_on

DOCUMENT_COLUMNS = (
    "id",
    "code",
    "number",
    "issued_on",
    "issuer",
    "kind",
    "title",
    "tasks",
    "version",
    "updated_by",
    "updated_at",
)


def list_documents(s: Session) -> list[dict[str, Any]]:
    """Every document, newest first (undated last), with the number of tasks it assigned."""
    tasks = select(func.count()).where(Task.document_id == Document.id).scalar_subquery()
    stmt = select(
        Document.id,
        Document.code,
        Document.number,
        Document.issued_on,
        Document.issuer,
        Document.kind,
        Document.title,
        tasks,
        Document.version,
        Document.updated_by,
        Document.updated_at,
    ).order_by(Document.issued_on.is_(None), Document.issued_on.desc(), Document.id.desc())
    return [dict(zip(DOCUMENT_COLUMNS, row, strict=True)) for row in s.execute(stmt)]


def list_agencies(s: Session) -> list[dict[str, Any]]:
    """Every agency in display order, retired ones included, with its locality and its tasks as lead."""
    tasks = select(func.count()).where(Task.lead_agency_id == Agency.id).scalar_subquery()
    stmt = (
        select(
            Agency.id,
            Agency.name,
            Agency.kind,
            Locality.name,
            Agency.locality_id,
            tasks,
            Agency.retired_on,
            Agency.email,
        )
        .outerjoin(Locality, Locality.id == Agency.locality_id)
        .order_by(Agency.sort_order, Agency.id)
    )
    names = ("id", "name", "kind", "locality", "locality_id", "tasks", "retired_on", "email")
    return [dict(zip(names, row, strict=True)) for row in s.execute(stmt)]


def list_units(s: Session) -> list[dict[str, Any]]:
    """Every xã, phường and thị trấn by locality and name, retired ones included."""
    stmt = (
        select(Unit.id, Unit.name, Unit.kind, Locality.name, Unit.locality_id, Unit.retired_on)
        .join(Locality, Locality.id == Unit.locality_id)
        .order_by(Locality.sort_order, Unit.name, Unit.id)
    )
    names = ("id", "name", "kind", "locality", "locality_id", "retired_on")
    return [dict(zip(names, row, strict=True)) for row in s.execute(stmt)]


def unit_label(name: str, kind: str, locality: str) -> str:
    """A unit as a form offers it: kind, name and locality (names repeat across localities)."""
    return f"{UNIT_KIND_LABELS.get(kind, kind)} {name} ({locality})"


@dataclass(frozen=True)
class Directory:
    """What a form may offer for a new row: agencies, localities and units in use, in display order."""

    agencies: dict[int, str] = field(default_factory=dict)  # id → name
    agency_locality: dict[int, int | None] = field(default_factory=dict)
    localities: dict[int, str] = field(default_factory=dict)
    units: dict[int, str] = field(default_factory=dict)  # id → "Phường Trần Phú (Thành phố Bắc Giang)"
    unit_locality: dict[int, int] = field(default_factory=dict)


def get_directory(s: Session, day: date | None = None) -> Directory:
    """Read the agencies, localities and units a new row may name: retired ones left out, and with
    `day` those not valid on it (a district UBND that ended in 2025 takes no task in 2026)."""
    d = Directory()
    for id_, name, locality_id in s.execute(
        select(Agency.id, Agency.name, Agency.locality_id)
        .where(Agency.retired_on.is_(None), *valid_on(Agency, day))
        .order_by(Agency.sort_order, Agency.id)
    ):
        d.agencies[id_] = name
        d.agency_locality[id_] = locality_id
    for id_, name in s.execute(select(Locality.id, Locality.name).order_by(Locality.sort_order)):
        d.localities[id_] = name
    for id_, name, kind, locality_id in s.execute(
        select(Unit.id, Unit.name, Unit.kind, Unit.locality_id)
        .join(Locality, Locality.id == Unit.locality_id)
        .where(Unit.retired_on.is_(None), *valid_on(Unit, day))
        .order_by(Locality.sort_order, Unit.name)
    ):
        d.units[id_] = unit_label(name, kind, d.localities[locality_id])
        d.unit_locality[id_] = locality_id
    return d
