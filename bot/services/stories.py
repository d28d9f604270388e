"""Success stories: drafted by one partner, approved by the other (and by an admin when
the program asks), posted to the program channel, withdrawable by either at any time.

States (bot.domain.StoryStatus): AWAITING_CONSENT → (AWAITING_APPROVAL) → POSTED, or
DECLINED / WITHDRAWN. A story is POSTED once its channel post is queued in the outbox
(`post_key`; `posted_at` is that moment): the outbox delivers exactly once, and a
withdrawal drops a post still pending or deletes a sent one with chat.delete. An edit
bumps `version`, clears the partner's and the admin's approvals and asks again; the
older version's requests are replaced in place (chat.update) or dropped if unsent, and
their buttons change nothing. Every message is an outbox row with a key unique per
story, version and reader, so a double click or Slack's retry does nothing twice.
Logs carry ids only, never story text.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.engine import Sessions
from bot.db.people import get_person, list_admin_user_ids, list_skills_of_people
from bot.db.tables import (
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    ProgramRow,
    ReflectionRow,
    ReflectionTopicRow,
    SkillRow,
    StoryRow,
    StorySkillRow,
)
from bot.delivery import enqueue_message
from bot.domain import DeliveryStatus, PairStatus, StoryStatus
from bot.services.events import record_once
from bot.services.lifecycle import drop_keyed_messages
from bot.services.workspaces import live_team
from bot.slack.forms_stories import STORY_TEXT_MAX, STORY_TITLE_MAX, StoryForm
from bot.slack.tokens import WorkspaceTokens
from bot.slack.views.story import (
    StoryDraft,
    StoryPost,
    admin_answered_message,
    admin_approval_message,
    approval_request_message,
    author_waiting_message,
    removal_failed_message,
    story_all_approved_message,
    story_declined_message,
    story_invitation_message,
    story_no_channel_message,
    story_post,
    story_posted_message,
    story_replaced_message,
    story_withdrawn_message,
    story_withdrawn_notice,
)
from bot.worktime import next_working_time

logger = logging.getLogger(__name__)

RECENT_PAIR = timedelta(days=30)  # an ended pair can still tell its story this long
REMOVAL_WATCH = timedelta(days=14)  # how long a withdrawn post's removal is watched
_OPEN = (StoryStatus.AWAITING_CONSENT.value, StoryStatus.AWAITING_APPROVAL.value,
         StoryStatus.APPROVED.value)  # fmt: skip


# --- keys ------------------------------------------------------------------------------


def ask_key(story_id: int, version: int, user_id: str) -> str:
    """An approval request (partner or admin) of one version to one reader."""
    return f"story:{story_id}:v{version}:ask:{user_id}"


def waiting_key(story_id: int, version: int) -> str:
    return f"story:{story_id}:v{version}:waiting"


def post_key(story_id: int, version: int) -> str:
    return f"story:{story_id}:v{version}:post"


def delete_key(story_id: int) -> str:
    return f"story:{story_id}:delete"


def invite_key(pair_id: int, person_id: int) -> str:
    return f"story-invite:{pair_id}:{person_id}"


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PairChoice:
    pair_id: int
    program_id: int
    partner_name: str
    needs_admin: bool


@dataclass(frozen=True)
class StoryContext:
    """What the story modal needs."""

    pairs: list[PairChoice]
    skills: list[tuple[int, str]]
    draft: StoryDraft
    pair_id: int | None  # fixed (one pair, or the story being edited)
    story_id: int | None = None
    reflection_id: int | None = None


class StoryRefusal(enum.Enum):
    NO_PAIR = "no_pair"
    NOT_EDITABLE = "not_editable"


async def _story_pairs(
    session: AsyncSession, person_id: int, *, now: datetime
) -> list[tuple[PairRow, ProgramRow, PersonRow]]:
    """Current pairs and those ended within RECENT_PAIR, with program and partner."""
    partner = aliased(PersonRow)
    rows = await session.execute(
        select(PairRow, ProgramRow, partner)
        .join(ProgramRow, ProgramRow.id == PairRow.program_id)
        .join(
            partner,
            or_(
                (PairRow.mentor_id == person_id) & (partner.id == PairRow.mentee_id),
                (PairRow.mentee_id == person_id) & (partner.id == PairRow.mentor_id),
            ),
        )
        .where(
            or_(
                PairRow.status == PairStatus.ACTIVE.value,
                (PairRow.status == PairStatus.ENDED.value)
                & (PairRow.ended_at >= now - RECENT_PAIR),
            )
        )
        .order_by(PairRow.id.desc())
    )
    return [(p, g, q) for p, g, q in rows.all()]


async def _skill_options(session: AsyncSession, pairs: Sequence[PairRow]) -> list[tuple[int, str]]:
    """The pairs' shared skills first, then both partners' skills in each program."""
    if not pairs:
        return []
    people = {p for pair in pairs for p in (pair.mentor_id, pair.mentee_id) if p}
    programs = {pair.program_id for pair in pairs}
    skills = await list_skills_of_people(session, person_ids=people, program_ids=programs)
    shared = {s.strip().casefold() for pair in pairs for s in pair.shared_skills or ()}
    found = [(skill.id, skill.name, skill.name_key) for skill in skills]
    first = [(sid, name) for sid, name, key in found if key in shared]
    rest = [(sid, name) for sid, name, key in found if key not in shared]
    return (first + rest)[:100]


async def get_story_context(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    now: datetime,
    pair_id: int | None = None,
    reflection_id: int | None = None,
    story_id: int | None = None,
) -> StoryContext | StoryRefusal:
    async with sessions() as session:
        person = await get_person(session, team_id, user_id)
        if person is None:
            return StoryRefusal.NO_PAIR
        if story_id is not None:
            return await _edit_context(session, person, story_id)
        found = await _story_pairs(session, person.id, now=now)
        if pair_id is not None and any(p.id == pair_id for p, _, _ in found):
            found = [row for row in found if row[0].id == pair_id]
        if not found:
            return StoryRefusal.NO_PAIR
        draft = StoryDraft()
        if reflection_id is not None:
            reflection = await session.get(ReflectionRow, reflection_id)
            if reflection is None or reflection.author_id != person.id:
                reflection_id = None  # the author's own reflection only
            else:
                if reflection.pair_id and any(p.id == reflection.pair_id for p, _, _ in found):
                    found = [row for row in found if row[0].id == reflection.pair_id]
                topics = await session.scalars(
                    select(ReflectionTopicRow.skill_id).where(
                        ReflectionTopicRow.reflection_id == reflection.id
                    )
                )
                text = "\n\n".join(t for t in (reflection.learned, reflection.taught) if t)
                draft = StoryDraft(text=text[:STORY_TEXT_MAX], skill_ids=frozenset(topics))
        skills = await _skill_options(session, [p for p, _, _ in found])
        choices = [PairChoice(p.id, g.id, q.name, g.stories_need_approval) for p, g, q in found]
    return StoryContext(
        pairs=choices, skills=skills, draft=draft,
        pair_id=choices[0].pair_id if len(choices) == 1 else None,
        reflection_id=reflection_id,
    )  # fmt: skip


async def _edit_context(
    session: AsyncSession, person: PersonRow, story_id: int
) -> StoryContext | StoryRefusal:
    story = await session.get(StoryRow, story_id)
    if story is None or story.author_id != person.id or story.status not in _OPEN:
        return StoryRefusal.NOT_EDITABLE
    pair = await session.get(PairRow, story.pair_id) if story.pair_id else None
    program = await session.get(ProgramRow, story.program_id)
    if pair is None or program is None:
        return StoryRefusal.NOT_EDITABLE
    partner_id = pair.mentee_id if pair.mentor_id == person.id else pair.mentor_id
    partner = await session.get(PersonRow, partner_id) if partner_id else None
    skills = await session.scalars(
        select(StorySkillRow.skill_id).where(StorySkillRow.story_id == story.id)
    )
    draft = StoryDraft(title=story.title, text=story.text, skill_ids=frozenset(skills),
                       anonymous=story.anonymous)  # fmt: skip
    choice = PairChoice(pair.id, program.id, partner.name if partner else "",
                        program.stories_need_approval)  # fmt: skip
    return StoryContext(
        pairs=[choice], skills=await _skill_options(session, [pair]), draft=draft,
        pair_id=pair.id, story_id=story.id,
    )  # fmt: skip


# --- rendering from rows ---------------------------------------------------------------


@dataclass
class _Story:
    """A story with what its messages need, loaded and locked for a change."""

    row: StoryRow
    pair: PairRow
    program: ProgramRow
    mentor: PersonRow | None
    leader: PersonRow | None
    skills: list[str]

    @property
    def author(self) -> PersonRow | None:
        return self.mentor if self.row.author_id == self.pair.mentor_id else self.leader

    @property
    def partner(self) -> PersonRow | None:
        return self.leader if self.row.author_id == self.pair.mentor_id else self.mentor

    def post(self) -> StoryPost:
        return StoryPost(
            program_name=self.program.name, title=self.row.title, text=self.row.text,
            skills=self.skills, anonymous=self.row.anonymous,
            mentor_user_id=self.mentor.slack_user_id if self.mentor else None,
            leader_user_id=self.leader.slack_user_id if self.leader else None,
        )  # fmt: skip


async def _load(session: AsyncSession, *, team_id: str, story_id: int) -> _Story | None:
    row = await session.scalar(
        select(StoryRow)
        .where(StoryRow.id == story_id, StoryRow.team_id == team_id)
        .with_for_update()
    )
    if row is None or row.pair_id is None:
        return None
    pair = await session.get(PairRow, row.pair_id)
    program = await session.get(ProgramRow, row.program_id)
    if pair is None or program is None:
        return None
    mentor = await session.get(PersonRow, pair.mentor_id) if pair.mentor_id else None
    leader = await session.get(PersonRow, pair.mentee_id) if pair.mentee_id else None
    skills = await session.scalars(
        select(SkillRow.name)
        .join(StorySkillRow, StorySkillRow.skill_id == SkillRow.id)
        .where(StorySkillRow.story_id == row.id)
        .order_by(SkillRow.name)
    )
    return _Story(row, pair, program, mentor, leader, list(skills))


# --- writing and editing -----------------------------------------------------------------


class SubmitOutcome(enum.Enum):
    SENT = "sent"  # approval asked (again, after an edit)
    NO_PAIR = "no_pair"  # not one of the person's pairs (or the story is not theirs)
    CLOSED = "closed"  # the story was declined, withdrawn or posted meanwhile


@dataclass
class SubmitResult:
    outcome: SubmitOutcome
    partner_name: str = ""
    story_id: int | None = None


async def submit_story(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    form: StoryForm,
    pair_id: int | None,
    story_id: int | None,
    reflection_id: int | None,
    once_key: str,
    now: datetime,
    configured_admins: Collection[str],
) -> SubmitResult:
    """A new story (its author's consent given by the submit) or an edit of one."""
    async with sessions() as session, session.begin():
        person = await get_person(session, team_id, user_id)
        if person is None:
            return SubmitResult(SubmitOutcome.NO_PAIR)
        editing = story_id is not None
        if story_id is None:
            pairs = {p.id: (p, g) for p, g, _ in await _story_pairs(session, person.id, now=now)}
            chosen = form.pair_id or pair_id
            if chosen not in pairs:
                return SubmitResult(SubmitOutcome.NO_PAIR)
            pair, program = pairs[chosen]
            if not await record_once(session, key=once_key, team_id=team_id, at=now):
                existing = await session.scalar(
                    select(StoryRow.id).where(StoryRow.pair_id == pair.id,
                                              StoryRow.author_id == person.id)
                    .order_by(StoryRow.id.desc()).limit(1)
                )  # fmt: skip
                return SubmitResult(SubmitOutcome.SENT, story_id=existing)
            row = StoryRow(
                team_id=team_id, program_id=program.id, pair_id=pair.id, author_id=person.id,
                reflection_id=await _own_reflection(session, person.id, reflection_id),
                title=form.title[:STORY_TITLE_MAX], text=form.text, anonymous=form.anonymous,
                version=1, status=StoryStatus.AWAITING_CONSENT.value, created_at=now,
                updated_at=now,
            )  # fmt: skip
            session.add(row)
            await session.flush()
            story_id = row.id
            if row.reflection_id:
                reflection = await session.get(ReflectionRow, row.reflection_id)
                if reflection is not None:
                    reflection.shared = True
        elif not await record_once(session, key=once_key, team_id=team_id, at=now):
            return SubmitResult(SubmitOutcome.SENT, story_id=story_id)
        story = await _load(session, team_id=team_id, story_id=story_id)
        if story is None or story.row.author_id != person.id:
            return SubmitResult(SubmitOutcome.NO_PAIR)
        if story.row.status not in _OPEN:
            return SubmitResult(SubmitOutcome.CLOSED)
        row = story.row
        if editing:
            # An edit: the older version's requests are replaced; approvals start over.
            await _retire_requests(session, story, story_replaced_message(), now=now)
            row.version += 1
            row.title, row.text, row.anonymous = form.title, form.text, form.anonymous
            row.admin_approved_at = row.admin_approved_by = None
            row.status = StoryStatus.AWAITING_CONSENT.value
            row.updated_at = now
        allowed = {sid for sid, _ in await _skill_options(session, [story.pair])}
        await session.execute(delete(StorySkillRow).where(StorySkillRow.story_id == row.id))
        for skill_id in sorted(form.skill_ids & allowed):
            session.add(StorySkillRow(story_id=row.id, skill_id=skill_id))
        await session.flush()
        story = await _load(session, team_id=team_id, story_id=row.id)
        assert story is not None
        if story.pair.mentor_id == person.id:
            row.mentor_consent_at, row.mentee_consent_at = now, None
        else:
            row.mentee_consent_at, row.mentor_consent_at = now, None
        await _ask_partner(session, story, now=now)
        partner = story.partner
        logger.info("story %s v%s: approval asked", row.id, row.version)
        return SubmitResult(SubmitOutcome.SENT, partner.name if partner else "", row.id)


async def _own_reflection(
    session: AsyncSession, person_id: int, reflection_id: int | None
) -> int | None:
    if reflection_id is None:
        return None
    reflection = await session.get(ReflectionRow, reflection_id)
    return reflection.id if reflection and reflection.author_id == person_id else None


async def _ask_partner(session: AsyncSession, story: _Story, *, now: datetime) -> None:
    row, author, partner = story.row, story.author, story.partner
    admin_next = story.program.stories_need_approval
    if partner is None or author is None:
        return
    await enqueue_message(
        session, team_id=row.team_id,
        key=ask_key(row.id, row.version, partner.slack_user_id),
        channel=partner.slack_user_id,
        payload=approval_request_message(
            story.post(), story_id=row.id, version=row.version,
            author_user_id=author.slack_user_id, channel_id=story.program.channel_id,
            admin_next=admin_next,
        ),
        due_at=next_working_time(now, timezone=partner.timezone),
        pair_id=story.pair.id,
    )  # fmt: skip
    await enqueue_message(
        session, team_id=row.team_id, key=waiting_key(row.id, row.version),
        channel=author.slack_user_id,
        payload=author_waiting_message(
            story.post(), story_id=row.id, version=row.version,
            partner_user_id=partner.slack_user_id, admin_next=admin_next,
        ),
        due_at=now, pair_id=story.pair.id,
    )  # fmt: skip


async def _request_keys(session: AsyncSession, story_id: int, version: int) -> list[str]:
    """Every approval request and author notice queued for this version."""
    prefix = f"story:{story_id}:v{version}:"
    keys = await session.scalars(
        select(OutgoingMessageRow.key).where(
            OutgoingMessageRow.key.startswith(prefix, autoescape=True),
            OutgoingMessageRow.method == "chat.postMessage",
            OutgoingMessageRow.key != post_key(story_id, version),
        )
    )
    return list(keys)


async def _retire_requests(
    session: AsyncSession,
    story: _Story,
    payload: dict[str, Any],
    *,
    now: datetime,
    keep: Collection[str] = (),
) -> None:
    """The current version's requests no longer offer buttons: unsent ones are dropped,
    sent ones replaced in place with `payload` (through the outbox: chat.update)."""
    row = story.row
    keys = [k for k in await _request_keys(session, row.id, row.version) if k not in keep]
    await drop_keyed_messages(session, team_id=row.team_id, keys=keys, reason="story changed")
    sent = await session.execute(
        select(
            OutgoingMessageRow.key, OutgoingMessageRow.sent_channel, OutgoingMessageRow.sent_ts
        ).where(
            OutgoingMessageRow.key.in_(keys),
            OutgoingMessageRow.status == DeliveryStatus.SENT.value,
        )
    )
    for key, channel, ts in sent.all():
        if not (channel and ts):
            continue
        await enqueue_message(
            session, team_id=row.team_id, key=f"{key}:retired", method="chat.update",
            channel=channel, payload={**payload, "ts": ts}, due_at=now, pair_id=story.pair.id,
        )  # fmt: skip


# --- answers ---------------------------------------------------------------------------


class AnswerOutcome(enum.Enum):
    APPROVED = "approved"  # this answer approved it (posted, or on to an admin)
    DECLINED = "declined"
    ALREADY = "already"  # the same answer again: nothing more
    REPLACED = "replaced"  # the button is of an older version
    CLOSED = "closed"  # declined, withdrawn or decided already
    NOT_YOURS = "not_yours"


@dataclass
class AnswerResult:
    outcome: AnswerOutcome
    version: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)


