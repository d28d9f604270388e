"""`mentorbot socket` end to end: the real console command, connected to the fake Slack's
Socket Mode over a real WebSocket on 127.0.0.1.

The app runs as a subprocess, as the README tells developers to run it, so these tests also
cover the settings, the migration at start, `_socket`'s wiring (the handler reaches Slack
through `SLACK_API_URL`), the scheduler beside it and a clean SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.db.engine import Sessions
from bot.db.tables import MembershipRow, PersonRow, SkillRow
from bot.slack import ids
from tests.e2e.conftest import ADMIN, MEMBER
from tests.support.fake_slack import FakeSlack
from tests.support.fake_socket import DEFAULT_APP_TOKEN, FakeSocketMode
from tests.support.slack_requests import (
    event_callback_body,
    multi_static_value,
    plain_value,
    radio_value,
    slash_command_body,
    static_value,
    view_submission_payload,
)

JSON = dict[str, Any]
START_TIMEOUT = 30.0


def socket_env(fake: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    """The CLI's environment: only the fake's addresses (no proxy, nothing inherited)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MENTORBOT_")) and not k.lower().endswith("_proxy")
    }
    env.pop("DATABASE_URL", None)
    return {
        **env,
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_APP_TOKEN": fake.socket_mode.app_token,
        "SLACK_API_URL": fake.base_url,
        "DATABASE_URL": database_url,
        "MENTORBOT_ADMIN_IDS": ADMIN,
        "LOG_LEVEL": "INFO",
        **extra,
    }


@dataclass
class SocketApp:
    fake: FakeSlack
    sessions: Sessions
    process: asyncio.subprocess.Process
    log: list[str] = field(default_factory=list)
    _reader: asyncio.Task[None] | None = None

    @property
    def socket(self) -> FakeSocketMode:
        return self.fake.socket_mode

    def log_text(self) -> str:
        return "".join(self.log)

    async def until(self, predicate: Callable[[], object], timeout: float = 10.0) -> None:
        """`fake.await_until`, failing at once (with the app's log) if the app exited."""

        def done() -> object:
            if self.process.returncode is not None:
                raise AssertionError(f"mentorbot socket exited:\n{self.log_text()}")
            return predicate()

        try:
            await self.fake.await_until(done, timeout=timeout)
        except TimeoutError:
            raise AssertionError(f"timed out; the app logged:\n{self.log_text()}") from None

    async def acked(self, envelope_id: str, timeout: float = 10.0) -> JSON | None:
        """Wait for the app's ack of an envelope; return the ack's payload."""
        await self.until(lambda: self.socket.ack(envelope_id) is not None, timeout)
        ack = self.socket.ack(envelope_id)
        assert ack is not None
        return ack.payload

    async def stop(self) -> str:
        """SIGTERM, as Heroku or Ctrl-C stops it; return what it logged."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), 15)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 5)
        return self.log_text()

    # -------------------------------------------------------------- Slack-shaped envelopes

    def command(self, text: str, *, user_id: str) -> str:
        fields = slash_command_body(
            text,
            user_id=user_id,
            team_id=self.fake.team_id,
            trigger_id=self.fake.new_trigger_id(user_id=user_id),
            response_url=self.fake.new_response_url(),
            user_name=(self.fake.user_object(user_id) or {}).get("name"),
        )
        return self.socket.send_command(fields)

    def event(self, event: JSON, **options: Any) -> str:
        body = event_callback_body(event, team_id=self.fake.team_id)
        return self.socket.send_event(body, **options)

    def home_opened(self, user_id: str, **options: Any) -> str:
        event = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": f"D{user_id}",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        return self.event(event, **options)

    def submit_view(self, view: JSON, values: JSON, *, user_id: str) -> str:
        payload = view_submission_payload(
            user_id=user_id,
            team_id=self.fake.team_id,
            callback_id=view["callback_id"],
            values=values,
            private_metadata=view.get("private_metadata", ""),
            view_id=view["id"],
            trigger_id=self.fake.new_trigger_id(user_id=user_id),
            view=view,
        )
        return self.socket.send_interactive(payload)


async def _read_lines(stream: asyncio.StreamReader, into: list[str]) -> None:
    while line := await stream.readline():
        into.append(line.decode(errors="replace"))


@pytest.fixture
async def socket_app(
    database_url: str, sessions: Sessions, fake_slack: FakeSlack
) -> AsyncIterator[SocketApp]:
    """`mentorbot socket` running and connected (its hello sent)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "socket", env=socket_env(fake_slack, database_url),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    app = SocketApp(fake_slack, sessions, process)
    app._reader = asyncio.create_task(_read_lines(process.stderr, app.log))
    try:
        await app.until(lambda: app.socket.ready_connections(), timeout=START_TIMEOUT)
        yield app
    finally:
        if process.returncode is None:
            process.kill()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(process.wait(), 15)
            await asyncio.wait_for(app._reader, 5)


