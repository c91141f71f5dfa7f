"""Settings read from the environment, checked once, with messages a user can act on."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from lib.core.security import cookie_key_problem, generate_cookie_key

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'dashboard.db'}"
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
ENVIRONMENTS = ("demo", "production")
SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"
DEMO_KEY_FILE = PROJECT_ROOT / "data" / ".cookie-key"


class ConfigError(Exception):
    """A setting is missing or wrong; the message is Vietnamese and says what to fix."""


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str
    due_soon_days: int
    page_size: int
    cookie_key: str
    cookie_hours: int
    stale_days: int = 90
    smtp_url: str = ""  # where reminder letters are mailed from; "" sends none (lib/ops/mail.py)

    @property
    def is_demo(self) -> bool:
        return self.env == "demo"


def _positive_int(environ: Mapping[str, str], name: str, default: int, upper: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"Biến môi trường {name}='{raw}' phải là số nguyên dương.") from None
    if not 1 <= value <= upper:
        raise ConfigError(f"Biến môi trường {name}={value} phải nằm trong khoảng 1–{upper}.")
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check the settings from the environment."""
    env_vars = os.environ if environ is None else environ
    env = env_vars.get("DASHBOARD_ENV", "demo").strip() or "demo"
    if env not in ENVIRONMENTS:
        raise ConfigError(f"DASHBOARD_ENV='{env}' không hợp lệ: chỉ nhận 'demo' hoặc 'production'.")
    url = env_vars.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    return Settings(
        env=env,
        database_url=url,
        due_soon_days=_positive_int(env_vars, "DUE_SOON_DAYS", 30, 365),
        page_size=_positive_int(env_vars, "PAGE_SIZE", 50, 1000),
        stale_days=_positive_int(env_vars, "STALE_DAYS", 90, 3650),
        cookie_key=_cookie_key(env_vars, env),
        cookie_hours=_positive_int(env_vars, "AUTH_COOKIE_HOURS", 10, 24 * 30),
        smtp_url=_smtp_url(env_vars),
    )


SMTP_SCHEMES = ("smtp", "smtps")


def _smtp_url(environ: Mapping[str, str]) -> str:
    """SMTP_URL (or the secret of that name): smtp://user:pass@host:port[?starttls=1&from=addr],
    smtps:// for TLS from the start; "" when unset."""
    raw = environ.get("SMTP_URL", "").strip() or (_secret("SMTP_URL") or "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in SMTP_SCHEMES or not parts.hostname or port == -1:
        raise ConfigError(
            "SMTP_URL không hợp lệ: dạng smtp://tài-khoản:mật-khẩu@máy-chủ:cổng (thêm ?starttls=1 nếu "
            "máy chủ yêu cầu), hoặc smtps://… cho kết nối mã hóa ngay từ đầu."
        )
    return raw


def _secret(name: str) -> str | None:
    """Read a secret from .streamlit/secrets.toml (top level or under [auth])."""
    if not SECRETS_FILE.exists():
        return None
    try:
        data = tomllib.loads(SECRETS_FILE.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Không đọc được {SECRETS_FILE.name}: {exc}") from None
    value = data.get(name, data.get("auth", {}).get(name.lower().removeprefix("auth_")))
    return str(value) if value is not None else None


def _cookie_key(environ: Mapping[str, str], env: str) -> str:
    key = environ.get("AUTH_COOKIE_KEY", "").strip() or _secret("AUTH_COOKIE_KEY")
    if env == "production":
        problem = cookie_key_problem(key)
        if problem:
            raise ConfigError(f"Không khởi động ở chế độ production: {problem}.")
        assert key is not None
        return key
    if key and not cookie_key_problem(key):
        return key
    # Demo: one random key per install, kept out of git.
    if not DEMO_KEY_FILE.exists():
        DEMO_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        DEMO_KEY_FILE.write_text(generate_cookie_key(), encoding="utf-8")
        DEMO_KEY_FILE.chmod(0o600)
    return DEMO_KEY_FILE.read_text(encoding="utf-8").strip()


def today() -> date:
    """Return today's date in Vietnam, whatever the server's time zone."""
    return datetime.now(TIMEZONE).date()


def now() -> datetime:
    """Return the current time in Vietnam as a naive datetime (stored that way)."""
    return datetime.now(TIMEZONE).replace(tzinfo=None)


def epoch(moment: datetime) -> int:
    """Return the Unix time of a naive Vietnam local time (as stored)."""
    return int(moment.replace(tzinfo=TIMEZONE).timestamp())
