"""Answers to a check-in DM: "We met" (and its date), "Not yet", "Snooze a week",
"Log a reflection" and "I need help".

A button carries only a check-in id: every use case first checks that the clicker is
that check-in's person, in their own workspace, so a forged or forwarded click changes
nothing. Each answer is idempotent (a double click or a Slack retry records one meeting
and one reminder), and the message is re-rendered from the database, never from the
click, so it shows what was recorded however often it is drawn.

Locks: the pair first, then its check-ins of the period, then (to re-render a partner's
message) that message's outbox row. Both partners' clicks take the same pair lock, so
two simultaneous "We met" cannot each think they recorded the meeting.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions
from bot.db.people import get_person, list_admin_user_ids
from bot.db.tables import (
    CheckinRow,
    MeetingRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    ProgramRow,
)
from bot.delivery import enqueue_message
from bot.domain import CheckinAnswer, CheckinStatus, DeliveryStatus, PairStatus
from bot.matching.overlap import resolve_zone
from bot.services.celebrations import celebrate_meeting
from bot.services.checkin_plan import anchor_day, plan_due_at
from bot.services.lifecycle import drop_keyed_messages, list_sent_locations
from bot.slack.views.checkins import (
    MET_ON_BEFORE_INTRO,
    MET_ON_IN_FUTURE,
    CheckinItem,
    checkin_message,
    help_request_message,
)
from bot.worktime import checkin_slot, later_checkin_at, next_working_time

logger = logging.getLogger(__name__)

REMINDER_KEY_PREFIX = "checkin-reminder:"
# Working days until we ask again: "Not yet" and "Snooze a week".
ASK_AGAIN_AFTER = {CheckinAnswer.NOT_YET: 3, CheckinAnswer.SNOOZED: 5}


class AnswerOutcome(enum.Enum):
    RECORDED = "recorded"  # done (or done before: the same answer again changes nothing)
    NOT_YOURS = "not_yours"  # not the clicker's check-in: nothing changed
    REFUSED = "refused"  # a date out of range: nothing changed, `refusal` says why


@dataclass(frozen=True)
class AnswerResult:
    outcome: AnswerOutcome
    # The clicker's check-in message as it stands now (chat.update payload), and where
    # it was posted (the latest DM that carried the check-in).
    message: dict[str, Any] | None = None
    locations: list[tuple[str, str]] = field(default_factory=list)
    refusal: str | None = None
    reached_admins: int = 0  # "I need help": how many admins were told


@dataclass
class _Own:
    """A check-in the clicker owns, with what its answers need (pair locked)."""

    checkin: CheckinRow
    person: PersonRow
    pair: PairRow
    program: ProgramRow
    partner: PersonRow | None


_NOT_YOURS = AnswerResult(AnswerOutcome.NOT_YOURS)


async def _get_own(
    session: AsyncSession, *, team_id: str, user_id: str, checkin_id: int
) -> _Own | None:
    """The check-in if it was sent to this Slack user of this workspace; else None."""
    person = await get_person(session, team_id, user_id)
    if person is None:
        return None
    pair_id = await session.scalar(
        select(CheckinRow.pair_id).where(
            CheckinRow.id == checkin_id,
            CheckinRow.team_id == team_id,
            CheckinRow.person_id == person.id,
            CheckinRow.status == CheckinStatus.SENT.value,
        )
    )
    if pair_id is None:
        return None
    pair = await session.scalar(
        select(PairRow).where(PairRow.id == pair_id, PairRow.team_id == team_id).with_for_update()
    )
    checkin = await session.scalar(
        select(CheckinRow).where(CheckinRow.id == checkin_id).with_for_update()
    )
    if pair is None or checkin is None:
        return None
    program = await session.get(ProgramRow, pair.program_id)
    assert program is not None
    partner_id = pair.mentee_id if pair.mentor_id == person.id else pair.mentor_id
    partner = await session.get(PersonRow, partner_id) if partner_id else None
    return _Own(checkin, person, pair, program, partner)


async def _mark_clicked(session: AsyncSession, person: PersonRow) -> None:
    """Any click on one's own check-in: they are not ignoring them."""
    if person.ignored_checkins:
        person.ignored_checkins = 0


def _local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(resolve_zone(timezone)).date()


# --- rendering -------------------------------------------------------------------------


