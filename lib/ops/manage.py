"""Command line: `python -m lib.manage COMMAND` (init-db, load-programme, generate-duties, seed-demo, …)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lib.core.arrangement import ArrangementInvalid, combine
from lib.core.config import PROJECT_ROOT, ConfigError, Settings, load_settings, now, today
from lib.core.filters import parse_as_of
from lib.core.roles import ROLE_LABELS, Actor, Refused, system_actor
from lib.core.scopes import BODY_KINDS
from lib.data import accounts, audit
from lib.data.db import (
    DatabaseError,
    bump_data_version,
    bump_versions_on,
    check_database,
    make_engine,
    ping,
    transaction,
)
from lib.data.models import User
from lib.editing import actions, user_admin
from lib.editing.arrangements import check as check_arrangement
from lib.files import register
from lib.files.arrangement import parse_day, read_arrangement
from lib.ops import arrangements, backup
from lib.ops.duties import generate_duties
from lib.ops.programme import load_programme
from lib.ops.seed import ensure_demo_accounts, has_content, seed_demo
from lib.ops.synth import MAX_TASKS, SYNTH_SEED, synthesize


def alembic_config() -> Config:
    """Return the Alembic configuration of this project."""
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return cfg


def upgrade_database(engine: Engine) -> None:
    """Upgrade the schema to the latest migration; a database that was upgraded (not created) gets
    its versions raised in the same transaction, as a migration may change any data."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        before = MigrationContext.configure(conn).get_current_revision()
        command.upgrade(cfg, "head")
        if before is not None and MigrationContext.configure(conn).get_current_revision() != before:
            bump_versions_on(conn)


class CommandError(Exception):
    """A command cannot go on; the message says why, in Vietnamese."""


def _init_db(engine: Engine, _settings: Settings, _args: argparse.Namespace) -> str:
    ping(engine)
    upgrade_database(engine)
    return f"Đã nâng cấp cơ sở dữ liệu lên phiên bản mới nhất ({engine.url.get_backend_name()})."


def _seed_demo(engine: Engine, settings: Settings, args: argparse.Namespace) -> str:
    if not settings.is_demo:
        raise CommandError("Không nạp dữ liệu mẫu khi DASHBOARD_ENV=production.")
    check_database(engine)
    with transaction(engine, write=True) as session:
        if args.if_empty and has_content(session):
            ensure_demo_accounts(session)
            return "Cơ sở dữ liệu đã có dữ liệu: không nạp lại dữ liệu mẫu (đã kiểm tra tài khoản mẫu)."
        seed_demo(session)
    return "Đã nạp dữ liệu mẫu (demo)."


def _as_of(value: str | None) -> date:
    """The --as-of date (DD/MM/YYYY or YYYY-MM-DD), today by default."""
    today = now().date()
    if value is None:
        return today
    as_of, warning = parse_as_of([value], today)
    if warning:
        raise CommandError(f"--as-of “{value[:40]}” không phải ngày hợp lệ (DD/MM/YYYY).")
    return as_of


def _load_programme(engine: Engine, _settings: Settings, args: argparse.Namespace) -> str:
    check_database(engine)
    with transaction(engine, write=True) as session:
        bump_data_version(session)  # first: it also queues two loads at once
        loaded = load_programme(session, _as_of(args.as_of))
        if not loaded.changed:
            session.rollback()  # not even the data version moves
    return loaded.message()


def _generate_duties(engine: Engine, _settings: Settings, args: argparse.Namespace) -> str:
    check_database(engine)
    with transaction(engine, write=True) as session:
        bump_data_version(session)  # first: it also queues two runs at once
        generated = generate_duties(session, _as_of(args.as_of))
        if not generated.changed:
            session.rollback()
    return generated.message()


def _synth(engine: Engine, settings: Settings, args: argparse.Namespace) -> str:
    if not settings.is_demo:
        raise CommandError("Không tạo dữ liệu tổng hợp khi DASHBOARD_ENV=production (sẽ xóa dữ liệu thật).")
    if not 1 <= args.tasks <= MAX_TASKS:
        raise CommandError(f"--tasks phải từ 1 đến {MAX_TASKS} (đã nhận {args.tasks}).")
    check_database(engine)
    with transaction(engine, write=True) as session:
        summary = synthesize(session, args.tasks, seed=args.seed)
    return summary.message()


