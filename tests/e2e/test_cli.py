"""The console script as a person (or Heroku) runs it: real processes, real scheduler."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot.db.engine import Sessions
from bot.db.tables import PersonRow
from bot.delivery import enqueue_message
from tests.conftest import POSTGRES_URL
from tests.support.fake_slack import CLIENT_ID, CLIENT_SECRET, FakeSlack
from tests.support.slack_requests import SlackRequester

SIGNING_SECRET = "cli-signing-secret"
MEMBER = "U0CLIUSR1"
OAUTH = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}


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
        # OAuth mode (issue 13)
        (["serve"], {**OAUTH, "SLACK_BOT_TOKEN": "xoxb-1"}, "are both set"),
        (["serve"], {"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"}, "CLIENT_SECRET is"),
        (["tick"], {"SLACK_CLIENT_SECRET": "s"}, "SLACK_CLIENT_ID is not set"),
        (["serve"], OAUTH, "SLACK_SIGNING_SECRET is not set"),
        (["socket"], {**OAUTH, "SLACK_APP_TOKEN": "xapp-1"}, "Socket Mode needs SLACK_BOT_TOKEN"),
    ],
)  # fmt: skip
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


def _postgres(**parts: str) -> str:
    """The test server's URL with some parts replaced, e.g. username or database."""
    return make_url(POSTGRES_URL).set(**parts).render_as_string(hide_password=False)  # type: ignore[arg-type]


def _one_line(code: int, err: str) -> str:
    assert code == 2, err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "database_url", "says"),
    [
        (["db", "upgrade"], _postgres(username="no_such_role"), 'role "no_such_role"'),
        (["db", "upgrade"], _postgres(database="no_such_db"), 'database "no_such_db"'),
        (["db", "upgrade"], "postgresql://postgres@127.0.0.1:1/none", "refused"),
        (["db", "upgrade"], "postgres://postgres@127.0.0.1:abc/test", "port 'abc'"),
        (["db", "upgrade"], "postgres://postgres@127.0.0.1:70000/test", "port 70000"),
        (["db", "upgrade"], "postgres://postgres@127.0.0.1/test?sslmode=sometimes", "sslmode"),
        (["db", "upgrade"], "postgres://postgres@127.0.0.1/test?connect_timeout=5", "timeout"),
        # The local server has no TLS: what `require` means reaches asyncpg as ssl=.
        (["db", "upgrade"], _postgres(query={"sslmode": "require"}), "TLS"),  # type: ignore[dict-item]
        (["db", "upgrade"], "sqlite:///{tmp}", "is a folder"),
        (["db", "upgrade"], "sqlite:///{tmp}/missing/mentorbot.db", "does not exist"),
    ],
    ids=[
        "unknown-role", "unknown-database", "refused", "port-not-a-number", "port-too-big",
        "bad-sslmode", "libpq-only-parameter", "tls-refused", "sqlite-folder", "sqlite-no-folder",
    ],
)  # fmt: skip
def test_database_problems_at_start_are_one_line_naming_database_url(
    args: list[str], database_url: str, says: str, tmp_path: Path
) -> None:
    env = clean_env(DATABASE_URL=database_url.replace("{tmp}", str(tmp_path)))
    line = _one_line(*run_cli(*args, env=env, cwd=tmp_path)[::2])
    assert line.startswith("mentorbot: DATABASE_URL"), line
    assert says in line, line
    assert ": " in line.removeprefix("mentorbot: DATABASE_URL"), line  # … then the fix


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
def test_a_postgres_url_with_sslmode_migrates(
    mode: str, fresh_database_url: object, tmp_path: Path
) -> None:
    """As managed PostgreSQL hands URLs out (postgres://…?sslmode=…); the local one has no TLS."""
    async_url = make_url(fresh_database_url("postgresql"))  # type: ignore[operator]
    url = async_url.set(drivername="postgres", query={"sslmode": mode})
    env = clean_env(DATABASE_URL=url.render_as_string(hide_password=False))
    code, _out, err = run_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert code == 0, err


