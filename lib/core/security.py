"""Password policy, bcrypt hashing with a constant-time refusal, throttling rules, cookie keys.

OWASP ASVS level 2 guides the choices: at least 10 characters, no composition rules, no hints,
bcrypt cost 12, the same work for unknown users as for known ones, per-username throttling.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache

import bcrypt
import jwt

BCRYPT_ROUNDS = 12
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; bcrypt 5 raises beyond it
# Guessing is stopped per client first: one address failing 5 times in 15 minutes (any usernames)
# is refused for 15 minutes, so it alone can never lock an account. A username is locked for
# browsers it has never signed in on after 10 failures from such browsers; a browser that holds the
# user's device cookie (set at a successful sign-in) is counted on its own and still gets in.
CLIENT_MAX_FAILURES = 5
ACCOUNT_MAX_FAILURES = 10
DEVICE_MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
DEVICE_COOKIE_LIFETIME = timedelta(days=180)
COOKIE_CODE_LIFETIME = timedelta(minutes=2)  # the page's one-time code for /auth/cookie

# The sign-in cookies, set and removed by the server itself (lib/ui/web.py): HttpOnly, SameSite=Strict.
COOKIE_NAME = "bg_dashboard_auth"  # re-login: valid while its server-side session is
DEVICE_COOKIE_NAME = "bg_dashboard_device"  # a browser the user signed in on (see the throttles)
COOKIE_ROUTE = "/auth/cookie"  # ?code=…: sets the re-login cookie (and the device cookie)
FORGET_ROUTE = "/auth/forget"  # removes the re-login cookie
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


def lock_until(failures: Sequence[datetime], now: datetime, limit: int) -> datetime | None:
    """Return until when a subject is locked, given its recent failure times and its limit (or None)."""
    recent = [t for t in failures if now - FAILURE_WINDOW < t <= now]
    if len(recent) >= limit:
        return now + LOCK_DURATION
    return None


def new_token() -> str:
    """Make a random value for a cookie or a one-time code (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def session_token(key: str, expires_epoch: int) -> str:
    """Make a re-login cookie value: a random session handle signed with the cookie key (HS256).

    The database keeps only its digest and is the truth about it; the signature lets the proxy
    turn away requests (uploads) that carry no cookie this server issued, without asking the app.
    """
    return jwt.encode({"sid": new_token(), "exp": expires_epoch}, key, algorithm="HS256")


def token_digest(token: str) -> str:
    """Hash a re-login cookie value for storage (the cookie itself is never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def signature(key: str, purpose: str, value: str) -> str:
    """Sign a value for one purpose with the cookie key (a short HMAC-SHA256, hex)."""
    return hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


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
