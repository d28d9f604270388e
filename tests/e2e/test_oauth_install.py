"""OAuth mode (issue 13): installing into workspaces over real HTTP, then serving each
with its own token, reinstalls, token rotation, and install failures."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Bot
from sqlalchemy import func, select

from bot.app import NOT_INSTALLED
from bot.clock import ShiftedClock
from bot.config import load_settings
from bot.db.engine import Sessions
from bot.db.tables import WorkspaceRow, slack_oauth_states
from bot.runtime import Runtime, build_runtime
from bot.slack.installs import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH
from tests.e2e.conftest import SIGNING_SECRET, serve
from tests.support.fake_slack import CLIENT_ID, CLIENT_SECRET, FakeSlack
from tests.support.slack_requests import SlackRequester

COOKIE = "slack-app-oauth-state"
INSTALLER = "U0INSTALL1"
OTHER_TEAM = "T0OTHER02"


@dataclass
class OAuthApp:
    url: str
    fake: FakeSlack
    runtime: Runtime
    http: aiohttp.ClientSession  # a browser that keeps no cookies of its own

    @property
    def sessions(self) -> Sessions:
        return self.runtime.sessions

    async def start_install(self) -> tuple[str, dict[str, list[str]], str]:
        """GET /slack/install: (Slack's authorize URL, its query, the state cookie)."""
        async with self.http.get(f"{self.url}{INSTALL_PATH}", allow_redirects=False) as resp:
            assert resp.status == 302, await resp.text()
            location = resp.headers["Location"]
            cookie = resp.cookies[COOKIE].value
        return location, parse_qs(urlsplit(location).query), cookie

    async def finish_install(self, query: dict[str, str], cookie: str | None) -> tuple[int, str]:
        """Slack sending the installer's browser back to /slack/oauth_redirect."""
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
        async with self.http.get(
            f"{self.url}{REDIRECT_PATH}", params=query, headers=headers, allow_redirects=False
        ) as resp:
            return resp.status, await resp.text()

    async def install(self, workspace: FakeSlack, **grant: Any) -> tuple[int, str]:
        """The whole install: our link, the installer approving in Slack, the redirect."""
        _url, query, cookie = await self.start_install()
        code = workspace.authorize_install(workspace.team_id, INSTALLER, **grant)
        return await self.finish_install({"code": code, "state": query["state"][0]}, cookie)


@pytest.fixture
async def oauth_app(database_url: str, sessions: Sessions) -> AsyncIterator[OAuthApp]:
    with FakeSlack() as fake:
        other = fake.add_workspace(OTHER_TEAM)
        other.team_name = "Other & Co"
        for workspace in (fake, other):
            workspace.add_user(INSTALLER, name="ines", real_name="Ines Installer")
        settings = load_settings(
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
            SLACK_STATE_SECRET="a-long-random-state-secret",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake.base_url,
            DATABASE_URL=database_url,
        )
        runtime = build_runtime(settings, clock=ShiftedClock(datetime.now(UTC)))
        runner, url = await serve(runtime)
        http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        try:
            yield OAuthApp(url, fake, runtime, http)
        finally:
            await http.close()
            await runner.cleanup()
            await runtime.close()


async def _stored_bot(app: OAuthApp, team_id: str) -> Bot | None:
    assert app.runtime.installations is not None
    return await app.runtime.installations.async_find_bot(enterprise_id=None, team_id=team_id)


async def _workspace(sessions: Sessions, team_id: str) -> WorkspaceRow | None:
    async with sessions() as session:
        return await session.get(WorkspaceRow, team_id)


async def _join(app: OAuthApp, workspace: FakeSlack) -> list[str]:
    """`/mentor join` from `workspace`: the bearer tokens of the Slack calls it made
    (a token refresh, made with the app's credentials, aside)."""
    before = len(workspace.calls)
    async with SlackRequester(app.url, SIGNING_SECRET, workspace) as slack:
        response = await slack.command("join", user_id=INSTALLER)
    assert response.status == 200, response.text
    await workspace.await_until(lambda: len(workspace.calls) > before)
    calls = [c for c in workspace.calls[before:] if c.method != "oauth.v2.access"]
    return [c.headers.get("Authorization", "") for c in calls]


async def test_the_install_link_sends_the_installer_to_slack_with_our_client_id_scopes_and_a_state(
    oauth_app: OAuthApp,
) -> None:
    location, query, cookie = await oauth_app.start_install()
    assert location.startswith("https://slack.com/oauth/v2/authorize?")
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    assert query["state"] == [cookie] and len(cookie) > 40  # the state, signed
    async with oauth_app.sessions() as session:
        issued = await session.scalar(select(func.count()).select_from(slack_oauth_states))
    assert issued == 1


async def test_an_install_stores_the_bot_marks_the_workspace_live_and_says_what_next(
    oauth_app: OAuthApp,
) -> None:
    fake = oauth_app.fake
    status, page = await oauth_app.install(fake)
    assert status == 200, page
    assert "mentorbot is installed" in page and "/mentor help" in page and "Home" in page
    assert "Fake Workspace" in page
    bot = await _stored_bot(oauth_app, fake.team_id)
    assert bot is not None
    assert (bot.bot_token, bot.bot_user_id, bot.bot_id) == (fake.token, "UBOT", "BBOT")
    row = await _workspace(oauth_app.sessions, fake.team_id)
    assert row is not None and row.uninstalled_at is None and row.name == "Fake Workspace"
    # The code was exchanged with the app's credentials, not a workspace token.
    [exchange] = fake.calls_to("oauth.v2.access")
    assert exchange.response is not None and exchange.response["ok"] is True


async def test_an_installed_workspace_is_answered_without_any_auth_test(
    oauth_app: OAuthApp,
) -> None:
    fake = oauth_app.fake
    await oauth_app.install(fake)
    checks = len(fake.calls_to("auth.test"))  # the install's own, for the bot id
    async with SlackRequester(oauth_app.url, SIGNING_SECRET, fake) as slack:
        response = await slack.command("help", user_id=INSTALLER)
    assert response.status == 200, response.text
    assert "/mentor help" in str(response.json()["blocks"])
    tokens = await _join(oauth_app, fake)
    assert set(tokens) == {f"Bearer {fake.token}"}
    assert len(fake.calls_to("auth.test")) == checks


async def test_two_installed_workspaces_each_run_with_their_own_token(
    oauth_app: OAuthApp,
) -> None:
    fake = oauth_app.fake
    other = fake.workspace(OTHER_TEAM)
    assert (await oauth_app.install(fake))[0] == 200
    status, page = await oauth_app.install(other)
    assert status == 200 and "Other &amp; Co" in page  # the name, escaped
    assert await _join(oauth_app, other) and set(await _join(oauth_app, other)) == {
        f"Bearer {other.token}"
    }
    assert set(await _join(oauth_app, fake)) == {f"Bearer {fake.token}"}
    row = await _workspace(oauth_app.sessions, OTHER_TEAM)
    assert row is not None and row.name == "Other & Co"


async def test_a_reinstall_with_a_new_token_is_stored_and_the_next_send_uses_it(
    oauth_app: OAuthApp,
) -> None:
    fake = oauth_app.fake
    await oauth_app.install(fake)
    old = fake.token
    status, _page = await oauth_app.install(fake, new_token=True)
    assert status == 200
    assert fake.token != old
    bot = await _stored_bot(oauth_app, fake.team_id)
    assert bot is not None and bot.bot_token == fake.token
    token = await oauth_app.runtime.tokens.bot_token(fake.team_id)
    assert token == fake.token
    sent = await oauth_app.runtime.client.chat_postMessage(
        token=token, channel="C0GENERAL", text="hello"
    )
    assert sent["ok"] is True
    with pytest.raises(SlackApiError) as stale:  # the old token is revoked at Slack
        await oauth_app.runtime.client.auth_test(token=old)
    assert stale.value.response["error"] == "invalid_auth"
    assert set(await _join(oauth_app, fake)) == {f"Bearer {fake.token}"}


async def test_a_rotating_token_near_expiry_is_refreshed_before_a_send_and_the_new_one_used(
    oauth_app: OAuthApp,
) -> None:
    fake = oauth_app.fake
    fake.token_lifetime = 60 * 60  # an hour: inside the two hours we rotate before expiry
    await oauth_app.install(fake, rotation=True)
    installed = await _stored_bot(oauth_app, fake.team_id)
    assert installed is not None and installed.bot_refresh_token is not None
    assert installed.bot_token_expires_at is not None
    assert installed.bot_token_expires_at <= int(time.time()) + 3600
    fake.token_lifetime = 12 * 60 * 60
    token = await oauth_app.runtime.tokens.bot_token(fake.team_id)
    [refresh] = [
        c for c in fake.calls_to("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"
    ]
    assert refresh.params["refresh_token"] == installed.bot_refresh_token
    assert token == fake.token != installed.bot_token
    rotated = await _stored_bot(oauth_app, fake.team_id)
    assert rotated is not None and rotated.bot_token == token
    assert rotated.bot_refresh_token != installed.bot_refresh_token
    sent = await oauth_app.runtime.client.chat_postMessage(
        token=token, channel="C0GENERAL", text="hello"
    )
    assert sent["ok"] is True
    with pytest.raises(SlackApiError) as old:
        await oauth_app.runtime.client.auth_test(token=installed.bot_token)
    assert old.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as spent:  # a refresh token is good for one refresh
        await oauth_app.runtime.client.oauth_v2_access(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
            grant_type="refresh_token", refresh_token=installed.bot_refresh_token,
        )  # fmt: skip
    assert spent.value.response["error"] == "invalid_refresh_token"
    # Fresh for twelve hours now: the next request rotates nothing.
    assert set(await _join(oauth_app, fake)) == {f"Bearer {token}"}
    assert len(fake.calls_to("oauth.v2.access")) == 3  # install, rotation, the spent try


@pytest.mark.parametrize(
    ("tamper", "says"),
    [
        ("unsigned", "expired"),
        ("no-cookie", "different browser"),
        ("denied", "cancelled"),
        ("bad-code", "did not confirm"),
    ],
)
async def test_a_failed_install_shows_why_and_stores_nothing(
    oauth_app: OAuthApp, tamper: str, says: str
) -> None:
    fake = oauth_app.fake
    _url, query, cookie = await oauth_app.start_install()
    state = query["state"][0]
    code = fake.authorize_install(fake.team_id, INSTALLER)
    sent: dict[str, str] = {"code": code, "state": state}
    sent_cookie: str | None = cookie
    if tamper == "unsigned":  # a state the store issued, with its signature forged
        forged = state.rpartition(".")[0] + ".0000"
        sent["state"] = sent_cookie = forged
    elif tamper == "no-cookie":
        sent_cookie = None
    elif tamper == "denied":
        sent = {"error": "access_denied", "state": state}
    elif tamper == "bad-code":
        sent["code"] = "not-a-code"
    status, page = await oauth_app.finish_install(sent, sent_cookie)
    assert status >= 200 and "mentorbot was not installed" in page, page
    assert says in page and INSTALL_PATH in page
    assert await _stored_bot(oauth_app, fake.team_id) is None
    assert await _workspace(oauth_app.sessions, fake.team_id) is None


async def test_a_code_is_good_for_one_install_only(oauth_app: OAuthApp) -> None:
    fake = oauth_app.fake
    _url, query, cookie = await oauth_app.start_install()
    code = fake.authorize_install(fake.team_id, INSTALLER)
    assert (await oauth_app.finish_install({"code": code, "state": query["state"][0]}, cookie))[
        0
    ] == 200
    _url, query, cookie = await oauth_app.start_install()
    status, page = await oauth_app.finish_install(
        {"code": code, "state": query["state"][0]}, cookie
    )
    assert status == 401 and "did not confirm" in page
    [_ok, reused] = fake.calls_to("oauth.v2.access")
    assert reused.response == {"ok": False, "error": "invalid_code"}


async def test_a_workspace_without_an_install_is_told_so_in_our_words(
    oauth_app: OAuthApp, caplog: pytest.LogCaptureFixture
) -> None:
    fake = oauth_app.fake
    other = fake.workspace(OTHER_TEAM)
    await oauth_app.install(fake)  # only the first workspace installs
    async with SlackRequester(oauth_app.url, SIGNING_SECRET, other) as slack:
        response = await slack.command("help", user_id=INSTALLER)
    assert response.status == 200
    await other.await_until(lambda: other.all_responses)
    [answer] = other.all_responses
    assert answer.body["text"] == NOT_INSTALLED
    assert other.calls_to("auth.test") == []
    # Our one INFO line says it; Bolt's ERROR line for the same expected case is dropped.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_single_token_mode_serves_no_install_pages(database_url: str) -> None:
    with FakeSlack() as fake:
        settings = load_settings(
            SLACK_BOT_TOKEN=fake.token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake.base_url,
            DATABASE_URL=database_url,
        )
        runtime = build_runtime(settings)
        runner, url = await serve(runtime)
        try:
            async with aiohttp.ClientSession() as http:
                for path in (INSTALL_PATH, REDIRECT_PATH):
                    async with http.get(f"{url}{path}", allow_redirects=False) as resp:
                        assert resp.status == 404, path
        finally:
            await runner.cleanup()
            await runtime.close()


async def test_a_wrong_client_secret_fails_the_install_with_a_page_and_stores_nothing(
    oauth_app: OAuthApp,
) -> None:
    fake = oauth_app.fake
    settings = oauth_app.runtime.settings.model_copy(update={"SLACK_CLIENT_SECRET": "wrong"})
    runtime = build_runtime(settings)
    runner, url = await serve(runtime)
    try:
        misconfigured = OAuthApp(url, fake, runtime, oauth_app.http)
        status, page = await misconfigured.install(fake)
    finally:
        await runner.cleanup()
        await runtime.close()
    assert status == 401 and "did not confirm" in page
    [exchange] = fake.calls_to("oauth.v2.access")
    assert exchange.response == {"ok": False, "error": "bad_client_secret"}
    assert await _stored_bot(oauth_app, fake.team_id) is None
    assert await _workspace(oauth_app.sessions, fake.team_id) is None


async def test_the_fake_holds_a_code_to_the_redirect_uri_it_was_issued_for(
    oauth_app: OAuthApp,
) -> None:
    fake, client = oauth_app.fake, oauth_app.runtime.client
    code = fake.authorize_install(fake.team_id, INSTALLER, redirect_uri="https://a.example/r")
    with pytest.raises(SlackApiError) as wrong:
        await client.oauth_v2_access(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code,
            redirect_uri="https://b.example/r",
        )  # fmt: skip
    assert wrong.value.response["error"] == "bad_redirect_uri"


async def test_a_request_from_a_workspace_whose_token_is_expiring_rotates_it_first(
    oauth_app: OAuthApp,
) -> None:
    fake = oauth_app.fake
    fake.token_lifetime = 60 * 60
    await oauth_app.install(fake, rotation=True)
    installed = await _stored_bot(oauth_app, fake.team_id)
    assert installed is not None
    fake.token_lifetime = 12 * 60 * 60
    tokens = await _join(oauth_app, fake)  # authorized, rotated, then answered
    [refresh] = fake.calls_to("oauth.v2.access")[1:]
    assert refresh.params["grant_type"] == "refresh_token"
    assert set(tokens) == {f"Bearer {fake.token}"} and fake.token != installed.bot_token
    rotated = await _stored_bot(oauth_app, fake.team_id)
    assert rotated is not None and rotated.bot_token == fake.token
    assert len(fake.calls_to("auth.test")) == 1  # the install's own


async def test_without_a_state_secret_states_are_bolts_own_and_installs_work(
    oauth_app: OAuthApp,
) -> None:
    fake = oauth_app.fake
    settings = oauth_app.runtime.settings.model_copy(update={"SLACK_STATE_SECRET": ""})
    runtime = build_runtime(settings)
    runner, url = await serve(runtime)
    try:
        plain = OAuthApp(url, fake, runtime, oauth_app.http)
        _url, query, _cookie = await plain.start_install()
        status, _page = await plain.install(fake)
    finally:
        await runner.cleanup()
        await runtime.close()
    assert "." not in query["state"][0]  # no signature appended
    assert status == 200
    assert await _stored_bot(oauth_app, fake.team_id) is not None
