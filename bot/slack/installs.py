"""OAuth mode (issue 13): installing the app into a workspace through Bolt's OAuth flow.

Bolt runs the flow (`/slack/install` issues a state and sends the installer to Slack;
`/slack/oauth_redirect` checks the state, exchanges the code with oauth.v2.access and
saves the installation); this module supplies what Bolt leaves to the app: the pages an
installer sees, recording the workspace, signed states, and authorizing each request
from the stored installation without a Slack call.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
from logging import Logger
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.runtime import Runtime
from bot.services.workspaces import record_install
from bot.slack.tokens import ROTATE_MINUTES_BEFORE, InstalledTokens, state_store

logger = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The manifest's oauth_config.scopes.bot, in order (a test holds the two together).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "mpim:write",
    "im:history",
    "mpim:history",
    "channels:history",
    "groups:history",
    "users:read",
    "channels:join",
    "users:read.email",
    "channels:read",
    "groups:read",
    "files:write",
    "files:read",
)


def oauth_settings(runtime: Runtime) -> AsyncOAuthSettings:
    assert runtime.installations is not None, "OAuth mode only"
    settings = runtime.settings
    states: AsyncOAuthStateStore = state_store(runtime.engine)
    if settings.SLACK_STATE_SECRET:
        states = SignedStates(states, settings.SLACK_STATE_SECRET)
    return AsyncOAuthSettings(
        client_id=settings.SLACK_CLIENT_ID,
        client_secret=settings.SLACK_CLIENT_SECRET,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        # Straight on to Slack's consent screen: our own page would only say "click here".
        install_page_rendering_enabled=False,
        callback_options=AsyncCallbackOptions(success=_installed(runtime), failure=_not_installed),
        installation_store=runtime.installations,
        installation_store_bot_only=True,  # the bot's token is all we keep or use
        token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE,
        state_store=states,
    )


class StoredBotAuthorize(AsyncInstallationStoreAuthorize):
    """Bolt's installation-store authorize without its `auth.test` on every request.

    The stored bot (saved at install, from Slack's own answer) already names the bot id,
    bot user and scopes, so a request is authorized from the database alone and its ack
    never waits on Slack. A token about to expire is refreshed and saved first, by the
    same `InstalledTokens.bot` the outbox uses. No installation (never installed, or
    uninstalled) returns None, which Bolt answers with app.NOT_INSTALLED.
    Bolt accepts an AsyncAuthorize instance next to `oauth_settings` (a plain function
    it refuses), so the OAuth flow stays Bolt's.
    """

    def __init__(self, runtime: Runtime, *, logger: Logger) -> None:
        assert runtime.installations is not None, "OAuth mode only"
        assert isinstance(runtime.tokens, InstalledTokens)
        self._tokens = runtime.tokens
        # Bolt's own rotator is not built (no client secret): InstalledTokens rotates.
        super().__init__(logger=logger, installation_store=runtime.installations, bot_only=True)

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_actor: Any,
    ) -> AuthorizeResult | None:
        try:
            bot = await self._tokens.bot(
                team_id, enterprise_id=enterprise_id,
                is_enterprise_install=context.is_enterprise_install,
            )  # fmt: skip
        except SlackTokenRotationError as exc:
            logger.error("could not rotate team %s's bot token: %s", team_id, exc)
            return None
        if bot is None:
            logger.info("no installation for team %s: request not authorized", team_id)
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            team=bot.team_name,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )


class SignedStates(AsyncOAuthStateStore):
    """SLACK_STATE_SECRET's job: every state issued carries an HMAC of itself, and a
    state whose signature does not match is refused before the store is asked."""

    def __init__(self, inner: AsyncOAuthStateStore, secret: str) -> None:
        self._inner = inner
        self._key = secret.encode()

    @property
    def logger(self) -> Logger:
        return logger

    def _sign(self, state: str) -> str:
        return hmac.new(self._key, state.encode(), hashlib.sha256).hexdigest()

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = await self._inner.async_issue(*args, **kwargs)
        return f"{state}.{self._sign(state)}"

    async def async_consume(self, state: str) -> bool:
        raw, dot, signature = (state or "").rpartition(".")
        if not dot or not hmac.compare_digest(signature, self._sign(raw)):
            logger.info("refused an OAuth state with a bad signature")
            return False
        return bool(await self._inner.async_consume(raw))


# ---------------------------------------------------------------- the installer's pages

# Why the install did not happen, in the installer's words, by Bolt's failure reason.
_FAILURES = {
    "access_denied": "The install was cancelled in Slack, so nothing changed.",
    "invalid_browser": (
        "This install link was opened in a different browser from the one that started it."
    ),
    "invalid_state": "This install link has expired (they last ten minutes).",
    "missing_code": "Slack did not send back the install approval.",
    "invalid_code": "Slack did not confirm the install (the approval may have expired).",
    "storage_error": "Something went wrong on our side while saving the install.",
}
_FAILED_UNKNOWN = "Slack did not complete the install."


def _installed(runtime: Runtime) -> Any:
    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        if installation.team_id is None:  # an org-wide install: not offered by the manifest
            logger.warning("an org-wide install is not supported; nothing recorded")
            return _page(args.settings, 400, "mentorbot was not installed", _FAILED_UNKNOWN)
        try:
            await record_install(
                runtime.sessions,
                team_id=installation.team_id,
                name=installation.team_name or installation.team_id,
                now=runtime.clock.now(),
            )
        except Exception:  # the installer gets a page either way; the log keeps the why
            logger.exception(
                "install of team %s: could not record the workspace", installation.team_id
            )
            return _page(
                args.settings, 500, "mentorbot was not installed", _FAILURES["storage_error"]
            )
        logger.info("installed in team %s", installation.team_id)
        team = html.escape(installation.team_name or "your workspace")
        link = ""
        if installation.app_id:  # Slack's link that opens the app in that workspace
            open_slack = html.escape(
                f"https://slack.com/app_redirect?app={installation.app_id}"
                f"&team={installation.team_id}"
            )
            link = f'<p><a href="{open_slack}">Open mentorbot in Slack</a></p>'
        body = (
            f"<p>mentorbot is now part of <strong>{team}</strong>.</p>"
            "<p>Next, in Slack: type <code>/mentor help</code> in any channel to see what it "
            "can do, or open mentorbot's <strong>Home</strong> tab.</p>" + link
        )
        return _page(args.settings, 200, "mentorbot is installed", body, raw=True)

    return success


async def _not_installed(args: AsyncFailureArgs) -> BoltResponse:
    # Bolt's own reasons, or Slack's `error` from the redirect (access_denied when the
    # installer cancels). Nothing was recorded: the workspace stays as it was.
    logger.info("install failed: %s", args.reason)
    why = html.escape(_FAILURES.get(args.reason, _FAILED_UNKNOWN))
    if args.reason == "storage_error":
        again = "Please try again in a minute."
    else:
        again = f'<a href="{INSTALL_PATH}">Start the install again</a> whenever you like.'
    body = f"<p>{why}</p><p>{again}</p>"
    return _page(
        args.settings, args.suggested_status_code, "mentorbot was not installed", body, raw=True
    )


def _page(
    settings: AsyncOAuthSettings, status: int, title: str, text: str, *, raw: bool = False
) -> BoltResponse:
    """A small page for the installer's browser; the state cookie is spent either way."""
    body = text if raw else f"<p>{html.escape(text)}</p>"
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return BoltResponse(
        status=status,
        body=page,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Set-Cookie": [settings.state_utils.build_set_cookie_for_deletion()],
        },
    )
