"""Private reflections: written by one person, readable by them alone.

Every read of reflection text is keyed on the author (`author_id` in the WHERE): a
forged id of someone else's reflection finds nothing. Admins get counts and average
ratings per program (`list_reflection_stats`), never text. Logs carry ids only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions, reading
from bot.db.people import (
    get_person,
    list_active_partners,
    list_current_memberships,
    list_skills_of_people,
)
from bot.db.tables import (
    PairRow,
    PersonRow,
    ReflectionRow,
    ReflectionTopicRow,
    SkillRow,
)
from bot.learning_log import (
    LearningLog,
    LogEntry,
    PairChoice,
    ReflectionContext,
    ReflectionDraft,
    ReflectionStats,
    TopicChoice,
)
from bot.matching.overlap import resolve_zone
from bot.services.events import record_once
from bot.services.stories import invite_if_both_loved_it
from bot.slack.forms_reflections import ReflectionForm

logger = logging.getLogger(__name__)

TOPICS_OFFERED_MAX = 100  # a multi static select holds 100 options


class Gone:
    """The reflection asked for is not the caller's (deleted, or never theirs)."""


GONE = Gone()


def _first_name(name: str | None) -> str:
    parts = (name or "").split()
    return parts[0] if parts else ""


def _local_date(moment: datetime, zone_name: str) -> date:
    return moment.astimezone(resolve_zone(zone_name)).date()


async def _get_own_pair(session: AsyncSession, person_id: int, pair_id: int) -> PairRow | None:
    """The pair if the person is one of its two people (any status: a reflection on a
    pair that just ended still belongs to it), else None."""
    pair: PairRow | None = await session.scalar(
        select(PairRow).where(
            PairRow.id == pair_id,
            or_(PairRow.mentor_id == person_id, PairRow.mentee_id == person_id),
        )
    )
    return pair


async def _pair_choice(
    session: AsyncSession, person: PersonRow, pair: PairRow
) -> tuple[PairChoice, int | None]:
    partner_id = pair.mentee_id if pair.mentor_id == person.id else pair.mentor_id
    partner = await session.get(PersonRow, partner_id) if partner_id else None
    return _choice(person, pair, partner), partner_id


def _choice(person: PersonRow, pair: PairRow, partner: PersonRow | None) -> PairChoice:
    introduced = pair.introduced_at
    return PairChoice(
        pair_id=pair.id,
        program_id=pair.program_id,
        partner_name=(partner.name if partner else "") or "",
        introduced_on=_local_date(introduced, person.timezone) if introduced else None,
    )


async def _list_topics(
    session: AsyncSession, *, person_ids: Sequence[int], program_ids: Sequence[int]
) -> tuple[TopicChoice, ...]:
    """Skills either partner teaches or wants to learn in those programs (active ones)."""
    skills = await list_skills_of_people(session, person_ids=person_ids, program_ids=program_ids)
    return tuple(TopicChoice(s.id, s.name, s.program_id) for s in skills[:TOPICS_OFFERED_MAX])


async def get_reflection_context(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    now: datetime,
    pair_id: int | None = None,
    reflection_id: int | None = None,
) -> ReflectionContext | Gone | None:
    """What the modal offers this person: None when not enrolled, GONE when
    `reflection_id` (an edit) is not theirs. `pair_id` (from a check-in, untrusted)
    fixes the pair when they are in it."""
    async with reading(sessions) as session:
        person = await get_person(session, team_id, user_id)
        if person is None:
            return None
        today = _local_date(now, person.timezone)
        if reflection_id is not None:
            return await _edit_context(session, person, reflection_id, today)
        _person, current = await list_current_memberships(session, team_id, user_id)
        if not current:
            return None
        program_id = current[0][1].id
        fixed = await _get_own_pair(session, person.id, pair_id) if pair_id else None
        pairs: tuple[PairChoice, ...]
        if fixed is not None:
            choice, partner_id = await _pair_choice(session, person, fixed)
            pairs, partner_ids, fixed_pair = (choice,), [partner_id], True
        else:
            links = await list_active_partners(session, person.id)
            pairs = tuple(_choice(person, link.pair, link.partner) for link in links)
            partner_ids = [link.partner.id for link in links]
            fixed_pair = False
        programs = sorted({p.program_id for p in pairs} or {program_id})
        topics = await _list_topics(
            session,
            person_ids=[person.id, *(p for p in partner_ids if p is not None)],
            program_ids=programs,
        )
    return ReflectionContext(
        program_id=pairs[0].program_id if pairs else program_id,
        today=today,
        pairs=pairs,
        fixed=fixed_pair,
        topics=topics,
    )


