"""Whose bot token to send with: the one configured token, or each workspace's install.

Everything that calls Slack outside a request (the outbox, the sweeps, the admin
lookups) asks `WorkspaceTokens.bot_token(team_id)` and passes the answer as the call's
`token=`; inside a request Bolt's own `client` already carries the right token.
"""

from __future__ import annotations

from typing import Protocol

from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.db.tables import BOTS_TABLE, INSTALLATIONS_TABLE, OAUTH_STATES_TABLE

# Rotate a bot token this long before it expires (Bolt's default; tokens last 12 hours).
ROTATE_MINUTES_BEFORE = 120
OAUTH_STATE_SECONDS = 600  # an install link's state lives ten minutes, as Bolt's default


class WorkspaceTokens(Protocol):
    async def bot_token(self, team_id: str) -> str | None:
        """The workspace's bot token, rotated first if it is about to expire; None when
        the workspace has no installation (never installed, uninstalled, revoked)."""
        ...


class SingleToken:
    """Single-workspace mode: SLACK_BOT_TOKEN serves the one workspace it belongs to."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def bot_token(self, team_id: str) -> str | None:
        return self._token or None


class InstalledTokens:
    """OAuth mode: each workspace's latest install, from slack-sdk's installation store."""

    def __init__(self, store: AsyncInstallationStore, rotator: AsyncTokenRotator) -> None:
        self._store = store
        self._rotator = rotator

    async def bot(
        self,
        team_id: str | None,
        *,
        enterprise_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The workspace's stored bot, its token rotated (and the new one stored) first
        when it is about to expire; None without an installation. The one place a token
        is rotated: requests (installs.StoredBotAuthorize) and sends both come here."""
        bot = await self._store.async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )  # fmt: skip
        if bot is None or bot.bot_refresh_token is None:
            return bot
        rotated = await self._rotator.perform_bot_token_rotation(
            bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE
        )
        if rotated is None:
            return bot
        await self._store.async_save_bot(rotated)
        return rotated

    async def bot_token(self, team_id: str) -> str | None:
        bot = await self.bot(team_id)
        return bot.bot_token if bot is not None else None


def installation_store(settings: Settings, engine: AsyncEngine) -> AsyncSQLAlchemyInstallationStore:
    """slack-sdk's store over our database; its tables come from our migrations."""
    return AsyncSQLAlchemyInstallationStore(
        client_id=settings.SLACK_CLIENT_ID,
        engine=engine,
        bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE,
    )


def state_store(engine: AsyncEngine) -> AsyncSQLAlchemyOAuthStateStore:
    return AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=OAUTH_STATE_SECONDS, engine=engine, table_name=OAUTH_STATES_TABLE
    )


def build_tokens(
    settings: Settings, store: AsyncInstallationStore | None, client: AsyncWebClient
) -> WorkspaceTokens:
    if store is None:
        return SingleToken(settings.SLACK_BOT_TOKEN)
    rotator = AsyncTokenRotator(
        client_id=settings.SLACK_CLIENT_ID,
        client_secret=settings.SLACK_CLIENT_SECRET,
        client=client,
    )
    return InstalledTokens(store, rotator)