async def clean_stop(app: SocketApp) -> None:
    log = await app.stop()
    assert app.process.returncode == 0, log
    assert "Traceback" not in log and "Error" not in log, log


# ------------------------------------------------------------------ the fake's side


async def test_fake_socket_mode_takes_only_the_app_token_and_a_fresh_ticket(
    fake_slack: FakeSlack,
) -> None:
    api = f"{fake_slack.base_url}apps.connections.open"
    async with aiohttp.ClientSession() as http:

        async def open_with(token: str) -> JSON:
            headers = {"Authorization": f"Bearer {token}"}
            async with http.post(api, headers=headers) as resp:
                return await resp.json()  # type: ignore[no-any-return]

        assert (await open_with(fake_slack.token))["error"] == "not_allowed_token_type"
        assert (await open_with("xapp-1-A0OTHER-1-nope"))["error"] == "invalid_auth"
        opened = await open_with(DEFAULT_APP_TOKEN)
        assert opened["ok"] is True and opened["url"].startswith("ws://127.0.0.1:")

        async with http.post(
            f"{fake_slack.base_url}auth.test",
            headers={"Authorization": f"Bearer {DEFAULT_APP_TOKEN}"},
        ) as resp:
            assert (await resp.json())["error"] == "not_allowed_token_type"

        async with http.ws_connect(opened["url"]) as ws:
            hello = await ws.receive_json(timeout=5)
            assert hello["type"] == "hello" and hello["num_connections"] == 1
            assert hello["connection_info"] == {"app_id": "A0MENTOR"}
            envelope_id = fake_slack.socket_mode.send_command({"command": "/mentor"})
            envelope = await ws.receive_json(timeout=5)
            assert envelope["envelope_id"] == envelope_id
            assert envelope["type"] == "slash_commands"
            assert envelope["accepts_response_payload"] is True
            await ws.send_json({"envelope_id": envelope_id, "payload": {"text": "hi"}})
            await fake_slack.await_until(lambda: fake_slack.socket_mode.ack(envelope_id))
            assert fake_slack.socket_mode.acks(envelope_id)[0].payload == {"text": "hi"}

        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(opened["url"])  # a ticket works once
        assert refused.value.status == 401


# ------------------------------------------------------------------ the app over the socket


async def test_help_over_the_socket_is_answered_in_the_ack(socket_app: SocketApp) -> None:
    opened = socket_app.fake.calls_to("apps.connections.open")
    assert [c.headers.get("Authorization") for c in opened] == [f"Bearer {DEFAULT_APP_TOKEN}"]

    payload = await socket_app.acked(socket_app.command("help", user_id=MEMBER))
    assert payload is not None and payload["response_type"] == "ephemeral"
    assert "/mentor join" in str(payload["blocks"]) and "/mentor admin" not in str(payload)
    await clean_stop(socket_app)


