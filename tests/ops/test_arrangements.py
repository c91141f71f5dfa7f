"""The 2025 reorganisations as reference data, and `python -m lib.manage import-arrangement`."""

from __future__ import annotations

import io
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lib.core.organisation import AGENCY, LOCALITY, UNIT, Body, Link, OrgMap
from lib.data.db import make_engine, transaction
from lib.data.models import Agency, Arrangement, Duty, Locality, Succession, Unit
from lib.editing.arrangements import record_arrangement, split_rows
from lib.ops.arrangements import REFERENCE_ARRANGEMENTS, load_arrangements
from lib.ops.manage import main
from lib.ops.programme import load_reference
from tests.support.org_machinery import NOW, OFFICE, snapshot

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 2)


def org_map(s) -> OrgMap:
    bodies = [
        Body(
            kind, row.id, row.name, row.kind, getattr(row, "locality_id", None), row.valid_from, row.valid_to
        )
        for kind, model in ((LOCALITY, Locality), (UNIT, Unit), (AGENCY, Agency))
        for row in s.scalars(select(model))
    ]
    links = [
        Link(x.body_kind, x.from_id, x.to_id, x.change, x.effective_on, x.main)
        for x in s.scalars(select(Succession))
    ]
    return OrgMap(bodies, links)


def test_the_2025_arrangements_on_the_reference_data(engine):
    with transaction(engine, write=True) as s:
        load_reference(s, now=NOW)
    with transaction(engine, write=True) as s:
        first = load_arrangements(s, date(2025, 2, 1), OFFICE, now=NOW)
    assert [(x.code, x.applied is not None) for x in first] == [("nq-1191-2025-01-01", True)]
    with transaction(engine, write=True) as s:
        loaded = load_arrangements(s, TODAY, OFFICE, now=NOW)
    assert [(x.code, x.applied is not None) for x in loaded] == [
        (r.code, r.code != "nq-1191-2025-01-01") for r in REFERENCE_ARRANGEMENTS
    ]
    with transaction(engine) as s:
        org = org_map(s)
        units = {
            day: org.valid(UNIT, day)
            for day in (date(2024, 6, 30), date(2025, 1, 1), date(2025, 6, 30), TODAY)
        }
        assert [len(v) for v in units.values()] == [80, 77, 77, 23]
        assert sorted(u.type for u in units[TODAY]).count("phuong") == 13
        localities = {row.code: row for row in s.scalars(select(Locality))}
        assert localities["yen-dung"].valid_to == date(2024, 12, 31)
        assert (localities["chu"].valid_from, localities["chu"].valid_to) == (
            date(2025, 1, 1),
            date(2025, 6, 30),
        )
        assert {b.name for b in org.valid(LOCALITY, date(2025, 1, 1))} == {
            "Huyện Lục Ngạn",
            "Thị xã Chũ",
            "Thị xã Việt Yên",
            "Thành phố Bắc Giang",
        }
        assert org.valid(LOCALITY, TODAY) == []
        # The structure of a day: four localities in 2024; 23 units on their own today.
        assert len(org.places(date(2024, 6, 30))) == 4 and len(org.places(TODAY)) == 23
        # Each of the 23 has its UBND and Công an; the police answer to Công an tỉnh Bắc Ninh.
        agencies = list(s.scalars(select(Agency).where(Agency.unit_id.is_not(None))))
        assert len(agencies) == 46
        assert {a.superior for a in agencies if a.kind == "cong_an"} == {"Công an tỉnh Bắc Ninh"}
        police = s.scalar(select(Agency).where(Agency.code == "cat-bn"))
        assert (police.superior, police.place, police.valid_from) == (
            "Bộ Công an",
            "Bắc Ninh",
            date(2025, 7, 1),
        )
        departments = {a.name for a in org.valid(AGENCY, TODAY) if a.type == "so_nganh"}
        assert departments == {
            "Sở Tài chính",
            "Sở Xây dựng",
            "Sở Nội vụ",
            "Sở Nông nghiệp và Môi trường",
            "Sở Khoa học và Công nghệ",
        }
        # Open duties of the districts went to the UBND of the seat, with its unit.
        seat = s.scalar(select(Agency).where(Agency.name == "UBND phường Bắc Giang"))
        duties = list(s.scalars(select(Duty).where(Duty.lead_agency_id == seat.id)))
        assert len(duties) == 6 and {d.unit_id for d in duties} == {seat.unit_id}
    before = snapshot(engine)
    with transaction(engine, write=True) as s:
        again = load_arrangements(s, TODAY, OFFICE, now=NOW)
    assert all(x.applied is None for x in again) and snapshot(engine) == before


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def manage(monkeypatch, capsys):
    """Run `python -m lib.manage …` in this process (its `main`, as the module runs it)."""

    def run(*args: str, url: str, stdin: str = "") -> Ran:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(list(args))
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)

    return run


