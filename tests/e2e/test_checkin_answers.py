"""Answering a check-in DM, end to end: signed clicks through the real HTTP app, the fake
Slack over HTTP, the real database.

The check-ins are arranged as the sending sweep leaves them: a SENT row per partner and
its DM in the outbox under the contract key (`checkin:{person}:{checkin}`), delivered.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.tables import (
    CheckinRow,
    MeetingRow,
    MembershipRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    ProgramRow,
    ReflectionRow,
    RoundRow,
    WorkspaceRow,
)
from bot.delivery import enqueue_message
from bot.domain import CheckinAnswer, CheckinStatus, DeliveryStatus, PairStatus, Role, RoundStatus
from bot.services.checkin_answers import render_checkin_message
from bot.slack import ids
from bot.slack.views.checkins import (
    CHECKIN_NOT_YOURS,
    HELP_NOTE_MAX,
    MET_ON_BEFORE_INTRO,
    MET_ON_IN_FUTURE,
)
from tests.e2e.conftest import ADMIN, RunningApp
from tests.e2e.test_consent import buttons, click, dms, eventually, replied, set_clock, settle
from tests.support.slack_requests import plain_value

# A Thursday afternoon: working hours in Berlin (16:00) and New York (10:00); the pair
# was introduced two weeks before, so this is their first check-in (period 1).
T0 = datetime(2026, 12, 10, 15, tzinfo=UTC)
INTRO = datetime(2026, 11, 26, 15, tzinfo=UTC)
MENTOR = "U0MENTOR1"  # reverse mentor, Berlin
LEADER = "U0LEADER1"  # leader, New York
OUTSIDER = "U0OUTSID1"  # enrolled, in no pair of these
PROGRAM = "Reverse <Mentoring> Pilot"
ZONES = {MENTOR: "Europe/Berlin", LEADER: "America/New_York", OUTSIDER: "Europe/London"}
NAMES = {MENTOR: "Sam Mentor", LEADER: "Dana Leader", OUTSIDER: "Olly Outsider"}


@dataclass
class World:
    app: RunningApp
    program_id: int = 0
    round_id: int = 0
    people: dict[str, int] = field(default_factory=dict)

    @property
    def team(self) -> str:
        return self.app.slack.team_id

    async def build(self, *, cadence_days: int = 14, reminders: int = 1) -> None:
        for user_id, name in NAMES.items():
            self.app.fake.add_user(user_id, name=name.split()[0].lower(), real_name=name,
                                   tz=ZONES[user_id])  # fmt: skip
        self.cadence_days = cadence_days
        async with self.app.sessions() as session, session.begin():
            session.add(WorkspaceRow(team_id=self.team, name="", created_at=INTRO))
            await session.flush()
            program = ProgramRow(
                team_id=self.team, name=PROGRAM, cadence_days=cadence_days,
                reminders_per_period=reminders, created_at=INTRO, updated_at=INTRO,
            )  # fmt: skip
            session.add(program)
            await session.flush()
            self.program_id = program.id
            round_ = RoundRow(
                team_id=self.team, program_id=program.id, number=1,
                status=RoundStatus.ANNOUNCED.value, starts_at=INTRO,
                ends_at=INTRO + timedelta(weeks=12), created_at=INTRO, confirmed_at=INTRO,
            )  # fmt: skip
            session.add(round_)
            await session.flush()
            self.round_id = round_.id
            for user_id, name in NAMES.items():
                person = PersonRow(
                    team_id=self.team, slack_user_id=user_id, name=name,
                    career_stage=4 if user_id == LEADER else 1, timezone=ZONES[user_id],
                    ignored_checkins=2, profile_synced_at=INTRO, created_at=INTRO,
                    updated_at=INTRO,
                )  # fmt: skip
                session.add(person)
                await session.flush()
                self.people[user_id] = person.id
                role = Role.MENTEE if user_id == LEADER else Role.MENTOR
                session.add(
                    MembershipRow(team_id=self.team, program_id=program.id,
                                  person_id=person.id, role=role.value, joined_at=INTRO)
                )  # fmt: skip

    async def pair(
        self, mentor: str = MENTOR, mentee: str = LEADER, *, introduced_at: datetime = INTRO
    ) -> int:
        async with self.app.sessions() as session, session.begin():
            pair = PairRow(
                team_id=self.team, program_id=self.program_id, round_id=self.round_id,
                mentor_id=self.people[mentor], mentee_id=self.people[mentee],
                status=PairStatus.ACTIVE.value, created_at=INTRO, introduced_at=introduced_at,
                # Fixed at the intro (the program's); the check-ins are written by hand.
                cadence_days=self.cadence_days,
            )  # fmt: skip
            session.add(pair)
            await session.flush()
            return pair.id

    async def send_checkin(
        self, pair_id: int, user_id: str, *, sequence: int = 1, deliver: bool = True,
        reminders: int = 0,
    ) -> int:  # fmt: skip
        """A SENT check-in and its DM in the outbox, as the sending sweep leaves them."""
        now = self.app.clock.now()
        person_id = self.people[user_id]
        async with self.app.sessions() as session, session.begin():
            row = CheckinRow(
                team_id=self.team, pair_id=pair_id, person_id=person_id, sequence=sequence,
                due_at=now - timedelta(hours=5), status=CheckinStatus.SENT.value, sent_at=now,
                reminders=reminders,
            )  # fmt: skip
            session.add(row)
            await session.flush()
            row.message_key = f"checkin:{person_id}:{row.id}"
            await session.flush()
            payload = await render_checkin_message(
                session, person_id=person_id, message_key=row.message_key
            )
            assert payload is not None
            await enqueue_message(
                session, team_id=self.team, key=row.message_key, channel=user_id,
                payload=payload, due_at=now if deliver else now + timedelta(days=1),
                pair_id=pair_id,
            )  # fmt: skip
            checkin_id = row.id
        if deliver:
            await settle(self.app)
        return checkin_id

    async def checkins(self, pair_id: int) -> dict[str, CheckinRow]:
        async with self.app.sessions() as session:
            rows = await session.scalars(select(CheckinRow).where(CheckinRow.pair_id == pair_id))
            by_person = {v: k for k, v in self.people.items()}
            return {by_person[r.person_id]: r for r in rows if r.person_id}

    async def meetings(self, pair_id: int) -> list[MeetingRow]:
        async with self.app.sessions() as session:
            return list(
                await session.scalars(select(MeetingRow).where(MeetingRow.pair_id == pair_id))
            )

    async def person(self, user_id: str) -> PersonRow:
        async with self.app.sessions() as session:
            person = await session.get(PersonRow, self.people[user_id])
            assert person is not None
            return person

    async def outbox(self, prefix: str) -> list[OutgoingMessageRow]:
        async with self.app.sessions() as session:
            rows = await session.scalars(
                select(OutgoingMessageRow)
                .where(OutgoingMessageRow.key.startswith(prefix))
                .order_by(OutgoingMessageRow.id)
            )
            return list(rows)


@pytest.fixture
async def world(app: RunningApp) -> World:
    set_clock(app, T0)
    world = World(app)
    await world.build()
    return world


def the_dm(app: RunningApp, user_id: str) -> dict[str, Any]:
    [message] = dms(app, user_id)
    return message


def shown(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def datepicker(message: dict[str, Any]) -> dict[str, Any]:
    [picker] = [
        element
        for block in message.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "datepicker"
    ]
    return picker


async def pick_date(
    app: RunningApp, user_id: str, message: dict[str, Any], checkin_id: int, day: str
) -> str:
    """Pick a day in the message's datepicker; Slack sends the block's id, no value."""
    url = app.fake.new_response_url()
    response = await app.slack.action(
        ids.CHECKIN_MET_ON, None, user_id=user_id, block_id=f"checkin_{checkin_id}",
        channel_id=message["channel"], message_ts=message["ts"], response_url=url,
        action_type="datepicker",
        action_fields={"selected_date": day, "initial_date": datepicker(message)["initial_date"]},
    )  # fmt: skip
    assert response.status == 200
    return url.rsplit("/", 1)[-1]


async def updated(app: RunningApp, user_id: str, needle: str) -> dict[str, Any]:
    """The person's check-in DM once it shows `needle` (after the click's chat.update)."""
    await app.fake.await_until(lambda: needle in shown(the_dm(app, user_id)))
    return the_dm(app, user_id)


async def is_answered(world: World, pair_id: int, user_id: str, answer: CheckinAnswer) -> bool:
    return (await world.checkins(pair_id))[user_id].answer == answer.value


# --- We met -------------------------------------------------------------------------


async def test_we_met_records_one_meeting_under_a_double_click_and_a_slack_retry(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.pair()
    # A first-meeting milestone, to see the meeting's shout-out is decided once too.
    app.fake.add_channel("C0MILES01", "mentoring")
    async with app.sessions() as session, session.begin():
        program = await session.get(ProgramRow, world.program_id)
        assert program is not None
        program.channel_id, program.milestone_meetings = "C0MILES01", 1
    await world.send_checkin(pair_id, MENTOR)
    await world.send_checkin(pair_id, LEADER)
    message = the_dm(app, MENTOR)
    value = buttons(message)[ids.CHECKIN_MET]
    # A double click (two requests at once), then Slack's retry of the same body.
    where = {"channel_id": message["channel"], "message_ts": message["ts"]}
    first, second = await asyncio.gather(
        *(app.slack.action(ids.CHECKIN_MET, value, user_id=MENTOR, **where) for _ in range(2))
    )
    assert first.status == second.status == 200
    retry = await app.slack.post_payload(
        first.sent, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert retry.status == 200
    await eventually(lambda: is_answered(world, pair_id, LEADER, CheckinAnswer.MET))
    await settle(app)
    [meeting] = await world.meetings(pair_id)
    assert meeting.met_on == date(2026, 12, 10)  # the clicker's local today (Berlin)
    assert meeting.recorded_by == world.people[MENTOR] and meeting.sequence == 1
    rows = await world.checkins(pair_id)
    assert rows[MENTOR].answer == rows[LEADER].answer == CheckinAnswer.MET.value
    assert rows[MENTOR].answered_by is None
    assert rows[LEADER].answered_by == world.people[MENTOR]
    assert (await world.person(MENTOR)).ignored_checkins == 0  # a click resets it
    assert (await world.person(LEADER)).ignored_checkins == 2  # the partner did not click
    # The clicker's message shows what was recorded: the date, a picker, a reflection.
    mine = await updated(app, MENTOR, "Meeting recorded")
    assert "Thu 10 Dec" in shown(mine)
    assert set(buttons(mine)) == {ids.CHECKIN_REFLECT, ids.CHECKIN_MET_ON}
    assert datepicker(mine)["initial_date"] == "2026-12-10"
    # The partner's posted message is updated once, through the outbox, and says so.
    theirs = await updated(app, LEADER, "recorded that you met")
    assert f"<@{MENTOR}> recorded that you met on Thu 10 Dec" in shown(theirs)
    [update] = await world.outbox("checkin-update:")
    assert update.method == "chat.update" and update.status == DeliveryStatus.SENT.value
    assert update.key == f"checkin-update:{rows[LEADER].message_key}:1"
    assert len(dms(app, LEADER)) == 1  # updated in place, nothing new posted
    [milestone] = app.fake.messages("C0MILES01")
    assert milestone["text"].startswith(f"🎉 <@{MENTOR}> and <@{LEADER}> have met 1 time")


async def test_either_partner_counts_and_the_second_we_met_records_nothing_more(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.pair()
    await world.send_checkin(pair_id, MENTOR)
    await world.send_checkin(pair_id, LEADER)
    before = the_dm(app, MENTOR)
    await click(app, ids.CHECKIN_MET, LEADER, the_dm(app, LEADER))
    await eventually(lambda: is_answered(world, pair_id, MENTOR, CheckinAnswer.MET))
    # The mentor clicks the copy they still have, from before the leader's update.
    await click(app, ids.CHECKIN_MET, MENTOR, before)
    await settle(app)
    [meeting] = await world.meetings(pair_id)
    assert meeting.recorded_by == world.people[LEADER]
    assert meeting.met_on == date(2026, 12, 10)  # New York's today
    rows = await world.checkins(pair_id)
    assert rows[MENTOR].answered_by == world.people[LEADER]
    mine = await updated(app, MENTOR, "recorded that you met")
    assert f"<@{LEADER}> recorded that you met" in shown(mine)
    assert len(await world.outbox("checkin-update:")) == 1  # the leader's click only


async def test_a_partner_dm_not_delivered_yet_goes_out_already_answered(world: World) -> None:
    app = world.app
    pair_id = await world.pair()
    await world.send_checkin(pair_id, MENTOR)
    await world.send_checkin(pair_id, LEADER, deliver=False)  # due later: still pending
    await click(app, ids.CHECKIN_MET, MENTOR, the_dm(app, MENTOR))
    await eventually(lambda: is_answered(world, pair_id, LEADER, CheckinAnswer.MET))
    assert dms(app, LEADER) == []
    assert await world.outbox("checkin-update:") == []  # no update of an unsent message
    set_clock(app, T0 + timedelta(days=1, minutes=1))
    await settle(app)
    theirs = the_dm(app, LEADER)
    assert f"<@{MENTOR}> recorded that you met on Thu 10 Dec" in shown(theirs)
    assert ids.CHECKIN_MET not in buttons(theirs)


# --- the meeting's date ----------------------------------------------------------------


async def test_the_datepicker_changes_the_meeting_date_and_both_messages_show_it(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.pair()
    mine_id = await world.send_checkin(pair_id, MENTOR)
    await world.send_checkin(pair_id, LEADER)
    await click(app, ids.CHECKIN_MET, MENTOR, the_dm(app, MENTOR))
    mine = await updated(app, MENTOR, "Meeting recorded")
    await settle(app)
    await pick_date(app, MENTOR, mine, mine_id, "2026-12-08")
    mine = await updated(app, MENTOR, "Tue 8 Dec")
    assert datepicker(mine)["initial_date"] == "2026-12-08"
    [meeting] = await world.meetings(pair_id)
    assert meeting.met_on == date(2026, 12, 8)
    await settle(app)
    theirs = await updated(app, LEADER, "Tue 8 Dec")
    assert f"<@{MENTOR}> recorded that you met on Tue 8 Dec" in shown(theirs)
    assert [u.key.rsplit(":", 1)[1] for u in await world.outbox("checkin-update:")] == ["1", "2"]
    # The partner may correct it too.
    leader_id = (await world.checkins(pair_id))[LEADER].id
    await pick_date(app, LEADER, theirs, leader_id, "2026-12-09")
    await updated(app, LEADER, "Wed 9 Dec")
    [meeting] = await world.meetings(pair_id)
    assert meeting.met_on == date(2026, 12, 9)


@pytest.mark.parametrize(
    ("day", "refusal"),
    [("2026-12-11", MET_ON_IN_FUTURE), ("2026-11-25", MET_ON_BEFORE_INTRO)],
    ids=["tomorrow", "before-the-intro"],
)
async def test_a_date_in_the_future_or_before_the_intro_is_refused_and_nothing_changes(
    world: World, day: str, refusal: str
) -> None:
    app = world.app
    pair_id = await world.pair()
    mine_id = await world.send_checkin(pair_id, MENTOR)
    await click(app, ids.CHECKIN_MET, MENTOR, the_dm(app, MENTOR))
    mine = await updated(app, MENTOR, "Meeting recorded")
    response_id = await pick_date(app, MENTOR, mine, mine_id, day)
    assert await replied(app, response_id) == refusal
    [meeting] = await world.meetings(pair_id)
    assert meeting.met_on == date(2026, 12, 10)
    assert "Thu 10 Dec" in shown(the_dm(app, MENTOR))


async def test_the_intro_day_itself_and_today_are_accepted(world: World) -> None:
    app = world.app
    pair_id = await world.pair()
    mine_id = await world.send_checkin(pair_id, MENTOR)
    await click(app, ids.CHECKIN_MET, MENTOR, the_dm(app, MENTOR))
    mine = await updated(app, MENTOR, "Meeting recorded")
    await pick_date(app, MENTOR, mine, mine_id, "2026-11-26")  # the intro's day in Berlin
    mine = await updated(app, MENTOR, "Thu 26 Nov")
    [meeting] = await world.meetings(pair_id)
    assert meeting.met_on == date(2026, 11, 26)


# --- Not yet, Snooze a week ----------------------------------------------------------


async def test_not_yet_asks_again_in_three_working_days_and_snooze_in_five(world: World) -> None:
    app = world.app
    pair_id = await world.pair()
    await world.send_checkin(pair_id, MENTOR)
    await world.send_checkin(pair_id, LEADER)
    await click(app, ids.CHECKIN_NOT_YET, MENTOR, the_dm(app, MENTOR))
    await click(app, ids.CHECKIN_SNOOZE, LEADER, the_dm(app, LEADER))
    await eventually(lambda: is_answered(world, pair_id, MENTOR, CheckinAnswer.NOT_YET))
    await eventually(lambda: is_answered(world, pair_id, LEADER, CheckinAnswer.SNOOZED))
    rows = await world.checkins(pair_id)
    # Thursday + 3 working days = Tuesday, at the 09:30 check-in time, local.
    assert rows[MENTOR].remind_at == datetime(2026, 12, 15, 8, 30, tzinfo=UTC)  # Berlin
    # Thursday + 5 working days = next Thursday, 09:30 New York.
    assert rows[LEADER].remind_at == datetime(2026, 12, 17, 14, 30, tzinfo=UTC)
    assert await world.meetings(pair_id) == []
    mine = await updated(app, MENTOR, "not yet")
    stamp = int(datetime(2026, 12, 15, 8, 30, tzinfo=UTC).timestamp())
    assert f"<!date^{stamp}^" in shown(mine)
    assert ids.CHECKIN_MET in buttons(mine)  # "We met" stays on offer
    theirs = await updated(app, LEADER, "Snoozed")
    assert f"<!date^{int(datetime(2026, 12, 17, 14, 30, tzinfo=UTC).timestamp())}^" in shown(theirs)
    assert (await world.person(MENTOR)).ignored_checkins == 0
    assert (await world.person(LEADER)).ignored_checkins == 0


async def test_a_second_not_yet_keeps_the_first_reminder_time(world: World) -> None:
    app = world.app
    pair_id = await world.pair()
    await world.send_checkin(pair_id, MENTOR)
    message = the_dm(app, MENTOR)
    await click(app, ids.CHECKIN_NOT_YET, MENTOR, message)
    await eventually(lambda: is_answered(world, pair_id, MENTOR, CheckinAnswer.NOT_YET))
    first = (await world.checkins(pair_id))[MENTOR]
    set_clock(app, T0 + timedelta(days=1))  # Friday: a new click would give Wednesday
    await click(app, ids.CHECKIN_NOT_YET, MENTOR, message)
    await updated(app, MENTOR, "not yet")
    again = (await world.checkins(pair_id))[MENTOR]
    assert again.remind_at == first.remind_at and again.answered_at == first.answered_at


async def test_no_reminder_once_the_period_budget_is_spent(world: World) -> None:
    app = world.app
    pair_id = await world.pair()
    await world.send_checkin(pair_id, MENTOR, reminders=1)  # the one reminder went out
    await click(app, ids.CHECKIN_NOT_YET, MENTOR, the_dm(app, MENTOR))
    await eventually(lambda: is_answered(world, pair_id, MENTOR, CheckinAnswer.NOT_YET))
    assert (await world.checkins(pair_id))[MENTOR].remind_at is None
    mine = await updated(app, MENTOR, "not yet")
    assert "We'll check in again next time." in shown(mine)


async def test_no_reminder_that_would_come_after_the_next_check_in(app: RunningApp) -> None:
    """Weekly pair: "Snooze a week" would land on the next period's check-in itself, so
    there is none; "Not yet" (Tuesday) comes first and is kept."""
    set_clock(app, T0)
    world = World(app)
    await world.build(cadence_days=7, reminders=3)
    # Period 2 falls on Thursday 17 Dec, 09:30 local.
    pair_id = await world.pair(introduced_at=datetime(2026, 12, 3, 15, tzinfo=UTC))
    await world.send_checkin(pair_id, MENTOR)
    await world.send_checkin(pair_id, LEADER)
    await click(app, ids.CHECKIN_SNOOZE, MENTOR, the_dm(app, MENTOR))
    await click(app, ids.CHECKIN_NOT_YET, LEADER, the_dm(app, LEADER))
    await eventually(lambda: is_answered(world, pair_id, MENTOR, CheckinAnswer.SNOOZED))
    await eventually(lambda: is_answered(world, pair_id, LEADER, CheckinAnswer.NOT_YET))
    rows = await world.checkins(pair_id)
    assert rows[MENTOR].remind_at is None
    assert rows[LEADER].remind_at == datetime(2026, 12, 15, 14, 30, tzinfo=UTC)
    assert "next time" in shown(await updated(app, MENTOR, "Snoozed"))


# --- Log a reflection -------------------------------------------------------------


async def test_log_a_reflection_opens_the_modal_for_that_pair_and_links_the_reflection(
    world: World,
) -> None:
    app = world.app
    earlier_pair = await world.pair(MENTOR, OUTSIDER)  # the mentor's first pair
    pair_id = await world.pair(MENTOR, LEADER)
    await world.send_checkin(pair_id, MENTOR)
    await click(app, ids.CHECKIN_REFLECT, MENTOR, the_dm(app, MENTOR))
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(MENTOR) or {}).get("callback_id") == ids.REFLECT_VIEW
    )
    view = app.fake.last_view_for(MENTOR)
    assert view is not None
    assert "Dana Leader" in json.dumps(view["blocks"]) and "Olly" not in json.dumps(view["blocks"])
    values = {
        ids.REFLECT_LEARNED.block_id: {ids.REFLECT_LEARNED.action_id: plain_value("Dashboards")},
        ids.REFLECT_TAUGHT.block_id: {ids.REFLECT_TAUGHT.action_id: plain_value("Short video")},
    }
    response = await app.slack.submit_view(values, user_id=MENTOR, view_id=view["id"])
    assert response.status == 200
    async with app.sessions() as session:
        [reflection] = await session.scalars(select(ReflectionRow))
    assert reflection.pair_id == pair_id != earlier_pair
    assert reflection.author_id == world.people[MENTOR] and reflection.learned == "Dashboards"
    assert (await world.person(MENTOR)).ignored_checkins == 0


# --- I need help ---------------------------------------------------------------------


def help_requests(app: RunningApp) -> list[dict[str, Any]]:
    """The admin's DMs that pass on a request for help (not, say, the monthly digest)."""
    return [m for m in dms(app, ADMIN) if "asked for help" in shown(m)]


