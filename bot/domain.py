"""Plain values shared by every layer: roles, career stages, statuses.

Nothing here does I/O; the database stores these enums by their string values.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """What a participant comes to a program for."""

    MENTOR = "mentor"  # reverse mentor: early-career, shares what they know
    MENTEE = "mentee"  # leader: learns from an early-career colleague
    EITHER = "either"


class CareerStage(enum.IntEnum):
    """Career stage, never age (PRODUCT §2)."""

    EARLY_CAREER = 1
    DEVELOPING = 2
    EXPERIENCED = 3
    SENIOR_LEADER = 4
    EXECUTIVE = 5

    @property
    def label(self) -> str:
        return _STAGE_LABELS[self]


_STAGE_LABELS = {
    CareerStage.EARLY_CAREER: "Early career",
    CareerStage.DEVELOPING: "Developing",
    CareerStage.EXPERIENCED: "Experienced",
    CareerStage.SENIOR_LEADER: "Senior leader",
    CareerStage.EXECUTIVE: "Executive",
}


class MembershipStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"


class SkillKind(enum.StrEnum):
    """The two directions a skill can face on a profile."""

    TEACH = "teach"
    LEARN = "learn"


class MatchPriority(enum.StrEnum):
    """How a program trades coverage against quality when matching."""

    MOST_MATCHED = "most_matched"  # match as many people as possible, then best score
    HIGHEST_SCORE = "highest_score"  # maximise the total score alone


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    ANNOUNCED = "announced"
    CANCELLED = "cancelled"


class PairStatus(enum.StrEnum):
    DRAFT = "draft"  # in a round's preview: nobody has been told
    PROPOSED = "proposed"  # confirmed, waiting for both people's private consent
    ACTIVE = "active"  # introduced
    DECLINED = "declined"  # one of them declined the proposal
    EXPIRED = "expired"  # the proposal went unanswered
    ENDED = "ended"


class ConsentAnswer(enum.StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"


class FitAnswer(enum.StrEnum):
    GOOD = "good"
    DECIDING = "deciding"
    NOT_A_FIT = "not_a_fit"


class CheckinAnswer(enum.StrEnum):
    MET = "met"  # a meeting was recorded for the period (by this person or the partner)
    NOT_YET = "not_yet"  # a reminder follows in 3 working days (within the nudge budget)
    SNOOZED = "snoozed"  # asked again in a week (within the nudge budget)
    NOT_A_FIT = "not_a_fit"


class CheckinStatus(enum.StrEnum):
    """Where one partner's check-in for one period stands."""

    SCHEDULED = "scheduled"  # due at due_at, not sent yet
    SENT = "sent"  # queued in the outbox (message_key); maybe answered
    SKIPPED = "skipped"  # never sent, skip_reason says why (stale, paused, left, ...)


class RiskAnswer(enum.StrEnum):
    """A partner's answer to "no meeting for two periods: what now?"."""

    NEW_MATCH = "new_match"
    PAUSE = "pause"
    KEEP_GOING = "keep_going"


class StoryStatus(enum.StrEnum):
    AWAITING_CONSENT = "awaiting_consent"  # the partner has not approved this version
    AWAITING_APPROVAL = "awaiting_approval"  # both partners agreed; an admin must too
    APPROVED = "approved"  # every approval given: the shout-out is queued
    POSTED = "posted"
    DECLINED = "declined"  # the partner or an admin said no: it stops here
    WITHDRAWN = "withdrawn"  # a partner took it back (deleted from the channel if posted)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"
    FAILED = "failed"  # permanent error, reason recorded
    DROPPED = "dropped"  # no longer timely or wanted; dropped by a decision, reason recorded


# How often a pair meets: the choices a program and a participant pick from. Monthly is
# four weeks, so check-ins keep to the same weekday.
CADENCES: tuple[tuple[int, str], ...] = ((7, "Weekly"), (14, "Every 2 weeks"), (28, "Monthly"))

# Check-in days are weekdays only (Monday = 0 … Friday = 4), stored as a bit mask
# (bit d for weekday d), so a weekend day cannot even be stored. The local time is in
# minutes after midnight, between 08:00 and 16:30: never at night.
WEEKDAY_NAMES: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
ALL_WEEKDAYS_MASK = 0b11111
CHECKIN_MINUTE_DEFAULT = 9 * 60 + 30
CHECKIN_MINUTE_RANGE = (8 * 60, 16 * 60 + 30)
REMINDERS_PER_PERIOD_DEFAULT = 1
REMINDERS_PER_PERIOD_MAX = 3
