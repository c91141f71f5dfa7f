"""Consistent backups and checked restores: `python -m lib.manage backup FILE` / `restore FILE`.

SQLite: the online backup API copies a consistent snapshot while the app keeps saving (a plain
`cp` of the file can miss commits still in the `-wal` file or catch a page half-written). The copy
goes to a temporary name, is checked (`PRAGMA integrity_check`, the audit chain) and only then
renamed into place. PostgreSQL: `pg_dump --format=custom` (one consistent snapshot) and
`pg_restore --single-transaction` (all or nothing).

A restore first checks the file, then keeps a safety copy of the current database next to it, and
afterwards raises the data version above anything a running process has cached, so no server keeps
showing figures of the replaced data.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, func, select, update
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from lib.data import audit
from lib.data.db import (
    BASE_VERSION_KEY,
    DATA_VERSION_KEY,
    DatabaseError,
    bump_data_version,
    get_data_version,
    read_versions,
    transaction,
)
from lib.data.models import AppMeta, Base

COUNTED = ("task", "hq_project", "model_ward", "audit_event", "app_user", "unit", "locality")


class BackupError(Exception):
    """A backup or restore could not be made; the message is Vietnamese and says why."""


@dataclass(frozen=True)
class Check:
    """What a database (or a backup of one) holds and whether it is sound."""

    counts: dict[str, int]
    integrity: str
    audit_ok: bool
    audit_message: str
    data_version: int

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.audit_ok

    def describe(self) -> str:
        counts = ", ".join(f"{name} {n}" for name, n in self.counts.items())
        return f"toàn vẹn: {self.integrity}; {self.audit_message} Số dòng: {counts}."


def check(engine: Engine) -> Check:
    """Count the main tables, run the engine's integrity check and verify the audit chain."""
    with transaction(engine) as s:
        return check_session(s)


def check_session(s: Session) -> Check:
    """`check` inside the caller's transaction (a backup checks the very snapshot it dumps)."""
    tables = Base.metadata.tables
    counts = {name: int(s.scalar(select(func.count()).select_from(tables[name])) or 0) for name in COUNTED}
    if s.get_bind().dialect.name == "sqlite":
        integrity = str(s.connection().exec_driver_sql("PRAGMA integrity_check").scalar())
    else:
        integrity = "ok"  # PostgreSQL checks its pages itself; a dump that restores is whole
    chain = audit.verify_chain(s)
    return Check(counts, integrity, chain.ok, chain.message, get_data_version(s))


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("Không sao lưu được cơ sở dữ liệu SQLite trong bộ nhớ.")
    return Path(database)


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump / pg_restore, the password through the environment."""
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            f"Không tìm thấy lệnh {command[0]} (cài gói postgresql-client cùng phiên bản máy chủ)."
        ) from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{command[0]} báo lỗi: {detail[-1] if detail else done.returncode}")


def backup(engine: Engine, target: Path) -> Check:
    """Write a consistent copy of the database to `target` and return what the copy holds."""
    target = target.resolve()
    if not target.parent.is_dir():
        raise BackupError(f"Thư mục {target.parent} không tồn tại.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            source = sqlite3.connect(_sqlite_path(engine), timeout=30)
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)  # one step: a snapshot no concurrent commit can tear
                copy.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
            finally:
                copy.close()
                source.close()
            checked = _check_sqlite_file(partial)
        else:
            checked = _pg_dump(engine, partial)
        if not checked.ok:
            raise BackupError(f"Bản sao lưu không đạt kiểm tra: {checked.describe()}")
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"Không ghi được bản sao lưu {target}: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return checked


def _pg_dump(engine: Engine, target: Path) -> Check:
    """Dump one exported snapshot and check that same snapshot: the counts are the dump's."""
    args, env = _libpq(engine.url)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin(), Session(bind=conn) as s:
            snapshot = str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar())
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--snapshot",
                    snapshot,
                    "--file",
                    str(target),
                    *args,
                ],
                env,
            )
            return check_session(s)


def _check_sqlite_file(path: Path) -> Check:
    """Check a SQLite file without changing it (read-only, no WAL switch): it may be the
    operator's only copy, on a read-only mount."""
    uri = f"file:{quote(str(path))}?mode=ro"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
    try:
        return check(engine)
    except DatabaseError as exc:
        raise BackupError(f"Tệp {path} không phải bản sao lưu hợp lệ: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a foreign or damaged file: say so, do not crash
        detail = getattr(exc, "orig", None) or exc
        raise BackupError(f"Tệp {path} không phải bản sao lưu hợp lệ của bảng theo dõi ({detail}).") from None
    finally:
        engine.dispose()


def restore(engine: Engine, source: Path) -> tuple[Check, Path]:
    """Replace the database's content with a backup; return its check and the safety copy's path."""
    source = source.resolve()
    if not source.is_file():
        raise BackupError(f"Không tìm thấy tệp sao lưu {source}.")
    if engine.dialect.name == "sqlite":
        if not _check_sqlite_file(source).ok:
            raise BackupError(
                f"Tệp {source} không đạt kiểm tra toàn vẹn hoặc chuỗi nhật ký: không khôi phục."
            )
    else:
        _run(["pg_restore", "--list", str(source)], _libpq(engine.url)[1])  # a readable archive
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    suffix = ".db" if engine.dialect.name == "sqlite" else ".dump"
    safety = source.with_name(f"truoc-khoi-phuc-{stamp}{suffix}")
    backup(engine, safety)
    with transaction(engine) as s:
        live = read_versions(s)  # saves may still come in until the replacement
        live_version = live.data
    if engine.dialect.name == "sqlite":
        try:
            source_db = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True)
            target = sqlite3.connect(_sqlite_path(engine), timeout=30)
            try:
                source_db.backup(target)  # page by page inside one write lock: all or nothing
            finally:
                target.close()
                source_db.close()
        except sqlite3.Error as exc:
            raise BackupError(f"Không khôi phục được (dữ liệu hiện có không đổi): {exc}.") from None
    else:
        args, env = _libpq(engine.url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                str(source),
            ],
            env,
        )
    engine.dispose()  # pooled connections may hold the replaced file or catalogue open
    with transaction(engine, write=True) as s:
        # Above every version a running process may have cached for this URL, old or new: saves
        # made while the restore ran raised the live version past what was read above, so jump to
        # the clock in milliseconds (saves then count up from there, never back into old keys).
        # The base version keys the overview's pieces with each district's task version: it jumps too.
        version = max(get_data_version(s), live_version + 1, int(time.time() * 1000))
        base = max(read_versions(s).base, live.base + 1, version)
        bump_data_version(s)  # both keys exist from here on
        s.execute(update(AppMeta).where(AppMeta.key == DATA_VERSION_KEY).values(value=version))
        s.execute(update(AppMeta).where(AppMeta.key == BASE_VERSION_KEY).values(value=base))
    restored = check(engine)
    if not restored.ok:
        raise BackupError(f"Đã khôi phục nhưng kiểm tra không đạt: {restored.describe()}")
    return restored, safety
