"""`charts.show` sends the browser exactly what `st.altair_chart` sent for every chart the app draws, and
converts a chart once per distinct figures: a rerun with the same figures reuses the spec."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from lib.core import rules
from lib.core.figures import Funding, RoadmapPoint
from lib.data.deck import Slide
from lib.ui import charts

pytestmark = pytest.mark.usefixtures("fresh_caches")

NAMES = {"luc-ngan": "Huyện Lục Ngạn", "viet-yen": "Thị xã Việt Yên"}
BUCKETS = {
    None: rules.BucketSummary({rules.ON_TIME: 16, rules.OVERDUE: 5}),
    "luc-ngan": rules.BucketSummary({rules.ON_TIME: 8, rules.OVERDUE: 1, rules.NOT_DUE: 1}),
}
FUNDING = {
    "luc-ngan": Funding(
        planned=22_960_000_000, allocated=13_609_000_000, disbursed=9_140_628_000, projects=2
    ),
    "viet-yen": Funding(
        planned=44_880_000_000, allocated=28_133_000_000, disbursed=20_485_012_000, projects=3
    ),
}
COVER = Slide(
    key="cover",
    title="Tình hình thực hiện",
    subtitle="",
    figures=(),
    chart=(("Huyện Lục Ngạn", rules.BUCKET_LABELS[rules.ON_TIME], 8), ("Cấp tỉnh", "Quá hạn", 5)),
)

DEADLINES = [(2026, 12, "Cấp tỉnh", 6), (2027, 1, "Huyện Lục Ngạn", 1)]
STAGES = {("luc-ngan", "chua_bo_tri_dat"): 2, ("viet-yen", "da_bo_tri_dat"): 1}
COMPLETIONS = [(date(2026, 1, 1), "planned", 1), (date(2026, 3, 1), "actual", 1)]
ROADMAP = [RoadmapPoint("luc-ngan", 2024, 4, 1, 0), RoadmapPoint("luc-ngan", 2025, 5, 2, 1)]

# (module, builder, figures, width, projector, rows of the first dataset)
CASES: list[tuple[str, str, tuple[Any, ...], str, bool, int]] = [
    ("lib.ui.charts", "buckets_by_locality_chart", (BUCKETS, NAMES), "stretch", False, 5),
    ("lib.ui.charts", "funding_by_locality_chart", (FUNDING, NAMES), "stretch", False, 6),
    ("lib.ui.charts", "funding_by_locality_chart", (FUNDING, NAMES), "stretch", True, 6),
    ("lib.ui.charts", "deadlines_chart", (DEADLINES,), "stretch", False, 2),
    ("lib.ui.charts", "disbursement_chart", (FUNDING, NAMES, {"luc-ngan"}, 0.62), "stretch", False, 2),
    ("lib.ui.charts", "disbursement_chart", (FUNDING, NAMES, set(), None), "stretch", False, 2),
    ("lib.ui.charts", "stage_chart", (STAGES, NAMES), "stretch", False, 2),
    ("lib.ui.charts", "completion_chart", (COMPLETIONS,), "stretch", False, 2),
    ("lib.ui.charts", "roadmap_chart", (ROADMAP, NAMES), "content", False, 6),
    ("lib.files.deck_chart", "cover_chart", (COVER,), "stretch", True, 2),
]


def _both(module, name, figures, width, projector):  # an AppTest script: its source runs alone
    """The chart drawn by `st.altair_chart`, then by `charts.show`."""
    import importlib

    import streamlit as st

    from lib.ui import charts

    build = getattr(importlib.import_module(module), name)
    chart = build(*figures)
    st.altair_chart(charts.for_projector(chart) if projector else chart, width=width)
    charts.show(build, *figures, width=width, projector=projector)


def _rows(proto: Any) -> int:
    return int(pa.ipc.open_stream(proto.datasets[0].data.data).read_all().num_rows)


@pytest.mark.parametrize(("module", "name", "figures", "width", "projector", "rows"), CASES)
def test_show_sends_what_altair_chart_sent(module, name, figures, width, projector, rows):
    at = AppTest.from_function(
        _both, args=(module, name, figures, width, projector), default_timeout=30
    ).run()
    assert not at.exception, at.exception
    by_altair, by_show = at.get("vega_lite_chart")
    assert by_show.proto == by_altair.proto  # spec, datasets (names and Arrow bytes), theme
    assert _rows(by_show.proto) == rows


def _twice(figures):
    from lib.ui import charts

    charts.show(charts.funding_by_locality_chart, *figures)
    charts.show(charts.funding_by_locality_chart, *figures)


def test_the_same_figures_are_converted_once_and_new_figures_once_more():
    at = AppTest.from_function(_twice, args=((FUNDING, NAMES),), default_timeout=30)
    before = charts.conversions()
    at.run()
    assert not at.exception, at.exception
    assert charts.conversions() == before + 1  # two charts on the page, one conversion
    at.run()
    assert charts.conversions() == before + 1  # a rerun converts nothing
    first = [c.proto for c in at.get("vega_lite_chart")]
    assert len(first) == 2 and first[0] == first[1]

    more = {**FUNDING, "luc-ngan": Funding(planned=1_000_000_000, allocated=1_000_000_000, disbursed=0)}
    at = AppTest.from_function(_twice, args=((more, NAMES),), default_timeout=30).run()
    assert charts.conversions() == before + 2
    changed = at.get("vega_lite_chart")[0].proto
    assert changed.datasets[0].data.data != first[0].datasets[0].data.data


def _nested():
    from lib.ui import charts

    def local_builder():
        return None

    charts.show(local_builder)


def test_a_nested_builder_is_refused_because_its_name_cannot_key_the_cache():
    at = AppTest.from_function(_nested, default_timeout=30).run()
    assert at.exception and "module-level function" in at.exception[0].message


def _rounds(figure_sets):
    from lib.ui import charts

    for figures in figure_sets:
        charts.show(charts.funding_by_locality_chart, *figures)


def test_the_cache_keeps_the_charts_drawn_last_and_drops_the_oldest(monkeypatch):
    def money(planned: int) -> tuple[Any, ...]:
        return ({"luc-ngan": Funding(planned=planned, allocated=planned, disbursed=0)}, NAMES)

    a, b, c = money(1_000_000_000), money(2_000_000_000), money(3_000_000_000)
    monkeypatch.setattr(charts, "_SPECS_KEPT", 2)
    before = charts.conversions()
    at = AppTest.from_function(_rounds, args=([a, b, a, c, a, b],), default_timeout=30).run()
    assert not at.exception, at.exception
    # a, b converted; a kept (drawn last); c drops b; a kept; b converted again
    assert charts.conversions() == before + 4
    billions = [_rows_of(chart)[0]["billion"] for chart in at.get("vega_lite_chart")]
    assert billions == [1.0, 2.0, 1.0, 3.0, 1.0, 2.0]


def _rows_of(chart: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().to_pylist()
    return rows
