"""`/mentor status` and the Home tab read in a fixed number of queries.

However many memberships, partners, meetings and programs there are, the same
statements run (issue 7, point 16); and what they return is what the per-row reads
returned before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import Sessions, build_engine, build_sessions
from bot.db.people import list_active_partners
from bot.db.tables import (
    CheckinRow,
    MeetingRow,
    MembershipRow,
    PairRow,
    PersonRow,
    PersonSkillRow,
    ProgramRow,
    RoundRow,
    SkillRow,
    WorkspaceRow,
)
from bot.domain import (
    CareerStage,
    CheckinStatus,
    MembershipStatus,
    PairStatus,
    Role,
    SkillKind,
)
from bot.services.participation import get_personal_status, list_program_summaries
from bot.slack.views.models import MembershipSummary, Partner, PersonalStatus, ProgramSummary

TEAM = "T1"
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
PAUSED_UNTIL = NOW + timedelta(weeks=3)


@dataclass
class Counted:
    """Sessions on their own engine, with every SQL statement it sends counted."""

    sessions: Sessions
    engine: AsyncEngine
    statements: list[str]

    async def count(self, work: Callable[[], Awaitable[Any]]) -> tuple[int, Any]:
        self.statements.clear()
        result = await work()
        return len(self.statements), result


@pytest.fixture
async def counted(sessions: Sessions, database_url: str) -> AsyncIterator[Counted]:
    # `sessions` empties the tables afterwards; this engine is the one that is watched.
    engine = build_engine(database_url)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    async with engine.connect():  # first-connect setup is not the code under test
        pass
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield Counted(build_sessions(engine), engine, statements)
    finally:
        await engine.dispose()


class World:
    """Builds programs, people, pairs and meetings directly as rows."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self._round: dict[int, int] = {}
        self._day = 0

    async def workspace(self) -> None:
        async with self.sessions() as session, session.begin():
            session.add(WorkspaceRow(team_id=TEAM, name="", created_at=NOW))

    async def program(
        self, name: str, *, default: bool = False, is_open: bool = True, skills: int = 3
    ) -> int:
        async with self.sessions() as session, session.begin():
            program = ProgramRow(
                team_id=TEAM,
                name=name,
                is_default=default,
                is_open=is_open,
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(program)
            await session.flush()
            session.add_all(
                SkillRow(
                    team_id=TEAM,
                    program_id=program.id,
                    name=f"{name} skill {n}",
                    name_key=f"{name} skill {n}".lower(),
                    category="C",
                    retired=n == 0,
                    created_at=NOW,
                )
                for n in range(skills + 1)  # the first one retired
            )
            round_ = RoundRow(
                team_id=TEAM,
                program_id=program.id,
                number=1,
                starts_at=NOW,
                ends_at=NOW + timedelta(weeks=12),
                created_at=NOW,
            )
            session.add(round_)
            await session.flush()
            self._round[program.id] = round_.id
            return program.id

    async def person(
        self, user_id: str, name: str, *, teaches: Sequence[str] = (), learns: Sequence[str] = ()
    ) -> int:
        async with self.sessions() as session, session.begin():
            person = PersonRow(
                team_id=TEAM,
                slack_user_id=user_id,
                name=name,
                career_stage=2,
                department="Design",
                goals="Learn to lead",
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(person)
            await session.flush()
            for kind, names in ((SkillKind.TEACH, teaches), (SkillKind.LEARN, learns)):
                for skill_name in names:
                    skill = SkillRow(
                        team_id=TEAM,
                        program_id=min(self._round),
                        name=skill_name,
                        name_key=skill_name.lower(),
                        category="C",
                        created_at=NOW,
                    )
                    session.add(skill)
                    await session.flush()
                    session.add(
                        PersonSkillRow(
                            person_id=person.id, skill_id=skill.id, kind=kind.value, team_id=TEAM
                        )
                    )
            return person.id

    async def join(
        self,
        program_id: int,
        person_id: int,
        role: Role,
        status: MembershipStatus = MembershipStatus.ACTIVE,
        paused_until: datetime | None = None,
    ) -> None:
        async with self.sessions() as session, session.begin():
            session.add(
                MembershipRow(
                    team_id=TEAM,
                    program_id=program_id,
                    person_id=person_id,
                    role=role.value,
                    status=status.value,
                    paused_until=paused_until,
                    joined_at=NOW,
                )
            )

    async def pair(
        self,
        program_id: int,
        mentor_id: int | None,
        mentee_id: int | None,
        *,
        meetings: int = 0,
        next_checkin_at: datetime | None = None,
        status: PairStatus = PairStatus.ACTIVE,
    ) -> None:
        async with self.sessions() as session, session.begin():
            pair = PairRow(
                team_id=TEAM,
                program_id=program_id,
                round_id=self._round[program_id],
                mentor_id=mentor_id,
                mentee_id=mentee_id,
                status=status.value,
                created_at=NOW,
            )
            session.add(pair)
            await session.flush()
            for person_id in (mentor_id, mentee_id) if next_checkin_at else ():
                # The next one counts; an earlier one already sent does not.
                for sequence, due, state in (
                    (1, next_checkin_at - timedelta(days=7), CheckinStatus.SENT),
                    (2, next_checkin_at, CheckinStatus.SCHEDULED),
                    (3, next_checkin_at + timedelta(days=7), CheckinStatus.SCHEDULED),
                ):
                    session.add(
                        CheckinRow(
                            team_id=TEAM, pair_id=pair.id, person_id=person_id,
                            sequence=sequence, due_at=due, status=state.value,
                        )
                    )  # fmt: skip
            for _ in range(meetings):
                self._day += 1
                session.add(
                    MeetingRow(
                        team_id=TEAM,
                        pair_id=pair.id,
                        met_on=date(2026, 1, 1) + timedelta(days=self._day),
                        recorded_by=mentor_id,
                        created_at=NOW,
                    )
                )


async def build_rich_world(world: World) -> None:
    """Sam: three programs (mentor of three, a paused leader, one left), ended and
    erased pairs around them; Lee: one program, one partner, one meeting."""
    await world.workspace()
    main = await world.program("Reverse Mentoring", default=True)
    pilot = await world.program("AI Pilot")
    exchange = await world.program("Exchange")
    await world.program("Archived", is_open=False)
    sam = await world.person("U0SAM", "Sam", teaches=["Prompting", "Figma"], learns=["Budgets"])
    lee = await world.person("U0LEE", "Lee")
    kim, ola, raj, eve, zoe = [
        await world.person(f"U0{name.upper()}", name)
        for name in ("Kim", "Ola", "Raj", "Eve", "Zoe")
    ]
    await world.join(main, sam, Role.MENTOR)
    await world.join(
        pilot, sam, Role.MENTEE, status=MembershipStatus.PAUSED, paused_until=PAUSED_UNTIL
    )
    await world.join(exchange, sam, Role.EITHER, status=MembershipStatus.LEFT)
    for person in (kim, ola, raj):
        await world.join(main, person, Role.MENTEE)
    await world.join(pilot, eve, Role.MENTOR)
    await world.join(main, lee, Role.MENTOR)
    await world.join(main, zoe, Role.MENTEE)
    await world.pair(main, sam, kim, meetings=2, next_checkin_at=NOW + timedelta(days=5))
    await world.pair(main, sam, ola, meetings=3, next_checkin_at=NOW + timedelta(days=2))
    await world.pair(main, sam, raj)
    await world.pair(main, sam, None, meetings=4)  # the leader erased their data
    await world.pair(main, sam, zoe, meetings=7, status=PairStatus.ENDED)
    await world.pair(pilot, eve, sam, meetings=1, next_checkin_at=NOW + timedelta(days=9))
    await world.pair(exchange, sam, eve, meetings=5, status=PairStatus.ENDED)
    await world.pair(main, lee, zoe, meetings=1, next_checkin_at=NOW + timedelta(days=1))


def sam_status(main: int, pilot: int, exchange: int) -> PersonalStatus:
    return PersonalStatus(
        name="Sam",
        career_stage=CareerStage(2),
        department="Design",
        goals="Learn to lead",
        teaches=("Figma", "Prompting"),
        learns=("Budgets",),
        memberships=(
            MembershipSummary(
                program_id=main,
                program_name="Reverse Mentoring",
                role=Role.MENTOR,
                status=MembershipStatus.ACTIVE,
                partners=(
                    Partner("U0KIM", "Kim"),
                    Partner("U0OLA", "Ola"),
                    Partner("U0RAJ", "Raj"),
                ),
                next_checkin_at=NOW + timedelta(days=2),
                meetings_count=5,
            ),
            MembershipSummary(
                program_id=pilot,
                program_name="AI Pilot",
                role=Role.MENTEE,
                status=MembershipStatus.PAUSED,
                paused_until=PAUSED_UNTIL,
                partners=(Partner("U0EVE", "Eve"),),
                next_checkin_at=NOW + timedelta(days=9),
                meetings_count=1,
            ),
            MembershipSummary(
                program_id=exchange,
                program_name="Exchange",
                role=Role.EITHER,
                status=MembershipStatus.LEFT,
            ),
        ),
    )


async def program_ids(sessions: Sessions) -> dict[str, int]:
    summaries = await list_program_summaries(sessions, team_id=TEAM)
    return {s.name: s.id for s in summaries}


async def test_status_of_a_rich_person_is_what_it_always_was(counted: Counted) -> None:
    await build_rich_world(World(counted.sessions))
    ids = await program_ids(counted.sessions)
    status = await get_personal_status(counted.sessions, team_id=TEAM, user_id="U0SAM")
    assert status == sam_status(ids["Reverse Mentoring"], ids["AI Pilot"], ids["Exchange"])
    lee = await get_personal_status(counted.sessions, team_id=TEAM, user_id="U0LEE")
    assert lee is not None
    assert [(m.partners, m.next_checkin_at, m.meetings_count) for m in lee.memberships] == [
        ((Partner("U0ZOE", "Zoe"),), NOW + timedelta(days=1), 1)
    ]
    assert await get_personal_status(counted.sessions, team_id=TEAM, user_id="U0NOBODY") is None


async def test_status_query_count_does_not_grow_with_memberships_partners_meetings(
    counted: Counted,
) -> None:
    await build_rich_world(World(counted.sessions))

    def status_of(user_id: str) -> Callable[[], Awaitable[PersonalStatus | None]]:
        return lambda: get_personal_status(counted.sessions, team_id=TEAM, user_id=user_id)

    one, lee = await counted.count(status_of("U0LEE"))  # 1 membership, 1 partner
    many, sam = await counted.count(status_of("U0SAM"))  # 3 memberships, 4 partners
    assert (len(lee.memberships), len(sam.memberships)) == (1, 3)
    assert many == one, counted.statements
    selects = [s for s in counted.statements if s.lstrip().upper().startswith("SELECT")]
    # person and programs, skills, the reflection count, partners and meetings
    assert len(selects) == 4, selects
    nobody, _ = await counted.count(status_of("U0NOBODY"))
    assert nobody <= one


async def test_status_reads_never_take_the_sqlite_write_lock(counted: Counted) -> None:
    await build_rich_world(World(counted.sessions))
    await counted.count(
        lambda: get_personal_status(counted.sessions, team_id=TEAM, user_id="U0SAM")
    )
    await counted.count(lambda: list_program_summaries(counted.sessions, team_id=TEAM))
    # BEGIN IMMEDIATE would queue every /mentor status behind every writer.
    assert not [s for s in counted.statements if "IMMEDIATE" in s.upper()]


async def test_admin_overview_query_count_does_not_grow_with_programs(counted: Counted) -> None:
    world = World(counted.sessions)
    await world.workspace()
    first = await world.program("Reverse Mentoring", default=True, skills=5)
    people = [await world.person(f"U0P{n}", f"P{n}") for n in range(4)]
    await world.join(first, people[0], Role.MENTOR)
    await world.join(first, people[1], Role.MENTEE, status=MembershipStatus.PAUSED)
    await world.join(first, people[2], Role.MENTEE, status=MembershipStatus.LEFT)

    def overview() -> Awaitable[list[ProgramSummary]]:
        return list_program_summaries(counted.sessions, team_id=TEAM)

    one, alone = await counted.count(overview)
    second = await world.program("AI Pilot", skills=2)
    await world.program("Exchange", skills=0)
    await world.program("Archived", is_open=False)
    for person in people:
        await world.join(second, person, Role.EITHER)
    three, summaries = await counted.count(overview)
    assert three == one, counted.statements
    assert sum(s.lstrip().upper().startswith("SELECT") for s in counted.statements) == 1
    assert alone == [ProgramSummary(first, "Reverse Mentoring", members=2, paused=1, skills=5)]
    assert [(s.name, s.members, s.paused, s.skills) for s in summaries] == [
        ("Reverse Mentoring", 2, 1, 5),
        ("AI Pilot", 4, 0, 2),
        ("Exchange", 0, 0, 0),
    ]


async def test_active_partners_load_in_one_query_however_many(counted: Counted) -> None:
    await build_rich_world(World(counted.sessions))
    async with counted.sessions() as session:
        sam = await session.scalar(select(PersonRow.id).where(PersonRow.slack_user_id == "U0SAM"))
    assert sam is not None

    async def partners(program_name: str) -> list[str]:
        ids = await program_ids(counted.sessions)
        counted.statements.clear()
        async with counted.sessions() as session:
            links = await list_active_partners(session, sam, program_id=ids[program_name])
        return [link.partner.name for link in links]

    assert await partners("AI Pilot") == ["Eve"]
    one = len(counted.statements)
    assert await partners("Reverse Mentoring") == ["Kim", "Ola", "Raj"]
    assert len(counted.statements) == one
