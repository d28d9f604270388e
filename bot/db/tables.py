"""ORM rows. Every row carries the Slack team id it belongs to.

Times are stored as UTC (see UTCDateTime); enums by their string values.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.domain import (
    ALL_WEEKDAYS_MASK,
    CHECKIN_MINUTE_DEFAULT,
    CHECKIN_MINUTE_RANGE,
    REMINDERS_PER_PERIOD_DEFAULT,
    REMINDERS_PER_PERIOD_MAX,
    CheckinAnswer,
    CheckinStatus,
    ConsentAnswer,
    DeliveryStatus,
    FitAnswer,
    MatchPriority,
    MembershipStatus,
    PairStatus,
    RiskAnswer,
    Role,
    RoundStatus,
    SkillKind,
    StoryStatus,
)

# Stable constraint names, so migrations (and SQLite batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TEAM_ID = String(32)
SLACK_ID = String(32)


def one_of(column: str, values: type[enum.StrEnum], *, nullable: bool = False) -> CheckConstraint:
    """A CHECK that a column holds one of an enum's values (named `<column>_valid`)."""
    listed = ", ".join(f"'{v.value}'" for v in values)
    rule = f"{column} IN ({listed})"
    if nullable:
        rule = f"{column} IS NULL OR {rule}"
    return CheckConstraint(rule, name=f"{column}_valid")


def partial_index(name: str, *columns: Any, where: str) -> Index:
    """An index over the rows `where` holds, on every database."""
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


def between(column: str, low: int, high: int, *, nullable: bool = False) -> CheckConstraint:
    rule = f"{column} BETWEEN {low} AND {high}"
    if nullable:
        rule = f"{column} IS NULL OR {rule}"
    return CheckConstraint(rule, name=f"{column}_range")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class WorkspaceRow(Base):
    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(TEAM_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime]
    # OAuth mode (issue 13): set when the app is uninstalled or its bot token revoked,
    # cleared by a reinstall. While set, no sweep decides anything for the workspace.
    uninstalled_at: Mapped[datetime | None]


