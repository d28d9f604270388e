"""Erasure and retention: the one place that forgets a person, a workspace, and old
payloads.

After `erase_person` no row holds the person's Slack id, name, title, department,
goals, skills, reflections or stories: their profile row goes (cascading to skills,
memberships, reflections and stories they wrote), their pairs keep counts only, and
the outbox forgets every message to them or naming them (keeping key and outcome of
messages to others, so nothing is sent twice).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, Text, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions, reading
from bot.db.tables import (
    BOTS_TABLE,
    INSTALLATIONS_TABLE,
    Base,
    CheckinRow,
    CloseoutAnswerRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    ProgramRow,
    RosterEntryRow,
    RoundRow,
    StoryRow,
)
from bot.domain import DeliveryStatus
from bot.services.stories import enqueue_pair_story_removals
from bot.slack.text import escape

logger = logging.getLogger(__name__)

# How long a delivered (or failed, or dropped) message keeps its payload.
KEEP_PAYLOADS = timedelta(days=30)
_DONE = (DeliveryStatus.SENT.value, DeliveryStatus.FAILED.value, DeliveryStatus.DROPPED.value)


async def erase_person(session: AsyncSession, person: PersonRow, *, now: datetime) -> None:
    """Remove everything that identifies `person`, in the caller's transaction."""
    team_id, user_id = person.team_id, person.slack_user_id
    pair_ids = list(
        await session.scalars(
            select(PairRow.id).where(
                or_(PairRow.mentor_id == person.id, PairRow.mentee_id == person.id)
            )
        )
    )
    if pair_ids:
        # Why they were matched names them and their skills; the pair keeps counts only.
        await session.execute(
            update(PairRow)
            .where(PairRow.id.in_(pair_ids))
            .values(reasons=[], shared_skills=[], conversation_id=None, decline_reason=None)
        )
        # A story about the pair needs both partners' consent; one has withdrawn it. A
        # posted one leaves the channel first (chat.delete queued before the row goes).
        await enqueue_pair_story_removals(session, pair_ids=pair_ids, now=now)
        await session.execute(delete(StoryRow).where(StoryRow.pair_id.in_(pair_ids)))
    # Their check-ins go (when they were asked, what they answered); the pair's meetings
    # stay as counts, no longer saying who recorded them (the foreign key nulls that).
    await session.execute(delete(CheckinRow).where(CheckinRow.person_id == person.id))
    # Their close-out answers go too (explicitly: SQLite does not enforce the cascade).
    await session.execute(delete(CloseoutAnswerRow).where(CloseoutAnswerRow.person_id == person.id))
    await session.execute(
        delete(OutgoingMessageRow).where(
            OutgoingMessageRow.team_id == team_id,
            or_(
                OutgoingMessageRow.channel == user_id,
                OutgoingMessageRow.users.contains(user_id),
            ),
        )
    )
    await _forget_mentions(session, team_id, [user_id, person.name], now=now)
    await session.execute(
        update(RoundRow)
        .where(RoundRow.team_id == team_id, RoundRow.created_by == user_id)
        .values(created_by=None)
    )
    await session.execute(
        update(PersonRow)
        .where(PersonRow.team_id == team_id, PersonRow.manager_slack_id == user_id)
        .values(manager_slack_id=None)
    )
    # Imported rosters: their own entries go, and other entries forget them as a
    # manager and as a previous partner.
    await session.execute(
        delete(RosterEntryRow).where(
            RosterEntryRow.team_id == team_id, RosterEntryRow.slack_user_id == user_id
        )
    )
    await session.execute(
        update(RosterEntryRow)
        .where(RosterEntryRow.team_id == team_id, RosterEntryRow.manager_slack_id == user_id)
        .values(manager_slack_id=None)
    )
    for entry in await session.scalars(
        select(RosterEntryRow).where(RosterEntryRow.team_id == team_id)
    ):
        if user_id in entry.previous_partners:
            entry.previous_partners = [p for p in entry.previous_partners if p != user_id]
    await session.delete(person)
    await session.flush()
    logger.info("erased person %s (%d pairs kept as counts)", person.id, len(pair_ids))


