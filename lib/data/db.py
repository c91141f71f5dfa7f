"""Engines, transactions and the versions that key every cached read (`Versions`).

SQLite is tuned for a small multi-user server: WAL, foreign keys, a busy timeout, full
synchronous commits, and writes that take the write lock up front (BEGIN IMMEDIATE) so two
savers queue instead of failing half-way. PostgreSQL goes through the same code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, select, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.orm import Session

from lib.data.models import AppMeta

log = logging.getLogger("dashboard.db")
SQLITE_BUSY_TIMEOUT_MS = 10_000
DATA_VERSION_KEY = "data_version"
# Raised by every broad write (`bump_data_version`), not by one locality's task edits.
BASE_VERSION_KEY = "base_version"
# One key per piece of the tasks (their district and xã now): "tasks:<locality id>:<unit id>", with
# "province" for no district and "-" for no unit.
TASKS_VERSION_PREFIX = "tasks:"
# A piece of the tasks: those of one district (None: the province level) and one unit (None: none).
PieceId = tuple[int | None, int | None]
TRAIL_KEY = "audit_seq"  # lib.data.audit.AUDIT_SEQ_KEY: the trail's length


class DatabaseError(Exception):
    """The database cannot be used; the message is Vietnamese and says what to do."""


class SchemaMissing(DatabaseError):
    """The database answers but has not been initialised (no tables)."""


class DatabaseUnavailable(DatabaseError):
    """The database server cannot be reached or dropped the connection; try again later."""


class WriteImpossible(DatabaseError):
    """The database answers but cannot take writes now (read-only, disk full, locked too long)."""


class DatabaseBusy(WriteImpossible):
    """Another write held the lock past the wait: the connections themselves are healthy."""


_WRITE_HELP = (
    "chưa lưu gì, dữ liệu không thay đổi. Bản nháp của bạn vẫn còn; báo quản trị hệ thống rồi thử lại."
)
_READ_ONLY = "Cơ sở dữ liệu đang ở chế độ chỉ đọc (quyền ghi tệp hoặc thư mục, hoặc máy chủ chỉ đọc)"
_DISK_FULL = "Hết dung lượng đĩa của cơ sở dữ liệu"
_BUSY = "Cơ sở dữ liệu đang bận quá lâu (một lần lưu khác chưa xong)"
# SQLite says what happened in its message (which never holds user data for these errors).
_SQLITE_WRITE_PROBLEMS: tuple[tuple[str, str, type[WriteImpossible]], ...] = (
    ("readonly database", _READ_ONLY, WriteImpossible),
    ("disk is full", _DISK_FULL, WriteImpossible),
    ("disk i/o error", "Lỗi đọc ghi đĩa của cơ sở dữ liệu", WriteImpossible),
    ("database is locked", _BUSY, DatabaseBusy),
)
_SQLITE_UNREACHABLE = ("unable to open database file",)
# PostgreSQL says it with a SQLSTATE; its messages may quote user data (DETAIL), so no text search.
_PG_WRITE_PROBLEMS: dict[str, tuple[str, type[WriteImpossible]]] = {
    "53100": (_DISK_FULL, WriteImpossible),
    "25006": (_READ_ONLY, WriteImpossible),
    "55P03": (_BUSY, DatabaseBusy),
}
_PG_UNREACHABLE = ("57P01", "57P02", "57P03", "53300")  # shut down, crashed, starting, too many clients


def translate(exc: DBAPIError, engine: Engine) -> DatabaseError | None:
    """Turn a driver error meaning "the database cannot serve now" into a Vietnamese DatabaseError;
    None for anything else (constraint violations, bugs), which must not be disguised."""
    if isinstance(exc, IntegrityError | ProgrammingError | DataError):
        return None
    if engine.dialect.name == "sqlite":
        text = str(exc.orig).lower()
        for needle, what, kind in _SQLITE_WRITE_PROBLEMS:
            if needle in text:
                return kind(f"{what}: {_WRITE_HELP}")
        if any(needle in text for needle in _SQLITE_UNREACHABLE):
            return _unreachable(engine, DatabaseUnavailable)
        return None
    sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
    if sqlstate in _PG_WRITE_PROBLEMS:
        what, kind = _PG_WRITE_PROBLEMS[sqlstate]
        return kind(f"{what}: {_WRITE_HELP}")
    if exc.connection_invalidated or sqlstate.startswith("08") or sqlstate in _PG_UNREACHABLE:
        return _unreachable(engine, DatabaseUnavailable)
    if not sqlstate and isinstance(exc, OperationalError | InterfaceError):
        return _unreachable(engine, DatabaseUnavailable)  # no answer from a server at all
    return None


def _mask(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(địa chỉ không đọc được)"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for a SQLAlchemy URL, with SQLite set up for concurrent use."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            f"DATABASE_URL không đúng định dạng SQLAlchemy (ví dụ sqlite:///data/dashboard.db): '{url}'."
        ) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
            _configure_sqlite(engine)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, **kwargs)
    except (NoSuchModuleError, ArgumentError) as exc:
        raise DatabaseError(f"Không hỗ trợ loại cơ sở dữ liệu trong DATABASE_URL: {exc}") from None
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not _is_memory(engine):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _is_memory(engine: Engine) -> bool:
    database = engine.url.database
    return database in (None, "", ":memory:")


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """Open one session for one user action; commit on success, roll back on any error."""
    bind = engine.execution_options(write=True) if write else engine
    try:
        with Session(bind, expire_on_commit=False) as session:
            try:
                yield session
                if write:
                    session.commit()
                # A read session just closes: its objects stay readable, detached.
            except BaseException:
                session.rollback()
                raise
    except DBAPIError as exc:
        problem = translate(exc, engine)
        if problem is None:
            raise
        # Drop pooled connections: one opened while the file was read-only stays read-only, one
        # to a restarted server is dead. The next action reconnects, so recovery needs nobody.
        # (A busy database keeps its connections: they are healthy.)
        if not isinstance(problem, DatabaseBusy):
            engine.dispose()
        # The page shows the Vietnamese message; the operator's log gets the driver's own words.
        log.warning("%s (%s): %s", type(problem).__name__, _mask(str(engine.url)), exc.orig)
        raise problem from exc


def get_data_version(conn: Connection | Session) -> int:
    """Read the database-wide data version: it changes with every committed write of data (a
    refusal, which writes only to the audit trail, leaves it alone)."""
    value = conn.execute(select(AppMeta.value).where(AppMeta.key == DATA_VERSION_KEY)).scalar()
    return int(value or 0)


@dataclass(frozen=True)
class Versions:
    """Every version a cache key may hold, read in one query per rerun (`read_versions`).

    - `data`: changes with every committed write of data (what most loaders key on);
    - `base`: changes with every write but the tasks' own edits (`bump_task_versions`): what does not
      read the tasks, or reads only what such an edit cannot change;
    - `tasks`: per piece of the tasks (their district and unit now, `PieceId`), the edits of its tasks;
    - `trail`: the audit trail's length (a refusal writes there only).
    """

    data: int = 0
    base: int = 0
    tasks: tuple[tuple[PieceId, int], ...] = ()
    trail: int = 0

    def tasks_of(self, piece: PieceId) -> int:
        """The version of one piece of the tasks (0 if never edited on their own)."""
        return dict(self.tasks).get(piece, 0)

    def tasks_of_locality(self, locality_id: int | None) -> tuple[tuple[PieceId, int], ...]:
        """The versions of every edited piece of one district's tasks."""
        return tuple((piece, v) for piece, v in self.tasks if piece[0] == locality_id)

    @property
    def with_trail(self) -> tuple[int, int]:
        """The key of what reads the audit trail: the data and the trail's length."""
        return (self.data, self.trail)


