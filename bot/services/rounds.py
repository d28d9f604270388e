"""Pairing rounds: a preview stored as a DRAFT round, the admin's changes, and confirm.

A preview is a DRAFT round with DRAFT pairs and `round_unmatched` rows: nobody is
told anything until confirm. Re-running keeps the round's `adjustments` (pins,
exclusions) and replaces its pairs. Confirm is one conditional UPDATE of the round
(DRAFT → CONFIRMED): a second click, or Slack's retry of the first, finds nothing to
confirm. The round's pairs and every message they cause are written in that same
transaction.

The matching itself is CPU work: it runs in a thread (`asyncio.to_thread`) between two
short transactions, so neither the event loop nor a database lock waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions
from bot.db.people import schedulable
from bot.db.programs import get_program_weights
from bot.db.tables import (
    MembershipRow,
    PairRow,
    PersonRow,
    PersonSkillRow,
    ProgramRow,
    RosterEntryRow,
    RoundRow,
    RoundUnmatchedRow,
    SkillRow,
)
from bot.domain import CareerStage, MatchPriority, MembershipStatus, PairStatus, Role, RoundStatus
from bot.matching import Candidate, Constraints, MatchResult, Weights, match
from bot.services import consent, introductions, lifecycle
from bot.services.workspaces import live_team

logger = logging.getLogger(__name__)

# Rounds whose pairs count as "already paired" for the never-repeat rule.
_HELD = (RoundStatus.CONFIRMED.value, RoundStatus.ANNOUNCED.value)


@dataclass(frozen=True)
class Adjustments:
    """The admin's changes to a preview, by Slack user id (the matching's ids)."""

    pinned: tuple[tuple[str, str], ...] = ()
    excluded_pairs: tuple[tuple[str, str], ...] = ()
    excluded_people: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: dict[str, Any] | None) -> Adjustments:
        raw = raw or {}

        def pairs(key: str) -> tuple[tuple[str, str], ...]:
            return tuple(
                (str(p[0]), str(p[1]))
                for p in raw.get(key) or []
                if isinstance(p, list | tuple) and len(p) == 2
            )

        return cls(
            pinned=pairs("pinned"),
            excluded_pairs=pairs("excluded_pairs"),
            excluded_people=tuple(str(p) for p in raw.get("excluded_people") or []),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "pinned": [list(p) for p in self.pinned],
            "excluded_pairs": [list(p) for p in self.excluded_pairs],
            "excluded_people": list(self.excluded_people),
        }


@dataclass(frozen=True)
class RoundInput:
    """Everything the matching needs, read in one short transaction."""

    program_id: int
    round_id: int
    seed: int
    reference_date: date
    candidates: tuple[Candidate, ...]
    constraints: Constraints
    weights: Weights
    person_ids: dict[str, int]  # Slack user id → people.id


@dataclass(frozen=True)
class Preview:
    program: ProgramRow
    round_: RoundRow
    pairs: list[tuple[PairRow, PersonRow, PersonRow]]  # weakest first
    unmatched: list[tuple[RoundUnmatchedRow, PersonRow]]


class ConfirmOutcome:
    CONFIRMED = "confirmed"
    NOTHING_TO_CONFIRM = "nothing_to_confirm"


@dataclass(frozen=True)
class Confirmed:
    outcome: str
    round_: RoundRow | None = None
    pairs: int = 0
    unmatched: int = 0


# --- reading -------------------------------------------------------------------------


async def list_programs(session: AsyncSession, team_id: str) -> list[ProgramRow]:
    rows = await session.scalars(
        select(ProgramRow)
        .where(ProgramRow.team_id == team_id)
        .order_by(ProgramRow.is_default.desc(), ProgramRow.name)
    )
    return list(rows)


async def get_round(session: AsyncSession, team_id: str, round_id: int) -> RoundRow | None:
    round_ = await session.get(RoundRow, round_id)
    return round_ if round_ is not None and round_.team_id == team_id else None


async def _last_held_round(session: AsyncSession, program_id: int) -> RoundRow | None:
    return await session.scalar(
        select(RoundRow)
        .where(RoundRow.program_id == program_id, RoundRow.status.in_(_HELD))
        .order_by(RoundRow.number.desc())
        .limit(1)
    )


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def get_round_due(session: AsyncSession, program: ProgramRow) -> datetime | None:
    """When the program's next round is due: its start for round 1, then the previous
    round's end. None when round 1 has no start date."""
    last = await _last_held_round(session, program.id)
    if last is not None:
        return last.ends_at
    return _midnight(program.starts_on) if program.starts_on else None


