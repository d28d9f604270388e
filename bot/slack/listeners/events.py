"""Events API plumbing: each event is handled once, however often Slack retries it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.runtime import Runtime
from bot.services.events import is_event_handled

logger = logging.getLogger(__name__)


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.middleware
    async def skip_seen_events(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        # Slack retries an event up to three times (X-Slack-Retry-Num); Bolt does not dedupe.
        # The mark is written by the service, in the transaction of the effect (record_once
        # with the event id): a first try that failed leaves none, so its retry runs. Here
        # a retry of an event already done is only skipped early.
        event_id = body.get("event_id")
        if (
            body.get("type") == "event_callback"
            and event_id
            and await is_event_handled(runtime.sessions, event_id=str(event_id))
        ):
            logger.info("event %s handled before; skipped", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None
