"""`/mentor reflect`, "Log a reflection" and the learning log: private notes.

Only the author ever sees a reflection: every view here goes to them alone (their
modal, their Home). Edits and deletes name a reflection id (untrusted); the service
finds it only among the clicker's own.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.services.reflections import (
    Gone,
    delete_reflection,
    get_learning_log,
    get_reflection_context,
    owns_reflection,
    record_reflection,
    update_reflection,
)
from bot.slack import ids
from bot.slack.forms_reflections import parse_reflection, parse_reflection_metadata
from bot.slack.listeners.commands import CommandRequest, CommandRouter
from bot.slack.listeners.home import publish_home
from bot.slack.listeners.stories import build_story_modal
from bot.slack.modals import open_then_fill
from bot.slack.views.help import Subcommand
from bot.slack.views.reflection import (
    LOG_VIEW_MAX,
    REFLECTION_GONE,
    TITLE,
    delete_confirm_modal,
    learning_log_modal,
    reflection_modal,
    reflection_saved_modal,
)
from bot.slack.views.status import not_enrolled_message, notice_modal, text_modal

NOT_ENROLLED = "Reflections are for program members — join with `/mentor join` first."
_MENU_VALUE = re.compile(r"(edit|delete):([0-9]{1,18})")


def _gone_modal() -> dict[str, Any]:
    return text_modal(REFLECTION_GONE, title=TITLE)


async def build_reflection_view(
    runtime: Runtime,
    *,
    team_id: str,
    user_id: str,
    pair_id: int | None = None,
    reflection_id: int | None = None,
) -> dict[str, Any]:
    """The reflection modal for this person (the pair fixed when given and theirs; their
    own reflection prefilled for an edit), or a notice saying why not."""
    context = await get_reflection_context(
        runtime.sessions, team_id=team_id, user_id=user_id, now=runtime.clock.now(),
        pair_id=pair_id, reflection_id=reflection_id,
    )  # fmt: skip
    if context is None:
        return notice_modal(not_enrolled_message(), title=TITLE)
    if isinstance(context, Gone):
        return _gone_modal()
    return reflection_modal(context)


async def open_reflection(
    runtime: Runtime,
    client: AsyncWebClient,
    *,
    trigger_id: str,
    team_id: str,
    user_id: str,
    reflection_id: int | None = None,
) -> None:
    async def build() -> dict[str, Any]:
        return await build_reflection_view(
            runtime, team_id=team_id, user_id=user_id, reflection_id=reflection_id
        )

    await open_then_fill(client, trigger_id=trigger_id, title=TITLE, build=build)


def _menu_choice(body: dict[str, Any]) -> tuple[str, int] | None:
    actions = body.get("actions") or [{}]
    value = ((actions[0] or {}).get("selected_option") or {}).get("value")
    match = _MENU_VALUE.fullmatch(value) if isinstance(value, str) else None
    return (match.group(1), int(match.group(2))) if match else None


def register(app: AsyncApp, runtime: Runtime, router: CommandRouter) -> None:
    sessions = runtime.sessions

    async def handle_reflect(request: CommandRequest) -> None:
        await request.ack()
        await open_reflection(
            runtime, request.client, trigger_id=request.trigger_id,
            team_id=request.team_id, user_id=request.user_id,
        )  # fmt: skip

    router.add(
        Subcommand("reflect", "reflect", "a private note on what you learned and shared"),
        handle_reflect,
    )

    @app.action(ids.HOME_REFLECT)
    async def handle_home_reflect(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await open_reflection(
            runtime, client, trigger_id=body["trigger_id"],
            team_id=body["team"]["id"], user_id=body["user"]["id"],
        )  # fmt: skip

    @app.view(ids.REFLECT_VIEW)
    async def handle_reflection_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        metadata = parse_reflection_metadata(view.get("private_metadata"))
        now = runtime.clock.now()
        context = await get_reflection_context(
            sessions, team_id=team_id, user_id=user_id, now=now,
            pair_id=metadata.pair_id, reflection_id=metadata.reflection_id,
        )  # fmt: skip
        if context is None:
            await ack(response_action="errors", errors={ids.REFLECT_LEARNED.block_id: NOT_ENROLLED})
            return
        if isinstance(context, Gone):
            await ack(response_action="update", view=_gone_modal())
            return
        form = parse_reflection(view["state"]["values"], context)
        if isinstance(form, dict):
            await ack(response_action="errors", errors=form)
            return
        if metadata.reflection_id is not None:
            saved = await update_reflection(
                sessions, team_id=team_id, user_id=user_id,
                reflection_id=metadata.reflection_id, form=form, now=now,
            )  # fmt: skip
        else:
            recorded = await record_reflection(
                sessions, team_id=team_id, user_id=user_id, form=form, now=now,
                once_key=f"view:{view['id']}",
            )  # fmt: skip
            if recorded is None:
                await ack(
                    response_action="errors", errors={ids.REFLECT_LEARNED.block_id: NOT_ENROLLED}
                )
                return
            saved = recorded
        if isinstance(saved, Gone):
            await ack(response_action="update", view=_gone_modal())
            return
        if form.share:
            story = await build_story_modal(
                runtime, team_id=team_id, user_id=user_id, pair_id=form.pair_id,
                reflection_id=saved.reflection_id,
            )  # fmt: skip
            await ack(response_action="update", view=story)
        else:
            edited = metadata.reflection_id is not None
            await ack(
                response_action="update",
                view=reflection_saved_modal(total=saved.total, edited=edited),
            )
        async with runtime.after_ack:
            await publish_home(runtime, client, team_id=team_id, user_id=user_id)

    @app.action(ids.HOME_LEARNING_LOG)
    async def handle_learning_log(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]

        async def build() -> dict[str, Any]:
            log = await get_learning_log(
                sessions, team_id=team_id, user_id=user_id, limit=LOG_VIEW_MAX
            )
            return learning_log_modal(log)

        await open_then_fill(
            client, trigger_id=body["trigger_id"], title="Your learning log", build=build
        )

    @app.action(ids.REFLECTION_MENU)
    async def handle_reflection_menu(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        choice = _menu_choice(body)
        if choice is None:
            return
        kind, reflection_id = choice
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        container = body.get("view") or {}
        in_modal = container.get("type") == "modal"
        if kind == "edit":
            if in_modal:  # on top of the log: closing the edit shows the log again
                view = await build_reflection_view(
                    runtime, team_id=team_id, user_id=user_id, reflection_id=reflection_id
                )
                await client.views_push(trigger_id=body["trigger_id"], view=view)
            else:
                await open_reflection(
                    runtime, client, trigger_id=body["trigger_id"],
                    team_id=team_id, user_id=user_id, reflection_id=reflection_id,
                )  # fmt: skip
            return
        # Delete asks first, in a modal on top of the log (or of nothing, from Home).
        owned = await owns_reflection(
            sessions, team_id=team_id, user_id=user_id, reflection_id=reflection_id
        )
        view = delete_confirm_modal(reflection_id=reflection_id) if owned else _gone_modal()
        if in_modal:
            await client.views_push(trigger_id=body["trigger_id"], view=view)
        else:
            await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(ids.REFLECTION_DELETE_VIEW)
    async def handle_delete_confirmed(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        reflection_id = parse_reflection_metadata(view.get("private_metadata")).reflection_id
        deleted = reflection_id is not None and await delete_reflection(
            sessions, team_id=team_id, user_id=user_id, reflection_id=reflection_id
        )
        if not deleted:
            await ack(response_action="update", view=_gone_modal())
            return
        await ack()  # closes this modal; the log under it (if any) shows again, refreshed
        if log_view_id := view.get("previous_view_id"):
            log = await get_learning_log(
                sessions, team_id=team_id, user_id=user_id, limit=LOG_VIEW_MAX
            )
            await client.views_update(view_id=log_view_id, view=learning_log_modal(log))
        await publish_home(runtime, client, team_id=team_id, user_id=user_id)
