"""`/mentor reflect` and "Log a reflection": a private note after a conversation."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.services.reflections import get_reflection_context, record_reflection
from bot.slack import ids
from bot.slack.forms import parse_reflection, parse_view_metadata
from bot.slack.listeners.commands import CommandRequest, CommandRouter
from bot.slack.modals import open_then_fill
from bot.slack.views.help import Subcommand
from bot.slack.views.reflection import reflection_modal, reflection_saved_modal
from bot.slack.views.status import not_enrolled_message, notice_modal

NOT_ENROLLED = "Reflections are for program members — join with `/mentor join` first."


async def open_reflection(
    runtime: Runtime, client: AsyncWebClient, *, trigger_id: str, team_id: str, user_id: str
) -> None:
    async def build() -> dict[str, Any]:
        found = await get_reflection_context(runtime.sessions, team_id=team_id, user_id=user_id)
        if found is None:
            return notice_modal(not_enrolled_message(), title="Reflection")
        program_id, partners = found
        return reflection_modal(program_id=program_id, partner_names=partners)

    await open_then_fill(client, trigger_id=trigger_id, title="Reflection", build=build)


def register(app: AsyncApp, runtime: Runtime, router: CommandRouter) -> None:
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
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        form = parse_reflection(view["state"]["values"])
        if isinstance(form, dict):
            await ack(response_action="errors", errors=form)
            return
        metadata = parse_view_metadata(view.get("private_metadata"))
        total = (
            await record_reflection(
                runtime.sessions,
                team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                program_id=metadata.program_id,
                form=form,
                now=runtime.clock.now(),
                once_key=f"view:{view['id']}",
                pair_id=metadata.pair_id,
            )
            if metadata
            else None
        )
        if total is None:
            await ack(response_action="errors", errors={ids.REFLECT_LEARNED.block_id: NOT_ENROLLED})
            return
        await ack(response_action="update", view=reflection_saved_modal(total=total))
