"""DATABASE_URL as hosts hand it out, rewritten for the async drivers."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url

from bot.config import ConfigError, admins_of, load_settings, parse_database_url


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


def test_a_team_scoped_admin_id_makes_an_admin_in_that_team_only() -> None:
    entries = load_settings(
        SLACK_CLIENT_ID="1.2", MENTORBOT_ADMIN_IDS="T0ALPHA01:U0ADMIN01, T0OTHER02:U0BOSS002"
    ).MENTORBOT_ADMIN_IDS
    assert admins_of(entries, "T0ALPHA01") == {"U0ADMIN01"}
    assert admins_of(entries, "T0OTHER02") == {"U0BOSS002"}
    assert admins_of(entries, "T0THIRD03") == frozenset()


def test_a_plain_admin_id_holds_in_the_one_workspace() -> None:
    entries = load_settings(MENTORBOT_ADMIN_IDS="U0ADMIN01,T0ALPHA01:U0BOSS002").MENTORBOT_ADMIN_IDS
    assert admins_of(entries, "T0ALPHA01") == {"U0ADMIN01", "U0BOSS002"}
    assert admins_of(entries, "T0OTHER02") == {"U0ADMIN01"}


@pytest.mark.parametrize("secret", [{"SLACK_CLIENT_ID": "1.2"}, {"SLACK_CLIENT_SECRET": "s"}])
def test_a_plain_admin_id_in_oauth_mode_is_one_line_asking_for_the_team(
    secret: dict[str, str],
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(MENTORBOT_ADMIN_IDS="T0ALPHA01:U0BOSS002,U0ADMIN01", **secret)
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(
        "MENTORBOT_ADMIN_IDS is invalid (U0ADMIN01 names no workspace, needed in OAuth mode)"
    )
    assert "TEAM_ID:USER_ID, e.g. T012AB3CD:U045EF6GH" in line


@pytest.mark.parametrize(
    "entry", ["T0ALPHA01:alice", "alice:U0ADMIN01", "T0ALPHA01:", ":U0ADMIN01"]
)
def test_a_malformed_team_scoped_admin_id_is_refused_by_name(entry: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(MENTORBOT_ADMIN_IDS=entry)
    assert f"(not a Slack user id: {entry})" in str(caught.value)


@pytest.mark.parametrize(
    ("values", "names", "line"),
    [
        ({}, ("SLACK_SIGNING_SECRET",),
         "SLACK_BOT_TOKEN is not set: set it to the app's Bot User OAuth Token (xoxb-…) from "
         "OAuth & Permissions."),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, ("SLACK_SIGNING_SECRET",),
         "SLACK_SIGNING_SECRET is not set: set it to the Signing Secret from the app's Basic "
         "Information page."),
        ({"SLACK_BOT_TOKEN": "xoxp-1"}, (),
         "SLACK_BOT_TOKEN does not start with xoxb-: set it to the app's Bot User OAuth Token "
         "(xoxb-…) from OAuth & Permissions."),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, ("SLACK_APP_TOKEN",),
         "SLACK_APP_TOKEN does not start with xapp-: set it to an app-level token (xapp-…) with "
         "connections:write."),
        ({**OAUTH, "SLACK_BOT_TOKEN": "xoxb-1"}, (),
         "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: unset SLACK_BOT_TOKEN for OAuth "
         "mode (many workspaces), or the client id and secret for one."),
        ({"SLACK_CLIENT_SECRET": "secret"}, (),
         "SLACK_CLIENT_ID is not set: set it to the Client ID from the app's Basic Information "
         "page."),
        ({"SLACK_CLIENT_ID": "1.2"}, (),
         "SLACK_CLIENT_SECRET is not set: set it to the Client Secret from the app's Basic "
         "Information page."),
    ],
    ids=["no-token", "no-secret-named", "user-token", "app-token-not-xapp", "token-and-oauth",
         "secret-without-id", "id-without-secret"],
)  # fmt: skip
def test_each_missing_or_wrong_slack_setting_is_its_own_exact_line(
    values: dict[str, str], names: tuple[str, ...], line: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**values).require_slack(*names)
    assert str(caught.value) == line


def test_the_right_tokens_and_an_unnamed_app_token_pass() -> None:
    load_settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1").require_slack(
        "SLACK_APP_TOKEN"
    )
    load_settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="not-xapp").require_slack()
