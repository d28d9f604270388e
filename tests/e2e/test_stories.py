"""Success stories end to end: drafted in the modal, approved by the partner (and an
admin when the program asks), posted once to the channel, withdrawn with chat.delete."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.tables import PairRow, PersonRow, ProgramRow, ReflectionRow, StoryRow
from bot.domain import PairStatus, StoryStatus
from bot.jobs import tick
from bot.services.erasure import erase_person
from bot.services.stories import ask_key, invite_if_both_loved_it
from bot.slack import ids
from tests.e2e.conftest import ADMIN, MEMBER, RunningApp, open_modal
from tests.e2e.test_consent import (
    LEADER,
    MENTOR,
    T0,
    World,
    buttons,
    click,
    dms,
    set_clock,
    settle,
)
from tests.e2e.test_reflections import answers as reflection_answers
from tests.support.slack_requests import multi_static_value, plain_value, radio_value

CHANNEL = "C0STORIES"
INJECTION = (
    "Hi <!channel> <!here> <!subteam^S0TEAM|@leads> <@U0EVIL01> <#C0EVIL01> "
    "<https://evil.example|innocent> & done"
)
RAW = ("<!channel>", "<!here>", "<!subteam^", "<@U0EVIL01>", "<#C0EVIL01>", "<https://evil")


@pytest.fixture
async def world(app: RunningApp) -> World:
    set_clock(app, T0)
    world = World(app)
    await world.build()
    app.fake.add_channel(CHANNEL, "reverse-mentoring")
    async with app.sessions() as session, session.begin():
        program = await session.get(ProgramRow, world.program_id)
        assert program is not None
        program.channel_id = CHANNEL
        program.consent_required = False
    return world


async def needs_admin(world: World) -> None:
    async with world.app.sessions() as session, session.begin():
        program = await session.get(ProgramRow, world.program_id)
        assert program is not None
        program.stories_need_approval = True


async def write(
    world: World, *, title: str = "Dashboards for the brand team",
    text: str = "Dana's team now builds its own dashboards.", anonymous: bool = False,
    user: str = MENTOR,
) -> None:  # fmt: skip
    view = await open_modal(world.app, "story", user, ids.STORY_VIEW)
    assert "is asked to approve this exact text first" in json.dumps(view)
    await submit(world, view, user=user, title=title, text=text, anonymous=anonymous)


async def submit(
    world: World, view: dict[str, Any], *, user: str, title: str, text: str, anonymous: bool
) -> None:
    values = {
        ids.STORY_TITLE.block_id: {ids.STORY_TITLE.action_id: plain_value(title)},
        ids.STORY_TEXT.block_id: {ids.STORY_TEXT.action_id: plain_value(text)},
        ids.STORY_SKILLS.block_id: {ids.STORY_SKILLS.action_id: multi_static_value([])},
        ids.STORY_CREDIT.block_id: {
            ids.STORY_CREDIT.action_id: radio_value("anonymous" if anonymous else "named")
        },
    }
    response = await world.app.slack.submit_view(values, user_id=user, view_id=view["id"])
    assert response.status == 200
    await settle(world.app)


def with_button(app: RunningApp, user: str, action_id: str) -> list[dict[str, Any]]:
    return [m for m in dms(app, user) if action_id in buttons(m)]


def posts(app: RunningApp) -> list[dict[str, Any]]:
    return [m for m in app.fake.messages(CHANNEL) if "success story" in m.get("text", "")]


async def story(world: World) -> StoryRow:
    async with world.app.sessions() as session:
        row = await session.scalar(select(StoryRow).order_by(StoryRow.id.desc()).limit(1))
        assert row is not None
        return row


def shown(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []))


async def test_named_story_posts_once_after_the_partner_approves_crediting_both(
    world: World,
) -> None:
    app = world.app
    await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    await write(world)
    assert posts(app) == []  # nothing before the partner's approval
    [ask] = with_button(app, LEADER, ids.STORY_APPROVE)
    [waiting] = with_button(app, MENTOR, ids.STORY_WITHDRAW)
    assert "Dana's team now builds its own dashboards." in shown(ask)
    # A double click and Slack's retry of the same click: one post.
    await click(app, ids.STORY_APPROVE, LEADER, ask)
    await click(app, ids.STORY_APPROVE, LEADER, ask)
    await click(app, ids.STORY_APPROVE, LEADER, ask, retry_num=1)
    await settle(app)
    await tick(app.runtime)
    [post] = posts(app)
    assert f"<@{MENTOR}>" in shown(post) and f"<@{LEADER}>" in shown(post)
    # The approval DM showed exactly the blocks that were posted.
    assert all(block in ask["blocks"] for block in post["blocks"][1:])
    assert (await story(world)).status == StoryStatus.POSTED.value
    # The author's "waiting" DM can't be used to approve: an outsider's click does nothing.
    await click(app, ids.STORY_WITHDRAW, MEMBER, waiting)
    await settle(app)
    assert (await story(world)).status == StoryStatus.POSTED.value


async def test_anonymous_story_credits_neither_and_injection_is_inert_everywhere(
    world: World,
) -> None:
    app = world.app
    await needs_admin(world)
    await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    await write(world, title=INJECTION[:150], text=INJECTION, anonymous=True)
    [ask] = with_button(app, LEADER, ids.STORY_APPROVE)
    await click(app, ids.STORY_APPROVE, LEADER, ask)
    await settle(app)
    [admin_ask] = with_button(app, ADMIN, ids.STORY_ADMIN_APPROVE)
    await click(app, ids.STORY_ADMIN_APPROVE, ADMIN, admin_ask)
    await settle(app)
    [post] = posts(app)
    assert "<@" not in shown(post)
    assert "&lt;!channel&gt;" in shown(post)
    for call in app.fake.calls:  # every surface: DMs, admin DMs, updates, the post
        dumped = json.dumps(call.params)
        for raw in RAW:
            assert raw not in dumped, (call.method, raw)


async def test_no_post_before_the_admin_approves_and_an_admin_decline_stops_it(
    world: World,
) -> None:
    app = world.app
    await needs_admin(world)
    await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    await write(world)
    [ask] = with_button(app, LEADER, ids.STORY_APPROVE)
    await click(app, ids.STORY_APPROVE, LEADER, ask)
    await settle(app)
    assert posts(app) == []
    assert (await story(world)).status == StoryStatus.AWAITING_APPROVAL.value
    [admin_ask] = with_button(app, ADMIN, ids.STORY_ADMIN_APPROVE)
    # Someone who is not an admin: the guard lets nothing through.
    await click(app, ids.STORY_ADMIN_APPROVE, LEADER, admin_ask)
    await settle(app)
    assert (await story(world)).status == StoryStatus.AWAITING_APPROVAL.value
    await click(app, ids.STORY_ADMIN_DECLINE, ADMIN, admin_ask)
    await settle(app)
    await tick(app.runtime)
    row = await story(world)
    assert row.status == StoryStatus.DECLINED.value and row.declined_by == ADMIN
    assert posts(app) == []
    assert any("won't be posted" in m["text"] for m in dms(app, MENTOR))


async def test_a_partner_decline_stops_it_and_a_later_approve_changes_nothing(
    world: World,
) -> None:
    app = world.app
    await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    await write(world)
    [ask] = with_button(app, LEADER, ids.STORY_APPROVE)
    await click(app, ids.STORY_DECLINE, LEADER, ask)
    await settle(app)
    await click(app, ids.STORY_APPROVE, LEADER, ask)
    await settle(app)
    await tick(app.runtime)
    assert (await story(world)).status == StoryStatus.DECLINED.value
    assert posts(app) == []
    assert any("won't be posted" in m["text"] for m in dms(app, MENTOR))


async def test_an_edit_restarts_approval_and_the_old_versions_buttons_change_nothing(
    world: World,
) -> None:
    app = world.app
    await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    await write(world, text="First version.")
    [old_ask] = with_button(app, LEADER, ids.STORY_APPROVE)
    [waiting] = with_button(app, MENTOR, ids.STORY_EDIT)
    await click(app, ids.STORY_EDIT, MENTOR, waiting)
    await app.fake.await_until(
        lambda: "First version." in json.dumps(app.fake.last_view_for(MENTOR) or {})
    )
    view = app.fake.last_view_for(MENTOR)
    assert view is not None
    await submit(world, view, user=MENTOR, title="Edited", text="Second version.", anonymous=False)
    row = await story(world)
    assert row.version == 2 and row.status == StoryStatus.AWAITING_CONSENT.value
    # The old request no longer offers buttons; a click on it (kept from before) is refused.
    updated = app.fake.message(old_ask["channel"], old_ask["ts"])
    assert updated is not None and ids.STORY_APPROVE not in buttons(updated)
    await app.slack.action(
        ids.STORY_APPROVE, f"{row.id}:1", user_id=LEADER, channel_id=old_ask["channel"],
        message_ts=old_ask["ts"],
    )  # fmt: skip
    await settle(app)
    assert (await story(world)).status == StoryStatus.AWAITING_CONSENT.value
    assert posts(app) == []
    [new_ask] = with_button(app, LEADER, ids.STORY_APPROVE)
    assert "Second version." in shown(new_ask)
    await click(app, ids.STORY_APPROVE, LEADER, new_ask)
    await settle(app)
    [post] = posts(app)
    assert "Second version." in shown(post) and "First version." not in shown(post)


async def test_withdraw_before_posting_posts_nothing_ever(world: World) -> None:
    app = world.app
    await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    await write(world)
    [ask] = with_button(app, LEADER, ids.STORY_APPROVE)
    [waiting] = with_button(app, MENTOR, ids.STORY_WITHDRAW)
    await click(app, ids.STORY_WITHDRAW, MENTOR, waiting)
    await settle(app)
    await click(app, ids.STORY_APPROVE, LEADER, ask)
    await settle(app)
    await tick(app.runtime)
    assert (await story(world)).status == StoryStatus.WITHDRAWN.value
    assert posts(app) == []
    updated = app.fake.message(ask["channel"], ask["ts"])
    assert updated is not None and ids.STORY_APPROVE not in buttons(updated)


async def test_withdraw_after_posting_deletes_the_shout_out(world: World) -> None:
    app = world.app
    await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    await write(world)
    [ask] = with_button(app, LEADER, ids.STORY_APPROVE)
    await click(app, ids.STORY_APPROVE, LEADER, ask)
    await settle(app)
    [post] = posts(app)
    notice = with_button(app, LEADER, ids.STORY_WITHDRAW)[-1]
    assert "is posted in" in shown(notice)
    # Once posted, the author's "waiting" DM offers no Edit (a posted story is final).
    assert with_button(app, MENTOR, ids.STORY_EDIT) == []
    await click(app, ids.STORY_WITHDRAW, LEADER, notice)
    await settle(app)
    assert app.fake.calls_to("chat.delete")
    assert app.fake.message(CHANNEL, post["ts"]) is None and posts(app) == []
    # Neither partner's "posted" notice still offers Withdraw; the author is told it is
    # coming down.
    assert with_button(app, MENTOR, ids.STORY_WITHDRAW) == []
    assert with_button(app, LEADER, ids.STORY_WITHDRAW) == []
    assert "taken down from" in dms(app, MENTOR)[-1]["text"] + shown(dms(app, MENTOR)[-1])


async def test_a_post_that_cannot_be_deleted_is_reported_to_admins_once_with_where(
    world: World,
) -> None:
    app = world.app
    await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    await write(world)
    [ask] = with_button(app, LEADER, ids.STORY_APPROVE)
    await click(app, ids.STORY_APPROVE, LEADER, ask)
    await settle(app)
    assert len(posts(app)) == 1
    app.fake.fail_next("chat.delete", error="cant_delete_message")
    posted_notice = with_button(app, MENTOR, ids.STORY_WITHDRAW)[-1]
    await click(app, ids.STORY_WITHDRAW, MENTOR, posted_notice)
    await settle(app)
    await settle(app)
    await tick(app.runtime)
    reports = [m for m in dms(app, ADMIN) if "could not be removed" in m["text"]]
    assert len(reports) == 1
    assert f"/archives/{CHANNEL}/p" in shown(reports[0])
    assert (await story(world)).removal_reported_at is not None


async def test_five_star_invitation_goes_once_to_both_only_for_the_same_meeting(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    other_id = await world.pair(MENTOR, "U0OUTSID1", status=PairStatus.ACTIVE)

    async def reflect(pair: int, user: str, met_on: date, rating: int) -> None:
        """Saved as the reflection service saves one (the decision in its transaction)."""
        async with app.sessions() as session, session.begin():
            row = ReflectionRow(
                team_id=world.team, author_id=world.person_id(user), pair_id=pair,
                program_id=world.program_id, met_on=met_on, learned="private", rating=rating,
                created_at=T0,
            )  # fmt: skip
            session.add(row)
            await session.flush()
            await invite_if_both_loved_it(session, row, now=T0)

    await reflect(pair_id, MENTOR, date(2026, 12, 1), 5)
    await reflect(pair_id, LEADER, date(2026, 12, 2), 5)  # another meeting
    await reflect(other_id, MENTOR, date(2026, 12, 3), 5)
    await reflect(other_id, "U0OUTSID1", date(2026, 12, 3), 4)
    await settle(app)
    assert not [m for m in app.fake.messages() if ids.STORY_WRITE in buttons(m)]
    # The leader's 5 for the same meeting, through the reflection modal.
    view = await open_modal(app, "reflect", LEADER, ids.REFLECT_VIEW)
    saved = await app.slack.submit_view(
        reflection_answers(learned="private", rating="5", met_on="2026-12-01"),
        user_id=LEADER, view_id=view["id"],
    )  # fmt: skip
    assert saved.json()["response_action"] == "update"
    await settle(app)
    await settle(app)
    invited = [m for m in app.fake.messages() if ids.STORY_WRITE in buttons(m)]
    assert sorted(m["channel"] for m in invited) == [f"D{LEADER}", f"D{MENTOR}"]
    assert all(buttons(m)[ids.STORY_WRITE] == str(pair_id) for m in invited)
    assert "private" not in json.dumps([m.get("blocks") for m in invited])
    async with app.sessions() as session:
        pair = await session.get(PairRow, pair_id)
        assert pair is not None and pair.story_invited_at is not None
    # The invitation opens the modal for that pair.
    await click(app, ids.STORY_WRITE, MENTOR, invited[0] if invited[0]["channel"] ==
                f"D{MENTOR}" else invited[1])  # fmt: skip
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(MENTOR) or {}).get("callback_id") == ids.STORY_VIEW
    )


async def test_someone_without_a_pair_gets_a_notice(world: World) -> None:
    app = world.app
    await app.slack.command("story", user_id=MENTOR)
    await app.fake.await_until(lambda: "Stories are about a pairing" in json.dumps(
        app.fake.last_view_for(MENTOR) or {}))  # fmt: skip
    assert ask_key(1, 1, LEADER) == f"story:1:v1:ask:{LEADER}"


async def test_erasing_a_partner_removes_their_posted_story_from_the_channel(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    app = world.app
    caplog.set_level(logging.DEBUG, logger="bot")
    await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    await write(world, text="A private-ish detail worth a shout-out.")
    [ask] = with_button(app, LEADER, ids.STORY_APPROVE)
    await click(app, ids.STORY_APPROVE, LEADER, ask)
    await settle(app)
    [post] = posts(app)
    async with app.sessions() as session, session.begin():
        person = await session.get(PersonRow, world.person_id(LEADER))
        assert person is not None
        await erase_person(session, person, now=app.clock.now())
    await settle(app)
    assert app.fake.message(CHANNEL, post["ts"]) is None
    async with app.sessions() as session:
        assert list(await session.scalars(select(StoryRow))) == []
    # The app's logs carry ids and counts, never the story's words.
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot")]
    assert any("story 1" in line for line in ours)
    assert not any("private-ish" in line or "Dashboards" in line for line in ours)
