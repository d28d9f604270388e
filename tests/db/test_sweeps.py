"""Decision sweeps run each on their own: one failing does not stop the others."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

import bot.jobs as jobs
from bot.config import load_settings
from bot.runtime import Runtime, build_runtime


@pytest.fixture
async def runtime(database_url: str, sessions: object) -> AsyncIterator[Runtime]:
    settings = load_settings(SLACK_BOT_TOKEN="xoxb-test", DATABASE_URL=database_url,
                             SLACK_API_URL="http://127.0.0.1:9/api/")  # fmt: skip
    runtime = build_runtime(settings)
    yield runtime
    await runtime.close()


async def test_a_failing_sweep_is_logged_once_and_the_others_still_run(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    async def broken(_runtime: Runtime, _now: datetime) -> int:
        ran.append("broken")
        raise RuntimeError("a bug in one sweep")

    async def fine(_runtime: Runtime, _now: datetime) -> int:
        ran.append("fine")
        return 3

    monkeypatch.setattr(
        jobs, "DECISION_SWEEPS", [("broken", broken), *jobs.DECISION_SWEEPS, ("fine", fine)]
    )
    with caplog.at_level(logging.ERROR, logger="bot.jobs"):
        done = await jobs.run_decisions(runtime)
    assert ran == ["broken", "fine"]
    assert done["broken"] is None and done["fine"] == 3
    assert all(isinstance(done[name], int) for name, _ in jobs.DECISION_SWEEPS[1:-1])
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "broken" in errors[0].getMessage()
    assert errors[0].exc_info is not None  # with its traceback
