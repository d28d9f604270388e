"""A program's participation week by week, for the report's chart: totals only (how
many people were enrolled, in a pair, and met), never who."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from bot.charts import WeekCounts
from bot.db.engine import Sessions, reading
from bot.db.tables import MeetingRow, MembershipRow, PairRow
from bot.domain import PairStatus
from bot.services.reports import Window

WEEKS_MAX = 52  # a longer period shows its last year


def list_weeks(window: Window) -> list[date]:
    """The Mondays of the weeks the period touches (the last WEEKS_MAX). Pure."""
    first = window.start.date() - timedelta(days=window.start.weekday())
    last = window.end.date() - timedelta(days=window.end.weekday())
    weeks = []
    week = first
    while week <= last:
        weeks.append(week)
        week += timedelta(weeks=1)
    return weeks[-WEEKS_MAX:]


def _day(moment: datetime) -> date:
    return moment.date()


async def list_weekly_participation(
    sessions: Sessions, *, program_id: int, window: Window
) -> list[WeekCounts]:
    """Per week of the period: people enrolled at its end, people in an introduced pair
    running during it, and people whose pair met in it. Three queries."""
    weeks = list_weeks(window)
    async with reading(sessions) as session:
        memberships = (
            await session.execute(
                select(MembershipRow.joined_at, MembershipRow.left_at).where(
                    MembershipRow.program_id == program_id
                )
            )
        ).all()
        started = func.coalesce(PairRow.introduced_at, PairRow.created_at)
        pairs = (
            await session.execute(
                select(PairRow.mentor_id, PairRow.mentee_id, started, PairRow.ended_at).where(
                    PairRow.program_id == program_id,
                    PairRow.status.in_([PairStatus.ACTIVE.value, PairStatus.ENDED.value]),
                )
            )
        ).all()
        met = (
            await session.execute(
                select(MeetingRow.met_on, PairRow.mentor_id, PairRow.mentee_id)
                .join(PairRow, PairRow.id == MeetingRow.pair_id)
                .where(PairRow.program_id == program_id, MeetingRow.met_on >= weeks[0])
            )
        ).all()
    counts = []
    for week in weeks:
        end = week + timedelta(days=7)  # exclusive
        enrolled = sum(
            1 for joined, left in memberships
            if _day(joined) < end and (left is None or _day(left) >= end)
        )  # fmt: skip
        matched = {
            person
            for mentor, leader, since, until in pairs
            if since is not None and _day(since) < end and (until is None or _day(until) >= week)
            for person in (mentor, leader)
            if person is not None
        }
        who_met = {
            person
            for day, mentor, leader in met
            if week <= day < end
            for person in (mentor, leader)
            if person is not None
        }
        counts.append(WeekCounts(week, enrolled, len(matched), len(who_met)))
    return counts
