"""The province's own bodies on a day: the People's Committee and the police a report is issued by and
sent to, read from the agency table.

The rule, kept here and nowhere else: an agency of kind `ubnd` with neither a locality nor a unit is a
provincial People's Committee (UBND tỉnh); one of kind `cong_an` with neither is a provincial police
(Công an tỉnh). Which of them is meant on a day follows their validity (valid_from/valid_to,
inclusive, None open): until 30/6/2025 those of tỉnh Bắc Giang, from 1/7/2025 those of tỉnh Bắc Ninh
(lib/ops/directive.AGENCY_STANDING). A body the office retired (retired_on) ends the day before.
Names, superior and place come from the rows, never from code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from lib.data.models import Agency

UBND = "ubnd"
POLICE = "cong_an"
PROVINCIAL_KINDS = (UBND, POLICE)

# Said when the agency table holds no provincial body at all (an empty database): the programme's
# province before the merger, so the app still has a title.
FALLBACK_PROVINCE = "Bắc Giang"


def provincial() -> ColumnElement[bool]:
    """SQL: the agency is a provincial People's Committee or police (no locality, no unit)."""
    return and_(Agency.kind.in_(PROVINCIAL_KINDS), Agency.locality_id.is_(None), Agency.unit_id.is_(None))


def is_provincial(agency: Agency) -> bool:
    """The same rule for a loaded row."""
    return agency.kind in PROVINCIAL_KINDS and agency.locality_id is None and agency.unit_id is None


@dataclass(frozen=True)
class Issuer:
    """One provincial body as a document's header needs it."""

    code: str
    name: str  # "Công an tỉnh Bắc Ninh", "UBND tỉnh Bắc Ninh"
    kind: str  # UBND or POLICE
    superior: str  # "Bộ Công an"; "" for a UBND tỉnh (no body above it on a header)
    place: str  # "Bắc Ninh": the place its documents are dated from
    valid_from: date | None
    valid_to: date | None

    @property
    def province(self) -> str:
        """The province's name: its place, or failing that what follows "tỉnh" in its name."""
        if self.place:
            return self.place
        _head, sep, tail = self.name.rpartition("tỉnh ")
        return tail.strip() if sep else self.name

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def distance(self, day: date) -> int:
        """Days from `day` to this body's validity (0 when valid on it)."""
        if self.valid_from is not None and day < self.valid_from:
            return (self.valid_from - day).days
        if self.valid_to is not None and day > self.valid_to:
            return (day - self.valid_to).days
        return 0


@dataclass(frozen=True)
class Issuers:
    """The provincial UBND and police of a day (either None when the table holds none)."""

    day: date
    ubnd: Issuer | None
    police: Issuer | None

    @property
    def province(self) -> str:
        """The province's name on that day ("Bắc Ninh"), FALLBACK_PROVINCE when there is no body."""
        for body in (self.police, self.ubnd):
            if body is not None:
                return body.province
        return FALLBACK_PROVINCE

    @property
    def province_title(self) -> str:
        """ "Tỉnh Bắc Ninh": the report's scope name for the whole province."""
        return f"Tỉnh {self.province}"


def _pick(bodies: list[Issuer], day: date) -> Issuer | None:
    """The body valid on the day; when none is (dates outside every validity), the nearest one."""
    if not bodies:
        return None
    return min(bodies, key=lambda b: b.distance(day))  # stable: sort order, then id, breaks ties


def _end(valid_to: date | None, retired_on: date | None) -> date | None:
    """The last day a body is valid: its valid_to, or the day before it was retired if earlier."""
    ends = [d for d in (valid_to, retired_on - timedelta(days=1) if retired_on else None) if d]
    return min(ends) if ends else None


def issuers_on(s: Session, day: date) -> Issuers:
    """The provincial UBND and police valid on `day`, from the agency table."""
    rows = s.execute(
        select(
            Agency.code,
            Agency.name,
            Agency.kind,
            Agency.superior,
            Agency.place,
            Agency.valid_from,
            Agency.valid_to,
            Agency.retired_on,
        )
        .where(provincial())
        .order_by(Agency.sort_order, Agency.id)
    ).all()
    bodies = [
        Issuer(str(code), str(name), str(kind), superior or "", place or "", start, _end(end, retired))
        for code, name, kind, superior, place, start, end, retired in rows
    ]
    return Issuers(
        day,
        _pick([b for b in bodies if b.kind == UBND], day),
        _pick([b for b in bodies if b.kind == POLICE], day),
    )
