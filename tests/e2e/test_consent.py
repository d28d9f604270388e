"""Consent before an introduction, end to end: proposals queued for a confirmed round,
answered through signed button clicks and the decline modal, swept by `tick`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db.tables import (
    MembershipRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    ProgramRow,
    RoundRow,
    WorkspaceRow,
)
from bot.domain import DeliveryStatus, PairStatus, Role, RoundStatus
from bot.jobs import tick
from bot.services.consent import enqueue_proposals
from bot.services.participation import leave
from bot.slack import ids
from bot.slack.views.consent import (
    NOT_YOUR_PROPOSAL,
    PROPOSAL_CLOSED,
    match_off_message,
    proposal_expired_message,
)
from tests.e2e.conftest import RunningApp
from tests.support.slack_requests import plain_value

# A Thursday afternoon: working hours in Berlin (16:00) and New York (10:00).
T0 = datetime(2026, 12, 10, 15, tzinfo=UTC)
MENTOR = "U0MENTOR1"  # reverse mentor, Berlin
LEADER = "U0LEADER1"  # leader, New York
OUTSIDER = "U0OUTSID1"  # enrolled, but in no pair of these
PROGRAM = "Reverse Mentoring Pilot"
ZONES = {MENTOR: "Europe/Berlin", LEADER: "America/New_York", OUTSIDER: "Europe/London"}
NAMES = {MENTOR: "Sam Mentor", LEADER: "Dana Leader", OUTSIDER: "Olly Outsider"}


def near(when: datetime | None, expected: datetime) -> bool:
    """The app's clock runs at real speed from where a test set it: allow a few seconds."""
    return when is not None and abs(when - expected) < timedelta(seconds=10)


def set_clock(app: RunningApp, at: datetime) -> None:
    app.clock.advance(at - app.clock.now())


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Wait for what a listener does after its ack (the ack comes first)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def settle(app: RunningApp) -> None:
    """`tick`, then wait until every message due is out: a sweep that a click started
    (`deliver_soon`) may hold some of them while tick's own sweep passes them by."""

    async def nothing_due() -> bool:
        async with app.sessions() as session:
            due = await session.scalars(
                select(OutgoingMessageRow.id).where(
                    OutgoingMessageRow.status.in_(["pending", "sending"]),
                    OutgoingMessageRow.next_attempt_at <= app.clock.now(),
                )
            )
            return not list(due)

    await tick(app.runtime)
    await eventually(nothing_due)


