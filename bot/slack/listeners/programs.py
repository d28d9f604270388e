"""Program management: `/mentor admin` and Home "Manage programs" open the program list;
"New program" and "Edit" turn it into a program's form; a valid save turns it back.

Admins only: bot/slack/guard.py refuses every one of these surfaces to anyone else
(`admin_only` subcommand, `ids.ADMIN_ACTIONS`, `ids.ADMIN_VIEWS`). What a request
names (a program id in a button value or in private_metadata) is still untrusted:
it must be a program of the requester's workspace.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.services.programs import (
    SaveProblem,
    list_program_items,
    load_program_form,
    record_program,
)
from bot.slack import ids
from bot.slack.forms import FormErrors
from bot.slack.forms_programs import parse_program_form, parse_program_metadata
from bot.slack.listeners.commands import CommandRequest, CommandRouter
from bot.slack.listeners.home import publish_home
from bot.slack.modals import open_then_fill
from bot.slack.text import escape
from bot.slack.views.help import Subcommand
from bot.slack.views.programs import TITLE, program_form_modal, program_list_modal

logger = logging.getLogger(__name__)

NO_PROGRAM = "That program no longer exists. Close this and open `/mentor admin` again."
JOIN_WITHIN = 1.0  # seconds, per call: join (and info) run before the 3-second ack

# What Slack's conversations.join errors mean to the admin (SLACK_NOTES; method docs).
_PRIVATE = (
    "That's a private channel, so I can't join it myself. Invite the app there first "
    "(in the channel, type /invite and the app's name), then save again."
)
_JOIN_ERRORS = {
    "method_not_supported_for_channel_type": _PRIVATE,
    "channel_not_found": (
        "I can't see that channel. If it's private, invite the app there first, then save again."
    ),
    "is_archived": "That channel is archived. Pick another one.",
    "too_many_members": "That channel is full. Pick another one.",
}


def _earliest_today(runtime: Runtime) -> date:
    """The earliest calendar date anywhere on Earth now (UTC−12): a start date on it is
    not "in the past" for any admin, whatever their zone."""
    return (runtime.clock.now() - timedelta(hours=12)).date()


async def join_channel(client: AsyncWebClient, channel_id: str) -> str | None:
    """Make sure the bot can post in the channel; None when it can, else why not.

    A public channel is joined (`conversations.join`; `already_in_channel` is fine).
    A private one can't be joined by an app: Slack answers
    `method_not_supported_for_channel_type`, and the bot must have been invited —
    `conversations.info` says whether it is a member.
    """
    try:
        await asyncio.wait_for(client.conversations_join(channel=channel_id), JOIN_WITHIN)
        return None
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        if error != "method_not_supported_for_channel_type":
            logger.info("conversations.join %s: %s", channel_id, error)
            return _JOIN_ERRORS.get(error, f"I couldn't join that channel ({error}). Try again.")
    except (SlackClientError, TimeoutError, OSError) as exc:
        logger.warning("conversations.join %s failed: %s", channel_id, type(exc).__name__)
        return "Slack didn't answer in time. Please save again."
    try:
        info = await asyncio.wait_for(client.conversations_info(channel=channel_id), JOIN_WITHIN)
    except SlackApiError:  # channel_not_found: private and the bot is not in it
        return _PRIVATE
    except (SlackClientError, TimeoutError, OSError):
        return "Slack didn't answer in time. Please save again."
    channel = info.get("channel") or {}
    if channel.get("is_archived"):
        return _JOIN_ERRORS["is_archived"]
    return None if channel.get("is_member") else _PRIVATE


def register(app: AsyncApp, runtime: Runtime, router: CommandRouter) -> None:
    async def open_program_list(client: AsyncWebClient, *, trigger_id: str, team_id: str) -> None:
        async def build() -> dict[str, Any]:
            items = await list_program_items(
                runtime.sessions, team_id=team_id, now=runtime.clock.now()
            )
            return program_list_modal(items)

        await open_then_fill(client, trigger_id=trigger_id, title=TITLE, build=build)

    async def handle_admin(request: CommandRequest) -> None:
        await request.ack()
        await open_program_list(
            request.client, trigger_id=request.trigger_id, team_id=request.team_id
        )

    router.add(
        Subcommand("admin", "admin", "create and edit programs", admin_only=True), handle_admin
    )

    @app.action(ids.HOME_MANAGE_PROGRAMS)
    async def handle_manage_programs(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await open_program_list(client, trigger_id=body["trigger_id"], team_id=body["team"]["id"])

    async def show_form(
        client: AsyncWebClient, body: dict[str, Any], *, program_id: int | None
    ) -> None:
        """Replace the program list (the view the button is in) by the form."""
        view = body.get("view") or {}
        team_id = body["team"]["id"]
        form = await load_program_form(runtime.sessions, team_id=team_id, program_id=program_id)
        if form is None:
            items = await list_program_items(
                runtime.sessions, team_id=team_id, now=runtime.clock.now()
            )
            shown = program_list_modal(items, notice=NO_PROGRAM)
        else:
            shown = program_form_modal(form.program_id, form.settings)
        try:
            await client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=shown)
        except SlackApiError as exc:  # changed meanwhile (hash_conflict) or closed
            logger.info("program form not shown: %s", exc.response.get("error"))

    @app.action(ids.PROGRAM_NEW)
    async def handle_new_program(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await show_form(client, body, program_id=None)

    @app.action(ids.PROGRAM_EDIT)
    async def handle_edit_program(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, action: dict[str, Any]
    ) -> None:
        await ack()
        value = str(action.get("value") or "")
        # A value that is no id of ours shows the list again with "no longer exists".
        program_id = int(value) if value.isdigit() and len(value) < 18 else -1
        await show_form(client, body, program_id=program_id)

    @app.view(ids.PROGRAM_EDIT_VIEW)
    async def handle_program_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        name_block = ids.PROGRAM_NAME.block_id
        target = parse_program_metadata(view.get("private_metadata"))
        form = (
            await load_program_form(runtime.sessions, team_id=team_id, program_id=target.program_id)
            if target is not None
            else None
        )
        if form is None:
            await ack(response_action="errors", errors={name_block: NO_PROGRAM})
            return
        settings = parse_program_form(
            view["state"]["values"],
            taken_names=form.other_names,
            today=_earliest_today(runtime),
            current_starts_on=form.settings.starts_on if form.program_id else None,
        )
        if isinstance(settings, dict):
            await ack(response_action="errors", errors=settings)
            return
        if settings.channel_id is not None:
            problem = await join_channel(client, settings.channel_id)
            if problem is not None:  # nothing is saved: the admin fixes the channel first
                await ack(response_action="errors", errors={ids.PROGRAM_CHANNEL.block_id: problem})
                return
        saved = await record_program(
            runtime.sessions, team_id=team_id, program_id=form.program_id, settings=settings,
            now=runtime.clock.now(),
        )  # fmt: skip
        if isinstance(saved, SaveProblem):
            errors: FormErrors = {
                name_block: NO_PROGRAM
                if saved is SaveProblem.GONE
                else f"There's already a program called “{settings.name}”. Pick another name."
            }
            await ack(response_action="errors", errors=errors)
            return
        items = await list_program_items(runtime.sessions, team_id=team_id, now=runtime.clock.now())
        verb = "Created" if saved.created else "Saved"
        notice = f":white_check_mark: {verb} *{escape(settings.name)}*."
        await ack(response_action="update", view=program_list_modal(items, notice=notice))
        await publish_home(runtime, client, team_id=team_id, user_id=user_id)
