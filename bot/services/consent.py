"""Private consent before an introduction (programs with `consent_required`).

A confirmed round's pairs start `proposed`: each person gets a private DM about the
proposed partner with Accept / Decline. Both accept: the intro is queued
(`enqueue_introductions`) in the same transaction. One declines: the pair is `declined`,
both are free for the next round, and the other person hears neutral words that are the
same whoever declined and never carry the reason (kept for admins in
`pairs.decline_reason`). Nobody answers in time: the pair `expired`, both told the same.
One reminder goes out at half the time, in each person's working hours.

Every message is an outbox row with a key unique per pair and person, so a retried
click, a second process or a second tick sends nothing twice.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions
from bot.db.tables import MembershipRow, PairRow, PersonRow, ProgramRow, RoundRow
from bot.delivery import enqueue_message
from bot.domain import ConsentAnswer, MembershipStatus, PairStatus, Role
from bot.services.introductions import enqueue_introductions
from bot.services.lifecycle import (
    Side,
    drop_keyed_messages,
    get_membership_ids,
    get_pair_member,
    list_sent_locations,
)
from bot.services.workspaces import live_team
from bot.slack.views.consent import (
    Proposal,
    ProposedPartner,
    consent_reminder_message,
    match_off_message,
    proposal_expired_message,
    proposal_message,
)
from bot.worktime import next_working_time, reminder_time

logger = logging.getLogger(__name__)


def proposal_key(pair_id: int, person_id: int) -> str:
    return f"consent:{pair_id}:{person_id}"


def reminder_key(pair_id: int, person_id: int) -> str:
    return f"consent-reminder:{pair_id}:{person_id}"


def _proposal(
    pair: PairRow, program: ProgramRow, *, reader: PersonRow, partner: PersonRow
) -> Proposal:
    assert pair.consent_due_at is not None
    return Proposal(
        pair_id=pair.id,
        program_name=program.name,
        role=Role.MENTOR if pair.mentor_id == reader.id else Role.MENTEE,
        partner=ProposedPartner(
            slack_user_id=partner.slack_user_id,
            name=partner.name,
            title=partner.title,
            career_stage=partner.career_stage,
            department=partner.department,
        ),
        shared_skills=tuple(pair.shared_skills or ()),
        reasons=tuple(pair.reasons or ()),
        due_at=pair.consent_due_at,
    )


async def _people(session: AsyncSession, pairs: Sequence[PairRow]) -> dict[int, PersonRow]:
    ids = {p for pair in pairs for p in (pair.mentor_id, pair.mentee_id) if p}
    rows = await session.scalars(select(PersonRow).where(PersonRow.id.in_(ids)))
    return {person.id: person for person in rows}


def _both(pair: PairRow, people: dict[int, PersonRow]) -> tuple[PersonRow, PersonRow] | None:
    mentor = people.get(pair.mentor_id) if pair.mentor_id else None
    mentee = people.get(pair.mentee_id) if pair.mentee_id else None
    return (mentor, mentee) if mentor and mentee else None


async def enqueue_proposals(
    session: AsyncSession,
    *,
    program: ProgramRow,
    round_: RoundRow,
    pairs: Sequence[PairRow],
    now: datetime,
) -> None:
    """Queue the private proposal DMs of a confirmed round's pairs, in the caller's
    transaction. Each person's DM is due at their next working-hours moment; the
    answer time (`program.consent_hours`) runs from when both can have read it.
    """
    people = await _people(session, pairs)
    memberships = await get_membership_ids(session, program_id=program.id, person_ids=people)
    hours = timedelta(hours=program.consent_hours)
    for pair in pairs:
        both = _both(pair, people)
        if both is None:
            continue
        delivered = {p.id: next_working_time(now, timezone=p.timezone) for p in both}
        pair.status = PairStatus.PROPOSED.value
        pair.mentor_consent = pair.mentee_consent = None
        pair.consent_due_at = max(delivered.values()) + hours
        pair.consent_reminded_at = None
        for reader, partner in (both, both[::-1]):
            await enqueue_message(
                session,
                team_id=pair.team_id,
                key=proposal_key(pair.id, reader.id),
                channel=reader.slack_user_id,
                payload=proposal_message(_proposal(pair, program, reader=reader, partner=partner)),
                due_at=delivered[reader.id],
                membership_id=memberships.get(reader.id),
                pair_id=pair.id,
            )
    logger.info("round %s: %d proposal(s) queued", round_.id, len(pairs))


class ConsentOutcome(enum.Enum):
    WAITING = "waiting"  # accepted; the partner has not (yet)
    INTRODUCED = "introduced"  # both accepted: the intro is queued
    DECLINED = "declined"
    CLOSED = "closed"  # expired, declined by the partner, or otherwise over
    NOT_YOURS = "not_yours"  # the clicker is not in this pair: nothing changed


@dataclass
class ConsentResult:
    outcome: ConsentOutcome
    program_name: str = ""
    # The reader's proposal and reminder as posted, to show their answer in place.
    messages: list[tuple[str, str]] = field(default_factory=list)


async def get_open_proposal(
    sessions: Sessions, *, team_id: str, user_id: str, pair_id: int, now: datetime
) -> ConsentOutcome | None:
    """None while the clicker may still answer this proposal; else why not."""
    async with sessions() as session, session.begin():
        member = await get_pair_member(session, team_id=team_id, user_id=user_id, pair_id=pair_id)
        if member is None:
            return ConsentOutcome.NOT_YOURS
        if not _is_open(member.pair, now):
            return ConsentOutcome.CLOSED
    return None


def _is_open(pair: PairRow, now: datetime) -> bool:
    # Past its time the proposal is closed, even before the sweep marks it expired.
    due = pair.consent_due_at
    return pair.status == PairStatus.PROPOSED.value and (due is None or now < due)


async def record_consent(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    pair_id: int,
    answer: ConsentAnswer,
    reason: str = "",
    now: datetime,
) -> ConsentResult:
    """One person's answer. The same answer again (a double click, Slack's retry) has
    no further effect; a decline after accepting is allowed while the proposal is open.
    """
    async with sessions() as session, session.begin():
        member = await get_pair_member(session, team_id=team_id, user_id=user_id, pair_id=pair_id)
        if member is None:
            logger.info("consent click on pair %s by someone outside it: ignored", pair_id)
            return ConsentResult(ConsentOutcome.NOT_YOURS)
        pair, me, partner, program = member.pair, member.person, member.partner, member.program
        mine = (proposal_key(pair.id, me.id), reminder_key(pair.id, me.id))
        result = ConsentResult(ConsentOutcome.CLOSED, program.name)
        result.messages = await list_sent_locations(session, keys=mine)
        current = pair.mentor_consent if member.side is Side.MENTOR else pair.mentee_consent
        if not _is_open(pair, now):
            if current == answer.value == ConsentAnswer.ACCEPTED.value and (
                pair.status == PairStatus.ACTIVE.value
            ):
                result.outcome = ConsentOutcome.INTRODUCED  # said already; nothing new
            elif current == answer.value == ConsentAnswer.DECLINED.value:
                result.outcome = ConsentOutcome.DECLINED
            return result
        if member.side is Side.MENTOR:
            pair.mentor_consent = answer.value
        else:
            pair.mentee_consent = answer.value
        await drop_keyed_messages(
            session, team_id=team_id, keys=[reminder_key(pair.id, me.id)], reason="answered"
        )
        if answer is ConsentAnswer.DECLINED:
            pair.status = PairStatus.DECLINED.value
            pair.decline_reason = reason or None
            if partner is not None:
                await _tell_partner_off(session, pair, program, partner, now=now)
            result.outcome = ConsentOutcome.DECLINED
            logger.info("pair %s declined", pair.id)
        elif pair.mentor_consent == pair.mentee_consent == ConsentAnswer.ACCEPTED.value:
            if not await _both_still_taking_part(session, pair, me, partner):
                # Leaving or a deactivated account ends only active pairs (participation),
                # so a proposal can outlive its partner: it closes instead of introducing.
                pair.status = PairStatus.EXPIRED.value
                return result
            round_ = await session.get(RoundRow, pair.round_id)
            assert round_ is not None
            await enqueue_introductions(
                session, program=program, round_=round_, pairs=[pair], now=now
            )
            result.outcome = ConsentOutcome.INTRODUCED
            logger.info("pair %s accepted by both: introduced", pair.id)
        else:
            result.outcome = ConsentOutcome.WAITING
    return result


async def _both_still_taking_part(
    session: AsyncSession, pair: PairRow, me: PersonRow, partner: PersonRow | None
) -> bool:
    if partner is None or not (me.is_active and partner.is_active):
        return False
    statuses = await session.scalars(
        select(MembershipRow.status).where(
            MembershipRow.program_id == pair.program_id,
            MembershipRow.person_id.in_([me.id, partner.id]),
        )
    )
    current = [s for s in statuses if s != MembershipStatus.LEFT.value]
    return len(current) == 2


async def _tell_partner_off(
    session: AsyncSession, pair: PairRow, program: ProgramRow, partner: PersonRow, *, now: datetime
) -> None:
    """The declined-against person hears, unless they never saw the proposal."""
    keys = [proposal_key(pair.id, partner.id), reminder_key(pair.id, partner.id)]
    dropped = await drop_keyed_messages(session, team_id=pair.team_id, keys=keys, reason="declined")
    if proposal_key(pair.id, partner.id) in dropped or not partner.is_active:
        return  # the proposal never reached them: there is nothing to take back
    memberships = await get_membership_ids(session, program_id=program.id, person_ids=[partner.id])
    await enqueue_message(
        session,
        team_id=pair.team_id,
        key=f"consent-off:{pair.id}:{partner.id}",
        channel=partner.slack_user_id,
        payload=match_off_message(program_name=program.name),
        due_at=next_working_time(now, timezone=partner.timezone),
        membership_id=memberships.get(partner.id),
        pair_id=pair.id,
    )


async def withdraw_proposals(
    session: AsyncSession, *, person: PersonRow, program: ProgramRow, now: datetime
) -> int:
    """Close the proposals waiting on `person` in `program` (they left or their account
    was deactivated): as a decline without a reason, each partner told in the same
    neutral words, and the person's own unsent proposal and reminder dropped."""
    pairs = list(
        await session.scalars(
            select(PairRow)
            .where(
                PairRow.program_id == program.id,
                PairRow.status == PairStatus.PROPOSED.value,
                or_(PairRow.mentor_id == person.id, PairRow.mentee_id == person.id),
            )
            .with_for_update()
        )
    )
    for pair in pairs:
        pair.status = PairStatus.DECLINED.value
        await drop_keyed_messages(
            session,
            team_id=pair.team_id,
            keys=[proposal_key(pair.id, person.id), reminder_key(pair.id, person.id)],
            reason="left",
        )
        partner_id = pair.mentee_id if pair.mentor_id == person.id else pair.mentor_id
        partner = await session.get(PersonRow, partner_id) if partner_id else None
        if partner is not None:
            await _tell_partner_off(session, pair, program, partner, now=now)
    return len(pairs)


