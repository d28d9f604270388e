"""Workspaces installing and uninstalling the app (OAuth mode, issue 13).

One place decides whether a workspace is live: `live_team` is the condition every
decision sweep adds, so an uninstalled workspace gets no check-ins, rounds or digests
until it installs again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import InstrumentedAttribute

from bot.db.engine import Sessions
from bot.db.programs import ensure_workspace
from bot.db.tables import DeliveryHoldRow, WorkspaceRow
from bot.delivery import TOKEN_SCOPE


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
