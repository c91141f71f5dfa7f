"""The naive baseline: what a typical Streamlit tutorial would write for the overview.

Every rerun reads the whole task, project and ward tables into pandas and filters and aggregates
there, without a cache. It returns the same `queries.Overview` as the real loader (a test checks
that the figures are identical), so the page draws exactly the same elements and only the data
path differs.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from lib.core import rules
from lib.core.figures import Funding, total_funding
from lib.core.filters import DUE_SOON, PROVINCE_LEVEL, Filters
from lib.data.db import Versions
from lib.data.queries import Overview, WardCounts, league_rows, total_buckets
from lib.ui.loaders import get_engine

TASKS_SQL = """
SELECT t.id, t.state, t.current_deadline, t.completed_on, t.updated_at,
       l.code AS locality, c.code AS clause, a.code AS agency
FROM task t
LEFT JOIN locality l ON l.id = t.locality_id
LEFT JOIN clause c ON c.id = t.clause_id
JOIN agency a ON a.id = t.lead_agency_id
"""
BASIS_SQL = "SELECT b.task_id, d.code AS document FROM task_basis b JOIN document d ON d.id = b.document_id"
HQ_SQL = """
SELECT l.code AS locality, h.planned_vnd, h.allocated_vnd, h.disbursed_vnd, h.updated_at
FROM hq_project h JOIN unit u ON u.id = h.unit_id JOIN locality l ON l.id = u.locality_id
"""
WARDS_SQL = """
SELECT l.code AS locality, w.unit_id, w.year_registered, w.recognised_on, w.updated_at
FROM model_ward w JOIN unit u ON u.id = w.unit_id JOIN locality l ON l.id = u.locality_id
"""
LOCALITIES_SQL = "SELECT code, name FROM locality ORDER BY sort_order"


def _dates(frame: pd.DataFrame, *columns: str) -> None:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column])


def buckets(tasks: pd.DataFrame, as_of: date) -> pd.Series:
    """rules.task_bucket, vectorised."""
    day = pd.Timestamp(as_of)
    deadline, done = tasks["current_deadline"], tasks["completed_on"]
    finished = (tasks["state"] == "hoan_thanh") & done.notna() & (done <= day)
    on_time = deadline.isna() | (done <= deadline)
    choice = np.select(
        [
            tasks["state"].isin(rules.EXCLUDED_STATES),
            finished & on_time,
            finished,
            deadline.notna() & (deadline < day),
            tasks["state"] == "chua_trien_khai",
        ],
        [rules.EXCLUDED, rules.ON_TIME, rules.LATE, rules.OVERDUE, rules.NOT_DUE],
        default=rules.IN_PROGRESS,
    )
    return pd.Series(choice, index=tasks.index)


def naive_overview(
    url: str,
    versions: Versions,
    filters: Filters,
    as_of: date,
    due_soon_days: int,
    regroup: bool = False,
    today: date | None = None,
) -> Overview:
    """Compute the overview in pandas from whole tables (no cache, on every rerun). The league is
    by locality, as it was before validity and succession: the baseline the benchmark compares
    with (the same rows while no reorganisation is recorded; `regroup` and `today` are ignored)."""
    engine = get_engine(url)
    tasks = pd.read_sql(TASKS_SQL, engine)
    basis = pd.read_sql(BASIS_SQL, engine)
    hq = pd.read_sql(HQ_SQL, engine)
    wards = pd.read_sql(WARDS_SQL, engine)
    names = dict(pd.read_sql(LOCALITIES_SQL, engine).itertuples(index=False))
    _dates(tasks, "current_deadline", "completed_on", "updated_at")
    _dates(wards, "recognised_on", "updated_at")
    _dates(hq, "updated_at")
    tasks = tasks.astype({"locality": object})
    tasks["bucket"] = buckets(tasks, as_of)
    day = pd.Timestamp(as_of)
    tasks["due_soon"] = (
        tasks["bucket"].isin([rules.IN_PROGRESS, rules.NOT_DUE])
        & tasks["current_deadline"].notna()
        & (tasks["current_deadline"] >= day)
        & (tasks["current_deadline"] <= day + pd.Timedelta(days=due_soon_days))
    )
    last_update = {
        code: max(
            f.loc[f["locality"] == code, "updated_at"].max()
            for f in (tasks, hq, wards)
            if (f["locality"] == code).any()
        )
        for code in names
        if any((f["locality"] == code).any() for f in (tasks, hq, wards))
    }

    # Filters, in pandas.
    if filters.localities:
        named = [c for c in filters.localities if c != PROVINCE_LEVEL]
        keep = tasks["locality"].isin(named)
        if PROVINCE_LEVEL in filters.localities:
            keep |= tasks["locality"].isna()
        tasks = tasks[keep]
        hq = hq[hq["locality"].isin(named)]
        wards = wards[wards["locality"].isin(named)]
    if filters.clauses:
        tasks = tasks[tasks["clause"].isin(filters.clauses)]
    if filters.agencies:
        tasks = tasks[tasks["agency"].isin(filters.agencies)]
    if filters.documents:
        tasks = tasks[tasks["id"].isin(basis.loc[basis["document"].isin(filters.documents), "task_id"])]
    if filters.buckets:
        wanted = tasks["bucket"].isin([b for b in filters.buckets if b != DUE_SOON])
        if DUE_SOON in filters.buckets:
            wanted |= tasks["due_soon"]
        tasks = tasks[wanted]

    by_locality: dict[str | None, rules.BucketSummary] = {}
    place = tasks["locality"].where(tasks["locality"].notna(), None)
    for code, group in tasks.groupby(place.fillna("__province__"), sort=False):
        key = None if code == "__province__" else str(code)
        counts = {str(b): int(n) for b, n in group["bucket"].value_counts().items()}
        by_locality[key] = rules.BucketSummary(counts=counts, due_soon=int(group["due_soon"].sum()))

    funding: dict[str, Funding] = {}
    for code in names:
        rows = hq[hq["locality"] == code]
        if len(rows):
            funding[code] = Funding(
                int(rows["planned_vnd"].sum()),
                int(rows["allocated_vnd"].sum()),
                int(rows["disbursed_vnd"].sum()),
                len(rows),
            )

    registered = wards[wards["year_registered"] <= as_of.year]
    recognised = registered[registered["recognised_on"].notna() & (registered["recognised_on"] <= day)]
    ward_counts = WardCounts(int(registered["unit_id"].nunique()), int(recognised["unit_id"].nunique()))

    shown = [(c, n) for c, n in names.items() if not filters.localities or c in filters.localities]
    updates = {code: when.to_pydatetime() for code, when in last_update.items()}
    league = league_rows(shown, by_locality, funding, updates)

    first = as_of.replace(day=1)
    end = (pd.Timestamp(first) + pd.DateOffset(months=6)).date()
    coming = tasks[
        tasks["bucket"].isin([rules.IN_PROGRESS, rules.NOT_DUE, rules.OVERDUE])
        & (tasks["current_deadline"] >= pd.Timestamp(first))
        & (tasks["current_deadline"] < pd.Timestamp(end))
    ]
    months = (
        coming.assign(
            year=coming["current_deadline"].dt.year,
            month=coming["current_deadline"].dt.month,
            place=coming["locality"].map(names).fillna("Cấp tỉnh"),
        )
        .groupby(["year", "month", "place"])
        .size()
        .reset_index(name="n")
        .sort_values(["year", "month", "place"])
    )
    deadlines = [(int(y), int(m), str(p), int(n)) for y, m, p, n in months.itertuples(index=False)]
    return Overview(
        as_of=as_of,
        buckets_by_locality=by_locality,
        buckets=total_buckets(by_locality),
        funding_by_locality=funding,
        funding=total_funding(funding),
        wards=ward_counts,
        league=league,
        deadlines=deadlines,
    )
