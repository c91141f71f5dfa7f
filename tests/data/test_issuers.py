"""The province's People's Committee and police on a day, from the agency table."""

from datetime import date

from sqlalchemy import select

from lib.data.db import transaction
from lib.data.issuers import FALLBACK_PROVINCE, issuers_on
from lib.data.models import Agency
from lib.ops.programme import load_reference


def _names(s, day):
    i = issuers_on(s, day)
    return (i.ubnd.name, i.police.name, i.police.superior, i.police.place, i.province_title)


BAC_GIANG = ("UBND tỉnh Bắc Giang", "Công an tỉnh Bắc Giang", "Bộ Công an", "Bắc Giang", "Tỉnh Bắc Giang")
BAC_NINH = ("UBND tỉnh Bắc Ninh", "Công an tỉnh Bắc Ninh", "Bộ Công an", "Bắc Ninh", "Tỉnh Bắc Ninh")


def test_the_bodies_change_on_the_day_of_the_merger(engine):
    with transaction(engine, write=True) as s:
        load_reference(s)
    with transaction(engine) as s:
        assert _names(s, date(2024, 2, 1)) == BAC_GIANG
        assert _names(s, date(2024, 12, 1)) == BAC_GIANG
        assert _names(s, date(2025, 6, 30)) == BAC_GIANG
        assert _names(s, date(2025, 7, 1)) == BAC_NINH
        assert _names(s, date(2026, 12, 1)) == BAC_NINH


def test_a_district_committee_is_never_the_province(engine):
    with transaction(engine, write=True) as s:
        load_reference(s)
        # Only the district committees left: the province's are gone from the table.
        s.execute(Agency.__table__.delete().where(Agency.code.in_(("ubnd-tinh-bg", "ubnd-tinh-bn"))))
        assert s.scalar(select(Agency.locality_id).where(Agency.code == "ubnd-luc-ngan")) is not None
    with transaction(engine) as s:
        i = issuers_on(s, date(2024, 12, 1))
        assert i.ubnd is None and i.police.name == "Công an tỉnh Bắc Giang"


def test_an_empty_table_falls_back_and_a_day_outside_every_validity_takes_the_nearest(engine):
    with transaction(engine) as s:
        empty = issuers_on(s, date(2026, 12, 1))
    assert (empty.ubnd, empty.police, empty.province) == (None, None, FALLBACK_PROVINCE)
    with transaction(engine, write=True) as s:
        s.add(
            Agency(
                code="cat-bn",
                name="Công an tỉnh Bắc Ninh",
                kind="cong_an",
                valid_from=date(2025, 7, 1),
                superior="Bộ Công an",
                place="Bắc Ninh",
            )
        )
    with transaction(engine) as s:
        assert issuers_on(s, date(2024, 12, 1)).police.name == "Công an tỉnh Bắc Ninh"
        assert issuers_on(s, date(2024, 12, 1)).province_title == "Tỉnh Bắc Ninh"


def test_a_body_the_office_retired_is_not_the_issuer_after_it(engine):
    with transaction(engine, write=True) as s:
        load_reference(s)
        # Two police of one province for a while: the older one retired by the office on 1/1/2026.
        s.add(
            Agency(
                code="ca-moi",
                name="Công an tỉnh Bắc Ninh (mới)",
                kind="cong_an",
                valid_from=date(2026, 1, 1),
                superior="Bộ Công an",
                place="Bắc Ninh",
                sort_order=99,
            )
        )
        old = s.scalar(select(Agency).where(Agency.code == "cat-bn"))
        old.retired_on = date(2026, 1, 1)
    with transaction(engine) as s:
        assert issuers_on(s, date(2025, 12, 31)).police.name == "Công an tỉnh Bắc Ninh"
        assert issuers_on(s, date(2026, 1, 1)).police.name == "Công an tỉnh Bắc Ninh (mới)"