def piece_order(piece: PieceId) -> tuple[int, int]:
    """Pieces in a stable order (the province level first, then by district and unit id)."""
    return (-1 if piece[0] is None else piece[0], -1 if piece[1] is None else piece[1])


def _tasks_key(piece: PieceId) -> str:
    locality_id, unit_id = piece
    return (
        f"{TASKS_VERSION_PREFIX}{'province' if locality_id is None else locality_id}"
        f":{'-' if unit_id is None else unit_id}"
    )


def _piece_of(suffix: str) -> PieceId | None:
    locality, sep, unit = suffix.partition(":")
    if not sep:
        return None
    try:
        return (None if locality == "province" else int(locality), None if unit == "-" else int(unit))
    except ValueError:
        return None


_READ_VERSIONS = select(AppMeta.key, AppMeta.value)  # built once: building costs as much as running it


def read_versions(conn: Connection | Session) -> Versions:
    """Read every version in one query (a few dozen rows of app_meta)."""
    data = base = trail = 0
    tasks: list[tuple[PieceId, int]] = []
    for key, value in conn.execute(_READ_VERSIONS):
        if key == DATA_VERSION_KEY:
            data = int(value or 0)
        elif key == BASE_VERSION_KEY:
            base = int(value or 0)
        elif key == TRAIL_KEY:
            trail = int(value or 0)
        elif key.startswith(TASKS_VERSION_PREFIX):
            piece = _piece_of(key[len(TASKS_VERSION_PREFIX) :])
            if piece is not None:
                tasks.append((piece, int(value or 0)))
    tasks.sort(key=lambda kv: piece_order(kv[0]))
    return Versions(data, base, tuple(tasks), trail)