async def open_help(app: RunningApp, user_id: str) -> dict[str, Any]:
    await click(app, ids.CHECKIN_HELP, user_id, the_dm(app, user_id))
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(user_id) or {}).get("callback_id") == ids.CHECKIN_HELP_VIEW
    )
    view = app.fake.last_view_for(user_id)
    assert view is not None
    return view


def note_values(note: str) -> dict[str, dict[str, Any]]:
    field_ = ids.CHECKIN_HELP_NOTE
    return {field_.block_id: {field_.action_id: plain_value(note)}}


async def test_help_reaches_the_admins_privately_with_the_note_escaped_and_never_the_partner(
    world: World,
) -> None:
    app = world.app
    async with app.sessions() as session, session.begin():
        leader = await session.get(PersonRow, world.people[LEADER])
        assert leader is not None
        leader.is_workspace_admin = True  # an admin, but the partner: never told
    pair_id = await world.pair()
    await world.send_checkin(pair_id, MENTOR)
    await world.send_checkin(pair_id, LEADER)
    view = await open_help(app, MENTOR)
    assert "not your partner" in json.dumps(view["blocks"])
    note = "We keep missing each other <!channel> & I'd like advice"
    first = await app.slack.submit_view(note_values(note), user_id=MENTOR, view_id=view["id"])
    assert first.status == 200 and first.json()["response_action"] == "update"
    assert "Passed on" in json.dumps(first.json()["view"])
    # A double submit of the same modal: the same submission arrives again.
    again = await app.slack.post_payload(first.sent)
    assert again.status == 200 and again.json()["response_action"] == "update"
    await settle(app)
    [to_admin] = help_requests(app)
    text = shown(to_admin)
    assert "&lt;!channel&gt; &amp; I'd like advice" in text and "<!channel>" not in text
    assert f"<@{MENTOR}> asked for help" in text and f"<@{LEADER}>" in text
    assert "Reverse &lt;Mentoring&gt; Pilot" in text
    assert all(count == 1 for count in app.fake.posted_count_by_key().values())
    # The partner (a workspace admin, so they do get the admins' monthly digest) got no
    # word of the request: their one check-in does not mention it.
    [own] = [m for m in dms(app, LEADER) if ids.CHECKIN_MET in buttons(m)]
    assert "have your request" not in shown(own)
    assert not [m for m in dms(app, LEADER) if "asked for help" in shown(m)]
    assert "missing each other" not in json.dumps(app.fake.messages(f"D{LEADER}"))
    helps = await world.outbox("checkin-help:")
    assert [h.channel for h in helps] == [ADMIN]
    rows = await world.checkins(pair_id)
    assert rows[MENTOR].help_requested_at is not None and rows[LEADER].help_requested_at is None
    mine = await updated(app, MENTOR, "The program admins have your request")
    assert ids.CHECKIN_MET in buttons(mine)


