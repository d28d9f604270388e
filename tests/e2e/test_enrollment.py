"""Enrollment end to end: signed requests in, the fake Slack and the database checked."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.programs import get_or_create_default_program
from bot.db.tables import (
    MembershipRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    PersonSkillRow,
    ProgramRow,
    ReflectionRow,
    RoundRow,
    SkillRow,
    StoryRow,
)
from bot.slack import ids
from tests.e2e.conftest import (
    ADMIN,
    MEMBER,
    RunningApp,
    ask_status,
    open_modal,
    open_skills_admin,
)
from tests.support.slack_requests import (
    checkboxes_value,
    multi_static_value,
    plain_value,
    radio_value,
    static_value,
)

LEADER = "U0LEADER1"


async def open_join(app: RunningApp, user_id: str) -> dict[str, Any]:
    """`/mentor join` → the filled-in enrollment modal, as Slack holds it."""
    response = await app.slack.command("join", user_id=user_id)
    assert response.status == 200 and response.text == ""
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(user_id) or {}).get("callback_id") == ids.ENROLL_VIEW
    )
    view = app.fake.last_view_for(user_id)
    assert view is not None
    return view


async def skill_ids(app: RunningApp, *names: str) -> list[str]:
    async with app.sessions() as session:
        rows = await session.execute(
            select(SkillRow.name, SkillRow.id).where(SkillRow.name.in_(names))
        )
        found = dict(rows.all())
    return [str(found[name]) for name in names]


def enrollment_values(
    *,
    role: str,
    stage: str,
    teaches: list[str],
    learns: list[str],
    department: str = "Marketing",
    goals: str = "Understand how short video works",
) -> dict[str, dict[str, Any]]:
    def field(input_id: ids.InputId, value: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return input_id.block_id, {input_id.action_id: value}

    return dict(
        [
            field(ids.ENROLL_ROLE, radio_value(role)),
            field(ids.ENROLL_STAGE, static_value(stage)),
            field(ids.ENROLL_DEPARTMENT, plain_value(department)),
            field(ids.ENROLL_TEACHES, multi_static_value(teaches)),
            field(ids.ENROLL_LEARNS, multi_static_value(learns)),
            field(ids.ENROLL_GOALS, plain_value(goals)),
            field(ids.ENROLL_CADENCE, static_value("14")),
            field(ids.ENROLL_MAX_MENTEES, static_value("1")),
        ]
    )


async def enroll(app: RunningApp, user_id: str, **answers: Any) -> Any:
    view = await open_join(app, user_id)
    return await app.slack.submit_view(
        enrollment_values(**answers), user_id=user_id, view_id=view["id"]
    )


async def count(app: RunningApp, table: Any, *where: Any) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def test_join_opens_at_once_then_stores_and_confirms(app: RunningApp) -> None:
    view = await open_join(app, MEMBER)
    opened = app.fake.calls_to("views.open")[0]
    assert opened.status == 200 and opened.response["ok"] is True
    block_ids = {b.get("block_id") for b in view["blocks"]}
    assert {ids.ENROLL_ROLE.block_id, ids.ENROLL_STAGE.block_id} <= block_ids
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert not any(re.search(r"\b(age|birth)", label, re.IGNORECASE) for label in labels)

    teaches = await skill_ids(app, "TikTok for brands", "Prompt writing")
    learns = await skill_ids(app, "Career guidance")
    response = await app.slack.submit_view(
        enrollment_values(role="mentor", stage="1", teaches=teaches, learns=learns),
        user_id=MEMBER,
        view_id=view["id"],
    )
    assert response.status == 200
    ack = response.json()
    assert ack["response_action"] == "update"
    assert "You're in" in str(ack["view"])

    async with app.sessions() as session:
        person = await session.scalar(select(PersonRow).where(PersonRow.slack_user_id == MEMBER))
        assert person is not None
        membership = await session.scalar(select(MembershipRow))
    assert (person.career_stage, person.department) == (1, "Marketing")
    assert membership is not None and (membership.role, membership.status) == ("mentor", "active")
    assert await count(app, PersonSkillRow) == 3

    # After the ack: name and time zone from users.info, a welcome DM, the Home tab.
    await app.fake.await_until(lambda: app.fake.home_view(MEMBER) is not None)
    await app.fake.await_until(lambda: app.fake.messages(f"D{MEMBER}"))
    welcome = app.fake.messages(f"D{MEMBER}")[0]
    assert "Welcome to the Reverse mentoring program" in welcome["text"]
    async with app.sessions() as session:
        person = await session.scalar(select(PersonRow).where(PersonRow.slack_user_id == MEMBER))
    assert person is not None and person.timezone == "America/New_York"
    assert person.name in {"sam", "Sam Member"}


async def test_invalid_submission_shows_inline_errors_and_stores_nothing(app: RunningApp) -> None:
    view = await open_join(app, MEMBER)
    # A reverse mentor who shares nothing, and an over-long goal.
    response = await app.slack.submit_view(
        enrollment_values(role="mentor", stage="1", teaches=[], learns=[], goals="x" * 600),
        user_id=MEMBER,
        view_id=view["id"],
    )
    body = response.json()
    assert body["response_action"] == "errors"
    assert ids.ENROLL_TEACHES.block_id in body["errors"]
    assert ids.ENROLL_GOALS.block_id in body["errors"]
    assert await count(app, PersonRow) == 0
    assert await count(app, MembershipRow) == 0
    # The modal stays open for a fix.
    assert app.fake.view(view["id"]) is not None


async def test_leader_below_the_programs_minimum_stage_is_told_inline(app: RunningApp) -> None:
    app.fake.add_user(LEADER, name="dana", real_name="Dana Leader", tz="Europe/Berlin")
    view = await open_join(app, LEADER)
    learns = await skill_ids(app, "TikTok for brands")
    response = await app.slack.submit_view(
        enrollment_values(role="mentee", stage="1", teaches=[], learns=learns),
        user_id=LEADER,
        view_id=view["id"],
    )
    body = response.json()
    assert body["response_action"] == "errors"
    assert ids.ENROLL_STAGE.block_id in body["errors"]
    assert await count(app, PersonRow) == 0


async def test_join_again_reopens_prefilled_and_edits(app: RunningApp) -> None:
    await open_join(app, MEMBER)
    teaches = await skill_ids(app, "TikTok for brands")
    view = app.fake.last_view_for(MEMBER)
    assert view is not None
    await app.slack.submit_view(
        enrollment_values(role="mentor", stage="2", teaches=teaches, learns=[]),
        user_id=MEMBER,
        view_id=view["id"],
    )
    await app.fake.await_until(lambda: app.fake.messages(f"D{MEMBER}"))

    view = await open_join(app, MEMBER)
    text = str(view)
    assert "Update anything" in text
    stage_block = next(b for b in view["blocks"] if b.get("block_id") == ids.ENROLL_STAGE.block_id)
    assert stage_block["element"]["initial_option"]["value"] == "2"
    assert "Marketing" in text

    more = await skill_ids(app, "TikTok for brands", "Prompt writing")
    response = await app.slack.submit_view(
        enrollment_values(
            role="either", stage="3", teaches=more, learns=more[:1], department="Sales"
        ),
        user_id=MEMBER,
        view_id=view["id"],
    )
    assert "Profile saved" in str(response.json()["view"])
    async with app.sessions() as session:
        person = await session.scalar(select(PersonRow))
        membership = await session.scalar(select(MembershipRow))
    assert person is not None and (person.career_stage, person.department) == (3, "Sales")
    assert membership is not None and membership.role == "either"
    assert await count(app, MembershipRow) == 1
    assert await count(app, PersonSkillRow) == 3
    await asyncio.sleep(0.3)
    assert len(app.fake.messages(f"D{MEMBER}")) == 1, "an edit sends no second welcome"


async def test_a_slow_slack_never_makes_views_open_miss_its_trigger(app: RunningApp) -> None:
    app.fake.latency("users.info", 4.0)  # longer than the trigger lives
    view = await open_join(app, MEMBER)
    assert view["callback_id"] == ids.ENROLL_VIEW
    assert all(c.response and c.response.get("ok") for c in app.fake.calls_to("views.open"))


async def test_status_pause_resume(app: RunningApp) -> None:
    not_yet = await ask_status(app, MEMBER)
    assert "/mentor join" in not_yet["text"]

    await enroll(app, MEMBER, role="mentor", stage="1",
                 teaches=await _some_skill(app), learns=[])  # fmt: skip
    status = await ask_status(app, MEMBER)
    assert status["response_type"] == "ephemeral"
    assert "the Reverse mentoring program" in status["text"]

    bad = (await app.slack.command("pause forever", user_id=MEMBER)).json()
    assert "/mentor pause 4" in bad["text"]
    assert await count(app, MembershipRow, MembershipRow.status == "paused") == 0

    paused = (await app.slack.command("pause 2", user_id=MEMBER)).json()
    assert paused["response_type"] == "ephemeral"
    async with app.sessions() as session:
        membership = await session.scalar(select(MembershipRow))
    assert membership is not None and membership.status == "paused"
    assert membership.paused_until is not None
    assert timedelta(days=13) < membership.paused_until - app.clock.now() <= timedelta(days=14)

    resumed = (await app.slack.command("resume", user_id=MEMBER)).json()
    assert "Welcome back" in resumed["text"]
    assert await count(app, MembershipRow, MembershipRow.status == "active") == 1
    again = (await app.slack.command("resume", user_id=MEMBER)).json()
    assert "not paused" in again["text"]


async def test_a_timed_pause_ends_by_itself_at_tick_time(
    app: RunningApp, database_url: str
) -> None:
    await enroll(app, MEMBER, role="mentor", stage="1", teaches=await _some_skill(app), learns=[])
    await app.slack.command("pause 1", user_id=MEMBER)

    async def tick(at: Any) -> str:
        env = {
            **os.environ, "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": app.fake.token,
            "SLACK_API_URL": app.fake.base_url, "LOG_LEVEL": "WARNING",
        }  # fmt: skip
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "tick", "--at", at.isoformat(), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return out.decode()

    assert "resume-pauses 0" in await tick(app.clock.now() + timedelta(days=6))
    assert await count(app, MembershipRow, MembershipRow.status == "paused") == 1
    assert "resume-pauses 1" in await tick(app.clock.now() + timedelta(days=7, minutes=1))
    assert await count(app, MembershipRow, MembershipRow.status == "active") == 1
    notes = [m["text"] for m in app.fake.messages(f"D{MEMBER}")]
    assert any("pause is over" in text for text in notes)
    # A second tick at the same time sends nothing more.
    await tick(app.clock.now() + timedelta(days=7, minutes=2))
    assert sum("pause is over" in m["text"] for m in app.fake.messages(f"D{MEMBER}")) == 1


async def _some_skill(app: RunningApp) -> list[str]:
    """A skill id from the default catalogue (made on first use)."""
    async with app.sessions() as session, session.begin():
        await get_or_create_default_program(session, app.fake.team_id, now=app.clock.now())
    return await skill_ids(app, "AI tools for everyday work")


async def _pair_with(app: RunningApp, mentor: str, mentee: str) -> int:
    """A pair from a confirmed round (rounds come later; the row is what counts here)."""
    async with app.sessions() as session, session.begin():
        program = await session.scalar(select(ProgramRow))
        people = {p.slack_user_id: p for p in (await session.scalars(select(PersonRow))).all()}
        assert program is not None
        now = app.clock.now()
        round_ = RoundRow(
            team_id=program.team_id, program_id=program.id, number=1, status="announced",
            starts_at=now, ends_at=now + timedelta(weeks=12), created_at=now,
        )  # fmt: skip
        session.add(round_)
        await session.flush()
        pair = PairRow(
            team_id=program.team_id, program_id=program.id, round_id=round_.id,
            mentor_id=people[mentor].id, mentee_id=people[mentee].id, created_at=now,
        )  # fmt: skip
        session.add(pair)
        await session.flush()
        return pair.id


async def test_leave_with_deletion_tells_the_partner_and_leaves_no_personal_row(
    app: RunningApp,
) -> None:
    app.fake.add_user(LEADER, name="dana", real_name="Dana Leader", tz="Europe/Berlin")
    skill = await _some_skill(app)
    await enroll(app, MEMBER, role="mentor", stage="1", teaches=skill, learns=[])
    await enroll(app, LEADER, role="mentee", stage="4", teaches=[], learns=skill)
    pair_id = await _pair_with(app, MEMBER, LEADER)
    async with app.sessions() as session, session.begin():
        person = await session.scalar(select(PersonRow).where(PersonRow.slack_user_id == MEMBER))
        assert person is not None
        now, team = app.clock.now(), person.team_id
        program_id = await session.scalar(select(ProgramRow.id))
        assert program_id is not None
        session.add_all([
            ReflectionRow(team_id=team, author_id=person.id, pair_id=pair_id,
                          learned="secret notes", created_at=now),
            StoryRow(team_id=team, program_id=program_id, pair_id=pair_id,
                     author_id=person.id, text="story", created_at=now),
        ])  # fmt: skip

    status = await ask_status(app, LEADER)
    assert "paired with" in status["text"]

    view = await open_modal(app, "leave", MEMBER, ids.LEAVE_VIEW)
    response = await app.slack.submit_view(
        {
            ids.LEAVE_DELETE.block_id: {
                ids.LEAVE_DELETE.action_id: checkboxes_value([ids.LEAVE_DELETE_VALUE])
            }
        },
        user_id=MEMBER,
        view_id=view["id"],
    )
    assert response.json()["response_action"] == "update"
    assert "deleted" in str(response.json()["view"])

    # The partner hears kindly, by DM.
    await app.fake.await_until(
        lambda: any(
            "change to your pairing" in str(m["blocks"]) for m in app.fake.messages(f"D{LEADER}")
        )
    )
    # Nothing personal about the leaver remains.
    async with app.sessions() as session:
        assert (
            await session.scalar(select(PersonRow).where(PersonRow.slack_user_id == MEMBER)) is None
        )
        pair = await session.get(PairRow, pair_id)
        leftovers = (await session.scalars(select(OutgoingMessageRow.channel))).all()
    assert await count(app, ReflectionRow) == 0
    assert await count(app, StoryRow) == 0
    assert (
        await count(app, PersonSkillRow, PersonSkillRow.person_id.not_in(select(PersonRow.id))) == 0
    )
    assert pair is not None and pair.mentor_id is None and pair.status == "ended"
    assert MEMBER not in leftovers
    # The leader is still enrolled.
    assert await count(app, MembershipRow) == 1


async def test_leave_keeping_data(app: RunningApp) -> None:
    await enroll(app, MEMBER, role="mentor", stage="1", teaches=await _some_skill(app), learns=[])
    view = await open_modal(app, "leave", MEMBER, ids.LEAVE_VIEW)
    await app.slack.submit_view({}, user_id=MEMBER, view_id=view["id"])
    assert await count(app, PersonRow) == 1
    assert await count(app, MembershipRow, MembershipRow.status == "left") == 1
    status = await ask_status(app, MEMBER)
    assert "/mentor join" in status["text"]


@pytest.mark.parametrize("change", [{"deleted": True}, {"is_restricted": True}])
async def test_deactivated_or_guest_user_is_taken_out_and_the_partner_told(
    app: RunningApp, change: dict[str, bool]
) -> None:
    app.fake.add_user(LEADER, name="dana", real_name="Dana Leader", tz="Europe/Berlin")
    skill = await _some_skill(app)
    await enroll(app, MEMBER, role="mentor", stage="1", teaches=skill, learns=[])
    await enroll(app, LEADER, role="mentee", stage="4", teaches=[], learns=skill)
    await _pair_with(app, MEMBER, LEADER)
    user = app.fake.update_user(MEMBER, **change)
    event = {"type": "user_change", "user": user, "event_ts": "1.0"}
    first = await app.slack.event(event, event_id="EvDEACT1")
    retry = await app.slack.event(event, event_id="EvDEACT1", retry_num=1)
    assert first.status == retry.status == 200
    await app.fake.await_until(
        lambda: any(
            "change to your pairing" in str(m["blocks"]) for m in app.fake.messages(f"D{LEADER}")
        )
    )
    async with app.sessions() as session:
        person = await session.scalar(select(PersonRow).where(PersonRow.slack_user_id == MEMBER))
        pair = await session.scalar(select(PairRow))
    assert person is not None and person.is_active is False
    assert pair is not None and pair.status == "ended"
    await asyncio.sleep(0.3)
    told = [
        m for m in app.fake.messages(f"D{LEADER}") if "change to your pairing" in str(m["blocks"])
    ]
    assert len(told) == 1, "a retried event is handled once"


async def test_app_home_invites_newcomers_and_shows_members_their_profile(
    app: RunningApp,
) -> None:
    await app.slack.event(
        {"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D1"}
    )
    await app.fake.await_until(lambda: app.fake.home_view(MEMBER) is not None)
    home = app.fake.home_view(MEMBER)
    assert home is not None and ids.HOME_JOIN in str(home)

    await enroll(app, MEMBER, role="mentor", stage="1", teaches=await _some_skill(app), learns=[])
    # Saving the profile refreshes Home by itself.
    await app.fake.await_until(lambda: ids.HOME_PAUSE in str(app.fake.home_view(MEMBER)))
    app.fake.clear_calls()
    await app.slack.event(
        {"type": "app_home_opened", "user": MEMBER, "tab": "messages", "channel": "D1"}
    )
    await asyncio.sleep(0.2)
    assert app.fake.calls_to("views.publish") == []  # the Messages tab is ignored
    await app.slack.event(
        {"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D1"}
    )
    await app.fake.await_for("views.publish")
    home = app.fake.home_view(MEMBER)
    assert home is not None
    text = str(home)
    assert ids.HOME_PAUSE in text and ids.HOME_EDIT_PROFILE in text and ids.HOME_JOIN not in text

    # The Pause button on Home pauses, and Home shows Resume.
    await app.slack.action(ids.HOME_PAUSE, "1", user_id=MEMBER, view_id=home["id"])
    await app.fake.await_until(lambda: ids.HOME_RESUME in str(app.fake.home_view(MEMBER)))
    assert await count(app, MembershipRow, MembershipRow.status == "paused") == 1


async def test_admins_manage_skills_and_others_cannot(app: RunningApp) -> None:
    refused = (await app.slack.command("admin", user_id=MEMBER)).json()
    assert "program admins" in refused["text"]
    help_text = str((await app.slack.command("help", user_id=ADMIN)).json())
    assert "/mentor admin" in help_text

    view = await open_skills_admin(app, ADMIN)
    before = await count(app, SkillRow)
    bad = await app.slack.submit_view(
        {ids.SKILLS_ADD.block_id: {ids.SKILLS_ADD.action_id: plain_value("Prompt writing")}},
        user_id=ADMIN, view_id=view["id"],
    )  # fmt: skip
    assert bad.json()["response_action"] == "errors"
    new_skill = plain_value("AI tools: Agent workflows")
    ok = await app.slack.submit_view(
        {ids.SKILLS_ADD.block_id: {ids.SKILLS_ADD.action_id: new_skill}},
        user_id=ADMIN, view_id=view["id"],
    )  # fmt: skip
    assert ok.status == 200 and "errors" not in ok.text
    assert await count(app, SkillRow) == before + 1
    assert (
        await count(
            app, SkillRow, SkillRow.name == "Agent workflows", SkillRow.category == "AI tools"
        )
        == 1
    )


async def test_reflections_are_private_and_need_some_words(app: RunningApp) -> None:
    await enroll(app, MEMBER, role="mentor", stage="1", teaches=await _some_skill(app), learns=[])
    await app.slack.command("reflect", user_id=MEMBER)
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(MEMBER) or {}).get("callback_id") == ids.REFLECT_VIEW
    )
    view = app.fake.last_view_for(MEMBER)
    assert view is not None and "Only you can see this" in str(view)
    empty = await app.slack.submit_view({}, user_id=MEMBER, view_id=view["id"])
    assert ids.REFLECT_LEARNED.block_id in empty.json()["errors"]
    assert await count(app, ReflectionRow) == 0

    learned = {ids.REFLECT_LEARNED.action_id: plain_value("How <!channel> budgets work")}
    saved = await app.slack.submit_view(
        {ids.REFLECT_LEARNED.block_id: learned}, user_id=MEMBER, view_id=view["id"]
    )
    assert "1 reflection so far" in str(saved.json()["view"])
    async with app.sessions() as session:
        reflection = await session.scalar(select(ReflectionRow))
    assert reflection is not None and reflection.shared is False
    assert reflection.learned == "How <!channel> budgets work"
    # Nothing about it was posted anywhere.
    assert not any("budgets" in str(m) for m in app.fake.messages())


async def test_reflect_before_joining_says_how_to_join(app: RunningApp) -> None:
    await app.slack.command("reflect", user_id=MEMBER)
    await app.fake.await_until(lambda: "/mentor join" in str(app.fake.last_view_for(MEMBER)))


async def test_a_catalogue_over_100_skills_switches_to_search(app: RunningApp) -> None:
    await _some_skill(app)
    async with app.sessions() as session, session.begin():
        program = await session.scalar(select(ProgramRow))
        assert program is not None
        session.add_all(
            SkillRow(
                team_id=program.team_id,
                program_id=program.id,
                name=f"Niche skill {n}",
                name_key=f"niche skill {n}",
                category="Niche",
                created_at=app.clock.now(),
            )
            for n in range(100)
        )
    view = await open_join(app, MEMBER)
    teaches = next(b for b in view["blocks"] if b.get("block_id") == ids.ENROLL_TEACHES.block_id)
    assert teaches["element"]["type"] == "multi_external_select"

    response = await app.slack.post_payload(
        {
            "type": "block_suggestion",
            "user": {"id": MEMBER, "team_id": app.fake.team_id},
            "team": {"id": app.fake.team_id, "domain": "fake"},
            "api_app_id": "A0MENTOR",
            "action_id": ids.ENROLL_TEACHES.action_id,
            "block_id": ids.ENROLL_TEACHES.block_id,
            "value": "niche skill 4",
            "view": view,
        }
    )
    assert response.status == 200
    groups = response.json()["option_groups"]
    names = [o["text"]["text"] for g in groups for o in g["options"]]
    assert "Niche skill 4" in names and "Niche skill 40" in names
    assert all("niche skill 4" in name.lower() for name in names)


async def test_admins_rename_and_retire_skills(app: RunningApp) -> None:
    [ai_tools] = await _some_skill(app)
    [prompting] = await skill_ids(app, "Prompt writing")
    view = await open_skills_admin(app, ADMIN)
    values = {
        ids.SKILLS_RENAME.block_id: {ids.SKILLS_RENAME.action_id: static_value(ai_tools)},
        ids.SKILLS_NEW_NAME.block_id: {ids.SKILLS_NEW_NAME.action_id: plain_value("AI at work")},
        ids.SKILLS_RETIRED.block_id: {
            ids.SKILLS_RETIRED.action_id: multi_static_value([prompting])
        },
    }
    response = await app.slack.submit_view(values, user_id=ADMIN, view_id=view["id"])
    assert response.status == 200 and "errors" not in response.text
    async with app.sessions() as session:
        renamed = await session.get(SkillRow, int(ai_tools))
        retired = await session.get(SkillRow, int(prompting))
    assert renamed is not None and (renamed.name, renamed.name_key) == ("AI at work", "ai at work")
    assert retired is not None and retired.retired is True
    # A retired skill is no longer offered to people joining.
    join = await open_join(app, MEMBER)
    assert "Prompt writing" not in str(join) and "AI at work" in str(join)


async def test_a_non_admin_cannot_submit_the_skill_modal(app: RunningApp) -> None:
    await _some_skill(app)
    async with app.sessions() as session:
        program_id = await session.scalar(select(ProgramRow.id))
    before = await count(app, SkillRow)
    response = await app.slack.submit_view(
        {ids.SKILLS_ADD.block_id: {ids.SKILLS_ADD.action_id: plain_value("Sneaky skill")}},
        user_id=MEMBER,
        callback_id=ids.SKILLS_VIEW,
        private_metadata=f'{{"program_id": {program_id}, "editing": false}}',
    )
    assert response.json()["response_action"] == "errors"
    assert await count(app, SkillRow) == before
