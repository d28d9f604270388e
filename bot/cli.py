"""`mentorbot` — serve, socket, clock, tick, db upgrade, match, report, workspace delete
(PRODUCT.md §3)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn

from bot.clock import ShiftedClock
from bot.config import ConfigError, Settings, fix_for, load_settings

logger = logging.getLogger("bot")


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are one line too, like every other start-up error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mentorbot", description="Reverse mentorship programs in Slack.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve Slack over HTTP (POST /slack/events)")
    serve.add_argument(
        "--port", type=_parse_port, help="port to listen on (default: $PORT or 3000)"
    )
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
    match.add_argument(
        "--unmatched", metavar="FILE.csv", help="write the unmatched, with why, to this CSV"
    )
    match.add_argument(
        "--time-limit",
        type=_positive_seconds,
        metavar="SECONDS",
        help="stop proving the best sides for 'either' people after this long (default 10)",
    )
    report = commands.add_parser("report", help="a program's report for HR systems")
    report.add_argument("--program", required=True, metavar="NAME", help="the program's name")
    report.add_argument(
        "--team", metavar="TEAM_ID",
        help="the program's workspace, when several have a program of that name (OAuth mode)",
    )  # fmt: skip
    report.add_argument(
        "--format", choices=("csv", "json"), default="csv",
        help="csv: the pairs table, a blank line, the enrollment table; json: one object",
    )  # fmt: skip
    report.add_argument(
        "--period", choices=REPORT_PERIODS, default="all",
        help="the period of the report's numbers (json; default: since the program began)",
    )  # fmt: skip
    workspace = commands.add_parser("workspace", help="one workspace's data")
    workspace_commands = workspace.add_subparsers(dest="workspace_command", required=True)
    delete = workspace_commands.add_parser(
        "delete", help="delete everything mentorbot holds for a workspace, after a confirmation"
    )
    delete.add_argument("team_id", metavar="TEAM_ID", help="the workspace's id (T…)")
    delete.add_argument("--yes", action="store_true", help="do not ask (for scripts)")
    return parser


def _parse_port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port: {fix_for('PORT')}")
    return port


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not (0 < seconds < float("inf")):
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of seconds")
    return seconds


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

        return int(
            run(args.input, args.output, unmatched_path=args.unmatched, time_limit=args.time_limit)
        )
    try:
        settings = load_settings()
        _configure_logging(settings.LOG_LEVEL)
        if args.command == "db":
            _upgrade(settings)
        elif args.command == "serve":
            settings.require_slack("SLACK_SIGNING_SECRET")
            _verify_slack(settings, serving=True)
            _upgrade(settings)
            port = args.port or settings.PORT
            asyncio.run(_serve(settings, port=port, scheduler=not args.no_scheduler))
        elif args.command == "socket":
            if settings.oauth:
                raise ConfigError(
                    "Socket Mode needs SLACK_BOT_TOKEN (one workspace): unset SLACK_CLIENT_ID and "
                    "SLACK_CLIENT_SECRET, or run `mentorbot serve`, which serves OAuth installs."
                )
            settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
            _verify_slack(settings)
            _upgrade(settings)
            asyncio.run(_socket(settings))
        elif args.command == "clock":
            settings.require_slack()
            _verify_slack(settings)
            _upgrade(settings)
            asyncio.run(_clock(settings))
        elif args.command == "report":
            _upgrade(settings)
            return asyncio.run(
                _report(
                    settings,
                    program=args.program,
                    team_id=args.team,
                    form=args.format,
                    period=args.period,
                )
            )
        elif args.command == "workspace":
            _upgrade(settings)
            return asyncio.run(_workspace_delete(settings, team_id=args.team_id, yes=args.yes))
        elif args.command == "tick":
            settings.require_slack()
            _verify_slack(settings)
            _upgrade(settings)
            asyncio.run(_tick(settings, at=args.at))
    except ConfigError as exc:
        print(f"mentorbot: {exc}", file=sys.stderr)
        return 2
    return 0


# Libraries whose DEBUG lines are wire transcripts (request bodies, SQL parameters):
# they would carry reflection and story text into the logs, so they stay above DEBUG.
WIRE_TRANSCRIPT_LEVELS = {
    "slack_sdk.web": logging.INFO,
    "aiosqlite": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
}


# bot.services.reports.PERIODS_OFFERED's values, kept here so `--help` imports nothing.
REPORT_PERIODS = ("round", "30d", "90d", "all")


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":
        # Every tick and every request would otherwise log a line.
        for noisy in ("alembic.runtime.plugins", "apscheduler.executors", "aiohttp.access"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    # Bolt logs the whole body of a request with a bad signature: user text, at any level.
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)
    for name, floor in WIRE_TRANSCRIPT_LEVELS.items():
        logging.getLogger(name).setLevel(floor)


def _upgrade(settings: Settings) -> None:
    from bot.db.migrate import upgrade_to_head

    upgrade_to_head(settings.DATABASE_URL)  # a database it cannot use is a ConfigError


def _verify_slack(settings: Settings, *, serving: bool = False) -> None:
    """auth.test once, before anything starts: a wrong token stops here with one line,
    and Bolt authorizes every request from this answer (bot/slack/identity.py).

    OAuth mode has no one token to check: each workspace's comes with its install."""
    if settings.oauth:
        from bot.slack.installs import INSTALL_PATH

        where = "here" if serving else "by `mentorbot serve`"
        logger.info("OAuth mode: workspaces install the app at %s, served %s", INSTALL_PATH, where)
        return
    from bot.runtime import build_web_client
    from bot.slack.identity import verify_bot_token

    # One try, no retry handlers: a dyno that cannot reach Slack exits and is restarted.
    asyncio.run(verify_bot_token(build_web_client(settings, for_delivery=True)))


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
    jobs: Jobs | None = None
    try:
        try:
            await web.TCPSite(runner, host="0.0.0.0", port=port).start()
        except OSError as exc:
            raise ConfigError(_cannot_listen(port, exc)) from None
        if scheduler:
            jobs = Jobs(runtime)
            jobs.start()
        logger.info("mentorbot serving on port %d (scheduler %s)", port, "on" if jobs else "off")
        await _wait_for_stop()
    finally:
        await runner.cleanup()  # finishes requests in flight
        if jobs:
            await jobs.stop()
        await runtime.close()