async def answer_story(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    story_id: int,
    version: int,
    approve: bool,
    now: datetime,
    configured_admins: Collection[str],
) -> AnswerResult:
    """The partner's Approve / Decline of one version."""
    async with sessions() as session, session.begin():
        story = await _load(session, team_id=team_id, story_id=story_id)
        partner = story.partner if story else None
        if story is None or partner is None or partner.slack_user_id != user_id:
            logger.info("story %s: answer by someone not asked: ignored", story_id)
            return AnswerResult(AnswerOutcome.NOT_YOURS)
        row = story.row
        if version != row.version:
            return AnswerResult(AnswerOutcome.REPLACED, row.version)
        mine = (
            row.mentee_consent_at
            if story.pair.mentor_id == row.author_id
            else row.mentor_consent_at
        )
        if row.status == StoryStatus.DECLINED.value and row.declined_by == user_id:
            return AnswerResult(AnswerOutcome.ALREADY if not approve else AnswerOutcome.CLOSED)
        if row.status != StoryStatus.AWAITING_CONSENT.value:
            same = approve and mine is not None
            return AnswerResult(AnswerOutcome.ALREADY if same else AnswerOutcome.CLOSED)
        if not approve:
            await _decline(session, story, by=user_id, now=now)
            return AnswerResult(AnswerOutcome.DECLINED, row.version)
        if story.pair.mentor_id == row.author_id:
            row.mentee_consent_at = now
        else:
            row.mentor_consent_at = now
        row.updated_at = now
        if story.program.stories_need_approval:
            row.status = StoryStatus.AWAITING_APPROVAL.value
            await _ask_admins(session, story, now=now, configured_admins=configured_admins)
        else:
            await _approve(session, story, now=now)
        logger.info("story %s v%s: partner approved", row.id, row.version)
        return AnswerResult(AnswerOutcome.APPROVED, row.version)


