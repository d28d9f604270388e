"""The app leaving a workspace: `app_uninstalled` and `tokens_revoked` (issue 13).

Both end the workspace's installation (OAuth mode: slack-sdk's rows for it go, so no
token is found for it) and stop its sweeps (`record_uninstall`). Bolt skips auth.test
for these two events (the token is already dead), so they reach us. Slack sends them
only to apps subscribed to them (manifest.yml bot_events).

With one SLACK_BOT_TOKEN there is no installation to delete: the uninstall is recorded
all the same, so the sweeps stop instead of failing on a dead token every minute, and
the operator reinstalls the app and sets the new SLACK_BOT_TOKEN.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from bot.services.workspaces import record_uninstall

logger = logging.getLogger(__name__)


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.event("app_uninstalled")
    async def handle_app_uninstalled(body: dict[str, Any], context: dict[str, Any]) -> None:
        await _uninstall(runtime, team_id=context["team_id"], event_id=body.get("event_id"))

    @app.event("tokens_revoked")
    async def handle_tokens_revoked(
        event: dict[str, Any], body: dict[str, Any], context: dict[str, Any]
    ) -> None:
        # `tokens` lists the user ids whose tokens were revoked: `oauth` for user tokens
        # (we keep none), `bot` for the bot's. Only the bot's ends anything here.
        # https://api.slack.com/events/tokens_revoked
        if (event.get("tokens") or {}).get("bot"):
            await _uninstall(runtime, team_id=context["team_id"], event_id=body.get("event_id"))


async def _uninstall(runtime: Runtime, *, team_id: str, event_id: str | None) -> None:
    if runtime.installations is None:
        logger.warning(
            "workspace %s removed the app: its sweeps stop; reinstall the app and set the"
            " new SLACK_BOT_TOKEN to carry on",
            team_id,
        )
    else:
        # Before the mark: if this fails, Slack's retry finds no mark and runs it again.
        await runtime.installations.async_delete_bot(enterprise_id=None, team_id=team_id)
        await runtime.installations.async_delete_installation(enterprise_id=None, team_id=team_id)
    await record_uninstall(
        runtime.sessions, team_id=team_id, now=runtime.clock.now(), once_key=event_id
    )
