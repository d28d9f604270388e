"""A participant's own check-in day and time (the Home tab's two selects).

None means "the program's". Saved at once, and the person's check-ins not sent yet
move to the new slot in the same transaction.
"""

from __future__ import annotations

import enum
from datetime import datetime

from bot.db.engine import Sessions
from bot.db.people import get_person
from bot.services.checkin_replan import replan_checkins


class SlotPart(enum.Enum):
    WEEKDAY = "weekday"  # 0 = Monday … 4 = Friday
    MINUTE = "minute"  # minutes after local midnight


async def record_own_checkin_slot(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    part: SlotPart,
    value: int | None,
    now: datetime,
) -> bool:
    """Save one part of the person's own check-in slot; False when they are unknown."""
    async with sessions() as session, session.begin():
        person = await get_person(session, team_id, user_id)
        if person is None:
            return False
        if part is SlotPart.WEEKDAY:
            person.checkin_weekday = value
        else:
            person.checkin_minute = value
        person.updated_at = now
        await session.flush()
        await replan_checkins(session, person_id=person.id)
    return True
