"""Work after an ack waits for the acks still due (bot.runtime.AckFirst)."""

from __future__ import annotations

import asyncio

from bot.runtime import AckFirst


async def test_work_after_an_ack_waits_until_no_request_awaits_its_ack() -> None:
    gate = AckFirst(limit=4, patience=5.0)
    order: list[str] = []

    async def work() -> None:
        async with gate:
            order.append("work")

    with gate.acking(), gate.acking():  # two requests not acked yet
        task = asyncio.create_task(work())
        await asyncio.sleep(0.05)
        order.append("acks")
    await task
    assert order == ["acks", "work"]


async def test_work_goes_on_after_its_patience_when_acks_keep_coming() -> None:
    gate = AckFirst(limit=1, patience=0.05)
    with gate.acking():
        async with gate:  # would wait forever without the patience
            pass
        # ...and then one at a time: a second entry waits for the first to leave.
        entered = asyncio.Event()

        async def second() -> None:
            async with gate:
                entered.set()

        async with gate:
            task = asyncio.create_task(second())
            await asyncio.sleep(0.1)
            assert not entered.is_set()
        await task
        assert entered.is_set()
