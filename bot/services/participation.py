"""Taking part: status, pause and resume, leaving, and accounts that go away."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions
from bot.db.people import (
    count_meetings,
    get_person,
    list_active_partners,
    list_current_memberships,
    list_memberships,
    list_person_skills,
)
from bot.db.programs import count_members, list_open_programs, list_skills
from bot.db.tables import MembershipRow, OutgoingMessageRow, PersonRow, ProgramRow
from bot.delivery import enqueue_message
from bot.domain import (
    CareerStage,
    DeliveryStatus,
    MembershipStatus,
    PairStatus,
    Role,
    SkillKind,
)
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
    sessions: Sessions, *, team_id: str, user_id: str
) -> PersonalStatus | None:
    """The person's profile and programs as they should see them; None if unknown."""
    async with sessions() as session:
        person = await get_person(session, team_id, user_id)
        if person is None:
            return None
        skills = await list_person_skills(session, person.id)
        memberships = []
        for membership, program in await list_memberships(session, person.id):
            memberships.append(await _summary(session, person, membership, program))
    return PersonalStatus(
        name=person.name,
        career_stage=CareerStage(person.career_stage) if person.career_stage else None,
        department=person.department,
        goals=person.goals,
        teaches=tuple(s.name for s in skills[SkillKind.TEACH]),
        learns=tuple(s.name for s in skills[SkillKind.LEARN]),
        memberships=tuple(memberships),
    )


async def _summary(
    session: AsyncSession, person: PersonRow, membership: MembershipRow, program: ProgramRow
) -> MembershipSummary:
    links = await list_active_partners(session, person.id, program_id=program.id)
    due = [link.pair.next_checkin_at for link in links if link.pair.next_checkin_at]
    return MembershipSummary(
        program_id=program.id,
        program_name=program.name,
        role=Role(membership.role),
        status=MembershipStatus(membership.status),
        paused_until=membership.paused_until,
        partners=tuple(Partner(link.partner.slack_user_id, link.partner.name) for link in links),
        next_checkin_at=min(due) if due else None,
        meetings_count=await count_meetings(session, [link.pair.id for link in links]),
    )


async def list_program_summaries(sessions: Sessions, *, team_id: str) -> list[ProgramSummary]:
    """The admin's overview of open programs."""
    async with sessions() as session:
        summaries = []
        for program in await list_open_programs(session, team_id):
            counts = await count_members(session, program.id)
            skills = await list_skills(session, [program.id], include_retired=False)
            summaries.append(
                ProgramSummary(
                    id=program.id,
                    name=program.name,
                    members=counts["active"] + counts["paused"],
                    paused=counts["paused"],
                    skills=len(skills),
                )
            )
    return summaries


@dataclass(frozen=True)
class PauseResult:
    paused: int  # memberships now paused
    until: datetime | None


async def pause(
    sessions: Sessions, *, team_id: str, user_id: str, weeks: int | None, now: datetime
) -> PauseResult | None:
    """Pause every current membership; None when the person is not enrolled."""
    until = now + timedelta(weeks=weeks) if weeks else None
    async with sessions() as session, session.begin():
        _person, current = await list_current_memberships(session, team_id, user_id)
        if not current:
            return None
        for membership, _program in current:
            membership.status = MembershipStatus.PAUSED.value
            membership.paused_until = until
    return PauseResult(len(current), until)


async def resume(sessions: Sessions, *, team_id: str, user_id: str) -> int | None:
    """Resume paused memberships; how many, or None when not enrolled."""
    async with sessions() as session, session.begin():
        _person, current = await list_current_memberships(session, team_id, user_id)
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
            )
            .with_for_update(skip_locked=True)
        )
        rows = due.all()
        for membership, person, program in rows:
            until = membership.paused_until
            await enqueue_message(
                session,
                team_id=membership.team_id,
                key=f"resumed:{membership.id}:{until.isoformat() if until else ''}",
                channel=person.slack_user_id,
                payload=resumed_message(program_name=program.name),
                due_at=now,
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
    program_id: int,
    delete_data: bool,
    now: datetime,
) -> LeaveResult | None:
    """Leave one program (partners hear kindly), and optionally erase the person.

    Deleting removes the profile row, which cascades to skills, memberships,
    reflections and stories, so every program is left; pairs and meetings keep
    their counts with the person nulled out, and the outbox forgets every message
    to them. None when the person is not in that program.
    """
    async with sessions() as session, session.begin():
        person = await get_person(session, team_id, user_id)
        if person is None:
            return None
        current = await list_memberships(session, person.id, current_only=True)
        leaving = [(m, p) for m, p in current if delete_data or p.id == program_id]
        if not leaving:
            return None
        for membership, program in leaving:
            await _end_partnerships(
                session, person, program, now=now, message=partner_left_message, reason="left"
            )
            membership.status = MembershipStatus.LEFT.value
            membership.left_at = now
            membership.paused_until = None
        if delete_data:
            await _forget_messages(session, team_id, user_id)
            await session.delete(person)
    logger.info("participant left %d program(s), deleted=%s", len(leaving), delete_data)
    return LeaveResult([program.name for _m, program in leaving], delete_data)


async def deactivate(sessions: Sessions, *, team_id: str, user_id: str, now: datetime) -> bool:
    """A deleted or guest account: out of rounds and nudges, partners told. False if unknown."""
    async with sessions() as session, session.begin():
        person = await get_person(session, team_id, user_id)
        if person is None or not person.is_active:
            return False
        person.is_active = False
        person.updated_at = now
        for _membership, program in await list_memberships(session, person.id, current_only=True):
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
                OutgoingMessageRow.channel == user_id,
            )
            .values(status=DeliveryStatus.FAILED.value, last_error="recipient deactivated")
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
) -> None:
    for link in await list_active_partners(session, person.id, program_id=program.id):
        link.pair.status = PairStatus.ENDED.value
        link.pair.ended_at = now
        await enqueue_message(
            session,
            team_id=person.team_id,
            key=f"partner-{reason}:{link.pair.id}:{link.partner.id}",
            channel=link.partner.slack_user_id,
            payload=message(partner_name=person.name or None, program_name=program.name),
            due_at=now,
        )


async def _forget_messages(session: AsyncSession, team_id: str, user_id: str) -> None:
    """Drop every outbox row addressed to the person, sent or not."""
    await session.execute(
        delete(OutgoingMessageRow).where(
            OutgoingMessageRow.team_id == team_id,
            or_(
                OutgoingMessageRow.channel == user_id,
                OutgoingMessageRow.users.contains(user_id),
            ),
        )
    )
