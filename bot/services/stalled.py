"""Stalled pairs: each partner is asked privately "new match, pause, or keep going?",
and admins get one weekly digest DM of the workspace's at-risk pairs.

The rule (bot/risk.py, as SQL in bot/db/risk.py): no meeting for two cadence periods
since the intro, the last meeting or the last "keep going". Each partner is asked once
per such episode (`pairs.risk_asked_at`); "keep going" starts the count again
(`risk_cleared_at`), "new match" ends the pair as the fit check's "not a good fit"
does, "pause" pauses the person as `/mentor pause` does.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions, reading
from bot.db.people import list_admin_user_ids
from bot.db.risk import (
    NewlyAtRisk,
    list_at_risk_pairs,
    list_newly_at_risk,
    list_teams_with_pairs_at_risk,
)
from bot.db.tables import MembershipRow, OutgoingMessageRow, PersonRow, ProgramRow
from bot.delivery import enqueue_message
from bot.domain import MembershipStatus, PairStatus, RiskAnswer
from bot.risk import AtRiskPair, digest_key, digest_week, may_be_digest_time
from bot.services.fitcheck import end_for_rematch
from bot.services.lifecycle import Side, get_pair_member
from bot.services.participation import pause_in
from bot.services.workspaces import live_team
from bot.slack.views.stalled import DIGEST_PAIRS_MAX, risk_digest_message, risk_question_message
from bot.worktime import next_working_time

logger = logging.getLogger(__name__)


async def sweep_stalled_pairs(sessions: Sessions, *, now: datetime) -> int:
    """Decision sweep: ask both partners of each pair newly at risk. Returns how many
    pairs were asked. Nothing due costs one query (bot/db/risk.py)."""
    async with sessions() as session, session.begin():
        # On the program's team, not the pair's: PostgreSQL then keeps the plan that
        # finds nothing due without aggregating every meeting (18 ms, not 58, at 100,000).
        due = await list_newly_at_risk(session, now=now, also=[live_team(ProgramRow.team_id)])
        if not due:
            return 0
        person_ids = {p for d in due for p in (d.pair.mentor_id, d.pair.mentee_id) if p}
        people = {
            p.id: p
            for p in await session.scalars(select(PersonRow).where(PersonRow.id.in_(person_ids)))
        }
        memberships = {
            (m.program_id, m.person_id): m
            for m in await session.scalars(
                select(MembershipRow).where(MembershipRow.person_id.in_(person_ids))
            )
        }
        for item in due:
            await _ask(session, item, people, memberships, now=now)
    logger.info("stalled pairs: %d asked", len(due))
    return len(due)


async def _ask(
    session: AsyncSession,
    item: NewlyAtRisk,
    people: dict[int, PersonRow],
    memberships: dict[tuple[int, int], MembershipRow],
    *,
    now: datetime,
) -> None:
    pair, program = item.pair, item.program
    episode = int(item.base.timestamp())  # one question per person and episode, by key
    sides = ((pair.mentor_id, pair.mentee_id), (pair.mentee_id, pair.mentor_id))
    for person_id, partner_id in sides:
        person = people.get(person_id) if person_id else None
        partner = people.get(partner_id) if partner_id else None
        membership = memberships.get((program.id, person_id)) if person_id else None
        # Paused, left and deactivated people get nothing.
        if person is None or not person.is_active or membership is None:
            continue
        if membership.status != MembershipStatus.ACTIVE.value:
            continue
        await enqueue_message(
            session,
            team_id=pair.team_id,
            key=f"risk:{pair.id}:{person.id}:{episode}",
            channel=person.slack_user_id,
            payload=risk_question_message(
                pair_id=pair.id,
                program_name=program.name,
                partner_user_id=partner.slack_user_id if partner else None,
            ),
            due_at=next_working_time(now, timezone=person.timezone),
            membership_id=membership.id,
            pair_id=pair.id,
        )
    pair.risk_asked_at = now
    pair.mentor_risk = None
    pair.mentee_risk = None


class RiskOutcome(enum.Enum):
    RECORDED = "recorded"
    CLOSED = "closed"  # the pair has ended: nothing to answer
    NOT_YOURS = "not_yours"  # the clicker is not in this pair: nothing changed


@dataclass(frozen=True)
class RiskResult:
    outcome: RiskOutcome
    answer: RiskAnswer | None = None  # what stands recorded (the first click's answer)


async def record_risk_answer(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    pair_id: int,
    answer: RiskAnswer,
    now: datetime,
) -> RiskResult:
    """One partner's answer. The first answer of an episode stands: a double click, a
    retry or a stale button changes nothing more and reads back that answer."""
    async with sessions() as session, session.begin():
        member = await get_pair_member(session, team_id=team_id, user_id=user_id, pair_id=pair_id)
        if member is None:
            logger.info("risk click on pair %s by someone outside it: ignored", pair_id)
            return RiskResult(RiskOutcome.NOT_YOURS)
        pair = member.pair
        current = pair.mentor_risk if member.side is Side.MENTOR else pair.mentee_risk
        if current is not None:
            return RiskResult(RiskOutcome.RECORDED, RiskAnswer(current))
        if pair.status != PairStatus.ACTIVE.value:
            return RiskResult(RiskOutcome.CLOSED)
        if member.side is Side.MENTOR:
            pair.mentor_risk = answer.value
        else:
            pair.mentee_risk = answer.value
        if answer is RiskAnswer.KEEP_GOING:
            pair.risk_cleared_at = now  # two more periods before anyone asks again
        elif answer is RiskAnswer.PAUSE:
            await pause_in(session, team_id=team_id, user_id=user_id, weeks=None, now=now)
        else:
            await end_for_rematch(
                session,
                pair,
                member.program,
                member.partner,
                now=now,
                reason="asked for a new match",
            )
    logger.info("pair %s: risk answer %s", pair_id, answer.value)
    return RiskResult(RiskOutcome.RECORDED, answer)


# --- the admins' weekly digest ------------------------------------------------------


async def sweep_risk_digest(
    sessions: Sessions, *, now: datetime, configured_admins: Collection[str]
) -> int:
    """Decision sweep: on Monday from 09:30 in each admin's zone, one DM per admin and
    ISO week listing the workspace's at-risk pairs (none when there are none). Returns
    how many digests were queued. Outside Monday anywhere on Earth it reads nothing."""
    if not may_be_digest_time(now):
        return 0
    queued = 0
    async with sessions() as session, session.begin():
        live = [live_team(ProgramRow.team_id)]
        for team_id in await list_teams_with_pairs_at_risk(session, now=now, also=live):
            queued += await _digest_team(
                session, team_id=team_id, now=now, configured=frozenset(configured_admins)
            )
    return queued


async def _digest_team(
    session: AsyncSession, *, team_id: str, now: datetime, configured: frozenset[str]
) -> int:
    admins = await list_admin_user_ids(session, team_id=team_id, configured=configured)
    zones = dict(
        (
            await session.execute(
                select(PersonRow.slack_user_id, PersonRow.timezone).where(
                    PersonRow.team_id == team_id, PersonRow.slack_user_id.in_(admins)
                )
            )
        ).all()
    )
    keys: dict[str, str] = {}
    for admin in admins:
        week = digest_week(now, timezone=zones.get(admin) or "UTC")
        if week is not None:
            keys[admin] = digest_key(team_id, admin, week)
    if not keys:
        return 0
    sent = set(
        await session.scalars(
            select(OutgoingMessageRow.key).where(OutgoingMessageRow.key.in_(list(keys.values())))
        )
    )
    waiting = {admin: key for admin, key in keys.items() if key not in sent}
    if not waiting:
        return 0
    pairs, total = await list_at_risk_pairs(
        session, team_id=team_id, now=now, limit=DIGEST_PAIRS_MAX
    )
    if not total:
        return 0
    payload = risk_digest_message(pairs, total=total, now=now)
    queued = 0
    for admin, key in waiting.items():
        queued += await enqueue_message(
            session, team_id=team_id, key=key, channel=admin, payload=payload, due_at=now
        )
    logger.info("risk digest: %d admin(s) of %s, %d pair(s)", queued, team_id, total)
    return queued


async def list_pairs_at_risk(
    sessions: Sessions, *, team_id: str, now: datetime, limit: int
) -> tuple[list[AtRiskPair], int]:
    """For the Home admin view: up to `limit` at-risk pairs and how many in all."""
    async with reading(sessions) as session:
        return await list_at_risk_pairs(session, team_id=team_id, now=now, limit=limit)