async def render_checkin_message(
    session: AsyncSession, *, person_id: int, message_key: str
) -> dict[str, Any] | None:
    """The check-in DM `message_key` as the database has it now: every check-in it
    carries (ascending id), each with its answer. None when nothing is left to show."""
    rows = (
        await session.execute(
            select(CheckinRow, PairRow, ProgramRow)
            .join(PairRow, PairRow.id == CheckinRow.pair_id)
            .join(ProgramRow, ProgramRow.id == PairRow.program_id)
            .where(CheckinRow.person_id == person_id, CheckinRow.message_key == message_key)
            .order_by(CheckinRow.id)
        )
    ).all()
    if not rows:
        return None
    partner_ids = {
        pair.mentee_id if pair.mentor_id == person_id else pair.mentor_id for _, pair, _ in rows
    }
    partners = dict(
        (
            await session.execute(
                select(PersonRow.id, PersonRow.slack_user_id).where(
                    PersonRow.id.in_([p for p in partner_ids if p])
                )
            )
        ).all()
    )
    meetings = {
        (m.pair_id, m.sequence): m.met_on
        for m in await session.scalars(
            select(MeetingRow).where(MeetingRow.pair_id.in_({pair.id for _, pair, _ in rows}))
        )
    }
    items = []
    for checkin, pair, program in rows:
        partner_id = pair.mentee_id if pair.mentor_id == person_id else pair.mentor_id
        partner = partners.get(partner_id) if partner_id else None
        if partner is None:  # the partner erased their data: nothing to ask about
            continue
        answer = CheckinAnswer(checkin.answer) if checkin.answer else None
        met_on = meetings.get((pair.id, checkin.sequence))
        if answer is CheckinAnswer.MET and met_on is None:
            met_on = (checkin.answered_at or checkin.sent_at or checkin.due_at).date()
        items.append(
            CheckinItem(
                checkin_id=checkin.id,
                program_name=program.name,
                partner_user_id=partner,
                first=checkin.sequence == 1,
                answer=answer,
                met_on=met_on if answer is CheckinAnswer.MET else None,
                recorded_by_partner=(
                    checkin.answered_by is not None and checkin.answered_by != person_id
                ),
                ask_again_at=checkin.remind_at,
                help_requested=checkin.help_requested_at is not None,
            )
        )
    if not items:
        return None
    return checkin_message(items, reminder=message_key.startswith(REMINDER_KEY_PREFIX))


async def _result(session: AsyncSession, own: _Own, **extra: Any) -> AnswerResult:
    """The clicker's message re-rendered, and where it is."""
    key = own.checkin.message_key
    if key is None:
        return AnswerResult(AnswerOutcome.RECORDED, **extra)
    message = await render_checkin_message(session, person_id=own.person.id, message_key=key)
    locations = await list_sent_locations(session, keys=[key])
    return AnswerResult(AnswerOutcome.RECORDED, message, locations, **extra)


async def refresh_sent_message(
    session: AsyncSession, *, team_id: str, person_id: int, message_key: str, now: datetime
) -> None:
    """Show the latest state in someone's check-in DM that they did not click (their
    partner answered for the pair): a pending DM gets the new payload before it goes
    out; a posted one gets a chat.update through the outbox (exactly once per change,
    the older pending updates of the same message dropped as superseded)."""
    original = await session.scalar(
        select(OutgoingMessageRow)
        .where(OutgoingMessageRow.key == message_key, OutgoingMessageRow.team_id == team_id)
        .with_for_update()
    )
    if original is None:
        return
    payload = await render_checkin_message(session, person_id=person_id, message_key=message_key)
    if payload is None:
        return
    if original.status == DeliveryStatus.PENDING.value:
        await session.execute(
            update(OutgoingMessageRow)
            .where(OutgoingMessageRow.id == original.id)
            .values(payload=payload)
            .execution_options(synchronize_session=False)
        )
        return
    if original.status != DeliveryStatus.SENT.value or not (
        original.sent_channel and original.sent_ts
    ):
        # Being sent right now (or failed): there is no message to update yet.
        logger.info("check-in message %s not updated: it is %s", original.id, original.status)
        return
    prefix = f"checkin-update:{message_key}:"
    earlier = (
        await session.execute(
            select(OutgoingMessageRow.key, OutgoingMessageRow.status).where(
                OutgoingMessageRow.key.startswith(prefix, autoescape=True)
            )
        )
    ).all()
    pending = [key for key, status in earlier if status == DeliveryStatus.PENDING.value]
    await drop_keyed_messages(
        session, team_id=team_id, keys=pending, reason="superseded by a newer update"
    )
    await enqueue_message(
        session,
        team_id=team_id,
        key=f"{prefix}{len(earlier) + 1}",
        method="chat.update",
        channel=original.sent_channel,
        payload={**payload, "ts": original.sent_ts},
        due_at=now,
        membership_id=original.membership_id,
        pair_id=original.pair_id,
    )


async def _period_rows(session: AsyncSession, pair_id: int, sequence: int) -> list[CheckinRow]:
    rows = await session.scalars(
        select(CheckinRow)
        .where(CheckinRow.pair_id == pair_id, CheckinRow.sequence == sequence)
        .order_by(CheckinRow.id)
        .with_for_update()
    )
    return list(rows)


