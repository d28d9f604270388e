"""Program reports (issue 12): the numbers of one program over one period, as plain data.

One function per report section, each a few set-based queries over the program's rows.
Privacy is decided here, once, so no surface can undo it:
- never a reflection's text (no query below selects `learned`, `taught` or `try_next`),
  never a rating next to a person: ratings are counted, averaged only when at least
  AVERAGE_MIN_RATERS people rated, and drawn as a histogram only from HISTOGRAM_MIN_RATERS;
- a breakdown group (a role, a career stage) of fewer than SMALL_GROUP people carries
  no number (None: HIDDEN on every surface), nor does the next smallest when it is
  the only one: the total minus the others would give it away.
"""

from __future__ import annotations

import enum
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.engine import Sessions, reading
from bot.db.risk import count_at_risk_pairs
from bot.db.tables import (
    CheckinRow,
    CloseoutAnswerRow,
    MeetingRow,
    MembershipRow,
    PairRow,
    PersonRow,
    PersonSkillRow,
    ProgramRow,
    ReflectionRow,
    RoundRow,
    SkillRow,
    StoryRow,
)
from bot.domain import CareerStage, PairStatus, Role, SkillKind, StoryStatus

SMALL_GROUP = 5  # a breakdown group smaller than this shows no number
HIDDEN = "hidden (a small group)"  # what a suppressed group shows, on every surface
AVERAGE_MIN_RATERS = 3  # the Home's threshold too (bot/slack/views/home.py)
HISTOGRAM_MIN_RATERS = 5
TOP_SKILLS = 5
STAGE_UNKNOWN = "Not given"
ROLE_NAMES = {Role.MENTOR: "Reverse mentors", Role.MENTEE: "Leaders", Role.EITHER: "Either role"}
# Pairs that were introduced: what "matched" counts (declined or expired proposals never met).
_INTRODUCED = (PairStatus.ACTIVE.value, PairStatus.ENDED.value)


class Period(enum.StrEnum):
    ROUND = "round"
    DAYS_30 = "30d"
    DAYS_90 = "90d"
    ALL = "all"
    MONTH = "month"  # a calendar month (the admins' monthly digest; not offered in the modal)

    @property
    def label(self) -> str:
        return _PERIOD_LABELS[self]


# What an admin picks from (`/mentor report`, `mentorbot report --period`); MONTH is
# the monthly digest's, with its window given.
PERIODS_OFFERED = (Period.ROUND, Period.DAYS_30, Period.DAYS_90, Period.ALL)

_PERIOD_LABELS = {
    Period.ROUND: "This round",
    Period.DAYS_30: "Last 30 days",
    Period.DAYS_90: "Last 90 days",
    Period.ALL: "Since the program began",
    Period.MONTH: "Last month",
}


@dataclass(frozen=True)
class Window:
    period: Period
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Enrollment:
    total: int
    by_role: dict[str, int | None]  # None: fewer than SMALL_GROUP
    by_stage: dict[str, int | None]


@dataclass(frozen=True)
class Meetings:
    pairs: int  # introduced pairs of the period
    matched_people: int
    pairs_met: int
    meetings: int
    per_pair_mean: float | None
    per_pair_median: float | None
    periods_passed: int  # check-in periods (pair, sequence) due in the period
    periods_with_meeting: int
    median_days_to_first_meeting: float | None


@dataclass(frozen=True)
class Checkins:
    sent: int
    answered: int


@dataclass(frozen=True)
class Skills:
    leaders_learned: list[tuple[str, int]]  # (skill, meetings), most first
    leaders_shared: list[tuple[str, int]]


@dataclass(frozen=True)
class Ratings:
    count: int
    raters: int
    average: float | None  # only from AVERAGE_MIN_RATERS raters
    histogram: dict[int, int] | None  # 1..5, only from HISTOGRAM_MIN_RATERS raters


@dataclass(frozen=True)
class Closeout:
    """The close-out survey (issue 12, point 4), counted: never an answer per person."""

    answered: int = 0
    people: int = 0
    average: float | None = None  # how valuable, 1–5: only from AVERAGE_MIN_RATERS people
    again_yes: int = 0
    again_no: int = 0
    would_switch: int = 0
    rejoined: int = 0  # took the one-click offer of the next round


