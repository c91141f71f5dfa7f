"""The command line, run as a user would: init-db, seed-demo, and its error messages."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from lib.db import make_engine, transaction
from lib.models import Task

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "lib.manage", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_init_db_then_seed_demo_only_when_empty(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert _manage("init-db", url=url).returncode == 0
    assert _manage("init-db", url=url).returncode == 0  # upgrading twice is harmless
    first = _manage("seed-demo", "--if-empty", url=url)
    assert first.returncode == 0 and "Đã nạp dữ liệu mẫu" in first.stdout
    with transaction(make_engine(url), write=True) as s:
        s.execute(Task.__table__.update().values(notes="ghi chú của người dùng"))
    again = _manage("seed-demo", "--if-empty", url=url)
    assert again.returncode == 0 and "không nạp lại" in again.stdout
    with transaction(make_engine(url)) as s:
        assert s.scalar(select(func.count()).where(Task.notes == "ghi chú của người dùng")) == 72
    assert _manage("seed-demo", url=url).returncode == 0  # an explicit reset
    with transaction(make_engine(url)) as s:
        assert s.scalar(select(func.count()).where(Task.notes == "ghi chú của người dùng")) == 0


def test_seed_before_init_and_unreachable_database_fail_with_a_message(tmp_path):
    result = _manage("seed-demo", url=f"sqlite:///{tmp_path / 'none.db'}")
    assert result.returncode == 2
    assert "init-db" in result.stderr and "Traceback" not in result.stderr
    result = _manage("init-db", url="postgresql+psycopg://nobody@127.0.0.1:9/none")
    assert result.returncode == 2
    assert "Không kết nối được" in result.stderr and "Traceback" not in result.stderr
