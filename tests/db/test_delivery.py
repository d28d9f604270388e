"""The outbox against a real database and the fake Slack over HTTP."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select, update

from bot.clock import ShiftedClock
from bot.db.engine import Sessions, build_engine, build_sessions
from bot.db.tables import OutgoingMessageRow
from bot.delivery import Deliverer, DeliveryPolicy, enqueue_message, get_database_now
from tests.support.fake_slack import FakeSlack

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TEAM = "T0FAKE01"
FAST = DeliveryPolicy(backoff_factor=0.01, backoff_cap=0.05)


def deliverer(
    sessions: Sessions, client: AsyncWebClient, clock: ShiftedClock, policy: DeliveryPolicy = FAST
) -> Deliverer:
    return Deliverer(sessions, client, clock, policy)


async def enqueue(
    sessions: Sessions,
    key: str,
    *,
    channel: str | None = "U000001",
    due: datetime = T0,
    **kw: object,
) -> bool:
    async with sessions() as session, session.begin():
        return await enqueue_message(
            session,
            team_id=TEAM,
            key=key,
            channel=channel,
            payload={"text": f"hello {key}"},
            due_at=due,
            **kw,  # type: ignore[arg-type]
        )


async def expire_leases(sessions: Sessions) -> None:
    """Let the leases of rows mid-send run out, as a minute of the database's clock would."""
    async with sessions() as session, session.begin():
        past = await get_database_now(session) - timedelta(milliseconds=1)
        await session.execute(
            update(OutgoingMessageRow)
            .where(OutgoingMessageRow.status == "sending")
            .values(lease_until=past)
        )


async def rows(sessions: Sessions) -> dict[str, OutgoingMessageRow]:
    async with sessions() as session:
        return {r.key: r for r in (await session.scalars(select(OutgoingMessageRow))).all()}


async def test_enqueue_is_idempotent_by_key(sessions: Sessions) -> None:
    assert await enqueue(sessions, "intro:1") is True
    assert await enqueue(sessions, "intro:1") is False
    assert list(await rows(sessions)) == ["intro:1"]


async def test_enqueue_needs_exactly_one_destination(sessions: Sessions) -> None:
    with pytest.raises(ValueError, match="either a channel"):
        await enqueue(sessions, "x", channel=None)


async def test_sweep_sends_due_rows_once_and_records_slack_ts(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient, clock: ShiftedClock
) -> None:
    await enqueue(sessions, "due")
    await enqueue(sessions, "later", due=T0 + timedelta(hours=1))
    stats = await deliverer(sessions, client, clock).sweep()
    assert stats.sent == 1
    state = await rows(sessions)
    assert state["due"].status == "sent"
    assert state["due"].sent_channel == "DU000001"
    posted = fake.messages("DU000001")
    assert [m["ts"] for m in posted] == [state["due"].sent_ts]
    assert posted[0]["metadata"]["event_payload"]["outbox_key"] == "due"
    assert state["later"].status == "pending"
    # A second sweep at the same time has nothing to do.
    assert (await deliverer(sessions, client, clock).sweep()).sent == 0
    assert fake.posted_count_by_key() == {"due": 1}


async def test_429_pauses_the_method_for_retry_after_without_spending_an_attempt(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient, clock: ShiftedClock
) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    await enqueue(sessions, "a")
    started = asyncio.get_running_loop().time()
    stats = await deliverer(sessions, client, clock).sweep()
    waited = asyncio.get_running_loop().time() - started
    assert stats.sent == 1 and stats.rate_limited == 1
    assert waited >= 1.0
    state = (await rows(sessions))["a"]
    assert (state.status, state.attempts) == ("sent", 1)
    assert fake.posted_count_by_key() == {"a": 1}


async def test_500_is_retried_with_backoff_and_looked_up_first(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient, clock: ShiftedClock
) -> None:
    fake.fail_next("chat.postMessage", status=500, count=2)
    await enqueue(sessions, "a")
    worker = deliverer(sessions, client, clock)
    assert (await worker.sweep()).retried == 1
    state = (await rows(sessions))["a"]
    assert state.status == "pending" and state.next_attempt_at > clock.now() - timedelta(seconds=1)
    assert state.last_error == "fatal_error" or state.last_error.startswith("http_5")
    for _ in range(3):
        clock.advance(timedelta(seconds=1))
        await worker.sweep()
    state = (await rows(sessions))["a"]
    assert (state.status, state.attempts) == ("sent", 3)
    # Each retry after a 5xx looked for an earlier post first.
    assert len(fake.calls_to("conversations.history")) == 2
    assert fake.posted_count_by_key() == {"a": 1}


async def test_503_is_retried_without_a_lookup(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient, clock: ShiftedClock
) -> None:
    fake.fail_next("chat.postMessage", status=503, count=1)
    await enqueue(sessions, "a")
    worker = deliverer(sessions, client, clock)
    await worker.sweep()
    clock.advance(timedelta(seconds=1))
    await worker.sweep()
    state = (await rows(sessions))["a"]
    assert (state.status, state.attempts) == ("sent", 2)
    assert fake.calls_to("conversations.history") == []
    assert fake.posted_count_by_key() == {"a": 1}