async def admin_answer_story(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    story_id: int,
    version: int,
    approve: bool,
    now: datetime,
) -> AnswerResult:
    """An admin's decision (the admin guard let only admins' clicks through)."""
    async with sessions() as session, session.begin():
        story = await _load(session, team_id=team_id, story_id=story_id)
        if story is None:
            return AnswerResult(AnswerOutcome.CLOSED)
        row = story.row
        if version != row.version:
            return AnswerResult(AnswerOutcome.REPLACED, row.version)
        if row.status != StoryStatus.AWAITING_APPROVAL.value:
            same = (approve and row.admin_approved_by == user_id) or (
                not approve and row.declined_by == user_id
            )
            return AnswerResult(AnswerOutcome.ALREADY if same else AnswerOutcome.CLOSED)
        decided = admin_answered_message(approved=approve, admin_user_id=user_id)
        # The other admins' requests show who decided; the clicker's is updated in place.
        # Only the other admins' requests: the partner's and the author's DMs keep their
        # Withdraw buttons.
        keep = [ask_key(row.id, row.version, user_id), waiting_key(row.id, row.version)]
        if story.partner is not None:
            keep.append(ask_key(row.id, row.version, story.partner.slack_user_id))
        await _retire_requests(session, story, decided, now=now, keep=keep)
        if not approve:
            await _decline(session, story, by=user_id, now=now)
            return AnswerResult(AnswerOutcome.DECLINED, row.version)
        row.admin_approved_at, row.admin_approved_by = now, user_id
        await _approve(session, story, now=now)
        logger.info("story %s v%s: admin approved", row.id, row.version)
        return AnswerResult(AnswerOutcome.APPROVED, row.version)


