"""The real app over real HTTP, talking to the fake Slack; requests signed like Slack's."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from bot.app import build_bolt_app, build_web_app
from bot.clock import ShiftedClock
from bot.config import load_settings
from bot.db.engine import Sessions
from bot.delivery import DeliveryPolicy
from bot.runtime import Runtime, build_runtime
from bot.slack import ids
from bot.slack.listeners.commands import CommandRouter
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackRequester

SIGNING_SECRET = "test-signing-secret"
ADMIN = "U0ADMIN01"
MEMBER = "U0MEMBER1"


@dataclass
class RunningApp:
    url: str
    fake: FakeSlack
    runtime: Runtime
    slack: SlackRequester  # signed requests into the app
    clock: ShiftedClock
    router: CommandRouter

    @property
    def sessions(self) -> Sessions:
        return self.runtime.sessions


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user(ADMIN, name="ada", real_name="Ada Admin", tz="Europe/Berlin")
        fake.add_user(MEMBER, name="sam", real_name="Sam Member", tz="America/New_York")
        yield fake


@pytest.fixture
async def app(
    database_url: str, sessions: Sessions, fake_slack: FakeSlack
) -> AsyncIterator[RunningApp]:
    """The app on 127.0.0.1:<random port>, with its own clock starting now."""
    settings = load_settings(
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.base_url,
        DATABASE_URL=database_url,
        MENTORBOT_ADMIN_IDS=ADMIN,
    )
    clock = ShiftedClock(datetime.now(UTC))
    policy = DeliveryPolicy(backoff_factor=0.01, backoff_cap=0.1)
    runtime = build_runtime(settings, clock=clock, policy=policy)
    router = CommandRouter()
    runner, url = await serve(runtime, router)
    requester = SlackRequester(url, SIGNING_SECRET, fake_slack)
    try:
        yield RunningApp(url, fake_slack, runtime, requester, clock, router)
    finally:
        await requester.close()
        await runner.cleanup()
        await runtime.close()


async def serve(runtime: Runtime, router: CommandRouter | None = None) -> tuple[web.AppRunner, str]:
    """The app's real web server on 127.0.0.1 and a free port."""
    runner = web.AppRunner(build_web_app(runtime, build_bolt_app(runtime, router)))
    await runner.setup()
    site = web.TCPSite(runner, host="127.0.0.1", port=0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def ask_status(app: RunningApp, user_id: str) -> dict[str, Any]:
    """`/mentor status`: acked at once, answered through the command's response_url."""
    url = app.fake.new_response_url()
    response = await app.slack.command("status", user_id=user_id, response_url=url)
    assert response.status == 200 and response.text == ""
    response_id = url.rsplit("/", 1)[-1]
    await app.fake.await_until(lambda: app.fake.responses(response_id))
    reply: dict[str, Any] = app.fake.responses(response_id)[-1]
    return reply


async def open_modal(app: RunningApp, subcommand: str, user_id: str, callback_id: str) -> Any:
    """`/mentor <subcommand>` → the modal it opened, as Slack holds it once filled in."""
    response = await app.slack.command(subcommand, user_id=user_id)
    assert response.status == 200
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(user_id) or {}).get("callback_id") == callback_id
    )
    view = app.fake.last_view_for(user_id)
    assert view is not None
    return view


async def open_skills_admin(app: RunningApp, user_id: str, program_id: int | None = None) -> Any:
    """Home "Manage skills" → the skill admin modal (`/mentor admin` opens programs)."""
    value = str(program_id) if program_id is not None else None
    await app.slack.action(ids.HOME_MANAGE_SKILLS, value, user_id=user_id, view_id="V0HOME0000")
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(user_id) or {}).get("callback_id") == ids.SKILLS_VIEW
    )
    return app.fake.last_view_for(user_id)
