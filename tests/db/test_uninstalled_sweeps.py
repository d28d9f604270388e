"""An uninstalled workspace gets nothing decided for it, by any decision sweep, until it
installs again; the workspace beside it carries on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

import bot.jobs as jobs
from bot.clock import ShiftedClock
from bot.config import load_settings
from bot.db.engine import Sessions
from bot.db.tables import OutgoingMessageRow
from bot.runtime import Runtime, build_runtime
from bot.services.workspaces import record_install, record_uninstall
from tests.support.fake_slack import FakeSlack
from tests.support.workspace_data import NOW, build_due_workspace, snapshot

GONE, LIVE = "T0GONE001", "T0LIVE001"
# Not decisions for a workspace: purges keep or forget by age, installed or not; and
# "reinstalled" only looks for a working token in single-token mode.
NOT_FOR_A_WORKSPACE = {"purge-events", "purge-payloads", "reinstalled"}


@pytest.fixture
async def runtime(database_url: str, sessions: Sessions, fake: FakeSlack) -> AsyncIterator[Runtime]:
    settings = load_settings(SLACK_BOT_TOKEN=fake.token, DATABASE_URL=database_url,
                             SLACK_API_URL=fake.base_url)  # fmt: skip
    runtime = build_runtime(settings, clock=ShiftedClock(NOW))
    yield runtime
    await runtime.close()


async def outbox_rows(sessions: Sessions, team_id: str) -> int:
    async with sessions() as session:
        query = select(func.count()).where(OutgoingMessageRow.team_id == team_id)
        return int(await session.scalar(query) or 0)


async def test_no_sweep_decides_anything_for_an_uninstalled_workspace_until_it_reinstalls(
    runtime: Runtime, sessions: Sessions, fake: FakeSlack
) -> None:
    for team_id in (GONE, LIVE):
        workspace = await build_due_workspace(sessions, team_id)
    for user_id in workspace.people:
        fake.add_user(user_id, name=user_id.lower())
    await record_uninstall(sessions, team_id=GONE, now=NOW)
    before = await snapshot(sessions, GONE)
    live_outbox = await outbox_rows(sessions, LIVE)

    done = await jobs.run_decisions(runtime)

    assert await snapshot(sessions, GONE) == before, "no row of the uninstalled workspace changed"
    # The live workspace, built the same, had due work of every kind: each sweep did some.
    sweeps = {name for name, _ in jobs.DECISION_SWEEPS} - NOT_FOR_A_WORKSPACE
    assert {name for name in sweeps if not done[name]} == set()
    assert await outbox_rows(sessions, LIVE) > live_outbox

    # Installed again: the same moment's work is all done for it now.
    await record_install(sessions, team_id=GONE, name="Gone again", now=NOW)
    again = await jobs.run_decisions(runtime)
    assert {name for name in sweeps if not again[name]} == set()
    assert await snapshot(sessions, GONE) != before