def _backup(engine: Engine, _settings: Settings, args: argparse.Namespace) -> str:
    check_database(engine)
    checked = backup.backup(engine, Path(args.file))
    return f"Đã sao lưu vào {Path(args.file).resolve()} — {checked.describe()}"


def _restore(engine: Engine, _settings: Settings, args: argparse.Namespace) -> str:
    check_database(engine)
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError("Khôi phục sẽ thay toàn bộ dữ liệu hiện có: chạy lại với --yes để xác nhận.")
        answer = input("Khôi phục sẽ thay toàn bộ dữ liệu hiện có. Gõ 'khoi phuc' để tiếp tục: ")
        if answer.strip() != "khoi phuc":
            raise CommandError("Đã hủy, không thay đổi gì.")
    restored, safety = backup.restore(engine, Path(args.file))
    source = Path(args.file).resolve()
    return f"Đã khôi phục từ {source} (bản an toàn của dữ liệu cũ: {safety}) — {restored.describe()}"


def _read_password(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    return line.rstrip("\n")


def _scope_ref(text: str) -> tuple[str, str]:
    """`agency:stc`, `locality:luc-ngan`, `unit:18` or `unit:Nếnh` → (kind, reference)."""
    kind, sep, ref = text.partition(":")
    if not sep or kind not in BODY_KINDS or not ref.strip():
        raise CommandError(
            f"--scope “{text}” không hợp lệ: ghi LOẠI:MÃ với LOẠI là locality, unit hoặc agency "
            "(vd. agency:stc, unit:Nếnh, locality:luc-ngan)."
        )
    return kind, ref.strip()


def _create_user(engine: Engine, _settings: Settings, args: argparse.Namespace) -> str:
    check_database(engine)
    password = _read_password("Mật khẩu: ")
    if password != _read_password("Nhập lại mật khẩu: "):
        raise CommandError("Hai lần nhập mật khẩu không khớp.")
    actor = system_actor(getpass.getuser() if hasattr(os, "getuid") else "cli")
    actions.perform(
        engine,
        actor,
        user_admin.create_user,
        username=args.username,
        display_name=args.name or args.username,
        role=args.role,
        locality_code=args.locality,
        password=password,
        now=now(),
        scope_refs=[_scope_ref(ref) for ref in args.scope or ()],
    )
    return f"Đã tạo người dùng “{args.username}” ({ROLE_LABELS[args.role]})."


def _verify_audit(engine: Engine, _settings: Settings, _args: argparse.Namespace) -> str:
    check_database(engine)
    with transaction(engine) as s:
        report = audit.verify_chain(s)
    if not report.ok:
        raise CommandError(report.message)
    return report.message


def _active_actor(s: Session, username: str) -> Actor:
    """The active user a command acts as (the audit trail records them), or a refusal."""
    user = s.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        raise CommandError(f"Không có người dùng “{username}” đang hoạt động.")
    return accounts.actor_for(user)


def _import_register(engine: Engine, _settings: Settings, args: argparse.Namespace) -> str:
    check_database(engine)
    path = Path(args.file)
    try:
        size = path.stat().st_size
        if size > register.MAX_FILE_BYTES:
            raise CommandError(
                f"Tệp {path} lớn {size / 1024 / 1024:.1f} MB, tối đa "
                f"{register.MAX_FILE_BYTES // 1024 // 1024} MB; hãy chia thành nhiều tệp."
            )
        upload = register.Upload(path.name, path.read_bytes())
    except OSError as exc:
        raise CommandError(f"Không đọc được tệp {path}: {exc.strerror or exc}.") from None
    with transaction(engine) as s:
        actor = _active_actor(s, args.user)
    if args.dry_run:
        outcome = register.preview(engine, actor, upload, now=now(), today=today())
        if not outcome.ok:
            raise CommandError("\n".join([outcome.refusal(), "Xem trước:", *outcome.lines()]))
        return "\n".join(["Chạy thử (--dry-run): không ghi gì.", *outcome.lines()])
    try:
        outcome = register.import_register(engine, actor, upload, now=now(), today=today())
    except register.RegisterRefused as exc:
        lines = exc.outcome.lines() if exc.outcome is not None else []
        raise CommandError("\n".join([exc.message, *lines])) from None
    return "\n".join([f"Đã nhập {upload.name} (trong {outcome.seconds:.1f} giây).", *outcome.lines()])


def _import_arrangement(engine: Engine, _settings: Settings, args: argparse.Namespace) -> str:
    check_database(engine)
    effective = None
    if args.effective:
        effective = parse_day(args.effective)
        if effective is None:
            raise CommandError(f"--effective “{args.effective[:40]}” không phải ngày hợp lệ (DD/MM/YYYY).")
    parts = []
    try:
        for name in args.files:
            path = Path(name)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"Không đọc được tệp {path}: {exc.strerror or exc}.") from None
            parts.append(
                read_arrangement(data, path.name, only_effective=effective, only_resolution=args.resolution)
            )
        parsed = combine(parts)
    except ArrangementInvalid as exc:
        raise CommandError(f"Tệp không hợp lệ, không ghi gì:\n{exc.message}") from None
    with transaction(engine) as s:
        actor = _active_actor(s, args.user)
        if args.dry_run:
            problems = check_arrangement(s, parsed)
    summary = arrangements.describe_parsed(parsed)
    if args.dry_run:
        if problems:
            raise CommandError("\n".join(["Không thể áp dụng, không ghi gì:", *map(str, problems)]))
        return "\n".join(["Chạy thử (--dry-run): không ghi gì.", *summary])
    arrangement_id, applied = actions.perform(
        engine,
        actor,
        arrangements.import_arrangement,
        parsed,
        now(),
        code=args.code,
        title=args.title or "",
        apply=args.apply,
    )
    head = f"Đã ghi nhận sắp xếp (mã {arrangement_id})" + (" và áp dụng." if applied else ", chưa áp dụng.")
    return "\n".join([head, *summary, *(applied.lines() if applied else [])])


