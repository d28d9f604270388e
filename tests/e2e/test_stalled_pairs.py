"""Stalled pairs and check-in settings, end to end: a pair with no meeting for two
periods is asked by `tick`, and answers through signed button clicks; the Home tab's
check-in selects save the person's slot and move their check-ins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db.tables import CheckinRow, MembershipRow, PairRow, PersonRow, ProgramRow
from bot.domain import PairStatus
from bot.services.checkin_plan import plan_due_at
from bot.slack import ids
from bot.slack.views.fitcheck import NOT_YOUR_PAIR, rematch_notice_message
from bot.slack.views.stalled import RISK_QUESTION
from tests.e2e.conftest import RunningApp
from tests.e2e.test_consent import (
    LEADER,
    MENTOR,
    OUTSIDER,
    PROGRAM,
    T0,
    World,
    buttons,
    click,
    dms,
    eventually,
    replied,
    set_clock,
    settle,
)

AT_RISK = T0 + timedelta(days=28, minutes=5)  # two fortnights after the intro: a Thursday


@pytest.fixture
async def world(app: RunningApp) -> World:
    set_clock(app, T0)
    world = World(app)
    await world.build()
    return world


async def introduce(world: World) -> int:
    pair_id = await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    async with world.app.sessions() as session, session.begin():
        pair = await session.get(PairRow, pair_id)
        assert pair is not None
        pair.introduced_at = T0
    return pair_id


def risk_questions(app: RunningApp, user_id: str) -> list[dict[str, Any]]:
    return [m for m in dms(app, user_id) if ids.RISK_KEEP_GOING in buttons(m)]


async def asked(world: World) -> tuple[int, dict[str, Any], dict[str, Any]]:
    pair_id = await introduce(world)
    set_clock(world.app, AT_RISK)
    await settle(world.app)
    [to_mentor] = risk_questions(world.app, MENTOR)
    [to_leader] = risk_questions(world.app, LEADER)
    return pair_id, to_mentor, to_leader


async def test_new_match_ends_the_pair_and_both_are_rematched_without_naming_who(
    world: World,
) -> None:
    app = world.app
    pair_id, to_mentor, to_leader = await asked(world)
    assert to_mentor["text"] == RISK_QUESTION and f"<@{LEADER}>" in str(to_mentor["blocks"])
    assert buttons(to_leader)[ids.RISK_NEW_MATCH] == str(pair_id)
    await click(app, ids.RISK_NEW_MATCH, LEADER, to_leader)
    await click(app, ids.RISK_NEW_MATCH, LEADER, to_leader)  # a double click, or a retry
    await eventually(lambda: _pair_status_is(world, pair_id, PairStatus.ENDED))
    async with app.sessions() as session:
        rematch = await session.scalars(
            select(MembershipRow.wants_rematch).where(
                MembershipRow.person_id.in_([world.person_id(MENTOR), world.person_id(LEADER)])
            )
        )
        assert list(rematch) == [True, True]
    pair = await world.get_pair(pair_id)
    assert (pair.mentor_risk, pair.mentee_risk) == (None, "new_match")
    await settle(app)
    notice = dms(app, MENTOR)[-1]
    assert notice["text"] == rematch_notice_message(program_name=PROGRAM)["text"]
    assert len(await world.outbox(f"rematch:{pair_id}:")) == 1
    # The leader's question now shows the answer in place, its buttons gone.
    await app.fake.await_until(lambda: not risk_questions(app, LEADER))
    assert "new match" in dms(app, LEADER)[0]["text"]


async def test_pause_pauses_the_person_and_keep_going_restarts_the_count(world: World) -> None:
    app = world.app
    pair_id, to_mentor, to_leader = await asked(world)
    await click(app, ids.RISK_PAUSE, MENTOR, to_mentor)
    await click(app, ids.RISK_KEEP_GOING, LEADER, to_leader)
    await eventually(lambda: _risks_are(world, pair_id, ("pause", "keep_going")))
    async with app.sessions() as session:
        status = await session.scalar(
            select(MembershipRow.status).where(MembershipRow.person_id == world.person_id(MENTOR))
        )
    assert status == "paused"
    pair = await world.get_pair(pair_id)
    assert pair.status == "active" and pair.risk_cleared_at is not None
    assert pair.risk_cleared_at - AT_RISK < timedelta(seconds=30)
    await app.fake.await_until(lambda: not risk_questions(app, MENTOR))
    assert "Paused" in dms(app, MENTOR)[0]["text"]
    # Their Home shows the pause (re-published after the click).
    await app.fake.await_until(lambda: ids.HOME_RESUME in str(app.fake.home_view(MENTOR)))
    # Two more weeks: not asked again (the count restarted at "keep going").
    set_clock(app, AT_RISK + timedelta(days=14))
    await settle(app)
    assert len(await world.outbox(f"risk:{pair_id}:")) == 2


async def test_a_strangers_click_changes_nothing(world: World) -> None:
    app = world.app
    pair_id, to_mentor, _ = await asked(world)
    for action_id in (ids.RISK_NEW_MATCH, ids.RISK_PAUSE, ids.RISK_KEEP_GOING):
        response_id = await click(app, action_id, OUTSIDER, to_mentor)
        assert await replied(app, response_id) == NOT_YOUR_PAIR
    pair = await world.get_pair(pair_id)
    assert (pair.status, pair.mentor_risk, pair.mentee_risk, pair.risk_cleared_at) == (
        "active",
        None,
        None,
        None,
    )
    async with app.sessions() as session:
        statuses = set(await session.scalars(select(MembershipRow.status)))
        rematch = set(await session.scalars(select(MembershipRow.wants_rematch)))
    assert statuses == {"active"} and rematch == {False}


async def test_home_selects_save_the_own_check_in_slot_and_move_scheduled_check_ins(
    world: World,
) -> None:
    app = world.app
    pair_id = await introduce(world)
    leader_id = world.person_id(LEADER)
    async with app.sessions() as session, session.begin():
        pair = await session.get(PairRow, pair_id)
        program = await session.get(ProgramRow, world.program_id)
        person = await session.get(PersonRow, leader_id)
        assert pair and program and person
        first = plan_due_at(pair, program, person, 1)
        session.add(CheckinRow(team_id=world.team, pair_id=pair_id, person_id=leader_id,
                               sequence=1, due_at=first))  # fmt: skip
    # The day's Home lands 1.5 s late, after the time's: the Home Slack keeps must
    # still show both choices, not the one rendered before the second was saved.
    published: list[object] = []
    app.fake.hook_after("views.publish", lambda call, _: published.append(call))
    app.fake.latency("views.publish", 1.5, times=1)
    for action_id, value in ((ids.HOME_CHECKIN_DAY, "3"), (ids.HOME_CHECKIN_TIME, "600")):
        response = await app.slack.action(
            action_id, user_id=LEADER, view_id="V0HOME", action_type="static_select",
            action_fields={"selected_option": {"value": value,
                                               "text": {"type": "plain_text", "text": value}}},
        )  # fmt: skip
        assert response.status == 200
        await app.fake.await_until(lambda: app.fake.calls_to("views.publish"))
    await eventually(lambda: _slot_is(world, leader_id, (3, 600)))
    await app.fake.await_until(lambda: len(published) == 2)
    async with app.sessions() as session:
        row = await session.scalar(select(CheckinRow))
        pair = await session.get(PairRow, pair_id)
        program = await session.get(ProgramRow, world.program_id)
        person = await session.get(PersonRow, leader_id)
        assert row and pair and program and person
        assert row.due_at == plan_due_at(pair, program, person, 1) != first
    local = row.due_at.astimezone(ZoneInfo("America/New_York"))
    assert (local.weekday(), local.hour, local.minute) == (3, 10, 0)  # Thursday 10:00
    home = str(app.fake.home_view(LEADER))
    assert f"<!date^{int(row.due_at.timestamp())}^" in home
    # Back to the program's day; a forged value changes nothing.
    forged = await app.slack.action(
        ids.HOME_CHECKIN_DAY, user_id=LEADER, view_id="V0HOME", action_type="static_select",
        action_fields={"selected_option": {"value": "6"}},
    )  # fmt: skip
    assert forged.status == 200
    await app.slack.action(
        ids.HOME_CHECKIN_DAY, user_id=LEADER, view_id="V0HOME", action_type="static_select",
        action_fields={"selected_option": {"value": "program"}},
    )  # fmt: skip
    await eventually(lambda: _slot_is(world, leader_id, (None, 600)))


async def _pair_status_is(world: World, pair_id: int, status: PairStatus) -> bool:
    return (await world.get_pair(pair_id)).status == status.value


async def _risks_are(world: World, pair_id: int, risks: tuple[str, str]) -> bool:
    pair = await world.get_pair(pair_id)
    return (pair.mentor_risk, pair.mentee_risk) == risks


async def _slot_is(world: World, person_id: int, slot: tuple[int | None, int | None]) -> bool:
    async with world.app.sessions() as session:
        person = await session.get(PersonRow, person_id)
        return person is not None and (person.checkin_weekday, person.checkin_minute) == slot
