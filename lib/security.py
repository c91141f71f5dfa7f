"""Password policy, bcrypt hashing with a constant-time refusal, throttling rules, cookie keys.

OWASP ASVS level 2 guides the choices: at least 10 characters, no composition rules, no hints,
bcrypt cost 12, the same work for unknown users as for known ones, per-username throttling.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache

import bcrypt

BCRYPT_ROUNDS = 12
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; bcrypt 5 raises beyond it
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
MIN_COOKIE_KEY_BYTES = 32
PLACEHOLDER_KEYS = frozenset(
    {
        "some_key",
        "some_cookie_key",
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "your-secret-key",
        "replace-me",
        "cookie_key",
        "key",
        "xxx",
        "random_signature_key",
    }
)


def password_problems(password: str, username: str) -> list[str]:
    """List what is wrong with a new password, in Vietnamese (empty when acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        problems.append(
            f"Mật khẩu dài quá {MAX_PASSWORD_BYTES} byte (chữ có dấu tính 2–3 byte mỗi ký tự); hãy rút ngắn."
        )
    if password != password.strip():
        problems.append("Mật khẩu không được bắt đầu hoặc kết thúc bằng khoảng trắng.")
    if username and password.strip().lower() == username.strip().lower():
        problems.append("Mật khẩu không được trùng tên đăng nhập.")
    if any(ord(ch) < 32 for ch in password):
        problems.append("Mật khẩu không được chứa ký tự điều khiển.")
    return problems


def hash_password(password: str) -> str:
    """Hash a password that passed the policy with bcrypt (cost 12)."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


@cache
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(secrets.token_bytes(16).hex().encode(), bcrypt.gensalt(rounds))


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash (unknown user) do the same bcrypt work and refuse."""
    raw = password.encode("utf-8")
    too_long = len(raw) > MAX_PASSWORD_BYTES
    target = password_hash.encode("ascii") if password_hash else _dummy_hash(BCRYPT_ROUNDS)
    try:
        ok = bcrypt.checkpw(raw[:MAX_PASSWORD_BYTES], target)
    except ValueError:
        return False
    return ok and not too_long and password_hash is not None


def lock_until(failures: Sequence[datetime], now: datetime) -> datetime | None:
    """Return until when a username is locked, given its recent failure times (or None)."""
    recent = [t for t in failures if now - FAILURE_WINDOW < t <= now]
    if len(recent) >= MAX_FAILURES:
        return now + LOCK_DURATION
    return None


def token_digest(token: str) -> str:
    """Hash a re-login cookie value for storage (the cookie itself is never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def cookie_key_problem(key: str | None) -> str | None:
    """Say why a cookie signing key is unfit for production, or None when it is fine."""
    if not key:
        return "thiếu khóa ký cookie AUTH_COOKIE_KEY (biến môi trường hoặc .streamlit/secrets.toml)"
    if key.strip().lower() in PLACEHOLDER_KEYS:
        return f"khóa ký cookie AUTH_COOKIE_KEY là giá trị mẫu “{key}”, hãy tạo khóa ngẫu nhiên"
    if len(key.encode("utf-8")) < MIN_COOKIE_KEY_BYTES:
        return f"khóa ký cookie AUTH_COOKIE_KEY ngắn hơn {MIN_COOKIE_KEY_BYTES} byte"
    return None


def generate_cookie_key() -> str:
    """Make a random signing key (64 URL-safe characters)."""
    return secrets.token_urlsafe(48)
