"""Who the bot token belongs to: asked once at start, handed to Bolt for every request.

Bolt's single-team authorization calls `auth.test` inside the first request, so a slow
or failing Slack made that request miss its 3-second ack (or show Bolt's "installation
no longer available"). Commands verify the token at start instead, and Bolt authorizes
each request from that answer without calling Slack.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.config import ConfigError, fix_for

logger = logging.getLogger(__name__)

VERIFY_TIMEOUT = 10.0  # seconds for the start-up auth.test, retries included
# auth.test errors that mean the token itself is wrong, not that Slack is unwell.
_BAD_TOKEN = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)


@dataclass(frozen=True)
class BotIdentity:
    team_id: str | None
    enterprise_id: str | None
    bot_id: str | None
    bot_user_id: str | None
    scopes: str | None


# What each (API URL, token) verified as in this process. Keyed so that a test's fake
# Slack (its own URL) never sees another's answer.
_verified: dict[tuple[str, str], BotIdentity] = {}


async def verify_bot_token(client: AsyncWebClient) -> BotIdentity:
    """auth.test once, within VERIFY_TIMEOUT; a ConfigError line if the token or Slack is
    not right. The answer is kept for StartupAuthorize."""
    try:
        async with asyncio.timeout(VERIFY_TIMEOUT):
            response = await client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error", ""))
        if error in _BAD_TOKEN:
            raise ConfigError(
                f"SLACK_BOT_TOKEN is invalid ({error}): {fix_for('SLACK_BOT_TOKEN')}."
            ) from None
        raise ConfigError(
            f"SLACK_API_URL: Slack answered auth.test with HTTP {exc.response.status_code} "
            f"({error or 'no error code'}): try again shortly; check {client.base_url} "
            "if it keeps happening."
        ) from None
    except (TimeoutError, ClientError, OSError) as exc:
        reason = f"no answer in {VERIFY_TIMEOUT:.0f} s" if isinstance(exc, TimeoutError) else exc
        raise ConfigError(
            f"SLACK_API_URL: could not reach Slack at {client.base_url} ({reason}): "
            "check the network and SLACK_API_URL."
        ) from None
    if not response.get("bot_id"):
        raise ConfigError(f"SLACK_BOT_TOKEN is not a bot token: {fix_for('SLACK_BOT_TOKEN')}.")
    identity = _remember(client, response)
    logger.info("bot token verified (team %s, bot user %s)", identity.team_id, identity.bot_user_id)
    return identity


def _remember(client: AsyncWebClient, response: AsyncSlackResponse) -> BotIdentity:
    identity = BotIdentity(
        team_id=response.get("team_id"),
        enterprise_id=response.get("enterprise_id"),
        bot_id=response.get("bot_id"),
        bot_user_id=response.get("user_id"),
        scopes=response.headers.get("x-oauth-scopes"),
    )
    _verified[(client.base_url, client.token or "")] = identity
    return identity


class StartupAuthorize(AsyncAuthorize):
    """Bolt's authorize step from the identity verified at start: no Slack call per request.

    A process that skipped the start-up check (an embedding test, a benchmark) verifies
    on its first request, as Bolt itself would.
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_actor: Any,
    ) -> AuthorizeResult:
        token = self._client.token
        identity = _verified.get((self._client.base_url, token or ""))
        if identity is None:
            # What Bolt would do: its SlackApiError becomes Bolt's message to the user.
            identity = _remember(self._client, await self._client.auth_test())
        return AuthorizeResult(
            enterprise_id=identity.enterprise_id,
            team_id=identity.team_id,
            bot_id=identity.bot_id,
            bot_user_id=identity.bot_user_id,
            bot_token=token,
            bot_scopes=identity.scopes,
            user_id=user_id,
        )
