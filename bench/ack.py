"""Ack time of a signed `/mentor help` over HTTP, beside a bare Bolt app.

Both apps run in this process on 127.0.0.1 behind aiohttp, talk to the fake Slack, and
get the same signed requests; prints p50/p99 at concurrency 1 and 50.

    python bench/ack.py [--requests 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_bolt_app, build_web_app
from bot.config import load_settings
from bot.db.migrate import upgrade_to_head
from bot.runtime import build_runtime
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackRequester

SECRET = "bench-secret"
USER = "U0BENCH01"


def bare_bolt_app(fake: FakeSlack) -> web.Application:
    bolt = AsyncApp(
        client=AsyncWebClient(token=fake.token, base_url=fake.base_url), signing_secret=SECRET
    )

    @bolt.command("/mentor")
    async def help_command(ack: Callable[..., Awaitable[None]]) -> None:
        await ack(response_type="ephemeral", text="help")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.add_routes([web.post("/slack/events", events)])
    return app


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def measure(url: str, fake: FakeSlack, *, requests: int, concurrency: int) -> list[float]:
    times: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    async with SlackRequester(url, SECRET, fake) as slack:
        await slack.command("help", user_id=USER)  # warm up: auth.test, admin cache

        async def one() -> None:
            async with gate:
                started = time.perf_counter()
                response = await slack.command("help", user_id=USER)
                times.append(time.perf_counter() - started)
                assert response.status == 200, response.text

        await asyncio.gather(*(one() for _ in range(requests)))
    return times


def summary(times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=100)
    return f"p50 {cuts[49] * 1000:6.1f} ms   p99 {cuts[98] * 1000:6.1f} ms"


async def main(requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        fake.add_user(USER, name="bench")
        url = f"sqlite+aiosqlite:///{tmp}/ack.db"
        await asyncio.to_thread(upgrade_to_head, url)
        settings = load_settings(
            SLACK_BOT_TOKEN=fake.token,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.base_url,
            DATABASE_URL=url,
        )
        runtime = build_runtime(settings)
        ours, ours_url = await start(build_web_app(runtime, build_bolt_app(runtime)))
        bare, bare_url = await start(bare_bolt_app(fake))
        results: dict[str, Any] = {}
        for concurrency in (1, 50):
            for name, target in (("mentorbot", ours_url), ("bare Bolt", bare_url)):
                results[(name, concurrency)] = await measure(
                    target, fake, requests=requests, concurrency=concurrency
                )
        await ours.cleanup()
        await bare.cleanup()
        await runtime.close()
    day = f"{datetime.now(UTC):%Y-%m-%d}"
    print(f"ack bench: signed /mentor help over HTTP, {requests} requests each, {day}")
    for (name, concurrency), times in results.items():
        print(f"  {name:<10} concurrency {concurrency:>2}: {summary(times)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    asyncio.run(main(parser.parse_args().requests))
