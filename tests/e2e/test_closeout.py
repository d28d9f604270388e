"""The close-out survey (issue 12, point 4): at round end each partner is asked how it
went; "again: yes" is offered the next round in one click, with the swapped role where
they chose it. Answers are counted in the report, never shown per person."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.tables import CloseoutAnswerRow, MembershipRow, ProgramRow
from bot.domain import MembershipStatus, PairStatus, Role
from bot.services.participation import leave
from bot.services.reports import Period, build_report
from bot.slack import ids
from bot.slack.views.closeout import NOT_YOURS, SWITCH_QUESTIONS
from bot.slack.views.report import closeout_line
from tests.e2e.conftest import RunningApp
from tests.e2e.test_consent import (
    LEADER,
    MENTOR,
    OUTSIDER,
    PROGRAM,
    T0,
    World,
    buttons,
    dms,
    set_clock,
    settle,
)
from tests.support.slack_requests import radio_value

ENDS_AT = T0 + timedelta(weeks=12, minutes=1)  # just after the round's end


@pytest.fixture
async def world(app: RunningApp) -> World:
    set_clock(app, T0)
    world = World(app)
    await world.build()
    return world


async def end_round(world: World) -> int:
    """An active pair whose round ends: the app's tick ends it and sends the prompts."""
    pair_id = await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    set_clock(world.app, ENDS_AT)
    await settle(world.app)
    return pair_id


def closing_prompt(app: RunningApp, user_id: str) -> dict[str, Any]:
    [prompt] = [m for m in dms(app, user_id) if ids.CLOSING_CONTINUE in buttons(m)]
    return prompt


async def open_survey(app: RunningApp, user_id: str, value: str) -> dict[str, Any]:
    """Click a "Two-minute survey" button carrying `value`; the modal once filled in
    (a new one: the view shown before the click does not count)."""
    before = (app.fake.last_view_for(user_id) or {}).get("id")
    response = await app.slack.action(ids.CLOSEOUT_SURVEY, value, user_id=user_id,
                                      channel_id=f"D{user_id}", message_ts="1.000")  # fmt: skip
    assert response.status == 200

    def filled() -> bool:
        view = app.fake.last_view_for(user_id) or {}
        return (
            view.get("id") != before
            and view.get("callback_id") != ids.LOADING_VIEW
            and bool(view.get("blocks"))
        )

    await app.fake.await_until(filled)
    view = app.fake.last_view_for(user_id)
    assert view is not None
    return view


def answers(value: str | None, again: str | None, switch: str | None = None) -> dict[str, Any]:
    return {
        ids.CLOSEOUT_VALUE.block_id: {ids.CLOSEOUT_VALUE.action_id: radio_value(value)},
        ids.CLOSEOUT_AGAIN.block_id: {ids.CLOSEOUT_AGAIN.action_id: radio_value(again)},
        ids.CLOSEOUT_SWITCH.block_id: {ids.CLOSEOUT_SWITCH.action_id: radio_value(switch)},
    }