class ProgramRow(Base):
    __tablename__ = "programs"
    __table_args__ = (
        UniqueConstraint("team_id", "name"),
        between("cadence_days", 1, 365),
        between("round_weeks", 1, 104),
        between("min_stage_gap", 0, 4),
        between("min_leader_stage", 1, 5),
        one_of("priority", MatchPriority),
        between("min_shared_skills", 0, 100),
        CheckConstraint("min_overlap_hours BETWEEN 0 AND 8", name="min_overlap_hours_range"),
        CheckConstraint("match_time_limit > 0", name="match_time_limit_positive"),
        between("consent_hours", 1, 720),
        between("checkin_days", 1, ALL_WEEKDAYS_MASK),
        between("checkin_minute", *CHECKIN_MINUTE_RANGE),
        between("reminders_per_period", 0, REMINDERS_PER_PERIOD_MAX),
        between("milestone_meetings", 1, 100),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    objectives: Mapped[str] = mapped_column(Text, default="")
    cadence_days: Mapped[int] = mapped_column(Integer, default=14)
    round_weeks: Mapped[int] = mapped_column(Integer, default=12)
    channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    starts_on: Mapped[date | None] = mapped_column(Date)
    min_stage_gap: Mapped[int] = mapped_column(Integer, default=1)
    min_leader_stage: Mapped[int] = mapped_column(Integer, default=3)
    priority: Mapped[str] = mapped_column(String(20), default=MatchPriority.MOST_MATCHED.value)
    weights: Mapped[dict[str, Any] | None]
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # Matching rules (bot.matching.Constraints): a pair must teach the leader this many
    # of their wants and share this many working hours; the `either` search's budget.
    min_shared_skills: Mapped[int] = mapped_column(Integer, default=1)
    min_overlap_hours: Mapped[float] = mapped_column(Float, default=1.0)
    match_time_limit: Mapped[float] = mapped_column(Float, default=10.0)
    # Rounds: pair at each round's start without a preview (admins get the summary);
    # ask both people's private consent before the intro, and for how long.
    pairs_automatically: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_required: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_hours: Mapped[int] = mapped_column(Integer, default=72)
    stories_need_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    # Check-ins: on these weekdays (bit mask, Monday = bit 0; weekends cannot be set) at
    # this local time (minutes after midnight), and at most this many reminders per
    # person per cadence period ("Not yet", "Snooze a week") besides the check-in.
    checkin_days: Mapped[int] = mapped_column(Integer, default=ALL_WEEKDAYS_MASK)
    checkin_minute: Mapped[int] = mapped_column(Integer, default=CHECKIN_MINUTE_DEFAULT)
    reminders_per_period: Mapped[int] = mapped_column(Integer, default=REMINDERS_PER_PERIOD_DEFAULT)
    # Channel posts besides stories: a shout-out when a pair has met this many times
    # or completed a round, and a monthly digest, each of which a program can turn off.
    # The digest goes out in the program's working hours in `timezone` (IANA; None:
    # the zone most of its members are in), once per month (`digest_posted_for` holds
    # the first day of the last month it covered).
    celebrates_milestones: Mapped[bool] = mapped_column(Boolean, default=True)
    milestone_meetings: Mapped[int] = mapped_column(Integer, default=5)
    posts_digest: Mapped[bool] = mapped_column(Boolean, default=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    digest_posted_for: Mapped[date | None] = mapped_column(Date)
    # The admins' monthly DM (headline numbers and the chart): the last month it covered.
    admin_digest_for: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SkillRow(Base):
    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("program_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    name_key: Mapped[str] = mapped_column(String(60))  # trimmed, case-folded: the identity
    category: Mapped[str] = mapped_column(String(60), default="")
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class PersonRow(Base):
    """A workspace member's profile, entered once and shared by their programs."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("team_id", "slack_user_id"),
        between("career_stage", 1, 5, nullable=True),
        between("checkin_weekday", 0, 4, nullable=True),
        between("checkin_minute", *CHECKIN_MINUTE_RANGE, nullable=True),
        # The profile refresh sweep's "never read from Slack" rows, without a scan.
        partial_index("ix_people_unsynced", "id", where="profile_synced_at IS NULL"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    slack_user_id: Mapped[str] = mapped_column(SLACK_ID)
    name: Mapped[str] = mapped_column(String(120), default="")
    title: Mapped[str] = mapped_column(String(120), default="")
    career_stage: Mapped[int | None] = mapped_column(Integer)
    department: Mapped[str] = mapped_column(String(80), default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    manager_slack_id: Mapped[str | None] = mapped_column(SLACK_ID)
    is_workspace_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # When name, title and zone were last read from Slack; None: never read (users.info
    # failed), so they are defaults to be refreshed before anything is scheduled from them.
    profile_synced_at: Mapped[datetime | None]
    # Their own check-in day (0 = Monday … 4 = Friday) and local time, from the Home
    # tab; None: the program's. One person gets one combined check-in for all programs.
    checkin_weekday: Mapped[int | None] = mapped_column(Integer)
    checkin_minute: Mapped[int | None] = mapped_column(Integer)
    # Check-in messages left unanswered in a row; at three they are paused and told.
    ignored_checkins: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PersonSkillRow(Base):
    __tablename__ = "person_skills"
    __table_args__ = (one_of("kind", SkillKind),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # SkillKind
    team_id: Mapped[str] = mapped_column(TEAM_ID)


class MembershipRow(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("program_id", "person_id"),
        one_of("role", Role),
        one_of("status", MembershipStatus),
        between("max_mentees", 1, 10),
        between("cadence_days", 1, 365, nullable=True),
        Index("ix_memberships_paused_until", "paused_until"),  # pauses that end
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(8))  # Role
    max_mentees: Mapped[int] = mapped_column(Integer, default=1)
    cadence_days: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default=MembershipStatus.ACTIVE.value)
    paused_until: Mapped[datetime | None]
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    left_reason: Mapped[str | None] = mapped_column(Text)  # private: admins' reports only
    # Asked for a no-fault re-match (fit check): the next round pairs them anew.
    wants_rematch: Mapped[bool] = mapped_column(Boolean, default=False)


class RoundRow(Base):
    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("program_id", "number"), one_of("status", RoundStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=RoundStatus.DRAFT.value)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(SLACK_ID)
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    # The admin's changes to the preview, by person id: {"pinned": [[mentor, mentee]],
    # "excluded_pairs": [[a, b]], "excluded_people": [id]}; applied on every re-run.
    adjustments: Mapped[dict[str, Any] | None]
    # The preview's figures: counts, what each rule cost, notes (no private text).
    summary: Mapped[dict[str, Any] | None]


class PairRow(Base):
    """Partners in one round. People are nulled, not deleted, when one erases their data."""

    __tablename__ = "pairs"
    __table_args__ = (
        UniqueConstraint("round_id", "mentor_id", "mentee_id"),
        one_of("status", PairStatus),
        one_of("mentor_consent", ConsentAnswer, nullable=True),
        one_of("mentee_consent", ConsentAnswer, nullable=True),
        one_of("mentor_fit", FitAnswer, nullable=True),
        one_of("mentee_fit", FitAnswer, nullable=True),
        one_of("mentor_risk", RiskAnswer, nullable=True),
        one_of("mentee_risk", RiskAnswer, nullable=True),
        between("cadence_days", 1, 365, nullable=True),
        # What the sweeps look up when nothing is due: fit checks by due time; a round's
        # pairs by status (round end, consent); active pairs introduced before
        # check-ins existed, still to be planned (a handful, once).
        Index("ix_pairs_fit_due_at", "fit_due_at"),
        Index("ix_pairs_status_round_id", "status", "round_id"),
        partial_index(
            "ix_pairs_unplanned",
            "id",
            where="status = 'active' AND cadence_days IS NULL AND introduced_at IS NOT NULL",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    mentee_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    score: Mapped[float] = mapped_column(Float, default=0.0)
    shared_skills: Mapped[list[str]] = mapped_column(default=list)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(8), default=PairStatus.ACTIVE.value)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)  # kept by an admin
    conversation_id: Mapped[str | None] = mapped_column(SLACK_ID)
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # Consent (programs that ask for it): each answer is private to its author; a
    # decline's reason is for admins only and never reaches the partner.
    mentor_consent: Mapped[str | None] = mapped_column(String(8))  # ConsentAnswer
    mentee_consent: Mapped[str | None] = mapped_column(String(8))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    consent_due_at: Mapped[datetime | None]  # the proposal expires then
    consent_reminded_at: Mapped[datetime | None]
    introduced_at: Mapped[datetime | None]
    # Fit check: asked after the first meeting (or two weeks after the intro).
    fit_due_at: Mapped[datetime | None]
    mentor_fit: Mapped[str | None] = mapped_column(String(12))  # FitAnswer
    mentee_fit: Mapped[str | None] = mapped_column(String(12))
    # Round end: both must ask to continue for the pair to be kept in the next round.
    mentor_continues: Mapped[bool | None]
    mentee_continues: Mapped[bool | None]
    # How often they are checked in on, fixed at the intro (see worktime.pair_cadence);
    # None for pairs introduced before check-ins: the program's cadence.
    cadence_days: Mapped[int | None] = mapped_column(Integer)
    # Stalled: no meeting for two periods since max(intro, last meeting, risk_cleared_at).
    # risk_asked_at: when both were last asked "new match, pause, or keep going?";
    # each answer is private to its author.
    risk_asked_at: Mapped[datetime | None]
    risk_cleared_at: Mapped[datetime | None]
    mentor_risk: Mapped[str | None] = mapped_column(String(12))  # RiskAnswer
    mentee_risk: Mapped[str | None] = mapped_column(String(12))
    # Channel shout-outs already posted for this pair (milestone, completed round), and
    # when both partners were asked for a story after both rated a meeting 5.
    milestone_posted_at: Mapped[datetime | None]
    completion_posted_at: Mapped[datetime | None]
    story_invited_at: Mapped[datetime | None]


class RoundUnmatchedRow(Base):
    """Someone a round left without a partner, and why (shown to admins, told kindly)."""

    __tablename__ = "round_unmatched"
    __table_args__ = (UniqueConstraint("round_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)


class RosterEntryRow(Base):
    """One person of an HR roster imported into a program (§6 columns), by Slack user.

    Enrolled people get their profile filled from it; the others are only listed
    (an admin may invite them), never enrolled silently. Erased with the person.
    """

    __tablename__ = "roster_entries"
    __table_args__ = (
        UniqueConstraint("program_id", "slack_user_id"),
        one_of("role", Role, nullable=True),
        between("career_stage", 1, 5, nullable=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    slack_user_id: Mapped[str] = mapped_column(SLACK_ID)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str | None] = mapped_column(String(8))
    career_stage: Mapped[int | None] = mapped_column(Integer)
    department: Mapped[str] = mapped_column(String(80), default="")
    manager_slack_id: Mapped[str | None] = mapped_column(SLACK_ID)
    previous_partners: Mapped[list[str]] = mapped_column(default=list)  # Slack user ids
    imported_at: Mapped[datetime]
    invited_at: Mapped[datetime | None]


class CheckinRow(Base):
    """One "did you meet?" question to one partner for one period.

    Period `sequence` n of a pair is the same for both partners (n cadences after the
    intro); each partner's `due_at` is their own local check-in time in it. The row is
    written ahead (SCHEDULED), so the sweep only reads the due index.
    """

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("pair_id", "person_id", "sequence"),
        Index("ix_checkins_due", "status", "due_at"),
        one_of("answer", CheckinAnswer, nullable=True),
        one_of("status", CheckinStatus),
        between("reminders", 0, REMINDERS_PER_PERIOD_MAX),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default=CheckinStatus.SCHEDULED.value)
    skip_reason: Mapped[str | None] = mapped_column(String(40))  # SKIPPED: why, for the record
    sent_at: Mapped[datetime | None]
    # The outbox key of the last DM that carried it (one DM may carry several check-ins:
    # a person in two programs gets one combined message); chat.update finds it there.
    message_key: Mapped[str | None] = mapped_column(String(200))
    answer: Mapped[str | None] = mapped_column(String(12))  # CheckinAnswer
    answered_at: Mapped[datetime | None]
    # Who answered, when the partner's "We met" answered it for them.
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    remind_at: Mapped[datetime | None] = mapped_column(index=True)
    reminders: Mapped[int] = mapped_column(Integer, default=0)  # sent in this period
    help_requested_at: Mapped[datetime | None]


class MeetingRow(Base):
    """A meeting a partner recorded. From a check-in, `sequence` is its period: one
    meeting per pair and period, however many clicks or retries."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("pair_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    met_on: Mapped[date] = mapped_column(Date)
    sequence: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class ReflectionRow(Base):
    """Private to its author: only they ever see the text. Admins see counts and
    ratings per program, never text; a story drafted from it is a separate row the
    author writes anew (`shared` marks that one was)."""

    __tablename__ = "reflections"
    __table_args__ = (between("rating", 1, 5, nullable=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    pair_id: Mapped[int | None] = mapped_column(
        ForeignKey("pairs.id", ondelete="SET NULL"), index=True
    )
    # For the admins' per-program counts; reflections without a pair keep a program.
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    met_on: Mapped[date | None] = mapped_column(Date)  # the meeting it is about
    learned: Mapped[str] = mapped_column(Text, default="")
    taught: Mapped[str] = mapped_column(Text, default="")
    try_next: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class ReflectionTopicRow(Base):
    """A skill a reflection says was covered (private like the reflection; counted
    across a program for the digest's "top skills exchanged")."""

    __tablename__ = "reflection_topics"

    reflection_id: Mapped[int] = mapped_column(
        ForeignKey("reflections.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class StoryRow(Base):
    """A success story about one pair, posted to the program channel only after every
    required approval of its current `version`: the partner's (the author's is their
    submit), then an admin's when the program asks for it. An edit bumps `version` and
    clears the approvals. `text` is "what changed"."""

    __tablename__ = "stories"
    __table_args__ = (one_of("status", StoryStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    pair_id: Mapped[int | None] = mapped_column(
        ForeignKey("pairs.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    reflection_id: Mapped[int | None] = mapped_column(
        ForeignKey("reflections.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(150), default="")
    text: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default=StoryStatus.AWAITING_CONSENT.value)
    mentor_consent_at: Mapped[datetime | None]
    mentee_consent_at: Mapped[datetime | None]
    admin_approved_at: Mapped[datetime | None]
    admin_approved_by: Mapped[str | None] = mapped_column(SLACK_ID)
    declined_at: Mapped[datetime | None]
    declined_by: Mapped[str | None] = mapped_column(SLACK_ID)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(SLACK_ID)
    # The channel post's outbox key (its sent_channel / sent_ts say where it is), and
    # when admins were told a withdrawn post could not be deleted.
    post_key: Mapped[str | None] = mapped_column(String(200))
    removal_reported_at: Mapped[datetime | None]
    posted_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class CloseoutAnswerRow(Base):
    """A participant's close-out survey at the end of a round: how valuable (1–5),
    would they do it again, would they switch roles. Counted in reports, never shown
    per person; `rejoined_at`: they took the one-click offer of the next round."""

    __tablename__ = "closeout_answers"
    __table_args__ = (
        UniqueConstraint("round_id", "person_id"),
        one_of("role", Role),
        between("value", 1, 5, nullable=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pairs.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(8))  # their role in that round
    value: Mapped[int | None] = mapped_column(Integer)
    again: Mapped[bool | None]
    switch: Mapped[bool | None]  # would take the other role next time
    answered_at: Mapped[datetime]
    rejoined_at: Mapped[datetime | None]


class StorySkillRow(Base):
    """A skill a story says was involved."""

    __tablename__ = "story_skills"

    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class OutgoingMessageRow(Base):
    """The outbox: every message the bot decided to send, written with the decision."""

    __tablename__ = "outgoing_messages"
    __table_args__ = (
        Index("ix_outgoing_messages_due", "status", "next_attempt_at"),
        Index("ix_outgoing_messages_lease", "status", "lease_until"),
        # The payload purge: rows not purged yet, by when they were written.
        partial_index("ix_outgoing_messages_unpurged", "created_at", where="purged_at IS NULL"),
        one_of("status", DeliveryStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    method: Mapped[str] = mapped_column(String(40))
    # A channel (C…, D…, G…) or user id (U…: the bot's DM), or None with `users`
    # set: a group DM opened with conversations.open first.
    channel: Mapped[str | None] = mapped_column(SLACK_ID)
    users: Mapped[str | None] = mapped_column(String(300))
    # What the message is about, so pausing, leaving or a deactivated account can drop
    # what no longer applies. Not foreign keys: the row outlives both (key and outcome).
    membership_id: Mapped[int | None] = mapped_column(Integer, index=True)
    pair_id: Mapped[int | None] = mapped_column(Integer, index=True)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(8), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    # Set and judged by the database's clock, never a worker's (see delivery.py).
    lease_until: Mapped[datetime | None]
    lease_token: Mapped[str | None] = mapped_column(String(36))  # fences a stale worker out
    attempt_started_at: Mapped[datetime | None]
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_channel: Mapped[str | None] = mapped_column(SLACK_ID)
    sent_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # The payload is emptied once delivered rows pass the retention period.
    purged_at: Mapped[datetime | None]


class DeliveryHoldRow(Base):
    """A pause on one workspace's delivery, shared by every process.

    `scope` is a Web API method Slack answered 429 for (held until Retry-After), or
    TOKEN_SCOPE when the workspace's token stopped working (held until it works again).
    """

    __tablename__ = "delivery_holds"

    team_id: Mapped[str] = mapped_column(TEAM_ID, primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")


class ProcessedEventRow(Base):
    """Events API deliveries already handled (Slack retries up to three times)."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    received_at: Mapped[datetime] = mapped_column(index=True)


# OAuth mode (issue 13): slack-sdk's own installation and state tables, defined by
# slack-sdk (so its SQLAlchemy stores read and write them as they expect) but created
# by our migrations, never at run time. `slack_bots.team_id` is how a workspace's
# token is found; slack-sdk keeps every install as a row and reads the latest.
INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"
slack_installations = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, INSTALLATIONS_TABLE
)
slack_bots = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, BOTS_TABLE)
slack_oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, OAUTH_STATES_TABLE
)
