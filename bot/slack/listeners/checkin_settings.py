"""The Home tab's "Your check-ins" selects: a participant's own day and time."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.services.checkin_settings import SlotPart, record_own_checkin_slot
from bot.slack import ids
from bot.slack.forms_checkins import (
    NotAChoice,
    parse_checkin_day_choice,
    parse_checkin_time_choice,
)
from bot.slack.listeners.home import publish_home

_PARTS = {
    ids.HOME_CHECKIN_DAY: (SlotPart.WEEKDAY, parse_checkin_day_choice),
    ids.HOME_CHECKIN_TIME: (SlotPart.MINUTE, parse_checkin_time_choice),
}


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def handle_checkin_slot(
        ack: AsyncAck,
        action: dict[str, Any],
        client: AsyncWebClient,
        context: dict[str, Any],
    ) -> None:
        await ack()
        part, parse = _PARTS[str(action.get("action_id"))]
        value = parse((action.get("selected_option") or {}).get("value"))
        if isinstance(value, NotAChoice):
            return  # not one of our options: nothing changes
        team_id, user_id = context["team_id"], context["user_id"]
        await record_own_checkin_slot(
            runtime.sessions, team_id=team_id, user_id=user_id, part=part, value=value,
            now=runtime.clock.now(),
        )  # fmt: skip
        await publish_home(runtime, client, team_id=team_id, user_id=user_id)

    for action_id in _PARTS:
        app.action(action_id)(handle_checkin_slot)
