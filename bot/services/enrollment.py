"""Enrollment: what the join modal shows, and saving a submitted profile."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions
from bot.db.people import (
    get_membership,
    get_or_create_person,
    get_person,
    list_memberships,
    list_person_skills,
    replace_person_skills,
)
from bot.db.programs import (
    get_or_create_default_program,
    get_program,
    list_next_round_dates,
    list_open_programs,
    list_skills,
)
from bot.db.tables import MembershipRow, PersonRow, ProgramRow, SkillRow
from bot.delivery import enqueue_message
from bot.domain import CareerStage, MembershipStatus, Role, SkillKind
from bot.services.profiles import ProfileState, profile_state
from bot.slack.forms import EnrollmentForm
from bot.slack.views.models import ProfileDraft, ProgramOption, SkillOption
from bot.slack.views.status import welcome_message

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnrollmentContext:
    """Everything the enrollment modal needs, read in one go."""

    programs: list[ProgramOption]
    skills: dict[int, list[SkillOption]]  # program id -> its skills (retired included)
    draft: ProfileDraft | None  # None: not enrolled yet
    display_name: str
    account: ProfileState  # what we hold about their Slack account

    def active_skill_ids(self) -> dict[int, set[int]]:
        return {pid: {s.id for s in skills if not s.retired} for pid, skills in self.skills.items()}

    def program_skills(self, program_id: int | None) -> list[SkillOption]:
        """The skills shown for a program (the first program's when none is chosen)."""
        chosen = program_id if program_id in self.skills else self.programs[0].id
        return [s for s in self.skills[chosen] if not s.retired]


def program_option(program: ProgramRow) -> ProgramOption:
    return ProgramOption(
        id=program.id,
        name=program.name,
        min_leader_stage=program.min_leader_stage,
        min_stage_gap=program.min_stage_gap,
        cadence_days=program.cadence_days,
    )


def skill_option(skill: SkillRow) -> SkillOption:
    return SkillOption(id=skill.id, name=skill.name, category=skill.category, retired=skill.retired)


async def load_enrollment(
    sessions: Sessions, *, team_id: str, user_id: str, now: datetime
) -> EnrollmentContext:
    async with sessions() as session, session.begin():
        await get_or_create_default_program(session, team_id, now=now)
        programs = await list_open_programs(session, team_id)
        skills = await list_skills(session, [p.id for p in programs])
        person = await get_person(session, team_id, user_id)
        draft = await _draft(session, person, programs) if person else None
    by_program: dict[int, list[SkillOption]] = {p.id: [] for p in programs}
    for skill in skills:
        by_program[skill.program_id].append(skill_option(skill))
    return EnrollmentContext(
        programs=[program_option(p) for p in programs],
        skills=by_program,
        draft=draft,
        display_name=person.name if person else "",
        account=profile_state(person),
    )


async def _draft(
    session: AsyncSession, person: PersonRow, programs: list[ProgramRow]
) -> ProfileDraft | None:
    memberships = await list_memberships(session, person.id, current_only=True)
    if person.career_stage is None and not memberships:
        return None
    open_ids = {p.id for p in programs}
    membership = next((m for m, p in memberships if p.id in open_ids), None)
    skills = await list_person_skills(session, person.id)
    return ProfileDraft(
        program_id=membership.program_id if membership else None,
        role=Role(membership.role) if membership else None,
        career_stage=CareerStage(person.career_stage) if person.career_stage else None,
        department=person.department,
        teaches=frozenset(s.id for s in skills[SkillKind.TEACH]),
        learns=frozenset(s.id for s in skills[SkillKind.LEARN]),
        goals=person.goals,
        cadence_days=membership.cadence_days if membership else None,
        max_mentees=membership.max_mentees if membership else 1,
        manager_slack_id=person.manager_slack_id,
    )


class ProgramClosedError(Exception):
    """The program closed between opening the modal and submitting it."""


class AccountInactiveError(Exception):
    """The person was taken out (deleted or guest account) and Slack has not said otherwise."""


@dataclass(frozen=True)
class EnrollmentSaved:
    program_name: str
    joined: bool  # a new (or renewed) membership, not an edit
    next_round_on: date | None = None  # None: the program's admins start it


async def record_enrollment(
    sessions: Sessions, *, team_id: str, user_id: str, form: EnrollmentForm, now: datetime
) -> EnrollmentSaved:
    """Save the profile and the membership together, and welcome a newcomer by DM."""
    async with sessions() as session, session.begin():
        program = await get_program(session, team_id, form.program_id)
        if program is None or not program.is_open:
            raise ProgramClosedError(form.program_id)
        # Read before the first write: on SQLite the write lock is held from there on.
        next_round = (await list_next_round_dates(session, [program], today=now.date()))[program.id]
        person, _ = await get_or_create_person(session, team_id, user_id, now=now)
        if not person.is_active:
            raise AccountInactiveError(user_id)
        person.career_stage = int(form.career_stage)
        person.department = form.department
        person.goals = form.goals
        person.manager_slack_id = form.manager_slack_id
        person.updated_at = now
        await replace_person_skills(
            session, person, program_id=program.id, teaches=form.teaches, learns=form.learns
        )
        membership = await get_membership(session, program.id, person.id)
        joined = membership is None or membership.status == MembershipStatus.LEFT.value
        if membership is None:
            membership = MembershipRow(
                team_id=team_id, program_id=program.id, person_id=person.id, joined_at=now
            )
            session.add(membership)
        membership.role = form.role.value
        membership.max_mentees = form.max_mentees
        membership.cadence_days = form.cadence_days
        if joined:
            membership.status = MembershipStatus.ACTIVE.value
            membership.paused_until = None
            membership.left_at = None
            membership.left_reason = None  # why they left last time no longer holds
            membership.joined_at = now
        await session.flush()
        if joined:
            await enqueue_message(
                session,
                team_id=team_id,
                key=f"welcome:{membership.id}:{now.isoformat()}",
                channel=user_id,
                payload=welcome_message(
                    program_name=program.name, role=form.role, next_round_on=next_round
                ),
                due_at=now,
            )
    logger.info("enrollment saved: membership %s (joined=%s)", membership.id, joined)
    return EnrollmentSaved(program_name=program.name, joined=joined, next_round_on=next_round)
