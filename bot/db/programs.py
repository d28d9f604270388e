"""Workspaces, programs and their skill catalogues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import DEFAULT_CATALOGUE, normalise_skill
from bot.db.tables import (
    MeetingRow,
    MembershipRow,
    PairRow,
    ProgramRow,
    RoundRow,
    SkillRow,
    WorkspaceRow,
)
from bot.domain import MembershipStatus, PairStatus, RoundStatus
from bot.matching.model import WEIGHT_NAMES, Weights
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


def get_program_weights(program: ProgramRow) -> Weights:
    """The program's score weights (`programs.weights` JSON): each one stored and usable
    is taken, any other falls back to its default."""
    stored = program.weights if isinstance(program.weights, dict) else {}
    defaults = Weights()
    values = {}
    for name in WEIGHT_NAMES:
        value = stored.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            values[name] = float(value)
        else:
            values[name] = getattr(defaults, name)
        try:
            Weights(**{name: values[name]})
        except ValueError:  # out of range or not finite
            values[name] = getattr(defaults, name)
    return Weights(**values)


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
    await add_default_skills(session, program, now=now)
    return program


async def add_default_skills(session: AsyncSession, program: ProgramRow, *, now: datetime) -> None:
    """The starter skill catalogue, for a program that has none yet."""
    session.add_all(
        SkillRow(
            team_id=program.team_id,
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


def _count(row: type[MembershipRow | SkillRow], *where: ColumnElement[bool]) -> ScalarSelect[int]:
    """A correlated count of a program's memberships or skills, for a program query."""
    return (
        select(func.count())
        .select_from(row)
        .where(row.program_id == ProgramRow.id, *where)
        .correlate(ProgramRow)
        .scalar_subquery()
    )


async def list_open_programs_with_counts(
    session: AsyncSession, team_id: str
) -> list[ProgramCounts]:
    """Open programs with their member and skill counts, in one query however many."""

    current = (MembershipStatus.ACTIVE.value, MembershipStatus.PAUSED.value)
    rows = await session.execute(
        select(
            ProgramRow,
            _count(MembershipRow, MembershipRow.status.in_(current)),
            _count(MembershipRow, MembershipRow.status == MembershipStatus.PAUSED.value),
            _count(SkillRow, SkillRow.retired.is_(False)),
        )
        .where(ProgramRow.team_id == team_id, ProgramRow.is_open)
        .order_by(ProgramRow.is_default.desc(), ProgramRow.name)
    )
    return [ProgramCounts(p, int(m), int(paused), int(k)) for p, m, paused, k in rows.all()]


# --- program management (`/mentor admin`, the admin's Home) -------------------------


async def list_programs(session: AsyncSession, team_id: str) -> list[ProgramRow]:
    """Every program of the workspace, open or closed: the default first, then by name."""
    rows = await session.scalars(
        select(ProgramRow)
        .where(ProgramRow.team_id == team_id)
        .order_by(ProgramRow.is_default.desc(), ProgramRow.name)
    )
    return list(rows)


@dataclass(frozen=True)
class RoundCounts:
    round: RoundRow
    matched: int  # pairs introduced and going (active)
    met: int  # pairs of the round (active or ended) with a meeting recorded
    awaiting_consent: int  # pairs proposed, waiting for consent


@dataclass(frozen=True)
class ProgramOverviewRows:
    program: ProgramRow
    enrolled: int  # memberships active or paused
    paused: int
    skills: int  # not retired
    current: RoundCounts | None


async def list_program_overviews(
    session: AsyncSession, team_id: str, *, now: datetime
) -> list[ProgramOverviewRows]:
    """Every program with its counts and current round, in three queries however many.

    The current round is the latest one not cancelled that has not ended by `now`.
    """

    current = (MembershipStatus.ACTIVE.value, MembershipStatus.PAUSED.value)
    programs = (
        await session.execute(
            select(
                ProgramRow,
                _count(MembershipRow, MembershipRow.status.in_(current)),
                _count(MembershipRow, MembershipRow.status == MembershipStatus.PAUSED.value),
                _count(SkillRow, SkillRow.retired.is_(False)),
            )
            .where(ProgramRow.team_id == team_id)
            .order_by(ProgramRow.is_default.desc(), ProgramRow.name)
        )
    ).all()
    rounds = await session.scalars(
        select(RoundRow).where(
            RoundRow.team_id == team_id,
            RoundRow.status != RoundStatus.CANCELLED.value,
            RoundRow.ends_at > now,
        )
    )
    latest: dict[int, RoundRow] = {}
    for row in rounds:
        if row.program_id not in latest or row.number > latest[row.program_id].number:
            latest[row.program_id] = row
    counts: dict[int, tuple[int, int, int]] = {}
    if latest:
        met = select(MeetingRow.id).where(MeetingRow.pair_id == PairRow.id).exists()
        met_status = PairRow.status.in_((PairStatus.ACTIVE.value, PairStatus.ENDED.value))
        rows = await session.execute(
            select(
                PairRow.round_id,
                func.count().filter(PairRow.status == PairStatus.ACTIVE.value),
                func.count().filter(met_status, met),
                func.count().filter(PairRow.status == PairStatus.PROPOSED.value),
            )
            .where(PairRow.round_id.in_([r.id for r in latest.values()]))
            .group_by(PairRow.round_id)
        )
        counts = {round_id: (int(a), int(m), int(p)) for round_id, a, m, p in rows.all()}
    overviews = []
    for program, enrolled, paused, skills in programs:
        round_row = latest.get(program.id)
        current_round = None
        if round_row is not None:
            matched, met_count, proposed = counts.get(round_row.id, (0, 0, 0))
            current_round = RoundCounts(round_row, matched, met_count, proposed)
        overviews.append(
            ProgramOverviewRows(program, int(enrolled), int(paused), int(skills), current_round)
        )
    return overviews


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
