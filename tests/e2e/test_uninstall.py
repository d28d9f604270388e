"""Uninstall and revocation (issue 13 point 3): `app_uninstalled` and `tokens_revoked`
remove the workspace's installation, drop what it had queued, and stop its sweeps; the
workspace beside it carries on; a reinstall resumes it without resending what was dropped."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from slack_sdk.oauth.installation_store import Bot, Installation
from sqlalchemy import select

import bot.jobs as jobs
from bot.clock import ShiftedClock
from bot.config import load_settings
from bot.db.engine import Sessions
from bot.db.tables import DeliveryHoldRow, OutgoingMessageRow, WorkspaceRow
from bot.delivery import TOKEN_SCOPE, enqueue_message
from bot.domain import DeliveryStatus
from bot.runtime import Runtime, build_runtime
from bot.services.workspaces import record_install, record_uninstall
from tests.e2e.conftest import SIGNING_SECRET, RunningApp, serve
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import BOT_USER_ID, SlackRequester
from tests.support.workspace_data import NOW, build_due_workspace, snapshot

OTHER_TEAM = "T0OTHER02"


@dataclass
class TwoWorkspaces:
    runtime: Runtime
    gone: FakeSlack  # the workspace that removes the app
    live: FakeSlack
    to_gone: SlackRequester
    to_live: SlackRequester

    @property
    def sessions(self) -> Sessions:
        return self.runtime.sessions


async def install(runtime: Runtime, workspace: FakeSlack) -> None:
    assert runtime.installations is not None
    ids = {"app_id": "A0MENTOR", "team_id": workspace.team_id, "bot_token": workspace.token,
           "bot_id": "B0MENTOR", "bot_user_id": BOT_USER_ID,
           "installed_at": time.time()}  # fmt: skip
    await runtime.installations.async_save(Installation(user_id="U0INSTALL", **ids))
    await runtime.installations.async_save_bot(Bot(**ids))
    await record_install(runtime.sessions, team_id=workspace.team_id, name="Acme", now=NOW)


@pytest.fixture
async def two(database_url: str, sessions: Sessions) -> AsyncIterator[TwoWorkspaces]:
    """OAuth mode, two workspaces installed, each with due work of every kind."""
    with FakeSlack() as gone:
        live = gone.add_workspace(OTHER_TEAM)
        settings = load_settings(
            SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="secret",
            SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=gone.base_url,
            DATABASE_URL=database_url,
        )  # fmt: skip
        runtime = build_runtime(settings, clock=ShiftedClock(NOW))
        for workspace in (gone, live):
            await install(runtime, workspace)
            built = await build_due_workspace(sessions, workspace.team_id)
            for user_id in built.people:
                workspace.add_user(user_id, name=user_id.lower())
        runner, url = await serve(runtime)
        to_gone = SlackRequester(url, SIGNING_SECRET, gone)
        to_live = SlackRequester(url, SIGNING_SECRET, live)
        try:
            yield TwoWorkspaces(runtime, gone, live, to_gone, to_live)
        finally:
            await to_gone.close()
            await to_live.close()
            await runner.cleanup()
            await runtime.close()


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def uninstalled_at(sessions: Sessions, team_id: str) -> datetime | None:
    async with sessions() as session:
        row = await session.get(WorkspaceRow, team_id)
        return row.uninstalled_at if row else None


async def is_uninstalled(sessions: Sessions, team_id: str) -> bool:
    return await uninstalled_at(sessions, team_id) is not None


async def queue(sessions: Sessions, team_id: str, key: str) -> None:
    async with sessions() as session, session.begin():
        await enqueue_message(session, team_id=team_id, key=key, channel="U000ADMIN",
                              payload={"text": "hello"}, due_at=NOW)  # fmt: skip


async def outbox(sessions: Sessions, team_id: str) -> dict[str, str]:
    async with sessions() as session:
        rows = await session.execute(
            select(OutgoingMessageRow.key, OutgoingMessageRow.status).where(
                OutgoingMessageRow.team_id == team_id
            )
        )
        return {key: status for key, status in rows.all()}


async def holds(sessions: Sessions, team_id: str) -> list[str]:
    async with sessions() as session:
        query = select(DeliveryHoldRow.scope).where(DeliveryHoldRow.team_id == team_id)
        return list(await session.scalars(query))


async def hold_token(sessions: Sessions, team_id: str) -> None:
    async with sessions() as session, session.begin():
        session.add(DeliveryHoldRow(team_id=team_id, scope=TOKEN_SCOPE, until=NOW, reason="x"))


async def is_installed(runtime: Runtime, team_id: str) -> bool:
    assert runtime.installations is not None
    bot = await runtime.installations.async_find_bot(enterprise_id=None, team_id=team_id)
    found = await runtime.installations.async_find_installation(enterprise_id=None, team_id=team_id)
    return bot is not None or found is not None


async def test_app_uninstalled_deletes_the_install_drops_the_queue_and_the_next_tick_skips_it(
    two: TwoWorkspaces,
) -> None:
    gone, live = two.gone.team_id, two.live.team_id
    await queue(two.sessions, gone, "waiting:gone")
    await queue(two.sessions, live, "waiting:live")
    await hold_token(two.sessions, gone)
    assert await is_installed(two.runtime, gone)

    response = await two.to_gone.event({"type": "app_uninstalled"})
    assert response.status == 200
    await until(lambda: is_uninstalled(two.sessions, gone))

    assert not await is_installed(two.runtime, gone), "its bot and installation rows are gone"
    assert await two.runtime.tokens.bot_token(gone) is None
    assert await is_installed(two.runtime, live)
    assert (await outbox(two.sessions, gone))["waiting:gone"] == DeliveryStatus.DROPPED.value
    assert (await outbox(two.sessions, live))["waiting:live"] == DeliveryStatus.PENDING.value
    assert await holds(two.sessions, gone) == []
    assert await uninstalled_at(two.sessions, live) is None

    before = await snapshot(two.sessions, gone)
    live_before = await outbox(two.sessions, live)
    calls_before = len(two.gone.calls)
    await jobs.tick(two.runtime)
    assert await snapshot(two.sessions, gone) == before, "nothing decided or sent for it"
    bearer = f"Bearer {two.gone.token}"
    made = [c for c in two.gone.calls[calls_before:] if c.headers.get("Authorization") == bearer]
    assert made == [], "no Slack call made with its token"
    assert len(await outbox(two.sessions, live)) > len(live_before), "the other carries on"


async def test_a_retried_uninstall_event_does_nothing_more(
    two: TwoWorkspaces, caplog: pytest.LogCaptureFixture
) -> None:
    gone = two.gone.team_id
    await two.to_gone.event({"type": "app_uninstalled"}, event_id="Ev0UNINST01")
    await until(lambda: is_uninstalled(two.sessions, gone))
    first = await uninstalled_at(two.sessions, gone)
    # Queued after the uninstall (a request already in flight): a rerun would drop it.
    await queue(two.sessions, gone, "after:gone")
    later = NOW + timedelta(minutes=1)
    two.runtime.clock = ShiftedClock(later)

    with caplog.at_level(logging.INFO, logger="bot.slack.listeners.events"):
        response = await two.to_gone.event(
            {"type": "app_uninstalled"}, event_id="Ev0UNINST01", retry_num=1
        )
    assert response.status == 200
    assert any("Ev0UNINST01 handled before" in r.getMessage() for r in caplog.records)
    # The retry that slips past the early skip (both at once) finds the mark in its own
    # transaction and does nothing either.
    dropped = await record_uninstall(two.sessions, team_id=gone, now=later, once_key="Ev0UNINST01")
    assert dropped == 0
    assert await uninstalled_at(two.sessions, gone) == first
    assert (await outbox(two.sessions, gone))["after:gone"] == DeliveryStatus.PENDING.value


async def test_tokens_revoked_for_the_bot_uninstalls_the_workspace(two: TwoWorkspaces) -> None:
    gone, live = two.gone.team_id, two.live.team_id
    await queue(two.sessions, gone, "waiting:gone")
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": ["U0INSTALL"], "bot": [BOT_USER_ID]}}

    assert (await two.to_gone.event(revoked)).status == 200
    await until(lambda: is_uninstalled(two.sessions, gone))

    assert not await is_installed(two.runtime, gone)
    assert (await outbox(two.sessions, gone))["waiting:gone"] == DeliveryStatus.DROPPED.value
    assert await is_installed(two.runtime, live)
    assert await uninstalled_at(two.sessions, live) is None


async def test_tokens_revoked_for_user_tokens_only_changes_nothing(two: TwoWorkspaces) -> None:
    gone, live = two.gone.team_id, two.live.team_id
    before = await snapshot(two.sessions, gone)
    users_only = {"type": "tokens_revoked", "tokens": {"oauth": ["U0INSTALL"]}}

    assert (await two.to_gone.event(users_only)).status == 200
    # An event whose effect shows, sent after it: by then the first one was handled.
    assert (await two.to_live.event({"type": "app_uninstalled"})).status == 200
    await until(lambda: is_uninstalled(two.sessions, live))

    assert await snapshot(two.sessions, gone) == before
    assert await is_installed(two.runtime, gone)
    assert await two.runtime.tokens.bot_token(gone) == two.gone.token


async def test_a_reinstall_resumes_the_sweeps_and_resends_nothing_dropped(
    two: TwoWorkspaces,
) -> None:
    gone = two.gone.team_id
    await queue(two.sessions, gone, "waiting:gone")
    await two.to_gone.event({"type": "app_uninstalled"})
    await until(lambda: is_uninstalled(two.sessions, gone))
    dropped = {k for k, s in (await outbox(two.sessions, gone)).items() if s == "dropped"}
    assert "waiting:gone" in dropped

    await install(two.runtime, two.gone)
    assert await uninstalled_at(two.sessions, gone) is None
    await jobs.tick(two.runtime)

    after = await outbox(two.sessions, gone)
    assert {k for k, s in after.items() if s == "dropped"} >= dropped, "dropped stays dropped"
    new = set(after) - dropped - {k for k in after if k.startswith("story:")}
    assert any(k.startswith("checkin:") for k in new), "its check-ins are decided again"
    posted = {str(c.params.get("metadata", {}).get("event_payload", {}).get("outbox_key"))
              for c in two.gone.calls}  # fmt: skip
    assert not posted & dropped, "nothing dropped was sent"


async def test_in_single_token_mode_an_uninstall_stops_the_sweeps_until_a_token_works_again(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    team = app.fake.team_id
    with caplog.at_level(logging.WARNING, logger="bot.slack.listeners.installation"):
        app.fake.break_token("token_revoked")  # what Slack does with the token on uninstall
        assert (await app.slack.event({"type": "app_uninstalled"})).status == 200
        await until(lambda: is_uninstalled(app.sessions, team))
    listener = "bot.slack.listeners.installation"
    [line] = [r.getMessage() for r in caplog.records if r.name == listener]
    assert team in line and "SLACK_BOT_TOKEN" in line and "reinstall" in line

    done = await jobs.run_decisions(app.runtime)
    assert done["reinstalled"] == 0 and await is_uninstalled(app.sessions, team)
    # Reinstalled, and the new token set: the next tick finds it working.
    app.fake.mend_token()
    done = await jobs.run_decisions(app.runtime)
    assert done["reinstalled"] == 1 and not await is_uninstalled(app.sessions, team)
