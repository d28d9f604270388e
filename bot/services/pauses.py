"""Pausing and taking back queued nudges: shared by `/mentor pause`, leaving, a
deactivated account, and the check-in sweep (three unanswered check-ins).

Apart from `participation` so the check-in sweep can use it without importing the
services that introductions depend on (participation -> consent -> introductions).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.people import list_active_partners
from bot.db.tables import MembershipRow, PersonRow
from bot.delivery import drop_messages
from bot.domain import MembershipStatus


async def pause_memberships(
    session: AsyncSession,
    person: PersonRow,
    memberships: list[MembershipRow],
    *,
    until: datetime | None,
) -> None:
    """Pause these memberships (locked by the caller) in the caller's transaction: by
    `/mentor pause`, and by the check-in sweep after three unanswered check-ins."""
    for membership in memberships:
        membership.status = MembershipStatus.PAUSED.value
        membership.paused_until = until
    # Nudges queued for them (a welcome back the sweep just sent, a check-in) lapse.
    await drop_queued(session, person, memberships, reason="paused")


async def drop_queued(
    session: AsyncSession, person: PersonRow, memberships: list[MembershipRow], *, reason: str
) -> None:
    """Drop unsent messages about these memberships and the person's active pairs in them."""
    program_ids = {m.program_id for m in memberships}
    pair_ids = [
        link.pair.id
        for link in await list_active_partners(session, person.id)
        if link.pair.program_id in program_ids
    ]
    await drop_messages(
        session,
        team_id=person.team_id,
        reason=reason,
        membership_ids=[m.id for m in memberships],
        pair_ids=pair_ids,
    )
