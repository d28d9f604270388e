"""Sending check-ins: rows written ahead, swept when due, one DM per person.

A pair's check-in rows are written one period ahead (SCHEDULED, due at
`checkin_plan.plan_due_at`); `sweep_checkins` takes the due ones through the
`ix_checkins_due` index, decides each (sent, or SKIPPED with a short reason), and
writes the next period. What is sent is grouped by person, so a person in two
programs, or a reverse mentor with two leaders, gets one combined DM: their other
check-ins due within half a period are pulled into it.

Exactly once: the due rows are locked FOR UPDATE SKIP LOCKED (PostgreSQL), so two
processes ticking at once take different rows; the conditional UPDATE scheduled ->
sent is the guard on every database (SQLite serialises writers at BEGIN IMMEDIATE);
and the outbox key is unique.

Ghosts: a DM none of whose check-ins got any answer (no click, no help request, no
meeting recorded by either partner) counts as ignored. Any click resets
`people.ignored_checkins` (the buttons' listeners do that); at three in a row the
next DM is not sent: the person is paused and told why, kindly, with one button to
resume.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.db.engine import Sessions
from bot.db.people import list_memberships
from bot.db.tables import CheckinRow, MembershipRow, PairRow, PersonRow, ProgramRow, RoundRow
from bot.delivery import Outgoing, enqueue_message, enqueue_messages
from bot.domain import CheckinAnswer, CheckinStatus, MembershipStatus, PairStatus
from bot.services.checkin_plan import pair_cadence_days, plan_due_at
from bot.services.pauses import pause_memberships
from bot.services.workspaces import live_team
from bot.slack.views.checkin_notices import checkins_paused_message
from bot.slack.views.checkins import CheckinItem, checkin_message
from bot.worktime import is_timely, pair_cadence

logger = logging.getLogger(__name__)

BATCH = 2000  # due rows per query (and per transaction)
GHOST_LIMIT = 3  # check-in DMs ignored in a row before the person is paused

# Why a row was never sent (checkins.skip_reason).
PAIR_ENDED = "pair ended"
INACTIVE = "inactive"
LEFT = "left"
PAUSED = "paused"
PARTNER_MET = "partner recorded a meeting"
STALE = "stale"
THREE_UNANSWERED = "three unanswered"

REMINDED = (CheckinAnswer.NOT_YET.value, CheckinAnswer.SNOOZED.value)


def checkin_key(person_id: int, first_checkin_id: int) -> str:
    return f"checkin:{person_id}:{first_checkin_id}"


def reminder_key(person_id: int, first_checkin_id: int, reminders: int) -> str:
    return f"checkin-reminder:{person_id}:{first_checkin_id}:{reminders}"


# --- the first period, at the intro ------------------------------------------------


async def schedule_first_checkins(
    session: AsyncSession,
    *,
    pair: PairRow,
    program: ProgramRow,
    people: Mapping[int, PersonRow],
    after: datetime | None = None,
) -> None:
    """Fix the pair's cadence and write both partners' first check-ins (SCHEDULED), in
    the caller's transaction; `pair.introduced_at` must be set. `people`: by id.

    With `after`, each partner's first period is the first one due after it (a pair
    introduced before check-ins existed starts at its next period, not a stale one).
    """
    partner_ids = [i for i in (pair.mentor_id, pair.mentee_id) if i is not None]
    cadences = dict(
        (
            await session.execute(
                select(MembershipRow.person_id, MembershipRow.cadence_days).where(
                    MembershipRow.program_id == program.id,
                    MembershipRow.person_id.in_(partner_ids),
                )
            )
        ).all()
    )
    pair.cadence_days = pair_cadence(
        program_days=program.cadence_days,
        mentor_days=cadences.get(pair.mentor_id) if pair.mentor_id else None,
        leader_days=cadences.get(pair.mentee_id) if pair.mentee_id else None,
    )
    ends_at = await session.scalar(select(RoundRow.ends_at).where(RoundRow.id == pair.round_id))
    for person_id in partner_ids:
        person = people[person_id]
        sequence = 1
        due_at = plan_due_at(pair, program, person, sequence)
        while after is not None and due_at <= after:
            sequence += 1
            due_at = plan_due_at(pair, program, person, sequence)
        if ends_at is None or due_at < ends_at:
            session.add(_scheduled(pair, person, sequence, due_at))


async def plan_unplanned_pairs(sessions: Sessions, *, now: datetime) -> int:
    """Decision sweep: active pairs introduced before check-ins existed (no cadence
    fixed yet) get their next periods planned. Found through ix_pairs_unplanned, so
    once they are planned the sweep reads nothing. Returns how many pairs."""
    async with sessions() as session, session.begin():
        found = (
            await session.execute(
                select(PairRow, ProgramRow)
                .join(ProgramRow, ProgramRow.id == PairRow.program_id)
                .where(
                    PairRow.status == PairStatus.ACTIVE.value,
                    PairRow.cadence_days.is_(None),
                    PairRow.introduced_at.is_not(None),
                    live_team(PairRow.team_id),
                )
                .limit(BATCH)
                .with_for_update(of=PairRow, skip_locked=True)
            )
        ).all()
        ids = {i for pair, _ in found for i in (pair.mentor_id, pair.mentee_id) if i}
        people = {
            p.id: p for p in await session.scalars(select(PersonRow).where(PersonRow.id.in_(ids)))
        }
        for pair, program in found:
            await schedule_first_checkins(
                session, pair=pair, program=program, people=people, after=now
            )
    return len(found)


def _scheduled(pair: PairRow, person: PersonRow, sequence: int, due_at: datetime) -> CheckinRow:
    return CheckinRow(
        team_id=pair.team_id,
        pair_id=pair.id,
        person_id=person.id,
        sequence=sequence,
        due_at=due_at,
        status=CheckinStatus.SCHEDULED.value,
        reminders=0,
    )


# --- what a row needs to be decided ------------------------------------------------


@dataclass
class _Context:
    """The rows a batch's check-ins refer to, loaded a few queries at a time."""

    pairs: dict[int, PairRow] = field(default_factory=dict)
    programs: dict[int, ProgramRow] = field(default_factory=dict)
    ends_at: dict[int, datetime] = field(default_factory=dict)  # by round id
    people: dict[int, PersonRow] = field(default_factory=dict)
    memberships: dict[tuple[int, int], MembershipRow] = field(default_factory=dict)

    def partner(self, row: CheckinRow) -> PersonRow | None:
        pair = self.pairs[row.pair_id]
        partner_id = pair.mentee_id if row.person_id == pair.mentor_id else pair.mentor_id
        return self.people.get(partner_id) if partner_id is not None else None

    def membership(self, row: CheckinRow) -> MembershipRow | None:
        if row.person_id is None:
            return None
        return self.memberships.get((self.pairs[row.pair_id].program_id, row.person_id))

    async def load(self, session: AsyncSession, rows: Iterable[CheckinRow]) -> None:
        """Load what `rows` refer to and is not loaded yet: at most five queries."""
        pair_ids = {r.pair_id for r in rows} - self.pairs.keys()
        if pair_ids:
            found = await session.execute(
                select(PairRow, RoundRow.ends_at)
                .join(RoundRow, RoundRow.id == PairRow.round_id)
                .where(PairRow.id.in_(pair_ids))
            )
            for pair, ends_at in found.all():
                self.pairs[pair.id] = pair
                self.ends_at[pair.round_id] = ends_at
            # Apart: a handful of programs, not one copy per pair.
            program_ids = {self.pairs[i].program_id for i in pair_ids} - self.programs.keys()
            if program_ids:
                programs = await session.scalars(
                    select(ProgramRow).where(ProgramRow.id.in_(program_ids))
                )
                self.programs.update((p.id, p) for p in programs)
        rows_pairs = [self.pairs[pair_id] for pair_id in {r.pair_id for r in rows}]
        wanted = {i for p in rows_pairs for i in (p.mentor_id, p.mentee_id) if i is not None}
        missing = wanted - self.people.keys()
        if missing:
            found_people = await session.scalars(select(PersonRow).where(PersonRow.id.in_(missing)))
            self.people.update((p.id, p) for p in found_people)
        # The recipients' memberships (not their partners'), by (program, person): a
        # person already loaded for one program may be new to this one (the second
        # program of a combined check-in).
        needed = {
            (self.pairs[r.pair_id].program_id, r.person_id) for r in rows if r.person_id
        } - self.memberships.keys()
        if not needed:
            return
        found_memberships = await session.scalars(
            select(MembershipRow).where(
                MembershipRow.person_id.in_({i for _, i in needed}),
                MembershipRow.program_id.in_({program for program, _ in needed}),
            )
        )
        for membership in found_memberships:
            self.memberships[(membership.program_id, membership.person_id)] = membership


