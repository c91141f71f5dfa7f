import sqlite3
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from lib.data.db import (
    DatabaseError,
    SchemaMissing,
    bump_data_version,
    check_database,
    get_data_version,
    make_engine,
    transaction,
)
from lib.data.models import Base


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_write_transaction_bumps_the_data_version_and_rollback_does_not(engine):
    with engine.connect() as conn:
        before = get_data_version(conn)
    with transaction(engine, write=True) as s:
        bump_data_version(s)
    with pytest.raises(RuntimeError), transaction(engine, write=True) as s:
        bump_data_version(s)
        raise RuntimeError("boom")
    assert check_database(engine).data == before + 1


def test_sqlite_is_set_up_for_a_small_multi_user_server(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 2, "busy_timeout": 10000}


def test_sqlite_write_transactions_take_the_write_lock_at_begin(tmp_path):
    path = tmp_path / "lock.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    with transaction(engine, write=True) as s:
        s.execute(text("SELECT 1"))  # a read only; BEGIN IMMEDIATE already holds the lock
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    # A read transaction does not block a writer.
    with transaction(engine) as s:
        s.execute(text("SELECT count(*) FROM t"))
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t VALUES (1)")
        other.execute("COMMIT")
        other.close()


def test_concurrent_sqlite_writers_queue_instead_of_failing(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'q.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE c (n INTEGER)")
        conn.exec_driver_sql("INSERT INTO c VALUES (0)")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                with transaction(engine, write=True) as s:
                    n = s.execute(text("SELECT n FROM c")).scalar_one()
                    s.execute(text("UPDATE c SET n = :n"), {"n": n + 1})
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM c").scalar() == 100


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql+psycopg://nobody@127.0.0.1:9/none", "Không kết nối được cơ sở dữ liệu"),
        ("sqlite:////nonexistent-dir/sub/x.db", "Không tìm thấy tệp cơ sở dữ liệu"),
        ("not a url", "không đúng định dạng"),
        ("oracle+nothing://x/y", "Không hỗ trợ"),
    ],
)
def test_unusable_database_urls_give_a_clear_message(url, message):
    with pytest.raises(DatabaseError, match=message):
        check_database(
            make_engine(url, **({"connect_args": {"connect_timeout": 2}} if "psycopg" in url else {}))
        )


def test_an_uninitialised_database_is_named_as_such(tmp_path):
    (tmp_path / "empty.db").touch()
    with pytest.raises(SchemaMissing, match="init-db"):
        check_database(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))


def test_a_missing_sqlite_file_is_an_error_never_a_new_empty_database(tmp_path):
    with pytest.raises(SchemaMissing, match="Không tìm thấy tệp cơ sở dữ liệu"):
        check_database(make_engine(f"sqlite:///{tmp_path / 'moved.db'}"))
    assert not (tmp_path / "moved.db").exists()
