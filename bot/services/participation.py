"""Taking part: status, pause and resume, leaving, and accounts that go away."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions, reading
from bot.db.people import (
    PartnerActivity,
    get_person,
    get_person_and_memberships,
    list_active_partners,
    list_current_memberships,
    list_memberships,
    list_partners_and_meetings,
    list_person_skills,
)
from bot.db.programs import list_next_round_dates, list_open_programs_with_counts
from bot.db.tables import (
    MembershipRow,
    OutgoingMessageRow,
    PersonRow,
    ProgramRow,
    ReflectionRow,
)
from bot.delivery import enqueue_message
from bot.domain import (
    CareerStage,
    DeliveryStatus,
    MembershipStatus,
    PairStatus,
    Role,
    SkillKind,
)
from bot.services import consent
from bot.services.erasure import erase_person
from bot.services.events import record_once
from bot.services.pauses import drop_queued, pause_memberships
from bot.services.workspaces import live_team
from bot.slack.views.models import (
    MembershipSummary,
    Partner,
    PersonalStatus,
    ProgramSummary,
)
from bot.slack.views.status import (
    partner_deactivated_message,
    partner_left_message,
    resumed_message,
)

logger = logging.getLogger(__name__)


async def get_personal_status(
    sessions: Sessions, *, team_id: str, user_id: str, today: date | None = None
) -> PersonalStatus | None:
    """The person's profile and programs as they should see them; None if unknown.

    Four queries however many programs, partners and meetings: it answers every
    `/mentor status` and renders every Home tab. With `today`, a fifth says when each
    program's next round starts.
    """
    async with reading(sessions) as session:
        person, memberships = await get_person_and_memberships(session, team_id, user_id)
        if person is None:
            return None
        skills = await list_person_skills(session, person.id)
        reflections = await session.scalar(
            select(func.count())
            .select_from(ReflectionRow)
            .where(ReflectionRow.author_id == person.id)
        )
        partners = await list_partners_and_meetings(session, person.id) if memberships else []
        next_rounds: dict[int, date | None] = {}
        if today is not None and memberships:
            next_rounds = await list_next_round_dates(
                session, [p for _m, p in memberships], today=today
            )
    by_program: dict[int, list[PartnerActivity]] = defaultdict(list)
    for activity in partners:
        by_program[activity.link.pair.program_id].append(activity)
    return PersonalStatus(
        name=person.name,
        career_stage=CareerStage(person.career_stage) if person.career_stage else None,
        department=person.department,
        goals=person.goals,
        teaches=tuple(s.name for s in skills[SkillKind.TEACH]),
        learns=tuple(s.name for s in skills[SkillKind.LEARN]),
        memberships=tuple(
            _summary(membership, program, by_program[program.id], next_rounds.get(program.id))
            for membership, program in memberships
        ),
        is_active=person.is_active,
        checkin_weekday=person.checkin_weekday,
        checkin_minute=person.checkin_minute,
        reflections=int(reflections or 0),
    )


def _summary(
    membership: MembershipRow,
    program: ProgramRow,
    partners: list[PartnerActivity],
    next_round_on: date | None,
) -> MembershipSummary:
    due = [a.next_checkin_at for a in partners if a.next_checkin_at is not None]
    return MembershipSummary(
        program_id=program.id,
        program_name=program.name,
        role=Role(membership.role),
        status=MembershipStatus(membership.status),
        paused_until=membership.paused_until,
        partners=tuple(
            Partner(a.link.partner.slack_user_id, a.link.partner.name) for a in partners
        ),
        next_checkin_at=min(due) if due else None,
        meetings_count=sum(a.meetings for a in partners),
        next_round_on=next_round_on,
    )


async def list_program_summaries(sessions: Sessions, *, team_id: str) -> list[ProgramSummary]:
    """The admin's overview of open programs, in one query however many there are."""
    async with reading(sessions) as session:
        programs = await list_open_programs_with_counts(session, team_id)
    return [
        ProgramSummary(p.program.id, p.program.name, p.members, p.paused, p.skills)
        for p in programs
    ]


@dataclass(frozen=True)
class PauseResult:
    paused: int  # memberships now paused
    until: datetime | None


async def pause(
    sessions: Sessions, *, team_id: str, user_id: str, weeks: int | None, now: datetime
) -> PauseResult | None:
    """Pause every current membership; None when the person is not enrolled."""
    async with sessions() as session, session.begin():
        return await pause_in(session, team_id=team_id, user_id=user_id, weeks=weeks, now=now)


async def pause_in(
    session: AsyncSession, *, team_id: str, user_id: str, weeks: int | None, now: datetime
) -> PauseResult | None:
    """`pause` in the caller's transaction (a stalled pair's "pause" answer)."""
    until = now + timedelta(weeks=weeks) if weeks else None
    person, current = await list_current_memberships(session, team_id, user_id, for_update=True)
    if person is None or not current:
        return None
    await pause_memberships(session, person, [m for m, _p in current], until=until)
    return PauseResult(len(current), until)


async def resume(sessions: Sessions, *, team_id: str, user_id: str) -> int | None:
    """Resume paused memberships; how many, or None when not enrolled."""
    async with sessions() as session, session.begin():
        _person, current = await list_current_memberships(
            session, team_id, user_id, for_update=True
        )
        if not current:
            return None
        resumed = 0
        for membership, _program in current:
            if membership.status == MembershipStatus.PAUSED.value:
                membership.status = MembershipStatus.ACTIVE.value
                membership.paused_until = None
                resumed += 1
    return resumed