async def test_permanent_errors_fail_with_the_reason_and_are_not_retried(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient, clock: ShiftedClock
) -> None:
    await enqueue(sessions, "nowhere", channel="C0MISSING")
    fake.add_user("U0GONE", name="gone", deleted=True)
    await enqueue(sessions, "deleted-user", channel="U0GONE")
    worker = deliverer(sessions, client, clock)
    assert (await worker.sweep()).failed == 2
    clock.advance(timedelta(hours=1))
    assert (await worker.sweep()).failed == 0
    state = await rows(sessions)
    assert (state["nowhere"].status, state["nowhere"].last_error) == ("failed", "channel_not_found")
    assert state["deleted-user"].status == "failed"
    assert state["deleted-user"].last_error in {"user_disabled", "user_not_found"}
    assert len(fake.calls_to("chat.postMessage")) == 2


async def test_gives_up_only_once_slack_has_failed_for_longer_than_give_up_after(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient, clock: ShiftedClock
) -> None:
    fake.fail_next("chat.postMessage", status=503, count=1000)
    await enqueue(sessions, "doomed")
    worker = deliverer(sessions, client, clock, replace(FAST, give_up_after=timedelta(hours=1)))
    for _ in range(20):  # many attempts within the hour: still waiting
        await worker.sweep()
        clock.advance(timedelta(minutes=2))
    assert (await rows(sessions))["doomed"].status == "pending"
    clock.advance(timedelta(minutes=30))
    assert (await worker.sweep()).failed == 1
    state = (await rows(sessions))["doomed"]
    assert state.status == "failed" and state.attempts > 20
    assert state.last_error is not None and state.last_error.startswith("gave up after 1 h")
    assert state.last_error.endswith("fatal_error")
    assert fake.posted_count_by_key() == {}


async def test_group_dm_is_opened_then_posted(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient, clock: ShiftedClock
) -> None:
    await enqueue(sessions, "intro", channel=None, users=("U000002", "U000001"))
    await deliverer(sessions, client, clock).sweep()
    opened = fake.calls_to("conversations.open")
    assert opened[0].params["users"] == "U000001,U000002"
    state = (await rows(sessions))["intro"]
    assert state.sent_channel is not None and state.sent_channel.startswith("G")
    assert set(fake.conversation_members(state.sent_channel)) >= {"U000001", "U000002"}


async def test_crash_after_slack_posted_is_recovered_without_a_second_post(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient, clock: ShiftedClock
) -> None:
    """The worker dies between Slack's answer and our commit: found again, not resent."""
    await enqueue(sessions, "crash")
    posted = asyncio.Event()
    loop = asyncio.get_running_loop()
    fake.hook_after("chat.postMessage", lambda *_: loop.call_soon_threadsafe(posted.set))
    fake.latency("chat.postMessage", 0.3)  # Slack has posted; the answer is still on its way
    doomed = asyncio.create_task(deliverer(sessions, client, clock).sweep())
    await asyncio.wait_for(posted.wait(), 5)
    doomed.cancel()  # the process dies before it hears back
    with pytest.raises(asyncio.CancelledError):
        await doomed
    assert (await rows(sessions))["crash"].status == "sending"

    fake.clear_faults()
    # Until the lease runs out, another worker leaves the row alone...
    assert (await deliverer(sessions, client, clock).sweep()).sent == 0
    await expire_leases(sessions)
    # ...then finds the message Slack already has and records it.
    stats = await deliverer(sessions, client, clock).sweep()
    assert (stats.sent, stats.recovered) == (0, 1)
    state = (await rows(sessions))["crash"]
    assert state.status == "sent" and state.sent_ts == fake.messages()[0]["ts"]
    assert fake.posted_count_by_key() == {"crash": 1}


async def test_crash_before_slack_got_the_post_sends_it_after_the_lease(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient, clock: ShiftedClock
) -> None:
    await enqueue(sessions, "early")
    # What a worker that died right after claiming leaves behind.
    async with sessions() as session, session.begin():
        await session.execute(
            update(OutgoingMessageRow).values(
                status="sending", attempts=1, lease_token="dead", lease_until=T0 + FAST.lease
            )
        )
    clock.advance(FAST.lease + timedelta(seconds=1))
    stats = await deliverer(sessions, client, clock).sweep()
    assert (stats.sent, stats.recovered) == (1, 0)
    assert len(fake.calls_to("conversations.history")) == 1  # looked first, found nothing
    assert fake.posted_count_by_key() == {"early": 1}


async def test_two_workers_on_separate_connections_never_send_a_row_twice(
    sessions: Sessions, database_url: str, fake: FakeSlack, clock: ShiftedClock
) -> None:
    keys = [f"m{n}" for n in range(120)]
    for key in keys:
        await enqueue(sessions, key, channel=f"U00000{int(key[1:]) % 5 + 1}")
    fake.latency("chat.postMessage", 0.02)
    engines = [build_engine(database_url) for _ in range(2)]
    for engine in engines:  # connect first, so both start claiming at once
        async with engine.connect():
            pass
    try:
        workers = [
            Deliverer(
                build_sessions(engine),
                AsyncWebClient(token=fake.token, base_url=fake.base_url, retry_handlers=[]),
                clock,
                DeliveryPolicy(concurrency=4),
            )
            for engine in engines
        ]
        results = await asyncio.gather(*(w.sweep() for w in workers))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(r.sent for r in results) == len(keys)
    assert all(r.sent > 0 for r in results), f"both workers should have taken a share: {results}"
    assert fake.posted_count_by_key() == dict.fromkeys(keys, 1)
