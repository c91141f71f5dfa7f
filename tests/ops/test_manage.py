"""The command line, run as a user would: init-db, load-programme, seed-demo, and its error messages."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from lib.data.db import make_engine, transaction
from lib.data.models import AppMeta, AuditEvent, Task

ROOT = Path(__file__).resolve().parents[2]


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
        assert s.scalar(select(func.count()).where(Task.notes == "ghi chú của người dùng")) == 77
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


def _manage_input(
    *args: str, url: str, stdin: str, env: dict | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "DATABASE_URL": url, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "lib.manage", *args],
        cwd=ROOT,
        env=full,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_create_user_prompts_for_the_password_and_records_the_action(tmp_path):
    url = f"sqlite:///{tmp_path / 'users.db'}"
    assert _manage("init-db", url=url).returncode == 0
    assert _manage("seed-demo", url=url).returncode == 0
    ok = _manage_input(
        "create-user",
        "cb.vanphong",
        "--role",
        "van_phong",
        "--name",
        "Cán bộ văn phòng",
        url=url,
        stdin="mat-khau-rat-dai\nmat-khau-rat-dai\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert "Đã tạo người dùng “cb.vanphong”" in ok.stdout
    assert "mat-khau" not in ok.stdout + ok.stderr
    mismatch = _manage_input(
        "create-user", "cb.khac", "--role", "xem", url=url, stdin="mat-khau-rat-dai\nkhac\n"
    )
    assert mismatch.returncode == 2 and "không khớp" in mismatch.stderr
    short = _manage_input("create-user", "cb.khac", "--role", "xem", url=url, stdin="ngan\nngan\n")
    assert short.returncode == 2 and "ít nhất 10 ký tự" in short.stderr
    no_locality = _manage_input(
        "create-user", "dp.khac", "--role", "dieu_phoi", url=url, stdin="mat-khau-rat-dai\nmat-khau-rat-dai\n"
    )
    assert no_locality.returncode == 2 and "phải được giao ít nhất một" in no_locality.stderr
    audit_ok = _manage("verify-audit", url=url)
    assert audit_ok.returncode == 0 and "toàn vẹn" in audit_ok.stdout
    from lib.data.models import User

    with transaction(make_engine(url)) as s:
        user = s.scalar(select(User).where(User.username == "cb.vanphong"))
        assert user.role == "van_phong" and user.password_hash.startswith("$2b$12$")
        actions = [
            (e.actor.startswith("cli:"), e.action)
            for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
    assert (True, "create") in actions
    assert actions.count((True, "refused")) == 2  # the short password and the missing locality


def test_the_password_is_never_a_command_line_argument():
    result = subprocess.run(
        [sys.executable, "-m", "lib.manage", "create-user", "x", "--role", "xem", "--password", "abc"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "unrecognized arguments: --password" in result.stderr


def test_seed_demo_refuses_production(tmp_path):
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    assert _manage("init-db", url=url).returncode == 0
    env = {"DASHBOARD_ENV": "production", "AUTH_COOKIE_KEY": "k" * 40}
    result = _manage_input("seed-demo", url=url, stdin="", env=env)
    assert result.returncode == 2 and "production" in result.stderr


PRODUCTION = {"DASHBOARD_ENV": "production", "AUTH_COOKIE_KEY": "k" * 40}


def _row_counts(url: str) -> dict[str, int]:
    from lib.data.models import Base

    engine = make_engine(url)
    with transaction(engine) as s:
        counts = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
        counts["data_version"] = s.scalar(select(AppMeta.value).where(AppMeta.key == "data_version")) or 0
    engine.dispose()
    return counts


def test_load_programme_is_a_real_start_in_production(backend, make_database):
    url = make_database(backend)  # migrated, empty: what init-db leaves
    coordinator = ("create-user", "nguyen.van.a", "--role", "dieu_phoi", "--locality", "luc-ngan")
    refused = _manage_input(*coordinator, url=url, stdin="mat-khau-rat-dai\n" * 2, env=PRODUCTION)
    assert refused.returncode == 2  # no localities yet: the reason this command exists
    first = _manage_input("load-programme", "--as-of", "29/11/2026", url=url, stdin="", env=PRODUCTION)
    assert first.returncode == 0, first.stderr
    assert "Đã thêm 4 văn bản, 5 mục, 4 địa phương, 80 đơn vị hành chính, 16 cơ quan" in first.stdout
    assert "21 nhiệm vụ định kỳ" in first.stdout and "tạo 38 nhiệm vụ" in first.stdout
    counts = _row_counts(url)
    # 80 units of 2024, then 35 and 23 formed by the 2025 reorganisations; thị xã Chũ the fifth locality.
    assert (counts["unit"], counts["agency"], counts["locality"], counts["duty"]) == (138, 65, 5, 21)
    assert (counts["app_user"], counts["hq_project"], counts["model_ward"]) == (0, 0, 0)
    assert counts["task"] == 33 + 5  # the yearly reports of 2024–2026 and the 2025 reviews, nothing else
    engine = make_engine(url)
    with transaction(engine) as s:
        tasks = s.scalars(select(Task)).all()
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "load_programme")).all()
    engine.dispose()
    assert {(t.state, t.progress_pct, t.completed_on) for t in tasks} == {("chua_trien_khai", 0, None)}
    assert all(t.duty_id is not None for t in tasks)
    assert len(events) == 1 and events[0].actor == "cli:load-programme"
    again = _manage_input("load-programme", "--as-of", "29/11/2026", url=url, stdin="", env=PRODUCTION)
    assert again.returncode == 0 and "không có gì thay đổi" in again.stdout
    assert _row_counts(url) == counts  # not even the data version moved
    # The districts ended on 30/6/2025: a focal point now holds a xã of today's map.
    ended = _manage_input(*coordinator, url=url, stdin="mat-khau-rat-dai\n" * 2, env=PRODUCTION)
    assert ended.returncode == 2 and "“Huyện Lục Ngạn” không còn hiệu lực" in ended.stderr
    today_coordinator = (*coordinator[:4], "--scope", "unit:Xã Lục Ngạn")
    created = _manage_input(*today_coordinator, url=url, stdin="mat-khau-rat-dai\n" * 2, env=PRODUCTION)
    assert created.returncode == 0, created.stderr
    assert "Đã tạo người dùng “nguyen.van.a”" in created.stdout
    # A year on, the daily run adds the next periods; run twice, it adds them once.
    later = _manage_input("generate-duties", "--as-of", "01/12/2027", url=url, stdin="", env=PRODUCTION)
    assert later.returncode == 0 and "Đã tạo 22 nhiệm vụ" in later.stdout, later.stdout + later.stderr
    repeat = _manage_input("generate-duties", "--as-of", "2027-12-01", url=url, stdin="", env=PRODUCTION)
    assert repeat.returncode == 0 and "không thay đổi gì" in repeat.stdout
    assert _row_counts(url)["task"] == 38 + 22
    bad = _manage_input("generate-duties", "--as-of", "31/02/2027", url=url, stdin="", env=PRODUCTION)
    assert bad.returncode == 2 and "không phải ngày hợp lệ" in bad.stderr and "Traceback" not in bad.stderr
    checked = _manage_input("verify-audit", url=url, stdin="", env=PRODUCTION)
    assert checked.returncode == 0 and "toàn vẹn" in checked.stdout


def _register(path: Path, *rows: dict) -> Path:
    """A small register workbook: the task sheet with the template's headers and these rows."""
    from openpyxl import Workbook

    from lib.core.catalogue import REGISTER_TASKS

    book = Workbook()
    sheet = book.active
    sheet.title = REGISTER_TASKS.title
    labels = [c.label for c in REGISTER_TASKS.columns]
    sheet.append(labels)
    for row in rows:
        sheet.append([row.get(label) for label in labels])
    book.save(path)
    return path