async def _ask_admins(
    session: AsyncSession, story: _Story, *, now: datetime, configured_admins: Collection[str]
) -> None:
    row = story.row
    admins = await list_admin_user_ids(
        session, team_id=row.team_id, configured=frozenset(configured_admins)
    )
    payload = admin_approval_message(
        story.post(), story_id=row.id, version=row.version, channel_id=story.program.channel_id
    )
    for admin in admins:
        await enqueue_message(
            session, team_id=row.team_id, key=ask_key(row.id, row.version, admin),
            channel=admin, payload=payload, due_at=now, pair_id=story.pair.id,
        )  # fmt: skip


async def _decline(session: AsyncSession, story: _Story, *, by: str, now: datetime) -> None:
    row = story.row
    row.status = StoryStatus.DECLINED.value
    row.declined_at, row.declined_by, row.updated_at = now, by, now
    author = story.author
    if author is not None:
        await enqueue_message(
            session, team_id=row.team_id, key=f"story:{row.id}:v{row.version}:declined",
            channel=author.slack_user_id, payload=story_declined_message(title=row.title),
            due_at=next_working_time(now, timezone=author.timezone), pair_id=story.pair.id,
        )  # fmt: skip
    logger.info("story %s v%s declined", row.id, row.version)


async def _approve(session: AsyncSession, story: _Story, *, now: datetime) -> None:
    """Every approval is in: queue the shout-out (or tell the author there is no channel)."""
    row, program = story.row, story.program
    row.status = StoryStatus.APPROVED.value
    row.updated_at = now
    if not program.channel_id:
        if story.author is not None:
            await enqueue_message(
                session, team_id=row.team_id, key=f"story:{row.id}:v{row.version}:no-channel",
                channel=story.author.slack_user_id,
                payload=story_no_channel_message(title=row.title), due_at=now,
                pair_id=story.pair.id,
            )  # fmt: skip
        return
    row.post_key = post_key(row.id, row.version)
    await enqueue_message(
        session, team_id=row.team_id, key=row.post_key, channel=program.channel_id,
        payload=story_post(story.post()), due_at=now,
    )  # fmt: skip
    row.status = StoryStatus.POSTED.value
    row.posted_at = now
    # The author's "waiting" DM no longer offers Edit (a posted story is not edited).
    waiting = waiting_key(row.id, row.version)
    others = [k for k in await _request_keys(session, row.id, row.version) if k != waiting]
    await _retire_requests(session, story, story_all_approved_message(), now=now, keep=others)
    for person in (story.mentor, story.leader):
        if person is None:
            continue
        await enqueue_message(
            # Under the version's prefix: a withdrawal retires it with the requests.
            session, team_id=row.team_id, key=f"story:{row.id}:v{row.version}:posted:{person.id}",
            channel=person.slack_user_id, due_at=now, pair_id=story.pair.id,
            payload=story_posted_message(story_id=row.id, version=row.version,
                                         channel_id=program.channel_id, title=row.title),
        )  # fmt: skip
    logger.info("story %s v%s: shout-out queued", row.id, row.version)


