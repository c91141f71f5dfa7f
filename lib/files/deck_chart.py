"""The meeting pack's cover chart, drawn by the page and rendered into the files (`lib.files.deck`).

Kept apart from the file renderers so that showing the deck does not load python-pptx and fpdf2."""

from __future__ import annotations

import altair as alt
import pandas as pd

from lib.core import rules
from lib.data.deck import Slide

# A place with a note in brackets ("Thành phố Bắc Giang (cấp huyện, đến 30/06/2025)") on two lines, the
# note below: on one line it was cut at the label limit in the page's half-width column.
TWO_LINES = (
    "indexof(datum.label, ' (') > 0 ? [slice(datum.label, 0, indexof(datum.label, ' (')),"
    " slice(datum.label, indexof(datum.label, ' (') + 1)] : datum.label"
)
ROW_PX = 34  # the height of a place's bar band: room for its two lines of label


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
            y=alt.Y("place:N", title=None, sort="-x", axis=alt.Axis(labelLimit=320, labelExpr=TWO_LINES)),
            x=alt.X("sum(tasks):Q", title="Số nhiệm vụ"),
            color=alt.Color(
                "bucket:N",
                title=None,
                scale=alt.Scale(domain=order, range=colours),
                legend=alt.Legend(orient="bottom", columns=1, labelLimit=400),  # wider overflowed a half page
            ),
            order=alt.Order("bucket:N"),
            tooltip=[
                alt.Tooltip("place:N", title="Địa bàn"),
                alt.Tooltip("bucket:N", title="Tình trạng"),
                alt.Tooltip("tasks:Q", title="Số nhiệm vụ"),
            ],
        )
        .properties(height=alt.Step(ROW_PX))
    )
    return chart
