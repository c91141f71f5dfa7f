"""Command line: `python -m lib.manage init-db | seed-demo [--if-empty]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from lib.config import PROJECT_ROOT, ConfigError, load_settings
from lib.db import DatabaseError, check_database, make_engine, ping, transaction
from lib.seed import has_content, seed_demo


def alembic_config() -> Config:
    """Return the Alembic configuration of this project."""
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return cfg


def upgrade_database(engine: Engine) -> None:
    """Upgrade the schema to the latest migration."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _init_db(engine: Engine, _args: argparse.Namespace) -> str:
    ping(engine)
    upgrade_database(engine)
    return f"Đã nâng cấp cơ sở dữ liệu lên phiên bản mới nhất ({engine.url.get_backend_name()})."


def _seed_demo(engine: Engine, args: argparse.Namespace) -> str:
    check_database(engine)
    with transaction(engine, write=True) as session:
        if args.if_empty and has_content(session):
            return "Cơ sở dữ liệu đã có dữ liệu: không nạp lại dữ liệu mẫu."
        seed_demo(session)
    return "Đã nạp dữ liệu mẫu (demo)."


COMMANDS = {"init-db": _init_db, "seed-demo": _seed_demo}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one management command and return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m lib.manage", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init-db", help="tạo hoặc nâng cấp lược đồ cơ sở dữ liệu (Alembic)")
    seed = sub.add_parser("seed-demo", help="nạp lại dữ liệu mẫu (xóa dữ liệu mẫu cũ)")
    seed.add_argument("--if-empty", action="store_true", help="chỉ nạp khi cơ sở dữ liệu còn trống")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        engine = make_engine(settings.database_url)
        try:
            print(COMMANDS[args.command](engine, args))
        finally:
            engine.dispose()
    except (ConfigError, DatabaseError) as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
