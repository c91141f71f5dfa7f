"""Sign-in, roles and user management through the pages (AppTest)."""

from datetime import date

import pytest
from sqlalchemy import delete, select
from streamlit.testing.v1 import AppTest

from lib.core import config
from lib.core.roles import system_actor
from lib.core.security import generate_cookie_key
from lib.data import accounts
from lib.data.db import make_engine, transaction
from lib.data.models import Unit, User, UserScope
from lib.editing import actions, user_admin
from lib.ui import uploads
from tests.support.apptest import sign_in
from tests.support.paths import APP, ROOT

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def app(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return lambda script=APP: AppTest.from_file(script, default_timeout=30)


def _engine(demo_copy):
    return make_engine(f"sqlite:///{demo_copy}")


def _texts(at):
    return [e.value for kind in ("error", "warning", "info", "markdown", "caption") for e in at.get(kind)]


def test_demo_sign_in_lists_the_demo_accounts(app):
    at = app().run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Tên đăng nhập", "Mật khẩu"]
    accounts_shown = at.dataframe[0].value
    assert list(accounts_shown["Tên đăng nhập"]) == [
        "admin",
        "vanphong",
        "lanhdao",
        "dp.lucngan",
        "dp.yendung",
        "dp.vietyen",
        "dp.bacgiang",
        "dm.sotaichinh",
        "dm.nenh",
    ]
    assert any("bacgiang2024" in t for t in _texts(at))
    assert not at.metric  # no data before signing in


@pytest.mark.parametrize(
    ("today", "province"), [(date(2025, 6, 30), "Bắc Giang"), (date(2025, 7, 1), "Bắc Ninh")]
)
def test_the_title_names_the_province_of_the_day(app, monkeypatch, today, province):
    monkeypatch.setattr(config, "today", lambda: today)
    at = app().run()
    assert not at.exception
    assert [t.value for t in at.title] == [f"Theo dõi thực hiện Đề án 30/ĐA-BCA – {province}"]


def test_production_shows_no_demo_accounts(app, monkeypatch):
    monkeypatch.setenv("DASHBOARD_ENV", "production")
    monkeypatch.setenv("AUTH_COOKIE_KEY", generate_cookie_key())
    at = app().run()
    assert not at.exception
    assert not at.dataframe
    assert not any("bacgiang2024" in t or "trình diễn" in t for t in _texts(at))
    assert [t.label for t in at.text_input] == ["Tên đăng nhập", "Mật khẩu"]


def test_production_refuses_to_start_with_a_placeholder_key(app, monkeypatch):
    monkeypatch.setenv("DASHBOARD_ENV", "production")
    monkeypatch.setenv("AUTH_COOKIE_KEY", "some_key")
    at = app().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Cấu hình chưa đúng: Không khởi động ở chế độ production: khóa ký cookie AUTH_COOKIE_KEY "
        "là giá trị mẫu “some_key”, hãy tạo khóa ngẫu nhiên."
    ]
    assert not at.text_input


def test_wrong_password_then_lockout_message(app):
    at = app().run()
    for _ in range(5):
        at.text_input[0].input("dp.vietyen")
        at.text_input[1].input("mat-khau-sai-roi")
        at.button[0].click().run()
        assert [e.value for e in at.error] == ["Sai tên đăng nhập hoặc mật khẩu."]
    at.text_input[0].input("dp.vietyen")
    at.text_input[1].input("bacgiang2024")
    at.button[0].click().run()
    assert not at.exception
    # A client that keeps failing is stopped first (the account is not locked by one client).
    assert at.error[0].value.startswith(
        "Máy này đã nhập sai mật khẩu quá nhiều lần: tạm dừng đăng nhập từ máy này đến"
    )
    assert not at.metric


@pytest.mark.parametrize(
    ("user", "allowed", "refused"),
    [
        ("admin", ["pages/admin.py", "pages/tasks.py", "pages/documents.py", "pages/account.py"], []),
        ("vanphong", ["pages/tasks.py", "pages/documents.py", "pages/admin.py", "pages/account.py"], []),
        ("lanhdao", ["pages/tasks.py", "pages/documents.py"], ["pages/admin.py"]),
        ("dp.lucngan", ["pages/tasks.py", "pages/documents.py", "pages/account.py"], ["pages/admin.py"]),
    ],
)
def test_navigation_lists_only_the_pages_of_the_role(app, user, allowed, refused):
    at = sign_in(app(), user)
    assert any(f"({user})" in c.value for c in at.sidebar.caption)
    for page in allowed:
        at.switch_page(page).run()
        assert not at.exception
        assert not at.error
    for page in refused:
        with pytest.raises(ValueError):
            at.switch_page(page)


def test_the_admin_page_checks_the_role_itself(app):
    at = app(str(ROOT / "pages" / "admin.py"))  # run on its own, as Streamlit may do on a new process
    sign_in(at, "lanhdao")
    assert [e.value for e in at.error] == ["Vai trò “Lãnh đạo” không được mở trang này."]
    assert not at.dataframe


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("disable", "Tài khoản đã bị vô hiệu hóa. Phiên làm việc đã kết thúc."),
        (
            "delete",
            "Phiên đăng nhập không còn hiệu lực (tài khoản có thể đã bị xóa). Vui lòng đăng nhập lại.",
        ),
        ("reset", "Phiên đăng nhập đã bị thu hồi. Vui lòng đăng nhập lại."),
    ],
)
def test_a_user_changed_while_signed_in_is_signed_out_on_the_next_interaction(app, demo_copy, how, message):
    at = sign_in(app(), "dp.bacgiang")
    assert at.metric
    engine = _engine(demo_copy)
    if how == "disable":
        actions.perform(
            engine, system_actor(), user_admin.set_user_active, "dp.bacgiang", False, config.now()
        )
    elif how == "reset":
        actions.perform(
            engine, system_actor(), user_admin.reset_password, "dp.bacgiang", "mat-khau-moi-dai", config.now()
        )
    else:
        with transaction(engine, write=True) as s:
            s.execute(delete(User).where(User.username == "dp.bacgiang"))  # its sessions go with it
    at.sidebar.multiselect[0].set_value(["bac-giang"]).run()  # any interaction
    assert not at.exception
    assert [w.value for w in at.warning] == [message]
    assert not at.metric
    assert [t.label for t in at.text_input] == ["Tên đăng nhập", "Mật khẩu"]


