"""`/mentor pair`: preview the next round, adjust it, re-run it, confirm it.

Admins only: bot/slack/guard.py refuses every command, button and submission here to
anyone else (ids.ROUND_ACTIONS and the round views are in ids.ADMIN_*). The ids in
button values and private_metadata are still untrusted: the services check that they
belong to the clicking admin's workspace.

The matching can take seconds (a program's `match_time_limit`), longer than a
trigger_id lives (3 s): the modal is opened at once saying "Working out the pairs…"
and filled in with views.update when the matching is done. `open_then_fill` is not
used because its placeholder and its 8 s limit are made for quick database reads.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.programs import get_or_create_default_program
from bot.runtime import Runtime
from bot.services.rounds import (
    Adjustments,
    build_adjustment,
    confirm_round,
    list_programs,
    load_preview,
    preview_round,
)
from bot.slack import ids
from bot.slack.listeners.commands import CommandRequest, CommandRouter
from bot.slack.modals import MODAL_SORRY
from bot.slack.views.help import Subcommand
from bot.slack.views.rounds import (
    confirmed_modal,
    notice,
    parse_preview_metadata,
    preview_modal,
    program_choice_modal,
    working_modal,
)

logger = logging.getLogger(__name__)

NO_PROGRAM = "That program no longer exists."
GONE = "This preview is out of date (the round was confirmed or removed). Run `/mentor pair` again."


def register(app: AsyncApp, runtime: Runtime, router: CommandRouter) -> None:
    sessions = runtime.sessions

    async def fill(
        client: AsyncWebClient, view_id: str, build: Callable[[], Awaitable[dict[str, Any]]]
    ) -> None:
        try:
            view = await build()
        except Exception:  # the admin must not be left on "Working out the pairs…"
            logger.exception("round view %s could not be built", view_id)
            view = notice(MODAL_SORRY)
        try:
            await client.views_update(view_id=view_id, view=view)
        except SlackApiError as exc:
            logger.warning(
                "round view %s: views.update failed: %s", view_id, exc.response.get("error")
            )

    async def show_preview(
        *, team_id: str, user_id: str, program_id: int, change: Adjustments | None = None
    ) -> dict[str, Any]:
        round_ = await preview_round(
            sessions, team_id=team_id, program_id=program_id, created_by=user_id,
            now=runtime.clock.now(), change=change,
        )  # fmt: skip
        if round_ is None:
            return notice(NO_PROGRAM)
        preview = await load_preview(sessions, team_id=team_id, round_id=round_.id)
        return preview_modal(preview) if preview else notice(NO_PROGRAM)

    async def start(
        client: AsyncWebClient,
        *,
        trigger_id: str,
        team_id: str,
        user_id: str,
        program_id: int | None,
    ) -> None:
        opened = await client.views_open(trigger_id=trigger_id, view=working_modal())
        view_id = str(opened["view"]["id"])

        async def build() -> dict[str, Any]:
            chosen = program_id
            if chosen is None:
                async with sessions() as session:
                    programs = await list_programs(session, team_id)
                if len(programs) > 1:
                    return program_choice_modal(programs)
                if not programs:
                    async with sessions() as session, session.begin():
                        programs = [
                            await get_or_create_default_program(
                                session, team_id, now=runtime.clock.now()
                            )
                        ]
                chosen = programs[0].id
            return await show_preview(team_id=team_id, user_id=user_id, program_id=chosen)

        await fill(client, view_id, build)

    async def handle_pair(request: CommandRequest) -> None:
        await request.ack()
        await start(
            request.client, trigger_id=request.trigger_id, team_id=request.team_id,
            user_id=request.user_id, program_id=None,
        )  # fmt: skip

    router.add(
        Subcommand("pair", "pair", "preview and confirm the next round of pairs", admin_only=True),
        handle_pair,
    )

    @app.action(ids.PAIR_PREVIEW_BUTTON)
    async def handle_home_preview(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, action: dict[str, Any]
    ) -> None:
        await ack()
        value = str(action.get("value") or "")
        await start(
            client, trigger_id=body["trigger_id"], team_id=body["team"]["id"],
            user_id=body["user"]["id"], program_id=int(value) if value.isdigit() else None,
        )  # fmt: skip

    def _view_id(body: dict[str, Any]) -> str:
        return str(body["view"]["id"])

    @app.action(ids.ROUND_CHOOSE_PROGRAM)
    async def handle_choose_program(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, action: dict[str, Any]
    ) -> None:
        await ack()
        value = str(action.get("value") or "")
        team_id, user_id, view_id = body["team"]["id"], body["user"]["id"], _view_id(body)
        if not value.isdigit():
            await fill(client, view_id, _constant(notice(NO_PROGRAM)))
            return
        await client.views_update(view_id=view_id, view=working_modal())
        await fill(
            client, view_id,
            lambda: show_preview(team_id=team_id, user_id=user_id, program_id=int(value)),
        )  # fmt: skip

    async def rerun(
        body: dict[str, Any],
        client: AsyncWebClient,
        change: Callable[[int], Awaitable[Adjustments | None]] | None,
    ) -> None:
        team_id, user_id, view_id = body["team"]["id"], body["user"]["id"], _view_id(body)
        metadata = parse_preview_metadata(body["view"].get("private_metadata"))
        if metadata is None:
            await fill(client, view_id, _constant(notice(GONE)))
            return
        adjustment = await change(metadata.round_id) if change is not None else None
        if change is not None and adjustment is None:
            await fill(client, view_id, _constant(notice(GONE)))
            return
        await client.views_update(view_id=view_id, view=working_modal())
        await fill(
            client, view_id,
            lambda: show_preview(
                team_id=team_id, user_id=user_id, program_id=metadata.program_id, change=adjustment
            ),
        )  # fmt: skip

    @app.action(ids.ROUND_RERUN)
    async def handle_rerun(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await rerun(body, client, None)

    @app.action(ids.ROUND_PAIR_MENU)
    async def handle_pair_menu(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, action: dict[str, Any]
    ) -> None:
        await ack()
        kind, _, pair = str((action.get("selected_option") or {}).get("value") or "").partition(":")

        async def change(round_id: int) -> Adjustments | None:
            if not pair.isdigit():
                return None
            return await build_adjustment(
                sessions, team_id=body["team"]["id"], round_id=round_id, kind=kind,
                pair_id=int(pair),
            )  # fmt: skip

        await rerun(body, client, change)

    @app.action(ids.ROUND_EXCLUDE_PERSON.action_id)
    async def handle_exclude_person(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, action: dict[str, Any]
    ) -> None:
        await ack()
        user = str(action.get("selected_user") or "")

        async def change(round_id: int) -> Adjustments | None:
            return await build_adjustment(
                sessions, team_id=body["team"]["id"], round_id=round_id, kind="exclude_person",
                user_id=user or None,
            )  # fmt: skip

        await rerun(body, client, change)

    @app.action(ids.ROUND_PAGE)
    async def handle_page(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, action: dict[str, Any]
    ) -> None:
        await ack()
        team_id, view_id = body["team"]["id"], _view_id(body)
        metadata = parse_preview_metadata(body["view"].get("private_metadata"))
        value = str(action.get("value") or "")

        async def build() -> dict[str, Any]:
            if metadata is None or not value.isdigit():
                return notice(GONE)
            preview = await load_preview(sessions, team_id=team_id, round_id=metadata.round_id)
            return preview_modal(preview, page=int(value)) if preview else notice(GONE)

        await fill(client, view_id, build)

    @app.view(ids.ROUND_PREVIEW_VIEW)
    async def handle_confirm(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        team_id, view = body["team"]["id"], body["view"]
        metadata = parse_preview_metadata(view.get("private_metadata"))
        if metadata is None:
            await ack(response_action="update", view=notice(GONE))
            return
        # Ack at once (a round of hundreds of pairs writes as many messages), then say
        # what happened in the same modal.
        await ack(response_action="update", view=notice("Confirming the round… ⏳"))
        confirmed = await confirm_round(
            sessions, team_id=team_id, round_id=metadata.round_id, now=runtime.clock.now()
        )
        if confirmed.round_ is not None:
            runtime.deliver_soon()
        await fill(client, str(view["id"]), _constant(confirmed_modal(confirmed)))


def _constant(view: dict[str, Any]) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def build() -> dict[str, Any]:
        return view

    return build
