"""Reading people from Slack, bounded so a slow Slack never holds a handler up."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)


async def fetch_user(
    client: AsyncWebClient, user_id: str, *, within: float = 2.0
) -> dict[str, Any] | None:
    """`users.info` for one user, or None when Slack says no or takes too long."""
    try:
        response = await asyncio.wait_for(client.users_info(user=user_id), timeout=within)
    except (TimeoutError, SlackApiError) as exc:
        logger.info("users.info %s failed: %s", user_id, type(exc).__name__)
        return None
    user = response.get("user")
    return user if isinstance(user, dict) else None
