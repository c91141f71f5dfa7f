"""Settings read from the environment, checked once, with messages a user can act on."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'dashboard.db'}"
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
ENVIRONMENTS = ("demo", "production")


class ConfigError(Exception):
    """A setting is missing or wrong; the message is Vietnamese and says what to fix."""


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str
    due_soon_days: int
    page_size: int

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
    )


def today() -> date:
    """Return today's date in Vietnam, whatever the server's time zone."""
    return datetime.now(TIMEZONE).date()


def now() -> datetime:
    """Return the current time in Vietnam as a naive datetime (stored that way)."""
    return datetime.now(TIMEZONE).replace(tzinfo=None)
