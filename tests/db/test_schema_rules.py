"""The database itself refuses invalid rows, and the hot lookups have indexes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.db.engine import Sessions
from bot.db.people import get_or_create_person
from bot.db.programs import get_or_create_default_program
from bot.db.tables import (
    CheckinRow,
    MembershipRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    PersonSkillRow,
    ProgramRow,
    ReflectionRow,
    RoundRow,
    SkillRow,
    StoryRow,
)
from bot.delivery import enqueue_message

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TEAM = "T0SCHEMA1"


async def _world(sessions: Sessions) -> dict[str, int]:
    """One of every row the rules cover, all valid."""
    async with sessions() as session, session.begin():
        program = await get_or_create_default_program(session, TEAM, now=T0)
        mentor, _ = await get_or_create_person(session, TEAM, "U0SCHEMA1", now=T0)
        leader, _ = await get_or_create_person(session, TEAM, "U0SCHEMA2", now=T0)
        membership = MembershipRow(team_id=TEAM, program_id=program.id, person_id=mentor.id,
                                   role="mentor", joined_at=T0)  # fmt: skip
        round_ = RoundRow(team_id=TEAM, program_id=program.id, number=1, starts_at=T0,
                          ends_at=T0, created_at=T0)  # fmt: skip
        session.add_all([membership, round_])
        await session.flush()
        pair = PairRow(team_id=TEAM, program_id=program.id, round_id=round_.id,
                       mentor_id=mentor.id, mentee_id=leader.id, created_at=T0)  # fmt: skip
        session.add(pair)
        await session.flush()
        checkin = CheckinRow(team_id=TEAM, pair_id=pair.id, person_id=mentor.id, sequence=1,
                             due_at=T0)  # fmt: skip
        reflection = ReflectionRow(team_id=TEAM, author_id=mentor.id, created_at=T0)
        story = StoryRow(team_id=TEAM, program_id=program.id, author_id=mentor.id, text="x",
                         created_at=T0)  # fmt: skip
        session.add_all([checkin, reflection, story])
        await session.flush()
        await enqueue_message(session, team_id=TEAM, key="k", channel="U0SCHEMA1",
                              payload={"text": "hi"}, due_at=T0)  # fmt: skip
    return {
        "program": program.id, "person": mentor.id, "membership": membership.id,
        "round": round_.id, "pair": pair.id, "checkin": checkin.id,
        "reflection": reflection.id, "story": story.id,
    }  # fmt: skip


# (row, id key, column, a value the schema must refuse)
INVALID: list[tuple[type[Any], str, str, object]] = [
    (PersonRow, "person", "career_stage", 0),
    (PersonRow, "person", "career_stage", 6),
    (MembershipRow, "membership", "role", "boss"),
    (MembershipRow, "membership", "status", "gone"),
    (MembershipRow, "membership", "max_mentees", 0),
    (MembershipRow, "membership", "cadence_days", 0),
    (ProgramRow, "program", "cadence_days", 0),
    (ProgramRow, "program", "round_weeks", 0),
    (ProgramRow, "program", "min_stage_gap", -1),
    (ProgramRow, "program", "min_leader_stage", 6),
    (ProgramRow, "program", "priority", "random"),
    (RoundRow, "round", "status", "maybe"),
    (PairRow, "pair", "status", "dating"),
    (CheckinRow, "checkin", "answer", "perhaps"),
    (ReflectionRow, "reflection", "rating", 0),
    (ReflectionRow, "reflection", "rating", 6),
    (StoryRow, "story", "status", "viral"),
]


@pytest.mark.parametrize(("row", "key", "column", "value"), INVALID)
async def test_the_database_refuses_an_invalid_value(
    sessions: Sessions, row: type[Any], key: str, column: str, value: object
) -> None:
    ids = await _world(sessions)
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            await session.execute(update(row).where(row.id == ids[key]).values({column: value}))


async def test_the_outbox_refuses_an_unknown_status(sessions: Sessions) -> None:
    await _world(sessions)
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            await session.execute(update(OutgoingMessageRow).values(status="lost"))


async def test_a_skill_link_must_teach_or_learn(sessions: Sessions) -> None:
    ids = await _world(sessions)
    async with sessions() as session:
        skill_id = await session.scalar(select(SkillRow.id).limit(1))
    assert skill_id is not None
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(PersonSkillRow(person_id=ids["person"], skill_id=skill_id, kind="hoard",
                                       team_id=TEAM))  # fmt: skip


HOT_LOOKUPS = [
    ("memberships", ["person_id"]),
    ("pairs", ["mentor_id"]),
    ("pairs", ["mentee_id"]),
    ("person_skills", ["skill_id"]),
    ("reflections", ["author_id"]),
    ("stories", ["author_id"]),
    ("checkins", ["person_id"]),
    ("meetings", ["pair_id"]),
    ("outgoing_messages", ["status", "next_attempt_at"]),
    ("outgoing_messages", ["status", "lease_until"]),
    ("outgoing_messages", ["membership_id"]),
    ("outgoing_messages", ["pair_id"]),
]


async def test_every_hot_lookup_has_an_index(sessions: Sessions) -> None:
    def indexes(connection: Connection) -> set[tuple[str, tuple[str, ...]]]:
        inspector = inspect(connection)
        return {
            (table, tuple(index["column_names"]))
            for table in inspector.get_table_names()
            for index in inspector.get_indexes(table)
        }

    async with sessions() as session:
        connection = await session.connection()
        found = await connection.run_sync(indexes)
    missing = [(t, c) for t, c in HOT_LOOKUPS if (t, tuple(c)) not in found]
    assert missing == []
