"""A pair's life after its round is confirmed: round end, continuing, and what the
next round must not repeat. Also the small pieces consent and the fit check share:
who clicked a pair's button, and taking back queued DMs.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions
from bot.db.people import get_person
from bot.db.tables import (
    MembershipRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    ProgramRow,
    RoundRow,
)
from bot.delivery import enqueue_message
from bot.domain import DeliveryStatus, FitAnswer, PairStatus, RoundStatus
from bot.services.celebrations import celebrate_completed_rounds
from bot.services.workspaces import live_team
from bot.slack.views.fitcheck import closing_prompt_message
from bot.worktime import next_working_time

logger = logging.getLogger(__name__)


class Side(enum.StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"


@dataclass
class PairMember:
    """The pair a button names, seen by the person who clicked it."""

    pair: PairRow
    person: PersonRow
    side: Side
    partner: PersonRow | None
    program: ProgramRow


async def get_pair_member(
    session: AsyncSession, *, team_id: str, user_id: str, pair_id: int
) -> PairMember | None:
    """The pair, locked, if the clicker is one of its two people; None for anyone else.

    Button values are only ids: this is the check that a click changes only the
    clicker's own pair (a forged value or a forwarded message changes nothing).
    """
    person = await get_person(session, team_id, user_id)
    if person is None:
        return None
    pair = await session.scalar(
        select(PairRow).where(PairRow.id == pair_id, PairRow.team_id == team_id).with_for_update()
    )
    if pair is None or person.id not in (pair.mentor_id, pair.mentee_id):
        return None
    side = Side.MENTOR if pair.mentor_id == person.id else Side.MENTEE
    partner_id = pair.mentee_id if side is Side.MENTOR else pair.mentor_id
    partner = await session.get(PersonRow, partner_id) if partner_id else None
    program = await session.get(ProgramRow, pair.program_id)
    assert program is not None
    return PairMember(pair, person, side, partner, program)


async def get_membership_ids(
    session: AsyncSession, *, program_id: int, person_ids: Collection[int]
) -> dict[int, int]:
    """person id -> membership id in the program."""
    rows = await session.execute(
        select(MembershipRow.person_id, MembershipRow.id).where(
            MembershipRow.program_id == program_id, MembershipRow.person_id.in_(list(person_ids))
        )
    )
    return {person_id: membership_id for person_id, membership_id in rows.all()}


async def drop_keyed_messages(
    session: AsyncSession, *, team_id: str, keys: Collection[str], reason: str
) -> set[str]:
    """Drop these outbox rows if still unsent; the keys that were dropped.

    By key, not `drop_messages`' membership/pair: one person's answer must not take back
    what is queued for their partner.
    """
    if not keys:
        return set()
    dropped = await session.scalars(
        update(OutgoingMessageRow)
        .where(
            OutgoingMessageRow.team_id == team_id,
            OutgoingMessageRow.key.in_(list(keys)),
            OutgoingMessageRow.status == DeliveryStatus.PENDING.value,
        )
        .values(status=DeliveryStatus.DROPPED.value, last_error=reason[:200])
        .returning(OutgoingMessageRow.key)
        .execution_options(synchronize_session=False)
    )
    return set(dropped.all())


async def list_sent_locations(
    session: AsyncSession, *, keys: Collection[str]
) -> list[tuple[str, str]]:
    """(channel, ts) of the outbox rows with these keys that Slack has posted."""
    rows = await session.execute(
        select(OutgoingMessageRow.sent_channel, OutgoingMessageRow.sent_ts).where(
            OutgoingMessageRow.key.in_(list(keys)),
            OutgoingMessageRow.status == DeliveryStatus.SENT.value,
        )
    )
    return [(channel, ts) for channel, ts in rows.all() if channel and ts]


# --- the next round ---------------------------------------------------------------


async def _latest_pairings(
    session: AsyncSession, *, program_id: int
) -> dict[tuple[int, int], tuple[int, int, bool]]:
    """Per two people (lower id, higher id): their latest pairing in an earlier round
    (proposed, introduced, declined, expired or ended; previews never confirmed do not
    count) as (mentor id, mentee id, both asked to continue)."""
    rows = await session.execute(
        select(
            PairRow.mentor_id, PairRow.mentee_id, PairRow.mentor_continues, PairRow.mentee_continues
        )
        .join(RoundRow, RoundRow.id == PairRow.round_id)
        .where(
            PairRow.program_id == program_id,
            PairRow.status != PairStatus.DRAFT.value,
            RoundRow.status != RoundStatus.DRAFT.value,
            RoundRow.status != RoundStatus.CANCELLED.value,
            PairRow.mentor_id.is_not(None),
            PairRow.mentee_id.is_not(None),
        )
        .order_by(RoundRow.number, PairRow.id)
    )
    latest: dict[tuple[int, int], tuple[int, int, bool]] = {}
    for mentor_id, mentee_id, mentor_continues, mentee_continues in rows.all():
        assert mentor_id is not None and mentee_id is not None
        key = (min(mentor_id, mentee_id), max(mentor_id, mentee_id))
        # Later rounds win.
        latest[key] = (mentor_id, mentee_id, bool(mentor_continues) and bool(mentee_continues))
    return latest


async def list_excluded_pairs(session: AsyncSession, *, program_id: int) -> list[tuple[int, int]]:
    """Person id pairs the next round of this program must not propose again: every
    two people paired in an earlier round, unless at their latest pairing both asked to
    continue. Each tuple is (lower id, higher id): the exclusion is about the two
    people, whichever side each was on.
    """
    latest = await _latest_pairings(session, program_id=program_id)
    return sorted(key for key, (_, _, both) in latest.items() if not both)


async def list_continuing_pairs(session: AsyncSession, *, program_id: int) -> list[tuple[int, int]]:
    """(mentor id, mentee id) of the pairs whose two people both asked to continue at
    their latest pairing: the next round keeps them together."""
    latest = await _latest_pairings(session, program_id=program_id)
    return sorted((mentor, mentee) for mentor, mentee, both in latest.values() if both)


# --- round end --------------------------------------------------------------------


async def sweep_round_ends(sessions: Sessions, *, now: datetime) -> int:
    """Decision sweep: the active pairs of rounds that ended end too, each person with a
    closing prompt (reflect; continue together or re-match) in their working hours.

    Idempotent: only `active` pairs are taken, and each leaves that status here; the
    prompt's key is unique per pair and person.
    """
    # The rounds first, each probed for an active pair: ended rounds whose pairs have
    # all ended are the common case, and a join would read every active pair to see it
    # (the planner cannot know that active pairs sit in the current rounds).
    still_active = (
        select(PairRow.id)
        .where(PairRow.round_id == RoundRow.id, PairRow.status == PairStatus.ACTIVE.value)
        .exists()
    )
    async with sessions() as session, session.begin():
        ended = list(
            await session.scalars(
                select(RoundRow.id).where(
                    RoundRow.ends_at <= now,
                    RoundRow.status.in_([RoundStatus.CONFIRMED.value, RoundStatus.ANNOUNCED.value]),
                    still_active,
                    live_team(RoundRow.team_id),
                )
            )
        )
        if not ended:
            return 0
        due = await session.execute(
            select(PairRow, ProgramRow)
            .join(ProgramRow, ProgramRow.id == PairRow.program_id)
            .where(PairRow.status == PairStatus.ACTIVE.value, PairRow.round_id.in_(ended))
            .with_for_update(of=PairRow, skip_locked=True)
        )
        rows = due.all()
        person_ids = {p for pair, _ in rows for p in (pair.mentor_id, pair.mentee_id) if p}
        people = {
            p.id: p
            for p in await session.scalars(select(PersonRow).where(PersonRow.id.in_(person_ids)))
        }
        for pair, program in rows:
            pair.status = PairStatus.ENDED.value
            pair.ended_at = now
            memberships = await get_membership_ids(
                session, program_id=program.id, person_ids=people.keys()
            )
            for person_id, partner_id in (
                (pair.mentor_id, pair.mentee_id),
                (pair.mentee_id, pair.mentor_id),
            ):
                person = people.get(person_id) if person_id else None
                partner = people.get(partner_id) if partner_id else None
                if person is None or partner is None or not person.is_active:
                    continue
                await enqueue_message(
                    session,
                    team_id=pair.team_id,
                    key=f"closing:{pair.id}:{person.id}",
                    channel=person.slack_user_id,
                    payload=closing_prompt_message(
                        pair_id=pair.id,
                        program_name=program.name,
                        partner_user_id=partner.slack_user_id,
                    ),
                    due_at=next_working_time(now, timezone=person.timezone),
                    membership_id=memberships.get(person.id),
                    pair_id=pair.id,
                )
        await celebrate_completed_rounds(session, rows, now=now)
    if rows:
        logger.info("round end: %d pair(s) ended", len(rows))
    return len(rows)


class ClickOutcome(enum.Enum):
    RECORDED = "recorded"
    CLOSED = "closed"  # nothing left to answer
    NOT_YOURS = "not_yours"  # the clicker is not in this pair: nothing changed


async def record_continuation(
    sessions: Sessions, *, team_id: str, user_id: str, pair_id: int, continues: bool
) -> ClickOutcome:
    """A closing-prompt answer: keep this partner next round, or be matched anew.

    Only an ended pair takes it (the prompt is sent at round end); a second click sets
    the same value again, and a change of mind before the next round replaces it.
    """
    async with sessions() as session, session.begin():
        member = await get_pair_member(session, team_id=team_id, user_id=user_id, pair_id=pair_id)
        if member is None:
            return ClickOutcome.NOT_YOURS
        pair = member.pair
        not_a_fit = FitAnswer.NOT_A_FIT.value in (pair.mentor_fit, pair.mentee_fit)
        # A pair ended early by "not a good fit" is re-matched, whatever a click says.
        if pair.status != PairStatus.ENDED.value or not_a_fit:
            return ClickOutcome.CLOSED
        if member.side is Side.MENTOR:
            member.pair.mentor_continues = continues
        else:
            member.pair.mentee_continues = continues
    return ClickOutcome.RECORDED