def enrollment_values(teaches: list[str], learns: list[str]) -> JSON:
    def field(input_id: ids.InputId, value: JSON) -> tuple[str, JSON]:
        return input_id.block_id, {input_id.action_id: value}

    return dict(
        [
            field(ids.ENROLL_ROLE, radio_value("mentor")),
            field(ids.ENROLL_STAGE, static_value("1")),
            field(ids.ENROLL_DEPARTMENT, plain_value("Marketing")),
            field(ids.ENROLL_TEACHES, multi_static_value(teaches)),
            field(ids.ENROLL_LEARNS, multi_static_value(learns)),
            field(ids.ENROLL_GOALS, plain_value("Understand how short video works")),
            field(ids.ENROLL_CADENCE, static_value("14")),
            field(ids.ENROLL_MAX_MENTEES, static_value("1")),
        ]
    )


async def open_enrollment(app: SocketApp, user_id: str) -> JSON:
    """`/mentor join` over the socket → the filled-in modal, as the fake holds it."""
    assert await app.acked(app.command("join", user_id=user_id)) is None  # an empty ack

    def enrollment_open() -> bool:
        view = app.fake.last_view_for(user_id) or {}
        return view.get("callback_id") == ids.ENROLL_VIEW

    await app.until(enrollment_open)
    view = app.fake.last_view_for(user_id)
    assert view is not None
    return view


async def skill_ids(sessions: Sessions, *names: str) -> list[str]:
    async with sessions() as session:
        rows = await session.execute(
            select(SkillRow.name, SkillRow.id).where(SkillRow.name.in_(names))
        )
        found = dict(rows.all())
    return [str(found[name]) for name in names]


async def memberships(sessions: Sessions, user_id: str) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(MembershipRow.role, MembershipRow.status)
            .join(PersonRow, PersonRow.id == MembershipRow.person_id)
            .where(PersonRow.slack_user_id == user_id)
        )
        return [(role, status) for role, status in rows.all()]


async def test_enrollment_submitted_over_the_socket_is_saved_and_acked_with_the_update(
    socket_app: SocketApp,
) -> None:
    view = await open_enrollment(socket_app, MEMBER)
    teaches = await skill_ids(socket_app.sessions, "TikTok for brands", "Prompt writing")
    learns = await skill_ids(socket_app.sessions, "Career guidance")

    envelope_id = socket_app.submit_view(view, enrollment_values(teaches, learns), user_id=MEMBER)
    ack = await socket_app.acked(envelope_id)
    assert ack is not None and ack["response_action"] == "update"
    assert "You're in" in str(ack["view"])
    assert await memberships(socket_app.sessions, MEMBER) == [("mentor", "active")]
    # Slack applied the ack: the open modal now says so.
    shown = socket_app.fake.view(view["id"])
    assert shown is not None and shown["callback_id"] == ids.ENROLL_SAVED_VIEW
    # After the ack, the welcome DM goes out through the outbox.
    await socket_app.until(lambda: socket_app.fake.messages(f"D{MEMBER}"))
    await clean_stop(socket_app)


async def test_app_home_opened_over_the_socket_publishes_the_home_tab(
    socket_app: SocketApp,
) -> None:
    envelope_id = socket_app.home_opened(MEMBER)
    assert await socket_app.acked(envelope_id) is None
    await socket_app.until(lambda: socket_app.fake.home_view(MEMBER) is not None)
    assert ids.HOME_JOIN in str(socket_app.fake.home_view(MEMBER))
    await clean_stop(socket_app)


# ------------------------------------------------------------------ reconnects


def publishes_by_user(fake: FakeSlack) -> Counter[str]:
    return Counter(str(c.params.get("user_id")) for c in fake.calls_to("views.publish"))


