"""Stalled pairs on real databases: the at-risk rule's edges, one question per partner
and episode, "keep going" restarting the count, the admins' weekly digest, and an idle
sweep that reads no pair."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from bot.db.engine import Sessions
from bot.db.tables import (
    MeetingRow,
    MembershipRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    ProgramRow,
    RoundRow,
    WorkspaceRow,
)
from bot.domain import MembershipStatus, PairStatus, RiskAnswer, Role, RoundStatus
from bot.services.stalled import (
    RiskOutcome,
    list_pairs_at_risk,
    record_risk_answer,
    sweep_risk_digest,
    sweep_stalled_pairs,
)

TEAM = "T0STALL"
T0 = datetime(2026, 12, 10, 15, tzinfo=UTC)  # Thursday: the intro
CADENCE = timedelta(days=14)
MENTOR, LEADER, ADMIN = "U0MENTOR1", "U0LEADER1", "U0ADMIN01"
ZONES = {MENTOR: "Europe/Berlin", LEADER: "America/New_York", ADMIN: "Europe/Berlin"}


class World:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.people: dict[str, int] = {}
        self.program_id = 0
        self.rounds = 0

    async def build(self, extra_people: int = 0) -> None:
        async with self.sessions() as session, session.begin():
            session.add(WorkspaceRow(team_id=TEAM, name="", created_at=T0))
            await session.flush()
            program = ProgramRow(team_id=TEAM, name="Pilot <1>", cadence_days=14,
                                 created_at=T0, updated_at=T0)  # fmt: skip
            session.add(program)
            await session.flush()
            self.program_id = program.id
            users = [*ZONES, *(f"U0EXTRA{n:03d}" for n in range(extra_people))]
            for user_id in users:
                person = PersonRow(team_id=TEAM, slack_user_id=user_id,
                                   timezone=ZONES.get(user_id, "Asia/Tokyo"),
                                   is_workspace_admin=user_id == ADMIN,
                                   created_at=T0, updated_at=T0)  # fmt: skip
                session.add(person)
                await session.flush()
                self.people[user_id] = person.id
                if user_id != ADMIN:
                    role = Role.MENTEE if user_id == LEADER else Role.MENTOR
                    session.add(MembershipRow(team_id=TEAM, program_id=program.id,
                                              person_id=person.id, role=role.value,
                                              joined_at=T0))  # fmt: skip

    async def pair(
        self,
        mentor: str = MENTOR,
        mentee: str = LEADER,
        *,
        introduced_at: datetime = T0,
        **extra: object,
    ) -> int:
        async with self.sessions() as session, session.begin():
            self.rounds += 1  # a round each, so the same two people may pair again
            round_ = RoundRow(team_id=TEAM, program_id=self.program_id, number=self.rounds,
                              status=RoundStatus.ANNOUNCED.value, starts_at=T0,
                              ends_at=T0 + timedelta(weeks=52), created_at=T0)  # fmt: skip
            session.add(round_)
            await session.flush()
            pair = PairRow(team_id=TEAM, program_id=self.program_id, round_id=round_.id,
                           mentor_id=self.people[mentor], mentee_id=self.people[mentee],
                           status=PairStatus.ACTIVE.value, created_at=introduced_at,
                           introduced_at=introduced_at, **extra)  # fmt: skip
            session.add(pair)
            await session.flush()
            return pair.id

    async def meet(self, pair_id: int, on: date) -> None:
        async with self.sessions() as session, session.begin():
            session.add(MeetingRow(team_id=TEAM, pair_id=pair_id, met_on=on,
                                   created_at=T0 + timedelta(days=20)))  # fmt: skip

    async def get_pair(self, pair_id: int) -> PairRow:
        async with self.sessions() as session:
            pair = await session.get(PairRow, pair_id)
            assert pair is not None
            return pair

    async def keys(self, prefix: str) -> list[str]:
        async with self.sessions() as session:
            found = await session.scalars(
                select(OutgoingMessageRow.key)
                .where(OutgoingMessageRow.key.startswith(prefix))
                .order_by(OutgoingMessageRow.id)
            )
            return list(found)


@pytest.fixture
async def world(sessions: Sessions) -> World:
    world = World(sessions)
    await world.build()
    return world


async def test_a_pair_is_at_risk_exactly_two_cadences_after_the_intro(world: World) -> None:
    pair_id = await world.pair()
    assert (
        await sweep_stalled_pairs(world.sessions, now=T0 + 2 * CADENCE - timedelta(seconds=1)) == 0
    )
    assert await world.keys("risk:") == []
    assert await sweep_stalled_pairs(world.sessions, now=T0 + 2 * CADENCE) == 1
    keys = await world.keys(f"risk:{pair_id}:")
    assert sorted(k.split(":")[2] for k in keys) == sorted(
        str(world.people[u]) for u in (MENTOR, LEADER)
    )
    pair = await world.get_pair(pair_id)
    assert pair.risk_asked_at == T0 + 2 * CADENCE


async def test_the_last_meeting_date_and_the_pairs_own_cadence_set_the_count(world: World) -> None:
    met = await world.pair()
    weekly = await world.pair(MENTOR, LEADER, cadence_days=7, introduced_at=T0 + timedelta(hours=1))
    await world.meet(met, date(2026, 12, 20))  # counts from 20 Dec 00:00 UTC
    midnight = datetime(2026, 12, 20, tzinfo=UTC)
    assert await sweep_stalled_pairs(world.sessions, now=midnight - timedelta(seconds=1)) == 0
    # The weekly pair: at risk after two weeks (14 days after its intro).
    assert await sweep_stalled_pairs(world.sessions, now=T0 + timedelta(days=14, hours=1)) == 1
    assert (await world.keys("risk:"))[0].startswith(f"risk:{weekly}:")
    assert (
        await sweep_stalled_pairs(world.sessions, now=midnight + 2 * CADENCE - timedelta(seconds=1))
        == 0
    )
    assert await sweep_stalled_pairs(world.sessions, now=midnight + 2 * CADENCE) == 1
    assert len(await world.keys(f"risk:{met}:")) == 2


async def test_each_partner_is_asked_once_per_episode_and_again_in_the_next(world: World) -> None:
    pair_id = await world.pair()
    at_risk = T0 + 2 * CADENCE
    assert await sweep_stalled_pairs(world.sessions, now=at_risk) == 1
    for later in (timedelta(minutes=1), timedelta(days=1), timedelta(days=30)):
        assert await sweep_stalled_pairs(world.sessions, now=at_risk + later) == 0
    assert len(await world.keys("risk:")) == 2
    # A meeting starts a new episode: asked again two periods after it, with new keys.
    await world.meet(pair_id, date(2027, 1, 20))
    again = datetime(2027, 1, 20, tzinfo=UTC) + 2 * CADENCE
    assert await sweep_stalled_pairs(world.sessions, now=again - timedelta(seconds=1)) == 0
    assert await sweep_stalled_pairs(world.sessions, now=again) == 1
    assert len(set(await world.keys("risk:"))) == 4


async def test_keep_going_restarts_the_count_and_clears_on_the_next_ask(world: World) -> None:
    pair_id = await world.pair()
    at_risk = T0 + 2 * CADENCE
    await sweep_stalled_pairs(world.sessions, now=at_risk)
    clicked = at_risk + timedelta(hours=2)
    result = await record_risk_answer(world.sessions, team_id=TEAM, user_id=LEADER,
                                      pair_id=pair_id, answer=RiskAnswer.KEEP_GOING,
                                      now=clicked)  # fmt: skip
    assert result.outcome is RiskOutcome.RECORDED
    pair = await world.get_pair(pair_id)
    assert (pair.mentee_risk, pair.risk_cleared_at) == ("keep_going", clicked)
    # A second click (another answer, a retry) changes nothing: the first stands.
    again = await record_risk_answer(world.sessions, team_id=TEAM, user_id=LEADER,
                                     pair_id=pair_id, answer=RiskAnswer.NEW_MATCH,
                                     now=clicked + timedelta(seconds=5))  # fmt: skip
    assert again.answer is RiskAnswer.KEEP_GOING
    pair = await world.get_pair(pair_id)
    assert (pair.status, pair.risk_cleared_at) == ("active", clicked)
    assert await list_pairs_at_risk(world.sessions, team_id=TEAM, now=clicked, limit=10) == ([], 0)
    assert (
        await sweep_stalled_pairs(world.sessions, now=clicked + 2 * CADENCE - timedelta(seconds=1))
        == 0
    )
    assert await sweep_stalled_pairs(world.sessions, now=clicked + 2 * CADENCE) == 1
    pair = await world.get_pair(pair_id)
    assert (pair.mentor_risk, pair.mentee_risk) == (None, None)  # a new episode's question
    assert len(await world.keys("risk:")) == 4


async def test_a_paused_or_deactivated_partner_is_not_asked(world: World) -> None:
    pair_id = await world.pair()
    async with world.sessions() as session, session.begin():
        membership = await session.scalar(
            select(MembershipRow).where(MembershipRow.person_id == world.people[MENTOR])
        )
        assert membership is not None
        membership.status = MembershipStatus.PAUSED.value
    assert await sweep_stalled_pairs(world.sessions, now=T0 + 2 * CADENCE) == 1
    assert await world.keys("risk:") == [
        k for k in await world.keys("risk:") if f":{world.people[LEADER]}:" in k
    ]
    assert len(await world.keys(f"risk:{pair_id}:{world.people[LEADER]}:")) == 1


async def test_a_stranger_cannot_answer_for_a_pair(world: World) -> None:
    pair_id = await world.pair()
    await sweep_stalled_pairs(world.sessions, now=T0 + 2 * CADENCE)
    result = await record_risk_answer(world.sessions, team_id=TEAM, user_id=ADMIN,
                                      pair_id=pair_id, answer=RiskAnswer.NEW_MATCH,
                                      now=T0 + 2 * CADENCE)  # fmt: skip
    assert result.outcome is RiskOutcome.NOT_YOURS
    pair = await world.get_pair(pair_id)
    assert (pair.status, pair.mentor_risk, pair.mentee_risk) == ("active", None, None)


# Monday 11 January 2027: 09:30 in Berlin is 08:30 UTC.
MONDAY_0930_BERLIN = datetime(2027, 1, 11, 8, 30, tzinfo=UTC)


async def test_the_digest_goes_once_a_week_to_each_admin_from_monday_0930_local(
    world: World,
) -> None:
    await world.pair()
    await world.pair(MENTOR, LEADER, introduced_at=T0 + timedelta(days=1))
    admins = frozenset({"U0CONFIG1"})  # configured, unknown to the bot: UTC
    await sweep_stalled_pairs(world.sessions, now=MONDAY_0930_BERLIN - timedelta(days=3))
    before = MONDAY_0930_BERLIN - timedelta(seconds=1)
    assert await sweep_risk_digest(world.sessions, now=before, configured_admins=admins) == 0
    assert (
        await sweep_risk_digest(world.sessions, now=MONDAY_0930_BERLIN, configured_admins=admins)
        == 1
    )
    assert await world.keys("risk-digest:") == [f"risk-digest:{TEAM}:{ADMIN}:2027-W02"]
    # 09:30 UTC: the configured admin's turn; the Berlin admin already has theirs.
    utc_0930 = MONDAY_0930_BERLIN + timedelta(hours=1)
    assert await sweep_risk_digest(world.sessions, now=utc_0930, configured_admins=admins) == 1
    for later in (timedelta(hours=2), timedelta(hours=5)):
        assert (
            await sweep_risk_digest(world.sessions, now=utc_0930 + later, configured_admins=admins)
            == 0
        )
    assert (
        await sweep_risk_digest(
            world.sessions, now=utc_0930 + timedelta(days=1), configured_admins=admins
        )
        == 0
    )
    async with world.sessions() as session:
        digest = await session.scalar(
            select(OutgoingMessageRow).where(OutgoingMessageRow.channel == ADMIN)
        )
    assert digest is not None
    text = str(digest.payload["blocks"])
    assert digest.payload["text"] == "2 pairs may need a hand this week."
    assert text.count(f"<@{MENTOR}> & <@{LEADER}>") == 2 and "Pilot &lt;1&gt;" in text
    # The next Monday: another week, another digest.
    assert (
        await sweep_risk_digest(
            world.sessions, now=MONDAY_0930_BERLIN + timedelta(weeks=1), configured_admins=admins
        )
        == 1
    )
    assert f"risk-digest:{TEAM}:{ADMIN}:2027-W03" in await world.keys("risk-digest:")


async def test_no_digest_without_at_risk_pairs(world: World) -> None:
    await world.pair(introduced_at=MONDAY_0930_BERLIN - timedelta(days=3))
    assert (
        await sweep_risk_digest(
            world.sessions, now=MONDAY_0930_BERLIN, configured_admins=frozenset()
        )
        == 0
    )
    assert await world.keys("risk-digest:") == []


async def test_an_idle_stalled_sweep_is_one_query_and_reads_no_pair(sessions: Sessions) -> None:
    world = World(sessions)
    await world.build(extra_people=40)
    extras = [u for u in world.people if u.startswith("U0EXTRA")]
    now = T0 + 2 * CADENCE
    for n in range(0, len(extras), 2):  # recent pairs, and pairs at risk already asked
        recent = n % 4 == 0
        await world.pair(extras[n], extras[n + 1],
                         introduced_at=now - timedelta(days=3) if recent else T0,
                         risk_asked_at=None if recent else now - timedelta(days=1))  # fmt: skip
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    engine = sessions.kw["bind"].sync_engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert await sweep_stalled_pairs(sessions, now=now) == 0
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements
    at_risk, total = await list_pairs_at_risk(sessions, team_id=TEAM, now=now, limit=10)
    assert total == 10 and len(at_risk) == 10  # the asked ones are still at risk
