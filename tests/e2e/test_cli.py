"""The console script as a person (or Heroku) runs it: real processes, real scheduler."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.db.engine import Sessions
from bot.delivery import enqueue_message
from tests.support.fake_slack import FakeSlack


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MENTORBOT_"))}
    env.pop("DATABASE_URL", None)
    return {**env, **values}


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["serve"], {}, "SLACK_BOT_TOKEN is not set"),
        (["serve"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        (["socket"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN is not set"),
        (["serve"], {"SLACK_BOT_TOKEN": "xoxp-1", "SLACK_SIGNING_SECRET": "s"}, "xoxb-"),
        (["tick"], {"SLACK_BOT_TOKEN": "xoxb-1", "PORT": "http"}, "PORT is invalid"),
        (["db", "upgrade"], {"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL is invalid"),
        (["db", "upgrade"], {"MENTORBOT_ADMIN_IDS": "alice"}, "MENTORBOT_ADMIN_IDS is invalid"),
        (
            ["db", "upgrade"],
            {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
            "could not reach the database",
        ),
    ],
)
def test_bad_settings_stop_with_one_clear_line(
    args: list[str], env: dict[str, str], says: str, tmp_path: Path
) -> None:
    code, _out, err = run_cli(*args, env=clean_env(**env), cwd=tmp_path)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert says in lines[0] and "Traceback" not in err


def test_tick_rejects_a_bad_time(tmp_path: Path) -> None:
    code, _out, err = run_cli("tick", "--at", "yesterday", env=clean_env(), cwd=tmp_path)
    assert code == 2 and "not an ISO-8601 time" in err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_migrates_answers_health_and_its_scheduler_delivers(
    database_url: str, sessions: Sessions
) -> None:
    with FakeSlack() as fake:
        fake.add_user("U0SERVE01", name="serve")
        async with sessions() as session, session.begin():
            await enqueue_message(
                session, team_id=fake.team_id, key="serve:1", channel="U0SERVE01",
                payload={"text": "hello from the scheduler"}, due_at=datetime.now(UTC),
            )  # fmt: skip
        port = _free_port()
        env = clean_env(
            DATABASE_URL=database_url, SLACK_BOT_TOKEN=fake.token, SLACK_SIGNING_SECRET="s",
            SLACK_API_URL=fake.base_url, LOG_LEVEL="WARNING",
        )  # fmt: skip
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--port", str(port), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(100):
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                            assert resp.status == 200
                            break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.1)
                else:
                    pytest.fail("serve never answered /healthz")
            await fake.await_until(lambda: fake.posted_count_by_key() == {"serve:1": 1}, timeout=10)
        finally:
            server.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(server.communicate(), 15)
        assert server.returncode == 0, err.decode()


async def test_two_clock_processes_never_send_the_same_message_twice(
    database_url: str, sessions: Sessions
) -> None:
    with FakeSlack() as fake:
        users = [f"U0CLOCK{n:02d}" for n in range(20)]
        for user in users:
            fake.add_user(user, name=user.lower())
        async with sessions() as session, session.begin():
            for n in range(100):
                await enqueue_message(
                    session, team_id=fake.team_id, key=f"clock:{n}", channel=users[n % 20],
                    payload={"text": f"check-in {n}"}, due_at=datetime.now(UTC),
                )  # fmt: skip
        fake.latency("chat.postMessage", 0.02)
        env = clean_env(
            DATABASE_URL=database_url, SLACK_BOT_TOKEN=fake.token, SLACK_API_URL=fake.base_url,
            LOG_LEVEL="WARNING",
        )  # fmt: skip
        command = [sys.executable, "-m", "bot", "clock"]
        clocks = [
            await asyncio.create_subprocess_exec(*command, env=env, stderr=asyncio.subprocess.PIPE)
            for _ in range(2)
        ]
        try:
            await fake.await_until(lambda: len(fake.posted_count_by_key()) == 100, timeout=30)
        finally:
            for clock in clocks:
                clock.send_signal(signal.SIGTERM)
            results = [await asyncio.wait_for(c.communicate(), 15) for c in clocks]
        errors = [r[1].decode() for r in results]
        assert [c.returncode for c in clocks] == [0, 0], errors
        # SIGTERM lets a running sweep finish its batch instead of cancelling it.
        assert not any("CancelledError" in e or "Traceback" in e for e in errors), errors
        assert set(fake.posted_count_by_key().values()) == {1}
