"""The real reorganisations of 2025 as reference data, recorded and applied up to a date.

- 1/1/2025, NQ 1191/NQ-UBTVQH15: huyện Yên Dũng joins thành phố Bắc Giang, thị xã Chũ is carved out
  of Lục Ngạn, 3 units merge, 20 are upgraded or moved (data/units-2025-01.csv + the locality and
  UBND lines of data/agencies-2025.csv).
- 1/3/2025, the department mergers (data/agencies-2025.csv).
- 1/7/2025, NQ 202/2025/QH15: Công an tỉnh Bắc Giang → Công an tỉnh Bắc Ninh (data/agencies-2025.csv).
- 1/7/2025, NQ 1658/NQ-UBTVQH15: 77 units become 23 new phường and xã, the districts end and their
  UBND split into the UBND of the new units grouped under them (data/units-2025-07.csv + the 1/7
  lines of data/agencies-2025.csv). The new units' UBND and Công an are created on the way.

Each is recorded and applied once (by code); running `load_arrangements` again skips what is applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.arrangement import Parsed, combine
from lib.core.config import PROJECT_ROOT
from lib.core.config import now as local_now
from lib.core.roles import Actor
from lib.data.models import Arrangement
from lib.editing.arrangements import Applied, apply_arrangement, record_arrangement
from lib.files.arrangement import read_arrangement

DATA = PROJECT_ROOT / "data"


@dataclass(frozen=True)
class ReferenceArrangement:
    code: str
    resolution: str  # the number, as in the files' `resolution` column before the date in brackets
    effective_on: date
    title: str
    files: tuple[str, ...]  # in data/; only the lines of this resolution and day are read

    def parsed(self) -> Parsed:
        parts = [
            read_arrangement(
                (DATA / name).read_bytes(),
                name,
                only_effective=self.effective_on,
                only_resolution=self.resolution,
            )
            for name in self.files
        ]
        return combine(parts)


REFERENCE_ARRANGEMENTS = (
    ReferenceArrangement(
        "nq-1191-2025-01-01",
        "NQ 1191/NQ-UBTVQH15",
        date(2025, 1, 1),
        "Sắp xếp đơn vị hành chính cấp huyện, cấp xã tỉnh Bắc Giang: nhập huyện Yên Dũng vào thành phố "
        "Bắc Giang, thành lập thị xã Chũ",
        ("units-2025-01.csv", "agencies-2025.csv"),
    ),
    ReferenceArrangement(
        "so-nganh-2025-03-01",
        "Nghị quyết HĐND tỉnh Bắc Giang",
        date(2025, 3, 1),
        "Hợp nhất các sở: Tài chính, Nông nghiệp và Môi trường, Khoa học và Công nghệ",
        ("agencies-2025.csv",),
    ),
    ReferenceArrangement(
        "nq-202-2025-07-01",
        "NQ 202/2025/QH15",
        date(2025, 7, 1),
        "Hợp nhất tỉnh Bắc Giang và tỉnh Bắc Ninh thành tỉnh Bắc Ninh",
        ("agencies-2025.csv",),
    ),
    ReferenceArrangement(
        "nq-1658-2025-07-01",
        "NQ 1658/NQ-UBTVQH15",
        date(2025, 7, 1),
        "Sắp xếp đơn vị hành chính cấp xã tỉnh Bắc Ninh; kết thúc cấp huyện",
        ("units-2025-07.csv", "agencies-2025.csv"),
    ),
)


@dataclass(frozen=True)
class Loaded:
    code: str
    applied: Applied | None  # None: applied before, skipped

    def message(self) -> str:
        if self.applied is None:
            return f"{self.code}: đã áp dụng trước đó, bỏ qua."
        return "\n".join([f"{self.code}: đã áp dụng.", *self.applied.lines()])


def load_arrangements(s: Session, as_of: date, actor: Actor, *, now: datetime | None = None) -> list[Loaded]:
    """Record and apply, in the caller's write transaction, every reference arrangement taking
    effect by `as_of` that is not applied yet (an applied one is skipped)."""
    stamp = now or local_now()
    out = []
    for ref in REFERENCE_ARRANGEMENTS:
        if ref.effective_on > as_of:
            continue
        existing = s.scalar(select(Arrangement).where(Arrangement.code == ref.code))
        if existing is None:
            existing = s.scalar(
                select(Arrangement).where(
                    Arrangement.resolution == ref.resolution,
                    Arrangement.effective_on == ref.effective_on,
                    Arrangement.state == "applied",
                )
            )
        if existing is not None and existing.state == "applied":
            out.append(Loaded(existing.code, None))
            continue
        arrangement_id = (
            existing.id
            if existing is not None
            else record_arrangement(s, actor, ref.parsed(), stamp, code=ref.code, title=ref.title)
        )
        out.append(Loaded(ref.code, apply_arrangement(s, actor, arrangement_id, stamp)))
    return out


def import_arrangement(
    s: Session,
    actor: Actor,
    parsed: Parsed,
    now: datetime,
    *,
    code: str | None = None,
    title: str = "",
    apply: bool = False,
) -> tuple[int, Applied | None]:
    """Record a reorganisation read from files and, if asked, apply it with the default successor
    for every open row of a split body — all in the caller's one transaction."""
    arrangement_id = record_arrangement(s, actor, parsed, now, code=code, title=title)
    return arrangement_id, (apply_arrangement(s, actor, arrangement_id, now) if apply else None)


def describe_parsed(parsed: Parsed) -> list[str]:
    """A short account of what a file holds, for a dry run."""
    from collections import Counter

    from lib.core.arrangement import BODY_LABELS
    from lib.core.formatting import fmt_date

    counts = Counter((line.body_kind, line.change) for line in parsed.lines)
    return [
        f"{parsed.resolution}"
        + (f" ngày {fmt_date(parsed.resolution_on)}" if parsed.resolution_on else "")
        + f", hiệu lực {fmt_date(parsed.effective_on)}: {len(parsed.lines)} dòng.",
        *(f"  {BODY_LABELS[kind]} – {change}: {n}" for (kind, change), n in sorted(counts.items())),
    ]
