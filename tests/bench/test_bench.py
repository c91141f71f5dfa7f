"""Synthetic data, the naive baseline and a small run of the benchmark's code paths (`make bench`)."""

import hashlib
import secrets
from datetime import date

import pytest
import streamlit as st
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench import register as register_bench
from bench import run as bench
from bench.naive import naive_overview
from lib.core.filters import DUE_SOON, PROVINCE_LEVEL, Filters
from lib.data import audit, queries
from lib.data.db import make_engine, transaction
from lib.data.models import AuditEvent, HqProject, Task
from lib.ops.manage import main as manage
from lib.ops.seed import DEMO_TODAY, seed_demo
from lib.ops.synth import synthesize
from lib.ui.loaders import get_engine
from tests.support.caches import clear_caches
from tests.support.postgres import PG_URL


def _digest(engine) -> str:
    with transaction(engine) as s:
        rows = s.execute(
            select(
                Task.id, Task.title, Task.state, Task.current_deadline, Task.completed_on, Task.version
            ).order_by(Task.id)
        ).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_synth_is_deterministic_proportional_and_its_trail_verifies(engine):
    with transaction(engine, write=True) as s:
        summary = synthesize(s, 400)
    first = _digest(engine)
    with transaction(engine, write=True) as s:
        synthesize(s, 400)
    assert _digest(engine) == first
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Task)) == 400
        assert s.scalar(select(func.count()).select_from(HqProject)) == summary.hq_projects == 200
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == summary.audit_events
        assert summary.audit_events > 400  # about two events per task, one per project
        states = dict(s.execute(select(Task.state, func.count()).group_by(Task.state)).all())
        assert states.get("hoan_thanh", 0) > 100 and states.get("dang_thuc_hien", 0) > 50
        report = audit.verify_chain(s)
    assert report.ok, report.message
    # Explicit ids left PostgreSQL's sequences behind them: a normal insert must still work.
    with transaction(engine, write=True) as s:
        audit.record(s, actor="test", action="note", entity="database")


def test_synth_command_refuses_bad_sizes_and_production(monkeypatch, _scratch_url, capsys):
    monkeypatch.setenv("DATABASE_URL", _scratch_url)
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    assert manage(["synth", "--tasks", "0"]) == 2
    assert "--tasks phải từ 1 đến 200000" in capsys.readouterr().err
    monkeypatch.setenv("DASHBOARD_ENV", "production")
    monkeypatch.setenv("AUTH_COOKIE_KEY", secrets.token_urlsafe(48))
    assert manage(["synth", "--tasks", "10"]) == 2
    assert "DASHBOARD_ENV=production" in capsys.readouterr().err


@pytest.fixture
def _app_engine_closed(demo_url):
    yield
    get_engine(demo_url).dispose()  # the naive baseline reads through the app's cached engine
    st.cache_resource.clear()


FILTERS = (
    Filters(),
    Filters(localities=("bac-giang", PROVINCE_LEVEL)),
    Filters(buckets=("qua_han", DUE_SOON)),
    Filters(clauses=("2",), documents=("885-qd-ubnd",)),
)


@pytest.fixture(scope="module")
def map_of_2024_url(backend, make_database):
    """The demo as it stood on 31/12/2024: no reorganisation applied yet, the map the naive baseline
    knows (it groups by today's district and counts every registration by its current unit)."""
    url = make_database(backend)
    engine = make_engine(url)
    with transaction(engine, write=True) as s:
        seed_demo(s, today=date(2024, 12, 31), history=False)
    engine.dispose()
    yield url
    get_engine(url).dispose()
    st.cache_resource.clear()


def _same_overview(url, filters, as_of, *, whole):
    with transaction(get_engine(url)) as s:
        real = queries.get_overview(s, filters, as_of, 30)
    naive = naive_overview(url, 0, filters, as_of, 30)
    get_engine(url).dispose()  # the app's cached engine: no connection left open when the cache is cleared
    assert real.buckets.total > 0
    assert naive.buckets == real.buckets
    assert naive.buckets_by_locality == real.buckets_by_locality
    assert naive.funding_by_locality == real.funding_by_locality
    assert sorted(naive.deadlines) == sorted(real.deadlines)
    if whole:
        assert naive.wards == real.wards
        assert naive.league == real.league


@pytest.mark.parametrize("filters", FILTERS, ids=["all", "places", "buckets", "clause-doc"])
@pytest.mark.parametrize("as_of", [date(2024, 6, 30), date(2024, 12, 31)])
def test_the_naive_baseline_computes_the_same_overview(map_of_2024_url, filters, as_of, _app_engine_closed):
    _same_overview(map_of_2024_url, filters, as_of, whole=True)


@pytest.mark.parametrize("filters", FILTERS, ids=["all", "places", "buckets", "clause-doc"])
@pytest.mark.parametrize("as_of", [date(2025, 6, 30), DEMO_TODAY])
def test_the_naive_baseline_agrees_on_what_the_map_does_not_change(
    demo_url, filters, as_of, _app_engine_closed
):
    """After the 2025 reorganisations the league and the ward counts follow the map of the date (the
    baseline does not); the task buckets by district, the money by district and the deadlines agree."""
    _same_overview(demo_url, filters, as_of, whole=False)


def test_a_small_benchmark_run_measures_pages_floor_naive_and_saves(tmp_path, backend, monkeypatch):
    if backend == "postgresql":
        monkeypatch.setattr(
            bench, "PG_URL", make_url(PG_URL).set(database="postgres").render_as_string(False)
        )
    try:
        report = bench.run_bench([backend], [150], runs=1, workdir=tmp_path)
    finally:
        clear_caches()
    (result,) = report["results"]
    for key, page in result["pages"].items():
        assert page["statements_cold"] > page["statements_warm"] > 0, key  # warm: session checks only
        assert page["statements_floor"] == 0, key  # the floor reads nothing from the database
        # The same elements: only the sidebar's user block (not drawn by the floor) differs.
        assert abs(page["bytes"] - page["floor_bytes"]) < 2_000, key
        assert page["cold"]["median"] > 0 and page["floor"]["median"] > 0
    overview = result["pages"]["overview"]
    assert overview["naive_bytes"] == overview["bytes"]  # the baseline draws the very same page
    assert 0 < result["pages"]["tasks"]["table_rows_sent"] <= 50 + 10  # one page, plus small tables
    assert result["save"]["rows"] == 100
    assert set(report["summary"][backend]) >= {"overview_cold_over_floor", "save_over_floor"}


def test_a_small_import_benchmark_run_previews_imports_and_adds_nothing_the_second_time(
    tmp_path, backend, monkeypatch
):
    if backend == "postgresql":
        monkeypatch.setattr(
            bench, "PG_URL", make_url(PG_URL).set(database="postgres").render_as_string(False)
        )
    result = register_bench.measure(backend, 120, tmp_path)
    assert result["counts"] == {"new": 120, "updated": register_bench.UPDATES, "unchanged": 0}
    assert result["documents"] == 200 and result["again_new"] == 0
    assert result["preview_matches_import"]
    assert result["preview_s"] > 0 and result["import_s"] > 0 and result["traced_peak_mb"] > 0