@dataclass(frozen=True)
class Report:
    program_id: int
    program_name: str
    window: Window
    enrollment: Enrollment
    meetings: Meetings
    checkins: Checkins
    skills: Skills
    ratings: Ratings
    fit_answers: dict[str, int]
    at_risk_pairs: int
    story_titles: list[str]  # raw: escaped by each surface
    closeout: Closeout = Closeout()


@dataclass(frozen=True)
class PairLine:
    """One row of the pairs export: no reflection text, no rating."""

    pair_id: int
    round_number: int
    mentor_name: str
    mentor_user_id: str
    leader_name: str
    leader_user_id: str
    introduced_on: date | None
    status: str
    meetings: int
    first_met_on: date | None
    last_met_on: date | None


@dataclass(frozen=True)
class EnrollmentLine:
    name: str
    user_id: str
    program: str
    role: str
    career_stage: str
    status: str
    joined_on: date


@dataclass(frozen=True)
class ProgramChoice:
    program_id: int
    name: str


def _stage_label(stage: int | None) -> str:
    valid = {member.value for member in CareerStage}
    return CareerStage(stage).label if stage is not None and stage in valid else ""


def suppress_small(counts: Counter[str]) -> dict[str, int | None]:
    """A group's count, or None when it has fewer than SMALL_GROUP people; when only
    one group is that small, the next smallest is hidden too, since the total is shown
    and the rest would give the small one away. Empty groups are left out. Pure."""
    groups = {key: n for key, n in sorted(counts.items()) if n}
    hidden = {key for key, n in groups.items() if n < SMALL_GROUP}
    if len(hidden) == 1 and len(groups) > 1:
        hidden.add(min((k for k in groups if k not in hidden), key=lambda k: (groups[k], k)))
    return {key: (None if key in hidden else n) for key, n in groups.items()}


def period_window(
    period: Period, *, now: datetime, began: datetime, round_: RoundRow | None
) -> Window:
    """The period as instants. Pure. "This round" is the latest round (or the whole
    program when it has none yet), up to now."""
    if period is Period.DAYS_30:
        start = now - timedelta(days=30)
    elif period is Period.DAYS_90:
        start = now - timedelta(days=90)
    elif period is Period.ROUND and round_ is not None:
        start = round_.starts_at
    else:
        start = began
    return Window(period, min(start, now), now)


def _began(program: ProgramRow) -> datetime:
    if program.starts_on is not None:
        return min(program.created_at, datetime.combine(program.starts_on, time(), tzinfo=UTC))
    return program.created_at


async def list_programs(sessions: Sessions, *, team_id: str) -> list[ProgramChoice]:
    async with reading(sessions) as session:
        rows = await session.execute(
            select(ProgramRow.id, ProgramRow.name)
            .where(ProgramRow.team_id == team_id)
            .order_by(ProgramRow.name, ProgramRow.id)
        )
        return [ProgramChoice(pid, name) for pid, name in rows.all()]


async def find_programs_named(
    sessions: Sessions, *, name: str, team_id: str | None = None
) -> list[tuple[int, str]]:
    """The CLI's program by name: (id, team id) of each program so named, in `team_id`
    or in any workspace (names are unique within one; OAuth mode serves many)."""
    query = select(ProgramRow.id, ProgramRow.team_id).where(ProgramRow.name == name)
    if team_id is not None:
        query = query.where(ProgramRow.team_id == team_id)
    async with reading(sessions) as session:
        rows = await session.execute(query.order_by(ProgramRow.team_id))
        return [(program_id, team) for program_id, team in rows]


async def build_report(
    sessions: Sessions,
    *,
    team_id: str | None,
    program_id: int,
    period: Period,
    now: datetime,
    window: Window | None = None,
) -> Report | None:
    """The program's report, or None when it is no program of `team_id` (None: any).
    `window`: an explicit one (the admins' monthly digest: a calendar month)."""
    async with reading(sessions) as session:
        program = await session.get(ProgramRow, program_id)
        if program is None or (team_id is not None and program.team_id != team_id):
            return None
        round_ = await session.scalar(
            select(RoundRow)
            .where(RoundRow.program_id == program_id, RoundRow.starts_at <= now)
            .order_by(RoundRow.number.desc())
            .limit(1)
        )
        window = window or period_window(period, now=now, began=_began(program), round_=round_)
        pair_ids = await _period_pairs(session, program_id, window)
        return Report(
            program_id=program.id,
            program_name=program.name,
            window=window,
            enrollment=await enrollment_section(session, program_id, window),
            meetings=await meetings_section(session, pair_ids, window),
            checkins=await checkins_section(session, program_id, window),
            skills=await skills_section(session, pair_ids, window),
            ratings=await ratings_section(session, program_id, window),
            fit_answers=await fit_section(session, pair_ids),
            at_risk_pairs=await count_at_risk_pairs(
                session, team_id=program.team_id, program_id=program_id, now=now
            ),
            story_titles=await stories_section(session, program_id, window),
            closeout=await get_closeout_results(session, program_id=program_id, window=window),
        )


