"""Introductions: one group DM per pair, written to the outbox with the decision.

PLACEHOLDER for the rounds helper's version (issue 9 point 5), kept to its signature
so consent can call it; the lead keeps theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.tables import PairRow, PersonRow, ProgramRow, RoundRow
from bot.delivery import enqueue_message
from bot.domain import PairStatus
from bot.slack.text import escape, mention

FIT_CHECK_AFTER = timedelta(days=14)


async def enqueue_introductions(
    session: AsyncSession,
    *,
    program: ProgramRow,
    round_: RoundRow,
    pairs: Sequence[PairRow],
    now: datetime,
) -> None:
    """Queue each pair's group-DM intro (key `intro:{pair.id}`) and make the pair active."""
    person_ids = {p for pair in pairs for p in (pair.mentor_id, pair.mentee_id) if p}
    people = {
        person.id: person
        for person in await session.scalars(select(PersonRow).where(PersonRow.id.in_(person_ids)))
    }
    for pair in pairs:
        mentor = people.get(pair.mentor_id) if pair.mentor_id else None
        mentee = people.get(pair.mentee_id) if pair.mentee_id else None
        if mentor is None or mentee is None:
            continue
        text = (
            f"You two are paired for {escape(program.name)}: "
            f"{mention(mentor.slack_user_id)} (reverse mentor) and "
            f"{mention(mentee.slack_user_id)} (leader)."
        )
        await enqueue_message(
            session,
            team_id=pair.team_id,
            key=f"intro:{pair.id}",
            users=(mentor.slack_user_id, mentee.slack_user_id),
            payload={
                "text": text,
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
            },
            due_at=now,
            pair_id=pair.id,
        )
        pair.status = PairStatus.ACTIVE.value
        pair.introduced_at = now
        pair.fit_due_at = now + FIT_CHECK_AFTER
