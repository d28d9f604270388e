"""status, pause, resume and leave: as subcommands and as App Home buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.services.participation import get_personal_status, leave, pause, resume
from bot.slack import ids
from bot.slack.forms import (
    InputError,
    parse_leave,
    parse_leave_reason,
    parse_pause_choice,
    parse_pause_weeks,
    parse_view_metadata,
)
from bot.slack.listeners.commands import CommandRequest, CommandRouter
from bot.slack.listeners.enrollment import open_enrollment
from bot.slack.listeners.home import publish_home
from bot.slack.modals import open_then_fill
from bot.slack.views.help import Subcommand
from bot.slack.views.status import (
    erase_modal,
    erased_message,
    leave_done_message,
    leave_modal,
    not_enrolled_message,
    notice_modal,
    pause_confirmation,
    resume_confirmation,
    status_message,
)

LEAVE_TITLE = "Leave the program"
NOTHING_TO_RESUME = "You're not paused — check-ins are already on. 🙂"


def register(app: AsyncApp, runtime: Runtime, router: CommandRouter) -> None:
    sessions = runtime.sessions

    async def handle_status(request: CommandRequest) -> None:
        # Ack first, answer through response_url: the ack never waits on the database,
        # so a busy database cannot push it past Slack's 3 seconds.
        await request.ack()
        async with runtime.after_ack:
            status = await get_personal_status(
                sessions, team_id=request.team_id, user_id=request.user_id,
                today=runtime.clock.now().date(),
            )  # fmt: skip
            await request.respond(status_message(status))

    async def handle_pause(request: CommandRequest) -> None:
        weeks = parse_pause_weeks(request.args)
        if isinstance(weeks, InputError):
            await request.ack(response_type="ephemeral", text=weeks.message)
            return
        paused = await pause(
            sessions, team_id=request.team_id, user_id=request.user_id,
            weeks=weeks, now=runtime.clock.now(),
        )  # fmt: skip
        await request.ack(pause_confirmation(paused.until) if paused else not_enrolled_message())
        await publish_home(
            runtime, request.client, team_id=request.team_id, user_id=request.user_id
        )

    async def handle_resume(request: CommandRequest) -> None:
        resumed = await resume(sessions, team_id=request.team_id, user_id=request.user_id)
        if resumed is None:
            await request.ack(not_enrolled_message())
            return
        if resumed:
            await request.ack(resume_confirmation())
        else:
            await request.ack(response_type="ephemeral", text=NOTHING_TO_RESUME)
        await publish_home(
            runtime, request.client, team_id=request.team_id, user_id=request.user_id
        )

    async def handle_leave(request: CommandRequest) -> None:
        await request.ack()

        async def build() -> dict[str, Any]:
            status = await get_personal_status(
                sessions, team_id=request.team_id, user_id=request.user_id
            )
            current = status.current if status else ()
            if current:
                return leave_modal(current[0])
            if status is not None:  # left earlier and kept their data: they may delete it
                return erase_modal()
            return notice_modal(not_enrolled_message(), title=LEAVE_TITLE)

        # The trigger_id is spent at once; the database is read after (3 s, single use).
        await open_then_fill(
            request.client, trigger_id=request.trigger_id, title=LEAVE_TITLE, build=build
        )

    router.add(
        Subcommand("status", "status", "your program, partner and next check-in"), handle_status
    )
    router.add(
        Subcommand("pause", "pause [weeks]", "take a break from rounds and check-ins"), handle_pause
    )
    router.add(Subcommand("resume", "resume", "end a break early"), handle_resume)
    router.add(
        Subcommand("leave", "leave", "leave the program, optionally deleting your data"),
        handle_leave,
    )

    @app.view(ids.LEAVE_VIEW)
    async def handle_leave_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        metadata = parse_view_metadata(view.get("private_metadata"))
        reason = parse_leave_reason(view["state"]["values"])
        if isinstance(reason, dict):
            await ack(response_action="errors", errors=reason)
            return
        result = None
        if metadata is not None:
            result = await leave(
                sessions,
                team_id=team_id,
                user_id=user_id,
                program_id=metadata.program_id,
                delete_data=parse_leave(view["state"]["values"]),
                now=runtime.clock.now(),
                reason=reason,
            )
        if result is None:
            await ack(response_action="update", view=notice_modal(not_enrolled_message()))
            return
        done = leave_done_message(
            deleted=result.deleted, program_name=", ".join(result.program_names)
        )
        # A modal, not a DM: after a deletion no message to the person stays behind with us.
        await ack(response_action="update", view=notice_modal(done))
        runtime.deliver_soon()
        await publish_home(runtime, client, team_id=team_id, user_id=user_id)

    @app.view(ids.ERASE_VIEW)
    async def handle_erase_submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        result = await leave(
            sessions, team_id=team_id, user_id=user_id, program_id=None, delete_data=True,
            now=runtime.clock.now(),
        )  # fmt: skip
        done = erased_message() if result else not_enrolled_message()
        await ack(response_action="update", view=notice_modal(done))
        runtime.deliver_soon()

    @app.action(ids.HOME_JOIN)
    @app.action(ids.HOME_EDIT_PROFILE)
    async def handle_home_join(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await open_enrollment(
            runtime, client, trigger_id=body["trigger_id"],
            team_id=body["team"]["id"], user_id=body["user"]["id"],
        )  # fmt: skip

    @app.action(ids.HOME_PAUSE)
    async def handle_home_pause(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        await pause(sessions, team_id=team_id, user_id=user_id, weeks=None, now=runtime.clock.now())
        await publish_home(runtime, client, team_id=team_id, user_id=user_id)

    @app.action(ids.HOME_PAUSE_FOR)
    async def handle_home_pause_for(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, action: dict[str, Any]
    ) -> None:
        """Home's "Pause for…" select: the length picked, like `/mentor pause [weeks]`."""
        await ack()
        weeks = parse_pause_choice((action.get("selected_option") or {}).get("value"))
        if isinstance(weeks, InputError):
            return  # not one of our lengths: nothing changes
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        await pause(
            sessions, team_id=team_id, user_id=user_id, weeks=weeks, now=runtime.clock.now()
        )
        await publish_home(runtime, client, team_id=team_id, user_id=user_id)

    @app.action(ids.HOME_RESUME)
    async def handle_home_resume(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        await resume(sessions, team_id=team_id, user_id=user_id)
        await publish_home(runtime, client, team_id=team_id, user_id=user_id)