NEW_TASK = {
    "Văn bản giao": "21/KH-CAT",
    "Nội dung nhiệm vụ": "Kiểm tra trụ sở Công an phường sau sáp nhập",
    "Cơ quan chủ trì": "Công an tỉnh Bắc Ninh",
    "Cơ quan phối hợp": "Sở Xây dựng; Sở Nội vụ",
    "Hạn ban đầu": "31/03/2027",
}


def test_import_register_previews_with_dry_run_then_imports_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'register.db'}"
    assert _manage("init-db", url=url).returncode == 0
    assert _manage("seed-demo", url=url).returncode == 0
    good = _register(tmp_path / "so-theo-doi.xlsx", NEW_TASK)
    with transaction(make_engine(url)) as s:
        before = s.scalar(select(func.count()).select_from(Task))

    dry = _manage("import-register", str(good), "--user", "vanphong", "--dry-run", url=url)
    assert dry.returncode == 0, dry.stderr
    assert "Chạy thử (--dry-run): không ghi gì." in dry.stdout
    assert "Nhiệm vụ: 1 mới, 0 cập nhật, 0 không đổi" in dry.stdout
    assert "Văn bản mới: 1 (21/KH-CAT)" in dry.stdout
    with transaction(make_engine(url)) as s:
        assert s.scalar(select(func.count()).select_from(Task)) == before

    done = _manage("import-register", str(good), "--user", "vanphong", url=url)
    assert done.returncode == 0, done.stderr
    assert (
        "Đã nhập so-theo-doi.xlsx" in done.stdout and "Tổng: 1 mới, 0 cập nhật, 0 không đổi." in done.stdout
    )
    again = _manage("import-register", str(good), "--user", "vanphong", url=url)
    assert again.returncode == 0 and "Tổng: 0 mới, 0 cập nhật, 1 không đổi." in again.stdout
    with transaction(make_engine(url)) as s:
        assert s.scalar(select(func.count()).select_from(Task)) == before + 1
        made = s.scalar(select(Task).where(Task.title == NEW_TASK["Nội dung nhiệm vụ"]))
        assert sorted(a.code for a in made.cooperators) == ["snv", "sxd"]
        assert made.updated_by == "vanphong"


