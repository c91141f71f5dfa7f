"""Outages: the database unreachable at start-up, PostgreSQL gone in the middle of a session, the
SQLite file read-only or the disk full during a save. Each time: a clear Vietnamese message and no
traceback, nothing written in part, never an empty database in its place, what is cached stays
readable, and the app recovers by itself when the database is back.

PostgreSQL is "stopped" by cutting a TCP relay the app connects through (the shared test server
keeps running for the other tests): new connections are refused and open ones are dropped, which
is what the app sees when the server stops.
"""

import pytest
from sqlalchemy import event, func
from sqlalchemy import select as sql_select
from sqlalchemy.exc import IntegrityError, OperationalError
from streamlit.testing.v1 import AppTest

from lib.data.db import WriteImpossible, make_engine, transaction
from lib.data.models import AuditEvent, Task
from lib.ui.loaders import get_engine
from tests.support.apptest import edit, open_tasks, pending, save
from tests.support.paths import APP
from tests.support.postgres import relayed_demo_database

NOTE = "Ghi chú trong lúc mất kết nối"
# Long enough to need new pages (overflow pages), so a full disk shows on this very save.
LONG_NOTE = ("Biên bản kiểm tra trụ sở, cần bổ sung hồ sơ đất. " * 45)[:2000]  # the longest allowed

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def relayed_pg(make_database, monkeypatch):
    """A demo PostgreSQL database reached through a relay; yields (relay, app URL, direct engine)."""
    pg = relayed_demo_database(make_database)
    monkeypatch.setenv("DATABASE_URL", pg.url)
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    yield pg.relay, pg.url, pg.direct
    pg.relay.stop()
    get_engine(pg.url).dispose()
    pg.direct.dispose()


def _notes(engine, text: str) -> int:
    with transaction(engine) as s:
        return int(s.scalar(sql_select(func.count()).select_from(Task).where(Task.notes == text)) or 0)


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def test_postgresql_unreachable_at_start_then_back(relayed_pg):
    relay, _url, _direct = relayed_pg
    relay.stop()
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    assert "Không kết nối được cơ sở dữ liệu" in _errors(at)
    assert not at.text_input  # no sign-in form against a database that is not there
    relay.start()
    at.run()
    assert not at.exception and not at.error
    assert at.text_input[0].label == "Tên đăng nhập"  # recovered by itself, on the next rerun


def test_postgresql_stopped_mid_session_keeps_the_page_refuses_the_save_and_recovers(relayed_pg):
    relay, _url, direct = relayed_pg
    at = open_tasks("dp.lucngan")
    first = at.session_state["tasks_shown"][0].row_id
    relay.stop()

    at.run()  # the next rerun: the cached table stays readable, with the reason on top
    assert not at.exception
    assert any("Mất kết nối tới cơ sở dữ liệu" in w.value for w in at.warning)
    assert at.session_state["tasks_shown"][0].row_id == first
    edit(at, {0: {"notes": NOTE}})
    save(at)
    assert "Không kết nối được cơ sở dữ liệu" in _errors(at)
    assert pending(at) == "**1 thay đổi chưa lưu**"  # the draft is kept

    relay.start()
    assert _notes(direct, NOTE) == 0  # nothing was written
    at.run()
    assert not at.warning and not at.exception
    save(at)
    assert not at.error
    assert _notes(direct, NOTE) == 1


def test_after_signing_out_an_outage_shows_nothing_of_the_old_session(relayed_pg):
    relay, _url, _direct = relayed_pg
    at = open_tasks("dp.lucngan")
    at.button(key="auth_logout").click().run()
    assert at.text_input[0].label == "Tên đăng nhập"
    relay.stop()
    at.run()
    assert not at.exception and not at.warning
    assert "Mất kết nối tới cơ sở dữ liệu" in _errors(at)
    assert "tasks_shown" not in at.session_state or not at.get("arrow_data_frame")
    assert not any("Lục Ngạn" in m.value for m in at.markdown)  # nothing drawn as the old user
    relay.start()


@pytest.mark.parametrize(
    "value", ["read-only x", "connection to server lost", "database is locked", "disk is full"]
)
def test_a_constraint_violation_is_never_disguised_as_an_outage(engine, value):
    """PostgreSQL quotes the offending row in its message: words in user data must not matter."""
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE note_once (a VARCHAR(50) UNIQUE)")
    try:
        with transaction(engine, write=True) as s:
            s.connection().exec_driver_sql(f"INSERT INTO note_once VALUES ('{value}')")
        with pytest.raises(IntegrityError), transaction(engine, write=True) as s:
            s.connection().exec_driver_sql(f"INSERT INTO note_once VALUES ('{value}')")
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE note_once")


@pytest.fixture
def sqlite_app(monkeypatch, demo_copy):
    url = f"sqlite:///{demo_copy}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    yield url
    get_engine(url).dispose()


PROBLEMS = {
    # How the fault is made, what the user reads. As root (CI), chmod cannot make a file read-only,
    # so the connection is switched to query_only, which fails writes with the same SQLite error.
    "read-only": ("PRAGMA query_only = ON", "chỉ đọc"),
    "disk-full": ("PRAGMA max_page_count = 1", "Hết dung lượng đĩa"),
}


@pytest.mark.parametrize("problem", PROBLEMS)
def test_sqlite_read_only_or_full_during_a_save_writes_nothing_and_recovers(sqlite_app, problem):
    pragma, message = PROBLEMS[problem]
    engine = get_engine(sqlite_app)
    at = open_tasks("dp.lucngan")
    events_before = _events(sqlite_app)

    def fault(dbapi_connection, _record):
        dbapi_connection.execute(pragma)

    event.listen(engine, "connect", fault)
    engine.dispose()  # the fault applies to every new connection
    try:
        edit(at, {0: {"notes": LONG_NOTE, "obstacles": LONG_NOTE}})
        save(at)
        assert message in _errors(at) and "chưa lưu gì" in _errors(at)
        assert pending(at) == "**2 thay đổi chưa lưu**"  # both cells of the draft are kept
    finally:
        event.remove(engine, "connect", fault)
    assert _notes(make_engine(sqlite_app), LONG_NOTE) == 0
    assert _events(sqlite_app) == events_before  # not even a refusal was half-written
    save(at)  # the administrator fixed it: the same draft saves, no restart
    assert not at.error
    assert _notes(make_engine(sqlite_app), LONG_NOTE) == 1


def _events(url: str) -> int:
    with transaction(make_engine(url)) as s:
        return int(s.scalar(sql_select(func.count()).select_from(AuditEvent)) or 0)


def test_a_write_problem_is_named_not_disguised(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA query_only = ON")

    engine.dispose()
    with pytest.raises(WriteImpossible, match="chỉ đọc"), transaction(engine, write=True) as s:
        s.connection().exec_driver_sql("INSERT INTO t VALUES (1)")
    with pytest.raises(OperationalError, match="no such table"), transaction(engine) as s:
        s.connection().exec_driver_sql("SELECT * FROM missing")  # a bug stays a bug, not "read-only"
