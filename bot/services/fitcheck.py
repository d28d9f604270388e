"""The fit check: each partner privately says how the match is going.

Asked after the pair's first recorded meeting, or two weeks after the intro when none
is recorded; "still deciding" is asked again after the next meeting (or two weeks
later). "Not a good fit" from either ends the pair at once and offers both a no-fault
re-match next round (`memberships.wants_rematch`); the partner hears the same neutral
words whoever asked, and never who.

`pairs.fit_due_at` is when the next question falls due without a meeting, and
`fit_due_at - FIT_INTERVAL` the moment since which a recorded meeting brings it
forward (the intro, or the last "still deciding").
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions
from bot.db.tables import (
    CheckinRow,
    MeetingRow,
    MembershipRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    ProgramRow,
)
from bot.delivery import drop_messages, enqueue_message
from bot.domain import CheckinStatus, FitAnswer, PairStatus
from bot.services.lifecycle import (
    Side,
    get_membership_ids,
    get_pair_member,
)
from bot.services.workspaces import live_team
from bot.slack.views.fitcheck import fit_question_message, rematch_notice_message
from bot.worktime import next_working_time

logger = logging.getLogger(__name__)

FIT_INTERVAL = timedelta(days=14)
CHECKIN_GAP = timedelta(days=1)  # between a check-in and a fit question to one person


def _is_due(pair: PairRow, last_meeting: datetime | None, now: datetime) -> bool:
    assert pair.fit_due_at is not None
    if now >= pair.fit_due_at:
        return True
    since = pair.fit_due_at - FIT_INTERVAL
    return last_meeting is not None and since < last_meeting <= now


async def sweep_fit_checks(sessions: Sessions, *, now: datetime) -> int:
    """Decision sweep: ask the partners of pairs whose fit check is due. Returns how
    many pairs were asked."""
    last_meeting = (
        select(func.max(MeetingRow.created_at))
        .where(MeetingRow.pair_id == PairRow.id)
        .correlate(PairRow)
        .scalar_subquery()
    )
    # Only pairs that may be due are read (and locked): past fit_due_at, or not yet but
    # with a meeting in the last FIT_INTERVAL (one counts only after fit_due_at -
    # FIT_INTERVAL, which is later than now - FIT_INTERVAL). Range conditions, so a
    # tick where nothing is due reads next to nothing; `_is_due` then decides exactly.
    maybe_due = union(
        select(PairRow.id).where(PairRow.fit_due_at <= now),
        select(MeetingRow.pair_id)
        .join(PairRow, PairRow.id == MeetingRow.pair_id)
        .where(PairRow.fit_due_at > now, MeetingRow.created_at > now - FIT_INTERVAL),
    )
    async with sessions() as session, session.begin():
        rows = (
            await session.execute(
                select(PairRow, ProgramRow, last_meeting)
                .join(ProgramRow, ProgramRow.id == PairRow.program_id)
                .where(
                    PairRow.status == PairStatus.ACTIVE.value,
                    PairRow.fit_due_at.is_not(None),
                    PairRow.id.in_(maybe_due),
                    live_team(PairRow.team_id),
                )
                .with_for_update(of=PairRow, skip_locked=True)
            )
        ).all()
        asked = 0
        for pair, program, met_at in rows:
            if _is_due(pair, met_at, now):
                await _ask(session, pair, program, now=now)
                asked += 1
    return asked


async def _checked_in_around(session: AsyncSession, pair_id: int, *, now: datetime) -> set[int]:
    """Who of the pair has a check-in about it sent, or due, within CHECKIN_GAP of now:
    their fit question waits a day, so one DM does not follow the other at once (with a
    two-week cadence both fall due two weeks after the intro)."""
    found = await session.scalars(
        select(CheckinRow.person_id).where(
            CheckinRow.pair_id == pair_id,
            CheckinRow.person_id.is_not(None),
            or_(
                and_(
                    CheckinRow.status == CheckinStatus.SENT.value,
                    CheckinRow.sent_at > now - CHECKIN_GAP,
                ),
                and_(
                    CheckinRow.status == CheckinStatus.SCHEDULED.value,
                    CheckinRow.due_at < now + CHECKIN_GAP,
                ),
            ),
        )
    )
    return {person_id for person_id in found if person_id is not None}


async def _ask(session: AsyncSession, pair: PairRow, program: ProgramRow, *, now: datetime) -> None:
    """Ask whoever has not been asked yet, and whoever is still deciding."""
    earlier = await session.scalars(
        select(OutgoingMessageRow.key).where(
            OutgoingMessageRow.pair_id == pair.id, OutgoingMessageRow.key.like(f"fit:{pair.id}:%")
        )
    )
    asks: dict[int, int] = {}
    for key in earlier:
        asked_id = int(key.split(":")[2])
        asks[asked_id] = asks.get(asked_id, 0) + 1
    ids = [p for p in (pair.mentor_id, pair.mentee_id) if p]
    found = await session.scalars(select(PersonRow).where(PersonRow.id.in_(ids)))
    people = {p.id: p for p in found}
    memberships = await get_membership_ids(session, program_id=program.id, person_ids=ids)
    checked_in = await _checked_in_around(session, pair.id, now=now)
    answers = {pair.mentor_id: pair.mentor_fit, pair.mentee_id: pair.mentee_fit}
    sides = ((pair.mentor_id, pair.mentee_id), (pair.mentee_id, pair.mentor_id))
    for person_id, partner_id in sides:
        person = people.get(person_id) if person_id else None
        partner = people.get(partner_id) if partner_id else None
        if person is None or partner is None or not person.is_active:
            continue
        answer = answers[person.id]
        if not (answer == FitAnswer.DECIDING.value or (answer is None and person.id not in asks)):
            continue
        await enqueue_message(
            session,
            team_id=pair.team_id,
            key=f"fit:{pair.id}:{person.id}:{asks.get(person.id, 0) + 1}",
            channel=person.slack_user_id,
            payload=fit_question_message(
                pair_id=pair.id, program_name=program.name, partner_user_id=partner.slack_user_id
            ),
            due_at=next_working_time(
                now + (CHECKIN_GAP if person.id in checked_in else timedelta()),
                timezone=person.timezone,
            ),
            membership_id=memberships.get(person.id),
            pair_id=pair.id,
        )
    # Asked again only on a "still deciding", which sets the next time itself.
    pair.fit_due_at = None


class FitOutcome(enum.Enum):
    RECORDED = "recorded"
    CLOSED = "closed"  # the pair has ended: nothing to answer
    NOT_YOURS = "not_yours"  # the clicker is not in this pair: nothing changed


@dataclass(frozen=True)
class FitResult:
    outcome: FitOutcome
    answer: FitAnswer | None = None


async def record_fit(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    pair_id: int,
    answer: FitAnswer,
    now: datetime,
) -> FitResult:
    """One partner's answer; the same answer again changes nothing more."""
    async with sessions() as session, session.begin():
        member = await get_pair_member(session, team_id=team_id, user_id=user_id, pair_id=pair_id)
        if member is None:
            logger.info("fit click on pair %s by someone outside it: ignored", pair_id)
            return FitResult(FitOutcome.NOT_YOURS)
        pair = member.pair
        current = pair.mentor_fit if member.side is Side.MENTOR else pair.mentee_fit
        if pair.status != PairStatus.ACTIVE.value:
            if current == answer.value:  # a double click on the answer that ended it
                return FitResult(FitOutcome.RECORDED, answer)
            return FitResult(FitOutcome.CLOSED)
        if member.side is Side.MENTOR:
            pair.mentor_fit = answer.value
        else:
            pair.mentee_fit = answer.value
        if answer is FitAnswer.DECIDING:
            pair.fit_due_at = now + FIT_INTERVAL
        elif answer is FitAnswer.NOT_A_FIT:
            await end_for_rematch(session, member.pair, member.program, member.partner, now=now)
        elif FitAnswer.DECIDING.value not in (pair.mentor_fit, pair.mentee_fit):
            pair.fit_due_at = None
    return FitResult(FitOutcome.RECORDED, answer)