@dataclass
class World:
    app: RunningApp
    program_id: int = 0
    round_id: int = 0
    people: dict[str, int] | None = None

    @property
    def team(self) -> str:
        return self.app.slack.team_id

    def person_id(self, user_id: str) -> int:
        assert self.people is not None
        return self.people[user_id]

    async def build(self, *, consent_hours: int = 72, round_weeks: int = 12) -> None:
        for user_id, name in NAMES.items():
            self.app.fake.add_user(user_id, name=name.split()[0].lower(), real_name=name,
                                   tz=ZONES[user_id])  # fmt: skip
        async with self.app.sessions() as session, session.begin():
            session.add(WorkspaceRow(team_id=self.team, name="", created_at=T0))
            await session.flush()
            program = ProgramRow(
                team_id=self.team, name=PROGRAM, consent_required=True,
                consent_hours=consent_hours, created_at=T0, updated_at=T0,
            )  # fmt: skip
            session.add(program)
            await session.flush()
            self.program_id = program.id
            round_ = RoundRow(
                team_id=self.team, program_id=program.id, number=1,
                status=RoundStatus.CONFIRMED.value, starts_at=T0,
                ends_at=T0 + timedelta(weeks=round_weeks), created_at=T0, confirmed_at=T0,
            )  # fmt: skip
            session.add(round_)
            await session.flush()
            self.round_id = round_.id
            self.people = {}
            for user_id, name in NAMES.items():
                person = PersonRow(
                    team_id=self.team, slack_user_id=user_id, name=name,
                    title="VP Marketing" if user_id == LEADER else "Analyst",
                    career_stage=4 if user_id == LEADER else 1, department="Marketing",
                    timezone=ZONES[user_id], profile_synced_at=T0, created_at=T0,
                    updated_at=T0,
                )  # fmt: skip
                session.add(person)
                await session.flush()
                self.people[user_id] = person.id
                role = Role.MENTEE if user_id == LEADER else Role.MENTOR
                session.add(
                    MembershipRow(team_id=self.team, program_id=program.id,
                                  person_id=person.id, role=role.value, joined_at=T0)
                )  # fmt: skip

    async def pair(self, mentor: str, mentee: str, *, status: PairStatus) -> int:
        async with self.app.sessions() as session, session.begin():
            pair = PairRow(
                team_id=self.team, program_id=self.program_id, round_id=self.round_id,
                mentor_id=self.person_id(mentor), mentee_id=self.person_id(mentee),
                score=0.8, shared_skills=["TikTok <for> brands", "AI tools"],
                reasons=["teaches 2 of the leader's wants", "different departments"],
                status=status.value, created_at=T0,
            )  # fmt: skip
            session.add(pair)
            await session.flush()
            return pair.id

    async def propose(self, mentor: str = MENTOR, mentee: str = LEADER) -> int:
        """A confirmed round's proposed pair, as the rounds helper hands it over."""
        pair_id = await self.pair(mentor, mentee, status=PairStatus.PROPOSED)
        async with self.app.sessions() as session, session.begin():
            program = await session.get(ProgramRow, self.program_id)
            round_ = await session.get(RoundRow, self.round_id)
            pair = await session.get(PairRow, pair_id)
            assert program and round_ and pair
            await enqueue_proposals(
                session, program=program, round_=round_, pairs=[pair], now=self.app.clock.now()
            )
        return pair_id

    async def get_pair(self, pair_id: int) -> PairRow:
        async with self.app.sessions() as session:
            pair = await session.get(PairRow, pair_id)
            assert pair is not None
            return pair

    async def outbox(self, prefix: str = "") -> list[OutgoingMessageRow]:
        async with self.app.sessions() as session:
            rows = await session.scalars(
                select(OutgoingMessageRow)
                .where(OutgoingMessageRow.key.startswith(prefix))
                .order_by(OutgoingMessageRow.id)
            )
            return list(rows)


def dms(app: RunningApp, user_id: str) -> list[dict[str, Any]]:
    return app.fake.messages(f"D{user_id}")


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """action_id -> value of the message's buttons."""
    return {
        element["action_id"]: element.get("value", "")
        for block in message.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    }


async def click(
    app: RunningApp, action_id: str, user_id: str, message: dict[str, Any], **options: Any
) -> str:
    """Click a button of a posted DM as `user_id`; the response_url the click carried."""
    url = app.fake.new_response_url()
    response = await app.slack.action(
        action_id, buttons(message)[action_id], user_id=user_id, channel_id=message["channel"],
        message_ts=message["ts"], response_url=url, **options,
    )  # fmt: skip
    assert response.status == 200
    return url.rsplit("/", 1)[-1]


async def replied(app: RunningApp, response_id: str) -> str:
    await app.fake.await_until(lambda: app.fake.responses(response_id))
    text: str = app.fake.responses(response_id)[-1]["text"]
    return text


@pytest.fixture
async def world(app: RunningApp) -> World:
    set_clock(app, T0)
    world = World(app)
    await world.build()
    return world


async def accept(world: World, user_id: str) -> None:
    [proposal] = dms(world.app, user_id)
    await click(world.app, ids.CONSENT_ACCEPT, user_id, proposal)


async def decline(world: World, user_id: str, reason: str = "") -> dict[str, Any]:
    """Decline → the modal → submit; the view Slack shows after the submission."""
    app = world.app
    [proposal] = dms(app, user_id)
    await click(app, ids.CONSENT_DECLINE, user_id, proposal)
    await app.fake.await_until(
        lambda: (
            (app.fake.last_view_for(user_id) or {}).get("callback_id") == ids.CONSENT_DECLINE_VIEW
        )
    )
    view = app.fake.last_view_for(user_id)
    assert view is not None
    values = {ids.CONSENT_REASON.block_id: {ids.CONSENT_REASON.action_id: plain_value(reason)}}
    response = await app.slack.submit_view(values, user_id=user_id, view_id=view["id"])
    assert response.status == 200
    shown = app.fake.view(view["id"])
    assert shown is not None
    return shown