def test_import_register_refuses_with_the_cells_and_exit_code_2(tmp_path):
    url = f"sqlite:///{tmp_path / 'register.db'}"
    assert _manage("init-db", url=url).returncode == 0
    assert _manage("seed-demo", url=url).returncode == 0
    bad = _register(tmp_path / "sai.xlsx", NEW_TASK, NEW_TASK | {"Cơ quan chủ trì": "Sở Tai chinh"})
    with transaction(make_engine(url)) as s:
        before = s.scalar(select(func.count()).select_from(Task))
    for extra in ((), ("--dry-run",)):
        result = _manage("import-register", str(bad), "--user", "vanphong", *extra, url=url)
        assert result.returncode == 2
        assert (
            "Nhiệm vụ!D3: Cơ quan chủ trì “Sở Tai chinh” không có trong danh mục; gần nhất: Sở Tài chính"
            in result.stderr
        )
        assert "Traceback" not in result.stderr
    with transaction(make_engine(url)) as s:
        assert s.scalar(select(func.count()).select_from(Task)) == before
    missing = _manage("import-register", str(tmp_path / "khong-co.xlsx"), "--user", "vanphong", url=url)
    assert missing.returncode == 2 and "Không đọc được tệp" in missing.stderr
    nobody = _manage("import-register", str(bad), "--user", "ai-do", url=url)
    assert nobody.returncode == 2 and "Không có người dùng “ai-do”" in nobody.stderr
    reader = _manage("import-register", str(bad), "--user", "lanhdao", url=url)
    assert reader.returncode == 2 and "chỉ được xem" in reader.stderr


def test_create_user_gives_a_focal_point_the_bodies_named_by_scope(tmp_path):
    from lib.data.models import Agency, Unit, User, UserScope

    url = f"sqlite:///{tmp_path / 'scopes.db'}"
    assert _manage("init-db", url=url).returncode == 0
    assert _manage("seed-demo", url=url).returncode == 0
    password = "mat-khau-rat-dai\nmat-khau-rat-dai\n"
    ok = _manage_input(
        "create-user",
        "dm.hai",
        "--role",
        "dieu_phoi",
        "--scope",
        "agency:stc",
        "--scope",
        "unit:Phường Nếnh",
        url=url,
        stdin=password,
    )
    assert ok.returncode == 0, ok.stderr
    unknown = _manage_input(
        "create-user", "dm.ba", "--role", "dieu_phoi", "--scope", "agency:khong-co", url=url, stdin=password
    )
    assert unknown.returncode == 2 and "Không có cơ quan, đơn vị mã “khong-co”" in unknown.stderr
    malformed = _manage_input(
        "create-user", "dm.bon", "--role", "dieu_phoi", "--scope", "stc", url=url, stdin=password
    )
    assert malformed.returncode == 2 and "LOẠI:MÃ" in malformed.stderr
    with transaction(make_engine(url)) as s:
        user = s.scalar(select(User).where(User.username == "dm.hai"))
        held = s.execute(
            select(UserScope.unit_id, UserScope.agency_id)
            .where(UserScope.user_id == user.id)
            .order_by(UserScope.id)
        ).all()
        stc = s.scalar(select(Agency.id).where(Agency.code == "stc"))
        # "Phường Nếnh" is today's phường (from 1/7/2025), not the one of thị xã Việt Yên it replaced.
        nenh = s.scalar(select(Unit.id).where(Unit.name == "Nếnh", Unit.valid_to.is_(None)))
        assert [tuple(r) for r in held] == [(None, stc), (nenh, None)]
        assert (
            s.scalar(select(func.count()).select_from(User).where(User.username.in_(["dm.ba", "dm.bon"])))
            == 0
        )
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "set_scope")).one()
        assert event.new_value == "Sở Tài chính; Phường Nếnh (Thị xã Việt Yên)"
