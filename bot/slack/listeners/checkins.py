"""The check-in DM's buttons: "We met" (and its datepicker), "Not yet", "Snooze a week",
"Log a reflection" and "I need help" with its modal.

A button's value (the datepicker's block id) is only a check-in id; the services check
the clicker owns it. The clicked message is redrawn in place from what the database
recorded, so a second click shows the same thing and records nothing more.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import CheckinAnswer
from bot.runtime import Runtime
from bot.services.checkin_answers import (
    AnswerOutcome,
    AnswerResult,
    get_help_program,
    get_reflection_target,
    record_help_request,
    record_later,
    record_met,
    record_met_on,
)
from bot.slack import ids
from bot.slack.listeners.consent import show_in_place, tell_closed
from bot.slack.listeners.reflections import build_reflection_view
from bot.slack.modals import open_then_fill
from bot.slack.text import HiddenCharacter, has_visible, read_text
from bot.slack.views.checkins import (
    CHECKIN_NOT_YOURS,
    HELP_NOTE_MAX,
    HELP_TITLE,
    checkin_help_modal,
    checkin_help_sent_modal,
    checkin_notice_modal,
)

_ID = re.compile(r"[0-9]{1,18}")
_BLOCK_ID = re.compile(r"checkin_([0-9]{1,18})")  # the builder's actions block per check-in
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_LATER = {ids.CHECKIN_NOT_YET: CheckinAnswer.NOT_YET, ids.CHECKIN_SNOOZE: CheckinAnswer.SNOOZED}


def parse_checkin_id(value: object) -> int | None:
    """A check-in id from a button value (untrusted), or None."""
    if isinstance(value, str) and _ID.fullmatch(value) and int(value) > 0:
        return int(value)
    return None


def parse_clicked_checkin(body: Mapping[str, Any]) -> int | None:
    """The check-in a click is about: a button's value, or (a datepicker has no value)
    the id in its block's id."""
    actions = body.get("actions") or []
    if not actions:
        return None
    action = actions[0]
    if "value" in action:
        return parse_checkin_id(action.get("value"))
    match = _BLOCK_ID.fullmatch(str(action.get("block_id") or ""))
    return parse_checkin_id(match.group(1)) if match else None


def parse_selected_date(body: Mapping[str, Any]) -> date | None:
    actions = body.get("actions") or []
    picked = actions[0].get("selected_date") if actions else None
    if not isinstance(picked, str) or not _DATE.fullmatch(picked):
        return None
    try:
        return date.fromisoformat(picked)
    except ValueError:
        return None


def parse_help(view: Mapping[str, Any]) -> tuple[int | None, str | dict[str, str]]:
    """(check-in id from private_metadata, note or {block_id: error})."""
    checkin_id = None
    try:
        metadata = json.loads(view.get("private_metadata") or "")
    except ValueError:
        metadata = None
    if isinstance(metadata, dict) and type(metadata.get("checkin_id")) is int:
        checkin_id = metadata["checkin_id"] if metadata["checkin_id"] > 0 else None
    values = (view.get("state") or {}).get("values") or {}
    field = ids.CHECKIN_HELP_NOTE
    raw = (values.get(field.block_id) or {}).get(field.action_id) or {}
    typed = raw.get("value") if isinstance(raw, dict) else None
    typed = typed if isinstance(typed, str) else ""
    note = read_text(typed, multiline=True)
    if isinstance(note, HiddenCharacter):
        return checkin_id, {field.block_id: f"Please remove {note.describe()}."}
    if typed and not note and not has_visible(typed):
        return checkin_id, {field.block_id: "This looks empty. Write a few words, or clear it."}
    if len(note) > HELP_NOTE_MAX:
        return checkin_id, {field.block_id: f"Please keep it under {HELP_NOTE_MAX} characters."}
    return checkin_id, note


