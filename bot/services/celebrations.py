"""Channel celebrations: a pair's meeting milestone, a completed round, the monthly digest.

A milestone is decided where a meeting is recorded (`celebrate_meeting`), a completed
round where the round-end sweep ends its pairs (`celebrate_completed_rounds`), each in
that transaction. The digest is a decision sweep (bot/jobs.py) that reads one small
query when nothing is due: programs whose last digest is older than last month.

What reaches the channel is public by nature: the pair's names (mentions built from
their Slack ids), counts, the skills the pair was matched on, posted stories' titles.
Never a reflection (not even its topics), a rating, a check-in answer or a note.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.db.engine import Sessions
from bot.db.tables import (
    MeetingRow,
    MembershipRow,
    PairRow,
    PersonRow,
    ProgramRow,
    RoundRow,
    StoryRow,
)
from bot.delivery import Outgoing, enqueue_messages
from bot.domain import MembershipStatus, PairStatus, StoryStatus
from bot.matching.overlap import get_zone, resolve_zone
from bot.services.workspaces import live_team
from bot.slack.views.celebrations import (
    TOP_SKILLS,
    DigestStory,
    MonthDigest,
    completion_message,
    digest_message,
    milestone_message,
)
from bot.worktime import allowed_weekday, local_instant, next_working_time

logger = logging.getLogger(__name__)


# --- the program's zone ---------------------------------------------------------------


async def list_program_zones(
    session: AsyncSession, programs: Iterable[ProgramRow]
) -> dict[int, str]:
    """Each program's zone: its own when set, else the zone most of its active members
    are in (ties: the name first in order), else UTC. One query for all of them."""
    programs = list(programs)
    zones = {p.id: p.timezone for p in programs if p.timezone and get_zone(p.timezone)}
    unset = [p.id for p in programs if p.id not in zones]
    if unset:
        counted = await session.execute(
            select(MembershipRow.program_id, PersonRow.timezone, func.count())
            .join(PersonRow, PersonRow.id == MembershipRow.person_id)
            .where(
                MembershipRow.program_id.in_(unset),
                MembershipRow.status == MembershipStatus.ACTIVE.value,
                PersonRow.is_active.is_(True),
            )
            .group_by(MembershipRow.program_id, PersonRow.timezone)
        )
        best: dict[int, tuple[int, str]] = {}
        for program_id, zone, count in counted.all():
            if not zone or get_zone(zone) is None:
                continue
            current = best.get(program_id)
            if current is None or (-count, zone) < (-current[0], current[1]):
                best[program_id] = (count, zone)
        for program_id in unset:
            zones[program_id] = best[program_id][1] if program_id in best else "UTC"
    return zones


# --- milestones and completed rounds --------------------------------------------------


def _meeting_count() -> Any:
    return (
        select(func.count(MeetingRow.id))
        .where(MeetingRow.pair_id == PairRow.id)
        .correlate(PairRow)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class _Due:
    pair: PairRow
    program: ProgramRow
    meetings: int
    round_number: int | None  # set for a completed round


async def celebrate_meeting(session: AsyncSession, pair_id: int, *, now: datetime) -> None:
    """A meeting of this pair was just recorded, in the caller's transaction: when it
    is the program's milestone, the shout-out is queued with it, once.

    Decided here, where meetings are recorded, rather than by a sweep over every
    active pair's meetings (141 ms of a 100,000-person idle tick).
    """
    meetings = _meeting_count()
    found = (
        await session.execute(
            select(PairRow, ProgramRow, meetings)
            .join(ProgramRow, ProgramRow.id == PairRow.program_id)
            .where(
                PairRow.id == pair_id,
                PairRow.status == PairStatus.ACTIVE.value,
                PairRow.milestone_posted_at.is_(None),
                meetings >= ProgramRow.milestone_meetings,
            )
            .with_for_update(of=PairRow)
        )
    ).first()
    if found is not None:
        pair, program, count = found
        await _celebrate(session, [_Due(pair, program, count, None)], now=now)


async def celebrate_completed_rounds(
    session: AsyncSession, ended: Sequence[tuple[PairRow, ProgramRow]], *, now: datetime
) -> None:
    """These pairs were active when their round ended (the round-end sweep ends them in
    the caller's transaction): one shout-out each that met at least once."""
    if not ended:
        return
    pair_ids = [pair.id for pair, _ in ended]
    counts: dict[int, int] = dict(
        (
            await session.execute(
                select(MeetingRow.pair_id, func.count(MeetingRow.id))
                .where(MeetingRow.pair_id.in_(pair_ids))
                .group_by(MeetingRow.pair_id)
            )
        ).all()
    )
    numbers: dict[int, int] = dict(
        (
            await session.execute(
                select(RoundRow.id, RoundRow.number).where(
                    RoundRow.id.in_({pair.round_id for pair, _ in ended})
                )
            )
        ).all()
    )
    due = [
        _Due(pair, program, counts.get(pair.id, 0), numbers[pair.round_id])
        for pair, program in ended
        if pair.completion_posted_at is None
    ]
    await _celebrate(session, due, now=now)


async def _celebrate(session: AsyncSession, due: list[_Due], *, now: datetime) -> None:
    """Mark every pair looked at, posted or not: a program with milestones off (or no
    channel) still marks its pairs, so turning them on later does not flood the channel
    with old milestones; a pair whose partner left, paused or was erased gets no
    shout-out, now or later."""
    messages = await _shout_outs(session, due, now=now)
    for item in due:
        if item.round_number is None:
            item.pair.milestone_posted_at = now
        else:
            item.pair.completion_posted_at = now
    await enqueue_messages(session, messages)
    if messages:
        logger.info("celebrations: %d shout-out(s) queued", len(messages))


async def _shout_outs(session: AsyncSession, due: list[_Due], *, now: datetime) -> list[Outgoing]:
    wanted = [d for d in due if d.program.celebrates_milestones and d.program.channel_id]
    person_ids = {p for d in wanted for p in (d.pair.mentor_id, d.pair.mentee_id) if p}
    if not person_ids:
        return []
    people = {
        p.id: p
        for p in await session.scalars(select(PersonRow).where(PersonRow.id.in_(person_ids)))
    }
    active = set(
        (
            await session.execute(
                select(MembershipRow.program_id, MembershipRow.person_id).where(
                    MembershipRow.person_id.in_(person_ids),
                    MembershipRow.status == MembershipStatus.ACTIVE.value,
                )
            )
        ).all()
    )
    zones = await list_program_zones(session, {d.program.id: d.program for d in wanted}.values())
    messages = []
    for item in wanted:
        pair, program = item.pair, item.program
        if item.round_number is not None and not item.meetings:
            continue  # a round with no meeting is nothing to celebrate
        mentor = people.get(pair.mentor_id) if pair.mentor_id else None
        leader = people.get(pair.mentee_id) if pair.mentee_id else None
        if not all(
            person is not None and person.is_active and (program.id, person.id) in active
            for person in (mentor, leader)
        ):
            continue
        assert mentor is not None and leader is not None and program.channel_id
        if item.round_number is None:
            kind = "milestone"
            payload = milestone_message(
                mentor_user_id=mentor.slack_user_id,
                leader_user_id=leader.slack_user_id,
                program_name=program.name,
                meetings=item.meetings,
            )
        else:
            kind = "completed"
            payload = completion_message(
                mentor_user_id=mentor.slack_user_id,
                leader_user_id=leader.slack_user_id,
                program_name=program.name,
                round_number=item.round_number,
                meetings=item.meetings,
            )
        messages.append(
            Outgoing(
                team_id=pair.team_id,
                key=f"{kind}:{pair.id}",
                payload=payload,
                # Not a nudge, but a channel reads best in the program's day, not at 3 am.
                due_at=next_working_time(now, timezone=zones[program.id]),
                channel=program.channel_id,
                pair_id=pair.id,
            )
        )
    return messages


# --- the monthly digest ----------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(first: date) -> date:
    return month_start(first - timedelta(days=1))


def next_month(first: date) -> date:
    return month_start(first + timedelta(days=32))


def digest_due_at(month: date, *, days_mask: int, minute: int, timezone: str) -> datetime:
    """When the digest of the month before `month` goes out: `month`'s first check-in
    weekday at the program's check-in time, local. Pure."""
    day = allowed_weekday(month, days_mask)
    return local_instant(day, minute, timezone=timezone)


def digest_month(
    now: datetime, program: ProgramRow, *, timezone: str, covered: date | None
) -> date | None:
    """The month whose digest is due at `now` (its first day), None when none is. Pure:
    the current local month's digest time has passed and last month is not `covered`
    (the first day of the last month a digest of this kind covered)."""
    this_month = month_start(now.astimezone(resolve_zone(timezone)).date())
    last_month = previous_month(this_month)
    if covered is not None and covered >= last_month:
        return None
    due = digest_due_at(
        this_month,
        days_mask=program.checkin_days,
        minute=program.checkin_minute,
        timezone=timezone,
    )
    return last_month if now >= due else None


async def lock_programs_uncovered(
    session: AsyncSession,
    covered: InstrumentedAttribute[date | None],
    *,
    now: datetime,
    also: Sequence[ColumnElement[bool]] = (),
) -> list[ProgramRow]:
    """Programs a monthly digest (whose last month is `covered`) may be due for,
    locked for this sweep (PostgreSQL; skipped when another sweep holds them).

    A local date is within a day of the UTC one: a program covered up to the month
    before UTC tomorrow's cannot be due, whatever its zone, so those are not read.
    """
    surely_covered = previous_month(month_start(now.astimezone(UTC).date() + timedelta(days=1)))
    rows = await session.scalars(
        select(ProgramRow)
        .where(
            *also, or_(covered.is_(None), covered < surely_covered), live_team(ProgramRow.team_id)
        )
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def sweep_digest(sessions: Sessions, *, now: datetime) -> int:
    """Decision sweep: each program's digest of last month, once, in its channel.
    Returns how many were queued. A month with nothing to report posts nothing (and
    counts as covered); a tick a month late posts only the latest month's."""
    async with sessions() as session, session.begin():
        programs = await lock_programs_uncovered(
            session,
            ProgramRow.digest_posted_for,
            now=now,
            also=(ProgramRow.posts_digest.is_(True), ProgramRow.channel_id.is_not(None)),
        )
        if not programs:
            return 0
        zones = await list_program_zones(session, programs)
        messages = []
        for program in programs:
            month = digest_month(
                now, program, timezone=zones[program.id], covered=program.digest_posted_for
            )
            if month is None:
                continue
            digest = await _month_digest(session, program, month, timezone=zones[program.id])
            program.digest_posted_for = month
            if digest.is_empty:
                continue
            assert program.channel_id
            messages.append(
                Outgoing(
                    team_id=program.team_id,
                    key=f"digest:{program.id}:{month:%Y-%m}",
                    payload=digest_message(digest),
                    due_at=now,
                    channel=program.channel_id,
                )
            )
        await enqueue_messages(session, messages)
    if messages:
        logger.info("digest: %d program(s)", len(messages))
    return len(messages)


async def _month_digest(
    session: AsyncSession, program: ProgramRow, month: date, *, timezone: str
) -> MonthDigest:
    end = next_month(month)
    met = dict(
        (
            await session.execute(
                select(MeetingRow.pair_id, func.count(MeetingRow.id))
                .join(PairRow, PairRow.id == MeetingRow.pair_id)
                .where(
                    PairRow.program_id == program.id,
                    MeetingRow.met_on >= month,
                    MeetingRow.met_on < end,
                )
                .group_by(MeetingRow.pair_id)
            )
        ).all()
    )
    # The skills the pairs were matched on (public, like the pair), counted per meeting;
    # reflection topics are private and stay out.
    skills: Counter[str] = Counter()
    if met:
        shared = await session.execute(
            select(PairRow.id, PairRow.shared_skills).where(PairRow.id.in_(list(met)))
        )
        for pair_id, names in shared.all():
            for name in set(names or []):
                if isinstance(name, str) and name.strip():
                    skills[name.strip()] += met[pair_id]
    meetings, pairs = sum(met.values()), len(met)
    top = sorted(skills.items(), key=lambda item: (-item[1], item[0].casefold()))[:TOP_SKILLS]
    return MonthDigest(
        program_name=program.name,
        month=month,
        meetings=meetings,
        pairs_met=pairs,
        top_skills=tuple(top),
        stories=tuple(await _month_stories(session, program, month, end, timezone=timezone)),
    )


async def _month_stories(
    session: AsyncSession, program: ProgramRow, month: date, end: date, *, timezone: str
) -> list[DigestStory]:
    zone = resolve_zone(timezone)
    since = datetime.combine(month, time(), tzinfo=zone).astimezone(UTC)
    until = datetime.combine(end, time(), tzinfo=zone).astimezone(UTC)
    mentor, leader = PersonRow.__table__.alias("mentor"), PersonRow.__table__.alias("leader")
    rows = await session.execute(
        select(StoryRow.title, StoryRow.anonymous, mentor.c.slack_user_id, leader.c.slack_user_id)
        .outerjoin(PairRow, PairRow.id == StoryRow.pair_id)
        .outerjoin(mentor, and_(mentor.c.id == PairRow.mentor_id, mentor.c.is_active.is_(True)))
        .outerjoin(leader, and_(leader.c.id == PairRow.mentee_id, leader.c.is_active.is_(True)))
        .where(
            StoryRow.program_id == program.id,
            StoryRow.status == StoryStatus.POSTED.value,
            StoryRow.posted_at >= since,
            StoryRow.posted_at < until,
        )
        .order_by(StoryRow.posted_at, StoryRow.id)
    )
    return [
        DigestStory(
            title=title,
            credited=() if anonymous else tuple(u for u in (mentor_id, leader_id) if u),
        )
        for title, anonymous, mentor_id, leader_id in rows.all()
    ]
