"""The "Resume check-ins" button on the notice sent after three unanswered check-ins."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.services.participation import resume
from bot.slack import ids
from bot.slack.listeners.consent import show_in_place, tell_closed
from bot.slack.views.checkin_notices import NOTHING_TO_RESUME, checkins_resumed_message


def _clicked_message(body: dict[str, Any]) -> list[tuple[str, str]]:
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return [(channel, ts)] if isinstance(channel, str) and isinstance(ts, str) else []


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.action(ids.CHECKIN_RESUME)
    async def handle_resume(
        ack: AsyncAck,
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        assert context.team_id is not None and context.user_id is not None
        # Resuming what is already active changes nothing: a double click is harmless.
        resumed = await resume(runtime.sessions, team_id=context.team_id, user_id=context.user_id)
        if resumed is None:
            await tell_closed(respond, NOTHING_TO_RESUME)
            return
        await show_in_place(client, _clicked_message(body), checkins_resumed_message())