async def _get_draft(session: AsyncSession, program_id: int) -> RoundRow | None:
    return await session.scalar(
        select(RoundRow).where(
            RoundRow.program_id == program_id, RoundRow.status == RoundStatus.DRAFT.value
        )
    )


async def _get_or_create_draft(
    session: AsyncSession, program: ProgramRow, *, created_by: str | None, now: datetime
) -> RoundRow:
    draft = await _get_draft(session, program.id)
    if draft is not None:
        return draft
    numbers = select(func.max(RoundRow.number)).where(RoundRow.program_id == program.id)
    number = int(await session.scalar(numbers) or 0) + 1
    due = await get_round_due(session, program)
    starts_at = max(due, now) if due is not None else now
    draft = RoundRow(
        team_id=program.team_id,
        program_id=program.id,
        number=number,
        status=RoundStatus.DRAFT.value,
        seed=number,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(weeks=program.round_weeks),
        created_by=created_by,
        created_at=now,
        adjustments=Adjustments().to_json(),
    )
    session.add(draft)
    await session.flush()
    return draft


async def _read_input(session: AsyncSession, program: ProgramRow, round_: RoundRow) -> RoundInput:
    """Candidates: active, schedulable members with a career stage; skills from the
    program's catalogue; managers from the profile (or the HR roster); previous partners
    from the program's earlier rounds and the roster."""
    rows = (
        await session.execute(
            select(MembershipRow, PersonRow)
            .join(PersonRow, PersonRow.id == MembershipRow.person_id)
            .where(
                MembershipRow.program_id == program.id,
                MembershipRow.status == MembershipStatus.ACTIVE.value,
                PersonRow.career_stage.is_not(None),
                schedulable(),
            )
            .order_by(PersonRow.id)
        )
    ).all()
    people = {person.id: (membership, person) for membership, person in rows}

    skills: dict[tuple[int, str], list[str]] = defaultdict(list)
    skill_rows = await session.execute(
        select(PersonSkillRow.person_id, PersonSkillRow.kind, SkillRow.name)
        .join(SkillRow, SkillRow.id == PersonSkillRow.skill_id)
        .where(SkillRow.program_id == program.id, SkillRow.retired.is_(False))
        .order_by(SkillRow.name)
    )
    for person_id, kind, name in skill_rows.all():
        skills[(person_id, kind)].append(name)

    roster = {
        entry.slack_user_id: entry
        for entry in await session.scalars(
            select(RosterEntryRow).where(RosterEntryRow.program_id == program.id)
        )
    }

    # Earlier pairs of the program never meet again, unless both asked to continue at
    # their latest pairing: then they are kept together (pinned, below).
    slack_of = {pid: person.slack_user_id for pid, (_m, person) in people.items()}
    previous: dict[str, set[str]] = defaultdict(set)
    for a, b in await lifecycle.list_excluded_pairs(session, program_id=program.id):
        if a in slack_of and b in slack_of:
            previous[slack_of[a]].add(slack_of[b])
            previous[slack_of[b]].add(slack_of[a])
    continuing = [
        (slack_of[mentor], slack_of[mentee])
        for mentor, mentee in await lifecycle.list_continuing_pairs(session, program_id=program.id)
        if mentor in slack_of and mentee in slack_of
    ]
    for slack_id, roster_entry in roster.items():
        for other in roster_entry.previous_partners:
            previous[slack_id].add(other)
            previous[other].add(slack_id)

    # Someone still with a partner of an earlier round (proposed or introduced) sits
    # this round out: a round made before the last one ended tops it up, it never
    # gives anyone a second partner. Round ends free them (`lifecycle`).
    taken = (
        await session.execute(
            select(PairRow.mentor_id, PairRow.mentee_id)
            .join(RoundRow, RoundRow.id == PairRow.round_id)
            .where(
                PairRow.program_id == program.id,
                RoundRow.status.in_(_HELD),
                PairRow.status.in_([PairStatus.PROPOSED.value, PairStatus.ACTIVE.value]),
            )
        )
    ).all()
    busy = {i for pair in taken for i in pair if i is not None}
    candidates: list[Candidate] = []
    rematch: set[str] = set()
    for person_id, (membership, person) in people.items():
        if person_id in busy:
            continue
        entry = roster.get(person.slack_user_id)
        manager = person.manager_slack_id or (entry.manager_slack_id if entry else None)
        if membership.wants_rematch:
            rematch.add(person.slack_user_id)
        candidates.append(
            Candidate(
                id=person.slack_user_id,
                role=Role(membership.role),
                career_stage=CareerStage(person.career_stage or 1),
                name=person.name,
                department=person.department or (entry.department if entry else ""),
                manager_id=manager,
                timezone=person.timezone,
                teaches=tuple(skills[(person_id, "teach")]),
                wants=tuple(skills[(person_id, "learn")]),
                max_mentees=membership.max_mentees,
                previous_partners=frozenset(previous[person.slack_user_id]),
            )
        )
    present = {c.id for c in candidates}
    adjustments = Adjustments.parse(round_.adjustments)
    excluded = set(adjustments.excluded_people)
    # Continuing pairs are kept (as pins) unless either asked for a re-match since.
    pins = [p for p in adjustments.pinned if p[0] in present and p[1] in present]
    pinned_people = {i for p in pins for i in p}
    for mentor, mentee in continuing:
        kept = {mentor, mentee} & (rematch | excluded | pinned_people)
        if not kept and mentor in present and mentee in present:
            pins.append((mentor, mentee))
            pinned_people |= {mentor, mentee}
    pins = [p for p in pins if not set(p) & excluded]
    constraints = Constraints(
        min_stage_gap=max(1, min(4, program.min_stage_gap)),
        pinned=tuple(pins),
        excluded_pairs=adjustments.excluded_pairs,
        excluded_ids=frozenset(excluded & present),
        priority=MatchPriority(program.priority),
        min_shared_skills=program.min_shared_skills,
        min_overlap_hours=program.min_overlap_hours,
        time_limit=program.match_time_limit,
    )
    return RoundInput(
        program_id=program.id,
        round_id=round_.id,
        seed=round_.seed,
        reference_date=round_.starts_at.date(),
        candidates=tuple(candidates),
        constraints=constraints,
        weights=get_program_weights(program),
        person_ids={person.slack_user_id: pid for pid, (_m, person) in people.items()},
    )