async def sweep_consent(sessions: Sessions, *, now: datetime) -> int:
    """Decision sweep: proposals past their time expire (both told, the same words);
    those half-way through get their one reminder, in each unanswered person's working
    hours. Returns how many pairs it changed."""
    async with sessions() as session, session.begin():
        rows = (
            await session.execute(
                select(PairRow, ProgramRow)
                .join(ProgramRow, ProgramRow.id == PairRow.program_id)
                .where(
                    PairRow.status == PairStatus.PROPOSED.value,
                    PairRow.consent_due_at.is_not(None),
                    or_(PairRow.consent_due_at <= now, PairRow.consent_reminded_at.is_(None)),
                    live_team(PairRow.team_id),
                )
                .with_for_update(of=PairRow, skip_locked=True)
            )
        ).all()
        people = await _people(session, [pair for pair, _ in rows])
        changed = 0
        for pair, program in rows:
            assert pair.consent_due_at is not None
            both = _both(pair, people)
            if now >= pair.consent_due_at:
                await _expire(session, pair, program, both, now=now)
                changed += 1
            elif pair.consent_reminded_at is None and both is not None:
                due = _reminders_due(pair, program, both)
                if due and now >= min(due.values()):
                    await _remind(session, pair, program, both, due, now=now)
                    changed += 1
    return changed


