"""Rate-limit holds live in the database: every process honours them, and none sleeps them out."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES, JobEvent
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

import bot.jobs
from bot.clock import ShiftedClock
from bot.config import load_settings
from bot.db.engine import Sessions, build_engine, build_sessions
from bot.db.tables import DeliveryHoldRow
from bot.delivery import Deliverer, get_database_now
from bot.jobs import Jobs
from bot.runtime import build_runtime
from tests.db.test_delivery import FAST, T0, TEAM, enqueue, rows
from tests.support.fake_slack import FakeSlack


async def test_a_429_pause_written_by_one_deliverer_is_honoured_by_another_process(
    sessions: Sessions, database_url: str, fake: FakeSlack, client: AsyncWebClient
) -> None:
    await enqueue(sessions, "a")
    await enqueue(sessions, "b", channel="U000002")
    fake.fail_next("chat.postMessage", status=429, retry_after=30)
    one_at_a_time = replace(FAST, concurrency=1)
    first = asyncio.create_task(
        Deliverer(sessions, client, ShiftedClock(T0), one_at_a_time).sweep()
    )
    await fake.await_for("chat.postMessage")
    engine = build_engine(database_url)  # another process: its own connections and memory
    try:
        other = Deliverer(
            build_sessions(engine),
            AsyncWebClient(token=fake.token, base_url=fake.base_url, retry_handlers=[]),
            ShiftedClock(T0 + timedelta(hours=1)),
            FAST,
        )
        assert (await other.sweep()).sent == 0
    finally:
        await engine.dispose()
    assert len(fake.calls_to("chat.postMessage")) == 1  # nobody posted into the limit
    stats = await first  # returned: it does not sleep 30 s inside the sweep
    assert (stats.sent, stats.rate_limited) == (0, 1)
    async with sessions() as session:
        database_now = await get_database_now(session)
        holds = (await session.scalars(select(DeliveryHoldRow))).all()
    assert [(h.team_id, h.scope) for h in holds] == [(TEAM, "chat.postMessage")]
    left = holds[0].until - database_now
    assert timedelta(seconds=25) < left <= timedelta(seconds=30)
    state = await rows(sessions)
    # Waiting on a hold spends no attempt and keeps the row's place in the queue.
    assert {(r.status, r.attempts, r.next_attempt_at) for r in state.values()} == {
        ("pending", 0, T0)
    }


async def test_a_long_rate_limit_pause_does_not_flood_the_log_with_skipped_scheduler_runs(
    database_url: str,
    sessions: Sessions,
    fake: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bot.jobs, "DELIVERY_INTERVAL_SECONDS", 0.05)
    settings = load_settings(
        SLACK_BOT_TOKEN=fake.token,
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=fake.base_url,
        DATABASE_URL=database_url,
    )
    now = datetime.now(UTC)
    runtime = build_runtime(settings, clock=ShiftedClock(now), policy=FAST)
    await enqueue(sessions, "held", due=now)
    fake.fail_next("chat.postMessage", status=429, retry_after=120)
    jobs = Jobs(runtime)
    jobs.scheduler.remove_job("decisions")
    ticks: list[JobEvent] = []
    jobs.scheduler.add_listener(ticks.append, EVENT_JOB_EXECUTED | EVENT_JOB_MAX_INSTANCES)
    jobs.start()
    try:
        await fake.await_until(lambda: len(ticks) >= 20, timeout=10)
    finally:
        await jobs.stop(grace=5)
        await runtime.close()
    skipped = [r for r in caplog.records if "maximum number of running instances" in r.getMessage()]
    assert skipped == []
    assert len(fake.calls_to("chat.postMessage")) == 1  # every later tick honoured the hold
    assert (await rows(sessions))["held"].status == "pending"
