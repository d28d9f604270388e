"""Closing the runtime: work still running finishes first, and nothing new starts."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.db.tables import OutgoingMessageRow
from bot.delivery import enqueue_message
from bot.domain import DeliveryStatus
from tests.e2e.conftest import MEMBER, RunningApp


async def test_close_waits_for_a_listener_that_queues_while_closing_and_sends_nothing_late(
    app: RunningApp,
) -> None:
    runtime = app.runtime

    async def listener_after_its_ack() -> None:
        await asyncio.sleep(0.2)  # still running when close begins
        async with runtime.sessions() as session, session.begin():
            await enqueue_message(
                session, team_id=app.fake.team_id, key="late", channel=MEMBER,
                payload={"text": "queued while closing"}, due_at=runtime.clock.now(),
            )  # fmt: skip
        runtime.deliver_soon()

    task = asyncio.create_task(listener_after_its_ack())
    await runtime.close()

    assert task.done() and task.exception() is None
    # No sweep was started under the closing pool: no connection left to the garbage
    # collector, and the row waits in the outbox for the next process.
    assert runtime.engine.sync_engine.pool.checkedout() == 0
    await asyncio.sleep(0.3)
    assert app.fake.messages(f"D{MEMBER}") == []
    async with app.sessions() as session:
        row = await session.scalar(
            select(OutgoingMessageRow).where(OutgoingMessageRow.key == "late")
        )
    assert row is not None and row.status == DeliveryStatus.PENDING.value