async def _edit_context(
    session: AsyncSession, person: PersonRow, reflection_id: int, today: date
) -> ReflectionContext | Gone:
    row = await _get_own_reflection(session, person.id, reflection_id)
    if row is None:
        return GONE
    pairs: tuple[PairChoice, ...] = ()
    person_ids = [person.id]
    pair = await _get_own_pair(session, person.id, row.pair_id) if row.pair_id else None
    if pair is not None:
        choice, partner_id = await _pair_choice(session, person, pair)
        pairs = (choice,)
        person_ids += [partner_id] if partner_id else []
    program_id = row.program_id or (pair.program_id if pair else 0)
    topics = await _list_topics(session, person_ids=person_ids, program_ids=[program_id])
    chosen = set(
        await session.scalars(
            select(ReflectionTopicRow.skill_id).where(ReflectionTopicRow.reflection_id == row.id)
        )
    )
    offered = {t.id for t in topics}
    if chosen - offered:  # a topic since dropped from both profiles stays choosable
        kept = await session.execute(
            select(SkillRow.id, SkillRow.name, SkillRow.program_id).where(
                SkillRow.id.in_(chosen - offered)
            )
        )
        topics += tuple(TopicChoice(i, n, p) for i, n, p in kept.all())
    draft = ReflectionDraft(
        reflection_id=row.id,
        met_on=row.met_on,
        learned=row.learned,
        taught=row.taught,
        try_next=row.try_next,
        rating=row.rating,
        topics=frozenset(chosen),
    )
    return ReflectionContext(
        program_id=program_id, today=today, pairs=pairs, fixed=True,
        topics=topics[:TOPICS_OFFERED_MAX], draft=draft,
    )  # fmt: skip


async def _get_own_reflection(
    session: AsyncSession, person_id: int, reflection_id: int
) -> ReflectionRow | None:
    row: ReflectionRow | None = await session.scalar(
        select(ReflectionRow).where(
            ReflectionRow.id == reflection_id, ReflectionRow.author_id == person_id
        )
    )
    return row


async def _replace_topics(
    session: AsyncSession, reflection: ReflectionRow, topics: frozenset[int]
) -> None:
    """The reflection's topics become `topics`, less any skill outside its program."""
    await session.execute(
        delete(ReflectionTopicRow).where(ReflectionTopicRow.reflection_id == reflection.id)
    )
    if not topics or reflection.program_id is None:
        return
    kept = await session.scalars(
        select(SkillRow.id).where(
            SkillRow.id.in_(topics), SkillRow.program_id == reflection.program_id
        )
    )
    session.add_all(ReflectionTopicRow(reflection_id=reflection.id, skill_id=s) for s in kept)


@dataclass(frozen=True)
class Saved:
    total: int  # the author's reflections
    reflection_id: int | None  # None: a replay whose reflection is gone since


async def _count(session: AsyncSession, person_id: int) -> int:
    total = await session.scalar(
        select(func.count()).select_from(ReflectionRow).where(ReflectionRow.author_id == person_id)
    )
    return int(total or 0)