async def test_each_person_gets_a_private_proposal_naming_the_partner_and_why(
    world: World,
) -> None:
    pair_id = await world.propose()
    await settle(world.app)
    [to_mentor] = dms(world.app, MENTOR)
    [to_leader] = dms(world.app, LEADER)
    assert f"<@{LEADER}>" in str(to_mentor["blocks"]) and f"<@{MENTOR}>" in str(to_leader["blocks"])
    for message in (to_mentor, to_leader):
        shown = str(message["blocks"])
        assert "TikTok &lt;for&gt; brands" in shown and "<for>" not in shown  # escaped
        assert "different departments" in shown
        assert buttons(message) == {
            ids.CONSENT_ACCEPT: str(pair_id),
            ids.CONSENT_DECLINE: str(pair_id),
        }
    rows = await world.outbox("consent:")
    assert len(rows) == 2 and all(r.pair_id == pair_id for r in rows)
    assert all(r.membership_id is not None for r in rows)
    pair = await world.get_pair(pair_id)
    assert pair.status == PairStatus.PROPOSED.value
    assert near(pair.consent_due_at, T0 + timedelta(hours=72))


async def test_both_accepting_queues_exactly_one_intro(world: World) -> None:
    app = world.app
    pair_id = await world.propose()
    await settle(app)
    await accept(world, MENTOR)
    await eventually(lambda: _consent_is(world, pair_id, mentor="accepted"))
    assert await world.outbox("intro:") == []  # one yes is not enough
    await accept(world, LEADER)
    await eventually(lambda: _status_is(world, pair_id, PairStatus.ACTIVE))
    await settle(app)
    [intro] = await world.outbox("intro:")
    assert intro.key == f"intro:{pair_id}" and intro.status == DeliveryStatus.SENT.value
    assert app.fake.posted_count_by_key()[f"intro:{pair_id}"] == 1
    assert {MENTOR, LEADER} <= set(app.fake.conversation_members(intro.sent_channel or ""))
    # Each proposal now shows the answer in place, its buttons gone.
    await app.fake.await_until(lambda: len(app.fake.calls_to("chat.update")) >= 2)
    for user_id in (MENTOR, LEADER):
        [proposal] = dms(app, user_id)
        assert "You accepted" in proposal["text"] and not buttons(proposal)