async def _period_pairs(session: AsyncSession, program_id: int, window: Window) -> list[int]:
    """Introduced pairs that were running at some time in the period."""
    started = func.coalesce(PairRow.introduced_at, PairRow.created_at)
    rows = await session.scalars(
        select(PairRow.id).where(
            PairRow.program_id == program_id,
            PairRow.status.in_(_INTRODUCED),
            started <= window.end,
            or_(PairRow.ended_at.is_(None), PairRow.ended_at >= window.start),
        )
    )
    return list(rows)


async def enrollment_section(session: AsyncSession, program_id: int, window: Window) -> Enrollment:
    """Memberships joined by the period's end and not left before it began."""
    rows = await session.execute(
        select(MembershipRow.role, PersonRow.career_stage, func.count())
        .join(PersonRow, PersonRow.id == MembershipRow.person_id)
        .where(
            MembershipRow.program_id == program_id,
            MembershipRow.joined_at <= window.end,
            or_(MembershipRow.left_at.is_(None), MembershipRow.left_at >= window.start),
        )
        .group_by(MembershipRow.role, PersonRow.career_stage)
    )
    roles: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    for role, stage, count in rows.all():
        roles[ROLE_NAMES.get(Role(role), role)] += count
        stages[_stage_label(stage) or STAGE_UNKNOWN] += count
    return Enrollment(sum(roles.values()), suppress_small(roles), suppress_small(stages))


async def _meetings_per_pair(
    session: AsyncSession, pair_ids: list[int], window: Window
) -> dict[int, int]:
    if not pair_ids:
        return {}
    rows = await session.execute(
        select(MeetingRow.pair_id, func.count())
        .where(
            MeetingRow.pair_id.in_(pair_ids),
            MeetingRow.met_on >= window.start.date(),
            MeetingRow.met_on <= window.end.date(),
        )
        .group_by(MeetingRow.pair_id)
    )
    return {pair_id: n for pair_id, n in rows.all()}


async def meetings_section(session: AsyncSession, pair_ids: list[int], window: Window) -> Meetings:
    counts = await _meetings_per_pair(session, pair_ids, window)
    per_pair = [counts.get(pair_id, 0) for pair_id in pair_ids]
    people: set[int] = set()
    passed = with_meeting = 0
    firsts: list[int] = []
    if pair_ids:
        for mentor_id, mentee_id in (
            await session.execute(
                select(PairRow.mentor_id, PairRow.mentee_id).where(PairRow.id.in_(pair_ids))
            )
        ).all():
            people.update(p for p in (mentor_id, mentee_id) if p is not None)
        due = (
            select(CheckinRow.pair_id, CheckinRow.sequence)
            .where(
                CheckinRow.pair_id.in_(pair_ids),
                CheckinRow.due_at >= window.start,
                CheckinRow.due_at <= window.end,
            )
            .distinct()
            .subquery()
        )
        passed = await session.scalar(select(func.count()).select_from(due)) or 0
        met = (
            select(due.c.pair_id, due.c.sequence)
            .join(
                MeetingRow,
                and_(MeetingRow.pair_id == due.c.pair_id, MeetingRow.sequence == due.c.sequence),
            )
            .distinct()
            .subquery()
        )
        with_meeting = await session.scalar(select(func.count()).select_from(met)) or 0
        first = (
            select(MeetingRow.pair_id, func.min(MeetingRow.met_on).label("first"))
            .where(MeetingRow.pair_id.in_(pair_ids))
            .group_by(MeetingRow.pair_id)
            .subquery()
        )
        for introduced, first_on in (
            await session.execute(
                select(func.coalesce(PairRow.introduced_at, PairRow.created_at), first.c.first)
                .join(first, first.c.pair_id == PairRow.id)
                .where(first.c.first >= window.start.date(), first.c.first <= window.end.date())
            )
        ).all():
            firsts.append(max(0, (first_on - introduced.date()).days))
    return Meetings(
        pairs=len(pair_ids),
        matched_people=len(people),
        pairs_met=sum(1 for n in per_pair if n),
        meetings=sum(per_pair),
        per_pair_mean=statistics.fmean(per_pair) if per_pair else None,
        per_pair_median=float(statistics.median(per_pair)) if per_pair else None,
        periods_passed=passed,
        periods_with_meeting=with_meeting,
        median_days_to_first_meeting=float(statistics.median(firsts)) if firsts else None,
    )


