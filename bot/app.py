"""Build the Bolt app and the aiohttp server around it."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse
from sqlalchemy import text

from bot.runtime import Runtime
from bot.slack.listeners import (
    commands,
    enrollment,
    events,
    home,
    participation,
    reflections,
    skills,
    workspace,
)

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SORRY = (
    "Sorry — something went wrong on my side and nothing was changed. "
    "Please try again in a minute; if it keeps happening, let your program admin know."
)


class _SameTokenFilter(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client (same token) wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_SameTokenFilter())


def build_bolt_app(runtime: Runtime, router: commands.CommandRouter | None = None) -> AsyncApp:
    app = AsyncApp(
        client=runtime.client,
        signing_secret=runtime.settings.SLACK_SIGNING_SECRET or None,
        # Our outbox and listeners run after the ack; the web server stays responsive.
        process_before_response=False,
    )
    router = router or commands.CommandRouter()
    events.register(app, runtime)
    commands.register(app, runtime, router)
    enrollment.register(app, runtime, router)
    participation.register(app, runtime, router)
    reflections.register(app, runtime, router)
    skills.register(app, runtime, router)
    home.register(app, runtime)
    workspace.register(app, runtime)
    app.error(handle_error)
    return app


async def handle_error(
    error: Exception, body: dict[str, Any], respond: AsyncRespond | None
) -> BoltResponse | None:
    """The one place unexpected errors land: log with traceback, tell the user kindly."""
    logger.error("unhandled %s", type(error).__name__, exc_info=error)
    if respond is not None and (body.get("response_url") or body.get("response_urls")):
        try:
            await respond(text=SORRY, response_type="ephemeral", replace_original=False)
        except Exception:  # the apology is best effort; the error is already logged
            logger.warning("could not tell the user about the error", exc_info=True)
        return BoltResponse(status=200, body="")
    return None


def build_web_app(runtime: Runtime, bolt: AsyncApp) -> web.Application:
    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await bolt.async_dispatch(await to_bolt_request(request))
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
    return web_app
