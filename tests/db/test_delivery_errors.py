"""Which errors fail a row: only the recipient's. Everything else waits and tries again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from bot.clock import ShiftedClock
from bot.db.engine import Sessions
from bot.db.tables import DeliveryHoldRow, OutgoingMessageRow
from bot.delivery import TOKEN_SCOPE, Deliverer, DeliveryPolicy, SweepStats
from tests.db.test_delivery import FAST, T0, TEAM, enqueue, rows
from tests.support.fake_slack import Call, FakeSlack


async def next_due(sessions: Sessions) -> Any:
    async with sessions() as session:
        return await session.scalar(
            select(func.min(OutgoingMessageRow.next_attempt_at)).where(
                OutgoingMessageRow.status == "pending"
            )
        )


async def sweep_on(
    worker: Deliverer, sessions: Sessions, clock: ShiftedClock, *, rounds: int
) -> SweepStats:
    """Sweep, move the clock to the next row due, repeat: hours of retries in no time."""
    total = SweepStats()
    for _ in range(rounds):
        total.add(await worker.sweep())
        due = await next_due(sessions)
        if due is None:
            break
        if due > clock.now():
            clock.advance(due - clock.now() + timedelta(milliseconds=1))
    return total


@pytest.mark.parametrize(
    "failure",
    [
        {"error": "not_in_channel"},
        {"error": "unknown_method"},
        {"status": 429, "retry_after": 1},
        {"status": 500},
    ],
    ids=["not_in_channel", "unknown_method", "429", "500"],
)
async def test_a_failed_history_lookup_retries_instead_of_failing(
    sessions: Sessions,
    fake: FakeSlack,
    client: AsyncWebClient,
    clock: ShiftedClock,
    failure: dict[str, Any],
) -> None:
    await enqueue(sessions, "guarded")
    fake.fail_next("chat.postMessage", status=500)  # unknown outcome: look before posting again
    fake.fail_next("conversations.history", **failure)
    stats = await sweep_on(deliverer(sessions, client, clock), sessions, clock, rounds=6)
    state = (await rows(sessions))["guarded"]
    assert (stats.failed, state.status) == (0, "sent")
    assert len(fake.calls_to("conversations.history")) == 2  # failed once, then looked again
    assert fake.posted_count_by_key() == {"guarded": 1}


async def test_one_http_500_on_a_welcome_dm_is_delivered_later_exactly_once(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient, clock: ShiftedClock
) -> None:
    """Slack posts the welcome but answers 500, and history is down for a dozen tries."""
    lost: list[Call] = []

    def lose_the_answer(call: Call, _response: object) -> None:
        if not lost:
            lost.append(call)
            raise RuntimeError("the answer is lost; the message is posted")

    fake.hook_after("chat.postMessage", lose_the_answer)
    fake.fail_next("conversations.history", status=500, count=12)
    await enqueue(sessions, "welcome:U000001", channel="U000001")
    stats = await sweep_on(deliverer(sessions, client, clock), sessions, clock, rounds=20)
    state = (await rows(sessions))["welcome:U000001"]
    assert (stats.failed, stats.recovered, state.status) == (0, 1, "sent")
    posted = fake.messages()
    assert [m["ts"] for m in posted] == [state.sent_ts]
    assert state.sent_channel == posted[0]["channel"] == "DU000001"
    assert len(fake.calls_to("chat.postMessage")) == 1  # found, never posted again


async def test_a_24_hour_slack_outage_loses_nothing(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient, clock: ShiftedClock
) -> None:
    keys = ["outage:1", "outage:2", "outage:3"]
    for n, key in enumerate(keys, start=1):
        await enqueue(sessions, key, channel=f"U00000{n}")
    fake.fail_next("chat.postMessage", status=503, count=1_000_000)
    worker = deliverer(sessions, client, clock, DeliveryPolicy(backoff_cap=3600))
    while clock.now() < T0 + timedelta(hours=25):
        stats = await sweep_on(worker, sessions, clock, rounds=1)
        assert stats.failed == 0, "given up during the outage"
    state = await rows(sessions)
    assert {row.status for row in state.values()} == {"pending"}
    assert min(row.attempts for row in state.values()) > 20  # kept trying, backing off
    fake.clear_faults()
    stats = await sweep_on(worker, sessions, clock, rounds=3)
    assert (stats.sent, stats.failed) == (3, 0)
    assert fake.posted_count_by_key() == dict.fromkeys(keys, 1)


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked", "account_inactive"])
async def test_a_token_error_pauses_the_workspace_fails_nothing_and_resumes_by_itself(
    sessions: Sessions,
    fake: FakeSlack,
    client: AsyncWebClient,
    clock: ShiftedClock,
    caplog: pytest.LogCaptureFixture,
    error: str,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.delivery")
    keys = [f"token:{n}" for n in range(1, 6)]
    for n, key in enumerate(keys, start=1):
        await enqueue(sessions, key, channel=f"U00000{n}")
    fake.break_token(error)
    policy = replace(FAST, token_probe_interval=timedelta(seconds=1))
    worker = deliverer(sessions, client, clock, policy)
    stats = await worker.sweep()
    assert (stats.sent, stats.failed, stats.held) == (0, 0, 5)
    state = await rows(sessions)
    assert {(row.status, row.attempts) for row in state.values()} == {("pending", 0)}
    assert {row.last_error for row in state.values()} == {error}
    async with sessions() as session:
        holds = (await session.scalars(select(DeliveryHoldRow))).all()
    assert [(h.team_id, h.scope) for h in holds] == [(TEAM, TOKEN_SCOPE)]

    # Held: a second process sweeping now touches neither the rows nor Slack.
    calls = len(fake.calls)
    other = deliverer(sessions, client, ShiftedClock(T0 + timedelta(hours=1)), policy)
    assert await other.sweep() == SweepStats()
    assert len(fake.calls) == calls

    fake.mend_token()
    delivered = SweepStats()

    async def all_sent() -> bool:
        delivered.add(await worker.sweep())
        return delivered.sent == len(keys)

    await until(all_sent, timeout=5)
    assert fake.posted_count_by_key() == dict.fromkeys(keys, 1)
    assert delivered.failed == 0
    probes = fake.calls_to("auth.test")
    assert 1 <= len(probes) <= 2  # at most one a second, by whichever process
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.delivery"]
    assert len([line for line in lines if "paused" in line]) == 1, lines
    assert len([line for line in lines if "resumed" in line]) == 1, lines
    assert all(error in line for line in lines if "paused" in line)
    async with sessions() as session:
        assert (await session.scalars(select(DeliveryHoldRow))).all() == []


def deliverer(
    sessions: Sessions, client: AsyncWebClient, clock: ShiftedClock, policy: DeliveryPolicy = FAST
) -> Deliverer:
    return Deliverer(sessions, client, clock, policy)


async def until(condition: Callable[[], Awaitable[bool]], *, timeout: float) -> None:
    """Until `await condition()` is true, polling every 50 ms."""
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)
