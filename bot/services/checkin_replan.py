"""Moving check-ins not sent yet when their day or time changes.

Check-in rows are written ahead (SCHEDULED, `due_at` from `plan_due_at`): a program's
new check-in days or time, or a person's own pick in the Home tab, re-plans the rows
still waiting, in the caller's transaction. Sent and skipped rows are history.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.tables import CheckinRow, PairRow, PersonRow, ProgramRow
from bot.domain import CheckinStatus
from bot.services.checkin_plan import plan_due_at

logger = logging.getLogger(__name__)


async def replan_checkins(
    session: AsyncSession, *, program_id: int | None = None, person_id: int | None = None
) -> int:
    """Re-plan the SCHEDULED check-ins of a program's pairs, or of one person (or of
    that person in that program). Returns how many moved."""
    if program_id is None and person_id is None:
        raise ValueError("name a program or a person")
    query = (
        select(CheckinRow, PairRow, ProgramRow, PersonRow)
        .join(PairRow, PairRow.id == CheckinRow.pair_id)
        .join(ProgramRow, ProgramRow.id == PairRow.program_id)
        .join(PersonRow, PersonRow.id == CheckinRow.person_id)
        .where(
            CheckinRow.status == CheckinStatus.SCHEDULED.value,
            PairRow.introduced_at.is_not(None),
        )
        .with_for_update(of=CheckinRow)
    )
    if program_id is not None:
        query = query.where(PairRow.program_id == program_id)
    if person_id is not None:
        query = query.where(CheckinRow.person_id == person_id)
    moved = 0
    for checkin, pair, program, person in (await session.execute(query)).all():
        due_at = plan_due_at(pair, program, person, checkin.sequence)
        if due_at != checkin.due_at:
            checkin.due_at = due_at
            moved += 1
    logger.info("re-planned %d check-in(s) (program %s, person %s)", moved, program_id, person_id)
    return moved
