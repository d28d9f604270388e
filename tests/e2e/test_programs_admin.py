"""Program management through signed HTTP and the fake Slack (issue 9, points 1 and 8).

`/mentor admin` opens the program list; "New program" and "Edit" turn it into the
form; a save joins the shout-out channel, stores the program and shows the list again.
Every admin surface refuses a non-admin, forged ids and metadata included.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from bot.db.programs import DEFAULT_PROGRAM_NAME, get_or_create_default_program
from bot.db.tables import (
    MeetingRow,
    MembershipRow,
    PairRow,
    PersonRow,
    ProgramRow,
    RoundRow,
    SkillRow,
    WorkspaceRow,
)
from bot.domain import MatchPriority, PairStatus, Role, RoundStatus
from bot.slack import ids
from tests.e2e.conftest import ADMIN, MEMBER, RunningApp, open_modal
from tests.support.program_form import (
    prefilled_values,
    set_channel,
    set_option,
    set_rules,
    set_text,
)

PUBLIC = "C0SHOUTS1"
PRIVATE = "G0SECRET1"
ARCHIVED = "C0OLDNEWS"
OTHER_TEAM = "T0OTHER01"

Values = dict[str, dict[str, Any]]


@pytest.fixture(autouse=True)
def channels(app: RunningApp) -> None:
    app.fake.add_channel(PUBLIC, "mentoring-shoutouts", bot_member=False)
    app.fake.add_channel(PRIVATE, "leaders-only", bot_member=False, private=True)
    app.fake.add_channel(ARCHIVED, "old-news", archived=True, bot_member=False)


async def programs(app: RunningApp) -> list[ProgramRow]:
    async with app.sessions() as session:
        rows = await session.scalars(select(ProgramRow).order_by(ProgramRow.id))
        return list(rows)


async def open_list(app: RunningApp, user_id: str = ADMIN) -> dict[str, Any]:
    view: dict[str, Any] = await open_modal(app, "admin", user_id, ids.PROGRAMS_VIEW)
    return view


async def open_form(
    app: RunningApp, list_view: dict[str, Any], *, program_id: int | None = None
) -> dict[str, Any]:
    """Click "New program" (or "Edit" on `program_id`) in the list; the form replaces it."""
    if program_id is None:
        await app.slack.action(ids.PROGRAM_NEW, user_id=ADMIN, view_id=list_view["id"])
    else:
        await app.slack.action(
            ids.PROGRAM_EDIT, str(program_id), user_id=ADMIN, view_id=list_view["id"]
        )
    await app.fake.await_until(
        lambda: (app.fake.view(list_view["id"]) or {}).get("callback_id") == ids.PROGRAM_EDIT_VIEW
    )
    form = app.fake.view(list_view["id"])
    assert form is not None
    return form


def new_values(form: dict[str, Any], name: str, *, channel: str | None = None) -> Values:
    values = prefilled_values(form)
    set_text(values, ids.PROGRAM_NAME, name)
    set_text(values, ids.PROGRAM_OBJECTIVES, "Leaders learn AI tools from early-career experts.")
    set_option(values, ids.PROGRAM_CADENCE, "7")
    set_option(values, ids.PROGRAM_ROUND_WEEKS, "26")
    set_option(values, ids.PROGRAM_PRIORITY, MatchPriority.HIGHEST_SCORE.value)
    set_option(values, ids.PROGRAM_STAGE_GAP, "2")
    set_text(values, ids.PROGRAM_WEIGHT_LEARNING, "70")
    set_text(values, ids.PROGRAM_OVERLAP_HOURS, "2.5")
    set_rules(values, ids.PROGRAM_RULE_CONSENT, ids.PROGRAM_RULE_AUTOMATIC)
    set_text(values, ids.PROGRAM_CONSENT_HOURS, "48")
    set_channel(values, channel)
    return values


def _texts(view: dict[str, Any] | None) -> str:
    return json.dumps((view or {}).get("blocks"), ensure_ascii=False)


def _buttons(view: dict[str, Any]) -> list[tuple[str, str | None]]:
    found = []
    for block in view["blocks"]:
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if element.get("type") == "button":
                found.append((element["action_id"], element.get("value")))
    return found


# --- creating and editing ------------------------------------------------------------


async def test_admin_creates_a_program_joins_its_public_channel_and_the_list_shows_it(
    app: RunningApp,
) -> None:
    listed = await open_list(app)
    assert DEFAULT_PROGRAM_NAME in _texts(listed)  # created on first use, editable
    form = await open_form(app, listed)
    values = new_values(form, "AI Pilot", channel=PUBLIC)
    saved = await app.slack.submit_view(values, user_id=ADMIN, view_id=form["id"])

    answer = saved.json()
    assert answer["response_action"] == "update"
    assert answer["view"]["callback_id"] == ids.PROGRAMS_VIEW
    assert "Created *AI Pilot*" in _texts(answer["view"])
    assert f"<#{PUBLIC}>" in _texts(answer["view"])
    joins = app.fake.calls_to("conversations.join")
    assert [c.params["channel"] for c in joins] == [PUBLIC]
    assert app.fake.is_bot_in(PUBLIC)

    [default, pilot] = await programs(app)
    assert default.is_default and not pilot.is_default
    assert (pilot.team_id, pilot.name, pilot.channel_id) == (app.fake.team_id, "AI Pilot", PUBLIC)
    assert pilot.objectives == "Leaders learn AI tools from early-career experts."
    assert (pilot.cadence_days, pilot.round_weeks, pilot.min_stage_gap) == (7, 26, 2)
    assert pilot.priority == MatchPriority.HIGHEST_SCORE.value
    assert pilot.weights == {
        "learning": 70.0,
        "giving_back": 20.0,
        "cross_department": 10.0,
        "working_hours": 10.0,
    }
    assert (pilot.min_shared_skills, pilot.min_overlap_hours) == (1, 2.5)
    assert (pilot.consent_required, pilot.consent_hours) == (True, 48)
    assert (pilot.pairs_automatically, pilot.stories_need_approval, pilot.is_open) == (
        True,
        False,
        True,
    )
    async with app.sessions() as session:
        skills = await session.scalar(
            select(func.count()).select_from(SkillRow).where(SkillRow.program_id == pilot.id)
        )
    assert skills and skills > 0  # a new program starts with the starter catalogue
    # The admin's Home is refreshed with the new program.
    await app.fake.await_until(lambda: "AI Pilot" in _texts(app.fake.home_view(ADMIN)))


async def test_admin_edits_a_program_and_the_form_shows_what_is_stored(app: RunningApp) -> None:
    listed = await open_list(app)
    [default] = await programs(app)
    form = await open_form(app, listed, program_id=default.id)
    assert json.loads(form["private_metadata"]) == {"program_id": default.id}
    values = prefilled_values(form)
    assert values[ids.PROGRAM_NAME.block_id][ids.PROGRAM_NAME.action_id]["value"] == (
        DEFAULT_PROGRAM_NAME
    )
    set_text(values, ids.PROGRAM_NAME, "Reverse Mentoring 2027")
    set_option(values, ids.PROGRAM_CADENCE, "28")
    set_option(values, ids.PROGRAM_OPEN, "closed")
    saved = await app.slack.submit_view(values, user_id=ADMIN, view_id=form["id"])
    assert saved.json()["response_action"] == "update"
    assert "Saved *Reverse Mentoring 2027*" in _texts(saved.json()["view"])
    assert "closed to new people · monthly" in _texts(app.fake.view(form["id"]))

    [edited] = await programs(app)
    assert (edited.id, edited.name, edited.cadence_days, edited.is_open) == (
        default.id,
        "Reverse Mentoring 2027",
        28,
        False,
    )
    assert edited.is_default  # still the workspace's default program
    assert edited.objectives == default.objectives  # untouched fields stay as they were
    assert app.fake.calls_to("conversations.join") == []  # no channel, nothing to join


async def test_a_name_clash_is_an_inline_error_and_nothing_is_saved(app: RunningApp) -> None:
    listed = await open_list(app)
    form = await open_form(app, listed)
    clash = await app.slack.submit_view(
        new_values(form, "  reverse   mentoring PROGRAM ", channel=PUBLIC), user_id=ADMIN,
        view_id=form["id"],
    )  # fmt: skip
    assert clash.json() == {
        "response_action": "errors",
        "errors": {
            ids.PROGRAM_NAME.block_id: (
                "There's already a program called “reverse mentoring PROGRAM”. Pick another name."
            )
        },
    }
    assert len(await programs(app)) == 1
    assert app.fake.calls_to("conversations.join") == []  # refused before any Slack call
    assert app.fake.view(form["id"])["callback_id"] == ids.PROGRAM_EDIT_VIEW  # form stays open


async def test_bad_values_are_inline_errors_under_their_fields_and_nothing_is_saved(
    app: RunningApp,
) -> None:
    listed = await open_list(app)
    form = await open_form(app, listed)
    values = new_values(form, "AI Pilot")
    set_text(values, ids.PROGRAM_WEIGHT_LEARNING, "-1")
    set_text(values, ids.PROGRAM_SHARED_SKILLS, "99")
    set_text(values, ids.PROGRAM_OVERLAP_HOURS, "9")
    set_text(values, ids.PROGRAM_CONSENT_HOURS, "")
    set_option(values, ids.PROGRAM_CADENCE, "30")  # not a choice the form offers
    refused = await app.slack.submit_view(values, user_id=ADMIN, view_id=form["id"])
    answer = refused.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {
        ids.PROGRAM_WEIGHT_LEARNING.block_id,
        ids.PROGRAM_SHARED_SKILLS.block_id,
        ids.PROGRAM_OVERLAP_HOURS.block_id,
        ids.PROGRAM_CONSENT_HOURS.block_id,
        ids.PROGRAM_CADENCE.block_id,
    }
    assert answer["errors"][ids.PROGRAM_OVERLAP_HOURS.block_id] == "Pick from 0 to 8."
    assert len(await programs(app)) == 1


@pytest.mark.parametrize(
    ("channel", "words"),
    [
        (PRIVATE, "private channel"),
        (ARCHIVED, "archived"),
        ("C0NOWHERE", "can't see that channel"),
    ],
)
async def test_a_channel_the_bot_cannot_join_is_a_clear_inline_error_and_nothing_is_saved(
    app: RunningApp, channel: str, words: str
) -> None:
    listed = await open_list(app)
    form = await open_form(app, listed)
    refused = await app.slack.submit_view(
        new_values(form, "AI Pilot", channel=channel), user_id=ADMIN, view_id=form["id"]
    )
    answer = refused.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [ids.PROGRAM_CHANNEL.block_id]
    assert words in answer["errors"][ids.PROGRAM_CHANNEL.block_id]
    assert [p.name for p in await programs(app)] == [DEFAULT_PROGRAM_NAME]
    assert [c.params["channel"] for c in app.fake.calls_to("conversations.join")] == [channel]
    assert not app.fake.is_bot_in(channel)


async def test_a_private_channel_the_bot_was_invited_to_is_accepted(app: RunningApp) -> None:
    app.fake.add_channel(PRIVATE, "leaders-only", bot_member=True, private=True)
    listed = await open_list(app)
    form = await open_form(app, listed)
    saved = await app.slack.submit_view(
        new_values(form, "AI Pilot", channel=PRIVATE), user_id=ADMIN, view_id=form["id"]
    )
    assert saved.json()["response_action"] == "update"
    join = app.fake.calls_to("conversations.join")[0]
    assert join.response == {"ok": False, "error": "method_not_supported_for_channel_type"}
    assert [p.channel_id for p in await programs(app)] == [None, PRIVATE]


async def test_an_edit_of_a_program_another_workspace_owns_changes_nothing(
    app: RunningApp,
) -> None:
    async with app.sessions() as session, session.begin():
        theirs = await get_or_create_default_program(session, OTHER_TEAM, now=app.clock.now())
    listed = await open_list(app)
    # "Edit" with their id: the list comes back saying it's gone, no form.
    await app.slack.action(ids.PROGRAM_EDIT, str(theirs.id), user_id=ADMIN, view_id=listed["id"])
    await app.fake.await_until(lambda: "no longer exists" in _texts(app.fake.view(listed["id"])))
    assert app.fake.view(listed["id"])["callback_id"] == ids.PROGRAMS_VIEW
    # A submission whose private_metadata names their program.
    form = await open_form(app, listed)
    forged = await app.slack.submit_view(
        new_values(form, "Hijacked"), user_id=ADMIN, view_id=form["id"],
        private_metadata=json.dumps({"program_id": theirs.id}),
    )  # fmt: skip
    assert forged.json()["response_action"] == "errors"
    assert "no longer exists" in forged.json()["errors"][ids.PROGRAM_NAME.block_id]
    names = sorted((p.team_id, p.name) for p in await programs(app))
    assert names == sorted(
        [(OTHER_TEAM, DEFAULT_PROGRAM_NAME), (app.fake.team_id, DEFAULT_PROGRAM_NAME)]
    )


# --- the admin gate on every surface -------------------------------------------------


async def test_a_non_admin_is_refused_the_command_and_every_button(app: RunningApp) -> None:
    [default_id] = [p.id for p in await _with_default(app)]
    refused = await app.slack.command("admin", user_id=MEMBER)
    assert refused.json()["response_type"] == "ephemeral"
    assert "for program admins" in refused.json()["text"]
    listed = await open_list(app)  # an admin's list, to forge clicks from
    app.fake.clear_calls()
    for action_id, value, view_id in (
        (ids.HOME_MANAGE_PROGRAMS, None, "V0HOME0001"),
        (ids.PROGRAM_NEW, None, listed["id"]),
        (ids.PROGRAM_EDIT, str(default_id), listed["id"]),
        # The same buttons forged from outside the admin's modal: refused by action id.
        (ids.PROGRAM_NEW, None, "V0HOME0001"),
        (ids.PROGRAM_EDIT, str(default_id), "V0HOME0001"),
        (ids.PAIR_PREVIEW_BUTTON, str(default_id), "V0HOME0001"),
    ):
        clicked = await app.slack.action(action_id, value, user_id=MEMBER, view_id=view_id)
        assert (clicked.status, clicked.text) == (200, ""), action_id
    # Listeners go on after the ack: the admin's own click, once shown, is the only one.
    await app.slack.action(ids.HOME_MANAGE_PROGRAMS, user_id=ADMIN, view_id="V0HOME0002")
    await app.fake.await_for("views.update")
    await asyncio.sleep(0.2)
    assert len(app.fake.calls_to("views.open")) == 1  # the admin's
    assert len(app.fake.calls_to("views.update")) == 1  # the admin's list filled in
    assert app.fake.view(listed["id"])["callback_id"] == ids.PROGRAMS_VIEW
    assert app.fake.last_view_for(MEMBER) is None


@pytest.mark.parametrize("callback_id", [ids.PROGRAM_EDIT_VIEW, ids.PROGRAMS_VIEW])
@pytest.mark.parametrize("target", ["new", "existing"])
async def test_a_non_admin_forged_program_submission_is_refused_and_changes_nothing(
    app: RunningApp, callback_id: str, target: str
) -> None:
    [default] = await _with_default(app)
    listed = await open_list(app)
    form = await open_form(app, listed, program_id=default.id)
    values = new_values(form, "Taken over", channel=PUBLIC)
    program_id = default.id if target == "existing" else None
    before = [(p.id, p.name, p.updated_at) for p in await programs(app)]
    refused = await app.slack.submit_view(
        values, user_id=MEMBER, callback_id=callback_id,
        private_metadata=json.dumps({"program_id": program_id}),
    )  # fmt: skip
    assert refused.json() == {
        "response_action": "errors",
        "errors": {ids.PROGRAM_NAME.block_id: "Only program admins can do this."},
    }
    assert [(p.id, p.name, p.updated_at) for p in await programs(app)] == before
    assert app.fake.calls_to("conversations.join") == []


async def _with_default(app: RunningApp) -> list[ProgramRow]:
    async with app.sessions() as session, session.begin():
        await get_or_create_default_program(session, app.fake.team_id, now=app.clock.now())
    return await programs(app)


# --- the admin's Home ------------------------------------------------------------------


async def _world_with_a_round(app: RunningApp) -> int:
    """A program with 4 members, a running round: 1 pair met, 1 active, 1 proposed."""
    now = app.clock.now()
    team = app.fake.team_id
    async with app.sessions() as session, session.begin():
        session.add(WorkspaceRow(team_id=team, name="", created_at=now))
        await session.flush()
        program = ProgramRow(
            team_id=team, name="AI Pilot", cadence_days=28, is_open=False,
            created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(program)
        await session.flush()
        people = []
        for n in range(6):
            person = PersonRow(
                team_id=team, slack_user_id=f"U0P{n}", created_at=now, updated_at=now
            )
            session.add(person)
            people.append(person)
        await session.flush()
        for n, person in enumerate(people):
            role = Role.MENTOR if n % 2 == 0 else Role.MENTEE
            session.add(
                MembershipRow(
                    team_id=team,
                    program_id=program.id,
                    person_id=person.id,
                    role=role.value,
                    joined_at=now,
                    status="left" if n == 5 else ("paused" if n == 4 else "active"),
                )
            )
        old = RoundRow(
            team_id=team, program_id=program.id, number=1, status=RoundStatus.ANNOUNCED.value,
            starts_at=now - timedelta(weeks=30), ends_at=now - timedelta(weeks=4), created_at=now,
        )  # fmt: skip
        current = RoundRow(
            team_id=team, program_id=program.id, number=2, status=RoundStatus.ANNOUNCED.value,
            starts_at=now - timedelta(weeks=2), ends_at=now + timedelta(weeks=10), created_at=now,
        )  # fmt: skip
        session.add_all([old, current])
        await session.flush()
        met = PairRow(
            team_id=team, program_id=program.id, round_id=current.id, mentor_id=people[0].id,
            mentee_id=people[1].id, status=PairStatus.ACTIVE.value, created_at=now,
        )  # fmt: skip
        active = PairRow(
            team_id=team, program_id=program.id, round_id=current.id, mentor_id=people[2].id,
            mentee_id=people[3].id, status=PairStatus.ACTIVE.value, created_at=now,
        )  # fmt: skip
        proposed = PairRow(
            team_id=team, program_id=program.id, round_id=current.id, mentor_id=people[4].id,
            mentee_id=people[5].id, status=PairStatus.PROPOSED.value, created_at=now,
        )  # fmt: skip
        stale = PairRow(  # the ended round's pair does not count
            team_id=team, program_id=program.id, round_id=old.id, mentor_id=people[0].id,
            mentee_id=people[3].id, status=PairStatus.ACTIVE.value, created_at=now,
        )  # fmt: skip
        session.add_all([met, active, proposed, stale])
        await session.flush()
        for pair in (met, met, stale):
            session.add(
                MeetingRow(team_id=team, pair_id=pair.id, met_on=now.date(), created_at=now)
            )
    return program.id


async def test_admin_home_shows_programs_rounds_counts_and_admin_buttons(app: RunningApp) -> None:
    program_id = await _world_with_a_round(app)
    await app.slack.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
    await app.fake.await_until(lambda: app.fake.home_view(ADMIN) is not None)
    texts = _texts(app.fake.home_view(ADMIN))
    assert "*AI Pilot* · closed · monthly · next round" in texts
    assert "Round 2 · <!date^" in texts and "· running" in texts
    assert (
        "5 enrolled · 1 paused · 2 matched · 1 met at least once · 1 waiting for consent"
    ) in texts
    home = app.fake.home_view(ADMIN)
    assert home is not None
    found = _buttons(home)
    assert (ids.HOME_MANAGE_PROGRAMS, None) in found
    assert (ids.PAIR_PREVIEW_BUTTON, str(program_id)) in found
    assert (ids.HOME_MANAGE_SKILLS, str(program_id)) in found

    # "Manage programs" on Home opens the same list as /mentor admin.
    await app.slack.action(ids.HOME_MANAGE_PROGRAMS, user_id=ADMIN, view_id=home["id"])
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(ADMIN) or {}).get("callback_id") == ids.PROGRAMS_VIEW
    )
    assert "AI Pilot" in _texts(app.fake.last_view_for(ADMIN))


async def test_a_non_admin_home_shows_no_admin_part(app: RunningApp) -> None:
    await _world_with_a_round(app)
    await app.slack.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    await app.fake.await_until(lambda: app.fake.home_view(MEMBER) is not None)
    texts = _texts(app.fake.home_view(MEMBER))
    assert "Program admin" not in texts and "AI Pilot" not in texts
    for admin_action in (ids.HOME_MANAGE_PROGRAMS, ids.PAIR_PREVIEW_BUTTON, ids.HOME_MANAGE_SKILLS):
        assert admin_action not in texts


# --- the fake speaks Slack's conversations.join / conversations.info ------------------


async def test_the_fake_answers_conversations_join_and_info_as_slack_does(
    app: RunningApp,
) -> None:
    client = AsyncWebClient(token=app.fake.token, base_url=app.fake.base_url, retry_handlers=[])
    joined = await client.conversations_join(channel=PUBLIC)
    assert joined["channel"]["is_member"] is True and "warning" not in joined.data
    again = await client.conversations_join(channel=PUBLIC)
    assert again["warning"] == "already_in_channel"
    assert again["response_metadata"] == {"warnings": ["already_in_channel"]}
    for channel, error in (
        (PRIVATE, "method_not_supported_for_channel_type"),
        (ARCHIVED, "is_archived"),
        ("C0NOWHERE", "channel_not_found"),
        (f"D{MEMBER}", "method_not_supported_for_channel_type"),
    ):
        with pytest.raises(SlackApiError) as refused:
            await client.conversations_join(channel=channel)
        assert refused.value.response["error"] == error, channel
    with pytest.raises(SlackApiError) as hidden:
        await client.conversations_info(channel=PRIVATE)  # the bot is not in it
    assert hidden.value.response["error"] == "channel_not_found"
    app.fake.add_channel(PRIVATE, "leaders-only", bot_member=True, private=True)
    info = await client.conversations_info(channel=PRIVATE)
    assert (info["channel"]["is_private"], info["channel"]["is_member"]) == (True, True)
