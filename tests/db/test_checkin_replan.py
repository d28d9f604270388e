"""A program's new check-in days or time move its check-ins not sent yet (and only those)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.engine import Sessions
from bot.db.tables import CheckinRow, PairRow, PersonRow, ProgramRow
from bot.domain import CheckinStatus
from bot.services.checkin_plan import plan_due_at
from bot.services.programs import load_program_form, record_program
from tests.db.test_stalled_pairs import LEADER, MENTOR, T0, TEAM, World


async def test_a_programs_new_days_and_time_replan_scheduled_check_ins_only(
    sessions: Sessions,
) -> None:
    world = World(sessions)
    await world.build()
    pair_id = await world.pair()
    async with sessions() as session, session.begin():
        pair = await session.get(PairRow, pair_id)
        program = await session.get(ProgramRow, world.program_id)
        assert pair and program
        for user_id, status in ((MENTOR, CheckinStatus.SENT), (LEADER, CheckinStatus.SCHEDULED)):
            person = await session.get(PersonRow, world.people[user_id])
            assert person
            session.add(CheckinRow(team_id=TEAM, pair_id=pair_id, person_id=person.id,
                                   sequence=1, due_at=plan_due_at(pair, program, person, 1),
                                   status=status.value))  # fmt: skip
    async with sessions() as session:
        before = {c.person_id: c.due_at for c in await session.scalars(select(CheckinRow))}
    form = await load_program_form(sessions, team_id=TEAM, program_id=world.program_id)
    assert form is not None
    fridays_at_8 = replace(form.settings, checkin_days=0b10000, checkin_minute=8 * 60)
    saved = await record_program(sessions, team_id=TEAM, program_id=world.program_id,
                                 settings=fridays_at_8, now=T0 + timedelta(days=1))  # fmt: skip
    assert not isinstance(saved, type(None))
    async with sessions() as session:
        after = {c.person_id: c.due_at for c in await session.scalars(select(CheckinRow))}
        program = await session.get(ProgramRow, world.program_id)
        assert program and (program.checkin_days, program.checkin_minute) == (0b10000, 480)
    assert after[world.people[MENTOR]] == before[world.people[MENTOR]]  # sent: history
    moved = after[world.people[LEADER]].astimezone(ZoneInfo("America/New_York"))
    assert (moved.weekday(), moved.hour, moved.minute) == (4, 8, 0)
    assert moved.date() >= (T0 + timedelta(days=14)).astimezone(UTC).date()
    assert datetime(2026, 12, 24, tzinfo=UTC) < moved < datetime(2026, 12, 27, tzinfo=UTC)