async def submit(
    app: RunningApp, user_id: str, view: dict[str, Any], values: dict[str, Any], **kw: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the app's ack, the view Slack shows after it)."""
    response = await app.slack.submit_view(values, user_id=user_id, view_id=view["id"], **kw)
    assert response.status == 200
    shown = app.fake.view(view["id"])
    assert shown is not None
    return (response.json() if response.text.strip() else {}), shown


def text_of(view: dict[str, Any]) -> str:
    return " ".join(str(b.get("text", {}).get("text", "")) for b in view.get("blocks", []))


def view_buttons(view: dict[str, Any]) -> dict[str, str]:
    return buttons(view)


async def click_in_view(app: RunningApp, user_id: str, view: dict[str, Any], value: str) -> None:
    response = await app.slack.action(ids.CLOSEOUT_REJOIN, value, user_id=user_id,
                                      view_id=view["id"])  # fmt: skip
    assert response.status == 200


async def membership(world: World, user_id: str, program_id: int) -> MembershipRow | None:
    async with world.app.sessions() as session:
        found: MembershipRow | None = await session.scalar(
            select(MembershipRow).where(
                MembershipRow.program_id == program_id,
                MembershipRow.person_id == world.person_id(user_id),
            )
        )
        return found


async def answer_rows(world: World) -> list[CloseoutAnswerRow]:
    async with world.app.sessions() as session:
        return list(await session.scalars(select(CloseoutAnswerRow).order_by(CloseoutAnswerRow.id)))


async def set_membership(world: World, user_id: str, status: MembershipStatus) -> None:
    async with world.app.sessions() as session, session.begin():
        found = await session.scalar(
            select(MembershipRow).where(
                MembershipRow.program_id == world.program_id,
                MembershipRow.person_id == world.person_id(user_id),
            )
        )
        assert found is not None
        found.status = status.value
        found.left_at = world.app.clock.now() if status is MembershipStatus.LEFT else None


async def add_program(world: World, name: str, *, is_open: bool = True) -> int:
    async with world.app.sessions() as session, session.begin():
        program = ProgramRow(team_id=world.team, name=name, is_open=is_open, created_at=T0,
                             updated_at=T0)  # fmt: skip
        session.add(program)
        await session.flush()
        return program.id


async def close_program(world: World, program_id: int) -> None:
    async with world.app.sessions() as session, session.begin():
        program = await session.get(ProgramRow, program_id)
        assert program is not None
        program.is_open = False


async def test_a_leader_who_would_switch_rejoins_the_next_round_as_a_mentor_once(
    world: World,
) -> None:
    app = world.app
    pair_id = await end_round(world)
    prompt = closing_prompt(app, LEADER)
    assert buttons(prompt)[ids.CLOSEOUT_SURVEY] == str(pair_id)
    await set_membership(world, LEADER, MembershipStatus.LEFT)  # left since: rejoins
    view = await open_survey(app, LEADER, str(pair_id))
    assert view["callback_id"] == ids.CLOSEOUT_VIEW
    assert SWITCH_QUESTIONS[Role.MENTEE] in str(view)
    _ack, shown = await submit(app, LEADER, view, answers("5", "yes", "yes"))
    assert "Join the next round of" in text_of(shown) and "as a reverse mentor" in text_of(shown)
    assert view_buttons(shown)[ids.CLOSEOUT_REJOIN] == str(pair_id)
    assert (await membership(world, LEADER, world.program_id)).status == "left"  # not yet
    # A double click (two requests at once) and a retry: one change.
    await asyncio.gather(*(click_in_view(app, LEADER, shown, str(pair_id)) for _ in range(2)))
    await click_in_view(app, LEADER, shown, str(pair_id))
    await app.fake.await_until(lambda: "You're in" in text_of(app.fake.view(view["id"]) or {}))
    assert text_of(app.fake.view(view["id"]) or {}).startswith(
        f"🎉 You're in the next round of {PROGRAM} as a reverse mentor"
    )
    joined = await membership(world, LEADER, world.program_id)
    assert joined is not None
    assert (joined.status, joined.role, joined.left_at) == ("active", Role.MENTOR.value, None)
    [row] = await answer_rows(world)
    assert (row.role, row.value, row.again, row.switch) == ("mentee", 5, True, True)
    assert row.rejoined_at is not None and row.pair_id == pair_id
    first_rejoin = row.rejoined_at
    # A second submission replaces the answer (one row) and keeps the rejoin.
    view = await open_survey(app, LEADER, str(pair_id))
    _ack, shown = await submit(app, LEADER, view, answers("4", "yes", "yes"))
    [row] = await answer_rows(world)
    assert (row.value, row.rejoined_at) == (4, first_rejoin)
    assert "You're in" in text_of(shown)


async def test_a_reverse_mentor_who_would_not_do_it_again_is_only_thanked(world: World) -> None:
    app = world.app
    pair_id = await end_round(world)
    view = await open_survey(app, MENTOR, str(pair_id))
    assert SWITCH_QUESTIONS[Role.MENTOR] in str(view)
    _ack, shown = await submit(app, MENTOR, view, answers("2", "no"))
    assert ids.CLOSEOUT_REJOIN not in view_buttons(shown) and "Thank you" in text_of(shown)
    # A forged rejoin click after "no" changes nothing.
    await click_in_view(app, MENTOR, shown, str(pair_id))
    await app.fake.await_until(lambda: NOT_YOURS in text_of(app.fake.view(view["id"]) or {}))
    [row] = await answer_rows(world)
    assert (row.role, row.value, row.again, row.switch, row.rejoined_at) == (
        "mentor", 2, False, None, None,
    )  # fmt: skip
    mine = await membership(world, MENTOR, world.program_id)
    assert mine is not None and mine.role == Role.MENTOR.value


async def test_a_forged_pair_an_outsider_or_a_pair_still_running_changes_nothing(
    world: World,
) -> None:
    app = world.app
    pair_id = await end_round(world)
    running = await world.pair(OUTSIDER, LEADER, status=PairStatus.ACTIVE)
    # An outsider clicking the pair's button, or a leader on a pair that hasn't ended.
    assert NOT_YOURS in text_of(await open_survey(app, OUTSIDER, str(pair_id)))
    assert NOT_YOURS in text_of(await open_survey(app, LEADER, str(running)))
    assert NOT_YOURS in text_of(await open_survey(app, LEADER, "99999"))
    # Forged submissions: someone else's pair in the metadata, a running pair, none.
    for user_id, metadata in ((OUTSIDER, f'{{"pair_id": {pair_id}}}'),
                              (LEADER, f'{{"pair_id": {running}}}'), (LEADER, "{}")):  # fmt: skip
        view = await open_survey(app, LEADER, str(pair_id))
        _ack, shown = await submit(app, user_id, view, answers("5", "yes", "yes"),
                                   private_metadata=metadata)  # fmt: skip
        assert NOT_YOURS in text_of(shown)
    await click_in_view(app, OUTSIDER, view, str(pair_id))
    assert await answer_rows(world) == []
    outsider = await membership(world, OUTSIDER, world.program_id)
    assert outsider is not None and outsider.role == Role.MENTOR.value
    # An invalid answer is an inline error, nothing stored.
    view = await open_survey(app, LEADER, str(pair_id))
    ack, _shown = await submit(app, LEADER, view, answers(None, None))
    assert ack["response_action"] == "errors"
    assert set(ack["errors"]) == {ids.CLOSEOUT_VALUE.block_id, ids.CLOSEOUT_AGAIN.block_id}
    assert await answer_rows(world) == []


async def test_a_closed_program_offers_the_next_open_one_or_says_there_is_none(
    world: World,
) -> None:
    app = world.app
    pair_id = await end_round(world)
    await close_program(world, world.program_id)
    later = await add_program(world, "Spring cohort")
    await add_program(world, "Archived", is_open=False)
    view = await open_survey(app, LEADER, str(pair_id))
    _ack, shown = await submit(app, LEADER, view, answers("5", "yes", "yes"))
    assert "Join Spring cohort as a reverse mentor" in text_of(shown)
    await click_in_view(app, LEADER, shown, str(pair_id))
    await app.fake.await_until(lambda: "You're in" in text_of(app.fake.view(view["id"]) or {}))
    assert "You're in Spring cohort as a reverse mentor" in text_of(app.fake.view(view["id"]) or {})
    joined = await membership(world, LEADER, later)
    assert joined is not None and (joined.status, joined.role) == ("active", Role.MENTOR.value)
    # The mentor keeps their role (no switch); with no open program left, a kind word.
    await close_program(world, later)
    view = await open_survey(app, MENTOR, str(pair_id))
    _ack, shown = await submit(app, MENTOR, view, answers("4", "yes", "no"))
    assert "no open program" in text_of(shown) and ids.CLOSEOUT_REJOIN not in view_buttons(shown)
    assert await membership(world, MENTOR, later) is None


async def test_the_report_counts_answers_with_no_average_below_three_and_erasure_removes_them(
    world: World,
) -> None:
    app = world.app
    pair_id = await end_round(world)
    for user_id, values in ((LEADER, answers("5", "yes", "yes")), (MENTOR, answers("3", "no"))):
        view = await open_survey(app, user_id, str(pair_id))
        _ack, shown = await submit(app, user_id, view, values)
    view = await open_survey(app, LEADER, str(pair_id))
    _ack, shown = await submit(app, LEADER, view, answers("5", "yes", "yes"))  # a replay
    await click_in_view(app, LEADER, shown, str(pair_id))
    await app.fake.await_until(lambda: "You're in" in text_of(app.fake.view(view["id"]) or {}))
    report = await build_report(app.sessions, team_id=world.team, program_id=world.program_id,
                                period=Period.ALL, now=app.clock.now())  # fmt: skip
    assert report is not None
    o = report.closeout
    assert (o.answered, o.people, o.again_yes, o.again_no, o.would_switch, o.rejoined) == (
        2, 2, 1, 1, 1, 1,
    )  # fmt: skip
    assert o.average is None  # two people: an average would be theirs
    line = closeout_line(report)
    assert "2 answered" in line and "yes 1 / no 1" in line and "switch roles: 1" in line
    assert "took the next round: 1" in line and "of 5 on average" not in line
    # A third person's answer shows the average.
    running = await world.pair(OUTSIDER, LEADER, status=PairStatus.ENDED)
    view = await open_survey(app, OUTSIDER, str(running))
    await submit(app, OUTSIDER, view, answers("4", "yes"))
    report = await build_report(app.sessions, team_id=world.team, program_id=world.program_id,
                                period=Period.ALL, now=app.clock.now())  # fmt: skip
    assert report is not None and report.closeout.average == pytest.approx(4.0)
    assert "4.0 of 5 on average" in closeout_line(report)
    # Erasing a person deletes their answers.
    await leave(app.sessions, team_id=world.team, user_id=LEADER, program_id=None,
                delete_data=True, now=app.clock.now())  # fmt: skip
    assert {r.person_id for r in await answer_rows(world)} == {
        world.person_id(MENTOR), world.person_id(OUTSIDER),
    }  # fmt: skip
