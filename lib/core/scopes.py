"""A focal point's scope: the bodies whose rows they edit, as pure data and one rule.

A focal point (role `dieu_phoi`, cán bộ đầu mối) is given one or more bodies (table `user_scope`):
a former district (locality), a xã or phường (unit), or an agency (a department, a police unit,
a UBND or Công an of a xã or phường). They may edit a row when

- a task: its locality, its unit or its lead agency is in scope;
- a headquarters project or a model-ward registration: its unit, or the unit's (former) district,
  is in scope;

and the UBND or Công an of a xã or phường stands for that unit too (`agency.unit_id`): its focal
point edits the unit's rows, and a unit's focal point edits the tasks its UBND or Công an leads.
The same rule runs in Python on the rows a change names and in SQL (lib/data/scopes.py) on the
rows an editor lists and the UPDATE that writes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BODY_KINDS = ("locality", "unit", "agency")
KIND_LABELS = {"locality": "Địa bàn (huyện cũ)", "unit": "Xã, phường", "agency": "Cơ quan, đơn vị"}


@dataclass(frozen=True)
class Scope:
    """The bodies of a focal point: as assigned, plus what an assigned body stands for.

    `unit_rows`: the units whose rows are in scope (the units assigned and those of the UBND or
    Công an assigned); `lead_agencies`: the agencies whose tasks are in scope (the agencies
    assigned and the UBND or Công an of the units assigned). `labels`: the bodies' names, for
    messages and notes.
    """

    localities: frozenset[int] = frozenset()
    units: frozenset[int] = frozenset()
    agencies: frozenset[int] = frozenset()
    unit_rows: frozenset[int] = frozenset()
    lead_agencies: frozenset[int] = frozenset()
    labels: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        localities: Iterable[int] = (),
        units: Iterable[int] = (),
        agencies: Iterable[int] = (),
        *,
        agency_units: Iterable[tuple[int, int | None]] = (),
        labels: Iterable[str] = (),
    ) -> Scope:
        """Build a scope from the bodies assigned and `agency_units`, the (agency, unit) pairs of
        the agencies that stand for a unit (at least those assigned and those of the units assigned)."""
        locs, units_, agencies_ = frozenset(localities), frozenset(units), frozenset(agencies)
        pairs = [(a, u) for a, u in agency_units if u is not None]
        unit_rows = units_ | {u for a, u in pairs if a in agencies_}
        lead = agencies_ | {a for a, u in pairs if u in units_}
        return cls(locs, units_, agencies_, frozenset(unit_rows), frozenset(lead), tuple(labels))

    @property
    def is_empty(self) -> bool:
        return not (self.localities or self.units or self.agencies)

    def covers(
        self,
        locality_id: int | None,
        unit_id: int | None = None,
        agency_ids: Iterable[int | None] = (),
    ) -> bool:
        """Tell whether a row of this locality, unit and (lead) agencies is in scope.

        A task passes its locality, unit and lead agency; a headquarters project or a registration
        passes its unit's district and its unit (no agency)."""
        if locality_id is not None and locality_id in self.localities:
            return True
        if unit_id is not None and unit_id in self.unit_rows:
            return True
        return any(a is not None and a in self.lead_agencies for a in agency_ids)

    def describe(self, limit: int = 4) -> str:
        """The bodies in words: "Huyện Lục Ngạn, Sở Tài chính" (and how many more)."""
        if not self.labels:
            return "chưa được giao cơ quan, đơn vị nào"
        shown = ", ".join(self.labels[:limit])
        more = len(self.labels) - limit
        return shown + (f" và {more} cơ quan, đơn vị khác" if more > 0 else "")


NO_SCOPE = Scope()
