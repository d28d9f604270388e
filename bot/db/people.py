"""Profiles, their skills, memberships and current partners."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import admins_of
from bot.db.tables import (
    CheckinRow,
    MeetingRow,
    MembershipRow,
    PairRow,
    PersonRow,
    PersonSkillRow,
    ProgramRow,
    SkillRow,
)
from bot.domain import CheckinStatus, MembershipStatus, PairStatus, SkillKind


async def get_person(session: AsyncSession, team_id: str, user_id: str) -> PersonRow | None:
    return await session.scalar(
        select(PersonRow).where(PersonRow.team_id == team_id, PersonRow.slack_user_id == user_id)
    )


async def get_or_create_person(
    session: AsyncSession, team_id: str, user_id: str, *, now: datetime
) -> tuple[PersonRow, bool]:
    person = await get_person(session, team_id, user_id)
    if person is not None:
        return person, False
    try:
        async with session.begin_nested():  # a double-clicked submit: one row wins
            person = PersonRow(
                team_id=team_id, slack_user_id=user_id, created_at=now, updated_at=now
            )
            session.add(person)
    except IntegrityError:
        existing = await get_person(session, team_id, user_id)
        assert existing is not None
        return existing, False
    return person, True


async def list_person_skills(
    session: AsyncSession, person_id: int
) -> dict[SkillKind, list[SkillRow]]:
    rows = await session.execute(
        select(PersonSkillRow.kind, SkillRow)
        .join(SkillRow, SkillRow.id == PersonSkillRow.skill_id)
        .where(PersonSkillRow.person_id == person_id)
        .order_by(SkillRow.name)
    )
    skills: dict[SkillKind, list[SkillRow]] = {kind: [] for kind in SkillKind}
    for kind, skill in rows.all():
        skills[SkillKind(kind)].append(skill)
    return skills


async def list_skills_of_people(
    session: AsyncSession, *, person_ids: Collection[int], program_ids: Collection[int]
) -> list[SkillRow]:
    """The active skills any of these people teach or want to learn in these programs,
    by name: what a reflection's topics and a story's skills are picked from."""
    if not person_ids or not program_ids:
        return []
    rows = await session.scalars(
        select(SkillRow)
        .join(PersonSkillRow, PersonSkillRow.skill_id == SkillRow.id)
        .where(
            PersonSkillRow.person_id.in_(list(person_ids)),
            SkillRow.program_id.in_(list(program_ids)),
            SkillRow.retired.is_(False),
        )
        .distinct()
        .order_by(SkillRow.name, SkillRow.id)
    )
    return list(rows)


async def replace_person_skills(
    session: AsyncSession,
    person: PersonRow,
    *,
    program_id: int,
    teaches: frozenset[int],
    learns: frozenset[int],
) -> None:
    """Set the person's skills from one program's catalogue, keeping other programs' skills."""
    in_program = select(SkillRow.id).where(SkillRow.program_id == program_id)
    await session.execute(
        delete(PersonSkillRow).where(
            PersonSkillRow.person_id == person.id, PersonSkillRow.skill_id.in_(in_program)
        )
    )
    session.add_all(
        PersonSkillRow(
            person_id=person.id, skill_id=skill_id, kind=kind.value, team_id=person.team_id
        )
        for kind, ids in ((SkillKind.TEACH, teaches), (SkillKind.LEARN, learns))
        for skill_id in sorted(ids)
    )
    await session.flush()


async def get_membership(
    session: AsyncSession, program_id: int, person_id: int
) -> MembershipRow | None:
    return await session.scalar(
        select(MembershipRow).where(
            MembershipRow.program_id == program_id, MembershipRow.person_id == person_id
        )
    )


async def list_memberships(
    session: AsyncSession, person_id: int, *, current_only: bool = False, for_update: bool = False
) -> list[tuple[MembershipRow, ProgramRow]]:
    """The person's memberships; `for_update` locks them against a concurrent sweep."""
    query = (
        select(MembershipRow, ProgramRow)
        .join(ProgramRow, ProgramRow.id == MembershipRow.program_id)
        .where(MembershipRow.person_id == person_id)
        .order_by(ProgramRow.is_default.desc(), ProgramRow.name)
    )
    if current_only:
        query = query.where(MembershipRow.status != MembershipStatus.LEFT.value)
    if for_update:
        query = query.with_for_update(of=MembershipRow)
    return [(m, p) for m, p in (await session.execute(query)).all()]


