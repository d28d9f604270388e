"""`/mentor join`: the enrollment modal, its program switch, skill search and submit."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.services.enrollment import (
    AccountInactiveError,
    ProgramClosedError,
    load_enrollment,
    record_enrollment,
)
from bot.services.profiles import ProfileState, record_slack_user
from bot.slack import ids
from bot.slack.forms import parse_enrollment, parse_enrollment_draft, parse_view_metadata
from bot.slack.listeners.commands import CommandRequest, CommandRouter
from bot.slack.listeners.home import publish_home
from bot.slack.modals import open_then_fill
from bot.slack.users import AccountProblem, UserLookup, account_problem, lookup_user
from bot.slack.views.enrollment import enrollment_modal
from bot.slack.views.help import Subcommand
from bot.slack.views.skills import skill_options
from bot.slack.views.status import enrollment_saved_modal, notice_modal

logger = logging.getLogger(__name__)

JOIN_TITLE = "Join reverse mentoring"
PROGRAM_CLOSED = "That program has just closed to new members. Please pick another."
NOT_ELIGIBLE = {
    AccountProblem.GUEST: (
        "Reverse mentoring is for full members of this workspace, so guest accounts can't "
        "join. If your account should be a full one, a workspace admin can change it."
    ),
    AccountProblem.DELETED: "This Slack account can't join reverse mentoring.",
    AccountProblem.BOT: "Bots can't join reverse mentoring.",
}
TAKEN_OUT = (
    "Your Slack account can't take part in reverse mentoring right now (guest accounts "
    "can't join). If that changes, you'll be back in with your profile as it was."
)
COULD_NOT_CHECK = (
    "I couldn't check your Slack account just now. Please try `/mentor join` again in a minute."
)


def join_refusal(account: ProfileState, lookup: UserLookup) -> str | None:
    """Why this person can't join now, or None. Slack's answer wins over what we hold.

    When Slack cannot answer, a newcomer is let in: under rate limits most joiners are
    members, and a refusal would make them all start again. They stay unsynced, so
    nothing is planned for them until the profile sweep has read their account (and
    taken a guest out again). Someone we took out is not let back in on our own guess.
    """
    if lookup.user is not None:
        problem = account_problem(lookup.user)
        return NOT_ELIGIBLE[problem] if problem else None
    if lookup.missing:
        return NOT_ELIGIBLE[AccountProblem.DELETED]
    if account.enrolled and not account.active:
        return COULD_NOT_CHECK
    return None


def _notice(text: str) -> dict[str, Any]:
    return notice_modal(
        {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]},
        title=JOIN_TITLE,
    )


async def open_enrollment(
    runtime: Runtime, client: AsyncWebClient, *, trigger_id: str, team_id: str, user_id: str
) -> None:
    """The enrollment modal, prefilled for someone already enrolled; a kind refusal for
    an account that can't take part."""

    async def build() -> dict[str, Any]:
        now = runtime.clock.now()
        context, lookup = await asyncio.gather(
            load_enrollment(runtime.sessions, team_id=team_id, user_id=user_id, now=now),
            lookup_user(client, user_id),
        )
        if lookup.user is not None:
            # Kept before the view shows, which can be submitted the moment it does: a
            # restored account must be back in by then, a guest already out.
            await _record_account(runtime, team_id=team_id, user=lookup.user)
        refusal = join_refusal(context.account, lookup)
        if refusal is not None:
            return _notice(refusal)
        profile = (lookup.user or {}).get("profile") or {}
        name = context.display_name or str(
            profile.get("display_name") or profile.get("real_name") or ""
        )
        draft = context.draft
        return enrollment_modal(
            programs=context.programs,
            skills=context.program_skills(draft.program_id if draft else None),
            draft=draft,
            display_name=name,
            editing=draft is not None,
        )

    await open_then_fill(client, trigger_id=trigger_id, title=JOIN_TITLE, build=build)


async def _record_account(runtime: Runtime, *, team_id: str, user: dict[str, Any]) -> None:
    if await record_slack_user(
        runtime.sessions, team_id=team_id, user=user, now=runtime.clock.now()
    ):
        runtime.deliver_soon()  # partners were told


