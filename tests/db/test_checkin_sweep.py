"""The check-in sweeps on real databases: what is sent, what is skipped and why, one
combined DM per person, exactly once under concurrent sweeps, and ghosts paused."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

import bot.services.checkins as checkins
from bot.db.engine import Sessions
from bot.db.tables import (
    CheckinRow,
    MembershipRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    ProgramRow,
    RoundRow,
    WorkspaceRow,
)
from bot.domain import CheckinAnswer, MembershipStatus, PairStatus, Role, RoundStatus
from bot.services.checkins import sweep_checkin_reminders, sweep_checkins
from bot.services.introductions import enqueue_introductions
from bot.slack import ids

TEAM = "T0CHECKIN"
# Monday 1 February 2027, 08:00 UTC: the intros. Weekly check-ins fall on Mondays.
INTRO = datetime(2027, 2, 1, 8, tzinfo=UTC)
BERLIN_FIRST = datetime(2027, 2, 8, 8, 30, tzinfo=UTC)  # 09:30 in Berlin (CET)
NEW_YORK_FIRST = datetime(2027, 2, 8, 14, 30, tzinfo=UTC)  # 09:30 in New York (EST)


class World:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.users = 0

    async def setup(self) -> None:
        async with self.sessions() as session, session.begin():
            session.add(WorkspaceRow(team_id=TEAM, name="", created_at=INTRO))

    async def program(self, name: str = "Pilot", *, cadence_days: int = 7) -> tuple[int, int]:
        """(program id, round id): a program and a 12-week round from the intro."""
        async with self.sessions() as session, session.begin():
            program = ProgramRow(team_id=TEAM, name=name, cadence_days=cadence_days,
                                 created_at=INTRO, updated_at=INTRO)  # fmt: skip
            session.add(program)
            await session.flush()
            round_ = RoundRow(
                team_id=TEAM, program_id=program.id, number=1,
                status=RoundStatus.ANNOUNCED.value, starts_at=INTRO,
                ends_at=INTRO + timedelta(weeks=12), created_at=INTRO,
            )  # fmt: skip
            session.add(round_)
            await session.flush()
            return program.id, round_.id

    async def person(self, zone: str, *programs: tuple[int, Role]) -> int:
        self.users += 1
        async with self.sessions() as session, session.begin():
            person = PersonRow(team_id=TEAM, slack_user_id=f"U{self.users:08d}", timezone=zone,
                               name=f"Person {self.users}", created_at=INTRO,
                               updated_at=INTRO)  # fmt: skip
            session.add(person)
            await session.flush()
            for program_id, role in programs:
                session.add(MembershipRow(team_id=TEAM, program_id=program_id,
                                          person_id=person.id, role=role.value,
                                          joined_at=INTRO))  # fmt: skip
            return person.id

    async def introduce(
        self, program_round: tuple[int, int], mentor: int, leader: int, *, at: datetime = INTRO
    ) -> int:
        """An intro as a confirmed round makes it: the pair active, first check-ins written."""
        program_id, round_id = program_round
        async with self.sessions() as session, session.begin():
            pair = PairRow(team_id=TEAM, program_id=program_id, round_id=round_id,
                           mentor_id=mentor, mentee_id=leader, status=PairStatus.PROPOSED.value,
                           created_at=at)  # fmt: skip
            session.add(pair)
            await session.flush()
            program = await session.get(ProgramRow, program_id)
            round_ = await session.get(RoundRow, round_id)
            assert program is not None and round_ is not None
            await enqueue_introductions(
                session, program=program, round_=round_, pairs=[pair], now=at
            )
            return pair.id

    async def checkins(self, person_id: int | None = None) -> list[CheckinRow]:
        async with self.sessions() as session:
            query = select(CheckinRow).order_by(CheckinRow.sequence, CheckinRow.id)
            if person_id is not None:
                query = query.where(CheckinRow.person_id == person_id)
            return list(await session.scalars(query))

    async def outbox(self, prefix: str = "") -> list[OutgoingMessageRow]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(OutgoingMessageRow)
                .where(OutgoingMessageRow.key.startswith(prefix))
                .order_by(OutgoingMessageRow.id)
            )
            return list(rows)

    async def update(self, row_type: Any, row_id: int, **values: Any) -> None:
        async with self.sessions() as session, session.begin():
            row = await session.get(row_type, row_id)
            assert row is not None
            for name, value in values.items():
                setattr(row, name, value)

    async def membership(self, person_id: int) -> MembershipRow:
        async with self.sessions() as session:
            row = await session.scalar(
                select(MembershipRow).where(MembershipRow.person_id == person_id)
            )
            assert row is not None
            return row


@pytest.fixture
async def world(sessions: Sessions) -> World:
    world = World(sessions)
    await world.setup()
    return world


def checkin_ids_in(message: OutgoingMessageRow) -> list[int]:
    """The check-ins a DM carries, in the order it shows them."""
    return [
        int(block["block_id"].removeprefix("checkin_"))
        for block in message.payload["blocks"]
        if block["type"] == "actions"
    ]


async def pair_in_berlin_and_new_york(world: World) -> tuple[int, int, int]:
    pilot = await world.program()
    mentor = await world.person("Europe/Berlin", (pilot[0], Role.MENTOR))
    leader = await world.person("America/New_York", (pilot[0], Role.MENTEE))
    return await world.introduce(pilot, mentor, leader), mentor, leader


async def test_the_intro_fixes_the_cadence_and_writes_both_first_checkins(world: World) -> None:
    pilot = await world.program(cadence_days=7)
    mentor = await world.person("Europe/Berlin", (pilot[0], Role.MENTOR))
    leader = await world.person("America/New_York", (pilot[0], Role.MENTEE))
    async with world.sessions() as session, session.begin():
        row = await session.scalar(select(MembershipRow).where(MembershipRow.person_id == mentor))
        assert row is not None
        row.cadence_days = 14  # the reverse mentor asked for every two weeks
    pair_id = await world.introduce(pilot, mentor, leader)
    async with world.sessions() as session:
        pair = await session.get(PairRow, pair_id)
        assert pair is not None and pair.cadence_days == 14
    rows = await world.checkins()
    assert [(r.person_id, r.sequence, r.status, r.due_at) for r in rows] == [
        (mentor, 1, "scheduled", BERLIN_FIRST + timedelta(days=7)),
        (leader, 1, "scheduled", NEW_YORK_FIRST + timedelta(days=7)),
    ]


async def test_a_pair_introduced_before_check_ins_existed_starts_at_its_next_period(
    world: World,
) -> None:
    pilot = await world.program(cadence_days=7)
    mentor = await world.person("Europe/Berlin", (pilot[0], Role.MENTOR))
    leader = await world.person("America/New_York", (pilot[0], Role.MENTEE))
    async with world.sessions() as session, session.begin():  # as an older release left it
        pair = PairRow(team_id=TEAM, program_id=pilot[0], round_id=pilot[1], mentor_id=mentor,
                       mentee_id=leader, status=PairStatus.ACTIVE.value, created_at=INTRO,
                       introduced_at=INTRO)  # fmt: skip
        session.add(pair)
    now = INTRO + timedelta(days=23)  # Wednesday of the fourth week
    assert await checkins.plan_unplanned_pairs(world.sessions, now=now) == 1
    rows = await world.checkins()
    assert [(r.person_id, r.sequence, r.due_at) for r in rows] == [
        (mentor, 4, BERLIN_FIRST + timedelta(weeks=3)),
        (leader, 4, NEW_YORK_FIRST + timedelta(weeks=3)),
    ]
    assert await checkins.plan_unplanned_pairs(world.sessions, now=now) == 0
    assert len(await world.checkins()) == 2


async def test_a_due_checkin_is_queued_once_and_its_next_period_written(world: World) -> None:
    pair_id, mentor, leader = await pair_in_berlin_and_new_york(world)
    assert await sweep_checkins(world.sessions, now=BERLIN_FIRST - timedelta(minutes=1)) == 0
    assert await sweep_checkins(world.sessions, now=BERLIN_FIRST) == 1
    assert await sweep_checkins(world.sessions, now=BERLIN_FIRST + timedelta(minutes=30)) == 0
    [first, second] = await world.checkins(mentor)
    [message] = await world.outbox("checkin:")
    assert message.key == f"checkin:{mentor}:{first.id}" == first.message_key
    assert (first.status, first.sent_at, first.sequence) == ("sent", BERLIN_FIRST, 1)
    assert (second.status, second.sequence, second.due_at) == (
        "scheduled", 2, BERLIN_FIRST + timedelta(days=7),
    )  # fmt: skip
    assert message.channel == "U00000001" and message.next_attempt_at == BERLIN_FIRST
    membership = await world.membership(mentor)
    assert (message.pair_id, message.membership_id) == (pair_id, membership.id)
    assert checkin_ids_in(message) == [first.id]
    assert "since your intro" in str(message.payload) and "<@U00000002>" in str(message.payload)
    # The leader's falls at 09:30 in New York, hours later.
    [leaders] = await world.checkins(leader)
    assert leaders.status == "scheduled"


async def test_every_skip_reason_is_recorded_and_nobody_skipped_gets_a_message(
    world: World,
) -> None:
    pilot = await world.program()
    pairs = {}
    for case in ("ended", "inactive", "left", "paused", "partner met", "sent"):
        mentor = await world.person("Europe/Berlin", (pilot[0], Role.MENTOR))
        leader = await world.person("Europe/Berlin", (pilot[0], Role.MENTEE))
        pairs[case] = (await world.introduce(pilot, mentor, leader), mentor, leader)
    await world.update(PairRow, pairs["ended"][0], status=PairStatus.ENDED.value)
    await world.update(PersonRow, pairs["inactive"][1], is_active=False)
    left = await world.membership(pairs["left"][1])
    await world.update(MembershipRow, left.id, status=MembershipStatus.LEFT.value)
    paused = await world.membership(pairs["paused"][1])
    await world.update(MembershipRow, paused.id, status=MembershipStatus.PAUSED.value)
    [met] = await world.checkins(pairs["partner met"][1])
    await world.update(CheckinRow, met.id, answer=CheckinAnswer.MET.value,
                       answered_by=pairs["partner met"][2])  # fmt: skip
    await sweep_checkins(world.sessions, now=BERLIN_FIRST)
    expected = {
        "ended": ("skipped", "pair ended"),
        "inactive": ("skipped", "inactive"),
        "left": ("skipped", "left"),
        "paused": ("skipped", "paused"),
        "partner met": ("skipped", "partner recorded a meeting"),
        "sent": ("sent", None),
    }
    for case, (_pair, mentor, _leader) in pairs.items():
        [first, *later] = await world.checkins(mentor)
        assert (first.status, first.skip_reason) == expected[case], case
        # The next period is written while the pair lasts, whatever this one's fate.
        assert [r.sequence for r in later] == ([] if case == "ended" else [2]), case
    sent_to = {m.channel for m in await world.outbox("checkin:")}
    assert len(sent_to) == 6  # the "sent" pair, and the partners of the skipped but "ended"
    skipped_users = {f"U{pairs[c][1]:08d}" for c in expected if c != "sent"}
    assert not sent_to & skipped_users


async def test_a_late_tick_sends_what_is_still_timely_and_skips_what_is_stale_with_a_record(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    _pair, mentor, leader = await pair_in_berlin_and_new_york(world)
    # Monday 21:00 UTC: Berlin's working day ended at 16:00 UTC, New York's runs to 22:00.
    late = datetime(2027, 2, 8, 21, tzinfo=UTC)
    with caplog.at_level(logging.INFO, logger="bot.services.checkins"):
        assert await sweep_checkins(world.sessions, now=late) == 1
    [berlin, berlin_next] = await world.checkins(mentor)
    [new_york, _new_york_next] = await world.checkins(leader)
    assert (berlin.status, berlin.skip_reason, berlin.message_key) == ("skipped", "stale", None)
    assert berlin_next.due_at == BERLIN_FIRST + timedelta(days=7)  # the schedule goes on
    assert new_york.status == "sent"
    assert [m.channel for m in await world.outbox("checkin:")] == ["U00000002"]
    stale_lines = [r.getMessage() for r in caplog.records if "stale" in r.getMessage()]
    assert len(stale_lines) == 1 and "1 stale" in stale_lines[0]


async def test_a_person_in_two_programs_gets_one_combined_checkin_per_period(
    world: World,
) -> None:
    pilot = await world.program("Pilot")
    other = await world.program("Data Guild")
    both = await world.person("Europe/Berlin", (pilot[0], Role.MENTOR), (other[0], Role.MENTOR))
    leader_a = await world.person("Europe/Berlin", (pilot[0], Role.MENTEE))
    leader_b = await world.person("Europe/Berlin", (other[0], Role.MENTEE))
    await world.introduce(pilot, both, leader_a)
    # Introduced two days later: due on Wednesdays, within half a week of the Mondays.
    await world.introduce(other, both, leader_b, at=INTRO + timedelta(days=2))
    moment = BERLIN_FIRST
    while moment < BERLIN_FIRST + timedelta(weeks=3):
        await sweep_checkins(world.sessions, now=moment)
        moment += timedelta(hours=12)
    messages = [m for m in await world.outbox("checkin:") if m.channel == "U00000001"]
    # One DM a week, each carrying both programs' check-ins, in ascending id.
    assert [m.next_attempt_at for m in messages] == [
        BERLIN_FIRST + timedelta(weeks=n) for n in range(3)
    ]
    rows = await world.checkins(both)
    for message in messages:
        carried = checkin_ids_in(message)
        assert len(carried) == 2 and carried == sorted(carried)
        assert {r.message_key for r in rows if r.id in carried} == {message.key}
        assert message.key == f"checkin:{both}:{carried[0]}"
        assert "Pilot" in str(message.payload) and "Data Guild" in str(message.payload)
    # Each leader still gets their own, one a week.
    for leader in ("U00000002", "U00000003"):
        assert len([m for m in await world.outbox("checkin:") if m.channel == leader]) == 3


async def test_paused_left_and_deactivated_people_get_nothing_for_weeks(world: World) -> None:
    pilot = await world.program()
    partners = [await world.person("Europe/Berlin", (pilot[0], Role.MENTEE)) for _ in range(3)]
    quiet = [await world.person("Europe/Berlin", (pilot[0], Role.MENTOR)) for _ in range(3)]
    for mentor, leader in zip(quiet, partners, strict=True):
        await world.introduce(pilot, mentor, leader)
    paused, left = (await world.membership(quiet[0])), (await world.membership(quiet[1]))
    await world.update(MembershipRow, paused.id, status=MembershipStatus.PAUSED.value)
    await world.update(MembershipRow, left.id, status=MembershipStatus.LEFT.value)
    await world.update(PersonRow, quiet[2], is_active=False)
    for week in range(3):
        await sweep_checkins(world.sessions, now=BERLIN_FIRST + timedelta(weeks=week))
    sent_to = [m.channel for m in await world.outbox("checkin:")]
    assert sorted(sent_to) == sorted([f"U{p:08d}" for p in partners] * 3)


async def test_two_concurrent_sweeps_queue_each_checkin_exactly_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkins, "BATCH", 25)  # many small batches, interleaved
    pilot = await world.program()
    people = 0
    for _ in range(60):
        mentor = await world.person("Europe/Berlin", (pilot[0], Role.MENTOR))
        leader = await world.person("Europe/Berlin", (pilot[0], Role.MENTEE))
        await world.introduce(pilot, mentor, leader)
        people += 2
    done = await asyncio.gather(
        sweep_checkins(world.sessions, now=BERLIN_FIRST),
        sweep_checkins(world.sessions, now=BERLIN_FIRST),
    )
    assert sum(done) == people
    async with world.sessions() as session:
        messages = list(await session.scalars(select(OutgoingMessageRow)))  # the whole outbox
        sent = await session.scalar(
            select(func.count()).where(CheckinRow.status == "sent", CheckinRow.sequence == 1)
        )
        next_periods = await session.scalar(select(func.count()).where(CheckinRow.sequence == 2))
    checkin_messages = [m for m in messages if m.key.startswith("checkin:")]
    carried = [i for m in checkin_messages for i in checkin_ids_in(m)]
    assert len(checkin_messages) == people == sent == next_periods
    assert len(carried) == len(set(carried)) == people
    assert len({m.channel for m in checkin_messages}) == people


async def answer(world: World, row: CheckinRow, *, by: int) -> None:
    await world.update(CheckinRow, row.id, answer=CheckinAnswer.NOT_YET.value,
                       answered_at=row.due_at, answered_by=by)  # fmt: skip


async def test_three_unanswered_checkins_in_a_row_pause_the_person_with_a_resume_button(
    world: World,
) -> None:
    _pair, mentor, leader = await pair_in_berlin_and_new_york(world)
    for week in range(3):  # three DMs the reverse mentor never answers
        await sweep_checkins(world.sessions, now=NEW_YORK_FIRST + timedelta(weeks=week))
        leaders = [r for r in await world.checkins(leader) if r.status == "sent"]
        await answer(world, leaders[-1], by=leader)  # the leader answers every one
    async with world.sessions() as session:
        person = await session.get(PersonRow, mentor)
        assert person is not None and person.ignored_checkins == 2
    await sweep_checkins(world.sessions, now=NEW_YORK_FIRST + timedelta(weeks=3))
    rows = await world.checkins(mentor)
    assert [(r.sequence, r.status, r.skip_reason) for r in rows] == [
        (1, "sent", None), (2, "sent", None), (3, "sent", None),
        (4, "skipped", "three unanswered"), (5, "scheduled", None),
    ]  # fmt: skip
    assert (await world.membership(mentor)).status == "paused"
    assert (await world.membership(leader)).status == "active"
    [notice] = await world.outbox("checkin-paused:")
    assert notice.key == f"checkin-paused:{mentor}:{rows[3].id}"
    assert notice.channel == "U00000001" and notice.membership_id is None
    blocks = notice.payload["blocks"]
    [resume] = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert resume["action_id"] == ids.CHECKIN_RESUME
    assert "three" in notice.payload["text"] and "paused" in notice.payload["text"]
    async with world.sessions() as session:
        person = await session.get(PersonRow, mentor)
        partner = await session.get(PersonRow, leader)
        assert person is not None and person.ignored_checkins == 0
        assert partner is not None and partner.ignored_checkins == 0
    # The leader, who answered every time, got all four.
    assert len([m for m in await world.outbox("checkin:") if m.channel == "U00000002"]) == 4
    assert len([m for m in await world.outbox("checkin:") if m.channel == "U00000001"]) == 3


async def test_an_answered_checkin_breaks_the_unanswered_run(world: World) -> None:
    _pair, mentor, _leader = await pair_in_berlin_and_new_york(world)
    for week in range(5):
        await sweep_checkins(world.sessions, now=BERLIN_FIRST + timedelta(weeks=week))
        if week == 1:  # one answer, as the buttons' listener records it (and resets)
            sent = [r for r in await world.checkins(mentor) if r.status == "sent"]
            await answer(world, sent[-1], by=mentor)
            await world.update(PersonRow, mentor, ignored_checkins=0)
    assert (await world.membership(mentor)).status == "active"
    assert len([m for m in await world.outbox("checkin:") if m.channel == "U00000001"]) == 5


async def test_a_reminder_asks_again_once_within_the_budget(world: World) -> None:
    _pair, mentor, leader = await pair_in_berlin_and_new_york(world)
    await sweep_checkins(world.sessions, now=NEW_YORK_FIRST)
    [first, _next] = await world.checkins(mentor)
    remind_at = BERLIN_FIRST + timedelta(days=3)  # Thursday 09:30 in Berlin
    await world.update(CheckinRow, first.id, answer=CheckinAnswer.NOT_YET.value,
                       answered_at=BERLIN_FIRST, answered_by=mentor,
                       remind_at=remind_at)  # fmt: skip
    assert await sweep_checkin_reminders(world.sessions, now=remind_at - timedelta(minutes=1)) == 0
    assert await sweep_checkin_reminders(world.sessions, now=remind_at) == 1
    assert await sweep_checkin_reminders(world.sessions, now=remind_at + timedelta(hours=1)) == 0
    [reminded, _next] = await world.checkins(mentor)
    key = f"checkin-reminder:{mentor}:{first.id}:1"
    assert (reminded.answer, reminded.reminders, reminded.remind_at) == (None, 1, None)
    assert reminded.message_key == key
    [message] = await world.outbox("checkin-reminder:")
    assert message.key == key and message.channel == "U00000001"
    assert checkin_ids_in(message) == [first.id] and "gentle reminder" in message.payload["text"]
    # Over budget (one reminder a period by default): a second "Not yet" is not re-asked.
    await world.update(CheckinRow, first.id, answer=CheckinAnswer.SNOOZED.value,
                       remind_at=remind_at + timedelta(days=1))  # fmt: skip
    assert await sweep_checkin_reminders(world.sessions, now=remind_at + timedelta(days=1)) == 0
    # Paused people get no reminder either.
    [leaders, _] = await world.checkins(leader)
    await world.update(CheckinRow, leaders.id, answer=CheckinAnswer.NOT_YET.value,
                       remind_at=remind_at + timedelta(hours=6))  # fmt: skip
    membership = await world.membership(leader)
    await world.update(MembershipRow, membership.id, status=MembershipStatus.PAUSED.value)
    assert await sweep_checkin_reminders(world.sessions, now=remind_at + timedelta(hours=6)) == 0
    assert len(await world.outbox("checkin-reminder:")) == 1
