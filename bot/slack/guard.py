"""The one admin check: every admin command, button, modal submission and search passes it.

A Bolt global middleware, so no listener can be registered around it. Which surfaces are
admin-only is declared once: `admin_only` subcommands in the router, and `ids.ADMIN_*`.
A refusal fits its surface: an ephemeral line for a command, an error under the modal's
input for a submission, no options for a search, and nothing at all for a button.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.runtime import Runtime
from bot.slack import ids
from bot.slack.listeners.commands import CommandRouter, parse_subcommand

logger = logging.getLogger(__name__)

NOT_ADMIN = "Only program admins can do this."


def find_admin_refusal(body: Mapping[str, Any], router: CommandRouter) -> BoltResponse | None:
    """What a non-admin gets for this request, or None when it is not admin-only. Pure."""
    if body.get("command") == ids.COMMAND:
        name, _ = parse_subcommand(str(body.get("text") or ""))
        if not router.is_admin_only(name):
            return None
        text = f"`/mentor {name}` is for program admins. Ask one of them, or try `/mentor help`."
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    kind = body.get("type")
    view = body.get("view")
    callback_id = view.get("callback_id") if isinstance(view, dict) else None
    in_admin_view = callback_id in ids.ADMIN_VIEWS
    if kind == "block_actions":
        actions = body.get("actions") or []
        if in_admin_view or any(a.get("action_id") in ids.ADMIN_ACTIONS for a in actions):
            return BoltResponse(status=200, body="")
    elif kind == "block_suggestion":
        if in_admin_view or body.get("action_id") in ids.ADMIN_OPTIONS:
            return BoltResponse(status=200, body={"options": []})
    elif kind in ("view_submission", "view_closed") and in_admin_view:
        if kind == "view_closed":
            return BoltResponse(status=200, body="")
        errors = {ids.ADMIN_VIEWS[str(callback_id)]: NOT_ADMIN}
        return BoltResponse(status=200, body={"response_action": "errors", "errors": errors})
    return None


def _actor(body: Mapping[str, Any]) -> tuple[str, str]:
    """(team id, user id) as the listeners read them; the gate checked both exist."""
    if "command" in body:
        return str(body["team_id"]), str(body["user_id"])
    return str(body["team"]["id"]), str(body["user"]["id"])


def register_admin_guard(app: AsyncApp, runtime: Runtime, router: CommandRouter) -> None:
    @app.middleware
    async def require_admin(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        refusal = find_admin_refusal(body, router)
        if refusal is not None:
            team_id, user_id = _actor(body)
            if not await runtime.admins.is_admin(team_id, user_id):
                logger.info("admin-only %s refused to %s", body.get("type", "command"), user_id)
                return refusal
        await next()
        return None