def _solve(data: RoundInput) -> MatchResult:
    return match(
        data.candidates,
        data.constraints,
        data.weights,
        seed=data.seed,
        reference_date=data.reference_date,
        clock=time.monotonic,  # only bounds the search for `either` people's sides
    )


def _summary_json(result: MatchResult) -> dict[str, Any]:
    s = result.summary
    costs = [
        {"rule": c.rule.value, "extra_pairs": c.extra_pairs, "extra_score": round(c.extra_score, 1)}
        for c in s.constraint_costs or ()
        if c.extra_pairs or c.extra_score
    ]
    return {
        "people": s.people,
        "pairs": s.pairs,
        "people_matched": s.people_matched,
        "unmatched": s.unmatched,
        "total_score": s.total_score,
        "optimal": s.optimal,
        "constraint_costs": costs,
        "costs_known": s.constraint_costs is not None,
        "notes": list(s.notes),
    }


# --- writing the preview -------------------------------------------------------------


async def _store_result(
    session: AsyncSession, round_: RoundRow, data: RoundInput, result: MatchResult, *, now: datetime
) -> None:
    await session.execute(delete(PairRow).where(PairRow.round_id == round_.id))
    await session.execute(delete(RoundUnmatchedRow).where(RoundUnmatchedRow.round_id == round_.id))
    ids = data.person_ids
    session.add_all(
        PairRow(
            team_id=round_.team_id,
            program_id=round_.program_id,
            round_id=round_.id,
            mentor_id=ids[p.mentor_id],
            mentee_id=ids[p.mentee_id],
            score=p.score,
            shared_skills=list(p.shared_skills),
            reasons=list(p.reasons),
            status=PairStatus.DRAFT.value,
            pinned=p.pinned,
            created_at=now,
        )
        for p in result.pairs
    )
    session.add_all(
        RoundUnmatchedRow(
            team_id=round_.team_id, round_id=round_.id, person_id=ids[u.id], reason=u.reason
        )
        for u in result.unmatched
        if u.id in ids
    )
    round_.summary = _summary_json(result)
    await session.flush()


