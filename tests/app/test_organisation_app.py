"""The overview on the structure valid at the as-of date, through AppTest: a copy of the demo in
which huyện Lục Ngạn ends on 30/06/2025 (its units then stand on their own)."""

from datetime import date

import pytest
from sqlalchemy import select, update

from lib.core.filters import REGROUP_LABEL
from lib.data.db import make_engine, transaction
from lib.data.models import Locality, Unit
from tests.support.apptest import open_page

pytestmark = pytest.mark.usefixtures("fresh_caches")
OTHERS = ["Huyện Yên Dũng", "Thị xã Việt Yên", "Thành phố Bắc Giang"]


@pytest.fixture
def ended(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    engine = make_engine(f"sqlite:///{demo_copy}")
    with transaction(engine, write=True) as s:
        s.execute(update(Locality).where(Locality.code == "luc-ngan").values(valid_to=date(2025, 6, 30)))
        units = s.scalars(
            select(Unit.name).join(Locality).where(Locality.code == "luc-ngan").order_by(Unit.name)
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
    assert len(mine) >= len(ended) > 0
    assert all(any(name.endswith(f" {unit}") for name in mine["locality"]) for unit in ended)
    assert "Huyện Lục Ngạn" not in set(league["locality"])
    assert set(OTHERS) <= set(league["locality"])
    assert int(league["tasks"].sum()) == int(_league(open_page("lanhdao", ngay="2024-06-30"))["tasks"].sum())


def test_as_of_today_the_units_of_an_ended_district_stand_on_their_own(ended):
    league = _league(open_page("lanhdao"))
    mine = league[league["group"] == "Huyện Lục Ngạn"]
    assert all(any(name.endswith(f" {unit}") for name in mine["locality"]) for unit in ended)
    assert set(league.loc[league["group"] == "", "locality"]) == set(OTHERS)
