"""Settings from the environment (and `.env`), with one-line errors.

Only this module reads the environment (ARCHITECTURE.md).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Annotated, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

LogLevel = Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_TEAM_ID = re.compile(r"^T[A-Z0-9]{2,}$")

# How to fix each setting, for the one-line start-up error.
_FIXES = {
    "SLACK_BOT_TOKEN": "set it to the app's Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
    "SLACK_SIGNING_SECRET": "set it to the Signing Secret from the app's Basic Information page",
    "SLACK_APP_TOKEN": "set it to an app-level token (xapp-…) with connections:write",
    "SLACK_CLIENT_ID": "set it to the Client ID from the app's Basic Information page",
    "SLACK_CLIENT_SECRET": "set it to the Client Secret from the app's Basic Information page",
    "SLACK_STATE_SECRET": "set it to a long random string, e.g. from `openssl rand -hex 32`",
    "SLACK_API_URL": "set it to an http(s) URL such as https://slack.com/api/",
    "DATABASE_URL": "use e.g. sqlite:///mentorbot.db or postgresql://user:pass@host/db",
    "MENTORBOT_ADMIN_IDS": (
        "use comma-separated Slack user ids, e.g. U012AB3CD,U045EF6GH; with many workspaces "
        "give each as TEAM_ID:USER_ID, e.g. T012AB3CD:U045EF6GH"
    ),
    "PORT": "use a whole number from 1 to 65535",
    "LOG_LEVEL": "use one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
}


class ConfigError(Exception):
    """A setting is missing or malformed; str() is the one line to show."""


def fix_for(name: str) -> str:
    """How to fix setting `name`, for a one-line error raised elsewhere."""
    return _FIXES[name]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    SLACK_BOT_TOKEN: str = ""
    SLACK_SIGNING_SECRET: str = ""
    SLACK_APP_TOKEN: str = ""
    # OAuth mode (issue 13): installs into many workspaces instead of one bot token.
    SLACK_CLIENT_ID: str = ""
    SLACK_CLIENT_SECRET: str = ""
    SLACK_STATE_SECRET: str = ""
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
    def _split_admins(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        ids = frozenset(part.strip() for part in value.split(",") if part.strip())
        bad = sorted(i for i in ids if not _admin_entry(i))
        if bad:
            raise ValueError(f"not a Slack user id: {', '.join(bad)}")
        # A user id names a person in one workspace only (U0ADMIN01 in another is someone
        # else). The client id and secret are declared above, so already in `info.data`.
        plain = sorted(i for i in ids if ":" not in i)
        if plain and (info.data.get("SLACK_CLIENT_ID") or info.data.get("SLACK_CLIENT_SECRET")):
            raise ValueError(f"{', '.join(plain)} names no workspace, needed in OAuth mode")
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

    @property
    def oauth(self) -> bool:
        """OAuth mode: workspaces install the app, each with its own bot token."""
        return bool(self.SLACK_CLIENT_ID or self.SLACK_CLIENT_SECRET)

    def require_slack(self, *names: str) -> None:
        """`require` for a command that talks to Slack: the bot token in single-workspace
        mode, the client id and secret in OAuth mode, never both."""
        if not self.oauth:
            self.require("SLACK_BOT_TOKEN", *names)
            return
        if self.SLACK_BOT_TOKEN:
            raise ConfigError(
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: unset SLACK_BOT_TOKEN "
                "for OAuth mode (many workspaces), or the client id and secret for one."
            )
        self.require("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", *names)

    def require(self, *names: str) -> None:
        """Stop with a clear line if a setting this mode needs is empty."""
        for name in names:
            if not getattr(self, name):
                raise ConfigError(f"{name} is not set: {_FIXES[name]}.")
        for name, prefix in (("SLACK_BOT_TOKEN", "xoxb-"), ("SLACK_APP_TOKEN", "xapp-")):
            if name in names and not getattr(self, name).startswith(prefix):
                raise ConfigError(f"{name} does not start with {prefix}: {_FIXES[name]}.")


def admins_of(entries: Collection[str], team_id: str) -> frozenset[str]:
    """The MENTORBOT_ADMIN_IDS entries that make admins in `team_id`: `T…:U…` for that team,
    plain `U…` for the one workspace (refused in OAuth mode, so one team is all there is)."""
    users = set()
    for entry in entries:
        team, _, user = entry.rpartition(":")
        if team in ("", team_id):
            users.add(user)
    return frozenset(users)


def _admin_entry(entry: str) -> bool:
    team, sep, user = entry.rpartition(":")
    return bool(_USER_ID.match(user) and (not sep or _TEAM_ID.match(team)))


def parse_database_url(url: str) -> str:
    """Rewrite a plain or Heroku URL to the async driver SQLAlchemy needs.

    PostgreSQL URLs as hosts hand them out carry libpq's `sslmode`; asyncpg takes the
    same modes as `ssl`. Other libpq-only parameters would reach asyncpg.connect() as
    unknown keywords, so they are refused here, by name.
    """
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or not rest:
        raise ValueError("not a database URL")
    if scheme not in _DRIVERS:
        raise ValueError(f"unsupported database {scheme!r}")
    try:
        parsed = make_url(f"{_DRIVERS[scheme]}://{rest}")
    except ValueError as exc:  # SQLAlchemy parses the port with int()
        port = rest.rpartition("@")[2].partition("/")[0].rpartition(":")[2]
        reason = f"port {port!r} is not a number" if "int()" in str(exc) else "not a database URL"
        raise ValueError(reason) from None
    except ArgumentError:
        raise ValueError("not a database URL") from None
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise ValueError(f"port {parsed.port} is not from 1 to 65535")
    if parsed.get_backend_name() == "postgresql" and parsed.query:
        parsed = parsed.set(query=_asyncpg_query(dict(parsed.query)))
        return parsed.render_as_string(hide_password=False)
    return f"{_DRIVERS[scheme]}://{rest}"


def _asyncpg_query(query: dict[str, str | tuple[str, ...]]) -> dict[str, str]:
    """libpq's URL parameters as asyncpg takes them; a clear error for the others."""
    if "sslmode" in query and "ssl" in query:
        raise ValueError("give sslmode or ssl, not both")
    if "sslmode" in query:
        query["ssl"] = query.pop("sslmode")
    passed: dict[str, str] = {}
    for name, value in query.items():
        if not isinstance(value, str):
            raise ValueError(f"{name} is given more than once")
        if name not in _ASYNCPG_PARAMETERS:
            raise ValueError(f"asyncpg does not take ?{name}=; remove it")
        if name == "ssl" and value not in _SSL_MODES:
            raise ValueError(f"sslmode {value!r} is not one of {', '.join(_SSL_MODES)}")
        passed[name] = value
    return passed


_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}
# libpq's sslmode values; asyncpg's `ssl` takes the same strings with the same meaning.
_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# URL parameters that reach asyncpg.connect() as strings and work as strings.
_ASYNCPG_PARAMETERS = frozenset(
    {"ssl", "target_session_attrs", "krbsrvname", "gsslib", "prepared_statement_cache_size"}
)


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