async def end_for_rematch(
    session: AsyncSession,
    pair: PairRow,
    program: ProgramRow,
    partner: PersonRow | None,
    *,
    now: datetime,
    reason: str = "not a good fit",
) -> None:
    """Both are re-matched next round, and the pair ends now, not at round end: one of
    them has said it doesn't work, so weeks more of check-ins and fit questions to the
    two would only prolong it (and a pair left active would still count as matched).

    Shared by the fit check's "not a good fit" and a stalled pair's "new match"; the
    partner hears the same neutral notice either way, never who asked."""
    pair.status = PairStatus.ENDED.value
    pair.ended_at = now
    pair.fit_due_at = None
    people = [p for p in (pair.mentor_id, pair.mentee_id) if p]
    await session.execute(
        update(MembershipRow)
        .where(MembershipRow.program_id == program.id, MembershipRow.person_id.in_(people))
        .values(wants_rematch=True)
    )
    # What was queued about this pair (a check-in, the partner's fit question) is moot.
    await drop_messages(session, team_id=pair.team_id, reason=reason, pair_ids=[pair.id])
    if partner is None or not partner.is_active:
        return
    memberships = await get_membership_ids(session, program_id=program.id, person_ids=[partner.id])
    await enqueue_message(
        session,
        team_id=pair.team_id,
        key=f"rematch:{pair.id}:{partner.id}",
        channel=partner.slack_user_id,
        payload=rematch_notice_message(program_name=program.name),
        due_at=next_working_time(now, timezone=partner.timezone),
        membership_id=memberships.get(partner.id),
        pair_id=pair.id,
    )
    logger.info("pair %s ended for a re-match", pair.id)
