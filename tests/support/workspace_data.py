"""A workspace with due work for every decision sweep at NOW, and whole-table snapshots.

Rows are written straight to the database, as each sweep would find them: a pause that
ends, an unsynced profile, a round that ended, last month's digests, a program that
pairs itself, an expired proposal, a fit check, an unplanned pair, a due check-in, a
reminder, a stalled pair (and its Monday digest), a withdrawn story still posted; and
rows hanging off others without a team id of their own (reflection topics, story skills).
Purges are not made due: they ignore whether a workspace is installed, by design.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.db.engine import Sessions
from bot.db.programs import get_or_create_default_program
from bot.db.tables import (
    Base,
    CheckinRow,
    MeetingRow,
    MembershipRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    PersonSkillRow,
    ProgramRow,
    ReflectionRow,
    ReflectionTopicRow,
    RoundRow,
    SkillRow,
    StoryRow,
    StorySkillRow,
)
from bot.domain import CheckinAnswer, CheckinStatus, DeliveryStatus, PairStatus, StoryStatus
from bot.services.stories import post_key

# A Monday: the admins' risk digest is due (from 09:30), and the monthly digests of
# February (first check-in slot of March, 09:30 UTC) too.
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=200)


@dataclass(frozen=True)
class Workspace:
    team_id: str
    people: tuple[str, ...]  # Slack user ids (the same in each workspace built)
    names: tuple[str, ...]  # distinctive strings of its data
    reflection: str


def _name(team_id: str, who: str) -> str:
    return f"{who} of {team_id}"


async def build_due_workspace(sessions: Sessions, team_id: str) -> Workspace:
    users: list[str] = []
    async with sessions() as session, session.begin():

        def person(who: str, stage: int, **kw: Any) -> PersonRow:
            user_id = f"U{len(users):03d}{who.upper()[:5]}"  # the same in every workspace
            users.append(user_id)
            row = PersonRow(
                team_id=team_id, slack_user_id=user_id, name=_name(team_id, who),
                career_stage=stage, timezone="UTC", created_at=LONG_AGO, updated_at=LONG_AGO,
                **{"profile_synced_at": LONG_AGO, **kw},
            )  # fmt: skip
            session.add(row)
            return row

        # The default program pairs itself: round 1 was due yesterday.
        auto = await get_or_create_default_program(session, team_id, now=LONG_AGO)
        auto.pairs_automatically = True
        auto.starts_on = (NOW - timedelta(days=1)).date()
        auto.min_overlap_hours = 0
        skills = {
            s.name: s.id
            for s in await session.scalars(select(SkillRow).where(SkillRow.program_id == auto.id))
        }
        teach, learn = sorted(skills)[:2]
        admin = person("Admin", 5, is_workspace_admin=True)
        automentor, autoleader = person("Automentor", 1), person("Autoleader", 4)
        await session.flush()
        for p, role, gives, takes in ((automentor, "mentor", teach, learn),
                                      (autoleader, "mentee", learn, teach)):  # fmt: skip
            session.add(MembershipRow(team_id=team_id, program_id=auto.id, person_id=p.id,
                                      role=role, joined_at=LONG_AGO))  # fmt: skip
            session.add_all(
                PersonSkillRow(person_id=p.id, skill_id=skills[name], kind=kind, team_id=team_id)
                for name, kind in ((gives, "teach"), (takes, "learn"))
            )

        pilot = ProgramRow(
            team_id=team_id, name="Pilot", channel_id=f"C0PILOT{team_id[-2:]}", timezone="UTC",
            created_at=LONG_AGO, updated_at=LONG_AGO,
        )  # fmt: skip
        session.add(pilot)
        await session.flush()
        ended = RoundRow(team_id=team_id, program_id=pilot.id, number=1, status="confirmed",
                         starts_at=NOW - timedelta(days=90), ends_at=NOW - timedelta(hours=1),
                         created_at=NOW - timedelta(days=91))  # fmt: skip
        running = RoundRow(team_id=team_id, program_id=pilot.id, number=2, status="confirmed",
                           starts_at=NOW - timedelta(days=40), ends_at=NOW + timedelta(days=40),
                           created_at=NOW - timedelta(days=41))  # fmt: skip
        session.add_all([ended, running])
        await session.flush()

        def pair(label: str, round_: RoundRow, **kw: Any) -> tuple[PairRow, PersonRow, PersonRow]:
            m, lead = person(f"{label}mentor", 1), person(f"{label}leader", 4)
            row = PairRow(team_id=team_id, program_id=pilot.id, round_id=round_.id,
                          created_at=round_.starts_at, **kw)  # fmt: skip
            session.add(row)
            return row, m, lead

        intro = {"cadence_days": 14, "mentor_consent": "accepted", "mentee_consent": "accepted"}
        ending = pair("End", ended, introduced_at=NOW - timedelta(days=89), **intro)
        proposed = pair("Prop", running, status=PairStatus.PROPOSED.value,
                        consent_due_at=NOW - timedelta(hours=1))  # fmt: skip
        fit = pair("Fit", running, introduced_at=NOW - timedelta(days=14),
                   fit_due_at=NOW - timedelta(hours=1), **intro)  # fmt: skip
        unplanned = pair("Plan", running, introduced_at=NOW - timedelta(days=2))
        checkin = pair("Chk", running, introduced_at=NOW - timedelta(days=13), **intro)
        stalled = pair("Stall", running, introduced_at=NOW - timedelta(days=35), **intro)
        paused = person("Paused", 2)
        person("Unsynced", 2, profile_synced_at=None)
        await session.flush()
        everyone = [ending, proposed, fit, unplanned, checkin, stalled]
        for row, m, lead in everyone:
            row.mentor_id, row.mentee_id = m.id, lead.id
            for p, role in ((m, "mentor"), (lead, "mentee")):
                session.add(MembershipRow(team_id=team_id, program_id=pilot.id, person_id=p.id,
                                          role=role, joined_at=LONG_AGO))  # fmt: skip
        session.add(MembershipRow(team_id=team_id, program_id=pilot.id, person_id=paused.id,
                                  role="mentor", joined_at=LONG_AGO, status="paused",
                                  paused_until=NOW - timedelta(hours=1)))  # fmt: skip
        session.add(MembershipRow(team_id=team_id, program_id=pilot.id, person_id=admin.id,
                                  role="mentee", joined_at=LONG_AGO))  # fmt: skip
        await session.flush()

        # Last month had a meeting and a reflection: the digests have something to say.
        fit_pair, fit_mentor, _ = fit
        session.add(MeetingRow(team_id=team_id, pair_id=fit_pair.id, met_on=date(2027, 2, 20),
                               sequence=1, recorded_by=fit_mentor.id,
                               created_at=datetime(2027, 2, 20, 15, tzinfo=UTC)))  # fmt: skip
        reflection = f"Reflection text only {team_id} wrote"
        written = ReflectionRow(team_id=team_id, author_id=fit_mentor.id, pair_id=fit_pair.id,
                                program_id=pilot.id, met_on=date(2027, 2, 20),
                                learned=reflection, rating=5,
                                created_at=datetime(2027, 2, 20, 16, tzinfo=UTC))  # fmt: skip
        session.add(written)
        await session.flush()
        session.add(ReflectionTopicRow(reflection_id=written.id, skill_id=skills[teach]))

        # One partner's check-in is due now; the other asked to be reminded.
        chk_pair, chk_mentor, chk_leader = checkin
        session.add(CheckinRow(team_id=team_id, pair_id=chk_pair.id, person_id=chk_mentor.id,
                               sequence=1, due_at=NOW - timedelta(minutes=10)))  # fmt: skip
        session.add(CheckinRow(team_id=team_id, pair_id=chk_pair.id, person_id=chk_leader.id,
                               sequence=1, due_at=NOW - timedelta(days=1),
                               status=CheckinStatus.SENT.value, sent_at=NOW - timedelta(days=1),
                               message_key=f"checkin:{chk_leader.id}:1",
                               answer=CheckinAnswer.NOT_YET.value,
                               answered_at=NOW - timedelta(hours=20),
                               remind_at=NOW - timedelta(minutes=5)))  # fmt: skip

        # A story withdrawn while its channel post went out: the post must be deleted.
        story = StoryRow(team_id=team_id, program_id=pilot.id, pair_id=chk_pair.id,
                         author_id=chk_mentor.id, title=f"Story title of {team_id}",
                         text=f"Story text of {team_id}", status=StoryStatus.WITHDRAWN.value,
                         withdrawn_at=NOW - timedelta(hours=2),
                         withdrawn_by=chk_mentor.slack_user_id,
                         created_at=NOW - timedelta(days=3))  # fmt: skip
        session.add(story)
        await session.flush()
        session.add(StorySkillRow(story_id=story.id, skill_id=skills[teach]))
        story.post_key = post_key(story.id, story.version)
        session.add(OutgoingMessageRow(
            team_id=team_id, key=story.post_key, method="chat.postMessage",
            channel=pilot.channel_id, payload={"text": story.text},
            status=DeliveryStatus.SENT.value, attempts=1, next_attempt_at=NOW - timedelta(hours=3),
            sent_channel=pilot.channel_id, sent_ts="1772000000.000100",
            created_at=NOW - timedelta(hours=3), sent_at=NOW - timedelta(hours=3),
        ))  # fmt: skip
        names = (*(p.name for p in (admin, automentor, chk_mentor, chk_leader, paused)),
                 story.title, story.text)  # fmt: skip
    return Workspace(team_id, tuple(users), names, reflection)


async def snapshot(sessions: Sessions, team_id: str | None = None) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    """Every row of every table (all of Base.metadata), every column; only the team's
    rows when `team_id` is given (tables without a team_id are then left out)."""
    found: dict[str, list[tuple]] = {}  # type: ignore[type-arg]
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            query = select(table)
            if team_id is not None:
                if "team_id" not in table.c:
                    continue
                query = query.where(table.c.team_id == team_id)
            rows = (await session.execute(query)).all()
            found[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return found
