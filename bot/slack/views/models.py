"""What the view builders need, filled by the caller from the database.

Plain frozen values: the builders never see a session, a client or the clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain import (
    ALL_WEEKDAYS_MASK,
    CHECKIN_MINUTE_DEFAULT,
    REMINDERS_PER_PERIOD_DEFAULT,
    CareerStage,
    MatchPriority,
    MembershipStatus,
    Role,
    RoundStatus,
)
from bot.matching.model import WEIGHT_NAMES, Weights


@dataclass(frozen=True)
class ProgramOption:
    """An open program someone can join."""

    id: int
    name: str
    min_leader_stage: int = CareerStage.EXPERIENCED  # a leader's stage is at least this
    min_stage_gap: int = 1  # a mentor's stage is this far below their leader's
    cadence_days: int = 14  # preselected meeting cadence


@dataclass(frozen=True)
class SkillOption:
    id: int
    name: str
    category: str = ""  # "" shows as "Other"
    retired: bool = False  # no longer offered; dropped from a profile when it is next saved


@dataclass(frozen=True)
class ProfileDraft:
    """Everything the enrollment modal can prefill; skills are skill ids."""

    program_id: int | None = None
    role: Role | None = None
    career_stage: CareerStage | None = None
    department: str = ""
    teaches: frozenset[int] = frozenset()
    learns: frozenset[int] = frozenset()
    goals: str = ""
    cadence_days: int | None = None  # None: the program's cadence
    max_mentees: int = 1
    manager_slack_id: str | None = None  # "Your manager": never paired with them


@dataclass(frozen=True)
class Partner:
    user_id: str  # Slack user id, mentioned by the bot
    name: str


@dataclass(frozen=True)
class MembershipSummary:
    """One program a person takes part in, as they should see it."""

    program_id: int
    program_name: str
    role: Role
    status: MembershipStatus
    paused_until: datetime | None = None  # None while paused: until they resume
    partners: tuple[Partner, ...] = ()  # a mentor may have several leaders
    next_checkin_at: datetime | None = None
    meetings_count: int = 0
    next_round_on: date | None = None  # when the next round starts; None: the admins decide


@dataclass(frozen=True)
class PersonalStatus:
    """A person's profile (shared by their programs) and their memberships."""

    name: str
    career_stage: CareerStage | None = None
    department: str = ""
    goals: str = ""
    teaches: tuple[str, ...] = ()  # skill names
    learns: tuple[str, ...] = ()
    memberships: tuple[MembershipSummary, ...] = ()
    is_active: bool = True  # False: a deleted or guest account, out of rounds and check-ins
    # Their own check-in day (0 = Monday … 4 = Friday) and minute; None: the program's.
    checkin_weekday: int | None = None
    checkin_minute: int | None = None
    reflections: int = 0  # their own; the count is shown to them alone

    @property
    def current(self) -> tuple[MembershipSummary, ...]:
        """Memberships not left: what counts as being enrolled."""
        return tuple(m for m in self.memberships if m.status is not MembershipStatus.LEFT)


@dataclass(frozen=True)
class ProgramSummary:
    """A program line in the admin's App Home."""

    id: int
    name: str
    members: int = 0
    paused: int = 0
    skills: int = 0  # active skills
    # Program management (the admin's Home view):
    is_open: bool = True
    cadence_days: int = 14
    next_round_on: date | None = None  # None: not scheduled yet
    current_round: RoundOverview | None = None
    matched: int = 0  # pairs introduced (active) in the current round
    met: int = 0  # pairs of the current round that met at least once
    awaiting_consent: int = 0  # pairs proposed, waiting for both people's consent


@dataclass(frozen=True)
class ViewMetadata:
    """What a modal carries to its submission in `private_metadata`.

    Untrusted on the way back: read it with `bot.slack.forms.parse_view_metadata`
    and check permissions again.
    """

    program_id: int
    editing: bool = False
    pair_id: int | None = None  # a reflection opened from a check-in: linked to that pair

    def to_json(self) -> str:
        data: dict[str, object] = {"program_id": self.program_id, "editing": self.editing}
        if self.pair_id is not None:
            data["pair_id"] = self.pair_id
        return json.dumps(data)


# --- Program management (`/mentor admin`) ------------------------------------------

_DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class ProgramSettings:
    """Everything an admin sets on a program; one column of `programs` each.

    `weights` maps each of WEIGHT_NAMES to its points (bot.matching.model.Weights).
    The defaults are a new program's, the same as the columns' defaults.
    """

    name: str
    objectives: str = ""
    channel_id: str | None = None
    cadence_days: int = 14
    round_weeks: int = 12
    starts_on: date | None = None
    is_open: bool = True
    priority: MatchPriority = MatchPriority.MOST_MATCHED
    weights: tuple[tuple[str, float], ...] = tuple(
        (name, getattr(_DEFAULT_WEIGHTS, name)) for name in WEIGHT_NAMES
    )
    min_stage_gap: int = 1
    min_shared_skills: int = 1
    min_overlap_hours: float = 1.0
    pairs_automatically: bool = False
    consent_required: bool = False
    consent_hours: int = 72
    stories_need_approval: bool = False
    # Check-ins: weekdays (bit mask, Monday = bit 0), local minute, reminders per period.
    checkin_days: int = ALL_WEEKDAYS_MASK
    checkin_minute: int = CHECKIN_MINUTE_DEFAULT
    reminders_per_period: int = REMINDERS_PER_PERIOD_DEFAULT
    # Channel posts (issue 11): a shout-out at `milestone_meetings` meetings and at a
    # completed round, a monthly digest; `timezone` None: where most members are.
    celebrates_milestones: bool = True
    milestone_meetings: int = 5
    posts_digest: bool = True
    timezone: str | None = None

    @property
    def weight_map(self) -> dict[str, float]:
        return dict(self.weights)


@dataclass(frozen=True)
class ProgramListItem:
    """A program as the admin's program list shows it."""

    id: int
    name: str
    is_open: bool
    is_default: bool
    cadence_days: int
    channel_id: str | None = None


@dataclass(frozen=True)
class RoundOverview:
    """A program's current round, for the admin's Home."""

    number: int
    starts_at: datetime
    ends_at: datetime
    status: RoundStatus