async def record_reflection(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    form: ReflectionForm,
    now: datetime,
    once_key: str,
) -> Saved | None:
    """Store a new reflection; None when the person is unknown.

    `once_key` names the submission (its view id): a replayed or retried submission
    stores nothing more and answers with the same total and the author's latest one.
    `form` was checked against `get_reflection_context` (pair, date, topics).
    """
    async with sessions() as session, session.begin():
        person = await get_person(session, team_id, user_id)
        if person is None or form.program_id is None:
            return None
        if await record_once(session, key=once_key, team_id=team_id, at=now):
            row = ReflectionRow(
                team_id=team_id,
                author_id=person.id,
                pair_id=form.pair_id,
                program_id=form.program_id,
                met_on=form.met_on,
                learned=form.learned,
                taught=form.taught,
                try_next=form.try_next,
                rating=form.rating,
                shared=form.share,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            await _replace_topics(session, row, form.topics)
            await invite_if_both_loved_it(session, row, now=now)
            reflection_id: int | None = row.id
            logger.info("reflection %s stored (person %s)", row.id, person.id)
        else:
            reflection_id = await session.scalar(
                select(func.max(ReflectionRow.id)).where(ReflectionRow.author_id == person.id)
            )
        return Saved(await _count(session, person.id), reflection_id)


async def update_reflection(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    reflection_id: int,
    form: ReflectionForm,
    now: datetime,
) -> Saved | Gone:
    """Rewrite the author's own reflection (topics replaced); GONE when it is not theirs."""
    async with sessions() as session, session.begin():
        person = await get_person(session, team_id, user_id)
        row = await _get_own_reflection(session, person.id, reflection_id) if person else None
        if person is None or row is None:
            return GONE
        row.met_on = form.met_on
        row.learned, row.taught, row.try_next = form.learned, form.taught, form.try_next
        row.rating = form.rating
        row.shared = row.shared or form.share
        row.updated_at = now
        await _replace_topics(session, row, form.topics)
        await invite_if_both_loved_it(session, row, now=now)
        logger.info("reflection %s edited", row.id)
        return Saved(await _count(session, person.id), row.id)


async def delete_reflection(
    sessions: Sessions, *, team_id: str, user_id: str, reflection_id: int
) -> bool:
    """Delete the author's own reflection (its topics cascade); False when not theirs."""
    async with sessions() as session, session.begin():
        person = await get_person(session, team_id, user_id)
        if person is None:
            return False
        row = await _get_own_reflection(session, person.id, reflection_id)
        if row is None:
            return False
        # Explicit, as SQLite enforces foreign keys only when asked to.
        await session.execute(
            delete(ReflectionTopicRow).where(ReflectionTopicRow.reflection_id == row.id)
        )
        await session.delete(row)
    logger.info("reflection %s deleted", reflection_id)
    return True


async def owns_reflection(
    sessions: Sessions, *, team_id: str, user_id: str, reflection_id: int
) -> bool:
    """Whether this reflection is there and the person's own."""
    async with reading(sessions) as session:
        person = await get_person(session, team_id, user_id)
        return person is not None and (
            await _get_own_reflection(session, person.id, reflection_id) is not None
        )


async def get_learning_log(
    sessions: Sessions, *, team_id: str, user_id: str, limit: int
) -> LearningLog:
    """The author's own reflections, newest first (at most `limit`), and how many."""
    async with reading(sessions) as session:
        person = await get_person(session, team_id, user_id)
        if person is None:
            return LearningLog(total=0)
        in_pair = or_(PairRow.mentor_id == PersonRow.id, PairRow.mentee_id == PersonRow.id)
        partner_name = (
            select(PersonRow.name)
            .join(PairRow, in_pair)
            .where(PairRow.id == ReflectionRow.pair_id, PersonRow.id != person.id)
            .correlate(ReflectionRow)
            .limit(1)
            .scalar_subquery()
        )
        rows = await session.execute(
            select(ReflectionRow, partner_name)
            .where(ReflectionRow.author_id == person.id)
            .order_by(
                func.coalesce(ReflectionRow.met_on, func.date(ReflectionRow.created_at)).desc(),
                ReflectionRow.id.desc(),
            )
            .limit(limit)
        )
        entries = tuple(
            LogEntry(
                id=row.id,
                created_at=row.created_at,
                met_on=row.met_on,
                partner_name=_first_name(name),
                learned=row.learned,
                taught=row.taught,
                try_next=row.try_next,
                rating=row.rating,
            )
            for row, name in rows.all()
        )
        total = await _count(session, person.id)
    return LearningLog(total=total, entries=entries)


async def count_reflections(sessions: Sessions, *, team_id: str, user_id: str) -> int:
    async with reading(sessions) as session:
        person = await get_person(session, team_id, user_id)
        return await _count(session, person.id) if person else 0


async def list_reflection_stats(sessions: Sessions, *, team_id: str) -> dict[int, ReflectionStats]:
    """Per program: how many reflections, and their average rating. Never text."""
    async with reading(sessions) as session:
        rows = await session.execute(
            select(
                ReflectionRow.program_id,
                func.count(),
                func.avg(ReflectionRow.rating),
                func.count(ReflectionRow.author_id.distinct()).filter(
                    ReflectionRow.rating.is_not(None)
                ),
            )
            .where(ReflectionRow.team_id == team_id, ReflectionRow.program_id.is_not(None))
            .group_by(ReflectionRow.program_id)
        )
        return {
            int(program_id): ReflectionStats(
                int(count), float(average) if average is not None else None, int(raters)
            )
            for program_id, count, average, raters in rows.all()
        }