def skip_reason(
    row: CheckinRow,
    *,
    pair: PairRow,
    person: PersonRow | None,
    partner: PersonRow | None,
    membership: MembershipRow | None,
    at: datetime,
    now: datetime,
) -> str | None:
    """Why a check-in (due at `at`, the reminder's time for a reminder) is not sent
    now; None: send it. Pure. The order is the order of the record's precedence."""
    if pair.status != PairStatus.ACTIVE.value or partner is None:
        return PAIR_ENDED
    if person is None or not person.is_active:
        return INACTIVE
    if membership is None or membership.status == MembershipStatus.LEFT.value:
        return LEFT
    if membership.status == MembershipStatus.PAUSED.value:
        return PAUSED
    if row.status == CheckinStatus.SCHEDULED.value and row.answer is not None:
        return PARTNER_MET
    if not is_timely(at, now, timezone=person.timezone):
        return STALE
    return None


def _reason(context: _Context, row: CheckinRow, *, at: datetime, now: datetime) -> str | None:
    return skip_reason(
        row,
        pair=context.pairs[row.pair_id],
        person=context.people.get(row.person_id) if row.person_id else None,
        partner=context.partner(row),
        membership=context.membership(row),
        at=at,
        now=now,
    )


def _item(context: _Context, row: CheckinRow) -> CheckinItem:
    pair = context.pairs[row.pair_id]
    partner = context.partner(row)
    assert partner is not None  # a row without a partner is skipped as "pair ended"
    return CheckinItem(
        checkin_id=row.id,
        program_name=context.programs[pair.program_id].name,
        partner_user_id=partner.slack_user_id,
        first=row.sequence == 1,
    )


