"""Private reflections: written by one person, readable by them alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions
from bot.db.people import get_person, list_active_partners, list_current_memberships
from bot.db.tables import PairRow, ReflectionRow
from bot.services.events import record_once
from bot.slack.forms import ReflectionForm


async def get_reflection_context(
    sessions: Sessions, *, team_id: str, user_id: str
) -> tuple[int, list[str]] | None:
    """The program to reflect in and current partners' names; None when not enrolled."""
    async with sessions() as session:
        person, current = await list_current_memberships(session, team_id, user_id)
        if person is None or not current:
            return None
        program = current[0][1]
        links = await list_active_partners(session, person.id, program_id=program.id)
    return program.id, [link.partner.name for link in links if link.partner.name]


async def record_reflection(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    program_id: int,
    form: ReflectionForm,
    now: datetime,
    once_key: str,
    pair_id: int | None = None,
) -> int | None:
    """Store a reflection (tied to the current pair, if any); the author's total, or None.

    `once_key` names the submission (its view id): a replayed or retried submission
    stores nothing more and answers with the same total. `pair_id` (from a check-in's
    "Log a reflection", untrusted) links it to that pair if the author is in it.
    """
    async with sessions() as session, session.begin():
        person = await get_person(session, team_id, user_id)
        if person is None:
            return None
        if await record_once(session, key=once_key, team_id=team_id, at=now):
            linked = await _get_own_pair_id(session, person.id, pair_id) if pair_id else None
            if linked is None:
                links = await list_active_partners(session, person.id, program_id=program_id)
                linked = links[0].pair.id if links else None
            session.add(
                ReflectionRow(
                    team_id=team_id,
                    author_id=person.id,
                    pair_id=linked,
                    learned=form.learned,
                    taught=form.taught,
                    rating=form.rating,
                    shared=False,
                    created_at=now,
                )
            )
            await session.flush()
        total = await session.scalar(
            select(func.count())
            .select_from(ReflectionRow)
            .where(ReflectionRow.author_id == person.id)
        )
    return int(total or 0)


async def _get_own_pair_id(session: AsyncSession, person_id: int, pair_id: int) -> int | None:
    """`pair_id` if the person is one of its two people (any status: a reflection on a
    pair that just ended still belongs to it), else None."""
    found: int | None = await session.scalar(
        select(PairRow.id).where(
            PairRow.id == pair_id,
            or_(PairRow.mentor_id == person_id, PairRow.mentee_id == person_id),
        )
    )
    return found