async def list_current_memberships(
    session: AsyncSession, team_id: str, user_id: str, *, for_update: bool = False
) -> tuple[PersonRow | None, list[tuple[MembershipRow, ProgramRow]]]:
    """The person (if known) and the programs they are in now (not left)."""
    person = await get_person(session, team_id, user_id)
    if person is None:
        return None, []
    memberships = await list_memberships(
        session, person.id, current_only=True, for_update=for_update
    )
    return person, memberships


async def get_person_and_memberships(
    session: AsyncSession, team_id: str, user_id: str
) -> tuple[PersonRow | None, list[tuple[MembershipRow, ProgramRow]]]:
    """The person (if known) and every program they joined, left ones too: one query."""
    rows = (
        await session.execute(
            select(PersonRow, MembershipRow, ProgramRow)
            .outerjoin(MembershipRow, MembershipRow.person_id == PersonRow.id)
            .outerjoin(ProgramRow, ProgramRow.id == MembershipRow.program_id)
            .where(PersonRow.team_id == team_id, PersonRow.slack_user_id == user_id)
            .order_by(ProgramRow.is_default.desc(), ProgramRow.name)
        )
    ).all()
    if not rows:
        return None, []
    memberships = [(m, p) for _person, m, p in rows if m is not None and p is not None]
    return rows[0][0], memberships


@dataclass(frozen=True)
class PartnerLink:
    pair: PairRow
    partner: PersonRow


async def list_active_partners(
    session: AsyncSession, person_id: int, *, program_id: int | None = None
) -> list[PartnerLink]:
    """Everyone currently paired with this person (a mentor may have several leaders).

    One query, partners joined in. A partner who erased their data (nulled in the
    pair) is left out.
    """
    query = _active_pairs(person_id)
    if program_id is not None:
        query = query.where(PairRow.program_id == program_id)
    return [PartnerLink(pair, partner) for pair, partner in (await session.execute(query)).all()]


@dataclass(frozen=True)
class PartnerActivity:
    link: PartnerLink
    meetings: int  # the pair's meetings so far
    next_checkin_at: datetime | None  # this person's next scheduled check-in for the pair


async def list_partners_and_meetings(
    session: AsyncSession, person_id: int
) -> list[PartnerActivity]:
    """Every current partner in every program, each with the pair's meetings so far and
    the person's next check-in for it.

    One query however many programs, partners and meetings (status and Home).
    """
    meetings = (
        select(func.count())
        .select_from(MeetingRow)
        .where(MeetingRow.pair_id == PairRow.id)
        .correlate(PairRow)
        .scalar_subquery()
    )
    next_checkin = (
        select(func.min(CheckinRow.due_at))
        .where(
            CheckinRow.pair_id == PairRow.id,
            CheckinRow.person_id == person_id,
            CheckinRow.status == CheckinStatus.SCHEDULED.value,
        )
        .correlate(PairRow)
        .scalar_subquery()
    )
    rows = await session.execute(_active_pairs(person_id).add_columns(meetings, next_checkin))
    return [
        PartnerActivity(PartnerLink(pair, partner), int(n), due)
        for pair, partner, n, due in rows.all()
    ]


def _active_pairs(person_id: int) -> Select[PairRow, PersonRow]:
    partner_id = case((PairRow.mentor_id == person_id, PairRow.mentee_id), else_=PairRow.mentor_id)
    return (
        select(PairRow, PersonRow)
        .join(PersonRow, PersonRow.id == partner_id)
        .where(
            PairRow.status == PairStatus.ACTIVE.value,
            or_(PairRow.mentor_id == person_id, PairRow.mentee_id == person_id),
        )
        .order_by(PairRow.id)
    )


def schedulable() -> ColumnElement[bool]:
    """People rounds and check-ins may plan for: active, and their Slack profile (name,
    time zone, guest or not) read at least once — defaults are never planned from."""
    return and_(PersonRow.is_active.is_(True), PersonRow.profile_synced_at.is_not(None))


def is_schedulable(person: PersonRow) -> bool:
    """`schedulable()` for a loaded row."""
    return person.is_active and person.profile_synced_at is not None


async def list_admin_user_ids(
    session: AsyncSession, *, team_id: str, configured: frozenset[str]
) -> list[str]:
    """Who hears private admin notices (help requests, the at-risk digest): the team's
    configured admins (`configured` is MENTORBOT_ADMIN_IDS) plus the workspace's admins
    and owners the bot knows of."""
    known = await session.scalars(
        select(PersonRow.slack_user_id).where(
            PersonRow.team_id == team_id,
            PersonRow.is_workspace_admin.is_(True),
            PersonRow.is_active.is_(True),
        )
    )
    return sorted(admins_of(configured, team_id) | set(known))