async def test_a_refresh_requested_reconnect_loses_no_envelope(socket_app: SocketApp) -> None:
    fake, socket = socket_app.fake, socket_app.socket
    users = [f"U0SOCK{n:03d}" for n in range(30)]
    for user in users:
        fake.add_user(user, name=user.lower())
    view = await open_enrollment(socket_app, MEMBER)
    values = enrollment_values(
        await skill_ids(socket_app.sessions, "Prompt writing"),
        await skill_ids(socket_app.sessions, "Career guidance"),
    )

    # Ten Home tabs opened before the disconnect, ten (and a modal submitted, and a
    # command) while the app reconnects, ten once it has.
    home = {socket_app.home_opened(user): user for user in users[:10]}
    socket.ask_to_reconnect("refresh_requested").result(5)
    home |= {socket_app.home_opened(user): user for user in users[10:20]}
    submitted = socket_app.submit_view(view, values, user_id=MEMBER)
    help_asked = socket_app.command("help", user_id=ADMIN)
    await socket_app.until(lambda: [c for c in socket.ready_connections() if c != 1])
    home |= {socket_app.home_opened(user): user for user in users[20:]}

    await socket_app.until(lambda: not socket.unacked(), timeout=20)
    await socket_app.until(lambda: set(publishes_by_user(fake)) >= set(users), timeout=20)
    submit_ack = socket.acks(submitted)[0].payload
    assert submit_ack is not None and submit_ack["response_action"] == "update"
    assert "/mentor admin" in str(socket.acks(help_asked)[0].payload)

    log = await socket_app.stop()
    assert socket_app.process.returncode == 0, log
    assert "Traceback" not in log, log
    # The app asked for a new URL, connected, and closed the old connection itself.
    assert len(fake.calls_to("apps.connections.open")) == 2
    first, second = socket.connections[:2]
    assert first.closed_by == "app" and second.ready
    envelopes = [*home, submitted, help_asked]
    assert {d.connection for e in envelopes for d in socket.deliveries(e)} == {1, 2}
    # None lost: every Home tab was published. What was in flight when the old connection
    # closed came again (at least once), and the app handled each delivery at most once.
    published = publishes_by_user(fake)
    for envelope_id, user in home.items():
        assert 1 <= published[user] <= len(socket.deliveries(envelope_id)), user
    assert await memberships(socket_app.sessions, MEMBER) == [("mentor", "active")]


async def test_an_event_lost_with_its_connection_is_redelivered_on_the_next_one(
    socket_app: SocketApp,
) -> None:
    fake, socket = socket_app.fake, socket_app.socket
    envelope_id = socket_app.home_opened(MEMBER, drop_connection_after_send=True)
    await socket_app.until(lambda: socket.ack(envelope_id) is not None, timeout=20)

    deliveries = socket.deliveries(envelope_id)
    assert [(d.connection, d.retry_attempt) for d in deliveries] == [(1, 0), (2, 1)]
    assert socket.connections[0].closed_by == "slack"
    assert all(ack.connection == 2 for ack in socket.acks(envelope_id))
    await socket_app.until(lambda: fake.home_view(MEMBER) is not None)
    await clean_stop(socket_app)


async def test_sigterm_while_an_envelope_is_handled_still_acks_it(socket_app: SocketApp) -> None:
    fake = socket_app.fake
    fake.latency("users.info", 1.0)  # help asks Slack whether the caller is an admin first
    envelope_id = socket_app.command("help", user_id=MEMBER)
    await socket_app.until(lambda: fake.calls_to("users.info"))
    socket_app.process.send_signal(signal.SIGTERM)

    log = await socket_app.stop()
    acks = socket_app.socket.acks(envelope_id)
    payload = acks[0].payload if acks else None
    assert payload is not None and payload["response_type"] == "ephemeral", log
    assert socket_app.process.returncode == 0, log
    assert "Traceback" not in log, log


# ------------------------------------------------------------------ start-up


async def test_socket_with_a_refused_app_token_stops_with_one_clear_line(
    database_url: str, sessions: Sessions, fake_slack: FakeSlack
) -> None:
    env = socket_env(
        fake_slack, database_url, SLACK_APP_TOKEN="xapp-1-A0MENTOR-1-revoked", LOG_LEVEL="WARNING"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "socket", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _out, err = await asyncio.wait_for(process.communicate(), START_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"mentorbot socket was still running after {START_TIMEOUT:.0f} s")
    lines = err.decode().strip().splitlines()
    assert process.returncode == 2, err.decode()
    assert len(lines) == 1 and "SLACK_APP_TOKEN" in lines[0] and "invalid_auth" in lines[0]
    assert not fake_slack.socket_mode.connections