async def _refresh_partner(session: AsyncSession, own: _Own, *, now: datetime) -> None:
    """Re-render the partner's sent check-in of the same period, if any."""
    for row in await _period_rows(session, own.pair.id, own.checkin.sequence):
        if (
            row.person_id is not None
            and row.person_id != own.person.id
            and row.status == CheckinStatus.SENT.value
            and row.message_key
        ):
            await refresh_sent_message(
                session, team_id=own.pair.team_id, person_id=row.person_id,
                message_key=row.message_key, now=now,
            )  # fmt: skip


# --- "We met" and its date -----------------------------------------------------------


async def _get_or_create_meeting(session: AsyncSession, own: _Own, *, now: datetime) -> MeetingRow:
    """The period's one meeting: recorded now (dated the clicker's local today) unless
    it already is; a concurrent insert that won keeps its row (UNIQUE pair, sequence)."""
    where = (MeetingRow.pair_id == own.pair.id, MeetingRow.sequence == own.checkin.sequence)
    found = await session.scalar(select(MeetingRow).where(*where))
    if found is not None:
        return found
    meeting = MeetingRow(
        team_id=own.pair.team_id,
        pair_id=own.pair.id,
        sequence=own.checkin.sequence,
        met_on=_local_today(now, own.person.timezone),
        recorded_by=own.person.id,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(meeting)
    except IntegrityError:
        found = await session.scalar(select(MeetingRow).where(*where))
        assert found is not None
        return found
    await celebrate_meeting(session, own.pair.id, now=now)
    return meeting


async def record_met(
    sessions: Sessions, *, team_id: str, user_id: str, checkin_id: int, now: datetime
) -> AnswerResult:
    """One meeting for the pair and period, both partners' check-ins answered."""
    async with sessions() as session, session.begin():
        own = await _get_own(session, team_id=team_id, user_id=user_id, checkin_id=checkin_id)
        if own is None:
            return _NOT_YOURS
        await _mark_clicked(session, own.person)
        if own.checkin.answer == CheckinAnswer.MET.value:  # a double click, a retry
            return await _result(session, own)
        await _get_or_create_meeting(session, own, now=now)
        for row in await _period_rows(session, own.pair.id, own.checkin.sequence):
            if row.answer == CheckinAnswer.MET.value:
                continue
            row.answer = CheckinAnswer.MET.value
            row.answered_at = now
            row.answered_by = None if row.person_id == own.person.id else own.person.id
            row.remind_at = None  # met: no reminder is wanted
        await session.flush()
        await _refresh_partner(session, own, now=now)
        logger.info("check-in %s: meeting recorded for pair %s", checkin_id, own.pair.id)
        return await _result(session, own)


async def record_met_on(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    checkin_id: int,
    met_on: date,
    now: datetime,
) -> AnswerResult:
    """A new date for the period's meeting: not in the future, not before the intro."""
    async with sessions() as session, session.begin():
        own = await _get_own(session, team_id=team_id, user_id=user_id, checkin_id=checkin_id)
        if own is None:
            return _NOT_YOURS
        await _mark_clicked(session, own.person)
        meeting = await session.scalar(
            select(MeetingRow).where(
                MeetingRow.pair_id == own.pair.id, MeetingRow.sequence == own.checkin.sequence
            )
        )
        if own.checkin.answer != CheckinAnswer.MET.value or meeting is None:
            return await _result(session, own)  # no meeting to re-date: show what is
        if met_on > _local_today(now, own.person.timezone):
            return AnswerResult(AnswerOutcome.REFUSED, refusal=MET_ON_IN_FUTURE)
        if own.pair.introduced_at is not None and met_on < anchor_day(own.pair, own.person):
            return AnswerResult(AnswerOutcome.REFUSED, refusal=MET_ON_BEFORE_INTRO)
        if meeting.met_on != met_on:
            meeting.met_on = met_on
            await session.flush()
            await _refresh_partner(session, own, now=now)
        return await _result(session, own)


# --- "Not yet" and "Snooze a week" ---------------------------------------------------


def plan_reminder_at(
    *,
    pair: PairRow,
    program: ProgramRow,
    person: PersonRow,
    checkin: CheckinRow,
    answer: CheckinAnswer,
    now: datetime,
) -> datetime | None:
    """When to ask again after "Not yet" / "Snooze a week"; None when the period's
    nudge budget is spent, the pair is over, or the next period's check-in comes first.
    Pure."""
    if pair.status != PairStatus.ACTIVE.value or checkin.reminders >= program.reminders_per_period:
        return None
    days, minute = checkin_slot(
        program_days=program.checkin_days,
        program_minute=program.checkin_minute,
        own_weekday=person.checkin_weekday,
        own_minute=person.checkin_minute,
    )
    at = later_checkin_at(
        now,
        working_days=ASK_AGAIN_AFTER[answer],
        days_mask=days,
        minute=minute,
        timezone=person.timezone,
    )
    if pair.introduced_at is not None and at >= plan_due_at(
        pair, program, person, checkin.sequence + 1
    ):
        return None
    return at


async def record_later(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    checkin_id: int,
    answer: CheckinAnswer,
    now: datetime,
) -> AnswerResult:
    """ "Not yet" or "Snooze a week": a reminder within the budget, or none."""
    if answer not in ASK_AGAIN_AFTER:
        raise ValueError(f"not a later answer: {answer}")
    async with sessions() as session, session.begin():
        own = await _get_own(session, team_id=team_id, user_id=user_id, checkin_id=checkin_id)
        if own is None:
            return _NOT_YOURS
        await _mark_clicked(session, own.person)
        checkin = own.checkin
        # A recorded meeting stands; the same answer again keeps its reminder time.
        if checkin.answer not in (CheckinAnswer.MET.value, answer.value):
            checkin.answer = answer.value
            checkin.answered_at = now
            checkin.answered_by = None
            checkin.remind_at = plan_reminder_at(
                pair=own.pair, program=own.program, person=own.person, checkin=checkin,
                answer=answer, now=now,
            )  # fmt: skip
            await session.flush()
        return await _result(session, own)


# --- "Log a reflection" ------------------------------------------------------------


@dataclass(frozen=True)
class ReflectionTarget:
    program_id: int
    pair_id: int
    partner_names: list[str]


async def get_reflection_target(
    sessions: Sessions, *, team_id: str, user_id: str, checkin_id: int
) -> ReflectionTarget | None:
    """The pair a check-in's "Log a reflection" is about; None for someone else's."""
    async with sessions() as session, session.begin():
        own = await _get_own(session, team_id=team_id, user_id=user_id, checkin_id=checkin_id)
        if own is None:
            return None
        await _mark_clicked(session, own.person)
        names = [own.partner.name] if own.partner and own.partner.name else []
        return ReflectionTarget(own.program.id, own.pair.id, names)


# --- "I need help" -----------------------------------------------------------------


async def get_help_program(
    sessions: Sessions, *, team_id: str, user_id: str, checkin_id: int
) -> str | None:
    """The program name for the help modal; None for someone else's check-in."""
    async with sessions() as session, session.begin():
        own = await _get_own(session, team_id=team_id, user_id=user_id, checkin_id=checkin_id)
        if own is None:
            return None
        await _mark_clicked(session, own.person)
        return own.program.name


async def record_help_request(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    checkin_id: int,
    note: str,
    request_id: str,
    configured_admins: frozenset[str],
    now: datetime,
) -> AnswerResult:
    """Tell the program admins privately (never the partner, even one who is an admin).

    `request_id` names the submission (its view id): the outbox keys carry it, so a
    double submit or a retry sends once, while a new request later is a new message.
    """
    async with sessions() as session, session.begin():
        own = await _get_own(session, team_id=team_id, user_id=user_id, checkin_id=checkin_id)
        if own is None:
            return _NOT_YOURS
        await _mark_clicked(session, own.person)
        checkin = own.checkin
        if checkin.help_requested_at is None:
            checkin.help_requested_at = now
        partner_user_id = own.partner.slack_user_id if own.partner else None
        admins = [
            a
            for a in await list_admin_user_ids(
                session, team_id=team_id, configured=configured_admins
            )
            if a != partner_user_id
        ]
        zones = dict(
            (
                await session.execute(
                    select(PersonRow.slack_user_id, PersonRow.timezone).where(
                        PersonRow.team_id == team_id, PersonRow.slack_user_id.in_(admins)
                    )
                )
            ).all()
        )
        payload = help_request_message(
            person_user_id=own.person.slack_user_id,
            partner_user_id=partner_user_id,
            program_name=own.program.name,
            note=note,
        )
        for admin in admins:
            zone = zones.get(admin)
            await enqueue_message(
                session,
                team_id=team_id,
                key=f"checkin-help:{checkin.id}:{request_id[:40]}:{admin}",
                channel=admin,
                payload=payload,
                # A private notice, not a nudge: still never in the admin's night.
                due_at=next_working_time(now, timezone=zone) if zone else now,
            )
        if not admins:
            logger.warning("help request on check-in %s: no admin to tell", checkin.id)
        await session.flush()
        logger.info("help request on check-in %s passed to %d admin(s)", checkin.id, len(admins))
        return await _result(session, own, reached_admins=len(admins))
