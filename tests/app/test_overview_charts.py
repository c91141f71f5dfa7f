"""The overview's charts carry the database's figures, and a rerun whose figures did not change sends the
same charts without converting any of them to Vega-Lite again (Altair's `to_dict` is not called)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import altair as alt
import pyarrow as pa
import pytest
from sqlalchemy import select

from lib.core import rules
from lib.data.db import make_engine, transaction
from lib.data.models import Locality, Task
from lib.ui import charts
from tests.support.apptest import open_page
from tests.support.demo import AS_OF

pytestmark = pytest.mark.usefixtures("fresh_caches")

TopLevel = alt.TopLevelMixin  # every chart's to_dict goes through it


@pytest.fixture
def demo_env(monkeypatch, demo_sqlite_file):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_sqlite_file}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    monkeypatch.delenv("PAGE_SIZE", raising=False)
    return demo_sqlite_file


@pytest.fixture
def to_dict_calls(monkeypatch) -> Iterator[list[str]]:
    """Every Altair chart's to_dict, counted (and run as usual)."""
    calls: list[str] = []
    original: Callable[..., Any] = TopLevel.to_dict

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TopLevel, "to_dict", counted)
    yield calls


def _buckets_of(db_file, code: str) -> dict[str, int]:
    """{bucket label: tasks} of a district as of the demo's date, counted from the rows."""
    with transaction(make_engine(f"sqlite:///{db_file}")) as s:
        stmt = select(Task.state, Task.current_deadline, Task.completed_on).join(Locality)
        summary = rules.summarize(
            rules.task_bucket(*row, AS_OF) for row in s.execute(stmt.where(Locality.code == code))
        )
    return {rules.BUCKET_LABELS[b]: summary.count(b) for b in rules.BUCKETS if summary.count(b)}


def _chart_rows(chart: Any) -> list[dict[str, Any]]:
    (dataset,) = chart.proto.datasets
    rows: list[dict[str, Any]] = pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()
    return rows


def _shown(at) -> dict[str, Any]:
    return {json.loads(c.proto.spec)["title"]: c for c in at.get("vega_lite_chart")}


def test_the_overview_charts_carry_the_counts_of_the_rows(demo_env):
    shown = _shown(open_page("lanhdao"))
    assert list(shown) == [
        "Nhiệm vụ theo tình trạng và địa bàn",
        "Kinh phí xây dựng trụ sở theo địa bàn (tỷ đồng)",
        "Nhiệm vụ chưa hoàn thành đến hạn trong các tháng tới",
    ]
    rows = _chart_rows(shown["Nhiệm vụ theo tình trạng và địa bàn"])
    luc_ngan = {r["bucket"]: r["count"] for r in rows if r["locality"] == "Huyện Lục Ngạn"}
    assert luc_ngan == _buckets_of(demo_env, "luc-ngan")
    assert sum(luc_ngan.values()) == 10
    money = _chart_rows(shown["Kinh phí xây dựng trụ sở theo địa bàn (tỷ đồng)"])
    assert {
        "locality": "Thị xã Việt Yên",
        "kind": "Dự toán",
        "billion": 44.88,
        "vnd": 44_880_000_000,
    } in money


def test_a_rerun_with_the_same_figures_converts_no_chart(demo_env, to_dict_calls):
    at = open_page("lanhdao")
    first = [c.proto for c in at.get("vega_lite_chart")]
    converted, called = charts.conversions(), len(to_dict_calls)
    at.run()
    assert not at.exception
    assert [c.proto for c in at.get("vega_lite_chart")] == first  # the browser gets the same charts
    assert charts.conversions() == converted
    assert len(to_dict_calls) == called

    at.sidebar.multiselect[0].set_value(["luc-ngan"]).run()  # other figures: converted once
    assert not at.exception
    assert charts.conversions() > converted and len(to_dict_calls) > called
    rows = _chart_rows(_shown(at)["Nhiệm vụ theo tình trạng và địa bàn"])
    assert {r["locality"] for r in rows} == {"Huyện Lục Ngạn"}
    assert {r["bucket"]: r["count"] for r in rows} == _buckets_of(demo_env, "luc-ngan")