# --- withdrawal and removal --------------------------------------------------------------


class WithdrawOutcome(enum.Enum):
    WITHDRAWN = "withdrawn"
    ALREADY = "already"
    CLOSED = "closed"  # declined: nothing to take back
    NOT_YOURS = "not_yours"


async def withdraw_story(
    sessions: Sessions, *, team_id: str, user_id: str, story_id: int, now: datetime
) -> WithdrawOutcome:
    """Either partner takes the story back, before or after it was posted."""
    async with sessions() as session, session.begin():
        story = await _load(session, team_id=team_id, story_id=story_id)
        people = [p for p in (story.mentor, story.leader) if p] if story else []
        if story is None or user_id not in {p.slack_user_id for p in people}:
            logger.info("story %s: withdrawal by someone outside the pair: ignored", story_id)
            return WithdrawOutcome.NOT_YOURS
        row = story.row
        if row.status == StoryStatus.WITHDRAWN.value:
            return WithdrawOutcome.ALREADY
        if row.status == StoryStatus.DECLINED.value:
            return WithdrawOutcome.CLOSED
        posted_in = story.program.channel_id if row.status == StoryStatus.POSTED.value else None
        row.status = StoryStatus.WITHDRAWN.value
        row.withdrawn_at, row.withdrawn_by, row.updated_at = now, user_id, now
        await _retire_requests(session, story, story_withdrawn_message(by_user_id=user_id), now=now)
        await enqueue_story_removal(session, row, now=now)
        notice = story_withdrawn_notice(by_user_id=user_id, title=row.title, channel_id=posted_in)
        for person in people:
            if person.slack_user_id != user_id:
                await enqueue_message(
                    session, team_id=row.team_id, key=f"story:{row.id}:withdrawn:{person.id}",
                    channel=person.slack_user_id, due_at=now, pair_id=story.pair.id,
                    payload=notice,
                )  # fmt: skip
        logger.info("story %s withdrawn", row.id)
        return WithdrawOutcome.WITHDRAWN


