"""Fixtures for the outbox tests: a fake Slack with five users, a clock, a client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import ShiftedClock
from tests.db.test_delivery import T0
from tests.support.fake_slack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        for n in range(1, 6):
            slack.add_user(f"U00000{n}", name=f"user{n}")
        yield slack


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock(T0)


@pytest.fixture
async def client(fake: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    yield AsyncWebClient(token=fake.token, base_url=fake.base_url, retry_handlers=[])
