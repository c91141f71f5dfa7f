"""Altair chart builders, and `show`, which draws one without converting it again on every rerun.

A builder takes the figures a page already holds (a loader's result) and returns a chart. Pages call
`show(builder, *figures)`: the Vega-Lite spec and its Arrow datasets are built (and validated by Altair)
once per distinct figures, then served from a process-wide cache keyed by the builder and a digest of the
pickled figures, so a rerun whose figures did not change costs a pickle, a digest and a dictionary look-up
instead of Altair's `to_dict`."""

from __future__ import annotations

import hashlib
import json
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

import altair as alt
import pandas as pd
import streamlit as st

# Streamlit's own Altair → Vega-Lite conversion (what `st.altair_chart` runs on every call): the same
# theme handling, the same Arrow datasets and dataset names, so `st.vega_lite_chart` sends the browser
# exactly what `st.altair_chart` sent (tests/ui/test_chart_specs.py compares the two).
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from lib.core import rules
from lib.core.figures import Funding, RoadmapPoint

AnyChart = alt.Chart | alt.LayerChart | alt.FacetChart
Spec = tuple[str, tuple[tuple[str, Any], ...]]  # the spec's JSON without datasets; the datasets by name

_SPECS_KEPT = 512  # distinct (builder, figures) pairs, the least recently drawn dropped first; a few kB each
_specs: OrderedDict[str, Spec | None] = OrderedDict()
_specs_lock = threading.Lock()
_conversions = 0


def conversions() -> int:
    """How many charts this process has converted to Vega-Lite through `show` (cache misses)."""
    return _conversions


def clear_specs() -> None:
    """Forget every converted chart (tests; the cache is keyed by content, so it is never stale)."""
    with _specs_lock:
        _specs.clear()


def _convert(build: Callable[..., AnyChart | None], figures: tuple[Any, ...], projector: bool) -> Spec | None:
    """The Vega-Lite spec of `build(*figures)` (`for_projector` if asked) and its Arrow datasets."""
    global _conversions
    chart = build(*figures)
    if chart is None:
        return None
    if projector:
        chart = for_projector(chart)
    spec = _convert_altair_to_vega_lite_spec(chart)  # Altair's to_dict, validation included
    datasets = spec.pop("datasets", {})
    with _specs_lock:
        _conversions += 1
    return json.dumps(spec), tuple(datasets.items())  # immutable: shared by every session


def show(
    build: Callable[..., AnyChart | None],
    *figures: Any,
    width: Literal["stretch", "content"] = "stretch",
    projector: bool = False,
) -> None:
    """Draw `build(*figures)` (nothing if it returns None), as `st.altair_chart(chart, width=width)` would.

    `build` must be a module-level function (its name keys the cache) that depends on nothing but
    `figures` (and constants); `projector` draws the chart `for_projector`.
    """
    if "<" in build.__qualname__:  # a lambda or a nested function: two of them may share a name
        raise ValueError(f"charts.show needs a module-level function, not {build.__qualname__}")
    digest = hashlib.blake2b(pickle.dumps(figures, protocol=5), digest_size=20).hexdigest()
    key = f"{build.__module__}.{build.__qualname__}:{int(projector)}:{digest}"
    # A plain dictionary: st.cache_resource inspects the function's signature on every call, which cost
    # more than the rest of a hit. Two sessions missing the same key at once both convert; same result.
    with _specs_lock:
        hit = key in _specs
        if hit:
            _specs.move_to_end(key)
            cached = _specs[key]
    if not hit:
        cached = _convert(build, figures, projector)
        with _specs_lock:
            _specs[key] = cached
            while len(_specs) > _SPECS_KEPT:
                _specs.popitem(last=False)
    if cached is None:
        return
    text, datasets = cached
    spec = json.loads(text)  # a fresh dict each run: Streamlit patches parts of it in place
    spec["datasets"] = dict(datasets)
    st.vega_lite_chart(spec, width=width)


PROVINCE_LABEL = "Cấp tỉnh"
_BUCKET_SCALE = alt.Scale(
    domain=[rules.BUCKET_LABELS[b] for b in rules.BUCKETS],
    range=[rules.BUCKET_COLORS[b] for b in rules.BUCKETS],
)
_FUNDING_LABELS = {"planned": "Dự toán", "allocated": "Đã bố trí vốn", "disbursed": "Đã giải ngân"}
_FUNDING_SCALE = alt.Scale(domain=list(_FUNDING_LABELS.values()), range=["#b0bec5", "#42a5f5", "#1b5e20"])


