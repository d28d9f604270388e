"""The admin's Home overview (issue 9, point 8): every program, its current round and
counts, in the same few queries however many programs, rounds and pairs there are."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta

from sqlalchemy import update

from bot.db.tables import RoundRow
from bot.domain import MembershipStatus, PairStatus, Role, RoundStatus
from bot.services.programs import list_admin_overview
from bot.slack.views.models import ProgramSummary
from tests.db.test_status_queries import NOW, TEAM, Counted, World, counted

__all__ = ["counted"]  # the fixture, shared with the status query tests


async def test_admin_overview_counts_in_three_queries_however_many_programs(
    counted: Counted,
) -> None:
    world = World(counted.sessions)
    await world.workspace()
    first = await world.program("Reverse Mentoring", default=True, skills=5)
    people = [await world.person(f"U0P{n}", f"P{n}") for n in range(6)]
    await world.join(first, people[0], Role.MENTOR)
    await world.join(first, people[1], Role.MENTEE, status=MembershipStatus.PAUSED)
    await world.join(first, people[2], Role.MENTEE, status=MembershipStatus.LEFT)
    await world.pair(first, people[0], people[1], meetings=2)

    def overview() -> Awaitable[list[ProgramSummary]]:
        return list_admin_overview(counted.sessions, team_id=TEAM, now=NOW + timedelta(days=1))

    one, alone = await counted.count(overview)
    second = await world.program("AI Pilot", skills=2)
    await world.program("Archived", is_open=False, skills=0)
    for person in people:
        await world.join(second, person, Role.EITHER)
    await world.pair(second, people[0], people[1], meetings=1)
    await world.pair(second, people[2], people[3])
    await world.pair(second, people[4], people[5], status=PairStatus.PROPOSED)
    await world.pair(second, people[3], people[4], status=PairStatus.DECLINED)
    many, summaries = await counted.count(overview)

    assert many == one, counted.statements
    selects = [s for s in counted.statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3, selects  # programs and counts, current rounds, pair counts
    assert [(s.name, s.members, s.matched, s.met, s.awaiting_consent) for s in alone] == [
        ("Reverse Mentoring", 2, 1, 1, 0)
    ]
    assert [
        (s.name, s.is_open, s.members, s.paused, s.skills, s.matched, s.met, s.awaiting_consent)
        for s in summaries
    ] == [
        ("Reverse Mentoring", True, 2, 1, 5, 1, 1, 0),
        ("AI Pilot", True, 6, 0, 2, 2, 1, 1),
        ("Archived", False, 0, 0, 0, 0, 0, 0),  # closed programs are listed too
    ]
    pilot = summaries[1]
    assert pilot.current_round is not None
    assert (pilot.current_round.number, pilot.current_round.status) == (1, RoundStatus.DRAFT)
    assert pilot.next_round_on == (NOW + timedelta(weeks=12)).date()


async def test_a_round_that_ended_or_was_cancelled_is_not_current(counted: Counted) -> None:
    world = World(counted.sessions)
    await world.workspace()
    program = await world.program("AI Pilot")
    person_a = await world.person("U0A", "A")
    person_b = await world.person("U0B", "B")
    await world.pair(program, person_a, person_b, meetings=1)
    after_it_ends = NOW + timedelta(weeks=12, seconds=1)
    [ended] = await list_admin_overview(counted.sessions, team_id=TEAM, now=after_it_ends)
    assert (ended.current_round, ended.matched, ended.met, ended.next_round_on) == (
        None,
        0,
        0,
        None,
    )
    async with counted.sessions() as session, session.begin():
        await session.execute(update(RoundRow).values(status=RoundStatus.CANCELLED.value))
    [cancelled] = await list_admin_overview(counted.sessions, team_id=TEAM, now=NOW)
    assert cancelled.current_round is None and cancelled.matched == 0