def test_changing_ones_password_signs_out_and_the_new_one_works(app):
    at = sign_in(app(), "dp.yendung")
    at.switch_page("pages/account.py").run()
    at.text_input(key="account_current").input("bacgiang2024")
    at.text_input(key="account_new").input("dp.yendung")
    at.text_input(key="account_repeat").input("dp.yendung")
    at.button(key="FormSubmitter:account_password-Đổi mật khẩu").click().run()
    assert [e.value for e in at.error] == ["Mật khẩu không được trùng tên đăng nhập."]
    at.text_input(key="account_current").input("bacgiang2024")
    at.text_input(key="account_new").input("mat-khau-moi-cua-toi")
    at.text_input(key="account_repeat").input("mat-khau-moi-cua-toi")
    at.button(key="FormSubmitter:account_password-Đổi mật khẩu").click().run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["Đã đổi mật khẩu. Vui lòng đăng nhập lại bằng mật khẩu mới."]
    sign_in(at, "dp.yendung", "mat-khau-moi-cua-toi")
    assert any("(dp.yendung)" in c.value for c in at.sidebar.caption)


def test_an_admin_creates_a_coordinator_from_the_page(app, demo_copy):
    at = sign_in(app(), "admin")
    at.switch_page("pages/admin.py").run()
    at.text_input(key="admin_new_username").input("dp.moi")
    at.text_input(key="admin_new_name").input("Nguyễn Thị Mới")
    at.selectbox(key="admin_new_role").set_value("dieu_phoi")
    at.selectbox(key="admin_new_locality").set_value("yen-dung")  # home district, ended 31/12/2024
    with transaction(_engine(demo_copy)) as s:  # what they edit: today's phường Yên Dũng
        ward = s.scalar(select(Unit.id).where(Unit.name == "Yên Dũng", Unit.valid_to.is_(None)))
    at.multiselect(key="admin_new_scope_unit").set_value([ward])
    at.text_input(key="admin_new_password").input("ngan")
    at.text_input(key="admin_new_repeat").input("ngan")
    at.button(key="FormSubmitter:admin_create-Tạo người dùng").click().run()
    assert [e.value for e in at.error] == ["Mật khẩu phải có ít nhất 10 ký tự."]
    at.text_input(key="admin_new_password").input("mat-khau-ban-dau")
    at.text_input(key="admin_new_repeat").input("mat-khau-ban-dau")
    at.button(key="FormSubmitter:admin_create-Tạo người dùng").click().run()
    assert not at.exception and not at.error
    assert "dp.moi" in list(at.dataframe[0].value["username"])
    with transaction(_engine(demo_copy)) as s:
        user = s.scalar(select(User).where(User.username == "dp.moi"))
        assert (user.role, user.display_name, user.locality.code) == (
            "dieu_phoi",
            "Nguyễn Thị Mới",
            "yen-dung",
        )
        scope = s.execute(
            select(UserScope.locality_id, UserScope.unit_id).where(UserScope.user_id == user.id)
        )
        assert scope.all() == [(None, ward)]


def test_the_admin_sees_a_lock_on_the_page_and_lifts_it(app, demo_copy):
    engine = _engine(demo_copy)
    for _ in range(5):
        with transaction(engine, write=True) as s:
            accounts.authenticate(s, "admin", "doan-sai-mat-khau", config.now(), client="203.0.113.7")
    at = app()
    sign_in(at, "admin")  # from this machine ("local"): the stopped client is another one
    at.switch_page("pages/admin.py").run()
    assert not at.exception
    locks = next(d.value for d in at.dataframe if "kind" in d.value.columns)
    assert list(locks["kind"]) == ["Máy (địa chỉ)"] and list(locks["label"]) == ["203.0.113.7"]
    at.button(key="admin_unlock").click().run()
    assert not at.exception
    assert "Không có khóa nào." in _texts(at)
    with transaction(engine) as s:
        assert accounts.authenticate(
            s, "admin", "bacgiang2024", config.now(), client="203.0.113.7"
        ).outcome == ("success")


def test_only_signed_in_editors_may_send_files_to_the_server(app, monkeypatch):
    monkeypatch.setattr(uploads, "GATE", uploads.UploadGate())  # this process's gate, empty
    reader = sign_in(app(), "lanhdao")
    assert not uploads.GATE._admitted  # reads only: no uploads
    editor = sign_in(app(), "dp.lucngan")
    (session_id,) = uploads.GATE._admitted
    assert uploads.GATE.refusal(session_id) is None
    editor.button(key="auth_logout").click().run()
    assert not editor.exception and session_id not in uploads.GATE._admitted
    assert uploads.GATE.refusal(session_id) == (
        403,
        "Chỉ người dùng đã đăng nhập và được sửa dữ liệu mới gửi được tệp.",
    )
    assert not reader.exception