def _next_period(context: _Context, row: CheckinRow) -> dict[str, Any] | None:
    """The row's next period (the values of a SCHEDULED row), while the pair lasts and
    its round has not ended by then; None otherwise."""
    pair = context.pairs[row.pair_id]
    person = context.people.get(row.person_id) if row.person_id else None
    if pair.status != PairStatus.ACTIVE.value or person is None:
        return None
    program = context.programs[pair.program_id]
    due_at = plan_due_at(pair, program, person, row.sequence + 1)
    if due_at >= context.ends_at[pair.round_id]:
        return None
    return {
        "team_id": pair.team_id,
        "pair_id": pair.id,
        "person_id": person.id,
        "sequence": row.sequence + 1,
        "due_at": due_at,
        "status": CheckinStatus.SCHEDULED.value,
        "reminders": 0,
    }


def _skip(row: CheckinRow, reason: str) -> None:
    row.status = CheckinStatus.SKIPPED.value
    row.skip_reason = reason


# --- the sweep ----------------------------------------------------------------------


async def sweep_checkins(sessions: Sessions, *, now: datetime) -> int:
    """Decision sweep: send (or skip, with the reason) every check-in due by `now`,
    and write each one's next period. Returns how many check-ins were queued."""
    return await _in_batches(sessions, _sweep_batch, now=now)


