"""Workspaces, programs and their skill catalogues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import DEFAULT_CATALOGUE, normalise_skill
from bot.db.tables import MembershipRow, ProgramRow, SkillRow, WorkspaceRow
from bot.domain import MembershipStatus

DEFAULT_PROGRAM_NAME = "Reverse Mentoring"
DEFAULT_OBJECTIVES = (
    "Early-career colleagues share what they know — new platforms, AI tools, how their "
    "generation works — with leaders who want to learn it, and learn from them in return."
)


async def ensure_workspace(session: AsyncSession, team_id: str, *, now: datetime) -> None:
    if await session.get(WorkspaceRow, team_id) is not None:
        return
    try:
        async with session.begin_nested():  # another request may create it first
            session.add(WorkspaceRow(team_id=team_id, name="", created_at=now))
    except IntegrityError:
        pass


async def get_or_create_default_program(
    session: AsyncSession, team_id: str, *, now: datetime
) -> ProgramRow:
    """The program `/mentor join` enrolls into until an admin creates one (PRODUCT §2)."""
    await ensure_workspace(session, team_id, now=now)
    program = await session.scalar(
        select(ProgramRow).where(ProgramRow.team_id == team_id, ProgramRow.is_default)
    )
    if program is not None:
        return program
    try:
        async with session.begin_nested():  # two first-time joins at once: one creates it
            return await _create_default_program(session, team_id, now=now)
    except IntegrityError:
        existing = await session.scalar(
            select(ProgramRow).where(ProgramRow.team_id == team_id, ProgramRow.is_default)
        )
        assert existing is not None
        return existing


async def _create_default_program(
    session: AsyncSession, team_id: str, *, now: datetime
) -> ProgramRow:
    program = ProgramRow(
        team_id=team_id,
        name=DEFAULT_PROGRAM_NAME,
        objectives=DEFAULT_OBJECTIVES,
        is_default=True,
        is_open=True,
        created_at=now,
        updated_at=now,
    )
    session.add(program)
    await session.flush()
    session.add_all(
        SkillRow(
            team_id=team_id,
            program_id=program.id,
            name=name,
            name_key=normalise_skill(name),
            category=category,
            created_at=now,
        )
        for category, names in DEFAULT_CATALOGUE
        for name in names
    )
    await session.flush()
    return program


async def list_open_programs(session: AsyncSession, team_id: str) -> list[ProgramRow]:
    rows = await session.scalars(
        select(ProgramRow)
        .where(ProgramRow.team_id == team_id, ProgramRow.is_open)
        .order_by(ProgramRow.is_default.desc(), ProgramRow.name)
    )
    return list(rows)


async def get_program(session: AsyncSession, team_id: str, program_id: int) -> ProgramRow | None:
    program = await session.get(ProgramRow, program_id)
    return program if program is not None and program.team_id == team_id else None


async def list_skills(
    session: AsyncSession, program_ids: list[int], *, include_retired: bool = True
) -> list[SkillRow]:
    query = select(SkillRow).where(SkillRow.program_id.in_(program_ids))
    if not include_retired:
        query = query.where(SkillRow.retired.is_(False))
    return list(await session.scalars(query.order_by(SkillRow.category, SkillRow.name)))


@dataclass(frozen=True)
class ProgramCounts:
    program: ProgramRow
    members: int  # active or paused
    paused: int
    skills: int  # not retired


async def list_open_programs_with_counts(
    session: AsyncSession, team_id: str
) -> list[ProgramCounts]:
    """Open programs with their member and skill counts, in one query however many."""

    def count(
        row: type[MembershipRow | SkillRow], *where: ColumnElement[bool]
    ) -> ScalarSelect[int]:
        return (
            select(func.count())
            .select_from(row)
            .where(row.program_id == ProgramRow.id, *where)
            .correlate(ProgramRow)
            .scalar_subquery()
        )

    current = (MembershipStatus.ACTIVE.value, MembershipStatus.PAUSED.value)
    rows = await session.execute(
        select(
            ProgramRow,
            count(MembershipRow, MembershipRow.status.in_(current)),
            count(MembershipRow, MembershipRow.status == MembershipStatus.PAUSED.value),
            count(SkillRow, SkillRow.retired.is_(False)),
        )
        .where(ProgramRow.team_id == team_id, ProgramRow.is_open)
        .order_by(ProgramRow.is_default.desc(), ProgramRow.name)
    )
    return [ProgramCounts(p, int(m), int(paused), int(k)) for p, m, paused, k in rows.all()]