async def enqueue_story_removal(session: AsyncSession, row: StoryRow, *, now: datetime) -> None:
    """Take the shout-out back: a pending post is dropped, a sent one deleted (outbox
    chat.delete). A post being sent right now is left to the "story-removals" sweep."""
    if not row.post_key:
        return
    dropped = await drop_keyed_messages(
        session, team_id=row.team_id, keys=[row.post_key], reason="story withdrawn"
    )
    if dropped:
        return
    post = await session.scalar(
        select(OutgoingMessageRow).where(OutgoingMessageRow.key == row.post_key)
    )
    if post is None or post.status != DeliveryStatus.SENT.value:
        return
    if post.sent_channel and post.sent_ts:
        await enqueue_message(
            session, team_id=row.team_id, key=delete_key(row.id), method="chat.delete",
            channel=post.sent_channel,
            payload={"channel": post.sent_channel, "ts": post.sent_ts}, due_at=now,
        )  # fmt: skip


async def enqueue_pair_story_removals(
    session: AsyncSession, *, pair_ids: Collection[int], now: datetime
) -> int:
    """Erasure: the pairs' posted stories leave the channel before their rows go."""
    rows = list(
        await session.scalars(
            select(StoryRow).where(StoryRow.pair_id.in_(list(pair_ids)),
                                   StoryRow.post_key.is_not(None))
        )
    )  # fmt: skip
    for row in rows:
        await enqueue_story_removal(session, row, now=now)
    return len(rows)


