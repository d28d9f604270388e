"""App Home: each person's dashboard, and the admin's program view."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.services.participation import get_personal_status
from bot.services.programs import list_admin_overview
from bot.services.reflections import get_learning_log, list_reflection_stats
from bot.services.stalled import list_pairs_at_risk
from bot.slack.views.home import home_view
from bot.slack.views.reflection import HOME_LOG_ENTRIES
from bot.slack.views.stalled import HOME_AT_RISK_MAX

logger = logging.getLogger(__name__)


async def publish_home(
    runtime: Runtime, client: AsyncWebClient, *, team_id: str, user_id: str
) -> None:
    """Render and publish one person's Home tab (a reply to them, not a delivery)."""
    async with runtime.home_lock(team_id, user_id):
        await _render_and_publish(runtime, client, team_id=team_id, user_id=user_id)


async def _render_and_publish(
    runtime: Runtime, client: AsyncWebClient, *, team_id: str, user_id: str
) -> None:
    status = await get_personal_status(
        runtime.sessions, team_id=team_id, user_id=user_id, today=runtime.clock.now().date()
    )
    is_admin = await runtime.admins.is_admin(team_id, user_id)
    now = runtime.clock.now()
    programs = (
        await list_admin_overview(runtime.sessions, team_id=team_id, now=now) if is_admin else []
    )
    at_risk, at_risk_total = (
        await list_pairs_at_risk(runtime.sessions, team_id=team_id, now=now, limit=HOME_AT_RISK_MAX)
        if is_admin
        else ([], 0)
    )
    # The person's own reflections: this Home is published to them alone.
    log = (
        await get_learning_log(
            runtime.sessions, team_id=team_id, user_id=user_id, limit=HOME_LOG_ENTRIES
        )
        if status is not None and status.current
        else None
    )
    stats = await list_reflection_stats(runtime.sessions, team_id=team_id) if is_admin else {}
    view = home_view(
        status, is_admin=is_admin, programs=programs, at_risk=at_risk,
        at_risk_total=at_risk_total, now=now, learning_log=log, reflection_stats=stats,
    )  # fmt: skip
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:  # the tab refreshes next time it is opened
        logger.warning("views.publish for %s failed: %s", user_id, exc.response.get("error"))


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.event("app_home_opened")
    async def handle_home_opened(
        event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        if event.get("tab") != "home":  # the Messages tab fires this event too
            return
        await publish_home(runtime, client, team_id=context["team_id"], user_id=event["user"])