def _cannot_listen(port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"PORT: port {port} is already in use: stop what listens there, "
            "or choose another port with --port or PORT."
        )
    return (
        f"PORT: cannot listen on port {port} ({exc.strerror or exc}): "
        "choose another port with --port or PORT."
    )


async def _socket(settings: Settings) -> None:
    import aiohttp
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_sdk.errors import SlackApiError
    from slack_sdk.socket_mode.request import SocketModeRequest

    from bot.app import build_bolt_app
    from bot.jobs import Jobs
    from bot.runtime import build_runtime

    runtime = build_runtime(settings)
    # The SDK retries a refused app token forever, a traceback every 10 s. Ask for the
    # first URL ourselves so a wrong token stops here, and hand it over (a Tier 1 method).
    # Rate limits and an unreachable Slack are left to the SDK, which keeps trying.
    first_url: str | None = None
    try:
        opened = await runtime.client.apps_connections_open(app_token=settings.SLACK_APP_TOKEN)
        first_url = opened["url"]
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error != "ratelimited":
            await runtime.close()
            raise ConfigError(
                f"SLACK_APP_TOKEN: Slack refused it ({error}); {fix_for('SLACK_APP_TOKEN')}."
            ) from None
    except (OSError, TimeoutError, aiohttp.ClientError) as exc:
        logger.warning("Slack did not answer apps.connections.open (%s)", type(exc).__name__)
    handler = AsyncSocketModeHandler(build_bolt_app(runtime), settings.SLACK_APP_TOKEN)
    handler.client.wss_uri = first_url
    # The SDK handles each envelope in a task it does not keep, and closing the socket
    # loses the acks still to come. Track them so a stop can let them finish; once
    # stopping, leave new envelopes unacked: Slack sends them again.
    in_flight: set[asyncio.Task[Any]] = set()
    stopping = False

    async def handle(client: Any, request: SocketModeRequest) -> None:
        task = asyncio.current_task()
        if stopping or task is None:
            return
        in_flight.add(task)
        try:
            await handler.handle(client, request)
        finally:
            in_flight.discard(task)

    handler.client.socket_mode_request_listeners[:] = [handle]
    await handler.connect_async()  # type: ignore[no-untyped-call]
    jobs = Jobs(runtime)
    jobs.start()
    logger.info("mentorbot connected with Socket Mode")
    try:
        await _wait_for_stop()
    finally:
        stopping = True
        if in_flight:  # Slack gives up on an ack after 3 s
            await asyncio.wait(set(in_flight), timeout=3)
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
    decided = ", ".join(
        f"{name} {'FAILED (see log)' if count is None else count}"
        for name, count in report.decisions.items()
    )
    print(
        f"tick at {runtime.clock.now():%Y-%m-%dT%H:%M:%SZ}: {decided}; delivered {stats.sent}, "
        f"recovered {stats.recovered}, retrying {stats.retried + stats.rate_limited}, "
        f"held {stats.held}, failed {stats.failed}"
    )


