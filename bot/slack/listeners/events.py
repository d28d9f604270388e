"""Events API plumbing: each event is handled once, however often Slack retries it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.runtime import Runtime
from bot.services.events import record_event_once

logger = logging.getLogger(__name__)


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.middleware
    async def skip_seen_events(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        # Slack retries an event up to three times (X-Slack-Retry-Num); Bolt does not dedupe.
        event_id = body.get("event_id")
        if body.get("type") != "event_callback" or not event_id:
            await next()
            return None
        first = await record_event_once(
            runtime.sessions,
            event_id=str(event_id),
            team_id=str(body.get("team_id", "")),
            at=runtime.clock.now(),
        )
        if not first:
            logger.info("event %s seen before; skipped", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None
