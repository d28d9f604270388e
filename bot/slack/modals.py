"""Opening a modal whose content needs data: open at once, fill in after."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.views.enrollment import loading_modal


async def open_then_fill(
    client: AsyncWebClient,
    *,
    trigger_id: str,
    title: str,
    build: Callable[[], Awaitable[dict[str, Any]]],
) -> None:
    """Spend the trigger_id (3 s, single use) on a placeholder, then build the real view."""
    opened = await client.views_open(trigger_id=trigger_id, view=loading_modal(title))
    view = await build()
    await client.views_update(view_id=opened["view"]["id"], hash=opened["view"]["hash"], view=view)