async def _report(
    settings: Settings, *, program: str, team_id: str | None, form: str, period: str
) -> int:
    """Print the program's report; an unknown program is one line on stderr and exit 2."""
    from bot.clock import SystemClock
    from bot.db.engine import build_engine, build_sessions
    from bot.reports_csv import report_csv, report_json
    from bot.services.reports import (
        Period,
        build_report,
        find_programs_named,
        list_enrollment_lines,
        list_pair_lines,
    )

    engine = build_engine(settings.DATABASE_URL)
    sessions = build_sessions(engine)
    try:
        found = await find_programs_named(sessions, name=program, team_id=team_id)
        if not found:
            where = f" in workspace {team_id}" if team_id else ""
            print(f"mentorbot: there is no program called {program!r}{where}", file=sys.stderr)
            return 2
        if len(found) > 1:
            teams = ", ".join(team for _id, team in found)
            print(
                f"mentorbot: workspaces {teams} each have a program called {program!r}: "
                "choose one with --team TEAM_ID",
                file=sys.stderr,
            )
            return 2
        program_id = found[0][0]
        pairs = await list_pair_lines(sessions, program_id=program_id)
        people = await list_enrollment_lines(sessions, program_id=program_id)
        if form == "csv":
            sys.stdout.write(report_csv(pairs, people))
            return 0
        report = await build_report(
            sessions, team_id=None, program_id=program_id, period=Period(period),
            now=SystemClock().now(),
        )  # fmt: skip
        assert report is not None  # found just above
        print(report_json(report, pairs, people))
        return 0
    finally:
        await engine.dispose()


async def _workspace_delete(settings: Settings, *, team_id: str, yes: bool) -> int:
    """Delete one workspace's data once the operator types its id (or passed --yes); exit 1
    with one line for an unknown workspace or an answer that is not its id."""
    from bot.db.engine import build_engine, build_sessions
    from bot.services.erasure import erase_workspace, get_workspace_holdings
    from bot.slack.text import plural

    engine = build_engine(settings.DATABASE_URL)
    sessions = build_sessions(engine)
    try:
        holdings = await get_workspace_holdings(sessions, team_id)
        if not holdings.rows:
            print(
                f"mentorbot: no data for workspace {team_id}: check the team id (T…)",
                file=sys.stderr,
            )
            return 1
        if not yes:
            try:
                answer = await asyncio.to_thread(
                    input,
                    f"This deletes everything mentorbot holds for workspace {team_id} "
                    f"({plural(holdings.people, 'person', 'people')}, "
                    f"{plural(holdings.programs, 'program')}, installation: "
                    f"{'yes' if holdings.installed else 'no'}). Type the team id to confirm: ",
                )
            except EOFError:
                answer = ""
            if answer.strip() != team_id:
                print(f"mentorbot: not confirmed; nothing deleted for {team_id}", file=sys.stderr)
                return 1
        deleted = await erase_workspace(sessions, team_id)
        counts = ", ".join(f"{table} {count}" for table, count in deleted.items())
        print(f"Deleted workspace {team_id}: {counts}")
        return 0
    finally:
        await engine.dispose()