def _increase(session: Session, key: str) -> None:
    result = session.execute(
        update(AppMeta)
        .where(AppMeta.key == key)
        .values(value=AppMeta.value + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.add(AppMeta(key=key, value=1))
        session.flush()


def lock_for_write(session: Session) -> None:
    """Take the write lock and raise the data version, inside the caller's write transaction; call
    it first thing. What else changed is said after, by `bump_task_versions` — or by
    `bump_data_version`, which also does this.

    The update locks one row until commit, so it also serialises writers: every write takes this
    lock before any other (rows, the audit chain), so two writes never wait on each other in a
    cycle. On SQLite, BEGIN IMMEDIATE already serialises writers. A write that is refused rolls
    back, and the version with it.
    """
    _increase(session, DATA_VERSION_KEY)


def bump_data_version(session: Session) -> None:
    """Say that anything may have changed (every cache goes cold): take the write lock, raise the
    data version and the base version, inside the caller's write transaction; call it first thing.
    Calling it again in the same transaction (or after `lock_for_write`) is harmless."""
    lock_for_write(session)
    _increase(session, BASE_VERSION_KEY)


def bump_versions_on(conn: Connection) -> None:
    """`bump_data_version` on a plain connection in a transaction (migrations, restores)."""
    for key in (DATA_VERSION_KEY, BASE_VERSION_KEY):
        raised = conn.execute(
            update(AppMeta.__table__).where(AppMeta.key == key).values(value=AppMeta.value + 1)  # type: ignore[arg-type]
        )
        if raised.rowcount != 1:
            conn.execute(insert(AppMeta.__table__).values(key=key, value=1))  # type: ignore[arg-type]


def bump_task_versions(session: Session, pieces: Iterable[PieceId]) -> None:
    """Say that only the tasks of these pieces (district, unit) changed, and nothing any other read
    depends on (no task changed district, unit or lead agency): the caller holds the lock
    (`lock_for_write`)."""
    for piece in sorted(set(pieces), key=piece_order):
        _increase(session, _tasks_key(piece))


def _unreachable(engine: Engine, kind: type[DatabaseError] = DatabaseError) -> DatabaseError:
    return kind(
        f"Không kết nối được cơ sở dữ liệu ({_mask(str(engine.url))}). "
        "Kiểm tra DATABASE_URL và máy chủ cơ sở dữ liệu, rồi tải lại trang."
    )


def ping(engine: Engine) -> None:
    """Connect once, or raise DatabaseError with a clear message."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except DBAPIError:
        raise _unreachable(engine, DatabaseUnavailable) from None


def check_database(engine: Engine) -> Versions:
    """Connect once and return the versions, or raise DatabaseError with a clear message.

    A SQLite file that is missing is an error, never a new empty database created in its place
    (a wrong path or an unmounted disk must not look like a province with no data).
    """
    database = engine.url.database
    if engine.dialect.name == "sqlite" and not _is_memory(engine) and not Path(database or "").exists():
        raise SchemaMissing(
            f"Không tìm thấy tệp cơ sở dữ liệu {database}. Kiểm tra DATABASE_URL và ổ đĩa; "
            "nếu đây là lần cài đặt đầu tiên, chạy: python -m lib.manage init-db"
        )
    try:
        with engine.connect() as conn:
            return read_versions(conn)
    except DBAPIError as exc:
        text = str(exc.orig).lower()
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            raise SchemaMissing(
                "Cơ sở dữ liệu chưa được khởi tạo. Chạy: python -m lib.manage init-db"
            ) from None
        raise _unreachable(engine, DatabaseUnavailable) from None
