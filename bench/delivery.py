"""Outbox delivery throughput under Slack-like rate limits and 5 % server errors.

Sends N messages through the fake Slack (real HTTP on 127.0.0.1) with a token bucket
on chat.postMessage (the workspace-wide posting cap, scaled up so the run is short),
Tier 3 limits on the lookup methods, and a seeded 5 % of 503s. Prints the achieved
rate against the allowed rate, duplicates and lost messages.

    python bench/delivery.py [--messages 2000] [--rate 40] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clock import SystemClock
from bot.config import parse_database_url
from bot.db.engine import build_engine, build_sessions
from bot.db.migrate import downgrade_to_base, upgrade_to_head
from bot.delivery import Deliverer, DeliveryPolicy, SweepStats, enqueue_message
from tests.support.fake_slack import FakeSlack

TIER3_PER_SECOND = 50 / 60


async def run(messages: int, rate: float, url: str) -> dict[str, float]:
    engine = build_engine(url)
    sessions = build_sessions(engine)
    with FakeSlack() as fake:
        users = [f"U0B{n:07d}" for n in range(messages)]
        for user in users:
            fake.add_user(user, name=user.lower())
        now = datetime.now(UTC)
        async with sessions() as session, session.begin():
            for n, user in enumerate(users):
                await enqueue_message(
                    session, team_id=fake.team_id, key=f"bench:{n}", channel=user,
                    payload={"text": f"check-in {n}"}, due_at=now,
                )  # fmt: skip
        burst = int(rate)
        fake.rate_limit("chat.postMessage", per_second=rate, burst=burst)
        for method in ("conversations.history", "conversations.open"):
            fake.rate_limit(method, per_second=TIER3_PER_SECOND, burst=50)
        fake.error_rate("chat.postMessage", fraction=0.05, status=503, seed=7)

        client = AsyncWebClient(token=fake.token, base_url=fake.base_url, retry_handlers=[])
        deliverer = Deliverer(
            sessions, client, SystemClock(), DeliveryPolicy(backoff_factor=0.25, backoff_cap=8)
        )
        totals = SweepStats()
        started = time.perf_counter()
        while sum(fake.posted_count_by_key().values()) < messages or totals.failed:
            totals.add(await deliverer.sweep())
            if totals.failed:
                break
            await asyncio.sleep(0.05)  # retries after a 503 wait for their backoff
        elapsed = time.perf_counter() - started
        counts = fake.posted_count_by_key()
        await client.session.close() if client.session else None
        limited = fake.rate_limited_count("chat.postMessage")
        lookups = len(fake.calls_to("conversations.history"))
        errors = sum(1 for c in fake.calls_to("chat.postMessage") if c.status == 503)
    await engine.dispose()
    ideal = (messages - burst) / rate  # the bucket starts full
    return {
        "messages": messages,
        "allowed_rate": rate,
        "seconds": elapsed,
        "achieved_rate": messages / elapsed,
        "ratio": ideal / elapsed,
        "lost": messages - len(counts),
        "duplicated": sum(n - 1 for n in counts.values()),
        "failed": totals.failed,
        "http_429": limited,
        "http_503": errors,
        "lookups": lookups,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=40.0, help="allowed chat.postMessage/s")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = parse_database_url(args.database_url or f"sqlite:///{tmp}/bench.db")
        downgrade_to_base(url) if args.database_url else None
        upgrade_to_head(url)
        result = asyncio.run(run(args.messages, args.rate, url))
        if args.database_url:
            downgrade_to_base(url)
    backend = url.split(":", 1)[0]
    print(f"delivery bench ({backend}), {datetime.now(UTC):%Y-%m-%d}")
    print(
        f"  {result['messages']:.0f} messages in {result['seconds']:.1f} s: "
        f"{result['achieved_rate']:.1f}/s against {result['allowed_rate']:.0f}/s allowed "
        f"-> {result['ratio']:.1%} of the allowed rate (after the initial burst)"
    )
    print(
        f"  lost {result['lost']:.0f}, duplicated {result['duplicated']:.0f}, "
        f"failed {result['failed']:.0f}; 429s {result['http_429']:.0f}, "
        f"503s {result['http_503']:.0f}, history lookups {result['lookups']:.0f}"
    )


if __name__ == "__main__":
    main()
