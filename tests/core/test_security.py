"""Passwords, cookie keys and settings (pure); timing of refusals against a real database."""

import statistics
import time
from datetime import datetime

import pytest

from lib.core import security
from lib.core.config import ConfigError, load_settings
from lib.core.roles import system_actor
from lib.data import accounts
from lib.data.db import transaction
from lib.editing import user_admin

NOW = datetime(2026, 11, 29, 9, 0)


def test_password_policy():
    assert security.password_problems("mat-khau-du-dai", "dp.lucngan") == []
    assert security.password_problems("ngan", "x") == ["Mật khẩu phải có ít nhất 10 ký tự."]
    assert security.password_problems("dp.lucngan", "dp.lucngan") == [
        "Mật khẩu không được trùng tên đăng nhập."
    ]
    assert "khoảng trắng" in security.password_problems(" co-khoang-trang", "x")[0]
    over = "đ" * 37  # 37 characters, 74 bytes in UTF-8
    assert security.password_problems(over, "x") == [
        "Mật khẩu dài quá 72 byte (chữ có dấu tính 2–3 byte mỗi ký tự); hãy rút ngắn."
    ]
    assert security.password_problems("a" * 72, "x") == []


def test_hashing_and_checking_never_crash_on_long_or_unknown():
    hashed = security.hash_password("mat-khau-du-dai")
    assert hashed.startswith("$2b$04$")  # tests hash at the lowest cost; see real_bcrypt
    assert security.verify_password("mat-khau-du-dai", hashed)
    assert not security.verify_password("mat-khau-sai!!", hashed)
    assert not security.verify_password("x" * 500, hashed)  # bcrypt 5 would raise on > 72 bytes
    assert not security.verify_password("mat-khau-du-dai", None)


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (None, "thiếu khóa"),
        ("", "thiếu khóa"),
        ("some_key", "giá trị mẫu"),
        ("changeme", "giá trị mẫu"),
        ("k" * 31, "ngắn hơn 32 byte"),
    ],
)
def test_production_refuses_a_weak_cookie_key_in_one_line(key, problem):
    env = {"DASHBOARD_ENV": "production", **({"AUTH_COOKIE_KEY": key} if key is not None else {})}
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    message = str(info.value)
    assert problem in message and "\n" not in message
    assert message.startswith("Không khởi động ở chế độ production")


def test_production_accepts_a_strong_key_and_demo_makes_one_per_install():
    strong = security.generate_cookie_key()
    assert load_settings({"DASHBOARD_ENV": "production", "AUTH_COOKIE_KEY": strong}).cookie_key == strong
    demo = load_settings({}).cookie_key
    assert security.cookie_key_problem(demo) is None
    assert load_settings({}).cookie_key == demo  # stable for the install


def test_cookie_lifetime_is_a_working_day_by_default_and_configurable():
    assert load_settings({}).cookie_hours == 10
    assert load_settings({"AUTH_COOKIE_HOURS": "2"}).cookie_hours == 2
    with pytest.raises(ConfigError):
        load_settings({"AUTH_COOKIE_HOURS": "0"})


@pytest.mark.real_bcrypt
def test_unknown_username_takes_as_long_as_a_wrong_password(engine):
    with transaction(engine, write=True) as s:
        from lib.ops.programme import load_reference

        load_reference(s)
        user_admin.create_user(
            s,
            system_actor(),
            username="can.bo",
            display_name="Cán bộ",
            role="xem",
            locality_code=None,
            password="mat-khau-du-dai",
            now=NOW,
        )

    def timed(username: str, client: str) -> float:
        start = time.perf_counter()
        with transaction(engine, write=True) as s:
            outcome = accounts.authenticate(s, username, "sai-mat-khau-roi", NOW, client=client).outcome
            assert outcome == "failure"
        return time.perf_counter() - start

    # Each pair from its own client so the throttles never kick in; alternate to share any drift.
    known, unknown = [], []
    for i in range(4):
        known.append(timed("can.bo", f"10.0.0.{i}"))
        unknown.append(timed(f"khong.co.{i}", f"10.0.0.{i}"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.6 < ratio < 1.6, (known, unknown)


@pytest.mark.real_bcrypt
def test_passwords_are_hashed_at_cost_12():
    assert security.hash_password("mat-khau-du-dai").startswith("$2b$12$")
