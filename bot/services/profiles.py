"""People's Slack profiles: applying what Slack tells us, and repairing what it could not.

A person row is written when they enroll, before Slack has told us their name and time
zone (or whether they are a guest). `profile_synced_at` stays None until a `users.info`
answer or a `user_change` event is applied; such a person is not `schedulable()`
(bot/db/people.py), and is read again on their next join, on `user_change`, or by the
`refresh-profiles` sweep, which works through them a small batch at a time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.db.engine import Sessions
from bot.db.people import get_person
from bot.db.tables import PersonRow
from bot.services.events import record_once
from bot.services.participation import deactivate
from bot.services.workspaces import live_team
from bot.slack.text import clean_text
from bot.slack.tokens import WorkspaceTokens
from bot.slack.users import account_problem, lookup_user

logger = logging.getLogger(__name__)

# users.info is Tier 4 (100+ a minute per workspace) and the sweep runs every minute:
# a quarter of that leaves room for the joins, Home tabs and admin checks that use it too.
REFRESH_BATCH = 25


class ProfileApplied(StrEnum):
    NOT_ENROLLED = "not-enrolled"  # no row for that user: nothing is stored about them
    SEEN_BEFORE = "seen-before"  # once_key was recorded already
    UPDATED = "updated"
    REACTIVATED = "reactivated"  # a restored account (or a guest made a full member)


async def record_slack_profile(
    sessions: Sessions,
    *,
    team_id: str,
    user: dict[str, Any],
    now: datetime,
    once_key: str | None = None,
) -> ProfileApplied:
    """Apply a `users.info` / `user_change` user object to the person, if enrolled.

    Name, title, time zone and admin flags are copied and the profile marked read. A
    deactivated person whose account is a full member again takes part again, with
    their memberships as they were (ended pairs stay ended). The opposite direction,
    a deleted or guest account, is `deactivate` (bot/services/participation.py).
    """
    async with sessions() as session, session.begin():
        if once_key is not None and not await record_once(
            session, key=once_key, team_id=team_id, at=now
        ):
            return ProfileApplied.SEEN_BEFORE
        person = await get_person(session, team_id, str(user.get("id", "")))
        if person is None:
            return ProfileApplied.NOT_ENROLLED
        _copy_profile(person, user, now=now)
        if person.is_active or account_problem(user) is not None:
            return ProfileApplied.UPDATED
        person.is_active = True
    logger.info("person %s reactivated: their Slack account is a full member again", person.id)
    return ProfileApplied.REACTIVATED


def _copy_profile(person: PersonRow, user: dict[str, Any], *, now: datetime) -> None:
    profile = user.get("profile") or {}
    # Slack's text goes through the same rule as what people type (no NUL, no ESC).
    name = clean_text(str(
        profile.get("display_name") or profile.get("real_name") or user.get("real_name")
        or user.get("name") or ""
    ), multiline=False)  # fmt: skip
    person.name = name[:120] or person.name
    person.title = clean_text(str(profile.get("title") or ""), multiline=False)[:120]
    person.timezone = _valid_timezone(user.get("tz")) or person.timezone
    person.is_workspace_admin = bool(user.get("is_admin") or user.get("is_owner"))
    person.profile_synced_at = now
    person.updated_at = now


def _valid_timezone(name: object) -> str | None:
    """An IANA zone this machine knows; Slack omits `tz` for some accounts."""
    if not isinstance(name, str) or not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


async def record_slack_user(
    sessions: Sessions, *, team_id: str, user: dict[str, Any], now: datetime
) -> bool:
    """Everything a user object says about an enrolled person: profile, then whether
    they may take part. True when this took them out (partners' notices are queued)."""
    await record_slack_profile(sessions, team_id=team_id, user=user, now=now)
    if account_problem(user) is None:
        return False
    return await deactivate(sessions, team_id=team_id, user_id=str(user["id"]), now=now)


@dataclass(frozen=True)
class ProfileState:
    """What we hold about a person's Slack account, without asking Slack."""

    enrolled: bool  # a person row exists
    active: bool
    synced: bool  # profile read from Slack at least once


def profile_state(person: PersonRow | None) -> ProfileState:
    if person is None:
        return ProfileState(enrolled=False, active=False, synced=False)
    return ProfileState(True, person.is_active, person.profile_synced_at is not None)


@dataclass
class RefreshReport:
    synced: int = 0
    deactivated: int = 0  # guest, deleted or unknown to Slack
    postponed: int = 0  # Slack did not answer: left for the next sweep

    @property
    def done(self) -> int:
        return self.synced + self.deactivated


async def refresh_unsynced_profiles(
    sessions: Sessions,
    client: AsyncWebClient,
    *,
    now: datetime,
    batch: int = REFRESH_BATCH,
    tokens: WorkspaceTokens | None = None,
) -> RefreshReport:
    """Decision sweep: read `users.info` for active people whose profile was never read.

    One at a time and at most `batch` per run; the first answer that is not an answer
    (429, 5xx, timeout) ends the run, so a struggling Slack is left alone until the next
    minute. Two processes may read the same person twice; the writes are the same.
    Each `users.info` goes with the person's workspace token (`tokens`, asked once per
    workspace a run); a workspace with no installation is passed over.
    """
    async with sessions() as session:
        unsynced = await session.execute(
            select(PersonRow.id, PersonRow.team_id, PersonRow.slack_user_id)
            .where(
                PersonRow.is_active.is_(True),
                PersonRow.profile_synced_at.is_(None),
                live_team(PersonRow.team_id),
            )
            .order_by(PersonRow.id)
            .limit(batch)
        )
        people = unsynced.all()
    report = RefreshReport()
    team_tokens: dict[str, str | None] = {}
    for position, (person_id, team_id, user_id) in enumerate(people):
        if tokens is not None and team_id not in team_tokens:
            team_tokens[team_id] = await tokens.bot_token(team_id)
        token = team_tokens.get(team_id)
        if tokens is not None and token is None:
            report.postponed += 1  # not installed: read once it is
            continue
        lookup = await lookup_user(client, user_id, token=token)
        if lookup.user is not None:
            if await record_slack_user(sessions, team_id=team_id, user=lookup.user, now=now):
                report.deactivated += 1
            else:
                report.synced += 1
        elif lookup.missing:
            # Slack says this id is no member here: never schedulable, so out of the sweep.
            await deactivate(sessions, team_id=team_id, user_id=user_id, now=now)
            report.deactivated += 1
        else:
            report.postponed += len(people) - position
            logger.info("profile refresh stopped at person %s: Slack did not answer", person_id)
            break
    if people:
        logger.info(
            "profiles refreshed: %d synced, %d deactivated, %d postponed",
            report.synced, report.deactivated, report.postponed,
        )  # fmt: skip
    return report
