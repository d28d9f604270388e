"""Which Events API deliveries were handled already."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions
from bot.db.tables import ProcessedEventRow

# Slack stops retrying after about five minutes; a day is plenty.
KEEP_EVENTS = timedelta(days=1)


async def record_once(session: AsyncSession, *, key: str, team_id: str, at: datetime) -> bool:
    """Mark `key` (an event id, `view:<id>`) done in the caller's transaction.

    False when it was done before: the caller then does nothing, and its transaction
    (with this mark) commits or rolls back together with the effect, so a handler that
    failed leaves no mark and Slack's retry runs it again.
    """
    try:
        async with session.begin_nested():
            session.add(ProcessedEventRow(event_id=key, team_id=team_id, received_at=at))
    except IntegrityError:
        return False
    return True


async def record_event_once(
    sessions: Sessions, *, event_id: str, team_id: str, at: datetime
) -> bool:
    """True the first time an event id is seen, False for a retry or a second process."""
    try:
        async with sessions() as session, session.begin():
            session.add(ProcessedEventRow(event_id=event_id, team_id=team_id, received_at=at))
    except IntegrityError:
        return False
    return True


async def purge_processed_events(sessions: Sessions, *, now: datetime) -> int:
    async with sessions() as session, session.begin():
        result = await session.execute(
            delete(ProcessedEventRow).where(ProcessedEventRow.received_at < now - KEEP_EVENTS)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
