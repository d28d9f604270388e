"""The fit check and the round's end, end to end: introduced pairs in the database,
questions sent by `tick`, answers through signed button clicks."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db.tables import CheckinRow, MeetingRow, MembershipRow, OutgoingMessageRow, PairRow
from bot.domain import PairStatus
from bot.slack import ids
from bot.slack.views.fitcheck import FIT_CLOSED, NOT_YOUR_PAIR, rematch_notice_message
from tests.e2e.conftest import RunningApp
from tests.e2e.test_consent import (
    LEADER,
    MENTOR,
    NAMES,
    OUTSIDER,
    T0,
    ZONES,
    World,
    buttons,
    click,
    dms,
    eventually,
    replied,
    set_clock,
    settle,
)

FIT_BUTTONS = {ids.FIT_GOOD, ids.FIT_DECIDING, ids.FIT_NOT_A_FIT}


@pytest.fixture
async def world(app: RunningApp) -> World:
    set_clock(app, T0)
    world = World(app)
    await world.build()
    return world


async def introduce(world: World) -> int:
    """An active pair introduced at T0, its fit check due two weeks later."""
    pair_id = await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    async with world.app.sessions() as session, session.begin():
        pair = await session.get(PairRow, pair_id)
        assert pair is not None
        pair.introduced_at = T0
        pair.fit_due_at = T0 + timedelta(days=14)
        pair.cadence_days = 14  # fixed at the intro: no check-ins are planned for it here
    return pair_id


async def record_meeting(world: World, pair_id: int, at: datetime) -> None:
    async with world.app.sessions() as session, session.begin():
        session.add(
            MeetingRow(team_id=world.team, pair_id=pair_id, met_on=at.date(),
                       recorded_by=world.person_id(MENTOR), created_at=at)
        )  # fmt: skip


def fit_questions(app: RunningApp, user_id: str) -> list[dict[str, object]]:
    return [m for m in dms(app, user_id) if set(buttons(m)) >= FIT_BUTTONS]


async def tick_at(world: World, at: datetime) -> None:
    set_clock(world.app, at)
    await settle(world.app)


async def test_fit_check_is_asked_after_the_first_recorded_meeting(world: World) -> None:
    app = world.app
    pair_id = await introduce(world)
    await tick_at(world, T0 + timedelta(days=2))
    assert fit_questions(app, MENTOR) == [] and fit_questions(app, LEADER) == []
    await record_meeting(world, pair_id, T0 + timedelta(days=3))
    # Tuesday 16 Dec, 15:30 UTC: working hours in Berlin and New York.
    await tick_at(world, T0 + timedelta(days=6, minutes=30))
    [to_mentor] = fit_questions(app, MENTOR)
    [to_leader] = fit_questions(app, LEADER)
    assert buttons(to_mentor)[ids.FIT_GOOD] == str(pair_id)
    assert f"<@{LEADER}>" in str(to_mentor["blocks"]) and f"<@{MENTOR}>" in str(to_leader)
    # Asked once: later ticks, and the two-week mark, ask nobody again.
    await tick_at(world, T0 + timedelta(days=7))
    await tick_at(world, T0 + timedelta(days=14, hours=1))
    assert len(fit_questions(app, MENTOR)) == len(fit_questions(app, LEADER)) == 1


async def test_fit_check_is_asked_two_weeks_after_the_intro_when_no_meeting_is_recorded(
    world: World,
) -> None:
    app = world.app
    await introduce(world)
    await tick_at(world, T0 + timedelta(days=13, hours=23))
    assert fit_questions(app, MENTOR) == []
    await tick_at(world, T0 + timedelta(days=14, minutes=1))
    assert len(fit_questions(app, MENTOR)) == len(fit_questions(app, LEADER)) == 1


async def test_a_fit_question_waits_a_day_after_a_check_in_to_the_same_person(
    world: World,
) -> None:
    """Two weeks after the intro both fall due: whoever was just checked in on hears the
    fit question the next working day, not a minute after the check-in."""
    app = world.app
    pair_id = await introduce(world)
    at = T0 + timedelta(days=14, minutes=1)  # Thursday 24 Dec, 15:01 UTC
    async with app.sessions() as session, session.begin():
        session.add_all([
            CheckinRow(team_id=world.team, pair_id=pair_id, person_id=world.person_id(MENTOR),
                       sequence=1, due_at=at - timedelta(hours=6), status="sent",
                       sent_at=at - timedelta(hours=6)),
            CheckinRow(team_id=world.team, pair_id=pair_id, person_id=world.person_id(LEADER),
                       sequence=1, due_at=at + timedelta(days=6), status="scheduled"),
        ])  # fmt: skip
    await tick_at(world, at)
    async with app.sessions() as session:
        due = dict(
            (await session.execute(
                select(OutgoingMessageRow.channel, OutgoingMessageRow.next_attempt_at)
                .where(OutgoingMessageRow.key.startswith(f"fit:{pair_id}:"))
            )).all()
        )  # fmt: skip
    # The leader's at once (10:01 in New York), the mentor's on Friday (16:01 in Berlin).
    assert abs(due[LEADER] - at) < timedelta(seconds=5)
    assert abs(due[MENTOR] - (at + timedelta(days=1))) < timedelta(seconds=5)
    assert fit_questions(app, MENTOR) == [] and len(fit_questions(app, LEADER)) == 1


async def test_fit_questions_arrive_in_each_persons_working_hours(world: World) -> None:
    app = world.app
    pair_id = await introduce(world)
    async with app.sessions() as session, session.begin():
        pair = await session.get(PairRow, pair_id)
        assert pair is not None
        pair.fit_due_at = datetime.fromisoformat("2026-12-26T02:00+00:00")  # a Saturday night
    for at in ("2026-12-26T02:01", "2026-12-27T12:00", "2026-12-28T09:00", "2026-12-28T14:30"):
        await tick_at(world, datetime.fromisoformat(at + "+00:00"))
    rows = await world.outbox("fit:")
    assert len(rows) == 2
    for row in rows:
        local = (row.sent_at or T0).astimezone(ZoneInfo(ZONES[row.channel or ""]))
        assert local.weekday() < 5 and 9 <= local.hour < 17, (row.channel, local)


async def test_still_deciding_is_asked_again_after_the_next_meeting(world: World) -> None:
    app = world.app
    pair_id = await introduce(world)
    await tick_at(world, T0 + timedelta(days=14, minutes=1))
    [to_mentor] = fit_questions(app, MENTOR)
    [to_leader] = fit_questions(app, LEADER)
    await click(app, ids.FIT_DECIDING, MENTOR, to_mentor)
    await click(app, ids.FIT_GOOD, LEADER, to_leader)
    await eventually(lambda: _fits_are(world, pair_id, ("deciding", "good")))
    await tick_at(world, T0 + timedelta(days=17))
    assert len(await world.outbox(f"fit:{pair_id}:")) == 2  # no meeting yet: not asked again
    # Monday 28 Dec: a meeting at 12:00 UTC, a tick at 14:00 (Berlin 15:00, New York 09:00).
    await record_meeting(world, pair_id, T0 + timedelta(days=18, hours=-3))
    await tick_at(world, T0 + timedelta(days=18, hours=-1))
    assert len(await world.outbox(f"fit:{pair_id}:{world.person_id(MENTOR)}:")) == 2
    assert len(await world.outbox(f"fit:{pair_id}:{world.person_id(LEADER)}:")) == 1
    # The first question shows the answer in place; the new one has its buttons.
    assert len(fit_questions(app, MENTOR)) == 1 and fit_questions(app, LEADER) == []
    assert "No rush" in str(dms(app, MENTOR)[0]) or "no rush" in str(dms(app, MENTOR)[0])


async def test_not_a_good_fit_rematches_both_without_telling_the_partner_who_asked(
    world: World,
) -> None:
    app = world.app
    pair_id = await introduce(world)
    await tick_at(world, T0 + timedelta(days=14, minutes=1))
    [to_mentor] = fit_questions(app, MENTOR)
    [to_leader] = fit_questions(app, LEADER)
    await click(app, ids.FIT_NOT_A_FIT, LEADER, to_leader)
    await eventually(lambda: _status_is(world, pair_id, PairStatus.ENDED))
    async with app.sessions() as session:
        rematch = await session.scalars(select(MembershipRow.wants_rematch).where(
            MembershipRow.person_id.in_([world.person_id(MENTOR), world.person_id(LEADER)])
        ))  # fmt: skip
        assert list(rematch) == [True, True]
        outsider = await session.scalar(select(MembershipRow.wants_rematch).where(
            MembershipRow.person_id == world.person_id(OUTSIDER)
        ))  # fmt: skip
        assert outsider is False
    await settle(app)
    notice = dms(app, MENTOR)[-1]
    assert notice["text"] == rematch_notice_message(program_name="Reverse Mentoring Pilot")["text"]
    assert LEADER not in str(notice) and NAMES[LEADER].split()[0] not in str(notice)
    # The mentor's own question is closed now; a click says so and changes nothing.
    response_id = await click(app, ids.FIT_GOOD, MENTOR, to_mentor)
    assert await replied(app, response_id) == FIT_CLOSED
    pair = await world.get_pair(pair_id)
    assert (pair.mentor_fit, pair.mentee_fit) == (None, "not_a_fit")


async def test_a_fit_click_by_a_third_person_changes_nothing(world: World) -> None:
    app = world.app
    pair_id = await introduce(world)
    await tick_at(world, T0 + timedelta(days=14, minutes=1))
    [to_mentor] = fit_questions(app, MENTOR)
    response_id = await click(app, ids.FIT_NOT_A_FIT, OUTSIDER, to_mentor)
    assert await replied(app, response_id) == NOT_YOUR_PAIR
    pair = await world.get_pair(pair_id)
    assert (pair.status, pair.mentor_fit, pair.mentee_fit) == ("active", None, None)
    async with app.sessions() as session:
        assert set(await session.scalars(select(MembershipRow.wants_rematch))) == {False}


async def test_round_end_ends_the_pair_and_sends_each_a_closing_prompt(world: World) -> None:
    app = world.app
    pair_id = await introduce(world)
    ends_at = T0 + timedelta(weeks=12)  # Thursday 4 March, 15:00 UTC
    await tick_at(world, ends_at - timedelta(minutes=5))
    assert (await world.get_pair(pair_id)).status == PairStatus.ACTIVE.value
    await tick_at(world, ends_at + timedelta(minutes=1))
    pair = await world.get_pair(pair_id)
    assert pair.status == PairStatus.ENDED.value and pair.ended_at is not None
    prompts = {u: [m for m in dms(app, u) if ids.CLOSING_CONTINUE in buttons(m)]
               for u in (MENTOR, LEADER)}  # fmt: skip
    assert [len(p) for p in prompts.values()] == [1, 1]
    assert ids.HOME_REFLECT in buttons(prompts[MENTOR][0])  # reflect from the prompt
    await click(app, ids.CLOSING_CONTINUE, MENTOR, prompts[MENTOR][0])
    await click(app, ids.CLOSING_REMATCH, LEADER, prompts[LEADER][0])
    await eventually(lambda: _continues_are(world, pair_id, (True, False)))
    await tick_at(world, ends_at + timedelta(days=1))
    assert len(await world.outbox("closing:")) == 2  # one each, however many ticks


async def _status_is(world: World, pair_id: int, status: PairStatus) -> bool:
    return (await world.get_pair(pair_id)).status == status.value


async def _fits_are(world: World, pair_id: int, fits: tuple[str, str]) -> bool:
    pair = await world.get_pair(pair_id)
    return (pair.mentor_fit, pair.mentee_fit) == fits


async def _continues_are(world: World, pair_id: int, wanted: tuple[bool, bool]) -> bool:
    pair = await world.get_pair(pair_id)
    return (pair.mentor_continues, pair.mentee_continues) == wanted
