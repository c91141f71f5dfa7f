"""The figures leaders quote, as values: headquarters money and the model-ward roadmap, and how they add up.

The data layer fills them from SQL; pages, charts and files read them. No database here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from lib.core import rules


@dataclass(frozen=True)
class Funding:
    planned: int = 0
    allocated: int = 0
    disbursed: int = 0
    projects: int = 0

    @property
    def disbursement_rate(self) -> float | None:
        return rules.disbursement_rate(self.allocated, self.disbursed)


def total_funding(by_locality: dict[str, Funding]) -> Funding:
    """Add per-locality funding into one."""
    rows = list(by_locality.values())
    return Funding(
        planned=sum(r.planned for r in rows),
        allocated=sum(r.allocated for r in rows),
        disbursed=sum(r.disbursed for r in rows),
        projects=sum(r.projects for r in rows),
    )


@dataclass(frozen=True)
class RoadmapPoint:
    locality: str  # code
    year: int
    wards: int  # phường that year (2024 list, plus those upgraded from 1/1/2025)
    registered: int | None  # None: a year after the as-of date
    recognised: int | None

    @property
    def registered_share(self) -> float | None:
        return None if self.registered is None or not self.wards else self.registered / self.wards

    @property
    def recognised_share(self) -> float | None:
        return None if self.recognised is None or not self.wards else self.recognised / self.wards


def roadmap_totals(points: Sequence[RoadmapPoint], year: int) -> RoadmapPoint:
    """Add the localities' points of one year (locality "" for the sum)."""
    mine = [p for p in points if p.year == year]
    known = [p for p in mine if p.registered is not None]
    return RoadmapPoint(
        "",
        year,
        sum(p.wards for p in mine),
        sum(p.registered or 0 for p in known) if known else None,
        sum(p.recognised or 0 for p in known) if known else None,
    )


class _Report(Protocol):
    @property
    def year(self) -> int: ...
    @property
    def bucket(self) -> str: ...
    @property
    def submitted_on(self) -> date | None: ...


@dataclass(frozen=True)
class YearlyTally:
    """Who owes the yearly report of one year (before 15/12), and how many sent it."""

    year: int
    expected: int  # addressees whose report task is not suspended or cancelled
    sent: int

    @property
    def missing(self) -> int:
        return self.expected - self.sent


def yearly_tally(reports: Sequence[_Report], year: int) -> YearlyTally:
    """The one rule for the yearly-report figure: a suspended or cancelled report task owes nothing."""
    due = [r for r in reports if r.year == year and r.bucket != rules.EXCLUDED]
    return YearlyTally(year, len(due), sum(1 for r in due if r.submitted_on is not None))


def as_percent(rate: float | None) -> float | None:
    """A rate (0–1) as the percentage a table shows, to one decimal; None stays None."""
    return None if rate is None else round(rate * 100, 1)


class _Ranked(Protocol):
    @property
    def on_time_rate(self) -> float | None: ...


RankedT = TypeVar("RankedT", bound=_Ranked)


def ranked(rows: Sequence[RankedT]) -> list[RankedT]:
    """The league order: the best on-time completion first, localities with no figure last."""
    return sorted(rows, key=lambda r: (r.on_time_rate is None, -(r.on_time_rate or 0.0)))
