"""The close-out survey at round end, and the one-click way into the next round.

Each partner of an ended pair answers once per round (a second submit replaces their
answer: UNIQUE(round_id, person_id)): how valuable (1–5), would they do it again,
would they switch roles. Who says "again: yes" is offered the next round of the same
program (their membership stays or becomes active again), or the workspace's next
open program when this one is closed, with the swapped role where they chose it.

As with consent, a button's value or a modal's metadata is only a pair id: the clicker
must be one of that pair (`get_pair_member`), or nothing changes. Answers are counted
in reports (bot/services/reports.py), never shown per person.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions
from bot.db.people import get_membership
from bot.db.tables import CloseoutAnswerRow, MembershipRow, PersonRow, ProgramRow
from bot.domain import MembershipStatus, PairStatus, Role
from bot.services.lifecycle import PairMember, Side, get_pair_member

logger = logging.getLogger(__name__)

_SWAPPED = {Role.MENTOR: Role.MENTEE, Role.MENTEE: Role.MENTOR}


@dataclass(frozen=True)
class CloseoutAnswers:
    """One person's answers, as the survey modal takes and shows them."""

    value: int  # 1–5
    again: bool
    switch: bool | None = None  # None: not answered (optional)


@dataclass(frozen=True)
class SurveyTarget:
    pair_id: int
    program_name: str
    role: Role  # their role in that round: MENTOR (reverse mentor) or MENTEE (leader)
    answers: CloseoutAnswers | None = None  # what they answered before, if they did


@dataclass(frozen=True)
class Offer:
    """Where "again: yes" would take them."""

    program_name: str
    role: Role
    same_program: bool  # the next round of the same program; else the next open program


@dataclass(frozen=True)
class CloseoutSaved:
    again: bool
    offer: Offer | None  # None: "again: no", or no open program to offer
    rejoined: bool = False  # they took the offer already


class RejoinOutcome(enum.Enum):
    JOINED = "joined"  # (or had joined already: a double click)
    NONE_OPEN = "none_open"  # no open program to join
    NOT_YOURS = "not_yours"  # not their pair, or no "again: yes" answer: nothing changed


@dataclass(frozen=True)
class RejoinResult:
    outcome: RejoinOutcome
    offer: Offer | None = None


def _role_in(member: PairMember) -> Role:
    return Role.MENTOR if member.side is Side.MENTOR else Role.MENTEE


async def _ended_member(
    session: AsyncSession, *, team_id: str, user_id: str, pair_id: int
) -> PairMember | None:
    """The clicker's ended pair (locked), or None: not theirs, or not ended yet."""
    member = await get_pair_member(session, team_id=team_id, user_id=user_id, pair_id=pair_id)
    if member is None or member.pair.status != PairStatus.ENDED.value:
        return None
    return member


async def _answer_row(
    session: AsyncSession, member: PairMember, *, for_update: bool = False
) -> CloseoutAnswerRow | None:
    query = select(CloseoutAnswerRow).where(
        CloseoutAnswerRow.round_id == member.pair.round_id,
        CloseoutAnswerRow.person_id == member.person.id,
    )
    # Locked for the one-click rejoin: two clicks at once on PostgreSQL take turns,
    # and the second finds `rejoined_at` set.
    return await session.scalar(query.with_for_update() if for_update else query)


async def get_survey_target(
    sessions: Sessions, *, team_id: str, user_id: str, pair_id: int
) -> SurveyTarget | None:
    """What the survey modal needs; None when the pair is not the clicker's ended pair."""
    async with sessions() as session, session.begin():
        member = await _ended_member(session, team_id=team_id, user_id=user_id, pair_id=pair_id)
        if member is None:
            logger.info("close-out survey for pair %s by someone outside it: refused", pair_id)
            return None
        row = await _answer_row(session, member)
        answers = (
            CloseoutAnswers(row.value, bool(row.again), row.switch)
            if row is not None and row.value is not None
            else None
        )
        return SurveyTarget(pair_id, member.program.name, _role_in(member), answers)


