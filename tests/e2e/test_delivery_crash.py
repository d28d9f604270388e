"""Kill the delivery worker mid-run (SIGKILL), restart it: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from bot.db.engine import Sessions
from bot.db.tables import OutgoingMessageRow
from bot.delivery import enqueue_message, get_database_now
from tests.support.fake_slack import FakeSlack

MESSAGES = 150


async def test_killed_worker_loses_and_duplicates_nothing_after_restart(
    database_url: str, sessions: Sessions
) -> None:
    now = datetime.now(UTC)
    with FakeSlack() as fake:
        users = [f"U0CRASH{n:03d}" for n in range(30)]
        for user in users:
            fake.add_user(user, name=user.lower())
        async with sessions() as session, session.begin():
            for n in range(MESSAGES):
                await enqueue_message(
                    session,
                    team_id=fake.team_id,
                    key=f"crash:{n}",
                    channel=users[n % len(users)],
                    payload={"text": f"message {n}"},
                    due_at=now,
                )
        # Slow enough that the kill lands mid-run, with posts in flight.
        fake.latency("chat.postMessage", 0.05)
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": fake.token,
            "SLACK_API_URL": fake.base_url,
            "LOG_LEVEL": "WARNING",
        }
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "tick", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await fake.await_until(lambda: len(fake.messages()) >= 40, timeout=30)
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
        assert worker.returncode == -signal.SIGKILL
        posted_before_restart = len(fake.messages())
        assert posted_before_restart < MESSAGES, "the worker finished before it was killed"

        # Posts the dead worker had in flight still land (Slack finishes what it got).
        await fake.await_until(lambda: all(c.status is not None for c in fake.calls), timeout=10)
        # Its leases run out a minute later by the database's clock, which `--at` cannot
        # move: let that minute pass for them.
        async with sessions() as session, session.begin():
            expired = await get_database_now(session) - timedelta(seconds=1)
            abandoned = await session.execute(
                update(OutgoingMessageRow)
                .where(OutgoingMessageRow.status == "sending")
                .values(lease_until=expired)
            )
        assert abandoned.rowcount > 0, "the kill should have left rows mid-send"  # type: ignore[attr-defined]
        fake.clear_faults()
        later = (now + timedelta(minutes=5)).isoformat()
        restart = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "tick", "--at", later, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(restart.communicate(), 60)
        assert restart.returncode == 0, err.decode()

        counts = fake.posted_count_by_key()
        assert len(counts) == MESSAGES, "lost messages"
        assert set(counts.values()) == {1}, "duplicated messages"
        async with sessions() as session:
            statuses = dict(
                (
                    await session.execute(
                        select(OutgoingMessageRow.status, func.count()).group_by(
                            OutgoingMessageRow.status
                        )
                    )
                ).all()
            )
        assert statuses == {"sent": MESSAGES}
        assert "delivered" in out.decode()