def bucket_frame(by_locality: dict[str | None, rules.BucketSummary], names: dict[str, str]) -> pd.DataFrame:
    """Flatten per-locality bucket counts into rows of (locality, bucket label, order, count)."""
    rows = []
    for code, summary in by_locality.items():
        place = names.get(code, code) if code else PROVINCE_LABEL
        for order, bucket in enumerate(rules.BUCKETS):
            if summary.count(bucket):
                rows.append(
                    {
                        "locality": place,
                        "bucket": rules.BUCKET_LABELS[bucket],
                        "order": order,
                        "count": summary.count(bucket),
                    }
                )
    return pd.DataFrame(rows, columns=["locality", "bucket", "order", "count"])


def buckets_by_locality_chart(
    by_locality: dict[str | None, rules.BucketSummary], names: dict[str, str]
) -> alt.Chart:
    """Stacked bars of tasks per official bucket for each locality, one colour per bucket."""
    frame = bucket_frame(by_locality, names)
    chart: alt.Chart = (
        alt.Chart(frame, title="Nhiệm vụ theo tình trạng và địa bàn")
        .mark_bar()
        .encode(
            y=alt.Y("locality:N", title=None, sort=None),
            x=alt.X("sum(count):Q", title="Số nhiệm vụ", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "bucket:N",
                title="Tình trạng",
                scale=_BUCKET_SCALE,
                legend=alt.Legend(orient="bottom", columns=3),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("locality:N", title="Địa bàn"),
                alt.Tooltip("bucket:N", title="Tình trạng"),
                alt.Tooltip("count:Q", title="Số nhiệm vụ"),
            ],
        )
    )
    return chart


def funding_frame(by_locality: dict[str, Funding], names: dict[str, str]) -> pd.DataFrame:
    """Flatten funding per locality into rows of (locality, stage label, tỷ đồng, đồng)."""
    rows = []
    for code, funding in by_locality.items():
        for field, label in _FUNDING_LABELS.items():
            amount = int(getattr(funding, field))
            rows.append(
                {
                    "locality": names.get(code, code),
                    "kind": label,
                    "billion": amount / 1_000_000_000,
                    "vnd": amount,
                }
            )
    return pd.DataFrame(rows, columns=["locality", "kind", "billion", "vnd"])


