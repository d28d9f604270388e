"""Settings from the environment (and `.env`), with one-line errors.

Only this module reads the environment (ARCHITECTURE.md).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogLevel = Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")

# How to fix each setting, for the one-line start-up error.
_FIXES = {
    "SLACK_BOT_TOKEN": "set it to the app's Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
    "SLACK_SIGNING_SECRET": "set it to the Signing Secret from the app's Basic Information page",
    "SLACK_APP_TOKEN": "set it to an app-level token (xapp-…) with connections:write",
    "SLACK_API_URL": "set it to an http(s) URL such as https://slack.com/api/",
    "DATABASE_URL": "use e.g. sqlite:///mentorbot.db or postgresql://user:pass@host/db",
    "MENTORBOT_ADMIN_IDS": "use comma-separated Slack user ids, e.g. U012AB3CD,U045EF6GH",
    "PORT": "use a whole number from 1 to 65535",
    "LOG_LEVEL": "use one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
}


class ConfigError(Exception):
    """A setting is missing or malformed; str() is the one line to show."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    SLACK_BOT_TOKEN: str = ""
    SLACK_SIGNING_SECRET: str = ""
    SLACK_APP_TOKEN: str = ""
    SLACK_API_URL: str = "https://slack.com/api/"
    DATABASE_URL: str = "sqlite:///mentorbot.db"
    MENTORBOT_ADMIN_IDS: Annotated[frozenset[str], NoDecode] = frozenset()
    PORT: int = Field(default=3000, ge=1, le=65535)
    LOG_LEVEL: LogLevel = "INFO"

    @field_validator("LOG_LEVEL", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("MENTORBOT_ADMIN_IDS", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        ids = frozenset(part.strip() for part in value.split(",") if part.strip())
        bad = sorted(i for i in ids if not _USER_ID.match(i))
        if bad:
            raise ValueError(f"not a Slack user id: {', '.join(bad)}")
        return ids

    @field_validator("SLACK_API_URL")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("not an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return parse_database_url(value)

    def require(self, *names: str) -> None:
        """Stop with a clear line if a setting this mode needs is empty."""
        for name in names:
            if not getattr(self, name):
                raise ConfigError(f"{name} is not set: {_FIXES[name]}.")
        for name, prefix in (("SLACK_BOT_TOKEN", "xoxb-"), ("SLACK_APP_TOKEN", "xapp-")):
            if name in names and not getattr(self, name).startswith(prefix):
                raise ConfigError(f"{name} does not start with {prefix}: {_FIXES[name]}.")


def parse_database_url(url: str) -> str:
    """Rewrite a plain or Heroku URL to the async driver SQLAlchemy needs."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or not rest:
        raise ValueError("not a database URL")
    drivers = {
        "postgres": "postgresql+asyncpg",
        "postgresql": "postgresql+asyncpg",
        "postgresql+asyncpg": "postgresql+asyncpg",
        "sqlite": "sqlite+aiosqlite",
        "sqlite+aiosqlite": "sqlite+aiosqlite",
    }
    if scheme not in drivers:
        raise ValueError(f"unsupported database {scheme!r}")
    return f"{drivers[scheme]}://{rest}"


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one ConfigError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "configuration"
        reason = str(error["msg"]).removeprefix("Value error, ")
        fix = _FIXES.get(name, "check it")
        raise ConfigError(f"{name} is invalid ({reason}): {fix}.") from None
