"""What a newcomer meets (issue 9, points 1 and 9), through signed HTTP and the fake Slack."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from bot.db.programs import DEFAULT_PROGRAM_NAME, OLD_DEFAULT_PROGRAM_NAME, ensure_workspace
from bot.db.tables import MembershipRow, OutgoingMessageRow, PersonRow, ProgramRow
from bot.slack import ids
from tests.e2e.conftest import ADMIN, MEMBER, RunningApp, ask_status, open_modal, open_skills_admin
from tests.e2e.test_enrollment import (
    LEADER,
    _pair_with,
    _some_skill,
    count,
    enroll,
    enrollment_values,
    open_join,
)
from tests.support.slack_requests import block_actions_payload, plain_value, user_value

ROOT = Path(__file__).resolve().parents[2]


async def add_program(app: RunningApp, name: str, **settings: Any) -> int:
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        program = ProgramRow(
            team_id=app.fake.team_id, name=name, created_at=now, updated_at=now,
            **{"is_open": True, **settings},
        )  # fmt: skip
        session.add(program)
        await session.flush()
        return program.id


def block(view: dict[str, Any], field: ids.InputId) -> dict[str, Any] | None:
    return next((b for b in view["blocks"] if b.get("block_id") == field.block_id), None)


async def test_join_asks_which_program_only_when_several_are_open(app: RunningApp) -> None:
    alone = await open_join(app, MEMBER)
    assert block(alone, ids.ENROLL_PROGRAM) is None  # one open program: no question
    await add_program(app, "AI Pilot")
    await add_program(app, "Closed circle", is_open=False)

    several = await open_join(app, ADMIN)
    select_block = block(several, ids.ENROLL_PROGRAM)
    assert select_block is not None and select_block["dispatch_action"] is True
    offered = [o["text"]["text"] for o in select_block["element"]["options"]]
    assert offered == [DEFAULT_PROGRAM_NAME, "AI Pilot"]  # open ones only, default first
    assert select_block["element"]["initial_option"]["text"]["text"] == DEFAULT_PROGRAM_NAME

    # Choosing one and submitting enrolls into that program.
    async with app.sessions() as session:
        pilot = await session.scalar(select(ProgramRow.id).where(ProgramRow.name == "AI Pilot"))
    values = enrollment_values(role="mentee", stage="4", teaches=[], learns=[])
    values[ids.ENROLL_PROGRAM.block_id] = {
        ids.ENROLL_PROGRAM.action_id: {"type": "static_select",
                                       "selected_option": {"value": str(pilot)}}
    }  # fmt: skip
    response = await app.slack.submit_view(values, user_id=ADMIN, view_id=several["id"])
    assert "errors" not in response.text, response.text
    async with app.sessions() as session:
        joined = await session.scalar(select(MembershipRow.program_id))
    assert joined == pilot
    await app.fake.await_until(lambda: app.fake.home_view(ADMIN) is not None)  # after the ack


async def test_picking_a_role_rebuilds_the_modal_with_what_that_role_is_asked(
    app: RunningApp,
) -> None:
    user_id = MEMBER
    view = await open_join(app, user_id)
    assert block(view, ids.ENROLL_MAX_MENTEES) is not None
    state = {
        ids.ENROLL_ROLE.block_id: {ids.ENROLL_ROLE.action_id: {
            "type": "radio_buttons", "selected_option": {"value": "mentee"}}},
        ids.ENROLL_DEPARTMENT.block_id: {ids.ENROLL_DEPARTMENT.action_id: plain_value("Brand")},
    }  # fmt: skip
    payload = block_actions_payload(
        user_id=user_id, team_id=app.fake.team_id, action_id=ids.ENROLL_ROLE.action_id,
        value=None, block_id=ids.ENROLL_ROLE.block_id, trigger_id=app.fake.new_trigger_id(),
        view={**view, "state": {"values": state}}, action_type="radio_buttons",
        action_fields={"selected_option": {"value": "mentee"}},
    )  # fmt: skip
    response = await app.slack.post_payload(payload)
    assert response.status == 200
    await app.fake.await_until(
        lambda: block(app.fake.view(view["id"]) or view, ids.ENROLL_MAX_MENTEES) is None
    )
    rebuilt = app.fake.view(view["id"])
    assert rebuilt is not None
    learns, teaches = block(rebuilt, ids.ENROLL_LEARNS), block(rebuilt, ids.ENROLL_TEACHES)
    assert learns is not None and not learns.get("optional", False)  # a leader must pick
    assert teaches is not None and teaches["optional"] is True
    department = block(rebuilt, ids.ENROLL_DEPARTMENT)
    assert department is not None and department["element"]["initial_value"] == "Brand"


async def test_the_manager_picked_is_kept_on_the_profile_and_prefilled(app: RunningApp) -> None:
    teaches = await _some_skill(app)
    view = await open_join(app, MEMBER)
    values = enrollment_values(role="mentor", stage="1", teaches=teaches, learns=[])
    values[ids.ENROLL_MANAGER.block_id] = {ids.ENROLL_MANAGER.action_id: user_value(ADMIN)}
    response = await app.slack.submit_view(values, user_id=MEMBER, view_id=view["id"])
    assert "errors" not in response.text, response.text
    async with app.sessions() as session:
        manager = await session.scalar(
            select(PersonRow.manager_slack_id).where(PersonRow.slack_user_id == MEMBER)
        )
    assert manager == ADMIN
    await app.fake.await_until(lambda: app.fake.home_view(MEMBER) is not None)  # after the ack
    again = await open_join(app, MEMBER)
    picker = block(again, ids.ENROLL_MANAGER)
    assert picker is not None and picker["element"]["initial_user"] == ADMIN

    values[ids.ENROLL_MANAGER.block_id] = {ids.ENROLL_MANAGER.action_id: user_value(MEMBER)}
    self_pick = await app.slack.submit_view(values, user_id=MEMBER, view_id=again["id"])
    assert ids.ENROLL_MANAGER.block_id in self_pick.json()["errors"]


async def test_status_and_welcome_say_when_the_next_round_starts(app: RunningApp) -> None:
    teaches = await _some_skill(app)
    starts = app.clock.now().date() + timedelta(days=20)
    async with app.sessions() as session, session.begin():
        program = await session.scalar(select(ProgramRow).where(ProgramRow.is_default))
        assert program is not None
        program.starts_on = starts
    await enroll(app, MEMBER, role="mentor", stage="1", teaches=teaches, learns=[])
    noon = int(datetime.combine(starts, time(12), tzinfo=UTC).timestamp())
    status = await ask_status(app, MEMBER)
    assert f"You'll be paired when the next round starts on <!date^{noon}^" in str(status)
    await app.fake.await_until(lambda: app.fake.messages(f"D{MEMBER}"))
    welcome = app.fake.messages(f"D{MEMBER}")[0]
    assert f"<!date^{noon}^" in str(welcome["blocks"])


async def test_home_pause_offers_lengths_and_pauses_for_the_one_picked(app: RunningApp) -> None:
    await enroll(app, MEMBER, role="mentor", stage="1",
                 teaches=await _some_skill(app), learns=[])  # fmt: skip
    await app.fake.await_until(lambda: ids.HOME_PAUSE_FOR in str(app.fake.home_view(MEMBER)))
    home = app.fake.home_view(MEMBER)
    assert home is not None and "1 month" in str(home) and "Until I resume" in str(home)
    response = await app.slack.action(
        ids.HOME_PAUSE_FOR, user_id=MEMBER, view_id=home["id"], action_type="static_select",
        action_fields={"selected_option": {"value": "4", "text": {"type": "plain_text",
                                                                    "text": "1 month"}}},
    )  # fmt: skip
    assert response.status == 200
    await app.fake.await_until(lambda: ids.HOME_RESUME in str(app.fake.home_view(MEMBER)))
    async with app.sessions() as session:
        membership = await session.scalar(select(MembershipRow))
    assert membership is not None and membership.status == "paused"
    assert membership.paused_until is not None
    assert membership.paused_until - app.clock.now() > timedelta(days=27)
    texts = str(app.fake.home_view(MEMBER))
    assert "Paused until" in texts and "next round" not in texts

    forged = await app.slack.action(
        ids.HOME_PAUSE_FOR, user_id=MEMBER, view_id=home["id"], action_type="static_select",
        action_fields={"selected_option": {"value": "999"}},
    )  # fmt: skip
    assert forged.status == 200


async def test_leaving_keeps_an_optional_private_reason_that_the_partner_never_sees(
    app: RunningApp,
) -> None:
    app.fake.add_user(LEADER, name="dana", real_name="Dana Leader", tz="Europe/Berlin")
    teaches = await _some_skill(app)
    await enroll(app, MEMBER, role="mentor", stage="1", teaches=teaches, learns=[])
    await enroll(app, LEADER, role="mentee", stage="4", teaches=[], learns=teaches)
    await _pair_with(app, MEMBER, LEADER)
    view = await open_modal(app, "leave", MEMBER, ids.LEAVE_VIEW)
    assert block(view, ids.LEAVE_REASON) is not None
    reason = "Too busy with the launch"
    values = {ids.LEAVE_REASON.block_id: {ids.LEAVE_REASON.action_id: plain_value(reason)}}
    response = await app.slack.submit_view(values, user_id=MEMBER, view_id=view["id"])
    assert response.json()["response_action"] == "update"
    async with app.sessions() as session:
        membership = await session.scalar(
            select(MembershipRow).join(PersonRow).where(PersonRow.slack_user_id == MEMBER)
        )
        notices = list(
            await session.scalars(
                select(OutgoingMessageRow.payload).where(OutgoingMessageRow.channel == LEADER)
            )
        )
    assert membership is not None and membership.status == "left"
    assert membership.left_reason == reason
    assert notices and all("launch" not in str(p) for p in notices)
    await app.fake.await_until(lambda: app.fake.messages(f"D{LEADER}"))
    assert all("launch" not in str(m) for m in app.fake.messages())

    # Rejoining clears it; erasing the person deletes it with the membership.
    await enroll(app, MEMBER, role="mentor", stage="1", teaches=teaches, learns=[])
    async with app.sessions() as session:
        kept = await session.scalar(
            select(MembershipRow.left_reason)
            .join(PersonRow)
            .where(PersonRow.slack_user_id == MEMBER)
        )
    assert kept is None
    view = await open_modal(app, "leave", MEMBER, ids.LEAVE_VIEW)
    values = {
        ids.LEAVE_REASON.block_id: {ids.LEAVE_REASON.action_id: plain_value("Moving on")},
        ids.LEAVE_DELETE.block_id: {ids.LEAVE_DELETE.action_id: {
            "type": "checkboxes", "selected_options": [{"value": ids.LEAVE_DELETE_VALUE}]}},
    }  # fmt: skip
    await app.slack.submit_view(values, user_id=MEMBER, view_id=view["id"])
    assert await count(app, MembershipRow, MembershipRow.left_reason.is_not(None)) == 0
    assert await count(app, PersonRow, PersonRow.slack_user_id == MEMBER) == 0


async def test_saving_skills_confirms_what_changed(app: RunningApp) -> None:
    view = await open_skills_admin(app, ADMIN)
    ok = await app.slack.submit_view(
        {ids.SKILLS_ADD.block_id: {ids.SKILLS_ADD.action_id: plain_value("AI tools: Agents")}},
        user_id=ADMIN, view_id=view["id"],
    )  # fmt: skip
    ack = ok.json()
    assert ack["response_action"] == "update"
    assert ack["view"]["callback_id"] == ids.SKILLS_SAVED_VIEW
    assert "Added 1 skill: Agents" in str(ack["view"]["blocks"])


async def test_the_old_default_name_is_renamed_and_a_chosen_name_is_kept(
    app: RunningApp,
) -> None:
    now = app.clock.now()
    team = app.fake.team_id
    async with app.sessions() as session, session.begin():
        await ensure_workspace(session, team, now=now)
        session.add(ProgramRow(team_id=team, name=OLD_DEFAULT_PROGRAM_NAME, is_default=True,
                               is_open=True, created_at=now, updated_at=now))  # fmt: skip
    await open_join(app, MEMBER)
    async with app.sessions() as session:
        names = list(await session.scalars(select(ProgramRow.name)))
    assert names == [DEFAULT_PROGRAM_NAME]

    async with app.sessions() as session, session.begin():
        program = await session.scalar(select(ProgramRow))
        assert program is not None
        program.name = "Acme Exchange"
    await open_join(app, MEMBER)
    async with app.sessions() as session:
        assert list(await session.scalars(select(ProgramRow.name))) == ["Acme Exchange"]


async def test_the_manifest_and_help_promise_only_subcommands_that_exist(app: RunningApp) -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    command = manifest["features"]["slash_commands"][0]
    hinted = command["usage_hint"].strip("[]").replace(" ", "").split("|")
    offered = {s.name for s in app.router.subcommands if not s.admin_only}
    assert set(hinted) <= offered, set(hinted) - offered
    assert "story" in hinted and "story" in command["description"].lower()
    assert "files:read" in manifest["oauth_config"]["scopes"]["bot"]
    help_reply = (await app.slack.command("help", user_id=MEMBER)).json()
    assert "`/mentor story`" in str(help_reply)