async def _in_batches(
    sessions: Sessions,
    batch: Callable[..., Awaitable[tuple[int, int]]],
    *,
    now: datetime,
) -> int:
    """Run `batch` (handled, sent) a transaction at a time until one has less than
    BATCH rows to handle; how many check-ins were sent."""
    sent_total = 0
    while True:
        async with sessions() as session, session.begin():
            handled, sent = await batch(session, now=now)
        sent_total += sent
        if handled < BATCH:
            return sent_total


async def _sweep_batch(session: AsyncSession, *, now: datetime) -> tuple[int, int]:
    due = list(
        await session.scalars(
            select(CheckinRow)
            .where(
                CheckinRow.status == CheckinStatus.SCHEDULED.value,
                CheckinRow.due_at <= now,
                live_team(CheckinRow.team_id),
            )
            .order_by(CheckinRow.due_at, CheckinRow.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    if not due:
        return 0, 0
    context = _Context()
    await context.load(session, due)
    outgoing: dict[int, list[CheckinRow]] = defaultdict(list)  # by person id
    stale = 0
    for row in due:
        reason = _reason(context, row, at=row.due_at, now=now)
        if reason is None:
            assert row.person_id is not None
            outgoing[row.person_id].append(row)
        else:
            _skip(row, reason)
            stale += reason == STALE
    if stale:
        logger.info("check-ins: %d stale (due before the last working day ended) skipped", stale)
    pulled = await _pull_forward(session, context, outgoing, now=now)
    ghosts = await _count_ignored(session, context, outgoing, now=now)
    for person_id in sorted(ghosts):
        await _pause_ghost(session, context.people[person_id], outgoing.pop(person_id), now=now)
    sent = await _claim(session, outgoing, now=now)
    messages = [
        _checkin_dm(context, context.people[person_id], rows, now=now)
        for person_id, rows in sorted(outgoing.items())
    ]
    await _queue(session, outgoing, messages, keys_written=True)
    following = [
        values
        for row in [*due, *pulled]
        if row.status != CheckinStatus.SCHEDULED.value
        and (values := _next_period(context, row)) is not None
    ]
    if following:  # on the table: thousands of rows without the ORM's per-row work
        await session.execute(insert(cast(Table, CheckinRow.__table__)), following)
    return len(due), sent


async def _pull_forward(
    session: AsyncSession,
    context: _Context,
    outgoing: dict[int, list[CheckinRow]],
    *,
    now: datetime,
) -> list[CheckinRow]:
    """Add to each person's DM their other check-ins due within half of that row's
    pair cadence: one combined DM, not one per program or per partner."""
    if not outgoing:
        return []
    later = list(
        await session.scalars(
            select(CheckinRow)
            .where(
                CheckinRow.status == CheckinStatus.SCHEDULED.value,
                CheckinRow.person_id.in_(list(outgoing)),
                CheckinRow.due_at > now,
            )
            .order_by(CheckinRow.id)
            .with_for_update(skip_locked=True)
        )
    )
    await context.load(session, later)
    pulled = []
    for row in later:
        pair = context.pairs[row.pair_id]
        half = timedelta(days=pair_cadence_days(pair, context.programs[pair.program_id]) / 2)
        if row.due_at <= now + half and _reason(context, row, at=row.due_at, now=now) is None:
            assert row.person_id is not None
            outgoing[row.person_id].append(row)
            pulled.append(row)
    return pulled


async def _count_ignored(
    session: AsyncSession,
    context: _Context,
    outgoing: Mapping[int, list[CheckinRow]],
    *,
    now: datetime,
) -> set[int]:
    """Count each person's previous check-in DM (the rows sent last, together) if it
    went unanswered; the people who reach GHOST_LIMIT by it."""
    if not outgoing:
        return set()
    latest = (
        select(CheckinRow.person_id, func.max(CheckinRow.sent_at).label("sent_at"))
        .where(
            CheckinRow.person_id.in_(list(outgoing)),
            CheckinRow.status == CheckinStatus.SENT.value,
        )
        .group_by(CheckinRow.person_id)
        .subquery()
    )
    previous = await session.execute(
        select(
            CheckinRow.person_id,
            CheckinRow.sent_at,
            CheckinRow.answer,
            CheckinRow.answered_at,
            CheckinRow.help_requested_at,
        ).join(
            latest,
            and_(
                CheckinRow.person_id == latest.c.person_id,
                CheckinRow.sent_at == latest.c.sent_at,
            ),
        )
    )
    answered: dict[int, bool] = {}
    for person_id, sent_at, answer, answered_at, help_at in previous.all():
        if person_id is None or (sent_at is not None and sent_at >= now):
            continue  # sent by this very sweep: not a previous DM
        touched = answer is not None or answered_at is not None or help_at is not None
        answered[person_id] = answered.get(person_id, False) or touched
    ghosts = set()
    for person_id, was_answered in answered.items():
        if was_answered:
            continue
        person = context.people[person_id]
        person.ignored_checkins += 1
        if person.ignored_checkins >= GHOST_LIMIT:
            ghosts.add(person_id)
    return ghosts


async def _pause_ghost(
    session: AsyncSession, person: PersonRow, rows: list[CheckinRow], *, now: datetime
) -> None:
    """Three unanswered in a row: pause them everywhere instead of asking a fourth time."""
    current = await list_memberships(session, person.id, current_only=True, for_update=True)
    active = [m for m, _p in current if m.status == MembershipStatus.ACTIVE.value]
    await pause_memberships(session, person, active, until=None)
    person.ignored_checkins = 0
    for row in rows:
        _skip(row, THREE_UNANSWERED)
    first = min(r.id for r in rows)
    await enqueue_message(
        session,
        team_id=person.team_id,
        key=f"checkin-paused:{person.id}:{first}",
        channel=person.slack_user_id,
        payload=checkins_paused_message(),
        due_at=now,
    )
    logger.info("person %s paused after %d unanswered check-ins", person.id, GHOST_LIMIT)


async def _claim(
    session: AsyncSession, outgoing: dict[int, list[CheckinRow]], *, now: datetime
) -> int:
    """scheduled -> sent, conditionally, each row given its DM's key in the same UPDATE
    (one write per row, not two): a row another process sent meanwhile is left out,
    and a person left with none gets no DM."""
    wanted = [r.id for rows in outgoing.values() for r in rows]
    if not wanted:
        return 0
    keys = {person: _first_key(person, rows) for person, rows in outgoing.items()}
    claimed = set(
        await session.scalars(
            update(CheckinRow)
            .where(
                CheckinRow.id.in_(wanted),
                CheckinRow.status == CheckinStatus.SCHEDULED.value,
            )
            .values(
                status=CheckinStatus.SENT.value,
                sent_at=now,
                message_key=case(keys, value=CheckinRow.person_id),
            )
            .returning(CheckinRow.id)
            .execution_options(synchronize_session=False)
        )
    )
    for person_id in list(outgoing):
        rows = outgoing[person_id] = [r for r in outgoing[person_id] if r.id in claimed]
        if not rows:
            del outgoing[person_id]
        elif _first_key(person_id, rows) != keys[person_id]:
            # Their first row went to another process, and its key with it: rekey.
            keys[person_id] = _first_key(person_id, rows)
            await session.execute(
                update(CheckinRow)
                .where(CheckinRow.id.in_([r.id for r in rows]))
                .values(message_key=keys[person_id])
                .execution_options(synchronize_session=False)
            )
    for person_id, rows in outgoing.items():
        for row in rows:  # what the UPDATE wrote, known to the session as written
            set_committed_value(row, "status", CheckinStatus.SENT.value)
            set_committed_value(row, "sent_at", now)
            set_committed_value(row, "message_key", keys[person_id])
    return len(claimed)


def _first_key(person_id: int, rows: Sequence[CheckinRow]) -> str:
    """A check-in DM's key: its person and the first check-in it carries."""
    return checkin_key(person_id, min(r.id for r in rows))


async def _queue(
    session: AsyncSession,
    outgoing: Mapping[int, list[CheckinRow]],
    messages: list[Outgoing],
    *,
    keys_written: bool = False,
) -> None:
    """The batch's DMs and (unless the claim wrote them) their keys on the rows:
    set-based writes, a statement per kind and not one per row (bench/tick.py: a busy
    tick queues 5,000 check-ins)."""
    await enqueue_messages(session, messages)
    if not keys_written:
        keys = [{"id": r.id, "message_key": r.message_key} for rs in outgoing.values() for r in rs]
        if keys:
            await session.execute(update(CheckinRow), keys)
    await session.flush()  # what else changed on the rows (skips, answers, counts)


def _checkin_dm(
    context: _Context,
    person: PersonRow,
    rows: Sequence[CheckinRow],
    *,
    now: datetime,
    reminders: int | None = None,
) -> Outgoing:
    """The DM carrying `rows` (a reminder when `reminders` is given); each row is
    marked with its key. Queued by the caller, the whole batch in one INSERT."""
    rows = sorted(rows, key=lambda r: r.id)
    if reminders is None:
        key = _first_key(person.id, rows)
    else:
        key = reminder_key(person.id, rows[0].id, reminders)
    for row in rows:  # written by the caller, with the others of the batch
        set_committed_value(row, "message_key", key)
    membership = context.membership(rows[0])
    return Outgoing(
        team_id=person.team_id,
        key=key,
        channel=person.slack_user_id,
        payload=checkin_message([_item(context, r) for r in rows], reminder=reminders is not None),
        due_at=now,
        membership_id=membership.id if membership else None,
        pair_id=rows[0].pair_id,
    )


# --- reminders ("Not yet", "Snooze a week") ----------------------------------------


async def sweep_checkin_reminders(sessions: Sessions, *, now: datetime) -> int:
    """Decision sweep: ask again, once per answer, the check-ins answered "not yet" or
    "snooze" whose reminder is due; one reminder DM per person. Returns how many
    check-ins were asked again."""
    return await _in_batches(sessions, _remind_batch, now=now)


async def _remind_batch(session: AsyncSession, *, now: datetime) -> tuple[int, int]:
    due = list(
        await session.scalars(
            select(CheckinRow)
            .where(
                CheckinRow.remind_at.is_not(None),
                CheckinRow.remind_at <= now,
                CheckinRow.status == CheckinStatus.SENT.value,
                CheckinRow.answer.in_(REMINDED),
                live_team(CheckinRow.team_id),
            )
            .order_by(CheckinRow.remind_at, CheckinRow.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    if not due:
        return 0, 0
    context = _Context()
    await context.load(session, due)
    outgoing: dict[int, list[CheckinRow]] = defaultdict(list)
    for row in due:
        assert row.remind_at is not None
        program = context.programs[context.pairs[row.pair_id].program_id]
        reason = _reason(context, row, at=row.remind_at, now=now)
        if reason is None and row.reminders >= program.reminders_per_period:
            reason = "no reminders left"
        if reason is not None:
            logger.info("check-in %s: reminder not sent (%s)", row.id, reason)
        else:
            assert row.person_id is not None
            outgoing[row.person_id].append(row)
        row.remind_at = None  # asked again now, or not at all
    messages = []
    for person_id, rows in sorted(outgoing.items()):
        rows.sort(key=lambda r: r.id)
        for row in rows:
            row.answer = None
            row.reminders += 1
        messages.append(
            _checkin_dm(
                context, context.people[person_id], rows, now=now, reminders=rows[0].reminders
            )
        )
    await _queue(session, outgoing, messages)
    return len(due), sum(len(rows) for rows in outgoing.values())