@pytest.mark.parametrize(
    "note",
    ["x" * (HELP_NOTE_MAX + 1), "\u200b \u200b", "bell \x07 here"],
    ids=["too-long", "invisible-only", "control-character"],
)
async def test_a_help_note_that_cannot_be_kept_gets_an_inline_error_and_sends_nothing(
    world: World, note: str
) -> None:
    app = world.app
    pair_id = await world.pair()
    await world.send_checkin(pair_id, MENTOR)
    view = await open_help(app, MENTOR)
    response = await app.slack.submit_view(note_values(note), user_id=MENTOR, view_id=view["id"])
    assert response.status == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {ids.CHECKIN_HELP_NOTE.block_id}
    await settle(app)
    assert await world.outbox("checkin-help:") == []
    assert (await world.checkins(pair_id))[MENTOR].help_requested_at is None


async def test_help_without_a_note_is_passed_on_too(world: World) -> None:
    app = world.app
    pair_id = await world.pair()
    await world.send_checkin(pair_id, MENTOR)
    view = await open_help(app, MENTOR)
    response = await app.slack.submit_view(note_values(""), user_id=MENTOR, view_id=view["id"])
    assert response.json()["response_action"] == "update"
    await settle(app)
    [to_admin] = help_requests(app)
    assert "No note" in shown(to_admin)


