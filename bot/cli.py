"""`mentorbot` — serve, socket, clock, tick, db upgrade, match (PRODUCT.md §3)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.clock import ShiftedClock
from bot.config import ConfigError, Settings, load_settings

logger = logging.getLogger("bot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mentorbot", description="Reverse mentorship programs in Slack."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve Slack over HTTP (POST /slack/events)")
    serve.add_argument("--port", type=int, help="port to listen on (default: $PORT or 3000)")
    serve.add_argument("--no-scheduler", action="store_true", help="do not run the scheduler")

    commands.add_parser("socket", help="connect with Socket Mode (needs SLACK_APP_TOKEN)")
    commands.add_parser("clock", help="run the scheduler alone")

    tick = commands.add_parser("tick", help="run every job due now (or at --at) once, then exit")
    tick.add_argument("--at", type=_parse_instant, help="ISO-8601 time to run as (default: now)")

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="migrate the schema to the latest version")

    match = commands.add_parser("match", help="match participants from a CSV, offline")
    match.add_argument("input", help="participants CSV (see README)")
    match.add_argument("-o", "--output", help="write the pairs to this CSV")
    return parser


def _parse_instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO-8601 time, e.g. 2026-11-25T09:00:00Z"
        ) from None
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "match":
        from bot.matching.command import run

        return int(run(args.input, args.output))
    try:
        settings = load_settings()
        _configure_logging(settings.LOG_LEVEL)
        if args.command == "db":
            _upgrade(settings)
        elif args.command == "serve":
            settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
            _upgrade(settings)
            port = args.port or settings.PORT
            asyncio.run(_serve(settings, port=port, scheduler=not args.no_scheduler))
        elif args.command == "socket":
            settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
            _upgrade(settings)
            asyncio.run(_socket(settings))
        elif args.command == "clock":
            settings.require("SLACK_BOT_TOKEN")
            _upgrade(settings)
            asyncio.run(_clock(settings))
        elif args.command == "tick":
            settings.require("SLACK_BOT_TOKEN")
            _upgrade(settings)
            asyncio.run(_tick(settings, at=args.at))
    except ConfigError as exc:
        print(f"mentorbot: {exc}", file=sys.stderr)
        return 2
    return 0


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":
        # Every tick and every request would otherwise log a line.
        for noisy in ("alembic.runtime.plugins", "apscheduler.executors", "aiohttp.access"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    # Bolt logs the whole body of a request with a bad signature: user text, at any level.
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)


def _upgrade(settings: Settings) -> None:
    from bot.db.migrate import upgrade_to_head

    try:
        upgrade_to_head(settings.DATABASE_URL)
    except OSError as exc:  # includes refused connections from asyncpg
        raise ConfigError(
            f"DATABASE_URL: could not reach the database ({exc.strerror or exc}); "
            "check the URL and that the server is running."
        ) from None


async def _wait_for_stop() -> None:
    """Until SIGTERM (Heroku's shutdown) or Ctrl-C."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _serve(settings: Settings, *, port: int, scheduler: bool) -> None:
    from aiohttp import web

    from bot.app import build_bolt_app, build_web_app
    from bot.jobs import Jobs
    from bot.runtime import build_runtime

    runtime = build_runtime(settings)
    runner = web.AppRunner(build_web_app(runtime, build_bolt_app(runtime)))
    await runner.setup()
    await web.TCPSite(runner, host="0.0.0.0", port=port).start()
    jobs = Jobs(runtime) if scheduler else None
    if jobs:
        jobs.start()
    logger.info("mentorbot serving on port %d (scheduler %s)", port, "on" if jobs else "off")
    try:
        await _wait_for_stop()
    finally:
        await runner.cleanup()  # finishes requests in flight
        if jobs:
            await jobs.stop()
        await runtime.close()


async def _socket(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.app import build_bolt_app
    from bot.jobs import Jobs
    from bot.runtime import build_runtime

    runtime = build_runtime(settings)
    handler = AsyncSocketModeHandler(build_bolt_app(runtime), settings.SLACK_APP_TOKEN)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    jobs = Jobs(runtime)
    jobs.start()
    logger.info("mentorbot connected with Socket Mode")
    try:
        await _wait_for_stop()
    finally:
        with contextlib.suppress(Exception):
            await handler.close_async()  # type: ignore[no-untyped-call]
        await jobs.stop()
        await runtime.close()


async def _clock(settings: Settings) -> None:
    from bot.jobs import Jobs
    from bot.runtime import build_runtime

    runtime = build_runtime(settings)
    jobs = Jobs(runtime)
    jobs.start()
    logger.info("mentorbot clock running")
    try:
        await _wait_for_stop()
    finally:
        await jobs.stop()
        await runtime.close()


async def _tick(settings: Settings, *, at: datetime | None) -> None:
    from bot.jobs import tick
    from bot.runtime import build_runtime

    runtime = build_runtime(settings, clock=ShiftedClock(at) if at else None)
    try:
        report = await tick(runtime)
    finally:
        await runtime.close()
    stats = report.delivery
    decided = ", ".join(f"{name} {count}" for name, count in report.decisions.items())
    print(
        f"tick at {runtime.clock.now():%Y-%m-%dT%H:%M:%SZ}: {decided}; delivered {stats.sent}, "
        f"recovered {stats.recovered}, retrying {stats.retried + stats.rate_limited}, "
        f"failed {stats.failed}"
    )
