"""What the next round must not repeat: `list_excluded_pairs` on real databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db.engine import Sessions
from bot.db.tables import PairRow, PersonRow, ProgramRow, RoundRow, WorkspaceRow
from bot.domain import PairStatus, RoundStatus
from bot.services.lifecycle import list_excluded_pairs

TEAM = "T1"
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


class Rounds:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.people: list[int] = []

    async def setup(self, people: int) -> tuple[int, int]:
        async with self.sessions() as session, session.begin():
            session.add(WorkspaceRow(team_id=TEAM, name="", created_at=NOW))
            await session.flush()
            programs = [
                ProgramRow(team_id=TEAM, name=name, created_at=NOW, updated_at=NOW)
                for name in ("Pilot", "Other")
            ]
            session.add_all(programs)
            for n in range(people):
                person = PersonRow(team_id=TEAM, slack_user_id=f"U{n:08d}", created_at=NOW,
                                   updated_at=NOW)  # fmt: skip
                session.add(person)
                await session.flush()
                self.people.append(person.id)
            return programs[0].id, programs[1].id

    async def round(self, program_id: int, number: int, status: RoundStatus) -> int:
        async with self.sessions() as session, session.begin():
            round_ = RoundRow(
                team_id=TEAM, program_id=program_id, number=number, status=status.value,
                starts_at=NOW, ends_at=NOW + timedelta(weeks=12), created_at=NOW,
            )  # fmt: skip
            session.add(round_)
            await session.flush()
            return round_.id

    async def pair(
        self,
        program_id: int,
        round_id: int,
        mentor: int,
        mentee: int,
        status: PairStatus = PairStatus.ENDED,
        continues: tuple[bool | None, bool | None] = (None, None),
    ) -> None:
        async with self.sessions() as session, session.begin():
            session.add(
                PairRow(
                    team_id=TEAM, program_id=program_id, round_id=round_id,
                    mentor_id=self.people[mentor], mentee_id=self.people[mentee],
                    status=status.value, mentor_continues=continues[0],
                    mentee_continues=continues[1], created_at=NOW,
                )
            )  # fmt: skip


async def test_list_excluded_pairs_drops_a_pair_only_when_both_continue(
    sessions: Sessions,
) -> None:
    world = Rounds(sessions)
    pilot, other = await world.setup(people=12)
    first = await world.round(pilot, 1, RoundStatus.ANNOUNCED)
    p = world.people
    await world.pair(pilot, first, 0, 1, continues=(True, True))  # both continue: allowed
    await world.pair(pilot, first, 2, 3, continues=(True, False))  # one only: excluded
    await world.pair(pilot, first, 4, 5, continues=(True, None))  # one never answered
    await world.pair(pilot, first, 6, 7, status=PairStatus.DECLINED)
    await world.pair(pilot, first, 8, 9, status=PairStatus.EXPIRED)
    # The preview being computed, and another program's pair, are not earlier rounds here.
    preview = await world.round(pilot, 2, RoundStatus.DRAFT)
    await world.pair(pilot, preview, 10, 11, status=PairStatus.DRAFT)
    await world.pair(other, await world.round(other, 1, RoundStatus.ANNOUNCED), 1, 0)
    async with sessions() as session:
        excluded = await list_excluded_pairs(session, program_id=pilot)
    assert excluded == [(p[2], p[3]), (p[4], p[5]), (p[6], p[7]), (p[8], p[9])]


async def test_the_latest_pairing_decides_whichever_side_each_was_on(sessions: Sessions) -> None:
    world = Rounds(sessions)
    pilot, _other = await world.setup(people=4)
    first = await world.round(pilot, 1, RoundStatus.ANNOUNCED)
    second = await world.round(pilot, 2, RoundStatus.ANNOUNCED)
    p = world.people
    # Kept together after round 1, but not after round 2: excluded now.
    await world.pair(pilot, first, 0, 1, continues=(True, True))
    await world.pair(pilot, second, 0, 1, continues=(False, True))
    # Apart after round 1, then (sides swapped) paired again and both continue: allowed.
    await world.pair(pilot, first, 2, 3)
    await world.pair(pilot, second, 3, 2, continues=(True, True))
    async with sessions() as session:
        excluded = await list_excluded_pairs(session, program_id=pilot)
    assert excluded == [(p[0], p[1])]