async def preview_round(
    sessions: Sessions,
    *,
    team_id: str,
    program_id: int,
    created_by: str | None,
    now: datetime,
    change: Adjustments | None = None,
) -> RoundRow | None:
    """Compute (or re-compute) the program's DRAFT round; `change` adds adjustments first.

    None when the program is not this workspace's.
    """
    async with sessions() as session, session.begin():
        program = await session.get(ProgramRow, program_id)
        if program is None or program.team_id != team_id:
            return None
        round_ = await _get_or_create_draft(session, program, created_by=created_by, now=now)
        if change is not None:
            round_.adjustments = _merge(Adjustments.parse(round_.adjustments), change).to_json()
        data = await _read_input(session, program, round_)
        round_id = round_.id
    result = await asyncio.to_thread(_solve, data)
    async with sessions() as session, session.begin():
        stored = await session.get(RoundRow, round_id)
        if stored is None or stored.status != RoundStatus.DRAFT.value:
            return stored  # confirmed (or cancelled) while we computed: leave it be
        await _store_result(session, stored, data, result, now=now)
        logger.info(
            "round %s previewed: %d pairs, %d unmatched",
            round_id,
            result.summary.pairs,
            result.summary.unmatched,
        )
        return stored


def _merge(old: Adjustments, change: Adjustments) -> Adjustments:
    def same(a: tuple[str, str], b: tuple[str, str]) -> bool:
        return set(a) == set(b)

    excluded_pairs = list(old.excluded_pairs)
    excluded_pairs += [
        p for p in change.excluded_pairs if not any(same(p, q) for q in old.excluded_pairs)
    ]
    excluded_people = list(dict.fromkeys([*old.excluded_people, *change.excluded_people]))
    pinned = [*old.pinned, *(p for p in change.pinned if p not in old.pinned)]
    # An exclusion wins over an earlier pin of the same pair or person.
    pinned = [
        p
        for p in pinned
        if not any(same(p, q) for q in excluded_pairs) and not set(p) & set(excluded_people)
    ]
    return Adjustments(tuple(pinned), tuple(excluded_pairs), tuple(excluded_people))


async def get_pair_people(
    session: AsyncSession, team_id: str, pair_id: int
) -> tuple[PairRow, PersonRow, PersonRow] | None:
    pair = await session.get(PairRow, pair_id)
    if pair is None or pair.team_id != team_id or pair.mentor_id is None or pair.mentee_id is None:
        return None
    mentor = await session.get(PersonRow, pair.mentor_id)
    mentee = await session.get(PersonRow, pair.mentee_id)
    if mentor is None or mentee is None:
        return None
    return pair, mentor, mentee


async def build_adjustment(
    sessions: Sessions, *, team_id: str, round_id: int, kind: str, pair_id: int | None = None,
    user_id: str | None = None,
) -> Adjustments | None:  # fmt: skip
    """The change an admin asked for in a DRAFT round's preview, by Slack ids.

    `kind`: "pin" or "exclude" (a pair), "exclude_mentor" / "exclude_mentee" (one of a
    pair's people), "exclude_person" (`user_id`). None when it names nothing of this
    workspace's draft.
    """
    async with sessions() as session:
        round_ = await get_round(session, team_id, round_id)
        if round_ is None or round_.status != RoundStatus.DRAFT.value:
            return None
        if kind == "exclude_person":
            return Adjustments(excluded_people=(user_id,)) if user_id else None
        if pair_id is None:
            return None
        found = await get_pair_people(session, team_id, pair_id)
        if found is None or found[0].round_id != round_id:
            return None
        _pair, mentor, mentee = found
        ids = (mentor.slack_user_id, mentee.slack_user_id)
        return {
            "pin": Adjustments(pinned=(ids,)),
            "exclude": Adjustments(excluded_pairs=(ids,)),
            "exclude_mentor": Adjustments(excluded_people=(ids[0],)),
            "exclude_mentee": Adjustments(excluded_people=(ids[1],)),
        }.get(kind)


async def load_preview(sessions: Sessions, *, team_id: str, round_id: int) -> Preview | None:
    """A round with its pairs (weakest first) and unmatched people, for the modal."""
    async with sessions() as session:
        round_ = await get_round(session, team_id, round_id)
        if round_ is None:
            return None
        program = await session.get(ProgramRow, round_.program_id)
        assert program is not None
        people: dict[int, PersonRow] = {}
        pairs = list(
            await session.scalars(
                select(PairRow)
                .where(PairRow.round_id == round_id)
                .order_by(PairRow.score, PairRow.id)
            )
        )
        unmatched = list(
            await session.scalars(
                select(RoundUnmatchedRow)
                .where(RoundUnmatchedRow.round_id == round_id)
                .order_by(RoundUnmatchedRow.id)
            )
        )
        wanted = {p.mentor_id for p in pairs} | {p.mentee_id for p in pairs}
        wanted |= {u.person_id for u in unmatched}
        wanted.discard(None)
        if wanted:
            for person in await session.scalars(select(PersonRow).where(PersonRow.id.in_(wanted))):
                people[person.id] = person
        return Preview(
            program=program,
            round_=round_,
            pairs=[
                (p, people[p.mentor_id], people[p.mentee_id])
                for p in pairs
                if p.mentor_id in people and p.mentee_id in people
            ],
            unmatched=[(u, people[u.person_id]) for u in unmatched if u.person_id in people],
        )


