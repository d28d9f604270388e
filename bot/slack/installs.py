"""OAuth mode (issue 13): installing the app into a workspace through Bolt's OAuth flow."""

from __future__ import annotations

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

from bot.runtime import Runtime
from bot.slack.tokens import ROTATE_MINUTES_BEFORE, state_store

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The manifest's oauth_config.scopes.bot, in order (a test holds the two together).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "mpim:write",
    "im:history",
    "mpim:history",
    "channels:history",
    "groups:history",
    "users:read",
    "channels:join",
    "users:read.email",
    "channels:read",
    "groups:read",
    "files:write",
    "files:read",
)


def oauth_settings(runtime: Runtime) -> AsyncOAuthSettings:
    assert runtime.installations is not None, "OAuth mode only"
    settings = runtime.settings
    return AsyncOAuthSettings(
        client_id=settings.SLACK_CLIENT_ID,
        client_secret=settings.SLACK_CLIENT_SECRET,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=runtime.installations,
        installation_store_bot_only=True,  # the bot's token is all we keep or use
        token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE,
        state_store=state_store(runtime.engine),
    )
