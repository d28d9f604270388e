"""Services are atomic on both databases, and concurrent read-modify-writes serialise."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db.engine import Sessions, reading
from bot.db.people import get_or_create_person
from bot.db.programs import ensure_workspace, get_or_create_default_program
from bot.db.tables import MembershipRow, PersonRow, WorkspaceRow
from bot.domain import MembershipStatus, Role
from bot.services.participation import pause, resume_due_pauses

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TEAM = "T0TXN0001"


class Boom(Exception):
    pass


async def _count(sessions: Sessions, row: type[object]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(row)) or 0)


async def test_a_failure_after_nested_steps_rolls_back_everything(sessions: Sessions) -> None:
    # ensure_workspace and get_or_create_person each use a SAVEPOINT; on SQLite,
    # pysqlite's own transaction handling used to commit the caller's work there.
    with pytest.raises(Boom):
        async with sessions() as session, session.begin():
            await ensure_workspace(session, TEAM, now=T0)
            await get_or_create_person(session, TEAM, "U0TXN0001", now=T0)
            raise Boom
    assert await _count(sessions, WorkspaceRow) == 0
    assert await _count(sessions, PersonRow) == 0


async def test_two_concurrent_read_modify_writes_lose_no_update(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        program = await get_or_create_default_program(session, TEAM, now=T0)
        person, _ = await get_or_create_person(session, TEAM, "U0TXN0004", now=T0)
        session.add(MembershipRow(team_id=TEAM, program_id=program.id, person_id=person.id,
                                  role=Role.MENTOR.value, max_mentees=1, joined_at=T0))  # fmt: skip

    async def add_one(delay: float) -> None:
        async with sessions() as session, session.begin():
            membership = await session.scalar(select(MembershipRow).with_for_update())
            assert membership is not None
            seen = membership.max_mentees
            await asyncio.sleep(delay)
            membership.max_mentees = seen + 1

    await asyncio.gather(add_one(0.2), add_one(0.0), add_one(0.1))
    async with sessions() as session:
        assert await session.scalar(select(MembershipRow.max_mentees)) == 4


async def test_pause_during_the_pause_expiry_sweep_is_not_lost(sessions: Sessions) -> None:
    user = "U0TXN0005"
    async with sessions() as session, session.begin():
        program = await get_or_create_default_program(session, TEAM, now=T0)
        person, _ = await get_or_create_person(session, TEAM, user, now=T0)
        session.add(MembershipRow(
            team_id=TEAM, program_id=program.id, person_id=person.id, role=Role.MENTOR.value,
            max_mentees=1, joined_at=T0, status=MembershipStatus.PAUSED.value,
            paused_until=T0 - timedelta(minutes=1),
        ))  # fmt: skip
    # The person pauses for two more weeks while the sweep ends their old pause:
    # whichever runs first, the new pause stands afterwards.
    for _ in range(5):
        await asyncio.gather(
            resume_due_pauses(sessions, now=T0),
            pause(sessions, team_id=TEAM, user_id=user, weeks=2, now=T0),
        )
        async with sessions() as session:
            membership = await session.scalar(select(MembershipRow))
        assert membership is not None
        assert membership.status == MembershipStatus.PAUSED.value
        assert membership.paused_until == T0 + timedelta(weeks=2)
        async with sessions() as session, session.begin():
            membership = await session.scalar(select(MembershipRow))
            assert membership is not None
            membership.paused_until = T0 - timedelta(minutes=1)


async def test_a_reading_session_does_not_wait_for_a_writer(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        await ensure_workspace(session, TEAM, now=T0)
    async with sessions() as writer, writer.begin():
        writer.add(PersonRow(team_id=TEAM, slack_user_id="U0TXN0006", created_at=T0,
                             updated_at=T0))  # fmt: skip
        await writer.flush()
        async with reading(sessions) as reader:
            count = await asyncio.wait_for(
                reader.scalar(select(func.count()).select_from(PersonRow)), timeout=2
            )
        assert count == 0  # the writer's row is not visible before it commits