def test_a_port_out_of_range_is_one_line_naming_the_option(tmp_path: Path) -> None:
    env = clean_env(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    line = _one_line(*run_cli("serve", "--port", "70000", env=env, cwd=tmp_path)[::2])
    assert "--port" in line and "70000" in line and "1 to 65535" in line, line


async def test_a_port_in_use_is_one_line_naming_port(tmp_path: Path) -> None:
    with FakeSlack() as fake, socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _serve_env(fake, tmp_path, PORT=str(port))
        code, _out, err = await asyncio.to_thread(run_cli, "serve", env=env, cwd=tmp_path)
    line = _one_line(code, err)
    assert f"PORT: port {port} is already in use" in line, line
    assert "--port" in line, line


@pytest.mark.parametrize(
    ("args", "extra"),
    [(["serve"], {}), (["socket"], {"SLACK_APP_TOKEN": "xapp-1"}), (["clock"], {}), (["tick"], {})],
    ids=["serve", "socket", "clock", "tick"],
)
def test_a_wrong_bot_token_stops_every_slack_command_at_start(
    args: list[str], extra: dict[str, str], tmp_path: Path
) -> None:
    with FakeSlack() as fake:
        env = _serve_env(
            fake, tmp_path, SLACK_BOT_TOKEN="xoxb-revoked-long-ago", LOG_LEVEL="INFO", **extra
        )
        line = _one_line(*run_cli(*args, env=env, cwd=tmp_path)[::2])
        assert [c.method for c in fake.calls] == ["auth.test"]
    assert "SLACK_BOT_TOKEN is invalid (invalid_auth)" in line, line
    assert "Bot User OAuth Token" in line, line


def test_tick_in_oauth_mode_checks_no_token_at_start_and_says_so(tmp_path: Path) -> None:
    with FakeSlack() as fake:
        env = _serve_env(fake, tmp_path, SLACK_BOT_TOKEN="", LOG_LEVEL="INFO", **OAUTH)
        code, out, err = run_cli("tick", env=env, cwd=tmp_path)
        assert fake.calls == []  # no auth.test: there is no one token
    assert code == 0, err
    assert "OAuth mode" in err and "/slack/install" in err and out.startswith("tick at ")


async def test_serve_in_oauth_mode_starts_without_auth_test_and_offers_the_install(
    tmp_path: Path,
) -> None:
    with FakeSlack() as fake:
        env = _serve_env(fake, tmp_path, SLACK_BOT_TOKEN="", **OAUTH)
        async with (
            serving(env, "--no-scheduler") as url,
            aiohttp.ClientSession() as http,
            http.get(f"{url}/slack/install", allow_redirects=False) as resp,
        ):
            assert resp.status == 302
            assert f"client_id={CLIENT_ID}" in resp.headers["Location"]
        assert fake.calls_to("auth.test") == []


def test_an_unreachable_slack_stops_serve_at_start_with_one_line(tmp_path: Path) -> None:
    with FakeSlack() as fake:
        env = _serve_env(fake, tmp_path, SLACK_API_URL="http://127.0.0.1:1/api/", LOG_LEVEL="INFO")
    line = _one_line(*run_cli("serve", env=env, cwd=tmp_path)[::2])
    assert "SLACK_API_URL" in line and "could not reach Slack" in line, line


def _serve_env(fake: FakeSlack, tmp_path: Path, **values: str) -> dict[str, str]:
    return clean_env(**{
        "DATABASE_URL": f"sqlite:///{tmp_path}/mentorbot.db", "SLACK_BOT_TOKEN": fake.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.base_url,
        "LOG_LEVEL": "WARNING", **values,
    })  # fmt: skip


@asynccontextmanager
async def serving(env: dict[str, str], *args: str) -> AsyncIterator[str]:
    """`mentorbot serve` as a process; yields its URL once /healthz answers."""
    port = _free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--port", str(port), *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                if server.returncode is not None:
                    break
                try:
                    async with http.get(f"{url}/healthz") as resp:
                        assert resp.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                pytest.fail("serve never answered /healthz")
        assert server.returncode is None, "serve exited at start"
        yield url
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(server.communicate(), 15)
    assert server.returncode == 0, err.decode()


@pytest.mark.parametrize("fault", ["slow", "http-500"])
async def test_the_first_command_after_start_never_waits_on_auth_test(
    fault: str, tmp_path: Path
) -> None:
    with FakeSlack() as fake:
        fake.add_user(MEMBER, name="member")
        async with serving(_serve_env(fake, tmp_path), "--no-scheduler") as url:
            assert len(fake.calls_to("auth.test")) == 1  # verified at start
            if fault == "slow":
                fake.latency("auth.test", 3.2)  # past Slack's 3 s
            else:
                fake.fail_next("auth.test", status=500, count=10)
            async with SlackRequester(url, SIGNING_SECRET, fake) as slack:
                started = time.perf_counter()
                response = await slack.command("help", user_id=MEMBER)
                elapsed = time.perf_counter() - started
        assert len(fake.calls_to("auth.test")) == 1
    assert response.status == 200, response.text
    assert elapsed < 1.0
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "/mentor help" in str(body["blocks"])


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


async def test_two_ticks_at_the_same_moment_send_each_checkin_once(
    database_url: str, sessions: Sessions
) -> None:
    """`mentorbot tick --at T` twice at once, as two cron jobs might: every check-in due
    then reaches Slack once, and the next period is written once."""
    from sqlalchemy import func, select

    from bot.db.tables import CheckinRow
    from bot.domain import Role
    from tests.db.test_checkin_sweep import BERLIN_FIRST, World

    world = World(sessions)
    await world.setup()
    pilot = await world.program()
    pairs = []
    for _ in range(10):
        mentor = await world.person("Europe/Berlin", (pilot[0], Role.MENTOR))
        leader = await world.person("America/New_York", (pilot[0], Role.MENTEE))
        pairs.append((await world.introduce(pilot, mentor, leader), mentor, leader))
    async with sessions() as session:
        users = dict((await session.execute(select(PersonRow.id, PersonRow.slack_user_id))).all())
    at = (BERLIN_FIRST + timedelta(minutes=5)).isoformat()  # Berlin's due, New York's not
    with FakeSlack() as fake:
        for user in users.values():
            fake.add_user(user, name=user.lower(), tz="Europe/Berlin")
        fake.latency("chat.postMessage", 0.02)
        env = clean_env(
            DATABASE_URL=database_url, SLACK_BOT_TOKEN=fake.token, SLACK_API_URL=fake.base_url,
            LOG_LEVEL="WARNING",
        )  # fmt: skip
        command = [sys.executable, "-m", "bot", "tick", "--at", at]
        ticks = [
            await asyncio.create_subprocess_exec(*command, env=env, stderr=asyncio.subprocess.PIPE)
            for _ in range(2)
        ]
        results = [await asyncio.wait_for(t.communicate(), 60) for t in ticks]
        assert [t.returncode for t in ticks] == [0, 0], [r[1].decode() for r in results]
        checkin_dms = [m for m in fake.messages() if "Have you and" in str(m.get("blocks", ""))]
    mentors = {f"D{users[mentor]}" for _pair, mentor, _leader in pairs}
    assert sorted(m["channel"] for m in checkin_dms) == sorted(mentors)  # once each
    async with sessions() as session:
        written = await session.scalar(
            select(func.count()).select_from(CheckinRow).where(CheckinRow.sequence == 2)
        )
    assert written == len(pairs)


# --- mentorbot workspace delete (issue 13) ---------------------------------------------


async def workspace_delete(
    *args: str, database_url: str, cwd: Path, answer: str | None
) -> tuple[int, str, str]:
    """The command with `answer` typed at its prompt (None: stdin closed at once)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "workspace", "delete", *args,
        env=clean_env(DATABASE_URL=database_url, LOG_LEVEL="WARNING"), cwd=cwd,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    typed = b"" if answer is None else f"{answer}\n".encode()
    out, err = await asyncio.wait_for(process.communicate(typed), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_workspace_delete_deletes_only_once_the_team_id_is_typed(
    database_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    from tests.support.workspace_data import build_due_workspace, snapshot

    gone = await build_due_workspace(sessions, "T0DELETE1")
    await build_due_workspace(sessions, "T0STAYS01")
    before = await snapshot(sessions)
    stays = await snapshot(sessions, "T0STAYS01")
    for answer in ("T0STAYS01", "", None):  # another id, nothing, end of input
        code, out, err = await workspace_delete(
            "T0DELETE1", database_url=database_url, cwd=tmp_path, answer=answer
        )
        assert code == 1, (answer, out, err)
        assert err.strip() == "mentorbot: not confirmed; nothing deleted for T0DELETE1"
        assert await snapshot(sessions) == before
    assert (
        f"This deletes everything mentorbot holds for workspace T0DELETE1 ({len(gone.people)} "
        "people, 2 programs, installation: no). Type the team id to confirm:"
    ) in out

    code, out, err = await workspace_delete(
        "T0DELETE1", database_url=database_url, cwd=tmp_path, answer="T0DELETE1"
    )
    assert code == 0, err
    assert "Deleted workspace T0DELETE1: " in out and f"people {len(gone.people)}" in out
    assert not any((await snapshot(sessions, "T0DELETE1")).values())
    assert await snapshot(sessions, "T0STAYS01") == stays, "the other workspace is untouched"


async def test_workspace_delete_yes_skips_the_question_and_an_unknown_team_is_one_line(
    database_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    from tests.support.workspace_data import build_due_workspace, snapshot

    await build_due_workspace(sessions, "T0DELETE1")
    code, out, err = await workspace_delete(
        "T0NOBODY1", "--yes", database_url=database_url, cwd=tmp_path, answer=None
    )
    assert (code, out) == (1, "")
    assert err.strip() == "mentorbot: no data for workspace T0NOBODY1: check the team id (T…)"

    code, out, err = await workspace_delete(
        "T0DELETE1", "--yes", database_url=database_url, cwd=tmp_path, answer=None
    )
    assert code == 0, err
    assert "Type the team id" not in out and out.startswith("Deleted workspace T0DELETE1: ")
    assert not any((await snapshot(sessions, "T0DELETE1")).values())