async def sweep_story_removals(
    sessions: Sessions,
    client: AsyncWebClient | None,
    *,
    now: datetime,
    configured_admins: Collection[str],
    tokens: WorkspaceTokens | None = None,
) -> int:
    """Decision sweep: a withdrawn story's post that was still being sent gets its
    chat.delete; one Slack would not delete is reported to the admins, once, with where
    it is (a permalink when Slack gives one)."""
    async with sessions() as session:
        rows = (
            await session.execute(
                select(StoryRow, OutgoingMessageRow)
                .join(OutgoingMessageRow, OutgoingMessageRow.key == StoryRow.post_key)
                .where(
                    StoryRow.status == StoryStatus.WITHDRAWN.value,
                    StoryRow.removal_reported_at.is_(None),
                    StoryRow.withdrawn_at >= now - REMOVAL_WATCH,
                    OutgoingMessageRow.status == DeliveryStatus.SENT.value,
                    live_team(StoryRow.team_id),
                )
            )
        ).all()
        if not rows:
            return 0
        deletes = {
            d.key: d
            for d in await session.scalars(
                select(OutgoingMessageRow).where(
                    OutgoingMessageRow.key.in_([delete_key(s.id) for s, _ in rows])
                )
            )
        }
    failed = [(s, p, deletes[delete_key(s.id)]) for s, p in rows
              if deletes.get(delete_key(s.id)) is not None
              and deletes[delete_key(s.id)].status == DeliveryStatus.FAILED.value]  # fmt: skip
    links = {s.id: await _permalink(client, p, tokens) for s, p, _ in failed}
    done = 0
    async with sessions() as session, session.begin():
        for story, _post in rows:
            if delete_key(story.id) not in deletes:
                row = await session.get(StoryRow, story.id)
                if row is not None:
                    await enqueue_story_removal(session, row, now=now)
                    done += 1
        for story, post, removal in failed:
            row = await session.get(StoryRow, story.id, with_for_update=True)
            program = await session.get(ProgramRow, story.program_id)
            if row is None or program is None or row.removal_reported_at is not None:
                continue
            row.removal_reported_at = now
            admins = await list_admin_user_ids(
                session, team_id=row.team_id, configured=frozenset(configured_admins)
            )
            payload = removal_failed_message(
                program_name=program.name, channel_id=post.sent_channel or "",
                posted_ts=post.sent_ts or "", permalink=links.get(row.id),
                error=removal.last_error or "unknown",
            )  # fmt: skip
            for admin in admins:
                await enqueue_message(
                    session, team_id=row.team_id, key=f"story:{row.id}:removal-failed:{admin}",
                    channel=admin, payload=payload, due_at=now,
                )  # fmt: skip
            done += 1
            logger.info("story %s: removal failed, %d admin(s) told", row.id, len(admins))
    return done


