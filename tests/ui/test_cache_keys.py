"""The cache keys of the loaders (lib/ui/loaders.py): a user, a scope or a filter is keyed by one
canonical text (`exact_key`), so equal values share a cache entry and different ones never do."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from lib.core.filters import Filters, HqFilters
from lib.core.roles import Actor
from lib.core.scopes import Scope
from lib.data import accounts
from lib.data.db import Versions, transaction
from lib.data.models import User
from lib.editing.history import EventFilter
from lib.ops.seed import DEMO_TODAY
from lib.ui import loaders

pytestmark = pytest.mark.usefixtures("fresh_caches")

SCOPE = Scope.of([1], [7], [3], agency_units=[(3, 9), (4, 7)], labels=["Huyện Lục Ngạn", "Xã A", "Sở B"])
ACTOR = Actor(1, "dp.lucngan", "Cán bộ Lục Ngạn", "dieu_phoi", 1, "luc-ngan", SCOPE)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (SCOPE, replace(SCOPE, localities=frozenset({2}))),
        (SCOPE, replace(SCOPE, unit_rows=SCOPE.unit_rows | {8})),
        (SCOPE, replace(SCOPE, lead_agencies=frozenset({3}))),
        (SCOPE, replace(SCOPE, labels=("Huyện Lục Ngạn",))),
        (Scope(localities=frozenset({1})), Scope(units=frozenset({1}))),
        (Filters(), Filters(scope=Scope())),  # no scope is not an empty scope
        (Filters(scope=SCOPE), Filters(scope=replace(SCOPE, agencies=frozenset()))),
        (Filters(localities=("luc-ngan,yen-dung",)), Filters(localities=("luc-ngan", "yen-dung"))),
        (Filters(localities=("luc-ngan",)), Filters(clauses=("luc-ngan",))),
        (Filters(buckets=("1",)), Filters(buckets=(1,))),  # type: ignore[arg-type]
        (HqFilters(), HqFilters(with_retired=True)),
        (HqFilters(scope=SCOPE), HqFilters(scope=replace(SCOPE, units=frozenset()))),
        (ACTOR, replace(ACTOR, scope=replace(SCOPE, localities=frozenset()))),
        (ACTOR, replace(ACTOR, role="van_phong")),
        (ACTOR, replace(ACTOR, user_id=2)),
        (ACTOR, replace(ACTOR, locality_id=None)),
        (Versions(1, 1, (((1, 2), 3),), 0), Versions(1, 1, (((1, 2), 4),), 0)),
        (Versions(1, 1, (), 0), Versions(1, 1, (), 1)),
        (EventFilter(date_from=date(2025, 1, 1)), EventFilter(date_to=date(2025, 1, 1))),
        (EventFilter(user="a"), EventFilter(entity="a")),
    ],
)
def test_different_values_never_share_a_key(one, other):
    assert one != other
    assert loaders.exact_key(one) != loaders.exact_key(other)


def test_equal_values_share_a_key_whatever_order_their_sets_were_built_in():
    ids = list(range(0, 4000, 7))
    forward = Scope.of(ids, labels=["x"])
    backward = Scope.of(reversed(ids), labels=["x"])
    assert forward == backward
    assert loaders.exact_key(forward) == loaders.exact_key(backward)
    actors = replace(ACTOR, scope=forward), replace(ACTOR, scope=backward)
    assert loaders.exact_key(actors[0]) == loaders.exact_key(actors[1])


def test_a_value_without_an_exact_text_is_refused():
    with pytest.raises(TypeError):
        loaders.exact_key(Filters(localities=(object(),)))  # type: ignore[arg-type]


@pytest.fixture
def app_url(demo_url, fresh_caches) -> Iterator[str]:
    """The demo database's URL, read through the app's own engine (closed after the test)."""
    yield demo_url
    loaders.get_engine(demo_url).dispose()


def _actor(url: str, username: str) -> Actor:
    with transaction(loaders.get_engine(url)) as s:
        return accounts.actor_for(s.scalars(select(User).where(User.username == username)).one())


def _editable(url: str, actor: Actor) -> tuple[int, list[tuple[int, str]]]:
    view = Filters(scope=actor.scope)
    args = (view, DEMO_TODAY, 30)
    count = loaders.load_task_count(url, 1, *args)
    rows = loaders.load_task_page_for_edit(url, 1, actor, *args, 1, 500)
    return count, sorted((r["id"], r["locality"]) for r in rows)


def test_two_scopes_never_share_cached_rows(app_url):
    demo_url = app_url
    luc_ngan, viet_yen = _actor(demo_url, "dp.lucngan"), _actor(demo_url, "dp.vietyen")
    count, rows = _editable(demo_url, luc_ngan)
    assert count == len(rows) > 0
    assert {locality for _, locality in rows} == {"Huyện Lục Ngạn"}
    # The same user, their scope changed by an administrator: the next run reads their new rows,
    # though the data version, the user and every other argument are those of the cached call.
    moved = replace(luc_ngan, scope=viet_yen.scope)
    moved_count, moved_rows = _editable(demo_url, moved)
    assert moved_count == len(moved_rows) > 0
    assert {locality for _, locality in moved_rows} == {"Thị xã Việt Yên"}
    assert (moved_count, moved_rows) == _editable(demo_url, viet_yen)
    assert _editable(demo_url, luc_ngan) == (count, rows)  # and back
