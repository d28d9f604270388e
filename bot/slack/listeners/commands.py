"""`/mentor <subcommand>`: parse the text, hand over to the subcommand's handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.slack import ids
from bot.slack.views.help import Subcommand, help_message


@dataclass(frozen=True)
class CommandRequest:
    runtime: Runtime
    router: CommandRouter
    ack: AsyncAck
    respond: AsyncRespond
    client: AsyncWebClient
    team_id: str
    user_id: str
    args: str  # the text after the subcommand
    trigger_id: str


Handler = Callable[[CommandRequest], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    subcommand: Subcommand
    handler: Handler


class CommandRouter:
    """The subcommands this build offers; help lists exactly these."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self.add(Subcommand("help", "help", "show this list"), handle_help)

    def add(self, subcommand: Subcommand, handler: Handler) -> None:
        self._routes[subcommand.name] = Route(subcommand, handler)

    def route(self, name: str) -> Route | None:
        return self._routes.get(name)

    def is_admin_only(self, name: str) -> bool:
        route = self._routes.get(name)
        return route is not None and route.subcommand.admin_only

    @property
    def subcommands(self) -> list[Subcommand]:
        """In the order a participant meets them, admin ones next, `help` last."""
        routes = sorted(self._routes.values(), key=lambda r: _rank(r.subcommand.name))
        return [route.subcommand for route in routes]


_ORDER = ("join", "status", "reflect", "story", "pause", "resume", "leave", "admin", "pair")


def _rank(name: str) -> int:
    return _ORDER.index(name) if name in _ORDER else len(_ORDER) + (name == "help")


def parse_subcommand(text: str) -> tuple[str, str]:
    """`/mentor <name> <args>` → (name, args); no name means help. The admin guard reads
    the name with this too, so it refuses exactly what the router would run."""
    name, _, args = text.strip().partition(" ")
    return name.lower() or "help", args.strip()


async def handle_help(request: CommandRequest, *, unknown: str | None = None) -> None:
    router = request.router
    is_admin = await request.runtime.admins.is_admin(request.team_id, request.user_id)
    await request.ack(help_message(router.subcommands, is_admin=is_admin, unknown=unknown))


def register(app: AsyncApp, runtime: Runtime, router: CommandRouter) -> None:
    @app.command(ids.COMMAND)
    async def handle_mentor_command(
        ack: AsyncAck,
        respond: AsyncRespond,
        client: AsyncWebClient,
        command: dict[str, Any],
    ) -> None:
        name, args = parse_subcommand(command.get("text") or "")
        request = CommandRequest(
            runtime=runtime,
            router=router,
            ack=ack,
            respond=respond,
            client=client,
            team_id=command["team_id"],
            user_id=command["user_id"],
            args=args,
            trigger_id=command["trigger_id"],
        )
        route = router.route(name)
        if route is None:
            await handle_help(request, unknown=name)
            return
        # admin_only subcommands never get here for others: bot/slack/guard.py refuses them.
        await route.handler(request)
