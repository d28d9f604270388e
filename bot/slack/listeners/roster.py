"""Admins import an HR roster (the §6 CSV) into a program, and invite who hasn't joined.

Opened by the `ids.ROSTER_IMPORT_BUTTON` button (the admin modal) or `/mentor admin
import`. Every surface here is admin-only through bot/slack/guard.py. The submission
is acked at once with a "Reading…" view; the file is fetched, its e-mails looked up and
the rows written after the ack, and the modal is updated with the outcome.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.services.roster import (
    emails_to_look_up,
    list_roster_programs,
    parse_roster,
    record_invitations,
    record_roster,
    resolve_roster,
)
from bot.slack import ids
from bot.slack.listeners.commands import CommandRequest, CommandRouter, handle_help
from bot.slack.modals import open_then_fill
from bot.slack.views.enrollment import loading_modal
from bot.slack.views.help import Subcommand
from bot.slack.views.roster import (
    TITLE,
    invitations_sent_modal,
    roster_import_modal,
    roster_result_modal,
    roster_working_modal,
)

logger = logging.getLogger(__name__)

FILE_MAX_BYTES = 10 * 1024 * 1024  # Slack's file_input limit
FETCH_TIMEOUT = 20.0
LOOKUPS_AT_ONCE = 4  # users.lookupByEmail is Tier 3
LOOKUP_TRIES = 3
SLACK_FILE_HOST = "files.slack.com"

CHOOSE_FILE = "Choose the roster's CSV file."
ONE_FILE = "Choose one file: the roster as a single CSV."
NOT_CSV = "That isn't a CSV file. Export the roster as CSV (UTF-8) and try again."
NO_PROGRAM = "That program no longer exists."


# --- Slack I/O: the file and the e-mail lookups ---------------------------------------


def is_slack_file_url(url: str, *, api_url: str) -> bool:
    """Only Slack's file host (or the Web API's own host, e.g. a test double) is sent the
    bot token: a forged submission must not be able to name a URL that collects it."""
    parts, api = urlsplit(url), urlsplit(api_url)
    if parts.scheme == "https" and parts.hostname == SLACK_FILE_HOST:
        return True
    return (parts.scheme, parts.netloc) == (api.scheme, api.netloc) and bool(parts.netloc)


async def fetch_file(url: str, *, token: str, api_url: str) -> bytes | str:
    """The file's bytes from its `url_private_download`, with the bot token; or why not.

    Redirects are not followed: without a valid token Slack's file host redirects to a
    sign-in page, and that page must not be read as the roster.
    """
    if not is_slack_file_url(url, api_url=api_url):
        return "that file isn't on Slack"
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.get(
                url, headers={"Authorization": f"Bearer {token}"}, allow_redirects=False
            ) as response,
        ):
            kind = response.headers.get("Content-Type", "")
            if response.status != 200 or kind.startswith("text/html"):
                logger.warning("roster file fetch answered %s (%s)", response.status, kind)
                return (
                    "Slack didn't hand the file over (is the app's `files:read` permission "
                    "installed?)"
                )
            data = await response.content.read(FILE_MAX_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        logger.warning("roster file fetch failed: %s", type(exc).__name__)
        return "Slack didn't answer when I fetched the file; please try again in a minute"
    if len(data) > FILE_MAX_BYTES:
        return "the file is larger than 10 MB"
    return data


def decode_roster(data: bytes) -> str | None:
    """UTF-8 text (a byte-order mark, as Excel writes one, is dropped); None if not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


async def lookup_emails(client: AsyncWebClient, emails: list[str]) -> dict[str, str | None] | str:
    """Member id per e-mail (None: no active member has it), or why Slack couldn't say."""
    found: dict[str, str | None] = {}
    gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)
    failures: list[str] = []

    async def one(email: str) -> None:
        async with gate:
            for attempt in range(LOOKUP_TRIES):
                try:
                    answer = await client.users_lookupByEmail(email=email)
                except SlackApiError as exc:
                    error = str(exc.response.get("error") or "")
                    if error == "users_not_found":
                        found[email] = None
                        return
                    if exc.response.status_code == 429 and attempt + 1 < LOOKUP_TRIES:
                        wait = int(exc.response.headers.get("Retry-After", "1") or 1)
                        await asyncio.sleep(min(max(wait, 1), 30))
                        continue
                    failures.append(error or f"HTTP {exc.response.status_code}")
                    return
                user = answer.get("user") or {}
                active = not (user.get("deleted") or user.get("is_bot"))
                found[email] = str(user["id"]) if active and user.get("id") else None
                return

    await asyncio.gather(*(one(email) for email in emails))
    if failures:
        logger.warning("roster e-mail lookups failed: %s", sorted(set(failures)))
        return f"Slack couldn't look up e-mail addresses just now ({failures[0]})"
    return found