# --- someone else's check-in ----------------------------------------------------------


async def test_a_click_by_someone_else_changes_nothing_and_says_so(world: World) -> None:
    app = world.app
    pair_id = await world.pair()
    mine_id = await world.send_checkin(pair_id, MENTOR)
    message = the_dm(app, MENTOR)
    before = await world.checkins(pair_id)
    # A forwarded message clicked by another member, and the owner's own id from another
    # workspace: each gets the ephemeral line, nothing is recorded.
    for user_id, team_id in ((OUTSIDER, None), (LEADER, None), (MENTOR, "T0OTHERTEAM")):
        for action_id in (ids.CHECKIN_MET, ids.CHECKIN_NOT_YET, ids.CHECKIN_SNOOZE):
            url = app.fake.new_response_url()
            response = await app.slack.action(
                action_id, buttons(message)[action_id], user_id=user_id, team_id=team_id,
                channel_id=message["channel"], message_ts=message["ts"], response_url=url,
            )  # fmt: skip
            assert response.status == 200
            assert await replied(app, url.rsplit("/", 1)[-1]) == CHECKIN_NOT_YOURS
    await click(app, ids.CHECKIN_REFLECT, OUTSIDER, message)
    await app.fake.await_until(
        lambda: CHECKIN_NOT_YOURS in json.dumps(app.fake.last_view_for(OUTSIDER) or {})
    )
    await settle(app)
    assert await world.meetings(pair_id) == []
    after = await world.checkins(pair_id)
    assert after[MENTOR].answer is None and after[MENTOR].remind_at is None
    assert after[MENTOR].id == before[MENTOR].id == mine_id
    assert the_dm(app, MENTOR)["blocks"] == message["blocks"]  # not redrawn
    assert (await world.person(OUTSIDER)).ignored_checkins == 2
    assert (await world.person(MENTOR)).ignored_checkins == 2
    async with app.sessions() as session:
        updates = await session.scalar(
            select(func.count()).select_from(OutgoingMessageRow).where(
                OutgoingMessageRow.method == "chat.update"
            )
        )  # fmt: skip
    assert updates == 0
