"""Success stories: drafting, the partner's (and an admin's) approval, withdrawal.

Button values are "<story id>:<version>" (or a pair id for STORY_WRITE), untrusted: the
service checks who may act on which version, so a forged, forwarded or stale click
changes nothing. Admin buttons pass the one admin guard (ids.ADMIN_ACTIONS).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.services.stories import (
    AnswerOutcome,
    StoryRefusal,
    SubmitOutcome,
    WithdrawOutcome,
    admin_answer_story,
    answer_story,
    get_story_context,
    submit_story,
    withdraw_story,
)
from bot.slack import ids
from bot.slack.forms_stories import StoryMetadata, parse_story, parse_story_metadata
from bot.slack.listeners.commands import CommandRequest, CommandRouter
from bot.slack.modals import open_then_fill
from bot.slack.views.help import Subcommand
from bot.slack.views.status import text_modal
from bot.slack.views.story import (
    admin_answered_message,
    answered_message,
    story_modal,
    story_replaced_message,
    story_saved_modal,
    story_withdrawn_message,
)

logger = logging.getLogger(__name__)

TITLE = "Success story"
NO_PAIR = (
    "Stories are about a pairing — once you have a partner (or had one in the last "
    "30 days), you can draft one here."
)
NOT_EDITABLE = "This story can't be edited any more: it was posted, declined or withdrawn."
CLOSED = "This story was already decided or withdrawn; nothing changed."
REPLACED = "This version was replaced by an edit; nothing changed."
NOT_YOURS = "This story isn't yours to answer; nothing changed."
_STORY_VALUE = re.compile(r"([0-9]{1,18}):([0-9]{1,9})")
_PAIR_VALUE = re.compile(r"[0-9]{1,18}")


def _notice(text: str) -> dict[str, Any]:
    return text_modal(text, title=TITLE)


def parse_story_value(body: dict[str, Any]) -> tuple[int, int] | None:
    actions = body.get("actions") or []
    value = actions[0].get("value") if actions else None
    found = _STORY_VALUE.fullmatch(value) if isinstance(value, str) else None
    return (int(found[1]), int(found[2])) if found else None


def _pair_value(body: dict[str, Any]) -> int | None:
    actions = body.get("actions") or []
    value = actions[0].get("value") if actions else None
    if isinstance(value, str) and _PAIR_VALUE.fullmatch(value) and int(value) > 0:
        return int(value)
    return None


async def build_story_modal(
    runtime: Runtime,
    *,
    team_id: str,
    user_id: str,
    pair_id: int | None = None,
    reflection_id: int | None = None,
    story_id: int | None = None,
) -> dict[str, Any]:
    """The story modal for this person (the pair preselected, prefilled from their own
    reflection when one is given), or a notice saying why there is nothing to share.
    Contract for the reflection modal's "share as a success story" (it answers the
    submission with `response_action="update"` and this view). `story_id`: an edit."""
    found = await get_story_context(
        runtime.sessions, team_id=team_id, user_id=user_id, now=runtime.clock.now(),
        pair_id=pair_id, reflection_id=reflection_id, story_id=story_id,
    )  # fmt: skip
    if found is StoryRefusal.NO_PAIR:
        return _notice(NO_PAIR)
    if found is StoryRefusal.NOT_EDITABLE:
        return _notice(NOT_EDITABLE)
    assert not isinstance(found, StoryRefusal)
    fixed = found.pair_id
    partner = next((p for p in found.pairs if p.pair_id == fixed), None)
    metadata = StoryMetadata(
        pair_id=fixed, story_id=found.story_id, reflection_id=found.reflection_id
    )
    return story_modal(
        metadata=metadata,
        pairs=[(p.pair_id, p.partner_name) for p in found.pairs] if fixed is None else [],
        skills=found.skills,
        partner_name=partner.partner_name if partner else "",
        admin_next=any(p.needs_admin for p in found.pairs),
        draft=found.draft,
    )


async def open_story(
    runtime: Runtime,
    client: AsyncWebClient,
    *,
    trigger_id: str,
    team_id: str,
    user_id: str,
    pair_id: int | None = None,
    story_id: int | None = None,
) -> None:
    async def build() -> dict[str, Any]:
        return await build_story_modal(
            runtime, team_id=team_id, user_id=user_id, pair_id=pair_id, story_id=story_id
        )

    await open_then_fill(client, trigger_id=trigger_id, title=TITLE, build=build)


async def _update_clicked(
    client: AsyncWebClient, body: dict[str, Any], payload: dict[str, Any]
) -> None:
    """Show the answer in place of the clicked DM (a reply; best effort)."""
    channel = (body.get("channel") or {}).get("id")
    ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    if not (channel and ts):
        return
    try:
        await client.chat_update(channel=channel, ts=ts, **payload)
    except SlackApiError as exc:
        logger.warning("chat.update of %s failed: %s", ts, exc.response.get("error"))


async def _say(respond: AsyncRespond | None, text: str) -> None:
    if respond is not None:
        await respond(text=text, response_type="ephemeral", replace_original=False)


_REFUSALS = {
    AnswerOutcome.CLOSED: CLOSED,
    AnswerOutcome.REPLACED: REPLACED,
    AnswerOutcome.NOT_YOURS: NOT_YOURS,
}


def register(app: AsyncApp, runtime: Runtime, router: CommandRouter) -> None:
    sessions = runtime.sessions
    admins = runtime.settings.MENTORBOT_ADMIN_IDS

    async def handle_story_command(request: CommandRequest) -> None:
        await request.ack()
        await open_story(
            runtime, request.client, trigger_id=request.trigger_id,
            team_id=request.team_id, user_id=request.user_id,
        )  # fmt: skip

    router.add(
        Subcommand("story", "story", "draft a success story; posted only if you both agree"),
        handle_story_command,
    )

    @app.action(ids.HOME_STORY)
    async def handle_home_story(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await open_story(
            runtime, client, trigger_id=body["trigger_id"],
            team_id=body["team"]["id"], user_id=body["user"]["id"],
        )  # fmt: skip

    @app.action(ids.STORY_WRITE)
    async def handle_write(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await open_story(
            runtime, client, trigger_id=body["trigger_id"], team_id=body["team"]["id"],
            user_id=body["user"]["id"], pair_id=_pair_value(body),
        )  # fmt: skip

    @app.action(ids.STORY_EDIT)
    async def handle_edit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        found = parse_story_value(body)
        if found is None:
            return
        await open_story(
            runtime, client, trigger_id=body["trigger_id"], team_id=body["team"]["id"],
            user_id=body["user"]["id"], story_id=found[0],
        )  # fmt: skip

    @app.view(ids.STORY_VIEW)
    async def handle_story_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        form = parse_story(view["state"]["values"])
        if isinstance(form, dict):
            await ack(response_action="errors", errors=form)
            return
        metadata = parse_story_metadata(view.get("private_metadata"))
        if metadata is None:
            await ack(response_action="update", view=_notice(NO_PAIR))
            return
        result = await submit_story(
            sessions, team_id=body["team"]["id"], user_id=body["user"]["id"], form=form,
            pair_id=metadata.pair_id, story_id=metadata.story_id,
            reflection_id=metadata.reflection_id, once_key=f"view:{view['id']}",
            now=runtime.clock.now(), configured_admins=admins,
        )  # fmt: skip
        if result.outcome is SubmitOutcome.NO_PAIR:
            await ack(response_action="update", view=_notice(NO_PAIR))
        elif result.outcome is SubmitOutcome.CLOSED:
            await ack(response_action="update", view=_notice(NOT_EDITABLE))
        else:
            await ack(
                response_action="update", view=story_saved_modal(partner_name=result.partner_name)
            )
            runtime.deliver_soon()

    async def handle_answer(
        body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, *, approve: bool
    ) -> None:
        found = parse_story_value(body)
        if found is None:
            return
        story_id, version = found
        result = await answer_story(
            sessions, team_id=body["team"]["id"], user_id=body["user"]["id"],
            story_id=story_id, version=version, approve=approve, now=runtime.clock.now(),
            configured_admins=admins,
        )  # fmt: skip
        if result.outcome in (
            AnswerOutcome.APPROVED,
            AnswerOutcome.DECLINED,
            AnswerOutcome.ALREADY,
        ):
            shown = answered_message(story_id=story_id, version=version, approved=approve)
            await _update_clicked(client, body, shown)
            runtime.deliver_soon()
            return
        if result.outcome is AnswerOutcome.REPLACED:
            await _update_clicked(client, body, story_replaced_message())
        await _say(respond, _REFUSALS[result.outcome])

    @app.action(ids.STORY_APPROVE)
    async def handle_approve(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        await handle_answer(body, client, respond, approve=True)

    @app.action(ids.STORY_DECLINE)
    async def handle_decline(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        await handle_answer(body, client, respond, approve=False)

    async def handle_admin_answer(
        body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, *, approve: bool
    ) -> None:
        found = parse_story_value(body)
        if found is None:
            return
        user_id = body["user"]["id"]
        result = await admin_answer_story(
            sessions, team_id=body["team"]["id"], user_id=user_id, story_id=found[0],
            version=found[1], approve=approve, now=runtime.clock.now(),
        )  # fmt: skip
        if result.outcome in (
            AnswerOutcome.APPROVED,
            AnswerOutcome.DECLINED,
            AnswerOutcome.ALREADY,
        ):
            shown = admin_answered_message(approved=approve, admin_user_id=user_id)
            await _update_clicked(client, body, shown)
            runtime.deliver_soon()
            return
        await _say(respond, _REFUSALS[result.outcome])

    @app.action(ids.STORY_ADMIN_APPROVE)
    async def handle_admin_approve(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        await handle_admin_answer(body, client, respond, approve=True)

    @app.action(ids.STORY_ADMIN_DECLINE)
    async def handle_admin_decline(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        await handle_admin_answer(body, client, respond, approve=False)

    @app.action(ids.STORY_WITHDRAW)
    async def handle_withdraw(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        found = parse_story_value(body)
        if found is None:
            return
        user_id = body["user"]["id"]
        outcome = await withdraw_story(
            sessions, team_id=body["team"]["id"], user_id=user_id, story_id=found[0],
            now=runtime.clock.now(),
        )  # fmt: skip
        if outcome is WithdrawOutcome.WITHDRAWN:
            await _update_clicked(client, body, story_withdrawn_message(by_user_id=user_id))
            runtime.deliver_soon()
        elif outcome is WithdrawOutcome.ALREADY:
            pass  # a double click or a retry: its messages were updated the first time
        elif outcome is WithdrawOutcome.NOT_YOURS:
            await _say(respond, NOT_YOURS)
        else:
            await _say(respond, CLOSED)