async def test_accept_then_decline_frees_both_and_keeps_the_reason_for_admins_only(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.propose()
    await settle(app)
    await accept(world, LEADER)  # one yes, then a no: no intro
    await eventually(lambda: _leader_consent_is(world, pair_id, "accepted"))
    reason = "He is close to my manager <!channel>"
    shown = await decline(world, MENTOR, reason)
    assert "won't go ahead" in str(shown["blocks"])
    await eventually(lambda: _status_is(world, pair_id, PairStatus.DECLINED))
    pair = await world.get_pair(pair_id)
    assert pair.decline_reason == reason and pair.mentor_consent == "declined"
    await settle(app)
    assert await world.outbox("intro:") == []
    # Both are free: no pair holds them, their memberships are active as before.
    async with app.sessions() as session:
        holding = await session.scalars(
            select(PairRow).where(PairRow.status.in_(["proposed", "active"]))
        )
        assert list(holding) == []
        statuses = await session.scalars(select(MembershipRow.status))
        assert set(statuses) == {"active"}
    # The reason is in no message to anyone, nor in any queued payload.
    everything = str(app.fake.messages()) + str([r.payload for r in await world.outbox()])
    assert "close to my manager" not in everything


@pytest.mark.parametrize("decliner", [MENTOR, LEADER])
async def test_the_person_declined_against_hears_the_same_neutral_words_whoever_declined(
    world: World, decliner: str
) -> None:
    app = world.app
    await world.propose()
    await settle(app)
    await decline(world, decliner, "a private reason")
    await eventually(lambda: _has_rows(world, "consent-off:"))
    await settle(app)
    other = LEADER if decliner == MENTOR else MENTOR
    notice = dms(app, other)[-1]
    assert notice["text"] == match_off_message(program_name=PROGRAM)["text"]
    told = str(notice)
    assert decliner not in told and NAMES[decliner].split()[0] not in told
    assert "private reason" not in told
    assert len(dms(app, decliner)) == 1  # the decliner's own proposal, updated in place


async def test_unanswered_proposal_is_reminded_once_in_working_hours_then_expires(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.propose()
    await settle(app)
    # Half-way (36 h) is Saturday 03:00 UTC, and the next working hours come after it
    # closes (Sunday 15:00): each is reminded on Friday, at 16:00 their time.
    friday = ["03:01", "14:30", "15:05", "15:10", "20:00", "21:05"]
    ticks = [f"2026-12-11T{t}" for t in friday] + ["2026-12-12T12:00", "2026-12-13T12:00"]
    for at in ticks:
        set_clock(app, datetime.fromisoformat(at).replace(tzinfo=UTC))
        await settle(app)
    reminders = await world.outbox("consent-reminder:")
    assert len(reminders) == 2 and all(r.status == DeliveryStatus.SENT.value for r in reminders)
    for row in reminders:
        user_id = row.channel or ""
        local = (row.sent_at or T0).astimezone(ZoneInfo(ZONES[user_id]))
        assert local.weekday() < 5 and 9 <= local.hour < 17, (user_id, local)
    assert [len(dms(app, u)) for u in (MENTOR, LEADER)] == [2, 2]  # proposal + one reminder
    pair = await world.get_pair(pair_id)
    assert near(pair.consent_reminded_at, datetime(2026, 12, 11, 15, 5, tzinfo=UTC))
    assert pair.status == PairStatus.PROPOSED.value
    # Due Sunday 15:00 UTC: expired then; both told on Monday, in their working hours.
    set_clock(app, datetime(2026, 12, 13, 15, 1, tzinfo=UTC))
    await settle(app)
    assert (await world.get_pair(pair_id)).status == PairStatus.EXPIRED.value
    set_clock(app, datetime(2026, 12, 14, 14, 30, tzinfo=UTC))
    await settle(app)
    expected = proposal_expired_message(program_name=PROGRAM)["text"]
    assert [dms(app, u)[-1]["text"] for u in (MENTOR, LEADER)] == [expected, expected]
    assert len(await world.outbox("consent-reminder:")) == 2  # still one each
    # A click after expiry answers kindly, and changes nothing.
    [proposal, _reminder, _expired] = dms(app, MENTOR)
    response_id = await click(app, ids.CONSENT_ACCEPT, MENTOR, proposal)
    assert await replied(app, response_id) == PROPOSAL_CLOSED
    pair = await world.get_pair(pair_id)
    assert pair.status == PairStatus.EXPIRED.value and pair.mentor_consent is None


async def test_a_double_click_and_slack_retries_have_one_effect(world: World) -> None:
    app = world.app
    pair_id = await world.propose()
    await settle(app)
    [proposal] = dms(app, LEADER)
    await accept(world, MENTOR)
    await eventually(lambda: _consent_is(world, pair_id, mentor="accepted"))
    # The leader's click, sent twice at once (a double click), then retried by Slack.
    await asyncio.gather(
        click(app, ids.CONSENT_ACCEPT, LEADER, proposal),
        click(app, ids.CONSENT_ACCEPT, LEADER, proposal),
    )
    await click(app, ids.CONSENT_ACCEPT, LEADER, proposal, headers={"X-Slack-Retry-Num": "1"})
    await eventually(lambda: _status_is(world, pair_id, PairStatus.ACTIVE))
    await asyncio.sleep(0.3)  # let every listener finish
    await settle(app)
    assert len(await world.outbox("intro:")) == 1
    assert app.fake.posted_count_by_key()[f"intro:{pair_id}"] == 1


async def test_a_second_decline_submission_keeps_the_first_reason_and_sends_nothing_more(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.propose()
    await settle(app)
    await decline(world, MENTOR, "first reason")
    await eventually(lambda: _status_is(world, pair_id, PairStatus.DECLINED))
    metadata = f'{{"pair_id": {pair_id}}}'
    values = {ids.CONSENT_REASON.block_id: {ids.CONSENT_REASON.action_id: plain_value("second")}}
    response = await app.slack.submit_view(
        values, user_id=MENTOR, callback_id=ids.CONSENT_DECLINE_VIEW, private_metadata=metadata
    )
    assert response.status == 200 and response.json()["response_action"] == "update"
    assert (await world.get_pair(pair_id)).decline_reason == "first reason"
    assert len(await world.outbox("consent-off:")) == 1


async def test_a_forged_click_or_submission_by_a_third_person_changes_nothing(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.propose()
    await settle(app)
    [proposal] = dms(app, MENTOR)
    response_id = await click(app, ids.CONSENT_ACCEPT, OUTSIDER, proposal)
    assert await replied(app, response_id) == NOT_YOUR_PROPOSAL
    await click(app, ids.CONSENT_DECLINE, OUTSIDER, proposal)
    await app.fake.await_until(
        lambda: NOT_YOUR_PROPOSAL in str((app.fake.last_view_for(OUTSIDER) or {}).get("blocks"))
    )
    metadata = f'{{"pair_id": {pair_id}}}'
    response = await app.slack.submit_view(
        {}, user_id=OUTSIDER, callback_id=ids.CONSENT_DECLINE_VIEW, private_metadata=metadata
    )
    assert response.status == 200 and NOT_YOUR_PROPOSAL in response.text
    pair = await world.get_pair(pair_id)
    assert (pair.status, pair.mentor_consent, pair.mentee_consent, pair.decline_reason) == (
        PairStatus.PROPOSED.value, None, None, None,
    )  # fmt: skip
    assert await world.outbox("consent-off:") == [] and await world.outbox("intro:") == []


async def test_a_click_after_the_partner_declined_says_the_proposal_is_closed(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.propose()
    await settle(app)
    await decline(world, LEADER)
    await eventually(lambda: _status_is(world, pair_id, PairStatus.DECLINED))
    # The proposal is the first DM; the decline's notice to the mentor may follow it.
    proposal = dms(app, MENTOR)[0]
    response_id = await click(app, ids.CONSENT_ACCEPT, MENTOR, proposal)
    assert await replied(app, response_id) == PROPOSAL_CLOSED
    pair = await world.get_pair(pair_id)
    assert pair.status == PairStatus.DECLINED.value and pair.mentor_consent is None
    assert await world.outbox("intro:") == []


async def _status_is(world: World, pair_id: int, status: PairStatus) -> bool:
    return (await world.get_pair(pair_id)).status == status.value


async def _consent_is(world: World, pair_id: int, *, mentor: str) -> bool:
    return (await world.get_pair(pair_id)).mentor_consent == mentor


async def _leader_consent_is(world: World, pair_id: int, answer: str) -> bool:
    return (await world.get_pair(pair_id)).mentee_consent == answer


async def _has_rows(world: World, prefix: str) -> bool:
    return bool(await world.outbox(prefix))


async def test_no_intro_when_one_of_them_left_the_program_before_both_accepted(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.propose()
    await settle(app)
    await accept(world, MENTOR)
    await eventually(lambda: _consent_is(world, pair_id, mentor="accepted"))
    async with app.sessions() as session, session.begin():
        membership = await session.scalar(
            select(MembershipRow).where(MembershipRow.person_id == world.person_id(LEADER))
        )
        assert membership is not None
        membership.status = "left"
    [proposal] = dms(app, LEADER)
    response_id = await click(app, ids.CONSENT_ACCEPT, LEADER, proposal)
    assert await replied(app, response_id) == PROPOSAL_CLOSED
    assert (await world.get_pair(pair_id)).status == PairStatus.EXPIRED.value
    assert await world.outbox("intro:") == []


async def test_leaving_closes_a_waiting_proposal_and_the_partner_hears_neutrally(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.propose()
    await settle(app)
    result = await leave(
        app.sessions,
        team_id=world.team,
        user_id=LEADER,
        program_id=world.program_id,
        delete_data=False,
        now=app.clock.now(),
    )
    assert result is not None
    assert (await world.get_pair(pair_id)).status == PairStatus.DECLINED.value
    await eventually(lambda: _has_rows(world, "consent-off:"))
    await settle(app)
    notice = dms(app, MENTOR)[-1]
    assert notice["text"] == match_off_message(program_name=PROGRAM)["text"]
    assert await world.outbox("intro:") == []
