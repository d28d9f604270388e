"""Build the Bolt app and the aiohttp server around it."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest, AsyncRespond
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.response import BoltResponse
from sqlalchemy import text

from bot.runtime import Runtime
from bot.slack.gate import Admitted, find_malformation, screen
from bot.slack.guard import register_admin_guard
from bot.slack.identity import StartupAuthorize
from bot.slack.installs import INSTALL_PATH, REDIRECT_PATH, StoredBotAuthorize, oauth_settings
from bot.slack.listeners import (
    checkin_resume,  # check-ins paused after three unanswered (issue 10)
    checkins,  # answering check-ins (issue 10)
    commands,
    enrollment,
    events,
    home,
    participation,
    reflections,
    roster,
    skills,
    stories,  # success stories (issue 11)
    workspace,
)
from bot.slack.listeners import checkin_settings as checkin_settings_listeners  # issue 10
from bot.slack.listeners import closeout as closeout_listeners

# Consent, fit check and round end (issue 9 points 4, 6, 7).
from bot.slack.listeners import consent as consent_listeners
from bot.slack.listeners import fitcheck as fitcheck_listeners
from bot.slack.listeners import installation as installation_listeners  # uninstall (issue 13)
from bot.slack.listeners import programs as program_admin  # program management (issue 9)
from bot.slack.listeners import reports as report_listeners  # program reports (issue 12)
from bot.slack.listeners import rounds as round_listeners  # pairing rounds (issue 9)
from bot.slack.listeners import stalled as stalled_listeners  # stalled pairs (issue 10)
from bot.slack.modals import apology_modal

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SORRY = (
    "Sorry — something went wrong on my side and nothing was changed. "
    "Please try again in a minute; if it keeps happening, let your program admin know."
)


class _SameTokenFilter(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client (same token) wins,
    or that our `authorize` (which returns that token) does."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "`token` will be unused" not in message and "will be ignored" not in message


class _NotInstalledOnce(logging.Filter):
    """A request from a workspace with no installation: StoredBotAuthorize logs it once
    at INFO; Bolt would add its own ERROR line for the same, expected, event."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "the AuthorizeResult (returned value from authorize) for it was not found" not in (
            record.getMessage()
        )


