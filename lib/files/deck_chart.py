"""The meeting pack's cover chart, drawn by the page and rendered into the files (`lib.files.deck`).

Kept apart from the file renderers so that showing the deck does not load python-pptx and fpdf2."""

from __future__ import annotations

import altair as alt
import pandas as pd

from lib.core import rules
from lib.data.deck import Slide


def cover_chart(slide: Slide) -> alt.Chart | None:
    """The cover's tasks by bucket and place (the page draws it too), unconfigured; None if empty."""
    if not slide.chart:
        return None
    frame = pd.DataFrame(list(slide.chart), columns=["place", "bucket", "tasks"])
    order = [rules.BUCKET_LABELS[c] for c in rules.COUNTED_BUCKETS]
    colours = [rules.BUCKET_COLORS[c] for c in rules.COUNTED_BUCKETS]
    chart: alt.Chart = (
        alt.Chart(frame, title="Nhiệm vụ theo tình trạng và địa bàn")
        .mark_bar()
        .encode(
            y=alt.Y("place:N", title=None, sort="-x", axis=alt.Axis(labelLimit=320)),
            x=alt.X("sum(tasks):Q", title="Số nhiệm vụ"),
            color=alt.Color(
                "bucket:N",
                title=None,
                scale=alt.Scale(domain=order, range=colours),
                legend=alt.Legend(orient="bottom", columns=3, labelLimit=240),
            ),
            order=alt.Order("bucket:N"),
            tooltip=[
                alt.Tooltip("place:N", title="Địa bàn"),
                alt.Tooltip("bucket:N", title="Tình trạng"),
                alt.Tooltip("tasks:Q", title="Số nhiệm vụ"),
            ],
        )
    )
    return chart
