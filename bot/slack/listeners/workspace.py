"""Workspace events: accounts deactivated, turned guest or restored; profile changes."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from bot.services.participation import deactivate
from bot.services.profiles import record_slack_profile
from bot.slack.users import account_problem


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.event("user_change")
    async def handle_user_change(
        event: dict[str, Any], context: dict[str, Any], body: dict[str, Any]
    ) -> None:
        user = event.get("user") or {}
        user_id = str(user.get("id") or "")
        if not user_id:
            return
        # The workspace the event came for, never the user object's own team_id: that
        # one names another workspace for a shared-channel or Enterprise user, and
        # people here are this workspace's (keyed by the team of their requests).
        team_id = str(context.get("team_id") or user.get("team_id") or "")
        runtime.admins.forget(team_id, user_id)  # admin flags may have changed
        now = runtime.clock.now()
        # Deleted, or a guest now: guests can't take part in a workspace program.
        if account_problem(user) is not None:
            if await deactivate(
                runtime.sessions, team_id=team_id, user_id=user_id, now=now,
                once_key=body.get("event_id"),
            ):  # fmt: skip
                runtime.deliver_soon()
            return
        # The full user object: name and zone kept current, a restored account back in.
        await record_slack_profile(runtime.sessions, team_id=team_id, user=user, now=now)

    @app.event("team_join")
    @app.event("member_joined_channel")
    async def handle_ignored_event() -> None:
        """Subscribed for later features; acknowledged so Slack does not retry."""
