"""Stalled pairs, pure: when a pair counts as at risk, and when admins hear of it.

A pair is at risk when no meeting has happened for two cadence periods since the
latest of: the intro (the pair's creation when it has none), the last meeting's date
(as a UTC midnight) and the last "keep going" (`risk_cleared_at`). Each of these starts
a new episode; each partner is asked "new match, pause, or keep going?" once per episode.
The SQL form of the same rule is in bot/db/risk.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.domain import RiskAnswer
from bot.matching.overlap import WORKDAY_END, resolve_zone

RISK_PERIODS = 2  # cadence periods without a meeting
DIGEST_FROM = time(9, 30)  # admins' local Monday, from this time to the end of the workday


@dataclass(frozen=True)
class AtRiskPair:
    """A stalled pair as admins see it (the digest, the Home admin view)."""

    pair_id: int
    program_name: str
    mentor_user_id: str | None
    mentee_user_id: str | None
    since: datetime  # the episode's start: intro, last meeting or "keep going"
    last_met_on: date | None
    mentor_answer: RiskAnswer | None = None
    mentee_answer: RiskAnswer | None = None


def met_at(day: date) -> datetime:
    """A meeting's date as an instant: its UTC midnight."""
    return datetime.combine(day, time(), tzinfo=UTC)


def risk_base(
    *, started_at: datetime, last_met_on: date | None, cleared_at: datetime | None
) -> datetime:
    """Where the current episode starts."""
    moments = [started_at]
    if last_met_on is not None:
        moments.append(met_at(last_met_on))
    if cleared_at is not None:
        moments.append(cleared_at)
    return max(moments)


def is_at_risk(base: datetime, *, cadence_days: int, now: datetime) -> bool:
    return base + timedelta(days=RISK_PERIODS * cadence_days) <= now


def weeks_since(moment: datetime, now: datetime) -> int:
    return max(0, (now - moment).days // 7)


def parse_risk_answer(value: str | None) -> RiskAnswer | None:
    return next((a for a in RiskAnswer if a.value == value), None)


def digest_week(now: datetime, *, timezone: str) -> tuple[int, int] | None:
    """(ISO year, ISO week) when `now` is digest time for an admin in this zone (a
    Monday from 09:30 to the end of the working day, local); None otherwise."""
    local = now.astimezone(resolve_zone(timezone))
    if local.weekday() != 0 or not DIGEST_FROM <= local.time() < WORKDAY_END:
        return None
    year, week, _ = local.isocalendar()
    return year, week


def may_be_digest_time(now: datetime) -> bool:
    """Whether `now` is Monday 09:30–17:00 somewhere (zones run from UTC−12 to UTC+14):
    Sunday 19:30 to Tuesday 05:00 UTC. Outside it the digest sweep asks nothing."""
    utc = now.astimezone(UTC)
    monday = datetime.combine(utc.date() - timedelta(days=utc.weekday()), time(), tzinfo=UTC)
    into_week = utc - monday
    return into_week < timedelta(hours=29) or into_week >= timedelta(days=7, hours=-4, minutes=-30)


def digest_key(team_id: str, admin_user_id: str, week: tuple[int, int]) -> str:
    return f"risk-digest:{team_id}:{admin_user_id}:{week[0]}-W{week[1]:02d}"
