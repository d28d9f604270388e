"""Reading people from Slack, bounded so a slow Slack never holds a handler up."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)


class AccountProblem(StrEnum):
    """Why a Slack account cannot take part in a workspace program."""

    DELETED = "deleted"
    GUEST = "guest"  # single- or multi-channel guest
    BOT = "bot"


def account_problem(user: dict[str, Any]) -> AccountProblem | None:
    """What keeps this `users.info` / `user_change` user out; None for a full member."""
    if user.get("deleted"):
        return AccountProblem.DELETED
    if user.get("is_restricted") or user.get("is_ultra_restricted"):
        return AccountProblem.GUEST
    # Slackbot is not flagged is_bot, but it is no participant either.
    if user.get("is_bot") or user.get("is_app_user") or user.get("id") == "USLACKBOT":
        return AccountProblem.BOT
    return None


@dataclass(frozen=True)
class UserLookup:
    """The outcome of one `users.info`: the user, or why there is none."""

    user: dict[str, Any] | None
    missing: bool = False  # Slack answered that no such user exists: asking again won't help
    rate_limited: bool = False  # HTTP 429: the caller should send no more for a while


async def lookup_user(
    client: AsyncWebClient, user_id: str, *, within: float = 2.0, token: str | None = None
) -> UserLookup:
    """`users.info` for one user, never waited on longer than `within` seconds. `token`:
    the workspace's, outside a request in OAuth mode (else the client's own)."""
    auth: dict[str, Any] = {"token": token} if token else {}
    try:
        response = await asyncio.wait_for(client.users_info(user=user_id, **auth), timeout=within)
    except (TimeoutError, aiohttp.ClientError) as exc:
        logger.info("users.info %s: no answer (%s)", user_id, type(exc).__name__)
        return UserLookup(None)
    except SlackApiError as exc:
        status, error = exc.response.status_code, exc.response.get("error")
        logger.info("users.info %s failed: %s %s", user_id, status, error)
        return UserLookup(
            None,
            missing=status == 200 and error in ("user_not_found", "users_not_found"),
            rate_limited=status == 429,
        )
    user = response.get("user")
    return UserLookup(user if isinstance(user, dict) else None)


async def fetch_user(
    client: AsyncWebClient, user_id: str, *, within: float = 2.0, token: str | None = None
) -> dict[str, Any] | None:
    """`users.info` for one user, or None when Slack says no or takes too long."""
    return (await lookup_user(client, user_id, within=within, token=token)).user
