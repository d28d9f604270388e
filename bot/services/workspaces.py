"""Workspaces installing and uninstalling the app (OAuth mode, issue 13).

One place decides whether a workspace is live: `live_team` is the condition every
decision sweep adds, so an uninstalled workspace gets no check-ins, rounds or digests
until it installs again.
"""

from __future__ import annotations

import logging
from datetime import datetime

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import InstrumentedAttribute

from bot.db.engine import Sessions, reading
from bot.db.programs import ensure_workspace
from bot.db.tables import DeliveryHoldRow, WorkspaceRow
from bot.delivery import TOKEN_SCOPE, drop_messages
from bot.services.events import record_once

logger = logging.getLogger(__name__)


def live_team(team_id: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """`team_id` (a column) is not a workspace that uninstalled the app."""
    uninstalled = select(WorkspaceRow.team_id).where(WorkspaceRow.uninstalled_at.is_not(None))
    return team_id.not_in(uninstalled)


async def record_install(sessions: Sessions, *, team_id: str, name: str, now: datetime) -> None:
    """An install or reinstall: the workspace is live again, under its current name, and a
    delivery paused for its old token resumes with the new one at once."""
    async with sessions.begin() as session:
        await ensure_workspace(session, team_id, now=now)
        await session.execute(
            update(WorkspaceRow)
            .where(WorkspaceRow.team_id == team_id)
            .values(name=name[:120], uninstalled_at=None)
        )
        await session.execute(
            delete(DeliveryHoldRow).where(
                DeliveryHoldRow.team_id == team_id, DeliveryHoldRow.scope == TOKEN_SCOPE
            )
        )


async def record_uninstall(
    sessions: Sessions, *, team_id: str, now: datetime, once_key: str | None = None
) -> int:
    """The app was uninstalled, or its bot token revoked: no sweep decides anything for
    the workspace any more, and what it had queued is dropped (it can never be sent,
    and must not flood out after a reinstall). Returns how many messages were dropped.

    Idempotent: a second call keeps the first `uninstalled_at` and finds nothing pending;
    with `once_key` (the event id) a retried event does nothing at all.
    """
    async with sessions.begin() as session:
        if once_key is not None and not await record_once(
            session, key=once_key, team_id=team_id, at=now
        ):
            return 0
        await ensure_workspace(session, team_id, now=now)
        await session.execute(
            update(WorkspaceRow)
            .where(WorkspaceRow.team_id == team_id, WorkspaceRow.uninstalled_at.is_(None))
            .values(uninstalled_at=now)
        )
        count = await drop_messages(
            session, team_id=team_id, reason="the workspace uninstalled the app",
            whole_workspace=True,
        )  # fmt: skip
        await session.execute(delete(DeliveryHoldRow).where(DeliveryHoldRow.team_id == team_id))
    logger.info("workspace %s uninstalled: %d queued message(s) dropped", team_id, count)
    return count


async def lift_uninstall_for_working_token(
    sessions: Sessions, client: AsyncWebClient, *, now: datetime
) -> int:
    """Single-token mode: the operator reinstalled the app and set its new SLACK_BOT_TOKEN.

    There is no OAuth callback to call `record_install`, so a workspace marked uninstalled
    is checked with auth.test: a token that works for it means the app is back. Reads one
    tiny query while nothing is marked; the dead token of a process still running after
    the uninstall fails auth.test, and the mark stays. Returns how many were lifted.
    """
    async with reading(sessions) as session:
        marked = set(
            await session.scalars(
                select(WorkspaceRow.team_id).where(WorkspaceRow.uninstalled_at.is_not(None))
            )
        )
    if not marked:
        return 0
    try:
        identity = await client.auth_test()
    except (SlackApiError, TimeoutError, aiohttp.ClientError):
        return 0  # still revoked, or Slack unreachable: the next tick asks again
    team_id = str(identity.get("team_id") or "")
    if team_id not in marked:
        return 0
    await record_install(sessions, team_id=team_id, name=str(identity.get("team") or ""), now=now)
    logger.info("workspace %s: the bot token works again; its sweeps resume", team_id)
    return 1
