"""Program admins manage each program's skill catalogue."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.services.skills import load_catalogue, record_skill_changes
from bot.slack import ids
from bot.slack.forms import parse_skill_admin, parse_view_metadata
from bot.slack.listeners.commands import CommandRouter
from bot.slack.listeners.home import publish_home
from bot.slack.modals import open_then_fill
from bot.slack.views.skills import skill_admin_modal, skill_options, skills_saved_modal
from bot.slack.views.status import notice_modal

NO_PROGRAM = "That program no longer exists."


async def open_skill_admin(
    runtime: Runtime,
    client: AsyncWebClient,
    *,
    trigger_id: str,
    team_id: str,
    program_id: int | None,
) -> None:
    async def build() -> dict[str, Any]:
        catalogue = await load_catalogue(
            runtime.sessions, team_id=team_id, program_id=program_id, now=runtime.clock.now()
        )
        if catalogue is None:
            gone = {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": NO_PROGRAM}}]}
            return notice_modal(gone, title="Program skills")
        return skill_admin_modal(program=catalogue.program, skills=catalogue.skills)

    await open_then_fill(client, trigger_id=trigger_id, title="Program skills", build=build)


def register(app: AsyncApp, runtime: Runtime, router: CommandRouter) -> None:
    # `/mentor admin` opens program management (bot/slack/listeners/programs.py);
    # the skill catalogue opens from the admin's Home ("Manage skills").

    @app.action(ids.HOME_MANAGE_SKILLS)
    async def handle_manage_skills(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, action: dict[str, Any]
    ) -> None:
        await ack()  # admins only: bot/slack/guard.py refused everyone else
        team_id = body["team"]["id"]
        value = str(action.get("value") or "")
        await open_skill_admin(
            runtime, client, trigger_id=body["trigger_id"], team_id=team_id,
            program_id=int(value) if value.isdigit() else None,
        )  # fmt: skip

    async def handle_admin_skill_search(ack: AsyncAck, body: dict[str, Any]) -> None:
        metadata = parse_view_metadata((body.get("view") or {}).get("private_metadata"))
        skills = []
        if metadata is not None:
            catalogue = await load_catalogue(
                runtime.sessions, team_id=body["team"]["id"], program_id=metadata.program_id,
                now=runtime.clock.now(),
            )  # fmt: skip
            skills = catalogue.skills if catalogue else []
        await ack(skill_options(str(body.get("value") or ""), skills, include_retired=True))

    for action_id in ids.ADMIN_SKILL_OPTION_ACTIONS:
        app.options(action_id)(handle_admin_skill_search)

    @app.view(ids.SKILLS_VIEW)
    async def handle_skills_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        # The guard checked the submitter is an admin now; private_metadata is still
        # untrusted, so it must name a program of this workspace.
        metadata = parse_view_metadata(view.get("private_metadata"))
        if metadata is None:
            await ack(response_action="errors", errors={ids.SKILLS_ADD.block_id: NO_PROGRAM})
            return
        catalogue = await load_catalogue(
            runtime.sessions, team_id=team_id, program_id=metadata.program_id,
            now=runtime.clock.now(),
        )  # fmt: skip
        if catalogue is None:
            await ack(response_action="errors", errors={ids.SKILLS_ADD.block_id: NO_PROGRAM})
            return
        changes = parse_skill_admin(
            view["state"]["values"], program_id=catalogue.program.id, skills=catalogue.skills
        )
        if isinstance(changes, dict):
            await ack(response_action="errors", errors=changes)
            return
        await record_skill_changes(
            runtime.sessions, team_id=team_id, changes=changes, now=runtime.clock.now()
        )
        names = {s.id: s.name for s in catalogue.skills}
        renamed = changes.renamed
        await ack(
            response_action="update",
            view=skills_saved_modal(
                program_name=catalogue.program.name,
                added=[skill.name for skill in changes.added],
                renamed=(names[renamed.skill_id], renamed.name) if renamed else None,
                retired=len(changes.retire),
                brought_back=len(changes.unretire),
            ),
        )
        await publish_home(runtime, client, team_id=team_id, user_id=user_id)
