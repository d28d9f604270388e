"""Workspaces, programs and their skill catalogues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import DEFAULT_CATALOGUE, normalise_skill
from bot.db.tables import MembershipRow, ProgramRow, RoundRow, SkillRow, WorkspaceRow
from bot.domain import MembershipStatus, RoundStatus
from bot.round_dates import get_next_round_date

# Read in sentences as "You're in the Reverse mentoring program" (views/status.py
# program_in_sentence). The first wave's name read like a brand; a default program
# still called that is renamed when next loaded, a name an admin chose is kept.
DEFAULT_PROGRAM_NAME = "Reverse mentoring program"
OLD_DEFAULT_PROGRAM_NAME = "Reverse Mentoring"
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
        if program.name == OLD_DEFAULT_PROGRAM_NAME:
            program.name = DEFAULT_PROGRAM_NAME
            program.updated_at = now
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


async def list_next_round_dates(
    session: AsyncSession, programs: list[ProgramRow], *, today: date
) -> dict[int, date | None]:
    """Each program's next round start (`get_next_round_date`), in one query however many."""
    if not programs:
        return {}
    rows = await session.execute(
        select(RoundRow.program_id, func.max(RoundRow.ends_at))
        .where(
            RoundRow.program_id.in_([p.id for p in programs]),
            RoundRow.status != RoundStatus.CANCELLED.value,
        )
        .group_by(RoundRow.program_id)
    )
    last_ends = {program_id: ends_at for program_id, ends_at in rows.all()}
    return {
        p.id: get_next_round_date(
            starts_on=p.starts_on,
            round_weeks=p.round_weeks,
            last_round_ends_on=last_ends[p.id].date() if last_ends.get(p.id) else None,
            pairs_automatically=p.pairs_automatically,
            today=today,
        )
        for p in programs
    }
