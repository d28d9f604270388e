"""DATABASE_URL as hosts hand it out, rewritten for the async drivers."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url

from bot.config import ConfigError, load_settings, parse_database_url


def _asyncpg_connect_args(url: str) -> dict[str, object]:
    """What SQLAlchemy will pass to asyncpg.connect() for this URL."""
    _args, kwargs = asyncpg_dialect().create_connect_args(make_url(url))
    return dict(kwargs)


@pytest.mark.parametrize(
    "mode", ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
)
def test_libpq_sslmode_reaches_asyncpg_as_ssl(mode: str) -> None:
    url = parse_database_url(f"postgres://u:secret@db.example.com:5432/app?sslmode={mode}")
    assert url.startswith("postgresql+asyncpg://")
    kwargs = _asyncpg_connect_args(url)
    assert kwargs["ssl"] == mode
    assert "sslmode" not in kwargs
    assert (kwargs["user"], kwargs["password"], kwargs["database"]) == ("u", "secret", "app")


def test_rewriting_is_idempotent_and_keeps_the_password() -> None:
    once = parse_database_url("postgres://u:p%40ss@h/app?sslmode=require")
    assert parse_database_url(once) == once
    assert _asyncpg_connect_args(once)["password"] == "p@ss"


def test_urls_without_parameters_keep_their_spelling() -> None:
    assert parse_database_url("postgres://u:p@h:5432/db") == "postgresql+asyncpg://u:p@h:5432/db"
    assert parse_database_url("sqlite:///data/mentor bot.db") == (
        "sqlite+aiosqlite:///data/mentor bot.db"
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgres://u@h:abc/db", "port 'abc' is not a number"),
        ("postgres://h:5x/db", "port '5x' is not a number"),
        ("postgres://u@h:0/db", "port 0 is not from 1 to 65535"),
        ("postgres://u@h/db?sslmode=sometimes", "sslmode 'sometimes' is not one of"),
        ("postgres://u@h/db?sslmode=require&ssl=require", "not both"),
        ("postgres://u@h/db?connect_timeout=10", "asyncpg does not take ?connect_timeout="),
        ("postgres://u@h/db?sslrootcert=/ca.pem", "asyncpg does not take ?sslrootcert="),
        ("mysql://u@h/db", "unsupported database 'mysql'"),
    ],
)
def test_urls_asyncpg_cannot_use_are_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_database_url(url)
    assert reason in str(caught.value)


def test_a_bad_url_in_the_settings_is_one_line_naming_database_url() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(DATABASE_URL="postgres://u@h:abc/db")
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith("DATABASE_URL is invalid (port 'abc' is not a number): use e.g.")


OAUTH = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "secret", "SLACK_SIGNING_SECRET": "s"}


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({**OAUTH, "SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both"),
        ({"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"}, "SLACK_CLIENT_SECRET is not set"),
        ({**OAUTH, "SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET is not set"),
    ],
    ids=["token-and-client-id", "client-id-without-secret", "oauth-without-signing-secret"],
)  # fmt: skip
def test_oauth_settings_that_cannot_serve_are_one_line(values: dict[str, str], says: str) -> None:
    settings = load_settings(**values)
    with pytest.raises(ConfigError) as error:
        settings.require_slack("SLACK_SIGNING_SECRET")
    assert says in str(error.value) and "\n" not in str(error.value)


def test_a_client_id_and_secret_mean_oauth_mode_and_need_no_bot_token() -> None:
    settings = load_settings(**OAUTH)
    assert settings.oauth
    settings.require_slack("SLACK_SIGNING_SECRET")  # no error: no token needed
    assert not load_settings(SLACK_BOT_TOKEN="xoxb-1").oauth
