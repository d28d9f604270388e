"""Milestones, completed rounds and the monthly digest, end to end: the app's own
`tick` (what `mentorbot tick --at` runs) with real delivery to the fake Slack, time
travelled. What reaches the channel is counts, mentions the bot builds and escaped
titles; nothing private (a reflection's text, its rating) reaches Slack or a log."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.db.tables import (
    MeetingRow,
    MembershipRow,
    PairRow,
    ProgramRow,
    ReflectionRow,
    StoryRow,
)
from bot.domain import MembershipStatus, PairStatus, StoryStatus
from bot.services.celebrations import celebrate_meeting
from tests.e2e.conftest import RunningApp
from tests.e2e.test_consent import LEADER, MENTOR, OUTSIDER, PROGRAM, T0, World, set_clock, settle

CHANNEL = "C0MENTOR1"
SECRET = "private-learning-7f3a"  # a reflection's text: must never leave the database


@pytest.fixture
async def world(app: RunningApp) -> World:
    set_clock(app, T0)
    app.fake.add_channel(CHANNEL, "mentoring")
    world = World(app)
    await world.build()
    await configure(world, channel_id=CHANNEL, milestone_meetings=3)
    return world


async def configure(world: World, **settings: Any) -> None:
    async with world.app.sessions() as session, session.begin():
        await session.execute(
            update(ProgramRow).where(ProgramRow.id == world.program_id).values(**settings)
        )


async def meet(world: World, pair_id: int, *days: date) -> None:
    """Meetings recorded as "We met" records them: each with the milestone decision in
    its transaction (the click itself is tested in test_checkin_answers.py)."""
    for day in days:
        async with world.app.sessions() as session, session.begin():
            session.add(MeetingRow(team_id=world.team, pair_id=pair_id, met_on=day, created_at=T0))
            await session.flush()
            await celebrate_meeting(session, pair_id, now=T0)


def posts(app: RunningApp) -> list[dict[str, Any]]:
    return app.fake.messages(CHANNEL)


def text_of(message: dict[str, Any]) -> str:
    return message["text"] + json.dumps(message.get("blocks", []), ensure_ascii=False)


async def test_a_milestone_is_posted_once_at_exactly_the_nth_meeting_and_nothing_private(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    app = world.app
    pair_id = await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    async with app.sessions() as session, session.begin():
        session.add(
            ReflectionRow(team_id=world.team, author_id=world.person_id(LEADER),
                          pair_id=pair_id, program_id=world.program_id, learned=SECRET,
                          taught=SECRET, try_next=SECRET, rating=2, created_at=T0)
        )  # fmt: skip
    caplog.set_level(logging.DEBUG)
    await meet(world, pair_id, date(2026, 12, 1), date(2026, 12, 8))
    await settle(app)
    assert posts(app) == []  # two meetings of three: not yet
    await meet(world, pair_id, date(2026, 12, 10))
    await settle(app)
    await settle(app)  # a second tick (or process) posts nothing more
    [post] = posts(app)
    assert post["text"] == (
        f"🎉 <@{MENTOR}> and <@{LEADER}> have met 3 times in {PROGRAM} — keep it going!"
    )
    assert len(await world.outbox(f"milestone:{pair_id}")) == 1
    assert (await world.get_pair(pair_id)).milestone_posted_at is not None
    # A fourth meeting is no new milestone.
    await meet(world, pair_id, date(2026, 12, 11))
    await settle(app)
    assert len(posts(app)) == 1
    every_call = json.dumps([c.params for c in app.fake.calls], ensure_ascii=False)
    assert SECRET not in every_call and SECRET not in caplog.text


async def test_a_completed_round_is_posted_once_with_its_meetings_and_not_without_any(
    world: World,
) -> None:
    app = world.app
    met = await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    never_met = await world.pair(OUTSIDER, LEADER, status=PairStatus.ACTIVE)
    await meet(world, met, date(2026, 12, 14), date(2027, 1, 11))
    set_clock(app, T0 + timedelta(weeks=12, minutes=1))  # the round has ended
    await settle(app)
    await settle(app)
    [post] = posts(app)
    assert post["text"] == (
        f"🏁 <@{MENTOR}> and <@{LEADER}> completed round 1 of {PROGRAM} together (2 meetings)."
    )
    assert len(await world.outbox(f"completed:{met}")) == 1
    assert await world.outbox(f"completed:{never_met}") == []
    # Both are done with, so no later tick looks at them again.
    assert (await world.get_pair(never_met)).completion_posted_at is not None


async def test_a_program_with_milestones_off_posts_none_and_turning_them_on_posts_no_old_ones(
    world: World,
) -> None:
    app = world.app
    await configure(world, celebrates_milestones=False)
    pair_id = await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    await meet(world, pair_id, date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 10))
    await settle(app)
    assert posts(app) == []
    assert (await world.get_pair(pair_id)).milestone_posted_at is not None
    await configure(world, celebrates_milestones=True)
    await meet(world, pair_id, date(2026, 12, 11))
    await settle(app)
    assert posts(app) == []
    assert await world.outbox("milestone:") == []


async def test_no_shout_out_for_a_pair_whose_partner_left_or_was_erased(world: World) -> None:
    app = world.app
    left = await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    erased = await world.pair(OUTSIDER, LEADER, status=PairStatus.ACTIVE)
    async with app.sessions() as session, session.begin():
        await session.execute(
            update(MembershipRow)
            .where(MembershipRow.person_id == world.person_id(MENTOR))
            .values(status=MembershipStatus.LEFT.value)
        )
        await session.execute(update(PairRow).where(PairRow.id == erased).values(mentee_id=None))
    for pair_id in (left, erased):
        await meet(world, pair_id, date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 10))
    await settle(app)
    assert posts(app) == [] and await world.outbox("milestone:") == []
    # And none later either: rejoining does not bring an old milestone with it.
    async with app.sessions() as session, session.begin():
        await session.execute(update(MembershipRow).values(status=MembershipStatus.ACTIVE.value))
    await settle(app)
    assert posts(app) == []


# --- the monthly digest ---------------------------------------------------------------

TUESDAY = 0b00010  # check-in days: Tuesday only
# The first Tuesday of January 2027 is the 5th; 09:30 in Berlin is 08:30 UTC.
DIGEST_AT = datetime(2027, 1, 5, 8, 30, tzinfo=UTC)


async def story(
    world: World, pair_id: int, title: str, *, posted_at: datetime, **fields: Any
) -> None:
    async with world.app.sessions() as session, session.begin():
        session.add(
            StoryRow(team_id=world.team, program_id=world.program_id, pair_id=pair_id,
                     author_id=world.person_id(LEADER), title=title, text=SECRET,
                     status=fields.pop("status", StoryStatus.POSTED.value),
                     posted_at=posted_at, created_at=T0, **fields)
        )  # fmt: skip


async def digest_world(world: World) -> tuple[int, int]:
    await configure(
        world,
        timezone="Europe/Berlin",
        checkin_days=TUESDAY,
        checkin_minute=9 * 60 + 30,
        milestone_meetings=100,
        digest_posted_for=date(2026, 11, 1),  # November's is done
    )
    first = await world.pair(MENTOR, LEADER, status=PairStatus.ACTIVE)
    second = await world.pair(OUTSIDER, LEADER, status=PairStatus.ACTIVE)
    async with world.app.sessions() as session, session.begin():
        pair = await session.get(PairRow, second)
        assert pair is not None
        pair.shared_skills = ["AI tools", "Data dashboards"]
    await meet(world, first, date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 15))
    await meet(world, first, date(2026, 12, 31))
    await meet(world, second, date(2026, 12, 10), date(2027, 1, 2))
    return first, second


async def test_the_digest_posts_once_on_the_first_tuesday_at_0930_berlin_with_the_month(
    world: World,
) -> None:
    app = world.app
    first, second = await digest_world(world)
    # Stories: two posted in December (one anonymous, one with an injection title),
    # one posted in November, one withdrawn after posting in December.
    await story(world, first, "<!channel> we <@U0BOSS01> did it & <https://evil|more>",
                posted_at=datetime(2026, 12, 3, 12, tzinfo=UTC))  # fmt: skip
    await story(
        world,
        second,
        "A quiet win",
        anonymous=True,
        posted_at=datetime(2026, 12, 31, 22, 30, tzinfo=UTC),
    )  # 23:30 in Berlin
    await story(world, first, "Old news", posted_at=datetime(2026, 11, 20, tzinfo=UTC))
    await story(world, second, "Taken back", status=StoryStatus.WITHDRAWN.value,
                posted_at=datetime(2026, 12, 5, tzinfo=UTC))  # fmt: skip
    for at in (datetime(2027, 1, 1, 10, tzinfo=UTC), DIGEST_AT - timedelta(minutes=1)):
        set_clock(app, at)
        await settle(app)
        assert posts(app) == []  # not before the first Tuesday's 09:30 in Berlin
    set_clock(app, DIGEST_AT + timedelta(seconds=5))
    await settle(app)
    set_clock(app, DIGEST_AT + timedelta(days=1))  # a later tick posts nothing more
    await settle(app)
    [post] = posts(app)
    shown = text_of(post)
    assert f"December 2026 in {PROGRAM}" in shown
    assert "*4 meetings* held by 2 pairs." in shown  # 30 Nov and 2 Jan are not December's
    top = "AI tools (4), TikTok &lt;for&gt; brands (3), Data dashboards (1)"
    assert f"Top skills exchanged: {top}" in shown
    assert (
        f"• *&lt;!channel&gt; we &lt;@U0BOSS01&gt; did it &amp; &lt;https://evil|more&gt;*"
        f" — by <@{MENTOR}> and <@{LEADER}>"
    ) in shown
    assert "• *A quiet win* — anonymous" in shown
    assert "Old news" not in shown and "Taken back" not in shown and SECRET not in shown
    for inert in ("<!channel>", "<@U0BOSS01>", "<https://"):
        assert inert not in shown
    [row] = await world.outbox("digest:")
    assert row.key == f"digest:{world.program_id}:2026-12"
    async with app.sessions() as session:
        program = await session.get(ProgramRow, world.program_id)
        assert program is not None and program.digest_posted_for == date(2026, 12, 1)


async def test_a_late_tick_posts_only_the_latest_month_and_an_empty_month_posts_nothing(
    world: World,
) -> None:
    app = world.app
    await digest_world(world)
    await configure(world, digest_posted_for=date(2026, 10, 1))  # November's never went
    set_clock(app, datetime(2027, 1, 20, 12, tzinfo=UTC))  # a tick two weeks late
    await settle(app)
    [post] = posts(app)
    assert "December 2026" in post["text"]
    assert [r.key for r in await world.outbox("digest:")] == [f"digest:{world.program_id}:2026-12"]
    # January: one meeting (2 Jan). February: nothing at all -> no post in March.
    async with app.sessions() as session, session.begin():
        await session.execute(update(StoryRow).values(status=StoryStatus.WITHDRAWN.value))
    set_clock(app, datetime(2027, 2, 2, 8, 31, tzinfo=UTC))  # Tuesday 2 Feb, 09:31 Berlin
    await settle(app)
    assert len(posts(app)) == 2 and "January 2027" in posts(app)[-1]["text"]
    set_clock(app, datetime(2027, 3, 2, 8, 31, tzinfo=UTC))  # Tuesday 2 March
    await settle(app)
    assert len(posts(app)) == 2
    async with app.sessions() as session:
        covered = await session.scalar(
            select(ProgramRow.digest_posted_for).where(ProgramRow.id == world.program_id)
        )
    assert covered == date(2027, 2, 1)
