"""Fit-check answers and the round-end choice (continue together or re-match).

As with consent, a button's value is only a pair id, and the services check that the
clicker is in that pair.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import FitAnswer
from bot.runtime import Runtime
from bot.services.fitcheck import FitOutcome, record_fit
from bot.services.lifecycle import ClickOutcome, record_continuation
from bot.slack import ids
from bot.slack.listeners.consent import parse_clicked_pair, show_in_place, tell_closed
from bot.slack.views.fitcheck import (
    CLOSING_CLOSED,
    FIT_CLOSED,
    NOT_YOUR_PAIR,
    closing_answered_message,
    fit_answered_message,
)

_FIT_ACTIONS = {
    ids.FIT_GOOD: FitAnswer.GOOD,
    ids.FIT_DECIDING: FitAnswer.DECIDING,
    ids.FIT_NOT_A_FIT: FitAnswer.NOT_A_FIT,
}


def _clicked_message(body: dict[str, Any]) -> list[tuple[str, str]]:
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return [(channel, ts)] if isinstance(channel, str) and isinstance(ts, str) else []


def register(app: AsyncApp, runtime: Runtime) -> None:
    sessions = runtime.sessions

    async def handle_fit(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        pair_id = parse_clicked_pair(body)
        answer = _FIT_ACTIONS.get(str((body.get("actions") or [{}])[0].get("action_id")))
        if pair_id is None or answer is None:
            return
        result = await record_fit(
            sessions, team_id=body["team"]["id"], user_id=body["user"]["id"], pair_id=pair_id,
            answer=answer, now=runtime.clock.now(),
        )  # fmt: skip
        if result.outcome is FitOutcome.RECORDED:
            await show_in_place(client, _clicked_message(body), fit_answered_message(answer))
            runtime.deliver_soon()
        else:
            await tell_closed(
                respond, NOT_YOUR_PAIR if result.outcome is FitOutcome.NOT_YOURS else FIT_CLOSED
            )

    for action_id in _FIT_ACTIONS:
        app.action(action_id)(handle_fit)

    async def handle_closing(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        pair_id = parse_clicked_pair(body)
        if pair_id is None:
            return
        continues = body["actions"][0].get("action_id") == ids.CLOSING_CONTINUE
        outcome = await record_continuation(
            sessions, team_id=body["team"]["id"], user_id=body["user"]["id"], pair_id=pair_id,
            continues=continues,
        )  # fmt: skip
        if outcome is ClickOutcome.RECORDED:
            await show_in_place(
                client, _clicked_message(body), closing_answered_message(continues=continues)
            )
        else:
            await tell_closed(
                respond, NOT_YOUR_PAIR if outcome is ClickOutcome.NOT_YOURS else CLOSING_CLOSED
            )

    app.action(ids.CLOSING_CONTINUE)(handle_closing)
    app.action(ids.CLOSING_REMATCH)(handle_closing)