async def _expire(
    session: AsyncSession,
    pair: PairRow,
    program: ProgramRow,
    both: tuple[PersonRow, PersonRow] | None,
    *,
    now: datetime,
) -> None:
    pair.status = PairStatus.EXPIRED.value
    people = list(both or ())
    keys = [k for p in people for k in (proposal_key(pair.id, p.id), reminder_key(pair.id, p.id))]
    dropped = await drop_keyed_messages(session, team_id=pair.team_id, keys=keys, reason="expired")
    memberships = await get_membership_ids(
        session, program_id=program.id, person_ids=[p.id for p in people]
    )
    for person in people:
        if proposal_key(pair.id, person.id) in dropped or not person.is_active:
            continue
        await enqueue_message(
            session,
            team_id=pair.team_id,
            key=f"consent-expired:{pair.id}:{person.id}",
            channel=person.slack_user_id,
            payload=proposal_expired_message(program_name=program.name),
            due_at=next_working_time(now, timezone=person.timezone),
            membership_id=memberships.get(person.id),
            pair_id=pair.id,
        )
    logger.info("pair %s: proposal expired", pair.id)


def _reminders_due(
    pair: PairRow, program: ProgramRow, both: tuple[PersonRow, PersonRow]
) -> dict[int, datetime]:
    """person id -> when their one reminder is due, for each who has not answered."""
    assert pair.consent_due_at is not None
    sent_at = pair.consent_due_at - timedelta(hours=program.consent_hours)
    answers = {pair.mentor_id: pair.mentor_consent, pair.mentee_id: pair.mentee_consent}
    due = {}
    for person in both:
        at = reminder_time(sent_at=sent_at, due_at=pair.consent_due_at, timezone=person.timezone)
        if at is not None and answers[person.id] is None and person.is_active:
            due[person.id] = at
    return due


async def _remind(
    session: AsyncSession,
    pair: PairRow,
    program: ProgramRow,
    both: tuple[PersonRow, PersonRow],
    due: dict[int, datetime],
    *,
    now: datetime,
) -> None:
    """The one reminder, queued for each unanswered person when the first is due: the
    outbox holds each until its own time (each reader's working hours differ). A sweep
    that comes late (no tick for hours) still keeps to working hours, or sends none."""
    assert pair.consent_due_at is not None
    pair.consent_reminded_at = now
    memberships = await get_membership_ids(
        session, program_id=program.id, person_ids=[p.id for p in both]
    )
    for reader, partner in (both, both[::-1]):
        if reader.id not in due:
            continue
        at = max(due[reader.id], next_working_time(now, timezone=reader.timezone))
        if at > pair.consent_due_at - timedelta(hours=1):
            continue
        await enqueue_message(
            session,
            team_id=pair.team_id,
            key=reminder_key(pair.id, reader.id),
            channel=reader.slack_user_id,
            payload=consent_reminder_message(
                _proposal(pair, program, reader=reader, partner=partner)
            ),
            due_at=at,
            membership_id=memberships.get(reader.id),
            pair_id=pair.id,
        )
