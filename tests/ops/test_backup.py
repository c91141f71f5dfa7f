"""Backups taken while users keep saving are consistent, and restore brings them back whole."""

import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from lib.core.roles import Actor
from lib.data.db import get_data_version, make_engine, transaction
from lib.data.models import AuditEvent, Task, User
from lib.editing import changeset
from lib.editing.actions import perform
from lib.ops import backup
from lib.ops.manage import main as manage
from lib.ops.seed import DEMO_TODAY, seed_demo


def _actor(engine) -> Actor:
    with transaction(engine) as s:
        user = s.scalars(select(User).where(User.username == "vanphong")).one()
        return Actor(user.id, user.username, user.display_name, user.role)


def _save_five(engine, actor, n: int) -> None:
    with transaction(engine) as s:
        rows = s.execute(select(Task.id, Task.version).order_by(Task.id).limit(5)).all()
    changes = [changeset.RowChange(i, v, {"notes": f"Lần lưu {n}"}) for i, v in rows]
    perform(
        engine, actor, changeset.apply_changes, changeset.TASKS, changes, now=datetime.now(), today=DEMO_TODAY
    )


def _every_save_whole(engine) -> None:
    """Each task's version counts its saves (and the demo's 2025 reorganisations, which passed open
    tasks to successors); each left its audit events at that version: no half save."""
    with transaction(engine) as s:
        events = dict(
            s.execute(
                select(AuditEvent.row_id, func.count(func.distinct(AuditEvent.row_version)))
                .where(AuditEvent.entity == "task", AuditEvent.action.in_(("update", "reorganise")))
                .group_by(AuditEvent.row_id)
            ).all()
        )
        for task_id, version in s.execute(select(Task.id, Task.version)):
            assert version - 1 == events.get(task_id, 0), task_id


@pytest.fixture
def busy_database(backend, make_database):
    """A demo database and a writer saving five rows at a time until the test is done with it."""
    url = make_database(backend)
    engine = make_engine(url)
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    actor, stop, saves = _actor(engine), threading.Event(), [0]

    def writer() -> None:
        while not stop.is_set():
            _save_five(engine, actor, saves[0])
            saves[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    yield engine, saves
    stop.set()
    thread.join()
    engine.dispose()


def test_a_backup_taken_during_saves_is_consistent_and_restores(
    busy_database, backend, make_database, tmp_path
):
    engine, saves = busy_database
    while saves[0] < 3:
        threading.Event().wait(0.05)
    target = tmp_path / ("backup.db" if backend == "sqlite" else "backup.dump")
    taken = backup.backup(engine, target)
    during = saves[0]
    while saves[0] < during + 3:  # users keep saving after the backup
        threading.Event().wait(0.05)
    assert taken.ok and taken.integrity == "ok"
    assert taken.counts["task"] == 77 and taken.counts["audit_event"] > 3 * 5

    restored_engine = make_engine(make_database(backend))
    with transaction(restored_engine) as s:
        version_before = get_data_version(s)
    file_before = target.read_bytes()
    restored, safety = backup.restore(restored_engine, target)
    assert target.read_bytes() == file_before  # checking and restoring never change the backup
    assert safety.exists()  # what was there before the restore is kept
    assert restored.ok, restored.describe()
    assert restored.counts == taken.counts  # exactly the snapshot the backup reported
    assert restored.data_version > max(version_before, taken.data_version)
    _every_save_whole(restored_engine)
    with transaction(engine) as s:  # the live database moved on; the backup did not
        assert s.scalar(select(func.count()).select_from(AuditEvent)) > taken.counts["audit_event"]
    restored_engine.dispose()


def test_restore_refuses_without_confirmation_and_refuses_a_damaged_file(
    backend, make_database, tmp_path, monkeypatch, capsys
):
    url = make_database(backend)
    engine = make_engine(url)
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    monkeypatch.setenv("DATABASE_URL", url)
    good = tmp_path / "good.bak"
    assert manage(["backup", str(good)]) == 0
    assert "toàn vẹn: ok" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert manage(["restore", str(good)]) == 2
    assert "--yes" in capsys.readouterr().err
    damaged = tmp_path / "damaged.bak"
    damaged.write_bytes(good.read_bytes()[:4096])
    assert manage(["restore", str(damaged), "--yes"]) == 2
    assert "Lỗi:" in capsys.readouterr().err
    assert not list(tmp_path.glob("truoc-khoi-phuc-*"))  # refused before anything was touched
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Task)) == 77
    engine.dispose()