async def _forget_mentions(
    session: AsyncSession, team_id: str, needles: list[str], *, now: datetime
) -> None:
    """Messages to others that name the person: emptied, and dropped if not yet sent."""
    # Messages carry names escaped for mrkdwn, and payloads are stored as JSON text with
    # non-ASCII escaped: look for every form.
    forms = sorted({json_form for needle in needles if len(needle.strip()) >= 2
                    for form in (needle, escape(needle))
                    for json_form in (form, json.dumps(form)[1:-1])})  # fmt: skip
    if not forms:
        return
    # LIKE narrows the rows down (on SQLite it ignores case); the exact rule is a whole
    # word, case kept, so erasing "Al" leaves "also" in someone else's message alone.
    payload = cast(OutgoingMessageRow.payload, Text)
    candidates = await session.execute(
        select(OutgoingMessageRow.id, payload).where(
            OutgoingMessageRow.team_id == team_id,
            or_(*(payload.contains(form, autoescape=True) for form in forms)),
        )
    )
    word = re.compile("|".join(rf"(?<!\w){re.escape(form)}(?!\w)" for form in forms))
    naming = [row_id for row_id, text in candidates.all() if word.search(text or "")]
    if not naming:
        return
    rows = update(OutgoingMessageRow).where(OutgoingMessageRow.id.in_(naming))
    await session.execute(
        rows.where(OutgoingMessageRow.status == DeliveryStatus.PENDING.value).values(
            status=DeliveryStatus.DROPPED.value, last_error="names a person who erased their data"
        )
    )
    # Every row naming them loses its payload, a row being sent right now too: its worker
    # posts from its own copy and records only the outcome.
    await session.execute(
        rows.values(payload={}, purged_at=func.coalesce(OutgoingMessageRow.purged_at, now))
    )


async def purge_delivered_payloads(
    sessions: Sessions, *, now: datetime, keep: timedelta = KEEP_PAYLOADS
) -> int:
    """Decision sweep: payloads of messages done for longer than `keep` are emptied.

    The row stays (key and outcome), so a late retry of the decision still finds it.
    """
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(OutgoingMessageRow)
            .where(
                OutgoingMessageRow.status.in_(_DONE),
                OutgoingMessageRow.purged_at.is_(None),
                # Implied by the next line (a row is sent after it is written), and what
                # ix_outgoing_messages_unpurged finds without reading every row.
                OutgoingMessageRow.created_at < now - keep,
                func.coalesce(OutgoingMessageRow.sent_at, OutgoingMessageRow.created_at)
                < now - keep,
            )
            .values(payload={}, purged_at=now)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- a whole workspace (`mentorbot workspace delete`) --------------------------------


@dataclass(frozen=True)
class WorkspaceHoldings:
    """What mentorbot holds for one workspace, for the operator to confirm."""

    people: int
    programs: int
    installed: bool
    rows: int  # in every table


def _workspace_scope(table: Table, team_id: str) -> ColumnElement[bool] | None:
    """Which rows of `table` belong to the workspace: its `team_id`, or a foreign key to
    rows that do (reflection topics, story skills); None for tables of no workspace."""
    if "team_id" in table.c:
        return table.c.team_id == team_id
    owners = []
    for fk in table.foreign_keys:
        parent = fk.column.table
        scope = _workspace_scope(parent, team_id) if isinstance(parent, Table) else None
        if scope is not None:
            owners.append(fk.parent.in_(select(fk.column).where(scope)))
    return or_(*owners) if owners else None


def _workspace_tables(team_id: str) -> list[tuple[Table, ColumnElement[bool]]]:
    """Every table of Base.metadata holding workspace rows, children before parents (so
    a foreign key never points at a row already gone, and no cascade is relied on)."""
    found = []
    for table in reversed(Base.metadata.sorted_tables):
        scope = _workspace_scope(table, team_id)
        if scope is not None:
            found.append((table, scope))
    return found


async def get_workspace_holdings(sessions: Sessions, team_id: str) -> WorkspaceHoldings:
    async with reading(sessions) as session:
        counts = {
            table.name: int(
                await session.scalar(select(func.count()).select_from(table).where(scope)) or 0
            )
            for table, scope in _workspace_tables(team_id)
        }
    return WorkspaceHoldings(
        people=counts[PersonRow.__tablename__],
        programs=counts[ProgramRow.__tablename__],
        installed=bool(counts[BOTS_TABLE] or counts[INSTALLATIONS_TABLE]),
        rows=sum(counts.values()),
    )


async def erase_workspace(sessions: Sessions, team_id: str) -> dict[str, int]:
    """Delete every row mentorbot holds for the workspace, in one transaction: each table
    with a `team_id` (our tables and slack-sdk's installations and bots) and the rows that
    hang off them. Tables are found in Base.metadata, so a new one cannot be forgotten.
    Returns how many rows went, per table (tables with none left out)."""
    deleted: dict[str, int] = {}
    async with sessions.begin() as session:
        for table, scope in _workspace_tables(team_id):
            result = await session.execute(delete(table).where(scope))
            if result.rowcount:  # type: ignore[attr-defined]
                deleted[table.name] = int(result.rowcount)  # type: ignore[attr-defined]
    logger.info("workspace %s erased: %d row(s)", team_id, sum(deleted.values()))
    return deleted