def funding_by_locality_chart(by_locality: dict[str, Funding], names: dict[str, str]) -> alt.Chart:
    """Grouped bars of planned, allocated and disbursed money per locality, in tỷ đồng."""
    frame = funding_frame(by_locality, names)
    chart: alt.Chart = (
        alt.Chart(frame, title="Kinh phí xây dựng trụ sở theo địa bàn (tỷ đồng)")
        .mark_bar()
        .encode(
            x=alt.X("locality:N", title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("kind:N", sort=list(_FUNDING_LABELS.values())),
            y=alt.Y("billion:Q", title="Tỷ đồng"),
            color=alt.Color("kind:N", title=None, scale=_FUNDING_SCALE, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("locality:N", title="Địa bàn"),
                alt.Tooltip("kind:N", title="Khoản"),
                alt.Tooltip("billion:Q", title="Tỷ đồng", format=",.2f"),
            ],
        )
    )
    return chart


def deadlines_frame(rows: list[tuple[int, int, str, int]]) -> pd.DataFrame:
    """Turn (year, month, place, count) rows into a frame with an mm/yyyy label."""
    frame = pd.DataFrame(rows, columns=["year", "month", "locality", "count"])
    frame["label"] = [f"{m:02d}/{y}" for y, m in zip(frame["year"], frame["month"], strict=True)]
    frame["sort_key"] = frame["year"] * 100 + frame["month"]
    return frame


def deadlines_chart(rows: list[tuple[int, int, str, int]]) -> alt.Chart:
    """Stacked bars of unfinished tasks by month of deadline, coloured by locality."""
    frame = deadlines_frame(rows)
    order = list(dict.fromkeys(frame.sort_values("sort_key")["label"]))
    chart: alt.Chart = (
        alt.Chart(frame, title="Nhiệm vụ chưa hoàn thành đến hạn trong các tháng tới")
        .mark_bar()
        .encode(
            x=alt.X("label:N", title="Tháng", sort=order, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(count):Q", title="Số nhiệm vụ", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("locality:N", title="Địa bàn", legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("label:N", title="Tháng"),
                alt.Tooltip("locality:N", title="Địa bàn"),
                alt.Tooltip("count:Q", title="Số nhiệm vụ"),
            ],
        )
    )
    return chart


def disbursement_frame(
    by_locality: dict[str, Funding], names: dict[str, str], below: set[str]
) -> pd.DataFrame:
    """Rows of (locality, disbursement %, below the average?) for localities with money allocated."""
    rows = [
        {
            "locality": names.get(code, code),
            "rate": round(100 * f.disbursement_rate, 1),
            "status": "Dưới mức bình quân" if code in below else "Bằng hoặc trên bình quân",
        }
        for code, f in by_locality.items()
        if f.disbursement_rate is not None
    ]
    return pd.DataFrame(rows, columns=["locality", "rate", "status"])


def disbursement_chart(
    by_locality: dict[str, Funding], names: dict[str, str], below: set[str], average: float | None
) -> alt.LayerChart | alt.Chart:
    """Disbursement rate per locality against the provincial average; those below it in red."""
    frame = disbursement_frame(by_locality, names, below)
    bars: alt.Chart = (
        alt.Chart(frame, title="Tỷ lệ giải ngân so với bình quân toàn tỉnh (%)")
        .mark_bar()
        .encode(
            y=alt.Y("locality:N", title=None, sort=None),
            x=alt.X("rate:Q", title="Đã giải ngân / vốn đã bố trí (%)", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(
                    domain=["Dưới mức bình quân", "Bằng hoặc trên bình quân"], range=["#c62828", "#2e7d32"]
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("locality:N", title="Địa bàn"),
                alt.Tooltip("rate:Q", title="Tỷ lệ giải ngân (%)", format=".1f"),
                alt.Tooltip("status:N", title="So với bình quân"),
            ],
        )
    )
    if average is None:
        return bars
    line_frame = pd.DataFrame(
        [
            {
                "average": round(100 * average, 1),
                "label": f"Bình quân tỉnh: {100 * average:.1f}%".replace(".", ","),
            }
        ]
    )
    rule = alt.Chart(line_frame).mark_rule(color="#263238", strokeDash=[6, 3], size=2).encode(x="average:Q")
    text = (
        alt.Chart(line_frame)
        .mark_text(align="left", dx=4, dy=-8, color="#263238")
        .encode(x="average:Q", y=alt.value(0), text="label:N")
    )
    layered: alt.LayerChart = alt.LayerChart(layer=[bars, rule, text])
    return layered


def stage_frame(stages: dict[tuple[str, str], int], names: dict[str, str]) -> pd.DataFrame:
    """Rows of (locality, stage label, order, projects)."""
    order = list(rules.STAGE_LABELS)
    places = list(names)
    rows = [
        {
            "locality": names.get(code, code),
            "stage": rules.STAGE_LABELS.get(stage, stage),
            "order": order.index(stage) if stage in order else len(order),
            "count": n,
        }
        for (code, stage), n in sorted(
            stages.items(), key=lambda kv: places.index(kv[0][0]) if kv[0][0] in places else len(places)
        )
    ]
    return pd.DataFrame(rows, columns=["locality", "stage", "order", "count"])


def stage_chart(stages: dict[tuple[str, str], int], names: dict[str, str]) -> alt.Chart:
    """Stacked bars of projects per stage for each locality, from no land (red) to in use (green)."""
    frame = stage_frame(stages, names)
    chart: alt.Chart = (
        alt.Chart(frame, title="Dự án trụ sở theo giai đoạn")
        .mark_bar()
        .encode(
            y=alt.Y("locality:N", title=None, sort=None),
            x=alt.X("sum(count):Q", title="Số dự án", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "stage:N",
                title="Giai đoạn",
                scale=alt.Scale(
                    domain=list(rules.STAGE_LABELS.values()), range=list(rules.STAGE_COLORS.values())
                ),
                legend=alt.Legend(orient="bottom", columns=3),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("locality:N", title="Địa bàn"),
                alt.Tooltip("stage:N", title="Giai đoạn"),
                alt.Tooltip("count:Q", title="Số dự án"),
            ],
        )
    )
    return chart


_COMPLETION_LABELS = {"planned": "Theo kế hoạch", "actual": "Thực tế"}


def completion_frame(rows: list[tuple[date, str, int]]) -> pd.DataFrame:
    """Cumulative projects completed by month: planned against actual."""
    records = []
    for kind, label in _COMPLETION_LABELS.items():
        running = 0
        for month, k, n in sorted(rows):
            if k != kind:
                continue
            running += n
            records.append({"month": pd.Timestamp(month), "kind": label, "count": running})
    return pd.DataFrame(records, columns=["month", "kind", "count"])


def completion_chart(rows: list[tuple[date, str, int]]) -> alt.Chart:
    """Lines of projects completed so far, as planned and as they actually happened."""
    frame = completion_frame(rows)
    chart: alt.Chart = (
        alt.Chart(frame, title="Số trụ sở hoàn thành lũy kế: kế hoạch và thực tế")
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=alt.X("month:T", title="Tháng", axis=alt.Axis(format="%m/%Y")),
            y=alt.Y("count:Q", title="Số dự án (lũy kế)", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=list(_COMPLETION_LABELS.values()), range=["#90a4ae", "#1b5e20"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("month:T", title="Tháng", format="%m/%Y"),
                alt.Tooltip("kind:N", title="Số liệu"),
                alt.Tooltip("count:Q", title="Lũy kế"),
            ],
        )
    )
    return chart


def roadmap_frame(points: list[RoadmapPoint], names: dict[str, str]) -> pd.DataFrame:
    """Rows of (locality, year, series, %): registered and recognised shares, and the reference path."""
    rows = []
    for p in points:
        place = names.get(p.locality, p.locality)
        for series, share in (("Đã đăng ký", p.registered_share), ("Được công nhận", p.recognised_share)):
            if share is not None:
                rows.append(
                    {"locality": place, "year": p.year, "series": series, "pct": round(100 * share, 1)}
                )
        rows.append(
            {
                "locality": place,
                "year": p.year,
                "series": "Lộ trình tham chiếu",
                "pct": round(100 * rules.reference_share(p.year), 1),
            }
        )
    return pd.DataFrame(rows, columns=["locality", "year", "series", "pct"])


def roadmap_chart(points: list[RoadmapPoint], names: dict[str, str]) -> alt.FacetChart | alt.LayerChart:
    """Per locality: share of wards registered and recognised by year, against the path to 100% in 2030."""
    frame = roadmap_frame(points, names)
    chart: alt.FacetChart | alt.LayerChart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title="Năm", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("pct:Q", title="% số phường", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(
                    domain=["Đã đăng ký", "Được công nhận", "Lộ trình tham chiếu"],
                    range=["#1565c0", "#2e7d32", "#b0bec5"],
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.condition(
                alt.datum.series == "Lộ trình tham chiếu", alt.value([5, 4]), alt.value([1, 0])
            ),
            tooltip=[
                alt.Tooltip("locality:N", title="Địa bàn"),
                alt.Tooltip("year:O", title="Năm"),
                alt.Tooltip("series:N", title="Số liệu"),
                alt.Tooltip("pct:Q", title="%", format=".1f"),
            ],
        )
        .properties(width=220, height=180)
        .facet(facet=alt.Facet("locality:N", title=None, sort=None), columns=2)
        .properties(title="Lộ trình phường kiểu mẫu đến năm 2030")
    )
    return chart


PROJECTOR_TYPE = 20  # px, against Vega-Lite's 11-13 on a screen
PROJECTOR_SCALE = 1.6  # how much a band per place grows with that type (room for two lines of label)
PROJECTOR_HEIGHT = 460  # px, the whole chart (Streamlit fits it to the container)


def for_projector(chart: AnyChart) -> AnyChart:
    """The same chart with type large enough for a meeting room: 460 px high, or, for a chart whose
    height is a step per band (one per place, say), that step grown with the type."""
    step = getattr(chart, "height", None)
    height = alt.Step(round(step.step * PROJECTOR_SCALE)) if isinstance(step, alt.Step) else PROJECTOR_HEIGHT
    big: AnyChart = (
        chart.properties(height=height)
        .configure_axis(labelFontSize=PROJECTOR_TYPE, titleFontSize=PROJECTOR_TYPE, labelLimit=400)
        .configure_legend(
            labelFontSize=PROJECTOR_TYPE,
            titleFontSize=PROJECTOR_TYPE,
            symbolSize=300,
            labelLimit=500,
            columns=2,
        )
        .configure_title(fontSize=26)
    )
    return big