async def resume_due_pauses(sessions: Sessions, *, now: datetime) -> int:
    """Decision sweep: pauses whose weeks are up end, with a short welcome-back DM."""
    async with sessions() as session, session.begin():
        due = await session.execute(
            select(MembershipRow, PersonRow, ProgramRow)
            .join(PersonRow, PersonRow.id == MembershipRow.person_id)
            .join(ProgramRow, ProgramRow.id == MembershipRow.program_id)
            .where(
                MembershipRow.status == MembershipStatus.PAUSED.value,
                MembershipRow.paused_until.is_not(None),
                MembershipRow.paused_until <= now,
                live_team(MembershipRow.team_id),
            )
            .with_for_update(skip_locked=True)
        )
        rows = due.all()
        next_rounds = await list_next_round_dates(
            session, list({p.id: p for _m, _person, p in rows}.values()), today=now.date()
        )
        for membership, person, program in rows:
            until = membership.paused_until
            await enqueue_message(
                session,
                team_id=membership.team_id,
                key=f"resumed:{membership.id}:{until.isoformat() if until else ''}",
                channel=person.slack_user_id,
                payload=resumed_message(
                    program_name=program.name, next_round_on=next_rounds.get(program.id)
                ),
                due_at=now,
                membership_id=membership.id,
            )
            membership.status = MembershipStatus.ACTIVE.value
            membership.paused_until = None
    return len(rows)


@dataclass(frozen=True)
class LeaveResult:
    program_names: list[str]
    deleted: bool


async def leave(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    program_id: int | None,
    delete_data: bool,
    now: datetime,
    reason: str = "",
) -> LeaveResult | None:
    """Leave one program (partners hear kindly), and optionally erase the person.

    `reason` (optional, private) is kept on the membership for the program's admins;
    partners never hear it, and erasing the person deletes it with the membership.

    Deleting leaves every program and erases the person (`erase_person`); it also
    works for someone who left earlier and kept their data (`program_id` None).
    None when there is nothing to do: not in that program, and nothing to delete.
    """
    async with sessions() as session, session.begin():
        person = await get_person(session, team_id, user_id)
        if person is None:
            return None
        current = await list_memberships(session, person.id, current_only=True, for_update=True)
        leaving = [(m, p) for m, p in current if delete_data or p.id == program_id]
        if not leaving and not delete_data:
            return None
        await drop_queued(session, person, [m for m, _p in leaving], reason="left")
        for membership, program in leaving:
            await _end_partnerships(
                session, person, program, now=now, message=partner_left_message,
                reason="left", name_partner=not delete_data,
            )  # fmt: skip
            membership.status = MembershipStatus.LEFT.value
            membership.left_at = now
            membership.paused_until = None
            membership.left_reason = reason or None
        if delete_data:
            await erase_person(session, person, now=now)
    logger.info("participant left %d program(s), deleted=%s", len(leaving), delete_data)
    return LeaveResult([program.name for _m, program in leaving], delete_data)


async def deactivate(
    sessions: Sessions, *, team_id: str, user_id: str, now: datetime, once_key: str | None = None
) -> bool:
    """A deleted or guest account: out of rounds and nudges, partners told.

    False if unknown, already inactive, or `once_key` (the event id) was handled before.
    """
    async with sessions() as session, session.begin():
        if once_key and not await record_once(session, key=once_key, team_id=team_id, at=now):
            return False
        person = await get_person(session, team_id, user_id)
        if person is None or not person.is_active:
            return False
        person.is_active = False
        person.updated_at = now
        current = await list_memberships(session, person.id, current_only=True, for_update=True)
        await drop_queued(session, person, [m for m, _p in current], reason="account deactivated")
        for _membership, program in current:
            await _end_partnerships(
                session, person, program, now=now,
                message=partner_deactivated_message, reason="deactivated",
            )  # fmt: skip
        # Nothing more goes to an account that can no longer read it.
        await session.execute(
            update(OutgoingMessageRow)
            .where(
                OutgoingMessageRow.team_id == team_id,
                OutgoingMessageRow.status == DeliveryStatus.PENDING.value,
                or_(
                    OutgoingMessageRow.channel == user_id,
                    OutgoingMessageRow.users.contains(user_id),
                ),
            )
            .values(status=DeliveryStatus.DROPPED.value, last_error="recipient deactivated")
        )
    return True


async def _end_partnerships(
    session: AsyncSession,
    person: PersonRow,
    program: ProgramRow,
    *,
    now: datetime,
    message: Callable[..., dict[str, Any]],
    reason: str,
    name_partner: bool = True,
) -> None:
    """End the person's pairs in a program (active or proposed); each partner hears by DM.

    `name_partner` False when the person is being erased: the notice must not keep
    their name after they are gone.
    """
    # Proposals still waiting on them close too, their partners told neutrally.
    await consent.withdraw_proposals(session, person=person, program=program, now=now)
    links = await list_active_partners(session, person.id, program_id=program.id)
    next_round = (await list_next_round_dates(session, [program], today=now.date()))[program.id]
    for link in links:
        link.pair.status = PairStatus.ENDED.value
        link.pair.ended_at = now
        await enqueue_message(
            session,
            team_id=person.team_id,
            key=f"partner-{reason}:{link.pair.id}:{link.partner.id}",
            channel=link.partner.slack_user_id,
            payload=message(
                partner_name=(person.name or None) if name_partner else None,
                program_name=program.name,
                next_round_on=next_round,
            ),
            due_at=now,
        )
