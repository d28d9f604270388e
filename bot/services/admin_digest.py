"""The admins' monthly DM: last month's headline numbers and the participation chart.

A decision sweep (bot/jobs.py). Each program's admins hear once a month, on the
program's first check-in day at its check-in time in its zone (the channel digest's
moment). The DM and the chart are two outbox rows written with the decision; the chart
is a FILE_UPLOAD row, drawn here so the outbox only ships bytes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from datetime import UTC, date, datetime, time

from bot.charts import participation_png
from bot.db.engine import Sessions
from bot.db.people import list_admin_user_ids
from bot.db.tables import ProgramRow
from bot.delivery import FILE_UPLOAD, Outgoing, enqueue_messages, file_upload
from bot.matching.overlap import resolve_zone
from bot.services.celebrations import (
    digest_month,
    list_program_zones,
    lock_programs_uncovered,
    next_month,
)
from bot.services.report_weeks import list_weekly_participation
from bot.services.reports import Period, Window, build_report
from bot.slack.views.report import admin_digest_message

logger = logging.getLogger(__name__)


async def sweep_admin_digest(
    sessions: Sessions, *, now: datetime, configured_admins: Collection[str]
) -> int:
    """Decision sweep: last month's DM to each program's admins, once. Returns how many
    programs were covered. A tick a month late covers only the latest month; a month
    before the program existed is marked covered and not told.

    The due programs stay locked (PostgreSQL; SQLite writes one at a time) while their
    numbers are read, and are marked with the messages in one commit.
    """
    async with sessions() as session, session.begin():
        programs = await lock_programs_uncovered(session, ProgramRow.admin_digest_for, now=now)
        if not programs:
            return 0
        zones = await list_program_zones(session, programs)
        admins: dict[str, list[str]] = {}
        messages: list[Outgoing] = []
        covered = 0
        for program in programs:
            zone = zones[program.id]
            month = digest_month(now, program, timezone=zone, covered=program.admin_digest_for)
            if month is None:
                continue
            program.admin_digest_for = month
            if program.created_at >= _month_window(month, zone).end:
                continue  # the program did not exist yet: nothing to tell of that month
            if program.team_id not in admins:
                admins[program.team_id] = await list_admin_user_ids(
                    session, team_id=program.team_id, configured=frozenset(configured_admins)
                )
            messages += await _digest_messages(
                sessions, program, month=month, zone=zone, now=now,
                admins=admins[program.team_id],
            )  # fmt: skip
            covered += 1
        await enqueue_messages(session, messages)
    if covered:
        logger.info("admin digest: %d program(s), %d message(s)", covered, len(messages))
    return covered


def _month_window(month: date, zone: str) -> Window:
    """A calendar month in the program's zone, as UTC instants. Pure."""
    local = resolve_zone(zone)
    start = datetime.combine(month, time(), tzinfo=local).astimezone(UTC)
    end = datetime.combine(next_month(month), time(), tzinfo=local).astimezone(UTC)
    return Window(Period.MONTH, start, end)


async def _digest_messages(
    sessions: Sessions,
    program: ProgramRow,
    *,
    month: date,
    zone: str,
    now: datetime,
    admins: list[str],
) -> list[Outgoing]:
    """The month's DM and chart for each admin."""
    window = _month_window(month, zone)
    report = await build_report(
        sessions, team_id=program.team_id, program_id=program.id, period=Period.MONTH,
        now=now, window=window,
    )  # fmt: skip
    if report is None or not admins:
        return []
    weeks = await list_weekly_participation(sessions, program_id=program.id, window=window)
    title = f"{program.name}: participation by week, {month:%B %Y}"
    chart = await asyncio.to_thread(participation_png, weeks, title=title)
    key = f"admin-digest:{program.id}:{month:%Y-%m}"
    payload = admin_digest_message(report, month=month)
    upload = file_upload(filename=f"participation-{month:%Y-%m}.png", title=title, content=chart)
    messages = []
    for admin in admins:
        messages.append(Outgoing(team_id=program.team_id, key=f"{key}:{admin}",
                                 channel=admin, due_at=now, payload=payload))  # fmt: skip
        messages.append(Outgoing(team_id=program.team_id, key=f"{key}:{admin}:chart",
                                 channel=admin, due_at=now, method=FILE_UPLOAD,
                                 payload=upload))  # fmt: skip
    return messages
