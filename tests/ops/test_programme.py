"""load-programme gives the province's People's Committee and police their validity, superior and
place: once, without renaming or overwriting what the office set, and a second run changes nothing."""

from datetime import date

from sqlalchemy import func, select

from lib.data.db import transaction
from lib.data.models import Agency
from lib.ops.programme import load_reference

PROVINCIAL = {
    "cat": ("Công an tỉnh Bắc Giang", "cong_an", None, date(2025, 6, 30), "Bộ Công an", "Bắc Giang"),
    "ubnd-tinh-bg": ("UBND tỉnh Bắc Giang", "ubnd", None, date(2025, 6, 30), "", "Bắc Giang"),
    "ubnd-tinh-bn": ("UBND tỉnh Bắc Ninh", "ubnd", date(2025, 7, 1), None, "", "Bắc Ninh"),
    "cat-bn": ("Công an tỉnh Bắc Ninh", "cong_an", date(2025, 7, 1), None, "Bộ Công an", "Bắc Ninh"),
}


def _bodies(s) -> dict[str, tuple]:
    rows = s.execute(
        select(
            Agency.code,
            Agency.name,
            Agency.kind,
            Agency.valid_from,
            Agency.valid_to,
            Agency.superior,
            Agency.place,
            Agency.locality_id,
            Agency.unit_id,
        ).where(Agency.code.in_(PROVINCIAL))
    )
    return {code: tuple(rest) for code, *rest in rows}


def test_the_four_provincial_bodies_are_loaded_once(engine):
    with transaction(engine, write=True) as s:
        first = load_reference(s)
    with transaction(engine, write=True) as s:
        second = load_reference(s)
        assert s.scalar(select(func.count()).select_from(Agency)) == 16
        bodies = _bodies(s)
    assert (first.agencies, first.completed) == (16, 0)
    assert (second.total, second.describe()) == (0, "")
    assert bodies == {code: (*values, None, None) for code, values in PROVINCIAL.items()}


def test_an_older_database_gets_the_empty_fields_filled_and_keeps_what_the_office_set(engine):
    with transaction(engine, write=True) as s:
        load_reference(s)
        cat = s.scalar(select(Agency).where(Agency.code == "cat"))
        # As a database loaded before the bodies were data: `cat` without validity or place, its
        # superior typed by the office, and the name migration 0007 gave it.
        cat.valid_to, cat.place, cat.superior = None, "", "Bộ Công an (Cục Cảnh sát QLHC)"
        bg = s.scalar(select(Agency).where(Agency.code == "ubnd-tinh-bg"))
        bg.place = "TP Bắc Giang"
    with transaction(engine, write=True) as s:
        filled = load_reference(s)
        bodies = _bodies(s)
    assert (filled.agencies, filled.completed) == (0, 1)
    assert filled.describe() == "Đã bổ sung thời hạn hiệu lực, cơ quan cấp trên, địa danh cho 1 cơ quan."
    assert bodies["cat"][:6] == (
        "Công an tỉnh Bắc Giang",
        "cong_an",
        None,
        date(2025, 6, 30),
        "Bộ Công an (Cục Cảnh sát QLHC)",  # set by the office: kept
        "Bắc Giang",
    )
    assert bodies["ubnd-tinh-bg"][5] == "TP Bắc Giang"  # not empty: not overwritten
    with transaction(engine, write=True) as s:
        assert load_reference(s).total == 0