# --- reading the submission ------------------------------------------------------------


def parse_roster_submission(
    values: object, private_metadata: object
) -> tuple[int, dict[str, Any]] | dict[str, str]:
    """(program id, the uploaded file object), or errors under the inputs. Pure."""
    program_id = _metadata_program(private_metadata)
    block = values.get(ids.ROSTER_PROGRAM.block_id) if isinstance(values, dict) else None
    if isinstance(block, dict):
        chosen = (block.get(ids.ROSTER_PROGRAM.action_id) or {}).get("selected_option") or {}
        value = chosen.get("value") if isinstance(chosen, dict) else None
        program_id = int(value) if isinstance(value, str) and value.isdigit() else None
    if program_id is None:
        return {ids.ROSTER_FILE.block_id: NO_PROGRAM}
    field = values.get(ids.ROSTER_FILE.block_id) if isinstance(values, dict) else None
    element = field.get(ids.ROSTER_FILE.action_id) if isinstance(field, dict) else None
    files = element.get("files") if isinstance(element, dict) else None
    if not isinstance(files, list) or not files:
        return {ids.ROSTER_FILE.block_id: CHOOSE_FILE}
    if len(files) > 1:
        return {ids.ROSTER_FILE.block_id: ONE_FILE}
    file = files[0]
    if not isinstance(file, dict) or not isinstance(file.get("url_private_download"), str):
        return {ids.ROSTER_FILE.block_id: CHOOSE_FILE}
    name = str(file.get("name") or "")
    if file.get("filetype") != "csv" and not name.lower().endswith(".csv"):
        return {ids.ROSTER_FILE.block_id: NOT_CSV}
    return program_id, file


def _metadata_program(private_metadata: object) -> int | None:
    if not isinstance(private_metadata, str) or len(private_metadata) > 3000:
        return None
    try:
        data = json.loads(private_metadata)
    except ValueError:
        return None
    program_id = data.get("program_id") if isinstance(data, dict) else None
    return program_id if type(program_id) is int and program_id > 0 else None


# --- listeners ----------------------------------------------------------------------------


async def open_roster_import(
    runtime: Runtime,
    client: AsyncWebClient,
    *,
    trigger_id: str,
    team_id: str,
    program_id: int | None,
    from_modal: bool = False,
) -> None:
    """Open the import modal; from inside a modal (the admin modal's button) it is pushed
    on top, so closing it goes back there."""

    async def build() -> dict[str, Any]:
        programs = await list_roster_programs(
            runtime.sessions, team_id=team_id, now=runtime.clock.now()
        )
        return roster_import_modal(programs=programs, program_id=program_id)

    if not from_modal:
        await open_then_fill(client, trigger_id=trigger_id, title=TITLE, build=build)
        return
    # The trigger_id (3 s, single use) is spent on a placeholder first, as open_then_fill does.
    pushed = await client.views_push(trigger_id=trigger_id, view=loading_modal(TITLE))
    await client.views_update(view_id=pushed["view"]["id"], view=await build())


