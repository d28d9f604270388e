"""First use races: two people join at once in a brand-new workspace."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import Sessions, build_engine, build_sessions
from bot.db.people import get_or_create_person
from bot.db.tables import PersonRow, ProgramRow, SkillRow, WorkspaceRow
from bot.services.enrollment import load_enrollment

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


async def test_concurrent_first_joins_make_one_default_program(
    sessions: Sessions, database_url: str
) -> None:
    engines = [build_engine(database_url) for _ in range(4)]
    try:
        contexts = await asyncio.gather(
            *(
                load_enrollment(build_sessions(e), team_id="T1", user_id=f"U00{n}", now=NOW)
                for n, e in enumerate(engines)
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert len({c.programs[0].id for c in contexts}) == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WorkspaceRow)) == 1
        assert await session.scalar(select(func.count()).select_from(ProgramRow)) == 1
        skills = await session.scalar(select(func.count()).select_from(SkillRow))
    assert skills == len(contexts[0].skills[contexts[0].programs[0].id])


async def test_get_or_create_person_twice_at_once(sessions: Sessions, database_url: str) -> None:
    async with sessions() as session, session.begin():
        session.add(WorkspaceRow(team_id="T1", name="", created_at=NOW))
    engines = [build_engine(database_url) for _ in range(2)]

    async def create(engine: AsyncEngine) -> bool:
        async with build_sessions(engine)() as session, session.begin():
            _person, created = await get_or_create_person(session, "T1", "U1", now=NOW)
            await asyncio.sleep(0.05)
            return created

    try:
        results = await asyncio.gather(*(create(e) for e in engines), return_exceptions=True)
    finally:
        for engine in engines:
            await engine.dispose()
    assert all(not isinstance(r, BaseException) for r in results), results
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(PersonRow)) == 1
