"""Altair chart builders. They return charts; pages draw them."""

from __future__ import annotations

import altair as alt
import pandas as pd

from lib import rules
from lib.queries import Funding

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


def buckets_by_locality_chart(frame: pd.DataFrame) -> alt.Chart:
    """Stacked bars of tasks per official bucket for each locality, one colour per bucket."""
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


def funding_by_locality_chart(frame: pd.DataFrame) -> alt.Chart:
    """Grouped bars of planned, allocated and disbursed money per locality, in tỷ đồng."""
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


def deadlines_chart(frame: pd.DataFrame) -> alt.Chart:
    """Stacked bars of unfinished tasks by month of deadline, coloured by locality."""
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
