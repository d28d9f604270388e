"""The at-risk rule of bot/risk.py as SQL: one query over the pairs, however many.

"No meeting for two cadence periods" compares each pair's episode start with
`now - 2 × cadence`, the cadence being the pair's own or its program's. The database
does that arithmetic (each dialect its own way, below), so a sweep where nothing is due
reads no pair into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from bot.db.tables import MeetingRow, PairRow, PersonRow, ProgramRow, UTCDateTime
from bot.domain import PairStatus
from bot.risk import RISK_PERIODS, AtRiskPair, parse_risk_answer, risk_base


class _HoursBefore(FunctionElement[datetime]):
    """`moment - hours` as a timestamp comparable with stored UTCDateTime columns."""

    type = UTCDateTime()
    name = "hours_before"
    inherit_cache = True


class _UTCMidnight(FunctionElement[datetime]):
    """A DATE column as the instant of its UTC midnight."""

    type = UTCDateTime()
    name = "utc_midnight"
    inherit_cache = True


@compiles(_HoursBefore, "postgresql")
def _hours_before_pg(element: _HoursBefore, compiler: SQLCompiler, **kw: Any) -> str:
    moment, hours = (compiler.process(c, **kw) for c in element.clauses)
    # Hours, not days: a day of timestamptz arithmetic follows the session's zone.
    return f"(CAST({moment} AS TIMESTAMP WITH TIME ZONE) - make_interval(hours => {hours}))"


@compiles(_HoursBefore, "sqlite")
def _hours_before_sqlite(element: _HoursBefore, compiler: SQLCompiler, **kw: Any) -> str:
    moment, hours = (compiler.process(c, **kw) for c in element.clauses)
    # SQLite keeps UTCDateTime as 'YYYY-MM-DD HH:MM:SS.ffffff' text; strftime's %f has
    # milliseconds, padded back to six digits so the texts compare as the instants do.
    return f"(strftime('%Y-%m-%d %H:%M:%f', {moment}, '-' || ({hours}) || ' hours') || '000')"


@compiles(_UTCMidnight, "postgresql")
def _utc_midnight_pg(element: _UTCMidnight, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST({day} AS TIMESTAMP) AT TIME ZONE 'UTC')"


@compiles(_UTCMidnight, "sqlite")
def _utc_midnight_sqlite(element: _UTCMidnight, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"({day} || ' 00:00:00.000000')"


def _last_meetings() -> Any:
    return (
        select(MeetingRow.pair_id, func.max(MeetingRow.met_on).label("met_on"))
        .group_by(MeetingRow.pair_id)
        .subquery("last_meetings")
    )


@dataclass(frozen=True)
class _Rule:
    """The at-risk condition's parts, over pairs ⋈ programs ⟕ last meetings."""

    last: Any
    started: ColumnElement[datetime]
    met: ColumnElement[datetime]
    at_risk: ColumnElement[bool]
    newly: ColumnElement[bool]


def _rule(now: datetime) -> _Rule:
    last = _last_meetings()
    cadence = func.coalesce(PairRow.cadence_days, ProgramRow.cadence_days)
    cutoff = _HoursBefore(
        bindparam("risk_now", now, type_=UTCDateTime()), cadence * (24 * RISK_PERIODS)
    )
    started = func.coalesce(PairRow.introduced_at, PairRow.created_at)
    met = _UTCMidnight(last.c.met_on)
    cleared, asked = PairRow.risk_cleared_at, PairRow.risk_asked_at
    at_risk = and_(
        PairRow.status == PairStatus.ACTIVE.value,
        started <= cutoff,
        or_(last.c.met_on.is_(None), met <= cutoff),
        or_(cleared.is_(None), cleared <= cutoff),
    )
    # Asked before this episode began (or never): ask again.
    newly = or_(
        asked.is_(None),
        asked < started,
        and_(last.c.met_on.is_not(None), asked < met),
        and_(cleared.is_not(None), asked < cleared),
    )
    return _Rule(last, started, met, at_risk, newly)


@dataclass(frozen=True)
class NewlyAtRisk:
    pair: PairRow
    program: ProgramRow
    last_met_on: date | None

    @property
    def base(self) -> datetime:
        started = self.pair.introduced_at or self.pair.created_at
        return risk_base(
            started_at=started, last_met_on=self.last_met_on, cleared_at=self.pair.risk_cleared_at
        )