async def import_roster(
    runtime: Runtime,
    client: AsyncWebClient,
    *,
    team_id: str,
    view_id: str,
    program_id: int,
    file: dict[str, Any],
) -> None:
    """After the ack: fetch, parse, look up, write (all rows or none), then show it."""
    now = runtime.clock.now()
    programs = await list_roster_programs(runtime.sessions, team_id=team_id, now=now)

    async def show_problems(problems: list[tuple[int, str]], problem: str | None) -> None:
        view = roster_import_modal(
            programs=programs, program_id=program_id, problems=problems, problem=problem
        )
        await client.views_update(view_id=view_id, view=view)

    data = await fetch_file(
        str(file["url_private_download"]),
        token=client.token or "",
        api_url=runtime.settings.SLACK_API_URL,
    )
    if isinstance(data, str):
        await show_problems([], data)
        return
    text = decode_roster(data)
    if text is None:
        await show_problems([], "it isn't UTF-8 text; export it as “CSV UTF-8”")
        return
    roster = parse_roster(text)
    if roster.problem is not None:
        await show_problems([], roster.problem)
        return
    # Looked up even when some rows are bad, so the admin sees every problem at once.
    members = await lookup_emails(client, emails_to_look_up(roster))
    if isinstance(members, str):
        await show_problems([], members)
        return
    resolved = resolve_roster(roster, members)
    if resolved.problems:
        await show_problems([(p.line, p.message) for p in resolved.problems], None)
        return
    imported = await record_roster(
        runtime.sessions, team_id=team_id, program_id=program_id,
        entries=resolved.entries, now=runtime.clock.now(),
    )  # fmt: skip
    if imported is None:
        await show_problems([], NO_PROGRAM.rstrip("."))
        return
    await client.views_update(
        view_id=view_id,
        view=roster_result_modal(
            program_id=imported.program_id,
            program_name=imported.program_name,
            imported=imported.imported,
            profiles_updated=imported.profiles_updated,
            not_enrolled=imported.not_enrolled,
            to_invite=imported.to_invite,
        ),
    )


def register(app: AsyncApp, runtime: Runtime, router: CommandRouter) -> None:
    """Register after whatever registers `/mentor admin`: `admin import` is routed here
    and every other `admin …` to the handler registered before."""
    before = router.route("admin")

    async def handle_admin(request: CommandRequest) -> None:
        if request.args.strip().lower() == "import":
            await request.ack()
            await open_roster_import(
                runtime, request.client, trigger_id=request.trigger_id,
                team_id=request.team_id, program_id=None,
            )  # fmt: skip
        elif before is not None:
            await before.handler(request)
        else:
            await handle_help(request)

    summary = "import an HR roster" if before is None else f"{before.subcommand.summary}"
    if before is not None:
        summary += "; `import` an HR roster"
    subcommand = Subcommand("admin", "admin [import]", summary, admin_only=True)
    router.add(subcommand, handle_admin)

    @app.action(ids.ROSTER_IMPORT_BUTTON)
    async def handle_import_button(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, action: dict[str, Any]
    ) -> None:
        await ack()  # admins only: bot/slack/guard.py refused everyone else
        value = str(action.get("value") or "")
        in_modal = (body.get("view") or {}).get("type") == "modal"
        await open_roster_import(
            runtime, client, trigger_id=body["trigger_id"], team_id=body["team"]["id"],
            program_id=int(value) if value.isdigit() else None, from_modal=in_modal,
        )  # fmt: skip

    @app.view(ids.ROSTER_VIEW)
    async def handle_roster_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        parsed = parse_roster_submission(view["state"]["values"], view.get("private_metadata"))
        if isinstance(parsed, dict):
            await ack(response_action="errors", errors=parsed)
            return
        program_id, file = parsed
        await ack(response_action="update", view=roster_working_modal())
        try:
            await import_roster(
                runtime, client, team_id=body["team"]["id"], view_id=view["id"],
                program_id=program_id, file=file,
            )  # fmt: skip
        except SlackApiError as exc:  # the modal was closed meanwhile: nothing to show
            logger.info("roster modal update failed: %s", exc.response.get("error"))

    @app.action(ids.ROSTER_INVITE)
    async def handle_invite(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, action: dict[str, Any]
    ) -> None:
        await ack()  # admins only: bot/slack/guard.py refused everyone else
        value = str(action.get("value") or "")
        if not value.isdigit():
            return
        sent = await record_invitations(
            runtime.sessions, team_id=body["team"]["id"], program_id=int(value),
            now=runtime.clock.now(),
        )  # fmt: skip
        if sent is None:
            return
        runtime.deliver_soon()
        view = body.get("view") or {}
        if view.get("id"):
            await client.views_update(
                view_id=view["id"],
                view=invitations_sent_modal(program_name=sent.program_name, sent=sent.sent),
            )
