"""Accept / Decline on a proposed match, and the decline modal's optional private reason.

A button's value is only a pair id: the service checks that the clicker is one of that
pair's two people, so a forged or forwarded click changes nothing.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import ConsentAnswer
from bot.runtime import Runtime
from bot.services.consent import ConsentOutcome, get_open_proposal, record_consent
from bot.slack import ids
from bot.slack.modals import open_then_fill
from bot.slack.text import HiddenCharacter, read_text
from bot.slack.views.consent import (
    NOT_YOUR_PROPOSAL,
    PROPOSAL_CLOSED,
    REASON_MAX,
    accepted_message,
    decline_done_modal,
    decline_modal,
    declined_message,
)
from bot.slack.views.status import text_modal

logger = logging.getLogger(__name__)

_PAIR_ID = re.compile(r"[0-9]{1,18}")
DECLINE_TITLE = "Decline the match"


def parse_pair_id(value: object) -> int | None:
    """A button's pair id, or None when it is not one of ours (untrusted input)."""
    if isinstance(value, str) and _PAIR_ID.fullmatch(value) and int(value) > 0:
        return int(value)
    return None


def parse_clicked_pair(body: Mapping[str, Any]) -> int | None:
    actions = body.get("actions") or []
    return parse_pair_id(actions[0].get("value")) if actions else None


def parse_decline(view: Mapping[str, Any]) -> tuple[int | None, str | dict[str, str]]:
    """(pair id from private_metadata, reason or {block_id: error})."""
    pair_id = None
    try:
        metadata = json.loads(view.get("private_metadata") or "")
    except ValueError:
        metadata = None
    if isinstance(metadata, dict) and type(metadata.get("pair_id")) is int:
        pair_id = metadata["pair_id"] if metadata["pair_id"] > 0 else None
    values = (view.get("state") or {}).get("values") or {}
    raw = (values.get(ids.CONSENT_REASON.block_id) or {}).get(ids.CONSENT_REASON.action_id) or {}
    text = raw.get("value") if isinstance(raw, dict) else None
    reason = read_text(text if isinstance(text, str) else "", multiline=True)
    if isinstance(reason, HiddenCharacter):
        return pair_id, {ids.CONSENT_REASON.block_id: f"Please remove {reason.describe()}."}
    if len(reason) > REASON_MAX:
        too_long = f"Please keep it under {REASON_MAX} characters."
        return pair_id, {ids.CONSENT_REASON.block_id: too_long}
    return pair_id, reason


async def show_in_place(
    client: AsyncWebClient, messages: Iterable[tuple[str, str]], payload: dict[str, Any]
) -> None:
    """Replace the person's own DMs with their answer (a reply, best effort)."""
    for channel, ts in messages:
        try:
            await client.chat_update(channel=channel, ts=ts, **payload)
        except SlackApiError as exc:
            logger.warning("chat.update of %s failed: %s", ts, exc.response.get("error"))


async def tell_closed(respond: AsyncRespond | None, text: str) -> None:
    if respond is not None:
        await respond(text=text, response_type="ephemeral", replace_original=False)


def register(app: AsyncApp, runtime: Runtime) -> None:
    sessions = runtime.sessions

    @app.action(ids.CONSENT_ACCEPT)
    async def handle_accept(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        pair_id = parse_clicked_pair(body)
        if pair_id is None:
            return
        result = await record_consent(
            sessions, team_id=body["team"]["id"], user_id=body["user"]["id"], pair_id=pair_id,
            answer=ConsentAnswer.ACCEPTED, now=runtime.clock.now(),
        )  # fmt: skip
        if result.outcome is ConsentOutcome.NOT_YOURS:
            await tell_closed(respond, NOT_YOUR_PROPOSAL)
        elif result.outcome in (ConsentOutcome.WAITING, ConsentOutcome.INTRODUCED):
            await show_in_place(
                client, result.messages, accepted_message(program_name=result.program_name)
            )
            runtime.deliver_soon()
        else:
            await tell_closed(respond, PROPOSAL_CLOSED)

    @app.action(ids.CONSENT_DECLINE)
    async def handle_decline(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        pair_id = parse_clicked_pair(body)
        if pair_id is None:
            return
        team_id, user_id = body["team"]["id"], body["user"]["id"]

        async def build() -> dict[str, Any]:
            closed = await get_open_proposal(
                sessions, team_id=team_id, user_id=user_id, pair_id=pair_id,
                now=runtime.clock.now(),
            )  # fmt: skip
            if closed is ConsentOutcome.NOT_YOURS:
                return _notice(NOT_YOUR_PROPOSAL)
            if closed is not None:
                return _notice(PROPOSAL_CLOSED)
            return decline_modal(pair_id=pair_id)

        # The trigger_id is spent at once; the database is read after (3 s, single use).
        await open_then_fill(
            client, trigger_id=body["trigger_id"], title=DECLINE_TITLE, build=build
        )

    @app.view(ids.CONSENT_DECLINE_VIEW)
    async def handle_decline_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        pair_id, reason = parse_decline(view)
        if isinstance(reason, dict):
            await ack(response_action="errors", errors=reason)
            return
        if pair_id is None:
            await ack(response_action="update", view=_notice(PROPOSAL_CLOSED))
            return
        result = await record_consent(
            sessions, team_id=body["team"]["id"], user_id=body["user"]["id"], pair_id=pair_id,
            answer=ConsentAnswer.DECLINED, reason=reason, now=runtime.clock.now(),
        )  # fmt: skip
        if result.outcome is ConsentOutcome.NOT_YOURS:
            await ack(response_action="update", view=_notice(NOT_YOUR_PROPOSAL))
            return
        declined = result.outcome is ConsentOutcome.DECLINED
        await ack(response_action="update", view=decline_done_modal(closed=not declined))
        if declined:
            await show_in_place(
                client, result.messages, declined_message(program_name=result.program_name)
            )
            runtime.deliver_soon()


def _notice(text: str) -> dict[str, Any]:
    return text_modal(text, title=DECLINE_TITLE)