def test_import_arrangement_from_the_command_line(tmp_path, manage):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert manage("init-db", url=url).returncode == 0
    assert manage("load-programme", "--as-of", "2024-06-30", url=url).returncode == 0
    created = manage("create-user", "vanphong", "--role", "van_phong", url=url, stdin="matkhau-dai-12\n" * 2)
    assert created.returncode == 0, created.stderr
    engine = make_engine(url)
    before = snapshot(engine)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "old_name,old_kind,old_locality,new_name,new_kind,new_locality,change,resolution,effective,source_url\n"
        "Thọ Xương,phuong,Thành phố Bắc Giang,Thọ Xương,phuong,Thành phố Bắc Giang,same,"
        "NQ 1 (1/1/2025),2025-13-01,\n",
        encoding="utf-8",
    )
    result = manage("import-arrangement", str(bad), "--user", "vanphong", "--apply", url=url)
    assert result.returncode == 2 and "Dòng 2: ngày hiệu lực “2025-13-01” không hợp lệ" in result.stderr
    assert snapshot(engine) == before
    alone = manage(
        "import-arrangement", str(ROOT / "data/units-2025-01.csv"), "--user", "vanphong", "--apply", url=url
    )
    assert alone.returncode == 2
    assert "Dòng 53: không có địa phương “Thị xã Chũ” (của phường Chũ (Thị xã Chũ))." in alone.stderr
    after = snapshot(engine)  # only the refusal is recorded
    assert {name for name in after if after[name] != before[name]} == {"audit_event", "app_meta"}
    assert max(after["audit_event"])[2:5] == ("vanphong", "refused", "arrangement")
    before = after
    files = (
        str(ROOT / "data/units-2025-01.csv"),
        str(ROOT / "data/agencies-2025.csv"),
        "--effective",
        "2025-01-01",
        "--user",
        "vanphong",
    )
    dry = manage("import-arrangement", *files, "--dry-run", url=url)
    assert dry.returncode == 0 and "Chạy thử (--dry-run): không ghi gì." in dry.stdout
    assert snapshot(engine) == before
    done = manage("import-arrangement", *files, "--apply", "--code", "nq-1191", url=url)
    assert done.returncode == 0, done.stderr
    assert "Kết thúc: 1 địa phương, 38 đơn vị hành chính, 1 cơ quan" in done.stdout
    assert "3 nhiệm vụ định kỳ → cơ quan “UBND thành phố Bắc Giang”" in done.stdout
    twice = manage("import-arrangement", *files, "--apply", url=url)
    assert twice.returncode == 2 and "đã được áp dụng" in twice.stderr
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Arrangement)) == 1
    engine.dispose()


def test_the_july_2025_split_asks_about_each_open_row_of_a_district_ubnd(engine):
    with transaction(engine, write=True) as s:
        load_reference(s, now=NOW)
        load_arrangements(s, date(2025, 6, 30), OFFICE, now=NOW)
        july = next(r for r in REFERENCE_ARRANGEMENTS if r.code == "nq-1658-2025-07-01")
        draft = record_arrangement(s, OFFICE, july.parsed(), NOW, code=july.code)
    with transaction(engine) as s:
        asked = split_rows(s, draft)
    by_body = Counter(row.body_name for row in asked)
    assert by_body == {
        "cơ quan “UBND thành phố Bắc Giang”": 6,  # its own three duties and Yên Dũng's
        "cơ quan “UBND thị xã Việt Yên”": 3,
        "cơ quan “UBND huyện Lục Ngạn”": 3,
    }
    city = next(row for row in asked if row.body_name == "cơ quan “UBND thành phố Bắc Giang”")
    assert len(city.options) == 8 and city.options[0].label == "cơ quan “UBND phường Bắc Giang”"
    assert city.default == city.options[0].value and city.options[0].main
    # The seat is created by the arrangement: its value is minus its line (second file: from 1000).
    assert city.default < -1000