async def checkins_section(session: AsyncSession, program_id: int, window: Window) -> Checkins:
    row = (
        await session.execute(
            select(func.count(), func.count(CheckinRow.answered_at))
            .join(PairRow, PairRow.id == CheckinRow.pair_id)
            .where(
                PairRow.program_id == program_id,
                CheckinRow.sent_at.is_not(None),
                CheckinRow.sent_at >= window.start,
                CheckinRow.sent_at <= window.end,
            )
        )
    ).one()
    return Checkins(sent=row[0], answered=row[1])


async def skills_section(session: AsyncSession, pair_ids: list[int], window: Window) -> Skills:
    """What leaders learned: each pair's shared skills, weighted by its meetings. What they
    shared back: the leader's teaches that are the reverse mentor's learns, weighted too."""
    counts = await _meetings_per_pair(session, pair_ids, window)
    met = [pair_id for pair_id in pair_ids if counts.get(pair_id)]
    learned: Counter[str] = Counter()
    shared: Counter[str] = Counter()
    if met:
        for pair_id, skills in (
            await session.execute(
                select(PairRow.id, PairRow.shared_skills).where(PairRow.id.in_(met))
            )
        ).all():
            for skill in dict.fromkeys(skills or []):
                learned[skill] += counts[pair_id]
        teach, learn = aliased(PersonSkillRow), aliased(PersonSkillRow)
        rows = await session.execute(
            select(PairRow.id, SkillRow.name)
            .join(
                teach,
                and_(teach.person_id == PairRow.mentee_id, teach.kind == SkillKind.TEACH.value),
            )
            .join(
                learn,
                and_(
                    learn.person_id == PairRow.mentor_id,
                    learn.kind == SkillKind.LEARN.value,
                    learn.skill_id == teach.skill_id,
                ),
            )
            .join(SkillRow, SkillRow.id == teach.skill_id)
            .where(PairRow.id.in_(met))
        )
        for pair_id, name in rows.all():
            shared[name] += counts[pair_id]
    return Skills(_top(learned), _top(shared))


def _top(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:TOP_SKILLS]


async def ratings_section(session: AsyncSession, program_id: int, window: Window) -> Ratings:
    """Counts only: the rating column grouped by value, and how many people rated."""
    scope = and_(
        ReflectionRow.program_id == program_id,
        ReflectionRow.rating.is_not(None),
        ReflectionRow.created_at >= window.start,
        ReflectionRow.created_at <= window.end,
    )
    rows = await session.execute(
        select(ReflectionRow.rating, func.count()).where(scope).group_by(ReflectionRow.rating)
    )
    by_value = {int(value): n for value, n in rows.all() if value is not None}
    raters = (
        await session.scalar(
            select(func.count(func.distinct(ReflectionRow.author_id))).where(scope)
        )
        or 0
    )
    count = sum(by_value.values())
    average = (
        sum(value * n for value, n in by_value.items()) / count
        if count and raters >= AVERAGE_MIN_RATERS
        else None
    )
    histogram = (
        {value: by_value.get(value, 0) for value in range(1, 6)}
        if raters >= HISTOGRAM_MIN_RATERS
        else None
    )
    return Ratings(count=count, raters=raters, average=average, histogram=histogram)


async def get_closeout_results(
    session: AsyncSession, *, program_id: int, window: Window
) -> Closeout:
    """The close-out answers given in the window, as counts in one query; the average
    only when AVERAGE_MIN_RATERS people answered (a lone answer would be theirs)."""
    scope = and_(
        CloseoutAnswerRow.program_id == program_id,
        CloseoutAnswerRow.value.is_not(None),
        CloseoutAnswerRow.answered_at >= window.start,
        CloseoutAnswerRow.answered_at <= window.end,
    )

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.count(case((condition, 1)))

    row = (
        await session.execute(
            select(
                func.count(),
                func.count(func.distinct(CloseoutAnswerRow.person_id)),
                func.sum(CloseoutAnswerRow.value),
                count_if(CloseoutAnswerRow.again.is_(True)),
                count_if(CloseoutAnswerRow.again.is_(False)),
                count_if(CloseoutAnswerRow.switch.is_(True)),
                count_if(CloseoutAnswerRow.rejoined_at.is_not(None)),
            ).where(scope)
        )
    ).one()
    answered, people, total, again_yes, again_no, would_switch, rejoined = row
    average = (total or 0) / answered if answered and people >= AVERAGE_MIN_RATERS else None
    return Closeout(
        answered=answered, people=people, average=average, again_yes=again_yes,
        again_no=again_no, would_switch=would_switch, rejoined=rejoined,
    )  # fmt: skip


