"""A confirmed round's messages, written to the outbox in the caller's transaction.

Nothing here commits or calls Slack: `bot.delivery` sends the rows (one group DM per
pair, opened with `conversations.open`), so a crash, a 429 or a second process can
never send an introduction twice (outbox key `intro:{pair.id}`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import admins_of
from bot.db.tables import (
    MembershipRow,
    PairRow,
    PersonRow,
    PersonSkillRow,
    ProgramRow,
    RoundRow,
    RoundUnmatchedRow,
    SkillRow,
)
from bot.delivery import enqueue_message
from bot.domain import PairStatus, SkillKind
from bot.matching import normalise_key
from bot.services.checkins import schedule_first_checkins
from bot.slack.views.intro import (
    Introduction,
    IntroPerson,
    admin_summary_message,
    announcement_message,
    introduction_message,
    unmatched_message,
)
from bot.worktime import list_common_slots

FIT_CHECK_AFTER = timedelta(days=14)
# The first suggested time is at least this far ahead: time to read and book.
FIRST_SLOT_AFTER = timedelta(hours=20)


async def _people(session: AsyncSession, ids: set[int]) -> dict[int, PersonRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(PersonRow).where(PersonRow.id.in_(ids)))
    return {p.id: p for p in rows}


async def _skills(
    session: AsyncSession, program_id: int, person_ids: set[int]
) -> dict[tuple[int, str], list[str]]:
    found: dict[tuple[int, str], list[str]] = defaultdict(list)
    if not person_ids:
        return found
    rows = await session.execute(
        select(PersonSkillRow.person_id, PersonSkillRow.kind, SkillRow.name)
        .join(SkillRow, SkillRow.id == PersonSkillRow.skill_id)
        .where(SkillRow.program_id == program_id, PersonSkillRow.person_id.in_(person_ids))
        .order_by(SkillRow.name)
    )
    for person_id, kind, name in rows.all():
        found[(person_id, kind)].append(name)
    return found


def _overlap(wanted: Sequence[str], offered: Sequence[str]) -> list[str]:
    offered_keys = {normalise_key(s) for s in offered}
    return [s for s in wanted if normalise_key(s) in offered_keys]


async def enqueue_introductions(
    session: AsyncSession,
    *,
    program: ProgramRow,
    round_: RoundRow,
    pairs: Sequence[PairRow],
    now: datetime,
) -> None:
    """One group DM per pair, and the pairs become ACTIVE (fit check due in 14 days)."""
    ids = {i for p in pairs for i in (p.mentor_id, p.mentee_id) if i is not None}
    people = await _people(session, ids)
    skills = await _skills(session, program.id, ids)
    for pair in pairs:
        mentor = people.get(pair.mentor_id) if pair.mentor_id else None
        leader = people.get(pair.mentee_id) if pair.mentee_id else None
        if mentor is None or leader is None:
            continue  # one of them erased their data since: nobody to introduce
        giving_back = _overlap(
            skills[(mentor.id, SkillKind.LEARN.value)], skills[(leader.id, SkillKind.TEACH.value)]
        )
        slots = list_common_slots(
            [mentor.timezone, leader.timezone], after=now + FIRST_SLOT_AFTER, count=3
        )
        message = introduction_message(
            Introduction(
                program_name=program.name,
                objectives=program.objectives,
                mentor=IntroPerson(mentor.slack_user_id, mentor.name, mentor.timezone),
                leader=IntroPerson(leader.slack_user_id, leader.name, leader.timezone),
                shared_skills=list(pair.shared_skills),
                giving_back=giving_back,
                reasons=list(pair.reasons),
                slots=slots,
            )
        )
        await enqueue_message(
            session,
            team_id=program.team_id,
            key=f"intro:{pair.id}",
            payload=message,
            due_at=now,
            users=(mentor.slack_user_id, leader.slack_user_id),
            pair_id=pair.id,
        )
        pair.status = PairStatus.ACTIVE.value
        pair.introduced_at = now
        pair.fit_due_at = now + FIT_CHECK_AFTER
        await schedule_first_checkins(session, pair=pair, program=program, people=people)
    await session.flush()


async def enqueue_round_notices(
    session: AsyncSession,
    *,
    program: ProgramRow,
    round_: RoundRow,
    pairs: Sequence[PairRow],
    unmatched: Sequence[RoundUnmatchedRow],
    now: datetime,
) -> None:
    """A kind DM to each person left without a partner, and the channel's counts."""
    people = await _people(session, {u.person_id for u in unmatched})
    memberships = dict(
        (
            await session.execute(
                select(MembershipRow.person_id, MembershipRow.id).where(
                    MembershipRow.program_id == program.id,
                    MembershipRow.person_id.in_(list(people)),
                )
            )
        ).all()
    )
    for row in unmatched:
        person = people.get(row.person_id)
        if person is None or not person.is_active:
            continue
        await enqueue_message(
            session,
            team_id=program.team_id,
            key=f"unmatched:{round_.id}:{person.id}",
            payload=unmatched_message(
                program_name=program.name, reason=row.reason, next_round=round_.ends_at
            ),
            due_at=now,
            channel=person.slack_user_id,
            membership_id=memberships.get(person.id),
        )
    if program.channel_id and pairs:
        people_paired = {i for p in pairs for i in (p.mentor_id, p.mentee_id) if i is not None}
        await enqueue_message(
            session,
            team_id=program.team_id,
            key=f"announce:{round_.id}",
            payload=announcement_message(
                program_name=program.name,
                number=round_.number,
                pairs=len(pairs),
                people=len(people_paired),
                proposed=program.consent_required,
            ),
            due_at=now,
            channel=program.channel_id,
        )


async def enqueue_admin_summaries(
    session: AsyncSession,
    *,
    program: ProgramRow,
    round_: RoundRow,
    admin_ids: frozenset[str],
    now: datetime,
) -> None:
    """An automatic round's summary, by DM to each of the team's configured admins
    (`admin_ids` is MENTORBOT_ADMIN_IDS)."""
    for admin in sorted(admins_of(admin_ids, program.team_id)):
        await enqueue_message(
            session,
            team_id=program.team_id,
            key=f"round-summary:{round_.id}:{admin}",
            payload=admin_summary_message(
                program_name=program.name, number=round_.number, summary=round_.summary or {}
            ),
            due_at=now,
            channel=admin,
        )
