"""The programme's reference data, loaded for real: `python -m lib.manage load-programme`.

The letter and the documents it rests on, its clauses, the four localities and their 80 units
(data/units-2024.csv), the agencies, and the letter's recurring duties (lib/ops/directive.py) —
with no demo values: no progress, no headquarters projects, no model wards, no users. Allowed in
production. Rows are matched by stable codes: documents by code, clauses by (document, code),
localities by code, units by (locality, name), agencies by code, duties by (document, addressee,
title). What is missing is added; what exists is never changed or deleted (a document number the
office filled in stays, rows users added stay), so running it again changes nothing. One exception:
an agency of lib/ops/directive.AGENCY_STANDING whose validity, superior or place is still empty
(a database loaded before they were data) gets them filled in — never overwritten, never renamed.
The demo (lib/ops/seed.py) loads the same reference through `load_reference`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.config import PROJECT_ROOT
from lib.core.config import now as local_now
from lib.core.formatting import fmt_date
from lib.core.roles import system_actor
from lib.data import audit
from lib.data.models import Agency, Clause, Document, Duty, Locality, Transfer, Unit
from lib.ops import directive as d
from lib.ops.arrangements import load_arrangements
from lib.ops.duties import Generated, generate_duties

UNITS_CSV = PROJECT_ROOT / "data" / "units-2024.csv"
ACTOR = "cli:load-programme"
_BECOMES_PHUONG = re.compile(r"became (a )?phường|into phường", re.IGNORECASE)


@dataclass(frozen=True)
class UnitRow:
    locality: str
    name: str
    kind: str
    note: str

    @property
    def becomes_phuong(self) -> bool:
        return self.kind != "phuong" and bool(_BECOMES_PHUONG.search(self.note))


def read_units(path: Path = UNITS_CSV) -> list[UnitRow]:
    """Read the 80 administrative units of the four localities from the reference CSV."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            UnitRow(
                locality=d.LOCALITY_BY_CSV_NAME[row["locality"]],
                name=row["unit_name"],
                kind=row["unit_type"],
                note=row["status_2024_note"],
            )
            for row in csv.DictReader(handle)
        ]


@dataclass(frozen=True)
class Added:
    """Reference rows added by one load (rows already there are not counted)."""

    documents: int = 0
    clauses: int = 0
    localities: int = 0
    units: int = 0
    agencies: int = 0
    duties: int = 0
    completed: int = 0  # agencies that existed and got their validity, superior or place filled in

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def describe(self) -> str:
        names = {
            "documents": "văn bản",
            "clauses": "mục",
            "localities": "địa phương",
            "units": "đơn vị hành chính",
            "agencies": "cơ quan",
            "duties": "nhiệm vụ định kỳ",
        }
        added = ", ".join(f"{getattr(self, k)} {v}" for k, v in names.items() if getattr(self, k))
        parts = [f"Đã thêm {added}."] if added else []
        if self.completed:
            parts.append(
                f"Đã bổ sung thời hạn hiệu lực, cơ quan cấp trên, địa danh cho {self.completed} cơ quan."
            )
        return " ".join(parts)


def _stamp(now: datetime | None) -> datetime:
    return now or local_now()


def load_reference(s: Session, *, now: datetime | None = None) -> Added:
    """Add the reference rows that are missing, inside the caller's write transaction."""
    documents = {doc.code: doc for doc in s.scalars(select(Document))}
    added_docs = 0
    for order, (code, number, issued_on, label, issuer, title) in enumerate(d.DOCUMENTS):
        if code not in documents:
            documents[code] = Document(
                code=code,
                number=number,
                issued_on=issued_on,
                issued_label=label,
                issuer=issuer,
                title=title,
                kind=d.DOCUMENT_KINDS.get(code, "cong_van"),
                sort_order=order,
            )
            s.add(documents[code])
            added_docs += 1
    s.flush()
    letter = documents[d.LETTER]
    clauses = {c.code: c for c in s.scalars(select(Clause).where(Clause.document_id == letter.id))}
    added_clauses = 0
    for order, (code, title, summary) in enumerate(d.CLAUSES):
        if code not in clauses:
            clauses[code] = Clause(
                document_id=letter.id, code=code, title=title, summary=summary, sort_order=order
            )
            s.add(clauses[code])
            added_clauses += 1
    localities = {loc.code: loc for loc in s.scalars(select(Locality))}
    added_localities = 0
    for order, (code, name, kind) in enumerate(d.LOCALITIES):
        if code not in localities:
            localities[code] = Locality(code=code, name=name, kind=kind, sort_order=order)
            s.add(localities[code])
            added_localities += 1
    s.flush()
    units: set[tuple[int, str]] = {(i, n) for i, n in s.execute(select(Unit.locality_id, Unit.name))}
    added_units = 0
    for row in read_units():
        locality_id = localities[row.locality].id
        if (locality_id, row.name) not in units:
            s.add(
                Unit(
                    locality_id=locality_id,
                    name=row.name,
                    kind=row.kind,
                    becomes_phuong_2025=row.becomes_phuong,
                    change_note=row.note,
                )
            )
            units.add((locality_id, row.name))
            added_units += 1
    agencies = {a.code: a for a in s.scalars(select(Agency))}
    added_agencies = completed = 0
    for order, (code, name, kind, locality) in enumerate(d.AGENCIES):
        if code in agencies:
            completed += _fill_standing(agencies[code], d.AGENCY_STANDING.get(code))
        else:
            agencies[code] = Agency(
                code=code,
                name=name,
                kind=kind,
                sort_order=order,
                locality_id=localities[locality].id if locality else None,
            )
            _fill_standing(agencies[code], d.AGENCY_STANDING.get(code))
            s.add(agencies[code])
            added_agencies += 1
    s.flush()
    added_duties = _load_duties(s, documents, clauses, agencies, _stamp(now))
    return Added(
        added_docs, added_clauses, added_localities, added_units, added_agencies, added_duties, completed
    )