async def fit_section(session: AsyncSession, pair_ids: list[int]) -> dict[str, int]:
    """How many fit-check answers of each kind (both partners' answers counted)."""
    if not pair_ids:
        return {}
    answers: Counter[str] = Counter()
    for column in (PairRow.mentor_fit, PairRow.mentee_fit):
        rows = await session.execute(
            select(column, func.count())
            .where(PairRow.id.in_(pair_ids), column.is_not(None))
            .group_by(column)
        )
        for answer, n in rows.all():
            answers[str(answer)] += n
    return dict(sorted(answers.items()))


async def stories_section(session: AsyncSession, program_id: int, window: Window) -> list[str]:
    rows = await session.scalars(
        select(StoryRow.title)
        .where(
            StoryRow.program_id == program_id,
            StoryRow.status == StoryStatus.POSTED.value,
            StoryRow.posted_at >= window.start,
            StoryRow.posted_at <= window.end,
        )
        .order_by(StoryRow.posted_at, StoryRow.id)
    )
    return list(rows)


async def list_pair_lines(sessions: Sessions, *, program_id: int) -> list[PairLine]:
    """Every introduced pair of the program, with its meeting counts and dates."""
    mentor, leader = aliased(PersonRow), aliased(PersonRow)
    stats = (
        select(
            MeetingRow.pair_id,
            func.count().label("n"),
            func.min(MeetingRow.met_on).label("first"),
            func.max(MeetingRow.met_on).label("last"),
        )
        .group_by(MeetingRow.pair_id)
        .subquery()
    )
    async with reading(sessions) as session:
        rows = await session.execute(
            select(
                PairRow.id,
                RoundRow.number,
                mentor.name,
                mentor.slack_user_id,
                leader.name,
                leader.slack_user_id,
                func.coalesce(PairRow.introduced_at, PairRow.created_at),
                PairRow.status,
                stats.c.n,
                stats.c.first,
                stats.c.last,
            )
            .join(RoundRow, RoundRow.id == PairRow.round_id)
            .outerjoin(mentor, mentor.id == PairRow.mentor_id)
            .outerjoin(leader, leader.id == PairRow.mentee_id)
            .outerjoin(stats, stats.c.pair_id == PairRow.id)
            .where(PairRow.program_id == program_id, PairRow.status.in_(_INTRODUCED))
            .order_by(RoundRow.number, PairRow.id)
        )
        return [
            PairLine(
                pair_id=pid,
                round_number=number,
                mentor_name=m_name or "",
                mentor_user_id=m_id or "",
                leader_name=l_name or "",
                leader_user_id=l_id or "",
                introduced_on=intro.date() if intro else None,
                status=status,
                meetings=n or 0,
                first_met_on=first,
                last_met_on=last,
            )
            for pid, number, m_name, m_id, l_name, l_id, intro, status, n, first, last in rows.all()
        ]


async def list_enrollment_lines(sessions: Sessions, *, program_id: int) -> list[EnrollmentLine]:
    async with reading(sessions) as session:
        rows = await session.execute(
            select(
                PersonRow.name,
                PersonRow.slack_user_id,
                ProgramRow.name,
                MembershipRow.role,
                PersonRow.career_stage,
                MembershipRow.status,
                MembershipRow.joined_at,
            )
            .join(PersonRow, PersonRow.id == MembershipRow.person_id)
            .join(ProgramRow, ProgramRow.id == MembershipRow.program_id)
            .where(MembershipRow.program_id == program_id)
            .order_by(MembershipRow.joined_at, MembershipRow.id)
        )
        return [
            EnrollmentLine(
                name=name,
                user_id=user_id,
                program=program,
                role=role,
                career_stage=_stage_label(stage),
                status=status,
                joined_on=joined.date(),
            )
            for name, user_id, program, role, stage, status, joined in rows.all()
        ]
