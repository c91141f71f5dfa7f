"""The map over time, as pure rules: which bodies are valid on a day, who succeeds whom, and under
which row of a table ("place") a row of work counts as of a date.

A body is a locality (district level, until 30/6/2025), a unit (xã, phường, thị trấn) or an agency.
A reorganisation ends bodies and starts others; each ending body has one or more successors of the
same kind, one of them the main one (the seat of a split: it takes what cannot be divided). A unit
always belongs to a locality: after the district level ended, the former district it is grouped
under for continuity.

Where a row counts as of a date D ("structure at D"): its owner at D (its values before any later
transfer, lib/data/organisation.py), followed along main successors while the owner is no longer
valid at D. A unit whose district is valid at D counts under the district; once the district level
has ended the unit counts on its own, grouped under its former district. Work of a district that
ended without a district successor (the finished history of 2024–2025) counts on a row of its own
in that district's group, "(cấp huyện, đến 30/06/2025)": nothing is lost and nothing is divided by
guesswork. "Regrouped under today's units" is the same rule with today's structure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from lib.core.formatting import fmt_date

LOCALITY, UNIT, AGENCY = "locality", "unit", "agency"
PROVINCE_KEY = "province"
PROVINCE_NAME = "Cấp tỉnh (Công an tỉnh, sở, ngành)"


@dataclass(frozen=True)
class Body:
    """A locality, a unit or an agency with its validity (both ends inclusive; None: open)."""

    kind: str
    id: int
    name: str
    type: str = ""  # huyen, thi_xa, thanh_pho; phuong, xa, thi_tran; cong_an, so_nganh, ubnd, bao_chi
    locality_id: int | None = None  # a unit's district (or former district); an agency's locality
    valid_from: date | None = None
    valid_to: date | None = None
    sort_order: int = 0

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


@dataclass(frozen=True)
class Link:
    """An ending body and one successor, from a day on."""

    kind: str
    from_id: int
    to_id: int
    change: str
    effective_on: date
    main: bool = True


@dataclass(frozen=True)
class Place:
    """A row of a table as of a date: a locality, a unit on its own, the rest of an ended district,
    or the province level; with the group it is shown under."""

    key: str
    name: str
    group_key: str
    group_name: str
    order: tuple[int, ...] = (0,)
    kind: str = LOCALITY  # locality, unit, district_rest, province


@dataclass
class OrgMap:
    """Every body and succession link, with lookups; built once per read from a few hundred rows."""

    bodies: Sequence[Body]
    links: Sequence[Link] = ()
    _by_key: dict[tuple[str, int], Body] = field(init=False, repr=False)
    _next: dict[tuple[str, int], list[Link]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key = {(b.kind, b.id): b for b in self.bodies}
        self._next = {}
        for link in sorted(self.links, key=lambda x: (x.effective_on, not x.main, x.to_id)):
            self._next.setdefault((link.kind, link.from_id), []).append(link)

    def get(self, kind: str, body_id: int) -> Body | None:
        return self._by_key.get((kind, body_id))

    def valid(self, kind: str, day: date) -> list[Body]:
        """The bodies of a kind valid on a day, in display order."""
        return sorted(
            (b for b in self.bodies if b.kind == kind and b.valid_on(day)),
            key=lambda b: (b.sort_order, b.name),
        )

    def successors(self, kind: str, body_id: int) -> list[Link]:
        """The successors of a body, the main one first."""
        return list(self._next.get((kind, body_id), ()))

    def main_successor(self, kind: str, body_id: int, by: date | None = None) -> int | None:
        """The main successor of a body (taking effect by a day, if given), or None."""
        for link in self._next.get((kind, body_id), ()):
            if link.main and (by is None or link.effective_on <= by):
                return link.to_id
        return None

    def current(self, kind: str, body_id: int, day: date) -> int:
        """The body that stands for this one on a day: itself while valid, else its main successor
        taking effect by then, followed as far as it goes (a loop stops where it closes)."""
        seen = {body_id}
        current = body_id
        while True:
            body = self.get(kind, current)
            if body is None or body.valid_on(day):
                return current
            successor = self.main_successor(kind, current, by=day)
            if successor is None or successor in seen:
                return current
            seen.add(successor)
            current = successor

    def place(self, locality_id: int | None, unit_id: int | None, day: date) -> Place:
        """The row a piece of work of (locality, unit) counts under on a day (see the module)."""
        if unit_id is not None:
            unit = self.get(UNIT, self.current(UNIT, unit_id, day))
            if unit is not None:
                district = self._district(unit.locality_id, day)
                if district is not None and district.valid_on(day):
                    return self._locality_place(district)
                group = district or (self.get(LOCALITY, unit.locality_id) if unit.locality_id else None)
                return Place(
                    key=f"u{unit.id}",
                    name=unit_label(unit),
                    group_key=f"l{group.id}" if group else PROVINCE_KEY,
                    group_name=group.name if group else "",
                    order=(group.sort_order if group else 0, 1, unit.sort_order, unit.id),
                    kind=UNIT,
                )
        if locality_id is not None:
            district = self._district(locality_id, day)
            if district is not None:
                if district.valid_on(day):
                    return self._locality_place(district)
                end = district.valid_to
                return Place(
                    key=f"l{district.id}-rest",
                    name=f"{district.name} (cấp huyện, đến {fmt_date(end)})" if end else district.name,
                    group_key=f"l{district.id}",
                    group_name=district.name,
                    order=(district.sort_order, 0, 0, district.id),
                    kind="district_rest",
                )
        return Place(PROVINCE_KEY, PROVINCE_NAME, PROVINCE_KEY, "", (10_000,), "province")

    def _district(self, locality_id: int | None, day: date) -> Body | None:
        if locality_id is None:
            return None
        return self.get(LOCALITY, self.current(LOCALITY, locality_id, day))

    @staticmethod
    def _locality_place(district: Body) -> Place:
        key = f"l{district.id}"
        return Place(
            key, district.name, key, district.name, (district.sort_order, 0, 0, district.id), LOCALITY
        )

    def places(self, day: date) -> list[Place]:
        """Every row of a table on a day, even those with nothing to count: the localities valid
        then, and the units standing on their own; in display order."""
        rows = {p.key: p for p in (self._locality_place(b) for b in self.valid(LOCALITY, day))}
        for unit in self.valid(UNIT, day):
            place = self.place(unit.locality_id, unit.id, day)
            rows.setdefault(place.key, place)
        return sorted(rows.values(), key=lambda p: p.order)


def unit_label(unit: Body) -> str:
    """ "Phường Nếnh", "Xã Nam Dương", "Thị trấn Chũ"."""
    prefix = {"phuong": "Phường", "xa": "Xã", "thi_tran": "Thị trấn"}.get(unit.type, "")
    return f"{prefix} {unit.name}".strip()


def day_before(day: date) -> date:
    return day - timedelta(days=1)


def ends_on(effective_on: date) -> date:
    """The last day of a body that a reorganisation taking effect on this day ends."""
    return day_before(effective_on)


def month_ends(first: date, last: date) -> Iterable[date]:
    """Every month's last day from first's month to last's month."""
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        yield day_before(nxt)
        year, month = nxt.year, nxt.month