def _fill_standing(agency: Agency, standing: d.Standing | None) -> bool:
    """Give an agency its validity, superior and place where they are still empty: the one change a
    load makes to a row that exists (a database loaded before these were data); what the office set
    stays. An agency's name is never changed here (migration 0007 renamed `cat`)."""
    if standing is None:
        return False
    changed = False
    if agency.valid_from is None and agency.valid_to is None and (standing.valid_from or standing.valid_to):
        agency.valid_from, agency.valid_to = standing.valid_from, standing.valid_to
        changed = True
    if not agency.superior and standing.superior:
        agency.superior, changed = standing.superior, True
    if not agency.place and standing.place:
        agency.place, changed = standing.place, True
    return changed


def _load_duties(
    s: Session,
    documents: dict[str, Document],
    clauses: dict[str, Clause],
    agencies: dict[str, Agency],
    stamp: datetime,
) -> int:
    have: set[tuple[int, int, str]] = {
        (doc, agency, title)
        for doc, agency, title in s.execute(select(Duty.document_id, Duty.lead_agency_id, Duty.title))
    }
    # A duty that a reorganisation passed to a successor is still the letter's duty of its first body.
    have |= {
        (doc, int(agency or 0), title)
        for doc, agency, title in s.execute(
            select(Duty.document_id, Transfer.old_value, Duty.title)
            .join(Transfer, (Transfer.entity == "duty") & (Transfer.row_id == Duty.id))
            .where(Transfer.field == "lead_agency_id", Transfer.old_value.is_not(None))
        )
    }
    added = 0
    for agency_code, t in d.DUTIES:
        agency, document = agencies[agency_code], documents[t.document]
        if (document.id, agency.id, t.title) in have:
            continue
        month, day = t.due
        duty = Duty(
            document_id=document.id,
            clause_id=clauses[t.clause].id if t.clause else None,
            title=t.title,
            lead_agency_id=agency.id,
            locality_id=agency.locality_id,
            recurrence=t.recurrence,
            due_month=month,
            due_day=day,
            first_year=t.first_year,
            last_year=t.last_year,
            expected_product=t.expected_product,
            created_by=ACTOR,
            created_at=stamp,
        )
        duty.cooperators = [agencies[c] for c in t.cooperators]
        s.add(duty)
        have.add((document.id, agency.id, t.title))
        added += 1
    s.flush()
    return added


@dataclass(frozen=True)
class Loaded:
    """What `load_programme` did."""

    added: Added
    generated: Generated
    applied: tuple[str, ...] = ()  # the reference reorganisations applied by this run, by code

    @property
    def changed(self) -> bool:
        return bool(self.added.total) or self.generated.changed or bool(self.applied)

    def message(self) -> str:
        if not self.changed:
            return (
                "Dữ liệu chương trình đã đầy đủ: không có gì thay đổi "
                f"(không thêm văn bản, đơn vị, cơ quan nào; không có kỳ mới đến hạn tính đến ngày "
                f"{fmt_date(self.generated.as_of)})."
            )
        parts = []
        if self.added.total:
            parts.append(self.added.describe())
        else:
            parts.append("Dữ liệu tham chiếu đã đủ, không thêm gì.")
        parts.append(self.generated.message())
        if self.applied:
            parts.append(f"Đã áp dụng {len(self.applied)} đợt sắp xếp tổ chức: {', '.join(self.applied)}.")
        return " ".join(parts)


def load_programme(s: Session, as_of: date, *, actor: str = ACTOR, now: datetime | None = None) -> Loaded:
    """Load the reference data and generate the duties' tasks due as of `as_of`, inside the caller's
    write transaction, and record one event. When nothing changed nothing is recorded (the caller
    may roll back, which also undoes its data-version bump)."""
    stamp = _stamp(now)
    added = load_reference(s, now=stamp)
    generated = generate_duties(s, as_of, now=stamp)
    loaded = Loaded(added, generated, apply_reference_arrangements(s, as_of, actor=actor, now=stamp))
    record_load(s, loaded, actor=actor, now=stamp)
    return loaded


def apply_reference_arrangements(
    s: Session, as_of: date, *, actor: str = ACTOR, now: datetime | None = None
) -> tuple[str, ...]:
    """Record and apply the 2025 reorganisations taking effect by `as_of` (lib/ops/arrangements.py),
    after the tasks of the periods due were generated on the bodies of their time: a period's task
    of a body that ended passes to its successor only if it is still open. Return the codes applied."""
    name = actor.removeprefix("cli:")
    loaded = load_arrangements(s, as_of, system_actor(name), now=_stamp(now))
    return tuple(item.code for item in loaded if item.applied is not None)


def record_load(s: Session, loaded: Loaded, *, actor: str = ACTOR, now: datetime | None = None) -> None:
    """Record one event for a load that changed something."""
    if loaded.changed:
        audit.record(
            s, actor=actor, action="load_programme", entity="database", reason=loaded.message(), at=now
        )