async def _next_program(session: AsyncSession, program: ProgramRow) -> ProgramRow | None:
    """The program "again" leads to: this one while open, else the workspace's next open
    one (the earliest start first; one without a start date last)."""
    if program.is_open:
        return program
    return await session.scalar(
        select(ProgramRow)
        .where(
            ProgramRow.team_id == program.team_id,
            ProgramRow.is_open.is_(True),
            ProgramRow.id != program.id,
        )
        .order_by(ProgramRow.starts_on.is_(None), ProgramRow.starts_on, ProgramRow.id)
        .limit(1)
    )


async def _offer(session: AsyncSession, member: PairMember, row: CloseoutAnswerRow) -> Offer | None:
    target = await _next_program(session, member.program)
    if target is None:
        return None
    role = Role(row.role)
    if row.switch:
        role = _SWAPPED.get(role, role)
    elif target.id == member.program.id:
        current = await get_membership(session, target.id, member.person.id)
        role = Role(current.role) if current is not None else role
    return Offer(target.name, role, same_program=target.id == member.program.id)


async def record_closeout(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    pair_id: int,
    answers: CloseoutAnswers,
    now: datetime,
) -> CloseoutSaved | None:
    """Save (or replace) the person's answer for that pair's round; None when the pair
    is not theirs or has not ended. A replayed submission stores the same row again."""
    async with sessions() as session, session.begin():
        member = await _ended_member(session, team_id=team_id, user_id=user_id, pair_id=pair_id)
        if member is None:
            logger.info("close-out answer for pair %s by someone outside it: ignored", pair_id)
            return None
        row = await _answer_row(session, member)
        if row is None:
            row = CloseoutAnswerRow(
                team_id=team_id,
                program_id=member.program.id,
                round_id=member.pair.round_id,
                person_id=member.person.id,
                role=_role_in(member).value,
                answered_at=now,
            )
            session.add(row)
        row.pair_id = member.pair.id
        row.value = answers.value
        row.again = answers.again
        row.switch = answers.switch
        row.answered_at = now
        await session.flush()
        offer = await _offer(session, member, row) if answers.again else None
        logger.info("close-out answer saved: round %s, person %s", row.round_id, row.person_id)
        return CloseoutSaved(answers.again, offer, rejoined=row.rejoined_at is not None)


async def rejoin(
    sessions: Sessions, *, team_id: str, user_id: str, pair_id: int, now: datetime
) -> RejoinResult:
    """The offer's one click: an active membership in the next program, with the swapped
    role where they chose it. Idempotent: a second click (or Slack's retry) finds
    `rejoined_at` set and changes nothing more."""
    async with sessions() as session, session.begin():
        member = await _ended_member(session, team_id=team_id, user_id=user_id, pair_id=pair_id)
        row = await _answer_row(session, member, for_update=True) if member else None
        if member is None or row is None or not row.again or not member.person.is_active:
            return RejoinResult(RejoinOutcome.NOT_YOURS)
        target = await _next_program(session, member.program)
        offer = await _offer(session, member, row)
        if target is None or offer is None:
            return RejoinResult(RejoinOutcome.NONE_OPEN)
        if row.rejoined_at is not None:
            return RejoinResult(RejoinOutcome.JOINED, offer)
        await _join(session, member.person, target, offer.role, now=now)
        row.rejoined_at = now
    logger.info("close-out: person %s rejoined program %s", member.person.id, target.id)
    return RejoinResult(RejoinOutcome.JOINED, offer)


async def _join(
    session: AsyncSession, person: PersonRow, program: ProgramRow, role: Role, *, now: datetime
) -> None:
    """Their membership active in `program` with `role`: kept, resumed or renewed (the
    profile is the person's, shared by their programs)."""
    membership = await get_membership(session, program.id, person.id)
    if membership is None:
        membership = MembershipRow(
            team_id=person.team_id, program_id=program.id, person_id=person.id, joined_at=now
        )
        session.add(membership)
    elif membership.status == MembershipStatus.LEFT.value:
        membership.joined_at = now
        membership.left_at = None
        membership.left_reason = None  # why they left last time no longer holds
    membership.status = MembershipStatus.ACTIVE.value
    membership.paused_until = None
    membership.role = role.value
