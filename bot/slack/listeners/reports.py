"""`/mentor report`: pick a program and a period, see the report, export the CSVs.

Admins only: bot/slack/guard.py refuses every one of these surfaces to anyone else
(`admin_only` subcommand, `ids.ADMIN_ACTIONS`, `ids.ADMIN_VIEWS`). The program a
request names is still untrusted: it must be a program of the requester's workspace.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.charts import participation_png
from bot.reports_csv import enrollment_csv, pairs_csv
from bot.runtime import Runtime
from bot.services.report_weeks import list_weekly_participation
from bot.services.reports import build_report, list_enrollment_lines, list_pair_lines, list_programs
from bot.slack import ids
from bot.slack.forms_reports import parse_export_value, parse_report_pick
from bot.slack.listeners.commands import CommandRequest, CommandRouter
from bot.slack.modals import open_then_fill
from bot.slack.text import escape
from bot.slack.uploads import Upload, upload_to_dm
from bot.slack.views.help import Subcommand
from bot.slack.views.report import EXPORTED, TITLE, picker_modal, report_modal

logger = logging.getLogger(__name__)

NO_PROGRAM = "That program no longer exists. Close this and try `/mentor report` again."
EXPORT_FAILED = "I couldn't upload the CSV files just now. Please try again in a minute."


def register(app: AsyncApp, runtime: Runtime, router: CommandRouter) -> None:
    async def handle_report(request: CommandRequest) -> None:
        await request.ack()

        async def build() -> dict[str, Any]:
            return picker_modal(await list_programs(runtime.sessions, team_id=request.team_id))

        await open_then_fill(
            request.client, trigger_id=request.trigger_id, title=TITLE, build=build
        )

    router.add(
        Subcommand("report", "report", "a program's numbers; CSV export", admin_only=True),
        handle_report,
    )

    @app.view(ids.REPORT_PICK_VIEW)
    async def handle_pick(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        choice = parse_report_pick(
            view.get("state", {}).get("values"), view.get("private_metadata")
        )
        if isinstance(choice, dict):
            await ack(response_action="errors", errors=choice)
            return
        report = await build_report(
            runtime.sessions, team_id=body["team"]["id"], program_id=choice.program_id,
            period=choice.period, now=runtime.clock.now(),
        )  # fmt: skip
        if report is None:
            await ack(response_action="errors", errors={ids.REPORT_PERIOD.block_id: NO_PROGRAM})
            return
        logger.info("report shown: program %s, %s", report.program_id, choice.period.value)
        await ack(response_action="update", view=report_modal(report))

    @app.action(ids.REPORT_EXPORT)
    async def handle_export(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, action: dict[str, Any]
    ) -> None:
        await ack()
        choice = parse_export_value(action.get("value"))
        if choice is None:
            return
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        report = await build_report(
            runtime.sessions, team_id=team_id, program_id=choice.program_id,
            period=choice.period, now=runtime.clock.now(),
        )  # fmt: skip
        if report is None:
            return
        pairs = await list_pair_lines(runtime.sessions, program_id=report.program_id)
        people = await list_enrollment_lines(runtime.sessions, program_id=report.program_id)
        weeks = await list_weekly_participation(
            runtime.sessions, program_id=report.program_id, window=report.window
        )
        # Drawing takes a fifth of a second: off the event loop.
        period = report.window.period.label.lower()
        chart = await asyncio.to_thread(
            participation_png, weeks,
            title=f"{report.program_name}: participation by week ({period})",
        )  # fmt: skip
        day = f"{report.window.end:%Y-%m-%d}"
        uploads = [
            Upload(f"participation-{day}.png", f"{report.program_name}: participation by week",
                   chart),
            Upload(f"pairs-{day}.csv", f"{report.program_name}: pairs and meetings",
                   pairs_csv(pairs).encode()),
            Upload(f"enrollment-{day}.csv", f"{report.program_name}: enrollment",
                   enrollment_csv(people).encode()),
        ]  # fmt: skip
        notice = EXPORTED
        try:
            await upload_to_dm(
                client, user_id=user_id, uploads=uploads,
                comment=f"{escape(report.program_name)}: participation by week, and the CSV export "
                f"({len(pairs)} pairs, {len(people)} people).",
            )  # fmt: skip
            logger.info("report exported: program %s, %d pairs", report.program_id, len(pairs))
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            logger.warning("report export failed: %s", type(exc).__name__)
            notice = EXPORT_FAILED
        view = body.get("view") or {}
        try:
            await client.views_update(
                view_id=view.get("id"), hash=view.get("hash"),
                view=report_modal(report, notice=notice),
            )  # fmt: skip
        except SlackApiError as exc:  # closed or changed meanwhile: the DM says it all
            logger.info("report modal not updated: %s", exc.response.get("error"))