def _clicked(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return [(channel, ts)] if isinstance(channel, str) and isinstance(ts, str) else []


def register(app: AsyncApp, runtime: Runtime) -> None:
    sessions = runtime.sessions

    async def show(
        result: AnswerResult,
        body: Mapping[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond | None,
    ) -> None:
        if result.outcome is AnswerOutcome.NOT_YOURS:
            await tell_closed(respond, CHECKIN_NOT_YOURS)
            return
        if result.outcome is AnswerOutcome.REFUSED:
            await tell_closed(respond, result.refusal or CHECKIN_NOT_YOURS)
            return
        if result.message is not None:
            # The clicked message, and the latest DM carrying the check-in if that is
            # another one (a reminder): both show what was recorded.
            places = list(dict.fromkeys([*_clicked(body), *result.locations]))
            await show_in_place(client, places, result.message)
        runtime.deliver_soon()  # the partner's message, the admins' notices

    def actor(body: Mapping[str, Any]) -> tuple[str, str]:
        return str(body["team"]["id"]), str(body["user"]["id"])

    @app.action(ids.CHECKIN_MET)
    async def handle_met(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        checkin_id = parse_clicked_checkin(body)
        if checkin_id is None:
            return
        team_id, user_id = actor(body)
        result = await record_met(
            sessions, team_id=team_id, user_id=user_id, checkin_id=checkin_id,
            now=runtime.clock.now(),
        )  # fmt: skip
        await show(result, body, client, respond)

    @app.action(ids.CHECKIN_MET_ON)
    async def handle_met_on(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        checkin_id, met_on = parse_clicked_checkin(body), parse_selected_date(body)
        if checkin_id is None or met_on is None:
            return
        team_id, user_id = actor(body)
        result = await record_met_on(
            sessions, team_id=team_id, user_id=user_id, checkin_id=checkin_id, met_on=met_on,
            now=runtime.clock.now(),
        )  # fmt: skip
        await show(result, body, client, respond)

    async def handle_later(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        checkin_id = parse_clicked_checkin(body)
        answer = _LATER.get(str((body.get("actions") or [{}])[0].get("action_id")))
        if checkin_id is None or answer is None:
            return
        team_id, user_id = actor(body)
        result = await record_later(
            sessions, team_id=team_id, user_id=user_id, checkin_id=checkin_id, answer=answer,
            now=runtime.clock.now(),
        )  # fmt: skip
        await show(result, body, client, respond)

    for action_id in _LATER:
        app.action(action_id)(handle_later)

    @app.action(ids.CHECKIN_REFLECT)
    async def handle_reflect(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        checkin_id = parse_clicked_checkin(body)
        if checkin_id is None:
            return
        team_id, user_id = actor(body)

        async def build() -> dict[str, Any]:
            target = await get_reflection_target(
                sessions, team_id=team_id, user_id=user_id, checkin_id=checkin_id
            )
            if target is None:
                return checkin_notice_modal(CHECKIN_NOT_YOURS)
            return await build_reflection_view(
                runtime, team_id=team_id, user_id=user_id, pair_id=target.pair_id
            )

        # The trigger_id is spent at once; the database is read after (3 s, single use).
        await open_then_fill(client, trigger_id=body["trigger_id"], title="Reflection", build=build)

    @app.action(ids.CHECKIN_HELP)
    async def handle_help(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        checkin_id = parse_clicked_checkin(body)
        if checkin_id is None:
            return
        team_id, user_id = actor(body)

        async def build() -> dict[str, Any]:
            program = await get_help_program(
                sessions, team_id=team_id, user_id=user_id, checkin_id=checkin_id
            )
            if program is None:
                return checkin_notice_modal(CHECKIN_NOT_YOURS)
            return checkin_help_modal(checkin_id=checkin_id, program_name=program)

        await open_then_fill(client, trigger_id=body["trigger_id"], title=HELP_TITLE, build=build)

    @app.view(ids.CHECKIN_HELP_VIEW)
    async def handle_help_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        checkin_id, note = parse_help(view)
        if isinstance(note, dict):
            await ack(response_action="errors", errors=note)
            return
        if checkin_id is None:
            await ack(response_action="update", view=checkin_notice_modal(CHECKIN_NOT_YOURS))
            return
        team_id, user_id = actor(body)
        result = await record_help_request(
            sessions, team_id=team_id, user_id=user_id, checkin_id=checkin_id, note=note,
            request_id=str(view.get("id") or ""), now=runtime.clock.now(),
            configured_admins=runtime.settings.MENTORBOT_ADMIN_IDS,
        )  # fmt: skip
        if result.outcome is not AnswerOutcome.RECORDED:
            await ack(response_action="update", view=checkin_notice_modal(CHECKIN_NOT_YOURS))
            return
        sent = checkin_help_sent_modal(reached_admins=result.reached_admins > 0)
        await ack(response_action="update", view=sent)
        await show(result, {}, client, None)
