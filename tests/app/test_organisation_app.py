"""The overview on the structure valid at the as-of date, through AppTest, on the demo: its districts
end on 30/06/2025 (Yên Dũng already joined thành phố Bắc Giang on 1/1/2025) and the 23 phường/xã of
1/7/2025, each grouped under the former district, stand on their own."""

from datetime import date

import pytest
from sqlalchemy import select

from lib.core.filters import REGROUP_LABEL
from lib.data.db import make_engine, transaction
from lib.data.models import Locality, Unit
from tests.support.apptest import open_page

pytestmark = pytest.mark.usefixtures("fresh_caches")
OTHERS = ["Huyện Yên Dũng", "Thị xã Việt Yên", "Thành phố Bắc Giang"]
HISTORY = " (cấp huyện, đến 30/06/2025)"  # the row of a district's own work before the level ended
GROUPS = {"Huyện Lục Ngạn", "Thị xã Chũ", "Thị xã Việt Yên", "Thành phố Bắc Giang"}


@pytest.fixture
def ended(monkeypatch, demo_copy):
    """The names of today's units grouped under huyện Lục Ngạn, which ended on 30/06/2025."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    engine = make_engine(f"sqlite:///{demo_copy}")
    with transaction(engine) as s:
        assert s.scalar(select(Locality.valid_to).where(Locality.code == "luc-ngan")) == date(2025, 6, 30)
        units = s.scalars(
            select(Unit.name)
            .join(Locality)
            .where(Locality.code == "luc-ngan", Unit.valid_to.is_(None))
            .order_by(Unit.name)
        ).all()
    engine.dispose()
    return units


def _league(at):
    return at.dataframe[0].value


def test_the_overview_lists_the_places_of_the_as_of_date_and_regroups_on_request(ended):
    at = open_page("lanhdao", ngay="2024-06-30")
    switch = at.toggle(key="overview_regroup")
    assert switch.label == REGROUP_LABEL and switch.value is False
    league = _league(at)
    assert sorted(league["locality"]) == sorted(["Huyện Lục Ngạn", *OTHERS])
    assert "group" not in league.columns

    switch.set_value(True).run()
    assert not at.exception
    assert at.query_params["gop"] in ("1", ["1"])
    league = _league(at)
    mine = league[league["group"] == "Huyện Lục Ngạn"]
    assert len(mine) == len(ended) + 1 and len(ended) == 7
    assert all(any(name.endswith(f" {unit}") for name in mine["locality"]) for unit in ended)
    assert "Huyện Lục Ngạn" not in set(league["locality"])
    assert f"Huyện Lục Ngạn{HISTORY}" in set(mine["locality"])
    assert set(league["group"]) == GROUPS
    # today's structure: Yên Dũng's work of 2024 counts under thành phố Bắc Giang, which it joined
    before = _league(open_page("lanhdao", ngay="2024-06-30")).set_index("locality")["tasks"]
    regrouped = league.set_index("locality")["tasks"]
    assert (
        regrouped[f"Thành phố Bắc Giang{HISTORY}"] == before["Thành phố Bắc Giang"] + before["Huyện Yên Dũng"]
    )
    assert int(league["tasks"].sum()) == int(before.sum())


def test_as_of_today_the_units_of_an_ended_district_stand_on_their_own(ended):
    league = _league(open_page("lanhdao"))
    mine = league[league["group"] == "Huyện Lục Ngạn"]
    assert all(any(name.endswith(f" {unit}") for name in mine["locality"]) for unit in ended)
    assert set(league["group"]) == GROUPS  # no place of today stands outside a former district
    units = league[~league["locality"].str.endswith(HISTORY)]
    assert len(units) == 23 and not set(OTHERS) & set(league["locality"])