COMMANDS: dict[str, Callable[[Engine, Settings, argparse.Namespace], str]] = {
    "init-db": _init_db,
    "load-programme": _load_programme,
    "generate-duties": _generate_duties,
    "seed-demo": _seed_demo,
    "synth": _synth,
    "backup": _backup,
    "restore": _restore,
    "create-user": _create_user,
    "verify-audit": _verify_audit,
    "import-register": _import_register,
    "import-arrangement": _import_arrangement,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one management command and return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m lib.manage", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init-db", help="tạo hoặc nâng cấp lược đồ cơ sở dữ liệu (Alembic)")
    programme = sub.add_parser(
        "load-programme",
        help="nạp dữ liệu chương trình: văn bản, mục, địa phương, đơn vị, cơ quan, nhiệm vụ định kỳ "
        "(không có số liệu mẫu; dùng được khi DASHBOARD_ENV=production; chạy lại không thay đổi gì)",
    )
    programme.add_argument("--as-of", help="tạo nhiệm vụ các kỳ đến hạn tính đến ngày này (DD/MM/YYYY)")
    duties = sub.add_parser(
        "generate-duties",
        help="tạo nhiệm vụ của các kỳ đến hạn từ nhiệm vụ định kỳ (chạy hằng ngày; chạy lại không tạo trùng)",
    )
    duties.add_argument("--as-of", help="ngày tính, DD/MM/YYYY (mặc định: hôm nay)")
    seed = sub.add_parser("seed-demo", help="nạp lại dữ liệu mẫu và tài khoản mẫu (chỉ ở chế độ demo)")
    seed.add_argument("--if-empty", action="store_true", help="chỉ nạp khi cơ sở dữ liệu còn trống")
    synth = sub.add_parser(
        "synth", help="thay nội dung bằng dữ liệu tổng hợp quy mô lớn (đo hiệu năng; chỉ ở chế độ demo)"
    )
    synth.add_argument("--tasks", type=int, required=True, help=f"số nhiệm vụ, 1–{MAX_TASKS}")
    synth.add_argument("--seed", type=int, default=SYNTH_SEED, help="hạt giống ngẫu nhiên (mặc định cố định)")
    user = sub.add_parser("create-user", help="tạo người dùng; mật khẩu được hỏi, không nhận qua tham số")
    user.add_argument("username")
    user.add_argument("--role", required=True, choices=sorted(ROLE_LABELS))
    user.add_argument(
        "--locality", help="mã địa phương (huyện cũ) của cán bộ đầu mối, cũng là phạm vi (vd. luc-ngan)"
    )
    user.add_argument(
        "--scope",
        action="append",
        metavar="LOẠI:MÃ",
        help="thêm một cơ quan, đơn vị vào phạm vi của cán bộ đầu mối (dieu_phoi); lặp lại được: "
        "agency:stc, unit:Nếnh hoặc unit:<mã số>, locality:luc-ngan",
    )
    user.add_argument("--name", help="họ tên hiển thị")
    sub.add_parser("verify-audit", help="kiểm tra chuỗi băm của nhật ký thay đổi")
    onboard = sub.add_parser(
        "import-register",
        help="nhập sổ theo dõi (.xlsx theo mẫu của trang Nhập sổ theo dõi): dòng mới và cập nhật, "
        "tất cả hoặc không gì",
    )
    onboard.add_argument("file", help="tệp .xlsx theo mẫu sổ theo dõi")
    onboard.add_argument("--user", required=True, help="người dùng nhập (tên đăng nhập), ghi vào nhật ký")
    onboard.add_argument("--dry-run", action="store_true", help="chỉ xem trước: in số dòng và ô bị từ chối")
    arrange = sub.add_parser(
        "import-arrangement",
        help="ghi nhận một lần sắp xếp đơn vị hành chính, cơ quan từ tệp CSV (mẫu data/units-2025-*.csv, "
        "data/agencies-2025.csv); với --apply thì áp dụng luôn, trong cùng một giao dịch",
    )
    arrange.add_argument(
        "files", nargs="+", metavar="FILE.csv", help="một hoặc nhiều tệp của cùng nghị quyết"
    )
    arrange.add_argument(
        "--user", required=True, help="người ghi nhận (văn phòng hoặc quản trị), ghi vào nhật ký"
    )
    arrange.add_argument("--code", help="mã của lần sắp xếp (mặc định: từ số nghị quyết và ngày hiệu lực)")
    arrange.add_argument("--title", help="tên lần sắp xếp")
    arrange.add_argument("--effective", help="chỉ đọc các dòng có ngày hiệu lực này (tệp nhiều lần sắp xếp)")
    arrange.add_argument("--resolution", help="chỉ đọc các dòng của nghị quyết này (số, không kèm ngày)")
    arrange.add_argument(
        "--dry-run", action="store_true", help="chỉ kiểm tra với dữ liệu hiện có, không ghi gì"
    )
    arrange.add_argument(
        "--apply",
        action="store_true",
        help="áp dụng ngay (đơn vị chia tách: dòng mở sang đơn vị kế tục mặc định)",
    )
    dump = sub.add_parser(
        "backup",
        help="sao lưu nhất quán trong khi ứng dụng vẫn chạy (SQLite: online backup; PostgreSQL: pg_dump)",
    )
    dump.add_argument("file", help="tệp đích, ví dụ /var/backups/dashboard/2026-11-29.db")
    load = sub.add_parser("restore", help="khôi phục từ bản sao lưu (kiểm tra trước, giữ bản an toàn)")
    load.add_argument("file")
    load.add_argument("--yes", action="store_true", help="xác nhận thay toàn bộ dữ liệu hiện có")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        engine = make_engine(settings.database_url)
        try:
            print(COMMANDS[args.command](engine, settings, args))
        finally:
            engine.dispose()
    except (ConfigError, DatabaseError, CommandError, backup.BackupError) as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    except Refused as exc:
        print(f"Lỗi: {exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
