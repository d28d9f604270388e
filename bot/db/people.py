"""Profiles, their skills, memberships and current partners."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.tables import (
    MeetingRow,
    MembershipRow,
    PairRow,
    PersonRow,
    PersonSkillRow,
    ProgramRow,
    SkillRow,
)
from bot.domain import MembershipStatus, PairStatus, SkillKind


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
    session: AsyncSession, person_id: int, *, current_only: bool = False
) -> list[tuple[MembershipRow, ProgramRow]]:
    query = (
        select(MembershipRow, ProgramRow)
        .join(ProgramRow, ProgramRow.id == MembershipRow.program_id)
        .where(MembershipRow.person_id == person_id)
        .order_by(ProgramRow.is_default.desc(), ProgramRow.name)
    )
    if current_only:
        query = query.where(MembershipRow.status != MembershipStatus.LEFT.value)
    return [(m, p) for m, p in (await session.execute(query)).all()]


async def list_current_memberships(
    session: AsyncSession, team_id: str, user_id: str
) -> tuple[PersonRow | None, list[tuple[MembershipRow, ProgramRow]]]:
    """The person (if known) and the programs they are in now (not left)."""
    person = await get_person(session, team_id, user_id)
    if person is None:
        return None, []
    return person, await list_memberships(session, person.id, current_only=True)


@dataclass(frozen=True)
class PartnerLink:
    pair: PairRow
    partner: PersonRow


async def list_active_partners(
    session: AsyncSession, person_id: int, *, program_id: int | None = None
) -> list[PartnerLink]:
    """Everyone currently paired with this person (a mentor may have several leaders)."""
    query = select(PairRow).where(
        PairRow.status == PairStatus.ACTIVE.value,
        or_(PairRow.mentor_id == person_id, PairRow.mentee_id == person_id),
    )
    if program_id is not None:
        query = query.where(PairRow.program_id == program_id)
    links = []
    for pair in (await session.scalars(query.order_by(PairRow.id))).all():
        other_id = pair.mentee_id if pair.mentor_id == person_id else pair.mentor_id
        partner = await session.get(PersonRow, other_id) if other_id is not None else None
        if partner is not None:
            links.append(PartnerLink(pair, partner))
    return links


async def count_meetings(session: AsyncSession, pair_ids: list[int]) -> int:
    if not pair_ids:
        return 0
    total = await session.scalar(
        select(func.count()).select_from(MeetingRow).where(MeetingRow.pair_id.in_(pair_ids))
    )
    return int(total or 0)