async def _permalink(
    client: AsyncWebClient | None, post: OutgoingMessageRow, tokens: WorkspaceTokens | None
) -> str | None:
    if client is None or not (post.sent_channel and post.sent_ts):
        return None
    # The post's own workspace token (OAuth mode); no installation, no link.
    token = await tokens.bot_token(post.team_id) if tokens else None
    if tokens and token is None:
        return None
    auth: dict[str, Any] = {"token": token} if token else {}
    try:
        found = await client.chat_getPermalink(
            channel=post.sent_channel, message_ts=post.sent_ts, **auth
        )
    except SlackApiError as exc:
        logger.info("no permalink for %s: %s", post.sent_ts, exc.response.get("error"))
        return None
    link = found.get("permalink")
    return str(link) if isinstance(link, str) and link.startswith("https://") else None


# --- invitations ---------------------------------------------------------------------------


async def invite_if_both_loved_it(
    session: AsyncSession, reflection: ReflectionRow, *, now: datetime
) -> bool:
    """A reflection was just saved (in the caller's transaction): when it rates a
    meeting 5 and the partner's reflection on the same meeting did too, both partners
    are invited, once, to share a story (each in their working hours).

    Decided where reflections are saved, not by a sweep over every reflection.
    """
    if reflection.rating != 5 or reflection.pair_id is None or reflection.met_on is None:
        return False
    pair = await session.scalar(
        select(PairRow)
        .where(PairRow.id == reflection.pair_id, PairRow.story_invited_at.is_(None))
        .with_for_update()
    )
    if pair is None or None in (pair.mentor_id, pair.mentee_id):
        return False
    partner_id = pair.mentee_id if reflection.author_id == pair.mentor_id else pair.mentor_id
    loved = await session.scalar(
        select(ReflectionRow.id)
        .where(
            ReflectionRow.pair_id == pair.id,
            ReflectionRow.author_id == partner_id,
            ReflectionRow.met_on == reflection.met_on,
            ReflectionRow.rating == 5,
        )
        .limit(1)
    )
    if loved is None:
        return False
    pair.story_invited_at = now
    mentor = await session.get(PersonRow, pair.mentor_id)
    leader = await session.get(PersonRow, pair.mentee_id)
    assert mentor is not None and leader is not None
    for reader, partner in ((mentor, leader), (leader, mentor)):
        if not reader.is_active:
            continue
        await enqueue_message(
            session, team_id=pair.team_id, key=invite_key(pair.id, reader.id),
            channel=reader.slack_user_id, pair_id=pair.id,
            payload=story_invitation_message(
                pair_id=pair.id, partner_user_id=partner.slack_user_id
            ),
            due_at=next_working_time(now, timezone=reader.timezone),
        )  # fmt: skip
    logger.info("story invitation: pair %s", pair.id)
    return True
