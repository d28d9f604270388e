"""Leases: a row is never sent by two workers at once, whatever Slack's latency or the clocks.

Leases are set and judged by the database's clock; every worker here has its own app clock.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ShiftedClock
from bot.db.engine import Sessions, build_engine, build_sessions
from bot.db.tables import OutgoingMessageRow
from bot.delivery import (
    Deliverer,
    DeliveryPolicy,
    SweepStats,
    drop_messages,
    enqueue_message,
    get_database_now,
)
from tests.db.test_delivery import FAST, T0, TEAM, enqueue, rows
from tests.support.fake_slack import FakeSlack


def new_client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.token, base_url=fake.base_url, retry_handlers=[])


async def test_posts_slower_than_the_lease_are_sent_once_by_two_sweepers(
    sessions: Sessions, database_url: str, fake: FakeSlack
) -> None:
    keys = [f"slow:{n}" for n in range(6)]
    for n, key in enumerate(keys):
        await enqueue(sessions, key, channel=f"U00000{n % 5 + 1}")
    fake.latency("chat.postMessage", 2.0)  # every post outlives the 1 s lease
    policy = DeliveryPolicy(
        lease=timedelta(seconds=1), backoff_factor=0.01, backoff_cap=0.05, concurrency=4
    )
    engines = [build_engine(database_url) for _ in range(2)]
    try:
        first, second = (
            Deliverer(build_sessions(engine), new_client(fake), ShiftedClock(T0), policy)
            for engine in engines
        )
        running = asyncio.create_task(first.sweep())
        await fake.await_until(lambda: fake.calls_to("chat.postMessage"))
        # The second sweeps again and again while the first's posts are in flight, well
        # past the moment their leases would have run out had nobody renewed them.
        while not running.done():
            await second.sweep()
            await asyncio.wait({running}, timeout=0.1)
        await running
    finally:
        for engine in engines:
            await engine.dispose()
    assert fake.posted_count_by_key() == dict.fromkeys(keys, 1)
    assert len(fake.calls_to("chat.postMessage")) == len(keys)  # not even a second try
    assert {row.status for row in (await rows(sessions)).values()} == {"sent"}


async def test_a_worker_whose_clock_is_far_ahead_leaves_a_live_lease_alone(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient
) -> None:
    """`tick --at` a day ahead (or a skewed host) must not take a row being posted right now."""
    await enqueue(sessions, "live")
    fake.latency("chat.postMessage", 1.0)
    running = asyncio.create_task(Deliverer(sessions, client, ShiftedClock(T0), FAST).sweep())
    await fake.await_until(lambda: fake.calls_to("chat.postMessage"))
    ahead = Deliverer(sessions, client, ShiftedClock(T0 + timedelta(days=1)), FAST)
    assert await ahead.sweep() == SweepStats()
    assert fake.calls_to("conversations.history") == []
    assert (await running).sent == 1
    assert fake.posted_count_by_key() == {"live": 1}


async def test_a_claim_writes_its_lease_on_the_database_clock_not_the_workers(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient
) -> None:
    await enqueue(sessions, "a", due=T0 - timedelta(days=400))
    fake.latency("chat.postMessage", 0.5)
    worker = Deliverer(sessions, client, ShiftedClock(T0 - timedelta(days=365)), FAST)
    running = asyncio.create_task(worker.sweep())
    await fake.await_until(lambda: fake.calls_to("chat.postMessage"))
    async with sessions() as session:
        database_now = await get_database_now(session)
    lease_until = (await rows(sessions))["a"].lease_until
    assert lease_until is not None
    assert abs(lease_until - (database_now + FAST.lease)) < timedelta(seconds=2)
    await running


async def test_lease_expiry_is_judged_by_the_database_clock_to_below_a_millisecond(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient
) -> None:
    """On SQLite the times are text: a lease 0.5 ms past must compare as past, one a few
    seconds ahead as live, whatever the digits of the fraction."""
    await enqueue(sessions, "just-expired")
    await enqueue(sessions, "still-live", channel="U000002")
    async with sessions() as session, session.begin():
        now = await get_database_now(session)
        for key, lease_until in (
            ("just-expired", now - timedelta(microseconds=500)),
            ("still-live", now + timedelta(seconds=5)),
        ):
            await session.execute(
                update(OutgoingMessageRow)
                .where(OutgoingMessageRow.key == key)
                .values(status="sending", attempts=1, lease_token="dead", lease_until=lease_until)
            )
    # A clock ten years behind: only the database's time decides.
    stats = await Deliverer(sessions, client, ShiftedClock(T0 - timedelta(days=3650)), FAST).sweep()
    assert stats.sent == 1
    state = await rows(sessions)
    assert state["just-expired"].status == "sent"
    assert (state["still-live"].status, state["still-live"].lease_token) == ("sending", "dead")
    assert fake.posted_count_by_key() == {"just-expired": 1}


async def test_drop_messages_drops_unsent_rows_about_a_membership_or_pair_with_the_reason(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient
) -> None:
    """Pending and abandoned rows are dropped; sent, failed, live and unrelated ones stay."""
    await enqueue(sessions, "sent", membership_id=1)
    await Deliverer(sessions, client, ShiftedClock(T0), FAST).sweep()
    await enqueue(sessions, "pending", membership_id=1)
    await enqueue(sessions, "pair", pair_id=7)
    await enqueue(sessions, "abandoned", membership_id=1)  # its worker died mid-send
    await enqueue(sessions, "live", membership_id=1)  # being sent right now
    await enqueue(sessions, "failed", membership_id=1)
    await enqueue(sessions, "other-member", membership_id=2)
    async with sessions() as session, session.begin():
        now = await get_database_now(session)
        await enqueue_elsewhere(session)
        for key, values in (
            ("abandoned", {"status": "sending", "lease_token": "dead", "lease_until": now}),
            ("live", {"status": "sending", "lease_token": "busy", "lease_until": now + FAST.lease}),
            ("failed", {"status": "failed", "last_error": "channel_not_found"}),
        ):
            await session.execute(
                update(OutgoingMessageRow).where(OutgoingMessageRow.key == key).values(**values)
            )
    async with sessions() as session, session.begin():
        dropped = await drop_messages(
            session, team_id=TEAM, reason="membership paused", membership_ids=[1], pair_ids=[7]
        )
    assert dropped == 3
    state = {key: (row.status, row.last_error) for key, row in (await rows(sessions)).items()}
    assert state == {
        "sent": ("sent", None),
        "pending": ("dropped", "membership paused"),
        "pair": ("dropped", "membership paused"),
        "abandoned": ("dropped", "membership paused"),
        "live": ("sending", None),
        "failed": ("failed", "channel_not_found"),
        "other-member": ("pending", None),
        "other-team": ("pending", None),
    }
    # Dropped rows are never sent, and a dropped row's old worker is fenced out.
    assert (await rows(sessions))["abandoned"].lease_token is None
    await Deliverer(sessions, client, ShiftedClock(T0 + timedelta(days=1)), FAST).sweep()
    assert set(fake.posted_count_by_key()) == {"sent", "other-member", "other-team"}


async def enqueue_elsewhere(session: AsyncSession) -> None:
    """A row about membership 1 of another workspace, which a drop in TEAM must not touch."""
    await enqueue_message(
        session,
        team_id="T0OTHER1",
        key="other-team",
        channel="U000003",
        payload={"text": "hello"},
        due_at=T0,
        membership_id=1,
    )