# --- confirm ---------------------------------------------------------------------------


async def confirm_round(
    sessions: Sessions, *, team_id: str, round_id: int, now: datetime
) -> Confirmed:
    """DRAFT → CONFIRMED once, with the pairs, introductions (or consent questions),
    unmatched notes and the channel announcement in the same transaction."""
    async with sessions() as session, session.begin():
        return await confirm_in(session, team_id=team_id, round_id=round_id, now=now)


async def confirm_in(
    session: AsyncSession, *, team_id: str, round_id: int, now: datetime
) -> Confirmed:
    changed = await session.execute(
        update(RoundRow)
        .where(
            RoundRow.id == round_id,
            RoundRow.team_id == team_id,
            RoundRow.status == RoundStatus.DRAFT.value,
        )
        .values(status=RoundStatus.CONFIRMED.value, confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return Confirmed(ConfirmOutcome.NOTHING_TO_CONFIRM)
    round_ = await session.get(RoundRow, round_id, populate_existing=True)
    assert round_ is not None
    program = await session.get(ProgramRow, round_.program_id)
    assert program is not None
    pairs = list(
        await session.scalars(
            select(PairRow).where(PairRow.round_id == round_id).order_by(PairRow.id)
        )
    )
    unmatched = list(
        await session.scalars(
            select(RoundUnmatchedRow).where(RoundUnmatchedRow.round_id == round_id)
        )
    )
    paired_people = {p.mentor_id for p in pairs} | {p.mentee_id for p in pairs}
    # A re-match asked for (fit check) is granted by this round: the flag is spent.
    if paired_people:
        await session.execute(
            update(MembershipRow)
            .where(
                MembershipRow.program_id == program.id,
                MembershipRow.person_id.in_([p for p in paired_people if p is not None]),
            )
            .values(wants_rematch=False)
            .execution_options(synchronize_session=False)
        )
    if program.consent_required:
        for pair in pairs:
            pair.status = PairStatus.PROPOSED.value
            pair.consent_due_at = now + timedelta(hours=program.consent_hours)
        await session.flush()
        await consent.enqueue_proposals(
            session, program=program, round_=round_, pairs=pairs, now=now
        )
    else:
        await introductions.enqueue_introductions(
            session, program=program, round_=round_, pairs=pairs, now=now
        )
    await introductions.enqueue_round_notices(
        session, program=program, round_=round_, pairs=pairs, unmatched=unmatched, now=now
    )
    logger.info("round %s confirmed: %d pairs, %d unmatched", round_id, len(pairs), len(unmatched))
    return Confirmed(ConfirmOutcome.CONFIRMED, round_, len(pairs), len(unmatched))


# --- automatic rounds ------------------------------------------------------------------


async def list_due_automatic_programs(sessions: Sessions, *, now: datetime) -> list[ProgramRow]:
    async with sessions() as session:
        programs = list(
            await session.scalars(
                select(ProgramRow).where(
                    ProgramRow.pairs_automatically.is_(True),
                    ProgramRow.is_open.is_(True),
                    live_team(ProgramRow.team_id),
                )
            )
        )
        due = []
        for program in programs:
            when = await get_round_due(session, program)
            if when is not None and when <= now:
                due.append(program)
        return due


async def run_automatic_round(
    sessions: Sessions, *, program: ProgramRow, admin_ids: frozenset[str], now: datetime
) -> Confirmed:
    """Preview and confirm at once; the admins get the summary by DM (outbox)."""
    draft = await preview_round(
        sessions, team_id=program.team_id, program_id=program.id, created_by=None, now=now
    )
    if draft is None:
        return Confirmed(ConfirmOutcome.NOTHING_TO_CONFIRM)
    async with sessions() as session, session.begin():
        confirmed = await confirm_in(session, team_id=program.team_id, round_id=draft.id, now=now)
        if confirmed.round_ is not None:
            await introductions.enqueue_admin_summaries(
                session, program=program, round_=confirmed.round_, admin_ids=admin_ids, now=now
            )
        return confirmed