async def list_newly_at_risk(
    session: AsyncSession, *, now: datetime, also: Sequence[ColumnElement[bool]] = ()
) -> list[NewlyAtRisk]:
    """Active pairs at risk whose partners were not asked in this episode, locked
    (others skipped: a second process asks nobody twice). One query."""
    rule = _rule(now)
    rows = await session.execute(
        select(PairRow, ProgramRow, rule.last.c.met_on)
        .join(ProgramRow, ProgramRow.id == PairRow.program_id)
        .outerjoin(rule.last, rule.last.c.pair_id == PairRow.id)
        .where(rule.at_risk, rule.newly, *also)
        .order_by(PairRow.id)
        .with_for_update(of=PairRow, skip_locked=True)
    )
    return [NewlyAtRisk(pair, program, met_on) for pair, program, met_on in rows.all()]


async def list_teams_with_pairs_at_risk(
    session: AsyncSession, *, now: datetime, also: Sequence[ColumnElement[bool]] = ()
) -> list[str]:
    rule = _rule(now)
    found = await session.scalars(
        select(PairRow.team_id)
        .join(ProgramRow, ProgramRow.id == PairRow.program_id)
        .outerjoin(rule.last, rule.last.c.pair_id == PairRow.id)
        .where(rule.at_risk, *also)
        .distinct()
    )
    return sorted(found)


async def list_at_risk_pairs(
    session: AsyncSession, *, team_id: str, now: datetime, limit: int
) -> tuple[list[AtRiskPair], int]:
    """The workspace's at-risk pairs, longest without a meeting first (up to `limit`),
    and how many there are in all."""
    rule = _rule(now)
    mentor, mentee = aliased(PersonRow), aliased(PersonRow)
    scope = (
        select(PairRow.id)
        .join(ProgramRow, ProgramRow.id == PairRow.program_id)
        .outerjoin(rule.last, rule.last.c.pair_id == PairRow.id)
        .where(PairRow.team_id == team_id, rule.at_risk)
    )
    total = await session.scalar(select(func.count()).select_from(scope.subquery())) or 0
    if not total:
        return [], 0
    rows = await session.execute(
        select(
            PairRow, ProgramRow.name, mentor.slack_user_id, mentee.slack_user_id, rule.last.c.met_on
        )
        .join(ProgramRow, ProgramRow.id == PairRow.program_id)
        .outerjoin(rule.last, rule.last.c.pair_id == PairRow.id)
        .outerjoin(mentor, mentor.id == PairRow.mentor_id)
        .outerjoin(mentee, mentee.id == PairRow.mentee_id)
        .where(PairRow.team_id == team_id, rule.at_risk)
        .order_by(func.coalesce(rule.met, rule.started), PairRow.id)
        .limit(limit)
    )
    found = []
    for pair, program_name, mentor_user, mentee_user, met_on in rows.all():
        base = risk_base(
            started_at=pair.introduced_at or pair.created_at,
            last_met_on=met_on,
            cleared_at=pair.risk_cleared_at,
        )
        found.append(
            AtRiskPair(
                pair_id=pair.id,
                program_name=program_name,
                mentor_user_id=mentor_user,
                mentee_user_id=mentee_user,
                since=base,
                last_met_on=met_on,
                mentor_answer=parse_risk_answer(pair.mentor_risk),
                mentee_answer=parse_risk_answer(pair.mentee_risk),
            )
        )
    found.sort(key=lambda p: (p.since, p.pair_id))
    return found, total


async def count_at_risk_pairs(
    session: AsyncSession, *, team_id: str, program_id: int, now: datetime
) -> int:
    """How many of one program's pairs are at risk now (the program report's count)."""
    rule = _rule(now)
    scope = (
        select(PairRow.id)
        .join(ProgramRow, ProgramRow.id == PairRow.program_id)
        .outerjoin(rule.last, rule.last.c.pair_id == PairRow.id)
        .where(PairRow.team_id == team_id, PairRow.program_id == program_id, rule.at_risk)
    )
    return await session.scalar(select(func.count()).select_from(scope.subquery())) or 0