class _NoRejectedBodies(logging.Filter):
    """Bolt's own signature check logs the whole body it rejects, at INFO. Our gate
    rejects first, so this only matters if Bolt is ever reached some other way."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Invalid request signature")


logging.getLogger("slack_bolt.AsyncApp").addFilter(_SameTokenFilter())
logging.getLogger("slack_bolt.RequestVerification").addFilter(_NoRejectedBodies())
logging.getLogger("slack_bolt.AsyncMultiTeamsAuthorization").addFilter(_NotInstalledOnce())

# What someone in a workspace that uninstalled the app hears (instead of Bolt's default).
NOT_INSTALLED = (
    "mentorbot isn't installed in this workspace any more, so nothing was changed. "
    "A workspace admin can add it again to pick up where you left off."
)

# Set on every request the gate admitted; the error handler replies to nothing else.
ADMITTED = "mentorbot_admitted"


def build_bolt_app(runtime: Runtime, router: commands.CommandRouter | None = None) -> AsyncApp:
    if runtime.installations is not None:
        # OAuth mode: Bolt's install flow; each request is authorized from the
        # workspace's stored installation, without asking Slack (installs.py).
        app = AsyncApp(
            client=runtime.client,
            oauth_settings=oauth_settings(runtime),
            # An AsyncAuthorize instance; Bolt's type hint names only plain functions.
            authorize=StoredBotAuthorize(runtime, logger=logger),  # type: ignore[arg-type]
            user_facing_authorize_error_message=NOT_INSTALLED,
            signing_secret=runtime.settings.SLACK_SIGNING_SECRET or None,
            process_before_response=False,
        )
    else:
        app = AsyncApp(
            client=runtime.client,
            # From the auth.test made at start: no request waits on Slack to be authorized.
            authorize=StartupAuthorize(runtime.client),
            signing_secret=runtime.settings.SLACK_SIGNING_SECRET or None,
            # Our outbox and listeners run after the ack; the web server stays responsive.
            process_before_response=False,
        )
    router = router or commands.CommandRouter()

    @app.middleware
    async def reject_malformed(
        body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        # Over HTTP the gate answered these already; Socket Mode bodies come here unchecked.
        if find_malformation(body) is not None:
            logger.info("rejected a malformed %s", body.get("type", "request"))
            return BoltResponse(status=400, body={"error": "malformed request"})
        context["ack"] = _KeptAck()
        await next()
        return None

    events.register(app, runtime)
    commands.register(app, runtime, router)
    enrollment.register(app, runtime, router)
    participation.register(app, runtime, router)
    reflections.register(app, runtime, router)
    stories.register(app, runtime, router)  # success stories (issue 11)
    skills.register(app, runtime, router)
    home.register(app, runtime)
    workspace.register(app, runtime)
    installation_listeners.register(app, runtime)  # app_uninstalled, tokens_revoked
    round_listeners.register(app, runtime, router)  # pairing rounds (issue 9)
    program_admin.register(app, runtime, router)  # program management (issue 9)
    report_listeners.register(app, runtime, router)  # program reports (issue 12)
    roster.register(app, runtime, router)  # after `admin` is registered: adds `admin import`
    # Consent, fit check and round end (issue 9 points 4, 6, 7).
    consent_listeners.register(app, runtime)
    fitcheck_listeners.register(app, runtime)
    closeout_listeners.register(app, runtime)  # close-out survey (issue 12)
    checkins.register(app, runtime)  # answering check-ins (issue 10)
    stalled_listeners.register(app, runtime)  # stalled pairs (issue 10)
    checkin_settings_listeners.register(app, runtime)  # Home: own check-in day and time (issue 10)
    checkin_resume.register(app, runtime)
    register_admin_guard(app, runtime, router)
    app.error(handle_error)
    return app


class _KeptAck(AsyncAck):
    """An ack that, once given, stays given.

    When a listener raises after acking, Bolt's runner (slack_bolt 1.30,
    listener/asyncio_runner.py) hands the error handler `response=None` and then sets
    `ack.response = None`: the ack is forgotten and Slack gets a 404 three seconds later.
    """

    _given: BoltResponse | None = None

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Bolt's __init__ is untyped

    @property
    def response(self) -> BoltResponse | None:
        return self._given

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if value is not None or self._given is None:
            self._given = value


def _is_trusted(request: AsyncBoltRequest) -> bool:
    # Socket Mode traffic arrives over a socket opened with our app token; over HTTP,
    # only what the gate in build_web_app admitted (signed by Slack) is trusted.
    return request.mode == "socket_mode" or request.context.get(ADMITTED) is True


async def handle_error(
    error: Exception,
    body: dict[str, Any],
    request: AsyncBoltRequest,
    response: BoltResponse | None,
    respond: AsyncRespond | None,
) -> BoltResponse | None:
    """The one place unexpected errors land: log with traceback, tell the user kindly.

    `response` is None once the listener has acked: the answer is already on its way
    and only `respond` (the response_url) can still reach the person.
    """
    logger.error("unhandled %s", type(error).__name__, exc_info=error)
    if not _is_trusted(request):
        # Never act on a body nobody vouched for: no reply to the URLs it names.
        return BoltResponse(status=401, body={"error": "invalid request"}) if response else None
    if respond is not None and body.get("response_url"):
        try:
            await respond(text=SORRY, response_type="ephemeral", replace_original=False)
        except Exception:  # the apology is best effort; the error is already logged
            logger.warning("could not tell the user about the error", exc_info=True)
        return BoltResponse(status=200, body="") if response is not None else None
    if response is not None and body.get("type") == "view_submission":
        return BoltResponse(status=200, body={"response_action": "update", "view": apology_modal()})
    if response is not None and body.get("type") == "block_suggestion":
        return BoltResponse(status=200, body={"options": []})
    return None


def build_web_app(
    runtime: Runtime, bolt: AsyncApp, *, now: Callable[[], float] = time.time
) -> web.Application:
    """The HTTP server. `now` is wall-clock time on purpose: Slack's 5-minute signature
    window is about real time, not the program clock (`tick --at`, tests shift that)."""
    secret = runtime.settings.SLACK_SIGNING_SECRET or ""

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        verdict = screen(raw, request.headers, secret=secret, now=now())
        if not isinstance(verdict, Admitted):
            # Sizes and our own reason only: a rejected body may be anyone's words.
            logger.info("rejected %d-byte request: %s", len(raw), verdict.reason)
            error = "invalid request" if verdict.status == 401 else "malformed request"
            return web.json_response({"error": error}, status=verdict.status)
        with runtime.after_ack.acking():  # Bolt returns once the listener has acked
            bolt_response = await bolt.async_dispatch(_bolt_request(request, verdict))
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with runtime.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # any database failure means "not healthy"
            logger.warning("health check: database did not answer: %s", type(exc).__name__)
            return web.json_response({"ok": False, "database": "unreachable"}, status=503)
        return web.json_response({"ok": True, "database": "ok"})

    web_app = web.Application()
    web_app.add_routes([web.post(EVENTS_PATH, slack_events), web.get("/healthz", healthz)])
    if (flow := bolt.oauth_flow) is not None:
        # OAuth mode: installs, served by Bolt's flow as its aiohttp adapter does.
        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request))
            )

        async def oauth_redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request))
            )

        web_app.add_routes([web.get(INSTALL_PATH, install), web.get(REDIRECT_PATH, oauth_redirect)])
    return web_app


def _bolt_request(request: web.Request, admitted: Admitted) -> AsyncBoltRequest:
    """Bolt's request for an admitted body, marked as admitted, parsed as the gate read it."""
    bolt_request = AsyncBoltRequest(
        body=admitted.text,
        query=request.query_string,
        headers=request.headers,  # type: ignore[arg-type]  # a multidict, as Bolt's adapter passes
        context={ADMITTED: True},
    )
    if bolt_request.body != admitted.body:  # Bolt misreads forms that mention "payload"
        bolt_request.body = admitted.body
        bolt_request.context = build_async_context(
            AsyncBoltContext({ADMITTED: True}), admitted.body
        )
    return bolt_request
