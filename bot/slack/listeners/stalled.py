"""A stalled pair's "new match, pause, or keep going?" buttons.

As with consent and the fit check, a button's value is only a pair id, and the service
checks that the clicker is in that pair.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import RiskAnswer
from bot.runtime import Runtime
from bot.services.stalled import RiskOutcome, record_risk_answer
from bot.slack import ids
from bot.slack.listeners.consent import parse_clicked_pair, show_in_place, tell_closed
from bot.slack.listeners.home import publish_home
from bot.slack.views.fitcheck import NOT_YOUR_PAIR
from bot.slack.views.stalled import RISK_CLOSED, risk_answered_message

_RISK_ACTIONS = {
    ids.RISK_NEW_MATCH: RiskAnswer.NEW_MATCH,
    ids.RISK_PAUSE: RiskAnswer.PAUSE,
    ids.RISK_KEEP_GOING: RiskAnswer.KEEP_GOING,
}


def _clicked_message(body: dict[str, Any]) -> list[tuple[str, str]]:
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return [(channel, ts)] if isinstance(channel, str) and isinstance(ts, str) else []


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def handle_risk(
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: dict[str, Any],
    ) -> None:
        await ack()
        pair_id = parse_clicked_pair(body)
        answer = _RISK_ACTIONS.get(str((body.get("actions") or [{}])[0].get("action_id")))
        if pair_id is None or answer is None:
            return
        team_id, user_id = context["team_id"], context["user_id"]
        result = await record_risk_answer(
            runtime.sessions, team_id=team_id, user_id=user_id, pair_id=pair_id,
            answer=answer, now=runtime.clock.now(),
        )  # fmt: skip
        if result.outcome is RiskOutcome.RECORDED and result.answer is not None:
            await show_in_place(
                client, _clicked_message(body), risk_answered_message(result.answer)
            )
            runtime.deliver_soon()  # the partner's re-match notice, if any
            if result.answer is RiskAnswer.PAUSE:
                await publish_home(runtime, client, team_id=team_id, user_id=user_id)
        else:
            await tell_closed(
                respond, NOT_YOUR_PAIR if result.outcome is RiskOutcome.NOT_YOURS else RISK_CLOSED
            )

    for action_id in _RISK_ACTIONS:
        app.action(action_id)(handle_risk)
