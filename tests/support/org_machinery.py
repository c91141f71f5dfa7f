"""A tiny map (two districts, a few units and agencies) and rows on it, for reorganisation tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from lib.core.arrangement import Line, Parsed
from lib.core.roles import Actor
from lib.data.db import transaction
from lib.data.models import Agency, Base, HqProject, Locality, ModelWard, Task, Unit, User, UserScope

NOW = datetime(2026, 12, 2, 9, 0)
OFFICE = Actor(user_id=None, username="vanphong", display_name="Văn phòng", role="van_phong")
LEADER = Actor(user_id=None, username="lanhdao", display_name="Lãnh đạo", role="lanh_dao")
AN, BINH = "Huyện An", "Thị xã Bình"


@dataclass
class TinyMap:
    ids: dict[str, int]

    def __getitem__(self, name: str) -> int:
        return self.ids[name]


def make_map(s: Session, extra_units: Sequence[tuple[str, str, str, date | None]] = ()) -> TinyMap:
    """Districts An and Bình; xã Một, Hai, Ba (An), phường Bốn (Bình); the provincial police, the two
    UBND and two departments. `extra_units`: (name, kind, district name, valid_from)."""
    an = Locality(code="an", name=AN, kind="huyen", sort_order=1)
    binh = Locality(code="binh", name=BINH, kind="thi_xa", sort_order=2)
    s.add_all([an, binh])
    s.flush()
    ids = {"an": an.id, "binh": binh.id}
    districts = {AN: an.id, BINH: binh.id}
    units = [
        ("Một", "xa", AN, None),
        ("Hai", "xa", AN, None),
        ("Ba", "xa", AN, None),
        ("Bốn", "phuong", BINH, None),
    ]
    for name, kind, district, start in [*units, *extra_units]:
        unit = Unit(locality_id=districts[district], name=name, kind=kind, valid_from=start)
        s.add(unit)
        s.flush()
        ids[name] = unit.id
    for code, name, kind, locality in [
        ("cat", "Công an tỉnh", "cong_an", None),
        ("ubnd-an", "UBND huyện An", "ubnd", an.id),
        ("ubnd-binh", "UBND thị xã Bình", "ubnd", binh.id),
        ("so1", "Sở Một", "so_nganh", None),
        ("so2", "Sở Hai", "so_nganh", None),
    ]:
        agency = Agency(code=code, name=name, kind=kind, locality_id=locality)
        s.add(agency)
        s.flush()
        ids[code] = agency.id
    return TinyMap(ids)


def task(s: Session, lead: int, locality: int | None, unit: int | None, state: str = "dang_thuc_hien") -> int:
    row = Task(
        title=f"Nhiệm vụ {state}",
        lead_agency_id=lead,
        locality_id=locality,
        unit_id=unit,
        state=state,
        completed_on=date(2024, 10, 1) if state == "hoan_thanh" else None,
        updated_at=NOW,
        version=1,
    )
    s.add(row)
    s.flush()
    return row.id


def project(s: Session, unit: int, stage: str = "dang_thi_cong") -> int:
    row = HqProject(
        unit_id=unit,
        kind="xay_moi",
        land_status="da_bo_tri",
        stage=stage,
        funding_source="ngan_sach_tinh",
        updated_at=NOW,
        version=1,
    )
    s.add(row)
    s.flush()
    return row.id


def ward(s: Session, unit: int, year: int, recognised: bool = False) -> int:
    row = ModelWard(
        unit_id=unit,
        year_registered=year,
        recognised_decision="QĐ 1/QĐ-UBND" if recognised else "",
        recognised_on=date(year, 12, 1) if recognised else None,
        updated_at=NOW,
        version=1,
    )
    s.add(row)
    s.flush()
    return row.id


def scope(s: Session, username: str, **body: int) -> int:
    user = s.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(
            username=username,
            display_name=username,
            role="dieu_phoi",
            password_hash="x",
            password_changed_at=NOW,
            created_at=NOW,
            updated_at=NOW,
        )
        s.add(user)
        s.flush()
    row = UserScope(user_id=user.id, **body)
    s.add(row)
    s.flush()
    return row.id


def unit_line(n: int, old: str, new: str, change: str, *, kind: str = "xa", new_kind: str = "",
              locality: str = AN, new_locality: str = "", main: bool | None = None) -> Line:  # fmt: skip
    return Line(
        n, "unit", old, new, change, kind, locality, "", new_kind or kind, new_locality or locality, main=main
    )


def arrangement(
    *lines: Line, effective: date = date(2025, 1, 1), resolution: str = "NQ 9/NQ-UBTVQH15"
) -> Parsed:
    return Parsed(resolution, date(2024, 12, 1), effective, tuple(lines))


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the databases of these tests are tiny)."""
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(text(f'SELECT * FROM "{table.name}"')).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def fresh_map(engine: Engine, **kw: Any) -> TinyMap:
    with transaction(engine, write=True) as s:
        return make_map(s, **kw)
