"""The close-out survey: the round-end prompt's button, the modal, the one-click rejoin.

Values and metadata are only pair ids; the services check the clicker is in that pair.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.services.closeout import RejoinOutcome, get_survey_target, record_closeout, rejoin
from bot.slack import ids
from bot.slack.forms_closeout import parse_closeout, parse_closeout_pair
from bot.slack.listeners.consent import parse_clicked_pair
from bot.slack.modals import open_then_fill
from bot.slack.views.closeout import (
    NONE_OPEN,
    NOT_YOURS,
    TITLE,
    closeout_modal,
    closeout_notice_modal,
    closeout_saved_modal,
    rejoined_modal,
)

logger = logging.getLogger(__name__)


def _actor(body: Mapping[str, Any]) -> tuple[str, str]:
    return str(body["team"]["id"]), str(body["user"]["id"])


def register(app: AsyncApp, runtime: Runtime) -> None:
    sessions = runtime.sessions

    @app.action(ids.CLOSEOUT_SURVEY)
    async def handle_survey(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        pair_id = parse_clicked_pair(body)
        if pair_id is None:
            return
        team_id, user_id = _actor(body)

        async def build() -> dict[str, Any]:
            target = await get_survey_target(
                sessions, team_id=team_id, user_id=user_id, pair_id=pair_id
            )
            return closeout_notice_modal(NOT_YOURS) if target is None else closeout_modal(target)

        await open_then_fill(client, trigger_id=body["trigger_id"], title=TITLE, build=build)

    @app.view(ids.CLOSEOUT_VIEW)
    async def handle_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        answers = parse_closeout((view.get("state") or {}).get("values"))
        if isinstance(answers, dict):
            await ack(response_action="errors", errors=answers)
            return
        pair_id = parse_closeout_pair(view.get("private_metadata"))
        team_id, user_id = _actor(body)
        if pair_id is None:
            await ack(response_action="update", view=closeout_notice_modal(NOT_YOURS))
            return
        saved = await record_closeout(
            sessions, team_id=team_id, user_id=user_id, pair_id=pair_id, answers=answers,
            now=runtime.clock.now(),
        )  # fmt: skip
        if saved is None:
            await ack(response_action="update", view=closeout_notice_modal(NOT_YOURS))
        elif saved.rejoined and saved.offer is not None:
            await ack(response_action="update", view=rejoined_modal(saved.offer))
        else:
            modal = closeout_saved_modal(pair_id=pair_id, again=saved.again, offer=saved.offer)
            await ack(response_action="update", view=modal)

    @app.action(ids.CLOSEOUT_REJOIN)
    async def handle_rejoin(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        pair_id = parse_clicked_pair(body)
        view_id = (body.get("view") or {}).get("id")
        if pair_id is None or not isinstance(view_id, str):
            return
        team_id, user_id = _actor(body)
        result = await rejoin(
            sessions, team_id=team_id, user_id=user_id, pair_id=pair_id, now=runtime.clock.now()
        )
        if result.outcome is RejoinOutcome.JOINED and result.offer is not None:
            shown = rejoined_modal(result.offer)
        else:
            text = NONE_OPEN if result.outcome is RejoinOutcome.NONE_OPEN else NOT_YOURS
            shown = closeout_notice_modal(text)
        try:
            await client.views_update(view_id=view_id, view=shown)
        except SlackApiError as exc:
            logger.warning("close-out modal %s: views.update failed: %s", view_id,
                           exc.response.get("error"))  # fmt: skip