async def _check_account(
    runtime: Runtime,
    client: AsyncWebClient,
    account: ProfileState,
    *,
    team_id: str,
    user_id: str,
    view_id: str,
) -> None:
    """Read a just-saved joiner's account; if they can't take part, take them out and
    say why in their form. It says so whoever took them out: an event or a /mentor join
    may have read the same account meanwhile and been first."""
    lookup = await lookup_user(client, user_id)
    if lookup.user is None:
        return
    await _record_account(runtime, team_id=team_id, user=lookup.user)
    refusal = join_refusal(account, lookup)
    if refusal is None:
        return
    try:
        await client.views_update(view_id=view_id, view=_notice(refusal))
    except SlackApiError as exc:  # closed already: status and Home say it too
        logger.info("views.update for %s failed: %s", user_id, exc.response.get("error"))


def register(app: AsyncApp, runtime: Runtime, router: CommandRouter) -> None:
    async def handle_join(request: CommandRequest) -> None:
        await request.ack()
        await open_enrollment(
            runtime, request.client, trigger_id=request.trigger_id,
            team_id=request.team_id, user_id=request.user_id,
        )  # fmt: skip

    router.add(Subcommand("join", "join", "join a program, or edit your profile"), handle_join)

    @app.action(ids.ENROLL_PROGRAM.action_id)
    @app.action(ids.ENROLL_ROLE.action_id)
    async def handle_program_switch(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Another program or role was picked: show that program's skills and what that
        role is asked, keep the answers."""
        await ack()
        view = body["view"]
        context = await load_enrollment(
            runtime.sessions, team_id=body["team"]["id"], user_id=body["user"]["id"],
            now=runtime.clock.now(),
        )  # fmt: skip
        draft = parse_enrollment_draft(
            view["state"]["values"], private_metadata=view.get("private_metadata")
        )
        metadata = parse_view_metadata(view.get("private_metadata"))
        modal = enrollment_modal(
            programs=context.programs,
            skills=context.program_skills(draft.program_id),
            draft=draft,
            display_name=context.display_name,
            editing=bool(metadata and metadata.editing),
        )
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=modal)

    async def handle_skill_search(ack: AsyncAck, body: dict[str, Any]) -> None:
        """Options for the skill pickers once a catalogue passes Slack's 100-option limit."""
        metadata = parse_view_metadata((body.get("view") or {}).get("private_metadata"))
        context = await load_enrollment(
            runtime.sessions, team_id=body["team"]["id"], user_id=body["user"]["id"],
            now=runtime.clock.now(),
        )  # fmt: skip
        skills = context.program_skills(metadata.program_id if metadata else None)
        await ack(skill_options(str(body.get("value") or ""), skills))

    for action_id in ids.ENROLL_SKILL_OPTION_ACTIONS:
        app.options(action_id)(handle_skill_search)

    @app.view(ids.ENROLL_VIEW)
    async def handle_enrollment_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        now = runtime.clock.now()
        context = await load_enrollment(runtime.sessions, team_id=team_id, user_id=user_id, now=now)
        form = parse_enrollment(
            view["state"]["values"],
            programs=context.programs,
            active_skill_ids=context.active_skill_ids(),
            private_metadata=view.get("private_metadata"),
            user_id=user_id,
        )
        if isinstance(form, dict):
            await ack(response_action="errors", errors=form)
            return
        try:
            saved = await record_enrollment(
                runtime.sessions, team_id=team_id, user_id=user_id, form=form, now=now
            )
        except ProgramClosedError:
            await ack(response_action="errors", errors={ids.ENROLL_ROLE.block_id: PROGRAM_CLOSED})
            return
        except AccountInactiveError:  # taken out; /mentor join re-reads the account first
            await ack(response_action="update", view=_notice(TAKEN_OUT))
            return
        await ack(
            response_action="update",
            view=enrollment_saved_modal(
                program_name=saved.program_name,
                joined=saved.joined,
                next_round_on=saved.next_round_on,
            ),
        )
        # Behind the acks still waiting (Runtime.after_ack): a burst of joins must not
        # push any of them past Slack's 3 seconds.
        async with runtime.after_ack:
            # After the ack, never before it: a newcomer's account is read now. A guest (a form
            # opened before the account changed, or forged) is taken out again before the
            # welcome is sent; when Slack does not answer, the row stays unsynced, so nothing
            # is planned for them until the profile sweep has read it.
            if not (context.account.active and context.account.synced):
                await _check_account(
                    runtime, client, context.account, team_id=team_id, user_id=user_id,
                    view_id=view["id"],
                )  # fmt: skip
            runtime.deliver_soon()
            await publish_home(runtime, client, team_id=team_id, user_id=user_id)
