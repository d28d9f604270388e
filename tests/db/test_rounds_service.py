"""Rounds against a real database: preview, re-run, confirm once, the never-repeat rule,
and a 200-pair round delivered under Slack's rate limits exactly once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select, update

from bot.clock import ShiftedClock
from bot.db.engine import Sessions
from bot.db.programs import get_or_create_default_program
from bot.db.tables import (
    MembershipRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    PersonSkillRow,
    RoundRow,
    RoundUnmatchedRow,
    SkillRow,
)
from bot.delivery import Deliverer, DeliveryPolicy
from bot.services.lifecycle import sweep_round_ends
from bot.services.rounds import (
    Adjustments,
    ConfirmOutcome,
    confirm_round,
    list_due_automatic_programs,
    preview_round,
    run_automatic_round,
)
from tests.support.fake_slack import FakeSlack

TEAM = "T0FAKE01"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
SKILL = "AI tools for everyday work"
GIVE_BACK = "Career guidance"


@dataclass(frozen=True)
class Member:
    slack_id: str
    role: str
    stage: int
    teaches: tuple[str, ...] = ()
    learns: tuple[str, ...] = ()
    manager: str | None = None
    tz: str = "Europe/Berlin"
    department: str = ""
    name: str = ""


def mentor(slack_id: str, **kw: object) -> Member:
    return Member(slack_id, "mentor", 1, teaches=(SKILL,), learns=(GIVE_BACK,), **kw)  # type: ignore[arg-type]


def leader(slack_id: str, **kw: object) -> Member:
    return Member(slack_id, "mentee", 4, teaches=(GIVE_BACK,), learns=(SKILL,), **kw)  # type: ignore[arg-type]


async def seed(
    sessions: Sessions, members: list[Member], *, team_id: str = TEAM, now: datetime = NOW,
    **program_settings: object,
) -> int:  # fmt: skip
    """The default program with these people enrolled (profiles read from Slack)."""
    async with sessions() as session, session.begin():
        program = await get_or_create_default_program(session, team_id, now=now)
        for key, value in program_settings.items():
            setattr(program, key, value)
        skills = {
            s.name: s.id
            for s in await session.scalars(
                select(SkillRow).where(SkillRow.program_id == program.id)
            )
        }
        for m in members:
            person = PersonRow(
                team_id=team_id, slack_user_id=m.slack_id, name=m.name or m.slack_id.title(),
                career_stage=m.stage, department=m.department, timezone=m.tz,
                manager_slack_id=m.manager, profile_synced_at=now, created_at=now, updated_at=now,
            )  # fmt: skip
            session.add(person)
            await session.flush()
            session.add(
                MembershipRow(
                    team_id=team_id,
                    program_id=program.id,
                    person_id=person.id,
                    role=m.role,
                    max_mentees=1,
                    joined_at=now,
                )
            )
            for kind, names in (("teach", m.teaches), ("learn", m.learns)):
                session.add_all(
                    PersonSkillRow(
                        person_id=person.id, skill_id=skills[n], kind=kind, team_id=team_id
                    )
                    for n in names
                )
        return program.id


async def pairs_by_slack(sessions: Sessions, round_id: int) -> set[tuple[str, str]]:
    async with sessions() as session:
        people = dict((await session.execute(select(PersonRow.id, PersonRow.slack_user_id))).all())
        pairs = await session.scalars(select(PairRow).where(PairRow.round_id == round_id))
        return {(people[p.mentor_id], people[p.mentee_id]) for p in pairs}


async def count(sessions: Sessions, table: object, *where: object) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(table).where(*where)  # type: ignore[arg-type]
        return int(await session.scalar(query) or 0)


async def test_a_preview_is_a_draft_round_that_tells_nobody(sessions: Sessions) -> None:
    program_id = await seed(sessions, [mentor("U1M"), leader("U1L"), leader("U2L")])
    round_ = await preview_round(
        sessions, team_id=TEAM, program_id=program_id, created_by="UADMIN", now=NOW
    )
    assert round_ is not None and round_.status == "draft"
    assert await pairs_by_slack(sessions, round_.id) in ({("U1M", "U1L")}, {("U1M", "U2L")})
    assert await count(sessions, PairRow, PairRow.status == "draft") == 1
    assert await count(sessions, RoundUnmatchedRow) == 1
    assert round_.summary is not None and round_.summary["pairs"] == 1
    assert await count(sessions, OutgoingMessageRow) == 0, "nothing reaches anyone"


async def test_a_re_run_reuses_the_draft_and_applies_every_exclusion(sessions: Sessions) -> None:
    program_id = await seed(sessions, [mentor("U1M"), mentor("U2M"), leader("U1L"), leader("U2L")])
    first = await preview_round(
        sessions, team_id=TEAM, program_id=program_id, created_by=None, now=NOW
    )
    assert first is not None
    pair = sorted(await pairs_by_slack(sessions, first.id))[0]
    again = await preview_round(
        sessions, team_id=TEAM, program_id=program_id, created_by=None, now=NOW,
        change=Adjustments(excluded_pairs=(pair,)),
    )  # fmt: skip
    assert again is not None and again.id == first.id
    assert pair not in await pairs_by_slack(sessions, first.id)
    assert len(await pairs_by_slack(sessions, first.id)) == 2
    third = await preview_round(
        sessions, team_id=TEAM, program_id=program_id, created_by=None, now=NOW,
        change=Adjustments(excluded_people=("U2M",)),
    )  # fmt: skip
    assert third is not None
    pairs = await pairs_by_slack(sessions, first.id)
    assert all("U2M" not in p for p in pairs) and pair not in pairs, "both exclusions hold"
    assert await count(sessions, RoundRow) == 1


async def test_a_preview_for_another_workspaces_program_is_refused(sessions: Sessions) -> None:
    program_id = await seed(sessions, [mentor("U1M"), leader("U1L")])
    assert (
        await preview_round(
            sessions, team_id="T0OTHER", program_id=program_id, created_by=None, now=NOW
        )
        is None
    )
    assert await count(sessions, RoundRow) == 0


async def test_confirming_twice_at_once_makes_one_round(sessions: Sessions) -> None:
    program_id = await seed(sessions, [mentor("U1M"), leader("U1L")])
    round_ = await preview_round(
        sessions, team_id=TEAM, program_id=program_id, created_by=None, now=NOW
    )
    assert round_ is not None
    results = await asyncio.gather(
        *(confirm_round(sessions, team_id=TEAM, round_id=round_.id, now=NOW) for _ in range(2)),
        return_exceptions=True,
    )
    outcomes = sorted(r.outcome if not isinstance(r, BaseException) else "error" for r in results)
    assert outcomes.count(ConfirmOutcome.CONFIRMED) == 1
    assert await count(sessions, OutgoingMessageRow, OutgoingMessageRow.key.like("intro:%")) == 1
    assert await count(sessions, PairRow, PairRow.status == "active") == 1
    later = await confirm_round(sessions, team_id=TEAM, round_id=round_.id, now=NOW)
    assert later.outcome == ConfirmOutcome.NOTHING_TO_CONFIRM


async def test_people_still_paired_sit_out_a_round_made_before_theirs_ended(
    sessions: Sessions,
) -> None:
    program_id = await seed(sessions, [mentor("U1M"), mentor("U2M"), leader("U1L"), leader("U2L")])
    first = await preview_round(
        sessions, team_id=TEAM, program_id=program_id, created_by=None, now=NOW
    )
    assert first is not None
    await confirm_round(sessions, team_id=TEAM, round_id=first.id, now=NOW)
    assert len(await pairs_by_slack(sessions, first.id)) == 2
    # A top-up round a week later: everyone still has their partner, so nobody is
    # paired again (no one gets two partners at once).
    top_up = await preview_round(
        sessions, team_id=TEAM, program_id=program_id, created_by=None, now=NOW + timedelta(weeks=1)
    )
    assert top_up is not None and top_up.id != first.id
    assert await pairs_by_slack(sessions, top_up.id) == set()


async def test_the_next_round_never_repeats_a_pair_unless_both_continue(sessions: Sessions) -> None:
    program_id = await seed(sessions, [mentor("U1M"), mentor("U2M"), leader("U1L"), leader("U2L")])
    first = await preview_round(
        sessions, team_id=TEAM, program_id=program_id, created_by=None, now=NOW
    )
    assert first is not None
    await confirm_round(sessions, team_id=TEAM, round_id=first.id, now=NOW)
    before = await pairs_by_slack(sessions, first.id)
    later = NOW + timedelta(weeks=13)
    assert await sweep_round_ends(sessions, now=later) == len(before)  # the round ended
    second = await preview_round(
        sessions, team_id=TEAM, program_id=program_id, created_by=None, now=later
    )
    assert second is not None and second.id != first.id and second.number == 2
    assert not (await pairs_by_slack(sessions, second.id)) & before, "no pair repeated"

    # Both partners of one earlier pair asked to continue: that pair may repeat (kept).
    kept = sorted(before)[0]
    async with sessions() as session, session.begin():
        await session.execute(
            update(PairRow)
            .where(PairRow.round_id == first.id)
            .values(mentor_continues=True, mentee_continues=True)
        )
    await preview_round(sessions, team_id=TEAM, program_id=program_id, created_by=None, now=later)
    assert kept in await pairs_by_slack(sessions, second.id)


async def test_roster_previous_partners_and_managers_are_never_paired(sessions: Sessions) -> None:
    # U1M's manager is U1L, and the best-fitting pair would otherwise be theirs.
    program_id = await seed(
        sessions,
        [mentor("U1M", manager="U1L"), leader("U1L"), leader("U2L", tz="America/New_York")],
    )
    round_ = await preview_round(
        sessions, team_id=TEAM, program_id=program_id, created_by=None, now=NOW
    )
    assert round_ is not None
    assert await pairs_by_slack(sessions, round_.id) == {("U1M", "U2L")}


async def test_an_automatic_program_pairs_itself_when_due_and_tells_its_admins(
    sessions: Sessions,
) -> None:
    await seed(
        sessions, [mentor("U1M"), leader("U1L")],
        pairs_automatically=True, starts_on=(NOW + timedelta(days=1)).date(),
    )  # fmt: skip
    assert await list_due_automatic_programs(sessions, now=NOW) == []
    due = NOW + timedelta(days=1, hours=9)
    [program] = await list_due_automatic_programs(sessions, now=due)
    done = await run_automatic_round(
        sessions, program=program, admin_ids=frozenset({"UADMIN1"}), now=due
    )
    assert done.outcome == ConfirmOutcome.CONFIRMED
    assert await count(sessions, OutgoingMessageRow, OutgoingMessageRow.key.like("intro:%")) == 1
    assert await count(sessions, OutgoingMessageRow, OutgoingMessageRow.channel == "UADMIN1") == 1
    assert await list_due_automatic_programs(sessions, now=due) == [], "not due again until it ends"


async def test_a_200_pair_round_under_rate_limits_delivers_every_intro_exactly_once(
    sessions: Sessions, fake: FakeSlack, client: AsyncWebClient
) -> None:
    members: list[Member] = []
    for n in range(200):
        m, lead = f"U{n:03d}MENT", f"U{n:03d}LEAD"
        fake.add_user(m, name=f"m{n}")
        fake.add_user(lead, name=f"l{n}", tz="America/New_York")
        members += [mentor(m), leader(lead, tz="America/New_York")]
    fake.add_channel("C0PROGRAM", "mentoring")
    program_id = await seed(sessions, members, channel_id="C0PROGRAM")
    round_ = await preview_round(
        sessions, team_id=TEAM, program_id=program_id, created_by=None, now=NOW
    )
    assert round_ is not None
    confirmed = await confirm_round(sessions, team_id=TEAM, round_id=round_.id, now=NOW)
    assert confirmed.pairs == 200

    # Posting is rate-limited (a token bucket answering 429 with Retry-After), and the
    # first calls of each method meet a 429 for certain.
    fake.rate_limit("chat.postMessage", per_second=30, burst=10)
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    fake.fail_next("conversations.open", status=429, retry_after=1)
    clock = ShiftedClock(NOW)
    deliverer = Deliverer(
        sessions, client, clock, DeliveryPolicy(backoff_factor=0.01, backoff_cap=0.05)
    )
    for _ in range(60):
        await deliverer.sweep()
        if not await count(sessions, OutgoingMessageRow, OutgoingMessageRow.status != "sent"):
            break
        clock.advance(timedelta(seconds=2))
    assert await count(sessions, OutgoingMessageRow, OutgoingMessageRow.status != "sent") == 0
    posted = fake.posted_count_by_key()
    intros = {k: n for k, n in posted.items() if k.startswith("intro:")}
    assert len(intros) == 200 and set(intros.values()) == {1}
    assert posted[f"announce:{round_.id}"] == 1
    assert fake.rate_limited_count("conversations.open") >= 1
    assert fake.rate_limited_count("chat.postMessage") >= 1
    # Every group DM holds exactly its pair (and the bot).
    async with sessions() as session:
        query = select(OutgoingMessageRow).where(OutgoingMessageRow.key.like("intro:%"))
        intro_rows = list(await session.scalars(query))
    for row in intro_rows:
        assert row.users is not None and row.sent_channel is not None
        members = fake.conversation_members(row.sent_channel)
        assert sorted(members) == sorted([*row.users.split(","), "UBOT"])
