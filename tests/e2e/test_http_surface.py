"""The Slack HTTP surface: signatures, /mentor help, health, errors."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import load_settings
from bot.runtime import build_runtime
from bot.slack.modals import open_then_fill
from bot.slack.views.status import notice_modal
from tests.e2e.conftest import ADMIN, MEMBER, RunningApp, serve
from tests.support.fake_slack import FakeSlack


async def test_signed_help_answers_in_the_ack_well_under_three_seconds(app: RunningApp) -> None:
    started = time.perf_counter()
    response = await app.slack.command("help", user_id=MEMBER)
    elapsed = time.perf_counter() - started
    assert response.status == 200
    assert elapsed < 1.0
    body = response.json()
    assert body["response_type"] == "ephemeral"
    text = str(body["blocks"])
    assert "/mentor help" in text
    assert "program admins" not in text  # a member sees no admin subcommands


async def test_empty_and_unknown_subcommands_get_help(app: RunningApp) -> None:
    empty = (await app.slack.command("", user_id=MEMBER)).json()
    assert "/mentor help" in str(empty["blocks"])
    unknown = (await app.slack.command("dance <!channel>", user_id=MEMBER)).json()
    first = unknown["blocks"][0]["text"]["text"]
    assert "I don't know `dance`" in first
    assert "<!channel>" not in str(unknown)


async def test_admins_are_known_from_settings_and_from_slack(app: RunningApp) -> None:
    app.fake.add_user("U0OWNER01", name="olu", is_owner=True)
    assert await app.runtime.admins.is_admin(app.fake.team_id, ADMIN)
    assert await app.runtime.admins.is_admin(app.fake.team_id, "U0OWNER01")
    assert not await app.runtime.admins.is_admin(app.fake.team_id, MEMBER)


@pytest.mark.parametrize(
    "options",
    [{"bad_signature": True}, {"timestamp_offset": -360}, {"timestamp_offset": 360}],
    ids=["forged", "six-minutes-old", "six-minutes-ahead"],
)
async def test_bad_or_stale_signatures_get_401_and_no_effect(
    app: RunningApp, options: dict[str, object]
) -> None:
    response = await app.slack.command("help", user_id=MEMBER, **options)  # type: ignore[arg-type]
    assert response.status == 401
    assert "mentor" not in response.text
    assert [c.method for c in app.fake.calls if c.method != "auth.test"] == []


async def test_unsigned_request_gets_401(app: RunningApp) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{app.url}/slack/events", data={"command": "/mentor"}) as resp,
    ):
        assert resp.status == 401


async def test_url_verification_echoes_the_challenge(app: RunningApp) -> None:
    response = await app.slack.post_json(
        {"token": "x", "challenge": "c-123", "type": "url_verification"}
    )
    assert response.status == 200
    assert response.json() == {"challenge": "c-123"}


async def test_healthz_reports_the_database(app: RunningApp) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{app.url}/healthz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"ok": True, "database": "ok"}


async def test_healthz_says_when_the_database_does_not_answer() -> None:
    settings = load_settings(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="s",
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/nowhere",
    )
    runtime = build_runtime(settings)
    runner, url = await serve(runtime)
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as resp:
            assert resp.status == 503
            assert await resp.json() == {"ok": False, "database": "unreachable"}
    finally:
        await runner.cleanup()
        await runtime.close()


async def test_unexpected_errors_are_logged_and_the_user_hears_kindly(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.slack.listeners.commands import CommandRequest
    from bot.slack.views.help import Subcommand

    async def explode(request: CommandRequest) -> None:
        raise RuntimeError("kaboom")

    app.router.add(Subcommand("boom", "boom", "always fails"), explode)
    response_url = app.fake.new_response_url()
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        response = await app.slack.command("boom", user_id=MEMBER, response_url=response_url)
    assert response.status == 200
    replies = app.fake.responses(response_url.rsplit("/", 1)[1])
    assert len(replies) == 1
    assert "something went wrong on my side" in replies[0]["text"]
    assert replies[0]["response_type"] == "ephemeral"
    record = next(r for r in caplog.records if r.name == "bot.app")
    assert record.exc_info is not None and "kaboom" in str(record.exc_info[1])


# ---------------------------------------------------------------- modals left loading


def _modal_text(view: dict[str, object] | None) -> str:
    return json.dumps((view or {}).get("blocks"))


@pytest.mark.parametrize(
    "fault", [{"status": 500}, {"error": "invalid_blocks"}], ids=["http-500", "invalid-blocks"]
)
async def test_when_views_update_fails_the_modal_itself_says_sorry(
    app: RunningApp, fault: dict[str, object]
) -> None:
    app.fake.fail_next("views.update", **fault)  # type: ignore[arg-type]
    response = await app.slack.command("admin", user_id=ADMIN)
    assert response.status == 200
    await app.fake.await_for("views.update", count=2)
    text = _modal_text(app.fake.last_view_for(ADMIN))
    assert "didn't load" in text and "One moment" not in text
    assert app.fake.all_responses == []  # no ephemeral hidden behind the modal


async def _open_then_fill(
    fake: FakeSlack, build: Callable[[], Awaitable[dict[str, Any]]], *, within: float = 5.0
) -> dict[str, Any] | None:
    client = AsyncWebClient(token=fake.token, base_url=fake.base_url)
    trigger_id = fake.new_trigger_id(user_id=MEMBER)
    await open_then_fill(client, trigger_id=trigger_id, title="Test", build=build, within=within)
    return fake.last_view_for(MEMBER)


async def test_a_modal_that_takes_too_long_to_build_says_sorry_and_stops_building(
    fake_slack: FakeSlack,
) -> None:
    cancelled = asyncio.Event()

    async def never_ready() -> dict[str, Any]:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        raise AssertionError("unreachable")

    started = time.perf_counter()
    view = await _open_then_fill(fake_slack, never_ready, within=0.2)
    assert time.perf_counter() - started < 2.0
    assert "didn't load" in _modal_text(view) and "One moment" not in _modal_text(view)
    assert cancelled.is_set()


async def test_a_modal_whose_build_raises_says_sorry_in_the_modal(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken() -> dict[str, Any]:
        raise RuntimeError("database went away")

    with caplog.at_level(logging.ERROR, logger="bot.slack.modals"):
        view = await _open_then_fill(fake_slack, broken)
    assert "didn't load" in _modal_text(view)
    assert any(r.exc_info and "database went away" in str(r.exc_info[1]) for r in caplog.records)


async def test_a_modal_that_builds_in_time_shows_its_content(fake_slack: FakeSlack) -> None:
    async def ready() -> dict[str, Any]:
        section = {"type": "section", "text": {"type": "mrkdwn", "text": "All here"}}
        return notice_modal({"blocks": [section]})

    view = await _open_then_fill(fake_slack, ready)
    assert "All here" in _modal_text(view)
    assert len(fake_slack.calls_to("views.update")) == 1
