"""Which Events API deliveries were handled already."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions, reading
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


async def is_event_handled(sessions: Sessions, *, event_id: str) -> bool:
    """Whether an event's effect is already recorded (a retry may then be skipped early)."""
    async with reading(sessions) as session:
        return await session.get(ProcessedEventRow, event_id) is not None


async def purge_processed_events(sessions: Sessions, *, now: datetime) -> int:
    async with sessions() as session, session.begin():
        result = await session.execute(
            delete(ProcessedEventRow).where(ProcessedEventRow.received_at < now - KEEP_EVENTS)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
